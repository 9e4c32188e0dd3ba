//! Which rule decides, and what it compares, through the binary: a
//! prerelease is decided by the rule for its version line, a package a rule
//! names but whose version it leaves out is warned about, glob precedence
//! counts the parsed glob, `owner` checks the repository too, and a
//! `workflow` pin is only met inside the package's own repository.

use cargo_verify_provenance::testkit::files::{
    cargo_lock, write_bundles, write_file, LockedPackage,
};
use cargo_verify_provenance::testkit::{CertificateFault, Claims, Faults, Instance, MintRequest};

use crate::harness::{Run, TestDir};

const NOW: &str = "2026-11-25T12:00:00Z";

/// One package, the claims of its bundle and a fault of its certificate.
struct Crate {
    name: &'static str,
    version: &'static str,
    claims: Claims,
    fault: Option<CertificateFault>,
}

impl Crate {
    fn new(name: &'static str, version: &'static str, repository: &str) -> Self {
        Self {
            name,
            version,
            claims: Claims::github(repository, version),
            fault: None,
        }
    }

    /// The same, with Fulcio extension `.1.number` holding `value`.
    fn with_claim(self, number: u32, value: &str) -> Self {
        Self {
            fault: Some(CertificateFault::ReplacedClaim {
                number,
                value: value.into(),
            }),
            ..self
        }
    }
}

/// Write `Cargo.lock` (root `app`), the bundles minted for `requests`, the
/// instance's `trusted_root.json` and `provenance.toml`: `policy`, then the
/// trust root, a `dir` source of the bundles and `[path]` allowing `app`.
pub(crate) fn write_minted(
    dir: &TestDir,
    instance: &Instance,
    locked: &[LockedPackage],
    requests: &[MintRequest],
    policy: &str,
) {
    write_file(&dir.join("Cargo.lock"), cargo_lock("app", locked)).unwrap();
    write_bundles(&dir.join("bundles"), &instance.mint_batch(requests)).unwrap();
    write_file(&dir.join("trusted_root.json"), instance.trusted_root_json()).unwrap();
    write_file(
        &dir.join("provenance.toml"),
        format!(
            "{policy}\n[trust]\nroots = [\"trusted_root.json\"]\n\n\
             [[source]]\nkind = \"dir\"\npath = \"bundles\"\n"
        ),
    )
    .unwrap();
}

/// Mint, write and run offline; the JSON report's outcome per package.
fn run(crates: &[Crate], policy: &str) -> (Run, Vec<(String, String)>) {
    let dir = TestDir::new();
    let instance = Instance::new(58);
    let locked: Vec<LockedPackage> = crates
        .iter()
        .enumerate()
        .map(|(i, c)| LockedPackage {
            name: c.name.into(),
            version: c.version.into(),
            checksum: [u8::try_from(i).unwrap() + 0x31; 32],
        })
        .collect();
    let requests: Vec<MintRequest> = crates
        .iter()
        .zip(&locked)
        .map(|(c, l)| {
            MintRequest::new(c.name, c.version, l.checksum, c.claims.clone()).with_faults(Faults {
                certificate: c.fault.clone(),
                ..Faults::default()
            })
        })
        .collect();
    write_minted(&dir, &instance, &locked, &requests, policy);
    let run = dir
        .command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--now",
            NOW,
            "--message-format",
            "json",
        ])
        .run();
    let outcomes = run
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "package")
        .map(|m| {
            (
                format!(
                    "{}@{}",
                    m["name"].as_str().unwrap(),
                    m["version"].as_str().unwrap()
                ),
                m["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (run, outcomes)
}

fn outcome<'a>(outcomes: &'a [(String, String)], id: &str) -> &'a str {
    &outcomes
        .iter()
        .find(|(package, _)| package == id)
        .unwrap_or_else(|| panic!("no outcome for {id}: {outcomes:?}"))
        .1
}

#[test]
fn a_prerelease_is_decided_by_the_rule_for_its_version_line() {
    let (run, outcomes) = run(
        &[
            Crate::new("alpha", "1.0.0-rc.1", "impostor/alpha"),
            Crate::new("alpha", "1.2.0", "org/alpha"),
        ],
        "[[package]]\nname = \"alpha\"\nversion = \"1.*\"\nrepository = \"https://github.com/org/alpha\"\n",
    );
    assert_eq!(
        outcome(&outcomes, "alpha@1.0.0-rc.1"),
        "violation",
        "{}",
        run.stdout
    );
    assert_eq!(outcome(&outcomes, "alpha@1.2.0"), "pass");
}

#[test]
fn a_named_package_whose_version_no_rule_covers_is_warned_about() {
    let (run, outcomes) = run(
        &[
            Crate::new("beta", "0.9.0", "org/beta"),
            Crate::new("beta", "1.0.0", "impostor/beta"),
        ],
        "[[package]]\nname = \"beta\"\nversion = \"<1\"\nrepository = \"https://github.com/org/beta\"\n",
    );
    // Decided by [defaults], which asks nothing here: but not silently.
    assert_eq!(outcome(&outcomes, "beta@1.0.0"), "pass");
    let warning = run
        .stdout
        .lines()
        .find(|line| line.contains("policy-version-not-covered"))
        .unwrap_or_else(|| panic!("no warning:\n{}", run.stdout));
    assert!(warning.contains("beta@1.0.0"), "{warning}");
    assert!(warning.contains("[defaults]"), "{warning}");
}

/// The precedence of docs/policy.md ("Which rule decides"), with globs
/// whose alternatives and sets would have counted as literal characters.
#[test]
fn glob_precedence_counts_the_parsed_glob() {
    let wrong = "repository = \"https://github.com/org/wrong\"\n";
    let right = "repository = \"https://github.com/org/gamma-lib\"\n";
    for (winner, loser) in [
        // 6 literal characters against 1 (`{g,…}` counts its shortest alternative).
        ("gamma-*", "{g,gxxxxxxxxxxxxxxxxxxxxxxx}*"),
        // 6 against 1: a set counts nothing.
        ("gamma-*", "[g][a][m][m][a][-]l*"),
        // an exact name before any glob, a glob with a version before one without.
        ("gamma-lib", "gamma-li?"),
    ] {
        for order in [[winner, loser], [loser, winner]] {
            let policy: String = order
                .iter()
                .map(|name| {
                    format!(
                        "[[package]]\nname = \"{name}\"\n{}\n",
                        if *name == winner { right } else { wrong }
                    )
                })
                .collect();
            let (run, outcomes) = run(
                &[Crate::new("gamma-lib", "1.0.0", "org/gamma-lib")],
                &policy,
            );
            assert_eq!(
                outcome(&outcomes, "gamma-lib@1.0.0"),
                "pass",
                "{winner} should decide over {loser}\n{}",
                run.stdout
            );
        }
    }
    let versioned = "[[package]]\nname = \"gamma-*\"\nversion = \"1\"\nrepository = \"https://github.com/org/gamma-lib\"\n\n\
                     [[package]]\nname = \"gamma-li*\"\nrepository = \"https://github.com/org/wrong\"\n";
    let (_, outcomes) = run(
        &[Crate::new("gamma-lib", "1.0.0", "org/gamma-lib")],
        versioned,
    );
    assert_eq!(outcome(&outcomes, "gamma-lib@1.0.0"), "pass");
}

#[test]
fn an_owner_rule_checks_that_the_repository_lies_under_the_owner() {
    let (run, outcomes) = run(
        &[
            Crate::new("delta", "1.0.0", "org/delta"),
            // The owner claim says org, the repository is elsewhere.
            Crate::new("epsilon", "1.0.0", "elsewhere/epsilon")
                .with_claim(16, "https://github.com/org"),
        ],
        "[[owner]]\nowner = \"https://github.com/org\"\npackages = [\"delta\", \"epsilon\"]\n",
    );
    assert_eq!(outcome(&outcomes, "delta@1.0.0"), "pass", "{}", run.stdout);
    assert_eq!(
        outcome(&outcomes, "epsilon@1.0.0"),
        "violation",
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("but repository https://github.com/elsewhere/epsilon"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_workflow_pin_is_met_only_inside_the_packages_repository() {
    let (run, outcomes) = run(
        &[
            Crate::new("zeta", "1.0.0", "org/zeta"),
            Crate::new("eta", "1.0.0", "org/eta").with_claim(
                18,
                "https://github.com/evil/x/.github/workflows/release.yml@refs/tags/v1.0.0",
            ),
        ],
        "[[package]]\nname = \"*\"\nworkflow = \".github/workflows/release.yml\"\n",
    );
    assert_eq!(outcome(&outcomes, "zeta@1.0.0"), "pass", "{}", run.stdout);
    assert_eq!(
        outcome(&outcomes, "eta@1.0.0"),
        "violation",
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("https://github.com/evil/x/.github/workflows/release.yml"),
        "the failure shows the other repository's workflow\n{}",
        run.stdout
    );
}
