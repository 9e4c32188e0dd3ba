//! Every JSON document a command writes (`explain`, `fetch`, `inventory`,
//! `policy diff`, `verify-bundle`) follows docs/documents.schema.json,
//! checked on the commands' real output over the demo; the schema refuses
//! a document with a field it does not list, or without one it requires,
//! so a new field cannot go undocumented.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::TestDir;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/documents.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A validator of one document of the schema, `#/definitions/{name}`.
fn validator(name: &str) -> jsonschema::Validator {
    let mut schema = schema();
    let root = schema.as_object_mut().unwrap();
    root.remove("oneOf");
    root.insert("$ref".into(), format!("#/definitions/{name}").into());
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// `document` follows definition `name`, and only it among the schema's
/// documents; with a field added, or its first required field removed, it
/// does not.
pub(crate) fn assert_follows(name: &str, document: &Value) {
    let errors: Vec<String> = validator(name)
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{document:#}");
    let whole = jsonschema::validator_for(&schema()).unwrap();
    assert!(
        whole.is_valid(document),
        "{name} is one of the schema's documents"
    );
    let mut added = document.clone();
    added["undocumented"] = Value::Bool(true);
    assert!(
        !validator(name).is_valid(&added),
        "{name} refuses a field it does not list"
    );
    let mut removed = document.clone();
    let first = removed.as_object().unwrap().keys().next().unwrap().clone();
    removed.as_object_mut().unwrap().remove(&first);
    assert!(
        !validator(name).is_valid(&removed),
        "{name} requires `{first}`"
    );
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The demo's lockfile and a policy of it, offline.
fn demo_args(policy: &str) -> Vec<String> {
    vec![
        "--lockfile".into(),
        demo().join("Cargo.lock").display().to_string(),
        "--policy".into(),
        demo().join(policy).display().to_string(),
        "--offline".into(),
        "--now".into(),
        "2026-06-01T00:00:00Z".into(),
    ]
}

#[test]
fn explain_documents_follow_the_schema() {
    let dir = TestDir::new();
    // A violation, an exemption, no provenance: every part filled once.
    for (package, policy, code) in [
        ("smallvec", "provenance-strict.toml", 1),
        ("hex", "provenance.toml", 0),
        ("libc", "provenance.toml", 0),
    ] {
        let run = dir
            .command()
            .args(["explain", package, "--message-format", "json"])
            .args(demo_args(policy))
            .run()
            .expect_code(code);
        assert_follows("explain", &json(&run.stdout));
    }
}

#[test]
fn fetch_documents_follow_the_schema() {
    let dir = TestDir::new();
    let run = dir
        .command()
        .args(["fetch", "--message-format", "json"])
        .args(demo_args("provenance.toml"))
        .run()
        .expect_code(0);
    let document = json(&run.stdout);
    assert_eq!(document["packages"].as_array().unwrap().len(), 46);
    assert_follows("fetch", &document);
}

#[test]
fn inventory_documents_follow_the_schema() {
    let dir = TestDir::new();
    let bare = dir
        .command()
        .args(["inventory", "--message-format", "json", "--lockfile"])
        .arg(demo().join("Cargo.lock"))
        .run()
        .expect_code(0);
    assert_follows("inventory", &json(&bare.stdout));
    // Through cargo's metadata: build-time code and the dependency kinds.
    let workspace = dir
        .command()
        .args(["inventory", "--message-format", "json", "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .args(["--offline"])
        .run()
        .expect_code(0);
    let document = json(&workspace.stdout);
    assert_eq!(document["graph"]["origin"], "metadata");
    assert_follows("inventory", &document);
}

#[test]
fn policy_diff_documents_follow_the_schema() {
    let run = TestDir::new()
        .command()
        .args(["policy", "diff", "--message-format", "json"])
        .arg(demo().join("provenance-strict.toml"))
        .arg(demo().join("provenance.toml"))
        .run()
        .expect_code(1);
    let document = json(&run.stdout);
    assert!(!document["weakenings"].as_array().unwrap().is_empty());
    assert_follows("policyDiff", &document);
}

#[test]
fn verify_bundle_documents_follow_the_schema() {
    let lockfile = std::fs::read_to_string(demo().join("Cargo.lock")).unwrap();
    let checksum = lockfile
        .split("name = \"anstream\"")
        .nth(1)
        .and_then(|rest| rest.split("checksum = \"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let run = TestDir::new()
        .command()
        .args(["verify-bundle", "--message-format", "json", "--bundle"])
        .arg(demo().join("bundles/anstream-1.0.0.sigstore.json"))
        .arg("--trusted-root")
        .arg(demo().join("trusted_root.json"))
        .arg(format!("sha256:{checksum}"))
        .run()
        .expect_code(0);
    assert_follows("verifyBundle", &json(&run.stdout));
}
