//! A package's files as git would name them: each file's blob ID (SHA-1
//! with collision detection, as git computes it, or SHA-256), the IDs of
//! its bytes with other line endings, and whether it is compiled code.
//! Computed once from the unpacked `.crate`, which can then be dropped.

use super::binary::is_binary;
use crate::crate_file::Archive;
use crate::git::{object_id, ObjectFormat, ObjectId, ObjectKind};

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    /// Inside the package folder.
    pub path: Box<str>,
    /// The blob ID of its bytes.
    pub id: ObjectId,
    /// The blob ID with every CRLF made LF, when it has a CRLF.
    pub id_lf: Option<ObjectId>,
    /// The blob ID with every lone LF made CRLF, when it has one.
    pub id_crlf: Option<ObjectId>,
    pub binary: bool,
}

/// Every file of a package, by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageListing {
    pub files: Vec<PackageFile>,
    /// Files whose SHA-1 shows a collision attack: no SHA-1 match with them
    /// means anything.
    pub collisions: Vec<String>,
}

impl PackageListing {
    /// The listing of `archive` in `format`.
    pub fn of(archive: &Archive, format: ObjectFormat) -> Self {
        Self::without_line_endings(archive, format).with_line_endings(archive, format)
    }

    /// The listing of `archive` in `format` without the IDs of the files with other line
    /// endings (`id_lf`, `id_crlf` all `None`): a comparison with it finds
    /// the same, except that a file differing in line endings only is
    /// among those that differ. A third of the hashing, for a comparison
    /// whose files mostly match.
    pub fn without_line_endings(archive: &Archive, format: ObjectFormat) -> Self {
        let mut listing = Self {
            files: Vec::with_capacity(archive.len()),
            ..Self::default()
        };
        for (path, bytes) in archive.files() {
            let (id, collided) = blob_id(format, bytes);
            if collided {
                listing.collisions.push(path.to_string());
            }
            listing.files.push(PackageFile {
                path: path.into(),
                id,
                id_lf: None,
                id_crlf: None,
                binary: is_binary(bytes),
            });
        }
        listing
    }

    /// This listing of `archive` with the IDs of each file in other line
    /// endings added: each file's own ID is not computed again.
    pub fn with_line_endings(mut self, archive: &Archive, format: ObjectFormat) -> Self {
        for file in &mut self.files {
            let Some(bytes) = archive.file(&file.path) else {
                continue;
            };
            file.id_lf = crlf_to_lf(bytes).map(|b| blob_id(format, &b).0);
            file.id_crlf = lf_to_crlf(bytes).map(|b| blob_id(format, &b).0);
        }
        self
    }

    pub fn get(&self, path: &str) -> Option<&PackageFile> {
        self.files.iter().find(|f| &*f.path == path)
    }
}

/// git's blob ID of `bytes`; with SHA-1, whether the collision detector
/// flagged it.
pub fn blob_id(format: ObjectFormat, bytes: &[u8]) -> (ObjectId, bool) {
    object_id(format, ObjectKind::Blob, bytes)
}

/// `bytes` with each CRLF made LF; `None` when there is none.
fn crlf_to_lf(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.windows(2).any(|w| w == b"\r\n") {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter().peekable();
    while let Some(&byte) = iter.next() {
        if byte == b'\r' && iter.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(byte);
    }
    Some(out)
}

/// `bytes` with each LF not after a CR made CRLF; `None` when there is none.
fn lf_to_crlf(bytes: &[u8]) -> Option<Vec<u8>> {
    let lone = |i: usize| bytes[i] == b'\n' && (i == 0 || bytes[i - 1] != b'\r');
    if !(0..bytes.len()).any(lone) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
    for (i, byte) in bytes.iter().enumerate() {
        if lone(i) {
            out.push(b'\r');
        }
        out.push(*byte);
    }
    Some(out)
}
