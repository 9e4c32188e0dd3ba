//! The default action: `cargo verify-provenance` verifies every dependency
//! and reports; with `--baseline`, also what changed since an older lockfile.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::{Args, ValueEnum};
use miette::{IntoDiagnostic, Result, WrapErr};

use super::{AcceptArgs, ColorChoice, GlobalOptions, RunArgs};
use crate::diff::{self, Accept, Diff};
use crate::escape::Terminal;
use crate::report::{human, json, markdown, sarif, vsa, Report};
use crate::run::{collect, Run, RunConfig};

#[derive(Args, Debug, Clone, Default)]
pub struct CheckArgs {
    /// How the report is written on stdout: a table for people, JSON lines, or SARIF 2.1.0.
    #[arg(long, alias = "format", value_enum, value_name = "FORMAT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// Also compare provenance with this older lockfile (see `diff`): downgrades fail.
    #[arg(long, value_name = "OLD.lock")]
    pub baseline: Option<std::path::PathBuf>,
    /// Also write a SLSA verification summary (an unsigned in-toto statement) per registry package to FILE, one per line.
    #[arg(long, value_name = "FILE")]
    pub vsa_out: Option<std::path::PathBuf>,
    /// Changes to accept with --baseline.
    #[command(flatten)]
    pub accept: AcceptArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum MessageFormat {
    #[default]
    #[value(alias = "text")]
    Human,
    Json,
    Sarif,
}

/// Run the whole job and report. Exit code: 0 pass, 1 violation, 2 error.
pub fn run(global: &GlobalOptions, args: &CheckArgs) -> Result<i32> {
    let mut config = args.run.run_config(global);
    if let Some(baseline) = &args.baseline {
        crate::diff::prepare_baseline(&mut config, baseline)?;
    }
    let run = collect(&config)?;
    let diff = for_check(
        &config,
        &run,
        args.baseline.as_deref(),
        &args.accept.accept(),
    )?;
    let report = Report::from_run(&run);
    if let Some(path) = &args.vsa_out {
        write_vsa(&run, path)?;
    }
    let color = match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal(),
    };
    let mut stdout = super::stdout();
    let mut stderr = super::stderr();
    match args.message_format {
        MessageFormat::Human => {
            write_human(global, &report, &run, color, &mut stdout, &mut stderr)?;
        }
        MessageFormat::Json => json::write(&report, &mut stdout).into_diagnostic()?,
        MessageFormat::Sarif => sarif::write(&report, &mut stdout).into_diagnostic()?,
    }
    if let Some(diff) = &diff {
        write_after_report(
            diff,
            args.message_format,
            global.quiet,
            &mut stdout,
            &mut stderr,
        )
        .into_diagnostic()?;
    }
    stdout.flush().into_diagnostic()?;
    drop(stderr);
    if args.message_format != MessageFormat::Human && !global.quiet {
        write_warnings_and_summary(&report, color);
    }
    super::append_to_step_summary(|path| {
        markdown::append(&report, path).and_then(|()| {
            diff.as_ref()
                .map_or(Ok(()), |diff| diff::append_markdown(diff, path))
        })
    });
    Ok(match &diff {
        Some(diff) => diff::combine(report.summary.exit_code, diff.exit_code()),
        None => report.summary.exit_code,
    })
}

/// The report for people: the header and table on stdout, the diagnostics
/// on stderr, then the summary line on stdout.
fn write_human(
    global: &GlobalOptions,
    report: &Report,
    run: &Run,
    color: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<()> {
    let stdout_color = match global.color {
        ColorChoice::Auto => std::io::stdout().is_terminal(),
        _ => color,
    };
    if !global.quiet {
        writeln!(stdout, "{}", human::header_line(report)).into_diagnostic()?;
    }
    human::write_table(
        report,
        human::HumanOptions {
            verbose: global.verbose > 0,
            quiet: global.quiet,
            color: stdout_color,
        },
        stdout,
    )
    .into_diagnostic()?;
    stdout.flush().into_diagnostic()?;
    human::write_diagnostics(
        report,
        run.policy.text.clone(),
        color,
        global.verbose > 0,
        stderr,
    )
    .into_diagnostic()?;
    writeln!(
        stdout,
        "{}",
        human::painted_summary_line(report, stdout_color)
    )
    .into_diagnostic()
}

/// After a report for machines on stdout: its warnings and summary line
/// for people, on stderr.
fn write_warnings_and_summary(report: &Report, color: bool) {
    for warning in &report.warnings {
        let _ = writeln!(
            super::stderr(),
            "{}",
            human::warning_text(warning, super::stderr_style())
        );
    }
    let _ = writeln!(
        super::stderr(),
        "{}",
        human::painted_summary_line(report, color)
    );
}

/// `--vsa-out FILE`: the run's verification summaries, written before the
/// report so that a run that cannot make them says so before anything else.
fn write_vsa(run: &Run, path: &Path) -> Result<()> {
    let statements = vsa::statements(run)?;
    let mut text = Vec::new();
    vsa::write_lines(&statements, &mut text).into_diagnostic()?;
    std::fs::write(path, text)
        .into_diagnostic()
        .wrap_err_with(|| {
            format!(
                "cannot write the verification summaries to {}",
                path.display()
            )
        })
}

/// `--baseline` on the main command: the diff against the old lockfile, if
/// one is given. `--allow-*` without `--baseline` is a usage error.
fn for_check(
    config: &RunConfig,
    run: &Run,
    baseline: Option<&Path>,
    accept: &Accept,
) -> Result<Option<Diff>> {
    match baseline {
        Some(path) => Ok(Some(diff::against_baseline(config, run, path, accept)?)),
        None if !accept.is_empty() => Err(miette::miette!(
            code = "diff-accept-without-baseline",
            help = "add --baseline OLD.lock, or use `cargo verify-provenance diff OLD.lock NEW.lock`",
            "--allow-downgrade, --allow-repository-change and --allow-workflow-change only apply with --baseline"
        )),
        None => Ok(None),
    }
}

/// The diff after the main report: human text after the summary line, or
/// JSON lines after the report's messages; with SARIF (which has no place
/// for it), as human text on stderr.
fn write_after_report(
    diff: &Diff,
    format: MessageFormat,
    quiet: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        MessageFormat::Human => {
            let mut stdout = Terminal::new(stdout);
            writeln!(stdout)?;
            stdout.write_all(diff::render(diff).as_bytes())?;
            stdout.flush()
        }
        MessageFormat::Json => {
            diff::write_json(diff, stdout)?;
            if quiet {
                return Ok(());
            }
            for note in &diff.notes {
                super::say_warning("diff-note", note);
            }
            let mut stderr = Terminal::new(stderr);
            writeln!(stderr, "{}", diff::summary_line(&diff.summary()))?;
            stderr.flush()
        }
        MessageFormat::Sarif => {
            let mut stderr = Terminal::new(stderr);
            stderr.write_all(diff::render(diff).as_bytes())?;
            stderr.flush()
        }
    }
}
