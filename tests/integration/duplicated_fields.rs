//! A bundle whose inclusion proof disagrees with its entry or checkpoint is
//! malformed and rejected, although the library alone would ignore the
//! proof's copies of those fields; so is a Rekor v2 entry that states an
//! integrated time, names a log the root does not list (or lists as expired
//! at signing time), and a bundle whose log entries are checked against a
//! root with no transparency log.

use crate::fixtures::{real_fixtures, sha256_of};
use crate::harness::TestDir;

#[test]
fn rekor_v2_proof_fields_must_equal_entry_and_checkpoint() {
    let Some(root) = real_fixtures("rekor_v2_proof_fields_must_equal_entry_and_checkpoint") else {
        return;
    };
    let case = root.join("conformance/bundle-verify/rekor2-happy-path");
    let artifact = root.join("conformance/bundle-verify/a.txt");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("bundle.sigstore.json")).unwrap())
            .unwrap();
    let identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let dir = TestDir::new();
    let verify = |bundle: &serde_json::Value, name: &str| {
        let path = dir.write(name, bundle.to_string());
        dir.command()
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(path)
            .args(["--certificate-identity", identity])
            .args([
                "--certificate-oidc-issuer",
                "https://token.actions.githubusercontent.com",
            ])
            .arg("--trusted-root")
            .arg(case.join("trusted_root.json"))
            .arg(sha256_of(&artifact))
            .run()
    };
    verify(&original, "original.json").expect_code(0);

    let proof = "/verificationMaterial/tlogEntries/0/inclusionProof";
    let variants: [(&str, serde_json::Value, &str); 3] = [
        ("logIndex", serde_json::json!("734"), "log index"),
        ("treeSize", serde_json::json!("737"), "tree size"),
        (
            "rootHash",
            serde_json::json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            "root hash",
        ),
    ];
    for (field, value, words) in variants {
        let mut bundle = original.clone();
        *bundle.pointer_mut(&format!("{proof}/{field}")).unwrap() = value;
        let run = verify(&bundle, &format!("{field}.json")).expect_code(1);
        assert!(
            run.stderr.contains("transparency log check failed"),
            "{field}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(words), "{field}: {}", run.stderr);
    }
}

/// The Rekor v2 entry's own fields: an integrated time it should not have,
/// a log ID the root does not list, and a log whose key had expired when
/// the bundle was timestamped. The library alone accepts all three.
#[test]
fn rekor_v2_entries_are_bound_to_a_listed_log_and_state_no_time() {
    let Some(root) = real_fixtures("rekor_v2_entries_are_bound_to_a_listed_log_and_state_no_time")
    else {
        return;
    };
    let case = root.join("conformance/bundle-verify/rekor2-happy-path");
    let artifact = root.join("conformance/bundle-verify/a.txt");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("bundle.sigstore.json")).unwrap())
            .unwrap();
    let trusted_root: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("trusted_root.json")).unwrap())
            .unwrap();
    let identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let dir = TestDir::new();
    let verify = |bundle: &serde_json::Value, root: &serde_json::Value, name: &str| {
        let bundle_path = dir.write(format!("{name}.json"), bundle.to_string());
        let root_path = dir.write(format!("{name}.root.json"), root.to_string());
        dir.command()
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(bundle_path)
            .args(["--certificate-identity", identity])
            .args([
                "--certificate-oidc-issuer",
                "https://token.actions.githubusercontent.com",
            ])
            .arg("--trusted-root")
            .arg(root_path)
            .arg(sha256_of(&artifact))
            .run()
    };
    verify(&original, &trusted_root, "original").expect_code(0);
    let entry = "/verificationMaterial/tlogEntries/0";

    let mut timed = original.clone();
    timed.pointer_mut(entry).unwrap()["integratedTime"] = serde_json::json!("1749729736");
    let run = verify(&timed, &trusted_root, "timed").expect_code(1);
    run.assert_stderr("carries an integrated time");

    let mut unknown = original.clone();
    *unknown
        .pointer_mut(&format!("{entry}/logId/keyId"))
        .unwrap() = serde_json::json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let run = verify(&unknown, &trusted_root, "unknown").expect_code(1);
    run.assert_stderr("which the trust root does not list");

    let mut expired = trusted_root.clone();
    for log in expired["tlogs"].as_array_mut().unwrap() {
        log["publicKey"]["validFor"] =
            serde_json::json!({"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"});
    }
    let run = verify(&original, &expired, "expired").expect_code(1);
    run.assert_stderr("does not list as valid at");
}

#[cfg(feature = "testkit")]
mod minted {
    use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
    use cargo_verify_provenance::trust;

    use crate::harness::{Run, TestDir};

    const CHECKSUM: [u8; 32] = [0x4e; 32];

    fn verify(dir: &TestDir, bundle: &serde_json::Value, root: &str, name: &str) -> Run {
        let bundle_path = dir.write(format!("{name}.json"), bundle.to_string());
        let root_path = dir.write(format!("{name}.root.json"), root);
        dir.command()
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(bundle_path)
            .arg("--trusted-root")
            .arg(root_path)
            .arg(format!("sha256:{}", hex::encode(CHECKSUM)))
            .run()
    }

    fn minted() -> (Instance, serde_json::Value) {
        let instance = Instance::new(73);
        let minted = instance.mint(&MintRequest::new(
            "serde",
            "1.0.219",
            CHECKSUM,
            Claims::github("serde-rs/serde", "1.0.219"),
        ));
        let bundle = serde_json::from_str(&minted.to_json()).unwrap();
        (instance, bundle)
    }

    /// The test instance's Rekor v2 bundle, and the root that lists its log.
    fn minted_v2() -> (Instance, serde_json::Value, serde_json::Value) {
        let instance = Instance::new(73);
        let minted = instance.mint_rekor_v2(&MintRequest::new(
            "serde",
            "1.0.219",
            CHECKSUM,
            Claims::github("serde-rs/serde", "1.0.219"),
        ));
        let bundle = serde_json::from_str(&minted.to_json()).unwrap();
        let root = serde_json::from_str(&instance.rekor_v2_trusted_root_json()).unwrap();
        (instance, bundle, root)
    }

    /// The Rekor v2 entry's own fields, as with the conformance bundle
    /// above but without the fixtures: the library alone accepts each of
    /// these, only the log binding and the duplicated-field checks refuse.
    #[test]
    fn minted_rekor_v2_entries_are_bound_to_their_listed_valid_log() {
        let dir = TestDir::new();
        let (instance, original, root) = minted_v2();
        let root_text = root.to_string();
        let run = verify(&dir, &original, &root_text, "original").expect_code(0);
        assert!(run.stdout.contains("verified"), "{}", run.stdout);
        let entry = "/verificationMaterial/tlogEntries/0";
        let v2_log_id = instance.rekor_v2_log_id();
        assert_eq!(
            original.pointer(&format!("{entry}/logId/keyId")).unwrap(),
            &serde_json::json!(v2_log_id)
        );
        assert_eq!(
            original
                .pointer(&format!("{entry}/kindVersion/version"))
                .unwrap(),
            "0.0.2"
        );

        // A log ID the root does not list.
        let mut unknown = original.clone();
        *unknown
            .pointer_mut(&format!("{entry}/logId/keyId"))
            .unwrap() = serde_json::json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        verify(&dir, &unknown, &root_text, "unknown")
            .expect_code(1)
            .assert_stderr("which the trust root does not list");

        // A listed log (the v1 log), which did not sign the checkpoint.
        let v1_log_id = root["tlogs"][0]["logId"]["keyId"].clone();
        assert_ne!(v1_log_id, serde_json::json!(v2_log_id));
        let mut other = original.clone();
        *other.pointer_mut(&format!("{entry}/logId/keyId")).unwrap() = v1_log_id;
        verify(&dir, &other, &root_text, "other-log")
            .expect_code(1)
            .assert_stderr("the checkpoint carries no valid signature by log");

        // The v2 log, expired before the signature was timestamped.
        let mut expired = root.clone();
        expired["tlogs"][1]["publicKey"]["validFor"]["end"] =
            serde_json::json!(instance.base_time().to_string());
        verify(&dir, &original, &expired.to_string(), "expired")
            .expect_code(1)
            .assert_stderr("does not list as valid at");

        // Proof fields that differ from the entry's or checkpoint's.
        let proof = format!("{entry}/inclusionProof");
        for (field, words) in [
            ("logIndex", "log index"),
            ("treeSize", "tree size"),
            ("rootHash", "root hash"),
        ] {
            let mut bundle = original.clone();
            let value = bundle.pointer_mut(&format!("{proof}/{field}")).unwrap();
            *value = if field == "rootHash" {
                serde_json::json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            } else {
                let number: u64 = value.as_str().unwrap().parse().unwrap();
                serde_json::json!((number + 1).to_string())
            };
            let run = verify(&dir, &bundle, &root_text, field).expect_code(1);
            assert!(
                run.stderr.contains("malformed Rekor v2 entry") && run.stderr.contains(words),
                "{field}: {}",
                run.stderr
            );
        }

        // An integrated time, which Rekor v2 never states.
        let mut timed = original.clone();
        timed.pointer_mut(entry).unwrap()["integratedTime"] =
            serde_json::json!(instance.base_time().as_second().to_string());
        verify(&dir, &timed, &root_text, "timed")
            .expect_code(1)
            .assert_stderr("carries an integrated time");
    }

    /// A Rekor v1 proof whose tree size is not the checkpoint's: the Merkle
    /// check alone accepts some such sizes (it did for this leaf position).
    #[test]
    fn a_rekor_v1_proof_must_have_the_checkpoint_tree_size() {
        let dir = TestDir::new();
        let (instance, original) = minted();
        let root = instance.trusted_root_json();
        verify(&dir, &original, &root, "original").expect_code(0);
        let mut bundle = original.clone();
        let size = bundle
            .pointer_mut("/verificationMaterial/tlogEntries/0/inclusionProof/treeSize")
            .unwrap();
        let bumped = size.as_str().unwrap().parse::<u64>().unwrap() + 1;
        *size = serde_json::json!(bumped.to_string());
        let run = verify(&dir, &bundle, &root, "bumped").expect_code(1);
        assert!(
            run.stderr.contains("malformed Rekor v1 entry") && run.stderr.contains("tree size"),
            "{}",
            run.stderr
        );
    }

    /// Log entries are proofs: checked against a root that lists no
    /// transparency log (here: timestamp authorities only), they cannot be
    /// verified, and the bundle is rejected rather than passed on its
    /// certificate alone.
    #[test]
    fn log_entries_against_a_root_without_logs_are_rejected() {
        let dir = TestDir::new();
        let (instance, bundle) = minted();
        let mut root: serde_json::Value =
            serde_json::from_str(&instance.trusted_root_json()).unwrap();
        let github: serde_json::Value =
            serde_json::from_str(trust::Instance::GitHub.embedded_json()).unwrap();
        root["tlogs"] = serde_json::json!([]);
        root["timestampAuthorities"] = github["timestampAuthorities"].clone();
        let run = verify(&dir, &bundle, &root.to_string(), "no-logs").expect_code(1);
        run.assert_stderr("lists no transparency log");
    }
}
