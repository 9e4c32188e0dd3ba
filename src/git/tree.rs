//! A commit's tree as a flat, sorted list of every file's path, kind and
//! object ID (as `git ls-tree -r` lists it), read from the tree objects
//! ([`super::objects::walk`]).

use std::fmt;

/// The hash a repository names its objects with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectFormat {
    Sha1,
    Sha256,
}

impl ObjectFormat {
    /// The format of an object ID written in hex (40 or 64 digits).
    pub fn of_hex(hex: &str) -> Option<Self> {
        match hex.len() {
            40 => Some(Self::Sha1),
            64 => Some(Self::Sha256),
            _ => None,
        }
    }

    /// The length of its IDs, in bytes.
    pub fn id_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// `sha1` or `sha256`, as `git init --object-format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
        }
    }
}

/// A git object ID (SHA-1 or SHA-256).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    bytes: [u8; 32],
    len: u8,
}

impl ObjectId {
    /// From raw bytes: 20 (SHA-1) or 32 (SHA-256).
    pub fn from_bytes(raw: &[u8]) -> Option<Self> {
        if raw.len() != 20 && raw.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 32];
        bytes[..raw.len()].copy_from_slice(raw);
        Some(Self {
            bytes,
            len: raw.len() as u8,
        })
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        ObjectFormat::of_hex(text)?;
        Self::from_bytes(&hex::decode(text).ok()?)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.as_bytes())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// What a tree entry is, by its mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// `100644` (and the old `100664`).
    File,
    /// `100755`.
    Executable,
    /// `120000`: the blob holds the link's target.
    Symlink,
    /// `160000`: a commit of another repository (a submodule).
    Submodule,
}

/// One file of a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeEntry {
    pub kind: EntryKind,
    pub id: ObjectId,
}

/// Every file of a commit, by path (`/`-separated, from the root).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// Sorted by path.
    entries: Vec<(Box<str>, TreeEntry)>,
}

impl Tree {
    /// A tree of these entries (any order).
    pub fn new(mut entries: Vec<(Box<str>, TreeEntry)>) -> Self {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Self { entries }
    }

    pub fn get(&self, path: &str) -> Option<&TreeEntry> {
        self.entries
            .binary_search_by(|(p, _)| (**p).cmp(path))
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// Whether any file lies below `dir` (`""`: the root).
    #[cfg(test)]
    pub fn is_dir(&self, dir: &str) -> bool {
        self.first_below(dir).is_some()
    }

    /// The first file below `dir` (`""`: the root), by path.
    pub fn first_below(&self, dir: &str) -> Option<&str> {
        if dir.is_empty() {
            return self.entries.first().map(|(p, _)| &**p);
        }
        let prefix = format!("{dir}/");
        let start = self.entries.partition_point(|(p, _)| **p < *prefix);
        self.entries
            .get(start)
            .map(|(p, _)| &**p)
            .filter(|p| p.starts_with(&prefix))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &TreeEntry)> {
        self.entries.iter().map(|(p, e)| (&**p, e))
    }
}
