//! `… | head`: a reader that goes away early is not an error of the work.
//! Every command ends with the status of what it did, with no `Broken
//! pipe` message and no panic, however early the reader left.

use std::path::{Path, PathBuf};

use crate::harness::{Run, TestDir};

const NOW: &str = "2026-06-01T00:00:00Z";

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

fn quiet_about_it(run: &Run) {
    for word in ["Broken pipe", "panicked", "os error 32"] {
        assert!(!run.stderr.contains(word), "{}", run.stderr);
    }
}

#[test]
fn the_report_into_a_closed_pipe_ends_with_the_status_of_the_work() {
    let dir = TestDir::new();
    for (policy, code) in [("provenance.toml", 0), ("provenance-strict.toml", 1)] {
        for format in ["human", "json", "sarif"] {
            let run = dir
                .command()
                .arg("--lockfile")
                .arg(demo().join("Cargo.lock"))
                .arg("--policy")
                .arg(demo().join(policy))
                .args(["--offline", "--now", NOW, "--message-format", format])
                .run_into_closed_pipe(false);
            assert_eq!(run.code, code, "{policy} {format}: {}", run.stderr);
            quiet_about_it(&run);
        }
    }
}

#[test]
fn other_commands_into_a_closed_pipe_too() {
    let dir = TestDir::new();
    let lockfile = demo().join("Cargo.lock");
    let run = dir
        .command()
        .arg("inventory")
        .arg("--lockfile")
        .arg(&lockfile)
        .run_into_closed_pipe(false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    quiet_about_it(&run);
    let run = dir
        .command()
        .args(["explain", "serde", "--offline", "--now", NOW, "--lockfile"])
        .arg(&lockfile)
        .arg("--policy")
        .arg(demo().join("provenance.toml"))
        .run_into_closed_pipe(false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    quiet_about_it(&run);
}

#[test]
fn policy_check_with_both_streams_closed_exits_with_its_verdict_every_time() {
    let dir = TestDir::new();
    dir.write(
        "bad.toml",
        "[defaults]\nrequire = \"everything\"\nnope = 1\n",
    );
    for _ in 0..5 {
        // `policy check bad.toml 2>&1 | head -1`
        let run = dir
            .command()
            .args(["policy", "check", "--policy", "bad.toml"])
            .run_into_closed_pipe(true);
        assert_eq!(run.code, 2);
        let run = dir
            .command()
            .args(["policy", "check", "--policy"])
            .arg(demo().join("provenance.toml"))
            .run_into_closed_pipe(true);
        assert_eq!(run.code, 0);
    }
}
