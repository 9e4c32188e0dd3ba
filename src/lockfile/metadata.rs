//! The workspace through `cargo metadata`, read with the `cargo_metadata`
//! crate: where the workspace and its lockfile are, which packages are
//! members, what repository each declares, which run code at build time,
//! and the resolve graph with the kind and platform of every dependency.

use std::collections::HashMap;
use std::path::PathBuf;

use cargo_metadata::{CargoOpt, DependencyKind, Metadata, MetadataCommand};

use super::graph::{DepKind, DepUse, Edge, Graph, GraphOrigin};
use super::{BuildTime, Inventory, PackageSource, WorkspaceError};

/// How cargo should be asked about the workspace.
#[derive(Debug, Clone, Default)]
pub struct MetadataOptions {
    /// `--manifest-path`; the current directory's manifest when `None`.
    pub manifest_path: Option<PathBuf>,
    /// Pass `--offline` to cargo (no index or crate downloads).
    pub offline: bool,
}

/// Run `cargo metadata` with every feature of every member (so that the
/// graph holds everything the lockfile does), `--locked` (the lockfile is
/// never changed) and `--offline` when asked. Cargo is `$CARGO`, else
/// `cargo` on `PATH`. What is built for given targets comes from `cargo
/// tree` (see the `tree` module).
fn cargo_metadata(options: &MetadataOptions) -> Result<Metadata, WorkspaceError> {
    let mut command = MetadataCommand::new();
    command.features(CargoOpt::AllFeatures);
    if let Some(manifest) = &options.manifest_path {
        command.manifest_path(manifest);
    }
    let mut flags = vec!["--locked".to_string()];
    if options.offline {
        flags.push("--offline".into());
    }
    command.other_options(flags);
    command.exec().map_err(|error| match error {
        cargo_metadata::Error::CargoMetadata { stderr } => metadata_failed(
            options
                .manifest_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the current directory".into()),
            &stderr,
        ),
        cargo_metadata::Error::Io(source) => WorkspaceError::Spawn {
            cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()),
            source,
        },
        other => WorkspaceError::BadOutput(other.to_string()),
    })
}

/// `cargo metadata` failed: what cargo said, less its advice to drop
/// `--locked` (which this tool passes, not the user), and help that fits
/// the cause.
fn metadata_failed(manifest: String, stderr: &str) -> WorkspaceError {
    let said: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.contains("remove the --locked flag"))
        .collect();
    let said = said.join("\n").trim().to_string();
    let help = if said.contains("could not find `Cargo.toml`") {
        "there is no Cargo.toml in this folder or above it: run in a workspace, name one with --manifest-path, or audit a lockfile alone with --lockfile PATH"
    } else if said.contains("needs to be updated") || said.contains("lock file") {
        "the lockfile is missing or out of date for Cargo.toml: run `cargo generate-lockfile` or `cargo update` yourself (this tool never changes it), or audit the lockfile as it is with --lockfile PATH"
    } else if said.contains("failed to parse manifest") || said.contains("failed to load manifest")
    {
        "cargo cannot read a manifest of the workspace: fix it, or audit the lockfile alone with --lockfile PATH"
    } else {
        "cargo could not read the workspace (see above); to audit the lockfile as it is, pass --lockfile PATH"
    };
    WorkspaceError::Failed {
        manifest,
        stderr: said,
        help: help.to_string(),
    }
}

impl Inventory {
    /// Find the workspace through `cargo metadata` and read its lockfile.
    ///
    /// Steps, in order: run cargo (see [`MetadataOptions`]; a missing or
    /// stale lockfile is an error, never rewritten); read the lockfile at
    /// the workspace root; match every package cargo lists to its lockfile
    /// entry (name, version, source) to mark workspace members, record
    /// declared repositories and which packages are proc-macros or have a
    /// build script; build the graph from cargo's resolve, with the kind and
    /// platform of each dependency.
    pub fn from_workspace(options: &MetadataOptions) -> Result<Self, WorkspaceError> {
        let metadata = cargo_metadata(options)?;
        let root = metadata.workspace_root.clone().into_std_path_buf();
        let lockfile = root.join("Cargo.lock");
        if !lockfile.is_file() {
            return Err(WorkspaceError::NoLockfile { root });
        }
        let text = super::parse::read_bounded(&lockfile)?;
        let mut inventory = super::parse::parse_lockfile(&lockfile, text)?;
        inventory.workspace_root = Some(root);
        inventory.metadata = Some(options.clone());
        let ids = inventory.apply_metadata(&metadata);
        let mut dependencies: Vec<Vec<Edge>> = vec![Vec::new(); inventory.packages.len()];
        for node in metadata.resolve.iter().flat_map(|r| &r.nodes) {
            let Some(&from) = ids.get(node.id.repr.as_str()) else {
                continue;
            };
            for dep in &node.deps {
                let Some(&to) = ids.get(dep.pkg.repr.as_str()) else {
                    continue;
                };
                let uses = dep
                    .dep_kinds
                    .iter()
                    .map(|info| DepUse {
                        kind: match info.kind {
                            DependencyKind::Build => DepKind::Build,
                            DependencyKind::Development => DepKind::Dev,
                            // Normal, and any kind a newer cargo adds: counted as built.
                            _ => DepKind::Normal,
                        },
                        platform: info.target.as_ref().map(ToString::to_string),
                    })
                    .collect();
                dependencies[from].push(Edge {
                    to,
                    uses,
                    in_scope: true,
                });
            }
        }
        inventory.graph = Graph::new(GraphOrigin::Metadata, dependencies);
        inventory.package_ids = ids;
        inventory.apply_scope_with(&super::Scope::default(), None);
        Ok(inventory)
    }

    /// Mark workspace members, record declared repositories and build-time
    /// code. Returns the position of each of cargo's package IDs in the
    /// inventory. A package cargo lists that the lockfile does not have is
    /// left out (with `--locked` cargo does not list one).
    fn apply_metadata(&mut self, metadata: &Metadata) -> HashMap<String, usize> {
        let mut by_key: HashMap<(&str, &semver::Version), Vec<usize>> = HashMap::new();
        for (index, package) in self.packages.iter().enumerate() {
            by_key
                .entry((package.name.as_str(), &package.version))
                .or_default()
                .push(index);
        }
        let mut found: Vec<(usize, &cargo_metadata::Package)> = Vec::new();
        for package in &metadata.packages {
            let Some(candidates) = by_key.get(&(package.name.as_str(), &package.version)) else {
                continue;
            };
            let source = PackageSource::parse(package.source.as_ref().map(|s| s.repr.as_str()));
            let exact = candidates
                .iter()
                .find(|&&i| source.as_ref().ok() == Some(&self.packages[i].source));
            // The same source spelled another way (an older lockfile's git
            // URL): the only candidate of the same kind of source.
            let same_kind: Vec<&usize> = candidates
                .iter()
                .filter(|&&i| {
                    source.as_ref().ok().map(PackageSource::kind)
                        == Some(self.packages[i].source.kind())
                })
                .collect();
            let matched = exact.or(match same_kind[..] {
                [one] => Some(one),
                _ => None,
            });
            if let Some(&index) = matched {
                found.push((index, package));
            }
        }
        let members: std::collections::HashSet<&str> = metadata
            .workspace_members
            .iter()
            .map(|id| id.repr.as_str())
            .collect();
        let mut ids = HashMap::with_capacity(found.len());
        for (index, package) in found {
            let entry = &mut self.packages[index];
            entry.workspace_member = members.contains(package.id.repr.as_str());
            entry.repository = package.repository.clone();
            entry.build_time = Some(BuildTime {
                proc_macro: package.targets.iter().any(|t| t.is_proc_macro()),
                build_script: package.targets.iter().any(|t| t.is_custom_build()),
            });
            ids.insert(package.id.repr.clone(), index);
        }
        ids
    }
}
