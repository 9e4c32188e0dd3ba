//! `cargo verify-provenance diff OLD.lock NEW.lock`, and `--baseline
//! OLD.lock` on the main command: what changed in provenance between two
//! lockfiles.
//!
//! Both lockfiles go through the same job ([`crate::run::collect`]) with
//! the same policy, sources, trust roots and cache. Each package of the new
//! lockfile is paired with its previous version (the same version, else the
//! closest lower one, else the closest higher one, by name), and their
//! provenance is compared:
//! - the evidence level: a drop (attested → registry-asserted → none) is a
//!   downgrade, which fails ("no-downgrade");
//! - the repository (URL or immutable ID), which fails when it changes;
//! - the workflow and the reusable signer workflow (without its ref), which
//!   fail when they change;
//! - crates.io's `trustpub_only`: switched off (the crate accepts API tokens
//!   again) is a downgrade, which fails.
//!
//! `[diff]` in the policy and `--allow-*` flags accept known changes by
//! package name. Dependencies added or removed, and upgrades, are reported
//! and never fail. When one side could not be checked (nothing found and a
//! source could not answer), a change that may be hidden there is reported
//! as unchecked (exit code 2), never passed.
//!
//! This file compares; [`render`] and its neighbours write the result as
//! text, Markdown or JSON lines.

mod render;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use render::{append_markdown, markdown, render, summary_line, write_json};

use crate::evidence::{EvidenceLevel, SourceError, SourceResult};
use crate::exit;
use crate::lockfile::{Inventory, PackageSource};
use crate::policy::matcher::{same_repository, Glob};
use crate::policy::{DiffConfig, Spanned};
use crate::report::{PackageReport, Report};
use crate::run::{collect, InventorySelection, Run, RunConfig, RunError};

/// The version of the `diff-*` JSON messages; raised on incompatible changes.
pub const DIFF_FORMAT_VERSION: u32 = 2;

/// Changes to accept for one run, by package name (exact or glob), beyond
/// the policy's `[diff]` table.
#[derive(Debug, Clone, Default)]
pub struct Accept {
    /// Accept a drop of the evidence level.
    pub allow_downgrade: Vec<Glob>,
    /// Accept a change of repository (URL or ID).
    pub allow_repository_change: Vec<Glob>,
    /// Accept a change of workflow or signer workflow.
    pub allow_workflow_change: Vec<Glob>,
}

impl Accept {
    pub fn is_empty(&self) -> bool {
        self.allow_downgrade.is_empty()
            && self.allow_repository_change.is_empty()
            && self.allow_workflow_change.is_empty()
    }
}

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
    fn of(package: &PackageReport) -> Self {
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

/// Who accepted a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    /// `policy` (`[diff]`), `command-line` (`--allow-*`) or
    /// `enforce-since` (`[diff] enforce-since`: published before it).
    pub by: &'static str,
    /// The pattern that matched the package name.
    pub pattern: String,
    pub file: Option<PathBuf>,
    pub line: Option<u32>,
}

impl std::fmt::Display for Acceptance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) if self.by == "enforce-since" => {
                write!(
                    f,
                    "enforce-since in {}:{line} ({})",
                    file.display(),
                    self.pattern
                )
            }
            (Some(file), Some(line)) => {
                write!(f, "`{}` in {}:{line}", self.pattern, file.display())
            }
            _ => write!(f, "`{}` on the command line", self.pattern),
        }
    }
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
    fn package(&self) -> (&str, &semver::Version) {
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

    fn accepted(&self) -> bool {
        match self {
            Self::DiffDowngrade(c) => c.accepted.is_some(),
            Self::DiffRepository(c) => c.accepted.is_some(),
            Self::DiffWorkflow(c) => c.accepted.is_some(),
            Self::DiffTrustpubOnly(c) => c.accepted.is_some(),
            Self::DiffSource(c) => c.accepted.is_some(),
            _ => false,
        }
    }

    fn rank(&self) -> u8 {
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

/// What changed between two runs.
#[derive(Debug, Clone)]
pub struct Diff {
    pub old_lockfile: PathBuf,
    pub new_lockfile: PathBuf,
    pub policy: Option<PathBuf>,
    /// By package name, then version; within a package: removed, added,
    /// level, repository, workflow.
    pub changes: Vec<Change>,
    /// Things to know that change nothing (e.g. the two runs used different policies).
    pub notes: Vec<String>,
}

impl Diff {
    /// Compare the runs of the old and the new lockfile.
    pub fn new(old: &Run, new: &Run, accept: &Accept) -> Self {
        let old_report = Report::from_run(old);
        let new_report = Report::from_run(new);
        let acceptor = Acceptor {
            policy: &new.policy.diff,
            file: new.policy.path.clone(),
            cli: accept,
        };
        let (old_packages, new_packages) = in_scope(old_report.packages, new_report.packages);
        let mut notes = Vec::new();
        if old.policy.path != new.policy.path {
            notes.push(format!(
                "the old lockfile was checked under another policy ({}) than the new one ({})",
                describe_policy(&old.policy.path),
                describe_policy(&new.policy.path)
            ));
        }
        Self {
            old_lockfile: old.inventory.lockfile.clone(),
            new_lockfile: new.inventory.lockfile.clone(),
            policy: new.policy.path.clone(),
            changes: compare(&old_packages, &new_packages, &acceptor),
            notes,
        }
    }

    pub fn summary(&self) -> DiffSummary {
        let mut s = DiffSummary {
            format_version: DIFF_FORMAT_VERSION,
            old_lockfile: self.old_lockfile.clone(),
            new_lockfile: self.new_lockfile.clone(),
            policy: self.policy.clone(),
            ..DiffSummary::default()
        };
        for change in &self.changes {
            match change {
                Change::DiffAdded(_) => s.added += 1,
                Change::DiffRemoved(_) => s.removed += 1,
                Change::DiffChecksum(_) => s.checksum_changes += 1,
                change if change.unchecked() => s.unchecked += 1,
                Change::DiffDowngrade(_) | Change::DiffTrustpubOnly(_) | Change::DiffSource(_) => {
                    s.downgrades += 1
                }
                Change::DiffUpgrade(_) => s.upgrades += 1,
                Change::DiffRepository(_) => s.repository_changes += 1,
                Change::DiffWorkflow(_) => s.workflow_changes += 1,
                Change::DiffUnchecked(_) => s.unchecked += 1,
                Change::DiffMinAge(_) => s.too_new += 1,
            }
            s.accepted += usize::from(change.accepted());
            s.failing += usize::from(change.fails());
        }
        s.exit_code = if s.failing > 0 {
            exit::VIOLATION
        } else if s.unchecked > 0 {
            exit::ERROR
        } else {
            exit::PASS
        };
        s
    }

    /// 1 when a change fails, else 2 when one could not be checked, else 0.
    pub fn exit_code(&self) -> i32 {
        self.summary().exit_code
    }
}

fn describe_policy(path: &Option<PathBuf>) -> String {
    path.as_ref().map_or("the default policy".to_string(), |p| {
        p.display().to_string()
    })
}

/// The worse of two exit codes: a violation over an error over a pass, as
/// for a whole run.
pub fn combine(a: i32, b: i32) -> i32 {
    if a == exit::VIOLATION || b == exit::VIOLATION {
        exit::VIOLATION
    } else if a == exit::ERROR || b == exit::ERROR {
        exit::ERROR
    } else {
        exit::PASS
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Downgrade,
    Repository,
    Workflow,
}

struct Acceptor<'a> {
    policy: &'a DiffConfig,
    file: Option<PathBuf>,
    cli: &'a Accept,
}

impl Acceptor<'_> {
    /// The first pattern accepting this kind of change for `name`: the
    /// policy's, then the command line's.
    fn find(&self, kind: Kind, name: &str) -> Option<Acceptance> {
        let (policy, cli): (&[Spanned<Glob>], &[Glob]) = match kind {
            Kind::Downgrade => (&self.policy.allow_downgrade, &self.cli.allow_downgrade),
            Kind::Repository => (
                &self.policy.allow_repository_change,
                &self.cli.allow_repository_change,
            ),
            Kind::Workflow => (
                &self.policy.allow_workflow_change,
                &self.cli.allow_workflow_change,
            ),
        };
        if let Some(p) = policy.iter().find(|p| p.value.is_match(name)) {
            return Some(Acceptance {
                by: "policy",
                pattern: p.value.to_string(),
                file: self.file.clone(),
                line: Some(p.span.line),
            });
        }
        cli.iter().find(|g| g.is_match(name)).map(|g| Acceptance {
            by: "command-line",
            pattern: g.to_string(),
            file: None,
            line: None,
        })
    }
}

impl Acceptor<'_> {
    /// `enforce-since`, when the registry's index (else its record) says
    /// both the previous version and this one were published before that
    /// day: a change to a version published since (a rollback from a recent
    /// release to an old one included) counts. A version whose publish
    /// time is not known is not taken to be older.
    fn published_before(
        &self,
        before: &PackageReport,
        after: &PackageReport,
    ) -> Option<Acceptance> {
        let since = self.policy.enforce_since.as_ref()?;
        let start = since
            .value
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp();
        let published =
            |package: &PackageReport| package.published.filter(|published| *published < start);
        let (was, now) = (published(before)?, published(after)?);
        Some(Acceptance {
            by: "enforce-since",
            pattern: format!(
                "{} published {was}, {} published {now}, both before {}",
                before.outcome.version, after.outcome.version, since.value
            ),
            file: self.file.clone(),
            line: Some(since.span.line),
        })
    }
}

/// The packages a diff looks at: workspace members are built here and have
/// no provenance to compare.
fn by_name(packages: &[PackageReport]) -> BTreeMap<&str, Vec<&PackageReport>> {
    let mut map: BTreeMap<&str, Vec<&PackageReport>> = BTreeMap::new();
    for package in packages.iter().filter(|p| !p.workspace_member) {
        map.entry(package.outcome.name.as_str())
            .or_default()
            .push(package);
    }
    map
}

/// The semver-compatible line of a version, as cargo reads `^`: the major
/// version, else (`0.x`) the minor, else (`0.0.x`) the patch.
fn semver_line(v: &semver::Version) -> (u64, u64, u64) {
    match (v.major, v.minor) {
        (0, 0) => (0, 0, v.patch),
        (0, minor) => (0, minor, 0),
        (major, _) => (major, 0, 0),
    }
}

/// The position in `old` of the version a new package is compared with:
/// the same version and source, else the same version, else the closest
/// lower version, else the closest higher one; with `same_line`, only
/// versions of its semver-compatible line are candidates.
fn previous(new: &PackageReport, old: &[&PackageReport], same_line: bool) -> Option<usize> {
    let version = &new.outcome.version;
    let line = semver_line(version);
    let versions = || {
        old.iter()
            .enumerate()
            .map(|(i, o)| (i, &o.outcome.version))
            .filter(move |(_, v)| !same_line || semver_line(v) == line)
    };
    old.iter()
        .position(|o| &o.outcome.version == version && o.outcome.source == new.outcome.source)
        .or_else(|| versions().find(|(_, v)| *v == version).map(|(i, _)| i))
        .or_else(|| {
            versions()
                .filter(|(_, v)| *v < version)
                .max_by(|a, b| a.1.cmp(b.1))
                .map(|(i, _)| i)
        })
        .or_else(|| {
            versions()
                .filter(|(_, v)| *v > version)
                .min_by(|a, b| a.1.cmp(b.1))
                .map(|(i, _)| i)
        })
}

fn listed(package: &PackageReport) -> Listed {
    Listed {
        name: package.outcome.name.clone(),
        version: package.outcome.version.clone(),
        source: package.outcome.source.clone(),
        observed: Observed::of(package),
    }
}

/// Every change between the packages of two runs, in order.
/// The packages both sides are compared on: the new side's in scope, and
/// the old side's but those whose name the new side has only outside its
/// scope (which would otherwise look removed).
fn in_scope(
    old: Vec<PackageReport>,
    new: Vec<PackageReport>,
) -> (Vec<PackageReport>, Vec<PackageReport>) {
    let is_out = |p: &PackageReport| {
        matches!(
            p.outcome.outcome,
            crate::evaluate::Outcome::OutOfScope { .. }
        )
    };
    let kept: std::collections::HashSet<String> = new
        .iter()
        .filter(|p| !is_out(p))
        .map(|p| p.outcome.name.clone())
        .collect();
    let left_out: std::collections::HashSet<String> = new
        .iter()
        .filter(|p| is_out(p) && !kept.contains(&p.outcome.name))
        .map(|p| p.outcome.name.clone())
        .collect();
    let old = old
        .into_iter()
        .filter(|p| !is_out(p) && !left_out.contains(&p.outcome.name))
        .collect();
    let new = new.into_iter().filter(|p| !is_out(p)).collect();
    (old, new)
}

fn compare(old: &[PackageReport], new: &[PackageReport], accept: &Acceptor<'_>) -> Vec<Change> {
    let old_by_name = by_name(old);
    let new_by_name = by_name(new);
    let mut changes = Vec::new();
    for (name, news) in &new_by_name {
        let olds = old_by_name.get(name).map_or(&[][..], Vec::as_slice);
        let mut paired = vec![false; olds.len()];
        for package in news {
            let same_line = accept
                .policy
                .same_semver_line
                .as_ref()
                .is_some_and(|s| s.value);
            let before = previous(package, olds, same_line);
            match before {
                None => changes.push(Change::DiffAdded(listed(package))),
                Some(position) => {
                    paired[position] = true;
                    compare_pair(olds[position], package, accept, &mut changes);
                }
            }
            let before = before.map(|position| olds[position]);
            changes.extend(too_new(before, package).map(Change::DiffMinAge));
        }
        // Old versions no new version was compared with are gone.
        for (before, paired) in olds.iter().zip(paired) {
            if !paired {
                changes.push(Change::DiffRemoved(listed(before)));
            }
        }
    }
    for (name, olds) in &old_by_name {
        if !new_by_name.contains_key(name) {
            changes.extend(olds.iter().map(|p| Change::DiffRemoved(listed(p))));
        }
    }
    changes.sort_by(|a, b| {
        let (an, av) = a.package();
        let (bn, bv) = b.package();
        (an, av, a.rank()).cmp(&(bn, bv, b.rank()))
    });
    changes
}

/// A version the new lockfile brings in that its rule's `min-age` failed
/// in the new run (a violation, or excused by an exemption); `None` for a
/// version the old lockfile had too, or one old enough.
fn too_new(before: Option<&PackageReport>, after: &PackageReport) -> Option<TooNew> {
    use crate::evaluate::{Outcome, Requirement};
    if before.is_some_and(|b| b.outcome.version == after.outcome.version) {
        return None;
    }
    let (failures, fails) = match &after.outcome.outcome {
        Outcome::Violation { failures } => (failures, true),
        Outcome::Exempt { failures, .. } => (failures, false),
        _ => return None,
    };
    let failure = failures
        .iter()
        .find(|f| f.requirement == Requirement::MinAge)?;
    Some(TooNew {
        name: after.outcome.name.clone(),
        version: after.outcome.version.clone(),
        previous_version: before.map(|b| b.outcome.version.clone()),
        published: after.published,
        found: failure.found.clone(),
        fails,
    })
}

/// Compare a package with its previous version.
///
/// Checks, in order: the evidence level (a drop is a downgrade; a side
/// that could not be checked makes a possible drop unchecked); the
/// repository URL and ID, when both sides state them; the workflow and
/// signer workflow (without its ref), when both sides are attested;
/// crates.io's `trustpub_only`, switched off (both sides known); the
/// source comparison, from `matches` to `differs` or `no-vcs-info`.
fn compare_pair(
    before: &PackageReport,
    after: &PackageReport,
    accept: &Acceptor<'_>,
    changes: &mut Vec<Change>,
) {
    if let Some(change) = checksum_change(before, after) {
        // What the new file's provenance shows is not a change of the
        // same build: report what happened, not a downgrade.
        changes.push(Change::DiffChecksum(change));
        return;
    }
    let pair = Pair {
        before,
        after,
        accept,
    };
    let was = Observed::of(before);
    let now = Observed::of(after);
    changes.extend(evidence_change(&pair, &was, &now));
    changes.extend(repository_change(&pair, &was, &now));
    changes.extend(workflow_change(&pair, &was, &now));
    if let (Some(true), Some(false)) = (was.trustpub_only, now.trustpub_only) {
        changes.push(Change::DiffTrustpubOnly(pair.compared(
            Some(Kind::Downgrade),
            true,
            false,
            Some("crates.io accepts API tokens for the crate again".to_string()),
        )));
    }
    changes.extend(source_downgrade(&pair));
}

/// The evidence level: a drop is a downgrade, a rise an upgrade; a side
/// that could not be checked makes a possible drop unchecked.
fn evidence_change(pair: &Pair<'_>, was: &Observed, now: &Observed) -> Option<Change> {
    let unchecked = |side: &'static str, errors: &[SourceError]| {
        Change::DiffUnchecked(Unchecked {
            name: pair.after.outcome.name.clone(),
            version: pair.after.outcome.version.clone(),
            previous_version: pair.before.outcome.version.clone(),
            side,
            from: was.evidence,
            to: now.evidence,
            errors: errors.to_vec(),
        })
    };
    match (was.checked, now.checked) {
        (true, true) if now.evidence < was.evidence => Some(Change::DiffDowngrade(pair.compared(
            Some(Kind::Downgrade),
            was.evidence,
            now.evidence,
            None,
        ))),
        (true, true) if now.evidence > was.evidence => Some(Change::DiffUpgrade(pair.compared(
            None,
            was.evidence,
            now.evidence,
            None,
        ))),
        (true, true) => None,
        // Nothing known now: a drop cannot be ruled out unless there was nothing to lose.
        (_, false) if !(was.checked && was.evidence == EvidenceLevel::None) => {
            Some(unchecked("new", &now.source_errors))
        }
        (_, false) => None,
        // Nothing known before: only the highest level cannot be a drop.
        (false, true) if now.evidence < EvidenceLevel::Attested => {
            Some(unchecked("old", &was.source_errors))
        }
        (false, true) => None,
    }
}

/// The repository URL or ID, when both sides state them.
fn repository_change(pair: &Pair<'_>, was: &Observed, now: &Observed) -> Option<Change> {
    let uri_changed = match (&was.repository, &now.repository) {
        (Some(a), Some(b)) => a != b && !same_repository(a, b),
        _ => false,
    };
    let id_changed = match (&was.repository_id, &now.repository_id) {
        (Some(a), Some(b)) => a.trim_start_matches('0') != b.trim_start_matches('0'),
        _ => false,
    };
    if !(uri_changed || id_changed) {
        return None;
    }
    let note = match (id_changed, &was.repository_id, &now.repository_id) {
        (false, Some(_), Some(_)) => {
            Some("same repository ID: the repository was renamed or transferred".to_string())
        }
        (true, _, _) if !uri_changed => Some(
            "same URL, another repository ID: the repository was deleted and its name reused"
                .to_string(),
        ),
        _ => None,
    };
    let facts = |o: &Observed| RepositoryFacts {
        repository: o.repository.clone(),
        repository_id: o.repository_id.clone(),
    };
    Some(Change::DiffRepository(pair.compared(
        Some(Kind::Repository),
        facts(was),
        facts(now),
        note,
    )))
}

/// The workflow and signer workflow (without its ref), when both sides
/// are attested.
fn workflow_change(pair: &Pair<'_>, was: &Observed, now: &Observed) -> Option<Change> {
    let (Some(a), Some(b)) = (&was.workflow, &now.workflow) else {
        return None;
    };
    let without_ref = |s: &Option<String>| {
        s.as_deref()
            .map(|s| s.rsplit_once('@').map_or(s, |(w, _)| w).to_string())
    };
    if a == b && without_ref(&was.signer_workflow) == without_ref(&now.signer_workflow) {
        return None;
    }
    let facts = |o: &Observed| WorkflowFacts {
        workflow: o.workflow.clone(),
        signer_workflow: o.signer_workflow.clone(),
    };
    Some(Change::DiffWorkflow(pair.compared(
        Some(Kind::Workflow),
        facts(was),
        facts(now),
        None,
    )))
}

/// A version whose published files were its repository's at its commit,
/// followed by one whose are not (or that names no commit): a downgrade;
/// or by one whose could not be compared: evidence lost, never failing
/// (nothing is known against it) but not checked. A version that was not
/// compared before says nothing: the comparison does not decide the
/// evidence level, whose own drop is reported above.
fn source_downgrade(pair: &Pair<'_>) -> Option<Change> {
    let result = |p: &PackageReport| p.source_match.as_ref().map(|m| m.result);
    let (Some(SourceResult::Matches), Some(now)) = (result(pair.before), result(pair.after)) else {
        return None;
    };
    let kind = match now {
        SourceResult::Differs | SourceResult::NoVcsInfo => Some(Kind::Downgrade),
        SourceResult::NotChecked => None,
        SourceResult::Matches => return None,
    };
    let note = pair.after.source_match.as_ref().map(|m| match now {
        SourceResult::Differs => format!(
            "not as at commit {}: {}",
            m.commit.as_deref().unwrap_or("?"),
            m.files_in_brief(5)
        ),
        SourceResult::NotChecked => format!(
            "the new version's source could not be compared: {}",
            m.reason.as_deref().unwrap_or("no reason given")
        ),
        _ => "the new version's package names no commit".to_string(),
    });
    Some(Change::DiffSource(pair.compared(
        kind,
        SourceResult::Matches,
        now,
        note,
    )))
}

/// The same version and source pinning another checksum.
fn checksum_change(before: &PackageReport, after: &PackageReport) -> Option<ChecksumChange> {
    let same_release = before.outcome.version == after.outcome.version
        && before.outcome.source == after.outcome.source;
    match (&before.checksum, &after.checksum) {
        (Some(from), Some(to)) if same_release && from != to => Some(ChecksumChange {
            name: after.outcome.name.clone(),
            version: after.outcome.version.clone(),
            source: after.outcome.source.clone(),
            from: from.clone(),
            to: to.clone(),
        }),
        _ => None,
    }
}

/// A package and its previous version.
struct Pair<'a> {
    before: &'a PackageReport,
    after: &'a PackageReport,
    accept: &'a Acceptor<'a>,
}

impl Pair<'_> {
    /// One change; `kind` is the kind of acceptance it needs to pass, `None`
    /// for a change that never fails.
    fn compared<T>(&self, kind: Option<Kind>, from: T, to: T, note: Option<String>) -> Compared<T> {
        let name = &self.after.outcome.name;
        let accepted = kind.and_then(|k| {
            self.accept
                .find(k, name)
                .or_else(|| self.accept.published_before(self.before, self.after))
        });
        Compared {
            name: name.clone(),
            version: self.after.outcome.version.clone(),
            previous_version: self.before.outcome.version.clone(),
            from,
            to,
            fails: kind.is_some() && accepted.is_none(),
            accepted,
            note,
        }
    }
}

/// The old lockfile's inventory, read as a bare lockfile, with what the new
/// run knows that a bare lockfile cannot say: each package's declared
/// repository (by name, so that `github` asks the same repository for
/// both versions) and which packages are workspace members.
pub(crate) fn baseline_inventory(path: &Path, new: &Inventory) -> Result<Inventory, RunError> {
    let mut old = Inventory::from_lockfile(path)?;
    for package in &mut old.packages {
        let same_name = new.packages.iter().filter(|p| p.name == package.name);
        for known in same_name {
            if package.repository.is_none() {
                package.repository.clone_from(&known.repository);
            }
            if known.workspace_member && package.source == PackageSource::Path {
                package.workspace_member = true;
            }
        }
    }
    // Discovery of the policy starts where the new run's did.
    old.workspace_root = new.workspace_root.clone().or_else(|| {
        new.lockfile
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
    });
    Ok(old)
}

/// Make `config` ready for a diff against `baseline`: the new inventory is
/// loaded (when it is not already), and every package that is not the same
/// on both sides is marked as compared, so that what the diff compares
/// (the evidence level, the publish time) is asked for where no rule
/// would ask. Packages the same on both sides cannot change.
pub fn prepare_baseline(config: &mut RunConfig, baseline: &Path) -> Result<(), RunError> {
    let new = match &config.inventory {
        InventorySelection::Loaded(inventory) => (**inventory).clone(),
        _ => config.load_inventory()?,
    };
    let old = baseline_inventory(baseline, &new)?;
    let checksums = |inventory: &Inventory| -> std::collections::BTreeSet<String> {
        inventory
            .packages
            .iter()
            .filter_map(|p| p.checksum.map(|c| c.to_hex()))
            .collect()
    };
    let (before, after) = (checksums(&old), checksums(&new));
    config.compared = before.symmetric_difference(&after).cloned().collect();
    config.inventory = InventorySelection::Loaded(Box::new(new));
    Ok(())
}

/// Run the job over the old lockfile with the new run's policy, sources,
/// trust roots and cache, and compare.
pub fn against_baseline(
    config: &RunConfig,
    new: &Run,
    baseline: &Path,
    accept: &Accept,
) -> Result<Diff, RunError> {
    let inventory = baseline_inventory(baseline, &new.inventory)?;
    let mut config = config.clone();
    config.inventory = InventorySelection::Loaded(Box::new(inventory));
    // What the rate-limited services will be asked was said before the
    // new lockfile's run: said again, every note would show twice.
    config.announce = None;
    if config.policy.is_none() {
        config.policy.clone_from(&new.policy.path);
    }
    let old = collect(&config)?;
    Ok(Diff::new(&old, new, accept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{Outcome, PackageOutcome, RuleRef, RuleRefKind};

    fn package(name: &str, version: &str) -> PackageReport {
        PackageReport {
            outcome: PackageOutcome {
                name: name.into(),
                version: version.parse().unwrap(),
                source: PackageSource::CratesIo,
                evidence: EvidenceLevel::None,
                rule: RuleRef {
                    kind: RuleRefKind::BuiltIn,
                    index: None,
                    selector: None,
                    span: None,
                },
                applied: Default::default(),
                outcome: Outcome::NoProvenance,
            },
            checksum: None,
            workspace_member: false,
            lockfile_line: 1,
            provenance: None,
            registry: None,
            record: None,
            published: None,
            attestations: 0,
            rejected: Vec::new(),
            decided_by: Vec::new(),
            other_repository: Vec::new(),
            source_errors: Vec::new(),
            source_match: None,
            direct: false,
            dev_only: false,
            build_time: None,
            dependency_path: Vec::new(),
        }
    }

    #[test]
    fn each_version_is_compared_with_the_closest_previous_one() {
        let old = [
            package("syn", "1.0.109"),
            package("syn", "2.0.100"),
            package("syn", "3.0.0"),
        ];
        let old: Vec<&PackageReport> = old.iter().collect();
        let pick = |v: &str| {
            previous(&package("syn", v), &old, false).map(|i| old[i].outcome.version.to_string())
        };
        assert_eq!(pick("2.0.100").as_deref(), Some("2.0.100"));
        assert_eq!(pick("2.0.119").as_deref(), Some("2.0.100"));
        assert_eq!(pick("1.0.200").as_deref(), Some("1.0.109"));
        assert_eq!(pick("0.15.0").as_deref(), Some("1.0.109"));
        assert_eq!(pick("4.0.0").as_deref(), Some("3.0.0"));
        assert_eq!(previous(&package("syn", "1.0.0"), &[], false), None);
    }

    #[test]
    fn a_violation_outweighs_an_error_in_the_combined_exit_code() {
        assert_eq!(combine(0, 0), 0);
        assert_eq!(combine(0, 2), 2);
        assert_eq!(combine(2, 1), 1);
        assert_eq!(combine(1, 0), 1);
    }

    /// `enforce-since` accepts a change only when both versions were
    /// published before the day: a rollback from a release published since
    /// to an old version counts, as does any change involving a version of
    /// unknown date; published exactly at the start of the day is not before.
    #[test]
    fn enforce_since_accepts_a_change_only_when_both_versions_are_older() {
        let cli = Accept::default();
        let span = crate::policy::PolicySpan {
            offset: 0,
            length: 1,
            line: 7,
            column: 1,
        };
        let config = DiffConfig {
            enforce_since: Some(Spanned::new("2026-01-01".parse().unwrap(), span)),
            ..DiffConfig::default()
        };
        let accept = Acceptor {
            policy: &config,
            file: Some("provenance.toml".into()),
            cli: &cli,
        };
        let published = |version: &str, at: Option<&str>| {
            let mut package = package("a", version);
            package.published = at.map(|t| t.parse().unwrap());
            package
        };
        let old = Some("2017-06-01T00:00:00Z");
        let recent = Some("2026-03-01T00:00:00Z");
        let start = Some("2026-01-01T00:00:00Z");
        for (before, after, accepted) in [
            (old, old, true),
            (recent, old, false),
            (old, recent, false),
            (recent, recent, false),
            (old, start, false),
            (start, old, false),
            (None, old, false),
            (old, None, false),
        ] {
            let acceptance =
                accept.published_before(&published("1.1.0", before), &published("1.0.0", after));
            assert_eq!(acceptance.is_some(), accepted, "{before:?} → {after:?}");
        }
        let acceptance = accept
            .published_before(&published("1.1.0", old), &published("1.0.0", old))
            .unwrap();
        assert_eq!(acceptance.by, "enforce-since");
        assert_eq!(acceptance.line, Some(7));
        assert_eq!(
            acceptance.pattern,
            "1.1.0 published 2017-06-01T00:00:00Z, 1.0.0 published 2017-06-01T00:00:00Z, both before 2026-01-01"
        );
        let without = DiffConfig::default();
        let accept = Acceptor {
            policy: &without,
            ..accept
        };
        assert!(accept
            .published_before(&published("1.1.0", old), &published("1.0.0", old))
            .is_none());
    }

    #[test]
    fn a_level_that_could_not_be_checked_hides_a_possible_downgrade() {
        let cli = Accept::default();
        let config = DiffConfig::default();
        let accept = Acceptor {
            policy: &config,
            file: None,
            cli: &cli,
        };
        let attested = |name: &str, version: &str| {
            let mut p = package(name, version);
            p.outcome.evidence = EvidenceLevel::Attested;
            p
        };
        let unknown = |name: &str, version: &str| {
            let mut p = package(name, version);
            p.source_errors
                .push(SourceError::new("github", "rate limited"));
            p
        };
        let kinds = |old: &[PackageReport], new: &[PackageReport]| {
            compare(old, new, &accept)
                .iter()
                .map(|c| {
                    serde_json::to_value(c).unwrap()["reason"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(&[attested("a", "1.0.0")], &[unknown("a", "1.1.0")]),
            ["diff-unchecked"]
        );
        assert_eq!(
            kinds(&[unknown("a", "1.0.0")], &[package("a", "1.1.0")]),
            ["diff-unchecked"]
        );
        // Nothing to lose, or the highest level now: nothing hidden.
        assert!(kinds(&[package("a", "1.0.0")], &[unknown("a", "1.1.0")]).is_empty());
        assert!(kinds(&[unknown("a", "1.0.0")], &[attested("a", "1.1.0")]).is_empty());
        assert_eq!(
            kinds(&[attested("a", "1.0.0")], &[package("a", "1.1.0")]),
            ["diff-downgrade"]
        );
    }
}
