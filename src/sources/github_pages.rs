//! One pager for GitHub's attestation listings, whichever endpoint: per
//! digest (`GET`, the next page named by `Link: rel="next"`) and in bulk
//! (`POST`, the next page by the `page_info` cursor). Both are held to the
//! same limits and read the same way, so what a package's attestations are
//! does not depend on which of the two listed them.
//!
//! [`Pager::next`] makes these checks, in order, for every page:
//! 1. at most [`MAX_PAGES`] pages;
//! 2. the request, within the package's budget when there is one; a rate
//!    limit stops the source ([`failure`]);
//! 3. a 401 stops the source ([`refused`]), saying whether the token was
//!    sent; any other status is the caller's to read.
//!
//! The next page is asked only at the first page's origin (the API the
//! source names): a `Link` elsewhere is an error.

use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};

use reqwest::header::{HeaderValue, ACCEPT};

use super::{FailureCause, SourceFailure};
use crate::http::{redact_url, Http, HttpError, Response};
use crate::limits::Budget;

/// The REST API version this module is written against.
pub const API_VERSION: &str = "2022-11-28";

/// Pages followed at most per listing, so that a server whose pages never
/// end cannot hold a run.
pub const MAX_PAGES: usize = 10;

/// The pages of one listing.
pub(super) struct Pager<'a> {
    http: &'a Http,
    label: &'a str,
    headers: HeaderMap,
    /// The POST body of a bulk listing; `None` for a GET.
    body: Option<Vec<u8>>,
    budget: Option<&'a Budget>,
    first: Url,
    next: Option<Url>,
    pages: usize,
}

/// One page's answer.
pub(super) struct Page {
    pub url: Url,
    /// 1 for the first page.
    pub number: usize,
    pub response: Response,
}

impl Page {
    /// Where the page's attestations came from: its URL redacted, and its
    /// number after the first (the cursor of its URL is not shown).
    pub fn location(&self) -> String {
        let shown = redact_url(self.url.as_str());
        if self.number == 1 {
            shown
        } else {
            format!("{shown}#page={}", self.number)
        }
    }
}

impl<'a> Pager<'a> {
    /// The pages of a `GET` listing from `first`, within `budget`.
    pub fn get(http: &'a Http, label: &'a str, first: Url, budget: &'a Budget) -> Self {
        Self {
            budget: Some(budget),
            ..Self::new(http, label, first)
        }
    }

    /// The pages of a `POST` listing of `body` at `first`.
    pub fn post(http: &'a Http, label: &'a str, first: Url, body: Vec<u8>) -> Self {
        Self {
            body: Some(body),
            ..Self::new(http, label, first)
        }
    }

    fn new(http: &'a Http, label: &'a str, first: Url) -> Self {
        Self {
            http,
            label,
            headers: api_headers(),
            body: None,
            budget: None,
            next: Some(first.clone()),
            first,
            pages: 0,
        }
    }

    /// The next page; `None` once the listing is over (see the module
    /// documentation).
    pub async fn next(&mut self) -> Result<Option<Page>, SourceFailure> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        self.pages += 1;
        if self.pages > MAX_PAGES {
            return Err(SourceFailure::new(
                FailureCause::Listing,
                format!(
                    "{}: more than {MAX_PAGES} pages from {}",
                    self.label,
                    redact_url(self.first.as_str())
                ),
            ));
        }
        let answered = match &self.body {
            Some(body) => self.http.post_json(&url, &self.headers, body).await,
            None => self.http.get_within(&url, &self.headers, self.budget).await,
        };
        let token_sent = self.http.sends_credential_to(&url);
        let response = answered.map_err(|e| failure(self.label, token_sent, e))?;
        if response.status == StatusCode::UNAUTHORIZED {
            return Err(refused(self.label, self.http, &url, response.status, &[]));
        }
        Ok(Some(Page {
            url,
            number: self.pages,
            response,
        }))
    }

    /// The page after `page` is the one its `Link: rel="next"` names, if
    /// any, at the first page's origin only.
    pub fn follow_link(&mut self, page: &Page) -> Result<(), SourceFailure> {
        let Some(link) = next_link(&page.response.headers) else {
            return Ok(());
        };
        let bad = |reason: String| {
            SourceFailure::new(FailureCause::Listing, format!("{}: {reason}", self.label))
        };
        let link = page
            .url
            .join(&link)
            .map_err(|e| bad(format!("bad Link header: {e}")))?;
        if link.origin() != self.first.origin() {
            return Err(bad(format!(
                "Link header points to another host: {}",
                redact_url(link.as_str())
            )));
        }
        self.next = Some(link);
        Ok(())
    }

    /// The page after is the first page's URL with `after=CURSOR`.
    pub fn follow_cursor(&mut self, cursor: &str) {
        let mut next = self.first.clone();
        next.query_pairs_mut().append_pair("after", cursor);
        self.next = Some(next);
    }
}

/// The failure for an answer other than 200 (and a first page's 404): a
/// 401 stops the source, saying whether the token was sent.
pub(super) fn refused(
    label: &str,
    http: &Http,
    url: &Url,
    status: StatusCode,
    body: &[u8],
) -> SourceFailure {
    if status == StatusCode::UNAUTHORIZED {
        let cause = FailureCause::Status(status);
        return SourceFailure::stopping(
            cause,
            if http.sends_credential_to(url) {
                format!("{label}: GitHub refused the token (401); check GITHUB_TOKEN / GH_TOKEN")
            } else {
                format!(
                "{label}: {} asks for a token (401); GITHUB_TOKEN / GH_TOKEN is sent only to the GitHub API named by --github-api-url (GITHUB_API_URL), https://api.github.com by default",
                redact_url(url.origin().ascii_serialization().as_str())
            )
            },
        );
    }
    SourceFailure::new(
        FailureCause::Status(status),
        format!(
            "{label}: {} answered {status}{}",
            redact_url(url.as_str()),
            github_message(body)
        ),
    )
}

/// The headers of every request to the API: its media type and version.
/// (The token is the HTTP client's to add, for the API it is for.)
pub(super) fn api_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        ACCEPT,
        HeaderValue::from_static("application/vnd.github+json"),
    );
    headers.insert(
        "x-github-api-version",
        HeaderValue::from_static(API_VERSION),
    );
    headers
}

/// A transport error, with rate limits turned into a stop of this source.
/// `token_sent`: the request carried the token.
pub(super) fn failure(label: &str, token_sent: bool, error: HttpError) -> SourceFailure {
    match error {
        HttpError::RateLimited { reset_in, .. } => {
            let cause = FailureCause::Http(error.clone());
            let when = reset_in
                .map(|d| format!(" for another {} min", d.as_secs().div_ceil(60).max(1)))
                .unwrap_or_default();
            let hint = if token_sent {
                "wait for the limit to reset, or run again later (cached answers are kept)"
            } else {
                "set GITHUB_TOKEN or GH_TOKEN: authenticated requests have a much higher rate limit"
            };
            SourceFailure {
                kind: crate::evidence::FailureKind::RateLimited,
                anonymous_limit: (!token_sent).then_some(reset_in),
                ..SourceFailure::stopping(
                    cause,
                    format!(
                        "{label}: GitHub's API rate limit is reached{when}; stopped asking it in this run; {hint}"
                    ),
                )
            }
        }
        other => SourceFailure::http(label, other),
    }
}

/// GitHub's `message` field, when the body has one.
fn github_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
        .unwrap_or_default()
}

/// The `rel="next"` target of a `Link` header.
pub(super) fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all("link") {
        let Ok(text) = value.to_str() else { continue };
        for part in text.split(',') {
            let mut fields = part.split(';').map(str::trim);
            let Some(target) = fields.next() else {
                continue;
            };
            let is_next = fields.any(|f| {
                f.strip_prefix("rel=")
                    .map(|r| r.trim_matches('"').split_whitespace().any(|r| r == "next"))
                    .unwrap_or(false)
            });
            if is_next {
                return target
                    .strip_prefix('<')
                    .and_then(|t| t.strip_suffix('>'))
                    .map(str::to_string);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_names_the_media_type_and_version_and_never_the_token() {
        let headers = api_headers();
        assert_eq!(headers[ACCEPT], "application/vnd.github+json");
        assert_eq!(headers["x-github-api-version"], API_VERSION);
        assert!(!headers.contains_key(reqwest::header::AUTHORIZATION));
    }

    #[test]
    fn a_rate_limit_stops_the_source_and_says_what_to_do() {
        let limited = || HttpError::RateLimited {
            url: "https://api.github.com/x".into(),
            reset_in: Some(std::time::Duration::from_secs(61)),
        };
        let without = failure("github", false, limited());
        assert_eq!(without.kind, crate::evidence::FailureKind::RateLimited);
        assert!(without.stop_source);
        let reset_in = Some(std::time::Duration::from_secs(61));
        assert_eq!(without.anonymous_limit, Some(reset_in));
        assert_eq!(
            without.message,
            "github: GitHub's API rate limit is reached for another 2 min; stopped asking it in this run; set GITHUB_TOKEN or GH_TOKEN: authenticated requests have a much higher rate limit"
        );
        let with = failure("github", true, limited());
        assert!(
            with.message.ends_with(
                "; wait for the limit to reset, or run again later (cached answers are kept)"
            ),
            "{}",
            with.message
        );
        assert_eq!(with.anonymous_limit, None);
        // Anything else is the transport's failure, kept as it is.
        let other = failure("github", false, HttpError::Client("no client".into()));
        assert!(!other.stop_source);
        assert_eq!(other.kind, crate::evidence::FailureKind::Failed);
    }

    #[test]
    fn githubs_message_is_quoted_cut_short() {
        assert_eq!(github_message(br#"{"message":"Not Found"}"#), ": Not Found");
        let long = format!(r#"{{"message":"{}"}}"#, "é".repeat(300));
        assert_eq!(
            github_message(long.as_bytes()),
            format!(": {}", "é".repeat(200))
        );
        assert_eq!(github_message(b"{}"), "");
        assert_eq!(github_message(b"<html>"), "");
    }

    #[test]
    fn next_link_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "link",
            HeaderValue::from_static(
                "<https://api.github.com/x?per_page=100&before=Y>; rel=\"prev\", <https://api.github.com/x?per_page=100&after=Z>; rel=\"next\"",
            ),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://api.github.com/x?per_page=100&after=Z")
        );
        headers.insert(
            "link",
            HeaderValue::from_static("<https://api.github.com/x>; rel=\"prev\""),
        );
        assert_eq!(next_link(&headers), None);
    }
}
