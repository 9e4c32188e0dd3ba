//! The on-disk cache of what sources answered, shared by concurrent runs.
//!
//! Layout under the cache directory (`--cache-dir`,
//! `CARGO_VERIFY_PROVENANCE_CACHE`, else the user cache directory):
//!
//! ```text
//! lock                                      advisory lock file
//! attestations/v1/AB/ABCD…-SOURCEKEY.json   one entry per artifact digest
//!                                          (64 hex) and source (CacheEntry)
//! tuf/INSTANCE/                             TUF metadata and targets (trust-root update)
//! tuf/INSTANCE.refreshed.json               when that TUF refresh succeeded
//! ```
//!
//! Entries are keyed by the artifact's SHA-256 (hex, from a parsed digest)
//! and a hash of the source's label, so no name from a lockfile, a server or
//! a configuration ever becomes a path component.
//!
//! Every write goes to a temporary file in the destination folder and is
//! renamed into place, so readers see a whole entry or none. Runs hold a
//! shared lock on `lock` while they use the cache; a run that gets it
//! exclusively when it opens the cache knows no writer is active and removes
//! temporary files left by killed runs. An entry that does not parse (a torn
//! write after a power loss) is ignored as if absent and replaced on the next
//! fetch. A folder that cannot be written (read-only, no permission, full)
//! is still read; the first answer that cannot be stored is reported once,
//! and the run goes on. Nothing in the cache is trusted: bundles are
//! verified every time they are used.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;

use crate::origin::{BundleOrigin, RegistryAssertion, RegistryRecord};

/// Bumped when the entry format changes; old entries are then simply absent.
const FORMAT: u32 = 1;
/// Entries larger than this are not read (real ones are a few hundred KiB at most).
const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;
/// Prefix of temporary files (the `tempfile` crate's).
const TEMP_PREFIX: &str = ".tmp";

/// One bundle document as a source returned it, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleDocument {
    pub origin: BundleOrigin,
    /// The bundle's JSON (one bundle per document).
    pub json: String,
}

/// A bundle a source returned that is not for this artifact, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredBundle {
    pub origin: BundleOrigin,
    pub reason: String,
}

/// What a source answered about one artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Answer {
    /// Bundle documents for this artifact, and any returned for others.
    Bundles {
        documents: Vec<BundleDocument>,
        ignored: Vec<IgnoredBundle>,
    },
    /// The source has nothing for this artifact.
    NoAttestation,
    /// What the registry records about the publisher (`None`: nothing).
    Registry {
        assertion: Option<RegistryAssertion>,
        /// The registry's record of the version; `None` when it has none
        /// (yet), the only registry answer that expires.
        #[serde(default)]
        record: Option<RegistryRecord>,
    },
}

impl Answer {
    /// Whether the answer is "nothing here", which may change later and so
    /// is cached only for a limited time.
    pub fn is_negative(&self) -> bool {
        match self {
            Self::Bundles { documents, .. } => documents.is_empty(),
            Self::NoAttestation => true,
            // A published version's record never changes, with a
            // publisher or without.
            Self::Registry { assertion, record } => assertion.is_none() && record.is_none(),
        }
    }
}

/// A cached answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub format: u32,
    /// `sha256:HEX`.
    pub digest: String,
    /// The source's label (`github`, `url:…`, …).
    pub source: String,
    pub fetched: jiff::Timestamp,
    pub answer: Answer,
}

impl CacheEntry {
    pub fn new(
        digest: &Sha256Hash,
        source: &str,
        fetched: jiff::Timestamp,
        answer: Answer,
    ) -> Self {
        Self {
            format: FORMAT,
            digest: format!("sha256:{}", digest.to_hex()),
            source: source.to_string(),
            fetched,
            answer,
        }
    }

    /// Whether the entry may still be used online: positive answers always,
    /// negative ones for `negative_ttl` after they were fetched.
    pub fn is_fresh(&self, now: jiff::Timestamp, negative_ttl: jiff::SignedDuration) -> bool {
        if !self.answer.is_negative() {
            return true;
        }
        now.duration_since(self.fetched) <= negative_ttl && self.fetched <= now
    }
}

/// The cache could not be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CacheError {
    #[error("cache {}: {source}", path.display())]
    #[diagnostic(
        code("cache-io"),
        help("check the cache directory's permissions and free space, or choose another with CARGO_VERIFY_PROVENANCE_CACHE")
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no cache directory: the user cache directory is unknown on this system")]
    #[diagnostic(
        code("cache-dir-unknown"),
        help("set CARGO_VERIFY_PROVENANCE_CACHE to a directory")
    )]
    NoDirectory,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An open cache. Holds a shared lock until the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
    /// `None` for a read-only folder without a lock file: nothing is ever
    /// written or cleaned there, so there is nothing to coordinate.
    lock: std::sync::Arc<Option<File>>,
    /// Set once a write failed because the folder cannot take it (read-only,
    /// no permission, full): later writes are skipped.
    unwritable: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Whether that has been reported (once per run).
    reported: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Cache {
    /// The user cache directory for this tool, e.g. `~/.cache/cargo-verify-provenance`.
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", env!("CARGO_PKG_NAME"))
            .map(|dirs| dirs.cache_dir().to_path_buf())
    }

    /// The directory given, else the default one.
    pub fn resolve_dir(given: Option<&Path>) -> Result<PathBuf, CacheError> {
        match given {
            Some(dir) => Ok(dir.to_path_buf()),
            None => Self::default_dir().ok_or(CacheError::NoDirectory),
        }
    }

    /// Open (creating it when needed) the cache at `root`.
    ///
    /// Takes the lock exclusively if no other run holds it and then removes
    /// temporary files of killed runs; then holds it shared. A folder that
    /// exists but cannot be written (a read-only mount, a cache prepared for
    /// offline runs) is opened for reading: its entries are used, and the
    /// first answer that cannot be stored is reported.
    pub fn open(root: &Path) -> Result<Self, CacheError> {
        use fs4::FileExt;
        let lock_path = root.join("lock");
        let writable = std::fs::create_dir_all(root).and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&lock_path)
        });
        let (lock, read_only) = match writable {
            Ok(lock) => (Some(lock), false),
            Err(error) if cannot_write(&error) && root.is_dir() => {
                (File::open(&lock_path).ok(), true)
            }
            Err(error) => return Err(io_error(root)(error)),
        };
        let cache = Self {
            root: root.to_path_buf(),
            lock: std::sync::Arc::new(lock),
            unwritable: std::sync::Arc::new(read_only.into()),
            reported: std::sync::Arc::new(false.into()),
        };
        if let Some(lock) = &*cache.lock {
            if !read_only && FileExt::try_lock(lock).is_ok() {
                // No other run is using the cache: every temporary file is left over.
                cache.remove_leftovers();
                FileExt::unlock(lock).map_err(io_error(&lock_path))?;
            }
            FileExt::lock_shared(lock).map_err(io_error(&lock_path))?;
        }
        Ok(cache)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn attestations_dir(&self) -> PathBuf {
        self.root.join("attestations").join(format!("v{FORMAT}"))
    }

    /// The file of one source's entry for one artifact. One flat file per
    /// entry (under a 256-way fan-out) rather than a folder per artifact:
    /// creating inodes is most of the cost of filling a cold cache.
    pub fn entry_path(&self, digest: &Sha256Hash, source: &str) -> PathBuf {
        let hex = digest.to_hex();
        let key = sigstore_crypto::sha256(source.as_bytes()).to_hex();
        self.attestations_dir()
            .join(&hex[..2])
            .join(format!("{hex}-{}.json", &key[..32]))
    }

    /// The cached answer of `source` for `digest`, if there is a readable one.
    pub fn read(&self, digest: &Sha256Hash, source: &str) -> Option<CacheEntry> {
        let path = self.entry_path(digest, source);
        let file = File::open(&path).ok()?;
        if file.metadata().ok()?.len() > MAX_ENTRY_BYTES {
            return None;
        }
        let entry: CacheEntry = serde_json::from_reader(std::io::BufReader::new(file)).ok()?;
        // An entry for another artifact or source (a file copied by hand) is not this one.
        let expected = format!("sha256:{}", digest.to_hex());
        (entry.format == FORMAT && entry.digest == expected && entry.source == source)
            .then_some(entry)
    }

    /// Store an entry atomically (temporary file, then rename).
    ///
    /// In a folder that cannot be written (read-only, no permission, full),
    /// the first failed write returns the error and later ones are skipped,
    /// so that one problem is reported once rather than once per package.
    pub fn write(&self, digest: &Sha256Hash, entry: &CacheEntry) -> Result<(), CacheError> {
        use std::sync::atomic::Ordering;
        let path = self.entry_path(digest, &entry.source);
        if self.unwritable.load(Ordering::Relaxed) {
            if self.reported.swap(true, Ordering::Relaxed) {
                return Ok(());
            }
            return Err(CacheError::Io {
                path: self.root.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::ReadOnlyFilesystem,
                    "the cache folder cannot be written; answers fetched in this run are not stored",
                ),
            });
        }
        let bytes = serde_json::to_vec(entry).map_err(|e| CacheError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        match write_atomic(&path, &bytes) {
            Err(CacheError::Io { source, .. }) if cannot_write(&source) => {
                self.unwritable.store(true, Ordering::Relaxed);
                if self.reported.swap(true, Ordering::Relaxed) {
                    return Ok(());
                }
                Err(CacheError::Io {
                    path,
                    source: std::io::Error::new(
                        source.kind(),
                        format!("{source}; answers fetched in this run are not stored"),
                    ),
                })
            }
            result => result,
        }
    }

    /// Where the TUF client keeps one instance's metadata and targets.
    pub fn tuf_dir(&self, instance: &str) -> PathBuf {
        self.root.join("tuf").join(instance)
    }

    /// Remove temporary files under the cache (only called while no other
    /// run holds the lock). Errors are ignored: a leftover is harmless.
    fn remove_leftovers(&self) {
        fn walk(dir: &Path, depth: usize) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let path = entry.path();
                if name.to_string_lossy().starts_with(TEMP_PREFIX) {
                    let _ = std::fs::remove_file(&path);
                } else if depth > 0 && entry.file_type().is_ok_and(|t| t.is_dir()) {
                    walk(&path, depth - 1);
                }
            }
        }
        walk(&self.attestations_dir(), 1);
        walk(&self.root.join("tuf"), 0);
    }
}

/// Whether an error means the folder cannot take writes at all (rather than
/// one write failing).
fn cannot_write(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ReadOnlyFilesystem
            | ErrorKind::PermissionDenied
            | ErrorKind::StorageFull
            | ErrorKind::QuotaExceeded
    )
}

/// Write a file atomically: a temporary file in the same folder, renamed
/// over the destination. Creates the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp_in = |dir: &Path| {
        tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(dir)
    };
    // The folder usually exists: create it only when it does not, which
    // saves a call per entry on a cold run.
    let mut temp = match temp_in(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io_error(dir))?;
            temp_in(dir)
        }
        created => created,
    }
    .map_err(io_error(dir))?;
    temp.write_all(bytes).map_err(io_error(temp.path()))?;
    temp.persist(path).map_err(|e| CacheError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(byte: u8) -> Sha256Hash {
        Sha256Hash::new([byte; 32])
    }

    fn origin() -> BundleOrigin {
        BundleOrigin {
            source: "github".into(),
            location: "https://api.github.com/x".into(),
        }
    }

    #[test]
    fn entries_round_trip_per_digest_and_source() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let answer = Answer::Bundles {
            documents: vec![BundleDocument {
                origin: origin(),
                json: "{}".into(),
            }],
            ignored: vec![],
        };
        let entry = CacheEntry::new(&digest(1), "github", now, answer);
        cache.write(&digest(1), &entry).unwrap();
        assert_eq!(cache.read(&digest(1), "github"), Some(entry));
        assert_eq!(cache.read(&digest(1), "crates-io"), None);
        assert_eq!(cache.read(&digest(2), "github"), None);
        // The path is made of hex only, under the cache.
        let path = cache.entry_path(&digest(1), "url:../../etc/{name}");
        assert!(path.starts_with(dir.path()));
        assert!(!path.to_string_lossy().contains(".."));
    }

    #[test]
    fn negative_answers_expire_positive_ones_do_not() {
        let fetched: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let ttl = jiff::SignedDuration::from_hours(24);
        let later = fetched + jiff::SignedDuration::from_hours(25);
        let none = CacheEntry::new(&digest(1), "github", fetched, Answer::NoAttestation);
        assert!(none.is_fresh(fetched, ttl));
        assert!(!none.is_fresh(later, ttl));
        let some = CacheEntry::new(
            &digest(1),
            "github",
            fetched,
            Answer::Bundles {
                documents: vec![BundleDocument {
                    origin: origin(),
                    json: "{}".into(),
                }],
                ignored: vec![],
            },
        );
        assert!(some.is_fresh(later, ttl));
    }

    /// An entry dated after now (a clock set back, or a cache shared with
    /// a machine whose clock is ahead) would otherwise stay fresh for as
    /// long as it is in the future, on top of its time to live.
    #[test]
    fn a_negative_answer_dated_in_the_future_is_not_fresh() {
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let ttl = jiff::SignedDuration::from_hours(24);
        for ahead in [1, 3600, 48 * 3600] {
            let fetched = now + jiff::SignedDuration::from_secs(ahead);
            let entry = CacheEntry::new(&digest(1), "github", fetched, Answer::NoAttestation);
            assert!(!entry.is_fresh(now, ttl), "fetched {ahead} s ahead");
        }
    }

    #[test]
    fn torn_entries_are_ignored_and_leftovers_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        {
            let cache = Cache::open(dir.path()).unwrap();
            let entry = CacheEntry::new(&digest(3), "github", now, Answer::NoAttestation);
            cache.write(&digest(3), &entry).unwrap();
            let path = cache.entry_path(&digest(3), "github");
            // A half-written temporary file of a killed run, and a torn entry.
            std::fs::write(path.with_file_name(".tmpKILLED"), b"{\"form").unwrap();
            std::fs::write(&path, b"{\"format\":1,\"dig").unwrap();
            assert_eq!(cache.read(&digest(3), "github"), None);
        }
        let cache = Cache::open(dir.path()).unwrap();
        let path = cache.entry_path(&digest(3), "github");
        assert!(!path.with_file_name(".tmpKILLED").exists());
        // While another run holds the cache, leftovers are not touched.
        std::fs::write(path.with_file_name(".tmpLIVE"), b"x").unwrap();
        let _second = Cache::open(dir.path()).unwrap();
        assert!(path.with_file_name(".tmpLIVE").exists());
    }
}
