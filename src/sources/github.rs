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

use reqwest::{StatusCode, Url};

use super::bundle_url::Link;
use super::github_pages::{refused, Pager};
use super::{split_fetching, FailureCause, Keep, PackageQuery, Reply, SourceFailure};
use crate::cache::{Answer, BundleDocument, IgnoredBundle};
use crate::http::{redact_url, Credential, Http};
use crate::limits::Budget;
use crate::names::is_github_name;

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
    pub fn credential(&self) -> Result<Option<Credential>, TokenError> {
        self.token
            .as_deref()
            .map(|token| Credential::bearer(&self.api, token).map_err(TokenError))
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

/// The GitHub token cannot be sent (it names the variables it comes from,
/// never the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("GITHUB_TOKEN / GH_TOKEN: {0}")]
pub struct TokenError(#[source] crate::http::CredentialError);

/// Where to ask.
pub(super) struct Target<'a> {
    pub api_url: &'a str,
    pub org: Option<&'a str>,
    pub predicate_type: Option<&'a str>,
    pub label: &'a str,
}

/// `owner/repo` of a repository on GitHub: the URL read in the one normal
/// form of repository URLs ([`crate::compare::normalize_repository`]:
/// `git+`, `www.`, `http`, `ssh`, `.git` and a page of the repository
/// read as every other reader reads them), whose host is `github.com` and
/// whose owner and name are GitHub names ([`crate::names::is_github_name`]).
pub fn repository_from_url(url: &str) -> Option<(String, String)> {
    let normal = crate::compare::normalize_repository(url).ok()?;
    let (owner, repo) = normal
        .strip_prefix("https://github.com/")?
        .split_once('/')?;
    (is_github_name(owner) && is_github_name(repo)).then(|| (owner.to_string(), repo.to_string()))
}

/// Why a repository-scoped lookup (no `org`) does not apply to the
/// package: its repository is not on GitHub, or not known. Decided from the
/// query alone, so that an offline run knows it as an online one does.
pub(super) fn not_applicable(query: &PackageQuery) -> Option<String> {
    query
        .repository_hint
        .as_deref()
        .and_then(repository_from_url)
        .is_none()
        .then(|| not_on_github(query))
}

fn not_on_github(query: &PackageQuery) -> String {
    match &query.repository_hint {
        Some(url) => format!("its repository {url} is not on GitHub"),
        None => "it declares no repository; set one for it in the policy".into(),
    }
}

/// The attestations of one package, every page ([`Pager`]), the bundles
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
    let mut pager = Pager::get(http, target.label, url, budget);
    let mut documents: Vec<BundleDocument> = Vec::new();
    let mut ignored: Vec<IgnoredBundle> = Vec::new();
    while let Some(page) = pager.next().await? {
        match page.response.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND if page.number == 1 => {
                return Ok(Reply::Answer(Answer::NoAttestation))
            }
            status => {
                return Err(refused(
                    target.label,
                    http,
                    &page.url,
                    status,
                    &page.response.body,
                ))
            }
        }
        let link = Link {
            http,
            from: page.response.from,
            hosts: Some(bundle_hosts),
            budget,
        };
        let answer = split_fetching(
            &page.response.body,
            target.label,
            &page.location(),
            &query.checksum,
            &link,
            Keep::default(),
        )
        .await
        .map_err(|e| SourceFailure::answer(target.label, e))?;
        if let Answer::Bundles {
            documents: found,
            ignored: set_aside,
        } = answer
        {
            documents.extend(found);
            ignored.extend(set_aside);
        }
        pager.follow_link(&page)?;
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
            if !is_github_name(org) {
                return Err(SourceFailure::stopping(
                    FailureCause::Setup,
                    format!(
                        "{}: `{org}` is not a GitHub organization name",
                        target.label
                    ),
                ));
            }
            format!("orgs/{org}")
        }
        None => match query
            .repository_hint
            .as_deref()
            .and_then(repository_from_url)
        {
            Some((owner, repo)) => format!("repos/{owner}/{repo}"),
            None => return Ok(Err(Reply::NotApplicable(not_on_github(query)))),
        },
    };
    let base = target.api_url.trim_end_matches('/');
    let mut url = Url::parse(&format!(
        "{base}/{path}/attestations/sha256:{}",
        query.checksum.to_hex()
    ))
    .map_err(|e| {
        SourceFailure::stopping(
            FailureCause::Setup,
            format!("{}: bad API URL {}: {e}", target.label, redact_url(base)),
        )
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
        let error = GitHubAuth::token("a\nb")
            .credential()
            .unwrap_err()
            .to_string();
        assert!(error.contains("GITHUB_TOKEN"), "{error}");
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
            "ssh://git@github.com/tokio-rs/tokio.git",
            "git@github.com:tokio-rs/tokio.git",
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
}
