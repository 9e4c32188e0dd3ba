//! The report for people: the first line naming what was checked, a table
//! of packages on stdout (`super::table`), then a summary line; the
//! diagnostics on stderr (`super::diagnostics`).

use std::fmt::Write as _;

use super::Report;
use crate::escape::{Sgr, Untrusted};
use crate::policy::{Mode, NotCheckedAction};
use crate::words::count;

pub(crate) use super::diagnostics::warning_text;
pub use super::diagnostics::write_diagnostics;
pub use super::table::{write_table, HumanOptions};

/// The line every human report starts with: what was checked, against
/// which policy and trust roots. `lockfile: Cargo.lock; policy:
/// provenance.toml; trust roots: public-good, github`, with `no policy
/// file: nothing required` when the default policy applies.
pub(crate) fn header_line(report: &Report) -> String {
    header_text(
        &report.lockfile,
        report.policy.as_deref(),
        &report.trust_roots,
    )
}

/// The first line of every human report (the main run, `diff`,
/// `explain`): `lockfile: …; policy: … (or no policy file: nothing
/// required); trust roots: …`.
pub(crate) fn header_text(
    lockfile: &std::path::Path,
    policy: Option<&std::path::Path>,
    trust_roots: &[String],
) -> String {
    let policy = match policy {
        Some(path) => format!("policy: {}", shown_path(path)),
        None => "no policy file: nothing required".to_string(),
    };
    let roots = if trust_roots.is_empty() {
        "none".to_string()
    } else {
        Untrusted(trust_roots.join(", ")).to_string()
    };
    format!(
        "lockfile: {}; {policy}; trust roots: {roots}",
        shown_path(lockfile)
    )
}

/// A path relative to the current folder when it lies below it, escaped
/// (a file name is text from outside).
fn shown_path(path: &std::path::Path) -> String {
    let relative = std::env::current_dir().ok().and_then(|cwd| {
        path.strip_prefix(cwd)
            .ok()
            .map(std::path::Path::to_path_buf)
    });
    let shown = relative
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| path.to_path_buf());
    Untrusted(shown.display()).to_string()
}

/// [`summary_line`], in colour when `color`: red when the run fails (a
/// violation, or a package that could not be checked), yellow when
/// something needs attention but the policy lets the run pass
/// (`not-checked = "warn"`, audit mode), green otherwise: never green while
/// something could not be checked.
pub(crate) fn painted_summary_line(report: &Report, color: bool) -> String {
    let line = summary_line(report);
    if !color {
        return line;
    }
    let summary = &report.summary;
    let sgr = if summary.exit_code != 0 {
        Sgr::RED
    } else if summary.not_checked + summary.errors + summary.violations > 0 {
        Sgr::BOLD_YELLOW
    } else {
        Sgr::GREEN
    };
    crate::escape::painted(&line, sgr)
}

/// `42 pass, 1 violation, 2 exempt, 2 no-provenance, 0 not-checked (47
/// dependencies; 1 workspace member)`, then why packages were not checked,
/// if some were. One word per class, each a status of the table, and the
/// classes add up to the dependencies: `error` and `out-of-scope` appear
/// when some package has them.
pub fn summary_line(report: &Report) -> String {
    let summary = &report.summary;
    let mut classes = vec![
        (summary.pass, "pass"),
        (summary.violations, "violation"),
        (summary.exempt, "exempt"),
        (summary.no_provenance, "no-provenance"),
        (summary.not_checked, "not-checked"),
    ];
    if summary.errors > 0 {
        classes.push((summary.errors, "error"));
    }
    if summary.out_of_scope > 0 {
        classes.push((summary.out_of_scope, "out-of-scope"));
    }
    let dependencies: usize = classes.iter().map(|(n, _)| n).sum();
    let mut line = classes
        .iter()
        .map(|(n, word)| format!("{n} {word}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        line,
        " ({}",
        count(dependencies, "dependency", "dependencies")
    );
    if summary.workspace_members > 0 {
        let _ = write!(
            line,
            "; {}",
            count(
                summary.workspace_members,
                "workspace member",
                "workspace members"
            )
        );
    }
    line.push(')');
    if !report.not_checked_because.is_empty() {
        let _ = write!(
            line,
            "; not checked: {}",
            Untrusted(report.not_checked_because.join("; "))
        );
    }
    line.push_str(mode_note(report));
    line
}

/// What the policy lets pass that would otherwise fail, after the summary.
fn mode_note(report: &Report) -> &'static str {
    match (report.mode, report.not_checked) {
        (Mode::Audit, _) => " [audit mode: violations do not fail the run]",
        (Mode::Enforce, NotCheckedAction::Warn) if report.summary.not_checked > 0 => {
            " [not-checked = \"warn\": what nothing required and could not be checked does not fail the run]"
        }
        _ => "",
    }
}
