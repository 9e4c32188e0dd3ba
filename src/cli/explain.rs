//! `cargo verify-provenance explain NAME[@VERSION]`: the whole evidence
//! chain behind one package's outcome.

use std::io::Write;

use clap::{Args, ValueEnum};
use miette::{IntoDiagnostic, Result};

use super::GlobalOptions;
use crate::explain::{render, select, Explanation, PackageSpec};
use crate::run::{collect, InventorySelection};

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The package: NAME, or NAME@VERSION when the lockfile holds several versions.
    #[arg(value_name = "NAME[@VERSION]", value_parser = PackageSpec::parse)]
    pub package: PackageSpec,
    /// Output: text for people, or one JSON object.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ExplainFormat {
    #[default]
    Human,
    Json,
}

/// `explain`: run the whole job, then lay out one package.
///
/// Checks, in order: the argument names one package of the lockfile
/// (checked before anything is fetched); the run completes; then the
/// package's own outcome gives the exit code.
pub fn run(global: &GlobalOptions, args: &ExplainArgs) -> Result<i32> {
    // A mistyped name fails before any fetching.
    let mut config = global.run_config();
    let inventory = config.load_inventory()?;
    select(&inventory, &args.package)?;
    config.inventory = InventorySelection::Loaded(inventory);
    let run = collect(&config)?;
    let index = select(&run.inventory, &args.package)?;
    let explanation = Explanation::new(&run, index);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        ExplainFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &explanation).into_diagnostic()?;
            writeln!(stdout).into_diagnostic()?;
        }
        ExplainFormat::Human => {
            stdout
                .write_all(render(&explanation).as_bytes())
                .into_diagnostic()?;
        }
    }
    stdout.flush().into_diagnostic()?;
    Ok(explanation.exit_code)
}
