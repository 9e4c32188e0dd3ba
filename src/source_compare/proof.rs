//! What a cached comparison rests on, kept so that the result is computed
//! again from content rather than believed: the commit object, the tree
//! objects of every folder the comparison looked in (and those leading to
//! them), and the blobs it read (link targets, manifests). git names each
//! object by the hash of its bytes, so on reading:
//! - the commit object must hash to the commit the package's own
//!   `.cargo_vcs_info.json` names (the `.crate` checked against the
//!   lockfile's checksum);
//! - each tree must hash to the ID its parent names, from the commit's
//!   root tree down;
//! - each blob is found by the hash of its bytes;
//! - the package's files (their blob IDs computed from the `.crate`) are
//!   compared with these trees by the same code as after a fetch, and
//!   every folder that comparison looks in must be one the proof holds.
//!
//! Whoever writes the cache folder can then only make an entry fail, never
//! make a package match.

use std::collections::BTreeMap;

use crate::compare::{compare_consulting, BlobReader, CompareError, Comparison, Package};
use crate::git::{
    commit_tree, object_id, walk, Fetched, GitError, ObjectFormat, ObjectId, ObjectKind, TreeIds,
};

/// The objects a comparison rested on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proof {
    pub commit: Vec<u8>,
    pub trees: Vec<Vec<u8>>,
    pub blobs: Vec<Vec<u8>>,
}

/// A blob reader that keeps every blob it hands out: the blobs of a proof.
pub struct Recording<'a> {
    pub inner: &'a mut dyn BlobReader,
    pub read: BTreeMap<ObjectId, Vec<u8>>,
}

impl BlobReader for Recording<'_> {
    fn blobs(&mut self, ids: &[ObjectId]) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        let blobs = self.inner.blobs(ids)?;
        self.read
            .extend(blobs.iter().map(|(id, bytes)| (*id, bytes.clone())));
        Ok(blobs)
    }
}

/// Compare `package` with the fetched commit, and gather the proof of the
/// result: the commit object, the trees of the folders looked in (read
/// from the fetched repository, where they all are) and the blobs read.
/// `None` for the proof when it cannot be gathered (the result stands,
/// uncached).
pub fn compare_proving(
    package: &Package<'_>,
    tree: &crate::git::Tree,
    fetched: &mut Fetched,
    max_entries: usize,
) -> (Result<Comparison, CompareError>, Option<Proof>) {
    let mut recording = Recording {
        inner: fetched,
        read: BTreeMap::new(),
    };
    let (result, consulted) = compare_consulting(package, tree, &mut recording);
    let blobs = std::mem::take(&mut recording.read);
    if matches!(result, Err(CompareError::Git(_))) {
        return (result, None);
    }
    let gathered = (|| {
        let format = fetched.format();
        let commit_id = ObjectId::from_hex(fetched.commit())
            .ok_or_else(|| GitError::Malformed("a commit ID".into()))?;
        let commit = fetched
            .objects(ObjectKind::Commit, &[commit_id])?
            .remove(&commit_id)
            .ok_or_else(|| GitError::MissingObject(format!("commit {commit_id}")))?;
        let root = commit_tree(&commit, format)?;
        let mut read = |ids: &[ObjectId]| fetched.objects(ObjectKind::Tree, ids);
        let wanted = |path: &str, _: ObjectId| consulted.needs(path);
        let walked = walk(
            root,
            format,
            &wanted,
            &mut read,
            max_entries,
            TreeIds::Check,
        )?;
        Ok::<_, GitError>(Proof {
            commit,
            trees: walked.objects,
            blobs: blobs.into_values().collect(),
        })
    })();
    // Kept only when it proves what was found, by the code that reads it.
    let proof = gathered
        .ok()
        .filter(|proof| recompute(proof, package, max_entries).as_ref() == Ok(&result));
    (result, proof)
}

/// The comparison of `package` computed again from `proof` alone (see the
/// module's comment for the checks); `Err` says why the proof proves
/// nothing.
pub fn recompute(
    proof: &Proof,
    package: &Package<'_>,
    max_entries: usize,
) -> Result<Result<Comparison, CompareError>, String> {
    let commit = package.vcs.commit.to_ascii_lowercase();
    let (format, expected) = ObjectFormat::of_hex(&commit)
        .zip(ObjectId::from_hex(&commit))
        .ok_or_else(|| format!("`{commit}` is not a commit ID"))?;
    match object_id(format, ObjectKind::Commit, &proof.commit) {
        (id, false) if id == expected => {}
        _ => return Err(format!("its commit object is not commit {commit}")),
    }
    let root = commit_tree(&proof.commit, format).map_err(|e| e.to_string())?;
    let trees = by_id(format, ObjectKind::Tree, &proof.trees);
    let mut blobs = by_id(format, ObjectKind::Blob, &proof.blobs);
    let mut read = |ids: &[ObjectId]| {
        Ok(ids
            .iter()
            .filter_map(|id| Some((*id, trees.get(id)?.to_vec())))
            .collect())
    };
    let had = |_: &str, id: ObjectId| trees.contains_key(&id);
    // Each tree was just checked to hash to its key.
    let walked = walk(
        root,
        format,
        &had,
        &mut read,
        max_entries,
        TreeIds::AlreadyChecked,
    )
    .map_err(|e| e.to_string())?;
    let (result, consulted) = compare_consulting(package, &walked.tree, &mut blobs);
    if !consulted.avoids(&walked.unread) {
        return Err("it lacks a folder the comparison looks in".into());
    }
    match result {
        Err(CompareError::Git(error)) => Err(error.to_string()),
        other => Ok(other),
    }
}

/// Objects by the ID their bytes hash to; one the SHA-1 collision detector
/// flags is left out.
fn by_id(format: ObjectFormat, kind: ObjectKind, objects: &[Vec<u8>]) -> BTreeMap<ObjectId, &[u8]> {
    objects
        .iter()
        .filter_map(|bytes| match object_id(format, kind, bytes) {
            (id, false) => Some((id, bytes.as_slice())),
            (_, true) => None,
        })
        .collect()
}
