//! `--vsa-out`: one SLSA verification summary per registry package, valid
//! against the in-toto Statement and VSA schemas (`schemas/`), naming the
//! same artifacts and bundles as the run's JSON report.

#![cfg(feature = "testkit")]

use std::collections::BTreeMap;
use std::path::Path;

use cargo_verify_provenance::testkit::{Claims, Tamper};
use serde_json::Value;

use crate::check::{check, workload, Crate, NOW};
use crate::harness::TestDir;

pub(crate) fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/integration/schemas")
        .join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    sigstore_verify::crypto::sha256(bytes).to_hex()
}

/// A workload with every outcome: alpha passes at level 2, zeta at level 1,
/// gamma on an exemption; beta fails its rule, epsilon's bundle is
/// tampered with, delta has nothing; eta's version has build metadata.
fn every_outcome(dir: &TestDir) {
    let mut eta = Crate::without_bundle("eta");
    eta.version = "1.0.0+build.5";
    workload(
        dir,
        &[
            Crate::attested("alpha", "org/alpha"),
            Crate::attested("beta", "impostor/beta"),
            Crate::without_bundle("gamma"),
            Crate::without_bundle("delta"),
            Crate::tampered("epsilon", "org/epsilon", Tamper::CheckpointSignature),
            Crate::with_claims("zeta", Claims::github("org/zeta", "1.0.0").self_hosted()),
            eta,
        ],
        "[defaults]\nrequire = \"attested\"\n\n\
         [[package]]\nname = \"alpha\"\nrepository = \"https://github.com/org/alpha\"\nrunner = \"github-hosted\"\n\n\
         [[package]]\nname = \"beta\"\nrepository = \"https://github.com/org/beta\"\n\n\
         [[package]]\nname = \"delta\"\nrequire = \"none\"\n\n\
         [[package]]\nname = \"eta\"\nrequire = \"none\"\n\n\
         [[exempt]]\nname = \"gamma\"\nreason = \"does not attest yet\"\nuntil = 2027-01-01\n",
    );
}

#[test]
fn one_valid_summary_per_registry_package_matching_the_json_report() {
    let dir = TestDir::new();
    every_outcome(&dir);
    let run = check(
        &dir,
        &["--message-format", "json", "--vsa-out", "vsa.jsonl"],
    )
    .expect_code(1);
    let report: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|m: &Value| m["reason"] == "package")
        .collect();
    let text = std::fs::read_to_string(dir.join("vsa.jsonl")).unwrap();
    let statements: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();

    // One per package with a checksum, in lockfile order; the root has none.
    let registry: Vec<&Value> = report.iter().filter(|p| !p["checksum"].is_null()).collect();
    assert_eq!(statements.len(), registry.len(), "{text}");
    assert_eq!(registry.len(), 7);
    assert!(report.len() > registry.len());

    let statement_schema = schema("in-toto-statement-v1.schema.json");
    let vsa_schema = schema("slsa-verification-summary-v1.schema.json");
    let policy_digest = sha256_hex(&std::fs::read(dir.join("provenance.toml")).unwrap());
    let mut levels = BTreeMap::new();
    for (statement, package) in statements.iter().zip(&registry) {
        let problems: Vec<String> = errors(&statement_schema, statement)
            .into_iter()
            .chain(errors(&vsa_schema, statement))
            .collect();
        assert!(problems.is_empty(), "{statement}\n{}", problems.join("\n"));

        let name = package["name"].as_str().unwrap();
        let version = package["version"].as_str().unwrap();
        let subject = &statement["subject"][0];
        assert_eq!(statement["subject"].as_array().unwrap().len(), 1);
        assert_eq!(subject["name"], format!("{name}-{version}.crate"));
        assert_eq!(subject["digest"]["sha256"], package["checksum"]);

        let predicate = &statement["predicate"];
        assert_eq!(predicate["timeVerified"], NOW);
        assert_eq!(
            predicate["verifier"]["id"],
            format!(
                "pkg:cargo/cargo-verify-provenance@{}",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(predicate["policy"]["digest"]["sha256"], policy_digest);
        let policy_uri = predicate["policy"]["uri"].as_str().unwrap();
        assert!(
            policy_uri.starts_with("file:///") && policy_uri.ends_with("/provenance.toml"),
            "{policy_uri}"
        );
        let inputs: Vec<&Value> = predicate["inputAttestations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| &i["digest"]["sha256"])
            .collect();
        let decided: Vec<&Value> = package["decided_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| &b["sha256"])
            .collect();
        assert_eq!(inputs, decided, "{name}");
        let passed = matches!(package["outcome"].as_str(), Some("pass" | "exempt"));
        assert_eq!(
            predicate["verificationResult"],
            if passed { "PASSED" } else { "FAILED" },
            "{name}"
        );
        levels.insert(name.to_string(), predicate["verifiedLevels"].clone());
    }

    let level = |name: &str| {
        levels[name].as_array().unwrap()[0]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(level("alpha"), "SLSA_BUILD_LEVEL_2");
    // Passed on a bundle, but no hosted runner was required (nor shown).
    assert_eq!(level("zeta"), "SLSA_BUILD_LEVEL_1");
    // Excused, not verified: and said so, in a field a consumer reads.
    assert_eq!(
        levels["gamma"],
        serde_json::json!(["SLSA_BUILD_LEVEL_0", "CARGO_VERIFY_PROVENANCE_EXEMPT"])
    );
    for name in ["alpha", "beta", "delta", "epsilon", "zeta", "eta"] {
        assert_eq!(levels[name].as_array().unwrap().len(), 1, "{name}");
    }
    for failed in ["beta", "delta", "epsilon", "eta"] {
        assert_eq!(level(failed), "FAILED", "{failed}");
    }

    // The bundles named are the files that decided, by their digest.
    let by_name = |name: &str| {
        statements
            .iter()
            .find(|s| s["subject"][0]["name"] == format!("{name}-1.0.0.crate"))
            .unwrap()
    };
    for name in ["alpha", "beta", "epsilon"] {
        let file = std::fs::read_to_string(dir.join(format!("bundles/{name}-1.0.0.sigstore.json")))
            .unwrap();
        let inputs = by_name(name)["predicate"]["inputAttestations"]
            .as_array()
            .unwrap();
        assert_eq!(inputs.len(), 1, "{name}");
        assert_eq!(
            inputs[0]["digest"]["sha256"],
            sha256_hex(file.trim().as_bytes())
        );
        let uri = inputs[0]["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("file:///") && uri.ends_with(".sigstore.json"),
            "{uri}"
        );
    }
    for name in ["gamma", "delta"] {
        assert_eq!(
            by_name(name)["predicate"]["inputAttestations"],
            serde_json::json!([])
        );
    }
    // A real package URL: `+` in a version is percent-encoded.
    let eta = statements
        .iter()
        .find(|s| s["subject"][0]["name"] == "eta-1.0.0+build.5.crate")
        .unwrap();
    assert_eq!(
        eta["predicate"]["resourceUri"],
        "pkg:cargo/eta@1.0.0%2Bbuild.5"
    );
    assert_eq!(
        by_name("alpha")["predicate"]["resourceUri"],
        "pkg:cargo/alpha@1.0.0"
    );
}

#[test]
fn summaries_are_the_same_for_the_same_run_and_clock() {
    let dir = TestDir::new();
    every_outcome(&dir);
    check(&dir, &["--vsa-out", "a.jsonl"]).expect_code(1);
    check(&dir, &["--vsa-out", "b.jsonl"]).expect_code(1);
    let a = std::fs::read(dir.join("a.jsonl")).unwrap();
    assert!(!a.is_empty());
    assert_eq!(a, std::fs::read(dir.join("b.jsonl")).unwrap());
}

#[test]
fn no_summary_without_a_policy_file() {
    let dir = TestDir::new();
    every_outcome(&dir);
    std::fs::remove_file(dir.join("provenance.toml")).unwrap();
    let run = check(&dir, &["--vsa-out", "vsa.jsonl"]).expect_code(2);
    run.assert_stderr("vsa-without-policy");
    assert!(!dir.join("vsa.jsonl").exists());
}

#[test]
fn the_schemas_refuse_what_the_specifications_forbid() {
    let dir = TestDir::new();
    every_outcome(&dir);
    check(&dir, &["--vsa-out", "vsa.jsonl"]).expect_code(1);
    let text = std::fs::read_to_string(dir.join("vsa.jsonl")).unwrap();
    let good: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let statement_schema = schema("in-toto-statement-v1.schema.json");
    let vsa_schema = schema("slsa-verification-summary-v1.schema.json");
    assert!(errors(&statement_schema, &good).is_empty());
    assert!(errors(&vsa_schema, &good).is_empty());
    type Edit = fn(&mut Value);
    let statement_breaks: [(&str, Edit); 3] = [
        ("no subject", |v| v["subject"] = serde_json::json!([])),
        ("short digest", |v| {
            v["subject"][0]["digest"]["sha256"] = "abcd".into()
        }),
        ("old statement type", |v| {
            v["_type"] = "https://in-toto.io/Statement/v0.1".into()
        }),
    ];
    for (what, edit) in statement_breaks {
        let mut bad = good.clone();
        edit(&mut bad);
        assert!(!errors(&statement_schema, &bad).is_empty(), "{what}");
    }
    let vsa_breaks: [(&str, Edit); 5] = [
        ("no policy uri", |v| {
            v["predicate"]["policy"]
                .as_object_mut()
                .unwrap()
                .remove("uri");
        }),
        ("a custom SLSA_ level", |v| {
            v["predicate"]["verifiedLevels"] = serde_json::json!(["SLSA_SOURCE_LEVEL_9"])
        }),
        ("two build levels", |v| {
            v["predicate"]["verifiedLevels"] =
                serde_json::json!(["SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_2"])
        }),
        ("passed yet FAILED", |v| {
            v["predicate"]["verificationResult"] = "PASSED".into();
            v["predicate"]["verifiedLevels"] = serde_json::json!(["FAILED"]);
        }),
        ("local time", |v| {
            v["predicate"]["timeVerified"] = "2026-11-25T12:00:00+01:00".into()
        }),
    ];
    for (what, edit) in vsa_breaks {
        let mut bad = good.clone();
        edit(&mut bad);
        assert!(!errors(&vsa_schema, &bad).is_empty(), "{what}");
    }
}
