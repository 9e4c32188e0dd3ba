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

/// A JSON list as [`json_list`] reads it.
#[derive(Debug)]
pub enum JsonList<'a> {
    /// Each item's JSON text.
    Items(Vec<&'a serde_json::value::RawValue>),
    /// More items than allowed: how many (none of them kept).
    Over(usize),
}

/// The items of the JSON list `text`, each kept as the text it was sent as
/// (no tree of values is built, whatever the items hold), and none kept
/// past `max`: a longer list is [`JsonList::Over`], counted to its end.
/// An error for text that is not a JSON list.
pub fn json_list(text: &str, max: usize) -> Result<JsonList<'_>, serde_json::Error> {
    use serde::de::{Deserializer as _, IgnoredAny, SeqAccess, Visitor};
    use serde_json::value::RawValue;
    struct Items(usize);
    impl<'de> Visitor<'de> for Items {
        type Value = JsonList<'de>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<JsonList<'de>, S::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                if items.len() == self.0 {
                    let mut count = items.len() + 1;
                    while seq.next_element::<IgnoredAny>()?.is_some() {
                        count += 1;
                    }
                    return Ok(JsonList::Over(count));
                }
                items.push(item);
            }
            Ok(JsonList::Items(items))
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let list = deserializer.deserialize_seq(Items(max))?;
    deserializer.end()?;
    Ok(list)
}

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

    #[test]
    fn a_json_list_keeps_its_items_as_text_and_no_more_than_allowed() {
        let JsonList::Items(items) = json_list(r#"[1, {"a": [2]}, "x"]"#, 3).unwrap() else {
            panic!("three items are allowed")
        };
        let texts: Vec<&str> = items.iter().map(|i| i.get()).collect();
        assert_eq!(texts, ["1", r#"{"a": [2]}"#, r#""x""#]);
        assert!(matches!(
            json_list("[1, 2, 3, 4]", 3),
            Ok(JsonList::Over(4))
        ));
        for not_a_list in ["{}", "null", "[1,", "[1] x"] {
            assert!(json_list(not_a_list, 3).is_err(), "{not_a_list}");
        }
    }

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
