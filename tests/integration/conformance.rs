//! The sigstore-conformance `bundle-verify` suite, driven the way its harness
//! drives a client: every case twice, with the artifact path and with
//! `sha256:<hex>`. A case whose folder ends in `_fail` must exit non-zero.

use crate::fixtures::{conformance_cases, real_fixtures, sha256_of, ConformanceCase};
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

#[test]
fn every_conformance_case_in_both_forms() {
    let Some(root) = real_fixtures("every_conformance_case_in_both_forms") else {
        return;
    };
    let cases = conformance_cases(&root);
    assert_eq!(cases.len(), 70, "the suite has 70 cases");
    let dir = TestDir::new();
    let mut wrong = Vec::new();
    let mut runs = 0;
    for case in &cases {
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
                        reason.starts_with("error: verification failed: "),
                        "{reason}"
                    );
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

#[test]
fn failing_cases_name_the_check_that_failed() {
    let Some(root) = real_fixtures("failing_cases_name_the_check_that_failed") else {
        return;
    };
    // A sample across categories: the reason names the check.
    let expectations = [
        ("dsse-invalid-sig_fail", "signature check failed"),
        (
            "inclusion-proof-corrupted-hash_fail",
            "transparency log check failed",
        ),
        (
            "intoto-expired-certificate_fail",
            "certificate chain check failed",
        ),
        (
            "rekor2-timestamp-payload-mismatch_fail",
            "timestamp check failed",
        ),
        ("invalid-ct-key_fail", "(SCT) check failed"),
    ];
    let dir = TestDir::new();
    let cases = conformance_cases(&root);
    for (name, needle) in expectations {
        let case = cases.iter().find(|c| c.name == name).expect(name);
        let run = run_case(&dir, case, &sha256_of(&case.artifact)).expect_code(1);
        assert!(run.stderr.contains(needle), "{name}: {}", run.stderr);
    }
}
