//! Reports: one serializable [`Report`] made from a run, rendered for
//! people ([`human`]), machines ([`json`], [`sarif`]) and GitHub job
//! summaries ([`markdown`]); [`vsa`] states what it decided as SLSA
//! verification summaries.
//!
//! Progress and logs go to stderr; stdout carries only the report.

pub(crate) mod diagnostic_style;
pub(crate) mod diagnostics;
pub(crate) mod failures;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;
pub(crate) mod table;
pub mod vsa;

use std::path::PathBuf;

use serde::Serialize;

use crate::evaluate::{Outcome, PackageOutcome};
use crate::evidence::{
    Attestation, BundleOrigin, Evidence, RegistryAssertion, RegistryRecord, Rejected, SourceError,
    SourceMatch,
};
use crate::lockfile::{BuildTime, GraphOrigin};
use crate::policy::{Level, Mode, NotCheckedAction};
use crate::run::Run;
use crate::verify::CertificateClaims;

/// The version of the JSON message format; raised on incompatible changes.
pub const FORMAT_VERSION: u32 = 2;

/// Everything a run decided, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub lockfile: PathBuf,
    /// The policy file, or `None` for the built-in default policy.
    pub policy: Option<PathBuf>,
    pub mode: Mode,
    /// Whether packages nothing required that could not be checked fail the run.
    pub not_checked: NotCheckedAction,
    /// The trust roots bundles were verified against.
    pub trust_roots: Vec<String>,
    /// The sources, in the order they were tried.
    pub sources: Vec<String>,
    pub summary: Summary,
    /// Why packages were not checked, in a few words each (see
    /// `failures::not_checked_because`); empty when all were.
    pub not_checked_because: Vec<String>,
    /// Where the dependency graph came from, and which part was checked.
    pub graph: GraphSummary,
    /// One per lockfile package, in lockfile order (name, version, source).
    pub packages: Vec<PackageReport>,
    /// Stale policy, old trust roots, packages missing from the cache.
    pub warnings: Vec<Warning>,
}

/// Where the dependency graph came from, and which part of it was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphSummary {
    /// `metadata` (cargo's resolve) or `lockfile` (a bare lockfile: no
    /// dependency kinds, platforms or build-time facts; everything checked).
    pub origin: GraphOrigin,
    /// The targets checked; empty: every platform.
    pub targets: Vec<String>,
    /// Whether packages only dev-dependencies bring in were left out.
    pub exclude_dev: bool,
}

/// The counts, and the exit code they make.
///
/// Each dependency (every package that is not a workspace member) is
/// counted in exactly one of `pass`, `violations`, `exempt`,
/// `no_provenance`, `not_checked`, `errors` and `out_of_scope`: the table's
/// statuses. `verified`, `registry_asserted` and `other_pass` split the
/// passes by what they rest on (`other_pass` counting workspace members too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The packages in scope (every package unless the scope is limited),
    /// workspace members included.
    pub packages: usize,
    /// The dependencies that passed (workspace members are not counted).
    pub pass: usize,
    /// The workspace members: built here, nothing required of them.
    pub workspace_members: usize,
    /// Passed on a verified attestation.
    pub verified: usize,
    /// Passed on registry-asserted data.
    pub registry_asserted: usize,
    /// Passed with nothing required of them (workspace members, allowed git
    /// and path dependencies, `require = "none"` with matching evidence).
    pub other_pass: usize,
    pub violations: usize,
    pub exempt: usize,
    /// Every source answered and none had evidence; none was required.
    pub no_provenance: usize,
    /// A source could not answer and nothing else was found; none was required.
    pub not_checked: usize,
    /// Evidence was required but could not be checked.
    pub errors: usize,
    /// Bundles found for a package's checksum that failed verification.
    pub rejected_bundles: usize,
    /// Packages of the lockfile outside the scope: not checked.
    pub out_of_scope: usize,
    pub exit_code: i32,
}

/// A verified bundle attested in another repository than its package's,
/// which was not held against the registry's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherRepository {
    #[serde(flatten)]
    pub origin: BundleOrigin,
    /// The repository its certificate names.
    pub repository: Option<String>,
}

impl OtherRepository {
    fn of(attestation: &Attestation) -> Self {
        Self {
            origin: attestation.origin.clone(),
            repository: attestation
                .facts
                .claims()
                .and_then(|c| c.source_repository_uri.clone()),
        }
    }
}

/// One package's outcome with the evidence behind it.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    /// Name, version, source, evidence level, deciding rule, outcome and
    /// (for violations, exemptions and errors) the failed requirements.
    #[serde(flatten)]
    pub outcome: PackageOutcome,
    pub checksum: Option<String>,
    pub workspace_member: bool,
    /// The line of the package in the lockfile.
    pub lockfile_line: u32,
    /// What the deciding (else the first) verified attestation shows.
    pub provenance: Option<Provenance>,
    pub registry: Option<RegistryAssertion>,
    /// The registry's record of the version and crate (publish time,
    /// `trustpub_only`), when it has one.
    pub record: Option<RegistryRecord>,
    /// When the version was published, as the registry's index says (else
    /// its record), where a rule needed it; `null` otherwise.
    pub published: Option<jiff::Timestamp>,
    /// Verified attestations found for the checksum.
    pub attestations: usize,
    /// Bundles for the checksum that failed verification, and why.
    pub rejected: Vec<Rejected>,
    /// The bundles the outcome rests on, by digest: the attestation that
    /// passed, else every bundle a failure is about.
    pub decided_by: Vec<DecidingBundle>,
    /// Verified bundles attested in another repository than the one the
    /// package names (which its rule does not accept): never held against
    /// the registry's record.
    pub other_repository: Vec<OtherRepository>,
    /// Sources that could not answer for this package.
    pub source_errors: Vec<SourceError>,
    /// The published package compared with its repository at the commit
    /// it was packaged from; `null` when no comparison was made (no
    /// checksum, out of scope, turned off).
    pub source_match: Option<SourceMatch>,
    /// A workspace member depends on it directly.
    pub direct: bool,
    /// Only dev-dependencies bring it in (known from cargo's metadata only).
    pub dev_only: bool,
    /// Whether it is a proc-macro or has a build script; `null`: unknown
    /// (a bare lockfile does not say).
    pub build_time: Option<BuildTime>,
    /// The shortest path from a workspace member to it, as `name@version`
    /// (the member first, the package last); empty when nothing leads to it.
    pub dependency_path: Vec<String>,
}

impl PackageReport {
    pub fn id(&self) -> String {
        self.outcome.id()
    }

    /// `pass`, `violation`, `exempt`, `no-provenance`, `not-checked`, `error`
    /// or `out-of-scope`.
    pub fn status(&self) -> &'static str {
        self.outcome.outcome.name()
    }

    /// Whether it runs code at build time; `None`: unknown.
    pub fn runs_at_build_time(&self) -> Option<bool> {
        self.build_time.map(BuildTime::any)
    }

    /// The dependency path as people read it: `app → reqwest → h2`, with
    /// the versions, and `(direct)` for a direct dependency.
    pub(crate) fn path_text(&self) -> Option<String> {
        if self.dependency_path.len() < 2 {
            return None;
        }
        let mut text = self.dependency_path.join(" → ");
        if self.direct {
            text.push_str(" (direct)");
        }
        Some(text)
    }
}

/// A bundle an outcome rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecidingBundle {
    #[serde(flatten)]
    pub origin: BundleOrigin,
    /// The SHA-256 (hex) of the bundle's JSON as it was verified.
    pub sha256: String,
}

/// The bundles an outcome rests on: the attestation that passed, else
/// each bundle a failure is about (verified or rejected), in the order of
/// the failures, each once.
pub(crate) fn deciding_bundles(outcome: &Outcome, evidence: &Evidence) -> Vec<DecidingBundle> {
    let origins: Vec<&BundleOrigin> = match outcome {
        Outcome::Pass { bundle } => bundle.iter().collect(),
        Outcome::Violation { failures }
        | Outcome::Exempt { failures, .. }
        | Outcome::Error { failures, .. } => {
            failures.iter().filter_map(|f| f.bundle.as_ref()).collect()
        }
        Outcome::NoProvenance | Outcome::NotChecked { .. } | Outcome::OutOfScope { .. } => {
            Vec::new()
        }
    };
    let mut found: Vec<DecidingBundle> = Vec::new();
    for origin in origins {
        let digests = evidence
            .attestations
            .iter()
            .filter(|a| &a.origin == origin)
            .map(|a| &a.digest)
            .chain(
                evidence
                    .rejected
                    .iter()
                    .filter(|r| &r.origin == origin)
                    .map(|r| &r.digest),
            );
        for digest in digests {
            let bundle = DecidingBundle {
                origin: origin.clone(),
                sha256: digest.clone(),
            };
            if !found.contains(&bundle) {
                found.push(bundle);
            }
        }
    }
    found
}

/// The facts of one verified attestation that people look for first.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub bundle: BundleOrigin,
    pub trust_root: String,
    pub repository: Option<String>,
    pub repository_id: Option<String>,
    /// The workflow file that ran, within the repository.
    pub workflow: Option<String>,
    /// The workflow that signed, when it is not the one that ran (reusable).
    pub signer_workflow: Option<String>,
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    pub commit: Option<String>,
    pub trigger: Option<String>,
    pub runner: Option<String>,
    pub visibility: Option<String>,
    pub run: Option<String>,
    pub log_index: Option<u64>,
    pub signed_at: Option<jiff::Timestamp>,
}

impl Provenance {
    pub fn from_attestation(attestation: &Attestation) -> Self {
        let facts = &attestation.facts;
        let empty = CertificateClaims::default();
        let claims = facts.claims().unwrap_or(&empty);
        let strip_ref = |uri: &str| uri.rsplit_once('@').map_or(uri, |(u, _)| u).to_string();
        let signer_workflow = match (&claims.build_signer_uri, &claims.build_config_uri) {
            (Some(signer), Some(config)) if strip_ref(signer) != strip_ref(config) => {
                Some(signer.clone())
            }
            _ => None,
        };
        Self {
            bundle: attestation.origin.clone(),
            trust_root: facts.trust_root.clone(),
            repository: claims.source_repository_uri.clone(),
            repository_id: claims.source_repository_identifier.clone(),
            workflow: claims.build_config_uri.as_deref().map(|uri| {
                CertificateClaims::workflow_path(uri)
                    .unwrap_or(uri)
                    .to_string()
            }),
            signer_workflow,
            git_ref: claims.source_repository_ref.clone(),
            commit: claims.source_repository_digest.clone(),
            trigger: claims.build_trigger.clone(),
            runner: claims.runner_environment.clone(),
            visibility: claims.source_repository_visibility_at_signing.clone(),
            run: claims.run_invocation_uri.clone(),
            log_index: facts.log_entries.first().map(|e| e.log_index),
            signed_at: facts.signed_at(),
        }
    }
}

/// Something to know that changes no outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    /// A stable kebab-case code (`policy-unused-rule`, `trust-root-old`, …).
    pub code: String,
    pub message: String,
    /// The file it points into, when it does.
    pub file: Option<PathBuf>,
    pub line: Option<u32>,
}

impl Report {
    /// Build the report of a run.
    pub fn from_run(run: &Run) -> Self {
        let inventory = &run.inventory;
        let packages = package_reports(run);
        let sources: Vec<String> = run.sources.iter().map(|s| s.label()).collect();
        let warnings = warnings(run, &packages, &sources);
        let summary = summarize(&packages, run.evaluation.exit_code());
        Self {
            lockfile: run.inventory.lockfile.clone(),
            policy: run.policy.path.clone(),
            mode: run.evaluation.mode,
            not_checked: run.evaluation.not_checked,
            trust_roots: run.roots.iter().map(|r| r.name.clone()).collect(),
            sources,
            summary,
            not_checked_because: failures::not_checked_because(&packages),
            graph: GraphSummary {
                origin: inventory.graph.origin,
                targets: inventory.scope.targets.clone(),
                exclude_dev: inventory.scope.exclude_dev,
            },
            packages,
            warnings,
        }
    }

    /// The packages whose outcome needs attention: violations, errors,
    /// packages not checked, exemptions and packages without provenance,
    /// in that order, then the passes, then the packages outside the scope.
    pub fn by_severity(&self) -> Vec<&PackageReport> {
        let mut sorted: Vec<&PackageReport> = self.packages.iter().collect();
        sorted.sort_by_key(|p| p.severity_rank());
        sorted
    }
}

impl PackageReport {
    /// The place of its outcome in [`Report::by_severity`].
    pub(crate) fn severity_rank(&self) -> usize {
        match self.outcome.outcome {
            Outcome::Violation { .. } => 0,
            Outcome::Error { .. } => 1,
            Outcome::NotChecked { .. } => 2,
            Outcome::Exempt { .. } => 3,
            Outcome::NoProvenance => 4,
            Outcome::Pass { .. } => 5,
            Outcome::OutOfScope { .. } => 6,
        }
    }
}

/// The attestation that passed the rule, else the first verified one.
fn deciding_attestation<'e>(
    outcome: &PackageOutcome,
    evidence: &'e Evidence,
) -> Option<&'e Attestation> {
    if let Outcome::Pass {
        bundle: Some(origin),
    } = &outcome.outcome
    {
        if let Some(found) = evidence.attestations.iter().find(|a| &a.origin == origin) {
            return Some(found);
        }
    }
    evidence.attestations.first()
}

fn summarize(packages: &[PackageReport], exit_code: i32) -> Summary {
    use crate::evidence::EvidenceLevel;
    let mut summary = Summary {
        exit_code,
        ..Summary::default()
    };
    for package in packages {
        summary.rejected_bundles += package.rejected.len();
        if package.workspace_member {
            summary.workspace_members += 1;
        } else if let Outcome::Pass { .. } = package.outcome.outcome {
            summary.pass += 1;
        }
        match &package.outcome.outcome {
            Outcome::Pass { bundle: Some(_) } => summary.verified += 1,
            Outcome::Pass { bundle: None }
                if package.outcome.evidence == EvidenceLevel::RegistryAsserted =>
            {
                summary.registry_asserted += 1
            }
            Outcome::Pass { .. } => summary.other_pass += 1,
            Outcome::Violation { .. } => summary.violations += 1,
            Outcome::Exempt { .. } => summary.exempt += 1,
            Outcome::NoProvenance => summary.no_provenance += 1,
            Outcome::NotChecked { .. } => summary.not_checked += 1,
            Outcome::Error { .. } => summary.errors += 1,
            Outcome::OutOfScope { .. } => summary.out_of_scope += 1,
        }
    }
    summary.packages = packages.len() - summary.out_of_scope;
    summary
}

/// Each package of a run: what was found for it and what was decided.
fn package_reports(run: &Run) -> Vec<PackageReport> {
    let inventory = &run.inventory;
    inventory
        .packages
        .iter()
        .enumerate()
        .zip(&run.evidence)
        .zip(&run.evaluation.outcomes)
        .map(|(((index, package), evidence), outcome)| PackageReport {
            direct: package.direct,
            dev_only: package.dev_only,
            build_time: package.build_time,
            dependency_path: inventory.path_ids(&inventory.path_to(index)),
            checksum: package.checksum.map(|c| c.to_hex()),
            workspace_member: package.workspace_member,
            lockfile_line: package.line,
            provenance: deciding_attestation(outcome, evidence).map(Provenance::from_attestation),
            registry: evidence.registry.clone(),
            record: evidence.record.clone(),
            published: evidence.published,
            attestations: evidence.attestations.len(),
            rejected: evidence.rejected.clone(),
            decided_by: deciding_bundles(&outcome.outcome, evidence),
            other_repository: evidence
                .attestations
                .iter()
                .filter(|a| evidence.other_repository.contains(&a.origin))
                .map(OtherRepository::of)
                .collect(),
            source_errors: evidence.errors.clone(),
            source_match: evidence.source_match.clone(),
            outcome: outcome.clone(),
        })
        .collect()
}

/// The run's warnings: the policy's and the evaluation's, the run's
/// notes, a missing policy file, the sources that could not answer, and
/// packages missing from the cache offline.
fn warnings(run: &Run, packages: &[PackageReport], sources: &[String]) -> Vec<Warning> {
    let warning = |code: &str, message: String| Warning {
        code: code.to_string(),
        message,
        file: None,
        line: None,
    };
    let mut warnings = Vec::new();
    for diagnostic in run.policy.warnings.iter().chain(&run.evaluation.warnings) {
        if diagnostic.level != Level::Warning {
            continue;
        }
        warnings.push(Warning {
            code: diagnostic.code.as_str().to_string(),
            message: diagnostic.message.clone(),
            file: run.policy.path.clone(),
            line: diagnostic.span().map(|s| s.line),
        });
    }
    for note in &run.notes {
        warnings.push(warning(note.code, note.message.clone()));
    }
    if run.policy.path.is_none() {
        // A gate whose policy file was not found (misnamed, another
        // folder) requires nothing: say so rather than pass quietly.
        warnings.push(warning(
            "no-policy",
            format!(
                "no policy file (provenance.toml or .cargo/provenance.toml) was found from the workspace root (or the lockfile's folder) up to the repository root: the default policy requires nothing, so only a bundle that fails verification can fail this run; write one with `cargo verify-provenance init` (its reference: {}) or pass --policy",
                crate::policy::reference_pointer()
            ),
        ));
    }
    warnings.extend(failures::warnings(packages, sources));
    if let Some(missing) = &run.missing_from_cache {
        warnings.push(warning("offline-not-cached", missing.clone()));
    }
    warnings
}
