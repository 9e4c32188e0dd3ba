//! The diagnostics of a run for people, on stderr: one for every package
//! that needs attention, pointing into the policy rule that decided it.
//!
//! Packages whose diagnostics would say the same thing (the same code, the
//! same deciding rule and the same cause) share one, which names a few of
//! them and counts the rest (`-v` names them all), so that a lockfile of
//! hundreds of packages that fail one `require` gives one diagnostic, not
//! hundreds. JSON keeps one message per package.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};

use super::{PackageReport, Report};
use crate::escape::Untrusted;
use crate::evaluate::{Failure, Outcome, Requirement};
use crate::evidence::SourceError;
use crate::policy::{Mode, NotCheckedAction};
use crate::words::count;

/// How many packages a shared diagnostic names without `-v`.
const SHOWN: usize = 5;

/// The diagnostics for every package that needs attention, those that say
/// the same thing merged into one, in the order of their first package.
pub fn diagnostics(
    report: &Report,
    policy_text: Option<Arc<NamedSource<String>>>,
    verbose: bool,
) -> Vec<PackageDiagnostic> {
    let mut groups: Vec<(Finding<'_>, Vec<&PackageReport>)> = Vec::new();
    for package in &report.packages {
        let Some(finding) = Finding::of(package, report) else {
            continue;
        };
        match groups.iter_mut().find(|(f, _)| f.key == finding.key) {
            Some((_, members)) => members.push(package),
            None => groups.push((finding, vec![package])),
        }
    }
    groups
        .into_iter()
        .map(|(finding, members)| match members.as_slice() {
            [one] => PackageDiagnostic::single(one, &finding, policy_text.clone()),
            many => PackageDiagnostic::shared(many, &finding, policy_text.clone(), verbose),
        })
        .collect()
}

/// Render the diagnostics and warnings to `out` (stderr), every text in
/// them escaped.
pub fn write_diagnostics(
    report: &Report,
    policy_text: Option<Arc<NamedSource<String>>>,
    color: bool,
    verbose: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let style = super::diagnostic_style::Style::new(color);
    for diagnostic in diagnostics(report, policy_text, verbose) {
        writeln!(
            out,
            "{}",
            super::diagnostic_style::render(&diagnostic, style)
        )?;
    }
    for warning in &report.warnings {
        writeln!(out, "{}", warning_text(warning, style))?;
    }
    out.flush()
}

/// A warning as one line, `warning[code]: message (file:line)`.
pub fn warning_text(warning: &super::Warning, style: super::diagnostic_style::Style) -> String {
    let mut message = warning.message.clone();
    if let (Some(file), Some(line)) = (&warning.file, warning.line) {
        let _ = write!(message, " ({}:{line})", file.display());
    }
    super::diagnostic_style::warning_line(&warning.code, &message, style)
}

/// What a package's diagnostic says, less the package: packages with the
/// same `key` share one diagnostic.
struct Finding<'a> {
    code: &'static str,
    severity: Severity,
    /// The requirements that failed, each pointing into the policy.
    failures: &'a [Failure],
    /// Sources that could not answer.
    errors: &'a [SourceError],
    /// What the package is, after its name: `provenance does not satisfy …`.
    what: String,
    help: String,
    /// The code, the deciding rule and the cause.
    key: String,
}

impl<'a> Finding<'a> {
    /// The finding for a package that needs attention: a violation, a
    /// package the policy required evidence of that could not be checked,
    /// or one nothing required that could not be checked.
    fn of(package: &'a PackageReport, report: &Report) -> Option<Self> {
        let rule = &package.outcome.rule;
        let fails = |fails: bool| {
            if fails {
                Severity::Error
            } else {
                Severity::Warning
            }
        };
        let enforce = report.mode == Mode::Enforce;
        let (code, severity, failures, errors, what, help): (_, _, &[Failure], &[SourceError], _, _) =
            match &package.outcome.outcome {
                Outcome::Violation { failures } => {
                    let (code, help) = violation_code(failures, rule);
                    let unwaivable = failures.iter().any(|f| f.requirement.is_unwaivable());
                    let what = format!("provenance does not satisfy {rule}");
                    (code, fails(unwaivable || enforce), failures, &[], what, help)
                }
                Outcome::Error { errors, failures } => (
                    "provenance-unchecked",
                    fails(enforce),
                    failures,
                    errors,
                    format!("could not be checked, and {rule} requires evidence"),
                    "fix the source (network, token, cache) and run again; a package the policy requires evidence for is never passed unchecked".to_string(),
                ),
                Outcome::NotChecked { errors } => (
                    "provenance-not-checked",
                    fails(enforce && report.not_checked == NotCheckedAction::Fail),
                    &[],
                    errors,
                    "could not be checked".to_string(),
                    "the warnings say why; fix that and run again. What could not be checked never passes, unless the policy says `not-checked = \"warn\"` (then it is a warning)".to_string(),
                ),
                _ => return None,
            };
        let key = format!("{code}\u{0}{rule}\u{0}{}", cause(failures, errors));
        Some(Self {
            code,
            severity,
            failures,
            errors,
            what,
            help,
            key,
        })
    }
}

/// The code of a violation, and what to do about it.
fn violation_code(failures: &[Failure], rule: &crate::evaluate::RuleRef) -> (&'static str, String) {
    let has = |requirement| failures.iter().any(|f| f.requirement == requirement);
    if has(Requirement::BundleVerification) {
        return ("bundle-rejected", "a bundle for this exact .crate checksum failed verification: it was tampered with, or made for another trust root; nothing in the policy can waive it".to_string());
    }
    if has(Requirement::EvidenceConflict) {
        return ("evidence-conflict", "the verified bundle and crates.io's record of the publisher name another repository or commit: one of them is not what it claims; nothing in the policy can waive it".to_string());
    }
    if failures
        .iter()
        .all(|f| f.requirement == Requirement::MinAge)
    {
        return ("provenance-too-new", format!(
            "this version was published too recently for {rule}'s `min-age`: wait until it passes, keep the previous version meanwhile (`cargo update --precise`), or accept it now with an [[exempt]] entry and a reason"
        ));
    }
    let help = match failures
        .iter()
        .find(|f| f.requirement == Requirement::ExemptionExpired)
    {
        Some(expired) => format!(
            "the [[exempt]] entry for this package {}: renew its `until` date with a reason, or remove the entry and fix what it excused",
            expired.found.as_deref().unwrap_or("has expired")
        ),
        None => format!(
            "if this build is legitimate, change {rule} to accept it, or add an [[exempt]] entry with a reason"
        ),
    };
    ("provenance-violation", help)
}

/// What two packages must share to share a diagnostic: each failed
/// requirement with what was expected and found (a bundle is named by
/// package, so a finding about one is never shared), and each source that
/// could not answer with its kind of failure.
fn cause(failures: &[Failure], errors: &[SourceError]) -> String {
    let mut cause = String::new();
    for failure in failures {
        let _ = write!(cause, "{failure}\u{0}{:?}\u{0}", failure.bundle);
    }
    for error in errors {
        let _ = write!(cause, "{}\u{0}{:?}\u{0}", error.source, error.kind);
    }
    cause
}

/// A host that could not be reached, or nothing cached offline: the
/// warnings name these once for the whole run.
fn told_by_warnings(error: &SourceError) -> bool {
    error.kind.is_unreachable() || error.kind == crate::evidence::FailureKind::NotCached
}

/// `source: message`, without the source twice when the message names it.
fn with_source(error: &SourceError) -> String {
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

/// One diagnostic for one package or several, pointing into the policy.
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
    /// One package's diagnostic: its finding, every source error, its
    /// dependency path, whether it runs code at build time, the bundles the
    /// failures are about, and each failure labelled in the policy.
    fn single(
        package: &PackageReport,
        finding: &Finding<'_>,
        source: Option<Arc<NamedSource<String>>>,
    ) -> Self {
        let mut message = format!("{}: {}", Untrusted(package.id()), finding.what);
        for error in finding.errors.iter().filter(|e| !told_by_warnings(e)) {
            let _ = write!(message, "\n  {}", with_source(error));
        }
        if let Some(path) = package.path_text() {
            let _ = write!(message, "\n  dependency path: {path}");
        }
        if package.runs_at_build_time() == Some(true) {
            message.push_str("\n  runs code at build time (a proc-macro or a build script)");
        }
        let mut bundles: Vec<&str> = finding
            .failures
            .iter()
            .filter_map(|f| f.bundle.as_ref().map(|b| b.location.as_str()))
            .collect();
        bundles.dedup();
        for bundle in bundles {
            let _ = write!(message, "\n  bundle: {}", Untrusted(bundle));
        }
        Self::with_failures(finding, message, source)
    }

    /// The diagnostic several packages share: how many, a few of their
    /// names (every name when `verbose`), the first source error of each
    /// kind, the dependency paths of the first few, and the failures they
    /// share labelled in the policy.
    fn shared(
        packages: &[&PackageReport],
        finding: &Finding<'_>,
        source: Option<Arc<NamedSource<String>>>,
        verbose: bool,
    ) -> Self {
        let shown = if verbose { packages.len() } else { SHOWN };
        let mut names: Vec<String> = packages
            .iter()
            .take(shown)
            .map(|p| Untrusted(p.id()).to_string())
            .collect();
        if packages.len() > shown {
            names.push(format!(
                "and {} more (-v lists them all)",
                packages.len() - shown
            ));
        }
        let mut message = format!(
            "{}: {}\n  {}",
            count(packages.len(), "package", "packages"),
            finding.what,
            names.join(", ")
        );
        for error in finding.errors.iter().filter(|e| !told_by_warnings(e)) {
            let _ = write!(message, "\n  first: {}", with_source(error));
        }
        for package in packages.iter().take(SHOWN) {
            if let Some(path) = package.path_text() {
                let _ = write!(message, "\n  dependency path: {path}");
            }
        }
        Self::with_failures(finding, message, source)
    }

    /// The finding's failures as labels in the policy, or as lines of the
    /// message where the policy's text is not at hand.
    fn with_failures(
        finding: &Finding<'_>,
        mut message: String,
        source: Option<Arc<NamedSource<String>>>,
    ) -> Self {
        let mut labels = Vec::new();
        for failure in finding.failures {
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
        Self {
            code: finding.code,
            severity: finding.severity,
            message,
            help: Some(finding.help.clone()),
            labels,
            source: if has_labels { source } else { None },
        }
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
