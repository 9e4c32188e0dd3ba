//! The layering rules of docs/architecture.md, read from the source: every
//! use points down its table of layers, no import cycle between modules,
//! and the core (everything but `cli` and `main.rs`) knows nothing of clap,
//! the command layer or the terminal.
//!
//! Every `.rs` file under `src/` is one module. A reference is any
//! `crate::…`, `super::…` or `self::…` path outside a comment, resolved to
//! the deepest module it names. A module and its own submodules use each
//! other freely (a parent re-exports, a child reads its parent's types);
//! between any other two modules, the reference counts as one between the
//! siblings that contain them (`policy::decide` using `evaluate` is
//! `policy` using `evaluate`), and those references must form no cycle at
//! any level.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules of the command layer: they alone see clap, stdout and stderr.
fn is_command_layer(module: &str) -> bool {
    module == "main" || module == "cli" || module.starts_with("cli::")
}

struct Module {
    file: PathBuf,
    /// The file with its comment lines blanked.
    code: String,
}

/// Every module under `src/`, by path (`policy::matcher`); `main` for the
/// binary, `crate` for lib.rs.
fn modules() -> BTreeMap<String, Module> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_files(&src, &mut files);
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().map(String::as_str) == Some("mod") {
                parts.pop();
            }
            let name = match parts.join("::").as_str() {
                "lib" => "crate".to_string(),
                other => other.to_string(),
            };
            let text = std::fs::read_to_string(&file).unwrap();
            // Comment lines are blanked, so that line numbers still hold.
            let code = text
                .lines()
                .map(|line| {
                    if line.trim_start().starts_with("//") {
                        ""
                    } else {
                        line
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            let file = Path::new("src").join(file.strip_prefix(&src).unwrap());
            (name, Module { file, code })
        })
        .collect()
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The identifier path that starts at `start` in `code`: `a::b::{c, d::e}`
/// gives `[a, b]` followed by each name in the braces (`[a, b, c]`, `[a, b, d, e]`).
fn paths_at(code: &str, start: usize) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut segments = Vec::new();
    let mut i = start;
    loop {
        let begin = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i == begin {
            break;
        }
        segments.push(code[begin..i].to_string());
        if code[i..].starts_with("::") {
            i += 2;
        } else {
            return vec![segments];
        }
    }
    if code[i..].starts_with('{') {
        // One level of grouping is enough for this codebase's `use` lines.
        let end = code[i..].find('}').map_or(code.len(), |e| i + e);
        return code[i + 1..end]
            .split(',')
            .map(|item| {
                let mut path = segments.clone();
                path.extend(
                    item.trim()
                        .split("::")
                        .map(|s| s.split_whitespace().next().unwrap_or("").to_string())
                        .filter(|s| !s.is_empty() && s != "{"),
                );
                path
            })
            .collect();
    }
    vec![segments]
}

/// The modules `name` refers to, each with the text of one reference.
fn references(name: &str, module: &Module, known: &BTreeSet<String>) -> BTreeMap<String, String> {
    let code = &module.code;
    let parent = |m: &str| -> String {
        match m.rsplit_once("::") {
            Some((parent, _)) => parent.to_string(),
            None => "crate".to_string(),
        }
    };
    let mut found = BTreeMap::new();
    for anchor in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(anchor) {
            let at = from + at;
            from = at + anchor.len();
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut base = match anchor {
                "crate::" => "crate".to_string(),
                "super::" => parent(name),
                _ => name.to_string(),
            };
            let mut rest = at + anchor.len();
            while anchor == "super::" && code[rest..].starts_with("super::") {
                base = parent(&base);
                rest += "super::".len();
            }
            for path in paths_at(code, rest) {
                let mut target = base.clone();
                let mut deepest = base.clone();
                for segment in &path {
                    target = if target == "crate" {
                        segment.clone()
                    } else {
                        format!("{target}::{segment}")
                    };
                    if known.contains(&target) {
                        deepest = target.clone();
                    }
                }
                let line = code[..at].matches('\n').count() + 1;
                found
                    .entry(deepest)
                    .or_insert_with(|| format!("{}:{line}", module.file.display()));
            }
        }
    }
    found.remove(name);
    found.remove("crate");
    found
}

/// Whether one module is the other or contains it.
fn related(a: &str, b: &str) -> bool {
    let within = |inner: &str, outer: &str| inner.starts_with(&format!("{outer}::"));
    a == b || within(a, b) || within(b, a)
}

/// The edge a reference from `from` to `to` makes between the two
/// siblings that contain them (below their nearest common ancestor):
/// `policy::decide → evaluate` is `policy → evaluate`, `cli::diff →
/// cli::check` stays as it is. `None` between a module and its own
/// submodules.
fn sibling_edge(from: &str, to: &str) -> Option<(String, String)> {
    if related(from, to) {
        return None;
    }
    let a: Vec<&str> = from.split("::").collect();
    let b: Vec<&str> = to.split("::").collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    Some((a[..=common].join("::"), b[..=common].join("::")))
}

/// The module graph, between siblings: `from → {to → the reference that makes it}`.
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    // `testkit::internals` only re-exports the private modules for the
    // integration tests, benchmarks and fuzz targets: it is a window onto
    // the crate, not a user of it.
    for (name, module) in modules.iter().filter(|(n, _)| *n != "testkit::internals") {
        for (to, at) in references(name, module, &known) {
            if let Some((a, b)) = sibling_edge(name, &to) {
                graph
                    .entry(a)
                    .or_default()
                    .entry(b)
                    .or_insert_with(|| format!("{at}: {name} uses {to}"));
            }
        }
    }
    graph
}

/// A cycle in the graph, if there is one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let start = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, graph, marks, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

#[test]
fn no_import_cycle_between_modules() {
    let graph = graph();
    // The check must see the modules and the uses it is about.
    let modules = modules();
    for module in [
        "cli",
        "cli::check",
        "run",
        "policy::parse",
        "evaluate",
        "report",
    ] {
        assert!(
            modules.contains_key(module),
            "{module} not found under src/"
        );
    }
    for (from, to) in [
        ("report", "evaluate"),
        ("evaluate", "policy"),
        ("cli", "run"),
    ] {
        assert!(graph[from].contains_key(to), "{from} → {to} not found");
    }
    if let Some(cycle) = find_cycle(&graph) {
        let steps: Vec<String> = cycle
            .windows(2)
            .map(|pair| format!("{} → {} ({})", pair[0], pair[1], graph[&pair[0]][&pair[1]]))
            .collect();
        panic!("import cycle:\n  {}", steps.join("\n  "));
    }
}

/// The row of each top-level module in docs/architecture.md's table of
/// layers: `| 7 | \`policy/\` | … |` gives `policy → 7`.
fn layers() -> BTreeMap<String, u32> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md");
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(row), Some(modules)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let Ok(row) = row.parse::<u32>() else {
            continue;
        };
        for module in modules.split(',') {
            let module = module.trim().trim_matches('`').trim_end_matches('/');
            rows.insert(module.to_string(), row);
        }
    }
    rows
}

#[test]
fn every_use_points_down_the_table_of_layers() {
    let layers = layers();
    assert_eq!(layers.get("cli"), layers.values().max());
    assert!(layers["lockfile"] < layers["policy"]);
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
    // The binary and the crate root hold no code of a layer; the test
    // instance is test support, used only by tests.
    let outside = |m: &str| matches!(top(m).as_str(), "main" | "crate" | "testkit");
    let mut problems = Vec::new();
    for (name, module) in modules.iter().filter(|(n, _)| !outside(n)) {
        let Some(&from) = layers.get(&top(name)) else {
            problems.push(format!(
                "{}: {name} is in no row of docs/architecture.md",
                module.file.display()
            ));
            continue;
        };
        for (to, at) in references(name, module, &known) {
            if outside(&to) || top(&to) == top(name) {
                continue;
            }
            match layers.get(&top(&to)) {
                Some(&row) if row < from => {}
                Some(&row) => problems.push(format!(
                    "{at}: {name} (row {from}) uses {to} (row {row}): uses must point down"
                )),
                None => problems.push(format!("{at}: {to} is in no row of docs/architecture.md")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_command_reaches_into_another_commands_module() {
    let crossing: Vec<String> = graph()
        .into_iter()
        .filter(|(from, _)| from.starts_with("cli::"))
        .flat_map(|(from, edges)| {
            edges
                .into_iter()
                .filter(|(to, _)| to.starts_with("cli::"))
                .map(move |(to, at)| format!("{from} → {to} ({at})"))
        })
        .collect();
    assert!(
        crossing.is_empty(),
        "what commands share belongs in cli/mod.rs or cli/global.rs:\n{}",
        crossing.join("\n")
    );
}

#[test]
fn the_core_knows_nothing_of_the_command_line() {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut problems = Vec::new();
    for (name, module) in modules.iter().filter(|(n, _)| !is_command_layer(n)) {
        for (to, at) in references(name, module, &known) {
            if is_command_layer(&to) {
                problems.push(format!("{at}: {name} uses the command layer ({to})"));
            }
        }
        for (number, line) in module.code.lines().enumerate() {
            let at = format!("{}:{}", module.file.display(), number + 1);
            if line.contains("clap::") || line.trim_start().starts_with("use clap") {
                problems.push(format!("{at}: {name} uses clap"));
            }
            for output in [
                "println!",
                "eprintln!",
                "print!(",
                "eprint!(",
                "io::stdout()",
                "io::stderr()",
                "process::exit",
            ] {
                if line.contains(output) {
                    problems.push(format!("{at}: {name} writes to the terminal ({output})"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checks_find_what_they_look_for() {
    let known: BTreeSet<String> = ["a", "a::b", "c", "c::d"].map(String::from).into();
    let module = |code: &str| Module {
        file: PathBuf::from("x.rs"),
        code: code.to_string(),
    };
    let refs = |name: &str, code: &str| -> Vec<String> {
        references(name, &module(code), &known)
            .into_keys()
            .collect()
    };
    assert_eq!(refs("c", "use crate::a::b::Thing;"), ["a::b"]);
    assert_eq!(refs("c", "use crate::{a::X, c::d};"), ["a", "c::d"]);
    assert_eq!(
        refs("c::d", "use super::super::a::b;\nlet x = super::Y;"),
        ["a::b", "c"]
    );
    assert_eq!(refs("a", "let y = crate::c::d::f(1);"), ["c::d"]);
    assert!(refs("a", "let z = my_crate::c::f();").is_empty());

    let edges = |pairs: &[(&str, &str)]| -> BTreeMap<String, BTreeMap<String, String>> {
        let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (from, to) in pairs {
            graph
                .entry(from.to_string())
                .or_default()
                .insert(to.to_string(), String::new());
        }
        graph
    };
    assert_eq!(
        find_cycle(&edges(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        find_cycle(&edges(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
    assert!(related("policy", "policy::parse") && !related("policy", "policy_x"));
    assert_eq!(
        sibling_edge("policy::decide", "evaluate"),
        Some(("policy".into(), "evaluate".into()))
    );
    assert_eq!(
        sibling_edge("cli::diff", "cli::check::x"),
        Some(("cli::diff".into(), "cli::check".into()))
    );
    assert_eq!(sibling_edge("policy::parse", "policy"), None);
}

/// The modules docs/architecture.md's table of the public API lists:
/// `| \`run\` | … |` under `| public module | … |`.
fn documented_public_modules() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md");
    let text = std::fs::read_to_string(path).unwrap();
    let table = text
        .lines()
        .skip_while(|line| !line.starts_with("| public module |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'));
    table
        .filter_map(|line| line.split('|').nth(1))
        .map(|cell| cell.trim().trim_matches('`').to_string())
        .collect()
}

/// The modules `src/lib.rs` declares `pub mod` (inline or not).
fn public_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .filter_map(|line| line.trim_start().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches([';', '{', ' ']).trim().to_string())
        .collect()
}

#[test]
fn every_public_module_is_in_the_documented_api() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let documented = documented_public_modules();
    assert!(
        documented.contains("run"),
        "no table of the public API read"
    );
    let declared = public_modules(&lib);
    let undocumented: Vec<&String> = declared.difference(&documented).collect();
    let gone: Vec<&String> = documented.difference(&declared).collect();
    assert!(
        undocumented.is_empty() && gone.is_empty(),
        "src/lib.rs and docs/architecture.md's public API differ: \
         `pub mod` not documented: {undocumented:?}; documented but not public: {gone:?} \
         (a module the library does not mean to offer is `pub(crate) mod`)"
    );
    // The check sees what it looks for.
    assert_eq!(
        public_modules("pub mod a;\npub(crate) mod b;\n// pub mod c;\npub mod d {\n"),
        BTreeSet::from(["a".to_string(), "d".to_string()])
    );
}

/// Files named `NAME.rs` whose folder also holds a folder `NAME/`: a module
/// with submodules written as `NAME.rs` beside them, not as `NAME/mod.rs`.
fn modules_beside_their_folder(files: &[PathBuf]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|file| file.extension().is_some_and(|e| e == "rs"))
        .filter(|file| {
            files
                .iter()
                .any(|other| other.parent() == Some(&file.with_extension("")))
        })
        .cloned()
        .collect()
}

#[test]
fn a_module_with_submodules_is_its_folders_mod_rs() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_files(&src, &mut files);
    let beside = modules_beside_their_folder(&files);
    assert!(
        beside.is_empty(),
        "one module-file convention: move these into their folder as mod.rs \
         (`git mv src/a.rs src/a/mod.rs`): {beside:?}"
    );
    // The check sees what it looks for.
    let files = [
        "src/a.rs",
        "src/a/b.rs",
        "src/c/mod.rs",
        "src/c/d.rs",
        "src/e.rs",
    ]
    .map(PathBuf::from);
    assert_eq!(
        modules_beside_their_folder(&files),
        [PathBuf::from("src/a.rs")]
    );
}
