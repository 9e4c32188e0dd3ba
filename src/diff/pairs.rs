//! Pairing each package of the new lockfile with its previous version,
//! and the checks run on each pair (evidence level, repository, workflow,
//! `trustpub_only`, source comparison, checksum, `min-age`). Apart from
//! `mod.rs`, which runs the baseline and holds the diff as a whole.

use std::collections::BTreeMap;

use super::accept::{Acceptor, Kind};
use super::changes::{
    Change, ChecksumChange, Compared, Listed, Observed, RepositoryFacts, TooNew, Unchecked,
    WorkflowFacts,
};
use crate::evidence::{EvidenceLevel, SourceError, SourceResult};
use crate::policy::matcher::same_repository;
use crate::report::PackageReport;

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
pub(super) fn previous(
    new: &PackageReport,
    old: &[&PackageReport],
    same_line: bool,
) -> Option<usize> {
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
pub(super) fn in_scope(
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

pub(super) fn compare(
    old: &[PackageReport],
    new: &[PackageReport],
    accept: &Acceptor<'_>,
) -> Vec<Change> {
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
