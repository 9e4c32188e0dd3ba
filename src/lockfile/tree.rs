//! What cargo builds for some targets, as `cargo tree` prints it.
//!
//! `cargo metadata` cannot say: its resolve unifies features across every
//! platform and dev-dependency (an optional dependency turned on only by a
//! Windows-only crate is listed on Linux too), and `--filter-platform`
//! judges the dependencies of build scripts and proc-macros by the target,
//! where cargo builds them for the machine that builds. `cargo tree` runs
//! cargo's own feature resolver for the targets given, so its graph is the
//! one cargo builds.

use std::collections::HashMap;
use std::process::Command;

use super::graph::ActiveEdges;
use super::{Inventory, MetadataOptions, WorkspaceError};

impl Inventory {
    /// The edges cargo builds for any of `targets` (every platform when
    /// empty), each with whether it is built without dev-dependencies
    /// (`true`) or only with them (`false`).
    ///
    /// Steps, in order: `cargo tree` without dev-dependencies, then with
    /// them (see [`cargo_tree`]); every edge of the first is `true`, every
    /// other edge of the second `false`.
    pub(super) fn active_edges(
        &self,
        options: &MetadataOptions,
        targets: &[String],
    ) -> Result<ActiveEdges, WorkspaceError> {
        let mut active = ActiveEdges::new();
        for edge in self.tree_edges(&cargo_tree(options, targets, "normal,build")?) {
            active.insert(edge, true);
        }
        for edge in self.tree_edges(&cargo_tree(options, targets, "normal,build,dev")?) {
            active.entry(edge).or_insert(false);
        }
        Ok(active)
    }

    /// The edges of `cargo tree --prefix depth --format {p}` output, as
    /// positions in the inventory.
    ///
    /// Each line is the depth, the package name, `v` and its version, then
    /// cargo's notes (source, `(proc-macro)`, `(*)` for a subtree already
    /// printed). A package is found by name and version; when the lockfile
    /// holds that name and version from more than one source, the edge is
    /// kept to each of them (kept in scope rather than left out). A line
    /// that names no package of the lockfile adds no edge.
    fn tree_edges(&self, output: &str) -> Vec<(usize, usize)> {
        let mut by_id: HashMap<(&str, String), Vec<usize>> = HashMap::new();
        for (index, package) in self.packages.iter().enumerate() {
            by_id
                .entry((package.name.as_str(), package.version.to_string()))
                .or_default()
                .push(index);
        }
        let mut edges = Vec::new();
        // The packages on the path to the current line, by depth.
        let mut stack: Vec<&[usize]> = Vec::new();
        for line in output.lines() {
            let digits = line.bytes().take_while(u8::is_ascii_digit).count();
            let Ok(depth) = line[..digits].parse::<usize>() else {
                continue;
            };
            let mut words = line[digits..].split_whitespace();
            let (Some(name), Some(version)) = (words.next(), words.next()) else {
                continue;
            };
            let found: &[usize] = version
                .strip_prefix('v')
                .and_then(|v| by_id.get(&(name, v.to_string())))
                .map_or(&[], Vec::as_slice);
            stack.truncate(depth);
            if depth > 0 {
                if let Some(parents) = stack.get(depth - 1) {
                    for &from in *parents {
                        edges.extend(found.iter().map(|&to| (from, to)));
                    }
                }
            }
            if stack.len() == depth {
                stack.push(found);
            }
        }
        edges
    }
}

/// `cargo tree` for the workspace with every feature of every member (as
/// the graph from `cargo metadata`), `--locked`, `--offline` when asked, the
/// `edges` kinds, and `--target` for each target (`--target all` when there
/// are none). Cargo is `$CARGO`, else `cargo` on `PATH`.
fn cargo_tree(
    options: &MetadataOptions,
    targets: &[String],
    edges: &str,
) -> Result<String, WorkspaceError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args(["tree", "--locked", "--workspace", "--all-features"]);
    command.args(["--prefix", "depth", "--format", "{p}", "--edges", edges]);
    if options.offline {
        command.arg("--offline");
    }
    if targets.is_empty() {
        command.args(["--target", "all"]);
    }
    for target in targets {
        command.args(["--target", target]);
    }
    if let Some(manifest) = &options.manifest_path {
        command.arg("--manifest-path").arg(manifest);
    }
    let output = command.output().map_err(|source| WorkspaceError::Spawn {
        cargo: cargo.to_string_lossy().into_owned(),
        source,
    })?;
    if !output.status.success() {
        return Err(WorkspaceError::TreeFailed {
            manifest: options
                .manifest_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the current directory".into()),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    String::from_utf8(output.stdout).map_err(|_| {
        WorkspaceError::BadOutput("`cargo tree` printed text that is not UTF-8".into())
    })
}

#[cfg(test)]
mod tests {
    use crate::lockfile::parse_lockfile;
    use std::path::Path;

    #[test]
    fn tree_lines_become_edges_by_depth() {
        let lock = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"c\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";
        let inventory = parse_lockfile(Path::new("Cargo.lock"), lock.to_string()).unwrap();
        let output = "0app v0.1.0 (/w/app)\n1b v0.1.0 (proc-macro) (/w/b)\n2c v1.0.0\n2unknown v9.0.0\n3c v1.0.0\n1c v1.0.0 (*)\n\n0b v0.1.0 (proc-macro) (/w/b) (*)\nnot a line\n";
        let mut edges = inventory.tree_edges(output);
        edges.sort_unstable();
        assert_eq!(edges, [(0, 1), (0, 2), (1, 2)]);
    }
}
