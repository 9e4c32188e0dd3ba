//! A diff for people (text, and Markdown for GitHub job summaries) and
//! for machines (JSON lines).

use std::fmt::{Display, Write as _};
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Change, Diff, DiffSummary, Observed, RepositoryFacts, Unchecked, WorkflowFacts};
use crate::escape::{markdown, Untrusted};
use crate::evidence::FailureKind;
use crate::exit;

#[derive(Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
enum SummaryMessage<'a> {
    DiffSummary(&'a DiffSummary),
}

/// One JSON object per line: each change, then `diff-summary`.
pub fn write_json(diff: &Diff, out: &mut dyn Write) -> std::io::Result<()> {
    for change in &diff.changes {
        serde_json::to_writer(&mut *out, change).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    serde_json::to_writer(&mut *out, &SummaryMessage::DiffSummary(&diff.summary()))
        .map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// `2 added, 1 removed, 1 downgrade (failing), …`.
pub fn summary_line(s: &DiffSummary) -> String {
    let mut parts = vec![
        format!("{} added", s.added),
        format!("{} removed", s.removed),
    ];
    let mut count = |n: usize, one: &str, many: &str| {
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    };
    count(s.checksum_changes, "checksum change", "checksum changes");
    count(s.downgrades, "downgrade", "downgrades");
    count(s.upgrades, "upgrade", "upgrades");
    count(
        s.repository_changes,
        "repository change",
        "repository changes",
    );
    count(s.workflow_changes, "workflow change", "workflow changes");
    count(s.unchecked, "not checked", "not checked");
    count(s.too_new, "too new", "too new");
    count(s.accepted, "accepted", "accepted");
    let verdict = match s.exit_code {
        exit::PASS => "no provenance change fails".to_string(),
        exit::VIOLATION => format!(
            "{} change{} fail{}",
            s.failing,
            if s.failing == 1 { "" } else { "s" },
            if s.failing == 1 { "s" } else { "" }
        ),
        _ => "some changes could not be checked".to_string(),
    };
    format!("{}: {verdict}", parts.join(", "))
}

// The texts below hold claim values: each is escaped for the terminal
// (and the Markdown escapes it again for itself).
fn repository_text(r: &RepositoryFacts) -> String {
    match (&r.repository, &r.repository_id) {
        (Some(uri), Some(id)) => format!("{} (ID {})", Untrusted(uri), Untrusted(id)),
        (Some(uri), None) => Untrusted(uri).to_string(),
        (None, Some(id)) => format!("ID {}", Untrusted(id)),
        (None, None) => "nothing".into(),
    }
}

fn workflow_text(w: &WorkflowFacts) -> String {
    let mut text = w
        .workflow
        .as_deref()
        .map_or_else(|| "nothing".into(), |w| Untrusted(w).to_string());
    if let Some(signer) = &w.signer_workflow {
        let _ = write!(text, " signed by {}", Untrusted(signer));
    }
    text
}

fn built(o: &Observed) -> String {
    let mut text = o.evidence.to_string();
    if let Some(repository) = &o.repository {
        let _ = write!(text, ", {}", Untrusted(repository));
    }
    if let Some(workflow) = &o.workflow {
        let _ = write!(text, " {}", Untrusted(workflow));
    }
    let _ = write!(text, " ({})", o.outcome);
    text
}

/// Whether one line can say why `u` could not be checked: nothing was
/// cached and the run is offline, or a host could not be reached.
fn told_together(u: &Unchecked) -> bool {
    !u.errors.is_empty()
        && u.errors
            .iter()
            .all(|e| e.kind == FailureKind::NotCached || e.kind.is_unreachable())
}

/// `nothing could be checked (…): a 1.0, b 2.0, … and 41 more`, or
/// `3 packages could not be checked (…): …`.
fn unchecked_together(packages: &[&Unchecked], everything: bool) -> String {
    const SHOWN: usize = 5;
    let mut reasons: Vec<String> = Vec::new();
    for error in packages.iter().flat_map(|u| &u.errors) {
        let reason = match (&error.host, error.kind) {
            (_, FailureKind::NotCached) => {
                "nothing is cached and the run is offline: run `cargo verify-provenance fetch` while online".to_string()
            }
            (Some(host), kind) => format!("cannot reach {}: {}", Untrusted(host), kind.describe()),
            (None, kind) => format!("{}: {}", Untrusted(&error.source), kind.describe()),
        };
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    let mut names = packages
        .iter()
        .take(SHOWN)
        .map(|u| format!("{} {}", u.name, u.version))
        .collect::<Vec<_>>()
        .join(", ");
    if packages.len() > SHOWN {
        let _ = write!(names, " and {} more", packages.len() - SHOWN);
    }
    let head = if everything {
        "nothing could be checked".to_string()
    } else {
        format!("{} packages could not be checked", packages.len())
    };
    format!("{head} ({}): {names}", reasons.join("; "))
}

/// The diff as Markdown, for a GitHub Actions job summary.
pub fn markdown(diff: &Diff) -> String {
    let summary = diff.summary();
    let verdict = match summary.exit_code {
        exit::PASS => "no downgrade",
        exit::VIOLATION => "changes fail",
        _ => "could not be checked",
    };
    let mut text = format!(
        "## Provenance changes: {verdict}\n\n{}\n\n",
        summary_line(&summary)
    );
    if diff.changes.is_empty() {
        return text;
    }
    text.push_str("| | change | package | from | to |\n|---|---|---|---|---|\n");
    for change in &diff.changes {
        let mark = mark(change, ["❌", "✔️ accepted", "⚠️"]);
        let (kind, package, from, to) = markdown_row(change);
        let _ = writeln!(
            text,
            "| {mark} | {kind} | {} | {} | {} |",
            markdown::code(&package),
            markdown::text(&from),
            markdown::text(&to)
        );
    }
    text
}

/// The mark of a change: `marks` for one that fails, one that is
/// accepted and one that could not be checked; none for the rest.
fn mark<'a>(change: &Change, [fails, accepted, unchecked]: [&'a str; 3]) -> &'a str {
    if change.fails() {
        fails
    } else if change.accepted() {
        accepted
    } else if change.unchecked() {
        unchecked
    } else {
        ""
    }
}

/// `name previous → version`, with the arrow of the output.
fn version_change(
    name: &str,
    previous: &dyn Display,
    version: &dyn Display,
    arrow: &str,
) -> String {
    format!("{name} {previous} {arrow} {version}")
}

/// A change's row in the Markdown table: its kind, the package, from and to.
fn markdown_row(change: &Change) -> (&'static str, String, String, String) {
    let changed = |name: &str, previous: &dyn Display, version: &dyn Display| {
        version_change(name, previous, version, "→")
    };
    match change {
        Change::DiffAdded(l) => (
            "added",
            format!("{}@{}", l.name, l.version),
            String::new(),
            built(&l.observed),
        ),
        Change::DiffRemoved(l) => (
            "removed",
            format!("{}@{}", l.name, l.version),
            l.observed.evidence.to_string(),
            String::new(),
        ),
        Change::DiffChecksum(c) => (
            "checksum",
            format!("{}@{}", c.name, c.version),
            format!("sha256 {}", c.from),
            format!("sha256 {} (the same version, another .crate file)", c.to),
        ),
        Change::DiffDowngrade(c) | Change::DiffUpgrade(c) => (
            if matches!(change, Change::DiffDowngrade(_)) {
                "downgrade"
            } else {
                "upgrade"
            },
            changed(&c.name, &c.previous_version, &c.version),
            c.from.to_string(),
            c.to.to_string(),
        ),
        Change::DiffRepository(c) => (
            "repository",
            changed(&c.name, &c.previous_version, &c.version),
            repository_text(&c.from),
            repository_text(&c.to),
        ),
        Change::DiffWorkflow(c) => (
            "workflow",
            changed(&c.name, &c.previous_version, &c.version),
            workflow_text(&c.from),
            workflow_text(&c.to),
        ),
        Change::DiffTrustpubOnly(c) => (
            "trustpub-only off",
            changed(&c.name, &c.previous_version, &c.version),
            "trustpub_only = true".to_string(),
            "trustpub_only = false".to_string(),
        ),
        Change::DiffSource(c) => (
            "source",
            changed(&c.name, &c.previous_version, &c.version),
            format!("source {}", c.from),
            format!("source {}", c.to),
        ),
        Change::DiffUnchecked(u) => (
            "not checked",
            changed(&u.name, &u.previous_version, &u.version),
            u.from.to_string(),
            format!("{} (the {} side could not be checked)", u.to, u.side),
        ),
        Change::DiffMinAge(t) => (
            "too new",
            too_new_package(t, "→"),
            String::new(),
            t.found.clone().unwrap_or_default(),
        ),
    }
}

/// Append the Markdown of the diff to `path` (the file `GITHUB_STEP_SUMMARY` names).
pub fn append_markdown(diff: &Diff, path: &Path) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(markdown(diff).as_bytes())
}

/// Indent of the lines below a change's, under its text.
const INDENT: &str = "                      ";

/// The diff for people: one line per change (a mark, the kind of change,
/// the package and what changed), then the summary line.
pub fn render(diff: &Diff) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "Provenance changes from {} to {}",
        Untrusted(diff.old_lockfile.display()),
        Untrusted(diff.new_lockfile.display())
    );
    for note in &diff.notes {
        let _ = writeln!(w, "note: {}", Untrusted(note));
    }
    if diff.changes.is_empty() {
        let _ = writeln!(w, "  no dependency changed");
    }
    let together = told_together_all(diff);
    for change in &diff.changes {
        if matches!(change, Change::DiffUnchecked(u) if together.iter().any(|t| std::ptr::eq(*t, u)))
        {
            continue;
        }
        let mark = mark(change, ["FAIL", "accepted", "ERROR"]);
        let (kind, text) = change_line(change);
        let _ = writeln!(w, "{mark:<9} {kind:<11} {text}");
        write_note_and_acceptance(w, change);
    }
    if !together.is_empty() {
        let _ = writeln!(
            w,
            "{:<9} {:<11} {}",
            "ERROR",
            "unchecked",
            unchecked_together(&together, together.len() == diff.changes.len())
        );
    }
    let summary = diff.summary();
    let _ = writeln!(w, "{}", summary_line(&summary));
    // A checksum change cannot be accepted: no help for it.
    if summary.failing > summary.checksum_changes {
        let _ = writeln!(
            w,
            "help: if a change is expected, accept it in the policy's [diff] table \
             (allow-downgrade, allow-repository-change, allow-workflow-change) \
             or with --allow-downgrade/--allow-repository-change/--allow-workflow-change NAME"
        );
    }
    out
}

/// The packages that could not be checked for a reason one line can give
/// for all of them ([`told_together`]), when there are two or more.
fn told_together_all(diff: &Diff) -> Vec<&Unchecked> {
    let together: Vec<&Unchecked> = diff
        .changes
        .iter()
        .filter_map(|change| match change {
            Change::DiffUnchecked(u) if told_together(u) => Some(u),
            _ => None,
        })
        .collect();
    if together.len() > 1 {
        together
    } else {
        Vec::new()
    }
}

/// A change's line for people: its kind, and the package with what changed.
fn change_line(change: &Change) -> (&'static str, String) {
    let changed = |name: &str, previous: &dyn Display, version: &dyn Display| {
        version_change(name, previous, version, "->")
    };
    match change {
        Change::DiffAdded(l) => (
            "added",
            format!("{}@{}: {}", l.name, l.version, built(&l.observed)),
        ),
        Change::DiffRemoved(l) => (
            "removed",
            format!("{}@{} (was {})", l.name, l.version, l.observed.evidence),
        ),
        Change::DiffChecksum(c) => (
            "checksum",
            format!(
                "{}@{}: the same version now pins another .crate file (sha256 {} -> {}): it was replaced where it is published, or the lockfile was edited; find out which before trusting it",
                c.name, c.version, c.from, c.to
            ),
        ),
        Change::DiffDowngrade(c) | Change::DiffUpgrade(c) => (
            if matches!(change, Change::DiffDowngrade(_)) {
                "downgrade"
            } else {
                "upgrade"
            },
            format!(
                "{}: {} -> {}",
                changed(&c.name, &c.previous_version, &c.version),
                c.from,
                c.to
            ),
        ),
        Change::DiffRepository(c) => (
            "repository",
            format!(
                "{}: {} -> {}",
                changed(&c.name, &c.previous_version, &c.version),
                repository_text(&c.from),
                repository_text(&c.to)
            ),
        ),
        Change::DiffWorkflow(c) => (
            "workflow",
            format!(
                "{}: {} -> {}",
                changed(&c.name, &c.previous_version, &c.version),
                workflow_text(&c.from),
                workflow_text(&c.to)
            ),
        ),
        Change::DiffTrustpubOnly(c) => (
            "downgrade",
            format!(
                "{}: trustpub_only = true -> false",
                changed(&c.name, &c.previous_version, &c.version)
            ),
        ),
        Change::DiffSource(c) => (
            if change.unchecked() {
                "unchecked"
            } else {
                "downgrade"
            },
            format!(
                "{}: source {} -> {}",
                changed(&c.name, &c.previous_version, &c.version),
                c.from,
                c.to
            ),
        ),
        Change::DiffUnchecked(u) => ("unchecked", unchecked_text(u)),
        Change::DiffMinAge(t) => ("too new", too_new_text(t)),
    }
}

/// A package that could not be checked, with each source's error on a
/// line of its own.
fn unchecked_text(u: &Unchecked) -> String {
    let mut text = format!(
        "{}: the {} lockfile's version could not be checked ({} -> {} as far as known)",
        version_change(&u.name, &u.previous_version, &u.version, "->"),
        u.side,
        u.from,
        u.to
    );
    for error in &u.errors {
        let _ = write!(
            text,
            "\n{INDENT}{}: {}",
            Untrusted(&error.source),
            Untrusted(&error.message)
        );
    }
    text
}

/// A version too new for its rule's `min-age`.
fn too_new_text(t: &super::TooNew) -> String {
    let mut text = too_new_package(t, "->");
    if let Some(found) = &t.found {
        let _ = write!(text, ": {found}");
    }
    if !t.fails {
        text.push_str(" (exempt)");
    }
    text
}

/// Below a change's line: its note, and what accepted it.
fn write_note_and_acceptance(w: &mut String, change: &Change) {
    let (accepted, note) = match change {
        Change::DiffDowngrade(c) | Change::DiffUpgrade(c) => (&c.accepted, &c.note),
        Change::DiffRepository(c) => (&c.accepted, &c.note),
        Change::DiffWorkflow(c) => (&c.accepted, &c.note),
        Change::DiffTrustpubOnly(c) => (&c.accepted, &c.note),
        Change::DiffSource(c) => (&c.accepted, &c.note),
        _ => (&None, &None),
    };
    if let Some(note) = note {
        let _ = writeln!(w, "{INDENT}{}", Untrusted(note));
    }
    if let Some(accepted) = accepted {
        let _ = writeln!(w, "{INDENT}accepted by {}", Untrusted(accepted));
    }
}

/// `name previous -> version`, or `name@version` for a new dependency.
fn too_new_package(t: &super::TooNew, arrow: &str) -> String {
    match &t.previous_version {
        Some(previous) => version_change(&t.name, previous, &t.version, arrow),
        None => format!("{}@{}", t.name, t.version),
    }
}
