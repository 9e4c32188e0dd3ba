//! Evaluation over verified facts built directly: every requirement, rule
//! precedence, exemptions, registry data, git and path dependencies, and
//! the stale-policy warnings.

use std::path::Path;

use super::*;
use crate::evidence::{Attestation, RegistryAssertion, Rejected};
use crate::policy::{deciding_rule, Code, RuleKind};
use crate::verify::{
    CertificateClaims, Check, SignerFacts, StatementFacts, VerifiedFacts, VerifyFailure,
};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const SLSA: &str = "https://slsa.dev/provenance/v1";

fn now() -> jiff::Timestamp {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

fn policy(text: &str) -> Policy {
    Policy::parse(text, "provenance.toml", Path::new("/p"), now())
        .unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems))
}

fn package(name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.parse().unwrap(),
        source: PackageSource::CratesIo,
        checksum: Some(sigstore_types::Sha256Hash::from_hex(&"ab".repeat(32)).unwrap()),
        workspace_member: false,
        repository: None,
        line: 1,
        build_time: None,
        direct: false,
        out_of_scope: None,
        dev_only: false,
    }
}

/// Claims as GitHub Actions puts them in a certificate for a tag build of
/// `owner/repo` by `.github/workflows/release.yml`.
fn claims(repo: &str) -> CertificateClaims {
    let (owner, _) = repo.split_once('/').unwrap();
    let workflow =
        format!("https://github.com/{repo}/.github/workflows/release.yml@refs/tags/v1.0.0");
    CertificateClaims {
        build_signer_uri: Some(workflow.clone()),
        build_signer_digest: Some("1".repeat(40)),
        runner_environment: Some("github-hosted".into()),
        source_repository_uri: Some(format!("https://github.com/{repo}")),
        source_repository_digest: Some("1".repeat(40)),
        source_repository_ref: Some("refs/tags/v1.0.0".into()),
        source_repository_identifier: Some("1000".into()),
        source_repository_owner_uri: Some(format!("https://github.com/{owner}")),
        source_repository_owner_identifier: Some("2000".into()),
        build_config_uri: Some(workflow),
        build_config_digest: Some("1".repeat(40)),
        build_trigger: Some("push".into()),
        run_invocation_uri: Some(format!(
            "https://github.com/{repo}/actions/runs/1/attempts/1"
        )),
        source_repository_visibility_at_signing: Some("public".into()),
        deployment_environment: None,
        token_subject: None,
    }
}

fn attestation(claims: CertificateClaims) -> Attestation {
    attestation_with(claims, ISSUER, SLSA)
}

fn attestation_with(claims: CertificateClaims, issuer: &str, predicate: &str) -> Attestation {
    Attestation {
        origin: BundleOrigin {
            source: "dir:bundles".into(),
            location: "bundles/x.sigstore.json".into(),
        },
        digest: "ab".repeat(32),
        facts: VerifiedFacts {
            trust_root: "test".into(),
            media_type: "application/vnd.dev.sigstore.bundle.v0.3+json".into(),
            checks: vec![Check::CertificateChain, Check::Signature],
            signer: Some(SignerFacts {
                identity: claims.build_signer_uri.clone(),
                sans: vec![],
                issuer: Some(issuer.into()),
                not_before: now(),
                not_after: now(),
                claims,
            }),
            verified_times: vec![now()],
            log_entries: vec![],
            statement: Some(StatementFacts {
                statement_type: "https://in-toto.io/Statement/v1".into(),
                predicate_type: predicate.into(),
                subjects: vec![],
            }),
        },
    }
}

fn attested(claims: CertificateClaims) -> Evidence {
    Evidence {
        attestations: vec![attestation(claims)],
        ..Evidence::default()
    }
}

fn registry(repository: &str) -> Evidence {
    Evidence {
        registry: Some(RegistryAssertion {
            registry: "crates.io".into(),
            provider: "github".into(),
            repository: repository.into(),
            sha: Some("1".repeat(40)),
            run_id: Some("1".into()),
            trustpub_only: None,
        }),
        ..Evidence::default()
    }
}

fn rejected() -> Rejected {
    Rejected {
        origin: BundleOrigin {
            source: "github".into(),
            location: "https://api.github.com/…#attestations[0]".into(),
        },
        digest: "cd".repeat(32),
        failure: VerifyFailure::new(Check::Signature, "signature does not verify"),
    }
}

fn one(policy: &Policy, package: &Package, evidence: &Evidence) -> PackageOutcome {
    let evaluation = evaluate(policy, [(package, evidence)], now());
    evaluation.outcomes.into_iter().next().unwrap()
}

fn failed(outcome: &PackageOutcome) -> Vec<Requirement> {
    match &outcome.outcome {
        Outcome::Violation { failures }
        | Outcome::Error { failures, .. }
        | Outcome::Exempt { failures, .. } => failures.iter().map(|f| f.requirement).collect(),
        _ => vec![],
    }
}

#[test]
fn every_requirement_passes_and_fails_on_its_claim() {
    type Knob = fn(&mut CertificateClaims);
    let table: &[(&str, Knob, Requirement)] = &[
        (
            "repository = \"https://github.com/serde-rs/serde\"",
            |c| c.source_repository_uri = Some("https://github.com/evil/serde".into()),
            Requirement::Repository,
        ),
        (
            "repository-id = \"1000\"",
            |c| c.source_repository_identifier = Some("1001".into()),
            Requirement::RepositoryId,
        ),
        (
            "owner = \"https://github.com/serde-rs\"",
            |c| c.source_repository_owner_uri = Some("https://github.com/evil".into()),
            Requirement::Owner,
        ),
        (
            "owner-id = 2000",
            |c| c.source_repository_owner_identifier = Some("2001".into()),
            Requirement::OwnerId,
        ),
        (
            "workflow = \".github/workflows/release.yml\"",
            |c| {
                c.build_config_uri = Some(
                    "https://github.com/serde-rs/serde/.github/workflows/ci.yml@refs/tags/v1.0.0"
                        .into(),
                )
            },
            Requirement::Workflow,
        ),
        (
            "signer-workflow = \"https://github.com/serde-rs/serde/.github/workflows/release.yml\"",
            |c| {
                c.build_signer_uri = Some(
                    "https://github.com/org/ci/.github/workflows/build.yml@refs/heads/main".into(),
                )
            },
            Requirement::SignerWorkflow,
        ),
        (
            "signer-digest = \"1111111111111111111111111111111111111111\"",
            |c| c.build_signer_digest = Some("2".repeat(40)),
            Requirement::SignerDigest,
        ),
        (
            "ref = \"refs/tags/v*\"",
            |c| c.source_repository_ref = Some("refs/heads/main".into()),
            Requirement::Ref,
        ),
        (
            "triggers = [\"push\", \"release\"]",
            |c| c.build_trigger = Some("pull_request".into()),
            Requirement::Triggers,
        ),
        (
            "runner = \"github-hosted\"",
            |c| c.runner_environment = Some("self-hosted".into()),
            Requirement::Runner,
        ),
        (
            "visibility = \"public\"",
            |c| c.source_repository_visibility_at_signing = Some("private".into()),
            Requirement::Visibility,
        ),
        (
            "runner = \"self-hosted\"",
            |c| c.runner_environment = Some("github-hosted".into()),
            Requirement::Runner,
        ),
        (
            "ref = \"refs/tags/v*\"",
            |c| c.source_repository_ref = None,
            Requirement::Ref,
        ),
    ];
    let pkg = package("serde", "1.0.0");
    for (requirement_line, knob, expected) in table {
        let p = policy(&format!(
            "[defaults]\nrequire = \"attested\"\n{requirement_line}\n"
        ));
        let mut good = claims("serde-rs/serde");
        if *expected == Requirement::Runner && requirement_line.contains("self-hosted") {
            good.runner_environment = Some("self-hosted".into());
        }
        let pass = one(&p, &pkg, &attested(good.clone()));
        assert_eq!(
            pass.outcome,
            Outcome::Pass {
                bundle: Some(attestation(good.clone()).origin)
            },
            "{requirement_line} with matching claims"
        );
        let mut bad = good;
        knob(&mut bad);
        let fail = one(&p, &pkg, &attested(bad));
        assert_eq!(failed(&fail), vec![*expected], "{requirement_line}");
        let Outcome::Violation { failures } = &fail.outcome else {
            panic!("{requirement_line}: {fail:?}");
        };
        assert_eq!(
            failures[0].span.unwrap().line,
            3,
            "{requirement_line}: the failure points at the key"
        );
    }
}

#[test]
fn issuer_and_predicate_type_come_from_the_bundle() {
    let p = policy(&format!(
        "[defaults]\nissuer = \"{ISSUER}\"\npredicate-type = \"{SLSA}\"\n"
    ));
    let pkg = package("a", "1.0.0");
    let good = Evidence {
        attestations: vec![attestation(claims("o/a"))],
        ..Evidence::default()
    };
    assert_eq!(one(&p, &pkg, &good).outcome.name(), "pass");
    let other_issuer = Evidence {
        attestations: vec![attestation_with(claims("o/a"), "https://gitlab.com", SLSA)],
        ..Evidence::default()
    };
    assert_eq!(failed(&one(&p, &pkg, &other_issuer)), [Requirement::Issuer]);
    let sbom = Evidence {
        attestations: vec![attestation_with(
            claims("o/a"),
            ISSUER,
            "https://spdx.dev/Document/v2.3",
        )],
        ..Evidence::default()
    };
    let outcome = one(&p, &pkg, &sbom);
    assert_eq!(failed(&outcome), [Requirement::PredicateType]);
    let Outcome::Violation { failures } = outcome.outcome else {
        unreachable!()
    };
    assert_eq!(failures[0].expected, SLSA);
    assert_eq!(
        failures[0].found.as_deref(),
        Some("https://spdx.dev/Document/v2.3")
    );
}

/// A bundle that states no issuer (a managed key signed it, or the
/// certificate has no issuer extension) or no statement (a message
/// signature) does not satisfy a requirement on them.
#[test]
fn issuer_and_predicate_type_fail_when_the_bundle_states_none() {
    let p = policy(&format!(
        "[defaults]\nissuer = \"{ISSUER}\"\npredicate-type = \"{SLSA}\"\n"
    ));
    let pkg = package("a", "1.0.0");
    let mut no_issuer = attestation(claims("o/a"));
    no_issuer.facts.signer.as_mut().unwrap().issuer = None;
    let mut message_signature = attestation(claims("o/a"));
    message_signature.facts.statement = None;
    let mut managed_key = attestation(claims("o/a"));
    managed_key.facts.signer = None;
    for (attestation, requirement) in [
        (no_issuer, Requirement::Issuer),
        (message_signature, Requirement::PredicateType),
        (managed_key, Requirement::Issuer),
    ] {
        let evidence = Evidence {
            attestations: vec![attestation],
            ..Evidence::default()
        };
        let outcome = one(&p, &pkg, &evidence);
        assert_eq!(failed(&outcome), [requirement], "{outcome:?}");
        let Outcome::Violation { failures } = outcome.outcome else {
            unreachable!()
        };
        assert_eq!(failures[0].found, None);
    }
}

/// Numeric IDs are equal or not: a claim that contains the pinned ID, or
/// starts or ends with it, is another repository or owner.
#[test]
fn repository_and_owner_ids_match_exactly() {
    let pkg = package("a", "1.0.0");
    for (key, set) in [
        (
            "repository-id",
            (|c: &mut CertificateClaims, id: &str| c.source_repository_identifier = Some(id.into()))
                as fn(&mut CertificateClaims, &str),
        ),
        ("owner-id", |c, id| {
            c.source_repository_owner_identifier = Some(id.into())
        }),
    ] {
        let p = policy(&format!("[defaults]\n{key} = 42\n"));
        for (claim, passes) in [
            ("42", true),
            ("0042", true),
            ("1042", false),
            ("4200", false),
            ("421", false),
            ("4", false),
        ] {
            let mut c = claims("o/a");
            set(&mut c, claim);
            let outcome = one(&p, &pkg, &attested(c));
            assert_eq!(
                outcome.outcome.name() == "pass",
                passes,
                "{key} = 42, claim {claim}: {outcome:?}"
            );
        }
    }
}

#[test]
fn a_managed_key_bundle_shows_no_claims() {
    let p = policy("[defaults]\nrepository = \"https://github.com/o/a\"\n");
    let mut attestation = attestation(claims("o/a"));
    attestation.facts.signer = None;
    let evidence = Evidence {
        attestations: vec![attestation],
        ..Evidence::default()
    };
    let outcome = one(&p, &package("a", "1.0.0"), &evidence);
    let Outcome::Violation { failures } = outcome.outcome else {
        panic!()
    };
    assert_eq!(failures[0].requirement, Requirement::Repository);
    assert_eq!(failures[0].found, None);
    assert_eq!(
        failures[0].to_string(),
        "repository: expected https://github.com/o/a, found nothing"
    );
}

#[test]
fn any_passing_attestation_is_enough_else_the_closest_is_reported() {
    let p = policy(
        "[defaults]\nrepository = \"https://github.com/o/a\"\nref = \"refs/tags/*\"\nrunner = \"github-hosted\"\n",
    );
    let pkg = package("a", "1.0.0");
    let mut far = claims("x/y");
    far.source_repository_ref = Some("refs/heads/dev".into());
    let mut near = claims("o/a");
    near.runner_environment = Some("self-hosted".into());
    let evidence = Evidence {
        attestations: vec![attestation(far.clone()), attestation(near)],
        ..Evidence::default()
    };
    assert_eq!(failed(&one(&p, &pkg, &evidence)), [Requirement::Runner]);
    let evidence = Evidence {
        attestations: vec![attestation(far), attestation(claims("o/a"))],
        ..Evidence::default()
    };
    assert_eq!(one(&p, &pkg, &evidence).outcome.name(), "pass");
}

#[test]
fn the_most_specific_rule_decides() {
    let p = policy(
        r#"
[defaults]
ref = "refs/defaults"

[[package]]
name = "tokio*"
ref = "refs/glob-short"

[[package]]
name = "tokio-u*"
ref = "refs/glob-long"

[[package]]
name = "tokio-util"
ref = "refs/exact"

[[package]]
name = "tokio-util"
version = "<0.7"
ref = "refs/exact-version"

[[owner]]
owner-id = 2000
packages = ["mio", "tokio-uring"]
ref = "refs/owner"

[[package]]
name = "mi?"
ref = "refs/glob-mio"
"#,
    );
    let expect = |name: &str, version: &str, kind: RuleRefKind, r: &str| {
        let version: semver::Version = version.parse().unwrap();
        let (rule, selector) = deciding_rule(&p, name, &version, Default::default())
            .map(|(rule, s)| (Some(rule), s))
            .unwrap_or((None, 0));
        let reqs = match rule {
            Some(rule) => {
                let k = match rule.kind {
                    RuleKind::Package => RuleRefKind::Package,
                    RuleKind::Owner => RuleRefKind::Owner,
                };
                assert_eq!(k, kind, "{name}@{version}");
                rule.requirements.merged(&p.defaults)
            }
            None => {
                assert_eq!(kind, RuleRefKind::Defaults, "{name}@{version}");
                crate::policy::NO_REQUIREMENTS.merged(&p.defaults)
            }
        };
        let _ = selector;
        let refs = reqs.refs.unwrap().0;
        assert!(refs.value.is_match(r), "{name}@{version}: {}", refs.value);
    };
    expect(
        "tokio-util",
        "0.6.0",
        RuleRefKind::Package,
        "refs/exact-version",
    );
    expect("tokio-util", "0.7.0", RuleRefKind::Package, "refs/exact");
    expect("tokio-uring", "0.1.0", RuleRefKind::Owner, "refs/owner");
    expect(
        "tokio-umbrella",
        "1.0.0",
        RuleRefKind::Package,
        "refs/glob-long",
    );
    expect("tokio", "1.0.0", RuleRefKind::Package, "refs/glob-short");
    expect("mio", "1.0.0", RuleRefKind::Owner, "refs/owner");
    expect("serde", "1.0.0", RuleRefKind::Defaults, "refs/defaults");
}

#[test]
fn ties_go_to_package_rules_then_file_order() {
    let p = policy(
        r#"
[[owner]]
owner-id = 1
packages = ["a*"]
ref = "refs/owner"

[[package]]
name = "*a"
ref = "refs/first"

[[package]]
name = "a*"
version = ">=0"
ref = "refs/versioned"
"#,
    );
    let (rule, _) = deciding_rule(&p, "aa", &"1.0.0".parse().unwrap(), Default::default()).unwrap();
    assert_eq!((rule.kind, rule.index), (RuleKind::Package, 1));
    let p = policy(
        "[[package]]\nname = \"*a\"\n[[package]]\nname = \"a*\"\n[[owner]]\nowner-id = 1\npackages = [\"a?\"]\n",
    );
    let (rule, _) = deciding_rule(&p, "aa", &"1.0.0".parse().unwrap(), Default::default()).unwrap();
    assert_eq!((rule.kind, rule.index), (RuleKind::Package, 0));
}

#[test]
fn rules_inherit_defaults_and_override_them() {
    let p = policy(
        r#"
[defaults]
require = "attested"
runner = "github-hosted"

[[package]]
name = "self-built"
runner = "self-hosted"
"#,
    );
    let mut self_hosted = claims("o/self-built");
    self_hosted.runner_environment = Some("self-hosted".into());
    assert_eq!(
        one(
            &p,
            &package("self-built", "1.0.0"),
            &attested(self_hosted.clone())
        )
        .outcome
        .name(),
        "pass"
    );
    let outcome = one(&p, &package("other", "1.0.0"), &attested(self_hosted));
    assert_eq!(failed(&outcome), [Requirement::Runner]);
    assert_eq!(outcome.rule.kind, RuleRefKind::Defaults);
}

#[test]
fn evidence_levels_and_missing_evidence() {
    let attested_rule = policy("[defaults]\nrequire = \"attested\"\n");
    let nothing = Evidence::default();
    let pkg = package("a", "1.0.0");

    let outcome = one(&attested_rule, &pkg, &nothing);
    let Outcome::Violation { failures } = &outcome.outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(failures[0].requirement, Requirement::Require);
    assert_eq!(failures[0].expected, "attested");
    assert_eq!(failures[0].found.as_deref(), Some("none"));
    assert_eq!(failures[0].span.unwrap().line, 2);

    // Registry data is not enough for a rule that requires an attestation.
    let outcome = one(&attested_rule, &pkg, &registry("https://github.com/o/a"));
    assert_eq!(failed(&outcome), [Requirement::Require]);
    assert_eq!(outcome.evidence, EvidenceLevel::RegistryAsserted);

    // Nothing required, every source answered: no provenance, not a violation.
    let none_rule = policy("[defaults]\nrequire = \"none\"\n");
    assert_eq!(
        one(&none_rule, &pkg, &nothing).outcome,
        Outcome::NoProvenance
    );
    let builtin = Policy::default_policy();
    let outcome = one(&builtin, &pkg, &nothing);
    assert_eq!(outcome.outcome, Outcome::NoProvenance);
    assert_eq!(outcome.rule.kind, RuleRefKind::BuiltIn);

    // Nothing required, but a source could not answer: not checked, which
    // is not "no provenance" and fails the run (exit 2) all the same.
    let unanswered = Evidence {
        errors: vec![SourceError::new("github", "unreachable")],
        ..Evidence::default()
    };
    let evaluation = evaluate(&builtin, [(&pkg, &unanswered)], now());
    assert_eq!(
        evaluation.outcomes[0].outcome,
        Outcome::NotChecked {
            errors: unanswered.errors.clone()
        }
    );
    assert_eq!(evaluation.counts().not_checked, 1);
    assert_eq!(evaluation.counts().no_provenance, 0);
    assert_eq!(evaluation.exit_code(), exit::ERROR);
    // Evidence another source found still decides.
    let mut found = registry("https://github.com/o/a");
    found.errors = unanswered.errors.clone();
    assert_eq!(one(&builtin, &pkg, &found).outcome.name(), "pass");
}

#[test]
fn registry_data_satisfies_only_what_it_states() {
    let p = policy(
        r#"
[defaults]
require = "attested"
runner = "github-hosted"
repository-id = "1000"

[[package]]
name = "a"
require = "registry-asserted"
repository = "https://github.com/o/a"

[[package]]
name = "b"
require = "registry-asserted"
repository = "https://github.com/o/b"
workflow = ".github/workflows/release.yml"

[[owner]]
owner = "https://github.com/o"
packages = ["c"]
require = "registry-asserted"
"#,
    );
    // Inherited attestation-only keys (runner, repository-id) are not applied.
    let outcome = one(
        &p,
        &package("a", "1.0.0"),
        &registry("https://github.com/O/a.git"),
    );
    assert_eq!(outcome.outcome, Outcome::Pass { bundle: None });
    assert_eq!(outcome.evidence, EvidenceLevel::RegistryAsserted);
    // The repository it states must match.
    let outcome = one(
        &p,
        &package("a", "1.0.0"),
        &registry("https://github.com/evil/a"),
    );
    assert_eq!(failed(&outcome), [Requirement::Repository]);
    // A workflow set in the rule itself cannot be met by registry data.
    let outcome = one(
        &p,
        &package("b", "1.0.0"),
        &registry("https://github.com/o/b"),
    );
    assert_eq!(failed(&outcome), [Requirement::Workflow]);
    let Outcome::Violation { failures } = &outcome.outcome else {
        unreachable!()
    };
    assert!(failures[0]
        .found
        .as_deref()
        .unwrap()
        .contains("only an attestation can"));
    // The owner is derived from the stated repository.
    assert_eq!(
        one(
            &p,
            &package("c", "1.0.0"),
            &registry("https://github.com/o/c")
        )
        .outcome
        .name(),
        "pass"
    );
    assert_eq!(
        failed(&one(
            &p,
            &package("c", "1.0.0"),
            &registry("https://github.com/x/c")
        )),
        [Requirement::Owner]
    );
    // A verified attestation always decides when the record agrees with
    // it: the rule judges the bundle.
    let mut both = attested(claims("evil/a"));
    both.registry = registry("https://github.com/evil/a").registry;
    both.registry.as_mut().unwrap().sha = None;
    assert_eq!(
        failed(&one(&p, &package("a", "1.0.0"), &both)),
        [Requirement::Repository]
    );
    // When they disagree, neither is taken: an evidence conflict.
    both.registry = registry("https://github.com/o/a").registry;
    assert_eq!(
        failed(&one(&p, &package("a", "1.0.0"), &both)),
        [Requirement::EvidenceConflict]
    );
}

#[test]
fn an_evidence_conflict_is_waived_by_nothing() {
    let p = policy("mode = \"audit\"\n[[exempt]]\nname = \"a\"\nreason = \"r\"\n");
    let mut commit = claims("o/a");
    commit.source_repository_digest = Some("ab".repeat(20));
    let mut both = attested(commit);
    both.registry = registry("https://github.com/o/a").registry;
    // Same repository, another commit.
    let outcome = one(&p, &package("a", "1.0.0"), &both);
    assert_eq!(failed(&outcome), [Requirement::EvidenceConflict]);
    assert!(outcome.has_unwaivable_failure());
    let evaluation = evaluate(&p, [(&package("a", "1.0.0"), &both)], now());
    assert_eq!(evaluation.exit_code(), crate::exit::VIOLATION);
    // The same commit, in another case: they agree.
    both.registry.as_mut().unwrap().sha = Some("AB".repeat(20));
    assert_eq!(
        one(&p, &package("a", "1.0.0"), &both).outcome.name(),
        "pass"
    );
}

#[test]
fn a_rejected_bundle_is_a_violation_whatever_the_rule_or_exemption() {
    let evidence = Evidence {
        attestations: vec![attestation(claims("o/a"))],
        rejected: vec![rejected()],
        ..Evidence::default()
    };
    for text in [
        "",
        "[defaults]\nrequire = \"none\"",
        "mode = \"audit\"",
        "[[exempt]]\nname = \"a\"\nreason = \"r\"",
    ] {
        let p = policy(text);
        let evaluation = evaluate(&p, [(&package("a", "1.0.0"), &evidence)], now());
        let outcome = &evaluation.outcomes[0];
        assert_eq!(failed(outcome), [Requirement::BundleVerification], "{text}");
        assert!(outcome.has_unwaivable_failure());
        assert_eq!(evaluation.exit_code(), exit::VIOLATION, "{text}");
    }
    // Also with the built-in default policy.
    let evaluation = evaluate(
        &Policy::default_policy(),
        [(&package("a", "1.0.0"), &evidence)],
        now(),
    );
    assert_eq!(evaluation.exit_code(), exit::VIOLATION);
}

#[test]
fn exemptions_excuse_failures_until_they_expire() {
    let p = policy(
        r#"
[defaults]
require = "attested"

[[exempt]]
name = "libc"
version = "0.2.*"
reason = "upstream does not attest yet"
until = 2027-03-01

[[exempt]]
name = "old"
reason = "replaced soon"
until = 2026-05-01

[[exempt]]
name = "fine"
reason = "was missing once"
"#,
    );
    let nothing = Evidence::default();
    let outcome = one(&p, &package("libc", "0.2.150"), &nothing);
    let Outcome::Exempt {
        exemption,
        reason,
        until,
        failures,
    } = &outcome.outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(reason, "upstream does not attest yet");
    assert_eq!(*until, Some(jiff::civil::date(2027, 3, 1)));
    assert_eq!(exemption.kind, RuleRefKind::Exempt);
    assert_eq!(exemption.span.unwrap().line, 5);
    assert_eq!(failures[0].requirement, Requirement::Require);

    // The version requirement limits it.
    assert_eq!(
        one(&p, &package("libc", "1.0.0"), &nothing).outcome.name(),
        "violation"
    );

    // Expired: a violation that says so, pointing at `until`.
    let outcome = one(&p, &package("old", "1.0.0"), &nothing);
    let Outcome::Violation { failures } = &outcome.outcome else {
        panic!("{outcome:?}")
    };
    let expired = failures.last().unwrap();
    assert_eq!(expired.requirement, Requirement::ExemptionExpired);
    assert_eq!(expired.found.as_deref(), Some("expired on 2026-05-01"));
    assert_eq!(expired.span.unwrap().line, 14);

    // The exemption ends at 00:00 UTC on its date.
    let just_before: jiff::Timestamp = "2027-02-28T23:59:59Z".parse().unwrap();
    let at: jiff::Timestamp = "2027-03-01T00:00:00Z".parse().unwrap();
    let libc = &p.exemptions[0];
    assert!(!libc.is_expired(just_before));
    assert!(libc.is_expired(at));

    // A package that passes does not use its exemption: a warning says so.
    let evaluation = evaluate(
        &p,
        [
            (&package("fine", "1.0.0"), &attested(claims("o/fine"))),
            (&package("libc", "0.2.1"), &nothing),
        ],
        now(),
    );
    assert_eq!(evaluation.outcomes[0].outcome.name(), "pass");
    let codes: Vec<_> = evaluation.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, [Code::UnusedExemption, Code::UnneededExemption]);
    assert_eq!(evaluation.warnings[0].span().unwrap().line, 11);
}

#[test]
fn source_errors_make_a_required_package_an_error() {
    let p = policy("[defaults]\nrequire = \"attested\"\n");
    let evidence = Evidence {
        errors: vec![SourceError::new("github", "rate limited")],
        ..Evidence::default()
    };
    let evaluation = evaluate(&p, [(&package("a", "1.0.0"), &evidence)], now());
    let Outcome::Error { errors, failures } = &evaluation.outcomes[0].outcome else {
        panic!()
    };
    assert_eq!(errors[0].message, "rate limited");
    assert_eq!(failures[0].requirement, Requirement::Require);
    assert_eq!(evaluation.exit_code(), exit::ERROR);

    // A registry package without a checksum cannot be looked up.
    let mut no_checksum = package("b", "1.0.0");
    no_checksum.checksum = None;
    let outcome = one(&p, &no_checksum, &Evidence::default());
    let Outcome::Error { errors, .. } = &outcome.outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(errors[0].source, "Cargo.lock");

    // Not required: not checked (not "no provenance").
    let lenient = policy("");
    assert_eq!(
        one(&lenient, &no_checksum, &evidence).outcome.name(),
        "not-checked"
    );
}

#[test]
fn workspace_members_need_nothing() {
    let p = policy("[defaults]\nrequire = \"attested\"\n");
    let mut member = package("me", "0.1.0");
    member.workspace_member = true;
    member.source = PackageSource::Path;
    member.checksum = None;
    let outcome = one(&p, &member, &Evidence::default());
    assert_eq!(outcome.outcome, Outcome::Pass { bundle: None });
    assert_eq!(outcome.rule.kind, RuleRefKind::WorkspaceMember);
}

#[test]
fn git_and_path_dependencies_follow_their_tables() {
    let git = |url: &str| Package {
        source: PackageSource::Git {
            url: url.into(),
            rev: Some("abc".into()),
        },
        checksum: None,
        ..package("g", "0.1.0")
    };
    let path = |name: &str| Package {
        source: PackageSource::Path,
        checksum: None,
        ..package(name, "0.1.0")
    };
    let none = Evidence::default();

    // Without tables: not checked, missing (even with require = "attested").
    let p = policy("[defaults]\nrequire = \"attested\"\n");
    assert_eq!(
        one(&p, &git("https://github.com/o/g"), &none).outcome,
        Outcome::NoProvenance
    );
    assert_eq!(
        one(&p, &path("local"), &none).outcome,
        Outcome::NoProvenance
    );

    let p = policy(
        "[git]\nallow = [\"https://github.com/my-org/*\"]\n[path]\nallow = [\"vendored-*\"]\n",
    );
    let outcome = one(&p, &git("https://github.com/my-org/g?branch=main"), &none);
    assert_eq!(outcome.outcome, Outcome::Pass { bundle: None });
    assert_eq!(outcome.rule.kind, RuleRefKind::Git);
    assert_eq!(
        outcome.rule.selector.as_deref(),
        Some("https://github.com/my-org/*")
    );
    let outcome = one(&p, &git("https://github.com/evil/g"), &none);
    let Outcome::Violation { failures } = &outcome.outcome else {
        panic!()
    };
    assert_eq!(failures[0].requirement, Requirement::Git);
    assert_eq!(
        failures[0].found.as_deref(),
        Some("https://github.com/evil/g")
    );
    assert_eq!(failures[0].span.unwrap().line, 2);

    assert_eq!(
        one(&p, &path("vendored-zlib"), &none).outcome.name(),
        "pass"
    );
    assert_eq!(failed(&one(&p, &path("other"), &none)), [Requirement::Path]);

    // allow = [] forbids all; an exemption can still excuse one.
    let p =
        policy("[path]\nallow = []\n[[exempt]]\nname = \"local\"\nreason = \"being upstreamed\"\n");
    assert_eq!(one(&p, &path("local"), &none).outcome.name(), "exempt");
    let outcome = one(&p, &path("other"), &none);
    let Outcome::Violation { failures } = &outcome.outcome else {
        panic!()
    };
    assert_eq!(failures[0].expected, "no path dependencies (allow = [])");
}

/// A rule is named in messages as the policy file names it.
#[test]
fn rules_are_named_as_the_policy_file_names_them() {
    assert_eq!(
        RuleRef::bare(RuleRefKind::Defaults).to_string(),
        "[defaults]"
    );
    assert_eq!(
        RuleRef::bare(RuleRefKind::BuiltIn).to_string(),
        "the default policy"
    );
    assert_eq!(
        RuleRef::bare(RuleRefKind::WorkspaceMember).to_string(),
        "workspace member"
    );
}

/// Each outcome is counted once, under its own name.
#[test]
fn every_outcome_is_counted_under_its_own_name() {
    let outcome = |name: &str, outcome: Outcome| PackageOutcome {
        name: name.into(),
        version: semver::Version::new(1, 0, 0),
        source: crate::lockfile::PackageSource::CratesIo,
        evidence: EvidenceLevel::None,
        rule: RuleRef::bare(RuleRefKind::BuiltIn),
        applied: Default::default(),
        outcome,
    };
    let evaluation = Evaluation {
        mode: Mode::Enforce,
        not_checked: NotCheckedAction::Fail,
        outcomes: vec![
            outcome("a", Outcome::Pass { bundle: None }),
            outcome("b", Outcome::Pass { bundle: None }),
            outcome("c", Outcome::Violation { failures: vec![] }),
            outcome("d", Outcome::NoProvenance),
            outcome("e", Outcome::NotChecked { errors: vec![] }),
            outcome(
                "f",
                Outcome::OutOfScope {
                    out_of_scope: crate::lockfile::OutOfScope::DevOnly,
                },
            ),
            outcome(
                "g",
                Outcome::OutOfScope {
                    out_of_scope: crate::lockfile::OutOfScope::NotBuilt,
                },
            ),
        ],
        warnings: vec![],
    };
    assert_eq!(
        evaluation.counts(),
        Counts {
            pass: 2,
            violation: 1,
            exempt: 0,
            no_provenance: 1,
            not_checked: 1,
            error: 0,
            out_of_scope: 2,
        }
    );
}

/// A package that could not be checked fails the run (exit 2), required
/// or not, unless the policy says `not-checked = "warn"`: then only those
/// nothing required pass.
#[test]
fn could_not_check_fails_the_run_unless_the_policy_says_warn() {
    let unchecked = Evidence {
        errors: vec![SourceError::new("github", "timeout")],
        ..Evidence::default()
    };
    let run = |text: &str| {
        evaluate(
            &policy(text),
            [
                (&package("a", "1.0.0"), &Evidence::default()),
                (&package("b", "1.0.0"), &unchecked),
            ],
            now(),
        )
    };
    let default = run("");
    assert_eq!(default.counts().not_checked, 1);
    assert_eq!(default.exit_code(), exit::ERROR);
    let warned = run("not-checked = \"warn\"\n");
    assert_eq!(warned.not_checked, NotCheckedAction::Warn);
    assert_eq!(warned.exit_code(), exit::PASS);
    let required =
        run("not-checked = \"warn\"\n[[package]]\nname = \"b\"\nrequire = \"attested\"\n");
    assert_eq!(required.counts().error, 1);
    assert_eq!(required.exit_code(), exit::ERROR);
    let failing = run("not-checked = \"fail\"\n");
    assert_eq!(failing.exit_code(), exit::ERROR);
}

#[test]
fn audit_mode_reports_without_failing() {
    let p = policy("mode = \"audit\"\n[defaults]\nrequire = \"attested\"\n");
    let errors = Evidence {
        errors: vec![SourceError::new("github", "timeout")],
        ..Evidence::default()
    };
    let evaluation = evaluate(
        &p,
        [
            (&package("a", "1.0.0"), &Evidence::default()),
            (&package("b", "1.0.0"), &errors),
        ],
        now(),
    );
    assert_eq!(
        evaluation.counts(),
        Counts {
            violation: 1,
            error: 1,
            ..Counts::default()
        }
    );
    assert_eq!(evaluation.exit_code(), exit::PASS);
    let enforced = policy("[defaults]\nrequire = \"attested\"\n");
    let evaluation = evaluate(
        &enforced,
        [
            (&package("a", "1.0.0"), &Evidence::default()),
            (&package("b", "1.0.0"), &errors),
        ],
        now(),
    );
    assert_eq!(evaluation.exit_code(), exit::VIOLATION);
}

#[test]
fn stale_rules_are_reported_with_their_spans() {
    let p = policy(
        r#"
[[package]]
name = "gone"

[[package]]
name = "used"

[[package]]
name = "used*"

[[owner]]
owner-id = 1
packages = ["used-too", "never"]

[git]
allow = ["https://github.com/x/*"]
"#,
    );
    let evaluation = evaluate(
        &p,
        [
            (&package("used", "1.0.0"), &Evidence::default()),
            (&package("used-too", "1.0.0"), &Evidence::default()),
        ],
        now(),
    );
    let found: Vec<_> = evaluation
        .warnings
        .iter()
        .map(|w| (w.code, w.span().unwrap().line))
        .collect();
    // `used*` is shadowed for both packages (exact names win): stale too.
    assert_eq!(
        found,
        [
            (Code::UnusedRule, 2),
            (Code::UnusedRule, 8),
            (Code::UnusedRule, 13),
            (Code::UnusedRule, 16),
        ]
    );
}

/// A dependency outside the scope (here: only a dev-dependency) is decided
/// by nothing, but the rule, git or path pattern and exemption that would
/// decide it are in use: none of them is reported as stale, while the same
/// entries with nothing in the lockfile are.
#[test]
fn entries_that_would_decide_an_out_of_scope_package_are_not_stale() {
    let p = policy(
        r#"
[[package]]
name = "dev-only"

[[exempt]]
name = "dev-only"
reason = "a test helper"

[git]
allow = ["https://github.com/x/*"]

[path]
allow = ["local-helper"]
"#,
    );
    let out_of_scope = |mut package: Package, source: PackageSource| {
        package.source = source;
        package.out_of_scope = Some(crate::lockfile::OutOfScope::DevOnly);
        package
    };
    let packages = [
        out_of_scope(package("dev-only", "1.0.0"), PackageSource::CratesIo),
        out_of_scope(
            package("from-git", "1.0.0"),
            PackageSource::Git {
                url: "https://github.com/x/from-git".into(),
                rev: Some("1".repeat(40)),
            },
        ),
        out_of_scope(package("local-helper", "1.0.0"), PackageSource::Path),
    ];
    let none = Evidence::default();
    let evaluation = evaluate(&p, packages.iter().map(|p| (p, &none)), now());
    assert!(
        evaluation
            .outcomes
            .iter()
            .all(|o| matches!(o.outcome, Outcome::OutOfScope { .. })),
        "{:#?}",
        evaluation.outcomes
    );
    assert!(evaluation.warnings.is_empty(), "{:#?}", evaluation.warnings);
    // With nothing in the lockfile, each of the four is stale.
    let evaluation = evaluate(&p, std::iter::empty::<(&Package, &Evidence)>(), now());
    assert_eq!(evaluation.warnings.len(), 4, "{:#?}", evaluation.warnings);
}

/// "Not this version" is said of rules that name the package exactly; a
/// glob rule with a version that passes a package over says nothing.
#[test]
fn only_exact_names_warn_of_a_version_not_covered() {
    let codes = |text: &str| {
        let evaluation = evaluate(
            &policy(text),
            [(&package("beta-x", "2.0.0"), &Evidence::default())],
            now(),
        );
        evaluation
            .warnings
            .iter()
            .map(|w| w.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        codes("[[package]]\nname = \"beta-x\"\nversion = \"<1\"\n"),
        [Code::UnusedRule, Code::VersionNotCovered]
    );
    assert_eq!(
        codes("[[package]]\nname = \"beta-*\"\nversion = \"<1\"\n"),
        [Code::UnusedRule]
    );
}

/// `trustpub-only` adds its failure to the others rather than replacing
/// them: with a record that allows tokens, and with no record while a
/// source failed.
#[test]
fn trustpub_only_adds_its_failure_to_the_others() {
    let p = policy(
        "[defaults]\nrequire = \"attested\"\ntrustpub-only = true\nrepository = \"https://github.com/o/a\"\n",
    );
    let mut evidence = attested(claims("evil/a"));
    evidence.record = Some(crate::origin::RegistryRecord {
        repository: None,
        trustpub_only: Some(false),
        published: None,
    });
    let outcome = one(&p, &package("a", "1.0.0"), &evidence);
    assert_eq!(
        failed(&outcome),
        [Requirement::Repository, Requirement::TrustpubOnly]
    );
    assert_eq!(outcome.outcome.name(), "violation");
    // Nothing found, a source that failed, no record: not checked, and
    // both what is missing and the unknown record are said.
    let evidence = Evidence {
        errors: vec![SourceError::new("github", "timeout")],
        ..Evidence::default()
    };
    let outcome = one(&p, &package("a", "1.0.0"), &evidence);
    assert_eq!(
        failed(&outcome),
        [Requirement::Require, Requirement::TrustpubOnly]
    );
    assert_eq!(outcome.outcome.name(), "error");
    // With nothing else required, a package whose provenance could not be
    // looked up (no checksum) keeps that reason.
    let p = policy("[defaults]\ntrustpub-only = true\n");
    let mut unpinned = package("a", "1.0.0");
    unpinned.checksum = None;
    let outcome = one(&p, &unpinned, &Evidence::default());
    let Outcome::Error { errors, failures } = &outcome.outcome else {
        panic!("{outcome:#?}")
    };
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].source, "Cargo.lock");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].requirement, Requirement::TrustpubOnly);
    // No record at all: why, in words for where the package comes from.
    let reason = |package: &Package| match one(&p, package, &Evidence::default()).outcome {
        Outcome::Error { errors, .. } => errors[0].message.clone(),
        other => panic!("{other:#?}"),
    };
    assert!(
        reason(&package("a", "1.0.0")).starts_with("no record from crates.io says whether a"),
        "{}",
        reason(&package("a", "1.0.0"))
    );
    let mut elsewhere = package("a", "1.0.0");
    elsewhere.source = PackageSource::Registry {
        url: "sparse+https://registry.example/".into(),
    };
    assert_eq!(
        reason(&elsewhere),
        "a is not from crates.io, the only registry that records trustpub_only"
    );
}

/// Of several attestations that each fail, the one with the fewest
/// failures is reported, the first of them when tied.
#[test]
fn the_closest_attestation_is_reported_the_first_when_tied() {
    let p = policy("[defaults]\nrequire = \"attested\"\nrepository = \"https://github.com/o/a\"\n");
    let mut evidence = attested(claims("evil/a"));
    evidence.attestations.push(attestation(claims("other/a")));
    let outcome = one(&p, &package("a", "1.0.0"), &evidence);
    let Outcome::Violation { failures } = &outcome.outcome else {
        panic!("{outcome:#?}")
    };
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].found.as_deref().unwrap().contains("evil/a"),
        "{failures:#?}"
    );
}

#[test]
fn stale_policy_warnings_render_with_their_spans() {
    let p = policy(
        r#"[[package]]
name = "gone"
repository = "https://github.com/o/gone"

[[owner]]
owner = "https://github.com/o"
packages = ["here", "never-*"]

[[exempt]]
name = "here"
reason = "was not attested"

[[exempt]]
name = "old-dep"
reason = "removed last year"
"#,
    );
    let evaluation = evaluate(
        &p,
        [(&package("here", "1.0.0"), &attested(claims("o/here")))],
        now(),
    );
    let rendered: Vec<String> = evaluation
        .warnings
        .iter()
        .map(|w| {
            let mut out = String::new();
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100)
                .render_report(&mut out, w)
                .unwrap();
            out
        })
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

#[test]
fn outcomes_serialize_deterministically() {
    let p = policy("[defaults]\nrequire = \"attested\"\nrepository = \"https://github.com/o/a\"\n");
    let pkg = package("a", "1.0.0");
    let evidence = attested(claims("x/a"));
    let first = serde_json::to_string(&evaluate(&p, [(&pkg, &evidence)], now())).unwrap();
    let second = serde_json::to_string(&evaluate(&p, [(&pkg, &evidence)], now())).unwrap();
    assert_eq!(first, second);
    let value: serde_json::Value = serde_json::from_str(&first).unwrap();
    let outcome = &value["outcomes"][0];
    assert_eq!(outcome["outcome"], "violation");
    assert_eq!(outcome["rule"]["kind"], "defaults");
    assert_eq!(outcome["evidence"], "attested");
    let failure = &outcome["failures"][0];
    assert_eq!(failure["requirement"], "repository");
    assert_eq!(failure["expected"], "https://github.com/o/a");
    assert_eq!(failure["found"], "https://github.com/x/a");
    assert_eq!(failure["span"]["line"], 3);
    // Round trip, but for which requirements applied (not part of a
    // report: the rule is named by `rule`).
    let back: Evaluation = serde_json::from_str(&first).unwrap();
    let mut outcomes = evaluate(&p, [(&pkg, &evidence)], now()).outcomes;
    assert_eq!(outcomes[0].applied, Applied::Defaults);
    assert!(outcomes[0]
        .requirements(&p)
        .is_some_and(|r| r.repository.is_some()));
    outcomes[0].applied = Applied::Nothing;
    assert_eq!(back.outcomes, outcomes);
}

#[test]
fn ten_thousand_rules_and_packages_evaluate_through_the_index() {
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!(
            "[[package]]\nname = \"crate-{i}\"\nrepository-id = \"{}\"\n",
            i + 1
        ));
    }
    text.push_str("[[package]]\nname = \"glob-*\"\n");
    let p = policy(&text);
    let packages: Vec<_> = (0..10_000)
        .map(|i| package(&format!("crate-{i}"), "1.0.0"))
        .collect();
    let none = Evidence::default();
    let evaluation = evaluate(&p, packages.iter().map(|p| (p, &none)), now());
    assert_eq!(evaluation.outcomes.len(), 10_000);
    assert_eq!(evaluation.outcomes[42].rule.index, Some(42));
    assert_eq!(evaluation.warnings.len(), 1);
}

/// Evaluation over facts from bundles minted by the test instance and
/// verified through `crate::verify`: each knob of the instance is caught by
/// the requirement it breaks.
#[cfg(feature = "testkit")]
mod minted {
    use std::sync::LazyLock;

    use super::*;
    use crate::testkit::{self, Claims, Faults, MintRequest};
    use crate::trust::TrustRoot;

    const SHA: [u8; 32] = [0x5a; 32];

    static INSTANCE: LazyLock<(testkit::Instance, TrustRoot)> = LazyLock::new(|| {
        let instance = testkit::Instance::new(5);
        let root = instance.trust_root();
        (instance, root)
    });

    fn pkg() -> Package {
        Package {
            checksum: Some(sigstore_types::Sha256Hash::new(SHA)),
            ..package("tokio", "1.45.0")
        }
    }

    /// Mint a bundle for `claims` and gather its evidence as a run does
    /// ([`crate::fetch::PackageFetch::verify`]): an attestation when it
    /// verifies, a bundle set aside when it is for another artifact, a
    /// rejected bundle otherwise.
    fn evidence(claims: Claims, faults: Faults) -> Evidence {
        let (instance, root) = &*INSTANCE;
        let minted =
            instance.mint(&MintRequest::new("tokio", "1.45.0", SHA, claims).with_faults(faults));
        let mut fetched = crate::fetch::PackageFetch::nothing_for(crate::sources::PackageQuery {
            name: minted.name.clone(),
            version: minted.version.parse().unwrap(),
            source: PackageSource::CratesIo,
            checksum: sigstore_types::Sha256Hash::new(SHA),
            repository_hint: None,
            needs: Default::default(),
        });
        fetched.documents.push(crate::cache::BundleDocument {
            origin: BundleOrigin {
                source: "dir:bundles".into(),
                location: minted.file_name(),
            },
            bundle: crate::cache::ReadBundle::read(minted.to_json()),
        });
        fetched.verify(std::slice::from_ref(root))
    }

    fn base() -> Claims {
        Claims::github("tokio-rs/tokio", "1.45.0")
    }

    fn pinned_policy() -> Policy {
        let claims = base();
        policy(&format!(
            r#"
[defaults]
require = "attested"
issuer = "{issuer}"
runner = "github-hosted"
triggers = ["push", "release"]
visibility = "public"
predicate-type = "{slsa}"

[[package]]
name = "tokio"
repository = "https://github.com/tokio-rs/tokio"
repository-id = "{repo_id}"
owner = "https://github.com/tokio-rs"
owner-id = "{owner_id}"
workflow = ".github/workflows/release.yml"
signer-workflow = "https://github.com/tokio-rs/tokio/.github/workflows/release.yml"
ref = "refs/tags/v*"
"#,
            issuer = testkit::GITHUB_ACTIONS_ISSUER,
            slsa = testkit::SLSA_PROVENANCE_V1,
            repo_id = claims.repository_id,
            owner_id = claims.owner_id,
        ))
    }

    #[test]
    fn each_knob_is_caught_by_the_requirement_it_breaks() {
        let p = pinned_policy();
        let table: Vec<(&str, Claims, Vec<Requirement>)> = vec![
            ("as pinned", base(), vec![]),
            (
                "another repository",
                base().in_repository("evil-org/tokio"),
                vec![
                    Requirement::Repository,
                    Requirement::RepositoryId,
                    Requirement::Owner,
                    Requirement::OwnerId,
                    Requirement::SignerWorkflow,
                ],
            ),
            (
                "another workflow",
                base().with_workflow(".github/workflows/nightly.yml"),
                vec![Requirement::Workflow, Requirement::SignerWorkflow],
            ),
            (
                "a reusable workflow signed",
                base().with_reusable_workflow(
                    "someone/workflows",
                    ".github/workflows/release.yml",
                    "refs/heads/main",
                ),
                vec![Requirement::SignerWorkflow],
            ),
            (
                "a pull_request trigger",
                base().with_trigger("pull_request"),
                vec![Requirement::Triggers],
            ),
            (
                "a branch instead of a tag",
                base().on_branch("main"),
                vec![Requirement::Ref],
            ),
            (
                "a self-hosted runner",
                base().self_hosted(),
                vec![Requirement::Runner],
            ),
            (
                "a private repository",
                base().private(),
                vec![Requirement::Visibility],
            ),
        ];
        for (what, claims, expected) in table {
            let evidence = evidence(claims, Faults::default());
            assert!(
                evidence.rejected.is_empty(),
                "{what}: {:?}",
                evidence.rejected
            );
            let outcome = one(&p, &pkg(), &evidence);
            assert_eq!(failed(&outcome), expected, "{what}: {outcome:#?}");
            if expected.is_empty() {
                assert!(
                    matches!(outcome.outcome, Outcome::Pass { bundle: Some(_) }),
                    "{what}"
                );
                assert_eq!(outcome.rule.kind, RuleRefKind::Package);
            }
        }
    }

    #[test]
    fn reusable_workflows_are_pinned_by_ref_and_commit() {
        let signed_by = |git_ref: &str| {
            base().with_reusable_workflow(
                "my-org/release-workflows",
                ".github/workflows/rust-crate.yml",
                git_ref,
            )
        };
        let pinned = signed_by("refs/tags/v3.2.0");
        let commit = pinned.signer.as_ref().unwrap().commit.clone();
        let p = policy(&format!(
            r#"
[[package]]
name = "tokio"
require = "attested"
workflow = ".github/workflows/release.yml"
signer-workflow = "https://github.com/my-org/release-workflows/.github/workflows/rust-crate.yml@refs/tags/v3.*"
signer-digest = "{commit}"
"#
        ));
        assert_eq!(
            one(&p, &pkg(), &evidence(pinned, Faults::default()))
                .outcome
                .name(),
            "pass"
        );
        assert_eq!(
            failed(&one(
                &p,
                &pkg(),
                &evidence(signed_by("refs/tags/v4.0.0"), Faults::default())
            )),
            [Requirement::SignerWorkflow, Requirement::SignerDigest]
        );
        assert_eq!(
            failed(&one(
                &p,
                &pkg(),
                &evidence(signed_by("refs/tags/v3.3.0"), Faults::default())
            )),
            [Requirement::SignerDigest],
            "another commit of the same workflow line"
        );
    }

    #[test]
    fn a_bundle_that_fails_verification_is_a_violation_even_when_nothing_is_required() {
        let faults = Faults {
            untrusted_ca: true,
            ..Faults::default()
        };
        let evidence = evidence(base(), faults);
        assert_eq!(evidence.rejected.len(), 1);
        let evaluation = evaluate(&Policy::default_policy(), [(&pkg(), &evidence)], now());
        assert_eq!(
            failed(&evaluation.outcomes[0]),
            [Requirement::BundleVerification]
        );
        assert_eq!(evaluation.exit_code(), exit::VIOLATION);
    }

    /// A bundle for another artifact is set aside, not rejected: the
    /// package has no provenance, which is no violation when none is
    /// required, and is one when it is.
    #[test]
    fn a_bundle_for_another_artifact_is_set_aside() {
        let faults = Faults {
            subject_sha256: Some([0x11; 32]),
            ..Faults::default()
        };
        let evidence = evidence(base(), faults);
        assert!(evidence.rejected.is_empty() && evidence.attestations.is_empty());
        assert_eq!(evidence.ignored.len(), 1);
        let evaluation = evaluate(&Policy::default_policy(), [(&pkg(), &evidence)], now());
        assert_eq!(evaluation.outcomes[0].outcome, Outcome::NoProvenance);
        let attested = policy("[defaults]\nrequire = \"attested\"\n");
        let outcome = one(&attested, &pkg(), &evidence);
        assert_eq!(failed(&outcome), [Requirement::Require]);
    }

    #[test]
    fn init_writes_a_policy_that_passes_on_what_it_was_made_from() {
        let packages = [
            (pkg(), evidence(base(), Faults::default())),
            (
                Package {
                    checksum: Some(sigstore_types::Sha256Hash::new(SHA)),
                    ..package("tokio", "1.46.0")
                },
                evidence(base(), Faults::default()),
            ),
            (
                Package {
                    checksum: Some(sigstore_types::Sha256Hash::new(SHA)),
                    ..package("mio", "1.0.0")
                },
                evidence(
                    Claims::github("tokio-rs/mio", "1.0.0")
                        .with_reusable_workflow(
                            "tokio-rs/ci",
                            ".github/workflows/release.yml",
                            "refs/tags/v1.2.0",
                        )
                        .on_branch("main"),
                    Faults::default(),
                ),
            ),
            (package("libc", "0.2.150"), Evidence::default()),
            (
                package("serde", "1.0.200"),
                registry("https://github.com/serde-rs/serde"),
            ),
            (
                Package {
                    source: PackageSource::Git {
                        url: "https://github.com/o/fork?branch=main".into(),
                        rev: Some("abc".into()),
                    },
                    checksum: None,
                    ..package("fork", "0.1.0")
                },
                Evidence::default(),
            ),
        ];
        let options = crate::policy::from_evidence::InitOptions {
            lockfile: "Cargo.lock".into(),
            today: jiff::civil::date(2026, 6, 1),
            exemption_days: 90,
            sources: vec![crate::sources::SourceSpec::Dir {
                path: "bundles".into(),
            }],
            roots: vec!["trusted_root.json".into()],
        };
        let text =
            crate::policy::from_evidence::render(packages.iter().map(|(p, e)| (p, e)), &options);
        insta::assert_snapshot!(text);
        let written = policy(&text);
        let evaluation = evaluate(&written, packages.iter().map(|(p, e)| (p, e)), now());
        let names: Vec<_> = evaluation
            .outcomes
            .iter()
            .map(|o| (o.id(), o.outcome.name()))
            .collect();
        assert_eq!(
            names,
            [
                ("tokio@1.45.0".to_string(), "pass"),
                ("tokio@1.46.0".to_string(), "pass"),
                ("mio@1.0.0".to_string(), "pass"),
                ("libc@0.2.150".to_string(), "no-provenance"),
                ("serde@1.0.200".to_string(), "pass"),
                ("fork@0.1.0".to_string(), "pass"),
            ]
        );
        assert_eq!(evaluation.exit_code(), exit::PASS);
        assert!(evaluation.warnings.is_empty(), "{:?}", evaluation.warnings);

        // The pins hold: another repository is now a violation.
        let moved = evidence(base().in_repository("evil-org/tokio"), Faults::default());
        let outcome = one(&written, &pkg(), &moved);
        assert_eq!(
            failed(&outcome),
            [Requirement::Repository, Requirement::RepositoryId]
        );
    }
}

/// Evidence for a package published at `published`, with whatever else `evidence` holds.
fn published(mut evidence: Evidence, published: &str) -> Evidence {
    evidence.published = Some(published.parse().unwrap());
    evidence
}

/// `min-age`: a version younger than the minimum at the run's clock fails
/// whatever evidence it has, naming when it was published and when it
/// passes; one old enough passes; an exemption excuses it.
#[test]
fn min_age_fails_a_version_younger_than_the_minimum_and_says_when_it_passes() {
    // now() is 2026-06-01T12:00:00Z.
    let p = policy("[defaults]\nmin-age = \"7 days\"\n");
    let young = one(
        &p,
        &package("a", "1.0.0"),
        &published(attested(claims("o/a")), "2026-05-30T12:00:00Z"),
    );
    assert_eq!(failed(&young), [Requirement::MinAge]);
    assert_eq!(young.outcome.name(), "violation");
    let Outcome::Violation { failures } = &young.outcome else {
        unreachable!()
    };
    assert_eq!(
        failures[0].found.as_deref(),
        Some("published 2026-05-30T12:00:00Z, 2 days before this run; it passes from 2026-06-06T12:00:00Z")
    );
    assert!(failures[0].expected.contains("7 days"), "{:?}", failures[0]);
    assert_eq!(failures[0].span.unwrap().line, 2);
    // Exactly the minimum, and older: passes, with or without provenance.
    for at in ["2026-05-25T12:00:00Z", "2020-01-01T00:00:00Z"] {
        let old = one(
            &p,
            &package("a", "1.0.0"),
            &published(Evidence::default(), at),
        );
        assert_eq!(old.outcome, Outcome::NoProvenance, "{at}");
    }
    // It adds to other failures, and an exemption excuses it.
    let strict = policy(
        "[defaults]\nrequire = \"attested\"\nmin-age = \"7 days\"\n\n[[exempt]]\nname = \"b\"\nreason = \"a security fix\"\n",
    );
    let fresh = published(Evidence::default(), "2026-06-01T00:00:00Z");
    assert_eq!(
        failed(&one(&strict, &package("a", "1.0.0"), &fresh)),
        [Requirement::Require, Requirement::MinAge]
    );
    let exempt = one(&strict, &package("b", "1.0.0"), &fresh);
    assert_eq!(exempt.outcome.name(), "exempt");
    // A rule can lift it for one package.
    let lifted =
        policy("[defaults]\nmin-age = \"7 days\"\n\n[[package]]\nname = \"a\"\nmin-age = \"0s\"\n");
    assert_eq!(
        one(&lifted, &package("a", "1.0.0"), &fresh).outcome,
        Outcome::NoProvenance
    );
}

/// A publish time that is not known is never taken as old enough: the
/// package is not checked (an error), with why.
#[test]
fn min_age_without_a_publish_time_is_not_checked() {
    let p = policy("[defaults]\nmin-age = \"7 days\"\n");
    let unknown = SourceError::new("crates-io index", "the index could not be reached");
    let evidence = Evidence {
        published_unknown: Some(unknown.clone()),
        ..attested(claims("o/a"))
    };
    let outcome = one(&p, &package("a", "1.0.0"), &evidence);
    let Outcome::Error { errors, failures } = &outcome.outcome else {
        panic!("{outcome:#?}")
    };
    assert_eq!(errors, &[unknown]);
    assert_eq!(failures[0].requirement, Requirement::MinAge);
    // Nothing looked it up: why, in words for where the package comes from.
    let mut elsewhere = package("a", "1.0.0");
    elsewhere.source = PackageSource::Registry {
        url: "sparse+https://registry.example/".into(),
    };
    let Outcome::Error { errors, .. } = one(&p, &elsewhere, &Evidence::default()).outcome else {
        panic!()
    };
    assert!(
        errors[0].message.contains("only crates.io's index is read"),
        "{errors:?}"
    );
}

/// A verified bundle attested in another repository than the one the
/// package names (its manifest's, else its rule's) is marked, reported and
/// never held against the registry's record (no `evidence-conflict`),
/// unless the rule accepts its repository; the rule's checks still apply.
#[test]
fn a_bundle_from_another_repository_is_no_evidence_conflict_unless_the_rule_accepts_it() {
    let mut pkg = package("widget", "1.0.0");
    pkg.repository = Some("https://github.com/acme/widget".into());
    let found = |repository: &str| Evidence {
        attestations: vec![attestation(claims(repository))],
        ..registry("https://github.com/acme/widget")
    };
    let marked = |policy: &Policy, package: &Package, mut evidence: Evidence| {
        let traits = crate::policy::Traits::of(package);
        let effective = policy.requirements_for(&package.name, &package.version, traits);
        mark_other_repositories(&effective, package, &mut evidence);
        evidence
    };

    // A sibling repository of the same owner: marked, no conflict.
    let plain = policy("[defaults]\n");
    let sibling = found("acme/sibling");
    assert_eq!(
        failed(&one(&plain, &pkg, &sibling)),
        [Requirement::EvidenceConflict],
        "unmarked, it would be an evidence conflict"
    );
    let evidence = marked(&plain, &pkg, sibling.clone());
    assert_eq!(
        evidence.other_repository,
        [sibling.attestations[0].origin.clone()]
    );
    let outcome = one(&plain, &pkg, &evidence);
    assert!(failed(&outcome).is_empty(), "{outcome:?}");

    // The package's own repository, however spelled, is not marked.
    let mut spelled = pkg.clone();
    spelled.repository = Some("https://GitHub.com/Acme/Widget.git".into());
    assert!(marked(&plain, &spelled, found("acme/widget"))
        .other_repository
        .is_empty());

    // A rule that accepts the sibling's repository: held against the record.
    for accepting in [
        "[[package]]\nname = \"widget\"\nowner = \"https://github.com/acme\"\n",
        "[[package]]\nname = \"widget\"\nrepository = \"https://github.com/acme/sibling\"\n",
        "[[package]]\nname = \"widget\"\nrepository-id = \"1000\"\n",
    ] {
        let accepting = policy(accepting);
        let evidence = marked(&accepting, &pkg, sibling.clone());
        assert!(evidence.other_repository.is_empty(), "{accepting:?}");
        assert!(failed(&one(&accepting, &pkg, &evidence)).contains(&Requirement::EvidenceConflict));
    }
    // A rule pinning another identity does not accept it, and fails it.
    let pinned =
        policy("[[package]]\nname = \"widget\"\nrepository = \"https://github.com/acme/widget\"\n");
    let evidence = marked(&pinned, &pkg, sibling.clone());
    assert_eq!(evidence.other_repository.len(), 1);
    assert_eq!(
        failed(&one(&pinned, &pkg, &evidence)),
        [Requirement::Repository]
    );
    // Without a manifest (a bare lockfile), the rule's repository is the
    // one the package names.
    let bare = package("widget", "1.0.0");
    assert_eq!(
        marked(&pinned, &bare, sibling.clone())
            .other_repository
            .len(),
        1
    );

    // Nothing named at all, or no repository in the certificate: not marked.
    assert!(marked(&plain, &bare, sibling.clone())
        .other_repository
        .is_empty());
    let mut unnamed = claims("acme/sibling");
    unnamed.source_repository_uri = None;
    let evidence = marked(
        &plain,
        &pkg,
        Evidence {
            attestations: vec![attestation(unnamed)],
            ..Evidence::default()
        },
    );
    assert!(evidence.other_repository.is_empty());
}

/// A source comparison that found `commit` of `repository`.
fn compared(commit: &str, repository: &str) -> crate::evidence::SourceMatch {
    crate::evidence::SourceMatch {
        result: crate::evidence::SourceResult::Matches,
        commit: Some(commit.into()),
        path_in_vcs: Some(String::new()),
        dirty: Some(false),
        repository: Some(repository.into()),
        reason: None,
        ..crate::evidence::SourceMatch::not_checked("")
    }
}

#[test]
fn the_packages_own_commit_and_repository_must_agree_with_the_other_evidence() {
    let p = policy("mode = \"audit\"\n[[exempt]]\nname = \"a\"\nreason = \"r\"\n");
    let a = package("a", "1.0.0");
    let ours = "1".repeat(40);
    // The certificate's commit and repository: they agree, in any case.
    let mut evidence = attested(claims("o/a"));
    evidence.source_match = Some(compared(&ours.to_uppercase(), "https://github.com/O/a/"));
    assert_eq!(one(&p, &a, &evidence).outcome.name(), "pass");
    // Another commit: a conflict nothing waives.
    evidence.source_match = Some(compared(&"2".repeat(40), "https://github.com/o/a"));
    let outcome = one(&p, &a, &evidence);
    assert_eq!(failed(&outcome), [Requirement::EvidenceConflict]);
    assert!(outcome.has_unwaivable_failure());
    // Another repository.
    evidence.source_match = Some(compared(&ours, "https://github.com/evil/a"));
    assert_eq!(
        failed(&one(&p, &a, &evidence)),
        [Requirement::EvidenceConflict]
    );
    // A repository with no normal form, or no commit: nothing to compare.
    evidence.source_match = Some(compared(&ours, "not a url"));
    assert_eq!(one(&p, &a, &evidence).outcome.name(), "pass");
    evidence.source_match = Some(crate::evidence::SourceMatch::no_vcs_info(None));
    assert_eq!(one(&p, &a, &evidence).outcome.name(), "pass");
    // A comparison that did not reach the repository is not cross-checked.
    let mut unreached = compared(&"2".repeat(40), "https://github.com/o/a");
    unreached.result = crate::evidence::SourceResult::NotChecked;
    unreached.reason = Some("offline".into());
    evidence.source_match = Some(unreached.clone());
    assert_eq!(one(&p, &a, &evidence).outcome.name(), "pass");
    // One that read the repository at the commit and stopped after that
    // (a folder that cannot be told, a missing blob): its commit is a
    // fact, and it conflicts.
    unreached.commit_fetched = true;
    evidence.source_match = Some(unreached);
    assert_eq!(
        failed(&one(&p, &a, &evidence)),
        [Requirement::EvidenceConflict]
    );
    let listed = crate::evaluate::source_cross_checks_of(&evidence);
    let disagreeing: Vec<&str> = listed
        .iter()
        .filter(|c| c.agree == Some(false))
        .map(|c| c.what)
        .collect();
    assert_eq!(disagreeing, ["commit"], "{listed:?}");
    assert_eq!(listed.len(), 2, "{listed:?}");

    // The registry's record, alone: its commit and its repository.
    let mut record = registry("https://github.com/o/a");
    record.source_match = Some(compared(&ours, "https://github.com/o/a"));
    assert_eq!(one(&p, &a, &record).outcome.name(), "pass");
    record.source_match = Some(compared(&"2".repeat(40), "https://github.com/o/a"));
    assert_eq!(
        failed(&one(&p, &a, &record)),
        [Requirement::EvidenceConflict]
    );
    record.source_match = Some(compared(&ours, "https://gitlab.com/o/a"));
    let outcome = one(&p, &a, &record);
    assert_eq!(failed(&outcome), [Requirement::EvidenceConflict]);
    let Outcome::Violation { failures } = &outcome.outcome else {
        unreachable!("{outcome:?}")
    };
    assert!(
        failures[0]
            .found
            .as_deref()
            .unwrap()
            .contains("crates.io records"),
        "{failures:?}"
    );
    // A record without a commit says nothing about it.
    record.registry.as_mut().unwrap().sha = None;
    record.source_match = Some(compared(&"2".repeat(40), "https://github.com/o/a"));
    assert_eq!(one(&p, &a, &record).outcome.name(), "pass");
}

/// The requirements the evaluator applied travel on the outcome: the
/// deciding rule (here the exact `[[package]]`, over `[defaults]`), read
/// back without deciding again; none for a workspace member.
#[test]
fn the_outcome_carries_the_requirements_applied() {
    let p = policy(
        r#"
[defaults]
ref = "refs/defaults"

[[package]]
name = "a*"
ref = "refs/glob"

[[package]]
name = "a"
repository = "https://github.com/o/a"
"#,
    );
    let outcome = one(&p, &package("a", "1.0.0"), &attested(claims("o/a")));
    assert_eq!(outcome.applied, Applied::Rule(1));
    let rule = outcome.deciding_rule(&p).expect("a rule decided");
    assert_eq!(rule.index, 1);
    let requirements = outcome.requirements(&p).expect("requirements applied");
    let (repository, inherited) = requirements.repository.expect("the rule's own");
    assert_eq!(repository.value.text, "https://github.com/o/a");
    assert!(!inherited);
    let (reference, inherited) = requirements.refs.expect("from [defaults]");
    assert_eq!(reference.value.to_string(), "refs/defaults");
    assert!(inherited);

    let mut member = package("m", "1.0.0");
    member.workspace_member = true;
    let outcome = one(&p, &member, &Evidence::default());
    assert_eq!(outcome.applied, Applied::Nothing);
    assert!(outcome.requirements(&p).is_none());
}

#[test]
fn each_requirement_is_named_by_its_key_in_the_table_of_keys() {
    use crate::policy::rule_keys::{requirements, RequirementKey};
    for key in requirements() {
        match Requirement::of(key) {
            Some(requirement) => assert_eq!(requirement.as_str(), key.name()),
            None => assert_eq!(key, RequirementKey::SourceAllowLineEndings),
        }
    }
}
