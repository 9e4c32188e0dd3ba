//! Applying the policy to what was found for each package.
//!
//! Every package gets one [`Outcome`] (pass, violation, exempt, no
//! provenance, not checked or error) and the rule that decided it, following `docs/policy.md`
//! ("Which rule decides", "Outcomes"). Matching uses verified facts only;
//! registry data counts only for what it states (a repository) and only
//! when the rule accepts that level. After a run, rules and exemptions that
//! decided nothing are reported as warnings (stale policy).
//!
//! This file holds what evaluation decides (the outcomes and the failures);
//! [`Evaluator`] decides it package by package, and [`check_attestation`]
//! and [`check_registry`] compare one rule with one piece of evidence.

mod checks;
mod evaluator;
mod repository;
mod source;

use std::fmt;

use serde::{Deserialize, Serialize};

use checks::disagreements;
pub use checks::{
    check_attestation, check_registry, conflicts, source_cross_checks, ComparedWith, Comparison,
    SourceComparison,
};
pub(crate) use checks::{cross_check, expectations, source_cross_checks_of, Expected};
pub use evaluator::Evaluator;
pub(crate) use repository::mark_other_repositories;
pub(crate) use source::unaccepted as source_differences;

use crate::escape::Untrusted;
use crate::evidence::{BundleOrigin, Evidence, EvidenceLevel, SourceError};
use crate::exit;
use crate::lockfile::{Package, PackageSource};
use crate::policy::rule_keys::RequirementKey;
use crate::policy::{
    Effective, Mode, NotCheckedAction, Policy, PolicyDiagnostic, PolicySpan, Rule, NO_REQUIREMENTS,
};

/// What the evidence shows against the requirements, before exemptions.
enum Verdict {
    Pass(Option<BundleOrigin>),
    Fail(Vec<Failure>),
    /// Failures nothing can waive (a bundle that fails verification, or
    /// that contradicts the registry).
    Rejected(Vec<Failure>),
    NoProvenance,
    NotChecked(Vec<SourceError>),
    Error(Vec<SourceError>, Vec<Failure>),
}

/// The requirement a failure is about, as named in `docs/policy.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// A bundle for the package's checksum failed verification.
    BundleVerification,
    /// A verified bundle and the registry's record of the publisher
    /// disagree on the repository or the commit.
    EvidenceConflict,
    /// The evidence level (`require`).
    Require,
    /// The registry must record that the crate refuses token publishing.
    TrustpubOnly,
    /// The version must have been published long enough before the run.
    MinAge,
    /// The published package must be the repository's files at the commit.
    SourceMatches,
    Issuer,
    Repository,
    RepositoryId,
    Owner,
    OwnerId,
    Workflow,
    SignerWorkflow,
    SignerDigest,
    Ref,
    Triggers,
    Runner,
    Visibility,
    PredicateType,
    /// A git dependency not allowed by `[git]`.
    Git,
    /// A path dependency not allowed by `[path]`.
    Path,
    /// The exemption that would have excused the package has expired.
    ExemptionExpired,
}

impl Requirement {
    /// The policy key (or the word) for this requirement.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BundleVerification => "bundle-verification",
            Self::EvidenceConflict => "evidence-conflict",
            Self::Require => "require",
            Self::TrustpubOnly => "trustpub-only",
            Self::MinAge => "min-age",
            Self::SourceMatches => "source-matches",
            Self::Issuer => "issuer",
            Self::Repository => "repository",
            Self::RepositoryId => "repository-id",
            Self::Owner => "owner",
            Self::OwnerId => "owner-id",
            Self::Workflow => "workflow",
            Self::SignerWorkflow => "signer-workflow",
            Self::SignerDigest => "signer-digest",
            Self::Ref => "ref",
            Self::Triggers => "triggers",
            Self::Runner => "runner",
            Self::Visibility => "visibility",
            Self::PredicateType => "predicate-type",
            Self::Git => "git",
            Self::Path => "path",
            Self::ExemptionExpired => "exemption-expired",
        }
    }
}

impl Requirement {
    /// The requirement a key of the rule tables states; `None` for
    /// `source-allow-line-endings`, which loosens `source-matches` and fails
    /// nothing itself.
    pub(crate) fn of(key: RequirementKey) -> Option<Self> {
        use RequirementKey as K;
        Some(match key {
            K::Require => Self::Require,
            K::Issuer => Self::Issuer,
            K::Repository => Self::Repository,
            K::RepositoryId => Self::RepositoryId,
            K::Owner => Self::Owner,
            K::OwnerId => Self::OwnerId,
            K::Workflow => Self::Workflow,
            K::SignerWorkflow => Self::SignerWorkflow,
            K::SignerDigest => Self::SignerDigest,
            K::Ref => Self::Ref,
            K::Triggers => Self::Triggers,
            K::Runner => Self::Runner,
            K::Visibility => Self::Visibility,
            K::PredicateType => Self::PredicateType,
            K::TrustpubOnly => Self::TrustpubOnly,
            K::MinAge => Self::MinAge,
            K::SourceMatches => Self::SourceMatches,
            K::SourceAllowLineEndings => return None,
        })
    }

    /// Whether failing it fails the run whatever the policy says: no
    /// exemption waives it and audit mode does not soften it.
    pub fn is_unwaivable(self) -> bool {
        matches!(self, Self::BundleVerification | Self::EvidenceConflict)
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One requirement that was not met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub requirement: Requirement,
    /// What the policy asks for, as written.
    pub expected: String,
    /// What the evidence shows; `None` when it shows nothing for this.
    pub found: Option<String>,
    /// The policy key (`key = value`) that demanded it.
    pub span: Option<PolicySpan>,
    /// The bundle the finding is about, if any.
    pub bundle: Option<BundleOrigin>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.requirement,
            Untrusted(&self.expected),
            Untrusted(self.found.as_deref().unwrap_or("nothing"))
        )
    }
}

/// Which part of the policy decided a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleRefKind {
    /// A workspace member: needs nothing.
    WorkspaceMember,
    /// No policy file: the built-in default.
    BuiltIn,
    Defaults,
    Package,
    Owner,
    Exempt,
    Git,
    Path,
    /// Outside the part of the graph being checked: nothing applies.
    OutOfScope,
}

/// A reference to the rule that decided a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub kind: RuleRefKind,
    /// 0-based position among the tables of its kind.
    pub index: Option<usize>,
    /// The selector that matched (`serde*`, `libc 0.2.*`, a `[git] allow` pattern).
    pub selector: Option<String>,
    /// The table, or the matching pattern.
    pub span: Option<PolicySpan>,
}

impl RuleRef {
    fn bare(kind: RuleRefKind) -> Self {
        Self {
            kind,
            index: None,
            selector: None,
            span: None,
        }
    }
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = match self.kind {
            RuleRefKind::WorkspaceMember => return f.write_str("workspace member"),
            RuleRefKind::BuiltIn => return f.write_str("the default policy"),
            RuleRefKind::OutOfScope => return f.write_str("the scope"),
            RuleRefKind::Defaults => return f.write_str("[defaults]"),
            RuleRefKind::Package => "[[package]]",
            RuleRefKind::Owner => "[[owner]]",
            RuleRefKind::Exempt => "[[exempt]]",
            RuleRefKind::Git => "[git]",
            RuleRefKind::Path => "[path]",
        };
        f.write_str(table)?;
        if let Some(selector) = &self.selector {
            write!(f, " {selector}")?;
        }
        if let Some(span) = &self.span {
            write!(f, " (line {})", span.line)?;
        }
        Ok(())
    }
}

/// What was decided for one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Every requirement is met. `bundle` is the attestation that met them
    /// (none for registry data or when nothing was needed).
    Pass { bundle: Option<BundleOrigin> },
    /// At least one requirement is not met.
    Violation { failures: Vec<Failure> },
    /// An exemption applies; `failures` are what it excuses.
    Exempt {
        exemption: RuleRef,
        /// Serialized as `exemption_reason`: in JSON messages `reason` names the message kind.
        #[serde(rename = "exemption_reason")]
        reason: String,
        until: Option<jiff::civil::Date>,
        failures: Vec<Failure>,
    },
    /// Every source answered, none has evidence, and none is required.
    NoProvenance,
    /// A source could not answer, nothing else was found, and none is
    /// required: whether provenance exists is not known.
    NotChecked { errors: Vec<SourceError> },
    /// Evidence is required but could not be checked.
    Error {
        errors: Vec<SourceError>,
        failures: Vec<Failure>,
    },
    /// Not part of the build being checked (`--target`, `--no-dev`,
    /// `[graph]`): not fetched, not checked, never fails the run.
    OutOfScope {
        out_of_scope: crate::lockfile::OutOfScope,
    },
}

impl Outcome {
    /// `pass`, `violation`, `exempt`, `no-provenance`, `not-checked`, `error`
    /// or `out-of-scope`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Pass { .. } => "pass",
            Self::Violation { .. } => "violation",
            Self::Exempt { .. } => "exempt",
            Self::NoProvenance => "no-provenance",
            Self::NotChecked { .. } => "not-checked",
            Self::Error { .. } => "error",
            Self::OutOfScope { .. } => "out-of-scope",
        }
    }
}

/// Which requirements the evaluator applied to a package: decided once,
/// when the package is evaluated, and read from its outcome by everything
/// that shows them ([`PackageOutcome::requirements`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Applied {
    /// None: a workspace member, a git or path dependency, a package out of
    /// scope, or an outcome read back from a report.
    #[default]
    Nothing,
    /// `[defaults]` alone: no rule matched the registry package.
    Defaults,
    /// The rule at this position of the policy's rules, over `[defaults]`.
    Rule(usize),
}

/// One package, its evidence level and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageOutcome {
    pub name: String,
    pub version: semver::Version,
    pub source: PackageSource,
    /// The strongest evidence found.
    pub evidence: EvidenceLevel,
    /// The rule whose requirements applied.
    pub rule: RuleRef,
    /// Which requirements applied, for [`PackageOutcome::requirements`]
    /// (not part of a report: a rule is named there by `rule`).
    #[serde(skip)]
    pub applied: Applied,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl PackageOutcome {
    /// The rule of `policy` whose requirements were applied, if a rule's
    /// were.
    pub fn deciding_rule<'p>(&self, policy: &'p Policy) -> Option<&'p Rule> {
        match self.applied {
            Applied::Rule(position) => policy.rules.get(position),
            Applied::Nothing | Applied::Defaults => None,
        }
    }

    /// The requirements the evaluator applied to the package (its
    /// deciding rule's over `[defaults]`, or `[defaults]` alone); `None`
    /// where none applied. `policy` is the one the package was evaluated
    /// with.
    pub fn requirements<'p>(&self, policy: &'p Policy) -> Option<Effective<'p>> {
        match self.applied {
            Applied::Nothing => None,
            Applied::Defaults => Some(NO_REQUIREMENTS.merged(&policy.defaults)),
            Applied::Rule(_) => self
                .deciding_rule(policy)
                .map(|rule| rule.requirements.merged(&policy.defaults)),
        }
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// Whether a bundle for this package failed verification, or
    /// contradicts the registry's record: fails the run in every mode.
    pub fn has_unwaivable_failure(&self) -> bool {
        matches!(&self.outcome, Outcome::Violation { failures }
            if failures.iter().any(|f| f.requirement.is_unwaivable()))
    }
}

/// How many packages had each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub violation: usize,
    pub exempt: usize,
    pub no_provenance: usize,
    pub not_checked: usize,
    pub error: usize,
    pub out_of_scope: usize,
}

/// The result of evaluating a policy over a lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub mode: Mode,
    /// Whether a package that could not be checked, and that nothing
    /// required evidence of, fails the run (the policy's `not-checked`).
    #[serde(default)]
    pub not_checked: NotCheckedAction,
    /// One per package, in inventory order.
    pub outcomes: Vec<PackageOutcome>,
    /// Stale policy: rules and exemptions that decided nothing, exemptions
    /// that were not needed. In file order.
    pub warnings: Vec<PolicyDiagnostic>,
}

impl Evaluation {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for outcome in &self.outcomes {
            match outcome.outcome {
                Outcome::Pass { .. } => counts.pass += 1,
                Outcome::Violation { .. } => counts.violation += 1,
                Outcome::Exempt { .. } => counts.exempt += 1,
                Outcome::NoProvenance => counts.no_provenance += 1,
                Outcome::NotChecked { .. } => counts.not_checked += 1,
                Outcome::Error { .. } => counts.error += 1,
                Outcome::OutOfScope { .. } => counts.out_of_scope += 1,
            }
        }
        counts
    }

    /// The exit code: 1 when a bundle failed verification or contradicts
    /// the registry (any mode); in audit mode 0 otherwise; in enforce mode
    /// 1 for any violation, else 2 when a package in scope could not be
    /// checked (required or not, unless the policy's `not-checked = "warn"`
    /// lets those nothing required pass); else 0. Could-not-check is
    /// never a pass by default.
    pub fn exit_code(&self) -> i32 {
        if self
            .outcomes
            .iter()
            .any(PackageOutcome::has_unwaivable_failure)
        {
            return exit::VIOLATION;
        }
        if self.mode == Mode::Audit {
            return exit::PASS;
        }
        let counts = self.counts();
        let unchecked_fails = self.not_checked == NotCheckedAction::Fail && counts.not_checked > 0;
        if counts.violation > 0 {
            exit::VIOLATION
        } else if counts.error > 0 || unchecked_fails {
            exit::ERROR
        } else {
            exit::PASS
        }
    }
}

/// Evaluate every package; see [`Evaluator`].
pub fn evaluate<'a>(
    policy: &Policy,
    packages: impl IntoIterator<Item = (&'a Package, &'a Evidence)>,
    now: jiff::Timestamp,
) -> Evaluation {
    let mut evaluator = Evaluator::new(policy, now);
    let outcomes = packages
        .into_iter()
        .map(|(package, evidence)| evaluator.package(package, evidence))
        .collect();
    evaluator.finish(outcomes)
}

#[cfg(test)]
mod tests;
