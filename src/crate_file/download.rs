//! A registry's download endpoint, as cargo reads it from the index's
//! `config.json` (`dl`), and the download itself.

use std::future::Future;
use std::pin::Pin;

use super::{CrateOrigin, CrateRef, ObtainError, VerifiedCrate, MAX_CRATE_BYTES};
use crate::http::{AnswerFrom, Destination, Http, HttpError, NamedBy};
use crate::names::{is_package_name, is_plain_version};

/// crates.io's `dl`, from its index's `config.json`.
pub const CRATES_IO_DOWNLOAD: &str = "https://static.crates.io/crates";

/// The markers cargo replaces in a `dl` template.
const MARKERS: [&str; 5] = [
    "{crate}",
    "{version}",
    "{prefix}",
    "{lowerprefix}",
    "{sha256-checksum}",
];

/// A download URL template as in an index's `config.json` `dl` field: with
/// markers (`{crate}`, `{version}`, `{prefix}`, `{lowerprefix}`,
/// `{sha256-checksum}`), or a base to which cargo appends
/// `/{crate}/{version}/download`; and who named it, which decides where
/// its URLs may lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadTemplate {
    template: String,
    named_by: NamedBy,
}

impl DownloadTemplate {
    /// A template the configuration names (`download-url`).
    pub fn new(template: impl Into<String>) -> Self {
        Self {
            template: template.into(),
            named_by: NamedBy::Configuration,
        }
    }

    /// A template an index's `config.json` names (`dl`), answered from
    /// `from`: its URLs are held to the rule for a server's answers (https
    /// to a public address; loopback only from a loopback index).
    pub fn answered(template: impl Into<String>, from: AnswerFrom) -> Self {
        Self {
            template: template.into(),
            named_by: NamedBy::Answer(from),
        }
    }

    pub fn crates_io() -> Self {
        Self::new(CRATES_IO_DOWNLOAD)
    }

    /// The URL text of one package, as cargo makes it.
    pub fn url_for(&self, krate: &CrateRef) -> String {
        let template = if MARKERS.iter().any(|m| self.template.contains(m)) {
            self.template.clone()
        } else {
            format!(
                "{}/{{crate}}/{{version}}/download",
                self.template.trim_end_matches('/')
            )
        };
        let prefix = index_prefix(&krate.name);
        template
            .replace("{crate}", &krate.name)
            .replace("{version}", &krate.version.to_string())
            .replace("{lowerprefix}", &prefix.to_lowercase())
            .replace("{prefix}", &prefix)
            .replace("{sha256-checksum}", &krate.checksum.to_hex())
    }

    /// The URL of one package. Checks, in order: the name and version are
    /// plain (nothing in them can change the URL's shape), the text is a
    /// URL, and the URL is one the template's namer may lead to
    /// (`http::rules::reach`).
    pub fn url(&self, krate: &CrateRef) -> Result<reqwest::Url, HttpError> {
        let text = self.url_for(krate);
        let bad = |reason: String| HttpError::BadUrl {
            url: crate::http::redact_url(&text),
            reason,
        };
        let version = krate.version.to_string();
        if !is_package_name(&krate.name) || !is_plain_version(&version) {
            return Err(bad(format!(
                "`{}@{version}` cannot be put into a URL",
                krate.name
            )));
        }
        let url = reqwest::Url::parse(&text).map_err(|e| bad(e.to_string()))?;
        crate::http::rules::reach(&url, self.named_by).map_err(|refused| HttpError::Refused {
            url: crate::http::redact_url(url.as_str()),
            reason: refused.to_string(),
        })?;
        Ok(url)
    }
}

/// Where a registry's `.crate` files are downloaded from, asked for when a
/// package is first downloaded: a template the configuration names, or an
/// index's `config.json`, read once.
pub trait DownloadEndpoint: std::fmt::Debug + Send + Sync {
    /// The template, or why it is not known.
    fn template(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<DownloadTemplate, String>> + Send + '_>>;
}

impl DownloadEndpoint for DownloadTemplate {
    fn template(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<DownloadTemplate, String>> + Send + '_>> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}

/// The folder of a crate in an index: `1`, `2`, `3/a`, `ab/cd`.
fn index_prefix(name: &str) -> String {
    match name.len() {
        0 => String::new(),
        1 => "1".into(),
        2 => "2".into(),
        3 => format!("3/{}", &name[..1]),
        _ => format!("{}/{}", &name[..2], &name[2..4]),
    }
}

/// Download a package and check it against the lockfile's checksum before
/// anything reads it. No credential is sent (the request carries only
/// `Accept` and the User-Agent); the body is capped at [`MAX_CRATE_BYTES`].
pub(super) async fn download(
    http: &Http,
    template: &DownloadTemplate,
    krate: &CrateRef,
) -> Result<VerifiedCrate, ObtainError> {
    let url = template.url(krate)?;
    let url_text = url.to_string();
    let destination = Destination {
        named_by: template.named_by,
        hosts: None,
    };
    let response = http
        .get_anonymous(
            &url,
            destination,
            "application/octet-stream, */*",
            MAX_CRATE_BYTES,
            None,
        )
        .await?;
    // Shown and kept as every URL is: a mirror's `user:password@` and
    // query (where a pre-signed address keeps its secret) left out.
    let shown = crate::http::redact_url(&url_text);
    if !response.status.is_success() {
        return Err(ObtainError::Status {
            url: shown,
            status: response.status.as_u16(),
        });
    }
    VerifiedCrate::check(response.body, krate, CrateOrigin::Downloaded(shown.clone()))
        .ok_or(ObtainError::ChecksumMismatch { url: shown })
}
