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
//! index/v1/AB/ABCD….json                    a sparse index's file or config.json
//!                                          (crate::sources::sparse_index)
//! ```
//!
//! Entries are keyed by the artifact's SHA-256 (hex, from a parsed digest)
//! and a hash of the source's label, so no name from a lockfile, a server or
//! a configuration ever becomes a path component.
//!
//! The folder may be shared between users and CI jobs, so nothing in it
//! is trusted: every file below the root is opened through [`confined`]
//! (no path component followed if it is a symbolic link, no FIFO or device
//! read), entries are bound to their digest and source, and their strings
//! (origins, locations, reasons, registry data) are data to show, never to
//! act on.
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
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;

use crate::origin::{BundleOrigin, RegistryAssertion, RegistryRecord};

/// Bumped when the entry format changes; old entries are then simply absent.
const FORMAT: u32 = 1;
/// Entries larger than this are not read (real ones are a few hundred KiB at most).
const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;
/// The lock file, under the root.
const LOCK: &str = "lock";

mod confined;
use confined::is_refused;
pub(crate) use confined::Confined;

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
    /// The open root folder, through which every file below it is reached.
    dir: std::sync::Arc<Confined>,
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
    ///
    /// The root is the path given (followed like any path the user names);
    /// `lock` and everything else below it must not be a symbolic link.
    pub fn open(root: &Path) -> Result<Self, CacheError> {
        use fs4::FileExt;
        let lock_path = root.join(LOCK);
        let created = std::fs::create_dir_all(root);
        let dir = match Confined::open(root) {
            Ok(dir) => dir,
            Err(error) => return Err(io_error(root)(created.err().unwrap_or(error))),
        };
        let writable = created.and_then(|()| dir.open_file(Path::new(LOCK), true));
        let (lock, read_only) = match writable {
            Ok(lock) => (lock, false),
            Err(error) if cannot_write(&error) => match dir.open_file(Path::new(LOCK), false) {
                Err(error) if is_refused(&error) => return Err(io_error(&lock_path)(error)),
                opened => (opened.ok().flatten(), true),
            },
            Err(error) => return Err(io_error(&lock_path)(error)),
        };
        let cache = Self {
            root: root.to_path_buf(),
            dir: std::sync::Arc::new(dir),
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

    fn attestations_dir() -> PathBuf {
        Path::new("attestations").join(format!("v{FORMAT}"))
    }

    /// The file of one source's entry for one artifact, below the root.
    /// One flat file per entry (under a 256-way fan-out) rather than a
    /// folder per artifact: creating inodes is most of the cost of filling
    /// a cold cache.
    fn entry_relative(digest: &Sha256Hash, source: &str) -> PathBuf {
        let hex = digest.to_hex();
        let key = sigstore_crypto::sha256(source.as_bytes()).to_hex();
        Self::attestations_dir()
            .join(&hex[..2])
            .join(format!("{hex}-{}.json", &key[..32]))
    }

    /// The path of one source's entry for one artifact.
    pub fn entry_path(&self, digest: &Sha256Hash, source: &str) -> PathBuf {
        self.root.join(Self::entry_relative(digest, source))
    }

    /// The cached answer of `source` for `digest`, if there is a readable
    /// one. An entry that is a link, not a regular file, too large, does not
    /// parse, or is for another artifact or source is ignored as absent.
    /// The origins in it are set to `source`: the entry's own words for
    /// where its bundles came from are not taken.
    pub fn read(&self, digest: &Sha256Hash, source: &str) -> Option<CacheEntry> {
        let bytes = self
            .dir
            .read(&Self::entry_relative(digest, source), MAX_ENTRY_BYTES)
            .ok()??;
        let mut entry: CacheEntry = serde_json::from_slice(&bytes).ok()?;
        // An entry for another artifact or source (a file copied by hand) is not this one.
        let expected = format!("sha256:{}", digest.to_hex());
        if !(entry.format == FORMAT && entry.digest == expected && entry.source == source) {
            return None;
        }
        if let Answer::Bundles { documents, ignored } = &mut entry.answer {
            let origins = documents
                .iter_mut()
                .map(|d| &mut d.origin)
                .chain(ignored.iter_mut().map(|i| &mut i.origin));
            for origin in origins {
                origin.source = source.to_string();
            }
        }
        Some(entry)
    }

    /// The bytes of the file `relative` (below the root), if it exists.
    /// An error for a link, a file that is not a regular one, or one larger
    /// than `max`.
    pub fn read_file(&self, relative: &Path, max: u64) -> Result<Option<Vec<u8>>, CacheError> {
        self.dir
            .read(relative, max)
            .map_err(io_error(&self.root.join(relative)))
    }

    /// Write the file `relative` (below the root) atomically, creating its
    /// folders; nothing is followed if it is a link.
    pub fn write_file(&self, relative: &Path, bytes: &[u8]) -> Result<(), CacheError> {
        self.dir
            .write_atomic(relative, bytes)
            .map_err(io_error(&self.root.join(relative)))
    }

    /// Every regular file under the folder `relative` (down to `depth`
    /// folders below it), with its bytes; an error for a link or any other
    /// kind of file, or past `max_files` files or `max_bytes` in all.
    pub fn files(
        &self,
        relative: &Path,
        depth: usize,
        max_files: usize,
        max_bytes: u64,
    ) -> Result<Vec<(PathBuf, Vec<u8>)>, CacheError> {
        self.dir
            .files(relative, depth, max_files, max_bytes)
            .map_err(io_error(&self.root.join(relative)))
    }

    /// Store an entry atomically (temporary file, then rename).
    ///
    /// In a folder that cannot be written (read-only, no permission, full),
    /// the first failed write returns the error and later ones are skipped,
    /// so that one problem is reported once rather than once per package.
    pub fn write(&self, digest: &Sha256Hash, entry: &CacheEntry) -> Result<(), CacheError> {
        use std::sync::atomic::Ordering;
        let relative = Self::entry_relative(digest, &entry.source);
        let path = self.root.join(&relative);
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
        match self.write_file(&relative, &bytes) {
            // A planted link stops writing too: the folder is not fit for it.
            Err(CacheError::Io { source, .. }) if cannot_write(&source) || is_refused(&source) => {
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

    /// Where one instance's TUF metadata and targets are kept, below the root.
    pub fn tuf_relative(instance: &str) -> PathBuf {
        Path::new("tuf").join(instance)
    }

    /// The folder of one instance's TUF metadata and targets.
    pub fn tuf_dir(&self, instance: &str) -> PathBuf {
        self.root.join(Self::tuf_relative(instance))
    }

    /// Remove temporary files under the cache (only called while no other
    /// run holds the lock). Errors are ignored: a leftover is harmless.
    fn remove_leftovers(&self) {
        self.dir.remove_temporaries(&Self::attestations_dir(), 1);
        self.dir.remove_temporaries(Path::new("tuf"), 2);
        self.dir
            .remove_temporaries(&Path::new("index").join("v1"), 1);
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
    fn an_entry_cannot_say_its_bundles_came_from_another_source() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut claimed = origin();
        claimed.source = "dir:vendor/trusted".into();
        let answer = Answer::Bundles {
            documents: vec![BundleDocument {
                origin: claimed.clone(),
                json: "{}".into(),
            }],
            ignored: vec![IgnoredBundle {
                origin: claimed,
                reason: "x".into(),
            }],
        };
        let entry = CacheEntry::new(&digest(4), "github", now, answer);
        cache.write(&digest(4), &entry).unwrap();
        let Some(CacheEntry {
            answer: Answer::Bundles { documents, ignored },
            ..
        }) = cache.read(&digest(4), "github")
        else {
            panic!("the entry reads back");
        };
        assert_eq!(documents[0].origin.source, "github");
        assert_eq!(ignored[0].origin.source, "github");
    }

    /// An entry is used only where it was written: a file copied by hand
    /// to another artifact's or source's place, or left by another entry
    /// format, is not an answer, whichever one of the three differs.
    #[test]
    fn an_entry_is_read_only_for_its_own_format_digest_and_source() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let entry = CacheEntry::new(&digest(5), "github", now, Answer::NoAttestation);
        let place = cache.entry_path(&digest(5), "github");
        let plant = |entry: &CacheEntry| {
            std::fs::create_dir_all(place.parent().unwrap()).unwrap();
            std::fs::write(&place, serde_json::to_vec(entry).unwrap()).unwrap();
        };
        plant(&entry);
        assert_eq!(cache.read(&digest(5), "github"), Some(entry.clone()));
        let mut other_digest = entry.clone();
        other_digest.digest = format!("sha256:{}", digest(6).to_hex());
        let mut other_source = entry.clone();
        other_source.source = "crates-io".into();
        let mut other_format = entry.clone();
        other_format.format = FORMAT + 1;
        for (what, planted) in [
            ("digest", other_digest),
            ("source", other_source),
            ("format", other_format),
        ] {
            plant(&planted);
            assert_eq!(cache.read(&digest(5), "github"), None, "another {what}");
        }
    }

    /// Real entries reach a few hundred KiB; the limit (64 MiB) is far
    /// above that, and an entry of a few MiB is read.
    #[test]
    fn an_entry_of_a_few_mebibytes_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let answer = Answer::Bundles {
            documents: vec![BundleDocument {
                origin: origin(),
                json: format!("{{\"pad\":\"{}\"}}", "a".repeat(3 << 20)),
            }],
            ignored: vec![],
        };
        let entry = CacheEntry::new(&digest(7), "github", now, answer);
        cache.write(&digest(7), &entry).unwrap();
        assert_eq!(cache.read(&digest(7), "github"), Some(entry));
    }

    /// A registry answer is negative (it expires) only with neither a
    /// publisher nor a record of the version.
    #[test]
    fn a_registry_answer_with_a_record_or_a_publisher_is_not_negative() {
        let assertion = || {
            Some(RegistryAssertion {
                registry: "crates.io".into(),
                provider: "github".into(),
                repository: "https://github.com/org/a".into(),
                sha: None,
                run_id: None,
                trustpub_only: None,
            })
        };
        let record = || {
            Some(RegistryRecord {
                repository: None,
                trustpub_only: Some(true),
                published: None,
            })
        };
        let answer = |assertion, record| Answer::Registry { assertion, record };
        assert!(answer(None, None).is_negative());
        assert!(!answer(assertion(), None).is_negative());
        assert!(!answer(None, record()).is_negative());
        assert!(!answer(assertion(), record()).is_negative());
    }

    /// Only a folder that cannot be written opens read-only; any other
    /// failure to open the lock file (here: it is a folder) is an error.
    #[test]
    fn a_lock_that_cannot_be_opened_for_another_reason_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(LOCK)).unwrap();
        assert!(Cache::open(dir.path()).is_err());
    }

    /// An entry that cannot be written for a reason of its own (here a
    /// folder sits at its name) fails alone: the cache is not taken for
    /// read-only, and later entries are still stored.
    #[test]
    fn one_entry_failing_to_be_written_stops_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let blocked = cache.entry_path(&digest(8), "github");
        std::fs::create_dir_all(blocked.join("inside")).unwrap();
        let entry = |byte| CacheEntry::new(&digest(byte), "github", now, Answer::NoAttestation);
        assert!(cache.write(&digest(8), &entry(8)).is_err());
        cache.write(&digest(9), &entry(9)).unwrap();
        assert_eq!(cache.read(&digest(9), "github"), Some(entry(9)));
        assert!(
            cache.write(&digest(8), &entry(8)).is_err(),
            "reported each time"
        );
    }

    #[test]
    fn the_default_folder_is_named_for_the_tool() {
        let dir = Cache::default_dir().expect("a home folder");
        assert!(
            dir.ends_with("cargo-verify-provenance"),
            "{}",
            dir.display()
        );
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
