//! A Rekor v2 bundle whose inclusion proof disagrees with its entry or
//! checkpoint is malformed and rejected, although the library alone would
//! ignore the proof's copies of those fields.

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
