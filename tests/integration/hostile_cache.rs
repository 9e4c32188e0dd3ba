//! The cache folder as an attacker would leave it (it may be shared between
//! users and CI jobs), through the binary: symbolic links planted for its
//! folders, its lock, an entry or the TUF copy never make a run write,
//! create, delete or read anything outside it, and a TUF refresh record
//! that disagrees with the clock or with the signed metadata it sits beside
//! is refused.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;

use cargo_verify_provenance::policy::SourceSpec;
use cargo_verify_provenance::testkit;
use cargo_verify_provenance::testkit::internals::cache::SourceKeyOf;
use sigstore_types::Sha256Hash;

use crate::faults::{check_args, checksum, lockfile, outcomes, serve, url_source, workload};
use crate::harness::{Run, TestDir};
use crate::server::Server;
use crate::trust_update::{repository_with_timestamp_expiry, serve as serve_tuf};

/// Everything under `dir`, as sorted relative paths.
fn contents(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap().flatten() {
            let path = entry.path();
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Plant a link at `.cache/RELATIVE` pointing at `target`.
fn plant(dir: &TestDir, relative: &str, target: &Path) {
    let link = dir.join(".cache").join(relative);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink(target, link).unwrap();
}

fn fetch_one(dir: &TestDir, server: &Server) -> Run {
    dir.command()
        .args(check_args(&url_source(&server.base)))
        .run()
}

#[test]
fn a_link_planted_for_a_cache_folder_is_never_written_through() {
    for depth in 1..=3 {
        let dir = TestDir::new();
        let outside = TestDir::new();
        workload(&dir, [1]);
        let server = Server::start();
        serve(&server, &[1]);
        // `attestations`, `attestations/v3`, then the entry's fan-out folder.
        let entry = entry_relative(&server);
        let planted: std::path::PathBuf = entry.components().take(depth).collect();
        let planted = planted.to_str().unwrap();
        plant(&dir, planted, outside.path());

        let run = fetch_one(&dir, &server).expect_code(0);
        let (packages, _) = outcomes(&run.stdout);
        assert_eq!(packages, [("pkg1".to_string(), "pass".to_string())]);
        assert!(
            run.stdout.contains("symbolic link") || run.stderr.contains("symbolic link"),
            "{planted}: the refused write is reported\n{}\n{}",
            run.stdout,
            run.stderr
        );
        assert_eq!(
            contents(outside.path()),
            Vec::<String>::new(),
            "{planted}: nothing written outside the cache"
        );
    }
}

#[test]
fn a_link_planted_for_the_lock_is_refused_and_creates_nothing() {
    let dir = TestDir::new();
    let outside = TestDir::new();
    workload(&dir, [1]);
    plant(&dir, "lock", &outside.join("victim"));
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--color", "never"])
        .run()
        .expect_code(2);
    run.assert_stderr("symbolic link");
    run.assert_stderr("lock");
    assert!(
        !outside.join("victim").exists(),
        "no lock file created outside"
    );
}

#[test]
fn cleaning_leftovers_never_deletes_through_a_link() {
    for planted in ["attestations", "tuf"] {
        let dir = TestDir::new();
        let outside = TestDir::new();
        workload(&dir, [1]);
        // What a leftover looks like where the cleaning looks for them.
        outside.write("v1/.tmpVICTIM", "keep");
        outside.write("v1/ab/.tmpVICTIM", "keep");
        outside.write(".tmpVICTIM", "keep");
        outside.write("public-good/.tmpVICTIM", "keep");
        plant(&dir, planted, outside.path());
        let before = contents(outside.path());
        dir.command()
            .args(["--lockfile", "Cargo.lock", "--offline", "--color", "never"])
            .run();
        assert_eq!(contents(outside.path()), before, "{planted}");
    }
}

#[test]
fn an_entry_that_is_a_link_out_of_the_cache_is_not_read() {
    let dir = TestDir::new();
    workload(&dir, [1]);
    let server = Server::start();
    serve(&server, &[1]);
    fetch_one(&dir, &server).expect_code(0);
    let source = url_source(&server.base);
    drop(server);

    // The entry moved outside, a link left in its place.
    let outside = TestDir::new();
    let entry = dir.join(".cache").join(entry_relative_to(&source));
    assert!(entry.is_file());
    let moved = outside.join("entry.json");
    std::fs::rename(&entry, &moved).unwrap();
    symlink(&moved, &entry).unwrap();

    // Through the link, the entry would verify: the run would pass.
    let run = dir
        .command()
        .args(check_args(&source))
        .arg("--offline")
        .run()
        .expect_code(2);
    let (packages, _) = outcomes(&run.stdout);
    assert_eq!(packages, [("pkg1".to_string(), "error".to_string())]);
    run.assert_stderr("not in the cache");
}

/// Where the answer of the url source at `server` about package 1 is
/// kept, below the cache folder.
fn entry_relative(server: &Server) -> std::path::PathBuf {
    entry_relative_to(&url_source(&server.base))
}

fn entry_relative_to(source: &str) -> std::path::PathBuf {
    let key = SourceSpec::parse_cli(source).unwrap().source_key();
    key.answer_identity(&Sha256Hash::new(checksum(1)))
        .relative_path()
}

// ------------------------------------------------------------------- TUF

const REFRESHED: &str = "2026-01-01T00:00:00Z";
/// When the test repository's signed timestamp metadata expires.
const TIMESTAMP_EXPIRES: &str = "2026-01-11T00:00:00Z";

/// A TUF repository served on 127.0.0.1 whose target is a test instance's
/// root, and a command builder pointing the binary at it.
struct TufFixture {
    _server: Server,
    root_file: std::path::PathBuf,
    url: String,
}

impl TufFixture {
    fn start(dir: &TestDir) -> Self {
        let server = Server::start();
        let target = testkit::Instance::new(72).trusted_root_json();
        let (root, files) = repository_with_timestamp_expiry(target.as_bytes(), TIMESTAMP_EXPIRES);
        serve_tuf(&server, &files);
        let root_file = dir.write("tuf-root.json", root);
        Self {
            url: server.base.clone(),
            _server: server,
            root_file,
        }
    }

    /// The main command on `Cargo.lock`, offline, reporting in JSON.
    fn check_offline(&self, dir: &TestDir, now: &str) -> crate::harness::Cmd {
        self.command(dir, now).args([
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--message-format",
            "json",
        ])
    }

    fn command(&self, dir: &TestDir, now: &str) -> crate::harness::Cmd {
        dir.command()
            .env("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_URL", &self.url)
            .env("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_ROOT", &self.root_file)
            .args(["--now", now, "--color", "never"])
    }

    /// `trust-root update` at `REFRESHED`, with the root built into the
    /// binary stood in for by the file `floor`, if any.
    fn update(&self, dir: &TestDir, floor: Option<&Path>) -> Run {
        let mut command = self.command(dir, REFRESHED);
        if let Some(floor) = floor {
            command = command.env("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_FLOOR", floor);
        }
        command
            .args(["trust-root", "update", "--http-retries", "0"])
            .run()
    }
}

/// The warnings of a run (JSON lines) about the cached roots.
fn root_warnings(run: &Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "warning")
        .filter(|m| {
            m["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("trust-root"))
        })
        .map(|m| format!("{}: {}", m["code"], m["message"]))
        .collect()
}

#[test]
fn a_link_planted_for_the_tuf_folder_is_never_written_through() {
    for planted in ["tuf", "tuf/public-good", "tuf/public-good/targets"] {
        let dir = TestDir::new();
        let outside = TestDir::new();
        let tuf = TufFixture::start(&dir);
        plant(&dir, planted, outside.path());
        // The refresh fails, saying why; the built-in root stays in use.
        let run = tuf.update(&dir, None).expect_code(0);
        run.assert_stderr("warning[trust-root-not-refreshed]")
            .assert_stderr("symbolic link");
        assert_eq!(
            contents(outside.path()),
            Vec::<String>::new(),
            "{planted}: nothing written outside the cache"
        );
    }
    // Without the link, the same refresh works.
    let dir = TestDir::new();
    let tuf = TufFixture::start(&dir);
    tuf.update(&dir, None)
        .expect_code(0)
        .assert_stdout("updated the public-good trust root");
}

/// A validly signed copy older than the root built into the binary is
/// neither installed by `trust-root update` nor used by a run (the
/// embedded root is, with a warning). Here the built-in root is stood in
/// for by a test instance's root dated later than the served one.
#[test]
fn a_copy_older_than_the_built_in_root_is_neither_installed_nor_used() {
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile([1]));
    let tuf = TufFixture::start(&dir);
    let later = testkit::Instance::with_options(
        72,
        testkit::Kind::PublicGood,
        "2030-01-01T00:00:00Z".parse().unwrap(),
    );
    let floor = dir.write("floor.json", later.trusted_root_json());
    // Refused, with a warning: the built-in root stays in use, valid.
    let run = tuf.update(&dir, Some(&floor)).expect_code(0);
    run.assert_stderr("warning[trust-root-not-refreshed]")
        .assert_stderr("older than the root built into this binary");
    assert!(!dir.join(".cache/tuf/public-good.refreshed.json").exists());

    tuf.update(&dir, None).expect_code(0);
    let run = tuf
        .check_offline(&dir, REFRESHED)
        .env("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_FLOOR", &floor)
        .run();
    let warnings = root_warnings(&run);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("cannot be used") && w.contains("older than the root built into")),
        "{warnings:?}"
    );
}

#[test]
fn a_refresh_record_that_disagrees_with_the_clock_or_the_signed_metadata_is_refused() {
    let dir = TestDir::new();
    // No policy: the default roots, public-good and GitHub, from the cache.
    dir.write("Cargo.lock", lockfile([1]));
    let tuf = TufFixture::start(&dir);
    tuf.update(&dir, None).expect_code(0);
    let record_path = dir.join(".cache/tuf/public-good.refreshed.json");
    let honest = std::fs::read_to_string(&record_path).unwrap();
    let run_at = |now: &str| tuf.check_offline(&dir, now).run();

    // Honest: used offline after the timestamp metadata expired, the age
    // counted from the refresh.
    let run = run_at("2026-01-21T00:00:00Z");
    assert_eq!(root_warnings(&run), Vec::<String>::new(), "{}", run.stdout);

    // A record moved to the future makes an old copy look just refreshed.
    std::fs::write(
        &record_path,
        honest.replace(REFRESHED, "2027-06-01T00:00:00Z"),
    )
    .unwrap();
    let warnings = root_warnings(&run_at("2026-06-01T00:00:00Z"));
    assert!(
        warnings.iter().any(|w| w.contains("after now")),
        "{warnings:?}"
    );

    // A record dated after the signed timestamp metadata expired was not
    // written by the refresh that fetched it.
    std::fs::write(
        &record_path,
        honest.replace(REFRESHED, "2026-01-15T00:00:00Z"),
    )
    .unwrap();
    let warnings = root_warnings(&run_at("2026-01-20T00:00:00Z"));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("after its signed timestamp metadata expired")),
        "{warnings:?}"
    );
}
