//! `cargo verify-provenance inventory`: the packages of the lockfile and how
//! each can be checked.

use std::io::Write;

use clap::Args;
use miette::{IntoDiagnostic, Result};

use super::{GlobalOptions, OutputFormat, RunArgs, WorkspaceArgs};
use crate::exit;

#[derive(Args, Debug)]
pub struct InventoryArgs {
    /// How the inventory is written on stdout: a table, or one JSON document.
    #[arg(long, alias = "format", value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub message_format: OutputFormat,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

pub fn run(global: &GlobalOptions, args: &InventoryArgs) -> Result<i32> {
    let run_args = RunArgs {
        workspace: args.workspace.clone(),
        ..RunArgs::default()
    };
    let inventory = run_args.run_config(global).load_inventory()?;
    let mut stdout = std::io::stdout().lock();
    match args.message_format {
        OutputFormat::Json => {
            writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&inventory).into_diagnostic()?
            )
            .into_diagnostic()?;
        }
        OutputFormat::Human => {
            for package in &inventory.packages {
                let status = match package.checksum_absence() {
                    None => "checksum".to_string(),
                    Some(absence) => serde_json::to_value(absence)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                };
                writeln!(
                    stdout,
                    "{:<40} {:<12} {:<18} {}",
                    package.id(),
                    package.source.kind(),
                    status,
                    package.repository.as_deref().unwrap_or("")
                )
                .into_diagnostic()?;
            }
        }
    }
    Ok(exit::PASS)
}
