//! Paths in a commit's tree as a checkout would see them: symbolic links
//! followed (in the middle of a path too), but only inside the repository.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::git::{EntryKind, Fetched, GitError, ObjectId, Tree, TreeEntry};

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

impl<B: AsRef<[u8]>> BlobReader for BTreeMap<ObjectId, B> {
    fn blobs(&mut self, ids: &[ObjectId]) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        ids.iter()
            .map(|id| match self.get(id) {
                Some(bytes) => Ok((*id, bytes.as_ref().to_vec())),
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

/// The folders of the tree a comparison looked at: what a proof of its
/// result must hold the tree objects of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consulted {
    /// Folders a path was looked up in (their listing decides).
    pub listings: BTreeSet<String>,
    /// Folders everything below which was looked at.
    pub subtrees: BTreeSet<String>,
}

impl Consulted {
    /// Whether the tree of `folder` is part of what was looked at: it
    /// leads to a folder looked in, or lies in or leads to a subtree
    /// looked at whole.
    pub fn needs(&self, folder: &str) -> bool {
        self.listings.iter().any(|l| is_within(l, folder))
            || self
                .subtrees
                .iter()
                .any(|s| is_within(s, folder) || is_within(folder, s))
    }

    /// Whether nothing looked at lies in one of the folders `unread`
    /// (whose contents are unknown).
    pub fn avoids(&self, unread: &[String]) -> bool {
        unread.iter().all(|u| {
            !self.listings.iter().any(|l| is_within(l, u))
                && !self
                    .subtrees
                    .iter()
                    .any(|s| is_within(s, u) || is_within(u, s))
        })
    }
}

/// The folder holding `path` (`""`: the root).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// A tree, the targets of the links read so far, and what was looked at.
pub struct Resolver<'a> {
    tree: &'a Tree,
    blobs: &'a mut dyn BlobReader,
    targets: BTreeMap<ObjectId, String>,
    consulted: RefCell<Consulted>,
}

impl<'a> Resolver<'a> {
    pub fn new(tree: &'a Tree, blobs: &'a mut dyn BlobReader) -> Self {
        Self {
            tree,
            blobs,
            targets: BTreeMap::new(),
            consulted: RefCell::new(Consulted::default()),
        }
    }

    /// What was looked at so far.
    pub fn consulted(&self) -> Consulted {
        self.consulted.borrow().clone()
    }

    /// The entry at `path`, looked up in its folder.
    pub fn get(&self, path: &str) -> Option<TreeEntry> {
        self.listing(parent(path));
        self.tree.get(path).copied()
    }

    /// Whether any file lies below `dir`: one file shows it; none means
    /// all of `dir` was looked at.
    pub fn is_dir(&self, dir: &str) -> bool {
        match self.tree.first_below(dir) {
            Some(file) => {
                self.listing(parent(file));
                true
            }
            None => {
                self.listing(parent(dir));
                self.consulted.borrow_mut().subtrees.insert(dir.to_string());
                false
            }
        }
    }

    /// Every file at or below `folder` (`""`: the root).
    pub fn files_within<'s>(
        &'s self,
        folder: &'s str,
    ) -> impl Iterator<Item = (&'a str, &'a TreeEntry)> + 's {
        self.consulted
            .borrow_mut()
            .subtrees
            .insert(folder.to_string());
        self.tree
            .iter()
            .filter(move |(path, _)| is_within(path, folder))
    }

    fn listing(&self, folder: &str) {
        self.consulted
            .borrow_mut()
            .listings
            .insert(folder.to_string());
    }

    pub fn blobs(&mut self, ids: &[ObjectId]) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        self.blobs.blobs(ids)
    }

    /// Read the targets of every link below `folder` in one request.
    pub fn prefetch_links(&mut self, folder: &str) -> Result<(), GitError> {
        let ids: Vec<ObjectId> = self
            .files_within(folder)
            .filter(|(_, e)| e.kind == EntryKind::Symlink)
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
            match self.get(&candidate) {
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
                None if self.is_dir(&candidate) => current.push(component),
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
