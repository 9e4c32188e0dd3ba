//! `cargo verify-provenance fetch`: fill the cache, verify nothing.

use std::io::Write;

use clap::Args;
use miette::{IntoDiagnostic, Result};

use super::{
    GlobalOptions, JobArgs, OutputFormat, PolicyFileArgs, RunArgs, ScopeArgs, SourceArgs,
    WorkspaceArgs,
};
use crate::escape::Untrusted;
use crate::exit;
use crate::fetch::{fetch, FetchReport, Outcome, PackageFetch};
use crate::run::queries;

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// How the results are written on stdout: one line per package, or one JSON document.
    #[arg(long, alias = "format", value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub message_format: OutputFormat,
    /// How long a cached "no attestation" answer is used before asking again
    /// (e.g. `24h`, `90m`, `7d`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub no_attestation_ttl: Option<jiff::SignedDuration>,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub policy: PolicyFileArgs,
    #[command(flatten)]
    pub sources: SourceArgs,
}

impl FetchArgs {
    /// The options of a run, less the trust roots: nothing is verified.
    fn run_args(&self) -> RunArgs {
        RunArgs {
            workspace: self.workspace.clone(),
            scope: self.scope.clone(),
            job: JobArgs {
                policy: self.policy.clone(),
                sources: self.sources.clone(),
                ..JobArgs::default()
            },
        }
    }
}

fn parse_duration(text: &str) -> Result<jiff::SignedDuration, String> {
    // Days are not a fixed length for jiff's span parser; read them here.
    if let Some(days) = text.trim().strip_suffix('d') {
        if let Ok(days) = days.trim().parse::<i64>() {
            return Ok(jiff::SignedDuration::from_hours(days.saturating_mul(24)));
        }
    }
    text.parse::<jiff::SignedDuration>()
        .map_err(|e| format!("`{text}` is not a duration such as 24h, 90m or 7d: {e}"))
        .and_then(|d| {
            if d.is_negative() {
                Err(format!("`{text}` is negative"))
            } else {
                Ok(d)
            }
        })
}

/// Run `fetch`. Exit code 0 when every source answered for every package,
/// 2 when a source failed or (offline) a package is not in the cache.
pub fn run(global: &GlobalOptions, args: &FetchArgs) -> Result<i32> {
    let mut config = args.run_args().run_config(global);
    config.no_attestation_ttl = args.no_attestation_ttl;
    let mut inventory = config.load_inventory()?;
    let policy = config.load_policy(&inventory)?;
    // Packages outside the scope are not fetched; a bare lockfile is whole.
    config.apply_scope(&mut inventory, &policy, &mut Vec::new())?;
    let sources = config.sources(&policy);
    let cache = config.open_cache()?;
    let report = fetch(
        queries(&inventory, &policy),
        &sources,
        Some(&cache),
        &config.fetch_options(&policy),
    )?;

    let mut stdout = super::stdout();
    match args.message_format {
        OutputFormat::Json => writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&json_report(&report)).into_diagnostic()?
        )
        .into_diagnostic()?,
        OutputFormat::Human => {
            let mut stdout = super::text_stdout();
            for package in &report.packages {
                writeln!(stdout, "{:<40} {}", package.query.id(), summary(package))
                    .into_diagnostic()?;
                if global.verbose > 0 {
                    for outcome in &package.outcomes {
                        writeln!(
                            stdout,
                            "    {}: {}{}",
                            Untrusted(&outcome.source),
                            describe(&outcome.outcome),
                            if outcome.cached { " (cached)" } else { "" }
                        )
                        .into_diagnostic()?;
                    }
                    for ignored in &package.ignored {
                        writeln!(
                            stdout,
                            "    ignored {}: {}",
                            Untrusted(&ignored.origin.location),
                            Untrusted(&ignored.reason)
                        )
                        .into_diagnostic()?;
                    }
                }
            }
            stdout.flush().into_diagnostic()?;
        }
    }
    drop(stdout);

    let mut stderr = super::text_stderr();
    for warning in &report.warnings {
        let _ = writeln!(stderr, "warning: {}", Untrusted(warning));
    }
    let errors: Vec<_> = report
        .packages
        .iter()
        .flat_map(|p| p.errors.iter().map(move |e| (p.query.id(), e)))
        .collect();
    for (id, error) in &errors {
        let _ = writeln!(stderr, "error: {id}: {}", Untrusted(&error.message));
    }
    let missing = report.missing_message();
    if let Some(message) = &missing {
        let _ = writeln!(stderr, "error: {message}");
    }
    if !global.quiet {
        let _ = writeln!(stderr, "{}", totals(&report));
    }
    Ok(if errors.is_empty() && missing.is_none() {
        exit::PASS
    } else {
        exit::ERROR
    })
}

/// The JSON output: each package's results, with the bundles named by
/// origin (their content is in the cache, and can be large).
fn json_report(report: &FetchReport) -> serde_json::Value {
    let packages: Vec<serde_json::Value> = report
        .packages
        .iter()
        .map(|package| {
            serde_json::json!({
                "name": package.query.name,
                "version": package.query.version.to_string(),
                "checksum": package.query.checksum.to_hex(),
                "repository_hint": package.query.repository_hint,
                "documents": package.documents.iter().map(|d| &d.origin).collect::<Vec<_>>(),
                "registry": package.registry,
                "ignored": package.ignored,
                "errors": package.errors,
                "outcomes": package.outcomes,
                "missing_from_cache": package.missing_from_cache(),
            })
        })
        .collect();
    serde_json::json!({ "packages": packages, "warnings": report.warnings })
}

fn summary(package: &PackageFetch) -> String {
    if !package.documents.is_empty() {
        let sources: Vec<&str> = package
            .outcomes
            .iter()
            .filter(|o| matches!(o.outcome, Outcome::Bundles { documents, .. } if documents > 0))
            .map(|o| o.source.as_str())
            .collect();
        return format!(
            "{} bundle(s) from {}",
            package.documents.len(),
            Untrusted(sources.join(", "))
        );
    }
    if let Some(registry) = &package.registry {
        return format!(
            "registry-asserted: {} ({})",
            Untrusted(&registry.repository),
            Untrusted(&registry.registry)
        );
    }
    if package.missing_from_cache() {
        return "not in the cache".into();
    }
    if !package.errors.is_empty() {
        return "could not be fetched".into();
    }
    "no attestation".into()
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Bundles { documents, ignored } => {
            format!("{documents} bundle(s), {ignored} for other artifacts")
        }
        Outcome::NoAttestation => "no attestation".into(),
        Outcome::Registry { asserted: true } => "publisher recorded".into(),
        Outcome::Registry { asserted: false } => "no publisher recorded".into(),
        Outcome::NotApplicable { reason } => format!("not applicable: {}", Untrusted(reason)),
        Outcome::NotCached => "not in the cache".into(),
        Outcome::Error { message } => format!("error: {}", Untrusted(message)),
        Outcome::NotAsked => "not asked (bundles already found)".into(),
    }
}

fn totals(report: &FetchReport) -> String {
    let count = |f: &dyn Fn(&PackageFetch) -> bool| report.packages.iter().filter(|p| f(p)).count();
    format!(
        "{} package(s): {} with bundles, {} registry-asserted, {} with errors, {} not in the cache",
        report.packages.len(),
        count(&|p| !p.documents.is_empty()),
        count(&|p| p.documents.is_empty() && p.registry.is_some()),
        count(&|p| !p.errors.is_empty()),
        count(&|p| p.missing_from_cache()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_days_hours_and_minutes() {
        assert_eq!(
            parse_duration("7d").unwrap(),
            jiff::SignedDuration::from_hours(168)
        );
        assert_eq!(
            parse_duration("24h").unwrap(),
            jiff::SignedDuration::from_hours(24)
        );
        assert_eq!(
            parse_duration("90m").unwrap(),
            jiff::SignedDuration::from_mins(90)
        );
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1h").is_err());
    }
}
