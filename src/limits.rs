//! Limits on hostile input, and the budget of one package's answers.
//! ([`crate::bounded_read`] reads a file or a JSON list within them.)
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
//! | all answers for one package, every source and request together (pages, bulk-list entries, `bundle_url` blobs read and decoded) | [`Budget`]: the same two limits, checked while reading |
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

/// A bundle file larger than this is refused: real bundles are a few KiB,
/// and even a large SLSA predicate stays far below.
pub const MAX_BUNDLE_BYTES: usize = 4 * 1024 * 1024;
/// At most this many bundles are read from one file or response (and
/// from all of one source's answers for one package).
pub const MAX_BUNDLES_PER_FILE: usize = 256;
/// A file or response of bundles larger than this is refused (and all of
/// one source's answers for one package together may not be larger).
pub const MAX_DOCUMENT_BYTES: usize = 4 * MAX_BUNDLE_BYTES;

/// What one package's answers may still take, across every source and
/// every request made for it (API pages, bulk-list entries, URL template
/// answers, `bundle_url` blobs): bytes read from the network plus bytes a
/// blob decodes to, and bundles. Each body is checked against what is left
/// while it is read, and nothing is downloaded once nothing is left, so no
/// server can make one package hold more than [`MAX_DOCUMENT_BYTES`] of
/// answers in memory.
#[derive(Debug)]
pub struct Budget {
    bytes_left: std::sync::atomic::AtomicUsize,
    bundles_left: std::sync::atomic::AtomicUsize,
}

/// A [`Budget`] that ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OverBudget {
    #[error("over the {MAX_DOCUMENT_BYTES}-byte limit of all answers for one package")]
    Bytes,
    #[error("over the limit of {MAX_BUNDLES_PER_FILE} bundles for one package")]
    Bundles,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(MAX_DOCUMENT_BYTES, MAX_BUNDLES_PER_FILE)
    }
}

impl Budget {
    pub fn new(bytes: usize, bundles: usize) -> Self {
        Self {
            bytes_left: bytes.into(),
            bundles_left: bundles.into(),
        }
    }

    /// The bytes that may still be read or decoded.
    pub fn bytes_left(&self) -> usize {
        self.bytes_left.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Room for another download: a byte left. (Bundles are spent as an
    /// answer names them, before any of them is downloaded.)
    pub fn check_room(&self) -> Result<(), OverBudget> {
        if self.bytes_left() == 0 {
            return Err(OverBudget::Bytes);
        }
        Ok(())
    }

    /// Spend `count` bytes; an error, spending nothing, when fewer are left.
    pub fn spend_bytes(&self, count: usize) -> Result<(), OverBudget> {
        Self::spend(&self.bytes_left, count).map_err(|()| OverBudget::Bytes)
    }

    /// Spend `count` bundles; an error, spending nothing, when fewer are left.
    pub fn spend_bundles(&self, count: usize) -> Result<(), OverBudget> {
        Self::spend(&self.bundles_left, count).map_err(|()| OverBudget::Bundles)
    }

    fn spend(left: &std::sync::atomic::AtomicUsize, count: usize) -> Result<(), ()> {
        use std::sync::atomic::Ordering;
        left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
            left.checked_sub(count)
        })
        .map(|_| ())
        .map_err(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_spent_exactly_to_zero_and_never_below() {
        let budget = Budget::new(10, 2);
        assert_eq!(budget.check_room(), Ok(()));
        assert_eq!(budget.spend_bytes(4), Ok(()));
        assert_eq!(budget.spend_bytes(7), Err(OverBudget::Bytes));
        assert_eq!(budget.bytes_left(), 6, "a refused spend spends nothing");
        assert_eq!(budget.spend_bytes(6), Ok(()));
        assert_eq!(budget.check_room(), Err(OverBudget::Bytes));
        let budget = Budget::new(10, 2);
        assert_eq!(budget.spend_bundles(2), Ok(()));
        assert_eq!(budget.spend_bundles(1), Err(OverBudget::Bundles));
        assert_eq!(budget.check_room(), Ok(()), "the bundles named are fetched");
        let default = Budget::default();
        assert_eq!(default.bytes_left(), MAX_DOCUMENT_BYTES);
    }
}
