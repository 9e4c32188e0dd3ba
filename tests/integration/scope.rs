//! The scope of a run (`--target`, `--no-dev`, `[graph]`) against what
//! cargo itself says it builds (`cargo tree`), on a generated workspace of
//! path crates and on this project's own workspace; and the dependency
//! path under every diagnostic.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use cargo_verify_provenance::testkit::workspace::{path_workspace, write_path_workspace};
use serde_json::Value;

use crate::harness::TestDir;

const LINUX: &str = "x86_64-unknown-linux-gnu";
const WINDOWS: &str = "x86_64-pc-windows-msvc";

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `cargo generate-lockfile` for the workspace in `dir`.
fn generate_lockfile(dir: &TestDir) {
    let status = cargo()
        .args(["generate-lockfile", "--offline"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
}

/// A generated workspace of path crates, with its lockfile.
fn generated() -> TestDir {
    let dir = TestDir::new();
    write_path_workspace(dir.path(), &path_workspace(40)).unwrap();
    generate_lockfile(&dir);
    dir
}

/// The packages `cargo tree` lists for the workspace at `manifest`, as
/// `name@version`.
fn cargo_tree(manifest: &Path, target: &str, edges: &str) -> BTreeSet<String> {
    let output = cargo()
        .args([
            "tree",
            "--offline",
            "--locked",
            "--workspace",
            "--all-features",
        ])
        .args(["--target", target, "-e", edges])
        .args(["--prefix", "none", "--format", "{p}"])
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next().unwrap();
            let version = words.next().unwrap().trim_start_matches('v');
            format!("{name}@{version}")
        })
        .collect()
}

/// The inventory of the workspace at `manifest` under the scope flags.
fn inventory(dir: &TestDir, manifest: &Path, scope: &[&str]) -> Vec<Value> {
    let run = dir
        .command()
        .args(["inventory", "--message-format", "json", "--offline"])
        .arg("--manifest-path")
        .arg(manifest)
        .args(scope)
        .run()
        .expect_code(0);
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    value["packages"].as_array().unwrap().clone()
}

fn id(package: &Value) -> String {
    format!(
        "{}@{}",
        package["name"].as_str().unwrap(),
        package["version"].as_str().unwrap()
    )
}

fn in_scope(packages: &[Value]) -> BTreeSet<String> {
    packages
        .iter()
        .filter(|p| p["out_of_scope"].is_null())
        .map(id)
        .collect()
}

fn reason_of<'a>(packages: &'a [Value], name: &str) -> &'a Value {
    &packages.iter().find(|p| p["name"] == name).unwrap()["out_of_scope"]
}

#[test]
fn the_scope_of_a_generated_workspace_is_what_cargo_builds() {
    let dir = generated();
    let manifest = dir.join("Cargo.toml");
    for (target, flags, edges) in [
        (Some(LINUX), &["--no-dev"][..], "normal,build"),
        (Some(LINUX), &[][..], "normal,build,dev"),
        (Some(WINDOWS), &["--exclude-dev"][..], "normal,build"),
        (None, &["--no-dev"][..], "normal,build"),
    ] {
        let mut scope: Vec<&str> = target.iter().flat_map(|t| ["--target", t]).collect();
        scope.extend(flags);
        let packages = inventory(&dir, &manifest, &scope);
        let expected = cargo_tree(&manifest, target.unwrap_or("all"), edges);
        assert_eq!(in_scope(&packages), expected, "{target:?} {flags:?}");
        if target.is_some() {
            assert!(expected.len() < packages.len(), "something is left out");
        }
    }

    let packages = inventory(&dir, &manifest, &["--target", LINUX, "--no-dev"]);
    // A dev-dependency of app that c0000 build-depends on: built.
    assert!(reason_of(&packages, "c0001").is_null());
    // For Windows only.
    assert_eq!(
        reason_of(&packages, "c0002"),
        &serde_json::json!({"kind": "other-platforms", "targets": [LINUX]})
    );
    // Declared both as a dev-dependency and for one platform: for Windows
    // (left out on Linux, as dev-only), for unix (built on Linux).
    assert_eq!(reason_of(&packages, "c0007")["kind"], "dev-only");
    assert!(reason_of(&packages, "c0008").is_null());
    if cfg!(target_os = "linux") {
        // Build dependencies are built for the machine that builds: on a
        // Linux host, for a Windows target, the unix-only dependency of a
        // build dependency (c0003 → c0010) is built; the Windows-only one
        // of c0001 (c0001 → c0004) is built only where c0001 is compiled
        // for the target: as app's dev-dependency, not as c0000's build
        // dependency.
        let windows = inventory(&dir, &manifest, &["--target", WINDOWS, "--no-dev"]);
        assert!(reason_of(&windows, "c0010").is_null());
        assert_eq!(reason_of(&windows, "c0004")["kind"], "dev-only");
    }
    // Every platform, dev-dependencies included: the whole lockfile.
    let everything = inventory(&dir, &manifest, &[]);
    assert_eq!(in_scope(&everything).len(), everything.len());
}

#[test]
fn the_scope_of_this_workspace_is_what_cargo_builds() {
    let dir = TestDir::new();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let packages = inventory(&dir, &manifest, &["--target", LINUX, "--no-dev"]);
    let expected = cargo_tree(&manifest, LINUX, "normal,build");
    assert_eq!(in_scope(&packages), expected);
    // Windows-only crates and dev-dependencies are in the lockfile, and out.
    let kinds: BTreeSet<&str> = packages
        .iter()
        .filter_map(|p| p["out_of_scope"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["dev-only", "other-platforms"]));
}

/// Policy for the generated workspace: every path dependency must be
/// listed (none is), and the scope comes from the policy.
const STRICT_PATHS: &str =
    "[graph]\ntargets = [\"x86_64-unknown-linux-gnu\"]\nexclude-dev = true\n\n[path]\nallow = []\n";

#[test]
fn out_of_scope_packages_are_listed_never_checked_and_every_diagnostic_has_its_path() {
    let dir = generated();
    dir.write("provenance.toml", STRICT_PATHS);
    let run = dir
        .command()
        .args(["--offline", "--message-format", "json"])
        .run()
        .expect_code(1);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let packages: Vec<&Value> = lines.iter().filter(|l| l["reason"] == "package").collect();
    let summary = lines.last().unwrap();
    let out: Vec<&&Value> = packages
        .iter()
        .filter(|p| p["outcome"] == "out-of-scope")
        .collect();
    assert!(!out.is_empty());
    for package in &out {
        assert_eq!(package["rule"]["kind"], "out-of-scope", "{package}");
        assert!(package["out_of_scope"]["kind"].is_string(), "{package}");
        // Listed with why it is locked at all.
        assert_eq!(package["dependency_path"][0], "app@0.1.0", "{package}");
    }
    assert_eq!(summary["out_of_scope"], out.len());
    assert_eq!(summary["packages"], packages.len() - out.len());
    assert_eq!(
        summary["graph"],
        serde_json::json!({"origin": "metadata", "targets": [LINUX], "exclude_dev": true})
    );
    let violations: Vec<&&Value> = packages
        .iter()
        .filter(|p| p["outcome"] == "violation")
        .collect();
    assert_eq!(summary["violations"], violations.len());
    for package in &violations {
        let path = package["dependency_path"].as_array().unwrap();
        assert!(path.len() >= 2, "{package}");
        assert!(path[0] == "app@0.1.0" || path[0] == "tool@0.1.0");
        assert_eq!(path.last().unwrap().as_str().unwrap(), id(package));
        assert_eq!(package["direct"], path.len() == 2, "{package}");
    }

    // For people: one diagnostic per violation, each with its path; the
    // table leaves out what is out of scope unless -v.
    let human = dir
        .command()
        .args(["--offline", "--color", "never"])
        .run()
        .expect_code(1);
    let diagnostics = human.stderr.matches("provenance-violation").count();
    assert_eq!(diagnostics, violations.len(), "{}", human.stderr);
    assert_eq!(
        human
            .stderr
            .matches("dependency path: app@0.1.0 → ")
            .count(),
        violations.len(),
        "{}",
        human.stderr
    );
    assert!(
        !human.stdout.lines().any(|l| l.starts_with("out-of-scope ")),
        "{}",
        human.stdout
    );
    let members = packages
        .iter()
        .filter(|p| p["workspace_member"] == true)
        .count();
    human.assert_stdout(format!(
        ", {} out-of-scope ({} dependencies; ",
        out.len(),
        packages.len() - members
    ));
    let verbose = dir
        .command()
        .args(["--offline", "--color", "never", "-v"])
        .run()
        .expect_code(1);
    let listed = verbose
        .stdout
        .lines()
        .filter(|l| l.starts_with("out-of-scope "))
        .count();
    assert_eq!(listed, out.len(), "{}", verbose.stdout);
    verbose.assert_stdout("dev-only: reached from the workspace only through dev-dependencies");
    verbose.assert_stdout(format!("not built for {LINUX}"));

    // The step summary leads with the build-time code in scope that has
    // no attestation: every proc-macro and build script, none outside.
    let summary_file = dir.join("summary.md");
    dir.command()
        .args(["--offline"])
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .run()
        .expect_code(1);
    let markdown = std::fs::read_to_string(&summary_file).unwrap();
    let section = markdown
        .find("### Build-time code without an attestation")
        .expect(&markdown);
    assert!(
        section
            < markdown
                .find("| status | package | evidence | details |")
                .unwrap()
    );
    let listed: BTreeSet<String> = markdown[section..]
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('`').nth(1).unwrap().to_string())
        .collect();
    let build_time: BTreeSet<String> = packages
        .iter()
        .filter(|p| p["outcome"] != "out-of-scope" && p["workspace_member"] == false)
        .filter(|p| {
            p["build_time"]["proc_macro"] == true || p["build_time"]["build_script"] == true
        })
        .map(|p| id(p))
        .collect();
    assert!(!build_time.is_empty());
    assert_eq!(listed, build_time, "{markdown}");

    // The command line replaces the policy's targets.
    let windows = dir
        .command()
        .args(["--offline", "--message-format", "json", "--target", WINDOWS])
        .run();
    let summary: Value = serde_json::from_str(windows.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["graph"]["targets"], serde_json::json!([WINDOWS]));
    assert_eq!(summary["graph"]["exclude_dev"], true);
}

/// A workspace whose root `app` depends on `evil`, in a folder whose name
/// holds line breaks and text shaped like `cargo tree`'s lines, and on
/// `needed`, printed after it.
fn hostile_folder_workspace() -> TestDir {
    let dir = TestDir::new();
    let evil =
        "evil\n0zzz v9.9.9 (x)\n1needed v0.1.0 (*)\t) (proc-macro) v1.0.0 {p} <00>\u{202e}\n\n";
    for (folder, name) in [(evil, "evil"), ("needed", "needed")] {
        dir.write(
            format!("{folder}/Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        );
        dir.write(format!("{folder}/src/lib.rs"), "");
    }
    // A JSON string is a TOML basic string.
    let path = serde_json::to_string(evil).unwrap();
    dir.write(
        "Cargo.toml",
        format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nevil = {{ path = {path} }}\nneeded = {{ path = \"needed\" }}\n"),
    );
    dir.write("src/lib.rs", "");
    generate_lockfile(&dir);
    dir
}

/// No file name forges a line of cargo's graph: with a path dependency
/// whose folder name holds line breaks and lines shaped like cargo's,
/// what cargo builds is in scope (before, `needed` was read as the child
/// of a root the folder name made up, and left out).
#[test]
fn a_folder_name_cannot_take_a_package_out_of_scope() {
    let dir = hostile_folder_workspace();
    let manifest = dir.join("Cargo.toml");
    for scope in [
        &["--target", LINUX][..],
        &["--target", LINUX, "--no-dev"][..],
    ] {
        let packages = inventory(&dir, &manifest, scope);
        assert_eq!(
            in_scope(&packages),
            BTreeSet::from([
                "app@0.1.0".into(),
                "evil@0.1.0".into(),
                "needed@0.1.0".into()
            ]),
            "{scope:?}: {packages:#?}"
        );
    }
}

/// Any line of `cargo tree` not understood is an error naming it, never
/// skipped: a graph read in part could leave out what cargo builds.
#[cfg(unix)]
#[test]
fn a_line_of_cargo_tree_not_understood_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = generated();
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // cargo, except that `cargo tree` prints a line it never would.
    let script = dir.write(
        "fake-cargo",
        format!(
            "#!/bin/sh\nif [ \"$1\" = tree ]; then printf '0 stray line\\n'; exit 0; fi\nexec '{real}' \"$@\"\n"
        ),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = dir
        .command()
        .env("CARGO", &script)
        .args(["inventory", "--offline", "--target", LINUX])
        .run()
        .expect_code(2);
    run.assert_stderr("cargo-tree-unreadable");
    run.assert_stderr("line 1: not a package line");
    run.assert_stderr("0 stray line");
}

#[test]
fn a_bare_lockfile_cannot_be_limited() {
    let dir = generated();
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--target", LINUX, "--offline"])
        .run()
        .expect_code(2);
    run.assert_stderr("--lockfile");
    // From the policy: everything is checked, and a warning says so.
    dir.write("provenance.toml", STRICT_PATHS);
    let run = dir
        .command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--message-format",
            "json",
        ])
        .run()
        .expect_code(1);
    run.assert_stderr("warning[scope-not-applied]");
    let summary: Value = serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["out_of_scope"], 0);
    assert_eq!(summary["graph"]["origin"], "lockfile");
    // `fetch` says so too.
    let run = dir
        .command()
        .args(["fetch", "--lockfile", "Cargo.lock", "--offline"])
        .run();
    run.assert_stderr("warning[scope-not-applied]");
}

#[test]
fn explain_lists_every_path_and_sarif_carries_the_shortest() {
    let dir = generated();
    // Every platform, dev-dependencies included: c0007 is a dev-dependency
    // of app (also for Windows) and a dependency of c0002, which app and
    // c0000 depend on.
    let run = dir
        .command()
        .args(["explain", "c0007", "--offline", "--message-format", "json"])
        .run()
        .expect_code(0);
    let explanation: Value = serde_json::from_str(&run.stdout).unwrap();
    let graph = &explanation["graph"];
    assert_eq!(graph["path_count"], 3, "{graph}");
    assert_eq!(
        graph["paths"],
        serde_json::json!([
            ["app@0.1.0", "c0007@0.1.0"],
            ["app@0.1.0", "c0002@0.1.0", "c0007@0.1.0"],
            ["app@0.1.0", "c0000@0.1.0", "c0002@0.1.0", "c0007@0.1.0"]
        ])
    );
    assert_eq!(graph["direct"], true);
    assert!(graph["out_of_scope"].is_null());
    let text = dir
        .command()
        .args(["explain", "c0007", "--offline"])
        .run()
        .expect_code(0);
    text.assert_stdout("Why it is here (a direct dependency; 3 paths)");
    text.assert_stdout("  app@0.1.0 → c0002@0.1.0 → c0007@0.1.0");
    // A proc-macro, outside the scope on Linux (only a Windows crate uses it).
    let text = dir
        .command()
        .args(["explain", "c0013", "--offline", "--no-dev"])
        .args(["--target", LINUX])
        .run()
        .expect_code(0);
    text.assert_stdout("build-time  yes: a proc-macro");

    // SARIF: each result's message and properties carry the shortest path.
    dir.write("provenance.toml", STRICT_PATHS);
    let sarif = dir
        .command()
        .args(["--offline", "--message-format", "sarif"])
        .run()
        .expect_code(1);
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let path = result["properties"]["dependencyPath"].as_array().unwrap();
        assert!(path.len() >= 2 && path[0] == "app@0.1.0", "{result}");
        let text = result["message"]["text"].as_str().unwrap();
        assert!(text.contains("dependency path: app@0.1.0 → "), "{text}");
    }
}
