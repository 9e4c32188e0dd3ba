//! `.crate` files as cargo writes them (a gzip'd tar, every entry under
//! `NAME-VERSION/`), and the hostile ones no real package holds: entries
//! with `..` or absolute paths, links, devices, duplicate names, gzip and
//! tar bombs.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

/// One tar entry, written as given (no path check): hostile ones included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// The whole path in the archive, `NAME-VERSION/` prefix included.
    pub path: Vec<u8>,
    pub kind: tar::EntryType,
    pub bytes: Vec<u8>,
    /// A link's target.
    pub link: Option<Vec<u8>>,
    /// The size written in the header; the bytes' length when `None`.
    pub declared_size: Option<u64>,
}

impl RawEntry {
    pub fn new(path: impl AsRef<[u8]>, kind: tar::EntryType, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            path: path.as_ref().to_vec(),
            kind,
            bytes: bytes.into(),
            link: None,
            declared_size: None,
        }
    }
}

/// A `.crate` being put together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateBuilder {
    stem: String,
    entries: Vec<RawEntry>,
}

impl CrateBuilder {
    /// An empty package `NAME-VERSION`.
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            stem: format!("{name}-{version}"),
            entries: Vec::new(),
        }
    }

    /// `NAME-VERSION`.
    pub fn stem(&self) -> &str {
        &self.stem
    }

    /// A regular file at `path` inside the package folder.
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        let full = format!("{}/{path}", self.stem);
        self.entries
            .push(RawEntry::new(full, tar::EntryType::Regular, bytes));
        self
    }

    /// `.cargo_vcs_info.json` naming `commit` (and `path_in_vcs` when given).
    pub fn vcs_info(self, commit: &str, dirty: bool, path_in_vcs: Option<&str>) -> Self {
        let mut info = serde_json::json!({ "git": { "sha1": commit } });
        if dirty {
            info["git"]["dirty"] = true.into();
        }
        if let Some(path) = path_in_vcs {
            info["path_in_vcs"] = path.into();
        }
        let text = serde_json::to_string_pretty(&info).expect("json");
        self.file(".cargo_vcs_info.json", text)
    }

    /// Any entry, written exactly as given.
    pub fn raw(mut self, entry: RawEntry) -> Self {
        self.entries.push(entry);
        self
    }

    /// The gzip'd tar.
    pub fn build(&self) -> Vec<u8> {
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        write_tar(&mut gzip, &self.entries);
        gzip.finish().expect("gzip into memory")
    }
}

/// A tar of `entries` (then the two zero blocks that end an archive).
pub fn write_tar(out: &mut impl Write, entries: &[RawEntry]) {
    for entry in entries {
        out.write_all(&header(entry)).expect("write");
        out.write_all(&entry.bytes).expect("write");
        let padding = (512 - entry.bytes.len() % 512) % 512;
        out.write_all(&vec![0u8; padding]).expect("write");
    }
    out.write_all(&[0u8; 1024]).expect("write");
}

/// A ustar header written field by field, so that any name goes in as is.
fn header(entry: &RawEntry) -> [u8; 512] {
    let mut header = tar::Header::new_ustar();
    {
        let raw = header.as_old_mut();
        let len = entry.path.len().min(100);
        raw.name[..len].copy_from_slice(&entry.path[..len]);
        if let Some(link) = &entry.link {
            let len = link.len().min(100);
            raw.linkname[..len].copy_from_slice(&link[..len]);
        }
    }
    header.set_entry_type(entry.kind);
    header.set_mode(0o644);
    header.set_size(entry.declared_size.unwrap_or(entry.bytes.len() as u64));
    header.set_mtime(0);
    header.set_cksum();
    *header.as_bytes()
}

/// A gzip'd tar holding one file of `size` zero bytes: a few KiB that
/// unpack to `size` (a gzip bomb). Written in chunks, never whole in memory.
pub fn gzip_bomb(stem: &str, size: u64) -> Vec<u8> {
    let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
    let entry = RawEntry {
        declared_size: Some(size),
        ..RawEntry::new(format!("{stem}/zeros"), tar::EntryType::Regular, Vec::new())
    };
    gzip.write_all(&header(&entry)).expect("write");
    let chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        gzip.write_all(&chunk[..n]).expect("write");
        left -= n as u64;
    }
    gzip.finish().expect("gzip into memory")
}

/// A gzip'd tar of `count` empty files (a tar bomb by number).
pub fn tar_bomb(stem: &str, count: usize) -> Vec<u8> {
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    for n in 0..count {
        let entry = RawEntry::new(format!("{stem}/f{n}"), tar::EntryType::Regular, Vec::new());
        gzip.write_all(&header(&entry)).expect("write");
    }
    gzip.write_all(&[0u8; 1024]).expect("write");
    gzip.finish().expect("gzip into memory")
}
