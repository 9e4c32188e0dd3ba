//! Paths in a commit's tree as a checkout would see them: symbolic links
//! followed (in the middle of a path too), but only inside the repository.

use std::collections::{BTreeMap, VecDeque};

use crate::git::{EntryKind, Fetched, GitError, ObjectId, Tree};

/// Symbolic links followed for one path before giving up (as the kernel's
/// `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// Where blob bytes come from: the fetched repository, or a test's map.
pub trait BlobReader {
    /// The bytes of every blob asked for; an absent one is an error.
    fn blobs(&mut self, ids: &[ObjectId]) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError>;
}

impl BlobReader for Fetched {
    fn blobs(&mut self, ids: &[ObjectId]) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        Fetched::blobs(self, ids)
    }
}

impl BlobReader for BTreeMap<ObjectId, Vec<u8>> {
    fn blobs(&mut self, ids: &[ObjectId]) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        ids.iter()
            .map(|id| match self.get(id) {
                Some(bytes) => Ok((*id, bytes.clone())),
                None => Err(GitError::MissingObject(format!("blob {id}"))),
            })
            .collect()
    }
}

/// What a path is in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A file (through any links), with its blob ID.
    File(ObjectId),
    /// Nothing there.
    Missing,
    /// A folder.
    Folder,
    /// A link that leads out of the repository (or around in a loop).
    LeavesRepository,
    /// Inside a submodule at this path: another repository's files.
    Submodule(String),
}

/// A tree and the targets of the links read so far.
pub struct Resolver<'a> {
    tree: &'a Tree,
    blobs: &'a mut dyn BlobReader,
    targets: BTreeMap<ObjectId, String>,
}

impl<'a> Resolver<'a> {
    pub fn new(tree: &'a Tree, blobs: &'a mut dyn BlobReader) -> Self {
        Self {
            tree,
            blobs,
            targets: BTreeMap::new(),
        }
    }

    pub fn tree(&self) -> &'a Tree {
        self.tree
    }

    pub fn blobs(&mut self, ids: &[ObjectId]) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        self.blobs.blobs(ids)
    }

    /// Read the targets of every link below `folder` in one request.
    pub fn prefetch_links(&mut self, folder: &str) -> Result<(), GitError> {
        let ids: Vec<ObjectId> = self
            .tree
            .iter()
            .filter(|(path, e)| e.kind == EntryKind::Symlink && is_within(path, folder))
            .map(|(_, e)| e.id)
            .filter(|id| !self.targets.contains_key(id))
            .collect();
        self.read_targets(&ids)
    }

    fn read_targets(&mut self, ids: &[ObjectId]) -> Result<(), GitError> {
        if ids.is_empty() {
            return Ok(());
        }
        for (id, bytes) in self.blobs.blobs(ids)? {
            // A target that is not UTF-8 cannot name a path of the tree.
            let target = String::from_utf8(bytes).unwrap_or_else(|_| "/".into());
            self.targets.insert(id, target);
        }
        Ok(())
    }

    /// `path` (relative to the root, `/`-separated, `.` and `..` allowed)
    /// as a checkout would see it.
    pub fn resolve(&mut self, path: &str) -> Result<Resolved, GitError> {
        let mut remaining: VecDeque<String> = path.split('/').map(str::to_string).collect();
        let mut current: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(component) = remaining.pop_front() {
            match component.as_str() {
                "" | "." => continue,
                ".." => {
                    if current.pop().is_none() {
                        return Ok(Resolved::LeavesRepository);
                    }
                    continue;
                }
                _ => {}
            }
            let candidate = join(&current.join("/"), &component);
            match self.tree.get(&candidate).copied() {
                Some(entry) if entry.kind == EntryKind::Symlink => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Ok(Resolved::LeavesRepository);
                    }
                    let target = self.target(entry.id)?;
                    if target.starts_with('/') {
                        return Ok(Resolved::LeavesRepository);
                    }
                    for part in target.split('/').rev() {
                        remaining.push_front(part.to_string());
                    }
                }
                Some(entry) if entry.kind == EntryKind::Submodule => {
                    return Ok(Resolved::Submodule(candidate));
                }
                Some(entry) => {
                    return Ok(if remaining.iter().all(|c| c.is_empty() || c == ".") {
                        Resolved::File(entry.id)
                    } else {
                        Resolved::Missing
                    });
                }
                None if self.tree.is_dir(&candidate) => current.push(component),
                None => return Ok(Resolved::Missing),
            }
        }
        Ok(Resolved::Folder)
    }

    fn target(&mut self, id: ObjectId) -> Result<String, GitError> {
        if !self.targets.contains_key(&id) {
            self.read_targets(&[id])?;
        }
        Ok(self.targets.get(&id).cloned().unwrap_or_default())
    }
}

/// `dir/name`, or `name` at the root.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether `path` is `folder` or below it (`""`: the root holds all).
pub fn is_within(path: &str, folder: &str) -> bool {
    folder.is_empty()
        || path == folder
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `path` with `.` and `..` resolved by text alone; `None` when it climbs
/// above the root.
pub fn lexical(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}
