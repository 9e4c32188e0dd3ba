//! Honest outcomes when sources cannot answer, through the binary: hosts
//! that cannot be reached are not retried, are given up on after a few
//! identical failures, and are named once; packages no source could answer
//! for are "not checked", never "no provenance", in every output format.
//! Nothing here reaches the internet: names under `.invalid` never resolve
//! (and are not even looked up), and every other host is 127.0.0.1.

use std::time::Duration;

use serde_json::Value;

use crate::faults::lockfile;
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const NOW: &str = "2026-11-25T12:00:00Z";

/// The first few failures of a host before it is given up on (`http::GIVE_UP_AFTER`).
const GIVE_UP_AFTER: usize = 3;

fn check(dir: &TestDir, extra: &[&str]) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--color", "never", "--now", NOW])
        .args(extra)
        .run()
}

fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn without_a_network_every_host_is_named_once_and_nothing_passes_as_no_provenance() {
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=60));
    // The default sources, pointed at names that never resolve.
    dir.write(
        "provenance.toml",
        "[[source]]\nkind = \"github\"\norg = \"acme\"\napi-url = \"https://api.github.invalid\"\n\n\
         [[source]]\nkind = \"crates-io\"\napi-url = \"https://crates.invalid\"\n",
    );
    // Could not check is never a pass: exit 2, and one diagnostic for the 60.
    // No rule needs crates.io's records, and the organisation says where
    // to look on GitHub: crates.io is not asked at all.
    let run = check(&dir, &[]).expect_code(2);
    assert_eq!(
        lines_with(
            &run.stderr,
            "error[provenance-not-checked]: 60 packages: could not be checked"
        ),
        ["error[provenance-not-checked]: 60 packages: could not be checked"],
        "{}",
        run.stderr
    );
    let unreachable = lines_with(&run.stderr, "cannot reach");
    assert_eq!(
        unreachable,
        ["warning[network-unreachable]: cannot reach api.github.invalid (DNS lookup failed): check the network, or run with --offline after `cargo verify-provenance fetch`"],
        "{}",
        run.stderr
    );
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("no-provenance")),
        "{}",
        run.stdout
    );
    let summary = run.stdout.lines().last().unwrap();
    assert_eq!(
        summary,
        "0 pass, 0 violation, 0 exempt, 0 no-provenance, 60 not-checked (60 dependencies); not checked: cannot reach api.github.invalid (DNS lookup failed)"
    );
    assert_eq!(
        lines_with(&run.stdout, "not-checked pkg").len(),
        60,
        "{}",
        run.stdout
    );

    // The policy may let what nothing required pass unchecked, saying so.
    let sources = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    dir.write(
        "provenance.toml",
        format!("not-checked = \"warn\"\n{sources}"),
    );
    let run = check(&dir, &[]).expect_code(0);
    run.assert_stderr("warning[provenance-not-checked]: 60 packages");
    run.assert_stdout("60 not-checked (60 dependencies)");
    run.assert_stdout("[not-checked = \"warn\"");
    let colored = dir
        .command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--color",
            "always",
            "--now",
            NOW,
        ])
        .run()
        .expect_code(0);
    let summary = colored.stdout.lines().last().unwrap();
    assert!(
        summary.starts_with("\u{1b}[1;33m"),
        "yellow, never green: {summary:?}"
    );

    // A policy that requires evidence cannot pass what was not checked,
    // whatever `not-checked` says.
    let mut policy = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    policy.push_str("\n[defaults]\nrequire = \"registry-asserted\"\n");
    dir.write("provenance.toml", policy);
    let run = check(&dir, &[]).expect_code(2);
    assert_eq!(
        lines_with(&run.stderr, "cannot reach"),
        ["warning[network-unreachable]: cannot reach api.github.invalid, crates.invalid (DNS lookup failed): check the network, or run with --offline after `cargo verify-provenance fetch`"],
        "{}",
        run.stderr
    );
    assert!(run
        .stdout
        .lines()
        .last()
        .unwrap()
        .contains("0 not-checked, 60 error (60 dependencies)"));
}

#[test]
fn a_host_failing_the_tls_handshake_is_asked_a_few_times_only() {
    let server = Server::start();
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=40));
    // The server speaks plain HTTP: every TLS handshake with it fails.
    let template = server
        .url("/{name}-{version}.json")
        .replace("http://", "https://");
    let host = template
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let source = format!("url:{template}");
    let run = check(&dir, &["--source", &source, "-j", "2"]).expect_code(2);
    // Two packages in flight when the host is given up on, at most: no
    // retries, and nothing asked after that.
    let connections = server.connections();
    assert!(
        (GIVE_UP_AFTER..=GIVE_UP_AFTER + 1).contains(&connections),
        "{connections} connections for 40 packages"
    );
    assert_eq!(
        lines_with(&run.stderr, "cannot reach"),
        [format!("warning[network-unreachable]: cannot reach {host} (TLS handshake failed): check the network, or run with --offline after `cargo verify-provenance fetch`")],
    );
    assert!(run.stdout.ends_with(&format!(
        "40 not-checked (40 dependencies); not checked: cannot reach {host} (TLS handshake failed)\n"
    )));

    // JSON: every package is not checked, with the kind and host of the failure.
    let server = Server::start();
    let template = server
        .url("/{name}-{version}.json")
        .replace("http://", "https://");
    let run = check(
        &dir,
        &[
            "--source",
            &format!("url:{template}"),
            "--message-format",
            "json",
        ],
    )
    .expect_code(2);
    let messages: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let packages: Vec<&Value> = messages
        .iter()
        .filter(|m| m["reason"] == "package")
        .collect();
    assert_eq!(packages.len(), 40);
    for package in &packages {
        assert_eq!(package["outcome"], "not-checked", "{package}");
        assert_eq!(package["errors"][0]["kind"], "tls-failed", "{package}");
    }
    let summary = messages.last().unwrap();
    assert_eq!(summary["reason"], "summary");
    assert_eq!(summary["not_checked"], 40);
    assert_eq!(summary["no_provenance"], 0);
    assert_eq!(summary["not_checked_because"].as_array().unwrap().len(), 1);
    let warnings: Vec<&Value> = messages
        .iter()
        .filter(|m| m["reason"] == "warning" && m["code"] == "network-unreachable")
        .collect();
    assert_eq!(warnings.len(), 1);
    assert!(server.connections() <= 32 + GIVE_UP_AFTER);
}

#[test]
fn refused_connections_are_not_checked_in_sarif_too_and_no_provenance_stays_apart() {
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=3));
    // Package 1 is answered "no attestation" by a working source; every
    // package is also asked of a host that refuses connections.
    let server = Server::start();
    server.route("/pkg1-1.0.0.json", vec![Reply::status(404)]);
    server.route("/pkg2-1.0.0.json", vec![Reply::status(404)]);
    server.route("/pkg3-1.0.0.json", vec![Reply::status(404)]);
    let port = closed_port();
    let refused = format!("url:http://127.0.0.1:{port}/{{name}}-{{version}}.json");
    let working = format!("url:{}", server.url("/{name}-{version}.json"));
    let run = check(&dir, &["--source", &working, "--message-format", "sarif"]).expect_code(0);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    // Nothing required provenance of them: no alerts, a count.
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(sarif["runs"][0]["properties"]["skippedPackages"], 3);

    let run = check(
        &dir,
        &[
            "--source",
            &working,
            "--source",
            &refused,
            "--message-format",
            "sarif",
        ],
    )
    .expect_code(2);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        assert_eq!(result["ruleId"], "provenance-not-checked", "{result}");
        assert_eq!(result["level"], "error");
        assert!(result["message"]["text"]
            .as_str()
            .unwrap()
            .contains("connection refused"));
    }
    // Once as a warning, once in the summary (on stderr beside SARIF).
    assert_eq!(
        lines_with(&run.stderr, "warning[network-unreachable]"),
        [format!("warning[network-unreachable]: cannot reach 127.0.0.1:{port} (connection refused): check the network, or run with --offline after `cargo verify-provenance fetch`")],
    );
    assert!(run.stderr.ends_with(&format!(
        "3 not-checked (3 dependencies); not checked: cannot reach 127.0.0.1:{port} (connection refused)\n"
    )));
}

#[test]
fn failures_of_a_source_that_did_not_decide_are_still_reported_with_counts() {
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=5));
    let failing = Server::start();
    failing.route("/pkg1-1.0.0.json", vec![Reply::status(500)]);
    for n in 2..=5 {
        failing.route(&format!("/pkg{n}-1.0.0.json"), vec![Reply::status(500)]);
    }
    let answering = Server::start();
    for n in 1..=5 {
        answering.route(&format!("/pkg{n}-1.0.0.json"), vec![Reply::status(404)]);
    }
    let run = check(
        &dir,
        &[
            "--source",
            &format!("url:{}", failing.url("/{name}-{version}.json")),
            "--source",
            &format!("url:{}", answering.url("/{name}-{version}.json")),
            "--http-retries",
            "1",
            "--http-backoff-ms",
            "1",
        ],
    )
    .expect_code(2);
    let failed = lines_with(&run.stderr, "warning[source-failed]");
    assert_eq!(failed.len(), 1, "{}", run.stderr);
    assert!(
        failed[0].contains("could not answer for 5 packages (server error)"),
        "{}",
        failed[0]
    );
    // One retry each: the server saw two requests per package.
    assert_eq!(failing.seen().len(), 10);
}

#[test]
fn the_progress_bar_counts_packages_a_source_could_not_answer() {
    let server = Server::start();
    server.set_latency(Duration::from_millis(120));
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=12));
    for n in 1..=12 {
        server.route(&format!("/pkg{n}-1.0.0.json"), vec![Reply::status(503)]);
    }
    let shown = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--now", NOW, "-j", "1"])
        .args([
            "--source",
            &format!("url:{}", server.url("/{name}-{version}.json")),
        ])
        .args(["--http-retries", "0"])
        .run_in_terminal()
        .expect_code(2)
        .stdout;
    assert!(shown.contains("fetching provenance"), "{shown:?}");
    assert!(
        (2..=12).any(|n| shown.contains(&format!("/12, {n} not answered"))),
        "{shown:?}"
    );
}

#[test]
fn this_projects_own_workspace_without_a_network_asks_each_host_a_few_times_and_names_them_once() {
    // GitHub's and crates.io's APIs stand-ins speak plain HTTP: every TLS
    // handshake with them fails, as with no network, and they count the
    // connections.
    let github = Server::start();
    let crates_io = Server::start();
    let https = |server: &Server| server.url("").replace("http://", "https://");
    let host = |server: &Server| {
        https(server)
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string()
    };
    let dir = TestDir::new();
    dir.write(
        "provenance.toml",
        format!(
            "[[source]]\nkind = \"github\"\napi-url = \"{}\"\n\n[[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\n",
            https(&github).trim_end_matches('/'),
            https(&crates_io).trim_end_matches('/')
        ),
    );
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let jobs = 4;
    let run = dir
        .command()
        .arg("--manifest-path")
        .arg(&manifest)
        .args([
            "--policy",
            "provenance.toml",
            "--color",
            "never",
            "--now",
            NOW,
        ])
        .args(["-j", &jobs.to_string()])
        .run()
        .expect_code(2);
    // No retries, and each host given up on after a few failures: at most
    // the packages in flight then, out of hundreds.
    assert!(
        github.connections() <= GIVE_UP_AFTER + jobs,
        "{}",
        github.connections()
    );
    // No rule needs crates.io's records, and the manifests name their
    // repositories: crates.io is asked at most once, through its list of
    // crates, for the few whose manifest names none.
    let hosts = match crates_io.connections() {
        0 => host(&github),
        1 => format!("{}, {}", host(&github), host(&crates_io)),
        more => panic!("{more} connections to crates.io"),
    };
    assert_eq!(
        lines_with(&run.stderr, "cannot reach"),
        [format!(
            "warning[network-unreachable]: cannot reach {hosts} (TLS handshake failed): check the network, or run with --offline after `cargo verify-provenance fetch`"
        )],
        "{}",
        run.stderr
    );
    // Nothing passes; what GitHub could not answer is not checked (the
    // few whose repository is not on GitHub have no source to ask).
    let summary = run.stdout.lines().last().unwrap();
    assert!(
        summary.starts_with("0 pass, 0 violation, 0 exempt, "),
        "{summary}"
    );
    assert!(summary.contains(" not-checked ("), "{summary}");
}
