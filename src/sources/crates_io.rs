//! crates.io Trusted Publishing data, asked politely.
//!
//! One `GET /api/v1/crates/{name}?include=versions` per crate name and run
//! answers for every locked version of it at once: each version's
//! `checksum` and `trustpub_data` (GitHub: `repository`, `run_id`, `sha`;
//! GitLab: `project_path`, `job_id`, `sha`), and the crate's
//! `trustpub_only` and `repository`. Every request of a run, whatever task
//! makes it, waits its turn at one [`RateLimiter`]: crates.io's data access
//! policy allows one request a second, with a User-Agent that names the
//! application ([`crate::http::USER_AGENT_VALUE`]).
//!
//! The data is unsigned and says nothing of the workflow, so it is recorded
//! as a [`RegistryAssertion`] (the weaker "registry-asserted" level), never
//! as verified provenance. It counts only when crates.io's checksum for the
//! version is the one in Cargo.lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::{FailureCause, PackageQuery, Reply, SourceFailure};
use crate::cache::Answer;
use crate::http::{Http, RateLimiter};
use crate::lockfile::PackageSource;
use crate::names::{is_package_name, is_plain_version};
use crate::origin::{RegistryAssertion, RegistryRecord};

const LABEL: &str = "crates-io";

#[derive(Deserialize)]
struct CrateResponse {
    #[serde(rename = "crate")]
    krate: CrateData,
    #[serde(default)]
    versions: Vec<VersionData>,
}

#[derive(Deserialize)]
struct CrateData {
    repository: Option<String>,
    trustpub_only: Option<bool>,
}

#[derive(Deserialize)]
struct VersionData {
    num: String,
    /// When the version was published (RFC 3339); one that does not parse
    /// is not known, which no cut-off date counts as "before".
    #[serde(default)]
    created_at: Option<String>,
    checksum: Option<String>,
    trustpub_data: Option<TrustPubData>,
}

/// Both forms crates.io's OpenAPI description gives (`TrustpubData`).
#[derive(Deserialize, Clone)]
struct TrustPubData {
    provider: String,
    /// GitHub: `owner/repo`.
    repository: Option<String>,
    /// GitLab: `group/project`.
    project_path: Option<String>,
    sha: Option<String>,
    /// GitHub; a string (older answers had a number).
    run_id: Option<serde_json::Value>,
    /// GitLab.
    job_id: Option<serde_json::Value>,
}

/// One crate as crates.io records it; `None` when crates.io has no such crate.
type CrateRecord = Option<Arc<CrateAnswer>>;

struct CrateAnswer {
    repository: Option<String>,
    trustpub_only: Option<bool>,
    versions: HashMap<String, VersionData>,
}

/// A crate's answer for the run, asked once by whichever task needs it first.
type CrateCell = Arc<OnceCell<Result<CrateRecord, SourceFailure>>>;

/// What every task of a run shares: the limiter and the crates asked about.
#[derive(Debug)]
pub struct CratesIoShared {
    limiter: RateLimiter,
    /// `api_url name` → the answer (or failure), asked once per run.
    crates: Mutex<HashMap<String, CrateCell>>,
}

impl std::fmt::Debug for CrateAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CrateAnswer({} versions)", self.versions.len())
    }
}

/// What crates.io's list of crates says of one crate: no per-version data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateSummary {
    /// The crate's `repository` (from its latest manifest): a hint only.
    pub repository: Option<String>,
    pub trustpub_only: Option<bool>,
}

impl CrateSummary {
    /// As a registry record (no publish time: that is per version).
    pub fn record(&self) -> RegistryRecord {
        RegistryRecord {
            repository: self.repository.clone(),
            trustpub_only: self.trustpub_only,
            published: None,
        }
    }
}

/// At most this many crates in one request to the crates list (its page size).
pub const CRATES_PER_LIST: usize = 100;

#[derive(Deserialize)]
struct CrateList {
    crates: Vec<ListedCrate>,
}

#[derive(Deserialize)]
struct ListedCrate {
    name: String,
    repository: Option<String>,
    trustpub_only: Option<bool>,
}

/// crates.io's name rules: `-` and `_` are the same, case does not count.
fn canonical(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// Ask crates.io about up to [`CRATES_PER_LIST`] crates in one request,
/// `GET {api}/api/v1/crates?ids[]=a&ids[]=b…&per_page=100`, at the run's
/// rate. Each name maps to its summary, or `None` when crates.io does not
/// list it. Checks, in order: every name may be put into a URL, the
/// answer is 200 and a crates list; listed crates are matched to the names
/// asked by crates.io's own name rules, and any other is ignored.
pub(super) async fn list_crates(
    http: &Http,
    shared: &CratesIoShared,
    api_url: &str,
    names: &[String],
) -> Result<HashMap<String, Option<CrateSummary>>, SourceFailure> {
    if let Some(name) = names.iter().find(|n| !is_package_name(n)) {
        return Err(SourceFailure::new(
            FailureCause::UnsafeName(name.clone()),
            format!("{LABEL}: `{name}` cannot be put into a URL"),
        ));
    }
    let base = api_url.trim_end_matches('/');
    let ids: String = names.iter().map(|n| format!("ids[]={n}&")).collect();
    let url = Url::parse(&format!(
        "{base}/api/v1/crates?{ids}per_page={CRATES_PER_LIST}"
    ))
    .map_err(|e| bad_api_url(base, &e))?;
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let response = http
        .get_limited(&url, &headers, &shared.limiter)
        .await
        .map_err(|e| SourceFailure::http(LABEL, e))?;
    if response.status != StatusCode::OK {
        return Err(answered(&url, response.status));
    }
    let list: CrateList = serde_json::from_slice(&response.body)
        .map_err(|e| not_the_document(&url, "a crates list", &e))?;
    let listed: HashMap<String, CrateSummary> = list
        .crates
        .into_iter()
        .map(|c| {
            let summary = CrateSummary {
                repository: c.repository,
                trustpub_only: c.trustpub_only,
            };
            (canonical(&c.name), summary)
        })
        .collect();
    Ok(names
        .iter()
        .map(|name| (name.clone(), listed.get(&canonical(name)).cloned()))
        .collect())
}

impl CratesIoShared {
    pub fn new(interval: std::time::Duration) -> Self {
        Self {
            limiter: RateLimiter::new(interval),
            crates: Mutex::new(HashMap::new()),
        }
    }

    /// The crate's record, asked at most once per run and API.
    async fn record(
        &self,
        http: &Http,
        api_url: &str,
        name: &str,
    ) -> Result<CrateRecord, SourceFailure> {
        let cell = {
            let mut crates = self
                .crates
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            crates
                .entry(format!("{api_url} {name}"))
                .or_default()
                .clone()
        };
        cell.get_or_init(|| fetch_crate(http, &self.limiter, api_url, name))
            .await
            .clone()
    }
}

async fn fetch_crate(
    http: &Http,
    limiter: &RateLimiter,
    api_url: &str,
    name: &str,
) -> Result<CrateRecord, SourceFailure> {
    let base = api_url.trim_end_matches('/');
    let url = Url::parse(&format!("{base}/api/v1/crates/{name}?include=versions"))
        .map_err(|e| bad_api_url(base, &e))?;
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let response = http
        .get_limited(&url, &headers, limiter)
        .await
        .map_err(|e| SourceFailure::http(LABEL, e))?;
    match response.status {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => return Ok(None),
        status => return Err(answered(&url, status)),
    }
    let data: CrateResponse = serde_json::from_slice(&response.body)
        .map_err(|e| not_the_document(&url, "a crate record", &e))?;
    Ok(Some(Arc::new(CrateAnswer {
        repository: data.krate.repository,
        trustpub_only: data.krate.trustpub_only,
        versions: data
            .versions
            .into_iter()
            .map(|v| (v.num.clone(), v))
            .collect(),
    })))
}

/// Why crates.io does not answer for the package: it comes from another
/// registry. Decided from the query alone.
pub(super) fn not_applicable(query: &PackageQuery) -> Option<String> {
    (query.source != PackageSource::CratesIo)
        .then(|| format!("it comes from {}, not crates.io", query.source))
}

pub(super) async fn ask(
    http: &Http,
    shared: &CratesIoShared,
    api_url: &str,
    query: &PackageQuery,
) -> Result<Reply, SourceFailure> {
    if let Some(reason) = not_applicable(query) {
        return Ok(Reply::NotApplicable(reason));
    }
    let version = query.version.to_string();
    if !is_package_name(&query.name) || !is_plain_version(&version) {
        return Err(SourceFailure::new(
            FailureCause::UnsafeName(query.id()),
            format!("{LABEL}: `{}` cannot be put into a URL", query.id()),
        ));
    }
    let not_found = Reply::Answer(Answer::Registry {
        checksum: None,
        assertion: None,
        record: None,
    });
    let Some(krate) = shared.record(http, api_url, &query.name).await? else {
        return Ok(not_found);
    };
    // A version not listed (yet): asked again once "not found" expires.
    let Some(data) = krate.versions.get(&version) else {
        return Ok(not_found);
    };
    if let Some(checksum) = &data.checksum {
        if !checksum.eq_ignore_ascii_case(&query.checksum.to_hex()) {
            return Err(SourceFailure::new(
                FailureCause::OtherChecksum,
                format!(
                    "{LABEL}: crates.io records checksum {checksum} for {}, but Cargo.lock has {}; the lockfile does not pin the published .crate file",
                    query.id(),
                    query.checksum.to_hex()
                ),
            ));
        }
    }
    // A record that names no checksum is passed on as such: it describes
    // no `.crate` file, and the fetch refuses it as evidence for any.
    Ok(Reply::Answer(Answer::Registry {
        checksum: data.checksum.clone(),
        assertion: data
            .trustpub_data
            .clone()
            .map(|d| assertion(d, krate.trustpub_only)),
        record: Some(RegistryRecord {
            repository: krate.repository.clone(),
            trustpub_only: krate.trustpub_only,
            published: data.created_at.as_deref().and_then(|t| t.parse().ok()),
        }),
    }))
}

fn assertion(data: TrustPubData, trustpub_only: Option<bool>) -> RegistryAssertion {
    let id = |v: Option<serde_json::Value>| {
        v.map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
    };
    let path = data.repository.or(data.project_path).unwrap_or_default();
    let repository = match data.provider.as_str() {
        "github" if !path.contains("://") => format!("https://github.com/{path}"),
        "gitlab" if !path.contains("://") => format!("https://gitlab.com/{path}"),
        _ => path,
    };
    RegistryAssertion {
        registry: "crates.io".into(),
        provider: data.provider,
        repository,
        sha: data.sha,
        run_id: id(data.run_id).or_else(|| id(data.job_id)),
        trustpub_only,
    }
}

/// The API URL made from `base` is no URL: no request of this source can
/// be made.
fn bad_api_url(base: &str, error: &url::ParseError) -> SourceFailure {
    SourceFailure::stopping(
        FailureCause::Setup,
        format!("{LABEL}: bad API URL {base}: {error}"),
    )
}

/// crates.io answered `status` at `url`.
fn answered(url: &Url, status: StatusCode) -> SourceFailure {
    SourceFailure::new(
        FailureCause::Status(status),
        format!("{LABEL}: {url} answered {status}"),
    )
}

/// The answer at `url` is not `what` crates.io sends.
fn not_the_document(url: &Url, what: &str, error: &serde_json::Error) -> SourceFailure {
    SourceFailure::new(
        FailureCause::NotTheDocument(error.to_string()),
        format!("{LABEL}: {url}: not {what}: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(provider: &str, path: &str) -> TrustPubData {
        TrustPubData {
            provider: provider.into(),
            repository: (provider == "github").then(|| path.into()),
            project_path: (provider != "github").then(|| path.into()),
            sha: Some("a".repeat(40)),
            run_id: (provider == "github").then(|| serde_json::json!(12345)),
            job_id: (provider != "github").then(|| serde_json::json!("678")),
        }
    }

    #[test]
    fn a_path_becomes_the_providers_url_unless_it_is_one_already() {
        for (provider, path, repository) in [
            ("github", "acme/widget", "https://github.com/acme/widget"),
            (
                "gitlab",
                "group/sub/project",
                "https://gitlab.com/group/sub/project",
            ),
            // Already a URL (or another host's): kept as given, for the
            // policy's URL matching to judge.
            (
                "github",
                "https://evil.example/acme/widget",
                "https://evil.example/acme/widget",
            ),
            (
                "gitlab",
                "https://gitlab.example/g/p",
                "https://gitlab.example/g/p",
            ),
            // A provider not known: the path as given.
            ("forgejo", "acme/widget", "acme/widget"),
        ] {
            let assertion = assertion(data(provider, path), Some(true));
            assert_eq!(assertion.repository, repository, "{provider} {path}");
            assert_eq!(assertion.provider, provider);
            assert_eq!(assertion.registry, "crates.io");
            assert_eq!(assertion.trustpub_only, Some(true));
        }
    }

    #[test]
    fn a_run_id_of_either_type_or_a_job_id_is_kept_as_text() {
        assert_eq!(
            assertion(data("github", "acme/widget"), None)
                .run_id
                .as_deref(),
            Some("12345")
        );
        assert_eq!(
            assertion(data("gitlab", "g/p"), None).run_id.as_deref(),
            Some("678")
        );
    }

    /// A name that cannot be put into a URL is refused before anything is
    /// asked (the API URL here would refuse any connection).
    #[test]
    fn a_name_that_is_not_plain_is_never_put_into_a_url() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = Http::new(crate::http::HttpConfig::default()).unwrap();
        let shared = CratesIoShared::new(std::time::Duration::ZERO);
        let query = |name: &str| PackageQuery {
            name: name.into(),
            version: "1.0.0".parse().unwrap(),
            source: PackageSource::CratesIo,
            checksum: sigstore_types::Sha256Hash::new([1; 32]),
            repository_hint: None,
            needs: Default::default(),
        };
        for name in ["../x", "a/b", "a?b", ""] {
            let failure = runtime
                .block_on(ask(&http, &shared, "http://127.0.0.1:9", &query(name)))
                .unwrap_err();
            assert_eq!(
                failure.message,
                format!("crates-io: `{name}@1.0.0` cannot be put into a URL")
            );
        }
    }

    #[test]
    fn an_answer_is_shown_by_its_number_of_versions() {
        let answer = CrateAnswer {
            repository: None,
            trustpub_only: None,
            versions: HashMap::new(),
        };
        assert_eq!(format!("{answer:?}"), "CrateAnswer(0 versions)");
    }
}
