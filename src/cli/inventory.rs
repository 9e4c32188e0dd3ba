//! `cargo verify-provenance inventory`: the packages of the lockfile and how
//! each can be checked.

use std::io::Write;

use clap::Args;
use miette::{IntoDiagnostic, Result};

use super::{GlobalOptions, OutputFormat, RunArgs, ScopeArgs, WorkspaceArgs};
use crate::escape::Untrusted;
use crate::exit;
use crate::lockfile::{Inventory, InventoryDocument, OutOfScope, Package, Scope};

#[derive(Args, Debug)]
pub struct InventoryArgs {
    /// How the inventory is written on stdout: a table, or one JSON document.
    #[arg(long, alias = "format", value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Human)]
    pub message_format: OutputFormat,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

pub fn run(global: &GlobalOptions, args: &InventoryArgs) -> Result<i32> {
    let run_args = RunArgs {
        workspace: args.workspace.clone(),
        ..RunArgs::default()
    };
    let mut inventory = run_args.run_config(global).load_inventory()?;
    inventory.apply_scope(&Scope {
        targets: args.scope.targets.clone(),
        exclude_dev: args.scope.no_dev,
    })?;
    let mut stdout = super::stdout();
    match args.message_format {
        OutputFormat::Json => {
            writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&InventoryDocument::new(&inventory))
                    .into_diagnostic()?
            )
            .into_diagnostic()?;
        }
        OutputFormat::Human => {
            let mut stdout = super::text_stdout();
            for line in table(&inventory) {
                writeln!(stdout, "{line}").into_diagnostic()?;
            }
            stdout.flush().into_diagnostic()?;
        }
    }
    Ok(exit::PASS)
}

/// The human table: a header row naming each column, then one row per
/// package; columns as wide as their widest cell, no trailing spaces.
fn table(inventory: &Inventory) -> Vec<String> {
    const HEADER: [&str; 6] = [
        "PACKAGE",
        "SOURCE",
        "CHECKSUM",
        "USE",
        "BUILD-TIME",
        "REPOSITORY",
    ];
    let mut rows: Vec<[String; 6]> = vec![HEADER.map(str::to_string)];
    for package in &inventory.packages {
        let checksum = match package.checksum_absence() {
            None => "checksum".to_string(),
            Some(absence) => serde_json::to_value(absence)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        };
        rows.push([
            Untrusted(package.id()).to_string(),
            package.source.kind().to_string(),
            checksum,
            how_used(package).to_string(),
            build_time(package).to_string(),
            Untrusted(package.repository.as_deref().unwrap_or("-")).to_string(),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                line.push_str(cell);
                if i + 1 < row.len() {
                    line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

/// How the workspace uses a package: `member`, `direct`, `transitive`, or
/// why it is outside the scope (`dev-only`, `other-platform`, `not-built`).
fn how_used(package: &Package) -> &'static str {
    match &package.out_of_scope {
        Some(OutOfScope::DevOnly) => "dev-only",
        Some(OutOfScope::OtherPlatforms { .. }) => "other-platform",
        Some(OutOfScope::NotBuilt) => "not-built",
        None if package.workspace_member => "member",
        None if package.direct => "direct",
        None => "transitive",
    }
}

/// The code it runs at build time: `proc-macro`, `build-script`, both,
/// `-` for none, `unknown` for a bare lockfile.
fn build_time(package: &Package) -> &'static str {
    match package.build_time {
        None => "unknown",
        Some(b) if b.proc_macro && b.build_script => "proc-macro+build-script",
        Some(b) if b.proc_macro => "proc-macro",
        Some(b) if b.build_script => "build-script",
        Some(_) => "-",
    }
}
