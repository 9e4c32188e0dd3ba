//! Where evidence comes from, before any of it is verified: the origin of
//! a bundle, and a registry's unsigned record of who published a package.
//!
//! Plain data, below the cache that stores it and the sources that find
//! it; [`crate::evidence`] builds on it once bundles are verified.

use serde::{Deserialize, Serialize};

/// Where a bundle came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleOrigin {
    /// The source that produced it, e.g. `github`, `dir:bundles`, `url:https://…`.
    pub source: String,
    /// The file, URL or cache entry, with a line or index when there are several.
    pub location: String,
}

/// Unsigned publisher data a registry records (crates.io `trustpub_data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryAssertion {
    /// `crates.io`.
    pub registry: String,
    /// `github`, `gitlab`, …
    pub provider: String,
    /// Repository URL, e.g. `https://github.com/serde-rs/serde`.
    pub repository: String,
    /// The commit, when recorded.
    pub sha: Option<String>,
    /// The CI run (GitHub's `run_id`, GitLab's `job_id`), when recorded.
    pub run_id: Option<String>,
    /// Whether the crate accepts only trusted publishing (no tokens), as
    /// the registry said when asked; `None` when it did not say.
    #[serde(default)]
    pub trustpub_only: Option<bool>,
}

/// What a registry records about a published version beyond its publisher:
/// never changes once published, except the crate-level fields, which are
/// as of when it was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryRecord {
    /// The crate's `repository` (from its latest manifest), unchecked: a
    /// hint of where to look, never evidence.
    pub repository: Option<String>,
    /// Whether the crate accepts only trusted publishing.
    pub trustpub_only: Option<bool>,
    /// When the version was published (crates.io's `created_at`).
    #[serde(default)]
    pub published: Option<jiff::Timestamp>,
}

/// Why a source could not answer for a package, by kind: what the report
/// counts and groups by.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The host name does not resolve.
    DnsFailed,
    /// Nothing accepts connections at the host's address.
    ConnectionRefused,
    /// The TLS handshake failed: the server does not speak TLS, or its
    /// certificate is not trusted.
    TlsFailed,
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// A connection broke (reset, closed early) on every attempt.
    ConnectionFailed,
    /// No complete answer in time on every attempt.
    Timeout,
    /// 5xx answers on every attempt.
    ServerError,
    RateLimited,
    /// Offline, and the cache holds no answer from the source.
    NotCached,
    /// Anything else: an answer the source should not give, a folder that
    /// cannot be read.
    #[default]
    Failed,
}

impl FailureKind {
    /// The host cannot be reached at all: asking it again now will not help.
    pub fn is_unreachable(self) -> bool {
        matches!(
            self,
            Self::DnsFailed | Self::ConnectionRefused | Self::TlsFailed | Self::ConnectTimeout
        )
    }

    /// A few words for people: `DNS lookup failed`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::DnsFailed => "DNS lookup failed",
            Self::ConnectionRefused => "connection refused",
            Self::TlsFailed => "TLS handshake failed",
            Self::ConnectTimeout => "connection timed out",
            Self::ConnectionFailed => "connection failed",
            Self::Timeout => "timed out",
            Self::ServerError => "server error",
            Self::RateLimited => "rate limited",
            Self::NotCached => "not in the cache, and the run is offline",
            Self::Failed => "failed",
        }
    }
}
