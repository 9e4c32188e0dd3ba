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
mod generate;
mod global;
mod init;
mod inventory;
mod policy;
mod trust_root;
mod verify_bundle;

use std::io::IsTerminal;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use miette::Result;

pub use global::{
    AcceptArgs, ColorChoice, GlobalOptions, JobArgs, PolicyFileArgs, RootArgs, RunArgs, ScopeArgs,
    SourceArgs, WorkspaceArgs,
};

use crate::escape::Terminal;
use crate::exit;
use crate::report::diagnostic_style::{self, Style};

/// Where `--help` sends a reader for more: the reference built into the
/// binary, and the repository's documents.
const DOCS_HELP: &str = concat!(
    "The policy file's reference: `cargo verify-provenance policy reference`.\n",
    "Every command and option: ",
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/docs/commands.md\n",
    "Outputs, exit codes and diagnostic codes: ",
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/docs/outputs.md"
);

/// The name cargo knows this subcommand by.
pub const SUBCOMMAND: &str = "verify-provenance";

#[derive(Parser, Debug)]
#[command(name = "cargo", bin_name = "cargo")]
pub enum FakeCli {
    #[command(name = "verify-provenance", version, about, long_about = None)]
    VerifyProvenance(Cli),
}

/// Verify where every dependency in Cargo.lock was built, from Sigstore provenance.
///
/// The options of the default action belong to it alone: a subcommand's
/// options follow the subcommand's name.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = false, after_long_help = DOCS_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the default action (verify every dependency).
    #[command(flatten)]
    pub check: check::CheckArgs,
    #[command(flatten)]
    pub global: GlobalOptions,
}

/// The commands, in the order `--help` lists them: the main check first,
/// the conformance-protocol command last.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Verify every dependency against the policy and report (what the bare command does).
    Check(check::CheckArgs),
    /// Write a provenance.toml pinning every dependency to what its provenance shows now.
    Init(init::InitArgs),
    /// Fetch every dependency's provenance and source comparison into the cache (verifies nothing).
    Fetch(fetch::FetchArgs),
    /// Show the whole evidence chain behind one package's outcome.
    Explain(explain::ExplainArgs),
    /// Show what changed in provenance between two lockfiles; downgrades fail.
    Diff(diff::DiffArgs),
    /// List the packages of the lockfile and how each can be checked.
    Inventory(inventory::InventoryArgs),
    /// Work on the policy file: `policy check` validates it, `policy reference` documents it.
    Policy(policy::PolicyArgs),
    /// Manage the Sigstore trust roots.
    TrustRoot(trust_root::TrustRootArgs),
    /// Print the completion script for a shell (bash, elvish, fish, powershell, zsh).
    Completions(generate::CompletionsArgs),
    /// Print the manual page (roff), or write one per command with --out-dir.
    Man(generate::ManArgs),
    /// Verify one Sigstore bundle (the sigstore-conformance client protocol).
    VerifyBundle(verify_bundle::VerifyBundleArgs),
}

/// How a command other than the default action writes its result on
/// stdout (`--message-format`): text for people, or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    #[default]
    #[value(alias = "text")]
    Human,
    Json,
}

/// Parse the process arguments (either form) and run. Returns the exit code.
pub fn main() -> i32 {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).map(|a| a != SUBCOMMAND).unwrap_or(true) {
        args.insert(1, SUBCOMMAND.into());
    }
    let FakeCli::VerifyProvenance(cli) = match parse(args) {
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
            say_diagnostic(report.as_ref());
            exit::ERROR
        }
    }
}

/// Parse a command line (the cargo form). Options of the default action
/// given with a subcommand are an error: that subcommand would not use
/// them. So is `--quiet` with `--verbose`, as in cargo.
pub fn parse(args: Vec<std::ffi::OsString>) -> Result<FakeCli, clap::Error> {
    let mut command = FakeCli::command();
    let matches = command
        .try_get_matches_from_mut(args)
        .map_err(|error| with_check_tip(&mut command, error))?;
    if let Some((SUBCOMMAND, top)) = matches.subcommand() {
        if let Some((name, _)) = top.subcommand() {
            let cli = command
                .find_subcommand_mut(SUBCOMMAND)
                .expect("the subcommand is defined");
            if let Some(error) = misplaced_option(cli, top, name) {
                return Err(error);
            }
        }
    }
    let cli = FakeCli::from_arg_matches(&matches)?;
    // Given on both sides of a subcommand's name, the two flags escape
    // clap's own conflict check.
    let FakeCli::VerifyProvenance(Cli { global, .. }) = &cli;
    if global.quiet && global.verbose > 0 {
        return Err(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            "the argument '--quiet' cannot be used with '--verbose'",
        ));
    }
    Ok(cli)
}

/// `verify` is what people type for the main check: an unknown subcommand
/// that looks like it gets the tip to run `check`, not clap's suggestion
/// of `verify-bundle` (the conformance-protocol command).
fn with_check_tip(command: &mut clap::Command, error: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::InvalidSubcommand {
        return error;
    }
    let Some(ContextValue::String(given)) = error.get(ContextKind::InvalidSubcommand) else {
        return error;
    };
    if !matches!(
        given.as_str(),
        "verify" | "audit" | "run" | "scan" | "checks"
    ) {
        return error;
    }
    let given = given.clone();
    let cli = command
        .find_subcommand_mut(SUBCOMMAND)
        .expect("the subcommand is defined");
    cli.error(
        ErrorKind::InvalidSubcommand,
        format!(
            "unrecognized subcommand '{given}'\n\n  tip: to verify every dependency, run `cargo {SUBCOMMAND} check` (or `cargo {SUBCOMMAND}` alone); `verify-bundle` verifies one Sigstore bundle"
        ),
    )
}

/// The first option of the default action given on the command line
/// before the subcommand `name`, as an error saying where it belongs.
fn misplaced_option(
    cli: &mut clap::Command,
    matches: &clap::ArgMatches,
    name: &str,
) -> Option<clap::Error> {
    let (flag, taken) = {
        let subcommand = cli.find_subcommand(name)?;
        let given = cli.get_arguments().find(|arg| {
            !arg.is_global_set()
                && matches.value_source(arg.get_id().as_str())
                    == Some(clap::parser::ValueSource::CommandLine)
        })?;
        let flag = match (given.get_long(), given.get_short()) {
            (Some(long), _) => format!("--{long}"),
            (None, Some(short)) => format!("-{short}"),
            (None, None) => given.get_id().to_string(),
        };
        let taken = subcommand
            .get_arguments()
            .any(|arg| arg.get_id() == given.get_id());
        (flag, taken)
    };
    let message = if taken {
        format!("`{flag}` goes after the subcommand: `cargo {SUBCOMMAND} {name} {flag} …`")
    } else {
        format!("`{flag}` does not apply to `{name}`; see `cargo {SUBCOMMAND} {name} --help`")
    };
    Some(cli.error(clap::error::ErrorKind::ArgumentConflict, message))
}

/// How diagnostics on stderr are drawn: set once from `--color`.
static STDERR_STYLE: std::sync::OnceLock<Style> = std::sync::OnceLock::new();

fn install_report_hook(color: ColorChoice) {
    let colored = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal(),
    };
    let style = Style::new(colored);
    let _ = STDERR_STYLE.set(style);
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(diagnostic_style::Handler { style })
    }));
}

/// The style of diagnostics on stderr (plain until the hook is installed).
pub(crate) fn stderr_style() -> Style {
    STDERR_STYLE.get().copied().unwrap_or(Style::new(false))
}

/// Write a diagnostic to stderr in the one style of every diagnostic
/// ([`render`]): `error[code]: …` or `warning[code]: …`, escaped.
pub(crate) fn say_diagnostic(diagnostic: &dyn miette::Diagnostic) {
    use std::io::Write as _;
    let _ = write!(
        stderr(),
        "{}",
        diagnostic_style::render(diagnostic, stderr_style())
    );
}

/// Write a one-line error to stderr: `error[code]: message`, escaped.
pub(crate) fn say_error(code: &str, message: &str) {
    use std::io::Write as _;
    let _ = writeln!(
        stderr(),
        "{}",
        diagnostic_style::error_line(code, message, stderr_style())
    );
}

/// Write a one-line warning to stderr: `warning[code]: message`, escaped.
pub(crate) fn say_warning(code: &str, message: &str) {
    use std::io::Write as _;
    let _ = writeln!(
        stderr(),
        "{}",
        diagnostic_style::warning_line(code, message, stderr_style())
    );
}

/// Standard output for text: everything written through it is escaped
/// for the terminal.
pub(crate) fn text_stdout() -> Terminal<Stream<std::io::StdoutLock<'static>>> {
    Terminal::new(stdout())
}

/// Standard error for text, escaped like [`text_stdout`].
pub(crate) fn text_stderr() -> Terminal<Stream<std::io::StderrLock<'static>>> {
    Terminal::new(stderr())
}

/// When `GITHUB_STEP_SUMMARY` names a file (in a GitHub Actions job),
/// append to it what `write` writes there; a warning when it cannot be.
pub(crate) fn append_to_step_summary(write: impl FnOnce(&std::path::Path) -> std::io::Result<()>) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    if let Err(error) = write(&path) {
        say_warning(
            "step-summary",
            &format!(
                "cannot append to GITHUB_STEP_SUMMARY ({}): {error}",
                path.display()
            ),
        );
    }
}

/// Run a parsed command line. Returns the exit code; errors are exit code 2.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Some(Command::Check(args)) => check::run(&cli.global, &args),
        Some(Command::VerifyBundle(args)) => verify_bundle::run(&cli.global, &args),
        Some(Command::Inventory(args)) => inventory::run(&cli.global, &args),
        Some(Command::Policy(args)) => policy::run(&cli.global, &args),
        Some(Command::Fetch(args)) => fetch::run(&cli.global, &args),
        Some(Command::TrustRoot(args)) => trust_root::run(&cli.global, &args),
        Some(Command::Explain(args)) => explain::run(&cli.global, &args),
        Some(Command::Diff(args)) => diff::run(&cli.global, &args),
        Some(Command::Init(args)) => init::run(&cli.global, &args),
        Some(Command::Completions(args)) => generate::completions(&args),
        Some(Command::Man(args)) => generate::man(&args),
        None => check::run(&cli.global, &cli.check),
    }
}

/// stdout or stderr for the commands. A reader that goes away early
/// (`… | head`) is not an error of the work: what it no longer reads is
/// dropped, and the command ends with the status of the work, never with a
/// `Broken pipe` message or a panic.
pub struct Stream<W> {
    inner: W,
    closed: bool,
}

impl<W: std::io::Write> std::io::Write for Stream<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// The process's stdout, locked.
pub fn stdout() -> Stream<std::io::StdoutLock<'static>> {
    Stream {
        inner: std::io::stdout().lock(),
        closed: false,
    }
}

/// The process's stderr, locked.
pub fn stderr() -> Stream<std::io::StderrLock<'static>> {
    Stream {
        inner: std::io::stderr().lock(),
        closed: false,
    }
}

#[cfg(test)]
mod tests {
    use std::io::{ErrorKind, Result, Write};

    use super::*;

    struct Gone;

    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> Result<usize> {
            Err(ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> Result<()> {
            Err(ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_reader_that_went_away_is_not_an_error_but_other_failures_are() {
        let mut stream = Stream {
            inner: Gone,
            closed: false,
        };
        assert!(writeln!(stream, "a line").is_ok());
        assert!(stream.flush().is_ok());
        let mut full = Stream {
            inner: std::io::Cursor::new([0u8; 2]),
            closed: false,
        };
        assert!(full.write_all(b"too long").is_err());
    }
}
