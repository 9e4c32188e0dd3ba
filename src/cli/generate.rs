//! `cargo verify-provenance completions SHELL` and `cargo verify-provenance
//! man`: shell completions and manual pages, made from the same clap
//! definition as the command line itself, so they cannot drift from it.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use miette::{Diagnostic, IntoDiagnostic, Result};

use super::{FakeCli, SUBCOMMAND};
use crate::exit;

/// The name of the installed binary, which completions and pages are for.
pub const BINARY: &str = "cargo-verify-provenance";

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write one page per command into this folder (cargo-verify-provenance.1,
    /// cargo-verify-provenance-diff.1, …) instead of the main page on stdout.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// A manual page that could not be written.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("cannot write the manual pages into {dir}: {source}")]
#[diagnostic(code("man-write-failed"))]
pub struct ManWriteFailed {
    dir: String,
    source: std::io::Error,
}

/// The command line as the installed binary sees it: the `verify-provenance`
/// subcommand of [`FakeCli`], under the binary's own name, since shells
/// complete `cargo-verify-provenance …` and `man` pages are named after it.
pub fn binary_command() -> clap::Command {
    FakeCli::command()
        .find_subcommand(SUBCOMMAND)
        .expect("the subcommand is defined")
        .clone()
        .name(BINARY)
        .bin_name(BINARY)
        .version(env!("CARGO_PKG_VERSION"))
}

/// `completions SHELL`: the completion script on stdout.
pub fn completions(args: &CompletionsArgs) -> Result<i32> {
    let mut command = binary_command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, BINARY, &mut script);
    // A reader gone early (`| head`) is not an error of the command.
    let _ = super::stdout().write_all(&script);
    Ok(exit::PASS)
}

/// `man`: the main page on stdout, or every page into `--out-dir`.
pub fn man(args: &ManArgs) -> Result<i32> {
    let command = binary_command();
    match &args.out_dir {
        Some(dir) => {
            let failed = |source| ManWriteFailed {
                dir: dir.display().to_string(),
                source,
            };
            std::fs::create_dir_all(dir).map_err(failed)?;
            clap_mangen::generate_to(command, dir).map_err(failed)?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .into_diagnostic()?;
            let _ = super::stdout().write_all(&page);
        }
    }
    Ok(exit::PASS)
}
