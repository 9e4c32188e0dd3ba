//! `diff OLD.lock NEW.lock` and `--baseline` through the binary, over
//! generated workloads: new and removed dependencies, a repository change,
//! a workflow change, a downgrade (fails) and an accepted one (passes).

use cargo_verify_provenance::testkit::Claims;
use serde_json::Value;

use crate::harness::{Cmd, Run, TestDir};
use crate::minted::{json_lines, write_bundles_and_root, write_lockfile, Crate, NOW, SOURCES};

/// A folder with `old.lock` and `new.lock`, bundles for every attested
/// crate of both, the trust root and a policy (requiring nothing, so that
/// only the diff decides) with `extra` appended.
fn scenario(old: &[Crate], new: &[Crate], extra: &str) -> TestDir {
    let dir = TestDir::new();
    let all: Vec<Crate> = old.iter().chain(new).cloned().collect();
    write_bundles_and_root(dir.path(), &all);
    write_lockfile(dir.path(), "old.lock", old);
    write_lockfile(dir.path(), "new.lock", new);
    dir.write(
        "provenance.toml",
        format!("[defaults]\nrequire = \"none\"\n{SOURCES}{extra}"),
    );
    dir
}

fn diff(dir: &TestDir, extra: &[&str]) -> Run {
    dir.command()
        .args(["diff", "old.lock", "new.lock", "--offline", "--now", NOW])
        .args(extra)
        .run()
}

fn diff_json(dir: &TestDir, extra: &[&str]) -> (i32, Vec<Value>) {
    let run = diff(dir, &[&["--message-format", "json"], extra].concat());
    let lines = json_lines(&run.stdout);
    let summary = lines.last().expect("a summary line");
    assert_eq!(summary["reason"], "diff-summary", "{}", run.stdout);
    assert_eq!(summary["exit_code"], run.code, "{}", run.stdout);
    (run.code, lines)
}

fn only<'a>(lines: &'a [Value], reason: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["reason"] == reason).collect()
}

/// The main command on `new.lock` with `old.lock` as its baseline, offline.
fn with_baseline(dir: &TestDir) -> Cmd {
    dir.command().args([
        "--lockfile",
        "new.lock",
        "--baseline",
        "old.lock",
        "--offline",
        "--now",
        NOW,
    ])
}

#[test]
fn new_and_removed_dependencies_are_listed_with_their_evidence_and_pass() {
    let old = [
        Crate::attested("stay", "1.0.0", "acme/stay"),
        Crate::attested("gone", "1.0.0", "acme/gone"),
        Crate::unattested("up", "1.0.0"),
    ];
    let new = [
        Crate::attested("stay", "1.1.0", "acme/stay"),
        Crate::attested("fresh", "2.0.0", "acme/fresh"),
        Crate::unattested("bare", "0.1.0"),
        Crate::attested("up", "1.1.0", "acme/up"),
    ];
    let dir = scenario(&old, &new, "");
    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 0);

    let added = only(&lines, "diff-added");
    assert_eq!(added.len(), 2, "{lines:#?}");
    assert_eq!(added[0]["name"], "bare");
    assert_eq!(added[0]["evidence"], "none");
    assert_eq!(added[1]["name"], "fresh");
    assert_eq!(added[1]["version"], "2.0.0");
    assert_eq!(added[1]["evidence"], "attested");
    assert_eq!(added[1]["outcome"], "pass");
    assert_eq!(added[1]["repository"], "https://github.com/acme/fresh");
    assert_eq!(added[1]["workflow"], ".github/workflows/release.yml");
    assert!(added[1]["repository_id"].is_string());
    assert_eq!(added[1]["source"]["kind"], "crates-io");

    let removed = only(&lines, "diff-removed");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["name"], "gone");
    assert_eq!(removed[0]["evidence"], "attested");

    let upgrades = only(&lines, "diff-upgrade");
    assert_eq!(upgrades.len(), 1);
    assert_eq!(upgrades[0]["name"], "up");
    assert_eq!(upgrades[0]["previous_version"], "1.0.0");
    assert_eq!(upgrades[0]["version"], "1.1.0");
    assert_eq!(
        (upgrades[0]["from"].as_str(), upgrades[0]["to"].as_str()),
        (Some("none"), Some("attested"))
    );
    assert_eq!(upgrades[0]["fails"], false);

    // A version bump with the same provenance is no change.
    assert!(lines.iter().all(|l| l["name"] != "stay"), "{lines:#?}");
    let summary = lines.last().unwrap();
    assert_eq!(summary["added"], 2);
    assert_eq!(summary["removed"], 1);
    assert_eq!(summary["upgrades"], 1);
    assert_eq!(summary["failing"], 0);
    assert_eq!(summary["format_version"], 2);

    let human = diff(&dir, &[]).expect_code(0).stdout;
    for needle in [
        "          added       fresh@2.0.0: attested, https://github.com/acme/fresh .github/workflows/release.yml (pass)",
        "          removed     gone@1.0.0 (was attested)",
        "          upgrade     up 1.0.0 -> 1.1.0: none -> attested",
        "2 added, 1 removed, 1 upgrade: no provenance change fails",
    ] {
        assert!(human.contains(needle), "{needle:?} not in\n{human}");
    }
}

#[test]
fn a_repository_change_fails_unless_accepted() {
    let old = [Crate::attested("moved", "1.0.0", "acme/moved")];
    let new = [Crate::attested("moved", "1.1.0", "evil/moved")];
    let dir = scenario(&old, &new, "");
    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    let changes = only(&lines, "diff-repository");
    assert_eq!(changes.len(), 1, "{lines:#?}");
    let change = changes[0];
    assert_eq!(
        change["from"]["repository"],
        "https://github.com/acme/moved"
    );
    assert_eq!(change["to"]["repository"], "https://github.com/evil/moved");
    assert_ne!(
        change["from"]["repository_id"],
        change["to"]["repository_id"]
    );
    assert_eq!(change["fails"], true);
    assert!(change["accepted"].is_null());
    // Same workflow and level: nothing else changed.
    assert_eq!(lines.len(), 2, "{lines:#?}");

    let human = diff(&dir, &[]).expect_code(1).stdout;
    assert!(
        human.contains(
            "FAIL      repository  moved 1.0.0 -> 1.1.0: https://github.com/acme/moved (ID "
        ),
        "{human}"
    );
    assert!(human.contains("help: if a change is expected"), "{human}");

    let (code, lines) = diff_json(&dir, &["--allow-repository-change", "mov*"]);
    assert_eq!(code, 0);
    let change = only(&lines, "diff-repository")[0];
    assert_eq!(change["fails"], false);
    assert_eq!(change["accepted"]["by"], "command-line");
    assert_eq!(change["accepted"]["pattern"], "mov*");
    assert_eq!(lines.last().unwrap()["accepted"], 1);
}

#[test]
fn a_renamed_repository_with_the_same_id_is_a_change_that_says_so() {
    let renamed = Claims {
        repository: "acme/new-name".into(),
        ..Claims::github("acme/old-name", "1.1.0")
    };
    let old = [Crate::attested("renamed", "1.0.0", "acme/old-name")];
    let new = [Crate::with_claims("renamed", "1.1.0", renamed)];
    let dir = scenario(&old, &new, "");
    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    let change = only(&lines, "diff-repository")[0];
    assert_eq!(
        change["from"]["repository_id"],
        change["to"]["repository_id"]
    );
    assert!(
        change["note"].as_str().unwrap().contains("renamed"),
        "{change}"
    );
}

#[test]
fn a_workflow_change_fails_unless_accepted_in_the_policy() {
    let old = [Crate::attested("flow", "1.0.0", "acme/flow")];
    let new = [Crate::with_claims(
        "flow",
        "1.0.1",
        Claims::github("acme/flow", "1.0.1").with_workflow(".github/workflows/publish.yml"),
    )];
    let dir = scenario(&old, &new, "");
    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    let change = only(&lines, "diff-workflow")[0];
    assert_eq!(change["from"]["workflow"], ".github/workflows/release.yml");
    assert_eq!(change["to"]["workflow"], ".github/workflows/publish.yml");
    assert_eq!(change["fails"], true);
    assert!(only(&lines, "diff-repository").is_empty());

    // A reusable workflow that starts signing is a workflow change too.
    let old = [Crate::attested("flow", "1.0.0", "acme/flow")];
    let new = [Crate::with_claims(
        "flow",
        "1.0.1",
        Claims::github("acme/flow", "1.0.1").with_reusable_workflow(
            "acme/ci",
            ".github/workflows/attest.yml",
            "refs/tags/v2.0.0",
        ),
    )];
    let dir = scenario(&old, &new, "\n[diff]\nallow-workflow-change = [\"flow\"]\n");
    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 0, "{lines:#?}");
    let change = only(&lines, "diff-workflow")[0];
    assert!(change["from"]["signer_workflow"].is_null());
    assert!(change["to"]["signer_workflow"]
        .as_str()
        .unwrap()
        .starts_with("https://github.com/acme/ci/.github/workflows/attest.yml"));
    assert_eq!(change["accepted"]["by"], "policy");
    assert_eq!(change["accepted"]["pattern"], "flow");
    assert!(change["accepted"]["line"].is_u64());
}

#[test]
fn a_downgrade_fails() {
    let old = [Crate::attested("down", "1.0.0", "acme/down")];
    let new = [Crate::unattested("down", "1.1.0")];
    let dir = scenario(&old, &new, "");
    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    let change = only(&lines, "diff-downgrade")[0];
    assert_eq!(change["name"], "down");
    assert_eq!(
        (change["from"].as_str(), change["to"].as_str()),
        (Some("attested"), Some("none"))
    );
    assert_eq!(change["fails"], true);
    let summary = lines.last().unwrap();
    assert_eq!(
        (summary["downgrades"].as_u64(), summary["failing"].as_u64()),
        (Some(1), Some(1))
    );

    let run = diff(&dir, &[]).expect_code(1);
    run.assert_stdout("FAIL      downgrade   down 1.0.0 -> 1.1.0: attested -> none");
    run.assert_stdout("1 change fails");
}

#[test]
fn a_downgrade_accepted_in_the_policy_passes() {
    let old = [
        Crate::attested("known", "1.0.0", "acme/known"),
        Crate::attested("other", "1.0.0", "acme/other"),
    ];
    let new = [
        Crate::unattested("known", "1.1.0"),
        Crate::attested("other", "1.0.1", "acme/other"),
    ];
    let dir = scenario(&old, &new, "\n[diff]\nallow-downgrade = [\"known\"]\n");
    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 0, "{lines:#?}");
    let change = only(&lines, "diff-downgrade")[0];
    assert_eq!(change["fails"], false);
    assert_eq!(change["accepted"]["by"], "policy");
    assert_eq!(change["accepted"]["pattern"], "known");
    assert_eq!(change["accepted"]["line"], 12);
    assert!(change["accepted"]["file"]
        .as_str()
        .unwrap()
        .ends_with("provenance.toml"));
    let human = diff(&dir, &[]).expect_code(0).stdout;
    assert!(human.contains("accepted  downgrade   known"), "{human}");
    assert!(human.contains("accepted by `known` in "), "{human}");

    // The same acceptance from the command line.
    let dir = scenario(&old, &new, "");
    diff(&dir, &[]).expect_code(1);
    diff(&dir, &["--allow-downgrade", "known"]).expect_code(0);
    diff(&dir, &["--allow-downgrade", "other"]).expect_code(1);
}

#[test]
fn the_main_command_with_a_baseline_reports_and_fails_on_a_downgrade() {
    let old = [Crate::attested("down", "1.0.0", "acme/down")];
    let new = [Crate::unattested("down", "1.1.0")];
    let dir = scenario(&old, &new, "");
    let run = |extra: &[&str]| with_baseline(&dir).args(extra).run();
    // The policy alone passes; the diff fails.
    dir.command()
        .args(["--lockfile", "new.lock", "--offline", "--now", NOW])
        .run()
        .expect_code(0);
    let json = run(&["--message-format", "json"]).expect_code(1);
    let lines = json_lines(&json.stdout);
    let reasons: Vec<&str> = lines
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    let summary = reasons.iter().position(|r| *r == "summary").unwrap();
    assert_eq!(reasons[summary + 1], "diff-downgrade", "{reasons:?}");
    assert_eq!(reasons.last(), Some(&"diff-summary"));
    assert_eq!(lines[summary]["exit_code"], 0);

    let human = run(&[]).expect_code(1);
    human.assert_stdout("downgrade   down 1.0.0 -> 1.1.0");
    run(&["--allow-downgrade", "down"]).expect_code(0);

    // In a GitHub Actions job, the diff joins the job summary.
    let summary = dir.join("summary.md");
    with_baseline(&dir)
        .arg("-q")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .expect_code(1);
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(markdown.contains("## Dependency provenance"), "{markdown}");
    assert!(
        markdown.contains("## Provenance changes: changes fail"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| ❌ | downgrade | `down 1.0.0 → 1.1.0` | attested | none |"),
        "{markdown}"
    );

    // Accepting without a baseline is a usage error.
    let usage = dir
        .command()
        .args([
            "--lockfile",
            "new.lock",
            "--offline",
            "--allow-downgrade",
            "down",
        ])
        .run()
        .expect_code(2);
    usage.assert_stderr("diff-accept-without-baseline");
}

#[test]
fn a_side_that_could_not_be_checked_is_never_passed() {
    let old = [Crate::attested("lost", "1.0.0", "acme/lost")];
    let new = [Crate::unattested("lost", "1.1.0")];
    let dir = scenario(&old, &new, "");
    // A remote source with no cached answer, offline: the new version is unknown.
    let run = diff(
        &dir,
        &[
            "--message-format",
            "json",
            "--source",
            "url:https://mirror.invalid/{checksum}.json",
        ],
    );
    let lines = json_lines(&run.stdout);
    // The old version is still attested through the policy's dir source,
    // which comes after --source: the url source is asked first and has
    // no cached answer for either, but the dir source answers for the old.
    let unchecked = only(&lines, "diff-unchecked");
    assert_eq!(unchecked.len(), 1, "{lines:#?}");
    assert_eq!(unchecked[0]["side"], "new");
    assert!(unchecked[0]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("offline"));
    assert_eq!(run.code, 2, "{}", run.stdout);
}

#[test]
fn diff_settings_in_the_policy_are_validated_with_spans() {
    let dir = TestDir::new();
    dir.write(
        "provenance.toml",
        "[diff]\nallow-downgrades = [\"a\"]\nallow-workflow-change = [\"bad name!\"]\nallow-repository-change = 3\n",
    );
    let run = dir
        .command()
        .args(["policy", "check", "--policy", "provenance.toml"])
        .run()
        .expect_code(2);
    for needle in [
        "policy-unknown-key",
        "did you mean `allow-downgrade`?",
        "policy-bad-glob",
        "policy-wrong-type",
        "provenance.toml:2:1",
    ] {
        assert!(
            run.stderr.contains(needle),
            "{needle:?} not in\n{}",
            run.stderr
        );
    }
}

#[test]
fn every_diff_message_follows_the_documented_schema() {
    let old = [
        Crate::attested("gone", "1.0.0", "acme/gone"),
        Crate::attested("down", "1.0.0", "acme/down"),
        Crate::unattested("up", "1.0.0"),
        Crate::attested("moved", "1.0.0", "acme/moved"),
        Crate::attested("lost", "1.0.0", "acme/lost"),
    ];
    let new = [
        Crate::attested("fresh", "1.0.0", "acme/fresh"),
        Crate::unattested("down", "1.1.0"),
        Crate::attested("up", "1.1.0", "acme/up"),
        Crate::with_claims(
            "moved",
            "2.0.0",
            Claims::github("evil/moved", "2.0.0").with_workflow(".github/workflows/x.yml"),
        ),
        Crate::unattested("lost", "1.1.0"),
    ];
    let dir = scenario(
        &old,
        &new,
        "\n[diff]\nallow-workflow-change = [\"moved\"]\n",
    );
    let validator = crate::harness::message_format_validator();
    let run = |extra: &[&str]| {
        with_baseline(&dir)
            .args(["--message-format", "json"])
            .args(extra)
            .run()
    };
    let checked = run(&[]);
    assert_eq!(checked.code, 1);
    // A remote source with nothing cached, offline: versions without a
    // bundle in the folder could not be checked.
    let unchecked = run(&["--source", "url:https://mirror.invalid/{checksum}.json"]);
    let lines: Vec<Value> = json_lines(&checked.stdout)
        .into_iter()
        .chain(json_lines(&unchecked.stdout))
        .collect();
    let mut reasons: Vec<&str> = lines
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    for line in &lines {
        let errors: Vec<String> = validator.iter_errors(line).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{line}: {errors:?}");
    }
    reasons.sort_unstable();
    reasons.dedup();
    for reason in [
        "diff-added",
        "diff-removed",
        "diff-downgrade",
        "diff-upgrade",
        "diff-repository",
        "diff-workflow",
        "diff-unchecked",
        "diff-summary",
        "summary",
    ] {
        assert!(reasons.contains(&reason), "{reason} not in {reasons:?}");
    }
    // A wrong line is refused: the schema is not vacuous.
    let mut wrong = lines.last().unwrap().clone();
    wrong["failing"] = Value::from("many");
    assert!(!validator.is_valid(&wrong));
}

#[test]
fn same_semver_line_compares_only_within_a_compatible_line() {
    let old = [
        Crate::attested("major", "1.4.0", "acme/major"),
        Crate::attested("zero", "0.3.2", "acme/zero"),
        Crate::attested("line", "1.0.0", "acme/line"),
    ];
    let new = [
        // A new major version without provenance, a new 0.x line from
        // another repository: another line each.
        Crate::unattested("major", "2.0.0"),
        Crate::attested("zero", "0.4.0", "other/zero"),
        // Within the line, a downgrade is one all the same.
        Crate::unattested("line", "1.2.0"),
    ];
    let reasons = |lines: &[Value], name: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l["name"] == name)
            .map(|l| l["reason"].as_str().unwrap().to_string())
            .collect()
    };
    // By default each is compared with its closest previous version.
    let dir = scenario(&old, &new, "");
    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(reasons(&lines, "major"), ["diff-downgrade"]);
    assert_eq!(reasons(&lines, "zero"), ["diff-repository"]);

    let dir = scenario(&old, &new, "\n[diff]\nsame-semver-line = true\n");
    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        reasons(&lines, "major"),
        ["diff-removed", "diff-added"],
        "{lines:#?}"
    );
    assert_eq!(
        reasons(&lines, "zero"),
        ["diff-removed", "diff-added"],
        "{lines:#?}"
    );
    assert_eq!(reasons(&lines, "line"), ["diff-downgrade"]);
    assert_eq!(lines.last().unwrap()["failing"], 1);
}

#[test]
fn the_same_version_pinning_another_crate_file_is_a_checksum_change_not_a_downgrade() {
    let alpha = [Crate::attested("alpha", "1.0.0", "acme/alpha")];
    let dir = scenario(&alpha, &alpha, "");
    let old = std::fs::read_to_string(dir.join("old.lock")).unwrap();
    let pinned = old
        .lines()
        .find_map(|l| l.strip_prefix("checksum = \""))
        .map(|rest| rest.trim_end_matches('"').to_string())
        .expect("a checksum");
    let other = "ab".repeat(32);
    dir.write("new.lock", old.replace(&pinned, &other));

    let run = diff(&dir, &[]).expect_code(1);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("FAIL"))
        .expect("a failing change");
    assert!(
        line.contains("checksum    alpha@1.0.0: the same version now pins another .crate file"),
        "{}",
        run.stdout
    );
    assert!(line.contains(&format!("{pinned} -> {other}")), "{line}");
    assert!(!run.stdout.contains("downgrade"), "{}", run.stdout);

    let (code, lines) = diff_json(&dir, &[]);
    assert_eq!(code, 1);
    let changes = only(&lines, "diff-checksum");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["from"], pinned.as_str());
    assert_eq!(changes[0]["to"], other.as_str());
    assert!(only(&lines, "diff-downgrade").is_empty());
    let summary = lines.last().unwrap();
    assert_eq!(summary["checksum_changes"], 1);
    assert_eq!(summary["failing"], 1);
}

#[test]
fn offline_with_nothing_cached_one_line_says_nothing_could_be_checked() {
    let dir = TestDir::new();
    dir.write("old.lock", crate::faults::lockfile(1..=30));
    dir.write("new.lock", crate::faults::lockfile(1..=30));
    let run = diff(&dir, &[]).expect_code(2);
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("ERROR"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    assert!(
        errors[0].contains("nothing could be checked (nothing is cached and the run is offline: run `cargo verify-provenance fetch` while online): pkg1 1.0.0,"),
        "{}",
        errors[0]
    );
    assert!(errors[0].ends_with(" and 25 more"), "{}", errors[0]);
    assert!(run.stdout.contains("30 not checked"), "{}", run.stdout);
}
