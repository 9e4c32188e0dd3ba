//! The report for people: a table of packages on stdout, then a summary
//! line; a diagnostic on stderr for every package that needs attention,
//! pointing into the policy rule that decided it.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};

use super::{PackageReport, Report, Summary};
use crate::evaluate::{Failure, Outcome, Requirement};
use crate::policy::Mode;

/// How much to show.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// `-v`: every package, workspace members included, and the source of each bundle.
    pub verbose: bool,
    /// `-q`: no table, only problems and the summary.
    pub quiet: bool,
    pub color: bool,
}

/// Write the table to `out` (nothing with `-q`).
pub fn write_table(
    report: &Report,
    options: HumanOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if !options.quiet {
        let rows: Vec<&PackageReport> = report
            .by_severity()
            .into_iter()
            .filter(|p| options.verbose || !p.workspace_member)
            .collect();
        let widths = (
            rows.iter().map(|p| p.id().len()).max().unwrap_or(7).max(7),
            rows.iter()
                .map(|p| p.outcome.evidence.to_string().len())
                .max()
                .unwrap_or(8)
                .max(8),
        );
        writeln!(
            out,
            "{:<9} {:<w0$} {:<w1$} REPOSITORY / WORKFLOW",
            "STATUS",
            "PACKAGE",
            "EVIDENCE",
            w0 = widths.0,
            w1 = widths.1
        )?;
        for package in rows {
            writeln!(
                out,
                "{:<9} {:<w0$} {:<w1$} {}",
                paint(
                    package.status(),
                    status_color(package.status()),
                    options.color
                ),
                package.id(),
                package.outcome.evidence.to_string(),
                where_built(package),
                w0 = widths.0,
                w1 = widths.1
            )?;
        }
    }
    Ok(())
}

/// `12 verified, 1 violation, 2 missing, 1 exempt (34 packages)`.
pub fn summary_line(summary: &Summary, mode: Mode) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut line = format!(
        "{} verified, {}, {} missing, {} exempt",
        summary.verified,
        plural(summary.violations, "violation"),
        summary.missing,
        summary.exempt
    );
    if summary.errors > 0 {
        let _ = write!(line, ", {} not checked", summary.errors);
    }
    if summary.registry_asserted > 0 {
        let _ = write!(line, ", {} registry-asserted", summary.registry_asserted);
    }
    let _ = write!(line, " ({} packages", summary.packages);
    if summary.other_pass > 0 {
        let _ = write!(line, "; {} need nothing", summary.other_pass);
    }
    line.push(')');
    if mode == Mode::Audit {
        line.push_str(" [audit mode: violations do not fail the run]");
    }
    line
}

/// Repository and workflow the package was built from, or what is known.
fn where_built(package: &PackageReport) -> String {
    if let Some(provenance) = &package.provenance {
        let repository = provenance.repository.as_deref().unwrap_or("?");
        let workflow = provenance.workflow.as_deref().unwrap_or("?");
        let git_ref = provenance.git_ref.as_deref().unwrap_or("");
        return format!("{repository} {workflow} {git_ref}")
            .trim_end()
            .to_string();
    }
    if let Some(registry) = &package.registry {
        return format!("{} (registry-asserted)", registry.repository);
    }
    match &package.outcome.outcome {
        Outcome::Exempt { reason, .. } => format!("exempt: {reason}"),
        _ if package.workspace_member => "workspace member".to_string(),
        _ if !package.outcome.source.is_registry() => package.outcome.source.to_string(),
        _ if !package.rejected.is_empty() => "bundle failed verification".to_string(),
        _ if !package.source_errors.is_empty() => "could not be checked".to_string(),
        _ => String::new(),
    }
}

fn status_color(status: &str) -> &'static str {
    match status {
        "pass" => "32",
        "violation" | "error" => "31",
        "exempt" | "missing" => "33",
        _ => "0",
    }
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        // Pad before coloring so the escape codes do not break alignment.
        format!("\x1b[{code}m{text:<9}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The diagnostics for every package that needs attention, and the warnings.
pub fn diagnostics(
    report: &Report,
    policy_text: Option<Arc<NamedSource<String>>>,
) -> Vec<PackageDiagnostic> {
    report
        .packages
        .iter()
        .filter_map(|package| PackageDiagnostic::new(package, report.mode, policy_text.clone()))
        .collect()
}

/// Render the diagnostics and warnings to `out` (stderr).
pub fn write_diagnostics(
    report: &Report,
    policy_text: Option<Arc<NamedSource<String>>>,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let handler = miette::GraphicalReportHandler::new_themed(if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    })
    .with_width(100);
    for diagnostic in diagnostics(report, policy_text) {
        let mut text = String::new();
        if handler.render_report(&mut text, &diagnostic).is_ok() {
            writeln!(out, "{text}")?;
        }
    }
    for warning in &report.warnings {
        let place = match (&warning.file, warning.line) {
            (Some(file), Some(line)) => format!(" ({}:{line})", file.display()),
            _ => String::new(),
        };
        writeln!(out, "warning[{}]: {}{place}", warning.code, warning.message)?;
    }
    Ok(())
}

/// One package's problem, pointing into the policy.
#[derive(Debug)]
pub struct PackageDiagnostic {
    code: &'static str,
    severity: Severity,
    message: String,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    source: Option<Arc<NamedSource<String>>>,
}

impl PackageDiagnostic {
    /// The diagnostic for a package, if it needs one.
    pub fn new(
        package: &PackageReport,
        mode: Mode,
        source: Option<Arc<NamedSource<String>>>,
    ) -> Option<Self> {
        let id = package.id();
        let rule = &package.outcome.rule;
        let enforce = mode == Mode::Enforce;
        let (code, severity, message, failures, help) = match &package.outcome.outcome {
            Outcome::Violation { failures } => {
                let rejected = failures
                    .iter()
                    .any(|f| f.requirement == Requirement::BundleVerification);
                let conflict = failures
                    .iter()
                    .any(|f| f.requirement == Requirement::EvidenceConflict);
                let code = if rejected {
                    "bundle-rejected"
                } else if conflict {
                    "evidence-conflict"
                } else {
                    "provenance-violation"
                };
                let severity = if rejected || conflict || enforce {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                let help = if rejected {
                    "a bundle for this exact .crate checksum failed verification: it was tampered with, or made for another trust root; nothing in the policy can waive it".to_string()
                } else if conflict {
                    "the verified bundle and crates.io's record of the publisher name another repository or commit: one of them is not what it claims; nothing in the policy can waive it".to_string()
                } else {
                    format!("if this build is legitimate, change {rule} to accept it, or add an [[exempt]] entry with a reason")
                };
                (
                    code,
                    severity,
                    format!("{id}: provenance does not satisfy {rule}"),
                    failures,
                    Some(help),
                )
            }
            Outcome::Error { errors, failures } => {
                let mut message = format!("{id}: could not be checked");
                for error in errors {
                    let _ = write!(message, "\n  {}: {}", error.source, error.message);
                }
                let severity = if enforce {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                (
                    "provenance-unchecked",
                    severity,
                    message,
                    failures,
                    Some("fix the source (network, token, cache) and run again; a package the policy requires evidence for is never passed unchecked".to_string()),
                )
            }
            _ => return None,
        };
        let mut message = message;
        let mut labels = Vec::new();
        let mut bundles: Vec<&str> = failures
            .iter()
            .filter_map(|f| f.bundle.as_ref().map(|b| b.location.as_str()))
            .collect();
        bundles.dedup();
        for bundle in bundles {
            let _ = write!(message, "\n  bundle: {bundle}");
        }
        for failure in failures {
            match (&failure.span, &source) {
                (Some(span), Some(_)) => labels.push(LabeledSpan::new_with_span(
                    Some(failure_label(failure)),
                    *span,
                )),
                _ => {
                    let _ = write!(message, "\n  {failure}");
                }
            }
        }
        let has_labels = !labels.is_empty();
        Some(Self {
            code,
            severity,
            message,
            help,
            labels,
            source: if has_labels { source } else { None },
        })
    }
}

fn failure_label(failure: &Failure) -> String {
    format!(
        "expected {}, found {}",
        failure.expected,
        failure.found.as_deref().unwrap_or("nothing")
    )
}

impl std::fmt::Display for PackageDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PackageDiagnostic {}

impl Diagnostic for PackageDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}
