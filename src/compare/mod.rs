//! Comparing a published package with its repository at the commit it
//! was packaged from, file by file, by git object ID: a file's blob ID is
//! the hash of `blob <len>\0<bytes>`, and the commit's trees list every
//! file's ID, so no file's contents need to be downloaded.
//!
//! The rules (cargo's packaging, and what real crates need):
//! - every file is compared with the file at `path_in_vcs` in the commit's
//!   tree; `Cargo.toml.orig` with the repository's `Cargo.toml`;
//!   `Cargo.toml`, `Cargo.lock` and `.cargo_vcs_info.json` are written by
//!   cargo and not compared;
//! - symbolic links are followed, in the middle of a path too, inside the
//!   repository only; a link out of it makes the file differ;
//! - a `readme` or `license-file` the manifest takes from outside the
//!   package folder (directly or inherited from the workspace) is compared
//!   with its source, unless the folder has a file of that name (which
//!   cargo packages instead);
//! - no `path_in_vcs` (older cargo): the folder is found by the package's
//!   manifest, never assumed to be the root; ambiguous is not checked;
//! - files that differ only in line endings are listed apart; files in the
//!   repository but not in the package are no difference;
//! - a tree or blob the host did not send is an error (not checked), never
//!   a difference and never a match; a file the SHA-1 collision detector
//!   flags is refused (not checked).

mod binary;
mod folders;
mod listing;
mod repository;
mod resolve;

use miette::Diagnostic;

#[cfg(test)]
use listing::blob_id;
pub use listing::{PackageFile, PackageListing};
pub use repository::normalize_repository;
pub use resolve::{BlobReader, Consulted, Resolved, Resolver};

use crate::crate_file::{Manifest, OriginalManifest, VcsInfo};
use crate::git::{GitError, ObjectId, Tree};
use crate::source_match::{SourceMatch, SourceResult};

/// Files cargo writes when it packages: not compared.
pub const GENERATED_BY_CARGO: [&str; 3] = ["Cargo.toml", "Cargo.lock", ".cargo_vcs_info.json"];

/// Why a comparison could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum CompareError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    #[error("the package's folder in the repository is not known: {0}")]
    #[diagnostic(code("source-folder-unknown"))]
    AmbiguousFolder(String),
    #[error("`{0}` is inside a git submodule, another repository")]
    #[diagnostic(code("source-submodule"))]
    Submodule(String),
    #[error("`{0}` carries a SHA-1 collision attack")]
    #[diagnostic(code("source-sha1-collision"))]
    Collision(String),
}

/// What the package says about itself, for the comparison.
pub struct Package<'a> {
    pub listing: &'a PackageListing,
    pub manifest: &'a Manifest,
    pub original: Option<&'a OriginalManifest>,
    pub vcs: &'a VcsInfo,
}

/// The files of a comparison, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// The folder compared (`""`: the root).
    pub folder: String,
    pub same: Vec<String>,
    pub differ: Vec<String>,
    pub only_in_package: Vec<String>,
    pub line_endings_only: Vec<String>,
    pub binaries: Vec<String>,
}

/// Compare `package` with `tree`, reading blobs (link targets, manifests)
/// through `blobs`.
///
/// Steps: refuse a file the collision detector flagged; the package's
/// folder (`path_in_vcs`, else found); the targets of the links in it, in
/// one request; the files taken from outside the folder; each file by the
/// rules above; the binaries among the files that differ or are only in
/// the package.
#[cfg(test)]
pub fn compare(
    package: &Package<'_>,
    tree: &Tree,
    blobs: &mut dyn BlobReader,
) -> Result<Comparison, CompareError> {
    compare_consulting(package, tree, blobs).0
}

/// [`compare`], and the folders of `tree` it looked at (what decided the
/// result, whatever it is).
pub fn compare_consulting(
    package: &Package<'_>,
    tree: &Tree,
    blobs: &mut dyn BlobReader,
) -> (Result<Comparison, CompareError>, Consulted) {
    let mut resolver = Resolver::new(tree, blobs);
    let result = compare_in(package, &mut resolver);
    (result, resolver.consulted())
}

fn compare_in(
    package: &Package<'_>,
    resolver: &mut Resolver<'_>,
) -> Result<Comparison, CompareError> {
    if let Some(path) = package.listing.collisions.first() {
        return Err(CompareError::Collision(path.clone()));
    }
    let original_id = package.listing.get("Cargo.toml.orig").map(|f| f.id);
    let folder = match &package.vcs.path_in_vcs {
        Some(path) => path.clone(),
        None => folders::find_package_folder(resolver, &package.manifest.name, original_id)?,
    };
    resolver.prefetch_links(&folder)?;
    let outside = folders::outside_files(resolver, &folder, package.manifest, package.original)?;
    let mut comparison = Comparison {
        folder: folder.clone(),
        ..Comparison::default()
    };
    for file in &package.listing.files {
        let path = &*file.path;
        if GENERATED_BY_CARGO.contains(&path) {
            continue;
        }
        let source = match path {
            "Cargo.toml.orig" => resolve::join(&folder, "Cargo.toml"),
            _ => resolve::join(&folder, path),
        };
        let mut found = resolver.resolve(&source)?;
        if matches!(found, Resolved::Missing | Resolved::Folder) {
            if let Some(outside) = outside.get(path) {
                found = resolver.resolve(outside)?;
            }
        }
        classify(&mut comparison, file, found)?;
    }
    let listing = package.listing;
    comparison.binaries = comparison
        .differ
        .iter()
        .chain(&comparison.only_in_package)
        .filter(|p| listing.get(p).is_some_and(|f| f.binary))
        .cloned()
        .collect();
    comparison.binaries.sort();
    Ok(comparison)
}

fn classify(
    comparison: &mut Comparison,
    file: &PackageFile,
    found: Resolved,
) -> Result<(), CompareError> {
    let path = file.path.to_string();
    let matches = |id: ObjectId| Some(id);
    match found {
        Resolved::File(id) if file.id == id => comparison.same.push(path),
        Resolved::File(id) if file.id_lf == matches(id) || file.id_crlf == matches(id) => {
            comparison.line_endings_only.push(path)
        }
        Resolved::File(_) | Resolved::LeavesRepository => comparison.differ.push(path),
        Resolved::Missing | Resolved::Folder => comparison.only_in_package.push(path),
        Resolved::Submodule(at) => return Err(CompareError::Submodule(at)),
    }
    Ok(())
}

impl Comparison {
    /// The result as reported, with the package's facts.
    pub fn into_source_match(self, vcs: &VcsInfo, repository: &str) -> SourceMatch {
        let result = if self.differ.is_empty()
            && self.only_in_package.is_empty()
            && self.line_endings_only.is_empty()
        {
            SourceResult::Matches
        } else {
            SourceResult::Differs
        };
        SourceMatch {
            result,
            commit: Some(vcs.commit.clone()),
            path_in_vcs: Some(self.folder),
            dirty: Some(vcs.dirty),
            repository: Some(repository.to_string()),
            differ: self.differ,
            only_in_package: self.only_in_package,
            binaries: self.binaries,
            line_endings_only: self.line_endings_only,
            reason: None,
            commit_fetched: true,
        }
    }
}

#[cfg(all(test, feature = "testkit"))]
mod tests;
