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
    /// other edge of the second `false`. Output that cannot be read whole
    /// is an error: a scope decided from part of the graph could leave out
    /// what cargo builds.
    pub(super) fn active_edges(
        &self,
        options: &MetadataOptions,
        targets: &[String],
    ) -> Result<ActiveEdges, WorkspaceError> {
        let mut active = ActiveEdges::new();
        for edge in self.tree_edges(&cargo_tree(options, targets, "normal,build")?)? {
            active.insert(edge, true);
        }
        for edge in self.tree_edges(&cargo_tree(options, targets, "normal,build,dev")?)? {
            active.entry(edge).or_insert(false);
        }
        Ok(active)
    }

    /// The edges of [`cargo_tree`]'s output, as positions in the inventory.
    ///
    /// Each package line is its depth, the run's marker, the package name,
    /// `v` and its version, then cargo's notes (source, `(proc-macro)`,
    /// `(*)` for a subtree already printed). No file name can forge such a
    /// line: the marker is drawn at random for the run. A path holding a
    /// line break continues the line of its package. Refused, as
    /// [`WorkspaceError::TreeUnreadable`]: a line before the first package,
    /// a package line without a name and version, a depth more than one
    /// below its parent's, a package the lockfile does not hold, and any
    /// other line that does not continue a package's source. A package of
    /// a name and version the lockfile holds from more than one source gets
    /// the edge to each (kept in scope rather than left out).
    fn tree_edges(&self, tree: &TreeOutput) -> Result<Vec<(usize, usize)>, WorkspaceError> {
        let mut by_id: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        let versions: Vec<String> = self
            .packages
            .iter()
            .map(|p| p.version.to_string())
            .collect();
        for (index, package) in self.packages.iter().enumerate() {
            by_id
                .entry((package.name.as_str(), versions[index].as_str()))
                .or_default()
                .push(index);
        }
        let mut edges = Vec::new();
        // The packages on the path to the current line, by depth.
        let mut stack: Vec<&[usize]> = Vec::new();
        // Whether the last package line printed a source a line break may continue.
        let mut open_source = false;
        for (number, line) in tree.text.split('\n').enumerate() {
            let unreadable = |reason| unreadable(number + 1, line, reason);
            let Some(record) = TreeLine::parse(line, &tree.marker) else {
                match (line.is_empty(), open_source) {
                    (true, _) | (false, true) => continue,
                    (false, false) => return Err(unreadable("not a package line")),
                }
            };
            let TreeLine {
                depth,
                name,
                version,
                notes,
            } = record.map_err(unreadable)?;
            if depth > stack.len() {
                return Err(unreadable("deeper than the line above allows"));
            }
            let found = by_id
                .get(&(name, version))
                .ok_or_else(|| unreadable("a package Cargo.lock does not hold"))?;
            stack.truncate(depth);
            if let Some(parents) = depth.checked_sub(1).and_then(|up| stack.get(up)) {
                for &from in *parents {
                    edges.extend(found.iter().map(|&to| (from, to)));
                }
            }
            stack.push(found);
            open_source = notes;
        }
        Ok(edges)
    }
}

/// What [`cargo_tree`] printed, and the marker its package lines carry.
struct TreeOutput {
    text: String,
    marker: String,
}

/// One package line of [`TreeOutput`].
struct TreeLine<'a> {
    depth: usize,
    name: &'a str,
    version: &'a str,
    /// cargo's notes follow the version (a source a line break in a path
    /// may continue).
    notes: bool,
}

impl<'a> TreeLine<'a> {
    /// `None` for a line that is not a package line (no depth and marker);
    /// else the line, or why it is not one.
    fn parse(line: &'a str, marker: &str) -> Option<Result<Self, &'static str>> {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        let rest = line[digits..].strip_prefix(marker)?;
        let Ok(depth) = line[..digits].parse::<usize>() else {
            return Some(Err("no depth"));
        };
        let mut words = rest.splitn(3, ' ');
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            return Some(Err("no name and version"));
        };
        let Some(version) = version.strip_prefix('v').filter(|v| !v.is_empty()) else {
            return Some(Err("no version"));
        };
        if name.is_empty() {
            return Some(Err("no name"));
        }
        Some(Ok(Self {
            depth,
            name,
            version,
            notes: words.next().is_some(),
        }))
    }
}

/// The error for line `number`, shown cut to a readable length.
fn unreadable(number: usize, line: &str, reason: &'static str) -> WorkspaceError {
    const SHOWN: usize = 200;
    let mut text: String = line.chars().take(SHOWN).collect();
    if line.chars().count() > SHOWN {
        text.push('…');
    }
    WorkspaceError::TreeUnreadable {
        line: number,
        reason,
        text,
    }
}

/// A marker drawn from the operating system's random source: 128 bits as
/// hex, which no file name chosen before the run can hold.
fn marker() -> Result<String, WorkspaceError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| WorkspaceError::NoMarker(e.to_string()))?;
    Ok(format!("<{}>", hex::encode(bytes)))
}

/// `cargo tree` for the workspace with every feature of every member (as
/// the graph from `cargo metadata`), `--locked`, `--offline` when asked, the
/// `edges` kinds, and `--target` for each target (`--target all` when there
/// are none), each package printed after its depth and a random marker
/// (see [`Inventory::tree_edges`]). Cargo is `$CARGO`, else `cargo` on `PATH`.
fn cargo_tree(
    options: &MetadataOptions,
    targets: &[String],
    edges: &str,
) -> Result<TreeOutput, WorkspaceError> {
    let marker = marker()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args(["tree", "--locked", "--workspace", "--all-features"]);
    command.args(["--prefix", "depth", "--edges", edges]);
    command.arg("--format").arg(format!("{marker}{{p}}"));
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
    let text = String::from_utf8(output.stdout).map_err(|e| not_utf8(&e))?;
    Ok(TreeOutput { text, marker })
}

/// The error for output that is not UTF-8: the line of the first byte that
/// is not, by its number, shown lossily.
fn not_utf8(error: &std::string::FromUtf8Error) -> WorkspaceError {
    let (bytes, at) = (error.as_bytes(), error.utf8_error().valid_up_to());
    let start = bytes[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[at..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |i| at + i);
    let number = bytes[..start].iter().filter(|b| **b == b'\n').count() + 1;
    unreadable(
        number,
        &String::from_utf8_lossy(&bytes[start..end]),
        "not UTF-8",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::parse_lockfile;
    use std::path::Path;

    const M: &str = "<00ff>";

    /// `app` (path), `b` (path) and `c` 1.0.0 from crates.io.
    fn inventory() -> Inventory {
        let lock = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"c\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";
        parse_lockfile(Path::new("Cargo.lock"), lock.to_string()).unwrap()
    }

    fn edges(text: &str) -> Result<Vec<(usize, usize)>, WorkspaceError> {
        let tree = TreeOutput {
            text: text.to_string(),
            marker: M.to_string(),
        };
        let mut edges = inventory().tree_edges(&tree)?;
        edges.sort_unstable();
        Ok(edges)
    }

    fn refusal(text: &str) -> (usize, &'static str) {
        match edges(text) {
            Err(WorkspaceError::TreeUnreadable { line, reason, .. }) => (line, reason),
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn tree_lines_become_edges_by_depth() {
        let output = format!(
            "0{M}app v0.1.0 (/w/app)\n1{M}b v0.1.0 (proc-macro) (/w/b)\n2{M}c v1.0.0\n3{M}c v1.0.0\n1{M}c v1.0.0 (*)\n\n0{M}b v0.1.0 (proc-macro) (/w/b) (*)\n"
        );
        assert_eq!(edges(&output).unwrap(), [(0, 1), (0, 2), (1, 2), (2, 2)]);
    }

    /// A folder whose name holds line breaks and lines shaped like cargo's
    /// continues its package's line: nothing in it starts a package, and
    /// the packages after it keep their parent.
    #[test]
    fn a_path_with_line_breaks_cannot_forge_a_package_line() {
        let honest = format!(
            "0{M}app v0.1.0 (/w/app)\n1{M}b v0.1.0 (/w/x\n0b v0.1.0\n0c v1.0.0 (\n\n1 (*)\n)\n1{M}c v1.0.0\n"
        );
        assert_eq!(edges(&honest).unwrap(), [(0, 1), (0, 2)]);
    }

    #[test]
    fn a_line_not_understood_is_an_error_naming_it() {
        for (output, line, reason) in [
            (
                "0app v0.1.0 (/w/app)\n".to_string(),
                1,
                "not a package line",
            ),
            (
                format!("0{M}app v0.1.0 (/w/app)\n1{M}c v1.0.0\nstray\n"),
                3,
                "not a package line",
            ),
            (
                format!("0{M}app v0.1.0\n1{M}zzz v9.0.0\n"),
                2,
                "a package Cargo.lock does not hold",
            ),
            (
                format!("0{M}app v0.1.0\n2{M}c v1.0.0\n"),
                2,
                "deeper than the line above allows",
            ),
            (
                format!("1{M}c v1.0.0\n"),
                1,
                "deeper than the line above allows",
            ),
            (format!("0{M}app\n"), 1, "no name and version"),
            (format!("0{M}app 0.1.0\n"), 1, "no version"),
            (format!("0{M}app v\n"), 1, "no version"),
            (format!("0{M} v0.1.0\n"), 1, "no name"),
            (
                format!("99999999999999999999999{M}app v0.1.0\n"),
                1,
                "no depth",
            ),
        ] {
            assert_eq!(refusal(&output), (line, reason), "{output:?}");
        }
        match edges(&format!("{}\n", "x".repeat(500))) {
            Err(e @ WorkspaceError::TreeUnreadable { .. }) => {
                let message = e.to_string();
                assert!(
                    message.contains(&format!("{}…", "x".repeat(200))),
                    "{message}"
                );
                assert!(!message.contains(&"x".repeat(201)), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// A line of exactly the shown length is shown whole.
    #[test]
    fn a_line_is_cut_only_past_two_hundred_characters() {
        let line = "é".repeat(200);
        match unreadable(7, &line, "not a package line") {
            WorkspaceError::TreeUnreadable { line: 7, text, .. } => assert_eq!(text, line),
            other => panic!("{other:?}"),
        }
    }

    /// Output that is not UTF-8 names the line of its first bad byte, with
    /// that line alone, wherever the byte is on it.
    #[test]
    fn output_that_is_not_utf8_names_the_line_of_its_first_bad_byte() {
        for (bytes, number, shown) in [
            (&b"\xff"[..], 1, "\u{fffd}"),
            (b"0a v1\n1b v\xff2 (x)\n2c v3\n", 2, "1b v\u{fffd}2 (x)"),
            (b"0a v1\n1b v2\n\xffc", 3, "\u{fffd}c"),
            (b"0a v1\n\n2c v3\xff\n0d v4", 3, "2c v3\u{fffd}"),
        ] {
            let error = String::from_utf8(bytes.to_vec()).unwrap_err();
            match not_utf8(&error) {
                WorkspaceError::TreeUnreadable { line, reason, text } => {
                    assert_eq!((line, reason), (number, "not UTF-8"), "{bytes:?}");
                    assert_eq!(text, shown, "{bytes:?}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn markers_are_random_and_plain() {
        let (a, b) = (marker().unwrap(), marker().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 34);
        assert!(a.starts_with('<') && a.ends_with('>'));
        assert!(a[1..33].bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
