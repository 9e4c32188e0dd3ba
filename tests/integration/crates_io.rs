//! The `crates-io` source against crates.io's own recorded answers
//! (`../shared/fixtures/api/crates-io`), served by a loopback server: both
//! forms of `trustpub_data`, `trustpub_only`, one request per crate name,
//! what is cached for good and what expires, and its data access policy
//! (one request a second, a User-Agent naming the tool), on a real clock.

use std::time::Duration;

use cargo_verify_provenance::lockfile::PackageSource;
use cargo_verify_provenance::policy::SourceSpec;
use cargo_verify_provenance::testkit::internals::cache::Cache;
use cargo_verify_provenance::testkit::internals::cache::SourceKeyOf;
use cargo_verify_provenance::testkit::internals::fetch::{fetch, FetchOptions, Outcome};
use cargo_verify_provenance::testkit::internals::http::HttpConfig;
use cargo_verify_provenance::testkit::internals::sources::PackageQuery;
use serde_json::Value;
use sigstore_types::Sha256Hash;

use crate::fixtures::api_file;
use crate::harness::TestDir;
use crate::server::{Reply, Server};

const NOW: &str = "2026-06-01T00:00:00Z";

fn json(test: &str, file: &str) -> Option<Value> {
    api_file(test, &format!("crates-io/{file}")).map(|b| serde_json::from_slice(&b).unwrap())
}

/// `GET /api/v1/crates/{name}` as crates.io answers it: the crate object
/// of a recorded crate answer, with the recorded `version` objects given.
fn crate_answer(krate: &Value, versions: &[&Value]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "categories": [], "keywords": [],
        "crate": krate["crate"],
        "versions": versions,
    }))
    .unwrap()
}

fn query(name: &str, version: &str, checksum: &str) -> PackageQuery {
    PackageQuery {
        name: name.into(),
        version: version.parse().unwrap(),
        source: PackageSource::CratesIo,
        checksum: Sha256Hash::from_hex(checksum).unwrap(),
        repository_hint: None,
        needs: Default::default(),
    }
}

fn options(interval: Duration) -> FetchOptions {
    FetchOptions {
        jobs: 8,
        http: HttpConfig {
            retries: 0,
            crates_io_interval: interval,
            ..HttpConfig::default()
        },
        now: NOW.parse().unwrap(),
        // The records themselves are what these tests look at.
        all_records: true,
        ..FetchOptions::default()
    }
}

#[test]
fn recorded_answers_give_both_publisher_forms_and_trustpub_only() {
    let test = "recorded_answers_give_both_publisher_forms_and_trustpub_only";
    let (Some(only_true), Some(only_false), Some(github), Some(gitlab)) = (
        api_file(test, "crates-io/crate-trustpub-only-true.json"),
        json(test, "crate-trustpub-only-false.json"),
        json(test, "version-trustpub-github.json"),
        json(test, "version-trustpub-gitlab.json"),
    ) else {
        return;
    };
    let only_true_value: Value = serde_json::from_slice(&only_true).unwrap();
    let server = Server::start();
    // Served byte for byte: `foo`, trustpub_only, 0.99.0 published with a token.
    server.route("/api/v1/crates/foo", vec![Reply::json(only_true)]);
    server.route(
        "/api/v1/crates/foo_show",
        vec![Reply::json(serde_json::to_vec(&only_false).unwrap())],
    );
    server.route(
        "/api/v1/crates/from-github",
        vec![Reply::json(crate_answer(
            &only_true_value,
            &[&github["version"]],
        ))],
    );
    server.route(
        "/api/v1/crates/from-gitlab",
        vec![Reply::json(crate_answer(
            &only_true_value,
            &[&gitlab["version"]],
        ))],
    );
    let zeros = "0".repeat(64);
    let ones = "1".repeat(64);
    let published = github["version"]["checksum"].as_str().unwrap().to_string();
    let queries = vec![
        query("foo", "0.99.0", &zeros),
        query("foo_show", "0.5.0", &zeros),
        query("foo_show", "1.0.0", &zeros),
        query("foo_show", "9.9.9", &ones),
        query("from-github", "1.1.0", &published),
        query("from-gitlab", "1.1.0", &published),
    ];
    let sources = [SourceSpec::crates_io(&server.base)];
    // No cache: these recorded versions share checksums, which key the cache.
    let report = fetch(queries, &sources, None, &options(Duration::from_millis(5))).unwrap();
    let [foo, show, show_1, unknown, from_github, from_gitlab] = &report.packages[..] else {
        panic!("{report:#?}")
    };

    let github = from_github.registry.as_ref().expect("GitHub trustpub_data");
    assert_eq!(github.provider, "github");
    assert_eq!(github.repository, "https://github.com/rust-lang/foo-rs");
    assert_eq!(github.run_id.as_deref(), Some("example-run-id"));
    assert_eq!(github.sha.as_deref(), Some("example-sha"));
    assert_eq!(github.trustpub_only, Some(true));
    let gitlab = from_gitlab.registry.as_ref().expect("GitLab trustpub_data");
    assert_eq!(gitlab.provider, "gitlab");
    assert_eq!(gitlab.repository, "https://gitlab.com/rust-lang/foo-rs");
    assert_eq!(gitlab.run_id.as_deref(), Some("11530106120"));
    assert_eq!(
        gitlab.sha.as_deref(),
        Some("76719c2658b5c4423810d655a4624af1b38b7091")
    );
    // Published with a token, or not listed: no publisher, no error.
    for package in [foo, show, show_1, unknown] {
        assert!(package.registry.is_none(), "{package:#?}");
        assert!(package.errors.is_empty(), "{package:#?}");
        assert_eq!(
            package.outcomes[0].outcome,
            Outcome::Registry { asserted: false }
        );
    }
    // One request per crate name, whatever the number of versions locked.
    assert_eq!(server.requests_to("/api/v1/crates/foo_show"), 1);
    assert_eq!(server.seen().len(), 4);
    assert!(server
        .seen()
        .iter()
        .all(|s| s.path_and_query.ends_with("?include=versions")));

    // From crates.io itself, a published version's record is kept for
    // good, with a publisher or without, and "not found" expires; from
    // any other address (here: 127.0.0.1), every answer expires.
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let cached = [
        (query("foo", "0.99.0", &zeros), true),
        (query("foo_show", "9.9.9", &ones), false),
        (query("from-github", "1.1.0", &published), true),
    ];
    fetch(
        cached.iter().map(|(q, _)| q.clone()).collect(),
        &sources,
        Some(&cache),
        &options(Duration::from_millis(5)),
    )
    .unwrap();
    let years_later: jiff::Timestamp = "2036-06-01T00:00:00Z".parse().unwrap();
    let day = jiff::SignedDuration::from_hours(24);
    let key = sources[0].source_key();
    assert!(!key.official);
    for (query, lasts) in &cached {
        let entry = cache
            .read(&query.checksum, &key)
            .unwrap_or_else(|| panic!("{} is cached", query.id()));
        let official = entry.is_usable(true, false, years_later, day);
        assert_eq!(official, *lasts, "{}", query.id());
        assert!(!entry.is_usable(false, false, years_later, day));
    }
}

#[test]
fn crates_io_is_asked_once_a_second_with_a_user_agent_naming_the_tool() {
    let server = Server::start();
    let names = ["alpha", "beta", "gamma"];
    let checksum = |n: usize| format!("{n:0>64}");
    for (n, name) in names.iter().enumerate() {
        server.route(
            &format!("/api/v1/crates/{name}"),
            vec![Reply::json(
                serde_json::to_vec(&serde_json::json!({
                    "crate": {"name": name, "repository": null, "trustpub_only": false},
                    "versions": [{"num": "1.0.0", "checksum": checksum(n), "trustpub_data": null}],
                }))
                .unwrap(),
            )],
        );
    }
    let dir = TestDir::new();
    let mut lock = String::from("version = 4\n");
    for (n, name) in names.iter().enumerate() {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            checksum(n)
        ));
    }
    dir.write("Cargo.lock", lock);
    dir.write(
        "provenance.toml",
        format!(
            "[[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\nrecords = \"all\"\n",
            server.base
        ),
    );
    // The default interval: no hidden setting.
    let run = dir
        .command()
        .args(["fetch", "--lockfile", "Cargo.lock", "--jobs", "8"])
        .run()
        .expect_code(0);
    run.assert_stderr("note: crates.io: up to 3 requests, one per crate");
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    let mut arrivals: Vec<_> = seen.iter().map(|s| s.at).collect();
    arrivals.sort();
    for pair in arrivals.windows(2) {
        let gap = pair[1] - pair[0];
        // A correctness check of the spacing: a request starts a second
        // after the previous answer was read, so after it arrived here too
        // (one monotonic clock), however loaded the machine is.
        assert!(gap >= Duration::from_secs(1), "{gap:?} between requests");
    }
    for request in &seen {
        let agent = request.headers["user-agent"].to_str().unwrap();
        assert!(
            agent.starts_with(concat!(
                "cargo-verify-provenance/",
                env!("CARGO_PKG_VERSION")
            )) && agent.contains(env!("CARGO_PKG_REPOSITORY")),
            "{agent}"
        );
    }
}

#[test]
fn trustpub_only_is_recorded_in_the_json_report_and_explain() {
    let test = "trustpub_only_is_recorded_in_the_json_report_and_explain";
    let (Some(only_true), Some(github)) = (
        json(test, "crate-trustpub-only-true.json"),
        json(test, "version-trustpub-github.json"),
    ) else {
        return;
    };
    let server = Server::start();
    server.route(
        "/api/v1/crates/foo",
        vec![Reply::json(crate_answer(&only_true, &[&github["version"]]))],
    );
    let checksum = github["version"]["checksum"].as_str().unwrap();
    let dir = TestDir::new();
    dir.write(
        "Cargo.lock",
        format!(
            "version = 4\n\n[[package]]\nname = \"foo\"\nversion = \"1.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{checksum}\"\n"
        ),
    );
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nrequire = \"registry-asserted\"\n\n[[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\n",
            server.base
        ),
    );
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .run()
        .expect_code(0);
    let message: Value = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|m| m["reason"] == "package")
        .unwrap();
    assert_eq!(message["registry"]["trustpub_only"], true, "{message}");
    assert_eq!(message["registry"]["provider"], "github");
    let explained = dir
        .command()
        .args(["explain", "foo", "--lockfile", "Cargo.lock", "--offline"])
        .run()
        .expect_code(0);
    explained.assert_stdout("trusted publishing only: yes");
}
