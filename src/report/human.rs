//! The report for people: a table of packages on stdout, then a summary
//! line; a diagnostic on stderr for every package that needs attention,
//! pointing into the policy rule that decided it.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};

use super::{count, PackageReport, Report};
use crate::escape::{terminal, Sgr, Terminal, Untrusted};
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

/// The widest a package, repository or workflow cell gets; longer ones
/// are shortened in the middle.
const MAX_CELL: usize = 40;

/// Write the table to `out` (nothing with `-q`): a header naming each
/// column, then one row per package, problems first and, within an
/// outcome, direct dependencies before transitive ones; packages outside
/// the scope only with `-v`. A package built from a verified attestation
/// shows its repository, workflow and ref; any other says why it has its
/// status in place of those three.
///
/// Everything is written through [`Terminal`], and every value from
/// outside is escaped on its own ([`Row::of`]), so no cell can hold a
/// control character or break its line.
pub fn write_table(
    report: &Report,
    options: HumanOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if options.quiet {
        return Ok(());
    }
    let mut out = Terminal::new(out);
    let mut rows: Vec<(&PackageReport, Row)> = report
        .by_severity()
        .into_iter()
        .filter(|p| {
            options.verbose
                || !(p.workspace_member || matches!(p.outcome.outcome, Outcome::OutOfScope { .. }))
        })
        .map(|p| (p, Row::of(p)))
        .collect();
    rows.sort_by_key(|(p, _)| p.severity_rank() * 2 + usize::from(!p.direct));
    let width = |header: &str, cells: &mut dyn Iterator<Item = usize>| {
        cells
            .fold(header.len(), usize::max)
            .min(MAX_CELL.max(header.len()))
    };
    let status_width = width(
        "STATUS",
        &mut rows.iter().map(|(p, _)| status_word(p).len()),
    );
    let ids: Vec<String> = rows
        .iter()
        .map(|(p, _)| terminal(&p.id()).into_owned())
        .collect();
    let package_width = width("PACKAGE", &mut ids.iter().map(|id| chars(id)));
    let dependency_width = width(
        "DEPENDENCY",
        &mut rows.iter().map(|(p, _)| dependency_kind(p).len()),
    );
    let evidence_width = width(
        "EVIDENCE",
        &mut rows
            .iter()
            .map(|(p, _)| p.outcome.evidence.to_string().len()),
    );
    let built = || {
        rows.iter().filter_map(|(_, row)| match row {
            Row::Built {
                repository,
                workflow,
                ..
            } => Some((repository, workflow)),
            Row::Note(_) => None,
        })
    };
    let repository_width = width("REPOSITORY", &mut built().map(|(r, _)| chars(r)));
    let workflow_width = width("WORKFLOW", &mut built().map(|(_, w)| chars(w)));
    let mut line = format!(
        "{:<status_width$} {:<package_width$} {:<dependency_width$} {:<evidence_width$} ",
        "STATUS", "PACKAGE", "DEPENDENCY", "EVIDENCE"
    );
    if built().next().is_some() {
        let _ = write!(
            line,
            "{:<repository_width$} {:<workflow_width$} REF",
            "REPOSITORY", "WORKFLOW"
        );
    } else {
        line.push_str("DETAILS");
    }
    writeln!(out, "{}", line.trim_end())?;
    for ((package, row), id) in rows.iter().zip(&ids) {
        // Padded before it is coloured, so that the colour codes do not
        // break the alignment.
        let status = format!("{:<status_width$}", status_word(package));
        match (options.color, status_color(package.status())) {
            (true, Some(color)) => out.paint(&status, color)?,
            _ => out.write_all(status.as_bytes())?,
        }
        let mut line = format!(
            " {:<package_width$} {:<dependency_width$} {:<evidence_width$} ",
            shorten(id, package_width),
            dependency_kind(package),
            package.outcome.evidence.to_string(),
        );
        match row {
            Row::Built {
                repository,
                workflow,
                git_ref,
            } => {
                let _ = write!(
                    line,
                    "{:<repository_width$} {:<workflow_width$} {git_ref}",
                    shorten(repository, repository_width),
                    shorten(workflow, workflow_width),
                );
            }
            Row::Note(note) => line.push_str(note),
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    out.flush()
}

/// The status as the table shows it: `no provenance`, `not checked`, ….
fn status_word(package: &PackageReport) -> String {
    package.status().replace('-', " ")
}

/// `member`, `direct` or `transitive`, with `build-time` for a crate that
/// runs code at build time (a proc-macro or a build script).
fn dependency_kind(package: &PackageReport) -> &'static str {
    let build_time = package.runs_at_build_time() == Some(true);
    match (package.workspace_member, package.direct, build_time) {
        (true, _, _) => "member",
        (false, true, true) => "direct build-time",
        (false, true, false) => "direct",
        (false, false, true) => "transitive build-time",
        (false, false, false) => "transitive",
    }
}

/// What follows the evidence column in a package's row, every value from
/// outside escaped ([`terminal`]: on one line, nothing hidden).
enum Row {
    Built {
        repository: String,
        workflow: String,
        git_ref: String,
    },
    Note(String),
}

impl Row {
    fn of(package: &PackageReport) -> Self {
        let note = match &package.outcome.outcome {
            Outcome::Violation { failures } => first_of(failures.iter().map(|f| f.to_string())),
            Outcome::Exempt { reason, until, .. } => match until {
                Some(until) => format!("exempt until {until}: {reason}"),
                None => format!("exempt: {reason}"),
            },
            Outcome::NotChecked { errors } => first_of(errors.iter().map(source_failure)),
            Outcome::OutOfScope { out_of_scope } => out_of_scope.to_string(),
            Outcome::Error { errors, failures } => format!(
                "{}; {}",
                first_of(failures.iter().map(|f| f.to_string())),
                first_of(errors.iter().map(source_failure))
            ),
            Outcome::NoProvenance if package.outcome.source.is_registry() => {
                "no source has provenance for it".to_string()
            }
            Outcome::NoProvenance => {
                let kind = package.outcome.source.kind();
                format!("{kind} dependency (no [{kind}] table checks it)")
            }
            Outcome::Pass { .. } => {
                if let Some(provenance) = &package.provenance {
                    let cell = |value: &Option<String>, none: &str| {
                        terminal(value.as_deref().unwrap_or(none)).into_owned()
                    };
                    return Row::Built {
                        repository: cell(&provenance.repository, "?"),
                        workflow: cell(&provenance.workflow, "?"),
                        git_ref: cell(&provenance.git_ref, ""),
                    };
                }
                if let Some(registry) = &package.registry {
                    format!("{} (registry-asserted)", registry.repository)
                } else if package.workspace_member {
                    "workspace member".to_string()
                } else {
                    format!("allowed by {}", package.outcome.rule)
                }
            }
        };
        Row::Note(terminal(&note).into_owned())
    }
}

/// `github: DNS lookup failed`.
fn source_failure(error: &crate::evidence::SourceError) -> String {
    match error.kind {
        crate::evidence::FailureKind::Failed => error.message.clone(),
        kind => format!("{}: {}", error.source, kind.describe()),
    }
}

/// The first item, and how many more there are.
fn first_of(mut items: impl Iterator<Item = String>) -> String {
    let first = items.next().unwrap_or_default();
    match items.count() {
        0 => first,
        more => format!("{first} (and {more} more)"),
    }
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `text` in at most `width` characters, shortened in the middle.
fn shorten(text: &str, width: usize) -> String {
    let length = chars(text);
    if length <= width || width < 5 {
        return text.to_string();
    }
    let keep = width - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let mut shortened: String = text.chars().take(head).collect();
    shortened.push('…');
    shortened.extend(text.chars().skip(length - tail));
    shortened
}

/// The line every human report starts with: what was checked, against
/// which policy and trust roots. `lockfile: Cargo.lock; policy:
/// provenance.toml; trust roots: public-good, github`, with `no policy
/// file: nothing required` when the default policy applies.
pub fn header_line(report: &Report) -> String {
    header_text(
        &report.lockfile,
        report.policy.as_deref(),
        &report.trust_roots,
    )
}

/// The first line of every human report (the main run, `diff`,
/// `explain`): `lockfile: …; policy: … (or no policy file: nothing
/// required); trust roots: …`.
pub fn header_text(
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
/// violation, or something required that could not be checked), yellow
/// when packages were not checked, green otherwise.
pub fn painted_summary_line(report: &Report, color: bool) -> String {
    let line = summary_line(report);
    if !color {
        return line;
    }
    let sgr = if report.summary.exit_code != 0 {
        Sgr::RED
    } else if report.summary.not_checked > 0 {
        Sgr::BOLD_YELLOW
    } else {
        Sgr::GREEN
    };
    crate::escape::painted(&line, sgr)
}

/// `12 verified, 1 violation, 1 exempt, 2 no provenance, 0 not checked (34
/// packages)`, then why packages were not checked, if some were.
pub fn summary_line(report: &Report) -> String {
    let summary = &report.summary;
    let mut line = format!(
        "{} verified, {}, {} exempt, {} no provenance, {} not checked",
        summary.verified,
        count(summary.violations, "violation", "violations"),
        summary.exempt,
        summary.no_provenance,
        summary.not_checked,
    );
    if summary.errors > 0 {
        let _ = write!(
            line,
            ", {} (required, not checked)",
            count(summary.errors, "error", "errors")
        );
    }
    if summary.registry_asserted > 0 {
        let _ = write!(line, ", {} registry-asserted", summary.registry_asserted);
    }
    let _ = write!(line, " ({}", count(summary.packages, "package", "packages"));
    if summary.out_of_scope > 0 {
        let _ = write!(line, " in scope, {} out of scope", summary.out_of_scope);
    }
    if summary.other_pass > 0 {
        let _ = write!(
            line,
            "; {} nothing",
            count(summary.other_pass, "needs", "need")
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
    if report.mode == Mode::Audit {
        line.push_str(" [audit mode: violations do not fail the run]");
    }
    line
}

fn status_color(status: &str) -> Option<Sgr> {
    match status {
        "pass" => Some(Sgr::GREEN),
        "violation" | "error" => Some(Sgr::RED),
        "not-checked" => Some(Sgr::BOLD_YELLOW),
        "no-provenance" => Some(Sgr::YELLOW),
        "exempt" => Some(Sgr::CYAN),
        "out-of-scope" => Some(Sgr::DIM),
        _ => None,
    }
}

/// The diagnostics for every package that needs attention, and the warnings.
///
/// Packages required to have evidence that could not be checked only
/// because a host could not be reached, or nothing was cached offline (a
/// cause a warning names once), share one diagnostic listing them.
pub fn diagnostics(
    report: &Report,
    policy_text: Option<Arc<NamedSource<String>>>,
) -> Vec<PackageDiagnostic> {
    let (told, single): (Vec<&PackageReport>, Vec<&PackageReport>) =
        report.packages.iter().partition(|package| {
            matches!(&package.outcome.outcome, Outcome::Error { errors, .. }
                if !errors.is_empty() && errors.iter().all(|e| e.kind.is_unreachable() || e.kind == crate::evidence::FailureKind::NotCached))
        });
    let mut diagnostics: Vec<PackageDiagnostic> = single
        .into_iter()
        .filter_map(|package| PackageDiagnostic::new(package, report.mode, policy_text.clone()))
        .collect();
    if !told.is_empty() {
        diagnostics.push(PackageDiagnostic::unchecked_together(&told, report));
    }
    diagnostics
}

/// Render the diagnostics and warnings to `out` (stderr), every text in
/// them escaped ([`escaped`], [`Terminal`]).
pub fn write_diagnostics(
    report: &Report,
    policy_text: Option<Arc<NamedSource<String>>>,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let style = super::render::Style::new(color);
    for diagnostic in diagnostics(report, policy_text) {
        writeln!(out, "{}", super::render::render(&diagnostic, style))?;
    }
    for warning in &report.warnings {
        writeln!(out, "{}", warning_text(warning, style))?;
    }
    out.flush()
}

/// A warning as one line, `warning[code]: message (file:line)`.
pub fn warning_text(warning: &super::Warning, style: super::render::Style) -> String {
    let mut message = warning.message.clone();
    if let (Some(file), Some(line)) = (&warning.file, warning.line) {
        let _ = write!(message, " ({}:{line})", file.display());
    }
    super::render::warning_line(&warning.code, &message, style)
}

/// `source: message`, without the source twice when the message names it.
fn with_source(error: &crate::evidence::SourceError) -> String {
    if error.message.starts_with(&format!("{}: ", error.source)) {
        Untrusted(&error.message).to_string()
    } else {
        format!(
            "{}: {}",
            Untrusted(&error.source),
            Untrusted(&error.message)
        )
    }
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
    /// One diagnostic for packages required to have evidence that could not
    /// be checked for a reason the warnings name once.
    fn unchecked_together(packages: &[&PackageReport], report: &Report) -> Self {
        const SHOWN: usize = 5;
        let mut ids: Vec<String> = packages
            .iter()
            .take(SHOWN)
            .map(|p| Untrusted(p.id()).to_string())
            .collect();
        if packages.len() > SHOWN {
            ids.push(format!("and {} more", packages.len() - SHOWN));
        }
        let mut paths = String::new();
        for package in packages.iter().take(SHOWN) {
            if let Some(path) = package.path_text() {
                let _ = write!(paths, "\n  dependency path: {path}");
            }
        }
        Self {
            code: "provenance-unchecked",
            severity: if report.mode == Mode::Enforce {
                Severity::Error
            } else {
                Severity::Warning
            },
            message: format!(
                "{} the policy requires evidence for could not be checked: {}{paths}",
                count(packages.len(), "package", "packages"),
                ids.join(", ")
            ),
            help: Some(
                "the warnings below say why; a package the policy requires evidence for is never passed unchecked"
                    .into(),
            ),
            labels: Vec::new(),
            source: None,
        }
    }

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
                } else if let Some(expired) = failures
                    .iter()
                    .find(|f| f.requirement == Requirement::ExemptionExpired)
                {
                    format!(
                        "the [[exempt]] entry for this package {}: renew its `until` date with a reason, or remove the entry and fix what it excused",
                        expired.found.as_deref().unwrap_or("has expired")
                    )
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
                    let _ = write!(message, "\n  {}", with_source(error));
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
        if let Some(path) = package.path_text() {
            let _ = write!(message, "\n  dependency path: {path}");
        }
        if package.runs_at_build_time() == Some(true) {
            message.push_str("\n  runs code at build time (a proc-macro or a build script)");
        }
        let mut labels = Vec::new();
        let mut bundles: Vec<&str> = failures
            .iter()
            .filter_map(|f| f.bundle.as_ref().map(|b| b.location.as_str()))
            .collect();
        bundles.dedup();
        for bundle in bundles {
            let _ = write!(message, "\n  bundle: {}", Untrusted(bundle));
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
        Untrusted(&failure.expected),
        Untrusted(failure.found.as_deref().unwrap_or("nothing"))
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
