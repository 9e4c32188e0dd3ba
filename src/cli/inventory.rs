//! `cargo verify-provenance inventory`: the packages of the lockfile and how
//! each can be checked.

use std::io::Write;

use clap::Args;
use miette::{IntoDiagnostic, Result};

use super::{FactsFormat, GlobalOptions};
use crate::exit;

#[derive(Args, Debug)]
pub struct InventoryArgs {
    /// Output: a table, or one JSON document.
    #[arg(long, value_enum, default_value_t = FactsFormat::Text)]
    pub format: FactsFormat,
}

pub fn run(global: &GlobalOptions, args: &InventoryArgs) -> Result<i32> {
    let inventory = global.run_config().load_inventory()?;
    let mut stdout = std::io::stdout().lock();
    match args.format {
        FactsFormat::Json => {
            writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&inventory).into_diagnostic()?
            )
            .into_diagnostic()?;
        }
        FactsFormat::Text => {
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
