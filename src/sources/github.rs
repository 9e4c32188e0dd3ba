//! GitHub's artifact attestations REST API, by subject digest.
//!
//! `GET /repos/{owner}/{repo}/attestations/sha256:{hex}` (or
//! `/orgs/{org}/attestations/…`), `per_page=100`, optionally
//! `predicate_type=…`, following `Link: <…>; rel="next"` pages. The answer
//! is `{"attestations": [{"repository_id": N, "bundle_url": …, "initiator": …}]}`
//! (github.com since API version 2026-03-10, whatever version is asked
//! for), or with the bundle inline, `{"bundle": {…}}` (GitHub Enterprise
//! Server, older answers). A `bundle_url` is fetched without the token
//! ([`super::bundle_url`]), and only from GitHub's blob storage
//! ([`GITHUB_BUNDLE_HOSTS`], and the hosts the user adds); 404 means no
//! attestation.
//!
//! The token goes to one API only, the one the user names
//! ([`GitHubAuth::with_api`]; GitHub's by default): the HTTP client sends
//! it to that origin and nowhere else, whatever a policy file or an answer
//! names.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::{StatusCode, Url};

use super::bundle_url::Link;
use super::{split_fetching, Keep, PackageQuery, Reply, SourceFailure};
use crate::cache::{Answer, BundleDocument, IgnoredBundle};
use crate::http::{redact_url, Credential, Http, HttpError};
use crate::limits::Budget;

/// The REST API version this module is written against.
pub const API_VERSION: &str = "2022-11-28";
/// Pages followed at most (100 attestations each), so that a server whose
/// pages never end cannot hold a run.
const MAX_PAGES: usize = 10;

/// Where GitHub's attestations API links its bundles (`bundle_url`): the
/// blob storage of github.com's artifact attestations. A `github` source
/// fetches a `bundle_url` from these hosts only, and from those the user
/// adds (`--github-bundle-host`, for GitHub Enterprise).
pub const GITHUB_BUNDLE_HOSTS: &[&str] = &["tmaproduction.blob.core.windows.net"];

/// The token sent to the GitHub API, if any, and the one API it is for.
#[derive(Clone, PartialEq, Eq)]
pub struct GitHubAuth {
    token: Option<String>,
    /// The API the token belongs to: only requests to its origin carry it.
    api: Url,
}

impl Default for GitHubAuth {
    fn default() -> Self {
        Self::none()
    }
}

impl std::fmt::Debug for GitHubAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.token {
            Some(_) => write!(f, "GitHubAuth(token for {})", redact_url(self.api.as_str())),
            None => f.write_str("GitHubAuth(none)"),
        }
    }
}

impl GitHubAuth {
    pub fn none() -> Self {
        Self {
            token: None,
            api: Url::parse(super::GITHUB_API).expect("a valid URL"),
        }
    }

    /// A token for GitHub's API (`https://api.github.com`).
    pub fn token(token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..Self::none()
        }
    }

    /// The same token, for the API at `api` (GitHub Enterprise Server's
    /// `https://HOST/api/v3`) instead: only requests to its origin carry it.
    pub fn with_api(self, api: Url) -> Self {
        Self { api, ..self }
    }

    /// The API the token is for.
    pub fn api(&self) -> &Url {
        &self.api
    }

    /// The token as the HTTP client sends it; an error when it cannot be
    /// a header value.
    pub fn credential(&self) -> Result<Option<Credential>, String> {
        self.token
            .as_deref()
            .map(|token| {
                Credential::bearer(&self.api, token)
                    .map_err(|e| format!("GITHUB_TOKEN / GH_TOKEN: {e}"))
            })
            .transpose()
    }

    /// Whether requests to the API at `api_url` carry the token.
    pub fn is_sent_to(&self, api_url: &str) -> bool {
        self.token.is_some()
            && Url::parse(api_url).is_ok_and(|url| url.origin() == self.api.origin())
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
        Self {
            token,
            ..Self::none()
        }
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

/// The attestations of one package, every page ([`pages`]), the bundles
/// behind their `bundle_url`s fetched from GitHub's blob hosts.
pub(super) async fn ask(
    http: &Http,
    target: &Target<'_>,
    query: &PackageQuery,
    bundle_hosts: &[String],
    budget: &Budget,
) -> Result<Reply, SourceFailure> {
    let url = match endpoint(target, query)? {
        Ok(url) => url,
        Err(not_applicable) => return Ok(not_applicable),
    };
    let origin = url.origin();
    let headers = api_headers();
    let mut documents: Vec<BundleDocument> = Vec::new();
    let mut ignored: Vec<IgnoredBundle> = Vec::new();
    let mut next = Some(url);
    let mut pages = 0;
    while let Some(page_url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(SourceFailure::new(format!(
                "{}: more than {MAX_PAGES} pages of attestations for {}",
                target.label,
                query.id()
            )));
        }
        // Every page and every blob is counted against the package's budget.
        let response = http
            .get_within(&page_url, &headers, Some(budget))
            .await
            .map_err(|e| failure(target.label, http.sends_credential_to(&page_url), e))?;
        match response.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND if pages == 1 => return Ok(Reply::Answer(Answer::NoAttestation)),
            status => {
                return Err(refused(
                    target.label,
                    http,
                    &page_url,
                    status,
                    &response.body,
                ))
            }
        }
        let link = Link {
            http,
            from: response.from,
            hosts: Some(bundle_hosts),
            budget,
        };
        let answer = split_fetching(
            &response.body,
            target.label,
            &page_location(&page_url, pages),
            &query.checksum,
            &link,
            Keep::default(),
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
        next = next_link(&response.headers)
            .map(|link| {
                let link = page_url
                    .join(&link)
                    .map_err(|e| format!("bad Link header: {e}"))?;
                // Pages are asked of the API the source names, nowhere else.
                if link.origin() != origin {
                    return Err(format!(
                        "Link header points to another host: {}",
                        redact_url(link.as_str())
                    ));
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

/// The first page to ask for a package; `Err` with the reply when the
/// source does not apply to it (no repository on GitHub).
fn endpoint(
    target: &Target<'_>,
    query: &PackageQuery,
) -> Result<Result<Url, Reply>, SourceFailure> {
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
                return Ok(Err(Reply::NotApplicable(match &query.repository_hint {
                    Some(url) => format!("its repository {url} is not on GitHub"),
                    None => "it declares no repository; set one for it in the policy".into(),
                })))
            }
        },
    };
    let base = target.api_url.trim_end_matches('/');
    let mut url = Url::parse(&format!(
        "{base}/{path}/attestations/sha256:{}",
        query.checksum.to_hex()
    ))
    .map_err(|e| {
        SourceFailure::stopping(format!(
            "{}: bad API URL {}: {e}",
            target.label,
            redact_url(base)
        ))
    })?;
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("per_page", "100");
        if let Some(predicate_type) = target.predicate_type {
            pairs.append_pair("predicate_type", predicate_type);
        }
    }
    Ok(Ok(url))
}

/// Where a page's bundles came from: the URL redacted, and the page's
/// number after the first.
fn page_location(url: &Url, page: usize) -> String {
    let shown = redact_url(url.as_str());
    if page == 1 {
        shown
    } else {
        format!("{shown}#page={page}")
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
        return SourceFailure::stopping(if http.sends_credential_to(url) {
            format!("{label}: GitHub refused the token (401); check GITHUB_TOKEN / GH_TOKEN")
        } else {
            format!(
                "{label}: {} asks for a token (401); GITHUB_TOKEN / GH_TOKEN is sent only to the GitHub API named by --github-api-url (GITHUB_API_URL), https://api.github.com by default",
                redact_url(url.origin().ascii_serialization().as_str())
            )
        });
    }
    SourceFailure::new(format!(
        "{label}: {} answered {status}{}",
        redact_url(url.as_str()),
        github_message(body)
    ))
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
    fn every_request_names_the_media_type_and_version_and_never_the_token() {
        let headers = api_headers();
        assert_eq!(headers[ACCEPT], "application/vnd.github+json");
        assert_eq!(headers["x-github-api-version"], API_VERSION);
        assert!(!headers.contains_key(reqwest::header::AUTHORIZATION));
    }

    #[test]
    fn the_token_is_for_one_api_origin() {
        let github = GitHubAuth::token("ghp_x");
        let credential = github.credential().unwrap().unwrap();
        for url in [
            "https://api.github.com/repos/o/r",
            "https://API.GITHUB.COM:443/orgs/o/attestations/bulk-list",
        ] {
            assert!(credential.is_for(&Url::parse(url).unwrap()), "{url}");
            assert!(github.is_sent_to(url), "{url}");
        }
        for url in [
            "http://api.github.com/x",
            "https://api.github.com:8443/x",
            "https://api.github.com.evil.example/x",
            "https://tmaproduction.blob.core.windows.net/x",
            "http://127.0.0.1:1/x",
        ] {
            assert!(!credential.is_for(&Url::parse(url).unwrap()), "{url}");
            assert!(!github.is_sent_to(url), "{url}");
        }
        let enterprise =
            GitHubAuth::token("t").with_api(Url::parse("https://ghe.example/api/v3").unwrap());
        assert!(enterprise.is_sent_to("https://ghe.example/api/v3"));
        assert!(!enterprise.is_sent_to("https://api.github.com"));
        assert!(!GitHubAuth::none().is_sent_to("https://api.github.com"));
        assert!(matches!(GitHubAuth::none().credential(), Ok(None)));
        // A token that cannot be a header value is an error naming the variable.
        let error = GitHubAuth::token("a\nb").credential().unwrap_err();
        assert!(error.contains("GITHUB_TOKEN"), "{error}");
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
    fn a_token_is_never_shown() {
        let token = GitHubAuth::token("ghp_secret");
        assert!(token.is_set());
        assert_eq!(
            format!("{token:?}"),
            "GitHubAuth(token for https://api.github.com/)"
        );
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
