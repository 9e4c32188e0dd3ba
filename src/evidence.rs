//! What was found for one package: the input to policy evaluation.
//!
//! Sources produce bundles and registry assertions; verification turns each
//! bundle into an [`Attestation`] (verified) or a [`Rejected`] (failed).
//! Nothing here is trusted until it has been through [`crate::verify`],
//! except [`RegistryAssertion`], which is unsigned and is only ever the
//! weaker "registry-asserted" evidence level.

use serde::{Deserialize, Serialize};

pub use crate::failure_kind::FailureKind;
pub use crate::origin::{BundleOrigin, RegistryAssertion, RegistryRecord};
pub use crate::source_match::{SourceMatch, SourceResult};
use crate::verify::{VerifiedFacts, VerifyFailure};

/// How strong the evidence for a package is, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceLevel {
    /// Nothing found.
    None,
    /// The registry says who published it (crates.io Trusted Publishing), unsigned.
    RegistryAsserted,
    /// A Sigstore bundle for the package's checksum verified offline.
    Attested,
}

impl std::fmt::Display for EvidenceLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::RegistryAsserted => "registry-asserted",
            Self::Attested => "attested",
        })
    }
}

/// A bundle that verified, and what it proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    pub origin: BundleOrigin,
    /// The SHA-256 (hex) of the bundle's JSON as it was verified: what a
    /// verification summary names it by.
    pub digest: String,
    pub facts: VerifiedFacts,
}

/// A bundle for this package's checksum that failed verification: a
/// violation whenever the package is checked at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub origin: BundleOrigin,
    /// The SHA-256 (hex) of the bundle's JSON as it was read.
    pub digest: String,
    pub failure: VerifyFailure,
}

/// A source that could not be asked about this package: the package could
/// not be checked there, which never counts as a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceError {
    pub source: String,
    pub message: String,
    #[serde(default)]
    pub kind: FailureKind,
    /// The host that could not be reached, for the kinds that say so.
    #[serde(default)]
    pub host: Option<String>,
}

impl SourceError {
    /// A failure of no particular kind.
    pub fn new(source: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            message: message.into(),
            kind: FailureKind::Failed,
            host: None,
        }
    }
}

/// Everything found for one package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub attestations: Vec<Attestation>,
    pub rejected: Vec<Rejected>,
    pub registry: Option<RegistryAssertion>,
    /// The registry's record of the version (publish time, whether the
    /// crate refuses token publishing), unsigned.
    pub record: Option<RegistryRecord>,
    /// When the version was published, as the registry's index says (else
    /// its record); `None` when not known or not looked up.
    #[serde(default)]
    pub published: Option<jiff::Timestamp>,
    /// Why the publish time is not known, when it was looked up and the
    /// index could not say.
    #[serde(default)]
    pub published_unknown: Option<SourceError>,
    /// Bundles whose subjects do not include this package's checksum (ignored).
    pub ignored: Vec<BundleOrigin>,
    pub errors: Vec<SourceError>,
    /// The published package compared with its repository at the commit
    /// it was packaged from; `None` when no comparison was asked for.
    #[serde(default)]
    pub source_match: Option<SourceMatch>,
    /// The verified attestations (by origin) attested in another repository
    /// than the one the package names, which its rule does not accept:
    /// anyone may attest any digest in a repository of their own, so they
    /// are never held against the registry's record (no evidence
    /// conflict), and are reported. Marked by the evaluation.
    #[serde(default)]
    pub other_repository: Vec<BundleOrigin>,
}

impl Evidence {
    /// The strongest level of evidence present.
    pub fn level(&self) -> EvidenceLevel {
        if !self.attestations.is_empty() {
            EvidenceLevel::Attested
        } else if self.registry.is_some() {
            EvidenceLevel::RegistryAsserted
        } else {
            EvidenceLevel::None
        }
    }
}
