//! The workspace through `cargo metadata`, read with the `cargo_metadata`
//! crate: where the workspace and its lockfile are, which packages are
//! members, what repository each declares, which run code at build time,
//! and the resolve graph with the kind and platform of every dependency.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::str::FromStr;

use cargo_metadata::cargo_platform::{Cfg, Platform};
use cargo_metadata::{CargoOpt, DependencyKind, Metadata, MetadataCommand};

use super::graph::{ActiveEdges, DepKind, DepUse, Edge, Graph, GraphOrigin};
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
/// never changed), `--offline` when asked, and `--filter-platform` for one
/// target when given. Cargo is `$CARGO`, else `cargo` on `PATH`.
fn cargo_metadata(
    options: &MetadataOptions,
    platform: Option<&str>,
) -> Result<Metadata, WorkspaceError> {
    let mut command = MetadataCommand::new();
    command.features(CargoOpt::AllFeatures);
    if let Some(manifest) = &options.manifest_path {
        command.manifest_path(manifest);
    }
    let mut flags = vec!["--locked".to_string()];
    if options.offline {
        flags.push("--offline".into());
    }
    if let Some(platform) = platform {
        flags.extend(["--filter-platform".to_string(), platform.to_string()]);
    }
    command.other_options(flags);
    command.exec().map_err(|error| match error {
        cargo_metadata::Error::CargoMetadata { stderr } => WorkspaceError::Failed {
            manifest: options
                .manifest_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the current directory".into()),
            stderr: stderr.trim().to_string(),
        },
        cargo_metadata::Error::Io(source) => WorkspaceError::Spawn {
            cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()),
            source,
        },
        other => WorkspaceError::BadOutput(other.to_string()),
    })
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
        let metadata = cargo_metadata(options, None)?;
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

    /// The edges cargo keeps for any of `targets` (`cargo metadata
    /// --filter-platform`, once per target), each with whether it is more
    /// than a dev-dependency there.
    ///
    /// Cargo keeps an edge when one of its declarations is for the target,
    /// but lists every declaration; which one it kept matters only when an
    /// edge is declared both as a dev-dependency and, for some `cfg(…)`
    /// platform, as a normal or build one. Only then is the `cfg` evaluated
    /// (with `cargo-platform`, on the target's cfg values from `rustc
    /// --print=cfg`); if rustc cannot say, the edge counts as built.
    pub(super) fn active_edges(
        &self,
        options: &MetadataOptions,
        targets: &[String],
    ) -> Result<ActiveEdges, WorkspaceError> {
        let mut active = ActiveEdges::new();
        for target in targets {
            let metadata = cargo_metadata(options, Some(target))?;
            let mut cfgs: Option<Option<Vec<Cfg>>> = None;
            for node in metadata.resolve.iter().flat_map(|r| &r.nodes) {
                let Some(&from) = self.package_ids.get(node.id.repr.as_str()) else {
                    continue;
                };
                for dep in &node.deps {
                    let Some(&to) = self.package_ids.get(dep.pkg.repr.as_str()) else {
                        continue;
                    };
                    let uses = self.graph.dependencies[from]
                        .iter()
                        .find(|edge| edge.to == to)
                        .map_or(&[][..], |edge| &edge.uses[..]);
                    let beyond_dev = beyond_dev_on(uses, target, || {
                        cfgs.get_or_insert_with(|| target_cfgs(target)).as_deref()
                    });
                    *active.entry((from, to)).or_default() |= beyond_dev;
                }
            }
        }
        Ok(active)
    }
}

/// Whether an edge cargo keeps for `target` is more than a dev-dependency
/// there: one of its normal or build declarations is for every platform,
/// for `target` by name, or (evaluated only when that decides it) for a
/// `cfg(…)` that holds there.
fn beyond_dev_on<'c>(
    uses: &[DepUse],
    target: &str,
    cfgs: impl FnOnce() -> Option<&'c [Cfg]>,
) -> bool {
    if uses.is_empty() || uses.iter().all(|u| u.kind != DepKind::Dev) {
        return true;
    }
    let built: Vec<Option<Platform>> = uses
        .iter()
        .filter(|u| u.kind != DepKind::Dev)
        .map(|u| {
            u.platform
                .as_deref()
                .and_then(|p| Platform::from_str(p).ok())
        })
        .collect();
    if built.is_empty() {
        return false;
    }
    if built.iter().any(|platform| match platform {
        None => true,
        Some(Platform::Name(name)) => name == target,
        Some(Platform::Cfg(_)) => false,
    }) {
        return true;
    }
    let conditional: Vec<&Platform> = built
        .iter()
        .flatten()
        .filter(|p| matches!(p, Platform::Cfg(_)))
        .collect();
    if conditional.is_empty() {
        return false;
    }
    match cfgs() {
        Some(cfgs) => conditional.iter().any(|p| p.matches(target, cfgs)),
        None => true,
    }
}

/// The cfg values of a target, as cargo asks rustc for them: `$RUSTC`
/// (else `rustc`) `--print=cfg --target TARGET`, with the flags of
/// `CARGO_ENCODED_RUSTFLAGS` or `RUSTFLAGS`. `None` when rustc cannot say.
fn target_cfgs(target: &str) -> Option<Vec<Cfg>> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut command = Command::new(rustc);
    command.args(["--print=cfg", "--target", target]);
    match std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        Ok(flags) => {
            command.args(flags.split('\u{1f}').filter(|f| !f.is_empty()));
        }
        Err(_) => {
            if let Ok(flags) = std::env::var("RUSTFLAGS") {
                command.args(flags.split_whitespace());
            }
        }
    }
    let output = command.output().ok().filter(|o| o.status.success())?;
    let text = String::from_utf8(output.stdout).ok()?;
    Some(
        text.lines()
            .filter_map(|line| Cfg::from_str(line).ok())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(kind: DepKind, platform: Option<&str>) -> DepUse {
        DepUse {
            kind,
            platform: platform.map(str::to_string),
        }
    }

    #[test]
    fn a_dev_dependency_is_told_from_a_platform_dependency_only_when_it_must_be() {
        let linux = "x86_64-unknown-linux-gnu";
        let never = || -> Option<&'static [Cfg]> { panic!("no cfg needed") };
        assert!(beyond_dev_on(&[], linux, never));
        assert!(beyond_dev_on(
            &[used(DepKind::Normal, Some("cfg(windows)"))],
            linux,
            never
        ));
        assert!(!beyond_dev_on(&[used(DepKind::Dev, None)], linux, never));
        let both = [used(DepKind::Dev, None), used(DepKind::Build, None)];
        assert!(beyond_dev_on(&both, linux, never));
        let by_name = [used(DepKind::Dev, None), used(DepKind::Normal, Some(linux))];
        assert!(beyond_dev_on(&by_name, linux, never));
        let other_name = [
            used(DepKind::Dev, None),
            used(DepKind::Normal, Some("x86_64-pc-windows-msvc")),
        ];
        assert!(!beyond_dev_on(&other_name, linux, never));

        let unix: Vec<Cfg> = ["unix", "target_os=\"linux\""]
            .iter()
            .map(|c| Cfg::from_str(c).unwrap())
            .collect();
        let mixed = [
            used(DepKind::Dev, None),
            used(DepKind::Normal, Some("cfg(windows)")),
        ];
        assert!(!beyond_dev_on(&mixed, linux, || Some(&unix)));
        let mixed_unix = [
            used(DepKind::Dev, None),
            used(DepKind::Normal, Some("cfg(unix)")),
        ];
        assert!(beyond_dev_on(&mixed_unix, linux, || Some(&unix)));
        // rustc could not say: counted as built.
        assert!(beyond_dev_on(&mixed, linux, || None));
    }
}
