//! Bundles minted by the private test instance, through the real binary with
//! the conformance protocol (`verify-bundle --bundle F --certificate-identity
//! ID --certificate-oidc-issuer URL --trusted-root ROOT sha256:HEX`): the
//! production path, with every check the trust root requires.

use cargo_verify_provenance::testkit::{
    Claims, Faults, Instance, Logged, MintRequest, MintedBundle, Tamper,
};

use crate::harness::{Run, TestDir};

const CHECKSUM: [u8; 32] = [0x3c; 32];

fn request(claims: Claims) -> MintRequest {
    MintRequest::new("tokio", "1.45.0", CHECKSUM, claims)
}

fn claims() -> Claims {
    Claims::github("tokio-rs/tokio", "1.45.0")
}

/// Write the bundle (and the instance's root) and run `verify-bundle`.
fn verify(
    dir: &TestDir,
    instance: &Instance,
    minted: &MintedBundle,
    identity: &str,
    trusted_root: bool,
    extra: &[&str],
) -> Run {
    let bundle = dir.write(minted.file_name(), minted.to_json());
    let root = dir.write("trusted_root.json", instance.trusted_root_json());
    let mut command = dir
        .command()
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(bundle)
        .args(["--certificate-identity", identity])
        .args(["--certificate-oidc-issuer", &minted.issuer])
        .args(extra);
    if trusted_root {
        command = command.arg("--trusted-root").arg(root);
    }
    command
        .arg(format!("sha256:{}", hex::encode(CHECKSUM)))
        .run()
}

#[test]
fn a_minted_bundle_verifies_through_the_binary() {
    let dir = TestDir::new();
    let instance = Instance::new(11);
    let minted = instance.mint(&request(claims()));
    let run = verify(&dir, &instance, &minted, &minted.identity, true, &[]).expect_code(0);
    assert!(run.stdout.starts_with("OK: "), "{}", run.stdout);

    let run = verify(
        &dir,
        &instance,
        &minted,
        &minted.identity,
        true,
        &["--format", "json"],
    )
    .expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let facts = &value["facts"];
    assert_eq!(
        facts["checks"],
        serde_json::json!([
            "bundle-format",
            "timestamp",
            "certificate-chain",
            "sct",
            "transparency-log",
            "signature",
            "subject",
            "issuer",
            "identity"
        ])
    );
    let claims = &facts["signer"]["claims"];
    assert_eq!(
        claims["source-repository-uri"],
        "https://github.com/tokio-rs/tokio"
    );
    assert_eq!(claims["source-repository-ref"], "refs/tags/v1.45.0");
    assert_eq!(
        facts["statement"]["subjects"][0]["name"],
        "pkg:cargo/tokio@1.45.0"
    );
}

#[test]
fn a_minted_bundle_fails_against_the_public_good_root() {
    let dir = TestDir::new();
    let instance = Instance::new(11);
    let minted = instance.mint(&request(claims()));
    let run = verify(&dir, &instance, &minted, &minted.identity, false, &[]).expect_code(1);
    assert!(
        run.stderr.starts_with("error: verification failed: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
}

#[test]
fn each_fault_fails_the_check_it_breaks() {
    let cases: Vec<(&str, Faults, &str)> = vec![
        (
            "wrong subject digest",
            Faults {
                subject_sha256: Some([0x01; 32]),
                ..Faults::default()
            },
            "subject digest check failed",
        ),
        (
            "logged after expiry",
            Faults {
                logged: Logged::AfterExpiry,
                ..Faults::default()
            },
            "certificate chain check failed",
        ),
        (
            "logged before validity",
            Faults {
                logged: Logged::BeforeValidity,
                ..Faults::default()
            },
            "certificate chain check failed",
        ),
        (
            "CA not in the trust root",
            Faults {
                untrusted_ca: true,
                ..Faults::default()
            },
            "certificate chain check failed",
        ),
        (
            "tampered entry body",
            Faults {
                tamper: Some(Tamper::LogEntryBody),
                ..Faults::default()
            },
            "transparency log check failed",
        ),
        (
            "tampered inclusion proof",
            Faults {
                tamper: Some(Tamper::InclusionProof),
                ..Faults::default()
            },
            "transparency log check failed",
        ),
        (
            "tampered checkpoint",
            Faults {
                tamper: Some(Tamper::CheckpointSignature),
                ..Faults::default()
            },
            "transparency log check failed",
        ),
        (
            "tampered integrated time",
            Faults {
                tamper: Some(Tamper::IntegratedTime),
                ..Faults::default()
            },
            "transparency log check failed",
        ),
    ];
    let dir = TestDir::new();
    let instance = Instance::new(11);
    for (what, faults, expected) in cases {
        let minted = instance.mint(&request(claims()).with_faults(faults));
        let run = verify(&dir, &instance, &minted, &minted.identity, true, &[]);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{what}: {}", run.stderr);
    }
}

#[test]
fn another_signer_fails_the_identity_an_honest_build_would_have() {
    let dir = TestDir::new();
    let instance = Instance::new(11);
    let honest = claims().identity();
    for (what, claims) in [
        (
            "another repository",
            claims().in_repository("tokio-rs-fork/tokio"),
        ),
        (
            "another workflow",
            claims().with_workflow(".github/workflows/ci.yml"),
        ),
        ("a branch", claims().on_branch("main")),
        (
            "a reusable workflow",
            claims().with_reusable_workflow(
                "slsa-framework/slsa-github-generator",
                ".github/workflows/builder.yml",
                "refs/tags/v2.1.0",
            ),
        ),
    ] {
        let minted = instance.mint(&request(claims));
        verify(&dir, &instance, &minted, &minted.identity, true, &[]).expect_code(0);
        let run = verify(&dir, &instance, &minted, &honest, true, &[]);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        assert!(
            run.stderr.contains("identity check failed"),
            "{what}: {}",
            run.stderr
        );
    }
}
