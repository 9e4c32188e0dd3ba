//! Every real public bundle in MANIFEST.json (formats `bundle-json` and
//! `bundle-jsonl`) gives its expected result through `verify-bundle`.

use std::path::Path;

use crate::fixtures::{manifest, real_fixtures, ManifestEntry};
use crate::harness::{Run, TestDir};

/// Cases where clients disagree (flagged in the manifest's notes), with the
/// behaviour this tool has and why. The README's "Client-dependent cases"
/// section says the same.
const CLIENT_DEPENDENT: &[(&str, &str, &str)] = &[
    (
        "npm/bundleV01-dsse-no-proof.sigstore",
        "pass",
        "v0.1 bundle with a signed entry timestamp (SET) and no inclusion proof: the v0.1 format only requires the SET, which Rekor signs; accepted like sigstore-js and sigstore-go (sigstore-python rejects)",
    ),
    (
        "npm/bundleV01-intoto-no-proof.sigstore",
        "pass",
        "v0.1 bundle with a SET and no inclusion proof: as above",
    ),
    (
        "npm/bundleV01-full-cert-chain.sigstore",
        "pass",
        "v0.1 bundle with a SET and no inclusion proof, whose chain also carries the root: the root adds nothing (chains are only ever anchored in the trust root), so it is accepted like sigstore-js and sigstore-go",
    ),
    (
        "sigstore-python/Python-3.12.5.tgz.sigstore",
        "fail",
        "v0.1 bundle whose inclusion proof has no checkpoint: a proof that is present but cannot be verified is rejected (fail closed), like sigstore-python; lenient clients fall back to the SET",
    ),
];

/// The artifact argument: the file when the manifest has it, else the digest
/// the statement's subjects use (sha512 for npm provenance), else sha256.
/// A bundle with neither (a DSSE envelope over plain text) gets a digest no
/// subject can match.
fn artifact_argument(root: &Path, entry: &ManifestEntry) -> String {
    if let Some(file) = &entry.artifact {
        return root.join(file).display().to_string();
    }
    if let Some(sha512) = &entry.artifact_sha512 {
        return format!("sha512:{sha512}");
    }
    if let Some(sha256) = &entry.artifact_sha256 {
        return format!("sha256:{sha256}");
    }
    format!("sha256:{}", "0".repeat(64))
}

fn verify(dir: &TestDir, root: &Path, entry: &ManifestEntry, bundle: &Path) -> Run {
    let mut command = dir
        .command()
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(bundle)
        .arg("--trusted-root")
        .arg(root.join(&entry.trusted_root));
    if let Some(key) = &entry.key {
        command = command.arg("--key").arg(root.join(key));
    } else {
        if let Some(identity) = &entry.identity {
            command = command.args(["--certificate-identity", identity]);
        }
        if let Some(issuer) = &entry.issuer {
            command = command.args(["--certificate-oidc-issuer", issuer]);
        }
    }
    command.arg(artifact_argument(root, entry)).run()
}

/// The bundle file for an entry: for a JSONL line, that line alone.
fn bundle_file(dir: &TestDir, root: &Path, entry: &ManifestEntry) -> std::path::PathBuf {
    let path = root.join(&entry.bundle);
    match entry.jsonl_line {
        None => path,
        Some(line) => {
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<_> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            dir.write(
                format!(
                    "line-{line}-{}",
                    path.file_name().unwrap().to_string_lossy()
                ),
                lines[line],
            )
        }
    }
}

#[test]
fn every_real_bundle_gives_its_expected_result() {
    let Some(root) = real_fixtures("every_real_bundle_gives_its_expected_result") else {
        return;
    };
    let dir = TestDir::new();
    let entries: Vec<_> = manifest(&root)
        .into_iter()
        .filter(|e| matches!(e.format.as_str(), "bundle-json" | "bundle-jsonl"))
        .filter(|e| !e.bundle.starts_with("conformance/"))
        .collect();
    assert!(entries.len() >= 40, "{} entries", entries.len());
    let mut wrong = Vec::new();
    for entry in &entries {
        let bundle = bundle_file(&dir, &root, entry);
        let run = verify(&dir, &root, entry, &bundle);
        let got = if run.code == 0 { "pass" } else { "fail" };
        let expected = CLIENT_DEPENDENT
            .iter()
            .find(|(name, _, _)| *name == entry.bundle)
            .map(|(_, ours, _)| *ours)
            .unwrap_or(entry.expected.as_str());
        if got != expected {
            wrong.push(format!(
                "{}: {got}, expected {expected}: {}",
                entry.name(),
                run.stderr.trim()
            ));
        }
        if got == "fail" && run.code != 1 {
            wrong.push(format!(
                "{}: exit {} instead of 1: {}",
                entry.name(),
                run.code,
                run.stderr.trim()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn client_dependent_list_names_only_flagged_cases() {
    let Some(root) = real_fixtures("client_dependent_list_names_only_flagged_cases") else {
        return;
    };
    let entries = manifest(&root);
    for (name, ours, reason) in CLIENT_DEPENDENT {
        let entry = entries.iter().find(|e| e.bundle == *name).expect(name);
        let notes = entry.notes.as_deref().unwrap_or("");
        assert!(
            notes.contains("client-dependent")
                || notes.contains("would reject")
                || notes.contains("accepted by"),
            "{name} is not flagged as client-dependent in the manifest"
        );
        assert!(matches!(*ours, "pass" | "fail") && !reason.is_empty());
    }
}

#[test]
fn jsonl_files_pass_when_any_line_verifies() {
    let Some(root) = real_fixtures("jsonl_files_pass_when_any_line_verifies") else {
        return;
    };
    let dir = TestDir::new();
    for entry in manifest(&root)
        .iter()
        .filter(|e| e.format == "bundle-jsonl" && e.jsonl_line == Some(0))
    {
        // The whole file, as `gh attestation download` writes it.
        let run = verify(&dir, &root, entry, &root.join(&entry.bundle));
        let expected = if entry.expected == "pass" { 0 } else { 1 };
        assert_eq!(run.code, expected, "{}: {}", entry.bundle, run.stderr);
    }
}

#[test]
fn reusable_workflow_claims_are_extracted() {
    let Some(root) = real_fixtures("reusable_workflow_claims_are_extracted") else {
        return;
    };
    let dir = TestDir::new();
    let entry = manifest(&root)
        .into_iter()
        .find(|e| e.bundle == "gh-cli/reusable-workflow-attestation.sigstore.json")
        .unwrap();
    let run = dir
        .command()
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(root.join(&entry.bundle))
        .arg("--trusted-root")
        .arg(root.join(&entry.trusted_root))
        .args(["--certificate-identity", entry.identity.as_deref().unwrap()])
        .args([
            "--certificate-oidc-issuer",
            entry.issuer.as_deref().unwrap(),
        ])
        .args(["--format", "json"])
        .arg(artifact_argument(&root, &entry))
        .run()
        .expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let facts = &value["facts"];
    let claims = &facts["signer"]["claims"];
    assert_eq!(
        claims["build-signer-uri"],
        "https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d"
    );
    assert_eq!(
        claims["build-config-uri"],
        "https://github.com/malancas/attest-demo/.github/workflows/shared.yml@refs/heads/main"
    );
    assert_eq!(
        claims["source-repository-uri"],
        "https://github.com/malancas/attest-demo"
    );
    assert_eq!(claims["source-repository-ref"], "refs/heads/main");
    assert_eq!(
        facts["signer"]["issuer"],
        "https://token.actions.githubusercontent.com"
    );
    assert_eq!(
        facts["signer"]["identity"],
        entry.identity.as_deref().unwrap()
    );
    assert!(claims["source-repository-identifier"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    assert!(claims["source-repository-owner-identifier"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    assert_eq!(
        facts["statement"]["predicate_type"],
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(facts["log_entries"][0]["log_index"], 96764485);
    assert_eq!(facts["log_entries"][0]["kind"], "dsse/0.0.1");
    assert_eq!(
        facts["trust_root"]
            .as_str()
            .map(|s| s.ends_with("public-good.trusted_root.json")),
        Some(true)
    );
    // The identity is checked by our own matching, over every SAN.
    let wrong_identity = dir
        .command()
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(root.join(&entry.bundle))
        .arg("--trusted-root")
        .arg(root.join(&entry.trusted_root))
        .args([
            "--certificate-identity",
            "https://github.com/malancas/attest-demo/.github/workflows/shared.yml@refs/heads/main",
        ])
        .args([
            "--certificate-oidc-issuer",
            entry.issuer.as_deref().unwrap(),
        ])
        .arg(artifact_argument(&root, &entry))
        .run()
        .expect_code(1);
    wrong_identity.assert_stderr("identity check failed");
}

#[test]
fn github_instance_bundle_needs_the_github_root() {
    let Some(root) = real_fixtures("github_instance_bundle_needs_the_github_root") else {
        return;
    };
    let dir = TestDir::new();
    let bundle = root.join("sigstore-rust/github-private-attestation.sigstore.json");
    let digest = "sha256:76f1fe8593bf227cca2c089e3c16dc95014a8d3e89c5dd220530469ca043c428";
    dir.command()
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(&bundle)
        .arg("--trusted-root")
        .arg(root.join("trust-roots/github.trusted_root.json"))
        .arg(digest)
        .run()
        .expect_code(0);
    // Against public-good it does not verify: no log entry, foreign CA.
    let run = dir
        .command()
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(&bundle)
        .arg(digest)
        .run()
        .expect_code(1);
    assert!(
        run.stderr.starts_with("error: verification failed: "),
        "{}",
        run.stderr
    );
}
