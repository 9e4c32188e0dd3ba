//! `cargo verify-provenance completions SHELL` and `cargo verify-provenance
//! man`: shell completions and manual pages, made from the same clap
//! definition as the command line itself, so they cannot drift from it.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use clap_complete::Shell;
use miette::{Diagnostic, IntoDiagnostic, Result};

use super::Cli;
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

/// The command line as the installed binary sees it: what the
/// `verify-provenance` subcommand of `FakeCli` takes, built afresh under the
/// binary's own name (shells complete `cargo-verify-provenance …`, and
/// `man` pages are named after it), so that no name of a subcommand keeps
/// the `cargo` prefix.
pub fn binary_command() -> clap::Command {
    let command = clap::Command::new(BINARY)
        .bin_name(BINARY)
        .version(env!("CARGO_PKG_VERSION"))
        .about(env!("CARGO_PKG_DESCRIPTION"));
    Cli::augment_args(command)
}

/// `completions SHELL`: the completion script on stdout.
pub fn completions(args: &CompletionsArgs) -> Result<i32> {
    let mut command = binary_command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, BINARY, &mut script);
    if args.shell == Shell::Bash {
        script = bash_states_agree(&script);
    }
    // A reader gone early (`| head`) is not an error of the command.
    let _ = super::stdout().write_all(&script);
    Ok(exit::PASS)
}

/// clap_complete's bash script, for a binary whose name has a hyphen,
/// spells the state of a subcommand one way where it walks the words
/// (`cargo__verify__provenance__subcmd__policy`) and another in the arms
/// that complete it (`cargo__subcmd__verify__subcmd__provenance__subcmd__policy`),
/// so nothing after a subcommand would complete (clap-rs/clap#6421). The
/// arms are respelled as the walk spells them.
fn bash_states_agree(script: &[u8]) -> Vec<u8> {
    let walk = format!("{}__subcmd__", BINARY.replace('-', "__"));
    let arms = format!("{}__subcmd__", BINARY.replace('-', "__subcmd__"));
    String::from_utf8_lossy(script)
        .replace(&arms, &walk)
        .into_bytes()
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
