//! What a package says about itself: `.cargo_vcs_info.json` (the commit it
//! was packaged from) and its manifests (`Cargo.toml` as cargo normalised
//! it at packaging time, and the author's `Cargo.toml.orig`). All of it is
//! the publisher's claim, read as hostile input.

use miette::Diagnostic;
use serde::{Deserialize, Serialize};

use super::archive::Archive;

/// A manifest or `.cargo_vcs_info.json` larger than this is refused.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// The file cargo writes with the commit a package was made from.
pub const VCS_INFO: &str = ".cargo_vcs_info.json";
/// The manifest as cargo normalised it for publishing.
pub const MANIFEST: &str = "Cargo.toml";
/// The author's manifest, kept as it was in the repository.
pub const ORIGINAL_MANIFEST: &str = "Cargo.toml.orig";

/// Why a package's own description of itself could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum ManifestError {
    #[error("the package has no `{0}`")]
    #[diagnostic(code("crate-no-manifest"))]
    Missing(&'static str),
    #[error("`{file}` is larger than {limit} bytes")]
    #[diagnostic(code("crate-manifest-too-large"))]
    TooLarge { file: &'static str, limit: usize },
    #[error("`{file}` does not parse: {reason}")]
    #[diagnostic(code("crate-manifest-invalid"))]
    Invalid { file: &'static str, reason: String },
}

/// `.cargo_vcs_info.json`: where in which commit the package was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VcsInfo {
    /// The commit's object ID, lowercase hex: 40 digits (SHA-1) or 64 (SHA-256).
    pub commit: String,
    /// Whether cargo saw uncommitted changes when it packaged (a claim:
    /// `false` is never taken as proof of a clean tree).
    pub dirty: bool,
    /// The package's folder in the repository, `/`-separated, `""` for
    /// the root; `None` when cargo did not record it (before 1.58).
    pub path_in_vcs: Option<String>,
}

/// What the normalised `Cargo.toml` declares (workspace inheritance
/// already resolved by cargo when it packaged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    /// `package.repository`, as written (not normalised).
    pub repository: Option<String>,
    /// `package.readme`, where cargo put the readme in the package.
    pub readme: Option<String>,
    /// `package.license-file`, where cargo put it in the package.
    pub license_file: Option<String>,
}

/// A path the author's manifest gives, or that it inherits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ManifestPath {
    /// A path relative to the package's folder, as written.
    Given(String),
    /// `KEY.workspace = true`: the workspace root's `[workspace.package]` value.
    Workspace,
}

/// What the author's `Cargo.toml.orig` says about files it takes from
/// elsewhere in the repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalManifest {
    pub readme: Option<ManifestPath>,
    pub license_file: Option<ManifestPath>,
    /// `package.workspace`: the workspace root's folder, relative to the
    /// package's, when not the nearest one above it.
    pub workspace: Option<String>,
}

/// Read `.cargo_vcs_info.json`; `None` when the package has none.
///
/// Checks: the size; the JSON; `git.sha1` is 40 or 64 hex digits
/// (lowercased); `path_in_vcs` is relative, `/`-separated, with no `.`,
/// `..` or empty component.
pub fn vcs_info(archive: &Archive) -> Result<Option<VcsInfo>, ManifestError> {
    #[derive(Deserialize)]
    struct Raw {
        git: RawGit,
        path_in_vcs: Option<String>,
    }
    #[derive(Deserialize)]
    struct RawGit {
        sha1: String,
        #[serde(default)]
        dirty: bool,
    }
    let Some(bytes) = archive.file(VCS_INFO) else {
        return Ok(None);
    };
    let invalid = |reason: String| ManifestError::Invalid {
        file: VCS_INFO,
        reason,
    };
    let raw: Raw =
        serde_json::from_slice(bounded(bytes, VCS_INFO)?).map_err(|e| invalid(e.to_string()))?;
    let commit = raw.git.sha1.to_ascii_lowercase();
    if !matches!(commit.len(), 40 | 64) || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(format!("`git.sha1` `{commit}` is not a commit ID")));
    }
    let path_in_vcs = match raw.path_in_vcs {
        Some(path) => Some(
            normal_relative(&path)
                .ok_or_else(|| invalid(format!("`path_in_vcs` `{path}` is not a relative path")))?,
        ),
        None => None,
    };
    Ok(Some(VcsInfo {
        commit,
        dirty: raw.git.dirty,
        path_in_vcs,
    }))
}

/// `path` as `/`-separated components with no `.`, `..` or empty one
/// (a trailing `/` dropped); `None` if it is absolute or has any of those.
fn normal_relative(path: &str) -> Option<String> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return Some(String::new());
    }
    let ok = !trimmed.starts_with('/')
        && !trimmed.contains('\\')
        && trimmed
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    ok.then(|| trimmed.to_string())
}

/// Read the normalised `Cargo.toml`.
pub fn manifest(archive: &Archive) -> Result<Manifest, ManifestError> {
    let table = toml_table(archive, MANIFEST)?.ok_or(ManifestError::Missing(MANIFEST))?;
    let package = table.get("package").and_then(toml::Value::as_table);
    let text = |key: &str| {
        package
            .and_then(|p| p.get(key))
            .and_then(toml::Value::as_str)
            .map(str::to_string)
    };
    let name = text("name").ok_or_else(|| ManifestError::Invalid {
        file: MANIFEST,
        reason: "no `package.name`".into(),
    })?;
    Ok(Manifest {
        name,
        repository: text("repository"),
        readme: text("readme"),
        license_file: text("license-file"),
    })
}

/// Read `Cargo.toml.orig`; `None` when the package has none.
pub fn original_manifest(archive: &Archive) -> Result<Option<OriginalManifest>, ManifestError> {
    let Some(table) = toml_table(archive, ORIGINAL_MANIFEST)? else {
        return Ok(None);
    };
    let package = table.get("package").and_then(toml::Value::as_table);
    let path = |key: &str| -> Option<ManifestPath> {
        match package?.get(key)? {
            toml::Value::String(path) => Some(ManifestPath::Given(path.clone())),
            toml::Value::Table(t) if t.get("workspace") == Some(&toml::Value::Boolean(true)) => {
                Some(ManifestPath::Workspace)
            }
            _ => None,
        }
    };
    let workspace = package
        .and_then(|p| p.get("workspace"))
        .and_then(toml::Value::as_str)
        .map(str::to_string);
    Ok(Some(OriginalManifest {
        readme: path("readme"),
        license_file: path("license-file"),
        workspace,
    }))
}

fn toml_table(archive: &Archive, file: &'static str) -> Result<Option<toml::Table>, ManifestError> {
    let Some(bytes) = archive.file(file) else {
        return Ok(None);
    };
    let text = std::str::from_utf8(bounded(bytes, file)?).map_err(|e| ManifestError::Invalid {
        file,
        reason: e.to_string(),
    })?;
    text.parse::<toml::Table>()
        .map(Some)
        .map_err(|e| ManifestError::Invalid {
            file,
            reason: e.message().to_string(),
        })
}

fn bounded<'a>(bytes: &'a [u8], file: &'static str) -> Result<&'a [u8], ManifestError> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            file,
            limit: MAX_MANIFEST_BYTES,
        });
    }
    Ok(bytes)
}
