//! The on-disk cache of what sources answered, shared by concurrent runs.
//!
//! Layout under the cache directory (`--cache-dir`,
//! `CARGO_VERIFY_PROVENANCE_CACHE`, else the user cache directory):
//!
//! ```text
//! lock                                   advisory lock file
//! attestations/v3/AB/ABCD….json          one source's answer about one artifact
//!                                        (an Entry<Answer>, named by its identity's key)
//! tuf/INSTANCE/                          TUF metadata and targets (trust-root update)
//! tuf/INSTANCE.refreshed.json            when that TUF refresh succeeded
//! index/v1/AB/ABCD….json                 a sparse index's file or config.json
//!                                        (an Entry, crate::sources::sparse_index)
//! ```
//!
//! # An entry is read only by the configuration that wrote it
//!
//! Every entry answers one question, and its [`Identity`] is that question
//! in full: the kind of entry ([`EntryKind`]) and every input that can
//! change the answer. For a source's answer about an artifact, that is the
//! source's whole definition (its kind, every URL, organization and
//! predicate type: the serialized [`crate::sources::SourceSpec`]) and the
//! artifact's SHA-256. The identity's canonical JSON (keys sorted) is
//!
//! 1. hashed (SHA-256) into the entry's file name, so two configurations
//!    that differ in anything never look at the same file;
//! 2. stored in the entry, and compared on read with the identity asked
//!    for: a file copied to another name, or left by another version, is
//!    absent.
//!
//! So no name from a lockfile, a server or a configuration ever becomes a
//! path component (only hex does), and a project whose policy points a
//! source somewhere else cannot answer for another project sharing the
//! folder. Projects of one configuration (the CI jobs of one repository)
//! still share every answer.
//!
//! A new kind of entry (say, a comparison of a `.crate` with its
//! repository, keyed by the package's checksum, the repository and the
//! commit; or a sparse-index file with its `ETag`) follows the same rule:
//! add an [`EntryKind`] (its folder and format version), build its
//! [`Identity`] from every input its answer depends on, and store it with
//! [`Cache::write_entry`] / read it with [`Cache::read_entry`], which do
//! the hashing, the storing and the comparing. Whatever the entry holds is
//! still data from a shared folder: verify it before it counts.
//!
//! How long an answer is used ([`CacheEntry::is_usable`]): the positive
//! answers of the official services at their default addresses
//! (api.github.com, crates.io) for good; negative answers ("nothing here")
//! and every answer of any other source (a mirror, an API URL set in a
//! policy, a URL template) only for the configured time to live
//! (`[cache] no-attestation-ttl`). A cached bundle that fails verification
//! is removed and asked for again when the run is online
//! ([`Cache::remove_entry`]).
//!
//! # A folder shared with others
//!
//! The folder may be shared between users and CI jobs, so nothing in it
//! is trusted: every file below the root is opened through [`confined`]
//! (no path component followed if it is a symbolic link, no FIFO or device
//! read), entries are bound to their identity, and their strings
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
use serde::de::DeserializeOwned;
use serde::Serialize;
use sigstore_types::Sha256Hash;

/// Entries larger than this are not read (real ones are a few hundred KiB at most).
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;
/// The lock file, under the root.
const LOCK: &str = "lock";

mod bundle;
mod confined;
mod entry;
pub use bundle::ReadBundle;
use confined::is_refused;
pub(crate) use confined::Confined;
pub use entry::{
    Answer, BundleDocument, CacheEntry, Entry, EntryKind, Identity, IgnoredBundle, SourceKey,
};

/// The cache could not be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CacheError {
    // The cause is in the message, and so not a `source`: said once.
    #[error("cache {}: {cause}", path.display())]
    #[diagnostic(
        code("cache-io"),
        help("check the cache directory's permissions and free space, or choose another with --cache-dir or CARGO_VERIFY_PROVENANCE_CACHE")
    )]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the cache directory {} is not a directory", path.display())]
    #[diagnostic(
        code("cache-not-a-directory"),
        help("remove or rename that file, or choose another cache directory with --cache-dir or CARGO_VERIFY_PROVENANCE_CACHE")
    )]
    NotADirectory { path: PathBuf },
    #[error("no cache directory: the user cache directory is unknown on this system")]
    #[diagnostic(
        code("cache-dir-unknown"),
        help("set CARGO_VERIFY_PROVENANCE_CACHE to a directory")
    )]
    NoDirectory,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> CacheError + '_ {
    move |cause| CacheError::Io {
        path: path.to_path_buf(),
        cause,
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
        if std::fs::metadata(root).is_ok_and(|m| !m.is_dir()) {
            return Err(CacheError::NotADirectory {
                path: root.to_path_buf(),
            });
        }
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

    /// The path of the entry answering for `identity`.
    #[cfg(any(test, feature = "testkit"))]
    pub fn entry_path(&self, identity: &Identity) -> PathBuf {
        self.root.join(identity.relative_path())
    }

    /// The entry answering for `identity`, if there is a readable one.
    ///
    /// Checks, in order: the file is a regular file reached through no
    /// link, of at most `MAX_ENTRY_BYTES`; it parses as an entry; its
    /// format is its kind's current one; its identity is the one asked for
    /// (a file copied from another entry's place is not this answer). Any
    /// failure reads as absent.
    pub fn read_entry<T: DeserializeOwned>(&self, identity: &Identity) -> Option<Entry<T>> {
        let bytes = self
            .dir
            .read(&identity.relative_path(), MAX_ENTRY_BYTES)
            .ok()??;
        let entry: Entry<T> = serde_json::from_slice(&bytes).ok()?;
        (entry.format == identity.kind.format() && entry.identity == *identity).then_some(entry)
    }

    /// `source`'s cached answer about `digest` ([`Cache::read_entry`]).
    /// The origins in it are set to the source's label: the entry's own
    /// words for where its bundles came from are not taken.
    pub fn read(&self, digest: &Sha256Hash, source: &SourceKey) -> Option<CacheEntry> {
        let mut entry: CacheEntry = self.read_entry(&source.answer_identity(digest))?;
        if let Answer::Bundles { documents, ignored } = &mut entry.value {
            let origins = documents
                .iter_mut()
                .map(|d| &mut d.origin)
                .chain(ignored.iter_mut().map(|i| &mut i.origin));
            for origin in origins {
                origin.source.clone_from(&source.label);
            }
        }
        Some(entry)
    }

    /// Remove the entry answering for `identity` (an answer found wrong),
    /// so that it is asked for again. Nothing is followed if it is a link.
    pub fn remove_entry(&self, identity: &Identity) -> Result<(), CacheError> {
        let relative = identity.relative_path();
        self.dir
            .remove(&relative)
            .map_err(io_error(&self.root.join(relative)))
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

    /// Store an entry atomically (temporary file, then rename), at the
    /// place of its identity.
    ///
    /// In a folder that cannot be written (read-only, no permission, full),
    /// the first failed write returns the error and later ones are skipped,
    /// so that one problem is reported once rather than once per package.
    pub fn write_entry<T: Serialize>(&self, entry: &Entry<T>) -> Result<(), CacheError> {
        use std::sync::atomic::Ordering;
        let relative = entry.identity.relative_path();
        let path = self.root.join(&relative);
        if self.unwritable.load(Ordering::Relaxed) {
            if self.reported.swap(true, Ordering::Relaxed) {
                return Ok(());
            }
            return Err(CacheError::Io {
                path: self.root.clone(),
                cause: std::io::Error::new(
                    std::io::ErrorKind::ReadOnlyFilesystem,
                    "the cache folder cannot be written; answers fetched in this run are not stored",
                ),
            });
        }
        let bytes = capped_json(entry).map_err(|cause| CacheError::Io {
            path: path.clone(),
            cause,
        })?;
        match self.write_file(&relative, &bytes) {
            // A planted link stops writing too: the folder is not fit for it.
            Err(CacheError::Io { cause, .. }) if cannot_write(&cause) || is_refused(&cause) => {
                self.unwritable.store(true, Ordering::Relaxed);
                if self.reported.swap(true, Ordering::Relaxed) {
                    return Ok(());
                }
                Err(CacheError::Io {
                    path,
                    cause: std::io::Error::new(
                        cause.kind(),
                        format!("{cause}; answers fetched in this run are not stored"),
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
        for kind in EntryKind::ALL {
            self.dir.remove_temporaries(&kind.folder(), 1);
        }
        self.dir.remove_temporaries(Path::new("tuf"), 2);
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

/// `entry` as JSON, refused (before more is allocated) past
/// [`MAX_ENTRY_BYTES`]: nothing is written that a read would ignore, and
/// so fetch again on every run.
fn capped_json<T: Serialize>(entry: &T) -> std::io::Result<Vec<u8>> {
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if (self.0.len() + bytes.len()) as u64 > MAX_ENTRY_BYTES {
                return Err(std::io::Error::other(format!(
                    "the answer is over the {MAX_ENTRY_BYTES} bytes a cache entry may hold; it is not stored"
                )));
            }
            self.0.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Capped(Vec::new());
    serde_json::to_writer(&mut out, entry).map_err(std::io::Error::other)?;
    Ok(out.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::BundleOrigin;

    fn digest(byte: u8) -> Sha256Hash {
        Sha256Hash::new([byte; 32])
    }

    fn origin() -> BundleOrigin {
        BundleOrigin {
            source: "github".into(),
            location: "https://api.github.com/x".into(),
        }
    }

    /// A github source at `api_url`.
    fn key(api_url: &str) -> SourceKey {
        SourceKey {
            label: "github".into(),
            identity: serde_json::json!({"kind": "github", "api_url": api_url}),
            official: false,
        }
    }

    fn github() -> SourceKey {
        key("https://api.github.com")
    }

    fn now() -> jiff::Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn bundles(json: String) -> Answer {
        Answer::Bundles {
            documents: vec![BundleDocument {
                origin: origin(),
                bundle: ReadBundle::read(json),
            }],
            ignored: vec![],
        }
    }

    /// An answer is read back by the source and artifact it answers for,
    /// and by no source of the same label at another address.
    #[test]
    fn an_entry_is_written_only_when_it_would_be_read_back() {
        let at_limit = "x".repeat(MAX_ENTRY_BYTES as usize - 2);
        assert_eq!(
            capped_json(&at_limit).unwrap().len() as u64,
            MAX_ENTRY_BYTES
        );
        let over = "x".repeat(MAX_ENTRY_BYTES as usize - 1);
        let error = capped_json(&over).unwrap_err();
        assert!(error.to_string().contains("not stored"), "{error}");
    }

    /// A bundle that parses (nothing in it is signed), with a string
    /// holding a quote.
    const BUNDLE: &str = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"k\"q"},"tlogEntries":[]},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAA"},"signature":"AAAA"}}"#;

    /// A bundle is stored as the JSON it is, its bytes once: not escaped
    /// inside a string. What reads back is the same text, parsed once into
    /// the same bundle; a member that is JSON but no bundle reads back with
    /// the reason (verification rejects it); an entry whose bundle is no
    /// JSON reads as absent.
    #[test]
    fn a_bundle_is_stored_as_its_own_json_and_read_typed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let entry = CacheEntry::answer(&digest(1), &github(), now(), bundles(BUNDLE.into()));
        cache.write_entry(&entry).unwrap();
        let place = cache.entry_path(&github().answer_identity(&digest(1)));
        let text = std::fs::read_to_string(&place).unwrap();
        assert!(text.contains(&format!(r#""json":{BUNDLE}"#)), "{text}");
        let read = cache.read(&digest(1), &github()).unwrap();
        assert_eq!(read, entry);
        let Answer::Bundles { documents, .. } = &read.value else {
            panic!("{read:?}")
        };
        let bundle = &documents[0].bundle;
        assert_eq!(bundle.json(), BUNDLE);
        assert_eq!(*bundle.digest(), sigstore_crypto::sha256(BUNDLE.as_bytes()));
        assert_eq!(
            bundle.bundle().unwrap(),
            &sigstore_types::Bundle::from_json(BUNDLE).unwrap()
        );

        std::fs::write(&place, text.replace(BUNDLE, r#"{"x":1}"#)).unwrap();
        let read = cache.read(&digest(1), &github()).unwrap();
        let Answer::Bundles { documents, .. } = &read.value else {
            panic!("{read:?}")
        };
        assert!(documents[0].bundle.bundle().is_err());
        std::fs::write(&place, text.replace(BUNDLE, r#"{"unclosed":"#)).unwrap();
        assert_eq!(cache.read(&digest(1), &github()), None);
    }

    #[test]
    fn entries_round_trip_per_digest_and_source_identity() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let entry = CacheEntry::answer(&digest(1), &github(), now(), bundles("{}".into()));
        cache.write_entry(&entry).unwrap();
        assert_eq!(cache.read(&digest(1), &github()), Some(entry));
        assert_eq!(cache.read(&digest(1), &key("http://127.0.0.1:1")), None);
        assert_eq!(cache.read(&digest(2), &github()), None);
        // The path is made of hex only, under the cache.
        let hostile = SourceKey {
            identity: serde_json::json!({"kind": "url", "template": "../../etc/{name}"}),
            ..github()
        };
        let path = cache.entry_path(&hostile.answer_identity(&digest(1)));
        assert!(path.starts_with(dir.path()));
        assert!(!path.to_string_lossy().contains(".."));
    }

    #[test]
    fn an_entry_cannot_say_its_bundles_came_from_another_source() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let mut claimed = origin();
        claimed.source = "dir:vendor/trusted".into();
        let answer = Answer::Bundles {
            documents: vec![BundleDocument {
                origin: claimed.clone(),
                bundle: ReadBundle::read("{}"),
            }],
            ignored: vec![IgnoredBundle {
                origin: claimed,
                reason: "x".into(),
            }],
        };
        let entry = CacheEntry::answer(&digest(4), &github(), now(), answer);
        cache.write_entry(&entry).unwrap();
        let Some(Entry {
            value: Answer::Bundles { documents, ignored },
            ..
        }) = cache.read(&digest(4), &github())
        else {
            panic!("the entry reads back");
        };
        assert_eq!(documents[0].origin.source, "github");
        assert_eq!(ignored[0].origin.source, "github");
    }

    /// An entry is used only where it was written: a file copied by hand
    /// to another question's place, or left by another entry format, is
    /// not an answer, whichever part of the identity differs.
    #[test]
    fn an_entry_is_read_only_for_its_own_format_and_identity() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let entry = CacheEntry::answer(&digest(5), &github(), now(), Answer::NoAttestation);
        let place = cache.entry_path(&entry.identity);
        let plant = |entry: &CacheEntry| {
            std::fs::create_dir_all(place.parent().unwrap()).unwrap();
            std::fs::write(&place, serde_json::to_vec(entry).unwrap()).unwrap();
        };
        plant(&entry);
        assert_eq!(cache.read(&digest(5), &github()), Some(entry.clone()));
        let mut other_format = entry.clone();
        other_format.format += 1;
        let other_digest = CacheEntry {
            identity: github().answer_identity(&digest(6)),
            ..entry.clone()
        };
        let other_source = CacheEntry {
            identity: key("http://127.0.0.1:1").answer_identity(&digest(5)),
            ..entry.clone()
        };
        for (what, planted) in [
            ("digest", other_digest),
            ("source", other_source),
            ("format", other_format),
        ] {
            plant(&planted);
            assert_eq!(cache.read(&digest(5), &github()), None, "another {what}");
        }
        // The bytes of the right entry, but not a JSON entry at all.
        std::fs::write(&place, b"[]").unwrap();
        assert_eq!(cache.read(&digest(5), &github()), None);
    }

    /// A removed entry is absent; removing one that is not there, or a
    /// link in its place, never touches anything else.
    #[test]
    fn a_removed_entry_is_gone_and_a_link_is_removed_as_a_name() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let entry = CacheEntry::answer(&digest(2), &github(), now(), Answer::NoAttestation);
        cache.write_entry(&entry).unwrap();
        cache.remove_entry(&entry.identity).unwrap();
        assert_eq!(cache.read(&digest(2), &github()), None);
        cache.remove_entry(&entry.identity).unwrap();
        cache
            .remove_entry(&github().answer_identity(&digest(3)))
            .unwrap();
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().unwrap();
            let target = outside.path().join("victim");
            std::fs::write(&target, b"keep").unwrap();
            let place = cache.entry_path(&entry.identity);
            std::os::unix::fs::symlink(&target, &place).unwrap();
            cache.remove_entry(&entry.identity).unwrap();
            assert!(!place.exists() && place.symlink_metadata().is_err());
            assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        }
    }

    /// Real entries reach a few hundred KiB; the limit (64 MiB) is far
    /// above that, and an entry of a few MiB is read.
    #[test]
    fn an_entry_of_a_few_mebibytes_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let answer = bundles(format!("{{\"pad\":\"{}\"}}", "a".repeat(3 << 20)));
        let entry = CacheEntry::answer(&digest(7), &github(), now(), answer);
        cache.write_entry(&entry).unwrap();
        assert_eq!(cache.read(&digest(7), &github()), Some(entry));
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
        let entry =
            |byte| CacheEntry::answer(&digest(byte), &github(), now(), Answer::NoAttestation);
        let blocked = cache.entry_path(&entry(8).identity);
        std::fs::create_dir_all(blocked.join("inside")).unwrap();
        assert!(cache.write_entry(&entry(8)).is_err());
        cache.write_entry(&entry(9)).unwrap();
        assert_eq!(cache.read(&digest(9), &github()), Some(entry(9)));
        assert!(cache.write_entry(&entry(8)).is_err(), "reported each time");
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
    fn torn_entries_are_ignored_and_leftovers_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let entry = CacheEntry::answer(&digest(3), &github(), now(), Answer::NoAttestation);
        {
            let cache = Cache::open(dir.path()).unwrap();
            cache.write_entry(&entry).unwrap();
            let path = cache.entry_path(&entry.identity);
            // A half-written temporary file of a killed run, and a torn entry.
            std::fs::write(path.with_file_name(".tmpKILLED"), b"{\"form").unwrap();
            std::fs::write(&path, b"{\"format\":2,\"ide").unwrap();
            assert_eq!(cache.read(&digest(3), &github()), None);
        }
        let cache = Cache::open(dir.path()).unwrap();
        let path = cache.entry_path(&entry.identity);
        assert!(!path.with_file_name(".tmpKILLED").exists());
        // While another run holds the cache, leftovers are not touched.
        std::fs::write(path.with_file_name(".tmpLIVE"), b"x").unwrap();
        let _second = Cache::open(dir.path()).unwrap();
        assert!(path.with_file_name(".tmpLIVE").exists());
    }
}
