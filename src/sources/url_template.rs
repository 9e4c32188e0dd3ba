//! A URL template such as `https://mirror.example/{name}/{version}/{checksum}.sigstore.json`:
//! a company mirror or a registry endpoint. The answer may be one bundle,
//! JSON lines of bundles, or GitHub's attestations API shape (whose
//! `bundle_url`s are fetched as the `github` source fetches them); 404 and
//! 410 mean no attestation.

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::StatusCode;

use super::bundle_url::Link;
use super::{split_fetching, FailureCause, Keep, PackageQuery, Reply, SourceFailure};
use crate::cache::Answer;
use crate::http::{parse_url, redact_url, Http};
use crate::limits::Budget;
use crate::names::{is_package_name, is_plain_version};

/// The template with the package filled in.
/// A package name or version that cannot be put into a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the package {what} `{value}` cannot be put into a URL")]
pub(super) struct UnsafeName {
    what: &'static str,
    value: String,
}

pub(super) fn expand(template: &str, query: &PackageQuery) -> Result<String, UnsafeName> {
    let version = query.version.to_string();
    for (what, value, plain) in [
        ("name", &query.name, is_package_name(&query.name)),
        ("version", &version, is_plain_version(&version)),
    ] {
        if !plain {
            return Err(UnsafeName {
                what,
                value: value.clone(),
            });
        }
    }
    Ok(template
        .replace("{name}", &query.name)
        .replace("{version}", &version)
        .replace("{checksum}", &query.checksum.to_hex()))
}

pub(super) async fn ask(
    http: &Http,
    template: &str,
    label: &str,
    query: &PackageQuery,
    budget: &Budget,
) -> Result<Reply, SourceFailure> {
    let text = expand(template, query).map_err(|e| {
        SourceFailure::new(
            FailureCause::UnsafeName(e.value.clone()),
            format!("{label}: {e}"),
        )
    })?;
    // A template that yields an unusable URL does so for every package.
    let url = parse_url(&text).map_err(|e| SourceFailure {
        stop_source: true,
        ..SourceFailure::http(label, e)
    })?;
    let mut headers = HeaderMap::new();
    headers.insert(
        ACCEPT,
        HeaderValue::from_static("application/json, application/jsonl, */*;q=0.5"),
    );
    let response = http
        .get_within(&url, &headers, Some(budget))
        .await
        .map_err(|e| SourceFailure::http(label, e))?;
    let shown = redact_url(url.as_str());
    match response.status {
        StatusCode::OK => {
            let link = Link {
                http,
                from: response.from,
                hosts: None,
                budget,
            };
            split_fetching(
                &response.body,
                label,
                &shown,
                &query.checksum,
                &link,
                Keep::default(),
            )
            .await
            .map(Reply::Answer)
            .map_err(|e| SourceFailure::answer(label, e))
        }
        StatusCode::NOT_FOUND | StatusCode::GONE => Ok(Reply::Answer(Answer::NoAttestation)),
        status => Err(SourceFailure::new(
            FailureCause::Status(status),
            format!("{label}: {shown} answered {status}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigstore_types::Sha256Hash;

    #[test]
    fn templates_are_filled_and_unsafe_names_refused() {
        let mut query = PackageQuery {
            name: "serde".into(),
            version: "1.0.0+x".parse().unwrap(),
            source: crate::lockfile::PackageSource::CratesIo,
            checksum: Sha256Hash::new([0xab; 32]),
            repository_hint: None,
            needs: Default::default(),
        };
        assert_eq!(
            expand("https://m/{name}/{version}/{checksum}.json", &query).unwrap(),
            format!("https://m/serde/1.0.0+x/{}.json", "ab".repeat(32))
        );
        query.name = "../x".into();
        assert!(expand("https://m/{name}", &query).is_err());
    }
}
