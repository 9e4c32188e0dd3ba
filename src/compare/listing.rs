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
        Self::listed(archive, format, true)
    }

    /// [`PackageListing::of`] without the IDs of the files with other line
    /// endings (`id_lf`, `id_crlf` all `None`): a comparison with it finds
    /// the same, except that a file differing in line endings only is
    /// among those that differ. Half the hashing, for a comparison whose
    /// files mostly match.
    pub fn without_line_endings(archive: &Archive, format: ObjectFormat) -> Self {
        Self::listed(archive, format, false)
    }

    fn listed(archive: &Archive, format: ObjectFormat, line_endings: bool) -> Self {
        let mut listing = Self {
            files: Vec::with_capacity(archive.len()),
            ..Self::default()
        };
        for (path, bytes) in archive.files() {
            let (id, collided) = blob_id(format, bytes);
            if collided {
                listing.collisions.push(path.to_string());
            }
            let other = |convert: fn(&[u8]) -> Option<Vec<u8>>| {
                line_endings
                    .then(|| convert(bytes))
                    .flatten()
                    .map(|b| blob_id(format, &b).0)
            };
            listing.files.push(PackageFile {
                path: path.into(),
                id,
                id_lf: other(crlf_to_lf),
                id_crlf: other(lf_to_crlf),
                binary: is_binary(bytes),
            });
        }
        listing
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
