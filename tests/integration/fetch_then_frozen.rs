//! The CI recipe settles, through the binary: `fetch` online, then the
//! check `--frozen` from the cache, on a lockfile mixing a crate whose
//! repository is on GitHub, one on another host and one with none. Every
//! answer a source gave (including "does not apply") is known offline:
//! the offline run finds nothing missing, warns nothing about the cache,
//! and agrees with `fetch` package for package.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::faults::{checksum, lockfile};
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const NOW: &str = "2026-11-25T12:00:00Z";

/// crates.io's answer for `pkgN` 1.0.0, naming `repository`.
fn crate_answer(n: u16, repository: Option<&str>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "crate": { "repository": repository, "trustpub_only": false },
        "versions": [{
            "num": "1.0.0",
            "checksum": hex::encode(checksum(n)),
            "created_at": "2026-01-01T00:00:00Z",
            "trustpub_data": null,
        }],
    }))
    .unwrap()
}

/// pkg1 lives on GitHub (which has no attestation for it), pkg2 on
/// GitLab, pkg3 names no repository.
pub(crate) fn servers() -> (Server, Server) {
    let (github, crates_io) = (Server::start(), Server::start());
    github.route(
        &format!(
            "/repos/acme/pkg1/attestations/sha256:{}",
            hex::encode(checksum(1))
        ),
        vec![Reply::status(404)],
    );
    let mut listed = Vec::new();
    for (n, repository) in [
        (1, Some("https://github.com/acme/pkg1")),
        (2, Some("https://gitlab.com/acme/pkg2")),
        (3, None),
    ] {
        crates_io.route(
            &format!("/api/v1/crates/pkg{n}"),
            vec![Reply::json(crate_answer(n, repository))],
        );
        listed.push(serde_json::json!({
            "id": format!("pkg{n}"), "name": format!("pkg{n}"),
            "repository": repository, "trustpub_only": false,
        }));
    }
    // Its list of crates, where a bare lockfile's repositories are learnt.
    let total = listed.len();
    crates_io.route(
        "/api/v1/crates",
        vec![Reply::json(
            serde_json::to_vec(&serde_json::json!({"crates": listed, "meta": {"total": total}}))
                .unwrap(),
        )],
    );
    (github, crates_io)
}

/// A policy asking the two servers, GitHub first.
pub(crate) fn policy(github: &Server, crates_io: &Server) -> String {
    format!(
        "[[source]]\nkind = \"github\"\napi-url = \"{}\"\n\n[[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\n",
        github.base.trim_end_matches('/'),
        crates_io.base.trim_end_matches('/')
    )
}

fn run(dir: &TestDir, args: &[&str]) -> Run {
    dir.command()
        .args(args)
        .args(["--lockfile", "Cargo.lock", "--color", "never", "--now", NOW])
        .args(["--crates-io-interval-ms", "0"])
        .run()
}

/// `pkgN@1.0.0` → what `fetch` said of it, one line per package.
fn fetched(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .map(|l| {
            let (id, what) = l.split_once(' ').unwrap();
            (id.to_string(), what.trim().to_string())
        })
        .collect()
}

#[test]
fn fetch_then_frozen_knows_every_package_and_agrees_with_fetch() {
    let (github, crates_io) = servers();
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=3));
    dir.write("provenance.toml", policy(&github, &crates_io));
    let online = run(&dir, &["fetch"]).expect_code(0);
    online.assert_stderr(
        "3 packages: 0 with bundles, 0 registry-asserted, 3 no attestation, 0 could not be fetched, 0 not in the cache",
    );
    let asked = github.seen().len() + crates_io.seen().len();

    // Offline, the fetch knows the same of every package, asking nobody.
    let offline = run(&dir, &["fetch", "--frozen"]).expect_code(0);
    assert_eq!(fetched(&offline.stdout), fetched(&online.stdout));
    assert_eq!(github.seen().len() + crates_io.seen().len(), asked);
    let verbose = run(&dir, &["fetch", "--frozen", "-v"]).expect_code(0);
    verbose.assert_stdout(
        "not applicable: its repository https://gitlab.com/acme/pkg2 is not on GitHub",
    );
    verbose.assert_stdout("not applicable: it declares no repository");

    // The check from the cache, twice as in CI: no warning about the cache,
    // and each package is what fetch said.
    for _ in 0..2 {
        let check = run(&dir, &["--frozen"]).expect_code(0);
        assert!(!check.stderr.contains("cache"), "{}", check.stderr);
        assert!(!check.stderr.contains("warning["), "{}", check.stderr);
        let json = run(&dir, &["--frozen", "--message-format", "json"]).expect_code(0);
        let outcomes: BTreeMap<String, String> = json
            .stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|m| m["reason"] == "package")
            .map(|m| {
                let id = format!(
                    "{}@{}",
                    m["name"].as_str().unwrap(),
                    m["version"].as_str().unwrap()
                );
                (id, m["outcome"].as_str().unwrap().to_string())
            })
            .collect();
        let said: BTreeMap<String, String> = fetched(&online.stdout)
            .into_iter()
            .map(|(id, what)| {
                assert_eq!(what, "no attestation", "{id}");
                (id, "no-provenance".to_string())
            })
            .collect();
        assert_eq!(outcomes, said);
    }
    assert_eq!(github.seen().len() + crates_io.seen().len(), asked);
}

#[test]
fn a_fetch_that_cannot_reach_a_host_advises_fetching_again_not_going_offline() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=2));
    let source = format!("url:http://127.0.0.1:{port}/{{name}}-{{version}}.json");
    let failed = run(&dir, &["fetch", "--source", &source]).expect_code(2);
    let advice: Vec<&str> = failed
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning[network-unreachable]"))
        .collect();
    assert_eq!(advice.len(), 1, "{}", failed.stderr);
    assert!(
        advice[0].contains("run `cargo verify-provenance fetch` again"),
        "{}",
        advice[0]
    );
    assert!(!failed.stderr.contains("--offline"), "{}", failed.stderr);
}

/// `diff` runs the job over both lockfiles, but says once what it will ask.
#[test]
fn diff_says_once_what_it_will_ask() {
    let (github, crates_io) = servers();
    let dir = TestDir::new();
    dir.write("old.lock", lockfile(1..=2));
    dir.write("Cargo.lock", lockfile(1..=3));
    dir.write("provenance.toml", policy(&github, &crates_io));
    let diff = dir
        .command()
        .args([
            "diff",
            "old.lock",
            "Cargo.lock",
            "--color",
            "never",
            "--now",
            NOW,
        ])
        .args(["--crates-io-interval-ms", "0"])
        .run()
        .expect_code(0);
    let notes: Vec<&str> = diff
        .stderr
        .lines()
        .filter(|l| l.starts_with("note:"))
        .collect();
    assert_eq!(
        notes
            .iter()
            .filter(|l| l.contains("crates.io: up to"))
            .count(),
        1,
        "{}",
        diff.stderr
    );
    // Three packages (one for `explain`) are no reason to speak of
    // GitHub's hourly limit; a dozen are.
    assert!(
        !diff.stderr.contains("60 requests an hour"),
        "{}",
        diff.stderr
    );
    let explain = run(&dir, &["explain", "pkg1"]);
    assert!(
        !explain.stderr.contains("60 requests an hour"),
        "{}",
        explain.stderr
    );
    dir.write("Cargo.lock", lockfile(1..=12));
    let many = run(&dir, &["fetch"]);
    many.assert_stderr("without a token GitHub allows 60 requests an hour");
}
