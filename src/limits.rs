//! Limits on hostile input, and the bounded read every input file goes
//! through.
//!
//! Every input is bounded before it is parsed, so that no lockfile, policy,
//! bundle, response or cache entry can make a run use unbounded memory or
//! time; going over a limit is an error that names the input and the limit:
//!
//! | input | limit |
//! |---|---|
//! | lockfile | [`crate::lockfile::MAX_LOCKFILE_BYTES`], [`crate::lockfile::MAX_PACKAGES`] |
//! | policy file | [`crate::policy::MAX_POLICY_BYTES`] |
//! | trusted root | [`crate::trust::MAX_TRUSTED_ROOT_BYTES`] |
//! | one bundle | [`MAX_BUNDLE_BYTES`] |
//! | a bundle file, response or `dir` file | [`MAX_DOCUMENT_BYTES`], [`MAX_BUNDLES_PER_FILE`] bundles |
//! | all of one source's answers for a package (every GitHub page) | the same two limits |
//! | GitHub pages per package | 10 |
//! | HTTP response body | [`crate::http::HttpConfig::max_body_bytes`] (default [`MAX_DOCUMENT_BYTES`]) |
//! | cache entry | 64 MiB (a larger one is ignored, as if absent) |
//! | JSON and TOML nesting | 128 levels (serde_json's and toml's recursion limits) |
//!
//! Names and versions never become paths: crate names are checked against
//! cargo's rules when the lockfile is read, versions are semver, cache
//! entries are named by hex digests only, and `dir` and URL sources put a
//! name or version into a file name or URL only when it is made of
//! `[A-Za-z0-9._+-]` and does not start with a dot.

use std::io::Read;
use std::path::Path;

/// A bundle file larger than this is refused: real bundles are a few KiB,
/// and even a large SLSA predicate stays far below.
pub const MAX_BUNDLE_BYTES: usize = 4 * 1024 * 1024;
/// At most this many bundles are read from one file or response (and
/// from all of one source's answers for one package).
pub const MAX_BUNDLES_PER_FILE: usize = 256;
/// A file or response of bundles larger than this is refused (and all of
/// one source's answers for one package together may not be larger).
pub const MAX_DOCUMENT_BYTES: usize = 4 * MAX_BUNDLE_BYTES;

/// Read `path`, but never more than `max` bytes of it.
///
/// Returns `Ok(Err(size))` when the file holds more: `size` is its length
/// for a regular file (known before reading), else `max + 1` (a pipe or a
/// device such as `/dev/zero`, whose length says nothing).
pub fn read_at_most(path: &Path, max: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.len() > max {
        return Ok(Err(metadata.len()));
    }
    let expected = if metadata.is_file() {
        metadata.len()
    } else {
        0
    };
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(Err(max.saturating_add(1)));
    }
    Ok(Ok(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_limit_and_refuses_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_at_most(&path, 10).unwrap(), Ok(b"0123456789".to_vec()));
        assert_eq!(read_at_most(&path, 9).unwrap(), Err(10));
        assert!(read_at_most(&dir.path().join("missing"), 9).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_endless_device_is_cut_at_the_limit() {
        assert_eq!(
            read_at_most(Path::new("/dev/zero"), 1024).unwrap(),
            Err(1025)
        );
    }
}
