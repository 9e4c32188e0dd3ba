//! `cargo verify-provenance explain NAME[@VERSION]`: the whole evidence
//! chain behind one package's outcome.

use std::io::Write;

use clap::Args;
use miette::{IntoDiagnostic, Result};

use super::{GlobalOptions, OutputFormat, RunArgs};
use crate::explain::{render, select, Explanation, PackageSpec};
use crate::run::{collect, InventorySelection};

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The package: NAME, or NAME@VERSION when the lockfile holds several versions.
    #[arg(value_name = "NAME[@VERSION]", value_parser = PackageSpec::parse)]
    pub package: PackageSpec,
    /// How the explanation is written on stdout: text for people, or one JSON object.
    #[arg(long, alias = "format", value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub message_format: OutputFormat,
    #[command(flatten)]
    pub run: RunArgs,
}

/// `explain`: run the whole job, then lay out one package.
///
/// Checks, in order: the argument names one package of the lockfile
/// (checked before anything is fetched); the run completes; then the
/// package's own outcome gives the exit code.
pub fn run(global: &GlobalOptions, args: &ExplainArgs) -> Result<i32> {
    // A mistyped name fails before any fetching.
    let mut config = args.run.run_config(global);
    let inventory = config.load_inventory()?;
    let index = select(&inventory, &args.package)?;
    config.inventory = InventorySelection::Loaded(Box::new(inventory));
    // Only this package is fetched and verified: its outcome depends on
    // its own evidence and the policy, never on another package's.
    config.only = Some(vec![index]);
    let run = collect(&config)?;
    let index = select(&run.inventory, &args.package)?;
    let explanation = Explanation::new(&run, index);
    let mut stdout = super::stdout();
    match args.message_format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &explanation).into_diagnostic()?;
            writeln!(stdout).into_diagnostic()?;
        }
        OutputFormat::Human => {
            let mut stdout = super::text_stdout();
            stdout
                .write_all(render(&explanation).as_bytes())
                .into_diagnostic()?;
            stdout.flush().into_diagnostic()?;
        }
    }
    stdout.flush().into_diagnostic()?;
    Ok(explanation.exit_code)
}
