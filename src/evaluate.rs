//! Applying the policy to what was found for each package.
//!
//! Every package gets one [`Outcome`] (pass, violation, exempt, missing or
//! error) and the rule that decided it, following `docs/policy.md`
//! ("Which rule decides", "Outcomes"). Matching uses verified facts only;
//! registry data counts only for what it states (a repository) and only
//! when the rule accepts that level. After a run, rules and exemptions that
//! decided nothing are reported as warnings (stale policy).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::evidence::{Attestation, BundleOrigin, Evidence, EvidenceLevel, SourceError};
use crate::exit;
use crate::lockfile::{Package, PackageSource};
use crate::policy::matcher::{self, id_matches, owner_of, signer_matches, write_one_of};
use crate::policy::{
    deciding_position, Code, Effective, Exemption, Mode, Policy, PolicyDiagnostic, PolicySpan,
    RuleKind,
};
// Which rule decides is the policy's to say; evaluation applies it.
pub use crate::policy::{deciding_rule, matching_exemption};

/// The requirement a failure is about, as named in `docs/policy.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// A bundle for the package's checksum failed verification.
    BundleVerification,
    /// The evidence level (`require`).
    Require,
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
            Self::Require => "require",
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
            self.expected,
            self.found.as_deref().unwrap_or("nothing")
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
    /// No evidence was found, and none is required.
    Missing,
    /// Evidence is required but could not be checked.
    Error {
        errors: Vec<SourceError>,
        failures: Vec<Failure>,
    },
}

impl Outcome {
    /// `pass`, `violation`, `exempt`, `missing` or `error`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Pass { .. } => "pass",
            Self::Violation { .. } => "violation",
            Self::Exempt { .. } => "exempt",
            Self::Missing => "missing",
            Self::Error { .. } => "error",
        }
    }
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
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl PackageOutcome {
    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// Whether a bundle for this package failed verification: fails the
    /// run in every mode.
    pub fn has_rejected_bundle(&self) -> bool {
        matches!(&self.outcome, Outcome::Violation { failures }
            if failures.iter().any(|f| f.requirement == Requirement::BundleVerification))
    }
}

/// How many packages had each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub violation: usize,
    pub exempt: usize,
    pub missing: usize,
    pub error: usize,
}

/// The result of evaluating a policy over a lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub mode: Mode,
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
                Outcome::Missing => counts.missing += 1,
                Outcome::Error { .. } => counts.error += 1,
            }
        }
        counts
    }

    /// The exit code: 1 when a bundle failed verification (any mode); in
    /// enforce mode 1 for any violation, else 2 when a package could not be
    /// checked; else 0.
    pub fn exit_code(&self) -> i32 {
        if self
            .outcomes
            .iter()
            .any(PackageOutcome::has_rejected_bundle)
        {
            return exit::VIOLATION;
        }
        if self.mode == Mode::Audit {
            return exit::PASS;
        }
        let counts = self.counts();
        if counts.violation > 0 {
            exit::VIOLATION
        } else if counts.error > 0 {
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

/// Evaluates packages one at a time and remembers which rules were used,
/// for the stale-policy warnings.
pub struct Evaluator<'p> {
    policy: &'p Policy,
    now: jiff::Timestamp,
    /// Per rule, per selector: decided at least one package.
    rule_used: Vec<Vec<bool>>,
    /// Per exemption: matched a package / was needed by one.
    exemption_matched: Vec<bool>,
    exemption_needed: Vec<bool>,
    git_used: Vec<bool>,
    path_used: Vec<bool>,
}

/// What the evidence shows against the requirements, before exemptions.
enum Verdict {
    Pass(Option<BundleOrigin>),
    Fail(Vec<Failure>),
    /// Failures nothing can waive (a bundle that fails verification).
    Rejected(Vec<Failure>),
    Missing,
    Error(Vec<SourceError>, Vec<Failure>),
}

impl<'p> Evaluator<'p> {
    pub fn new(policy: &'p Policy, now: jiff::Timestamp) -> Self {
        Self {
            policy,
            now,
            rule_used: policy
                .rules
                .iter()
                .map(|r| vec![false; r.selectors.len()])
                .collect(),
            exemption_matched: vec![false; policy.exemptions.len()],
            exemption_needed: vec![false; policy.exemptions.len()],
            git_used: vec![false; policy.git.as_ref().map_or(0, |g| g.patterns.len())],
            path_used: vec![false; policy.path_deps.as_ref().map_or(0, |p| p.patterns.len())],
        }
    }

    /// The outcome for one package.
    ///
    /// Checks, in order: workspace membership (passes); a bundle that
    /// failed verification (a violation nothing waives); git and path
    /// dependencies against `[git]`/`[path]`; registry packages against the
    /// most specific rule (else `[defaults]`): verified attestations first,
    /// then registry data, then the absence of evidence; finally an
    /// exemption turns a failure into `exempt` (or, expired, says so).
    pub fn package(&mut self, package: &Package, evidence: &Evidence) -> PackageOutcome {
        let make = |rule: RuleRef, outcome: Outcome| PackageOutcome {
            name: package.name.clone(),
            version: package.version.clone(),
            source: package.source.clone(),
            evidence: evidence.level(),
            rule,
            outcome,
        };
        if package.workspace_member {
            return make(
                RuleRef::bare(RuleRefKind::WorkspaceMember),
                Outcome::Pass { bundle: None },
            );
        }
        let (rule, verdict) = match &package.source {
            PackageSource::Git { url, .. } => self.git(url, evidence),
            PackageSource::Path => self.path(&package.name, evidence),
            PackageSource::CratesIo | PackageSource::Registry { .. } => {
                self.registry(package, evidence)
            }
        };
        let outcome = self.apply_exemption(package, verdict);
        make(rule, outcome)
    }

    /// A git URL is matched in its normal form; one that has none (a `..`
    /// segment, an encoded `/`, …) matches no pattern, and the reason is shown.
    fn git(&mut self, url: &str, evidence: &Evidence) -> (RuleRef, Verdict) {
        let shown = git_url(url);
        match crate::policy::url::normalize(url) {
            Ok(normal) => self.allow_listed(true, Some(&normal), shown.to_string(), evidence),
            Err(reason) => self.allow_listed(true, None, format!("{shown} ({reason})"), evidence),
        }
    }

    fn path(&mut self, name: &str, evidence: &Evidence) -> (RuleRef, Verdict) {
        self.allow_listed(false, Some(name), name.to_string(), evidence)
    }

    /// `text`: what the patterns are matched against (`None`: nothing
    /// matches); `shown`: what a failure says was found.
    fn allow_listed(
        &mut self,
        git: bool,
        text: Option<&str>,
        shown: String,
        evidence: &Evidence,
    ) -> (RuleRef, Verdict) {
        let (kind, list, used, requirement) = if git {
            (
                RuleRefKind::Git,
                self.policy.git.as_ref(),
                &mut self.git_used,
                Requirement::Git,
            )
        } else {
            (
                RuleRefKind::Path,
                self.policy.path_deps.as_ref(),
                &mut self.path_used,
                Requirement::Path,
            )
        };
        let rejected = rejected_failures(evidence);
        let Some(list) = list else {
            // No table: not checked.
            let rule = RuleRef::bare(kind);
            let verdict = if rejected.is_empty() {
                Verdict::Missing
            } else {
                Verdict::Rejected(rejected)
            };
            return (rule, verdict);
        };
        let found = text.and_then(|text| list.find(text));
        let rule = RuleRef {
            kind,
            index: found,
            selector: found.map(|i| list.patterns[i].value.to_string()),
            span: Some(found.map_or(list.span, |i| list.patterns[i].span)),
        };
        if let Some(i) = found {
            used[i] = true;
        }
        let verdict = if !rejected.is_empty() {
            Verdict::Rejected(rejected)
        } else if found.is_some() {
            Verdict::Pass(None)
        } else {
            let what = if git { "git URL" } else { "package name" };
            Verdict::Fail(vec![Failure {
                requirement,
                expected: if list.patterns.is_empty() {
                    format!("no {} dependencies (allow = [])", kind_word(git))
                } else {
                    let mut text = format!("a {what} matching ");
                    text.push_str(
                        &list
                            .patterns
                            .iter()
                            .map(|p| p.value.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    text
                },
                found: Some(shown),
                span: Some(list.span),
                bundle: None,
            }])
        };
        (rule, verdict)
    }

    fn registry(&mut self, package: &Package, evidence: &Evidence) -> (RuleRef, Verdict) {
        let policy = self.policy;
        let (rule_ref, effective) = match deciding_position(policy, &package.name, &package.version)
        {
            Some((position, selector)) => {
                let rule = &policy.rules[position];
                self.rule_used[position][selector] = true;
                let s = &rule.selectors[selector];
                (
                    RuleRef {
                        kind: match rule.kind {
                            RuleKind::Package => RuleRefKind::Package,
                            RuleKind::Owner => RuleRefKind::Owner,
                        },
                        index: Some(rule.index),
                        selector: Some(s.describe()),
                        span: Some(match rule.kind {
                            RuleKind::Package => rule.span,
                            RuleKind::Owner => s.name.span,
                        }),
                    },
                    rule.requirements.merged(&policy.defaults),
                )
            }
            None => {
                // A policy read from text has [defaults], even when empty.
                let kind = if policy.text.is_some() {
                    RuleRefKind::Defaults
                } else {
                    RuleRefKind::BuiltIn
                };
                (
                    RuleRef::bare(kind),
                    crate::policy::NO_REQUIREMENTS.merged(&policy.defaults),
                )
            }
        };
        let rejected = rejected_failures(evidence);
        if !rejected.is_empty() {
            return (rule_ref, Verdict::Rejected(rejected));
        }
        // Verified attestations decide whenever there is one.
        if !evidence.attestations.is_empty() {
            let mut closest: Option<Vec<Failure>> = None;
            for attestation in &evidence.attestations {
                let failures = check_attestation(&effective, attestation);
                if failures.is_empty() {
                    return (rule_ref, Verdict::Pass(Some(attestation.origin.clone())));
                }
                if closest.as_ref().is_none_or(|c| failures.len() < c.len()) {
                    closest = Some(failures);
                }
            }
            return (rule_ref, Verdict::Fail(closest.unwrap_or_default()));
        }
        let level = effective.level();
        if let Some(registry) = &evidence.registry {
            if level <= crate::evidence::EvidenceLevel::RegistryAsserted {
                let failures = check_registry(&effective, registry);
                return if failures.is_empty() {
                    (rule_ref, Verdict::Pass(None))
                } else {
                    (rule_ref, Verdict::Fail(failures))
                };
            }
        }
        if level == crate::evidence::EvidenceLevel::None {
            return (rule_ref, Verdict::Missing);
        }
        let (require, _) = effective.require.expect("a level above none is set");
        let failure = Failure {
            requirement: Requirement::Require,
            expected: require.value.to_string(),
            found: Some(evidence.level().to_string()),
            span: Some(require.span),
            bundle: None,
        };
        let mut errors = evidence.errors.clone();
        if package.checksum.is_none() {
            errors.push(SourceError {
                source: "Cargo.lock".into(),
                message: format!(
                    "{} has no checksum in Cargo.lock, so its provenance cannot be looked up",
                    package.id()
                ),
            });
        }
        if errors.is_empty() {
            (rule_ref, Verdict::Fail(vec![failure]))
        } else {
            (rule_ref, Verdict::Error(errors, vec![failure]))
        }
    }

    fn apply_exemption(&mut self, package: &Package, verdict: Verdict) -> Outcome {
        let exemption = matching_exemption(self.policy, &package.name, &package.version);
        if let Some(e) = exemption {
            self.exemption_matched[e.index] = true;
        }
        match verdict {
            Verdict::Pass(bundle) => Outcome::Pass { bundle },
            Verdict::Missing => Outcome::Missing,
            Verdict::Rejected(failures) => {
                if let Some(e) = exemption {
                    // Counted as needed: the package does not pass.
                    self.exemption_needed[e.index] = true;
                }
                Outcome::Violation { failures }
            }
            Verdict::Fail(failures) | Verdict::Error(_, failures)
                if exemption.is_some_and(|e| !e.is_expired(self.now)) =>
            {
                let e = exemption.expect("checked above");
                self.exemption_needed[e.index] = true;
                Outcome::Exempt {
                    exemption: exemption_ref(e),
                    reason: e.reason.value.clone(),
                    until: e.until.as_ref().map(|u| u.value),
                    failures,
                }
            }
            Verdict::Fail(mut failures) => {
                if let Some(e) = exemption {
                    self.exemption_needed[e.index] = true;
                    failures.push(expired_failure(e));
                }
                Outcome::Violation { failures }
            }
            Verdict::Error(errors, mut failures) => match exemption {
                Some(e) => {
                    self.exemption_needed[e.index] = true;
                    failures.push(expired_failure(e));
                    Outcome::Violation { failures }
                }
                None => Outcome::Error { errors, failures },
            },
        }
    }

    /// The evaluation, with the stale-policy warnings.
    pub fn finish(self, outcomes: Vec<PackageOutcome>) -> Evaluation {
        let policy = self.policy;
        let mut warnings = Vec::new();
        for (rule, used) in policy.rules.iter().zip(&self.rule_used) {
            for (selector, used) in rule.selectors.iter().zip(used) {
                if *used {
                    continue;
                }
                let (span, what) = match rule.kind {
                    RuleKind::Package => (rule.span, "this [[package]] rule".to_string()),
                    RuleKind::Owner => (
                        selector.name.span,
                        format!("`{}` in this [[owner]] rule", selector.name.value),
                    ),
                };
                warnings.push(
                    PolicyDiagnostic::warning(
                        Code::UnusedRule,
                        format!("{what} decided no package of the lockfile"),
                    )
                    .label(span, format!("no package is decided by `{}`", selector.describe()))
                    .help("remove it if the dependency is gone; a more specific rule may also be taking precedence"),
                );
            }
        }
        for exemption in &policy.exemptions {
            let span = exemption.span;
            if !self.exemption_matched[exemption.index] {
                warnings.push(
                    PolicyDiagnostic::warning(
                        Code::UnusedExemption,
                        format!(
                            "the exemption for `{}` matched no package of the lockfile",
                            exemption.selector.describe()
                        ),
                    )
                    .label(span, "matches nothing")
                    .help("remove it if the dependency is gone"),
                );
            } else if !self.exemption_needed[exemption.index] {
                warnings.push(
                    PolicyDiagnostic::warning(
                        Code::UnneededExemption,
                        format!(
                            "the exemption for `{}` is not needed: the package meets its rule",
                            exemption.selector.describe()
                        ),
                    )
                    .label(span, "not needed")
                    .help("remove the exemption"),
                );
            }
        }
        for (list, used, table) in [
            (&policy.git, &self.git_used, "[git]"),
            (&policy.path_deps, &self.path_used, "[path]"),
        ] {
            let Some(list) = list else { continue };
            for (pattern, used) in list.patterns.iter().zip(used) {
                if !used {
                    warnings.push(
                        PolicyDiagnostic::warning(
                            Code::UnusedRule,
                            format!(
                                "`{}` in {table} allow matched no dependency of the lockfile",
                                pattern.value
                            ),
                        )
                        .label(pattern.span, "matches nothing")
                        .help("remove it if the dependency is gone"),
                    );
                }
            }
        }
        warnings.sort_by_key(|w| w.span().map_or(0, |s| s.offset));
        if let Some(text) = &policy.text {
            warnings = warnings
                .into_iter()
                .map(|w| w.with_source(text.clone()))
                .collect();
        }
        Evaluation {
            mode: policy.mode,
            outcomes,
            warnings,
        }
    }
}

fn kind_word(git: bool) -> &'static str {
    if git {
        "git"
    } else {
        "path"
    }
}

/// A Cargo.lock git URL without `?query` (the locked commit is already gone).
fn git_url(url: &str) -> &str {
    url.split_once('?').map_or(url, |(u, _)| u)
}

fn exemption_ref(e: &Exemption) -> RuleRef {
    RuleRef {
        kind: RuleRefKind::Exempt,
        index: Some(e.index),
        selector: Some(e.selector.describe()),
        span: Some(e.span),
    }
}

fn expired_failure(e: &Exemption) -> Failure {
    let until = e.until.as_ref().expect("an expired exemption has a date");
    Failure {
        requirement: Requirement::ExemptionExpired,
        expected: format!("an exemption in force (\"{}\")", e.reason.value),
        found: Some(format!("expired on {}", until.value)),
        span: Some(until.span),
        bundle: None,
    }
}

fn rejected_failures(evidence: &Evidence) -> Vec<Failure> {
    evidence
        .rejected
        .iter()
        .map(|r| Failure {
            requirement: Requirement::BundleVerification,
            expected: "a bundle that verifies".into(),
            found: Some(r.failure.to_string()),
            span: None,
            bundle: Some(r.origin.clone()),
        })
        .collect()
}

struct Display<F>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Display<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

fn one_of<'a>(items: impl ExactSizeIterator<Item = &'a str> + Clone) -> String {
    Display(|f: &mut fmt::Formatter<'_>| write_one_of(f, items.clone())).to_string()
}

/// Every requirement an attestation fails, in the documented order:
/// issuer, repository, repository-id, owner, owner-id, workflow,
/// signer-workflow, signer-digest, ref, triggers, runner, visibility,
/// predicate-type.
pub fn check_attestation(effective: &Effective<'_>, attestation: &Attestation) -> Vec<Failure> {
    let facts = &attestation.facts;
    let claims = facts.claims();
    let claim = |get: fn(&crate::verify::CertificateClaims) -> &Option<String>| {
        claims.and_then(|c| get(c).as_deref())
    };
    let mut failures = Vec::new();
    let mut fail = |requirement, expected: String, found: Option<&str>, span| {
        failures.push(Failure {
            requirement,
            expected,
            found: found.map(str::to_string),
            span: Some(span),
            bundle: Some(attestation.origin.clone()),
        })
    };

    if let Some((issuer, _)) = effective.issuer {
        let found = facts.signer.as_ref().and_then(|s| s.issuer.as_deref());
        if !found.is_some_and(|i| issuer.value.is_match(i)) {
            fail(
                Requirement::Issuer,
                issuer.value.to_string(),
                found,
                issuer.span,
            );
        }
    }
    let repository = claim(|c| &c.source_repository_uri);
    if let Some((repo, _)) = effective.repository {
        if !repository.is_some_and(|r| repo.value.is_match(r)) {
            fail(
                Requirement::Repository,
                repo.value.text.clone(),
                repository,
                repo.span,
            );
        }
    }
    if let Some((id, _)) = effective.repository_id {
        let found = claim(|c| &c.source_repository_identifier);
        if !found.is_some_and(|f| id_matches(&id.value, f)) {
            fail(Requirement::RepositoryId, id.value.clone(), found, id.span);
        }
    }
    if let Some((owner, _)) = effective.owner {
        let found = claim(|c| &c.source_repository_owner_uri);
        if !found.is_some_and(|f| owner.value.is_match(f)) {
            fail(
                Requirement::Owner,
                owner.value.text.clone(),
                found,
                owner.span,
            );
        }
    }
    if let Some((id, _)) = effective.owner_id {
        let found = claim(|c| &c.source_repository_owner_identifier);
        if !found.is_some_and(|f| id_matches(&id.value, f)) {
            fail(Requirement::OwnerId, id.value.clone(), found, id.span);
        }
    }
    if let Some((workflow, _)) = effective.workflow {
        let found =
            claim(|c| &c.build_config_uri).map(|uri| matcher::workflow_path(uri, repository));
        if !found.is_some_and(|f| workflow.value.is_match(f)) {
            fail(
                Requirement::Workflow,
                workflow.value.to_string(),
                found,
                workflow.span,
            );
        }
    }
    if let Some((signer, _)) = effective.signer_workflow {
        let found = claim(|c| &c.build_signer_uri);
        if !found.is_some_and(|f| signer.value.0.iter().any(|g| signer_matches(g, f))) {
            fail(
                Requirement::SignerWorkflow,
                signer.value.to_string(),
                found,
                signer.span,
            );
        }
    }
    if let Some((digests, _)) = effective.signer_digest {
        let found = claim(|c| &c.build_signer_digest);
        if !found.is_some_and(|f| digests.value.iter().any(|d| d.eq_ignore_ascii_case(f))) {
            fail(
                Requirement::SignerDigest,
                one_of(digests.value.iter().map(String::as_str)),
                found,
                digests.span,
            );
        }
    }
    if let Some((refs, _)) = effective.refs {
        let found = claim(|c| &c.source_repository_ref);
        if !found.is_some_and(|f| refs.value.is_match(f)) {
            fail(Requirement::Ref, refs.value.to_string(), found, refs.span);
        }
    }
    if let Some((triggers, _)) = effective.triggers {
        let found = claim(|c| &c.build_trigger);
        if !found.is_some_and(|f| triggers.value.is_match(f)) {
            fail(
                Requirement::Triggers,
                triggers.value.to_string(),
                found,
                triggers.span,
            );
        }
    }
    if let Some((runner, _)) = effective.runner {
        let found = claim(|c| &c.runner_environment);
        if !runner.value.is_match(found) {
            fail(
                Requirement::Runner,
                runner.value.as_str().to_string(),
                found,
                runner.span,
            );
        }
    }
    if let Some((visibility, _)) = effective.visibility {
        let found = claim(|c| &c.source_repository_visibility_at_signing);
        if !found.is_some_and(|f| visibility.value.iter().any(|v| v.as_str() == f)) {
            fail(
                Requirement::Visibility,
                one_of(visibility.value.iter().map(|v| v.as_str())),
                found,
                visibility.span,
            );
        }
    }
    if let Some((types, _)) = effective.predicate_type {
        let found = facts.statement.as_ref().map(|s| s.predicate_type.as_str());
        if !found.is_some_and(|f| types.value.iter().any(|t| t == f)) {
            fail(
                Requirement::PredicateType,
                one_of(types.value.iter().map(String::as_str)),
                found,
                types.span,
            );
        }
    }
    failures
}

/// Every requirement registry data fails. It states a repository (and so
/// its owner); other requirements set in the deciding rule itself cannot be
/// met by it, and those inherited from `[defaults]` describe attestations
/// and are not applied.
pub fn check_registry(
    effective: &Effective<'_>,
    registry: &crate::evidence::RegistryAssertion,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    let found_repo = Some(registry.repository.clone());
    if let Some((repo, _)) = effective.repository {
        if !repo.value.is_match(&registry.repository) {
            failures.push(Failure {
                requirement: Requirement::Repository,
                expected: repo.value.text.clone(),
                found: found_repo.clone(),
                span: Some(repo.span),
                bundle: None,
            });
        }
    }
    if let Some((owner, _)) = effective.owner {
        let found = owner_of(&registry.repository);
        if !found.as_deref().is_some_and(|f| owner.value.is_match(f)) {
            failures.push(Failure {
                requirement: Requirement::Owner,
                expected: owner.value.text.clone(),
                found,
                span: Some(owner.span),
                bundle: None,
            });
        }
    }
    let unstated = [
        (
            Requirement::Issuer,
            effective
                .issuer
                .map(|(v, i)| (v.span, i, v.value.to_string())),
        ),
        (
            Requirement::RepositoryId,
            effective
                .repository_id
                .map(|(v, i)| (v.span, i, v.value.clone())),
        ),
        (
            Requirement::OwnerId,
            effective
                .owner_id
                .map(|(v, i)| (v.span, i, v.value.clone())),
        ),
        (
            Requirement::Workflow,
            effective
                .workflow
                .map(|(v, i)| (v.span, i, v.value.to_string())),
        ),
        (
            Requirement::SignerWorkflow,
            effective
                .signer_workflow
                .map(|(v, i)| (v.span, i, v.value.to_string())),
        ),
        (
            Requirement::SignerDigest,
            effective
                .signer_digest
                .map(|(v, i)| (v.span, i, one_of(v.value.iter().map(String::as_str)))),
        ),
        (
            Requirement::Ref,
            effective
                .refs
                .map(|(v, i)| (v.span, i, v.value.to_string())),
        ),
        (
            Requirement::Triggers,
            effective
                .triggers
                .map(|(v, i)| (v.span, i, v.value.to_string())),
        ),
        (
            Requirement::Runner,
            effective
                .runner
                .map(|(v, i)| (v.span, i, v.value.as_str().to_string())),
        ),
        (
            Requirement::Visibility,
            effective
                .visibility
                .map(|(v, i)| (v.span, i, one_of(v.value.iter().map(|x| x.as_str())))),
        ),
        (
            Requirement::PredicateType,
            effective
                .predicate_type
                .map(|(v, i)| (v.span, i, one_of(v.value.iter().map(String::as_str)))),
        ),
    ];
    for (requirement, value) in unstated {
        if let Some((span, inherited, expected)) = value {
            if !inherited {
                failures.push(Failure {
                    requirement,
                    expected,
                    found: Some(format!(
                        "nothing: {} data does not state it (only an attestation can)",
                        registry.registry
                    )),
                    span: Some(span),
                    bundle: None,
                });
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests;
