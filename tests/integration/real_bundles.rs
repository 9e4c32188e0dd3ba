//! Every real public bundle in MANIFEST.json (formats `bundle-json` and
//! `bundle-jsonl`) gives its expected result through `verify-bundle`.

use std::path::Path;

use crate::fixtures::{manifest, real_fixtures, ManifestEntry};
use crate::harness::{Run, TestDir};

/// Cases where clients disagree (flagged in the manifest's notes), with the
/// behaviour this tool has and why. docs/conformance.md's "Client-dependent cases"
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

/// The check every real bundle that must fail fails (the words of
/// `error[bundle-rejected]: verification failed: <check> check failed: …`).
const FAILED_CHECK: &[(&str, &str)] = &[
    (
        "gh-cli/github_provenance_demo-0.0.12-py3-none-any-bundle-missing-cert.jsonl",
        "bundle format",
    ),
    (
        "gh-cli/github_provenance_demo-0.0.12-py3-none-any-bundle-missing-verification-material.jsonl",
        "bundle format",
    ),
    ("gh-cli/sigstoreBundle-invalid-signature.json", "bundle format"),
    ("sigstore-python/bundle_cve_2022_36056.txt.sigstore", "transparency log"),
    ("sigstore-python/bundle_invalid_version.txt.sigstore", "bundle format"),
    ("sigstore-python/bundle_no_cert_v1.txt.sigstore", "bundle format"),
    ("sigstore-python/bundle_no_log_entry.txt.sigstore", "bundle format"),
    ("sigstore-python/bundle_no_checkpoint.txt.sigstore", "bundle format"),
    (
        "sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json",
        "timestamp",
    ),
    ("sigstore-python/Python-3.12.5.tgz.sigstore", "bundle format"),
];

/// Real bundles rejected for another reason than the manifest's
/// `why_fail`, and why. docs/conformance.md lists them beside the client-dependent
/// cases (and `conformance.rs` lists the conformance cases).
const OTHER_REASON: &[(&str, &str)] = &[
    (
        "gh-cli/sigstoreBundle-invalid-signature.json",
        "its DSSE payload is `text/plain`, not an in-toto statement: no artifact can be bound to it, and the library refuses it while preparing the artifact check, before it verifies signatures (the invalid signature of the manifest is never reached)",
    ),
    (
        "sigstore-python/bundle_no_cert_v1.txt.sigstore",
        "its v0.1 inclusion proof has no checkpoint, refused when the bundle is read, before the empty chain; with the proof removed it fails for having no signing certificate",
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
        if got == "fail" && expected == "fail" {
            let check = FAILED_CHECK
                .iter()
                .find(|(name, _)| *name == entry.bundle)
                .map(|(_, check)| *check)
                .unwrap_or_else(|| panic!("{}: no expected check listed", entry.name()));
            let failed = run
                .stderr
                .trim()
                .strip_prefix("error[bundle-rejected]: verification failed: ")
                .and_then(|rest| rest.split_once(" check failed: "))
                .map(|(check, _)| check);
            if failed != Some(check) {
                wrong.push(format!(
                    "{}: failed {failed:?}, expected {check:?}: {}",
                    entry.name(),
                    run.stderr.trim()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Every listed bundle is one that must fail.
    for (name, _) in FAILED_CHECK.iter().chain(OTHER_REASON) {
        assert!(
            entries
                .iter()
                .any(|e| e.bundle == *name && e.expected == "fail"),
            "{name} is not a bundle the manifest expects to fail"
        );
    }
}

/// The empty chain of `bundle_no_cert_v1` is caught once the proof without
/// a checkpoint, which is refused first, is removed.
#[test]
fn a_real_bundle_without_certificate_fails_for_it_behind_its_proof() {
    let Some(root) =
        real_fixtures("a_real_bundle_without_certificate_fails_for_it_behind_its_proof")
    else {
        return;
    };
    let dir = TestDir::new();
    let entry = manifest(&root)
        .into_iter()
        .find(|e| e.bundle == "sigstore-python/bundle_no_cert_v1.txt.sigstore")
        .unwrap();
    let mut bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(&entry.bundle)).unwrap()).unwrap();
    for log_entry in bundle
        .pointer_mut("/verificationMaterial/tlogEntries")
        .unwrap()
        .as_array_mut()
        .unwrap()
    {
        log_entry.as_object_mut().unwrap().remove("inclusionProof");
    }
    let path = dir.write("no-proof.json", bundle.to_string());
    verify(&dir, &root, &entry, &path)
        .expect_code(1)
        .assert_stderr(
            "bundle format check failed: invalid bundle: bundle has no signing certificate",
        );
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
    let mut mixed = 0;
    for entry in manifest(&root)
        .iter()
        .filter(|e| e.format == "bundle-jsonl" && e.jsonl_line == Some(0))
    {
        // The whole file, as `gh attestation download` writes it.
        let run = verify(&dir, &root, entry, &root.join(&entry.bundle));
        let expected = if entry.expected == "pass" { 0 } else { 1 };
        assert_eq!(run.code, expected, "{}: {}", entry.bundle, run.stderr);
        if entry.expected != "pass" {
            continue;
        }
        // The good line beside a copy whose signature does not verify, in
        // either order: the file passes; two bad lines fail.
        let text = std::fs::read_to_string(root.join(&entry.bundle)).unwrap();
        let good = text.lines().find(|l| !l.trim().is_empty()).unwrap();
        let bad = tampered_signature(good);
        for (name, lines, code) in [
            ("bad-then-good", [bad.as_str(), good], 0),
            ("good-then-bad", [good, bad.as_str()], 0),
            ("bad-twice", [bad.as_str(), bad.as_str()], 1),
        ] {
            let path = dir.write(format!("{name}.jsonl"), lines.join("\n") + "\n");
            let run = verify(&dir, &root, entry, &path);
            assert_eq!(run.code, code, "{} {name}: {}", entry.bundle, run.stderr);
            if code == 1 {
                run.assert_stderr("none of 2 bundles verified");
            }
        }
        mixed += 1;
    }
    assert!(mixed > 0, "no passing JSONL file to mix lines into");
}

/// A bundle (one JSON line) with one bit of its signature flipped.
fn tampered_signature(line: &str) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut bundle: serde_json::Value = serde_json::from_str(line).unwrap();
    let pointer = if bundle.get("dsseEnvelope").is_some() {
        "/dsseEnvelope/signatures/0/sig"
    } else {
        "/messageSignature/signature"
    };
    let signature = bundle
        .pointer_mut(pointer)
        .expect("a bundle has a signature");
    let mut bytes = engine.decode(signature.as_str().unwrap()).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    *signature = serde_json::Value::String(engine.encode(bytes));
    bundle.to_string()
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
        run.stderr
            .starts_with("error[bundle-rejected]: verification failed: "),
        "{}",
        run.stderr
    );
}

#[test]
fn verify_bundle_takes_github_beside_staging_and_says_loudly_when_the_signer_was_not_checked() {
    let Some(root) = crate::fixtures::real_fixtures("verify_bundle_github") else {
        return;
    };
    let dir = TestDir::new();
    let bundle = root.join("sigstore-rust/github-private-attestation.sigstore.json");
    let digest = "sha256:76f1fe8593bf227cca2c089e3c16dc95014a8d3e89c5dd220530469ca043c428";
    let run = dir
        .command()
        .args(["verify-bundle", "--github", "--bundle"])
        .arg(&bundle)
        .arg(digest)
        .run()
        .expect_code(0);
    run.assert_stdout("verified against github");
    run.assert_stderr("warning[signer-not-checked]");
    let run = dir
        .command()
        .args(["verify-bundle", "--github", "--bundle"])
        .arg(&bundle)
        .args([
            "--certificate-identity",
            "https://dotcom.releases.github.com",
        ])
        .arg(digest)
        .run()
        .expect_code(0);
    assert!(!run.stderr.contains("signer-not-checked"), "{}", run.stderr);
    // The GitHub root is built in, and is not the default; checked against
    // the default root, the failure says which built-in root verifies it.
    let run = dir
        .command()
        .args(["verify-bundle", "--color", "never", "--bundle"])
        .arg(&bundle)
        .arg(digest)
        .run()
        .expect_code(1);
    run.assert_stderr("error[bundle-rejected]: verification failed: ");
    run.assert_stderr(
        "  help: the bundle verifies against the built-in github trust root, not against public-good: pass --github",
    );
    // No hint when the artifact is not the one signed: no root verifies it.
    let run = dir
        .command()
        .args(["verify-bundle", "--color", "never", "--bundle"])
        .arg(&bundle)
        .arg(format!("sha256:{}", "ab".repeat(32)))
        .run()
        .expect_code(1);
    assert!(!run.stderr.contains("help:"), "{}", run.stderr);
    dir.command()
        .args(["verify-bundle", "--github", "--staging", "--bundle"])
        .arg(&bundle)
        .arg(digest)
        .run()
        .expect_code(2);
}
