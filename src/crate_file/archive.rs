//! Reading a `.crate` (a gzip'd tar) in memory, entry by entry, as hostile
//! input: nothing is ever written to disk, and every entry that cargo would
//! not have written, or that could escape the package folder when unpacked,
//! is an error that names it.

use std::collections::BTreeMap;
use std::io::Read;

use flate2::read::GzDecoder;
use miette::Diagnostic;

/// A `.crate` that unpacks to more than this is refused (a gzip or tar
/// bomb). crates.io itself refuses uploads that unpack past 512 MiB; real
/// packages are a few hundred KiB, the largest few tens of MiB.
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// A `.crate` with more entries than this is refused (a tar bomb of empty
/// files); the largest real packages hold a few thousand.
pub const MAX_ENTRIES: usize = 50_000;
/// A path inside a package longer than this is refused.
pub const MAX_PATH_BYTES: usize = 4096;

/// Why a `.crate` could not be read. Each is a refusal, never a pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum ArchiveError {
    #[error("the .crate is not a valid gzip'd tar: {0}")]
    #[diagnostic(code("crate-not-tar-gz"))]
    Malformed(String),
    #[error("the .crate unpacks to more than {limit} bytes (a gzip or tar bomb)")]
    #[diagnostic(code("crate-too-large"))]
    TooLarge { limit: u64 },
    #[error("the .crate holds more than {limit} entries (a tar bomb)")]
    #[diagnostic(code("crate-too-many-entries"))]
    TooManyEntries { limit: usize },
    #[error("entry `{path}` is outside the package folder `{prefix}/`")]
    #[diagnostic(code("crate-entry-outside"))]
    OutsidePackage { path: String, prefix: String },
    #[error("entry `{path}` has an absolute path")]
    #[diagnostic(code("crate-entry-absolute"))]
    Absolute { path: String },
    #[error("entry `{path}` has a `..`, `.` or empty path component")]
    #[diagnostic(code("crate-entry-traversal"))]
    Traversal { path: String },
    #[error("entry `{path}` is not valid UTF-8 or holds a backslash or a control character")]
    #[diagnostic(code("crate-entry-name"))]
    BadName { path: String },
    #[error("entry `{path}` is a {kind} (a package holds regular files only)")]
    #[diagnostic(code("crate-entry-link"))]
    Link { path: String, kind: &'static str },
    #[error("entry `{path}` is a {kind} (a package holds regular files only)")]
    #[diagnostic(code("crate-entry-special"))]
    Special { path: String, kind: &'static str },
    #[error("entry `{path}` appears twice")]
    #[diagnostic(code("crate-entry-duplicate"))]
    Duplicate { path: String },
    #[error("entry `{path}` ends before its declared size")]
    #[diagnostic(code("crate-entry-truncated"))]
    Truncated { path: String },
}

/// The files of a package, read whole into memory: path inside the package
/// folder (`src/lib.rs`, never with the `NAME-VERSION/` prefix) → bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archive {
    files: BTreeMap<String, Vec<u8>>,
}

impl Archive {
    /// Every file, in path order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice()))
    }

    /// One file's bytes, by its path inside the package.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// How many files it holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    #[cfg(any(test, feature = "testkit"))]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Read a `.crate` whose every entry must lie under `prefix/`
/// (`NAME-VERSION`), within the default limits.
pub fn read(gzip: &[u8], prefix: &str) -> Result<Archive, ArchiveError> {
    read_bounded(gzip, prefix, MAX_UNPACKED_BYTES, MAX_ENTRIES)
}

/// [`read`] with the given limits.
///
/// Checks, in order, for each entry: the entry count; the decompressed
/// bytes so far (the decoder is never asked for more than `max_bytes + 1`,
/// whatever a header declares); the entry's type (regular files only;
/// directories are skipped; hard and symbolic links, devices, FIFOs, sparse
/// and unknown types refused); its path (UTF-8, no backslash or control
/// character, relative, no `.`, `..` or empty component, under `prefix/`);
/// that no earlier entry had the same path; that its bytes are all there.
pub fn read_bounded(
    gzip: &[u8],
    prefix: &str,
    max_bytes: u64,
    max_entries: usize,
) -> Result<Archive, ArchiveError> {
    let hit = std::rc::Rc::new(std::cell::Cell::new(false));
    let capped = Capped {
        inner: GzDecoder::new(gzip),
        left: max_bytes,
        hit: hit.clone(),
    };
    let mut tar = tar::Archive::new(capped);
    let failed = |error: std::io::Error| {
        if hit.get() {
            ArchiveError::TooLarge { limit: max_bytes }
        } else {
            malformed(error)
        }
    };
    let entries = tar.entries().map_err(failed)?;
    let mut archive = Archive::default();
    let mut unpacked = 0u64;
    for (count, entry) in entries.enumerate() {
        if count >= max_entries {
            return Err(ArchiveError::TooManyEntries { limit: max_entries });
        }
        let mut entry = entry.map_err(failed)?;
        let raw_path = entry.path_bytes().into_owned();
        let Some(path) = checked_path(&raw_path, prefix, entry.header().entry_type())? else {
            continue;
        };
        let declared = entry.header().size().map_err(malformed)?;
        if unpacked.saturating_add(declared) > max_bytes {
            return Err(ArchiveError::TooLarge { limit: max_bytes });
        }
        let mut bytes = Vec::with_capacity(usize::try_from(declared.min(1 << 20)).unwrap_or(0));
        (&mut entry)
            .take(declared)
            .read_to_end(&mut bytes)
            .map_err(failed)?;
        if bytes.len() as u64 != declared {
            return Err(ArchiveError::Truncated { path });
        }
        unpacked += declared;
        if archive.files.contains_key(&path) {
            return Err(ArchiveError::Duplicate { path });
        }
        archive.files.insert(path, bytes);
    }
    Ok(archive)
}

/// The entry's path inside the package, or `None` for a directory entry
/// (cargo writes none, and they carry no bytes to compare).
fn checked_path(
    raw: &[u8],
    prefix: &str,
    kind: tar::EntryType,
) -> Result<Option<String>, ArchiveError> {
    let shown = String::from_utf8_lossy(raw).into_owned();
    let path = std::str::from_utf8(raw)
        .ok()
        .filter(|p| p.len() <= MAX_PATH_BYTES)
        .filter(|p| !p.contains('\\') && !p.chars().any(char::is_control))
        .ok_or(ArchiveError::BadName {
            path: shown.clone(),
        })?;
    check_kind(kind, &shown)?;
    if path.starts_with('/') {
        return Err(ArchiveError::Absolute { path: shown });
    }
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if trimmed
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(ArchiveError::Traversal { path: shown });
    }
    if kind == tar::EntryType::Directory {
        return Ok(None);
    }
    match trimmed
        .strip_prefix(prefix)
        .and_then(|p| p.strip_prefix('/'))
    {
        Some(inside) if !path.ends_with('/') => Ok(Some(inside.to_string())),
        _ => Err(ArchiveError::OutsidePackage {
            path: shown,
            prefix: prefix.to_string(),
        }),
    }
}

fn check_kind(kind: tar::EntryType, path: &str) -> Result<(), ArchiveError> {
    use tar::EntryType as T;
    let path = path.to_string();
    match kind {
        T::Regular | T::Continuous | T::Directory => Ok(()),
        T::Symlink => Err(ArchiveError::Link {
            path,
            kind: "symbolic link",
        }),
        T::Link => Err(ArchiveError::Link {
            path,
            kind: "hard link",
        }),
        T::Char => Err(ArchiveError::Special {
            path,
            kind: "character device",
        }),
        T::Block => Err(ArchiveError::Special {
            path,
            kind: "block device",
        }),
        T::Fifo => Err(ArchiveError::Special { path, kind: "FIFO" }),
        T::GNUSparse => Err(ArchiveError::Special {
            path,
            kind: "sparse file",
        }),
        _ => Err(ArchiveError::Special {
            path,
            kind: "entry of an unknown type",
        }),
    }
}

fn malformed(error: std::io::Error) -> ArchiveError {
    ArchiveError::Malformed(error.to_string())
}

/// A reader that yields at most `limit` bytes, then fails and remembers
/// that the limit, not the archive, stopped the read.
struct Capped<R> {
    inner: R,
    left: u64,
    hit: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream that ends exactly at the limit
            // from one that goes on.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.hit.set(true);
            return Err(std::io::Error::other("unpacked size limit reached"));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}
