//! What a run checks, said first: the lockfile, the policy file (how it is
//! found, and where the search for it ends) and the trust roots, in the
//! human report's first line and the JSON summary; a lockfile with nothing
//! in it is an error, never a pass.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::faults::lockfile;
use crate::harness::{Run, TestDir};

const NOW: &str = "2026-06-01T00:00:00Z";

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

/// The last JSON message: the summary.
fn json_summary(run: &Run) -> Value {
    let last = run.stdout.lines().last().expect("a summary line");
    let summary: Value = serde_json::from_str(last).unwrap();
    assert_eq!(summary["reason"], "summary", "{summary}");
    summary
}

#[test]
fn a_folder_with_a_lockfile_but_no_manifest_is_audited_as_that_lockfile_under_its_policy() {
    // examples/demo has a Cargo.lock and a provenance.toml, and lies inside
    // this project's workspace, whose Cargo.toml is above it.
    let cache = TestDir::new();
    let run = cache
        .command()
        .current_dir(demo())
        .args(["--offline", "--color", "never", "--now", NOW])
        .run()
        .expect_code(0);
    let root = demo().join("trusted_root.json");
    assert_eq!(
        run.stdout.lines().next().unwrap(),
        format!(
            "lockfile: Cargo.lock; policy: provenance.toml; trust roots: {}",
            root.display()
        )
    );
    assert!(
        run.stdout
            .lines()
            .last()
            .unwrap()
            .contains("(46 dependencies; 1 workspace member)"),
        "{}",
        run.stdout
    );

    let run = cache
        .command()
        .current_dir(demo())
        .args(["--offline", "--now", NOW, "--message-format", "json"])
        .run()
        .expect_code(0);
    let summary = json_summary(&run);
    assert_eq!(summary["lockfile"], "Cargo.lock");
    assert_eq!(
        summary["policy"],
        demo().join("provenance.toml").display().to_string()
    );
    assert_eq!(summary["trust_roots"][0], root.display().to_string());

    // `policy check` finds the same file.
    cache
        .command()
        .current_dir(demo())
        .args(["policy", "check"])
        .run()
        .expect_code(0)
        .assert_stdout(format!(
            "{}: valid (3 package rules, 1 owner rule, 2 exemptions, 1 source, mode enforce)",
            demo().join("provenance.toml").display()
        ));
}

#[test]
fn every_human_report_starts_with_the_lockfile_policy_and_trust_roots() {
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=2));
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
        .run()
        .expect_code(2);
    assert_eq!(
        run.stdout.lines().next().unwrap(),
        "lockfile: Cargo.lock; no policy file: nothing required; trust roots: public-good, github"
    );
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
        .args(["--message-format", "json"])
        .run()
        .expect_code(2);
    let summary = json_summary(&run);
    assert_eq!(summary["policy"], Value::Null);
    assert_eq!(
        summary["trust_roots"],
        serde_json::json!(["public-good", "github"])
    );

    // explain and diff start with the same line.
    dir.write("provenance.toml", "[defaults]\n");
    dir.write("old.lock", lockfile(1..=1));
    let header = "lockfile: Cargo.lock; policy: provenance.toml; trust roots: public-good, github";
    for args in [
        &["explain", "pkg1", "--lockfile", "Cargo.lock"][..],
        &["diff", "old.lock", "Cargo.lock"][..],
    ] {
        let run = dir
            .command()
            .args(args)
            .args(["--policy", "provenance.toml", "--offline", "--now", NOW])
            .run();
        assert_eq!(
            run.stdout.lines().next(),
            Some(header),
            "{args:?}:\n{}{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn the_policy_search_stops_at_the_repository_root() {
    let dir = TestDir::new();
    // A strict policy above the repository: it must not decide the run.
    dir.write("provenance.toml", "[defaults]\nrequire = \"attested\"\n");
    std::fs::create_dir_all(dir.join("repo/.git")).unwrap();
    dir.write("repo/sub/Cargo.lock", lockfile(1..=2));
    let check = || {
        dir.command()
            .args([
                "--lockfile",
                "repo/sub/Cargo.lock",
                "--offline",
                "--now",
                NOW,
            ])
            .run()
    };
    let run = check().expect_code(2);
    assert!(
        run.stdout
            .starts_with("lockfile: repo/sub/Cargo.lock; no policy file: nothing required;"),
        "{}",
        run.stdout
    );
    run.assert_stderr("up to the repository root");

    // Within the repository, the nearest file upward is found.
    dir.write(
        "repo/provenance.toml",
        "[defaults]\nrequire = \"attested\"\n",
    );
    let run = check().expect_code(2);
    assert!(
        run.stdout
            .starts_with("lockfile: repo/sub/Cargo.lock; policy: repo/provenance.toml;"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_vendored_lockfile_does_not_search_past_its_workspace_and_says_which_policy_decides() {
    let dir = TestDir::new();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    dir.write("provenance.toml", "[defaults]\nrequire = \"attested\"\n");
    dir.write(
        "tools/Cargo.toml",
        "[workspace]\nmembers = []\nresolver = \"2\"\n",
    );
    dir.write("tools/vendor/dep/Cargo.lock", lockfile(1..=2));
    let run = dir
        .command()
        .args([
            "--lockfile",
            "tools/vendor/dep/Cargo.lock",
            "--offline",
            "--now",
            NOW,
        ])
        .run()
        .expect_code(2);
    // The search ended at the enclosing workspace root, tools/.
    assert!(
        run.stdout.starts_with(
            "lockfile: tools/vendor/dep/Cargo.lock; no policy file: nothing required;"
        ),
        "{}",
        run.stdout
    );
    // A policy of its own is named in the first line, for all to see.
    dir.write("tools/vendor/dep/provenance.toml", "mode = \"audit\"\n");
    let run = dir
        .command()
        .args([
            "--lockfile",
            "tools/vendor/dep/Cargo.lock",
            "--offline",
            "--now",
            NOW,
        ])
        .run()
        .expect_code(0);
    assert!(
        run.stdout.starts_with(
            "lockfile: tools/vendor/dep/Cargo.lock; policy: tools/vendor/dep/provenance.toml;"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn a_lockfile_without_packages_is_an_error_even_under_the_strictest_policy() {
    let strict = demo().join("provenance-strict.toml");
    for text in [
        "",
        "version = 4\n",
        "# This file is automatically @generated by Cargo.\nversion = 3\n",
    ] {
        let dir = TestDir::new();
        dir.write("Cargo.lock", text);
        let run = dir
            .command()
            .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
            .arg("--policy")
            .arg(&strict)
            .run()
            .expect_code(2);
        run.assert_stderr("lockfile-empty")
            .assert_stderr("lists no packages");
        assert!(!run.stdout.contains("0 packages"), "{}", run.stdout);
    }
}

#[test]
fn offline_with_nothing_cached_one_warning_names_a_few_packages_and_counts_the_rest() {
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=30));
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
        .run()
        .expect_code(2);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("not in the cache"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0].starts_with(
            "warning[offline-not-cached]: 30 packages are not in the cache, and this run is offline: pkg1@1.0.0, "
        ),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[0].ends_with(
            " and 25 more; run `cargo verify-provenance fetch` while online to fill the cache"
        ),
        "{}",
        warnings[0]
    );
}
