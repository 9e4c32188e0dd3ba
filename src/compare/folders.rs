//! Where in the repository the package and the files it takes from
//! outside its folder come from: the package's folder when cargo recorded
//! none, the workspace root a `readme.workspace = true` resolves against,
//! and a `readme` or `license-file` outside the package folder.

use std::collections::BTreeMap;

use super::resolve::{is_within, join, lexical, Resolver};
use super::CompareError;
use crate::crate_file::{Manifest, ManifestPath, OriginalManifest};
use crate::git::ObjectId;

/// Manifests read to find a package's folder by name, at most.
const MAX_CANDIDATE_MANIFESTS: usize = 2000;

/// The package's folder when `.cargo_vcs_info.json` has no `path_in_vcs`
/// (cargo before 1.58): the one folder whose `Cargo.toml` is the package's
/// `Cargo.toml.orig`, else the one whose manifest names the package.
/// Never the root by default: no candidate, or more than one, is an error.
pub fn find_package_folder(
    resolver: &mut Resolver<'_>,
    name: &str,
    original_id: Option<ObjectId>,
) -> Result<String, CompareError> {
    let manifests: Vec<(String, ObjectId)> = resolver
        .files_within("")
        .filter(|(path, _)| *path == "Cargo.toml" || path.ends_with("/Cargo.toml"))
        .map(|(path, entry)| (folder_of(path), entry.id))
        .collect();
    let same: Vec<&String> = manifests
        .iter()
        .filter(|(_, id)| Some(*id) == original_id)
        .map(|(folder, _)| folder)
        .collect();
    if let [only] = same.as_slice() {
        return Ok((*only).clone());
    }
    if manifests.len() > MAX_CANDIDATE_MANIFESTS {
        return Err(CompareError::AmbiguousFolder(format!(
            "the commit has {} manifests, too many to search for `{name}`",
            manifests.len()
        )));
    }
    let ids: Vec<ObjectId> = manifests.iter().map(|(_, id)| *id).collect();
    let texts = resolver.blobs(&ids)?;
    let named: Vec<&String> = manifests
        .iter()
        .filter(|(_, id)| texts.get(id).and_then(|b| package_name(b)).as_deref() == Some(name))
        .map(|(folder, _)| folder)
        .collect();
    match named.as_slice() {
        [only] => Ok((*only).clone()),
        [] => Err(CompareError::AmbiguousFolder(format!(
            "no manifest at the commit names the package `{name}`"
        ))),
        many => Err(CompareError::AmbiguousFolder(format!(
            "{} manifests at the commit name the package `{name}`",
            many.len()
        ))),
    }
}

fn folder_of(manifest_path: &str) -> String {
    manifest_path
        .rsplit_once('/')
        .map_or(String::new(), |(folder, _)| folder.to_string())
}

fn parse(bytes: &[u8]) -> Option<toml::Table> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn package_name(bytes: &[u8]) -> Option<String> {
    parse(bytes)?
        .get("package")?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

/// Files a package takes from outside its folder, by where cargo put them
/// in the package → their path in the repository (before links are
/// followed). Only `readme` and `license-file` may be outside; a path
/// inside the folder is an ordinary file and is not listed.
pub fn outside_files(
    resolver: &mut Resolver<'_>,
    folder: &str,
    manifest: &Manifest,
    original: Option<&OriginalManifest>,
) -> Result<BTreeMap<String, String>, CompareError> {
    let Some(original) = original else {
        return Ok(BTreeMap::new());
    };
    let mut outside = BTreeMap::new();
    for (key, given, packaged) in [
        ("readme", &original.readme, &manifest.readme),
        (
            "license-file",
            &original.license_file,
            &manifest.license_file,
        ),
    ] {
        let source = match given {
            None => continue,
            Some(ManifestPath::Given(path)) => lexical(&join(folder, path)),
            Some(ManifestPath::Workspace) => {
                let root = workspace_root(resolver, folder, original.workspace.as_deref())?;
                workspace_value(resolver, &root, key)?.and_then(|p| lexical(&join(&root, &p)))
            }
        };
        let Some(source) = source.filter(|s| !is_within(s, folder)) else {
            continue;
        };
        let file_name = source.rsplit('/').next().unwrap_or(&source).to_string();
        let packaged = packaged.as_deref().and_then(lexical).unwrap_or(file_name);
        outside.insert(packaged, source);
    }
    Ok(outside)
}

/// The workspace root above `folder`: `package.workspace` when the
/// manifest gives it, else the nearest folder (the package's own first)
/// whose `Cargo.toml` has a `[workspace]` table.
fn workspace_root(
    resolver: &mut Resolver<'_>,
    folder: &str,
    given: Option<&str>,
) -> Result<String, CompareError> {
    if let Some(root) = given.and_then(|g| lexical(&join(folder, g))) {
        return Ok(root);
    }
    let mut candidates = vec![folder.to_string()];
    let mut current = folder;
    while let Some((parent, _)) = current.rsplit_once('/') {
        candidates.push(parent.to_string());
        current = parent;
    }
    if !folder.is_empty() {
        candidates.push(String::new());
    }
    let manifests: Vec<(String, ObjectId)> = candidates
        .into_iter()
        .filter_map(|dir| {
            let id = resolver.get(&join(&dir, "Cargo.toml"))?.id;
            Some((dir, id))
        })
        .collect();
    let ids: Vec<ObjectId> = manifests.iter().map(|(_, id)| *id).collect();
    let texts = resolver.blobs(&ids)?;
    manifests
        .into_iter()
        .find(|(_, id)| {
            texts
                .get(id)
                .and_then(|b| parse(b))
                .is_some_and(|t| t.contains_key("workspace"))
        })
        .map(|(dir, _)| dir)
        .ok_or_else(|| {
            CompareError::AmbiguousFolder(format!(
                "no workspace root above `{folder}` for a value inherited from it"
            ))
        })
}

/// `[workspace.package] KEY` of the workspace root's manifest.
fn workspace_value(
    resolver: &mut Resolver<'_>,
    root: &str,
    key: &str,
) -> Result<Option<String>, CompareError> {
    let Some(entry) = resolver.get(&join(root, "Cargo.toml")) else {
        return Ok(None);
    };
    let texts = resolver.blobs(&[entry.id])?;
    Ok(texts.get(&entry.id).and_then(|b| parse(b)).and_then(|t| {
        t.get("workspace")?
            .get("package")?
            .get(key)?
            .as_str()
            .map(str::to_string)
    }))
}
