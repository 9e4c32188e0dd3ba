//! `cargo verify-provenance init`: write a first `provenance.toml` from what
//! a run observes now (trust on first use).
//!
//! The run is the default action's ([`crate::run::collect`]); the text is
//! [`crate::policy::from_evidence::render`]'s. The file goes next to the workspace
//! root (or the lockfile), with the run's sources and trust roots written
//! into it when they are not the defaults, paths relative to the file, so
//! that the next run finds everything from the file alone.
//! `init --update` ([`update`]) brings such a file up to date with the
//! lockfile in place, keeping every edit and comment of its own.

mod update;

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use miette::Diagnostic;

use crate::policy::from_evidence::{render, InitOptions};
use crate::run::Run;
use crate::sources::{default_sources, SourceSpec};
use crate::trust::{Instance, RootOrigin};

/// The name `init` writes, the first one discovery looks for.
pub const POLICY_FILE: &str = "provenance.toml";

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
    #[error("cannot write {}", path.display())]
    #[diagnostic(code("init-write-failed"), help("check that the folder is writable"))]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{count} could not be checked, so no policy was written: {names}")]
    #[diagnostic(
        code("init-unchecked"),
        help("{why}; fix that and run `init` again, or pass --allow-unchecked to write the policy now with these listed apart (decided later with `init --update`)")
    )]
    Unchecked {
        /// `3 packages`.
        count: String,
        /// A few of them, and how many more.
        names: String,
        /// Why, in a few words.
        why: String,
    },
    #[error("there is no policy file to update")]
    #[diagnostic(
        code("init-no-policy"),
        help("run `cargo verify-provenance init` to write one first")
    )]
    NothingToUpdate,
    #[error("{} is not TOML that can be edited: {message}", path.display())]
    #[diagnostic(
        code("init-update-failed"),
        help("fix it (`cargo verify-provenance policy check` says where) and run again")
    )]
    Unparsable { path: PathBuf, message: String },
}

pub use update::{update, Updated};

/// The registry packages in scope the run could not check: a source could
/// not answer and nothing was found, or the lockfile has no checksum.
pub fn unchecked(run: &Run) -> Vec<&crate::lockfile::Package> {
    run.inventory
        .packages
        .iter()
        .zip(&run.evidence)
        .filter(|(p, _)| p.needs_provenance() && p.source.is_registry())
        .filter(|(p, e)| {
            e.level() == crate::evidence::EvidenceLevel::None
                && crate::policy::undecided::not_checked(p, e)
        })
        .map(|(p, _)| p)
        .collect()
}

/// [`InitError::Unchecked`] for these packages, with the run's reasons.
pub fn unchecked_error(packages: &[&crate::lockfile::Package], why: &[String]) -> InitError {
    const SHOWN: usize = 5;
    let mut names: Vec<String> = packages.iter().take(SHOWN).map(|p| p.id()).collect();
    if packages.len() > SHOWN {
        names.push(format!("and {} more", packages.len() - SHOWN));
    }
    InitError::Unchecked {
        count: crate::words::count(packages.len(), "package", "packages"),
        names: crate::escape::Untrusted(names.join(", ")).to_string(),
        why: match why {
            [] => "a source could not answer".to_string(),
            why => format!("not checked: {}", crate::escape::Untrusted(why.join("; "))),
        },
    }
}

/// The text of the policy file for a run, for a file in `dir`; suggested
/// exemptions last `exemption_days`.
pub fn policy_text(run: &Run, dir: &Path, exemption_days: i32) -> String {
    let options = init_options(run, dir, exemption_days);
    let mut text = render(
        run.inventory.packages.iter().zip(run.evidence.iter()),
        &options,
    );
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
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

/// Write the policy file atomically: a temporary file beside it, renamed
/// into place, never over a file that appeared meanwhile unless `replace`.
pub fn write_atomically(target: &Path, text: &str, replace: bool) -> Result<(), InitError> {
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
