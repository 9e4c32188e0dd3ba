//! crates.io asked only for what a rule needs, through the binary against
//! a loopback server answering with crates.io's recorded shapes: no
//! per-version record when nothing needs one (one line says so), every one
//! when asked for (`--all-records`, `records = "all"`) or required
//! (`require = "registry-asserted"`), and `trustpub-only` answered from the
//! list of crates, 100 crates a request, cached as it arrives; a run killed
//! midway keeps every record it received.

use serde_json::Value;

use crate::fixtures::api_file;
use crate::harness::{Run, TestDir};
use crate::min_age::{crates_io_source, lockfile};
use crate::server::{Reply, Server};

fn checksum(n: usize) -> String {
    format!("{n:0>64x}")
}

fn names(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("crate-{n}")).collect()
}

/// `count` crates, each at 1.0.0, in `Cargo.lock`, and `policy` over a
/// crates-io source at `server`.
fn workload(server: &Server, count: usize, policy: &str) -> TestDir {
    let names = names(count);
    let sums: Vec<String> = (0..count).map(checksum).collect();
    let packages: Vec<(&str, &str, &str)> = names
        .iter()
        .zip(&sums)
        .map(|(name, sum)| (name.as_str(), "1.0.0", sum.as_str()))
        .collect();
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(&packages));
    dir.write(
        "provenance.toml",
        format!("{policy}\n{}", crates_io_source(server)),
    );
    dir
}

/// crates.io's answer for one crate (its recorded shape), with version 1.0.0
/// published through GitHub.
fn crate_answer(test: &str, name: &str, n: usize) -> Option<Vec<u8>> {
    let read = |file: &str| -> Option<Value> {
        api_file(test, &format!("crates-io/{file}")).map(|b| serde_json::from_slice(&b).unwrap())
    };
    let (mut krate, mut version) = (
        read("crate-trustpub-only-true.json")?,
        read("version-trustpub-github.json")?,
    );
    krate["crate"]["name"] = name.into();
    version["version"]["crate"] = name.into();
    version["version"]["num"] = "1.0.0".into();
    version["version"]["checksum"] = checksum(n).into();
    krate["versions"] = Value::Array(vec![version["version"].take()]);
    Some(serde_json::to_vec(&krate).unwrap())
}

fn check(dir: &TestDir, extra: &[&str]) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--color", "never"])
        .args([
            "--now",
            "2026-12-07T00:00:00Z",
            "--crates-io-interval-ms",
            "0",
        ])
        .args(extra)
        .run()
}

fn per_version_requests(server: &Server) -> usize {
    server
        .seen()
        .iter()
        .filter(|s| s.path_and_query.starts_with("/api/v1/crates/"))
        .count()
}

#[test]
fn no_record_is_asked_when_no_rule_needs_one_and_one_line_says_so() {
    let test = "no_record_is_asked_when_no_rule_needs_one_and_one_line_says_so";
    let server = Server::start();
    for (n, name) in names(3).iter().enumerate() {
        let Some(answer) = crate_answer(test, name, n) else {
            return;
        };
        server.route(&format!("/api/v1/crates/{name}"), vec![Reply::json(answer)]);
    }
    let dir = workload(&server, 3, "");
    let run = check(&dir, &[]).expect_code(0);
    let said: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("crates.io"))
        .collect();
    assert_eq!(
        said,
        ["note: crates.io: no rule needs the per-version records of 3 packages, so none is asked for (a bundle found is still cross-checked with its record); --all-records, or records = \"all\" on the crates-io source, asks for every one"],
        "{}",
        run.stderr
    );
    assert!(server.seen().is_empty(), "{:#?}", server.seen());

    // Asked for: every record, said up front, each cached as it arrives.
    let run = check(&dir, &["--all-records", "--message-format", "json"]).expect_code(0);
    run.assert_stderr("note: crates.io: up to 3 requests, one per crate");
    assert_eq!(per_version_requests(&server), 3);
    assert!(
        run.stdout.contains("\"evidence\":\"registry-asserted\""),
        "{}",
        run.stdout
    );
    // A record cached for any reason is used: the next run asks nothing
    // and still shows it.
    let run = check(&dir, &["--message-format", "json"]).expect_code(0);
    assert!(
        run.stdout.contains("\"evidence\":\"registry-asserted\""),
        "{}",
        run.stdout
    );
    assert_eq!(server.seen().len(), 3);

    // The policy's key, and a rule requiring the records, ask as well.
    for policy in ["", "[defaults]\nrequire = \"registry-asserted\"\n"] {
        let fresh = workload(&server, 3, policy);
        let text = std::fs::read_to_string(fresh.join("provenance.toml")).unwrap();
        if policy.is_empty() {
            fresh.write("provenance.toml", format!("{text}records = \"all\"\n"));
        }
        let before = per_version_requests(&server);
        check(&fresh, &[]).expect_code(0);
        assert_eq!(per_version_requests(&server) - before, 3, "{policy:?}");
    }
}

#[test]
fn trustpub_only_is_answered_for_a_hundred_crates_a_request_and_cached() {
    let test = "trustpub_only_is_answered_for_a_hundred_crates_a_request_and_cached";
    let Some(krate) = api_file(test, "crates-io/crate-trustpub-only-true.json") else {
        return;
    };
    let krate: Value = serde_json::from_slice(&krate).unwrap();
    let server = Server::start();
    // The list holds every crate but the last; the server answers each
    // request with all of them, and only those asked count.
    let listed: Vec<Value> = names(149)
        .iter()
        .map(|name| {
            let mut listed = krate["crate"].clone();
            listed["name"] = name.as_str().into();
            listed["id"] = name.as_str().into();
            listed
        })
        .collect();
    server.route(
        "/api/v1/crates",
        vec![Reply::json(
            serde_json::to_vec(&serde_json::json!({"crates": listed, "meta": {"total": 149}}))
                .unwrap(),
        )],
    );
    let dir = workload(&server, 150, "[defaults]\ntrustpub-only = true\n");
    let run = check(&dir, &["--message-format", "json"]).expect_code(2);
    run.assert_stderr(
        "note: crates.io: 2 requests to its list of crates for 150 crates (whether each accepts only trusted publishing, where it lives), 100 a request",
    );
    let asked = server.seen();
    assert_eq!(asked.len(), 2, "{asked:#?}");
    assert_eq!(per_version_requests(&server), 0);
    let first = &asked[0].path_and_query;
    assert!(
        first.starts_with("/api/v1/crates?ids[]=crate-0&ids[]=crate-1&"),
        "{first}"
    );
    assert!(first.ends_with("&per_page=100"), "{first}");
    assert_eq!(first.matches("ids[]=").count(), 100);
    assert_eq!(asked[1].path_and_query.matches("ids[]=").count(), 50);

    let outcomes = |run: &Run| -> Vec<(String, String)> {
        run.stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|m| m["reason"] == "package")
            .map(|m| {
                (
                    m["name"].as_str().unwrap().to_string(),
                    m["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let first_run = outcomes(&run);
    // crates.io says each refuses tokens; the one it does not list is not
    // checked, never passed.
    assert_eq!(
        first_run
            .iter()
            .filter(|(_, o)| o == "no-provenance")
            .count(),
        149
    );
    assert!(first_run.contains(&("crate-149".into(), "error".into())));
    // Warm, and offline: the same outcomes, asking nothing more.
    let warm = check(&dir, &["--message-format", "json"]).expect_code(2);
    assert_eq!(outcomes(&warm), first_run);
    let offline = check(&dir, &["--message-format", "json", "--offline"]).expect_code(2);
    assert_eq!(outcomes(&offline), first_run);
    // The crate crates.io did not list is asked about again once "not
    // found" expires; nothing else.
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn an_interrupted_run_keeps_every_record_it_received_and_the_next_asks_only_the_rest() {
    let test = "an_interrupted_run_keeps_every_record_it_received_and_the_next_asks_only_the_rest";
    const CRATES: usize = 6;
    const ANSWERED: usize = 2;
    let server = Server::start();
    for (n, name) in names(CRATES).iter().enumerate() {
        let Some(answer) = crate_answer(test, name, n) else {
            return;
        };
        server.route(&format!("/api/v1/crates/{name}"), vec![Reply::json(answer)]);
    }
    let dir = workload(
        &server,
        CRATES,
        "[defaults]\nrequire = \"registry-asserted\"\n",
    );
    let cache = dir.join(".cache");
    // crates.io is asked one request at a time: the server answers two and
    // holds the third, so the run is still waiting when it is killed (as
    // by Ctrl-C or a CI timeout), whatever the machine's speed.
    server.hold_after(ANSWERED);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-verify-provenance"))
        .current_dir(dir.path())
        .env("CARGO_VERIFY_PROVENANCE_CACHE", &cache)
        .env_remove("CARGO_NET_OFFLINE")
        .args(["--lockfile", "Cargo.lock", "--color", "never"])
        .args([
            "--now",
            "2026-12-07T00:00:00Z",
            "--crates-io-interval-ms",
            "0",
        ])
        .args(["--http-timeout-ms", "3600000"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stored = || {
        crate::faults::cache_files(&cache)
            .iter()
            .filter(|(path, _)| {
                !path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(".tmp")
            })
            .count()
    };
    // The bound only turns a broken run into a failure instead of a hang.
    let started = std::time::Instant::now();
    while stored() < ANSWERED {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the records that arrived were not stored"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended before it was killed: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    server.release();
    assert_eq!(stored(), ANSWERED);

    // The next run asks only about the crates whose record did not arrive.
    let before = per_version_requests(&server);
    check(&dir, &[]).expect_code(0);
    assert_eq!(per_version_requests(&server) - before, CRATES - ANSWERED);
}
