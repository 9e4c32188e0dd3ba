//! A generated cargo workspace of path crates only, with every kind of
//! dependency a scope has to tell apart: normal, build and dev
//! dependencies, dependencies for one platform (by `cfg` and by target
//! triple), a dependency declared both as a dev-dependency and for one
//! platform, proc-macros and build scripts. Cargo reads it offline (there
//! is nothing to download), so tests can compare with `cargo tree`.
//!
//! The members are `app` and `tool`; the other crates live in `crates/`,
//! outside the workspace, so that they are dependencies like any other.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use super::files::write_file;

/// How one crate depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    Normal,
    Build,
    Dev,
    /// A normal dependency under `[target.'…'.dependencies]`.
    Platform(&'static str),
}

/// Every platform table the generator uses, and what each is for.
const PLATFORMS: [&str; 4] = [
    "cfg(windows)",
    "cfg(unix)",
    "cfg(target_os = \"macos\")",
    "x86_64-pc-windows-msvc",
];

/// One crate of the workspace: its dependencies (by index into the list),
/// and whether it is a proc-macro or has a build script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathCrate {
    pub name: String,
    pub proc_macro: bool,
    pub build_script: bool,
    pub dependencies: Vec<(usize, Declared)>,
}

/// The crates of a workspace with `count` crates besides the members
/// (at least 8). Index 0 is `app`, 1 is `tool`, the rest `c0000`….
///
/// `app` depends on the first crates with every kind of declaration in
/// turn, and on two crates both as a dev-dependency and for one platform
/// (`cfg(windows)`, `cfg(unix)`); `tool` dev-depends on `app`. Crate `i`
/// depends on crates `3i+1` to `3i+3` (normal, build, or for one
/// platform in turn), so every crate is reachable and the graph is a
/// few levels deep; every 7th crate is a proc-macro, every 5th has a
/// build script.
pub fn path_workspace(count: usize) -> Vec<PathCrate> {
    let count = count.max(8);
    let width = count.saturating_sub(1).to_string().len().max(4);
    let mut crates = vec![
        PathCrate {
            name: "app".into(),
            proc_macro: false,
            build_script: false,
            dependencies: Vec::new(),
        },
        PathCrate {
            name: "tool".into(),
            proc_macro: false,
            build_script: false,
            dependencies: vec![(0, Declared::Dev)],
        },
    ];
    let first = crates.len();
    for i in 0..count {
        crates.push(PathCrate {
            name: format!("c{i:0width$}"),
            proc_macro: i % 7 == 6,
            build_script: i % 5 == 2,
            dependencies: Vec::new(),
        });
    }
    let app_kinds = [
        Declared::Normal,
        Declared::Dev,
        Declared::Platform(PLATFORMS[0]),
        Declared::Build,
        Declared::Platform(PLATFORMS[1]),
        Declared::Platform(PLATFORMS[2]),
        Declared::Platform(PLATFORMS[3]),
    ];
    for (k, kind) in app_kinds.iter().enumerate() {
        crates[0].dependencies.push((first + k, *kind));
    }
    // Declared twice: as a dev-dependency, and as a normal one for one platform.
    for (offset, platform) in [(7, PLATFORMS[0]), (8, PLATFORMS[1])] {
        let target = first + offset % count;
        crates[0].dependencies.push((target, Declared::Dev));
        crates[0]
            .dependencies
            .push((target, Declared::Platform(platform)));
    }
    let kinds = [
        Declared::Normal,
        Declared::Build,
        Declared::Platform(PLATFORMS[0]),
        Declared::Normal,
        Declared::Platform(PLATFORMS[1]),
    ];
    for i in 0..count {
        for k in 1..=3 {
            let j = 3 * i + k;
            if j < count {
                let kind = kinds[(i + k) % kinds.len()];
                crates[first + i].dependencies.push((first + j, kind));
            }
        }
    }
    crates
}

/// Write the workspace of [`path_workspace`] to `dir` (no lockfile: cargo
/// writes one, `cargo generate-lockfile --offline`).
pub fn write_path_workspace(dir: &Path, crates: &[PathCrate]) -> io::Result<()> {
    write_file(
        &dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"app\", \"tool\"]\nexclude = [\"crates\"]\nresolver = \"2\"\n",
    )?;
    for (index, krate) in crates.iter().enumerate() {
        let folder = crate_folder(dir, crates, index);
        let mut manifest = format!(
            "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
            krate.name
        );
        if krate.proc_macro {
            manifest.push_str("\n[lib]\nproc-macro = true\n");
        }
        let table = |declared: Declared| match declared {
            Declared::Normal => "dependencies".to_string(),
            Declared::Build => "build-dependencies".to_string(),
            Declared::Dev => "dev-dependencies".to_string(),
            Declared::Platform(platform) => format!("target.'{platform}'.dependencies"),
        };
        let mut tables: Vec<String> = Vec::new();
        for (_, declared) in &krate.dependencies {
            let name = table(*declared);
            if !tables.contains(&name) {
                tables.push(name);
            }
        }
        for name in tables {
            let _ = write!(manifest, "\n[{name}]\n");
            for (dependency, declared) in &krate.dependencies {
                if table(*declared) == name {
                    let path = relative(&folder, &crate_folder(dir, crates, *dependency), dir);
                    let _ = writeln!(
                        manifest,
                        "{} = {{ path = \"{path}\" }}",
                        crates[*dependency].name
                    );
                }
            }
        }
        write_file(&folder.join("Cargo.toml"), manifest)?;
        write_file(&folder.join("src/lib.rs"), "")?;
        if krate.build_script {
            write_file(&folder.join("build.rs"), "fn main() {}\n")?;
        }
    }
    Ok(())
}

fn crate_folder(dir: &Path, crates: &[PathCrate], index: usize) -> std::path::PathBuf {
    if index < 2 {
        dir.join(&crates[index].name)
    } else {
        dir.join("crates").join(&crates[index].name)
    }
}

/// `to` relative to `from`, both inside `dir`, with `/`.
fn relative(from: &Path, to: &Path, dir: &Path) -> String {
    let depth = from.strip_prefix(dir).map_or(0, |p| p.components().count());
    let up = "../".repeat(depth);
    let down = to
        .strip_prefix(dir)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    format!("{up}{down}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_declaration_is_written() {
        let crates = path_workspace(20);
        let dir = tempfile::tempdir().unwrap();
        write_path_workspace(dir.path(), &crates).unwrap();
        let app = std::fs::read_to_string(dir.path().join("app/Cargo.toml")).unwrap();
        for needle in [
            "[dependencies]\nc0000 = { path = \"../crates/c0000\" }",
            "[dev-dependencies]\nc0001 = { path = \"../crates/c0001\" }\nc0007",
            "[target.'cfg(windows)'.dependencies]\nc0002 = { path = \"../crates/c0002\" }\nc0007",
            "[build-dependencies]\nc0003",
            "[target.'x86_64-pc-windows-msvc'.dependencies]\nc0006",
        ] {
            assert!(app.contains(needle), "{needle:?} not in\n{app}");
        }
        let c6 = std::fs::read_to_string(dir.path().join("crates/c0006/Cargo.toml")).unwrap();
        assert!(c6.contains("proc-macro = true"), "{c6}");
        assert!(dir.path().join("crates/c0002/build.rs").is_file());
        let c0 = std::fs::read_to_string(dir.path().join("crates/c0000/Cargo.toml")).unwrap();
        assert!(
            c0.contains("c0001 = { path = \"../../crates/c0001\" }"),
            "{c0}"
        );
    }
}
