//! crates.io Trusted Publishing data: `GET /api/v1/crates/{name}/{version}`,
//! `version.trustpub_data` (`provider`, `repository`, `sha`, `run_id`).
//!
//! It is unsigned and says nothing of the workflow, so it is recorded as a
//! [`RegistryAssertion`] (the weaker "registry-asserted" level), never as
//! verified provenance. It counts only when crates.io's checksum for the
//! version is the one in Cargo.lock.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::{is_plain, PackageQuery, Reply, SourceFailure};
use crate::cache::Answer;
use crate::evidence::RegistryAssertion;
use crate::http::Http;
use crate::lockfile::PackageSource;

#[derive(Deserialize)]
struct VersionResponse {
    version: VersionData,
}

#[derive(Deserialize)]
struct VersionData {
    checksum: Option<String>,
    trustpub_data: Option<TrustPubData>,
}

#[derive(Deserialize)]
struct TrustPubData {
    provider: String,
    repository: Option<String>,
    project_path: Option<String>,
    sha: Option<String>,
    run_id: Option<serde_json::Value>,
    job_id: Option<serde_json::Value>,
}

pub(super) async fn ask(
    http: &Http,
    api_url: &str,
    query: &PackageQuery,
) -> Result<Reply, SourceFailure> {
    const LABEL: &str = "crates-io";
    if query.source != PackageSource::CratesIo {
        return Ok(Reply::NotApplicable(format!(
            "it comes from {}, not crates.io",
            query.source
        )));
    }
    let version = query.version.to_string();
    if !is_plain(&query.name) || !is_plain(&version) {
        return Err(SourceFailure::new(format!(
            "{LABEL}: `{}` cannot be put into a URL",
            query.id()
        )));
    }
    let base = api_url.trim_end_matches('/');
    let url = Url::parse(&format!(
        "{base}/api/v1/crates/{}/{}",
        query.name,
        version.replace('+', "%2B")
    ))
    .map_err(|e| SourceFailure::stopping(format!("{LABEL}: bad API URL {base}: {e}")))?;
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let response = http
        .get(&url, &headers)
        .await
        .map_err(|e| SourceFailure::new(format!("{LABEL}: {e}")))?;
    match response.status {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => return Ok(Reply::Answer(Answer::Registry { assertion: None })),
        status => {
            return Err(SourceFailure::new(format!(
                "{LABEL}: {url} answered {status}"
            )))
        }
    }
    let data: VersionResponse = serde_json::from_slice(&response.body)
        .map_err(|e| SourceFailure::new(format!("{LABEL}: {url}: not a version record: {e}")))?;
    if let Some(checksum) = &data.version.checksum {
        if !checksum.eq_ignore_ascii_case(&query.checksum.to_hex()) {
            return Err(SourceFailure::new(format!(
                "{LABEL}: crates.io records checksum {checksum} for {}, but Cargo.lock has {}; the lockfile does not pin the published .crate file",
                query.id(),
                query.checksum.to_hex()
            )));
        }
    }
    Ok(Reply::Answer(Answer::Registry {
        assertion: data.version.trustpub_data.map(assertion),
    }))
}

fn assertion(data: TrustPubData) -> RegistryAssertion {
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
    }
}
