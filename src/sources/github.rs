//! GitHub's artifact attestations REST API, by subject digest.
//!
//! `GET /repos/{owner}/{repo}/attestations/sha256:{hex}` (or
//! `/orgs/{org}/attestations/…`), `per_page=100`, optionally
//! `predicate_type=…`, following `Link: <…>; rel="next"` pages. The answer
//! is `{"attestations": [{"repository_id": N, "bundle_url": …, "initiator": …}]}`
//! (github.com since API version 2026-03-10, whatever version is asked
//! for), or with the bundle inline, `{"bundle": {…}}` (GitHub Enterprise
//! Server, older answers). A `bundle_url` is fetched without the token
//! ([`super::bundle_url`]); 404 means no attestation.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use reqwest::{StatusCode, Url};

use super::{split_fetching, PackageQuery, Reply, SourceFailure};
use crate::cache::{Answer, BundleDocument, IgnoredBundle};
use crate::http::{Http, HttpError};
use crate::verify::{MAX_BUNDLES_PER_FILE, MAX_DOCUMENT_BYTES};

/// The REST API version this module is written against.
pub const API_VERSION: &str = "2022-11-28";
/// Pages followed at most (100 attestations each), so that a server whose
/// pages never end cannot hold a run.
const MAX_PAGES: usize = 10;

/// The token sent to the GitHub API, if any.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct GitHubAuth {
    token: Option<String>,
}

impl std::fmt::Debug for GitHubAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.token.is_some() {
            "GitHubAuth(token)"
        } else {
            "GitHubAuth(none)"
        })
    }
}

impl GitHubAuth {
    pub fn none() -> Self {
        Self { token: None }
    }

    pub fn token(token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
        }
    }

    /// `GITHUB_TOKEN`, else `GH_TOKEN`, else none.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Self::from_env`] with the variables looked up by `var`: the first
    /// of `GITHUB_TOKEN` and `GH_TOKEN` that is not blank, trimmed.
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let token = ["GITHUB_TOKEN", "GH_TOKEN"]
            .iter()
            .filter_map(|name| var(name))
            .map(|value| value.trim().to_string())
            .find(|value| !value.is_empty());
        Self { token }
    }

    pub fn is_set(&self) -> bool {
        self.token.is_some()
    }
}

/// Where to ask.
pub(super) struct Target<'a> {
    pub api_url: &'a str,
    pub org: Option<&'a str>,
    pub predicate_type: Option<&'a str>,
    pub label: &'a str,
}

/// `owner/repo` from a repository URL: `https://github.com/owner/repo`,
/// with or without `.git`, a trailing path, `git+` or `www.`.
pub fn repository_from_url(url: &str) -> Option<(String, String)> {
    let rest = url.trim().trim_start_matches("git+");
    let rest = rest
        .strip_prefix("https://")
        .or_else(|| rest.strip_prefix("http://"))
        .or_else(|| rest.strip_prefix("ssh://git@"))
        .unwrap_or(rest);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let rest = rest
        .strip_prefix("github.com/")
        .or_else(|| rest.strip_prefix("github.com:"))?;
    let mut parts = rest.split('/');
    let owner = parts.next()?;
    let repo = parts.next()?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    let valid = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    (valid(owner) && valid(repo)).then(|| (owner.to_string(), repo.to_string()))
}

pub(super) async fn ask(
    http: &Http,
    target: &Target<'_>,
    auth: &GitHubAuth,
    query: &PackageQuery,
) -> Result<Reply, SourceFailure> {
    let path = match target.org {
        Some(org) => {
            if repository_from_url(&format!("https://github.com/{org}/x")).is_none() {
                return Err(SourceFailure::stopping(format!(
                    "{}: `{org}` is not a GitHub organization name",
                    target.label
                )));
            }
            format!("orgs/{org}")
        }
        None => match query
            .repository_hint
            .as_deref()
            .and_then(repository_from_url)
        {
            Some((owner, repo)) => format!("repos/{owner}/{repo}"),
            None => {
                return Ok(Reply::NotApplicable(match &query.repository_hint {
                    Some(url) => format!("its repository {url} is not on GitHub"),
                    None => "it declares no repository; set one for it in the policy".into(),
                }))
            }
        },
    };
    let base = target.api_url.trim_end_matches('/');
    let mut url = Url::parse(&format!(
        "{base}/{path}/attestations/sha256:{}",
        query.checksum.to_hex()
    ))
    .map_err(|e| SourceFailure::stopping(format!("{}: bad API URL {base}: {e}", target.label)))?;
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("per_page", "100");
        if let Some(predicate_type) = target.predicate_type {
            pairs.append_pair("predicate_type", predicate_type);
        }
    }
    let origin = url.origin();

    let headers = api_headers(auth)?;

    let mut documents: Vec<BundleDocument> = Vec::new();
    let mut ignored: Vec<IgnoredBundle> = Vec::new();
    let mut next = Some(url);
    let mut pages = 0;
    // All pages together are held to the limits of one response, so that a
    // server cannot make one package take ten responses' worth of memory.
    let mut total_bytes = 0;
    while let Some(page_url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(SourceFailure::new(format!(
                "{}: more than {MAX_PAGES} pages of attestations for {}",
                target.label,
                query.id()
            )));
        }
        let response = http
            .get(&page_url, &headers)
            .await
            .map_err(|e| failure(target.label, auth, e))?;
        match response.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND if pages == 1 => return Ok(Reply::Answer(Answer::NoAttestation)),
            StatusCode::UNAUTHORIZED => {
                return Err(SourceFailure::stopping(format!(
                    "{}: GitHub refused the token (401); check GITHUB_TOKEN / GH_TOKEN",
                    target.label
                )))
            }
            status => {
                return Err(SourceFailure::new(format!(
                    "{}: {page_url} answered {status}{}",
                    target.label,
                    github_message(&response.body)
                )))
            }
        }
        let (answer, fetched) = split_fetching(
            &response.body,
            target.label,
            page_url.as_str(),
            &query.checksum,
            http,
        )
        .await
        .map_err(|e| SourceFailure::new(format!("{}: {e}", target.label)))?;
        if let Answer::Bundles {
            documents: found,
            ignored: set_aside,
        } = answer
        {
            documents.extend(found);
            ignored.extend(set_aside);
        }
        total_bytes += response.body.len() + fetched;
        let count = documents.len() + ignored.len();
        if count > MAX_BUNDLES_PER_FILE || total_bytes > MAX_DOCUMENT_BYTES {
            return Err(SourceFailure::new(format!(
                "{}: {count} attestations ({total_bytes} bytes) for {} after {pages} page(s), over the limit of {MAX_BUNDLES_PER_FILE} attestations and {MAX_DOCUMENT_BYTES} bytes for one package",
                target.label,
                query.id()
            )));
        }
        next = next_link(&response.headers)
            .map(|link| {
                let link = page_url
                    .join(&link)
                    .map_err(|e| format!("bad Link header: {e}"))?;
                // The token is only ever sent to the API it was configured for.
                if link.origin() != origin {
                    return Err(format!("Link header points to another host: {link}"));
                }
                Ok(link)
            })
            .transpose()
            .map_err(|e| SourceFailure::new(format!("{}: {e}", target.label)))?;
    }
    Ok(Reply::Answer(
        if documents.is_empty() && ignored.is_empty() {
            Answer::NoAttestation
        } else {
            Answer::Bundles { documents, ignored }
        },
    ))
}

/// The headers of every request to the API: its media type and version,
/// and the token when there is one (for the API host only).
pub(super) fn api_headers(auth: &GitHubAuth) -> Result<HeaderMap, SourceFailure> {
    let mut headers = HeaderMap::new();
    headers.insert(
        ACCEPT,
        HeaderValue::from_static("application/vnd.github+json"),
    );
    headers.insert(
        "x-github-api-version",
        HeaderValue::from_static(API_VERSION),
    );
    if let Some(token) = &auth.token {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            SourceFailure::stopping(
                "GITHUB_TOKEN / GH_TOKEN contains characters not allowed in a header",
            )
        })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Ok(headers)
}

/// A transport error, with rate limits turned into a stop of this source.
pub(super) fn failure(label: &str, auth: &GitHubAuth, error: HttpError) -> SourceFailure {
    match error {
        HttpError::RateLimited { reset_in, .. } => {
            let when = reset_in
                .map(|d| format!(" for another {} min", d.as_secs().div_ceil(60).max(1)))
                .unwrap_or_default();
            let hint = if auth.is_set() {
                "wait for the limit to reset, or run again later (cached answers are kept)"
            } else {
                "set GITHUB_TOKEN or GH_TOKEN: authenticated requests have a much higher rate limit"
            };
            SourceFailure {
                kind: crate::evidence::FailureKind::RateLimited,
                ..SourceFailure::stopping(format!(
                    "{label}: GitHub's API rate limit is reached{when}; stopped asking it in this run; {hint}"
                ))
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
fn next_link(headers: &HeaderMap) -> Option<String> {
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
    fn a_token_is_taken_from_the_first_variable_that_is_not_blank() {
        let vars = |github: Option<&str>, gh: Option<&str>| {
            GitHubAuth::from_vars(|name| match name {
                "GITHUB_TOKEN" => github.map(String::from),
                "GH_TOKEN" => gh.map(String::from),
                _ => None,
            })
        };
        assert_eq!(vars(Some(" a \n"), Some("b")), GitHubAuth::token("a"));
        assert_eq!(vars(Some("  "), Some("b")), GitHubAuth::token("b"));
        assert_eq!(vars(None, Some("b")), GitHubAuth::token("b"));
        assert_eq!(vars(Some(""), Some(" ")), GitHubAuth::none());
        assert_eq!(vars(None, None), GitHubAuth::none());
    }

    #[test]
    fn every_request_names_the_media_type_and_version_and_the_token_when_set() {
        let headers = api_headers(&GitHubAuth::none()).unwrap();
        assert_eq!(headers[ACCEPT], "application/vnd.github+json");
        assert_eq!(headers["x-github-api-version"], API_VERSION);
        assert!(!headers.contains_key(AUTHORIZATION));
        let headers = api_headers(&GitHubAuth::token("ghp_x")).unwrap();
        assert_eq!(headers[AUTHORIZATION], "Bearer ghp_x");
        assert!(headers[AUTHORIZATION].is_sensitive());
        // A token that cannot be a header value stops the source.
        let failure = api_headers(&GitHubAuth::token("a\nb")).unwrap_err();
        assert!(failure.stop_source);
        assert!(
            failure.message.contains("GITHUB_TOKEN"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn a_rate_limit_stops_the_source_and_says_what_to_do() {
        let limited = || HttpError::RateLimited {
            url: "https://api.github.com/x".into(),
            reset_in: Some(std::time::Duration::from_secs(61)),
        };
        let without = failure("github", &GitHubAuth::none(), limited());
        assert_eq!(without.kind, crate::evidence::FailureKind::RateLimited);
        assert!(without.stop_source);
        assert_eq!(
            without.message,
            "github: GitHub's API rate limit is reached for another 2 min; stopped asking it in this run; set GITHUB_TOKEN or GH_TOKEN: authenticated requests have a much higher rate limit"
        );
        let with = failure("github", &GitHubAuth::token("t"), limited());
        assert!(
            with.message.ends_with(
                "; wait for the limit to reset, or run again later (cached answers are kept)"
            ),
            "{}",
            with.message
        );
        // Anything else is the transport's failure, kept as it is.
        let other = failure(
            "github",
            &GitHubAuth::none(),
            HttpError::Client("no client".into()),
        );
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
    fn a_token_is_never_shown() {
        let token = GitHubAuth::token("ghp_secret");
        assert!(token.is_set());
        assert_eq!(format!("{token:?}"), "GitHubAuth(token)");
        let none = GitHubAuth::none();
        assert!(!none.is_set());
        assert_eq!(format!("{none:?}"), "GitHubAuth(none)");
        assert_ne!(token, none);
    }

    #[test]
    fn repositories_are_read_from_common_url_forms() {
        let want = Some(("tokio-rs".to_string(), "tokio".to_string()));
        for url in [
            "https://github.com/tokio-rs/tokio",
            "https://github.com/tokio-rs/tokio.git",
            "https://github.com/tokio-rs/tokio/tree/master/tokio",
            "git+https://github.com/tokio-rs/tokio",
            "http://www.github.com/tokio-rs/tokio/",
            "github.com/tokio-rs/tokio",
        ] {
            assert_eq!(repository_from_url(url), want, "{url}");
        }
        for url in [
            "https://gitlab.com/a/b",
            "https://github.com/a",
            "https://github.com/../b",
            "https://github.com/a/b%2F..",
            "https://github.com.evil.example/a/b",
        ] {
            assert_eq!(repository_from_url(url), None, "{url}");
        }
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
