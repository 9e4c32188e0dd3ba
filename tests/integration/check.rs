//! The default action end to end, through the binary: exit codes, the
//! three output formats, determinism, the job summary, and the demo.

#![cfg(feature = "testkit")]

use std::path::{Path, PathBuf};

use cargo_verify_provenance::testkit::files::{
    cargo_lock, write_bundles, write_file, LockedPackage,
};
use cargo_verify_provenance::testkit::internals::escape::markdown;
use cargo_verify_provenance::testkit::{Claims, Faults, Instance, MintRequest, Tamper};

use crate::harness::{Run, TestDir};

/// A fixed clock, so that runs compare byte for byte.
pub(crate) const NOW: &str = "2026-11-25T12:00:00Z";

/// One package of a workload, and how its bundle is made (if it has one).
pub(crate) struct Crate {
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
    pub(crate) bundle: Option<(Claims, Faults)>,
}

impl Crate {
    pub(crate) fn attested(name: &'static str, repository: &str) -> Self {
        Self {
            name,
            version: "1.0.0",
            bundle: Some((Claims::github(repository, "1.0.0"), Faults::default())),
        }
    }

    pub(crate) fn with_claims(name: &'static str, claims: Claims) -> Self {
        Self {
            name,
            version: "1.0.0",
            bundle: Some((claims, Faults::default())),
        }
    }

    pub(crate) fn tampered(name: &'static str, repository: &str, tamper: Tamper) -> Self {
        Self {
            name,
            version: "1.0.0",
            bundle: Some((
                Claims::github(repository, "1.0.0"),
                Faults {
                    tamper: Some(tamper),
                    ..Faults::default()
                },
            )),
        }
    }

    pub(crate) fn without_bundle(name: &'static str) -> Self {
        Self {
            name,
            version: "1.0.0",
            bundle: None,
        }
    }

    pub(crate) fn checksum(&self) -> [u8; 32] {
        let digest = sigstore_verify::crypto::sha256(
            format!("{}-{}.crate", self.name, self.version).as_bytes(),
        );
        *digest.as_bytes()
    }
}

/// Write `Cargo.lock`, `bundles/`, `trusted_root.json` and `provenance.toml`
/// (the policy text given, then the trust, source and path tables every
/// workload shares) into `dir`.
pub(crate) fn workload(dir: &TestDir, crates: &[Crate], policy: &str) {
    let instance = Instance::new(41);
    let requests: Vec<MintRequest> = crates
        .iter()
        .filter_map(|c| {
            c.bundle.as_ref().map(|(claims, faults)| {
                MintRequest::new(c.name, c.version, c.checksum(), claims.clone())
                    .with_faults(faults.clone())
            })
        })
        .collect();
    let minted = instance.mint_batch(&requests);
    let locked: Vec<LockedPackage> = crates
        .iter()
        .map(|c| LockedPackage {
            name: c.name.to_string(),
            version: c.version.to_string(),
            checksum: c.checksum(),
        })
        .collect();
    write_file(&dir.join("Cargo.lock"), cargo_lock("app", &locked)).unwrap();
    write_bundles(&dir.join("bundles"), &minted).unwrap();
    write_file(&dir.join("trusted_root.json"), instance.trusted_root_json()).unwrap();
    let text = format!(
        "{policy}\n[trust]\nroots = [\"trusted_root.json\"]\n\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n"
    );
    write_file(&dir.join("provenance.toml"), text).unwrap();
}

pub(crate) fn check(dir: &TestDir, extra: &[&str]) -> Run {
    dir.command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--color",
            "never",
            "--now",
            NOW,
        ])
        .args(extra)
        .run()
}

pub(crate) const ATTESTED: &str = "[defaults]\nrequire = \"attested\"\n";

#[test]
fn every_package_verified_is_exit_0() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[Crate::attested("alpha", "org/alpha"), Crate::attested("beta", "org/beta")],
        &format!("{ATTESTED}\n[[package]]\nname = \"alpha\"\nrepository = \"https://github.com/org/alpha\"\nref = \"refs/tags/v*\"\n"),
    );
    let run = check(&dir, &[]).expect_code(0);
    run.assert_stdout(
        "2 pass, 0 violation, 0 exempt, 0 no-provenance, 0 not-checked (2 dependencies; 1 workspace member)",
    );
    let alpha = run
        .stdout
        .lines()
        .find(|l| l.contains("alpha@1.0.0"))
        .unwrap();
    // One token per cell; the repository as owner/name. The source
    // comparison needs the `.crate`, which is neither cached nor fetched here.
    let cells: Vec<&str> = alpha.split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "pass",
            "alpha@1.0.0",
            "direct",
            "attested",
            "not-checked",
            "org/alpha",
            ".github/workflows/release.yml",
            "refs/tags/v1.0.0"
        ],
        "{alpha}"
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn a_violation_is_exit_1_and_points_into_the_policy() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[Crate::attested("alpha", "impostor/alpha"), Crate::attested("beta", "org/beta")],
        &format!("{ATTESTED}\n[[package]]\nname = \"alpha\"\nrepository = \"https://github.com/org/alpha\"\n"),
    );
    let run = check(&dir, &[]).expect_code(1);
    run.assert_stdout("1 pass, 1 violation");
    // The diagnostic names the package, the rule and the policy line, and
    // shows what was expected and what was found.
    run.assert_stderr("provenance-violation");
    run.assert_stderr("alpha@1.0.0: provenance does not satisfy [[package]] alpha");
    run.assert_stderr("provenance.toml:6");
    run.assert_stderr(
        "expected https://github.com/org/alpha, found https://github.com/impostor/alpha",
    );
}

#[test]
fn a_tampered_bundle_is_exit_1_even_in_audit_mode() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[
            Crate::tampered("alpha", "org/alpha", Tamper::InclusionProof),
            Crate::attested("beta", "org/beta"),
        ],
        "mode = \"audit\"\n",
    );
    let run = check(&dir, &[]).expect_code(1);
    run.assert_stderr("bundle-rejected");
    run.assert_stderr("alpha@1.0.0");
    run.assert_stderr("transparency log");
}

/// A message-signature bundle (here logged in a Rekor v2 log) attests the
/// artifact but states no in-toto statement: it passes a policy that asks
/// for an attestation, and fails one that asks for a predicate type.
#[test]
fn a_message_signature_bundle_has_no_predicate_type() {
    let instance = Instance::new(41);
    let serde = Crate::attested("serde", "serde-rs/serde");
    let minted = instance.mint_rekor_v2(&MintRequest::new(
        serde.name,
        serde.version,
        serde.checksum(),
        Claims::github("serde-rs/serde", serde.version),
    ));
    for (policy, code) in [
        (ATTESTED.to_string(), 0),
        (
            format!("{ATTESTED}predicate-type = \"https://slsa.dev/provenance/v1\"\n"),
            1,
        ),
    ] {
        let dir = TestDir::new();
        workload(&dir, &[Crate::without_bundle("serde")], &policy);
        write_bundles(&dir.join("bundles"), std::slice::from_ref(&minted)).unwrap();
        write_file(
            &dir.join("trusted_root.json"),
            instance.rekor_v2_trusted_root_json(),
        )
        .unwrap();
        let run = check(&dir, &["--message-format", "json"]).expect_code(code);
        let outcome = run
            .stdout
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .find(|value| value["reason"] == "package" && value["name"] == "serde")
            .unwrap_or_else(|| panic!("no outcome for serde: {}", run.stdout));
        if code == 0 {
            assert_eq!(outcome["outcome"], "pass", "{outcome}");
        } else {
            assert_eq!(outcome["outcome"], "violation", "{outcome}");
            let failures = outcome["failures"].as_array().unwrap();
            assert_eq!(failures.len(), 1, "{outcome}");
            assert_eq!(failures[0]["requirement"], "predicate-type", "{outcome}");
            assert!(failures[0]["found"].is_null(), "{outcome}");
        }
    }
}

#[test]
fn audit_mode_reports_violations_and_exits_0() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[Crate::attested("alpha", "impostor/alpha"), Crate::without_bundle("beta")],
        &format!("mode = \"audit\"\n{ATTESTED}\n[[package]]\nname = \"alpha\"\nrepository = \"https://github.com/org/alpha\"\n"),
    );
    let run = check(&dir, &[]).expect_code(0);
    run.assert_stdout("2 violation,");
    run.assert_stdout("audit mode");
    run.assert_stderr("warning[provenance-violation]: alpha@1.0.0");
}

#[test]
fn required_but_absent_is_a_violation_and_not_required_is_no_provenance() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[
            Crate::attested("alpha", "org/alpha"),
            Crate::without_bundle("beta"),
        ],
        ATTESTED,
    );
    let run = check(&dir, &[]).expect_code(1);
    run.assert_stderr("beta@1.0.0");
    run.assert_stderr("expected attested, found none");

    let relaxed = TestDir::new();
    workload(
        &relaxed,
        &[
            Crate::attested("alpha", "org/alpha"),
            Crate::without_bundle("beta"),
        ],
        "",
    );
    let run = check(&relaxed, &[]).expect_code(0);
    run.assert_stdout(
        "1 pass, 0 violation, 0 exempt, 1 no-provenance, 0 not-checked (2 dependencies; 1 workspace member)",
    );
}

#[test]
fn unchecked_when_required_is_exit_2_with_the_fix() {
    let dir = TestDir::new();
    workload(&dir, &[Crate::without_bundle("alpha")], ATTESTED);
    // Offline with a remote source and an empty cache: the package could
    // not be checked, which is never a pass.
    let run = check(
        &dir,
        &["--source", "url:https://mirror.invalid/{checksum}.json"],
    )
    .expect_code(2);
    run.assert_stderr("provenance-unchecked");
    run.assert_stderr("cargo verify-provenance fetch");
}

#[test]
fn configuration_errors_are_exit_2() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[Crate::attested("alpha", "org/alpha")],
        "[defaults]\nrequire = \"signed\"\n",
    );
    let run = check(&dir, &[]).expect_code(2);
    run.assert_stderr("policy-bad-value");

    let dir = TestDir::new();
    dir.write("Cargo.lock", "version = 4\n[[package]]\nname = \"a\"\n");
    check(&dir, &[]).expect_code(2);
    check(&dir, &["--message-format", "yaml"]).expect_code(2);
}

#[test]
fn json_lines_follow_the_documented_schema() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[
            Crate::attested("alpha", "org/alpha"),
            Crate::attested("beta", "impostor/beta"),
            Crate::without_bundle("gamma"),
            Crate::without_bundle("delta"),
            Crate::tampered("epsilon", "org/epsilon", Tamper::CheckpointSignature),
        ],
        &format!(
            "{ATTESTED}\n[[package]]\nname = \"beta\"\nrepository = \"https://github.com/org/beta\"\n\n\
             [[package]]\nname = \"delta\"\nrequire = \"none\"\n\n\
             [[exempt]]\nname = \"gamma\"\nreason = \"does not attest yet\"\nuntil = 2027-01-01\n\n\
             [[package]]\nname = \"unused*\"\nrequire = \"none\"\n"
        ),
    );
    let run = check(&dir, &["--message-format", "json"]).expect_code(1);
    let validator = crate::harness::message_format_validator();
    let messages: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect();
    for message in &messages {
        let errors: Vec<String> = validator
            .iter_errors(message)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{message}\n{}", errors.join("\n"));
    }
    let reasons: Vec<&str> = messages
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert_eq!(&reasons[..6], ["package"; 6]);
    assert_eq!(reasons.last(), Some(&"summary"));
    let outcome = |name: &str| {
        messages
            .iter()
            .find(|m| m["reason"] == "package" && m["name"] == name)
            .map(|m| m["outcome"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(outcome("alpha"), "pass");
    assert_eq!(outcome("beta"), "violation");
    assert_eq!(outcome("gamma"), "exempt");
    assert_eq!(outcome("delta"), "no-provenance");
    assert_eq!(outcome("epsilon"), "violation");
    let unused = messages
        .iter()
        .find(|m| m["reason"] == "warning" && m["code"] == "policy-unused-rule")
        .expect("the unused rule is reported");
    assert!(
        unused["file"]
            .as_str()
            .unwrap()
            .ends_with("provenance.toml"),
        "{unused}"
    );
    let summary = messages.last().unwrap();
    assert_eq!(summary["exit_code"], 1);
    assert_eq!(summary["verified"], 1);
    assert_eq!(summary["violations"], 2);
    assert_eq!(summary["rejected_bundles"], 1);
}

/// The OASIS SARIF 2.1.0 schema, as shipped in the sources of the
/// `serde-sarif` crate (a dev-dependency, so cargo has downloaded it into
/// its registry; the version is the one Cargo.lock pins).
pub(crate) fn sarif_schema() -> serde_json::Value {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lock = std::fs::read_to_string(manifest_dir.join("Cargo.lock")).unwrap();
    let version = lock
        .split("[[package]]")
        .find(|entry| entry.contains("name = \"serde-sarif\""))
        .and_then(|entry| entry.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .expect("serde-sarif is in Cargo.lock");
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let schema = std::fs::read_dir(cargo_home.join("registry/src"))
        .expect("cargo's registry sources")
        .filter_map(|index| index.ok())
        .map(|index| {
            index
                .path()
                .join(format!("serde-sarif-{version}/src/schema.json"))
        })
        .find(|path| path.is_file())
        .expect("the serde-sarif sources are downloaded");
    serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap()
}

#[test]
fn sarif_validates_against_the_sarif_schema() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[
            Crate::attested("alpha", "org/alpha"),
            Crate::attested("beta", "impostor/beta"),
            Crate::without_bundle("gamma"),
            Crate::tampered("epsilon", "org/epsilon", Tamper::LogEntryBody),
        ],
        "[[package]]\nname = \"beta\"\nrepository = \"https://github.com/org/beta\"\n",
    );
    let run = check(&dir, &["--message-format", "sarif"]).expect_code(1);
    let log: serde_json::Value =
        serde_json::from_str(&run.stdout).expect("SARIF is one JSON document");
    let validator = jsonschema::validator_for(&sarif_schema()).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // The typed SARIF model reads it too.
    let _: serde_sarif::sarif::Sarif =
        serde_json::from_value(log.clone()).expect("serde-sarif reads it");

    let results = log["runs"][0]["results"].as_array().unwrap();
    let rule_of = |name: &str| {
        results
            .iter()
            .find(|r| {
                r["message"]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{name}@"))
            })
            .map(|r| r["ruleId"].as_str().unwrap().to_string())
    };
    assert_eq!(rule_of("alpha"), None);
    assert_eq!(rule_of("beta").as_deref(), Some("provenance-violation"));
    // Nothing required anything of gamma: no alert, only a count.
    assert_eq!(rule_of("gamma"), None);
    assert_eq!(log["runs"][0]["properties"]["skippedPackages"], 2);
    assert_eq!(rule_of("epsilon").as_deref(), Some("bundle-rejected"));
    let beta = results
        .iter()
        .find(|r| r["ruleId"] == "provenance-violation")
        .unwrap();
    let location = &beta["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "Cargo.lock");
    let line = location["region"]["startLine"].as_u64().unwrap() as usize;
    let lockfile = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    assert_eq!(lockfile.lines().nth(line - 1), Some("[[package]]"));
    assert_eq!(lockfile.lines().nth(line), Some("name = \"beta\""));
    assert_eq!(
        beta["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "provenance.toml"
    );
}

#[test]
fn the_same_run_twice_gives_the_same_report() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[
            Crate::attested("alpha", "org/alpha"),
            Crate::attested("beta", "impostor/beta"),
            Crate::without_bundle("gamma"),
        ],
        "[[package]]\nname = \"beta\"\nrepository = \"https://github.com/org/beta\"\n",
    );
    for format in ["human", "json", "sarif"] {
        let first = check(&dir, &["--message-format", format]);
        let second = check(&dir, &["--message-format", format]);
        assert_eq!(first.code, second.code);
        assert_eq!(first.stdout, second.stdout, "{format}");
        assert_eq!(first.stderr, second.stderr, "{format}");
    }
}

#[test]
fn step_summary_is_appended_when_github_step_summary_is_set() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[
            Crate::attested("alpha", "org/alpha"),
            Crate::attested("beta", "impostor/beta"),
        ],
        "[[package]]\nname = \"beta\"\nrepository = \"https://github.com/org/beta\"\n",
    );
    let summary = dir.write("summary.md", "# earlier step\n");
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .expect_code(1);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("# earlier step\n"), "{text}");
    // The same first line and the same counts as the terminal's report.
    let first_line = run.stdout.lines().next().unwrap();
    let summary_line = run.stdout.lines().last().unwrap();
    assert!(summary_line.contains("1 violation"), "{}", run.stdout);
    for line in [first_line, summary_line] {
        assert!(
            text.contains(&format!("\n{}\n", markdown::text(line))),
            "{line:?} not in the step summary:\n{text}"
        );
    }
    assert!(text.contains("## Dependency provenance: failed"), "{text}");
    assert!(text.contains("| violation | `beta@1.0.0` |"), "{text}");
    assert!(
        text.contains("| `alpha@1.0.0` | `https://github.com/org/alpha` |"),
        "{text}"
    );
}

/// In audit mode the run exits 0 whatever it finds; the job summary's
/// heading states the violations and the required packages not checked
/// rather than "passed", and says "passed" only when there are none.
#[test]
fn the_audit_mode_job_summary_heading_states_what_was_found() {
    let heading_with = |policy: &str, crates: &[Crate], extra: &[&str]| {
        let dir = TestDir::new();
        workload(&dir, crates, policy);
        let summary = dir.write("summary.md", "");
        dir.command()
            .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(extra)
            .run()
            .expect_code(0);
        let text = std::fs::read_to_string(&summary).unwrap();
        text.lines().next().unwrap().to_string()
    };
    let heading = |policy: &str, crates: &[Crate]| heading_with(policy, crates, &[]);
    let impostor = || Crate::attested("beta", "impostor/beta");
    let pinned = "[[package]]\nname = \"beta\"\nrepository = \"https://github.com/org/beta\"\n";
    assert_eq!(
        heading(
            &format!("mode = \"audit\"\n{pinned}"),
            &[Crate::attested("alpha", "org/alpha"), impostor()]
        ),
        "## Dependency provenance: 1 violation (audit mode: not failing the run)"
    );
    assert_eq!(
        heading(
            "mode = \"audit\"\n[defaults]\nrequire = \"attested\"\n",
            &[
                Crate::without_bundle("gamma"),
                Crate::without_bundle("delta")
            ]
        ),
        "## Dependency provenance: 2 violations (audit mode: not failing the run)"
    );
    assert_eq!(
        heading(
            "mode = \"audit\"\n",
            &[Crate::attested("alpha", "org/alpha")]
        ),
        "## Dependency provenance: passed"
    );
    // Offline, a url source with nothing cached cannot answer.
    assert_eq!(
        heading_with(
            "mode = \"audit\"\n[defaults]\nrequire = \"attested\"\n",
            &[Crate::without_bundle("gamma")],
            &["--source", "url:https://mirror.example/{checksum}.json"],
        ),
        "## Dependency provenance: 1 required package not checked (audit mode: not failing the run)"
    );
}

#[test]
fn reusable_workflow_and_runner_claims_reach_the_report() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[
            Crate::with_claims(
                "alpha",
                Claims::github("org/alpha", "1.0.0").with_reusable_workflow(
                    "org/ci",
                    ".github/workflows/release.yml",
                    "refs/tags/v2",
                ),
            ),
            Crate::with_claims("beta", Claims::github("org/beta", "1.0.0").self_hosted()),
        ],
        "[defaults]\nrunner = \"github-hosted\"\n",
    );
    let run = check(&dir, &["--message-format", "json"]).expect_code(1);
    let alpha: serde_json::Value = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|m| m["name"] == "alpha")
        .unwrap();
    assert_eq!(
        alpha["provenance"]["signer_workflow"],
        "https://github.com/org/ci/.github/workflows/release.yml@refs/tags/v2"
    );
    let beta = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|m| m["name"] == "beta")
        .unwrap();
    assert_eq!(beta["outcome"], "violation");
    assert_eq!(beta["failures"][0]["requirement"], "runner");
    assert_eq!(beta["failures"][0]["found"], "self-hosted");
}

/// The committed demo under `policy`, expecting exit `code`.
fn run_demo(policy: &str, code: i32) -> Run {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    TestDir::new()
        .command()
        .arg("--lockfile")
        .arg(demo.join("Cargo.lock"))
        .arg("--policy")
        .arg(demo.join(policy))
        .args(["--offline", "--color", "never", "--now", NOW])
        .run()
        .expect_code(code)
}

#[test]
fn the_demo_passes_with_packages_without_provenance_and_exempt() {
    let run = run_demo("provenance.toml", 0);
    let summary = run.stdout.lines().last().unwrap();
    assert!(summary.contains("0 violation,"), "{summary}");
    assert!(!summary.starts_with("0 pass"), "{summary}");
    assert!(
        run.stdout.lines().any(|l| l.starts_with("no-provenance ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with("exempt")),
        "{}",
        run.stdout
    );
}

#[test]
fn the_strict_demo_policy_shows_violations() {
    let run = run_demo("provenance-strict.toml", 1);
    run.assert_stderr("provenance-strict.toml");
    assert!(
        run.stderr.contains("found self-hosted") || run.stderr.contains("found https://"),
        "{}",
        run.stderr
    );
}

#[test]
fn color_never_writes_no_escape_codes() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[Crate::attested("alpha", "impostor/alpha")],
        "[[package]]\nname = \"alpha\"\nrepository = \"https://github.com/org/alpha\"\n",
    );
    let run = check(&dir, &[]).expect_code(1);
    assert!(!run.stdout.contains('\u{1b}') && !run.stderr.contains('\u{1b}'));
    let colored = dir
        .command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--color",
            "always",
            "--now",
            NOW,
        ])
        .run()
        .expect_code(1);
    assert!(colored.stdout.contains('\u{1b}'));
}

/// A folder name with a space, `#`, `?` or `%` is percent-encoded in SARIF's
/// locations: each stays a URI reference that resolves to the file, never
/// one whose `#` starts a fragment.
#[test]
fn sarif_locations_are_uri_references_whatever_the_folder_is_called() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[Crate::attested("beta", "impostor/beta")],
        "[[package]]\nname = \"beta\"\nrepository = \"https://github.com/org/beta\"\n",
    );
    let folder = "checkout #1?%";
    std::fs::create_dir_all(dir.join(folder)).unwrap();
    std::fs::rename(dir.join("Cargo.lock"), dir.join(folder).join("Cargo.lock")).unwrap();
    let lockfile = format!("{folder}/Cargo.lock");
    let run = dir
        .command()
        .args(["--lockfile", &lockfile, "--policy", "provenance.toml"])
        .args(["--offline", "--now", NOW])
        .args(["--message-format", "sarif"])
        .run()
        .expect_code(1);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(uri, "checkout%20%231%3F%25/Cargo.lock");
    let base = url::Url::from_directory_path(dir.path()).unwrap();
    let resolved = base.join(&uri).unwrap();
    assert_eq!(resolved.fragment(), None);
    assert_eq!(
        resolved.to_file_path().unwrap(),
        dir.join(folder).join("Cargo.lock")
    );
}
