//! `cargo verify-provenance explain NAME[@VERSION]`: the whole evidence
//! chain behind one package's outcome.
//!
//! It runs the same job as the default action ([`crate::run::collect`])
//! and lays out, for one package: what each source answered (and whether
//! from the cache), every bundle found with the checks it passed or the
//! one it failed, its certificate claims, log entries, verified times,
//! trust root and in-toto statement, the registry assertion, the rule that
//! decided (with its text from the policy file) and each requirement of
//! that rule compared with what the evidence shows.
//!
//! The exit code is the package's own: 0 pass (or exempt, or missing and
//! not required), 1 violation, 2 could not be checked or bad input.

use std::fmt::{self, Write as _};
use std::path::PathBuf;

use miette::Diagnostic;
use serde::Serialize;

use crate::evaluate::{self, Failure, Outcome, PackageOutcome, Requirement, RuleRef, RuleRefKind};
use crate::evidence::{
    Attestation, BundleOrigin, Evidence, EvidenceLevel, RegistryAssertion, SourceError,
};
use crate::exit;
use crate::fetch::SourceOutcome;
use crate::lockfile::{Inventory, Package, PackageSource};
use crate::policy::matcher::{owner_of, workflow_path};
use crate::policy::{self, Effective, Mode, Policy, PolicySpan, NO_REQUIREMENTS};
use crate::run::Run;
use crate::verify::{Check, VerifiedFacts};

/// The version of the `explain --format json` object; raised on incompatible changes.
pub const EXPLAIN_FORMAT_VERSION: u32 = 1;

/// `NAME` or `NAME@VERSION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSpec {
    pub name: String,
    pub version: Option<semver::Version>,
}

impl PackageSpec {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, version) = match text.split_once('@') {
            Some((name, version)) => (name, Some(version)),
            None => (text, None),
        };
        if name.is_empty() {
            return Err(format!(
                "`{text}` names no package: give NAME or NAME@VERSION"
            ));
        }
        let version = version
            .map(|v| {
                semver::Version::parse(v.trim_start_matches('v')).map_err(|e| {
                    format!("`{v}` is not a version (give a full one, like 1.0.229): {e}")
                })
            })
            .transpose()?;
        Ok(Self {
            name: name.to_string(),
            version,
        })
    }
}

impl fmt::Display for PackageSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(version) => write!(f, "{}@{version}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A package argument that picks no single package of the lockfile.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum SelectError {
    #[error("{lockfile} has no package named `{name}`")]
    #[diagnostic(
        code("explain-no-such-package"),
        help("{}", candidates_help(candidates))
    )]
    NoSuchPackage {
        name: String,
        lockfile: String,
        /// Names close to the one given.
        candidates: Vec<String>,
    },
    #[error("{lockfile} has no {name}@{version}")]
    #[diagnostic(
        code("explain-no-such-version"),
        help("the lockfile holds: {}", candidates.join(", "))
    )]
    NoSuchVersion {
        name: String,
        version: semver::Version,
        lockfile: String,
        candidates: Vec<String>,
    },
    #[error("{lockfile} holds several packages named `{spec}`")]
    #[diagnostic(
        code("explain-ambiguous-package"),
        help("name one with NAME@VERSION: {}", candidates.join(", "))
    )]
    Ambiguous {
        spec: String,
        lockfile: String,
        candidates: Vec<String>,
    },
}

fn candidates_help(candidates: &[String]) -> String {
    if candidates.is_empty() {
        "`cargo verify-provenance inventory` lists the packages of the lockfile".to_string()
    } else {
        format!("did you mean: {}?", candidates.join(", "))
    }
}

/// The position in the inventory of the one package `spec` names.
///
/// Checks, in order: some package has the name (else the closest names are
/// suggested); with a version, one package has it (else the versions
/// present are listed); without one, exactly one package has the name
/// (else every candidate is listed).
pub fn select(inventory: &Inventory, spec: &PackageSpec) -> Result<usize, SelectError> {
    let lockfile = inventory.lockfile.display().to_string();
    let named: Vec<usize> = inventory
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.name == spec.name)
        .map(|(i, _)| i)
        .collect();
    let describe = |i: &usize| {
        let p = &inventory.packages[*i];
        if named.iter().any(|j| {
            let q = &inventory.packages[*j];
            j != i && q.version == p.version
        }) {
            format!("{} ({})", p.id(), p.source)
        } else {
            p.id()
        }
    };
    if named.is_empty() {
        let mut scored: Vec<(f64, &str)> = inventory
            .packages
            .iter()
            .map(|p| (strsim::jaro_winkler(&p.name, &spec.name), p.name.as_str()))
            .filter(|(score, _)| *score >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut candidates: Vec<String> = Vec::new();
        for (_, name) in scored {
            if !candidates.iter().any(|c| c == name) {
                candidates.push(name.to_string());
            }
            if candidates.len() == 5 {
                break;
            }
        }
        return Err(SelectError::NoSuchPackage {
            name: spec.name.clone(),
            lockfile,
            candidates,
        });
    }
    let matching: Vec<usize> = match &spec.version {
        Some(version) => named
            .iter()
            .copied()
            .filter(|i| &inventory.packages[*i].version == version)
            .collect(),
        None => named.clone(),
    };
    match (matching.as_slice(), &spec.version) {
        ([one], _) => Ok(*one),
        ([], Some(version)) => Err(SelectError::NoSuchVersion {
            name: spec.name.clone(),
            version: version.clone(),
            lockfile,
            candidates: named.iter().map(describe).collect(),
        }),
        (_, _) => Err(SelectError::Ambiguous {
            spec: spec.to_string(),
            lockfile,
            candidates: matching.iter().map(describe).collect(),
        }),
    }
}

/// The package itself.
#[derive(Debug, Clone, Serialize)]
pub struct PackageFacts {
    pub name: String,
    pub version: semver::Version,
    pub source: PackageSource,
    /// The Cargo.lock checksum (SHA-256 of the `.crate` file), hex.
    pub checksum: Option<String>,
    pub workspace_member: bool,
    pub lockfile: PathBuf,
    pub lockfile_line: u32,
}

/// One source's answer for the package.
pub type SourceAnswer = SourceOutcome;

/// Whether a bundle counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BundleStatus {
    /// Verified: it is evidence.
    Verified,
    /// For this package's checksum, and failed verification.
    Rejected,
    /// Its subjects do not include this package's checksum: not about this package.
    Ignored,
}

/// One bundle found for the package.
#[derive(Debug, Clone, Serialize)]
pub struct BundleExplanation {
    /// The source that produced it.
    pub source: String,
    /// The file, URL or cache entry.
    pub location: String,
    /// Whether the source's answer came from the cache (`None`: not known).
    pub cached: Option<bool>,
    pub status: BundleStatus,
    /// The attestation the package's outcome rests on.
    pub decided: bool,
    /// The checks it passed, in the order they were made (verified bundles).
    pub checks_passed: Vec<Check>,
    /// The check it failed (rejected bundles), and why.
    pub failed_check: Option<Check>,
    pub failure: Option<String>,
    /// Everything a verified bundle proves: trust root, signer and every
    /// certificate claim, log entries, verified times, in-toto statement.
    pub facts: Option<VerifiedFacts>,
}

/// One requirement of the deciding rule, against the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementCheck {
    pub requirement: Requirement,
    /// What the policy asks for.
    pub expected: String,
    /// What the evidence shows (`None`: it shows nothing for this).
    pub found: Option<String>,
    pub met: bool,
    /// Set in `[defaults]` rather than in the deciding rule.
    pub inherited: bool,
    /// Where in the policy file, and the `key = value` as written.
    pub line: Option<u32>,
    pub text: Option<String>,
    /// What it was compared with: a bundle's location, `registry`, or `evidence level`.
    pub against: String,
}

/// The rule that decided, with its text.
#[derive(Debug, Clone, Serialize)]
pub struct RuleExplanation {
    #[serde(flatten)]
    pub rule: RuleRef,
    /// How the rule is named in reports, e.g. `[[package]] serde* (line 12)`.
    pub display: String,
    /// The policy file, `None` for the built-in default.
    pub file: Option<PathBuf>,
    /// The rule as written: whole lines of the policy file.
    pub text: Option<String>,
    /// The 1-based line `text` starts on.
    pub first_line: Option<u32>,
}

/// An exemption that applies (or expired).
#[derive(Debug, Clone, Serialize)]
pub struct ExemptionExplanation {
    pub rule: RuleExplanation,
    pub reason: String,
    pub until: Option<jiff::civil::Date>,
    pub expired: bool,
}

/// Everything behind one package's outcome: the `explain --format json` object.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub format_version: u32,
    pub package: PackageFacts,
    /// `pass`, `violation`, `exempt`, `missing` or `error`.
    pub outcome: &'static str,
    /// The package's own exit code: 0 pass, 1 violation, 2 not checked.
    pub exit_code: i32,
    pub mode: Mode,
    pub evidence_level: EvidenceLevel,
    pub policy: Option<PathBuf>,
    /// The trust roots bundles were verified against, in order.
    pub trust_roots: Vec<String>,
    /// Each source, in the order tried, and what it answered.
    pub sources: Vec<SourceAnswer>,
    pub bundles: Vec<BundleExplanation>,
    pub registry: Option<RegistryAssertion>,
    /// Sources that could not answer.
    pub source_errors: Vec<SourceError>,
    pub rule: RuleExplanation,
    /// The deciding rule's requirements, each compared with the evidence.
    pub requirements: Vec<RequirementCheck>,
    /// What failed: the outcome's failures (for `exempt`, what the exemption excuses).
    pub failures: Vec<Failure>,
    pub exemption: Option<ExemptionExplanation>,
}

/// The package's own exit code, by the rules of the whole run
/// ([`crate::evaluate::Evaluation::exit_code`]) applied to it alone.
pub fn package_exit_code(outcome: &PackageOutcome, mode: Mode) -> i32 {
    if outcome.has_rejected_bundle() {
        return exit::VIOLATION;
    }
    if mode == Mode::Audit {
        return exit::PASS;
    }
    match outcome.outcome {
        Outcome::Violation { .. } => exit::VIOLATION,
        Outcome::Error { .. } => exit::ERROR,
        _ => exit::PASS,
    }
}

impl Explanation {
    /// The explanation of the package at `index` of a run.
    pub fn new(run: &Run, index: usize) -> Self {
        let package = &run.inventory.packages[index];
        let evidence = &run.evidence[index];
        let outcome = &run.evaluation.outcomes[index];
        let sources = run.source_outcomes.get(index).cloned().unwrap_or_default();
        let decided = deciding_origin(outcome, evidence);
        let bundles = bundles(evidence, &sources, decided.as_ref());
        let (failures, exemption) = match &outcome.outcome {
            Outcome::Violation { failures } => (failures.clone(), None),
            Outcome::Error { failures, .. } => (failures.clone(), None),
            Outcome::Exempt {
                exemption,
                reason,
                until,
                failures,
            } => (
                failures.clone(),
                Some(ExemptionExplanation {
                    rule: rule_explanation(&run.policy, exemption),
                    reason: reason.clone(),
                    until: *until,
                    expired: false,
                }),
            ),
            Outcome::Pass { .. } | Outcome::Missing => (Vec::new(), None),
        };
        // An expired exemption is a failure of a violation: show the exemption too.
        let exemption = exemption.or_else(|| expired_exemption(run, package, &failures));
        let requirements = requirement_checks(&run.policy, package, evidence, decided.as_ref());
        let mut source_errors = evidence.errors.clone();
        if let Outcome::Error { errors, .. } = &outcome.outcome {
            for error in errors {
                if !source_errors.contains(error) {
                    source_errors.push(error.clone());
                }
            }
        }
        Self {
            format_version: EXPLAIN_FORMAT_VERSION,
            package: PackageFacts {
                name: package.name.clone(),
                version: package.version.clone(),
                source: package.source.clone(),
                checksum: package.checksum.map(|c| c.to_hex()),
                workspace_member: package.workspace_member,
                lockfile: run.inventory.lockfile.clone(),
                lockfile_line: package.line,
            },
            outcome: outcome.outcome.name(),
            exit_code: package_exit_code(outcome, run.evaluation.mode),
            mode: run.evaluation.mode,
            evidence_level: evidence.level(),
            policy: run.policy.path.clone(),
            trust_roots: run.roots.iter().map(|r| r.name.clone()).collect(),
            sources,
            bundles,
            registry: evidence.registry.clone(),
            source_errors,
            rule: rule_explanation(&run.policy, &outcome.rule),
            requirements,
            failures,
            exemption,
        }
    }
}

/// The attestation the outcome rests on: the one that passed, else the
/// one the failures are about, else the first.
fn deciding_origin(outcome: &PackageOutcome, evidence: &Evidence) -> Option<BundleOrigin> {
    let failures: &[Failure] = match &outcome.outcome {
        Outcome::Pass {
            bundle: Some(origin),
        } => return Some(origin.clone()),
        Outcome::Violation { failures }
        | Outcome::Exempt { failures, .. }
        | Outcome::Error { failures, .. } => failures,
        _ => &[],
    };
    failures
        .iter()
        .filter_map(|f| f.bundle.as_ref())
        .find(|origin| evidence.attestations.iter().any(|a| &a.origin == *origin))
        .cloned()
        .or_else(|| evidence.attestations.first().map(|a| a.origin.clone()))
}

fn bundles(
    evidence: &Evidence,
    sources: &[SourceOutcome],
    decided: Option<&BundleOrigin>,
) -> Vec<BundleExplanation> {
    let cached = |origin: &BundleOrigin| {
        sources
            .iter()
            .find(|s| s.source == origin.source)
            .map(|s| s.cached)
    };
    let mut out = Vec::new();
    // Several bundles can share one origin (lines of one file): only the
    // first of those the outcome rests on is marked as deciding.
    let mut decided_marked = false;
    for attestation in &evidence.attestations {
        let is_decided = !decided_marked && decided == Some(&attestation.origin);
        decided_marked |= is_decided;
        out.push(BundleExplanation {
            source: attestation.origin.source.clone(),
            location: attestation.origin.location.clone(),
            cached: cached(&attestation.origin),
            status: BundleStatus::Verified,
            decided: is_decided,
            checks_passed: attestation.facts.checks.clone(),
            failed_check: None,
            failure: None,
            facts: Some(attestation.facts.clone()),
        });
    }
    for rejected in &evidence.rejected {
        out.push(BundleExplanation {
            source: rejected.origin.source.clone(),
            location: rejected.origin.location.clone(),
            cached: cached(&rejected.origin),
            status: BundleStatus::Rejected,
            decided: false,
            checks_passed: Vec::new(),
            failed_check: Some(rejected.failure.check),
            failure: Some(rejected.failure.message.clone()),
            facts: None,
        });
    }
    for ignored in &evidence.ignored {
        out.push(BundleExplanation {
            source: ignored.source.clone(),
            location: ignored.location.clone(),
            cached: cached(ignored),
            status: BundleStatus::Ignored,
            decided: false,
            checks_passed: Vec::new(),
            failed_check: Some(Check::Subject),
            failure: Some("its subjects do not include this package's checksum".into()),
            facts: None,
        });
    }
    out
}

fn expired_exemption(
    run: &Run,
    package: &Package,
    failures: &[Failure],
) -> Option<ExemptionExplanation> {
    if !failures
        .iter()
        .any(|f| f.requirement == Requirement::ExemptionExpired)
    {
        return None;
    }
    let exemption = policy::matching_exemption(&run.policy, &package.name, &package.version)?;
    let rule = RuleRef {
        kind: RuleRefKind::Exempt,
        index: Some(exemption.index),
        selector: Some(exemption.selector.describe()),
        span: Some(exemption.span),
    };
    Some(ExemptionExplanation {
        rule: rule_explanation(&run.policy, &rule),
        reason: exemption.reason.value.clone(),
        until: exemption.until.as_ref().map(|u| u.value),
        expired: true,
    })
}

/// The rule as a reference plus its text: the whole lines of the policy
/// file that its table and keys cover.
fn rule_explanation(policy: &Policy, rule: &RuleRef) -> RuleExplanation {
    let spans = rule_spans(policy, rule);
    let (first_line, text) = match (&policy.text, spans.is_empty()) {
        (Some(source), false) => {
            let joined = spans
                .iter()
                .copied()
                .reduce(PolicySpan::join)
                .expect("not empty");
            let (line, text) = whole_lines(source.inner(), joined, rule.kind);
            (Some(line), Some(text))
        }
        _ => (None, None),
    };
    RuleExplanation {
        rule: rule.clone(),
        display: rule.to_string(),
        file: policy.path.clone(),
        text,
        first_line,
    }
}

/// Every span of a rule: its table or pattern, selectors and keys.
fn rule_spans(policy: &Policy, rule: &RuleRef) -> Vec<PolicySpan> {
    use crate::policy::RuleKind;
    let mut spans: Vec<PolicySpan> = rule.span.into_iter().collect();
    match rule.kind {
        RuleRefKind::Package | RuleRefKind::Owner => {
            let kind = if rule.kind == RuleRefKind::Package {
                RuleKind::Package
            } else {
                RuleKind::Owner
            };
            if let Some(found) = policy
                .rules
                .iter()
                .find(|r| r.kind == kind && Some(r.index) == rule.index)
            {
                spans.push(found.span);
                for selector in &found.selectors {
                    spans.push(selector.name.span);
                    spans.extend(selector.version.as_ref().map(|v| v.span));
                }
                spans.extend(requirement_spans(&found.requirements));
            }
        }
        RuleRefKind::Defaults => spans.extend(requirement_spans(&policy.defaults)),
        RuleRefKind::Exempt => {
            if let Some(e) = policy
                .exemptions
                .iter()
                .find(|e| Some(e.index) == rule.index)
            {
                spans.push(e.span);
                spans.push(e.selector.name.span);
                spans.extend(e.selector.version.as_ref().map(|v| v.span));
                spans.push(e.reason.span);
                spans.extend(e.until.as_ref().map(|u| u.span));
            }
        }
        RuleRefKind::Git | RuleRefKind::Path => {
            let list = if rule.kind == RuleRefKind::Git {
                policy.git.as_ref()
            } else {
                policy.path_deps.as_ref()
            };
            spans.extend(list.map(|l| l.span));
        }
        RuleRefKind::WorkspaceMember | RuleRefKind::BuiltIn => {}
    }
    spans
}

fn requirement_spans(r: &crate::policy::Requirements) -> Vec<PolicySpan> {
    [
        r.require.as_ref().map(|v| v.span),
        r.issuer.as_ref().map(|v| v.span),
        r.repository.as_ref().map(|v| v.span),
        r.repository_id.as_ref().map(|v| v.span),
        r.owner.as_ref().map(|v| v.span),
        r.owner_id.as_ref().map(|v| v.span),
        r.workflow.as_ref().map(|v| v.span),
        r.signer_workflow.as_ref().map(|v| v.span),
        r.signer_digest.as_ref().map(|v| v.span),
        r.refs.as_ref().map(|v| v.span),
        r.triggers.as_ref().map(|v| v.span),
        r.runner.as_ref().map(|v| v.span),
        r.visibility.as_ref().map(|v| v.span),
        r.predicate_type.as_ref().map(|v| v.span),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The whole lines `span` touches, and the line they start on. For a
/// table known only by its keys (`[defaults]`, `[git]`, `[path]`), the
/// table header above them is included when it is there.
fn whole_lines(text: &str, span: PolicySpan, kind: RuleRefKind) -> (u32, String) {
    let start = span.offset.min(text.len());
    let end = (span.offset + span.length).min(text.len());
    let mut line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let mut line = span.line;
    let header = match kind {
        RuleRefKind::Defaults => Some("[defaults]"),
        RuleRefKind::Git => Some("[git]"),
        RuleRefKind::Path => Some("[path]"),
        _ => None,
    };
    if let Some(header) = header {
        // Walk up over the lines between the header and the first key.
        let mut cursor = line_start;
        let mut walked = 0;
        while cursor > 0 {
            let previous_start = text[..cursor - 1].rfind('\n').map_or(0, |i| i + 1);
            let previous = text[previous_start..cursor - 1].trim();
            walked += 1;
            if previous == header {
                line_start = previous_start;
                line = line.saturating_sub(walked);
                break;
            }
            if previous.starts_with('[') {
                break;
            }
            cursor = previous_start;
        }
    }
    (line, text[line_start..line_end].trim_end().to_string())
}

/// What the policy text says at `span`.
fn span_text(policy: &Policy, span: PolicySpan) -> Option<String> {
    let text = policy.text.as_ref()?.inner();
    text.get(span.offset..span.offset + span.length)
        .map(str::to_string)
}

/// The requirements of the rule deciding a registry package, each with
/// what the evidence shows: against the attestation the outcome rests on
/// when there is one, else against the registry assertion, else against
/// the evidence level alone. Other packages (workspace members, git and
/// path dependencies) have none: their rule is an allow list.
fn requirement_checks(
    policy: &Policy,
    package: &Package,
    evidence: &Evidence,
    decided: Option<&BundleOrigin>,
) -> Vec<RequirementCheck> {
    if package.workspace_member || !package.source.is_registry() {
        return Vec::new();
    }
    let effective = match policy::deciding_rule(policy, &package.name, &package.version) {
        Some((rule, _)) => rule.requirements.merged(&policy.defaults),
        None => NO_REQUIREMENTS.merged(&policy.defaults),
    };
    let expected = expectations(&effective);
    let make = |e: &Expected, found: Option<String>, met: bool, against: &str| RequirementCheck {
        requirement: e.requirement,
        expected: e.text.clone(),
        found,
        met,
        inherited: e.inherited,
        line: Some(e.span.line),
        text: span_text(policy, e.span),
        against: against.to_string(),
    };
    let level = evidence.level();
    let attestation = decided
        .and_then(|origin| evidence.attestations.iter().find(|a| &a.origin == origin))
        .or_else(|| evidence.attestations.first());
    let mut checks = Vec::new();
    if let Some(attestation) = attestation {
        let failures = evaluate::check_attestation(&effective, attestation);
        for e in &expected {
            if e.requirement == Requirement::Require {
                checks.push(make(
                    e,
                    Some(level.to_string()),
                    level >= effective.level(),
                    "evidence level",
                ));
                continue;
            }
            let met = !failures.iter().any(|f| f.requirement == e.requirement);
            let found = attested_fact(e.requirement, attestation);
            checks.push(make(e, found, met, &attestation.origin.location));
        }
    } else if let (Some(registry), true) = (
        &evidence.registry,
        effective.level() <= EvidenceLevel::RegistryAsserted,
    ) {
        let failures = evaluate::check_registry(&effective, registry);
        for e in &expected {
            let found = match e.requirement {
                Requirement::Require => Some(level.to_string()),
                Requirement::Repository => Some(registry.repository.clone()),
                Requirement::Owner => owner_of(&registry.repository),
                // Attestation-only keys inherited from [defaults] are not
                // applied to registry data.
                _ if e.inherited => continue,
                _ => None,
            };
            let met = match e.requirement {
                Requirement::Require => true,
                other => !failures.iter().any(|f| f.requirement == other),
            };
            checks.push(make(e, found, met, "registry"));
        }
    } else if let Some(e) = expected
        .iter()
        .find(|e| e.requirement == Requirement::Require)
    {
        checks.push(make(
            e,
            Some(level.to_string()),
            level >= effective.level(),
            "evidence level",
        ));
    }
    checks
}

/// One requirement as the policy states it.
struct Expected {
    requirement: Requirement,
    text: String,
    span: PolicySpan,
    inherited: bool,
}

fn one_of<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.as_slice() {
        [one] => (*one).to_string(),
        many => format!("one of {}", many.join(", ")),
    }
}

/// The requirements that are set, in the documented order.
fn expectations(e: &Effective<'_>) -> Vec<Expected> {
    let mut out = Vec::new();
    let mut add = |requirement, value: Option<(String, PolicySpan, bool)>| {
        if let Some((text, span, inherited)) = value {
            out.push(Expected {
                requirement,
                text,
                span,
                inherited,
            });
        }
    };
    add(
        Requirement::Require,
        e.require.map(|(v, i)| (v.value.to_string(), v.span, i)),
    );
    add(
        Requirement::Issuer,
        e.issuer.map(|(v, i)| (v.value.to_string(), v.span, i)),
    );
    add(
        Requirement::Repository,
        e.repository.map(|(v, i)| (v.value.text.clone(), v.span, i)),
    );
    add(
        Requirement::RepositoryId,
        e.repository_id.map(|(v, i)| (v.value.clone(), v.span, i)),
    );
    add(
        Requirement::Owner,
        e.owner.map(|(v, i)| (v.value.text.clone(), v.span, i)),
    );
    add(
        Requirement::OwnerId,
        e.owner_id.map(|(v, i)| (v.value.clone(), v.span, i)),
    );
    add(
        Requirement::Workflow,
        e.workflow.map(|(v, i)| (v.value.to_string(), v.span, i)),
    );
    add(
        Requirement::SignerWorkflow,
        e.signer_workflow
            .map(|(v, i)| (v.value.to_string(), v.span, i)),
    );
    add(
        Requirement::SignerDigest,
        e.signer_digest
            .map(|(v, i)| (one_of(v.value.iter().map(String::as_str)), v.span, i)),
    );
    add(
        Requirement::Ref,
        e.refs.map(|(v, i)| (v.value.to_string(), v.span, i)),
    );
    add(
        Requirement::Triggers,
        e.triggers.map(|(v, i)| (v.value.to_string(), v.span, i)),
    );
    add(
        Requirement::Runner,
        e.runner
            .map(|(v, i)| (v.value.as_str().to_string(), v.span, i)),
    );
    add(
        Requirement::Visibility,
        e.visibility
            .map(|(v, i)| (one_of(v.value.iter().map(|x| x.as_str())), v.span, i)),
    );
    add(
        Requirement::PredicateType,
        e.predicate_type
            .map(|(v, i)| (one_of(v.value.iter().map(String::as_str)), v.span, i)),
    );
    out
}

/// What a verified attestation shows for a requirement.
fn attested_fact(requirement: Requirement, attestation: &Attestation) -> Option<String> {
    let facts = &attestation.facts;
    let claims = facts.claims();
    let claim = |get: fn(&crate::verify::CertificateClaims) -> &Option<String>| {
        claims.and_then(|c| get(c).clone())
    };
    match requirement {
        Requirement::Issuer => facts.signer.as_ref().and_then(|s| s.issuer.clone()),
        Requirement::Repository => claim(|c| &c.source_repository_uri),
        Requirement::RepositoryId => claim(|c| &c.source_repository_identifier),
        Requirement::Owner => claim(|c| &c.source_repository_owner_uri),
        Requirement::OwnerId => claim(|c| &c.source_repository_owner_identifier),
        Requirement::Workflow => {
            let repository = claim(|c| &c.source_repository_uri);
            claim(|c| &c.build_config_uri)
                .map(|uri| workflow_path(&uri, repository.as_deref()).to_string())
        }
        Requirement::SignerWorkflow => claim(|c| &c.build_signer_uri),
        Requirement::SignerDigest => claim(|c| &c.build_signer_digest),
        Requirement::Ref => claim(|c| &c.source_repository_ref),
        Requirement::Triggers => claim(|c| &c.build_trigger),
        Requirement::Runner => claim(|c| &c.runner_environment),
        Requirement::Visibility => claim(|c| &c.source_repository_visibility_at_signing),
        Requirement::PredicateType => facts.statement.as_ref().map(|s| s.predicate_type.clone()),
        Requirement::Require => Some(EvidenceLevel::Attested.to_string()),
        Requirement::BundleVerification
        | Requirement::Git
        | Requirement::Path
        | Requirement::ExemptionExpired => None,
    }
}

/// The text for people.
pub fn render(x: &Explanation) -> String {
    let mut out = String::new();
    let w = &mut out;
    let p = &x.package;
    let _ = writeln!(
        w,
        "{}@{} ({}): {}",
        p.name,
        p.version,
        p.source,
        x.outcome.to_uppercase()
    );
    let _ = writeln!(
        w,
        "  lockfile    {}:{}",
        p.lockfile.display(),
        p.lockfile_line
    );
    match &p.checksum {
        Some(checksum) => {
            let _ = writeln!(w, "  checksum    sha256:{checksum}");
        }
        None if p.workspace_member => {
            let _ = writeln!(w, "  checksum    none (a workspace member)");
        }
        None if !p.source.is_registry() => {
            let _ = writeln!(
                w,
                "  checksum    none (a {} dependency, built from source)",
                p.source.kind()
            );
        }
        None => {
            let _ = writeln!(
                w,
                "  checksum    none in Cargo.lock (no provenance can be looked up)"
            );
        }
    }
    let _ = writeln!(w, "  evidence    {}", x.evidence_level);
    let _ = writeln!(
        w,
        "  policy      {}{}",
        x.policy
            .as_ref()
            .map_or("the default policy (no policy file)".to_string(), |p| p
                .display()
                .to_string()),
        if x.mode == Mode::Audit {
            " (audit mode)"
        } else {
            ""
        }
    );
    let _ = writeln!(w, "  trust roots {}", x.trust_roots.join(", "));

    let _ = writeln!(w, "\nSources");
    if x.sources.is_empty() {
        let _ = writeln!(w, "  none asked ({})", not_asked_why(x));
    }
    let width = x
        .sources
        .iter()
        .map(|s| s.source.len())
        .chain(x.source_errors.iter().map(|e| e.source.len()))
        .max()
        .unwrap_or(0);
    for s in &x.sources {
        let _ = writeln!(w, "  {:<width$}  {}", s.source, source_answer(s));
    }
    for e in &x.source_errors {
        if !x.sources.iter().any(|s| s.source == e.source) {
            let _ = writeln!(w, "  {:<width$}  error: {}", e.source, e.message);
        }
    }

    if x.bundles.is_empty() {
        let _ = writeln!(w, "\nBundles\n  none found");
    }
    for (n, b) in x.bundles.iter().enumerate() {
        let status = match b.status {
            BundleStatus::Verified if b.decided => "verified; the outcome rests on it",
            BundleStatus::Verified => "verified",
            BundleStatus::Rejected => "REJECTED: failed verification",
            BundleStatus::Ignored => "ignored: not for this checksum",
        };
        let _ = writeln!(w, "\nBundle {} [{status}]", n + 1);
        let _ = writeln!(w, "  location    {}", b.location);
        let cached = match b.cached {
            Some(true) => " (answer from the cache)",
            Some(false) if b.source.starts_with("dir:") => " (read from the folder)",
            Some(false) => " (fetched in this run)",
            None => "",
        };
        let _ = writeln!(w, "  source      {}{cached}", b.source);
        if let Some(check) = b.failed_check {
            let _ = writeln!(
                w,
                "  failed      {check}: {}",
                b.failure.as_deref().unwrap_or("").replace('\n', " ")
            );
        }
        if let Some(facts) = &b.facts {
            write_facts(w, facts, p.checksum.as_deref());
        }
    }

    let _ = writeln!(w, "\nRegistry assertion");
    match &x.registry {
        Some(r) => {
            let _ = writeln!(
                w,
                "  {} says {} published it from {} (unsigned)",
                r.registry, r.provider, r.repository
            );
            if let Some(sha) = &r.sha {
                let _ = writeln!(w, "  commit      {sha}");
            }
            if let Some(run) = &r.run_id {
                let _ = writeln!(w, "  run         {run}");
            }
        }
        None => {
            let _ = writeln!(w, "  none");
        }
    }

    let _ = writeln!(w, "\nDecided by {}", x.rule.display);
    write_rule_text(w, &x.rule);
    if !x.requirements.is_empty() {
        let _ = writeln!(w, "\nRequirements");
        let width = x
            .requirements
            .iter()
            .map(|r| r.requirement.as_str().len())
            .max()
            .unwrap_or(0);
        for r in &x.requirements {
            let _ = writeln!(
                w,
                "  {} {:<width$}  expected {}, found {}{}",
                if r.met { "ok  " } else { "FAIL" },
                r.requirement.as_str(),
                r.expected,
                r.found.as_deref().unwrap_or("nothing"),
                match (r.line, r.inherited) {
                    (Some(line), true) => format!("  (line {line}, from [defaults])"),
                    (Some(line), false) => format!("  (line {line})"),
                    _ => String::new(),
                },
            );
        }
    }
    let unlisted: Vec<&Failure> = x
        .failures
        .iter()
        .filter(|f| {
            !x.requirements
                .iter()
                .any(|r| r.requirement == f.requirement && !r.met)
        })
        .collect();
    if !unlisted.is_empty() {
        let _ = writeln!(w, "\nFailures");
        for f in unlisted {
            let _ = write!(w, "  FAIL {f}");
            if let Some(bundle) = &f.bundle {
                let _ = write!(w, " ({})", bundle.location);
            }
            let _ = writeln!(w);
        }
    }
    if let Some(e) = &x.exemption {
        let _ = writeln!(
            w,
            "\n{} {}",
            if e.expired {
                "Expired exemption"
            } else {
                "Exempted by"
            },
            e.rule.display
        );
        write_rule_text(w, &e.rule);
    }
    let _ = writeln!(w, "\nOutcome: {} ({})", x.outcome, why(x));
    out
}

fn not_asked_why(x: &Explanation) -> &'static str {
    if x.package.workspace_member {
        "a workspace member needs no provenance"
    } else if !x.package.source.is_registry() {
        "only registry packages have a .crate checksum to look provenance up by"
    } else {
        "the lockfile has no checksum for it"
    }
}

fn source_answer(s: &SourceOutcome) -> String {
    use crate::fetch::Outcome as O;
    let text = match &s.outcome {
        O::Bundles { documents, ignored } => {
            let mut t = format!("{documents} bundle(s) for the checksum");
            if *ignored > 0 {
                let _ = write!(t, ", {ignored} for other artifacts");
            }
            t
        }
        O::NoAttestation => "no attestation".to_string(),
        O::Registry { asserted: true } => "publisher recorded (registry-asserted)".to_string(),
        O::Registry { asserted: false } => "no publisher recorded".to_string(),
        O::NotApplicable { reason } => format!("not applicable: {reason}"),
        O::NotCached => "no cached answer (offline)".to_string(),
        O::Error { message } => format!("error: {}", message.replace('\n', " ")),
        O::NotAsked => "not asked (bundles already found)".to_string(),
    };
    if s.cached {
        format!("{text} [cached]")
    } else {
        text
    }
}

fn write_facts(w: &mut String, facts: &VerifiedFacts, checksum: Option<&str>) {
    let _ = writeln!(w, "  trust root  {}", facts.trust_root);
    let _ = writeln!(w, "  media type  {}", facts.media_type);
    let checks: Vec<&str> = facts.checks.iter().map(|c| c.describe()).collect();
    let _ = writeln!(w, "  passed      {}", checks.join(", "));
    if let Some(signer) = &facts.signer {
        let _ = writeln!(
            w,
            "  identity    {}",
            signer.identity.as_deref().unwrap_or("(none)")
        );
        let _ = writeln!(
            w,
            "  issuer      {}",
            signer.issuer.as_deref().unwrap_or("(none)")
        );
        let _ = writeln!(
            w,
            "  certificate valid {} to {}",
            signer.not_before, signer.not_after
        );
        let _ = writeln!(w, "  claims");
        let claims = serde_json::to_value(&signer.claims).unwrap_or_default();
        if let Some(map) = claims.as_object() {
            let width = map.keys().map(String::len).max().unwrap_or(0);
            for (key, value) in map {
                let _ = writeln!(
                    w,
                    "    {key:<width$}  {}",
                    value.as_str().unwrap_or("(absent)")
                );
            }
        }
    } else {
        let _ = writeln!(w, "  signer      a managed key (no certificate claims)");
    }
    for entry in &facts.log_entries {
        let _ = writeln!(
            w,
            "  log entry   index {} ({}, log {}){}",
            entry.log_index,
            entry.kind,
            entry.log_id,
            entry
                .integrated_time
                .map_or(String::new(), |t| format!(", integrated {t}"))
        );
    }
    let times: Vec<String> = facts.verified_times.iter().map(|t| t.to_string()).collect();
    let _ = writeln!(
        w,
        "  verified times {}",
        if times.is_empty() {
            "(none)".to_string()
        } else {
            times.join(", ")
        }
    );
    if let Some(statement) = &facts.statement {
        let _ = writeln!(w, "  statement   {}", statement.statement_type);
        let _ = writeln!(w, "  predicate   {}", statement.predicate_type);
        for subject in &statement.subjects {
            let digests: Vec<String> = subject
                .digest
                .iter()
                .map(|(algorithm, hex)| {
                    let mark = if algorithm == "sha256" && Some(hex.as_str()) == checksum {
                        " (the Cargo.lock checksum)"
                    } else {
                        ""
                    };
                    format!("{algorithm}:{hex}{mark}")
                })
                .collect();
            let _ = writeln!(w, "  subject     {} {}", subject.name, digests.join(" "));
        }
    }
}

fn write_rule_text(w: &mut String, rule: &RuleExplanation) {
    let (Some(text), Some(first)) = (&rule.text, rule.first_line) else {
        return;
    };
    if let Some(file) = &rule.file {
        let _ = writeln!(w, "  {}:{first}", file.display());
    }
    let last = first as usize + text.lines().count().saturating_sub(1);
    let width = last.to_string().len();
    for (n, line) in text.lines().enumerate() {
        let _ = writeln!(w, "  {:>width$} | {line}", first as usize + n);
    }
}

/// The outcome in a few words.
fn why(x: &Explanation) -> String {
    let failed = |x: &Explanation| {
        x.failures
            .iter()
            .map(|f| f.requirement.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match x.outcome {
        "pass" if x.package.workspace_member => "a workspace member needs nothing".into(),
        "pass" => match x.bundles.iter().find(|b| b.decided) {
            Some(b) => format!("every requirement is met by {}", b.location),
            None if x.evidence_level == EvidenceLevel::RegistryAsserted => {
                "the registry assertion meets every requirement".into()
            }
            None if matches!(x.rule.rule.kind, RuleRefKind::Git | RuleRefKind::Path) => {
                format!("allowed by {}", x.rule.display)
            }
            None => format!("{} asks for nothing more", x.rule.display),
        },
        "violation" => format!("failed: {}", failed(x)),
        "exempt" => match &x.exemption {
            Some(e) => format!("exempt: {}; excuses {}", e.reason, failed(x)),
            None => "exempt".into(),
        },
        "missing" => "no evidence found, and none is required".into(),
        "error" => "evidence is required but could not be checked".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_arguments_parse() {
        assert_eq!(
            PackageSpec::parse("serde").unwrap(),
            PackageSpec {
                name: "serde".into(),
                version: None
            }
        );
        let spec = PackageSpec::parse("syn@2.0.119").unwrap();
        assert_eq!(spec.version, Some(semver::Version::new(2, 0, 119)));
        assert_eq!(spec.to_string(), "syn@2.0.119");
        assert!(PackageSpec::parse("@1.0.0").is_err());
        assert!(PackageSpec::parse("syn@2")
            .unwrap_err()
            .contains("full one"));
    }

    fn inventory() -> Inventory {
        let text = "version = 4\n\n[[package]]\nname = \"syn\"\nversion = \"1.0.109\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"0000000000000000000000000000000000000000000000000000000000000001\"\n\n[[package]]\nname = \"syn\"\nversion = \"2.0.119\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"0000000000000000000000000000000000000000000000000000000000000002\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.229\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"0000000000000000000000000000000000000000000000000000000000000003\"\n";
        crate::lockfile::parse_lockfile(std::path::Path::new("Cargo.lock"), text.into()).unwrap()
    }

    #[test]
    fn a_package_argument_selects_one_package_or_lists_candidates() {
        let inventory = inventory();
        let pick = |text: &str| select(&inventory, &PackageSpec::parse(text).unwrap());
        assert_eq!(
            inventory.packages[pick("serde").unwrap()].id(),
            "serde@1.0.229"
        );
        assert_eq!(
            inventory.packages[pick("syn@2.0.119").unwrap()].id(),
            "syn@2.0.119"
        );
        match pick("syn") {
            Err(SelectError::Ambiguous { candidates, .. }) => {
                assert_eq!(candidates, ["syn@1.0.109", "syn@2.0.119"])
            }
            other => panic!("{other:?}"),
        }
        match pick("syn@3.0.0") {
            Err(SelectError::NoSuchVersion { candidates, .. }) => {
                assert_eq!(candidates, ["syn@1.0.109", "syn@2.0.119"])
            }
            other => panic!("{other:?}"),
        }
        match pick("serd") {
            Err(SelectError::NoSuchPackage { candidates, .. }) => assert_eq!(candidates, ["serde"]),
            other => panic!("{other:?}"),
        }
        match pick("tokio") {
            Err(SelectError::NoSuchPackage { candidates, .. }) => assert!(candidates.is_empty()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rule_text_is_whole_lines_with_the_table_header() {
        let text = "mode = \"enforce\"\n\n[defaults]\n# why\nrequire = \"attested\"\nrunner = \"github-hosted\"\n\n[[package]]\n";
        let offset = text.find("require").unwrap();
        let end = text.find("\n\n[[").unwrap();
        let span = PolicySpan {
            offset,
            length: end - offset,
            line: 5,
            column: 1,
        };
        let (line, lines) = whole_lines(text, span, RuleRefKind::Defaults);
        assert_eq!(line, 3);
        assert_eq!(
            lines,
            "[defaults]\n# why\nrequire = \"attested\"\nrunner = \"github-hosted\""
        );
        let (line, lines) = whole_lines(text, span, RuleRefKind::Package);
        assert_eq!(line, 5);
        assert!(lines.starts_with("require"));
    }
}
