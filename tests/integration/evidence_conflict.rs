//! A verified bundle and crates.io's `trustpub_data` record must agree on
//! the repository and the commit: a disagreement is `evidence-conflict`,
//! under any policy, in any mode, whatever exemption; `explain` shows the
//! comparison. crates.io's answers are its recorded ones
//! (`../shared/fixtures/api/crates-io`) with the publisher's fields set,
//! served on 127.0.0.1.

#![cfg(feature = "testkit")]

use serde_json::Value;

use crate::check::{workload, Crate, NOW};
use crate::fixtures::api_file;
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

/// crates.io's answer for one crate at 1.0.0 with `checksum`, published
/// through trusted publishing as `trustpub` says, made from the recorded
/// version answer of the same provider.
pub(crate) fn crate_answer(template: &Value, checksum: &str, trustpub: Value) -> Vec<u8> {
    let mut version = template["version"].clone();
    version["num"] = "1.0.0".into();
    version["checksum"] = checksum.into();
    version["trustpub_data"] = trustpub;
    serde_json::to_vec(&serde_json::json!({
        "crate": {"repository": null, "trustpub_only": false},
        "versions": [version],
    }))
    .unwrap()
}

struct Setup {
    dir: TestDir,
    _server: Server,
}

/// alpha is recorded from another repository, beta from another commit,
/// gamma as its bundle says, delta from a GitLab project of the same path
/// as its GitHub repository, epsilon with no commit, zeta from another
/// repository of the same owner.
fn setup(test: &str, policy: &str) -> Option<Setup> {
    let github: Value =
        serde_json::from_slice(&api_file(test, "crates-io/version-trustpub-github.json")?).unwrap();
    let gitlab: Value =
        serde_json::from_slice(&api_file(test, "crates-io/version-trustpub-gitlab.json")?).unwrap();
    let crates = [
        Crate::attested("alpha", "org/alpha"),
        Crate::attested("beta", "org/beta"),
        Crate::attested("gamma", "org/gamma"),
        Crate::attested("delta", "org/delta"),
        Crate::attested("epsilon", "org/epsilon"),
        Crate::attested("zeta", "org/zeta"),
    ];
    let commit = |c: &Crate| {
        let (claims, _) = c.bundle.as_ref().unwrap();
        claims.commit.clone()
    };
    let server = Server::start();
    let records = [
        (
            &github,
            serde_json::json!({"provider": "github", "repository": "impostor/alpha",
                "run_id": "1", "sha": commit(&crates[0])}),
        ),
        (
            &github,
            serde_json::json!({"provider": "github", "repository": "org/beta",
                "run_id": "2", "sha": "f".repeat(40)}),
        ),
        (
            &github,
            // Another spelling of the same repository, and an upper-case commit.
            serde_json::json!({"provider": "github", "repository": "Org/Gamma",
                "run_id": "3", "sha": commit(&crates[2]).to_uppercase()}),
        ),
        (
            &gitlab,
            serde_json::json!({"provider": "gitlab", "project_path": "org/delta",
                "job_id": "4", "sha": commit(&crates[3])}),
        ),
        (
            &github,
            serde_json::json!({"provider": "github", "repository": "org/epsilon",
                "run_id": "5"}),
        ),
        (
            &github,
            // The same owner, and the right commit: only the repository differs.
            serde_json::json!({"provider": "github", "repository": "org/zeta-fork",
                "run_id": "6", "sha": commit(&crates[5])}),
        ),
    ];
    for (krate, (template, trustpub)) in crates.iter().zip(records) {
        let checksum = hex::encode(krate.checksum());
        server.route(
            &format!("/api/v1/crates/{}", krate.name),
            vec![Reply::json(crate_answer(template, &checksum, trustpub))],
        );
    }
    let dir = TestDir::new();
    workload(
        &dir,
        &crates,
        &format!(
            "{policy}\n[[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\n",
            server.base
        ),
    );
    Some(Setup {
        dir,
        _server: server,
    })
}

/// A run that asks crates.io: `args` (a command, its options) first.
pub(crate) fn online(dir: &TestDir, args: &[&str]) -> Run {
    dir.command()
        .args(args)
        .args([
            "--lockfile",
            "Cargo.lock",
            "--color",
            "never",
            "--now",
            NOW,
            "--crates-io-interval-ms",
            "0",
        ])
        .run()
}

fn packages(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|m| m["reason"] == "package")
        .collect()
}

fn failures<'a>(packages: &'a [Value], name: &str) -> Vec<&'a Value> {
    let package = packages.iter().find(|p| p["name"] == name).unwrap();
    package["failures"]
        .as_array()
        .map(|f| f.iter().collect())
        .unwrap_or_default()
}

#[test]
fn a_bundle_and_a_record_that_disagree_fail_under_any_policy() {
    let test = "a_bundle_and_a_record_that_disagree_fail_under_any_policy";
    // No requirement at all; audit mode; an exemption for every package.
    for policy in [
        "[defaults]\n",
        "mode = \"audit\"\n",
        "[defaults]\nrequire = \"attested\"\n\n[[exempt]]\nname = \"*\"\nreason = \"all\"\n",
    ] {
        let Some(setup) = setup(test, policy) else {
            return;
        };
        let run = online(&setup.dir, &["--message-format", "json"]).expect_code(1);
        let packages = packages(&run);
        let outcome = |name: &str| {
            packages.iter().find(|p| p["name"] == name).unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_string()
        };
        for name in ["alpha", "beta", "delta", "zeta"] {
            assert_eq!(outcome(name), "violation", "{name} under {policy}");
            let found = failures(&packages, name);
            assert!(
                found
                    .iter()
                    .all(|f| f["requirement"] == "evidence-conflict"),
                "{name}: {found:?}"
            );
            assert_eq!(found.len(), 1, "{name}: {found:?}");
        }
        // Both values shown.
        let alpha = failures(&packages, "alpha")[0];
        assert!(
            alpha["expected"]
                .as_str()
                .unwrap()
                .contains("https://github.com/impostor/alpha"),
            "{alpha}"
        );
        // Each value named by the claim (and extension) it comes from.
        assert_eq!(
            alpha["found"],
            "the certificate's source repository (.1.12): https://github.com/org/alpha",
            "{alpha}"
        );
        let beta = failures(&packages, "beta")[0];
        assert!(beta["expected"].as_str().unwrap().contains(&"f".repeat(40)));
        assert!(beta["found"]
            .as_str()
            .unwrap()
            .starts_with("the certificate's source repository digest (.1.13): "));
        // A GitLab project is not the GitHub repository of the same path.
        let delta = failures(&packages, "delta")[0];
        assert!(delta["expected"]
            .as_str()
            .unwrap()
            .contains("https://gitlab.com/org/delta"));
        // The whole repository is compared, not its owner.
        let zeta = failures(&packages, "zeta")[0];
        assert!(zeta["expected"]
            .as_str()
            .unwrap()
            .contains("https://github.com/org/zeta-fork"));
        // Agreement in another spelling passes; a record without a commit
        // contradicts nothing.
        assert_eq!(outcome("gamma"), "pass", "under {policy}");
        assert_eq!(outcome("epsilon"), "pass", "under {policy}");
    }
}

#[test]
fn the_human_report_and_explain_show_the_comparison() {
    let test = "the_human_report_and_explain_show_the_comparison";
    let Some(setup) = setup(test, "[defaults]\n") else {
        return;
    };
    let run = online(&setup.dir, &[]).expect_code(1);
    run.assert_stderr("error[evidence-conflict]: alpha@1.0.0");
    run.assert_stderr("nothing in the policy can waive it");
    let explained = online(&setup.dir, &["explain", "alpha"]).expect_code(1);
    explained.assert_stdout("Cross-check");
    explained.assert_stdout("repository  DISAGREE: evidence-conflict");
    explained.assert_stdout("registry    https://github.com/impostor/alpha");
    explained.assert_stdout("certificate https://github.com/org/alpha");
    explained.assert_stdout("commit      agree");
    let gamma = online(&setup.dir, &["explain", "gamma"]).expect_code(0);
    gamma.assert_stdout("repository  agree");
    let epsilon = online(&setup.dir, &["explain", "epsilon", "--format", "json"]).expect_code(0);
    let json: Value = serde_json::from_str(&epsilon.stdout).unwrap();
    let commit = &json["cross_checks"][0]["comparisons"][1];
    assert_eq!(commit["what"], "commit");
    assert_eq!(commit["agree"], Value::Null);
    assert_eq!(commit["registry"], Value::Null);
}
