//! Sources, the cache and parallel fetching against a real HTTP server on
//! 127.0.0.1 serving bundles minted by the test instance, in the response
//! shapes of GitHub's REST API and crates.io's API.

use std::time::Duration;

use cargo_verify_provenance::lockfile::PackageSource;
use cargo_verify_provenance::policy::{SourceSpec, SourceSpecError};
use cargo_verify_provenance::testkit::internals::cache::SourceKeyOf;
use cargo_verify_provenance::testkit::internals::cache::{Answer, Cache, CacheEntry};
use cargo_verify_provenance::testkit::internals::fetch::{
    fetch, FetchOptions, FetchReport, Outcome, PackageFetch,
};
use cargo_verify_provenance::testkit::internals::http::HttpConfig;
use cargo_verify_provenance::testkit::internals::sources::{GitHubAuth, PackageQuery};
use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use cargo_verify_provenance::trust::{RootOrigin, TrustRoot};
use sigstore_types::Sha256Hash;

use crate::harness::TestDir;
use crate::server::{Reply, Server};

const REPOSITORY: &str = "https://github.com/acme/widget";

fn checksum(n: u8) -> [u8; 32] {
    let mut bytes = [0x5a; 32];
    bytes[0] = n;
    bytes
}

fn query(name: &str, n: u8) -> PackageQuery {
    PackageQuery {
        name: name.to_string(),
        version: "1.2.3".parse().unwrap(),
        source: PackageSource::CratesIo,
        checksum: Sha256Hash::new(checksum(n)),
        repository_hint: Some(REPOSITORY.to_string()),
        needs: Default::default(),
    }
}

/// A bundle minted for `name` 1.2.3 with checksum `n`, as one-line JSON.
fn bundle(instance: &Instance, name: &str, n: u8) -> serde_json::Value {
    let minted = instance.mint(&MintRequest::new(
        name,
        "1.2.3",
        checksum(n),
        Claims::github("acme/widget", "1.2.3"),
    ));
    serde_json::from_str(&minted.to_json()).unwrap()
}

/// GitHub's "List attestations" response body, with the bundles inline
/// (as GitHub Enterprise Server and older answers have them).
fn github_page(bundles: &[serde_json::Value]) -> Vec<u8> {
    let attestations: Vec<_> = bundles
        .iter()
        .map(|b| {
            serde_json::json!({
                "bundle": b,
                "repository_id": 123456,
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "attestations": attestations })).unwrap()
}

fn github_path(n: u8) -> String {
    format!(
        "/repos/acme/widget/attestations/sha256:{}",
        hex::encode(checksum(n))
    )
}

fn github(server: &Server) -> SourceSpec {
    SourceSpec::GitHub {
        api_url: server.base.clone(),
        org: None,
        predicate_type: None,
    }
}

/// A token for the API `server` stands in for.
fn token_for(server: &Server) -> GitHubAuth {
    GitHubAuth::token("ghp_testtoken").with_api(server.base.parse().unwrap())
}

fn options() -> FetchOptions {
    FetchOptions {
        jobs: 8,
        offline: false,
        http: HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            retries: 2,
            backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            max_rate_limit_wait: Duration::from_secs(5),
            // crates.io's one request a second is tested on its own.
            crates_io_interval: Duration::from_millis(10),
            ..HttpConfig::default()
        },
        now: "2026-06-01T00:00:00Z".parse().unwrap(),
        github_auth: GitHubAuth::none(),
        ..FetchOptions::default()
    }
}

fn roots(instance: &Instance) -> Vec<TrustRoot> {
    vec![TrustRoot::from_json(
        "test-instance".into(),
        RootOrigin::File {
            path: "trusted_root.json".into(),
        },
        &instance.trusted_root_json(),
    )
    .unwrap()]
}

fn run(
    queries: Vec<PackageQuery>,
    sources: &[SourceSpec],
    cache: &Cache,
    options: &FetchOptions,
) -> FetchReport {
    fetch(queries, sources, Some(cache), options).unwrap()
}

fn only(report: &FetchReport) -> &PackageFetch {
    assert_eq!(report.packages.len(), 1);
    &report.packages[0]
}

/// Every file under the cache's attestation folder, with its bytes.
fn cache_files(dir: &TestDir) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    fn walk(path: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&dir.join("cache/attestations"), &mut out);
    out.sort();
    out
}

#[test]
fn github_pagination_across_two_pages_finds_every_bundle_and_they_verify() {
    let server = Server::start();
    let instance = Instance::new(41);
    let path = github_path(1);
    let cursor = "Y3Vyc29yOnYyOpK0";
    server.route_exact(
        &format!("{path}?per_page=100"),
        vec![
            Reply::json(github_page(&[bundle(&instance, "widget", 1)])).header(
                "link",
                &format!(
                    "<{}{path}?per_page=100&after={cursor}>; rel=\"next\"",
                    server.base
                ),
            ),
        ],
    );
    server.route_exact(
        &format!("{path}?per_page=100&after={cursor}"),
        vec![
            Reply::json(github_page(&[bundle(&instance, "widget", 1)])).header(
                "link",
                &format!(
                    "<{}{path}?per_page=100&before={cursor}>; rel=\"prev\"",
                    server.base
                ),
            ),
        ],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let report = run(
        vec![query("widget", 1)],
        &[github(&server)],
        &cache,
        &options(),
    );
    let package = only(&report);
    assert_eq!(package.documents.len(), 2, "{package:#?}");
    assert!(package.errors.is_empty());
    assert_eq!(server.requests_to(&path), 2);
    // The second page is named by its number: its URL's query (the
    // cursor) is not shown.
    assert!(
        package.documents[1].origin.location.contains("#page=2"),
        "{}",
        package.documents[1].origin.location
    );
    assert!(!package.documents[1].origin.location.contains("after="));
    let evidence = package.verify(&roots(&instance));
    assert_eq!(evidence.attestations.len(), 2, "{evidence:#?}");
    assert!(evidence.rejected.is_empty());
}

/// A `Link: rel="next"` to another port or another host name is not
/// followed: the page after it is not fetched, the token goes nowhere else,
/// and the package cannot be checked (a partial list is not a full one).
#[test]
fn github_next_link_to_another_origin_is_not_followed() {
    let instance = Instance::new(41);
    let path = github_path(1);
    let elsewhere = Server::start();
    elsewhere.route(&path, vec![Reply::json(github_page(&[]))]);
    let port = |base: &str| base.rsplit(':').next().unwrap().to_string();
    for target in [
        // Another port on the same address.
        elsewhere.base.clone(),
        // Another host name for the same server.
        "http://localhost:PORT".to_string(),
    ] {
        let server = Server::start();
        let target = target.replace("PORT", &port(&server.base));
        server.route(
            &path,
            vec![
                Reply::json(github_page(&[bundle(&instance, "widget", 1)])).header(
                    "link",
                    &format!("<{target}{path}?per_page=100&after=x>; rel=\"next\""),
                ),
            ],
        );
        let dir = TestDir::new();
        let cache = Cache::open(&dir.join("cache")).unwrap();
        let options = FetchOptions {
            github_auth: token_for(&server),
            ..options()
        };
        let report = run(
            vec![query("widget", 1)],
            &[github(&server)],
            &cache,
            &options,
        );
        assert_eq!(server.seen().len(), 1, "{target}: {:#?}", server.seen());
        assert!(
            elsewhere.seen().is_empty(),
            "{target}: {:#?}",
            elsewhere.seen()
        );
        let package = only(&report);
        assert!(
            package
                .errors
                .iter()
                .any(|e| e.message.contains("Link header points to another host")),
            "{target}: {package:#?}"
        );
        assert_ne!(
            package.outcomes[0].outcome,
            Outcome::NoAttestation,
            "{target}"
        );
    }
}

#[test]
fn token_api_version_and_user_agent_headers_are_sent() {
    let server = Server::start();
    server.route(&github_path(1), vec![Reply::status(404)]);
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let options = FetchOptions {
        github_auth: token_for(&server),
        ..options()
    };
    run(
        vec![query("widget", 1)],
        &[github(&server)],
        &cache,
        &options,
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let headers = &seen[0].headers;
    assert_eq!(headers["authorization"], "Bearer ghp_testtoken");
    assert_eq!(headers["x-github-api-version"], "2022-11-28");
    assert_eq!(headers["accept"], "application/vnd.github+json");
    assert!(headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("cargo-verify-provenance/"));
    assert!(seen[0].path_and_query.ends_with("?per_page=100"));
}

#[test]
fn org_endpoint_and_predicate_type_filter_are_used_when_configured() {
    let server = Server::start();
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let source = SourceSpec::GitHub {
        api_url: server.base.clone(),
        org: Some("acme".into()),
        predicate_type: Some("https://slsa.dev/provenance/v1".into()),
    };
    let mut package = query("widget", 1);
    package.repository_hint = None;
    run(vec![package], &[source], &cache, &options());
    let seen = server.seen();
    assert_eq!(
        seen[0].path_and_query,
        format!(
            "/orgs/acme/attestations/sha256:{}?per_page=100&predicate_type=https%3A%2F%2Fslsa.dev%2Fprovenance%2Fv1",
            hex::encode(checksum(1))
        )
    );
}

#[test]
fn not_found_is_no_attestation_and_is_cached_for_the_configured_time() {
    let server = Server::start();
    let mut not_found = Reply::json(
        r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#
            .as_bytes()
            .to_vec(),
    );
    not_found.status = 404;
    server.route(&github_path(1), vec![not_found]);
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let sources = [github(&server)];
    let report = run(vec![query("widget", 1)], &sources, &cache, &options());
    assert_eq!(only(&report).outcomes[0].outcome, Outcome::NoAttestation);
    assert!(only(&report).errors.is_empty());
    // Within the time-to-live the cached answer is used…
    let within = FetchOptions {
        now: options().now + jiff::SignedDuration::from_hours(23),
        ..options()
    };
    let report = run(vec![query("widget", 1)], &sources, &cache, &within);
    assert!(only(&report).outcomes[0].cached);
    assert_eq!(server.requests_to(&github_path(1)), 1);
    // …after it the source is asked again.
    let after = FetchOptions {
        now: options().now + jiff::SignedDuration::from_hours(25),
        ..options()
    };
    let report = run(vec![query("widget", 1)], &sources, &cache, &after);
    assert!(!only(&report).outcomes[0].cached);
    assert_eq!(server.requests_to(&github_path(1)), 2);
}

#[test]
fn a_server_error_is_retried_and_then_succeeds() {
    let server = Server::start();
    let instance = Instance::new(42);
    server.route(
        &github_path(1),
        vec![
            Reply::status(500),
            Reply::json(github_page(&[bundle(&instance, "widget", 1)])),
        ],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let report = run(
        vec![query("widget", 1)],
        &[github(&server)],
        &cache,
        &options(),
    );
    assert_eq!(only(&report).documents.len(), 1, "{report:#?}");
    assert!(only(&report).errors.is_empty());
    assert_eq!(server.requests_to(&github_path(1)), 2);
}

#[test]
fn server_errors_beyond_the_retries_are_a_source_error() {
    let server = Server::start();
    server.route(&github_path(1), vec![Reply::status(502)]);
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let report = run(
        vec![query("widget", 1)],
        &[github(&server)],
        &cache,
        &options(),
    );
    let package = only(&report);
    assert!(package.errors[0].message.contains("502"), "{package:#?}");
    assert_eq!(
        server.requests_to(&github_path(1)),
        3,
        "1 attempt + 2 retries"
    );
    assert!(cache_files(&dir).is_empty(), "nothing is cached");
}

#[test]
fn too_many_requests_with_retry_after_is_waited_out() {
    let server = Server::start();
    let instance = Instance::new(43);
    server.route(
        &github_path(1),
        vec![
            Reply::status(429).header("retry-after", "1"),
            Reply::json(github_page(&[bundle(&instance, "widget", 1)])),
        ],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let report = run(
        vec![query("widget", 1)],
        &[github(&server)],
        &cache,
        &options(),
    );
    assert_eq!(only(&report).documents.len(), 1, "{report:#?}");
    assert_eq!(server.requests_to(&github_path(1)), 2);
}

#[test]
fn a_long_rate_limit_stops_that_source_only() {
    let server = Server::start();
    let instance = Instance::new(44);
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    // An earlier run cached package 2's GitHub answer.
    server.route(
        &github_path(2),
        vec![Reply::json(github_page(&[bundle(&instance, "gadget", 2)]))],
    );
    run(
        vec![query("gadget", 2)],
        &[github(&server)],
        &cache,
        &options(),
    );

    let reset = jiff::Timestamp::now().as_second() + 3600;
    let limited = Reply::status(403)
        .header("x-ratelimit-limit", "60")
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", &reset.to_string())
        .header("x-ratelimit-resource", "core");
    server.route(&github_path(1), vec![limited.clone()]);
    server.route(&github_path(3), vec![limited]);
    // Package 1 is also on a mirror; package 3 only on GitHub.
    let mirror = format!("{}/mirror/{{checksum}}.jsonl", server.base);
    server.route(
        &format!("/mirror/{}.jsonl", hex::encode(checksum(1))),
        vec![Reply::json(bundle(&instance, "widget", 1).to_string())],
    );
    let sources = [github(&server), SourceSpec::url(&mirror).unwrap()];
    let queries = vec![query("widget", 1), query("gadget", 2), query("thing", 3)];
    let report = run(
        queries,
        &sources,
        &cache,
        &FetchOptions {
            jobs: 1,
            ..options()
        },
    );

    let [widget, gadget, thing] = &report.packages[..] else {
        panic!("three packages")
    };
    // The first package hitting the limit stops GitHub for the run; the other
    // is told the same without another request.
    assert_eq!(
        server.requests_to(&github_path(1)) + server.requests_to(&github_path(3)),
        1
    );
    for package in [widget, thing] {
        let message = &package.errors[0].message;
        assert!(message.contains("rate limit"), "{message}");
        assert!(message.contains("GITHUB_TOKEN"), "{message}");
    }
    assert_eq!(widget.documents.len(), 1, "the mirror still answers");
    assert_eq!(gadget.documents.len(), 1, "cached answers still count");
    assert!(gadget.errors.is_empty());
    assert!(thing.documents.is_empty());
}

/// A failing response: its outcome, and the cache left as it was.
fn failing_response(reply: Reply, options: FetchOptions, expect: &str) {
    let server = Server::start();
    let instance = Instance::new(45);
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    // A stale "no attestation" for package 1 and a good entry for package 2.
    let stale = CacheEntry::answer(
        &Sha256Hash::new(checksum(1)),
        &github(&server).source_key(),
        options.now - jiff::SignedDuration::from_hours(48),
        Answer::NoAttestation,
    );
    cache.write_entry(&stale).unwrap();
    server.route(
        &github_path(2),
        vec![Reply::json(github_page(&[bundle(&instance, "gadget", 2)]))],
    );
    run(
        vec![query("gadget", 2)],
        &[github(&server)],
        &cache,
        &options,
    );
    let before = cache_files(&dir);
    assert_eq!(before.len(), 2);

    server.route(&github_path(1), vec![reply]);
    let report = run(
        vec![query("widget", 1), query("gadget", 2)],
        &[github(&server)],
        &cache,
        &options,
    );
    let widget = &report.packages[0];
    assert!(widget.documents.is_empty());
    assert_eq!(widget.errors.len(), 1, "{widget:#?}");
    assert!(
        widget.errors[0].message.contains(expect),
        "{}",
        widget.errors[0].message
    );
    assert_eq!(report.packages[1].documents.len(), 1);
    assert_eq!(cache_files(&dir), before, "the cache is unchanged");
}

#[test]
fn a_truncated_body_is_an_error_and_leaves_the_cache_intact() {
    let instance = Instance::new(46);
    let body = github_page(&[bundle(&instance, "widget", 1)]);
    failing_response(
        Reply::json(body).truncated(),
        options(),
        "connection failed",
    );
}

#[test]
fn invalid_json_is_an_error_and_leaves_the_cache_intact() {
    failing_response(
        Reply::json(&b"{\"attestations\": [{\"bundle\": "[..]),
        options(),
        "not valid JSON",
    );
}

#[test]
fn an_oversize_body_is_refused_and_leaves_the_cache_intact() {
    let instance = Instance::new(47);
    let body = github_page(&vec![bundle(&instance, "widget", 1); 8]);
    let mut options = options();
    options.http.max_body_bytes = body.len() / 2;
    failing_response(Reply::json(body), options, "over the");
}

#[test]
fn a_response_slower_than_the_timeout_is_an_error_and_leaves_the_cache_intact() {
    let mut options = options();
    options.http.timeout = Duration::from_millis(200);
    options.http.retries = 1;
    failing_response(
        Reply::json(github_page(&[])).delayed(Duration::from_secs(3)),
        options,
        "no complete answer within 200 ms",
    );
}

#[test]
fn a_bundle_for_another_digest_is_ignored_and_reported() {
    let server = Server::start();
    let instance = Instance::new(48);
    // GitHub answers for package 1 with a bundle whose subject is package 9.
    server.route(
        &github_path(1),
        vec![Reply::json(github_page(&[bundle(&instance, "widget", 9)]))],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let report = run(
        vec![query("widget", 1)],
        &[github(&server)],
        &cache,
        &options(),
    );
    let package = only(&report);
    assert!(package.documents.is_empty());
    assert!(package.errors.is_empty());
    assert_eq!(package.ignored.len(), 1);
    assert!(package.ignored[0]
        .reason
        .contains(&hex::encode(checksum(9))));
    let evidence = package.verify(&roots(&instance));
    assert!(evidence.attestations.is_empty() && evidence.rejected.is_empty());
    assert_eq!(evidence.ignored.len(), 1);
}

#[test]
fn url_template_serves_jsonl_and_dir_serves_all_three_names() {
    let server = Server::start();
    let instance = Instance::new(49);
    let line = |n: u8| bundle(&instance, "widget", n).to_string();
    server.route(
        &format!("/m/widget/1.2.3/{}.jsonl", hex::encode(checksum(1))),
        vec![Reply::json(format!("{}\n{}\n", line(1), line(1)))],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let template = format!("{}/m/{{name}}/{{version}}/{{checksum}}.jsonl", server.base);
    let report = run(
        vec![query("widget", 1)],
        &[SourceSpec::url(&template).unwrap()],
        &cache,
        &options(),
    );
    assert_eq!(only(&report).documents.len(), 2);
    assert!(only(&report).documents[1].origin.location.ends_with(":2"));

    dir.write(
        "bundles/widget-1.2.3.sigstore.json",
        serde_json::to_string_pretty(&bundle(&instance, "widget", 1)).unwrap(),
    );
    dir.write("bundles/widget-1.2.3.jsonl", format!("{}\n", line(1)));
    dir.write(
        format!("bundles/sha256:{}.jsonl", hex::encode(checksum(1))),
        format!("{}\n{}\n", line(1), line(7)),
    );
    let local = [SourceSpec::Dir {
        path: dir.join("bundles"),
    }];
    let offline = FetchOptions {
        offline: true,
        ..options()
    };
    let report = run(vec![query("widget", 1)], &local, &cache, &offline);
    let package = only(&report);
    assert_eq!(package.documents.len(), 3, "{package:#?}");
    assert_eq!(package.ignored.len(), 1);
    assert_eq!(package.verify(&roots(&instance)).attestations.len(), 3);
}

#[test]
fn crates_io_trusted_publishing_is_a_registry_assertion() {
    let server = Server::start();
    // `GET /api/v1/crates/{name}`: the crate and its versions.
    let version = |checksum_hex: &str, trustpub: serde_json::Value| {
        serde_json::to_vec(&serde_json::json!({
            "crate": {"name": "widget", "repository": null, "trustpub_only": false},
            "versions": [{
                "id": 1, "crate": "widget", "num": "1.2.3", "checksum": checksum_hex,
                "dl_path": "/api/v1/crates/widget/1.2.3/download", "yanked": false,
                "published_by": null, "trustpub_data": trustpub,
            }],
        }))
        .unwrap()
    };
    server.route(
        "/api/v1/crates/widget",
        vec![Reply::json(version(
            &hex::encode(checksum(1)),
            serde_json::json!({"provider": "github", "repository": "acme/widget",
                "run_id": "15873012345", "sha": "0123456789abcdef0123456789abcdef01234567"}),
        ))],
    );
    server.route(
        "/api/v1/crates/gadget",
        vec![Reply::json(version(
            &hex::encode(checksum(7)),
            serde_json::Value::Null,
        ))],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let crates_io = [SourceSpec::crates_io(&server.base)];
    let mut other_registry = query("thing", 3);
    other_registry.source = PackageSource::Registry {
        url: "https://my-registry.example/index".into(),
    };
    let report = run(
        vec![query("widget", 1), query("gadget", 2), other_registry],
        &crates_io,
        &cache,
        &FetchOptions {
            all_records: true,
            ..options()
        },
    );
    let [widget, gadget, thing] = &report.packages[..] else {
        panic!()
    };
    let assertion = widget.registry.as_ref().expect("an assertion");
    assert_eq!(assertion.repository, "https://github.com/acme/widget");
    assert_eq!(assertion.provider, "github");
    assert_eq!(assertion.run_id.as_deref(), Some("15873012345"));
    assert_eq!(
        widget.verify(&[]).level(),
        cargo_verify_provenance::evidence::EvidenceLevel::RegistryAsserted
    );
    // crates.io has another checksum for this version than the lockfile.
    assert!(gadget.registry.is_none());
    assert!(
        gadget.errors[0].message.contains("Cargo.lock has"),
        "{gadget:#?}"
    );
    assert!(matches!(
        thing.outcomes[0].outcome,
        Outcome::NotApplicable { .. }
    ));
}

#[test]
fn offline_uses_only_the_cache_and_builds_no_client() {
    let server = Server::start();
    let instance = Instance::new(50);
    server.route(
        &github_path(1),
        vec![Reply::json(github_page(&[bundle(&instance, "widget", 1)]))],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let sources = [github(&server)];
    let online = run(
        vec![query("widget", 1), query("gadget", 2)],
        &sources,
        &cache,
        &options(),
    );
    let connections = server.connections();
    let offline = FetchOptions {
        offline: true,
        ..options()
    };
    let report = run(
        vec![query("widget", 1), query("gadget", 2), query("thing", 3)],
        &sources,
        &cache,
        &offline,
    );
    assert_eq!(server.connections(), connections, "no connection offline");
    assert_eq!(report.packages[0].documents, online.packages[0].documents);
    assert_eq!(
        report.packages[1].outcomes[0].outcome,
        Outcome::NoAttestation
    );
    assert!(report.packages[2].missing_from_cache());
    let message = report.missing_message().unwrap();
    assert!(message.contains("thing@1.2.3") && message.contains("cargo verify-provenance fetch"));
}

#[test]
fn redirects_are_followed_only_to_https_or_loopback() {
    let server = Server::start();
    let instance = Instance::new(51);
    let checksum_hex = hex::encode(checksum(1));
    server.route(
        &format!("/old/{checksum_hex}.json"),
        vec![Reply::status(301).header("location", &format!("/new/{checksum_hex}.json"))],
    );
    server.route(
        &format!("/new/{checksum_hex}.json"),
        vec![Reply::json(bundle(&instance, "widget", 1).to_string())],
    );
    server.route(
        &format!("/away/{checksum_hex}.json"),
        vec![Reply::status(302).header("location", "http://203.0.113.9/bundle.json")],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let source = |prefix: &str| {
        SourceSpec::url(&format!("{}/{prefix}/{{checksum}}.json", server.base)).unwrap()
    };
    let report = run(
        vec![query("widget", 1)],
        &[source("old")],
        &cache,
        &options(),
    );
    assert_eq!(only(&report).documents.len(), 1, "{report:#?}");

    let report = run(
        vec![query("widget", 1)],
        &[source("away")],
        &cache,
        &options(),
    );
    let message = &only(&report).errors[0].message;
    assert!(
        message.contains("must be https to a public address"),
        "{message}"
    );
    assert_eq!(
        server.requests_to(&format!("/away/{checksum_hex}.json")),
        1,
        "not retried"
    );
}

#[test]
fn plain_http_to_another_host_is_refused_before_any_request() {
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    // Refused as the source is configured, on the command line or in a policy…
    let error = SourceSpec::url("http://203.0.113.9/{checksum}.json").unwrap_err();
    assert!(
        matches!(&error, SourceSpecError::NotFetchable { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("only https URLs"), "{error}");
    // …and by the client, for a source made some other way.
    let source = SourceSpec::Url {
        template: "http://203.0.113.9/{checksum}.json".into(),
    };
    let report = run(
        vec![query("widget", 1), query("gadget", 2)],
        &[source],
        &cache,
        &options(),
    );
    for package in &report.packages {
        assert!(
            package.errors[0].message.contains("only https URLs"),
            "{package:#?}"
        );
    }
}
