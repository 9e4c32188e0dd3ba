//! The command layer: `cargo verify-provenance …` and `cargo-verify-provenance …`.
//!
//! The only part of the program that knows clap, writes to stdout and
//! stderr, and turns results into the process's exit code. Each command
//! (one file each) turns its arguments into the core's typed configuration
//! ([`crate::run::RunConfig`] and the like), calls the core, and renders
//! what it returns.
//!
//! Cargo runs a subcommand binary as `cargo-verify-provenance verify-provenance ARGS`;
//! a direct call has no such first argument. [`FakeCli`] accepts the first
//! form, and [`main`] inserts the subcommand name for the second.

mod check;
mod diff;
mod explain;
mod fetch;
mod global;
mod init;
mod inventory;
mod policy;
mod trust_root;
mod verify_bundle;

use std::io::IsTerminal;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miette::Result;

pub use global::{ColorChoice, GlobalOptions, HttpArgs};

use crate::exit;

/// The name cargo knows this subcommand by.
pub const SUBCOMMAND: &str = "verify-provenance";

#[derive(Parser, Debug)]
#[command(name = "cargo", bin_name = "cargo")]
pub enum FakeCli {
    #[command(name = "verify-provenance", version, about, long_about = None)]
    VerifyProvenance(Cli),
}

/// Verify where every dependency in Cargo.lock was built, from Sigstore provenance.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = false)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub global: GlobalOptions,
    /// Options of the default action (verify every dependency).
    #[command(flatten)]
    pub check: check::CheckArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Verify one Sigstore bundle (the sigstore-conformance client protocol).
    VerifyBundle(verify_bundle::VerifyBundleArgs),
    /// List the packages of the lockfile and how each can be checked.
    Inventory(inventory::InventoryArgs),
    /// Work on the policy file: `policy check` validates it.
    Policy(policy::PolicyArgs),
    /// Fetch every dependency's provenance into the cache (verifies nothing).
    Fetch(fetch::FetchArgs),
    /// Manage the Sigstore trust roots.
    TrustRoot(trust_root::TrustRootArgs),
    /// Show the whole evidence chain behind one package's outcome.
    Explain(explain::ExplainArgs),
    /// Show what changed in provenance between two lockfiles; downgrades fail.
    Diff(diff::DiffArgs),
    /// Write a provenance.toml pinning every dependency to what its provenance shows now.
    Init(init::InitArgs),
}

/// The output of `verify-bundle`, `inventory` and `fetch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FactsFormat {
    Text,
    Json,
}

/// Parse the process arguments (either form) and run. Returns the exit code.
pub fn main() -> i32 {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).map(|a| a != SUBCOMMAND).unwrap_or(true) {
        args.insert(1, SUBCOMMAND.into());
    }
    let FakeCli::VerifyProvenance(cli) = match FakeCli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::ERROR
            } else {
                exit::PASS
            };
        }
    };
    install_report_hook(cli.global.color);
    match run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            exit::ERROR
        }
    }
}

fn install_report_hook(color: ColorChoice) {
    let colored = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal(),
    };
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(colored)
                .unicode(colored)
                .build(),
        )
    }));
}

/// Run a parsed command line. Returns the exit code; errors are exit code 2.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Some(Command::VerifyBundle(args)) => verify_bundle::run(&cli.global, &args),
        Some(Command::Inventory(args)) => inventory::run(&cli.global, &args),
        Some(Command::Policy(args)) => policy::run(&cli.global, &args),
        Some(Command::Fetch(args)) => fetch::run(&cli.global, &args),
        Some(Command::TrustRoot(args)) => trust_root::run(&cli.global, &args),
        Some(Command::Explain(args)) => explain::run(&cli.global, &args),
        Some(Command::Diff(args)) => diff::run(&cli.global, &args),
        Some(Command::Init(args)) => init::run(&cli.global, &args),
        None => check::run(&cli.global, &cli.check),
    }
}
