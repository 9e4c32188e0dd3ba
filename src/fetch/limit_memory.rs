//! GitHub's hourly limit without a token, as a run uses what
//! [`github_limit`] stores: the sources a limit reached by an earlier run
//! still stops, and a limit reached now remembered for the runs after.
//! Apart from `github_limit` because this part knows the run's sources and
//! their tokens, not the cache's layout.

use reqwest::Url;

use super::{github_limit, Shared};
use crate::sources::{self, GitHubAuth, SourceFailure, SourceSpec};

/// The API of a `github` source that sends it no token: the one its
/// limit is remembered for.
fn anonymous_api<'a>(spec: &'a SourceSpec, auth: &GitHubAuth) -> Option<&'a str> {
    let SourceSpec::GitHub { api_url, .. } = spec else {
        return None;
    };
    let with_token =
        auth.is_set() && Url::parse(api_url).is_ok_and(|url| url.origin() == auth.api().origin());
    (!with_token).then_some(api_url.as_str())
}

/// Online, each `github` source without a token whose hourly limit an
/// earlier run reached, and which resets after now ([`github_limit`]),
/// is stopped before anything is asked: its packages are not checked.
/// Returns those sources and when each limit resets.
pub(super) fn remembered_limits(shared: &Shared) -> Vec<(usize, jiff::Timestamp)> {
    let (Some(cache), false) = (&shared.cache, shared.options.offline) else {
        return Vec::new();
    };
    let mut limits = Vec::new();
    for (index, spec) in shared.sources.iter().enumerate() {
        let Some(api) = anonymous_api(spec, &shared.options.github_auth) else {
            continue;
        };
        let Some(resets) = github_limit::remembered(cache, api, shared.options.now) else {
            continue;
        };
        let failure = SourceFailure {
            kind: crate::evidence::FailureKind::RateLimited,
            ..SourceFailure::stopping(
                sources::FailureCause::RememberedLimit,
                format!(
                "{}: GitHub's hourly limit resets at {}; not asked until then (an earlier run reached it); set GITHUB_TOKEN or GH_TOKEN: authenticated requests have a much higher rate limit",
                shared.keys[index].label,
                github_limit::shown(resets)
                ),
            )
        };
        if shared.stopped[index].set(failure).is_ok() {
            limits.push((index, resets));
        }
    }
    limits
}

/// A `github` source without a token was refused for its hourly limit:
/// remember when it resets, for the runs until then.
pub(super) fn remember_limit(shared: &Shared, index: usize, failure: &SourceFailure) {
    let (Some(cache), Some(wait)) = (&shared.cache, failure.anonymous_limit) else {
        return;
    };
    let Some(api) = anonymous_api(&shared.sources[index], &shared.options.github_auth) else {
        return;
    };
    if let Err(error) = github_limit::remember(cache, api, shared.options.now, wait) {
        if let Ok(mut warnings) = shared.warnings.lock() {
            warnings.push(error.to_string());
        }
    }
}
