//! The policy parser and validator never panic, every diagnostic they make
//! renders, and a policy that parses is evaluated over a fixed set of
//! packages (with evidence verified from minted bundles) without panicking
//! and without ever passing what no policy may pass: a package whose bundle
//! failed verification, or one with no evidence at all that the policy
//! requires evidence for.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use cargo_verify_provenance::evaluate::{evaluate, Outcome, Requirement};
use cargo_verify_provenance::evidence::{
    Attestation, BundleOrigin, Evidence, FailureKind, RegistryAssertion, Rejected, SourceError,
};
use cargo_verify_provenance::lockfile::{BuildTime, Package, PackageSource};
use cargo_verify_provenance::policy::Policy;
use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use cargo_verify_provenance::verify::{self, ArtifactInput, Check, SignerCheck, VerifyFailure};
use libfuzzer_sys::fuzz_target;
use sigstore_types::Sha256Hash;

fn now() -> jiff::Timestamp {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

fn package(name: &str, version: &str, source: PackageSource, checksum: Option<u8>) -> Package {
    Package {
        name: name.into(),
        version: version.parse().unwrap(),
        source,
        checksum: checksum.map(|b| Sha256Hash::new([b; 32])),
        workspace_member: false,
        repository: None,
        line: 1,
        // Varied, so that `build-time` and `direct` selectors match some.
        build_time: (name != "nothing").then_some(BuildTime {
            proc_macro: name.len() % 2 == 0,
            build_script: name == "libc",
        }),
        direct: name.len() % 3 == 0,
        out_of_scope: None,
        dev_only: name.len() % 5 == 0,
    }
}

fn origin(location: &str) -> BundleOrigin {
    BundleOrigin {
        source: "dir:bundles".into(),
        location: location.into(),
    }
}

/// The packages and what was found for each, in a fixed order:
/// 0 serde, 1 tokio, 2 libc (attested, with different claims), 3 rand
/// (registry-asserted), 4 evil (a bundle that failed verification),
/// 5 flaky (a source failed), 6 nothing (no evidence), 7 a git and 8 a path
/// dependency, 9 a workspace member, 10 a registry package without checksum.
fn packages() -> &'static [(Package, Evidence)] {
    static PACKAGES: OnceLock<Vec<(Package, Evidence)>> = OnceLock::new();
    PACKAGES.get_or_init(|| {
        let instance = Instance::new(97);
        let root = instance.trust_root();
        let requests = [
            MintRequest::new(
                "serde",
                "1.0.219",
                [1; 32],
                Claims::github("serde-rs/serde", "1.0.219"),
            ),
            MintRequest::new(
                "tokio",
                "1.45.0",
                [2; 32],
                Claims::github("tokio-rs/tokio", "1.45.0").with_reusable_workflow(
                    "slsa-framework/slsa-github-generator",
                    ".github/workflows/builder.yml",
                    "refs/tags/v2.1.0",
                ),
            ),
            MintRequest::new(
                "libc",
                "0.2.170",
                [3; 32],
                Claims::github("rust-lang/libc", "0.2.170")
                    .on_branch("main")
                    .with_trigger("push")
                    .self_hosted()
                    .private(),
            ),
        ];
        let attested = instance
            .mint_batch(&requests)
            .into_iter()
            .zip(&requests)
            .map(|(minted, request)| {
                let facts = verify::verify_bundle(
                    &root,
                    &minted.bundle,
                    &ArtifactInput::sha256(Sha256Hash::new(request.sha256)),
                    &SignerCheck::Certificate {
                        identity: None,
                        issuer: None,
                    },
                )
                .expect("a minted bundle verifies");
                let evidence = Evidence {
                    attestations: vec![Attestation {
                        origin: origin(&minted.file_name()),
                        digest: "0".repeat(64),
                        facts,
                    }],
                    ..Evidence::default()
                };
                (
                    package(
                        &request.name,
                        &request.version,
                        PackageSource::CratesIo,
                        Some(request.sha256[0]),
                    ),
                    evidence,
                )
            });
        let mut all: Vec<(Package, Evidence)> = attested.collect();
        all.push((
            package("rand", "0.8.5", PackageSource::CratesIo, Some(4)),
            Evidence {
                registry: Some(RegistryAssertion {
                    registry: "crates.io".into(),
                    provider: "github".into(),
                    repository: "https://github.com/rust-random/rand".into(),
                    sha: None,
                    run_id: None,
                    trustpub_only: None,
                }),
                ..Evidence::default()
            },
        ));
        all.push((
            package("evil", "0.1.0", PackageSource::CratesIo, Some(5)),
            Evidence {
                rejected: vec![Rejected {
                    origin: origin("evil-0.1.0.sigstore.json"),
                    digest: "1".repeat(64),
                    failure: VerifyFailure::new(Check::Signature, "signature does not verify"),
                }],
                ..Evidence::default()
            },
        ));
        all.push((
            package("flaky", "1.0.0", PackageSource::CratesIo, Some(6)),
            Evidence {
                errors: vec![SourceError {
                    source: "github".into(),
                    message: "connection refused".into(),
                    kind: FailureKind::ConnectionRefused,
                    host: Some("api.github.com".into()),
                }],
                ..Evidence::default()
            },
        ));
        all.push((
            package("nothing", "2.0.0", PackageSource::CratesIo, Some(7)),
            Evidence::default(),
        ));
        all.push((
            package(
                "gitdep",
                "0.1.0",
                PackageSource::Git {
                    url: "https://github.com/acme/gitdep".into(),
                    rev: Some("1".repeat(40)),
                },
                None,
            ),
            Evidence::default(),
        ));
        all.push((
            package("local", "0.1.0", PackageSource::Path, None),
            Evidence::default(),
        ));
        let mut member = package("app", "0.1.0", PackageSource::Path, None);
        member.workspace_member = true;
        all.push((member, Evidence::default()));
        all.push((
            package("nochecksum", "1.0.0", PackageSource::CratesIo, None),
            Evidence::default(),
        ));
        all
    })
}

fn render(diagnostic: &dyn miette::Diagnostic) {
    let mut out = String::new();
    let _ = miette::GraphicalReportHandler::new().render_report(&mut out, diagnostic);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = match Policy::parse(
        text,
        "provenance.toml",
        Path::new("/nonexistent-fuzz"),
        now(),
    ) {
        Ok(policy) => policy,
        Err(invalid) => {
            assert!(
                invalid.problems.iter().any(|p| p.is_error()),
                "refused without an error"
            );
            render(&invalid);
            return;
        }
    };
    for warning in &policy.warnings {
        render(warning);
    }
    let packages = packages();
    for (package, _) in packages {
        let traits = cargo_verify_provenance::policy::Traits::of(package);
        let _ = policy.expected_repository(&package.name, &package.version, traits);
    }
    let evaluation = evaluate(&policy, packages.iter().map(|(p, e)| (p, e)), now());
    assert_eq!(evaluation.outcomes.len(), packages.len());
    for warning in &evaluation.warnings {
        render(warning);
    }
    for ((package, evidence), outcome) in packages.iter().zip(&evaluation.outcomes) {
        assert_eq!(outcome.name, package.name);
        match &outcome.outcome {
            Outcome::Pass {
                bundle: Some(bundle),
            } => assert!(
                evidence.attestations.iter().any(|a| &a.origin == bundle),
                "{} passed on a bundle it does not have",
                package.name
            ),
            Outcome::Pass { bundle: None } => {}
            _ => {}
        }
    }
    let outcome = |name: &str| {
        &evaluation
            .outcomes
            .iter()
            .find(|o| o.name == name)
            .expect("every package has an outcome")
            .outcome
    };
    // Nothing waives a bundle that failed verification, in any mode.
    match outcome("evil") {
        Outcome::Violation { failures } => assert!(failures
            .iter()
            .any(|f| f.requirement == Requirement::BundleVerification)),
        other => panic!("a rejected bundle gave {other:?}"),
    }
    assert_eq!(evaluation.exit_code(), 1);
    // A workspace member needs nothing; packages without any evidence never pass.
    assert!(matches!(outcome("app"), Outcome::Pass { bundle: None }));
    for name in ["flaky", "nothing", "nochecksum"] {
        assert!(
            !matches!(outcome(name), Outcome::Pass { .. }),
            "{name} passed with no evidence"
        );
    }
});
