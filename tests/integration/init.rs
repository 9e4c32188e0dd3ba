//! `init` through the binary: the policy it writes passes on the lockfile it
//! was made from, its pins hold, and it never overwrites a policy unasked.

use cargo_verify_provenance::testkit::files::write_workload;
use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use serde_json::Value;

use crate::harness::{Run, TestDir};
use crate::minted::{json_lines, write_bundles_and_root, write_lockfile, Crate, NOW, SEED};

pub(crate) fn init(dir: &TestDir, extra: &[&str]) -> Run {
    dir.command()
        .args([
            "init",
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--now",
            NOW,
        ])
        .args(extra)
        .run()
}

/// The main command, with nothing but what the policy file says.
fn check(dir: &TestDir) -> (i32, Value, Vec<Value>) {
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
        .args(["--message-format", "json"])
        .run();
    let lines = json_lines(&run.stdout);
    let summary = lines.last().cloned().expect("a summary");
    (run.code, summary, lines)
}

#[test]
fn the_policy_init_writes_passes_on_the_generated_workload_it_was_made_from() {
    let dir = TestDir::new();
    write_workload(dir.path(), 40).unwrap();
    // Made from the bundles and root alone: the workload's own policy goes.
    std::fs::remove_file(dir.join("provenance.toml")).unwrap();
    init(
        &dir,
        &[
            "--source",
            "dir:bundles",
            "--trusted-root",
            "trusted_root.json",
        ],
    )
    .expect_code(0);
    let text = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    assert!(
        text.contains("[[source]]\nkind = \"dir\"\npath = \"bundles\"\n"),
        "{text}"
    );
    assert!(text.contains("roots = [\"trusted_root.json\"]"), "{text}");
    assert!(text.contains("require = \"attested\""), "{text}");
    // The reference is named so that it opens for an installed binary too:
    // offline through the command that prints it, and online.
    assert!(
        text.contains("# every key: `cargo verify-provenance policy reference`, or\n# https://github.com/cargo-verify-provenance/cargo-verify-provenance/blob/main/docs/policy.md\n"),
        "{text}"
    );
    assert_eq!(text.matches("[[package]]").count(), 40);

    dir.command()
        .args(["policy", "check", "--lockfile", "Cargo.lock"])
        .run()
        .expect_code(0);
    let (code, summary, _) = check(&dir);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["verified"], 40, "{summary}");
    assert_eq!(summary["violations"], 0, "{summary}");
    assert!(summary["policy"]
        .as_str()
        .unwrap()
        .ends_with("provenance.toml"));
}

/// The flags that make `init` read the workloads' bundles and root.
const FLAGS: [&str; 4] = [
    "--source",
    "dir:bundles",
    "--trusted-root",
    "trusted_root.json",
];

/// [`mixed`]'s bundles, root and lockfile in `dir`.
fn write_mixed(dir: &TestDir) {
    write_bundles_and_root(dir.path(), &mixed());
    write_lockfile(dir.path(), "Cargo.lock", &mixed());
}

fn mixed() -> Vec<Crate> {
    vec![
        Crate::attested("alpha", "1.0.0", "acme/alpha"),
        Crate::attested("alpha", "1.1.0", "acme/alpha"),
        Crate::with_claims(
            "beta",
            "0.3.0",
            Claims::github("acme/beta", "0.3.0").with_reusable_workflow(
                "acme/ci",
                ".github/workflows/attest.yml",
                "refs/tags/v2.1.0",
            ),
        ),
        Crate::with_claims(
            "gamma",
            "2.0.0",
            Claims::github("acme/gamma", "2.0.0").on_branch("main"),
        ),
        Crate::unattested("delta", "0.1.0"),
    ]
}

#[test]
fn a_mixed_lockfile_passes_and_the_pins_hold() {
    let dir = TestDir::new();
    write_bundles_and_root(dir.path(), &mixed());
    write_lockfile(dir.path(), "Cargo.lock", &mixed());
    let run = init(
        &dir,
        &[
            "--source",
            "dir:bundles",
            "--trusted-root",
            "trusted_root.json",
        ],
    )
    .expect_code(0);
    run.assert_stderr(
        "4 packages pinned to their verified provenance, 0 to registry data, 1 without provenance",
    );
    let text = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    for needle in [
        "name = \"alpha\"\n# versions in Cargo.lock: 1.0.0, 1.1.0\n",
        "signer-workflow = \"https://github.com/acme/ci/.github/workflows/attest.yml@refs/tags/{v2,v2.*}\"",
        "ref = \"refs/heads/main\"",
        "# [[exempt]]\n# name = \"delta\"",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
    // The lockfile's own package is the workspace: it needs no [path] entry.
    assert!(!text.contains("[path]"), "{text}");
    let (code, summary, lines) = check(&dir);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["verified"], 4, "{summary}");
    let delta = lines.iter().find(|l| l["name"] == "delta").unwrap();
    assert_eq!(delta["outcome"], "no-provenance");

    // A release built elsewhere is no longer accepted: the pins hold.
    let impostor = Instance::new(SEED).mint(&MintRequest::new(
        "alpha",
        "1.1.0",
        Crate::attested("alpha", "1.1.0", "acme/alpha").checksum(),
        Claims::github("impostor/alpha", "1.1.0"),
    ));
    std::fs::write(
        dir.join("bundles/alpha-1.1.0.sigstore.json"),
        impostor.to_json(),
    )
    .unwrap();
    let (code, summary, lines) = check(&dir);
    assert_eq!(code, 1, "{summary}");
    let alpha = lines
        .iter()
        .find(|l| l["name"] == "alpha" && l["version"] == "1.1.0")
        .unwrap();
    assert_eq!(alpha["outcome"], "violation");
    let failed: Vec<&str> = alpha["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["requirement"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["repository", "repository-id"]);
}

#[test]
fn an_existing_policy_is_kept_unless_forced_and_stdout_writes_nothing() {
    let dir = TestDir::new();
    write_mixed(&dir);
    let flags = FLAGS;

    let printed = init(&dir, &[&flags[..], &["--stdout"]].concat()).expect_code(0);
    assert!(!dir.join("provenance.toml").exists());
    assert!(printed
        .stdout
        .starts_with("# provenance.toml: who may build each dependency."));

    dir.write("provenance.toml", "# mine\n");
    let refused = init(&dir, &flags).expect_code(2);
    refused.assert_stderr("init-policy-exists");
    refused.assert_stderr("--force");
    assert_eq!(
        std::fs::read_to_string(dir.join("provenance.toml")).unwrap(),
        "# mine\n"
    );

    init(&dir, &[&flags[..], &["--force"]].concat()).expect_code(0);
    let written = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    assert_eq!(written, printed.stdout);
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".provenance"))
        .collect();
    assert!(leftovers.is_empty());

    // A .cargo/provenance.toml beside it would make discovery ambiguous.
    std::fs::remove_file(dir.join("provenance.toml")).unwrap();
    dir.write(".cargo/provenance.toml", "# theirs\n");
    let refused = init(&dir, &[&flags[..], &["--force"]].concat()).expect_code(2);
    refused.assert_stderr(".cargo/provenance.toml exists");
    assert!(!dir.join("provenance.toml").exists());
}

#[test]
fn init_pins_the_hardened_keys_where_the_evidence_shows_them_and_passes() {
    let test = "init_pins_the_hardened_keys_where_the_evidence_shows_them_and_passes";
    let Some(recorded) = crate::registry_record::Recorded::read(test) else {
        return;
    };
    let crates = [
        // A tag, a push, a GitHub-hosted runner, crates.io refusing tokens.
        Crate::attested("hardened", "1.0.0", "acme/hardened"),
        Crate::with_claims(
            "branch",
            "1.0.0",
            Claims::github("acme/branch", "1.0.0").on_branch("main"),
        ),
        Crate::with_claims(
            "scheduled",
            "1.0.0",
            Claims::github("acme/scheduled", "1.0.0").with_trigger("schedule"),
        ),
        Crate::with_claims(
            "own-runner",
            "1.0.0",
            Claims::github("acme/own-runner", "1.0.0").self_hosted(),
        ),
    ];
    let server = crate::server::Server::start();
    let published = "2026-01-10T08:00:00Z";
    for krate in &crates {
        let only = krate.name == "hardened";
        server.route(
            &format!("/api/v1/crates/{}", krate.name),
            vec![crate::server::Reply::json(
                recorded.answer(Some(only), &[(krate, published)]),
            )],
        );
    }
    let dir = TestDir::new();
    write_bundles_and_root(dir.path(), &crates);
    write_lockfile(dir.path(), "Cargo.lock", &crates);
    // crates.io's answers into the cache, as a run against it leaves them
    // (read back only through the same crates-io source, at 127.0.0.1).
    dir.write(
        "sources.toml",
        format!("[defaults]\n{}", crate::registry_record::sources(&server)),
    );
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--now", NOW])
        .args(["--policy", "sources.toml", "--crates-io-interval-ms", "0"])
        .run()
        .expect_code(0);
    init(&dir, &["--policy", "sources.toml"]).expect_code(0);
    let text = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    let rule = |name: &str| -> String {
        let start = text
            .find(&format!("[[package]]\nname = \"{name}\"\n"))
            .unwrap_or_else(|| panic!("no rule for {name} in\n{text}"));
        let rest = &text[start + 1..];
        rest[..rest.find("\n[").unwrap_or(rest.len())].to_string()
    };
    let hardened = rule("hardened");
    for needle in [
        "# Built from a tag: a push to a branch cannot publish a release.\nref = \"refs/tags/*\"",
        "# Never from a pull request: pull_request(_target) runs code its author controls.\ntriggers = [\"push\", \"release\", \"workflow_dispatch\"]",
        "# Built on a GitHub-hosted runner: a fresh machine, not one the publisher keeps.\nrunner = \"github-hosted\"",
        "# crates.io refuses API tokens for it: a stolen token cannot publish a version.\ntrustpub-only = true",
    ] {
        assert!(hardened.contains(needle), "{needle:?} not in\n{hardened}");
    }
    // Only where the evidence shows it.
    let branch = rule("branch");
    assert!(branch.contains("ref = \"refs/heads/main\""), "{branch}");
    assert!(!branch.contains("Built from a tag"), "{branch}");
    assert!(!branch.contains("trustpub-only"), "{branch}");
    assert!(
        rule("scheduled")
            .contains("triggers = [\"push\", \"release\", \"workflow_dispatch\", \"schedule\"]"),
        "{}",
        rule("scheduled")
    );
    assert!(
        !rule("own-runner").contains("runner ="),
        "{}",
        rule("own-runner")
    );

    // The policy passes on the lockfile it was made from.
    let (code, summary, _) = check(&dir);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["verified"], 4, "{summary}");
    // And the hardened keys hold: a build from a pull_request_target on a
    // self-hosted runner is no longer accepted for `hardened`.
    let hijacked = Instance::new(SEED).mint(&MintRequest::new(
        "hardened",
        "1.0.0",
        crates[0].checksum(),
        Claims::github("acme/hardened", "1.0.0")
            .with_trigger("pull_request_target")
            .self_hosted(),
    ));
    std::fs::write(
        dir.join("bundles/hardened-1.0.0.sigstore.json"),
        hijacked.to_json(),
    )
    .unwrap();
    let (code, _, lines) = check(&dir);
    assert_eq!(code, 1);
    let failed: Vec<&str> = lines.iter().find(|l| l["name"] == "hardened").unwrap()["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["requirement"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["triggers", "runner"]);
}

/// A version built on an event that runs on input others control (a pull
/// request's, a comment's, another workflow's run) never has that event
/// pinned as allowed: its rule allows the release events only, with a
/// warning, and fails until a release build replaces it.
#[test]
fn init_never_allows_a_trigger_that_runs_on_input_others_control() {
    let untrusted = ["pull_request_target", "issue_comment", "workflow_run"];
    let mut crates: Vec<Crate> = untrusted
        .iter()
        .map(|event| {
            let name = event.replace('_', "-");
            Crate::with_claims(
                &name,
                "1.0.0",
                Claims::github(&format!("acme/{name}"), "1.0.0").with_trigger(event),
            )
        })
        .collect();
    crates.push(Crate::with_claims(
        "scheduled",
        "1.0.0",
        Claims::github("acme/scheduled", "1.0.0").with_trigger("schedule"),
    ));
    let dir = TestDir::new();
    write_bundles_and_root(dir.path(), &crates);
    write_lockfile(dir.path(), "Cargo.lock", &crates);
    let flags = [
        "--source",
        "dir:bundles",
        "--trusted-root",
        "trusted_root.json",
    ];
    init(&dir, &flags).expect_code(0);
    let text = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    let release = "triggers = [\"push\", \"release\", \"workflow_dispatch\"]\n";
    for event in untrusted {
        let name = event.replace('_', "-");
        let start = text.find(&format!("name = \"{name}\"")).unwrap();
        let rule = &text[start..];
        let rule = &rule[..rule.find("\n[").unwrap_or(rule.len())];
        assert!(
            rule.contains(&format!("# WARNING: this version was built on `{event}`")),
            "{rule}"
        );
        assert!(rule.contains(release), "{rule}");
    }
    assert!(
        text.contains("triggers = [\"push\", \"release\", \"workflow_dispatch\", \"schedule\"]")
    );
    let (code, summary, lines) = check(&dir);
    assert_eq!(code, 1, "{summary}");
    for event in untrusted {
        let package = lines
            .iter()
            .find(|l| l["name"] == event.replace('_', "-"))
            .unwrap();
        assert_eq!(package["outcome"], "violation", "{package}");
        assert_eq!(package["failures"][0]["requirement"], "triggers");
    }
    assert_eq!(summary["verified"], 1, "{summary}");
}

/// The signer pinned at tag v2.1.0 accepts a later release of that major
/// line, and no other major line, whatever its digits begin with.
#[test]
fn a_signer_pinned_at_a_tag_accepts_its_major_line_only() {
    let dir = TestDir::new();
    write_mixed(&dir);
    let flags = FLAGS;
    init(&dir, &flags).expect_code(0);
    let beta = Crate::attested("beta", "0.3.0", "acme/beta");
    for (tag, passes) in [
        ("refs/tags/v2.5.0", true),
        ("refs/tags/v2", true),
        ("refs/tags/v3.0.0", false),
        ("refs/tags/v20.0.0", false),
        ("refs/heads/v2", false),
    ] {
        let claims = Claims::github("acme/beta", "0.3.0").with_reusable_workflow(
            "acme/ci",
            ".github/workflows/attest.yml",
            tag,
        );
        let minted =
            Instance::new(SEED).mint(&MintRequest::new("beta", "0.3.0", beta.checksum(), claims));
        std::fs::write(
            dir.join("bundles/beta-0.3.0.sigstore.json"),
            minted.to_json(),
        )
        .unwrap();
        let (code, _, lines) = check(&dir);
        let package = lines.iter().find(|l| l["name"] == "beta").unwrap();
        assert_eq!(code == 0, passes, "{tag}: {package}");
        if !passes {
            assert_eq!(
                package["failures"][0]["requirement"], "signer-workflow",
                "{tag}"
            );
        }
    }
}

/// Could-not-check is never success: offline with nothing cached, `init`
/// writes nothing and exits 2, naming the packages and why; asked to, it
/// writes the policy with those packages listed apart, by cause, never as
/// "without provenance" and with nothing to uncomment for them.
#[test]
fn init_writes_nothing_when_it_could_not_check_unless_allowed() {
    let dir = TestDir::new();
    write_lockfile(dir.path(), "Cargo.lock", &mixed());
    let mirror = "url:https://mirror.invalid/{checksum}.json";
    let refused = init(&dir, &["--source", mirror, "--color", "never"]).expect_code(2);
    refused
        .assert_stderr("error[init-unchecked]: 5 packages could not be checked, so no policy was written: alpha@1.0.0")
        .assert_stderr("not in the cache, and the run is offline")
        .assert_stderr("--allow-unchecked");
    assert!(!dir.join("provenance.toml").exists());

    let allowed = init(&dir, &["--source", mirror, "--allow-unchecked"]).expect_code(0);
    allowed.assert_stderr(
        "0 without provenance left to decide on, 5 that could not be checked listed apart",
    );
    let text = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    assert!(text.contains("# 5 packages could not be checked"), "{text}");
    assert!(
        text.contains("# url:https://mirror.invalid/{checksum}.json: not in the cache, and the run is offline:\n#   alpha@1.0.0, alpha@1.1.0,"),
        "{text}"
    );
    assert!(!text.contains("without provenance:"), "{text}");
    assert!(!text.contains("# [[exempt]]"), "{text}");
    dir.command()
        .args(["policy", "check", "--lockfile", "Cargo.lock"])
        .run()
        .expect_code(0);
}

/// `init`'s flags for the bundles and root [`write_bundles_and_root`] writes.
const FROM_BUNDLES: [&str; 4] = [
    "--source",
    "dir:bundles",
    "--trusted-root",
    "trusted_root.json",
];

/// What `init` leaves to decide on is one block per class: for the crates
/// without provenance, a rollout's one exemption or one per crate by
/// name, each valid once uncommented, never an exact version or an empty
/// reason.
#[test]
fn init_leaves_one_block_to_decide_on_whose_entries_are_valid_uncommented() {
    let dir = TestDir::new();
    let mut crates = mixed();
    crates.push(Crate::unattested("zeta", "0.1.0"));
    crates.push(Crate::unattested("zeta", "0.2.0"));
    write_bundles_and_root(dir.path(), &crates);
    write_lockfile(dir.path(), "Cargo.lock", &crates);
    init(&dir, &FROM_BUNDLES)
        .expect_code(0)
        .assert_stderr("3 without provenance left to decide on");
    let path = dir.join("provenance.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.matches("Dependencies to decide on").count(),
        1,
        "{text}"
    );
    assert!(text.contains("# 2 crates without provenance"), "{text}");
    assert!(!text.contains("version = \"="), "{text}");
    assert!(!text.contains("reason = \"\""), "{text}");
    // zeta's two versions: one entry, by name.
    assert_eq!(text.matches("# name = \"zeta\"").count(), 1, "{text}");

    // (b): every crate's entry uncommented, with `require = "attested"`.
    let strict = text.replace("require = \"none\"", "require = \"attested\"");
    let (a, b) = strict.split_at(strict.find("# (b) Crate by crate").expect(&text));
    let by_crate = format!("{a}{}", uncomment_entries(b));
    std::fs::write(&path, &by_crate).unwrap();
    let (code, summary, _) = check(&dir);
    assert_eq!(code, 0, "{summary}\n{by_crate}");
    assert_eq!(summary["exempt"], 3, "{summary}");

    // (a): the rollout alone.
    let (head, rollout) = strict.split_at(strict.find("# (a) A rollout").expect(&text));
    let (rollout, rest) = rollout.split_at(rollout.find("# (b) Crate by crate").unwrap());
    let rollout = format!("{head}{}{rest}", uncomment_entries(rollout));
    std::fs::write(&path, &rollout).unwrap();
    let (code, summary, _) = check(&dir);
    assert_eq!(code, 0, "{summary}\n{rollout}");
    assert_eq!(summary["exempt"], 3, "{summary}");
}

/// `text` with the commented lines of `[[exempt]]` entries uncommented.
fn uncomment_entries(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(entry)
                if ["[[exempt]]", "name = ", "reason = ", "until = "]
                    .iter()
                    .any(|start| entry.starts_with(start)) =>
            {
                format!("{entry}\n")
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

/// `init --update` after the lockfile changed: a rule for the new crate,
/// none for the one gone, and every edit and comment of the file kept.
#[test]
fn init_update_adds_and_removes_rules_and_keeps_every_edit() {
    let dir = TestDir::new();
    let mut crates = mixed();
    write_bundles_and_root(dir.path(), &crates);
    write_lockfile(dir.path(), "Cargo.lock", &crates);
    init(&dir, &FROM_BUNDLES).expect_code(0);
    let path = dir.join("provenance.toml");
    let written = std::fs::read_to_string(&path).unwrap();
    let edited = written
        .replacen(
            "[defaults]",
            "# Reviewed by the team on 2026-05-30.\n[defaults]",
            1,
        )
        .replacen(
            "ref = \"refs/tags/*\"",
            "ref = \"refs/tags/v*\" # our edit",
            1,
        );
    std::fs::write(&path, &edited).unwrap();

    // gamma leaves the lockfile; epsilon (attested) and zeta (nothing) come in.
    crates.retain(|c| c.name != "gamma");
    crates.push(Crate::attested("epsilon", "1.0.0", "acme/epsilon"));
    crates.push(Crate::unattested("zeta", "0.1.0"));
    write_bundles_and_root(dir.path(), &crates);
    write_lockfile(dir.path(), "Cargo.lock", &crates);
    let updated = init(&dir, &["--update"]).expect_code(0);
    updated.assert_stderr("1 rule added, 1 rule removed, 2 packages to decide on");
    let text = std::fs::read_to_string(&path).unwrap();
    for kept in [
        "# Reviewed by the team on 2026-05-30.\n[defaults]",
        "ref = \"refs/tags/v*\" # our edit",
        "name = \"alpha\"\n# versions in Cargo.lock: 1.0.0, 1.1.0\n",
    ] {
        assert!(text.contains(kept), "{kept:?} not in\n{text}");
    }
    assert!(!text.contains("name = \"gamma\""), "{text}");
    assert!(
        text.contains("name = \"epsilon\"\nrequire = \"attested\"\nrepository = \"https://github.com/acme/epsilon\""),
        "{text}"
    );
    assert!(text.contains("# name = \"zeta\""), "{text}");
    assert!(text.contains("# name = \"delta\""), "{text}");
    assert_eq!(
        text.matches("Dependencies to decide on").count(),
        1,
        "{text}"
    );
    let (code, summary, _) = check(&dir);
    assert_eq!(code, 0, "{summary}");

    // Nothing changed since: an update changes nothing.
    init(&dir, &["--update"]).expect_code(0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    // Without a policy file, there is nothing to update.
    std::fs::remove_file(&path).unwrap();
    init(&dir, &["--update", "--color", "never"])
        .expect_code(2)
        .assert_stderr("init-no-policy");
}
