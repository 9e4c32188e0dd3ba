//! Finding the policy file: `provenance.toml` or `.cargo/provenance.toml`,
//! upward from the workspace root (or the lockfile's folder), never past
//! the enclosing repository root.

use std::path::{Path, PathBuf};

use super::PolicyLoadError;

/// The names looked for in each folder, in order.
pub const POLICY_FILE_NAMES: [&str; 2] = ["provenance.toml", ".cargo/provenance.toml"];

/// Where the search for a policy file starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchFrom {
    /// The root of a workspace cargo found: the search may go on up to the
    /// repository root (a workspace in a subfolder of a repository).
    WorkspaceRoot,
    /// The folder of a lockfile given alone: the search ends at the
    /// enclosing workspace root or repository root, whichever is nearer.
    LockfileFolder,
}

/// The policy file for the folder `start`: the first folder, from `start`
/// upward, holding one of [`POLICY_FILE_NAMES`]. A folder holding both is
/// an error.
///
/// The search ends at the first folder (`start` included) that is a
/// repository root (it holds `.git`, `.hg` or `.jj`); from a lockfile's
/// folder, also at a workspace root (a `Cargo.toml` with a `[workspace]`
/// table). Outside any repository only `start` is searched, so a
/// `provenance.toml` left in a parent folder (a home or temporary folder)
/// never decides a run.
pub fn discover(start: &Path, from: SearchFrom) -> Result<Option<PathBuf>, PolicyLoadError> {
    let start = absolute(start);
    for dir in search_path(&start, from) {
        let found: Vec<PathBuf> = POLICY_FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .filter(|path| path.is_file())
            .collect();
        match found.len() {
            0 => continue,
            1 => return Ok(found.into_iter().next()),
            _ => {
                return Err(PolicyLoadError::Ambiguous {
                    dir: dir.to_path_buf(),
                })
            }
        }
    }
    Ok(None)
}

/// The folders [`discover`] looks in, nearest first.
pub fn search_path(start: &Path, from: SearchFrom) -> Vec<&Path> {
    let mut folders = Vec::new();
    for dir in start.ancestors() {
        folders.push(dir);
        let workspace = from == SearchFrom::LockfileFolder && is_workspace_root(dir);
        if is_repository_root(dir) || workspace {
            return folders;
        }
    }
    // No repository above: the starting folder alone.
    folders.truncate(1);
    folders
}

/// `start` as an absolute path without `.` components, so that reported
/// paths read cleanly.
fn absolute(start: &Path) -> PathBuf {
    let start = if start.is_absolute() {
        start.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(start))
            .unwrap_or_else(|_| start.to_path_buf())
    };
    start
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

fn is_repository_root(dir: &Path) -> bool {
    [".git", ".hg", ".jj"]
        .iter()
        .any(|name| std::fs::symlink_metadata(dir.join(name)).is_ok())
}

/// The most of a `Cargo.toml` read to find a workspace root: a checkout
/// is hostile, and its manifest may be a link to a device or a FIFO.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// A folder whose `Cargo.toml` has a `[workspace]` table (a regular file
/// of at most [`MAX_MANIFEST_BYTES`]).
fn is_workspace_root(dir: &Path) -> bool {
    crate::bounded_read::read_regular_at_most(&dir.join("Cargo.toml"), MAX_MANIFEST_BYTES)
        .ok()
        .and_then(Result::ok)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|manifest| manifest.contains_key("workspace"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_file_upward_within_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let nested = root.join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        // Above the repository root: never found.
        std::fs::write(dir.path().join("provenance.toml"), "").unwrap();
        let from = SearchFrom::WorkspaceRoot;
        assert_eq!(discover(&nested, from).unwrap(), None);

        std::fs::create_dir_all(root.join(".cargo")).unwrap();
        std::fs::write(root.join(".cargo/provenance.toml"), "").unwrap();
        assert_eq!(
            discover(&nested, from).unwrap(),
            Some(root.join(".cargo/provenance.toml"))
        );

        std::fs::write(root.join("a/provenance.toml"), "").unwrap();
        assert_eq!(
            discover(&nested, from).unwrap(),
            Some(root.join("a/provenance.toml"))
        );

        std::fs::write(root.join("provenance.toml"), "").unwrap();
        assert!(matches!(
            discover(&root, from),
            Err(PolicyLoadError::Ambiguous { .. })
        ));
    }

    #[test]
    fn outside_a_repository_only_the_starting_folder_is_searched() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(dir.path().join("provenance.toml"), "").unwrap();
        assert_eq!(search_path(&nested, SearchFrom::WorkspaceRoot), [&*nested]);
        assert_eq!(discover(&nested, SearchFrom::LockfileFolder).unwrap(), None);
    }

    #[test]
    fn from_a_lockfile_the_search_ends_at_the_enclosing_workspace_root() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        let workspace = repo.join("rust");
        let nested = workspace.join("sub");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(workspace.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::write(repo.join("provenance.toml"), "").unwrap();
        assert_eq!(
            search_path(&nested, SearchFrom::LockfileFolder),
            [&*nested, &*workspace]
        );
        assert_eq!(discover(&nested, SearchFrom::LockfileFolder).unwrap(), None);
        // From the workspace root, up to the repository root.
        assert_eq!(
            discover(&workspace, SearchFrom::WorkspaceRoot).unwrap(),
            Some(repo.join("provenance.toml"))
        );
    }
}
