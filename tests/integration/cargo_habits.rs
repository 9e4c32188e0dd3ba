//! cargo's habits, through the binary: `check` is the main check's
//! explicit subcommand (the bare command stays), `verify` points to it,
//! `--help` lists the main check first and `verify-bundle` last, `-j`
//! takes negative numbers, and every documented option shows in `--help`.

use std::path::{Path, PathBuf};

use crate::harness::TestDir;

const NOW: &str = "2026-06-01T00:00:00Z";

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

fn demo_args() -> Vec<String> {
    let demo = demo();
    vec![
        "--lockfile".into(),
        demo.join("Cargo.lock").display().to_string(),
        "--policy".into(),
        demo.join("provenance.toml").display().to_string(),
        "--offline".into(),
        "--color".into(),
        "never".into(),
        "--now".into(),
        NOW.into(),
    ]
}

#[test]
fn check_is_the_main_check_and_the_bare_command_stays() {
    let dir = TestDir::new();
    let bare = dir.command().args(demo_args()).run().expect_code(0);
    for form in [&["check"][..], &["verify-provenance", "check"][..]] {
        let explicit = dir
            .command()
            .args(form)
            .args(demo_args())
            .run()
            .expect_code(0);
        assert_eq!(explicit.stdout, bare.stdout, "{form:?}");
    }
    // A strict policy fails the same way through either.
    let strict = demo().join("provenance-strict.toml");
    for form in [&[][..], &["check"][..]] {
        dir.command()
            .args(form)
            .arg("--lockfile")
            .arg(demo().join("Cargo.lock"))
            .arg("--policy")
            .arg(&strict)
            .args(["--offline", "--now", NOW])
            .run()
            .expect_code(1);
    }
}

#[test]
fn verify_suggests_check_not_the_conformance_command() {
    let run = TestDir::new().command().arg("verify").run().expect_code(2);
    run.assert_stderr("unrecognized subcommand 'verify'")
        .assert_stderr("tip: to verify every dependency, run `cargo verify-provenance check`");
    assert!(!run.stderr.contains("similar subcommand"), "{}", run.stderr);
}

#[test]
fn help_lists_the_main_check_first_and_verify_bundle_last() {
    let help = TestDir::new()
        .command()
        .arg("--help")
        .run()
        .expect_code(0)
        .stdout;
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(commands.first(), Some(&"check"), "{help}");
    assert_eq!(
        commands.iter().rev().find(|c| **c != "help"),
        Some(&"verify-bundle"),
        "{help}"
    );
    // Documented, so shown.
    for option in ["--cache-dir <DIR>", "--now <TIME>", "--jobs <N>"] {
        assert!(help.contains(option), "{option} is not in:\n{help}");
    }
}

#[test]
fn jobs_take_negative_numbers_as_in_cargo() {
    let dir = TestDir::new();
    for jobs in ["-1", "-1000", "default", "3"] {
        dir.command()
            .args(demo_args())
            .args(["-q", "-j", jobs])
            .run()
            .expect_code(0);
    }
    dir.command()
        .args(demo_args())
        .args(["-j", "0"])
        .run()
        .expect_code(2)
        .assert_stderr("jobs may not be 0");
}

#[test]
fn the_cache_folder_is_taken_from_the_command_line() {
    let dir = TestDir::new();
    let cache = dir.join("elsewhere");
    dir.command()
        .arg("fetch")
        .arg("--cache-dir")
        .arg(&cache)
        .arg("--lockfile")
        .arg(demo().join("Cargo.lock"))
        .arg("--policy")
        .arg(demo().join("provenance.toml"))
        .args(["--offline", "-q"])
        .run()
        .expect_code(0);
    assert!(cache.is_dir(), "the cache folder was not made");
}

#[test]
fn a_cache_path_that_is_a_file_is_one_clear_error() {
    let dir = TestDir::new();
    let file = dir.write("not-a-folder", "");
    let run = dir
        .command()
        .args(demo_args())
        .arg("--cache-dir")
        .arg(&file)
        .run()
        .expect_code(2);
    run.assert_stderr("error[cache-not-a-directory]: the cache directory")
        .assert_stderr("is not a directory")
        .assert_stderr("--cache-dir");
    assert_eq!(run.stderr.matches("error[").count(), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("os error"), "{}", run.stderr);
}
