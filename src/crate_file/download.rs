//! A registry's download endpoint, as cargo reads it from the index's
//! `config.json` (`dl`), and the download itself.

use serde::{Deserialize, Serialize};

use super::{CrateOrigin, CrateRef, ObtainError, VerifiedCrate, MAX_CRATE_BYTES};
use crate::http::Http;

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
/// `/{crate}/{version}/download`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DownloadTemplate(String);

impl DownloadTemplate {
    pub fn new(template: impl Into<String>) -> Self {
        Self(template.into())
    }

    pub fn crates_io() -> Self {
        Self::new(CRATES_IO_DOWNLOAD)
    }

    /// The URL of one package, as cargo makes it.
    pub fn url_for(&self, krate: &CrateRef) -> String {
        let template = if MARKERS.iter().any(|m| self.0.contains(m)) {
            self.0.clone()
        } else {
            format!(
                "{}/{{crate}}/{{version}}/download",
                self.0.trim_end_matches('/')
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
    let url_text = template.url_for(krate);
    let url = crate::http::parse_url(&url_text)?;
    let response = http
        .get_anonymous(
            &url,
            crate::http::Destination::CONFIGURED,
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
