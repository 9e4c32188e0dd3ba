//! `cargo verify-provenance init`: write a first `provenance.toml` from what
//! a run observes now.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use miette::{IntoDiagnostic, Result};

use super::{GlobalOptions, RunArgs};
use crate::escape::Untrusted;
use crate::exit;
use crate::run::{collect, policy_dir, InventorySelection, Run};
use crate::write_policy::{
    init_options, policy_text, unchecked, unchecked_error, update, write_atomically, InitError,
    Updated, POLICY_FILE,
};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Replace an existing provenance.toml.
    #[arg(long, conflicts_with_all = ["stdout", "update"])]
    pub force: bool,
    /// Print the policy on stdout instead of writing the file.
    #[arg(long)]
    pub stdout: bool,
    /// Bring the existing policy up to date: rules for new dependencies, none for those gone; every edit and comment kept.
    #[arg(long)]
    pub update: bool,
    /// Write the policy even if some packages could not be checked (listed apart, to decide on later with --update).
    #[arg(long)]
    pub allow_unchecked: bool,
    /// How long the suggested (commented-out) exemptions last, in days.
    #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = clap::value_parser!(i32).range(1..=3650))]
    pub exemption_days: i32,
    #[command(flatten)]
    pub run: RunArgs,
}

/// `init`.
///
/// Checks, in order: the lockfile is read; with `--update`, a policy file
/// is found (else `init-no-policy`); unless printing or updating,
/// no policy file is in the way (an existing `provenance.toml` needs
/// `--force`; a `.cargo/provenance.toml` beside it is never shadowed),
/// checked before anything is fetched; the run completes; every package
/// was checked (else nothing is written and the exit code is 2, unless
/// `--allow-unchecked`); with `--update`, the policy file the run used is
/// edited ([`update`]); the file is written atomically (a temporary file
/// renamed into place, never over a file that appeared meanwhile unless
/// `--force` or `--update`).
pub fn run(global: &GlobalOptions, args: &InitArgs) -> Result<i32> {
    let mut config = args.run.run_config(global);
    let inventory = config.load_inventory()?;
    let dir = policy_dir(&inventory);
    let target = dir.join(POLICY_FILE);
    // Nothing to update is said before anything is fetched.
    if args.update && config.load_policy(&inventory)?.path.is_none() {
        return Err(InitError::NothingToUpdate.into());
    }
    if !args.stdout && !args.update {
        let other = dir.join(".cargo").join(POLICY_FILE);
        if other.exists() {
            return Err(InitError::OtherExists { path: other }.into());
        }
        if target.exists() && !args.force {
            return Err(InitError::Exists { path: target }.into());
        }
    }
    config.inventory = InventorySelection::Loaded(Box::new(inventory));
    let run = collect(&config)?;
    let unchecked = unchecked(&run);
    if !unchecked.is_empty() && !args.allow_unchecked {
        let why = crate::report::Report::from_run(&run).not_checked_because;
        return Err(unchecked_error(&unchecked, &why).into());
    }
    let (text, target, line) = if args.update {
        let path = run.policy.path.clone().ok_or(InitError::NothingToUpdate)?;
        let existing = std::fs::read_to_string(&path).into_diagnostic()?;
        let options = init_options(&run, &dir, args.exemption_days);
        let updated = update(&path, &existing, &run, &options)?;
        let line = update_summary(&updated, (!args.stdout).then_some(&path));
        (updated.text, path, line)
    } else {
        let text = policy_text(&run, &dir, args.exemption_days);
        let line = summary(&run, (!args.stdout).then_some(&target));
        (text, target, line)
    };
    if args.stdout {
        let mut stdout = super::stdout();
        stdout.write_all(text.as_bytes()).into_diagnostic()?;
        stdout.flush().into_diagnostic()?;
    } else {
        write_atomically(&target, &text, args.force || args.update)?;
    }
    if !global.quiet {
        let _ = writeln!(super::text_stderr(), "{line}");
    }
    Ok(exit::PASS)
}

/// One line on what an update changed.
fn update_summary(updated: &Updated, written: Option<&PathBuf>) -> String {
    let mut line = match written {
        Some(path) => format!("updated {}: ", Untrusted(path.display())),
        None => String::new(),
    };
    line.push_str(&format!(
        "{} added, {} removed, {} to decide on",
        crate::words::count(updated.added.len(), "rule", "rules"),
        crate::words::count(updated.removed.len(), "rule", "rules"),
        crate::words::count(updated.to_decide, "package", "packages"),
    ));
    line
}

/// One line on what was written: how many packages are pinned, left to
/// decide on, could not be checked, and bundles nothing can waive.
fn summary(run: &Run, written: Option<&PathBuf>) -> String {
    use crate::evidence::EvidenceLevel;
    let registry = || {
        run.inventory
            .packages
            .iter()
            .zip(&run.evidence)
            .filter(|(p, _)| p.needs_provenance() && p.source.is_registry())
    };
    let attested = registry()
        .filter(|(_, e)| e.level() == EvidenceLevel::Attested)
        .count();
    let asserted = registry()
        .filter(|(_, e)| e.level() == EvidenceLevel::RegistryAsserted)
        .count();
    // Without provenance, a package whose published files match its
    // repository at the recorded commit is pinned to that.
    let matches = |e: &crate::evidence::Evidence| {
        e.source_match
            .as_ref()
            .is_some_and(|m| m.result == crate::evidence::SourceResult::Matches)
    };
    let source_only = registry()
        .filter(|(_, e)| e.level() == EvidenceLevel::None && matches(e))
        .count();
    let (unchecked, undecided): (Vec<_>, Vec<_>) = registry()
        .filter(|(_, e)| e.level() == EvidenceLevel::None && !matches(e))
        .partition(|(p, e)| crate::policy::undecided::not_checked(p, e));
    let rejected: usize = registry().map(|(_, e)| e.rejected.len()).sum();
    let mut line = match written {
        Some(path) => format!("wrote {}: ", Untrusted(path.display())),
        None => String::new(),
    };
    line.push_str(&format!(
        "{} pinned to their verified provenance, {asserted} to registry data, \
         {} without provenance left to decide on",
        crate::words::count(attested, "package", "packages"),
        undecided.len()
    ));
    if !unchecked.is_empty() {
        line.push_str(&format!(
            ", {} that could not be checked listed apart",
            unchecked.len()
        ));
    }
    if source_only > 0 {
        line.push_str(&format!(
            "; {source_only} without provenance pinned to their repository's files \
             at the recorded commit (source-matches)"
        ));
    }
    if rejected > 0 {
        line.push_str(&format!(
            "; {} verification, which no policy can waive (see the file)",
            crate::words::count(rejected, "bundle failed", "bundles failed")
        ));
    }
    line
}
