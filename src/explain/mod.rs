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
//! The exit code is the package's own: 0 pass (or exempt, or no provenance and
//! not required), 1 violation, 2 could not be checked or bad input.
//!
//! This file builds the [`Explanation`] (serialized as is for JSON);
//! [`render`] writes it for people.

mod render;
mod requirements;

use std::fmt;
use std::path::PathBuf;

use miette::Diagnostic;
use serde::Serialize;

pub use render::render;
use requirements::requirement_checks;

use crate::evaluate::{Failure, Outcome, PackageOutcome, Requirement, RuleRef, RuleRefKind};
use crate::evidence::{BundleOrigin, Evidence, EvidenceLevel, RegistryAssertion, SourceError};
use crate::exit;
use crate::fetch::SourceOutcome;
use crate::lockfile::{Inventory, Package, PackageSource};
use crate::policy::{self, Mode, Policy, PolicySpan};
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

/// Why a text names no package.
#[derive(Debug, thiserror::Error)]
pub enum PackageSpecError {
    #[error("`{0}` names no package: give NAME or NAME@VERSION")]
    NoName(String),
    #[error("`{text}` is not a version (give a full one, like 1.0.229): {source}")]
    BadVersion { text: String, source: semver::Error },
}

impl PackageSpec {
    pub fn parse(text: &str) -> Result<Self, PackageSpecError> {
        let (name, version) = match text.split_once('@') {
            Some((name, version)) => (name, Some(version)),
            None => (text, None),
        };
        if name.is_empty() {
            return Err(PackageSpecError::NoName(text.to_string()));
        }
        let version = version
            .map(|v| {
                semver::Version::parse(v.trim_start_matches('v')).map_err(|source| {
                    PackageSpecError::BadVersion {
                        text: v.to_string(),
                        source,
                    }
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

/// One verified bundle compared with the registry's record.
#[derive(Debug, Clone, Serialize)]
pub struct CrossCheck {
    pub bundle: BundleOrigin,
    pub comparisons: Vec<crate::evaluate::Comparison>,
}

/// Everything behind one package's outcome: the `explain --format json` object.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub format_version: u32,
    pub package: PackageFacts,
    /// `pass`, `violation`, `exempt`, `no-provenance`, `not-checked` or `error`.
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
    /// Each verified bundle compared with the registry's record of the
    /// publisher: a disagreement is an `evidence-conflict`.
    pub cross_checks: Vec<CrossCheck>,
    /// The published package's own commit and repository (as the source
    /// comparison read them) compared with each verified bundle's
    /// certificate and the registry's record: a disagreement is an
    /// `evidence-conflict`. Empty when the comparison did not read the
    /// repository at the commit.
    pub source_cross_checks: Vec<crate::evaluate::SourceComparison>,
    /// Sources that could not answer.
    pub source_errors: Vec<SourceError>,
    /// The published package compared with its repository at its commit.
    pub source_match: Option<crate::evidence::SourceMatch>,
    /// The commit on its host's web pages, when the host is known.
    pub commit_url: Option<String>,
    pub rule: RuleExplanation,
    /// The deciding rule's requirements, each compared with the evidence.
    pub requirements: Vec<RequirementCheck>,
    /// What failed: the outcome's failures (for `exempt`, what the exemption excuses).
    pub failures: Vec<Failure>,
    pub exemption: Option<ExemptionExplanation>,
    /// Why the package is in the lockfile: its paths from the workspace.
    pub graph: GraphExplanation,
}

/// How many dependency paths `explain` lists; the rest are counted.
pub const PATHS_SHOWN: usize = 10;

/// The package's place in the dependency graph.
#[derive(Debug, Clone, Serialize)]
pub struct GraphExplanation {
    /// A workspace member depends on it directly.
    pub direct: bool,
    /// The code it runs on the build machine; `None`: unknown (a bare lockfile).
    pub build_time: Option<crate::lockfile::BuildTime>,
    /// Why it is not checked, when it is outside the scope.
    pub out_of_scope: Option<crate::lockfile::OutOfScope>,
    /// Up to [`PATHS_SHOWN`] paths from a workspace member to it
    /// (`name@version`, the member first), shortest first: over the edges
    /// in scope, or every edge for a package outside the scope.
    pub paths: Vec<Vec<String>>,
    /// How many paths there are in all (saturating).
    pub path_count: u64,
}

impl GraphExplanation {
    fn of(run: &Run, index: usize) -> Self {
        let inventory = &run.inventory;
        let package = &inventory.packages[index];
        let (paths, path_count) = inventory.paths_to(index, PATHS_SHOWN);
        Self {
            direct: package.direct,
            build_time: package.build_time,
            out_of_scope: package.out_of_scope.clone(),
            paths: paths.iter().map(|p| inventory.path_ids(p)).collect(),
            path_count,
        }
    }
}

/// The package's own exit code, by the rules of the whole run
/// ([`crate::evaluate::Evaluation::exit_code`]) applied to it alone.
pub fn package_exit_code(outcome: &PackageOutcome, mode: Mode) -> i32 {
    if outcome.has_unwaivable_failure() {
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

/// The failures of an outcome, and the exemption that excused them.
fn failures_and_exemption(
    run: &Run,
    outcome: &Outcome,
) -> (Vec<Failure>, Option<ExemptionExplanation>) {
    match outcome {
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
        Outcome::Pass { .. }
        | Outcome::NoProvenance
        | Outcome::NotChecked { .. }
        | Outcome::OutOfScope { .. } => (Vec::new(), None),
    }
}

/// Each verified bundle of the package's own repository against the
/// registry's record, when there is one.
fn cross_checks(evidence: &Evidence) -> Vec<CrossCheck> {
    let Some(registry) = &evidence.registry else {
        return Vec::new();
    };
    evidence
        .attestations
        .iter()
        .filter(|a| !evidence.other_repository.contains(&a.origin))
        .map(|a| CrossCheck {
            bundle: a.origin.clone(),
            comparisons: crate::evaluate::cross_check(a, registry).to_vec(),
        })
        .collect()
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
        let (failures, exemption) = failures_and_exemption(run, &outcome.outcome);
        // An expired exemption is a failure of a violation: show the exemption too.
        let exemption = exemption.or_else(|| expired_exemption(run, package, &failures));
        let requirements =
            requirement_checks(&run.policy, outcome, evidence, decided.as_ref(), run.now);
        let mut source_errors = evidence.errors.clone();
        if let Outcome::Error { errors, .. } | Outcome::NotChecked { errors } = &outcome.outcome {
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
            cross_checks: cross_checks(evidence),
            source_cross_checks: crate::evaluate::source_cross_checks_of(evidence),
            source_errors,
            source_match: evidence.source_match.clone(),
            commit_url: evidence
                .source_match
                .as_ref()
                .and_then(crate::evidence::SourceMatch::commit_url),
            rule: rule_explanation(&run.policy, &outcome.rule),
            graph: GraphExplanation::of(run, index),
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
        RuleRefKind::OutOfScope => {
            spans.extend(policy.graph.targets.as_ref().map(|t| t.span));
            spans.extend(policy.graph.exclude_dev.as_ref().map(|e| e.span));
        }
        RuleRefKind::WorkspaceMember | RuleRefKind::BuiltIn => {}
    }
    spans
}

/// Where a rule states each requirement an attestation is held to.
fn requirement_spans(r: &crate::policy::Requirements) -> Vec<PolicySpan> {
    crate::policy::rule_keys::requirements()
        .filter(|key| key.is_on_attestation())
        .filter_map(|key| r.span_of(key))
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
            .to_string()
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
