//! The command line: `cargo verify-provenance …` and `cargo-verify-provenance …`.
//!
//! Cargo runs a subcommand binary as `cargo-verify-provenance verify-provenance ARGS`;
//! a direct call has no such first argument. [`FakeCli`] accepts the first
//! form, and [`main`] inserts the subcommand name for the second.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miette::{Context, IntoDiagnostic, Result};

use crate::exit;
use crate::lockfile::{Inventory, MetadataOptions};
use crate::sources::SourceSpec;
use crate::trust::{Instance, TrustRoot};
use crate::verify::{self, ArtifactInput, SignerCheck};

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
    pub check: crate::check::command::CheckArgs,
}

/// Options every command understands.
#[derive(Args, Debug, Clone)]
pub struct GlobalOptions {
    /// Path to the workspace's Cargo.toml (default: found from the current directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Audit this Cargo.lock alone: no manifest, no cargo call.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "manifest_path"
    )]
    pub lockfile: Option<PathBuf>,
    /// A trusted_root.json to verify against instead of the built-in roots.
    #[arg(long = "trusted-root", global = true, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Verify against Sigstore's staging instance.
    #[arg(long, global = true, conflicts_with = "trusted_root")]
    pub staging: bool,
    /// The policy file (default: provenance.toml or .cargo/provenance.toml, found upward from the workspace root).
    #[arg(long, global = true, value_name = "PATH")]
    pub policy: Option<PathBuf>,
    /// A provenance source, tried in the order given, before those in the policy:
    /// github, github:ORG, url:TEMPLATE, dir:PATH or crates-io.
    #[arg(long = "source", global = true, value_name = "SOURCE", value_parser = SourceSpec::parse_cli)]
    pub sources: Vec<SourceSpec>,
    /// How many fetches run at once.
    #[arg(short, long, global = true, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: u16,
    /// The cache directory (default: the user cache directory).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "DIR",
        env = "CARGO_VERIFY_PROVENANCE_CACHE"
    )]
    pub cache_dir: Option<PathBuf>,
    /// The current time, for reproducible runs (RFC 3339).
    #[arg(long, global = true, hide = true, value_name = "TIME")]
    pub now: Option<jiff::Timestamp>,
    /// Require Cargo.lock to be up to date (never changed in any case).
    #[arg(long, global = true)]
    pub locked: bool,
    /// Use only the cache and local sources; make no network connection.
    #[arg(long, global = true, env = "CARGO_NET_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,
    /// --locked and --offline.
    #[arg(long, global = true)]
    pub frozen: bool,
    /// Coloring: auto, always, never.
    #[arg(long, global = true, value_enum, env = "CARGO_TERM_COLOR", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// More output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No progress or informational output.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(flatten)]
    pub http: crate::http::HttpArgs,
}

impl GlobalOptions {
    pub fn offline(&self) -> bool {
        self.offline || self.frozen
    }

    pub fn locked(&self) -> bool {
        self.locked || self.frozen
    }

    /// The current time: `--now`, else the clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.now.unwrap_or_else(jiff::Timestamp::now)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Verify one Sigstore bundle (the sigstore-conformance client protocol).
    VerifyBundle(VerifyBundleArgs),
    /// List the packages of the lockfile and how each can be checked.
    Inventory(InventoryArgs),
    /// Work on the policy file: `policy check` validates it.
    Policy(crate::policy::command::PolicyArgs),
    /// Fetch every dependency's provenance into the cache (verifies nothing).
    Fetch(crate::fetch::command::FetchArgs),
    /// Manage the Sigstore trust roots.
    TrustRoot(crate::trust::tuf::TrustRootArgs),
    /// Show the whole evidence chain behind one package's outcome.
    Explain(crate::explain::ExplainArgs),
    /// Show what changed in provenance between two lockfiles; downgrades fail.
    Diff(crate::diff::DiffArgs),
    /// Write a provenance.toml pinning every dependency to what its provenance shows now.
    Init(crate::init::InitArgs),
}

#[derive(Args, Debug)]
pub struct VerifyBundleArgs {
    /// The bundle: a .sigstore.json file, or a .jsonl file of bundles (passes when any verifies).
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The expected certificate identity (SAN), matched exactly.
    #[arg(long, value_name = "ID")]
    pub certificate_identity: Option<String>,
    /// The expected OIDC issuer, matched exactly.
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// Verify a managed-key bundle with this PEM public key.
    #[arg(long, value_name = "KEY.pub", conflicts_with_all = ["certificate_identity", "certificate_oidc_issuer"])]
    pub key: Option<PathBuf>,
    /// Output: a one-line verdict, or the verified facts as JSON.
    #[arg(long, value_enum, default_value_t = FactsFormat::Text)]
    pub format: FactsFormat,
    /// The artifact: a file, or `sha256:<hex>` / `sha512:<hex>`.
    #[arg(value_name = "FILE_OR_DIGEST")]
    pub artifact: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FactsFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct InventoryArgs {
    /// Output: a table, or one JSON document.
    #[arg(long, value_enum, default_value_t = FactsFormat::Text)]
    pub format: FactsFormat,
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
        Some(Command::VerifyBundle(args)) => verify_bundle(&cli.global, &args),
        Some(Command::Inventory(args)) => inventory(&cli.global, &args),
        Some(Command::Policy(args)) => crate::policy::command::run(&cli.global, &args),
        Some(Command::Fetch(args)) => crate::fetch::command::run(&cli.global, &args),
        Some(Command::TrustRoot(args)) => crate::trust::tuf::run_command(&cli.global, &args),
        Some(Command::Explain(args)) => crate::explain::run(&cli.global, &args),
        Some(Command::Diff(args)) => crate::diff::run(&cli.global, &args),
        Some(Command::Init(args)) => crate::init::run(&cli.global, &args),
        None => crate::check::command::run(&cli.global, &cli.check),
    }
}

/// The roots `verify-bundle` checks against: the one named, else the
/// production (or staging) root.
fn single_root(global: &GlobalOptions) -> Result<TrustRoot> {
    Ok(match (&global.trusted_root, global.staging) {
        (Some(path), _) => TrustRoot::from_file(path)?,
        (None, true) => TrustRoot::embedded(Instance::Staging)?,
        (None, false) => TrustRoot::embedded(Instance::PublicGood)?,
    })
}

fn verify_bundle(global: &GlobalOptions, args: &VerifyBundleArgs) -> Result<i32> {
    let root = single_root(global)?;
    let artifact = if args.artifact.starts_with("sha256:") || args.artifact.starts_with("sha512:") {
        ArtifactInput::parse_digest(&args.artifact).map_err(|e| {
            miette::miette!(
                code = "bad-digest",
                help = "give sha256:<64 hex> or sha512:<128 hex>",
                "{e}"
            )
        })?
    } else {
        ArtifactInput::Bytes(
            std::fs::read(&args.artifact)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot read artifact {}", args.artifact))?,
        )
    };
    let signer = match &args.key {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot read key {}", path.display()))?;
            SignerCheck::Key(sigstore_types::DerPublicKey::from_pem(&pem).map_err(|e| {
                miette::miette!(
                    code = "bad-key",
                    "{} is not a PEM public key: {e}",
                    path.display()
                )
            })?)
        }
        None => SignerCheck::Certificate {
            identity: args.certificate_identity.clone(),
            issuer: args.certificate_oidc_issuer.clone(),
        },
    };
    let origin = args.bundle.display().to_string();
    let bytes = match crate::limits::read_at_most(&args.bundle, verify::MAX_DOCUMENT_BYTES as u64)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read bundle {origin}"))?
    {
        Ok(bytes) => bytes,
        Err(size) => {
            return Ok(report_failure(&[verify::VerifyFailure::new(
                verify::Check::BundleFormat,
                format!(
                    "{origin}: {size} bytes is over the size limit of {} bytes",
                    verify::MAX_DOCUMENT_BYTES
                ),
            )]))
        }
    };
    let parsed = match verify::parse_bundles(&bytes, &origin) {
        Ok(parsed) => parsed,
        Err(failure) => return Ok(report_failure(&[failure])),
    };
    let mut failures = Vec::new();
    for item in parsed {
        let outcome = item.and_then(|parsed| {
            verify::verify_bundle(&root, &parsed.bundle, &artifact, &signer)
                .map(|facts| (parsed, facts))
        });
        match outcome {
            Ok((parsed, facts)) => {
                let mut stdout = std::io::stdout().lock();
                match args.format {
                    FactsFormat::Json => {
                        let value = serde_json::json!({ "bundle": parsed.origin, "facts": facts });
                        writeln!(
                            stdout,
                            "{}",
                            serde_json::to_string_pretty(&value).into_diagnostic()?
                        )
                        .into_diagnostic()?;
                    }
                    FactsFormat::Text => {
                        if !global.quiet {
                            writeln!(
                                stdout,
                                "OK: {} verified against {}",
                                parsed.origin, facts.trust_root
                            )
                            .into_diagnostic()?;
                        }
                    }
                }
                return Ok(exit::PASS);
            }
            Err(failure) => failures.push(failure),
        }
    }
    Ok(report_failure(&failures))
}

/// One line on stderr naming the failed check(s); exit code 1.
fn report_failure(failures: &[verify::VerifyFailure]) -> i32 {
    let text = match failures {
        [] => "no bundle found".to_string(),
        [one] => one.to_string(),
        many => format!(
            "none of {} bundles verified: {}",
            many.len(),
            many.iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    eprintln!("error: verification failed: {}", text.replace('\n', " "));
    exit::VIOLATION
}

fn inventory(global: &GlobalOptions, args: &InventoryArgs) -> Result<i32> {
    let inventory = load_inventory(global)?;
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

/// The inventory from `--lockfile`, or from the workspace through cargo.
pub fn load_inventory(global: &GlobalOptions) -> Result<Inventory> {
    Ok(match &global.lockfile {
        Some(path) => Inventory::from_lockfile(path)?,
        None => Inventory::from_workspace(&MetadataOptions {
            manifest_path: global.manifest_path.clone(),
            offline: global.offline(),
        })?,
    })
}
