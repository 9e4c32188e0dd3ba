//! The sigstore-conformance `bundle-verify` suite, driven the way its harness
//! drives a client: every case twice, with the artifact path and with
//! `sha256:<hex>`. A case whose folder ends in `_fail` must exit non-zero.

use crate::fixtures::{
    conformance_cases, manifest, real_fixtures, sha256_of, ConformanceCase, ManifestEntry,
};
use crate::harness::{Run, TestDir};

fn run_case(dir: &TestDir, case: &ConformanceCase, artifact: &str) -> Run {
    let mut command = dir
        .command()
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(&case.bundle);
    command = match &case.key {
        Some(key) => command.arg("--key").arg(key),
        None => command
            .args(["--certificate-identity", &case.identity])
            .args(["--certificate-oidc-issuer", &case.issuer]),
    };
    command
        .arg("--trusted-root")
        .arg(&case.trusted_root)
        .arg(artifact)
        .run()
}

/// What a failing case gives: the check named in `error: verification
/// failed: <check> check failed: …` (exit 1), or the diagnostic code of a
/// usage error (exit 2).
fn failure_of(run: &Run) -> String {
    let reason = run.stderr.trim();
    if run.code == 2 {
        return reason
            .strip_prefix("error[")
            .and_then(|rest| rest.split_once("]:"))
            .map_or_else(String::new, |(code, _)| code.to_string());
    }
    reason
        .strip_prefix("error[bundle-rejected]: verification failed: ")
        .and_then(|rest| rest.split_once(" check failed: "))
        .map_or_else(String::new, |(check, _)| check.to_string())
}

/// The checks (or diagnostic codes) that fail for the reason a manifest
/// `fail_category` names.
fn checks_for_category(category: &str) -> &'static [&'static str] {
    match category {
        "bundle-format" => &["bundle format"],
        "certificate-chain" => &["certificate chain"],
        "certificate-sct" => &["signed certificate timestamp (SCT)"],
        "checkpoint" | "inclusion-proof" | "set" | "tlog-entry-mismatch" => &["transparency log"],
        // The message digest is bound to the artifact by its signature.
        "signature" => &["signature", "subject digest"],
        // A time outside the certificate's validity fails the chain, which
        // is checked at every verified signing time.
        "time" => &["timestamp", "certificate chain"],
        // Another instance's bundle fails the first check that needs the
        // root's keys.
        "trust-root-mismatch" => &["transparency log", "certificate chain", "timestamp"],
        "key-mismatch" => &["signature"],
        "trust-root-malformed" => &["trust-root-invalid"],
        other => panic!("unknown fail_category {other}"),
    }
}

/// Failing cases rejected by another check than their `fail_category`
/// names, with what fails and why. docs/conformance.md lists them beside the
/// client-dependent cases.
pub const OTHER_REASON: &[(&str, &str, &str)] = &[
    (
        "bundle-with-root-cert_fail",
        "bundle format",
        "its v0.1 inclusion proof has no checkpoint, which is refused (fail closed) when the bundle is read, before the chain is looked at",
    ),
    (
        "intoto-missing-inclusion-proof_fail",
        "bundle format",
        "an inclusion proof is required from bundle v0.2 on: a bundle without one is malformed, refused when it is read",
    ),
    (
        "rekor2-no-inclusion-proof_fail",
        "bundle format",
        "as above, for a v0.3 bundle with a Rekor v2 entry",
    ),
    (
        "invalid-inclusion-proof_fail",
        "bundle format",
        "the stale proof has no checkpoint, refused when the bundle is read, before the Merkle check",
    ),
    (
        "rekor2-checkpoint-missing-log-signature_fail",
        "bundle format",
        "a checkpoint that is not a signed note does not parse, so the bundle does not either",
    ),
    (
        "rekor2-checkpoint-missing-origin_fail",
        "bundle format",
        "as above: the checkpoint has no origin line",
    ),
    (
        "rekor2-checkpoint-missing-root-hash_fail",
        "bundle format",
        "as above: the checkpoint has no root hash",
    ),
    (
        "rekor2-checkpoint-missing-size_fail",
        "bundle format",
        "as above: the checkpoint has no tree size",
    ),
    (
        "rekor2-timestamp-with-incorrect-time_fail",
        "bundle format",
        "its RFC 3161 timestamp is base64 broken into lines, which the bundle reader refuses (Go's and Python's decoders skip line breaks); with them removed it fails the certificate chain at the timestamp's time, as its README says",
    ),
    (
        "managed-key-no-key_fail",
        "bundle format",
        "the harness gives an identity and no key; a bundle with no certificate cannot be checked against an identity",
    ),
    (
        "managed-key-wrong-key_fail",
        "bad-key",
        "the key file given is not a key (`…wrongkey==` is not base64): a usage error, exit 2, before any verification",
    ),
];

#[test]
fn every_conformance_case_in_both_forms() {
    let Some(root) = real_fixtures("every_conformance_case_in_both_forms") else {
        return;
    };
    let cases = conformance_cases(&root);
    assert_eq!(cases.len(), 70, "the suite has 70 cases");
    let entries = manifest(&root);
    let dir = TestDir::new();
    let mut wrong = Vec::new();
    let mut runs = 0;
    for case in &cases {
        let expected_failure = case
            .must_fail
            .then(|| expected_failure(&entries, &case.name));
        let artifact_path = case.artifact.display().to_string();
        for artifact in [artifact_path, sha256_of(&case.artifact)] {
            let run = run_case(&dir, case, &artifact);
            runs += 1;
            let passed = run.code == 0;
            if passed == case.must_fail {
                wrong.push(format!(
                    "{} with {artifact}: exit {} (stderr: {})",
                    case.name,
                    run.code,
                    run.stderr.trim()
                ));
            }
            if !passed {
                // The conformance protocol: a failure says why, on one line.
                let reason = run.stderr.trim();
                assert!(!reason.is_empty(), "{}: no reason given", case.name);
                if run.code == 1 {
                    assert_eq!(reason.lines().count(), 1, "{}: {reason}", case.name);
                    assert!(
                        reason.starts_with("error[bundle-rejected]: verification failed: "),
                        "{reason}"
                    );
                }
            }
            if let Some(expected) = &expected_failure {
                let got = failure_of(&run);
                if !expected.contains(&got.as_str()) {
                    wrong.push(format!(
                        "{} with {artifact}: failed {got:?}, expected one of {expected:?} (stderr: {})",
                        case.name,
                        run.stderr.trim()
                    ));
                }
            }
        }
    }
    assert_eq!(runs, 140);
    assert!(
        wrong.is_empty(),
        "{} of 140 runs wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The failures a failing case may give: the one [`OTHER_REASON`] lists,
/// else those of its manifest `fail_category`.
fn expected_failure(entries: &[ManifestEntry], name: &str) -> Vec<&'static str> {
    if let Some((_, check, _)) = OTHER_REASON.iter().find(|(case, _, _)| *case == name) {
        return vec![check];
    }
    let bundle = format!("conformance/bundle-verify/{name}/bundle.sigstore.json");
    let entry = entries
        .iter()
        .find(|e| e.bundle == bundle)
        .unwrap_or_else(|| panic!("{name} is not in the manifest"));
    let category = entry
        .fail_category
        .as_deref()
        .unwrap_or_else(|| panic!("{name} has no fail_category"));
    checks_for_category(category).to_vec()
}

/// Every case [`OTHER_REASON`] names fails, and fails for another check
/// than its category names (else it would not need listing).
#[test]
fn other_reason_list_names_only_cases_that_need_it() {
    let Some(root) = real_fixtures("other_reason_list_names_only_cases_that_need_it") else {
        return;
    };
    let cases = conformance_cases(&root);
    let entries = manifest(&root);
    for (name, check, reason) in OTHER_REASON {
        let case = cases.iter().find(|c| c.name == *name).expect(name);
        assert!(case.must_fail && !reason.is_empty(), "{name}");
        let bundle = format!("conformance/bundle-verify/{name}/bundle.sigstore.json");
        let entry = entries.iter().find(|e| e.bundle == bundle).expect(name);
        let category = entry.fail_category.as_deref().unwrap();
        assert!(
            !checks_for_category(category).contains(check),
            "{name}: {check} is what {category} names; no need to list it"
        );
    }
}

/// Where the listed reason is only the first of two defects, the second
/// is caught too once the first is removed.
#[test]
fn the_manifest_reason_is_caught_behind_the_first_defect() {
    let Some(root) = real_fixtures("the_manifest_reason_is_caught_behind_the_first_defect") else {
        return;
    };
    let cases = conformance_cases(&root);
    let case = |name: &str| cases.iter().find(|c| c.name == name).unwrap().clone();
    let dir = TestDir::new();
    let edited = |case: &ConformanceCase, edit: &dyn Fn(&mut serde_json::Value)| {
        let mut bundle: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&case.bundle).unwrap()).unwrap();
        edit(&mut bundle);
        let path = dir.write(format!("{}.json", case.name), bundle.to_string());
        ConformanceCase {
            bundle: path,
            ..case.clone()
        }
    };

    // Line breaks out of the timestamp's base64: the certificate had
    // expired at the timestamp's time.
    let timed = edited(
        &case("rekor2-timestamp-with-incorrect-time_fail"),
        &|bundle| {
            for token in bundle
                .pointer_mut("/verificationMaterial/timestampVerificationData/rfc3161Timestamps")
                .unwrap()
                .as_array_mut()
                .unwrap()
            {
                let text = token["signedTimestamp"].as_str().unwrap().replace('\n', "");
                token["signedTimestamp"] = serde_json::json!(text);
            }
        },
    );
    let run = run_case(&dir, &timed, &sha256_of(&timed.artifact)).expect_code(1);
    assert_eq!(failure_of(&run), "certificate chain", "{}", run.stderr);
    run.assert_stderr("CertExpired");

    // The proof without a checkpoint removed (a v0.1 bundle may rest on its
    // SET alone): the certificate chain is empty.
    let chainless = edited(&case("bundle-empty-certificate-chain_fail"), &|bundle| {
        for entry in bundle
            .pointer_mut("/verificationMaterial/tlogEntries")
            .unwrap()
            .as_array_mut()
            .unwrap()
        {
            entry.as_object_mut().unwrap().remove("inclusionProof");
        }
    });
    let run = run_case(&dir, &chainless, &sha256_of(&chainless.artifact)).expect_code(1);
    assert_eq!(failure_of(&run), "bundle format", "{}", run.stderr);
    run.assert_stderr("bundle has no signing certificate");
}
