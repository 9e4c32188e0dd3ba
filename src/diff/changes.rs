//! What a diff reports: each change between a package's versions, as the
//! JSON message it is written as, with the facts compared on each side,
//! and the summary that ends the messages. Apart from the comparing
//! because these are the diff's output format, read by the renderers and
//! by embedders.

use std::path::PathBuf;

use serde::Serialize;

use super::Acceptance;
use crate::evidence::{EvidenceLevel, SourceError, SourceResult};
use crate::lockfile::PackageSource;
use crate::report::PackageReport;

/// What a run found for one package, as far as a diff compares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observed {
    pub evidence: EvidenceLevel,
    /// The package's outcome under the policy in that run.
    pub outcome: &'static str,
    /// From the deciding attestation, else the registry assertion.
    pub repository: Option<String>,
    /// From the deciding attestation.
    pub repository_id: Option<String>,
    /// The workflow file that ran, from the deciding attestation.
    pub workflow: Option<String>,
    /// The reusable workflow that signed, when it is not the one that ran.
    pub signer_workflow: Option<String>,
    /// Whether crates.io refuses token publishing for the crate, as it said
    /// when this version was checked; `None`: not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trustpub_only: Option<bool>,
    /// False when nothing was found and some source could not answer: the
    /// evidence level is then not known.
    pub checked: bool,
    /// The sources that could not answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_errors: Vec<SourceError>,
}

impl Observed {
    pub(super) fn of(package: &PackageReport) -> Self {
        let provenance = package.provenance.as_ref();
        let evidence = package.outcome.evidence;
        Self {
            evidence,
            outcome: package.status(),
            repository: provenance
                .and_then(|p| p.repository.clone())
                .or_else(|| package.registry.as_ref().map(|r| r.repository.clone())),
            repository_id: provenance.and_then(|p| p.repository_id.clone()),
            workflow: provenance.and_then(|p| p.workflow.clone()),
            signer_workflow: provenance.and_then(|p| p.signer_workflow.clone()),
            trustpub_only: package.record.as_ref().and_then(|r| r.trustpub_only),
            checked: evidence != EvidenceLevel::None || package.source_errors.is_empty(),
            source_errors: package.source_errors.clone(),
        }
    }
}

/// A package present on one side only.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub name: String,
    pub version: semver::Version,
    pub source: PackageSource,
    #[serde(flatten)]
    pub observed: Observed,
}

/// A repository as an attestation (or the registry) states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepositoryFacts {
    pub repository: Option<String>,
    pub repository_id: Option<String>,
}

/// The workflows an attestation states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowFacts {
    pub workflow: Option<String>,
    pub signer_workflow: Option<String>,
}

/// One thing that changed between a package's previous version and this one.
#[derive(Debug, Clone, Serialize)]
pub struct Compared<T> {
    pub name: String,
    pub version: semver::Version,
    pub previous_version: semver::Version,
    pub from: T,
    pub to: T,
    /// Whether this change fails the diff (accepted changes do not).
    pub fails: bool,
    pub accepted: Option<Acceptance>,
    /// A remark for people (e.g. "same repository ID: renamed or transferred").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A change that cannot be ruled out because one side could not be checked.
#[derive(Debug, Clone, Serialize)]
pub struct Unchecked {
    pub name: String,
    pub version: semver::Version,
    pub previous_version: semver::Version,
    /// `old` or `new`: the side that could not be checked.
    pub side: &'static str,
    pub from: EvidenceLevel,
    pub to: EvidenceLevel,
    pub errors: Vec<SourceError>,
}

/// The same version from the same source now pins another `.crate` file:
/// the published file was replaced, or the lockfile was edited by hand.
#[derive(Debug, Clone, Serialize)]
pub struct ChecksumChange {
    pub name: String,
    pub version: semver::Version,
    pub source: PackageSource,
    /// The SHA-256 the old lockfile pins.
    pub from: String,
    /// The SHA-256 the new lockfile pins.
    pub to: String,
}

/// A version the new lockfile brings in (added, or replacing another)
/// that was published less than its rule's `min-age` before the run.
#[derive(Debug, Clone, Serialize)]
pub struct TooNew {
    pub name: String,
    pub version: semver::Version,
    /// The version it replaces; `None` for a new dependency.
    pub previous_version: Option<semver::Version>,
    pub published: Option<jiff::Timestamp>,
    /// What the `min-age` failure says: the publish time, the age, when it
    /// passes.
    pub found: Option<String>,
    /// Whether it fails the diff: not when an exemption excuses it.
    pub fails: bool,
}

/// One line of the diff, as a JSON message (`reason` names the kind).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Change {
    /// A dependency only the new lockfile has, with its evidence.
    DiffAdded(Listed),
    /// A dependency only the old lockfile had.
    DiffRemoved(Listed),
    /// The same version now pins a different `.crate` file: always fails.
    DiffChecksum(ChecksumChange),
    /// The evidence level dropped: fails unless accepted.
    DiffDowngrade(Compared<EvidenceLevel>),
    /// The evidence level rose.
    DiffUpgrade(Compared<EvidenceLevel>),
    /// The repository URL or ID changed: fails unless accepted.
    DiffRepository(Compared<RepositoryFacts>),
    /// The workflow or signer workflow changed: fails unless accepted.
    DiffWorkflow(Compared<WorkflowFacts>),
    /// crates.io's `trustpub_only` was switched off: a downgrade, which
    /// fails unless accepted (`allow-downgrade`).
    DiffTrustpubOnly(Compared<bool>),
    /// The published files were the repository's at their commit and no
    /// longer are (`matches` to `differs` or `no-vcs-info`): a downgrade,
    /// which fails unless accepted (`allow-downgrade`). `matches` to
    /// `not-checked` is evidence lost: not checked (exit 2), as a
    /// downgrade could hide behind it.
    DiffSource(Compared<SourceResult>),
    /// A downgrade could be hidden by a side that could not be checked.
    DiffUnchecked(Unchecked),
    /// A version brought in younger than `min-age`: fails unless exempt.
    DiffMinAge(TooNew),
}

impl Change {
    /// Name and version of the package in the lockfile it is in.
    pub(super) fn package(&self) -> (&str, &semver::Version) {
        match self {
            Self::DiffAdded(l) | Self::DiffRemoved(l) => (&l.name, &l.version),
            Self::DiffDowngrade(c) | Self::DiffUpgrade(c) => (&c.name, &c.version),
            Self::DiffRepository(c) => (&c.name, &c.version),
            Self::DiffWorkflow(c) => (&c.name, &c.version),
            Self::DiffTrustpubOnly(c) => (&c.name, &c.version),
            Self::DiffSource(c) => (&c.name, &c.version),
            Self::DiffUnchecked(u) => (&u.name, &u.version),
            Self::DiffChecksum(c) => (&c.name, &c.version),
            Self::DiffMinAge(t) => (&t.name, &t.version),
        }
    }

    /// Whether it fails the diff (exit code 1).
    pub fn fails(&self) -> bool {
        match self {
            Self::DiffChecksum(_) => true,
            Self::DiffDowngrade(c) => c.fails,
            Self::DiffRepository(c) => c.fails,
            Self::DiffWorkflow(c) => c.fails,
            Self::DiffTrustpubOnly(c) => c.fails,
            Self::DiffSource(c) => c.fails,
            Self::DiffMinAge(t) => t.fails,
            _ => false,
        }
    }

    /// Whether it is a side that could not be checked (exit 2 unless
    /// something fails).
    pub fn unchecked(&self) -> bool {
        match self {
            Self::DiffUnchecked(_) => true,
            Self::DiffSource(c) => c.to == SourceResult::NotChecked,
            _ => false,
        }
    }

    pub(super) fn accepted(&self) -> bool {
        match self {
            Self::DiffDowngrade(c) => c.accepted.is_some(),
            Self::DiffRepository(c) => c.accepted.is_some(),
            Self::DiffWorkflow(c) => c.accepted.is_some(),
            Self::DiffTrustpubOnly(c) => c.accepted.is_some(),
            Self::DiffSource(c) => c.accepted.is_some(),
            _ => false,
        }
    }

    pub(super) fn rank(&self) -> u8 {
        match self {
            Self::DiffRemoved(_) => 0,
            Self::DiffAdded(_) => 1,
            Self::DiffChecksum(_) => 2,
            Self::DiffDowngrade(_) => 2,
            Self::DiffUnchecked(_) => 3,
            Self::DiffUpgrade(_) => 4,
            Self::DiffRepository(_) => 5,
            Self::DiffWorkflow(_) => 6,
            Self::DiffTrustpubOnly(_) => 7,
            Self::DiffSource(_) => 8,
            Self::DiffMinAge(_) => 9,
        }
    }
}

/// The counts of a diff, and its exit code: the last JSON message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffSummary {
    pub format_version: u32,
    pub old_lockfile: PathBuf,
    pub new_lockfile: PathBuf,
    pub policy: Option<PathBuf>,
    pub added: usize,
    pub removed: usize,
    /// The same version pinning another `.crate` file.
    pub checksum_changes: usize,
    pub downgrades: usize,
    pub upgrades: usize,
    pub repository_changes: usize,
    pub workflow_changes: usize,
    pub unchecked: usize,
    /// Versions brought in younger than their `min-age`.
    pub too_new: usize,
    /// Changes that would fail and were accepted.
    pub accepted: usize,
    /// Changes that fail.
    pub failing: usize,
    pub exit_code: i32,
}
