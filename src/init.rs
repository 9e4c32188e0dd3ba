//! `cargo verify-provenance init`: write a first `provenance.toml` from what
//! a run observes now (trust on first use).
//!
//! The run is the default action's ([`crate::check::collect`]); the text is
//! [`crate::policy::init::render`]'s. The file goes next to the workspace
//! root (or the lockfile), with the run's sources and trust roots written
//! into it when they are not the defaults, paths relative to the file, so
//! that the next run finds everything from the file alone.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use clap::Args;
use miette::{Diagnostic, IntoDiagnostic, Result};

use crate::check::{collect, Run, RunOptions};
use crate::cli::{load_inventory, GlobalOptions};
use crate::exit;
use crate::policy::init::{render, InitOptions};
use crate::sources::{default_sources, SourceSpec};
use crate::trust::{Instance, RootOrigin};

/// The name `init` writes, the first one discovery looks for.
pub const POLICY_FILE: &str = "provenance.toml";

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Replace an existing provenance.toml.
    #[arg(long, conflicts_with = "stdout")]
    pub force: bool,
    /// Print the policy on stdout instead of writing the file.
    #[arg(long)]
    pub stdout: bool,
    /// How long the suggested (commented-out) exemptions last, in days.
    #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = clap::value_parser!(i32).range(1..=3650))]
    pub exemption_days: i32,
}

/// A policy file `init` will not replace.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum InitError {
    #[error("{} already exists", path.display())]
    #[diagnostic(
        code("init-policy-exists"),
        help("pass --force to replace it, or --stdout to print the new policy and compare")
    )]
    Exists { path: PathBuf },
    #[error("{} exists, and a provenance.toml beside it would make the policy ambiguous", path.display())]
    #[diagnostic(
        code("init-policy-exists"),
        help("remove or rename it first, or pass --stdout to print the new policy")
    )]
    OtherExists { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    #[diagnostic(code("init-write-failed"), help("check that the folder is writable"))]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `path` relative to the folder `base` (both made absolute first), so a
/// policy in `base` can name it; absolute when they share nothing.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let absolute = |p: &Path| {
        std::fs::canonicalize(p)
            .or_else(|_| std::path::absolute(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let path = absolute(path);
    let base = absolute(base);
    let common = path
        .components()
        .zip(base.components())
        .take_while(|(a, b)| a == b)
        .count();
    // Only the root in common: the path is clearer as it is.
    if common <= 1 && path.has_root() {
        return path;
    }
    let mut relative = PathBuf::new();
    for component in base.components().skip(common) {
        if matches!(component, Component::Normal(_)) {
            relative.push("..");
        }
    }
    for component in path.components().skip(common) {
        relative.push(component);
    }
    if relative.as_os_str().is_empty() {
        relative.push(".");
    }
    relative
}

/// What the file records besides the rules: the run's sources and roots
/// when they are not the defaults, with paths relative to `dir`.
pub fn init_options(run: &Run, dir: &Path, exemption_days: i32) -> InitOptions {
    let sources = if run.sources == default_sources() {
        Vec::new()
    } else {
        run.sources
            .iter()
            .map(|source| match source {
                SourceSpec::Dir { path } => SourceSpec::Dir {
                    path: relative_to(path, dir),
                },
                other => other.clone(),
            })
            .collect()
    };
    let names: Vec<String> = run
        .roots
        .iter()
        .map(|root| match &root.origin {
            RootOrigin::Embedded { instance } | RootOrigin::Tuf { instance, .. } => {
                instance.name().to_string()
            }
            RootOrigin::File { path } => relative_to(path, dir).to_string_lossy().into_owned(),
        })
        .collect();
    let default_roots = [Instance::PublicGood.name(), Instance::GitHub.name()];
    let roots = if names == default_roots {
        Vec::new()
    } else {
        names
    };
    InitOptions {
        lockfile: run.inventory.lockfile.file_name().map_or_else(
            || run.inventory.lockfile.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        today: run.now.to_zoned(jiff::tz::TimeZone::UTC).date(),
        exemption_days,
        sources,
        roots,
    }
}

/// `init`.
///
/// Checks, in order: the lockfile is read; unless printing, no policy file
/// is in the way (an existing `provenance.toml` needs `--force`; a
/// `.cargo/provenance.toml` beside it is never shadowed), checked before
/// anything is fetched; the run completes; the file is written atomically
/// (a temporary file renamed into place, never over a file that appeared
/// meanwhile unless `--force`).
pub fn run(global: &GlobalOptions, args: &InitArgs) -> Result<i32> {
    let inventory = load_inventory(global)?;
    let dir = crate::check::policy_dir(&inventory);
    let target = dir.join(POLICY_FILE);
    if !args.stdout {
        let other = dir.join(".cargo").join(POLICY_FILE);
        if other.exists() {
            return Err(InitError::OtherExists { path: other }.into());
        }
        if target.exists() && !args.force {
            return Err(InitError::Exists { path: target }.into());
        }
    }
    let run = collect(
        global,
        &RunOptions {
            inventory: Some(inventory),
            ..RunOptions::default()
        },
    )?;
    let options = init_options(&run, &dir, args.exemption_days);
    let mut text = render(
        run.inventory.packages.iter().zip(run.evidence.iter()),
        &options,
    );
    if !text.ends_with('\n') {
        text.push('\n');
    }
    if args.stdout {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes()).into_diagnostic()?;
        stdout.flush().into_diagnostic()?;
    } else {
        write_atomically(&target, &text, args.force)?;
    }
    if !global.quiet {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(
            stderr,
            "{}",
            summary(&run, (!args.stdout).then_some(&target))
        );
    }
    Ok(exit::PASS)
}

fn write_atomically(target: &Path, text: &str, replace: bool) -> Result<(), InitError> {
    let failed = |source| InitError::Write {
        path: target.to_path_buf(),
        source,
    };
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".provenance.toml.")
        .tempfile_in(dir)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    file.as_file().sync_all().map_err(failed)?;
    let persisted = if replace {
        file.persist(target).map(drop)
    } else {
        file.persist_noclobber(target).map(drop)
    };
    persisted.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            InitError::Exists {
                path: target.to_path_buf(),
            }
        } else {
            failed(e.error)
        }
    })
}

/// One line on what was written: how many packages are pinned, left to
/// decide, and bundles nothing can waive.
fn summary(run: &Run, written: Option<&PathBuf>) -> String {
    use crate::evidence::EvidenceLevel;
    let registry = || {
        run.inventory
            .packages
            .iter()
            .zip(&run.evidence)
            .filter(|(p, _)| !p.workspace_member && p.source.is_registry())
    };
    let attested = registry()
        .filter(|(_, e)| e.level() == EvidenceLevel::Attested)
        .count();
    let asserted = registry()
        .filter(|(_, e)| e.level() == EvidenceLevel::RegistryAsserted)
        .count();
    let undecided = registry()
        .filter(|(_, e)| e.level() == EvidenceLevel::None)
        .count();
    let rejected: usize = registry().map(|(_, e)| e.rejected.len()).sum();
    let mut line = match written {
        Some(path) => format!("wrote {}: ", path.display()),
        None => String::new(),
    };
    line.push_str(&format!(
        "{attested} packages pinned to their verified provenance, {asserted} to registry data, \
         {undecided} without provenance listed as exemptions to decide on"
    ));
    if rejected > 0 {
        line.push_str(&format!(
            "; {rejected} bundle(s) failed verification, which no policy can waive (see the file)"
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_relative_to_the_policy_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("ws/bundles")).unwrap();
        std::fs::create_dir_all(root.join("shared")).unwrap();
        assert_eq!(
            relative_to(&root.join("ws/bundles"), &root.join("ws")),
            Path::new("bundles")
        );
        assert_eq!(
            relative_to(&root.join("shared"), &root.join("ws")),
            Path::new("../shared")
        );
        assert_eq!(
            relative_to(&root.join("ws"), &root.join("ws")),
            Path::new(".")
        );
        assert_eq!(
            relative_to(Path::new("/"), &root.join("ws")),
            Path::new("/")
        );
    }
}
