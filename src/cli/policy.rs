//! `cargo verify-provenance policy …`: work on the policy file alone.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use miette::{IntoDiagnostic, Result};

use super::{GlobalOptions, OutputFormat, PolicyFileArgs, WorkspaceArgs};
use crate::escape::Untrusted;
use crate::exit;
use crate::policy::compare::{render, weakenings};
use crate::policy::{
    discover, InvalidPolicy, Mode, Policy, PolicyDiagnostic, RuleKind, SearchFrom,
};
use crate::run::lone_lockfile;
use crate::words::count;

#[derive(Args, Debug)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Validate the policy file (no network): every problem at once; exit 0 valid, 2 invalid.
    Check(PolicyCheckArgs),
    /// Print the policy file's reference (docs/policy.md, built into this binary).
    Reference,
    /// List what a change to the policy weakens: exit 0 nothing, 1 something, 2 error.
    Diff(PolicyDiffArgs),
}

#[derive(Args, Debug)]
pub struct PolicyDiffArgs {
    /// The policy before the change (e.g. the base commit's).
    #[arg(value_name = "OLD.toml")]
    pub old: PathBuf,
    /// The policy after the change.
    #[arg(value_name = "NEW.toml")]
    pub new: PathBuf,
    /// How the list is written on stdout.
    #[arg(
        long,
        value_enum,
        default_value_t,
        alias = "format",
        value_name = "FORMAT"
    )]
    pub message_format: OutputFormat,
}

#[derive(Args, Debug)]
pub struct PolicyCheckArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub policy: PolicyFileArgs,
}

pub fn run(global: &GlobalOptions, args: &PolicyArgs) -> Result<i32> {
    match &args.command {
        PolicyCommand::Check(args) => check(global, args),
        PolicyCommand::Reference => reference(),
        PolicyCommand::Diff(args) => diff(global, args),
    }
}

/// `policy reference`: the reference as written, Markdown and all, so that
/// it reads the same offline as in the repository.
fn reference() -> Result<i32> {
    super::stdout()
        .write_all(crate::policy::REFERENCE.as_bytes())
        .into_diagnostic()?;
    Ok(exit::PASS)
}

/// Where discovery starts, as for a run: the folder of `--lockfile` (or of
/// a `Cargo.lock` alone in the current folder), else the workspace root
/// (`cargo locate-project --workspace`, which reads manifests only), else
/// the folder of `--manifest-path`, else the current directory.
fn start_dir(workspace: &WorkspaceArgs) -> (PathBuf, SearchFrom) {
    let lockfile = match &workspace.lockfile {
        Some(lockfile) => Some(lockfile.clone()),
        None if workspace.manifest_path.is_none() => lone_lockfile(),
        None => None,
    };
    if let Some(lockfile) = lockfile {
        return (parent_or_dot(&lockfile), SearchFrom::LockfileFolder);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = std::process::Command::new(cargo);
    command.args(["locate-project", "--workspace", "--message-format", "plain"]);
    if let Some(manifest) = &workspace.manifest_path {
        command.arg("--manifest-path").arg(manifest);
    }
    if let Ok(output) = command.stderr(std::process::Stdio::null()).output() {
        if output.status.success() {
            let text = String::from_utf8_lossy(&output.stdout);
            let manifest = PathBuf::from(text.trim());
            if manifest.is_file() {
                return (parent_or_dot(&manifest), SearchFrom::WorkspaceRoot);
            }
        }
    }
    let start = match &workspace.manifest_path {
        Some(manifest) => parent_or_dot(manifest),
        None => PathBuf::from("."),
    };
    (start, SearchFrom::WorkspaceRoot)
}

fn parent_or_dot(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The names of the packages of the lockfile at hand, when there is one:
/// `--lockfile`, else the `Cargo.lock` where discovery starts (read as a
/// bare lockfile: no cargo call). One that cannot be read is said once and
/// left out.
fn lockfile_names(workspace: &WorkspaceArgs) -> Option<Vec<String>> {
    let path = match &workspace.lockfile {
        Some(path) => path.clone(),
        None => start_dir(workspace).0.join("Cargo.lock"),
    };
    if workspace.lockfile.is_none() && !path.is_file() {
        return None;
    }
    match crate::lockfile::Inventory::from_lockfile(&path) {
        Ok(inventory) => Some(inventory.packages.into_iter().map(|p| p.name).collect()),
        Err(error) => {
            super::say_warning(
                "lockfile-unreadable",
                &format!("the rules are not compared with the lockfile: {error}"),
            );
            None
        }
    }
}

/// How many rules and exemptions naming no package of the lockfile
/// `policy check` shows with their place in the file, without `-v`: a
/// policy written for another lockfile gives a screen, not thousands.
const MISSING_SHOWN: usize = 10;

/// The warnings about names missing from the lockfile beyond
/// [`MISSING_SHOWN`]: one line per code, counted, the first named.
fn say_not_shown(not_shown: &[PolicyDiagnostic]) {
    let codes: BTreeSet<_> = not_shown.iter().map(|w| w.code).collect();
    for code in codes {
        let of_code: Vec<&PolicyDiagnostic> = not_shown.iter().filter(|w| w.code == code).collect();
        super::say_warning(
            code.as_str(),
            &format!(
                "{} more naming no package of the lockfile (-v shows each); first: {}",
                of_code.len(),
                of_code[0].message
            ),
        );
    }
}

/// `policy check`.
///
/// Checks, in order: the file is found (`--policy`, else discovery; no
/// file found is an error, exit 2: a check of nothing never passes), reads,
/// parses and validates (every problem reported at once), and the files it
/// names can be used (trust root files load; `dir` folders exist, else a
/// warning), and, with a lockfile at hand, every rule and exemption names
/// a package of it (else a warning, with the closest name). Makes no
/// network connection.
fn check(global: &GlobalOptions, args: &PolicyCheckArgs) -> Result<i32> {
    let path = match &args.policy.policy {
        Some(path) => path.clone(),
        None => {
            let (start, from) = start_dir(&args.workspace);
            match discover(&start, from)? {
                Some(path) => path,
                None => {
                    super::say_error(
                        "no-policy",
                        &format!(
                            "no policy file (provenance.toml or .cargo/provenance.toml) in {} or above, up to the repository root: there is nothing to check, and a run would require nothing; write one with `cargo verify-provenance init`, or pass --policy",
                            Untrusted(start.display())
                        ),
                    );
                    return Ok(exit::ERROR);
                }
            }
        }
    };
    let policy = Policy::load(&path, global.now())?;
    let mut problems: Vec<PolicyDiagnostic> = policy.warnings.clone();
    problems.extend(policy.check_files());
    let mut not_shown = Vec::new();
    if let Some(names) = lockfile_names(&args.workspace) {
        let names: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let mut missing = policy.names_missing_from(&names);
        if global.verbose == 0 && missing.len() > MISSING_SHOWN {
            not_shown = missing.split_off(MISSING_SHOWN);
        }
        problems.extend(missing);
    }
    problems.sort_by_key(|p| p.span().map_or(0, |s| s.offset));
    if problems.iter().any(PolicyDiagnostic::is_error) {
        return Err(InvalidPolicy {
            name: path.display().to_string(),
            problems,
        }
        .into());
    }
    for warning in problems {
        super::say_diagnostic(&warning);
    }
    say_not_shown(&not_shown);
    if !global.quiet {
        let rules = |kind| policy.rules.iter().filter(|r| r.kind == kind).count();
        writeln!(
            super::text_stdout(),
            "{}: valid ({}, {}, {}, {}, mode {})",
            Untrusted(path.display()),
            count(rules(RuleKind::Package), "package rule", "package rules"),
            count(rules(RuleKind::Owner), "owner rule", "owner rules"),
            count(policy.exemptions.len(), "exemption", "exemptions"),
            count(policy.sources.len(), "source", "sources"),
            match policy.mode {
                Mode::Enforce => "enforce",
                Mode::Audit => "audit",
            }
        )
        .into_diagnostic()?;
    }
    Ok(exit::PASS)
}

/// `policy diff OLD NEW`.
///
/// Loads both files as a run would (every problem of either is an error,
/// exit 2), lists what `NEW` lets through that `OLD` did not
/// ([`weakenings`]), appends the list to the job summary when
/// `GITHUB_STEP_SUMMARY` is set, and exits 1 when anything weakens.
fn diff(global: &GlobalOptions, args: &PolicyDiffArgs) -> Result<i32> {
    for path in [&args.old, &args.new] {
        if !path.exists() {
            return Err(miette::miette!(
                code = "policy-not-found",
                help = "`policy diff` compares two policy files that exist, e.g. the base commit's and the pull request's",
                "policy file {} does not exist",
                path.display()
            ));
        }
    }
    let old = Policy::load(&args.old, global.now())?;
    let new = Policy::load(&args.new, global.now())?;
    let found = weakenings(&old, &new);
    let (old_name, new_name) = (
        args.old.display().to_string(),
        args.new.display().to_string(),
    );
    match args.message_format {
        OutputFormat::Human => {
            let _ = write!(
                super::text_stdout(),
                "{}",
                render::human(&old_name, &new_name, &found)
            );
        }
        OutputFormat::Json => {
            let _ = write!(
                super::stdout(),
                "{}",
                render::json(&old_name, &new_name, &found)
            );
        }
    }
    super::append_to_step_summary(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| {
                file.write_all(render::markdown(&old_name, &new_name, &found).as_bytes())
            })
    });
    Ok(render::exit_code(&found))
}
