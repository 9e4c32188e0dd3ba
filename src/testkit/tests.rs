//! Minted bundles through the production verification path.

use super::*;
use crate::trust::{Instance as Public, TrustRoot};
use crate::verify::{self, ArtifactInput, Check, SignerCheck, VerifiedFacts, VerifyFailure};

const CHECKSUM: [u8; 32] = [0x5a; 32];

fn request(claims: Claims) -> MintRequest {
    MintRequest::new("serde", "1.0.219", CHECKSUM, claims)
}

fn default_claims() -> Claims {
    Claims::github("serde-rs/serde", "1.0.219")
}

fn verify_against(root: &TrustRoot, minted: &MintedBundle) -> Result<VerifiedFacts, VerifyFailure> {
    // Round-trip through JSON: what is verified is what a file would hold.
    let bundle = Bundle::from_json(&minted.to_json()).expect("a minted bundle parses");
    verify::verify_bundle(
        root,
        &bundle,
        &ArtifactInput::sha256(Sha256Hash::new(CHECKSUM)),
        &SignerCheck::Certificate {
            identity: Some(minted.identity.clone()),
            issuer: Some(minted.issuer.clone()),
        },
    )
}

fn facts(claims: Claims) -> VerifiedFacts {
    let instance = Instance::new(1);
    verify_against(&instance.trust_root(), &instance.mint(&request(claims))).expect("verifies")
}

/// Why a bundle minted by `instance` with `faults` fails verification.
fn failure_on(instance: Instance, faults: Faults) -> VerifyFailure {
    let minted = instance.mint(&request(default_claims()).with_faults(faults));
    verify_against(&instance.trust_root(), &minted).expect_err("must not verify")
}

fn failure(faults: Faults) -> VerifyFailure {
    failure_on(Instance::new(1), faults)
}

#[test]
fn a_minted_bundle_verifies_with_every_check() {
    let facts = facts(default_claims());
    assert_eq!(
        facts.checks,
        vec![
            Check::BundleFormat,
            Check::Timestamp,
            Check::CertificateChain,
            Check::Sct,
            Check::TransparencyLog,
            Check::Signature,
            Check::Subject,
            Check::Issuer,
            Check::CertificateClaims,
            Check::Identity,
        ]
    );
    assert_eq!(
        facts.media_type,
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let signer = facts.signer.as_ref().unwrap();
    assert_eq!(signer.issuer.as_deref(), Some(GITHUB_ACTIONS_ISSUER));
    assert_eq!(
        signer.identity.as_deref(),
        Some("https://github.com/serde-rs/serde/.github/workflows/release.yml@refs/tags/v1.0.219")
    );
    assert_eq!(signer.not_before + LEAF_VALIDITY, signer.not_after);
    let claims = &signer.claims;
    let expected = default_claims();
    assert_eq!(
        claims.source_repository_uri.as_deref(),
        Some("https://github.com/serde-rs/serde")
    );
    assert_eq!(
        claims.source_repository_identifier.as_ref(),
        Some(&expected.repository_id)
    );
    assert_eq!(
        claims.source_repository_owner_uri.as_deref(),
        Some("https://github.com/serde-rs")
    );
    assert_eq!(
        claims.source_repository_owner_identifier.as_ref(),
        Some(&expected.owner_id)
    );
    assert_eq!(
        claims.source_repository_ref.as_deref(),
        Some("refs/tags/v1.0.219")
    );
    assert_eq!(
        claims.source_repository_digest.as_ref(),
        Some(&expected.commit)
    );
    assert_eq!(claims.build_config_uri, claims.build_signer_uri);
    assert_eq!(claims.build_config_digest.as_ref(), Some(&expected.commit));
    assert_eq!(claims.build_signer_digest.as_ref(), Some(&expected.commit));
    assert_eq!(claims.build_trigger.as_deref(), Some("push"));
    assert_eq!(claims.runner_environment.as_deref(), Some("github-hosted"));
    assert_eq!(
        claims.source_repository_visibility_at_signing.as_deref(),
        Some("public")
    );
    assert_eq!(
        claims.run_invocation_uri,
        Some(expected.run_invocation_uri())
    );
    let statement = facts.statement.as_ref().unwrap();
    assert_eq!(statement.predicate_type, SLSA_PROVENANCE_V1);
    assert_eq!(statement.subjects[0].name, "pkg:cargo/serde@1.0.219");
    assert_eq!(
        statement.subjects[0].digest["sha256"],
        hex::encode(CHECKSUM)
    );
    assert_eq!(facts.log_entries.len(), 1);
    assert_eq!(facts.log_entries[0].kind, "dsse/0.0.1");
    assert_eq!(facts.log_entries[0].log_index, PRIOR_LOG_ENTRIES);
    let signed_at = facts.signed_at().unwrap();
    assert!(signed_at > signer.not_before && signed_at < signer.not_after);
}

#[test]
fn minted_bundles_fail_against_the_public_good_root() {
    let instance = Instance::new(1);
    let minted = instance.mint(&request(default_claims()));
    let public_good = TrustRoot::embedded(Public::PublicGood).unwrap();
    let failure = verify_against(&public_good, &minted).unwrap_err();
    // The SET is checked first, against the public-good log keys.
    assert!(
        matches!(
            failure.check,
            Check::TransparencyLog | Check::CertificateChain
        ),
        "{failure}"
    );
    // With another seed, the instance is another Sigstore: nothing verifies across.
    let other = Instance::new(2);
    assert!(verify_against(&other.trust_root(), &minted).is_err());
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let requests: Vec<MintRequest> = (0..3)
        .map(|i| {
            MintRequest::new(
                &format!("crate{i}"),
                "0.1.0",
                [i as u8; 32],
                Claims::github("o/r", "0.1.0"),
            )
        })
        .collect();
    let first: Vec<String> = Instance::new(9)
        .mint_batch(&requests)
        .iter()
        .map(MintedBundle::to_json)
        .collect();
    let second: Vec<String> = Instance::new(9)
        .mint_batch(&requests)
        .iter()
        .map(MintedBundle::to_json)
        .collect();
    assert_eq!(first, second);
    assert_eq!(
        Instance::new(9).trusted_root_json(),
        Instance::new(9).trusted_root_json()
    );
    let other: Vec<String> = Instance::new(10)
        .mint_batch(&requests)
        .iter()
        .map(MintedBundle::to_json)
        .collect();
    assert_ne!(first, other);
    assert_ne!(
        Instance::new(9).trusted_root_json(),
        Instance::new(10).trusted_root_json()
    );
}

#[test]
fn a_batch_shares_one_tree_and_checkpoint_and_every_bundle_verifies() {
    let instance = Instance::new(4);
    let root = instance.trust_root();
    let requests: Vec<MintRequest> = (0..70u8)
        .map(|i| {
            MintRequest::new(
                &format!("c{i}"),
                "1.0.0",
                [i; 32],
                Claims::github("o/r", "1.0.0"),
            )
        })
        .collect();
    let minted = instance.mint_batch(&requests);
    assert_eq!(minted.len(), requests.len());
    let checkpoints: std::collections::BTreeSet<&str> = minted
        .iter()
        .map(|m| {
            m.bundle.verification_material.tlog_entries[0]
                .inclusion_proof
                .as_ref()
                .unwrap()
                .checkpoint
                .envelope()
        })
        .collect();
    assert_eq!(checkpoints.len(), 1);
    for (i, (request, minted)) in requests.iter().zip(&minted).enumerate() {
        let facts = verify::verify_bundle(
            &root,
            &minted.bundle,
            &ArtifactInput::sha256(Sha256Hash::new(request.sha256)),
            &SignerCheck::Certificate {
                identity: Some(minted.identity.clone()),
                issuer: Some(minted.issuer.clone()),
            },
        )
        .unwrap_or_else(|e| panic!("bundle {i}: {e}"));
        assert_eq!(facts.log_entries[0].log_index, i as u64 + PRIOR_LOG_ENTRIES);
        assert_eq!(
            facts.statement.unwrap().subjects[0].name,
            format!("pkg:cargo/c{i}@1.0.0")
        );
    }
}

#[test]
fn a_wrong_subject_digest_fails_the_subject_check() {
    let failure = failure(Faults {
        subject_sha256: Some([0x11; 32]),
        ..Faults::default()
    });
    assert_eq!(failure.check, Check::Subject, "{failure}");
    assert!(
        failure.message.contains("does not match any subject"),
        "{failure}"
    );
}

#[test]
fn a_certificate_used_outside_its_validity_fails_the_chain_check() {
    for (logged, reason) in [
        (Logged::AfterExpiry, "CertExpired"),
        (Logged::BeforeValidity, "CertNotValidYet"),
    ] {
        let failure = failure(Faults {
            logged,
            ..Faults::default()
        });
        assert_eq!(
            failure.check,
            Check::CertificateChain,
            "{logged:?}: {failure}"
        );
        assert!(failure.message.contains(reason), "{logged:?}: {failure}");
    }
}

#[test]
fn a_ca_outside_the_trust_root_fails_the_chain_check() {
    let failure = failure(Faults {
        untrusted_ca: true,
        ..Faults::default()
    });
    assert_eq!(failure.check, Check::CertificateChain, "{failure}");
    assert!(
        failure.message.contains("InvalidSignatureForPublicKey"),
        "{failure}"
    );
}

#[test]
fn tampered_log_material_fails_the_transparency_log_check() {
    for (tamper, reason) in [
        (Tamper::LogEntryBody, "SET verification failed"),
        (
            Tamper::InclusionProof,
            "inclusion proof verification failed",
        ),
        (Tamper::CheckpointSignature, "checkpoint"),
        (Tamper::IntegratedTime, "SET verification failed"),
    ] {
        let failure = failure(Faults {
            tamper: Some(tamper),
            ..Faults::default()
        });
        assert_eq!(
            failure.check,
            Check::TransparencyLog,
            "{tamper:?}: {failure}"
        );
        assert!(failure.message.contains(reason), "{tamper:?}: {failure}");
    }
}

#[test]
fn claim_knobs_show_up_as_the_claims_that_differ() {
    let base = facts(default_claims()).signer.unwrap().claims;
    let claims_of = |claims: Claims| facts(claims).signer.unwrap().claims;

    let moved = claims_of(default_claims().in_repository("evil-fork/serde"));
    assert_eq!(
        moved.source_repository_uri.as_deref(),
        Some("https://github.com/evil-fork/serde")
    );
    assert_ne!(
        moved.source_repository_identifier,
        base.source_repository_identifier
    );
    assert_ne!(
        moved.source_repository_owner_identifier,
        base.source_repository_owner_identifier
    );

    let workflow = claims_of(default_claims().with_workflow(".github/workflows/ci.yml"));
    assert_eq!(
        workflow.build_config_uri.as_deref(),
        Some("https://github.com/serde-rs/serde/.github/workflows/ci.yml@refs/tags/v1.0.219")
    );

    let reusable = claims_of(default_claims().with_reusable_workflow(
        "slsa-framework/slsa-github-generator",
        ".github/workflows/builder.yml",
        "refs/tags/v2.1.0",
    ));
    assert_eq!(reusable.build_config_uri, base.build_config_uri);
    assert_eq!(
        reusable.build_signer_uri.as_deref(),
        Some("https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder.yml@refs/tags/v2.1.0")
    );
    assert_ne!(reusable.build_signer_digest, base.build_signer_digest);

    let pull_request = claims_of(default_claims().with_trigger("pull_request"));
    assert_eq!(pull_request.build_trigger.as_deref(), Some("pull_request"));

    let branch = claims_of(default_claims().on_branch("main"));
    assert_eq!(
        branch.source_repository_ref.as_deref(),
        Some("refs/heads/main")
    );
    assert!(branch
        .build_config_uri
        .unwrap()
        .ends_with("@refs/heads/main"));

    let self_hosted = claims_of(default_claims().self_hosted());
    assert_eq!(
        self_hosted.runner_environment.as_deref(),
        Some("self-hosted")
    );

    let private = claims_of(default_claims().private());
    assert_eq!(
        private.source_repository_visibility_at_signing.as_deref(),
        Some("private")
    );
}

#[test]
fn leaf_certificates_are_shaped_like_fulcio_ones() {
    use der::Decode;
    let instance = Instance::new(1);
    let minted = instance.mint(&request(default_claims()));
    let der = minted.bundle.signing_certificate().unwrap();
    let certificate = x509_cert::Certificate::from_der(der.as_bytes()).unwrap();
    let tbs = &certificate.tbs_certificate;
    assert!(
        tbs.subject.0.is_empty(),
        "Fulcio leaves have an empty subject"
    );
    let extensions: Vec<(String, bool)> = tbs
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| (e.extn_id.to_string(), e.critical))
        .collect();
    let critical: Vec<&str> = extensions
        .iter()
        .filter(|(_, critical)| *critical)
        .map(|(oid, _)| oid.as_str())
        .collect();
    // Key usage and the SAN (the subject is empty); nothing else.
    assert_eq!(critical, ["2.5.29.15", "2.5.29.17"]);
    let fulcio: Vec<&str> = extensions
        .iter()
        .filter_map(|(oid, _)| oid.strip_prefix("1.3.6.1.4.1.57264.1."))
        .collect();
    assert_eq!(
        fulcio,
        [
            "1", "2", "3", "4", "5", "6", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17",
            "18", "19", "20", "21", "22", "24"
        ]
    );
    // The embedded SCT list comes last, so the precertificate is the rest.
    assert_eq!(extensions.last().unwrap().0, "1.3.6.1.4.1.11129.2.4.2");
    let validity =
        tbs.validity.not_after.to_unix_duration() - tbs.validity.not_before.to_unix_duration();
    assert_eq!(validity.as_secs(), 600);
}

fn github_failure(faults: Faults) -> VerifyFailure {
    failure_on(Instance::github(1), faults)
}

#[test]
fn a_github_like_bundle_verifies_through_its_timestamp() {
    let instance = Instance::github(1);
    let root = instance.trust_root();
    assert!(!root.requirements.transparency_log && !root.requirements.sct);
    let minted = instance.mint(&request(default_claims()));
    let material = &minted.bundle.verification_material;
    assert!(material.tlog_entries.is_empty());
    assert_eq!(
        material
            .timestamp_verification_data
            .rfc3161_timestamps
            .len(),
        1
    );
    let facts = verify_against(&root, &minted).unwrap();
    assert_eq!(
        facts.checks,
        vec![
            Check::BundleFormat,
            Check::Timestamp,
            Check::CertificateChain,
            Check::Signature,
            Check::Subject,
            Check::Issuer,
            Check::CertificateClaims,
            Check::Identity,
        ]
    );
    let signer = facts.signer.as_ref().unwrap();
    let signed_at = facts.signed_at().unwrap();
    assert!(signed_at > signer.not_before && signed_at < signer.not_after);
    assert_eq!(
        signer.claims.source_repository_uri.as_deref(),
        Some("https://github.com/serde-rs/serde")
    );

    // Neither the public-good-like instance of the same seed, nor GitHub's
    // real instance, accepts it; nor does its root accept public-good-like bundles.
    assert!(verify_against(&Instance::new(1).trust_root(), &minted).is_err());
    let github = TrustRoot::embedded(Public::GitHub).unwrap();
    let failure = verify_against(&github, &minted).unwrap_err();
    assert!(
        matches!(failure.check, Check::Timestamp | Check::CertificateChain),
        "{failure}"
    );
    let public_good_like = Instance::new(1).mint(&request(default_claims()));
    assert!(verify_against(&root, &public_good_like).is_err());
}

#[test]
fn github_like_faults_fail_the_check_they_break() {
    let failure = github_failure(Faults {
        tamper: Some(Tamper::Timestamp),
        ..Faults::default()
    });
    assert_eq!(failure.check, Check::Timestamp, "{failure}");
    let failure = github_failure(Faults {
        logged: Logged::AfterExpiry,
        ..Faults::default()
    });
    assert_eq!(failure.check, Check::CertificateChain, "{failure}");
    assert!(failure.message.contains("CertExpired"), "{failure}");
    let failure = github_failure(Faults {
        untrusted_ca: true,
        ..Faults::default()
    });
    assert_eq!(failure.check, Check::CertificateChain, "{failure}");
    let failure = github_failure(Faults {
        subject_sha256: Some([0x22; 32]),
        ..Faults::default()
    });
    assert_eq!(failure.check, Check::Subject, "{failure}");
}

#[test]
#[should_panic(expected = "needs an instance of kind PublicGood")]
fn tampering_with_a_log_an_instance_lacks_is_a_test_mistake() {
    Instance::github(1).mint(&request(default_claims()).with_faults(Faults {
        tamper: Some(Tamper::InclusionProof),
        ..Faults::default()
    }));
}
