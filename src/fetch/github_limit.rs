//! GitHub's hourly limit on requests without a token, remembered between
//! runs: once GitHub has refused a run for it, later runs do not ask that
//! API again until the time GitHub gave (`Retry-After`, else
//! `X-RateLimit-Reset`, as its documentation tells clients to wait), and
//! their packages are not checked, said once.
//!
//! The cache is shared and hostile, so a remembered limit is bounded: it
//! counts only if it was recorded no later than the run's clock, and it
//! lasts at most [`LONGEST`] from when it was recorded, whatever reset
//! time the entry names. A planted entry can silence GitHub for an hour at
//! most, never for good.
//!
//! Layout: `github-limit/v1/KEY.json`, KEY the SHA-256 of the API's URL.

use std::path::PathBuf;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::cache::{Cache, CacheError};
use crate::http::redact_url_keyed;

/// Bumped when the entry format changes; old entries are then absent.
const FORMAT: u32 = 1;
/// The longest a remembered limit lasts after it was recorded: GitHub's
/// anonymous limit is per hour.
pub const LONGEST: SignedDuration = SignedDuration::from_hours(1);
/// How long to wait when GitHub named no time (its documentation: at
/// least a minute).
const UNNAMED: Duration = Duration::from_secs(60);
/// An entry is a few hundred bytes.
const MAX_ENTRY_BYTES: u64 = 4096;

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    format: u32,
    /// The API the limit is for, as a key stores a URL (a `user:token@`
    /// or `?token=` never written).
    api: String,
    /// When the refusal came, by the run's clock.
    recorded: Timestamp,
    /// When GitHub said the limit resets.
    resets: Timestamp,
}

fn relative(api: &str) -> PathBuf {
    let key = sigstore_crypto::sha256(api.as_bytes()).to_hex();
    PathBuf::from("github-limit")
        .join(format!("v{FORMAT}"))
        .join(format!("{key}.json"))
}

/// When GitHub's limit on requests to `api` without a token resets, as an
/// earlier run recorded it, if that is after `now`.
///
/// Checks, in order: a readable entry of this format for this API; it was
/// recorded no later than `now` (an entry from the future is not read);
/// its reset is taken as at most [`LONGEST`] after it was recorded; that
/// is after `now`.
pub fn remembered(cache: &Cache, api: &str, now: Timestamp) -> Option<Timestamp> {
    let bytes = cache.read_file(&relative(api), MAX_ENTRY_BYTES).ok()??;
    let entry: Entry = serde_json::from_slice(&bytes).ok()?;
    if entry.format != FORMAT || entry.api != redact_url_keyed(api) || entry.recorded > now {
        return None;
    }
    let latest = entry.recorded.checked_add(LONGEST).ok()?;
    let resets = entry.resets.min(latest);
    (resets > now).then_some(resets)
}

/// Record that GitHub refused a request to `api` without a token for its
/// limit at `now`, resetting after `wait` (a minute when it named none;
/// at most [`LONGEST`]).
pub fn remember(
    cache: &Cache,
    api: &str,
    now: Timestamp,
    wait: Option<Duration>,
) -> Result<(), CacheError> {
    let wait = SignedDuration::try_from(wait.unwrap_or(UNNAMED))
        .unwrap_or(LONGEST)
        .min(LONGEST);
    let entry = Entry {
        format: FORMAT,
        api: redact_url_keyed(api),
        recorded: now,
        resets: now.checked_add(wait).unwrap_or(now),
    };
    let bytes = serde_json::to_vec(&entry).expect("an entry serializes");
    cache.write_file(&relative(api), &bytes)
}

/// `2026-12-07 16:42 UTC`: when a limit resets, for people.
pub fn shown(resets: Timestamp) -> String {
    resets.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "https://api.github.com";

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn an_apis_secret_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let now = at("2026-12-07T16:00:00Z");
        let api = "https://user:hunter2@github.example/api/v3?token=sekrit";
        remember(&cache, api, now, None).unwrap();
        assert!(remembered(&cache, api, now).is_some());
        let bytes = cache
            .read_file(&relative(api), MAX_ENTRY_BYTES)
            .unwrap()
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("sekrit"),
            "{text}"
        );
    }

    #[test]
    fn a_limit_is_remembered_until_it_resets() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let now = at("2026-12-07T16:00:00Z");
        assert_eq!(remembered(&cache, API, now), None);
        remember(&cache, API, now, Some(Duration::from_secs(1500))).unwrap();
        let resets = at("2026-12-07T16:25:00Z");
        assert_eq!(remembered(&cache, API, now), Some(resets));
        assert_eq!(shown(resets), "2026-12-07 16:25 UTC");
        // Another API's limit is its own.
        assert_eq!(
            remembered(&cache, "https://github.example/api/v3", now),
            None
        );
        // Reset: asked again.
        assert_eq!(remembered(&cache, API, resets), None);
        // No time named: a minute.
        remember(&cache, API, now, None).unwrap();
        assert_eq!(
            remembered(&cache, API, now),
            Some(at("2026-12-07T16:01:00Z"))
        );
        // A wait longer than an hour is an hour.
        remember(&cache, API, now, Some(Duration::from_secs(86_400 * 365))).unwrap();
        assert_eq!(
            remembered(&cache, API, now),
            Some(at("2026-12-07T17:00:00Z"))
        );
    }

    /// A planted entry naming a reset far ahead, or recorded in the
    /// future, silences GitHub for an hour after it was recorded at most.
    #[test]
    fn a_planted_far_future_reset_lasts_an_hour_at_most() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let plant = |recorded: &str, resets: &str| {
            let entry = format!(
                r#"{{"format":1,"api":"{API}","recorded":"{recorded}","resets":"{resets}"}}"#
            );
            cache.write_file(&relative(API), entry.as_bytes()).unwrap();
        };
        let now = at("2026-12-07T16:00:00Z");
        plant("2026-12-07T16:00:00Z", "9999-01-01T00:00:00Z");
        assert_eq!(
            remembered(&cache, API, now),
            Some(at("2026-12-07T17:00:00Z"))
        );
        assert_eq!(remembered(&cache, API, at("2026-12-07T17:00:01Z")), None);
        plant("9999-01-01T00:00:00Z", "9999-01-01T00:30:00Z");
        assert_eq!(remembered(&cache, API, now), None);
        cache.write_file(&relative(API), b"{not json").unwrap();
        assert_eq!(remembered(&cache, API, now), None);
    }
}
