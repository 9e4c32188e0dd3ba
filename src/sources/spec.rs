//! How a source is configured: `[[source]]` tables in the policy file and
//! `--source` on the command line describe the same [`SourceSpec`].

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cache::SourceKey;
use crate::http::rules::{check_configured, ConfiguredUrlError};
use crate::http::{redact_url, redact_url_keyed};

/// GitHub's REST API.
pub const GITHUB_API: &str = "https://api.github.com";
/// crates.io's web API.
pub const CRATES_IO_API: &str = "https://crates.io";
pub use super::sparse_index::CRATES_IO_INDEX;

/// The default of a `crates-io` source's `index_url`.
fn crates_io_index() -> String {
    CRATES_IO_INDEX.into()
}

/// Which of crates.io's per-version records the `crates-io` source asks
/// for (one request a second each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Records {
    /// Those a rule needs: `require = "registry-asserted"`, and the
    /// cross-check of a bundle found; others only from the cache.
    #[default]
    Needed,
    /// Every package's, for the full picture.
    All,
}

/// One configured source of provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SourceSpec {
    /// GitHub's attestations API, by subject digest:
    /// `GET /repos/{owner}/{repo}/attestations/sha256:{checksum}`, or
    /// `/orgs/{org}/attestations/…` when `org` is set.
    #[serde(rename = "github")]
    GitHub {
        api_url: String,
        org: Option<String>,
        predicate_type: Option<String>,
    },
    /// A URL template with `{name}`, `{version}` and `{checksum}`.
    Url { template: String },
    /// A local folder of `NAME-VERSION.sigstore.json`, `NAME-VERSION.jsonl`
    /// or `sha256:CHECKSUM.jsonl` files.
    Dir { path: PathBuf },
    /// crates.io Trusted Publishing data (unsigned: registry-asserted only),
    /// and its sparse index (publish times, where `.crate` files are).
    /// `download_url` is where its `.crate` files are downloaded for the
    /// source comparison (a `dl` template as in an index's `config.json`;
    /// when `None`, the `dl` of its index's `config.json`): a mirror's, a
    /// test's.
    CratesIo {
        api_url: String,
        #[serde(default)]
        download_url: Option<String>,
        /// `sparse+https://…/`, as cargo writes an index's address.
        #[serde(default = "crates_io_index")]
        index_url: String,
        #[serde(default)]
        records: Records,
    },
}

/// Why a text is not a source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceSpecError {
    #[error("`{0}` is not a source; use github, github:ORG, url:TEMPLATE, dir:PATH or crates-io")]
    Unknown(String),
    /// The template (its credentials removed) names neither the checksum
    /// nor the name and version.
    #[error("URL template `{0}` names no artifact: use {{checksum}}, or {{name}} and {{version}}")]
    NoArtifact(String),
    /// What the template (its credentials removed) expands to may not be
    /// fetched, and why.
    #[error("URL template `{template}`: {reason}")]
    NotFetchable {
        template: String,
        reason: ConfiguredUrlError,
    },
}

impl SourceSpec {
    /// Parse `--source`: `github`, `github:ORG`, `url:TEMPLATE`, `dir:PATH`, `crates-io`.
    pub fn parse_cli(text: &str) -> Result<Self, SourceSpecError> {
        // Any other `KIND:ARG` matches no form below, as a bare `KIND` would.
        let (kind, arg) = match text.split_once(':') {
            Some((kind, arg)) => (kind, Some(arg)),
            None => (text, None),
        };
        match (kind, arg) {
            ("github", org) => Ok(Self::GitHub {
                api_url: GITHUB_API.into(),
                org: org.filter(|o| !o.is_empty()).map(str::to_string),
                predicate_type: None,
            }),
            ("url", Some(template)) => Self::url(template),
            ("dir", Some(path)) if !path.is_empty() => Ok(Self::Dir { path: path.into() }),
            ("crates-io", None) => Ok(Self::crates_io(CRATES_IO_API)),
            _ => Err(SourceSpecError::Unknown(text.to_string())),
        }
    }

    /// A `crates-io` source with this API, crates.io's index, and the
    /// records rules need.
    pub fn crates_io(api_url: &str) -> Self {
        Self::CratesIo {
            api_url: api_url.to_string(),
            download_url: None,
            index_url: CRATES_IO_INDEX.into(),
            records: Records::Needed,
        }
    }

    /// A URL source, checking its template names the artifact and that
    /// what it expands to may be fetched (`crate::http::rules`).
    pub fn url(template: &str) -> Result<Self, SourceSpecError> {
        let names_artifact = template.contains("{checksum}")
            || (template.contains("{name}") && template.contains("{version}"));
        if !names_artifact {
            return Err(SourceSpecError::NoArtifact(redact_url(template)));
        }
        let sample = template
            .replace("{name}", "name")
            .replace("{version}", "1.0.0")
            .replace("{checksum}", &"0".repeat(64));
        check_configured(&sample).map_err(|reason| SourceSpecError::NotFetchable {
            template: redact_url(template),
            reason,
        })?;
        Ok(Self::Url {
            template: template.to_string(),
        })
    }

    /// A GitHub API or crates.io URL, held to the rule the client holds it to.
    pub(crate) fn api_url(text: &str) -> Result<String, ConfiguredUrlError> {
        check_configured(text).map(|_| text.to_string())
    }

    /// A short label used in reports: `github`, `url:…`, `dir:…`,
    /// `crates-io`; a template without its userinfo and query.
    pub fn label(&self) -> String {
        self.to_string()
    }

    /// Whether using this source needs the network.
    pub(crate) fn is_remote(&self) -> bool {
        !matches!(self, Self::Dir { .. })
    }

    /// Whether this is an official service at its default address
    /// (api.github.com, crates.io): the only sources whose positive
    /// answers the cache keeps for good.
    pub(crate) fn is_official(&self) -> bool {
        let at = |api_url: &str, official: &str| api_url.trim_end_matches('/') == official;
        match self {
            Self::GitHub { api_url, .. } => at(api_url, GITHUB_API),
            Self::CratesIo { api_url, .. } => at(api_url, CRATES_IO_API),
            Self::Url { .. } | Self::Dir { .. } => false,
        }
    }

    /// How the cache tells this source's answers from every other
    /// source's: its label, and its whole definition (every field, through
    /// its serialization, so that a field added later is part of it too),
    /// but for what changes no answer of a `crates-io` source: its index
    /// (answers of its own, cached apart) and which records it asks for.
    /// The identity is stored in each entry, so a URL in it is redacted
    /// ([`redact_url`]), with the SHA-256 of the whole URL in its place
    /// when that removed something: two sources that differ only in a
    /// credential stay apart, and the credential is never written.
    pub(crate) fn cache_key(&self) -> SourceKey {
        let answering = match self {
            Self::CratesIo {
                api_url,
                download_url,
                ..
            } => Self::CratesIo {
                api_url: api_url.clone(),
                download_url: download_url.clone(),
                index_url: String::new(),
                records: Records::Needed,
            },
            other => other.clone(),
        };
        let mut identity = serde_json::to_value(&answering)
            // Only a folder whose path is not UTF-8 does not serialize.
            .unwrap_or_else(|_| serde_json::json!({"kind": "dir", "label": self.label()}));
        // Every URL of the definition (`api_url`, `template`,
        // `download_url`, and any added later).
        let urls = identity
            .as_object_mut()
            .into_iter()
            .flat_map(|fields| fields.values_mut())
            .filter_map(|value| match value {
                serde_json::Value::String(text) if text.contains("://") => Some(text),
                _ => None,
            });
        for url in urls {
            *url = redact_url_keyed(url);
        }
        SourceKey {
            label: self.label(),
            identity,
            official: self.is_official(),
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GitHub { org: Some(org), .. } => write!(f, "github:{org}"),
            Self::GitHub { org: None, .. } => f.write_str("github"),
            Self::Url { template } => write!(f, "url:{}", redact_url(template)),
            Self::Dir { path } => write!(f, "dir:{}", path.display()),
            Self::CratesIo { .. } => f.write_str("crates-io"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_template_names_the_artifact_by_checksum_or_by_name_and_version() {
        for good in [
            "https://m.example/{checksum}",
            "https://m.example/{name}/{version}",
        ] {
            assert!(SourceSpec::url(good).is_ok(), "{good}");
        }
        for bad in [
            "https://m.example/{name}",
            "https://m.example/{version}",
            "https://m.example/",
        ] {
            let error = SourceSpec::url(bad).unwrap_err().to_string();
            assert!(error.contains("names no artifact"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_cache_identity_keeps_credentials_apart_without_writing_them() {
        let with = |secret: &str| {
            SourceSpec::url(&format!(
                "https://u:{secret}@m.example/{{checksum}}?t={secret}"
            ))
            .unwrap()
            .cache_key()
        };
        let (one, two) = (with("ONE"), with("TWO"));
        assert_ne!(one.identity, two.identity);
        for key in [&one, &two] {
            let text = key.identity.to_string();
            assert!(!text.contains("ONE") && !text.contains("TWO"), "{text}");
            assert!(
                text.contains("https://m.example/{checksum} (sha256:"),
                "{text}"
            );
        }
        // A crates-io source's download URL too.
        let crates_io = |secret: &str| {
            let mut spec = SourceSpec::crates_io(CRATES_IO_API);
            if let SourceSpec::CratesIo { download_url, .. } = &mut spec {
                *download_url = Some(format!(
                    "https://u:{secret}@dl.example/{{crate}}?t={secret}"
                ));
            }
            spec.cache_key()
        };
        let (one, two) = (crates_io("ONE"), crates_io("TWO"));
        assert_ne!(one.identity, two.identity);
        for key in [&one, &two] {
            let text = key.identity.to_string();
            assert!(!text.contains("ONE") && !text.contains("TWO"), "{text}");
        }
        let plain = SourceSpec::url("https://m.example/{checksum}").unwrap();
        assert_eq!(
            plain.cache_key().identity["template"],
            "https://m.example/{checksum}"
        );
    }

    #[test]
    fn a_label_shows_no_userinfo_or_query() {
        let spec = SourceSpec::url("https://u:secret@m.example/{checksum}.json?token=t").unwrap();
        assert_eq!(spec.label(), "url:https://m.example/{checksum}.json");
        let error = SourceSpec::url("http://u:secret@m.example/{checksum}?token=t")
            .unwrap_err()
            .to_string();
        assert!(
            !error.contains("secret") && !error.contains("token=t"),
            "{error}"
        );
    }

    #[test]
    fn only_a_folder_is_local_and_labels_are_the_cli_form() {
        let dir = SourceSpec::parse_cli("dir:bundles").unwrap();
        assert!(!dir.is_remote());
        assert_eq!(dir.label(), "dir:bundles");
        for text in [
            "github",
            "github:acme",
            "url:https://m.example/{checksum}",
            "crates-io",
        ] {
            let spec = SourceSpec::parse_cli(text).unwrap();
            assert!(spec.is_remote(), "{text}");
            assert_eq!(spec.label(), text);
        }
    }

    /// Every field of a source is part of its cache identity; only the
    /// default addresses of GitHub and crates.io are official.
    #[test]
    fn every_field_tells_sources_apart_in_the_cache() {
        let github =
            |api_url: &str, org: Option<&str>, predicate_type: Option<&str>| SourceSpec::GitHub {
                api_url: api_url.into(),
                org: org.map(str::to_string),
                predicate_type: predicate_type.map(str::to_string),
            };
        let sources = [
            github(GITHUB_API, None, None),
            github("http://127.0.0.1:1", None, None),
            github(GITHUB_API, Some("acme"), None),
            github(GITHUB_API, None, Some("https://slsa.dev/provenance/v1")),
            SourceSpec::crates_io(CRATES_IO_API),
            SourceSpec::crates_io("http://127.0.0.1:1"),
            SourceSpec::url("https://m.example/{checksum}").unwrap(),
            SourceSpec::url("https://n.example/{checksum}").unwrap(),
        ];
        let keys: Vec<SourceKey> = sources.iter().map(SourceSpec::cache_key).collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a.identity, b.identity);
            }
        }
        let official: Vec<bool> = keys.iter().map(|k| k.official).collect();
        assert_eq!(
            official,
            [true, false, true, true, true, false, false, false]
        );
        assert!(github("https://api.github.com/", None, None).is_official());
        assert!(!github("https://api.github.com.evil.example", None, None).is_official());
        assert_eq!(keys[1].label, "github");
        // What a crates-io source asks of its index, and which records it
        // asks for, change none of its answers: they are shared.
        let all = SourceSpec::CratesIo {
            api_url: CRATES_IO_API.into(),
            download_url: None,
            index_url: "sparse+https://mirror.example/index/".into(),
            records: Records::All,
        };
        assert_eq!(
            all.cache_key(),
            SourceSpec::crates_io(CRATES_IO_API).cache_key()
        );
    }

    #[test]
    fn cli_forms_parse_and_print_back() {
        for text in [
            "github",
            "github:tokio-rs",
            "url:https://m.example/{name}/{version}/{checksum}.sigstore.json",
            "dir:bundles",
            "crates-io",
        ] {
            assert_eq!(SourceSpec::parse_cli(text).unwrap().to_string(), text);
        }
        for bad in [
            "ftp:x",
            "url:https://m.example/static.json",
            "url:http://m.example/{checksum}",
            "url:ftp://m.example/{checksum}",
            "dir:",
            "crates-io:x",
        ] {
            assert!(SourceSpec::parse_cli(bad).is_err(), "{bad}");
        }
    }
}
