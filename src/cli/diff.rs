//! `cargo verify-provenance diff OLD.lock NEW.lock`: what changed in
//! provenance between two lockfiles.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use miette::{IntoDiagnostic, Result};

use super::{AcceptArgs, GlobalOptions, JobArgs, OutputFormat, RunArgs};
use crate::diff;
use crate::lockfile::Inventory;
use crate::run::{collect, InventorySelection};

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The lockfile before the change (e.g. the base branch's).
    #[arg(value_name = "OLD.lock")]
    pub old: PathBuf,
    /// The lockfile after the change.
    #[arg(value_name = "NEW.lock")]
    pub new: PathBuf,
    #[command(flatten)]
    pub accept: AcceptArgs,
    /// How the changes are written on stdout: text for people, or JSON lines.
    #[arg(long, alias = "format", value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub message_format: OutputFormat,
    /// Both lockfiles are checked under the same policy, roots and sources.
    #[command(flatten)]
    pub job: JobArgs,
}

impl DiffArgs {
    /// The options of the job both lockfiles go through (each lockfile is
    /// named on the command line, so there is no workspace to choose).
    fn run_args(&self) -> RunArgs {
        RunArgs {
            job: self.job.clone(),
            ..RunArgs::default()
        }
    }
}

/// `diff OLD.lock NEW.lock`. Exit code: 1 when a change fails, 2 when one
/// could not be checked (or on an error), else 0.
pub fn run(global: &GlobalOptions, args: &DiffArgs) -> Result<i32> {
    let mut config = args.run_args().run_config(global);
    config.inventory = InventorySelection::Loaded(Box::new(Inventory::from_lockfile(&args.new)?));
    diff::prepare_baseline(&mut config, &args.old)?;
    let new = collect(&config)?;
    let diff = diff::against_baseline(&config, &new, &args.old, &args.accept.accept())?;
    match args.message_format {
        OutputFormat::Human => {
            let mut stdout = super::text_stdout();
            if !global.quiet {
                let report = crate::report::Report::from_run(&new);
                writeln!(stdout, "{}", crate::report::human::header_line(&report))
                    .into_diagnostic()?;
            }
            stdout
                .write_all(diff::render(&diff).as_bytes())
                .into_diagnostic()?;
            stdout.flush().into_diagnostic()?;
        }
        OutputFormat::Json => {
            let mut stdout = super::stdout();
            diff::write_json(&diff, &mut stdout).into_diagnostic()?;
            stdout.flush().into_diagnostic()?;
        }
    }
    if args.message_format == OutputFormat::Json && !global.quiet {
        for note in &diff.notes {
            super::say_warning("diff-note", note);
        }
        let mut stderr = super::text_stderr();
        let _ = writeln!(stderr, "{}", diff::summary_line(&diff.summary()));
    }
    Ok(diff.exit_code())
}
