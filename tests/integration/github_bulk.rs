//! GitHub's bulk-list endpoints against a loopback server: with a token,
//! the packages of one owner are listed in one request (organization, else
//! user), and anything refused falls back to one request per digest.

use std::time::Duration;

use cargo_verify_provenance::lockfile::PackageSource;
use cargo_verify_provenance::policy::SourceSpec;
use cargo_verify_provenance::testkit::internals::fetch::{
    fetch, FetchOptions, FetchReport, Outcome,
};
use cargo_verify_provenance::testkit::internals::http::HttpConfig;
use cargo_verify_provenance::testkit::internals::sources::{GitHubAuth, PackageQuery};
use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use serde_json::Value;
use sigstore_types::Sha256Hash;

use crate::server::{Reply, Server};

fn checksum(n: u8) -> [u8; 32] {
    [n; 32]
}

fn queries() -> Vec<PackageQuery> {
    (1..=3)
        .map(|n| PackageQuery {
            name: format!("widget-{n}"),
            version: "1.0.0".parse().unwrap(),
            source: PackageSource::CratesIo,
            checksum: Sha256Hash::new(checksum(n)),
            repository_hint: Some("https://github.com/acme/widget".into()),
            needs: Default::default(),
        })
        .collect()
}

/// Bundles for packages 1 and 2 (none for 3).
fn bundles(instance: &Instance) -> Vec<String> {
    (1..=2)
        .map(|n| {
            instance
                .mint(&MintRequest::new(
                    &format!("widget-{n}"),
                    "1.0.0",
                    checksum(n),
                    Claims::github("acme/widget", "1.0.0"),
                ))
                .to_json()
        })
        .collect()
}

/// The bulk answer: package 1 inline, package 2 behind a `bundle_url` on
/// the same server, package 3 `null`.
fn bulk_answer(server: &Server, bundles: &[String]) -> Vec<u8> {
    let digest = |n: u8| format!("sha256:{}", hex::encode(checksum(n)));
    let text = format!(
        r#"{{"attestations_subject_digests":{{"{}":[{{"bundle":{},"repository_id":1}}],"{}":[{{"repository_id":1,"bundle_url":"{}/blob/2.json.sn?sig=s","initiator":"user"}}],"{}":null}},"page_info":{{"has_next":false,"has_previous":false}}}}"#,
        digest(1),
        bundles[0],
        digest(2),
        server.base,
        digest(3)
    );
    let blob = snap::raw::Encoder::new()
        .compress_vec(bundles[1].as_bytes())
        .unwrap();
    server.route(
        "/blob/2.json.sn",
        vec![Reply::json(blob).header("content-type", "application/x-snappy")],
    );
    text.into_bytes()
}

/// A run with or without a token for `server`; the API knows the
/// repository `acme/widget` as ID 1.
fn run(server: &Server, token: bool) -> FetchReport {
    server.route("/repos/acme/widget", vec![Reply::json(r#"{"id":1}"#)]);
    let options = FetchOptions {
        jobs: 4,
        http: HttpConfig {
            retries: 0,
            backoff: Duration::from_millis(5),
            ..HttpConfig::default()
        },
        now: "2026-06-01T00:00:00Z".parse().unwrap(),
        github_auth: if token {
            GitHubAuth::token("ghp_bulk").with_api(server.base.parse().unwrap())
        } else {
            GitHubAuth::none()
        },
        // The blob storage is this loopback server.
        github_bundle_hosts: vec!["127.0.0.1".into()],
        ..FetchOptions::default()
    };
    let sources = [SourceSpec::GitHub {
        api_url: server.base.clone(),
        org: None,
        predicate_type: None,
    }];
    fetch(queries(), &sources, None, &options).unwrap()
}

fn found(report: &FetchReport) -> Vec<usize> {
    report.packages.iter().map(|p| p.documents.len()).collect()
}

fn posts(server: &Server) -> Vec<(String, Value)> {
    server
        .seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .map(|s| {
            (
                s.path_and_query.clone(),
                serde_json::from_slice(&s.body).unwrap(),
            )
        })
        .collect()
}

/// The repository endpoint answers for packages 1 and 2 one digest at a
/// time (nothing for 3).
fn route_per_digest(server: &Server, bundles: &[String]) {
    for (n, bundle) in (1..=2).zip(bundles) {
        server.route(
            &format!(
                "/repos/acme/widget/attestations/sha256:{}",
                hex::encode(checksum(n))
            ),
            vec![Reply::json(format!(
                r#"{{"attestations":[{{"bundle":{bundle},"repository_id":1}}]}}"#
            ))],
        );
    }
}

fn per_digest_requests(server: &Server) -> usize {
    server
        .seen()
        .iter()
        .filter(|s| {
            s.path_and_query
                .starts_with("/repos/acme/widget/attestations/")
        })
        .count()
}

#[test]
fn with_a_token_an_owner_is_listed_in_one_request() {
    let server = Server::start();
    let instance = Instance::new(71);
    let answer = bulk_answer(&server, &bundles(&instance));
    server.route(
        "/orgs/acme/attestations/bulk-list",
        vec![Reply::json(answer)],
    );
    let report = run(&server, true);
    assert_eq!(found(&report), [1, 1, 0], "{report:#?}");
    assert_eq!(
        report.packages[2].outcomes[0].outcome,
        Outcome::NoAttestation
    );
    let root = [instance.trust_root()];
    for package in &report.packages[..2] {
        assert_eq!(package.verify(&root).attestations.len(), 1);
    }
    let posts = posts(&server);
    assert_eq!(posts.len(), 1, "{posts:?}");
    let mut asked: Vec<&str> = posts[0].1["subject_digests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    asked.sort();
    let want: Vec<String> = (1..=3)
        .map(|n| format!("sha256:{}", hex::encode(checksum(n))))
        .collect();
    assert_eq!(asked, want);
    assert_eq!(per_digest_requests(&server), 0);
    for seen in server.seen() {
        let authorized = seen.headers.get("authorization").is_some();
        assert_eq!(
            authorized,
            !seen.path_and_query.starts_with("/blob/"),
            "the token goes to the API only: {}",
            seen.path_and_query
        );
    }
}

#[test]
fn an_owner_that_is_no_organization_is_listed_as_a_user() {
    let server = Server::start();
    let instance = Instance::new(72);
    let answer = bulk_answer(&server, &bundles(&instance));
    server.route(
        "/orgs/acme/attestations/bulk-list",
        vec![Reply::status(404)],
    );
    server.route(
        "/users/acme/attestations/bulk-list",
        vec![Reply::json(answer)],
    );
    let report = run(&server, true);
    assert_eq!(found(&report), [1, 1, 0]);
    let paths: Vec<String> = posts(&server).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths.len(), 2);
    assert!(paths[0].starts_with("/orgs/acme/") && paths[1].starts_with("/users/acme/"));
    assert_eq!(per_digest_requests(&server), 0);
}

#[test]
fn refused_or_without_a_token_each_digest_is_asked_alone() {
    for token in [true, false] {
        let server = Server::start();
        let instance = Instance::new(73);
        let bundles = bundles(&instance);
        server.route(
            "/orgs/acme/attestations/bulk-list",
            vec![Reply::status(404)],
        );
        server.route(
            "/users/acme/attestations/bulk-list",
            vec![Reply::status(422)],
        );
        route_per_digest(&server, &bundles);
        let report = run(&server, token);
        assert_eq!(found(&report), [1, 1, 0], "token {token}");
        assert_eq!(posts(&server).len(), if token { 2 } else { 0 });
        assert_eq!(per_digest_requests(&server), 3, "token {token}");
    }
}

/// A bulk answer for `digests` (package 1's bundle for digest 1, none for
/// the others) with the given paging.
fn page(bundles: &[String], digests: &[u8], has_next: bool, next: &str) -> Vec<u8> {
    let entries: Vec<String> = digests
        .iter()
        .map(|&n| {
            let found = if n == 1 {
                format!(r#"[{{"bundle":{},"repository_id":1}}]"#, bundles[0])
            } else {
                "null".into()
            };
            format!(r#""sha256:{}":{found}"#, hex::encode(checksum(n)))
        })
        .collect();
    format!(
        r#"{{"attestations_subject_digests":{{{}}},"page_info":{{"has_next":{has_next},"next":"{next}"}}}}"#,
        entries.join(",")
    )
    .into_bytes()
}

/// Pages are followed by their `next` cursor, up to ten; a listing that
/// goes on past ten pages, or that fails without stopping the source,
/// leaves its packages to be asked one digest at a time; a refused token
/// stops the source.
#[test]
fn pages_are_followed_to_the_limit_and_a_failed_listing_falls_back() {
    const BULK: &str = "/orgs/acme/attestations/bulk-list";
    let instance = Instance::new(74);
    let bundles = bundles(&instance);

    // Two pages, by cursor: everything listed, nothing asked alone.
    let server = Server::start();
    server.route(BULK, vec![Reply::json(page(&bundles, &[1], true, "p2"))]);
    server.route_exact(
        &format!("{BULK}?per_page=100&after=p2"),
        vec![Reply::json(page(&bundles, &[2, 3], false, ""))],
    );
    let report = run(&server, true);
    assert_eq!(found(&report), [1, 0, 0], "{report:#?}");
    assert_eq!(posts(&server).len(), 2);
    assert_eq!(per_digest_requests(&server), 0);

    // `has_next` with an empty cursor ends the listing.
    let server = Server::start();
    server.route(
        BULK,
        vec![Reply::json(page(&bundles, &[1, 2, 3], true, ""))],
    );
    let report = run(&server, true);
    assert_eq!(found(&report), [1, 0, 0]);
    assert_eq!(posts(&server).len(), 1);
    assert_eq!(per_digest_requests(&server), 0);

    // Pages that never end: ten are asked for, then each digest alone.
    let server = Server::start();
    server.route(BULK, vec![Reply::json(page(&bundles, &[3], true, "again"))]);
    route_per_digest(&server, &bundles);
    let report = run(&server, true);
    assert_eq!(found(&report), [1, 1, 0]);
    assert_eq!(posts(&server).len(), 10);
    assert_eq!(per_digest_requests(&server), 3);

    // An answer that is not a listing: each digest alone, the source not
    // stopped.
    let server = Server::start();
    server.route(BULK, vec![Reply::json("not json")]);
    route_per_digest(&server, &bundles);
    let report = run(&server, true);
    assert_eq!(found(&report), [1, 1, 0], "{report:#?}");
    assert_eq!(posts(&server).len(), 1);
    assert_eq!(per_digest_requests(&server), 3);

    // A refused token stops the source: nothing is asked alone, and every
    // package says why.
    let server = Server::start();
    server.route(BULK, vec![Reply::status(401)]);
    route_per_digest(&server, &bundles);
    let report = run(&server, true);
    assert_eq!(per_digest_requests(&server), 0);
    for package in &report.packages {
        assert!(
            matches!(&package.outcomes[0].outcome, Outcome::Error { message } if message.contains("401")),
            "{package:#?}"
        );
    }
}
