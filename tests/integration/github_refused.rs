//! GitHub refusing the credentials (401) on the per-package lookup, through
//! the binary: the source stops for the run (nothing more is asked of it),
//! and every package it was to answer for is not checked (exit 2), never
//! "no attestation".

use crate::faults::{checksum, outcomes, workload};
use crate::harness::TestDir;
use crate::server::{Reply, Server};

#[test]
fn a_refused_lookup_of_one_package_stops_the_source_and_checks_nothing() {
    let server = Server::start();
    let paths: Vec<String> = [1, 2]
        .iter()
        .map(|&n| {
            format!(
                "/orgs/acme/attestations/sha256:{}",
                hex::encode(checksum(n))
            )
        })
        .collect();
    for path in &paths {
        server.route(
            path,
            vec![Reply {
                status: 401,
                ..Reply::json(r#"{"message":"Bad credentials","status":"401"}"#)
            }],
        );
    }
    let dir = TestDir::new();
    workload(&dir, [1, 2]);
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nrequire = \"attested\"\n\n[trust]\nroots = [\"trusted_root.json\"]\n\n[[source]]\nkind = \"github\"\napi-url = \"{}\"\norg = \"acme\"\n",
            server.base
        ),
    );
    // One package at a time: the second is asked only if the first did
    // not stop the source.
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .args(["--jobs", "1", "--http-retries", "0"])
        .run()
        .expect_code(2);
    let (packages, summary) = outcomes(&run.stdout);
    assert_eq!(
        packages,
        [
            ("pkg1".to_string(), "error".to_string()),
            ("pkg2".to_string(), "error".to_string())
        ],
        "{}",
        run.stdout
    );
    assert_eq!(summary["no_provenance"], 0);
    for line in run.stdout.lines().filter(|l| l.contains("\"package\"")) {
        assert!(line.contains("401"), "each package says why: {line}");
    }
    let asked: usize = paths.iter().map(|p| server.requests_to(p)).sum();
    assert_eq!(asked, 1, "the source stopped after the first refusal");
}
