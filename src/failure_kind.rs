//! Why a source could not answer for a package, by kind: plain data that
//! the HTTP client, the sources and the cache produce, and the evidence and
//! reports carry.

use serde::{Deserialize, Serialize};

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
