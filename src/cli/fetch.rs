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
use crate::report::failures;
use crate::run::queries;
use crate::words::count;

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
    let (report, labels) = fetch_in_scope(global, args)?;
    match args.message_format {
        OutputFormat::Json => writeln!(
            super::stdout(),
            "{}",
            serde_json::to_string_pretty(&json_report(&report)).into_diagnostic()?
        )
        .into_diagnostic()?,
        OutputFormat::Human => write_human(&report, global.verbose > 0)?,
    }
    // Failures grouped as in the main report: unreachable hosts named once,
    // one line per source and kind of failure, with counts.
    for warning in &report.warnings {
        super::say_warning("cache-write-failed", warning);
    }
    for warning in failures::source_warnings(
        report
            .packages
            .iter()
            .map(|p| p.errors.as_slice())
            .filter(|errors| !errors.is_empty()),
        &labels,
        failures::Unreachable::FETCH,
    ) {
        super::say_warning(&warning.code, &warning.message);
    }
    let missing = report.missing_message();
    if let Some(message) = &missing {
        super::say_error("offline-not-cached", message);
    }
    if !global.quiet {
        let _ = writeln!(super::text_stderr(), "{}", Totals::of(&report).line());
    }
    // A source that could not answer leaves the cache incomplete, even for
    // a package another source found bundles for.
    let source_failed = report.packages.iter().any(|p| !p.errors.is_empty());
    Ok(if !source_failed && missing.is_none() {
        exit::PASS
    } else {
        exit::ERROR
    })
}

/// Ask the sources for every package in scope, through the cache; the
/// report, and the labels of the sources asked.
fn fetch_in_scope(global: &GlobalOptions, args: &FetchArgs) -> Result<(FetchReport, Vec<String>)> {
    let mut config = args.run_args().run_config(global);
    config.no_attestation_ttl = args.no_attestation_ttl;
    let mut inventory = config.load_inventory()?;
    let policy = config.load_policy(&inventory)?;
    // Packages outside the scope are not fetched; a bare lockfile is whole.
    let mut notes = Vec::new();
    config.apply_scope(&mut inventory, &policy, &mut notes)?;
    if !global.quiet {
        for note in &notes {
            super::say_warning(note.code, &note.message);
        }
    }
    let sources = config.sources(&policy);
    let cache = config.open_cache()?;
    let mut queries = queries(&inventory, &policy);
    crate::run::prefetch_sources(&config, &sources, &cache, &mut queries);
    let report = fetch(
        queries,
        &sources,
        Some(&cache),
        &config.fetch_options(&policy),
    )?;
    Ok((report, sources.iter().map(|s| s.label()).collect()))
}

/// One line per package; with `verbose`, each source's answer and each
/// bundle set aside below it.
fn write_human(report: &FetchReport, verbose: bool) -> Result<()> {
    let mut stdout = super::text_stdout();
    for package in &report.packages {
        writeln!(stdout, "{:<40} {}", package.query.id(), summary(package)).into_diagnostic()?;
        if !verbose {
            continue;
        }
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
    stdout.flush().into_diagnostic()
}

/// What `fetch` found for a package: each package is in exactly one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Bundles naming its checksum.
    Bundles,
    /// No bundle, but the registry records who published it.
    RegistryAsserted,
    /// Offline, and some source has no cached answer.
    NotInCache,
    /// Some source could not answer, and nothing was found elsewhere.
    NotFetched,
    /// Every source answered: nothing exists.
    NoAttestation,
}

impl Found {
    fn of(package: &PackageFetch) -> Self {
        if !package.documents.is_empty() {
            Found::Bundles
        } else if package.registry.is_some() {
            Found::RegistryAsserted
        } else if package.missing_from_cache() {
            Found::NotInCache
        } else if !package.errors.is_empty() {
            Found::NotFetched
        } else {
            Found::NoAttestation
        }
    }
}

/// How many packages fell in each class; they add up to all of them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Totals {
    packages: usize,
    bundles: usize,
    registry_asserted: usize,
    no_attestation: usize,
    not_fetched: usize,
    not_in_cache: usize,
}

impl Totals {
    fn of(report: &FetchReport) -> Self {
        let mut totals = Totals {
            packages: report.packages.len(),
            ..Totals::default()
        };
        for package in &report.packages {
            *match Found::of(package) {
                Found::Bundles => &mut totals.bundles,
                Found::RegistryAsserted => &mut totals.registry_asserted,
                Found::NoAttestation => &mut totals.no_attestation,
                Found::NotFetched => &mut totals.not_fetched,
                Found::NotInCache => &mut totals.not_in_cache,
            } += 1;
        }
        totals
    }

    /// `12 packages: 8 with bundles, 0 registry-asserted, 4 no attestation,
    /// 0 could not be fetched, 0 not in the cache`.
    fn line(&self) -> String {
        format!(
            "{}: {} with bundles, {} registry-asserted, {} no attestation, {} could not be fetched, {} not in the cache",
            count(self.packages, "package", "packages"),
            self.bundles,
            self.registry_asserted,
            self.no_attestation,
            self.not_fetched,
            self.not_in_cache,
        )
    }
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
    serde_json::json!({ "format_version": 1, "packages": packages, "warnings": report.warnings })
}

fn summary(package: &PackageFetch) -> String {
    match Found::of(package) {
        Found::Bundles => {
            let sources: Vec<&str> = package
                .outcomes
                .iter()
                .filter(
                    |o| matches!(o.outcome, Outcome::Bundles { documents, .. } if documents > 0),
                )
                .map(|o| o.source.as_str())
                .collect();
            format!(
                "{} from {}",
                count(package.documents.len(), "bundle", "bundles"),
                Untrusted(sources.join(", "))
            )
        }
        Found::RegistryAsserted => {
            let registry = package.registry.as_ref().expect("registry-asserted");
            format!(
                "registry-asserted: {} ({})",
                Untrusted(&registry.repository),
                Untrusted(&registry.registry)
            )
        }
        Found::NotInCache => "not in the cache".into(),
        Found::NotFetched => "could not be fetched".into(),
        Found::NoAttestation => "no attestation".into(),
    }
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Bundles { documents, ignored } => {
            format!(
                "{}, {ignored} for other artifacts",
                count(*documents, "bundle", "bundles")
            )
        }
        Outcome::NoAttestation => "no attestation".into(),
        Outcome::Registry { asserted: true } => "publisher recorded".into(),
        Outcome::Registry { asserted: false } => "no publisher recorded".into(),
        Outcome::NotApplicable { reason } => format!("not applicable: {}", Untrusted(reason)),
        Outcome::NotCached => "not in the cache".into(),
        Outcome::Error { message } => format!("error: {}", Untrusted(message)),
        Outcome::NotAsked => "not asked (bundles already found)".into(),
        Outcome::NotNeeded => "not asked (no rule needs its record)".into(),
        Outcome::CrateListed { trustpub_only } => crate::fetch::crate_listed(*trustpub_only),
    }
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
