//! Finding the policy file: `provenance.toml` or `.cargo/provenance.toml`,
//! upward from the workspace root (or the lockfile's folder).

use std::path::{Path, PathBuf};

use super::PolicyLoadError;

/// The names looked for in each folder, in order.
pub const POLICY_FILE_NAMES: [&str; 2] = ["provenance.toml", ".cargo/provenance.toml"];

/// The policy file for a workspace rooted at `start`: the first folder,
/// from `start` up to the filesystem root, holding one of
/// [`POLICY_FILE_NAMES`]. A folder holding both is an error.
pub fn discover(start: &Path) -> Result<Option<PathBuf>, PolicyLoadError> {
    let start = if start.is_absolute() {
        start.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(start))
            .unwrap_or_else(|_| start.to_path_buf())
    };
    // Without `.` components, so that reported paths read cleanly.
    let start: PathBuf = start
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    for dir in start.ancestors() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_file_upward() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let nested = root.join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(discover(&nested).unwrap(), None);

        std::fs::create_dir_all(root.join(".cargo")).unwrap();
        std::fs::write(root.join(".cargo/provenance.toml"), "").unwrap();
        assert_eq!(
            discover(&nested).unwrap(),
            Some(root.join(".cargo/provenance.toml"))
        );

        std::fs::write(root.join("a/provenance.toml"), "").unwrap();
        assert_eq!(
            discover(&nested).unwrap(),
            Some(root.join("a/provenance.toml"))
        );

        std::fs::write(root.join("provenance.toml"), "").unwrap();
        assert!(matches!(
            discover(root),
            Err(PolicyLoadError::Ambiguous { .. })
        ));
    }
}
