//! How a source is configured: `[[source]]` tables in the policy file and
//! `--source` on the command line describe the same [`SourceSpec`].

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// GitHub's REST API.
pub const GITHUB_API: &str = "https://api.github.com";
/// crates.io's web API.
pub const CRATES_IO_API: &str = "https://crates.io";

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
    /// crates.io Trusted Publishing data (unsigned: registry-asserted only).
    CratesIo { api_url: String },
}

impl SourceSpec {
    /// Parse `--source`: `github`, `github:ORG`, `url:TEMPLATE`, `dir:PATH`, `crates-io`.
    pub fn parse_cli(text: &str) -> Result<Self, String> {
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
            ("crates-io", None) => Ok(Self::CratesIo {
                api_url: CRATES_IO_API.into(),
            }),
            _ => Err(format!(
                "`{text}` is not a source; use github, github:ORG, url:TEMPLATE, dir:PATH or crates-io"
            )),
        }
    }

    /// A URL source, checking its template names the artifact.
    pub fn url(template: &str) -> Result<Self, String> {
        let names_artifact = template.contains("{checksum}")
            || (template.contains("{name}") && template.contains("{version}"));
        if !names_artifact {
            return Err(format!(
                "URL template `{template}` names no artifact: use {{checksum}}, or {{name}} and {{version}}"
            ));
        }
        Ok(Self::Url {
            template: template.to_string(),
        })
    }

    /// A short label used in reports: `github`, `url:…`, `dir:…`, `crates-io`.
    pub fn label(&self) -> String {
        self.to_string()
    }

    /// Whether using this source needs the network.
    pub fn is_remote(&self) -> bool {
        !matches!(self, Self::Dir { .. })
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GitHub { org: Some(org), .. } => write!(f, "github:{org}"),
            Self::GitHub { org: None, .. } => f.write_str("github"),
            Self::Url { template } => write!(f, "url:{template}"),
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
            let error = SourceSpec::url(bad).unwrap_err();
            assert!(error.contains("names no artifact"), "{bad}: {error}");
        }
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
            "dir:",
            "crates-io:x",
        ] {
            assert!(SourceSpec::parse_cli(bad).is_err(), "{bad}");
        }
    }
}
