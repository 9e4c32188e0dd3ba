//! `explain NAME[@VERSION]` through the binary, over a generated workload:
//! a passing, a violating, a no-provenance and a rejected package, bad package
//! arguments, and a cached answer from a remote source.

use cargo_verify_provenance::testkit::{Claims, Faults, Tamper};
use serde_json::Value;

use crate::harness::{Run, TestDir};
use crate::minted::{write_bundles_and_root, write_lockfile, Crate, NOW, SOURCES};
use crate::server::{Reply, Server};

const POLICY: &str = r#"
[defaults]
require = "attested"
workflow = ".github/workflows/release.yml"
runner = "github-hosted"

[[package]]
name = "pinned"
repository = "https://github.com/acme/pinned"

[[package]]
name = "absent"
require = "none"
"#;

fn crates() -> Vec<Crate> {
    vec![
        Crate::attested("good", "1.0.0", "acme/good"),
        Crate::attested("good", "2.0.0", "acme/good"),
        // Built somewhere the policy does not allow.
        Crate::attested("pinned", "1.0.0", "evil/pinned"),
        Crate::unattested("absent", "1.0.0"),
        Crate::attested("tampered", "1.0.0", "acme/tampered").faulty(Faults {
            tamper: Some(Tamper::LogEntryBody),
            ..Faults::default()
        }),
        Crate::with_claims(
            "hosted",
            "1.0.0",
            Claims::github("acme/hosted", "1.0.0").self_hosted(),
        ),
    ]
}

fn workload() -> TestDir {
    let dir = TestDir::new();
    write_bundles_and_root(dir.path(), &crates());
    write_lockfile(dir.path(), "Cargo.lock", &crates());
    dir.write("provenance.toml", format!("{POLICY}{SOURCES}"));
    dir
}

fn explain(dir: &TestDir, package: &str, json: bool) -> Run {
    let mut command = dir
        .command()
        .args(["explain", package, "--lockfile", "Cargo.lock", "--offline"])
        .args(["--now", NOW, "--color", "never"]);
    if json {
        command = command.args(["--format", "json"]);
    }
    command.run()
}

fn parsed(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout))
}

fn requirement<'a>(x: &'a Value, name: &str) -> &'a Value {
    x["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == name)
        .unwrap_or_else(|| panic!("no requirement {name} in {x:#}"))
}

#[test]
fn a_passing_package_shows_its_bundle_checks_claims_and_rule() {
    let dir = workload();
    let x = parsed(&explain(&dir, "good@1.0.0", true).expect_code(0));
    assert_eq!(x["format_version"], 1);
    assert_eq!(x["outcome"], "pass");
    assert_eq!(x["exit_code"], 0);
    assert_eq!(x["evidence_level"], "attested");
    assert_eq!(x["package"]["name"], "good");
    assert_eq!(x["package"]["version"], "1.0.0");
    assert_eq!(
        x["package"]["checksum"],
        hex::encode(Crate::attested("good", "1.0.0", "acme/good").checksum())
    );

    let source = x["sources"][0]["source"].as_str().unwrap();
    assert!(
        source.starts_with("dir:") && source.ends_with("bundles"),
        "{source}"
    );
    assert_eq!(x["sources"][0]["result"], "bundles");
    assert_eq!(x["sources"][0]["cached"], false);
    let bundles = x["bundles"].as_array().unwrap();
    assert_eq!(bundles.len(), 1);
    let bundle = &bundles[0];
    assert_eq!(bundle["status"], "verified");
    assert_eq!(bundle["decided"], true);
    assert!(bundle["location"]
        .as_str()
        .unwrap()
        .ends_with("good-1.0.0.sigstore.json"));
    let checks: Vec<&str> = bundle["checks_passed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for check in [
        "certificate-chain",
        "sct",
        "transparency-log",
        "signature",
        "subject",
    ] {
        assert!(checks.contains(&check), "{check} not in {checks:?}");
    }
    let facts = &bundle["facts"];
    assert!(facts["trust_root"]
        .as_str()
        .unwrap()
        .ends_with("trusted_root.json"));
    let claims = &facts["signer"]["claims"];
    assert_eq!(
        claims["source-repository-uri"],
        "https://github.com/acme/good"
    );
    assert_eq!(claims["source-repository-ref"], "refs/tags/v1.0.0");
    assert_eq!(claims["runner-environment"], "github-hosted");
    assert!(claims["source-repository-identifier"].is_string());
    let log = &facts["log_entries"][0];
    assert!(log["log_index"].is_u64());
    assert!(log["integrated_time"]
        .as_str()
        .unwrap()
        .starts_with("2026-01-15"));
    assert_eq!(
        facts["statement"]["predicate_type"],
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(
        facts["statement"]["subjects"][0]["digest"]["sha256"],
        x["package"]["checksum"]
    );
    assert!(x["registry"].is_null());

    assert_eq!(x["rule"]["kind"], "defaults");
    let text = x["rule"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("[defaults]\nrequire = \"attested\""),
        "{text}"
    );
    for name in ["require", "workflow", "runner"] {
        let r = requirement(&x, name);
        assert_eq!(r["met"], true, "{r}");
        assert_eq!(r["inherited"], true, "{r}");
    }
    assert_eq!(
        requirement(&x, "workflow")["found"],
        ".github/workflows/release.yml"
    );
    assert_eq!(
        requirement(&x, "runner")["text"],
        "runner = \"github-hosted\""
    );
    assert!(x["failures"].as_array().unwrap().is_empty());

    // The same facts for people.
    let human = explain(&dir, "good@1.0.0", false).expect_code(0).stdout;
    for needle in [
        "good@1.0.0 (crates.io): PASS",
        "verified; the outcome rests on it",
        "source-repository-uri",
        "https://github.com/acme/good",
        "transparency log",
        "(the Cargo.lock checksum)",
        "Decided by [defaults]",
        "ok   runner",
        "Outcome: pass",
    ] {
        assert!(human.contains(needle), "{needle:?} not in\n{human}");
    }
}

#[test]
fn a_violating_package_shows_the_rule_text_and_what_differs() {
    let dir = workload();
    let x = parsed(&explain(&dir, "pinned", true).expect_code(1));
    assert_eq!(x["outcome"], "violation");
    assert_eq!(x["exit_code"], 1);
    assert_eq!(x["rule"]["kind"], "package");
    assert_eq!(x["rule"]["first_line"], 7);
    assert_eq!(
        x["rule"]["text"],
        "[[package]]\nname = \"pinned\"\nrepository = \"https://github.com/acme/pinned\""
    );
    let repository = requirement(&x, "repository");
    assert_eq!(repository["met"], false);
    assert_eq!(repository["inherited"], false);
    assert_eq!(repository["expected"], "https://github.com/acme/pinned");
    assert_eq!(repository["found"], "https://github.com/evil/pinned");
    assert_eq!(repository["line"], 9);
    assert_eq!(requirement(&x, "workflow")["met"], true);
    let failures = x["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["requirement"], "repository");

    let human = explain(&dir, "pinned", false).expect_code(1).stdout;
    for needle in [
        "pinned@1.0.0 (crates.io): VIOLATION",
        "Decided by [[package]] pinned (line 7)",
        "  7 | [[package]]",
        "  9 | repository = \"https://github.com/acme/pinned\"",
        "FAIL repository",
        "found https://github.com/evil/pinned",
        "Outcome: violation (failed: repository)",
    ] {
        assert!(human.contains(needle), "{needle:?} not in\n{human}");
    }

    // A self-hosted build fails the inherited runner requirement.
    let x = parsed(&explain(&dir, "hosted", true).expect_code(1));
    let runner = requirement(&x, "runner");
    assert_eq!(
        (runner["met"].as_bool(), runner["found"].as_str()),
        (Some(false), Some("self-hosted"))
    );
    assert_eq!(runner["inherited"], true);
}

#[test]
fn a_package_without_provenance_shows_every_source_answered_and_nothing_was_found() {
    let dir = workload();
    let x = parsed(&explain(&dir, "absent", true).expect_code(0));
    assert_eq!(x["outcome"], "no-provenance");
    assert_eq!(x["evidence_level"], "none");
    assert!(x["bundles"].as_array().unwrap().is_empty());
    assert_eq!(x["sources"][0]["result"], "no-attestation");
    let require = requirement(&x, "require");
    assert_eq!(require["expected"], "none");
    assert_eq!(require["found"], "none");
    assert_eq!(require["met"], true);
    let human = explain(&dir, "absent", false).expect_code(0).stdout;
    for needle in [
        "bundles  no attestation",
        "Bundles\n  none found",
        "Outcome: no-provenance",
    ] {
        assert!(human.contains(needle), "{needle:?} not in\n{human}");
    }
}

#[test]
fn a_rejected_package_names_the_check_its_bundle_failed() {
    let dir = workload();
    let x = parsed(&explain(&dir, "tampered", true).expect_code(1));
    assert_eq!(x["outcome"], "violation");
    assert_eq!(x["evidence_level"], "none");
    let bundle = &x["bundles"][0];
    assert_eq!(bundle["status"], "rejected");
    assert_eq!(bundle["failed_check"], "transparency-log");
    assert!(bundle["facts"].is_null());
    assert!(bundle["failure"].as_str().unwrap().len() > 10);
    assert_eq!(x["failures"][0]["requirement"], "bundle-verification");
    let human = explain(&dir, "tampered", false).expect_code(1).stdout;
    for needle in [
        "REJECTED: failed verification",
        "failed      transparency log:",
        "FAIL bundle-verification",
    ] {
        assert!(human.contains(needle), "{needle:?} not in\n{human}");
    }
}

#[test]
fn a_name_that_picks_no_single_package_is_an_error_listing_the_candidates() {
    let dir = workload();
    let run = explain(&dir, "good", false).expect_code(2);
    run.assert_stderr("explain-ambiguous-package");
    run.assert_stderr("good@1.0.0, good@2.0.0");
    assert!(run.stdout.is_empty());

    let run = explain(&dir, "goood", false).expect_code(2);
    run.assert_stderr("explain-no-such-package");
    run.assert_stderr("did you mean: good?");

    let run = explain(&dir, "good@3.0.0", false).expect_code(2);
    run.assert_stderr("explain-no-such-version");
    run.assert_stderr("good@1.0.0, good@2.0.0");

    let run = explain(&dir, "good@one", false).expect_code(2);
    run.assert_stderr("is not a version");
}

#[test]
fn a_bundle_answered_from_the_cache_says_so() {
    let server = Server::start();
    let dir = workload();
    let good = Crate::attested("good", "1.0.0", "acme/good");
    let bundle = std::fs::read(dir.join("bundles/good-1.0.0.sigstore.json")).unwrap();
    server.route(
        &format!("/b/{}.json", hex::encode(good.checksum())),
        vec![Reply::json(bundle)],
    );
    // Only the remote source: the policy's dir source is not used.
    dir.write(
        "remote.toml",
        "[defaults]\nrequire = \"attested\"\n[trust]\nroots = [\"trusted_root.json\"]\n",
    );
    let explain = |offline: bool| {
        let mut command = dir
            .command()
            .args(["explain", "good@1.0.0", "--lockfile", "Cargo.lock"])
            .args(["--policy", "remote.toml", "--format", "json", "--now", NOW])
            .arg("--source")
            .arg(format!("url:{}/b/{{checksum}}.json", server.base));
        if offline {
            command = command.arg("--offline");
        }
        parsed(&command.run().expect_code(0))
    };
    let online = explain(false);
    assert_eq!(online["bundles"][0]["cached"], false);
    assert_eq!(online["sources"][0]["cached"], false);
    let connections = server.connections();
    let offline = explain(true);
    assert_eq!(server.connections(), connections);
    assert_eq!(offline["bundles"][0]["cached"], true);
    assert_eq!(offline["bundles"][0]["status"], "verified");
    assert!(offline["bundles"][0]["source"]
        .as_str()
        .unwrap()
        .starts_with("url:"));
}

#[test]
fn explain_asks_the_sources_about_the_one_package_only() {
    let server = Server::start();
    let dir = TestDir::new();
    dir.write("Cargo.lock", crate::faults::lockfile(1..=20));
    let run = dir
        .command()
        .args(["explain", "pkg7", "--lockfile", "Cargo.lock", "--now", NOW])
        .args([
            "--source",
            &format!("url:{}", server.url("/{name}-{version}.json")),
        ])
        .args(["--http-retries", "0"])
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let asked: Vec<String> = server
        .seen()
        .into_iter()
        .map(|s| s.path_and_query)
        .collect();
    assert_eq!(asked, ["/pkg7-1.0.0.json"], "{asked:?}");
}
