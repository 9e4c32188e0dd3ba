//! A Markdown summary for GitHub Actions job summaries: appended to the file
//! `GITHUB_STEP_SUMMARY` names, when it is set.
//!
//! GitHub renders it as GitHub Flavored Markdown with HTML, so every value
//! from outside goes through `crate::escape::markdown`: names, repositories,
//! workflows and refs as code spans, the details as escaped text.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::{human, Report};
use crate::escape::markdown::{code, text as plain};
use crate::evaluate::Outcome;
use crate::policy::Mode;

/// The heading's verdict: the exit code's, except that in audit mode (which
/// exits 0 whatever the policy finds) a run with violations, or with
/// required packages not checked, says so rather than "passed".
fn verdict(report: &Report) -> String {
    let summary = &report.summary;
    let found: Vec<String> = [
        (summary.violations, "violation", "violations"),
        (
            summary.errors,
            "required package not checked",
            "required packages not checked",
        ),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| crate::words::count(n, one, many))
    .collect();
    match summary.exit_code {
        0 if report.mode == Mode::Audit && !found.is_empty() => {
            format!("{} (audit mode: not failing the run)", found.join(", "))
        }
        0 => "passed".into(),
        1 => "failed".into(),
        _ => "could not complete".into(),
    }
}

/// The Markdown text of `report`.
pub fn render(report: &Report) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "## Dependency provenance: {}\n", verdict(report));
    // Which lockfile, policy and trust roots, as the human report's first
    // line says; file names are text from outside.
    let _ = writeln!(text, "{}\n", plain(&human::header_line(report)));
    // The summary names sources and hosts: text from outside too.
    let _ = writeln!(text, "{}\n", plain(&human::summary_line(report)));
    write_build_time_unattested(report, &mut text);
    let attention: Vec<_> = report
        .by_severity()
        .into_iter()
        .filter(|p| !matches!(p.status(), "pass" | "out-of-scope"))
        .collect();
    if !attention.is_empty() {
        let _ = writeln!(
            text,
            "| status | package | evidence | details |\n|---|---|---|---|"
        );
        for package in attention {
            let details = match &package.outcome.outcome {
                crate::evaluate::Outcome::Violation { failures }
                | crate::evaluate::Outcome::Error { failures, .. } => failures
                    .iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
                crate::evaluate::Outcome::NotChecked { errors } => errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                crate::evaluate::Outcome::Exempt { reason, until, .. } => match until {
                    Some(until) => format!("exempt until {until}: {reason}"),
                    None => format!("exempt: {reason}"),
                },
                _ => String::new(),
            };
            let details = match package.path_text() {
                Some(path) if details.is_empty() => format!("via {path}"),
                Some(path) => format!("{details}; via {path}"),
                None => details,
            };
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} |",
                package.status(),
                code(&package.id()),
                package.outcome.evidence,
                plain(&details)
            );
        }
        text.push('\n');
    }
    let verified: Vec<_> = report
        .packages
        .iter()
        .filter(|p| p.provenance.is_some())
        .collect();
    if !verified.is_empty() {
        let _ = writeln!(
            text,
            "<details><summary>{} with verified provenance</summary>\n\n| package | repository | workflow | ref |\n|---|---|---|---|",
            crate::words::count(verified.len(), "package", "packages")
        );
        for package in verified {
            let provenance = package.provenance.as_ref().expect("filtered");
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} |",
                code(&package.id()),
                code(provenance.repository.as_deref().unwrap_or("")),
                code(provenance.workflow.as_deref().unwrap_or("")),
                code(provenance.git_ref.as_deref().unwrap_or(""))
            );
        }
        text.push_str("\n</details>\n");
    }
    text
}

/// First, the crates that run code on the build machine (proc-macros,
/// build scripts) without a verified attestation: a compromised one owns
/// the runner, so they lead the summary.
fn write_build_time_unattested(report: &Report, text: &mut String) {
    use crate::evidence::EvidenceLevel;
    let unattested: Vec<_> = report
        .by_severity()
        .into_iter()
        .filter(|p| {
            p.runs_at_build_time() == Some(true)
                && !p.workspace_member
                && !matches!(p.outcome.outcome, Outcome::OutOfScope { .. })
                && p.outcome.evidence != EvidenceLevel::Attested
        })
        .collect();
    if unattested.is_empty() {
        return;
    }
    let _ = writeln!(
        text,
        "### Build-time code without an attestation\n\n{} crates in this build run code on the build machine (proc-macros, build scripts) and have no verified attestation.\n\n| status | package | runs | evidence | dependency path |\n|---|---|---|---|---|",
        unattested.len()
    );
    for package in unattested {
        let runs = match package.build_time {
            Some(b) if b.proc_macro && b.build_script => "proc-macro, build script",
            Some(b) if b.proc_macro => "proc-macro",
            _ => "build script",
        };
        let _ = writeln!(
            text,
            "| {} | {} | {runs} | {} | {} |",
            package.status(),
            code(&package.id()),
            package.outcome.evidence,
            plain(&package.path_text().unwrap_or_default())
        );
    }
    text.push('\n');
}

/// Append the summary to `path` (the file `GITHUB_STEP_SUMMARY` names).
pub(crate) fn append(report: &Report, path: &Path) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(render(report).as_bytes())
}
