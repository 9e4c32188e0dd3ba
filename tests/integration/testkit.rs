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
            "certificate-claims",
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
        run.stderr
            .starts_with("error[bundle-rejected]: verification failed: "),
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

/// The committed demo, under `examples/demo/`.
fn demo_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

#[test]
fn the_demo_regenerates_byte_for_byte() {
    use cargo_verify_provenance::testkit::demo::write_demo;
    let dir = TestDir::new();
    let written = write_demo(dir.path()).unwrap();
    let mut stale = Vec::new();
    for relative in &written {
        let fresh = std::fs::read(dir.join(relative)).unwrap();
        let committed = std::fs::read(demo_dir().join(relative)).unwrap_or_default();
        if fresh != committed {
            stale.push(relative.display().to_string());
        }
    }
    // No bundle is committed that the generator does not make.
    for entry in std::fs::read_dir(demo_dir().join("bundles")).unwrap() {
        let relative = std::path::Path::new("bundles").join(entry.unwrap().file_name());
        if !written.contains(&relative) {
            stale.push(format!("{} (not generated)", relative.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "examples/demo is out of date; run `cargo run --features testkit --example gen-demo`: {stale:?}"
    );
}

#[test]
fn every_demo_bundle_verifies_through_the_binary() {
    use cargo_verify_provenance::lockfile::Inventory;
    use cargo_verify_provenance::testkit::demo::{DemoCase, DEMO_PACKAGES};
    let demo = demo_dir();
    let inventory = Inventory::from_lockfile(&demo.join("Cargo.lock")).unwrap();
    let registry: Vec<_> = inventory
        .dependencies()
        .filter(|p| p.checksum.is_some())
        .collect();
    assert_eq!(registry.len(), DEMO_PACKAGES.len());
    assert!(registry.len() >= 30);
    let dir = TestDir::new();
    let mut missing = 0;
    for package in &registry {
        let entry = DEMO_PACKAGES
            .iter()
            .find(|p| p.name == package.name && p.version == package.version.to_string())
            .expect("every locked package is in the demo table");
        let bundle = demo.join(format!(
            "bundles/{}-{}.sigstore.json",
            package.name, package.version
        ));
        let Some(claims) = entry.claims() else {
            assert!(!bundle.exists(), "{}: no bundle expected", package.name);
            missing += 1;
            continue;
        };
        let run = dir
            .command()
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(&bundle)
            .args(["--certificate-identity", &claims.identity()])
            .args(["--certificate-oidc-issuer", &claims.issuer])
            .arg("--trusted-root")
            .arg(demo.join("trusted_root.json"))
            .args(["--format", "json"])
            .arg(format!("sha256:{}", package.checksum.unwrap().to_hex()))
            .run();
        assert_eq!(run.code, 0, "{}: {}", package.name, run.stderr);
        let facts: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let facts = &facts["facts"];
        let expected_repository = match entry.case {
            DemoCase::BuiltIn(repository) => repository,
            _ => entry.repository,
        };
        assert_eq!(
            facts["signer"]["claims"]["source-repository-uri"],
            format!("https://github.com/{expected_repository}")
        );
        let runner = if entry.case == DemoCase::SelfHosted {
            "self-hosted"
        } else {
            "github-hosted"
        };
        assert_eq!(facts["signer"]["claims"]["runner-environment"], runner);
    }
    assert!(missing >= 2, "the demo has packages without a bundle");
}

#[test]
fn the_demo_policies_pin_what_the_demo_bundles_claim() {
    use cargo_verify_provenance::testkit::demo::{DemoCase, DEMO_PACKAGES};
    for file in ["provenance.toml", "provenance-strict.toml"] {
        let text = std::fs::read_to_string(demo_dir().join(file)).unwrap();
        let policy: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(
            policy["trust"]["roots"][0].as_str(),
            Some("trusted_root.json"),
            "{file}"
        );
        assert_eq!(policy["source"][0]["kind"].as_str(), Some("dir"), "{file}");
        assert_eq!(
            policy["source"][0]["path"].as_str(),
            Some("bundles"),
            "{file}"
        );
        let honest = |name: &str| {
            DEMO_PACKAGES
                .iter()
                .find(|p| p.name == name)
                .filter(|p| matches!(p.case, DemoCase::Attested))
                .and_then(|p| p.claims())
        };
        for owner in policy
            .get("owner")
            .and_then(|o| o.as_array())
            .into_iter()
            .flatten()
        {
            for name in owner["packages"].as_array().unwrap() {
                let claims = honest(name.as_str().unwrap()).expect("an attested demo package");
                assert_eq!(
                    owner["owner-id"].as_str(),
                    Some(claims.owner_id.as_str()),
                    "{file}: {name}"
                );
                assert_eq!(
                    owner["owner"].as_str(),
                    Some(claims.owner_uri().as_str()),
                    "{file}: {name}"
                );
            }
        }
        for rule in policy["package"].as_array().unwrap() {
            let name = rule["name"].as_str().unwrap();
            let Some(id) = rule.get("repository-id") else {
                continue;
            };
            let prefix = name.trim_end_matches('*');
            let pinned: Vec<_> = DEMO_PACKAGES
                .iter()
                .filter(|p| p.name.starts_with(prefix))
                .collect();
            assert!(!pinned.is_empty(), "{file}: {name}");
            for package in pinned {
                let claims = honest(package.name).unwrap();
                assert_eq!(
                    id.as_str(),
                    Some(claims.repository_id.as_str()),
                    "{file}: {name}"
                );
            }
        }
    }
}

/// The outcome of every demo package under one of its policies: the demo
/// bundles verified against the demo root, evaluated by the policy engine.
/// Returns the outcome and failed requirements by package, and the exit code.
fn demo_outcomes(
    policy_file: &str,
) -> (
    std::collections::BTreeMap<String, (String, Vec<String>)>,
    i32,
) {
    use cargo_verify_provenance::evaluate::{evaluate, Outcome};
    use cargo_verify_provenance::evidence::{Attestation, BundleOrigin, Evidence};
    use cargo_verify_provenance::lockfile::Inventory;
    use cargo_verify_provenance::policy::Policy;
    use cargo_verify_provenance::trust::TrustRoot;
    use cargo_verify_provenance::verify::{self, ArtifactInput, SignerCheck};

    let demo = demo_dir();
    // After ring's strict exemption ended (2026-06-30), before the others end.
    let now: jiff::Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
    let policy = Policy::load(&demo.join(policy_file), now).unwrap();
    let root = TrustRoot::from_file(&demo.join("trusted_root.json")).unwrap();
    let inventory = Inventory::from_lockfile(&demo.join("Cargo.lock")).unwrap();
    let evidence: Vec<Evidence> = inventory
        .packages
        .iter()
        .map(|package| {
            let mut evidence = Evidence::default();
            let file = demo.join(format!(
                "bundles/{}-{}.sigstore.json",
                package.name, package.version
            ));
            if let (Some(checksum), Ok(json)) = (package.checksum, std::fs::read_to_string(&file)) {
                let bundle = sigstore_types::Bundle::from_json(&json).unwrap();
                let facts = verify::verify_bundle(
                    &root,
                    &bundle,
                    &ArtifactInput::sha256(checksum),
                    &SignerCheck::Certificate {
                        identity: None,
                        issuer: None,
                    },
                )
                .unwrap_or_else(|e| panic!("{}: {e}", package.name));
                evidence.attestations.push(Attestation {
                    origin: BundleOrigin {
                        source: "dir:bundles".into(),
                        location: file.display().to_string(),
                    },
                    digest: sigstore_verify::crypto::sha256(json.as_bytes()).to_hex(),
                    facts,
                });
            }
            evidence
        })
        .collect();
    let evaluation = evaluate(&policy, inventory.packages.iter().zip(&evidence), now);
    let outcomes = evaluation
        .outcomes
        .iter()
        .map(|o| {
            let failures = match &o.outcome {
                Outcome::Violation { failures } => {
                    failures.iter().map(|f| f.requirement.to_string()).collect()
                }
                _ => Vec::new(),
            };
            (o.name.clone(), (o.outcome.name().to_string(), failures))
        })
        .collect();
    (outcomes, evaluation.exit_code())
}

#[test]
fn the_demo_policy_passes_with_packages_without_provenance_and_exempt() {
    let (outcomes, exit_code) = demo_outcomes("provenance.toml");
    assert_eq!(exit_code, 0);
    let of = |name: &str| outcomes[name].0.as_str();
    assert_eq!(of("demo-app"), "pass");
    for name in ["libc", "once_cell"] {
        assert_eq!(of(name), "no-provenance", "{name}");
    }
    for name in ["hex", "ring"] {
        assert_eq!(of(name), "exempt", "{name}");
    }
    let others: Vec<_> = outcomes
        .iter()
        .filter(|(name, _)| {
            !["demo-app", "libc", "once_cell", "hex", "ring"].contains(&name.as_str())
        })
        .collect();
    assert_eq!(others.len(), 42);
    for (name, (outcome, failures)) in others {
        assert_eq!(outcome, "pass", "{name}: {failures:?}");
    }
}

#[test]
fn the_strict_demo_policy_shows_each_violation() {
    let (outcomes, exit_code) = demo_outcomes("provenance-strict.toml");
    assert_eq!(exit_code, 1);
    let violation = |name: &str| {
        let (outcome, failures) = &outcomes[name];
        assert_eq!(outcome, "violation", "{name}");
        failures.clone()
    };
    let smallvec = violation("smallvec");
    assert!(smallvec.contains(&"repository".to_string()), "{smallvec:?}");
    assert_eq!(violation("aws-lc-rs"), vec!["runner".to_string()]);
    assert_eq!(violation("libc"), vec!["require".to_string()]);
    assert_eq!(violation("once_cell"), vec!["require".to_string()]);
    assert!(violation("ring").contains(&"exemption-expired".to_string()));
    assert_eq!(outcomes["hex"].0, "exempt");
    let violations = outcomes.values().filter(|(o, _)| o == "violation").count();
    assert_eq!(violations, 5);
    let passes = outcomes.values().filter(|(o, _)| o == "pass").count();
    assert_eq!(passes, outcomes.len() - 6);
}

#[test]
fn the_demo_runs_end_to_end_through_the_binary_with_no_network() {
    let dir = TestDir::new();
    let demo = demo_dir();
    let run_policy = |policy: &str| {
        let run = dir
            .command()
            .arg("--lockfile")
            .arg(demo.join("Cargo.lock"))
            .arg("--policy")
            .arg(demo.join(policy))
            .args(["--offline", "--message-format", "json", "--color", "never"])
            .args(["--now", "2026-12-01T00:00:00Z"])
            .run();
        let lines: Vec<serde_json::Value> = run
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let summary = lines.last().cloned().unwrap();
        assert_eq!(summary["reason"], "summary", "{}", run.stdout);
        let outcome = |name: &str| {
            lines
                .iter()
                .find(|l| l["name"] == name)
                .map(|l| l["outcome"].as_str().unwrap().to_string())
                .unwrap()
        };
        (run.code, summary, outcome("smallvec"), outcome("libc"))
    };

    let (code, summary, smallvec, libc) = run_policy("provenance.toml");
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["verified"], 42);
    assert_eq!(summary["no_provenance"], 2);
    assert_eq!(summary["not_checked"], 0);
    assert_eq!(summary["exempt"], 2);
    assert_eq!(summary["violations"], 0);
    assert_eq!(
        (smallvec.as_str(), libc.as_str()),
        ("pass", "no-provenance")
    );

    let (code, summary, smallvec, libc) = run_policy("provenance-strict.toml");
    assert_eq!(code, 1, "{summary}");
    assert_eq!(summary["verified"], 40);
    assert_eq!(summary["violations"], 5);
    assert_eq!(summary["rejected_bundles"], 0);
    assert_eq!(
        (smallvec.as_str(), libc.as_str()),
        ("violation", "violation")
    );
}

#[test]
fn a_generated_workload_passes_its_own_policy_end_to_end() {
    use cargo_verify_provenance::testkit::files::write_workload;
    let dir = TestDir::new();
    write_workload(&dir.join("workload"), 60).unwrap();
    let run = dir
        .command()
        .args(["--lockfile", "workload/Cargo.lock"])
        .args(["--policy", "workload/provenance.toml"])
        .args(["--offline", "--message-format", "json"])
        .run()
        .expect_code(0);
    let summary: serde_json::Value =
        serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["verified"], 60, "{summary}");
    assert_eq!(summary["packages"], 61, "{summary}");
    assert_eq!(summary["other_pass"], 1, "the root package: {summary}");
    for count in [
        "violations",
        "no_provenance",
        "not_checked",
        "errors",
        "exempt",
    ] {
        assert_eq!(summary[count], 0, "{count}: {summary}");
    }
}

#[test]
fn a_github_like_bundle_verifies_through_the_binary_by_its_timestamp() {
    let dir = TestDir::new();
    let instance = Instance::github(12);
    let minted = instance.mint(&request(claims()));
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
    assert_eq!(
        value["facts"]["checks"],
        serde_json::json!([
            "bundle-format",
            "timestamp",
            "certificate-chain",
            "signature",
            "subject",
            "issuer",
            "certificate-claims",
            "identity"
        ])
    );
    assert_eq!(value["facts"]["log_entries"], serde_json::json!([]));

    let tampered = instance.mint(&request(claims()).with_faults(Faults {
        tamper: Some(Tamper::Timestamp),
        ..Faults::default()
    }));
    let run = verify(&dir, &instance, &tampered, &tampered.identity, true, &[]).expect_code(1);
    run.assert_stderr("timestamp check failed");
}
