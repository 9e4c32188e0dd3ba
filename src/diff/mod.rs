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
//! This file holds the diff as a whole and runs the baseline; `pairs`
//! pairs the packages and compares them, `changes` holds what is reported
//! and `accept` what is accepted; [`render`] and its neighbours write the
//! result as text, Markdown or JSON lines.

mod accept;
mod changes;
mod pairs;
mod render;

use std::path::{Path, PathBuf};

pub use accept::{Accept, Acceptance};
pub use changes::{
    Change, ChecksumChange, Compared, DiffSummary, Listed, Observed, RepositoryFacts, TooNew,
    Unchecked, WorkflowFacts,
};
pub use render::{append_markdown, markdown, render, summary_line, write_json};

use crate::exit;
use crate::lockfile::{Inventory, PackageSource};
use crate::report::Report;
use crate::run::{collect, InventorySelection, Run, RunConfig, RunError};
use accept::Acceptor;
use pairs::{compare, in_scope};

/// The version of the `diff-*` JSON messages; raised on incompatible changes.
pub const DIFF_FORMAT_VERSION: u32 = 2;

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
    use super::pairs::previous;
    use super::*;
    use crate::evaluate::{Outcome, PackageOutcome, RuleRef, RuleRefKind};
    use crate::evidence::{EvidenceLevel, SourceError};
    use crate::policy::{DiffConfig, Spanned};
    use crate::report::PackageReport;

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
