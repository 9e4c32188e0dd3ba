//! `policy check` through the binary, policy discovery, and every file in
//! `policy-examples/`.

use std::path::{Path, PathBuf};

use cargo_verify_provenance::evaluate::{evaluate, Outcome, Requirement};
use cargo_verify_provenance::evidence::Evidence;
use cargo_verify_provenance::lockfile::{Package, PackageSource};
use cargo_verify_provenance::policy::{Mode, Policy, RuleKind};

use crate::harness::TestDir;

const NOW: &str = "2026-06-01T00:00:00Z";

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policy-examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("policy-examples/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policy-examples")
        .join(name);
    Policy::load(&path, NOW.parse().unwrap()).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

fn package(name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.parse().unwrap(),
        source: PackageSource::CratesIo,
        checksum: Some(sigstore_types::Sha256Hash::from_hex(&"cd".repeat(32)).unwrap()),
        workspace_member: false,
        repository: None,
        line: 1,
        build_time: None,
        direct: false,
        out_of_scope: None,
        dev_only: false,
    }
}

#[test]
fn every_example_is_valid_and_commented() {
    let files = examples();
    assert!(files.len() >= 5, "{files:?}");
    for file in &files {
        let policy = Policy::load(file, NOW.parse().unwrap())
            .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
        assert!(
            policy.warnings.is_empty(),
            "{}: {:?}",
            file.display(),
            policy.warnings
        );
        let errors: Vec<_> = policy
            .check_files()
            .into_iter()
            .filter(|d| d.is_error())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            text.starts_with('#'),
            "{} opens with a comment saying what it is for",
            file.display()
        );
    }
}

#[test]
fn every_example_passes_policy_check_through_the_binary() {
    let dir = TestDir::new();
    for file in examples() {
        let run = dir
            .command()
            .args(["policy", "check", "--now", NOW, "--policy"])
            .arg(&file)
            .run()
            .expect_code(0);
        run.assert_stdout(": valid (");
    }
}

#[test]
fn the_examples_say_what_their_names_say() {
    let strict = load("strict-ci-gate.toml");
    assert_eq!(strict.mode, Mode::Enforce);
    let none = Evidence::default();
    let evaluation = evaluate(
        &strict,
        [(&package("anything", "1.0.0"), &none)],
        NOW.parse().unwrap(),
    );
    assert_eq!(evaluation.outcomes[0].outcome.name(), "violation");
    assert_eq!(evaluation.exit_code(), 1);

    let audit = load("audit-rollout.toml");
    assert_eq!(audit.mode, Mode::Audit);
    let evaluation = evaluate(
        &audit,
        [(&package("anything", "1.0.0"), &none)],
        NOW.parse().unwrap(),
    );
    assert_eq!(evaluation.outcomes[0].outcome.name(), "violation");
    assert_eq!(
        evaluation.exit_code(),
        0,
        "audit mode reports without failing"
    );

    let org = load("organisation-pins.toml");
    assert!(
        org.rules
            .iter()
            .filter(|r| r.kind == RuleKind::Owner)
            .count()
            >= 2
    );
    let (rule, _) = cargo_verify_provenance::policy::deciding_rule(
        &org,
        "tokio-util",
        &"0.7.0".parse().unwrap(),
        Default::default(),
    )
    .unwrap();
    assert_eq!(rule.kind, RuleKind::Owner);
    let (rule, _) = cargo_verify_provenance::policy::deciding_rule(
        &org,
        "tokio-macros",
        &"2.0.0".parse().unwrap(),
        Default::default(),
    )
    .unwrap();
    assert_eq!(rule.kind, RuleKind::Package);

    let reusable = load("reusable-workflow.toml");
    assert!(reusable
        .rules
        .iter()
        .all(|r| r.requirements.signer_workflow.is_some()));

    let exemptions = load("exemptions-with-expiry.toml");
    let evaluation = evaluate(
        &exemptions,
        [
            (&package("libc", "0.2.150"), &none),
            (&package("libc", "1.0.0"), &none),
        ],
        NOW.parse().unwrap(),
    );
    assert!(matches!(
        evaluation.outcomes[0].outcome,
        Outcome::Exempt { .. }
    ));
    assert_eq!(evaluation.outcomes[1].outcome.name(), "violation");
    // After its date the exemption is a violation that says so.
    let later = "2027-03-01T00:00:00Z".parse().unwrap();
    let evaluation = evaluate(&exemptions, [(&package("libc", "0.2.150"), &none)], later);
    let Outcome::Violation { failures } = &evaluation.outcomes[0].outcome else {
        panic!("{:?}", evaluation.outcomes[0]);
    };
    assert!(failures
        .iter()
        .any(|f| f.requirement == Requirement::ExemptionExpired));
}

#[test]
fn policy_check_reports_every_problem_and_exits_2() {
    let dir = TestDir::new();
    dir.write(
        "provenance.toml",
        "mode = \"audti\"\n[defaults]\nrequire = \"atested\"\n[[package]]\nname = \"serde\"\nref = \"v*\"\n",
    );
    dir.write("Cargo.lock", "version = 4\n");
    let run = dir
        .command()
        .args([
            "policy",
            "check",
            "--color",
            "never",
            "--lockfile",
            "Cargo.lock",
        ])
        .run()
        .expect_code(2);
    for needle in [
        "policy-invalid",
        "3 errors",
        "policy-bad-value",
        "did you mean \"audit\"?",
        "did you mean \"attested\"?",
        "policy-bad-ref",
        "provenance.toml:6:7",
    ] {
        assert!(run.stderr.contains(needle), "{needle}:\n{}", run.stderr);
    }
    assert!(run.stdout.is_empty());
}

#[test]
fn policy_check_finds_the_file_upward_or_says_there_is_none() {
    let dir = TestDir::new();
    dir.write("ws/sub/Cargo.lock", "version = 4\n");
    // The search goes up to the repository root. No file found: a check of
    // nothing never passes.
    std::fs::create_dir_all(dir.join("ws/.git")).unwrap();
    let run = dir
        .command()
        .args(["policy", "check", "--lockfile", "ws/sub/Cargo.lock"])
        .run()
        .expect_code(2);
    run.assert_stderr("error[no-policy]: no policy file");
    run.assert_stderr("cargo verify-provenance init");
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    dir.write(
        "ws/.cargo/provenance.toml",
        "[defaults]\nrequire = \"attested\"\ntriggers = [\"tag\"]\n",
    );
    let run = dir
        .command()
        .args([
            "policy",
            "check",
            "--color",
            "never",
            "--lockfile",
            "ws/sub/Cargo.lock",
        ])
        .run()
        .expect_code(0);
    run.assert_stdout(".cargo/provenance.toml: valid");
    run.assert_stderr("policy-unknown-trigger");

    dir.write("ws/provenance.toml", "");
    let run = dir
        .command()
        .args(["policy", "check", "--lockfile", "ws/sub/Cargo.lock"])
        .run()
        .expect_code(2);
    run.assert_stderr("policy-ambiguous");
}

#[test]
fn policy_check_with_a_missing_file_names_it() {
    let dir = TestDir::new();
    let run = dir
        .command()
        .args(["policy", "check", "--policy", "nope.toml"])
        .run()
        .expect_code(2);
    run.assert_stderr("policy-not-found");
    run.assert_stderr("nope.toml");
}

#[test]
fn policy_check_loads_the_trust_roots_it_names() {
    let dir = TestDir::new();
    dir.write("trusted_root.json", "{\"not\": \"a root\"}");
    dir.write(
        "provenance.toml",
        "[trust]\nroots = [\"trusted_root.json\"]\n",
    );
    let run = dir
        .command()
        .args([
            "policy",
            "check",
            "--color",
            "never",
            "--policy",
            "provenance.toml",
        ])
        .run()
        .expect_code(2);
    run.assert_stderr("policy-bad-trust-root");
}

#[test]
fn policy_check_with_a_lockfile_at_hand_warns_of_rules_naming_no_package_with_the_closest() {
    let dir = TestDir::new();
    let package = |name: &str| {
        format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            "ab".repeat(32)
        )
    };
    dir.write(
        "Cargo.lock",
        format!("version = 4\n{}{}", package("serde"), package("tokio")),
    );
    dir.write(
        "provenance.toml",
        "[[package]]\nname = \"sedre\"\nrequire = \"attested\"\n\n[[package]]\nname = \"tokio\"\n\n[[exempt]]\nname = \"gone-crate\"\nreason = \"old\"\n",
    );
    let run = dir
        .command()
        .args(["policy", "check", "--color", "never"])
        .run()
        .expect_code(0);
    run.assert_stderr("warning[policy-unused-rule]: [[package]] `sedre` names no package of the lockfile")
        .assert_stderr("did you mean `serde`?")
        .assert_stderr("warning[policy-unused-exemption]: [[exempt]] `gone-crate` names no package of the lockfile");
    assert!(!run.stderr.contains("`tokio`"), "{}", run.stderr);
    run.assert_stdout("provenance.toml: valid");
}
