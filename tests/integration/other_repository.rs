//! The verdict does not depend on the token, through the binary: a bulk
//! listing (with a token) is cut down to the package's repository as the
//! per-repository endpoint (without one) lists it, so a sibling
//! repository's bundle for the same checksum changes nothing; and a
//! verified bundle from another repository that does reach a package (an
//! organization-wide listing) is reported, never an `evidence-conflict`
//! with the registry's record, unless the rule accepts its repository.

use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use serde_json::Value;

use crate::evidence_conflict::crate_answer;
use crate::faults::{bundles, checksum, workload, INSTANCE_SEED};
use crate::fixtures::api_file;
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const TOKEN: &str = "ghp_sibling_test";

/// `acme/sibling`'s bundle for package `n`'s checksum.
fn sibling_bundle(n: u16) -> String {
    let request = MintRequest::new(
        &format!("pkg{n}"),
        "1.0.0",
        checksum(n),
        Claims::github("acme/sibling", "1.0.0"),
    );
    Instance::new(INSTANCE_SEED).mint(&request).to_json()
}

fn entry(bundle: &str, repository_id: u64) -> String {
    format!(r#"{{"bundle":{bundle},"repository_id":{repository_id}}}"#)
}

/// crates.io records packages 1 and 2 as published from `acme/pkg` at the
/// commit their bundles name; `None` without the recorded answers.
fn crates_io(test: &str) -> Option<Server> {
    let template: Value =
        serde_json::from_slice(&api_file(test, "crates-io/version-trustpub-github.json")?).unwrap();
    let commit = Claims::github("acme/pkg", "1.0.0").commit;
    let server = Server::start();
    for n in [1, 2] {
        let trustpub = serde_json::json!({"provider": "github", "repository": "acme/pkg",
            "run_id": "1", "sha": commit});
        server.route(
            &format!("/api/v1/crates/pkg{n}"),
            vec![Reply::json(crate_answer(
                &template,
                &hex::encode(checksum(n)),
                trustpub,
            ))],
        );
    }
    Some(server)
}

fn policy(dir: &TestDir, rule: &str, github: &str, crates_io: &Server) {
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nrequire = \"attested\"\n\n{rule}\n\
             [[source]]\n{github}\n\n\
             [[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\n\n\
             [trust]\nroots = [\"trusted_root.json\"]\n",
            crates_io.base
        ),
    );
}

fn check(dir: &TestDir, args: &[&str]) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .args(["--crates-io-interval-ms", "0", "--http-retries", "0"])
        .args(args)
        .run()
}

/// Each package message without what says where its bundles came from.
fn verdicts(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|m| m["reason"] == "package")
        .map(|m| {
            serde_json::json!({
                "name": m["name"], "outcome": m["outcome"], "evidence": m["evidence"],
                "failures": m["failures"], "repository": m["provenance"]["repository"],
            })
        })
        .collect()
}

#[test]
fn a_sibling_repositorys_bundle_changes_nothing_with_a_token() {
    let test = "a_sibling_repositorys_bundle_changes_nothing_with_a_token";
    let Some(crates_io) = crates_io(test) else {
        return;
    };
    let own = bundles(&[1, 2]);
    let api = Server::start();
    for (n, json) in &own {
        api.route(
            &format!(
                "/repos/acme/pkg/attestations/sha256:{}",
                hex::encode(checksum(*n))
            ),
            vec![Reply::json(format!(
                r#"{{"attestations":[{}]}}"#,
                entry(json, 1)
            ))],
        );
    }
    // The owner's listing also holds what a sibling repository attested.
    let listing = format!(
        r#"{{"attestations_subject_digests":{{"sha256:{}":[{},{}],"sha256:{}":[{}]}},"page_info":{{"has_next":false}}}}"#,
        hex::encode(checksum(1)),
        entry(&own[0].1, 1),
        entry(&sibling_bundle(1), 2),
        hex::encode(checksum(2)),
        entry(&own[1].1, 1),
    );
    api.route(
        "/orgs/acme/attestations/bulk-list",
        vec![Reply::json(listing)],
    );
    api.route(
        "/repos/acme/pkg",
        vec![Reply::json(r#"{"id":1,"name":"pkg"}"#)],
    );
    let dir = TestDir::new();
    workload(&dir, [1, 2]);
    let rule = "[[package]]\nname = \"pkg*\"\nrepository = \"https://github.com/acme/pkg\"\n";
    policy(
        &dir,
        rule,
        &format!("kind = \"github\"\napi-url = \"{}\"", api.base),
        &crates_io,
    );
    let without = check(&dir, &[]).expect_code(0);
    std::fs::remove_dir_all(dir.join(".cache")).unwrap();
    let with = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .args(["--crates-io-interval-ms", "0", "--http-retries", "0"])
        .args(["--github-api-url", &api.base])
        .env("GITHUB_TOKEN", TOKEN)
        .run()
        .expect_code(0);
    assert_eq!(verdicts(&with), verdicts(&without));
    assert_eq!(api.requests_to("/orgs/acme/attestations/bulk-list"), 1);
    assert_eq!(api.requests_to("/repos/acme/pkg"), 1, "one ID lookup");
    assert!(!with.stdout.contains("acme/sibling"), "{}", with.stdout);
}

/// An organization-wide listing returns the sibling's bundle beside the
/// package's own: reported, never held against crates.io's record, unless
/// the rule accepts the sibling's repository.
#[test]
fn a_bundle_from_another_repository_is_reported_not_an_evidence_conflict() {
    let test = "a_bundle_from_another_repository_is_reported_not_an_evidence_conflict";
    let Some(crates_io) = crates_io(test) else {
        return;
    };
    let own = bundles(&[1, 2]);
    let api = Server::start();
    for (n, json) in &own {
        let mut entries = vec![entry(json, 1)];
        if *n == 1 {
            entries.push(entry(&sibling_bundle(1), 2));
        }
        api.route(
            &format!(
                "/orgs/acme/attestations/sha256:{}",
                hex::encode(checksum(*n))
            ),
            vec![Reply::json(format!(
                r#"{{"attestations":[{}]}}"#,
                entries.join(",")
            ))],
        );
    }
    let source = format!(
        "kind = \"github\"\norg = \"acme\"\napi-url = \"{}\"",
        api.base
    );
    let dir = TestDir::new();
    workload(&dir, [1, 2]);
    let pinned = "[[package]]\nname = \"pkg*\"\nrepository = \"https://github.com/acme/pkg\"\n";
    policy(&dir, pinned, &source, &crates_io);
    let run = check(&dir, &[]).expect_code(0);
    let messages: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect();
    let pkg1 = messages.iter().find(|m| m["name"] == "pkg1").unwrap();
    assert_eq!(pkg1["outcome"], "pass", "{pkg1}");
    assert_eq!(
        pkg1["provenance"]["repository"],
        "https://github.com/acme/pkg"
    );
    let other = pkg1["other_repository"].as_array().unwrap();
    assert_eq!(other.len(), 1, "{pkg1}");
    assert_eq!(other[0]["repository"], "https://github.com/acme/sibling");
    let warning = messages
        .iter()
        .find(|m| m["code"] == "bundle-other-repository")
        .unwrap_or_else(|| panic!("no warning in {}", run.stdout));
    assert!(warning["message"].as_str().unwrap().contains("pkg1@1.0.0"));

    // A rule that accepts the owner's every repository holds it against the
    // record: the disagreement is an evidence conflict, which nothing waives.
    std::fs::remove_dir_all(dir.join(".cache")).unwrap();
    let accepting = "[[package]]\nname = \"pkg*\"\nowner = \"https://github.com/acme\"\n\n\
                     [[exempt]]\nname = \"pkg1\"\nreason = \"waived\"\n";
    policy(&dir, accepting, &source, &crates_io);
    let run = check(&dir, &[]).expect_code(1);
    assert!(
        run.stdout.contains(r#""requirement":"evidence-conflict""#),
        "{}",
        run.stdout
    );
}
