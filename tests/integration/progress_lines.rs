//! Progress where stderr is a log (a CI job, a pipe): a line now and then
//! with the counts and the time left, so a long run is never silent; `-q`
//! holds the lines back until the run has lasted a while. Through the
//! binary with its stderr piped, against a loopback server slow enough that
//! the run outlasts the (shortened) interval many times over.

use std::time::Duration;

use cargo_verify_provenance::testkit::crates::CrateBuilder;
use cargo_verify_provenance::testkit::files::{cargo_lock, LockedPackage};
use cargo_verify_provenance::testkit::repos::{insteadof_env, RepoBuilder};
use sha2::{Digest, Sha256};

use crate::faults::lockfile;
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const NOW: &str = "2026-11-25T12:00:00Z";
const PACKAGES: u16 = 4;

/// A lockfile of [`PACKAGES`] packages whose only source is `server`, which
/// answers each "none" after `latency`; one package at a time.
fn slow_run(latency: Duration, extra: &[&str]) -> Run {
    let server = Server::start();
    server.set_latency(latency);
    for n in 1..=PACKAGES {
        server.route(&format!("/pkg{n}-1.0.0.json"), vec![Reply::status(404)]);
    }
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=PACKAGES));
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--color", "never", "--now", NOW])
        .args(["-j", "1", "--http-retries", "0"])
        .args([
            "--source",
            &format!("url:{}", server.url("/{name}-{version}.json")),
        ])
        .args(extra)
        .run()
}

fn progress_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("fetching provenance: "))
        .collect()
}

#[test]
fn a_piped_stderr_gets_a_progress_line_with_counts_and_time_left() {
    // Each package takes at least 400 ms; a line every 20 ms.
    let run = slow_run(
        Duration::from_millis(400),
        &["--progress-interval-ms", "20"],
    );
    let lines = progress_lines(&run);
    assert!(!lines.is_empty(), "{}", run.stderr);
    let total = format!("/{PACKAGES} packages (");
    assert!(lines.iter().all(|l| l.contains(&total)), "{lines:#?}");
    // Before the first answer the time left is unknown; after it, estimated.
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(", time left not known yet)")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| !l.starts_with("fetching provenance: 0/") && l.contains(", about ")),
        "{lines:#?}"
    );
    // No bar's drawing characters in a log.
    assert!(!run.stderr.contains('\r'), "{:?}", run.stderr);
}

#[test]
fn quiet_keeps_a_short_run_silent_and_a_long_one_alive() {
    // Under -q a line comes only once the run has lasted six intervals:
    // 6 × 20 ms, in a run of at least 1.6 s.
    let long = slow_run(
        Duration::from_millis(400),
        &["-q", "--progress-interval-ms", "20"],
    );
    assert!(!progress_lines(&long).is_empty(), "{}", long.stderr);
    // The default interval (10 s; 60 s under -q) is far longer than a run
    // of fast answers: nothing is written, with or without -q.
    for extra in [&["-q"][..], &[][..]] {
        let short = slow_run(Duration::ZERO, extra);
        assert!(progress_lines(&short).is_empty(), "{}", short.stderr);
    }
}

/// Three packages from three repositories (local mirrors through
/// `insteadOf`, their `.crate`s in cargo's cache), offline, and on the
/// `PATH` a `git` that takes 300 ms over each fetch before running the
/// real one: the source comparison's fetches outlast the interval many
/// times over.
fn slow_git_run(extra: &[&str]) -> Run {
    let dir = TestDir::new();
    let cache = dir.join("cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::create_dir_all(dir.join("bundles")).unwrap();
    let mut rules = Vec::new();
    let mut locked = Vec::new();
    for n in 1..=3 {
        let name = format!("repo{n}");
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"1.0.0\"\nrepository = \"https://github.com/example/{name}\"\n"
        );
        let bare = dir.join(format!("mirrors/{name}.git"));
        let commit = RepoBuilder::new()
            .file("Cargo.toml", manifest.as_str())
            .file("src/lib.rs", "")
            .build(&bare, false);
        let bytes = CrateBuilder::new(&name, "1.0.0")
            .vcs_info(&commit, false, Some(""))
            .file("Cargo.toml", format!("# normalized by cargo\n{manifest}"))
            .file("Cargo.toml.orig", manifest.as_str())
            .file("src/lib.rs", "")
            .build();
        std::fs::write(cache.join(format!("{name}-1.0.0.crate")), &bytes).unwrap();
        locked.push(LockedPackage {
            name: name.clone(),
            version: "1.0.0".into(),
            checksum: Sha256::digest(&bytes).into(),
        });
        rules.push((
            format!("https://github.com/example/{name}"),
            format!("file://{}", bare.display()),
        ));
    }
    dir.write("Cargo.lock", cargo_lock("app", &locked));
    dir.write(
        "provenance.toml",
        "[[source]]\nkind = \"dir\"\npath = \"bundles\"\n",
    );
    let real = std::process::Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_string();
    dir.write(
        "bin/git",
        format!(
            // One fetch at a time, each slowed: the lines then see the
            // count move whatever the number of fetches run at once.
            "#!/bin/sh\nfor a in \"$@\"; do if [ \"$a\" = fetch ]; then\n  while ! mkdir {lock} 2>/dev/null; do sleep 0.05; done\n  sleep 0.3; {real} \"$@\"; rc=$?; rmdir {lock}; exit $rc\nfi; done\nexec {real} \"$@\"\n",
            lock = dir.join("fetch.lock").display(),
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("bin/git"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let rules: Vec<(&str, &str)> = rules
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut command = dir
        .command()
        .env("CARGO_HOME", dir.join("cargo-home"))
        .env("PATH", path);
    for (key, value) in insteadof_env(&rules) {
        command = command.env(&key, value);
    }
    command
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--color", "never", "--now", NOW])
        .args(extra)
        .run()
}

fn git_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("fetching repositories for the source comparison: "))
        .collect()
}

/// The source comparison's git fetches are shown as the bundle fetch is:
/// where stderr is a log, a line now and then saying how many of the
/// repositories are fetched; under `-q` a short run stays silent. (The
/// bar, on a terminal, is the bundle fetch's, drawn by the same code.)
#[test]
fn the_git_fetches_of_the_source_comparison_get_progress_lines_too() {
    let run = slow_git_run(&["--progress-interval-ms", "20"]);
    let lines = git_lines(&run);
    assert!(!lines.is_empty(), "{}", run.stderr);
    assert!(
        lines.iter().all(|l| l.contains("/3 repositories (")),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l.contains(", about ")), "{lines:#?}");
    assert!(
        !run.stdout.contains("fetching repositories"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains('\r'), "{:?}", run.stderr);
    // Every package compared: the lines did not come from a failed run.
    let json = slow_git_run(&["--message-format", "json", "-q"]);
    assert_eq!(
        json.stdout.matches("\"result\":\"matches\"").count(),
        3,
        "{}",
        json.stdout
    );
    // Under -q with the default interval (a minute before the first line).
    assert!(git_lines(&json).is_empty(), "{}", json.stderr);
}
