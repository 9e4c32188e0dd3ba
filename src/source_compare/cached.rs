//! Source comparisons kept for good: a package's published bytes (its
//! checksum) fix its repository and commit, and a commit never changes, so
//! a result is valid for as long as git fetches that repository from the
//! same place. Each entry records where git fetched from (after the user's
//! `insteadOf` rules); a run whose rules send the repository elsewhere (no
//! mirror, another mirror) treats the entry as absent, so one project's
//! mirror never decides another's result through a shared cache.
//!
//! Layout: `source-match/v1/AB/ABCD….json`, named by the checksum's hex.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;

use crate::cache::{Cache, CacheError};
use crate::git::Rewrites;
use crate::http::redact_url_keyed;
use crate::source_match::SourceMatch;

/// Bumped when the entry format changes; old entries are then absent.
const FORMAT: u32 = 1;
/// An entry larger than this is not read (a package whose every file
/// differs lists a few hundred KiB of paths at most).
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    format: u32,
    /// The package's SHA-256, hex.
    checksum: String,
    /// Where git fetched the repository from, as a key stores a URL (a
    /// mirror's `user:token@` never written); `None` when nothing was
    /// fetched (the result depends on the package alone).
    fetched_from: Option<String>,
    result: SourceMatch,
}

fn relative(checksum: &Sha256Hash) -> PathBuf {
    let hex = checksum.to_hex();
    PathBuf::from("source-match")
        .join(format!("v{FORMAT}"))
        .join(&hex[..2])
        .join(format!("{hex}.json"))
}

/// The cached result for this package, when there is a readable one for
/// its checksum made under the same `insteadOf` rules.
pub fn read(cache: &Cache, checksum: &Sha256Hash, rewrites: &Rewrites) -> Option<SourceMatch> {
    let entry = entry(cache, checksum)?;
    if let Some(fetched_from) = &entry.fetched_from {
        let repository = entry.result.repository.as_deref()?;
        if redact_url_keyed(&rewrites.apply(repository)) != *fetched_from {
            return None;
        }
    }
    Some(entry.result)
}

/// The cached result for this package, whatever `insteadOf` rules made it:
/// for what the package says of itself, which no mirror changes.
pub fn read_any(cache: &Cache, checksum: &Sha256Hash) -> Option<SourceMatch> {
    entry(cache, checksum).map(|entry| entry.result)
}

/// The readable entry for this checksum, in this format.
fn entry(cache: &Cache, checksum: &Sha256Hash) -> Option<Entry> {
    let bytes = cache
        .read_file(&relative(checksum), MAX_ENTRY_BYTES)
        .ok()??;
    let entry: Entry = serde_json::from_slice(&bytes).ok()?;
    (entry.format == FORMAT && entry.checksum == checksum.to_hex()).then_some(entry)
}

/// Keep `result` for good.
pub fn write(
    cache: &Cache,
    checksum: &Sha256Hash,
    fetched_from: Option<&str>,
    result: &SourceMatch,
) -> Result<(), CacheError> {
    let entry = Entry {
        format: FORMAT,
        checksum: checksum.to_hex(),
        fetched_from: fetched_from.map(redact_url_keyed),
        result: result.clone(),
    };
    let bytes = serde_json::to_vec(&entry).expect("an entry serializes");
    cache.write_file(&relative(checksum), &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mirror's URL with a token in it (an `insteadOf` rule's target):
    /// the entry is found again under the same rule, not under a rule
    /// with another token, and the token is never written.
    #[test]
    fn where_a_result_was_fetched_from_is_kept_without_its_secret() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let checksum = Sha256Hash::from_hex(&"07".repeat(32)).unwrap();
        let repository = "https://github.com/o/r";
        let mirror = |token: &str| {
            Rewrites::new([(
                repository.to_string(),
                format!("https://ci:{token}@mirror.example/o/r"),
            )])
        };
        let mut result = SourceMatch::not_checked("a difference");
        result.repository = Some(repository.into());
        let fetched_from = mirror("SECRET1").apply(repository);
        write(&cache, &checksum, Some(&fetched_from), &result).unwrap();
        let bytes = std::fs::read(dir.path().join(relative(&checksum))).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains("SECRET1") && !text.contains("ci:"), "{text}");
        assert_eq!(read(&cache, &checksum, &mirror("SECRET1")), Some(result));
        assert_eq!(read(&cache, &checksum, &mirror("SECRET2")), None);
        assert_eq!(read(&cache, &checksum, &Rewrites::default()), None);
    }
}
