//! Errors say their cause once and give help that fits it, for an
//! installed binary: the policy reference by URL, no advice to run the
//! command being run, no advice about flags the user did not type.

use std::path::{Path, PathBuf};

use crate::harness::TestDir;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

#[test]
fn a_missing_lockfile_names_its_cause_once() {
    let run = TestDir::new()
        .command()
        .args(["--lockfile", "nope.lock", "--color", "never"])
        .run()
        .expect_code(2);
    run.assert_stderr("cannot read lockfile nope.lock");
    assert_eq!(
        run.stderr.matches("No such file or directory").count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn cargo_metadata_help_fits_the_cause() {
    // No manifest anywhere: not an out-of-date lockfile.
    let dir = TestDir::new();
    let run = dir
        .command()
        .args(["--offline", "--color", "never"])
        .run()
        .expect_code(2);
    run.assert_stderr("cargo-metadata-failed")
        .assert_stderr("there is no Cargo.toml in this folder or above it");
    assert!(!run.stderr.contains("out of date"), "{}", run.stderr);

    // A manifest without its lockfile: cargo's advice to remove --locked
    // (which the user did not type) is not passed on.
    dir.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    dir.write("src/lib.rs", "");
    let run = dir
        .command()
        .args(["--offline", "--color", "never"])
        .run()
        .expect_code(2);
    run.assert_stderr("the lockfile is missing or out of date");
    assert!(
        !run.stderr.contains("remove the --locked"),
        "{}",
        run.stderr
    );
}

#[test]
fn policy_errors_point_to_the_reference_by_url_and_policy_check_does_not_suggest_itself() {
    let dir = TestDir::new();
    dir.write("bad.toml", "[defaults]\nrequire = \"everything\"\n");
    let run = dir
        .command()
        .args([
            "policy", "check", "--policy", "bad.toml", "--color", "never",
        ])
        .run()
        .expect_code(2);
    run.assert_stderr("https://github.com/cargo-verify-provenance/");
    assert!(!run.stderr.contains("policy check"), "{}", run.stderr);
    assert!(!run.stderr.contains("see docs/"), "{}", run.stderr);
    dir.write("bad.toml", "[defaults\n");
    let run = dir
        .command()
        .args([
            "policy", "check", "--policy", "bad.toml", "--color", "never",
        ])
        .run()
        .expect_code(2);
    run.assert_stderr("https://github.com/cargo-verify-provenance/");
    assert!(!run.stderr.contains("see docs/"), "{}", run.stderr);
}

#[test]
fn an_expired_exemption_is_renewed_or_removed_not_added() {
    // The demo exempts hex until 2028-12-31.
    let run = TestDir::new()
        .command()
        .arg("--lockfile")
        .arg(demo().join("Cargo.lock"))
        .arg("--policy")
        .arg(demo().join("provenance.toml"))
        .args([
            "--offline",
            "--color",
            "never",
            "--now",
            "2029-01-02T00:00:00Z",
        ])
        .run()
        .expect_code(1);
    let hex = run
        .stderr
        .split("provenance-violation")
        .find(|d| d.contains("hex@0.4.3"))
        .expect("a diagnostic for hex");
    let hex = hex.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        hex.contains(
            "the [[exempt]] entry for this package expired on 2028-12-31: renew its `until` date"
        ),
        "{hex}"
    );
    assert!(!hex.contains("add an [[exempt]] entry"), "{hex}");
}
