//! A real lockfile where nothing attests, with `require = "attested"`:
//! this project's own (hundreds of packages) gives one screen of
//! diagnostics, not one per package, whether nothing has provenance
//! (violations) or nothing could be asked (not checked); JSON keeps one
//! message per package.

use std::path::Path;

use serde_json::Value;

use crate::harness::{Run, TestDir};

/// What fits on one terminal screen.
const SCREEN: usize = 50;

fn this_projects_lockfile() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock")
}

/// The run over this project's lockfile with `policy`, offline, in human
/// form and in JSON.
fn runs(policy: &str) -> (Run, Vec<Value>) {
    let dir = TestDir::new();
    std::fs::create_dir_all(dir.join("bundles")).unwrap();
    dir.write("provenance.toml", policy);
    let run = |format: &str| {
        dir.command()
            .arg("--lockfile")
            .arg(this_projects_lockfile())
            .args([
                "--policy",
                "provenance.toml",
                "--offline",
                "--color",
                "never",
            ])
            .args(["--now", "2026-11-25T12:00:00Z", "--message-format", format])
            .run()
    };
    let json = run("json")
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|m: &Value| m["reason"] == "package")
        .collect();
    (run("human"), json)
}

fn assert_one_screen(run: &Run, code: &str, packages: usize) {
    let lines = run.stderr.lines().count();
    assert!(
        lines <= SCREEN,
        "{lines} lines of diagnostics for {packages} packages:\n{}",
        run.stderr
    );
    let diagnostics = run.stderr.matches(&format!("[{code}]")).count();
    assert!(
        (1..=3).contains(&diagnostics),
        "{diagnostics} `{code}` diagnostics:\n{}",
        run.stderr
    );
}

#[test]
fn nothing_attested_in_this_projects_lockfile_is_one_screen_of_violations() {
    let (run, json) = runs(
        "[defaults]\nrequire = \"attested\"\n\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let violations = json.iter().filter(|m| m["outcome"] == "violation").count();
    assert!(violations > 100, "{violations}");
    assert_one_screen(&run, "provenance-violation", violations);
    run.assert_stderr(format!(
        "{violations} packages: provenance does not satisfy [defaults]"
    ));
}

#[test]
fn nothing_cached_for_this_projects_lockfile_is_one_screen_of_unchecked() {
    let (run, json) = runs("[defaults]\nrequire = \"attested\"\n\n[[source]]\nkind = \"github\"\n");
    // A crate whose manifest names no repository has no provenance from
    // GitHub (a violation, exit 1); the rest could not be asked.
    assert!([1, 2].contains(&run.code), "{}", run.stderr);
    let unchecked = json.iter().filter(|m| m["outcome"] == "error").count();
    assert!(unchecked > 100, "{unchecked}");
    assert_one_screen(&run, "provenance-unchecked", unchecked);
    run.assert_stderr(format!(
        "{unchecked} packages: could not be checked, and [defaults] requires evidence"
    ));
}
