//! git objects by content: an object's ID is the hash of `KIND <len>\0`
//! and its bytes, so a commit ID fixes the commit object, the commit its
//! root tree, and each tree the IDs of its entries. Anything that hashes
//! to the ID a parent names is that object, wherever it was read from.

use std::collections::BTreeMap;

use sha1_checked::Digest;

use super::tree::{EntryKind, ObjectFormat, ObjectId, Tree, TreeEntry};
use super::GitError;

/// The kinds of object a comparison reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Blob,
    Tree,
    Commit,
}

impl ObjectKind {
    /// As git writes it in an object's header and `cat-file` output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Blob => "blob",
            Self::Tree => "tree",
            Self::Commit => "commit",
        }
    }
}

/// git's ID of an object of `kind` holding `bytes`: the hash of
/// `KIND <len>\0BYTES`; with SHA-1, whether the collision detector (as
/// git's own, sha1dc) flagged it.
pub fn object_id(format: ObjectFormat, kind: ObjectKind, bytes: &[u8]) -> (ObjectId, bool) {
    let header = format!("{} {}\0", kind.name(), bytes.len());
    match format {
        ObjectFormat::Sha1 => {
            let mut hasher = sha1_checked::Sha1::new();
            hasher.update(header.as_bytes());
            hasher.update(bytes);
            let result = hasher.try_finalize();
            let hash: &[u8] = result.hash().as_ref();
            let id = ObjectId::from_bytes(hash).expect("20 bytes");
            (id, result.has_collision())
        }
        ObjectFormat::Sha256 => {
            let mut hasher = sigstore_crypto::Sha256Hasher::new();
            hasher.update(header.as_bytes());
            hasher.update(bytes);
            let id = ObjectId::from_bytes(hasher.finalize().as_bytes()).expect("32 bytes");
            (id, false)
        }
    }
}

/// The root tree a commit object names (its first line, `tree ID`).
pub fn commit_tree(commit: &[u8], format: ObjectFormat) -> Result<ObjectId, GitError> {
    let line = commit.split(|b| *b == b'\n').next().unwrap_or_default();
    std::str::from_utf8(line)
        .ok()
        .and_then(|l| l.strip_prefix("tree "))
        .and_then(ObjectId::from_hex)
        .filter(|id| id.as_bytes().len() == format.id_len())
        .ok_or_else(|| GitError::Malformed("the commit object names no tree".into()))
}

/// One entry of a tree object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawEntry {
    /// A file, link or submodule.
    Leaf(String, TreeEntry),
    /// A folder: another tree.
    Folder(String, ObjectId),
}

/// Parse a tree object: per entry `MODE SP NAME NUL ID` (ID in raw bytes).
///
/// Checks: each mode is a folder, a file, an executable, a link or a
/// submodule; each name is UTF-8, not empty, `.` or `..`, without `/`;
/// no name twice; each ID is whole.
pub fn parse_tree_object(
    mut bytes: &[u8],
    format: ObjectFormat,
) -> Result<Vec<RawEntry>, GitError> {
    let bad = |what: &str| GitError::Malformed(format!("a tree object has {what}"));
    let mut entries = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    while !bytes.is_empty() {
        let space = bytes
            .iter()
            .position(|b| *b == b' ')
            .ok_or_else(|| bad("no mode"))?;
        let nul = bytes
            .iter()
            .position(|b| *b == 0)
            .ok_or_else(|| bad("no name"))?;
        if nul < space {
            return Err(bad("no mode"));
        }
        let mode = &bytes[..space];
        let name = std::str::from_utf8(&bytes[space + 1..nul])
            .map_err(|_| bad("a name that is not UTF-8"))?;
        if name.is_empty() || name == "." || name == ".." || name.contains('/') {
            return Err(bad(&format!("the name `{name}`")));
        }
        let raw = bytes
            .get(nul + 1..nul + 1 + format.id_len())
            .ok_or_else(|| bad("a cut-off ID"))?;
        let id = ObjectId::from_bytes(raw).expect("an ID's length");
        bytes = &bytes[nul + 1 + format.id_len()..];
        if !names.insert(name.to_string()) {
            return Err(bad(&format!("`{name}` twice")));
        }
        let kind = match mode {
            b"40000" => {
                entries.push(RawEntry::Folder(name.to_string(), id));
                continue;
            }
            b"100644" | b"100664" => EntryKind::File,
            b"100755" => EntryKind::Executable,
            b"120000" => EntryKind::Symlink,
            b"160000" => EntryKind::Submodule,
            _ => return Err(bad(&format!("an unknown mode for `{name}`"))),
        };
        entries.push(RawEntry::Leaf(name.to_string(), TreeEntry { kind, id }));
    }
    Ok(entries)
}

/// Objects' bytes by their ID.
pub type Objects = BTreeMap<ObjectId, Vec<u8>>;

/// Part of a commit's tree, read from its root down.
#[derive(Debug, Default)]
pub struct Walked {
    /// The files of every folder read, as `git ls-tree -r` would list them.
    pub tree: Tree,
    /// Folders seen but not read (their tree was not wanted or not had).
    pub unread: Vec<String>,
    /// Each tree object read, in the order read.
    pub objects: Vec<Vec<u8>>,
}

/// Whether [`walk`] hashes each tree it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeIds {
    /// Each tree is hashed and checked against the ID its parent names.
    Check,
    /// The reader returns only objects it has already hashed to the ID
    /// they are returned under: none is hashed again.
    AlreadyChecked,
}

/// Read a commit's tree from `root` down, the folders `wanted` (by path
/// and tree ID) only.
///
/// Steps, per level: the wanted folders' tree objects asked of `read` in
/// one call (one it does not return is an error); each checked to hash to
/// the ID its parent names, unless `tree_ids` says the reader did (a SHA-1
/// collision refused); its entries parsed; at most `max_entries` files. A
/// folder not wanted is listed as unread.
pub fn walk(
    root: ObjectId,
    format: ObjectFormat,
    wanted: &dyn Fn(&str, ObjectId) -> bool,
    read: &mut dyn FnMut(&[ObjectId]) -> Result<Objects, GitError>,
    max_entries: usize,
    tree_ids: TreeIds,
) -> Result<Walked, GitError> {
    let mut walked = Walked::default();
    let mut files = Vec::new();
    let mut level = vec![(String::new(), root)];
    while !level.is_empty() {
        let ids: Vec<ObjectId> = level.iter().map(|(_, id)| *id).collect();
        let objects = read(&ids)?;
        let mut next = Vec::new();
        for (folder, id) in level {
            let Some(bytes) = objects.get(&id) else {
                return Err(GitError::MissingObject(format!("tree {id}")));
            };
            if tree_ids == TreeIds::Check
                && object_id(format, ObjectKind::Tree, bytes) != (id, false)
            {
                return Err(GitError::Malformed(format!(
                    "the tree of `{folder}` is not object {id}"
                )));
            }
            for entry in parse_tree_object(bytes, format)? {
                match entry {
                    RawEntry::Leaf(name, leaf) => {
                        if files.len() >= max_entries {
                            return Err(GitError::TreeTooLarge { limit: max_entries });
                        }
                        files.push((join(&folder, &name).into_boxed_str(), leaf));
                    }
                    RawEntry::Folder(name, sub) => {
                        let path = join(&folder, &name);
                        if wanted(&path, sub) {
                            next.push((path, sub));
                        } else {
                            walked.unread.push(path);
                        }
                    }
                }
            }
            walked.objects.push(bytes.clone());
        }
        level = next;
    }
    walked.tree = Tree::new(files);
    Ok(walked)
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_object(format: ObjectFormat, entries: &[(&str, &str, ObjectId)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (mode, name, id) in entries {
            out.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            out.extend_from_slice(id.as_bytes());
        }
        assert!(entries
            .iter()
            .all(|e| e.2.as_bytes().len() == format.id_len()));
        out
    }

    /// git's own IDs (`git hash-object`, `git mktree`) for known objects.
    #[test]
    fn ids_are_gits_in_both_formats() {
        let empty_blob = object_id(ObjectFormat::Sha1, ObjectKind::Blob, b"").0;
        assert_eq!(
            empty_blob.to_hex(),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        let empty_tree = object_id(ObjectFormat::Sha1, ObjectKind::Tree, b"").0;
        assert_eq!(
            empty_tree.to_hex(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
        let empty_tree = object_id(ObjectFormat::Sha256, ObjectKind::Tree, b"").0;
        assert_eq!(
            empty_tree.to_hex(),
            "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"
        );
    }

    /// A walk reads the wanted folders, checks every tree against the ID
    /// its parent names, and lists the rest as unread.
    #[test]
    fn a_walk_reads_what_is_wanted_and_checks_each_tree() {
        let f = ObjectFormat::Sha1;
        let lib = object_id(f, ObjectKind::Blob, b"lib").0;
        let src = tree_object(f, &[("100644", "lib.rs", lib)]);
        let src_id = object_id(f, ObjectKind::Tree, &src).0;
        let docs = tree_object(f, &[("100644", "a.md", lib)]);
        let docs_id = object_id(f, ObjectKind::Tree, &docs).0;
        let root = tree_object(
            f,
            &[
                ("100644", "Cargo.toml", lib),
                ("40000", "docs", docs_id),
                ("40000", "src", src_id),
            ],
        );
        let root_id = object_id(f, ObjectKind::Tree, &root).0;
        let store: BTreeMap<ObjectId, Vec<u8>> = [
            (root_id, root.clone()),
            (src_id, src.clone()),
            (docs_id, docs),
        ]
        .into();
        let mut read = |ids: &[ObjectId]| {
            Ok(ids
                .iter()
                .filter_map(|id| Some((*id, store.get(id)?.clone())))
                .collect())
        };
        let walked = walk(
            root_id,
            f,
            &|p, _| p == "src",
            &mut read,
            100,
            TreeIds::Check,
        )
        .unwrap();
        assert!(walked.tree.get("src/lib.rs").is_some());
        assert!(walked.tree.get("docs/a.md").is_none());
        assert_eq!(walked.unread, vec!["docs".to_string()]);
        assert_eq!(walked.objects, vec![root.clone(), src]);

        // A tree that is not the one its parent names.
        let forged = tree_object(f, &[("100644", "lib.rs", root_id)]);
        let mut read = |ids: &[ObjectId]| {
            Ok(ids
                .iter()
                .map(|id| {
                    (
                        *id,
                        if *id == src_id {
                            forged.clone()
                        } else {
                            root.clone()
                        },
                    )
                })
                .collect())
        };
        let error = walk(root_id, f, &|_, _| true, &mut read, 100, TreeIds::Check).unwrap_err();
        assert!(error.to_string().contains("is not object"), "{error}");
        // A reader that says it hashed what it returns is not checked again
        // (this one lies: its forged tree is not caught).
        let unchecked = walk(
            root_id,
            f,
            &|_, _| true,
            &mut read,
            100,
            TreeIds::AlreadyChecked,
        );
        assert!(
            !matches!(&unchecked, Err(e) if e.to_string().contains("is not object")),
            "{unchecked:?}"
        );
        // Too many files.
        let mut read = |ids: &[ObjectId]| {
            Ok(ids
                .iter()
                .filter_map(|id| Some((*id, store.get(id)?.clone())))
                .collect())
        };
        assert!(matches!(
            walk(root_id, f, &|_, _| true, &mut read, 2, TreeIds::Check),
            Err(GitError::TreeTooLarge { .. })
        ));
    }

    #[test]
    fn tree_objects_are_read_as_hostile() {
        let f = ObjectFormat::Sha1;
        let id = object_id(f, ObjectKind::Blob, b"x").0;
        for (mode, name) in [
            ("100644", ".."),
            ("100644", "a/b"),
            ("100644", ""),
            ("100000", "a"),
        ] {
            let bytes = tree_object(f, &[(mode, name, id)]);
            assert!(parse_tree_object(&bytes, f).is_err(), "{mode} {name}");
        }
        let twice = tree_object(f, &[("100644", "a", id), ("40000", "a", id)]);
        assert!(parse_tree_object(&twice, f).is_err());
        let cut = tree_object(f, &[("100644", "a", id)]);
        assert!(parse_tree_object(&cut[..cut.len() - 1], f).is_err());
        assert!(commit_tree(b"parent 00\n", f).is_err());
        let commit = format!("tree {id}\nauthor a\n\nmessage\n");
        assert_eq!(commit_tree(commit.as_bytes(), f).unwrap(), id);
    }
}
