//! A commit's tree as a flat, sorted list of every file's path, kind and
//! object ID (`git ls-tree -r -z`), read as hostile input.

use std::fmt;

use super::GitError;

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

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Parse `git ls-tree -r -z` output: `MODE SP TYPE SP ID TAB PATH NUL`.
///
/// Checks: at most `max_entries` entries; each mode is one of a file, an
/// executable, a symbolic link or a submodule; each ID is hex of the
/// repository's format; each path is UTF-8, relative, without `.`, `..` or
/// empty components; no path twice.
pub fn parse_ls_tree(
    output: &[u8],
    format: ObjectFormat,
    max_entries: usize,
) -> Result<Tree, GitError> {
    let mut entries = Vec::new();
    for record in output.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        if entries.len() >= max_entries {
            return Err(GitError::TreeTooLarge { limit: max_entries });
        }
        entries.push(parse_record(record, format)?);
    }
    let tree = Tree::new(entries);
    if let Some(pair) = tree.entries.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(malformed(format!("`{}` appears twice", pair[0].0)));
    }
    Ok(tree)
}

fn parse_record(record: &[u8], format: ObjectFormat) -> Result<(Box<str>, TreeEntry), GitError> {
    let text = std::str::from_utf8(record)
        .map_err(|_| malformed("a path that is not UTF-8".to_string()))?;
    let (meta, path) = text
        .split_once('\t')
        .ok_or_else(|| malformed(format!("`{text}`")))?;
    let mut fields = meta.split(' ');
    let (Some(mode), Some(_kind), Some(id), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(malformed(format!("`{meta}`")));
    };
    let kind = match mode {
        "100644" | "100664" => EntryKind::File,
        "100755" => EntryKind::Executable,
        "120000" => EntryKind::Symlink,
        "160000" => EntryKind::Submodule,
        other => return Err(malformed(format!("mode `{other}` of `{path}`"))),
    };
    let id = ObjectId::from_hex(id)
        .filter(|id| id.as_bytes().len() == format.id_len())
        .ok_or_else(|| malformed(format!("object ID `{id}` of `{path}`")))?;
    let bad_path = path.is_empty()
        || path.starts_with('/')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad_path {
        return Err(malformed(format!("path `{path}`")));
    }
    Ok((path.into(), TreeEntry { kind, id }))
}

fn malformed(what: String) -> GitError {
    GitError::Malformed(format!("the tree lists {what}"))
}
