//! Folders the tool reads that others fill, through the binary: cargo's
//! download and index caches (restored in CI from a cache shared between
//! jobs), a `dir` source and a checkout's manifests. A FIFO, a device or a
//! link to one planted there never blocks or floods a run: the file is
//! passed over, named with why, and what needed it is not checked.
//! And the `git` commands of the source comparison see none of the run's
//! secrets in their environment.

#![cfg(unix)]

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use crate::harness::Run;
use crate::source_outputs::Tampered;

/// Longer than any of these runs takes; a run that blocks never ends.
const LIMIT: Duration = Duration::from_secs(60);

/// A `git` that runs `script` (shell) before the real one, first on the
/// `PATH` this returns.
fn git_wrapper(project: &Tampered, script: &str) -> String {
    let real = std::process::Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_string();
    project.dir.write(
        "bin/git",
        format!("#!/bin/sh\n{script}\nexec '{real}' \"$@\"\n"),
    );
    let wrapper = project.dir.join("bin/git");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        project.dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Where the tampered package's `.crate` sits in cargo's cache.
const CACHED_CRATE: &str =
    "cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f/tampered-1.0.0.crate";

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

fn run_offline(project: &Tampered) -> Run {
    project
        .command()
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--message-format", "json"])
        .run_within(LIMIT)
}

fn source_match(run: &Run) -> serde_json::Value {
    crate::source_match::packages(&run.stdout)
        .remove("tampered")
        .unwrap_or_else(|| panic!("no package message\n{}", run.stdout))["source_match"]
        .clone()
}

#[test]
fn a_fifo_or_a_device_in_cargos_download_cache_is_passed_over_and_named() {
    for (planted, what) in [("fifo", "a FIFO"), ("device", "a device")] {
        let project = Tampered::new();
        project.policy("[defaults]\nsource-matches = true\n");
        let path = project.dir.join(CACHED_CRATE);
        if planted == "fifo" {
            mkfifo(&path);
        } else {
            std::fs::remove_file(&path).unwrap();
            symlink("/dev/zero", &path).unwrap();
        }
        let run = run_offline(&project).expect_code(2);
        let found = source_match(&run);
        assert_eq!(found["result"], "not-checked", "{planted}: {found}");
        let reason = found["reason"].as_str().unwrap();
        assert!(
            reason.contains("tampered-1.0.0.crate") && reason.contains(what),
            "{planted}: the reason names the file and what it is: {reason}"
        );
    }
}

#[test]
fn a_fifo_in_cargos_index_cache_does_not_block_the_run() {
    let project = Tampered::new();
    project.policy("[defaults]\nmin-age = \"7 days\"\n\n[[source]]\nkind = \"crates-io\"\n");
    mkfifo(
        &project.dir.join(
            "cargo-home/registry/index/index.crates.io-1949cf8c6b5b557f/.cache/ta/mp/tampered",
        ),
    );
    let run = run_offline(&project);
    // Its publish time is known nowhere: not checked, never a pass.
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn a_fifo_in_a_dir_source_does_not_block_the_run() {
    let project = Tampered::new();
    project.policy("[defaults]\n");
    mkfifo(&project.dir.join("bundles/tampered-1.0.0.sigstore.json"));
    let run = run_offline(&project).expect_code(2);
    assert!(
        run.stdout.contains("tampered-1.0.0.sigstore.json")
            && run.stdout.contains("not a regular file but a FIFO"),
        "the source's error names the file\n{}",
        run.stdout
    );
}

#[test]
fn a_manifest_that_never_ends_is_not_read_to_find_the_workspace() {
    let project = Tampered::new();
    project.policy("[defaults]\n");
    // Policy discovery walks up from the folder the run starts in, asking
    // each folder's `Cargo.toml` whether it is a workspace root.
    symlink("/dev/zero", project.dir.join("Cargo.toml")).unwrap();
    let inner = project.dir.join("member");
    std::fs::create_dir_all(&inner).unwrap();
    mkfifo(&inner.join("Cargo.toml"));
    let run = project
        .command()
        .current_dir(&inner)
        .args(["--lockfile", "../Cargo.lock", "--offline"])
        .run_within(LIMIT)
        .expect_code(0);
    // The policy two folders up was still found.
    run.assert_stdout("policy: ../provenance.toml");
}

#[test]
fn git_sees_none_of_the_runs_secrets() {
    let project = Tampered::new();
    project.policy("[defaults]\nsource-matches = true\n");
    let seen = project.dir.join("git-environment");
    let path = git_wrapper(&project, &format!("env >> '{}'", seen.display()));
    let secrets = [
        ("GITHUB_TOKEN", "ghp_SECRET1"),
        ("GH_TOKEN", "gho_SECRET2"),
        ("CARGO_REGISTRY_TOKEN", "cio_SECRET3"),
        ("CARGO_REGISTRIES_MINE_TOKEN", "SECRET4"),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "SECRET5"),
        ("DEPLOY_KEY", "SECRET6"),
    ];
    let mut command = project.command().env("PATH", path);
    for (name, value) in secrets {
        command = command.env(name, value);
    }
    let run = command
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--message-format", "json"])
        .run_within(LIMIT);
    // The comparison ran, through the mirror git's own variables name.
    assert_eq!(source_match(&run)["result"], "differs", "{}", run.stderr);
    let environment = std::fs::read_to_string(&seen).unwrap();
    assert!(environment.contains("GIT_CONFIG_COUNT="), "{environment}");
    for (name, value) in secrets {
        assert!(
            !environment.contains(value),
            "git was given {name}:\n{environment}"
        );
    }
}

/// A package found in cargo's cache is read again when its repository has
/// been fetched (nothing of its files is held while it waits): a copy
/// replaced meanwhile (here, as git fetches) is checked against the
/// lockfile's checksum again, and the package is not checked, never
/// compared with bytes the lockfile does not pin.
#[test]
fn a_copy_in_cargos_cache_replaced_while_its_repository_is_fetched_is_not_compared() {
    let project = Tampered::new();
    project.policy("[defaults]\nsource-matches = true\n");
    let cached = project.dir.join(CACHED_CRATE);
    project.dir.write("other.crate", "other bytes");
    let swap = format!(
        "case \" $* \" in *\" fetch \"*) cp '{}' '{}' ;; esac",
        project.dir.join("other.crate").display(),
        cached.display()
    );
    let path = git_wrapper(&project, &swap);
    let run = project
        .command()
        .env("PATH", path)
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--message-format", "json"])
        .run_within(LIMIT);
    let found = source_match(&run);
    assert_eq!(found["result"], "not-checked", "{found}\n{}", run.stderr);
    let reason = found["reason"].as_str().unwrap();
    assert!(
        reason.contains("changed during the run") && reason.contains("tampered-1.0.0.crate"),
        "{reason}"
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(std::fs::read(&cached).unwrap(), b"other bytes");
}
