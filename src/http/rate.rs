//! Rate limits: spacing the requests to a service that allows a limited
//! rate, and telling a rate-limit answer from a plain refusal.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

/// Spaces requests to one service: one request at a time, and each one
/// starts at least `interval` after the previous one *finished* (its answer
/// read, or its failure seen), however many tasks wait at once (they take
/// turns in the order they came). Measuring from the end rather than the
/// start keeps the gap the service sees at `interval` or more even when a
/// request is slow to leave this machine. One per service per run, shared by
/// every task.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// When the last request finished; `None` before the first.
    last_done: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

/// A caller's turn at a [`RateLimiter`]: the next turn waits until this one
/// is dropped, then `interval` more.
#[derive(Debug)]
pub struct Turn<'a> {
    last_done: tokio::sync::MutexGuard<'a, Option<tokio::time::Instant>>,
    /// No request was made in this turn: the next one need not wait for it.
    unused: bool,
}

impl Turn<'_> {
    /// Give the turn back without having asked anything.
    pub fn unused(mut self) {
        self.unused = true;
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if !self.unused {
            *self.last_done = Some(tokio::time::Instant::now());
        }
    }
}

impl RateLimiter {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_done: tokio::sync::Mutex::new(None),
        }
    }

    /// Wait for this caller's turn; hold it for the whole request.
    pub async fn turn(&self) -> Turn<'_> {
        let last_done = self.last_done.lock().await;
        if let Some(done) = *last_done {
            tokio::time::sleep_until(done + self.interval).await;
        }
        Turn {
            last_done,
            unused: false,
        }
    }
}

/// Whether a response is a rate limit, and when it resets.
///
/// `Some(None)`: rate limited, no reset time given. A 403 counts only with
/// rate-limit headers (`Retry-After`, or `x-ratelimit-remaining: 0`), since
/// a plain 403 means "forbidden".
pub(super) fn rate_limit(status: StatusCode, headers: &HeaderMap) -> Option<Option<Duration>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let retry_after = header(RETRY_AFTER.as_str()).and_then(parse_retry_after);
    let exhausted = header("x-ratelimit-remaining").map(str::trim) == Some("0");
    let reset = header("x-ratelimit-reset")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|epoch| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            Duration::from_secs(epoch.saturating_sub(now))
        });
    let limited = match status {
        StatusCode::TOO_MANY_REQUESTS => true,
        StatusCode::FORBIDDEN => retry_after.is_some() || exhausted,
        _ => false,
    };
    if !limited {
        return None;
    }
    Some(
        retry_after
            .or(if exhausted { reset } else { None })
            .or(reset),
    )
}

/// `Retry-After` in seconds (the HTTP-date form is read as "unknown").
fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn rate_limits_are_told_from_plain_forbidden() {
        let mut headers = HeaderMap::new();
        assert_eq!(rate_limit(StatusCode::FORBIDDEN, &headers), None);
        assert_eq!(
            rate_limit(StatusCode::TOO_MANY_REQUESTS, &headers),
            Some(None)
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            rate_limit(StatusCode::FORBIDDEN, &headers),
            Some(Some(Duration::from_secs(7)))
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        // A reset in the past: no wait at all.
        assert_eq!(
            rate_limit(StatusCode::FORBIDDEN, &headers),
            Some(Some(Duration::ZERO))
        );
        assert_eq!(rate_limit(StatusCode::OK, &headers), None);
    }

    #[test]
    fn the_limiter_spaces_every_caller_from_the_end_of_the_previous_turn() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let interval = Duration::from_millis(30);
        // Each turn is held as long as a slow request would be.
        let held = Duration::from_millis(20);
        let limiter = std::sync::Arc::new(RateLimiter::new(interval));
        let mut turns: Vec<(tokio::time::Instant, tokio::time::Instant)> =
            runtime.block_on(async {
                let tasks: Vec<_> = (0..5)
                    .map(|_| {
                        let limiter = limiter.clone();
                        tokio::spawn(async move {
                            let turn = limiter.turn().await;
                            let start = tokio::time::Instant::now();
                            tokio::time::sleep(held).await;
                            let end = tokio::time::Instant::now();
                            drop(turn);
                            (start, end)
                        })
                    })
                    .collect();
                let mut turns = Vec::new();
                for task in tasks {
                    turns.push(task.await.unwrap());
                }
                turns
            });
        turns.sort();
        for pair in turns.windows(2) {
            let (_, previous_end) = pair[0];
            let (next_start, _) = pair[1];
            assert!(
                next_start - previous_end >= interval,
                "{:?} after the previous turn ended",
                next_start.saturating_duration_since(previous_end)
            );
        }
    }
}
