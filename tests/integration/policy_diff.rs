//! `policy diff OLD NEW` through the binary: what a change to the policy
//! weakens, its exit codes, its JSON document and the job summary.

use crate::harness::TestDir;

const OLD: &str = r#"[defaults]
require = "attested"
runner = "github-hosted"

[[package]]
name = "serde"
repository = "https://github.com/serde-rs/serde"
"#;

fn policy_diff(dir: &TestDir, extra: &[&str]) -> crate::harness::Cmd {
    dir.command()
        .args(["policy", "diff", "old.toml", "new.toml", "--color", "never"])
        .args(extra)
}

#[test]
fn a_weakened_policy_is_listed_and_exits_1() {
    let dir = TestDir::new();
    dir.write("old.toml", OLD);
    dir.write(
        "new.toml",
        OLD.replace("\"attested\"", "\"none\"")
            .replace("[defaults]", "mode = \"audit\"\n[defaults]")
            + "\n[[exempt]]\nname = \"evil\"\nreason = \"r\"\n\n[[source]]\nkind = \"dir\"\npath = \"b\"\n",
    );
    let run = policy_diff(&dir, &[]).run().expect_code(1);
    run.assert_stdout("Policy changes from old.toml to new.toml")
        .assert_stdout("mode: enforce → audit (violations no longer fail)")
        .assert_stdout("line 3: [defaults] require: attested → none (loosened)")
        .assert_stdout("[[exempt]] evil: (unset) → evil, no end (exemption added)")
        .assert_stdout("[[source]]: (unset) → dir:")
        .assert_stdout("4 changes weaken the policy");
}

#[test]
fn an_unchanged_or_tightened_policy_exits_0() {
    let dir = TestDir::new();
    dir.write("old.toml", OLD);
    dir.write(
        "new.toml",
        OLD.replace("runner", "ref = \"refs/tags/*\"\nrunner"),
    );
    policy_diff(&dir, &[])
        .run()
        .expect_code(0)
        .assert_stdout("nothing weakens the policy");
}

#[test]
fn an_invalid_or_missing_policy_is_an_error() {
    let dir = TestDir::new();
    dir.write("old.toml", OLD);
    dir.write("new.toml", "[defaults]\nrequire = \"everything\"\n");
    policy_diff(&dir, &[])
        .run()
        .expect_code(2)
        .assert_stderr("new.toml is not a valid policy");
    let run = dir
        .command()
        .args(["policy", "diff", "old.toml", "gone.toml"])
        .run()
        .expect_code(2);
    run.assert_stderr("policy file gone.toml does not exist");
    assert!(!run.stderr.contains("--policy"), "{}", run.stderr);
}

#[test]
fn json_is_one_document_with_every_weakening() {
    let dir = TestDir::new();
    dir.write("old.toml", OLD);
    dir.write("new.toml", OLD.replace("serde-rs/serde", "evil/serde"));
    let run = policy_diff(&dir, &["--message-format", "json"])
        .run()
        .expect_code(1);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(document["format_version"], 1);
    assert_eq!(document["exit_code"], 1);
    let weakenings = document["weakenings"].as_array().expect("a list");
    assert_eq!(weakenings.len(), 1, "{document}");
    assert_eq!(weakenings[0]["kind"], "changed");
    assert_eq!(weakenings[0]["table"], "[[package]] serde");
    assert_eq!(weakenings[0]["key"], "repository");
    assert_eq!(weakenings[0]["old"], "https://github.com/serde-rs/serde");
    assert_eq!(weakenings[0]["new"], "https://github.com/evil/serde");
    assert_eq!(weakenings[0]["line"], 7);
}

#[test]
fn the_job_summary_gets_the_list_with_every_value_escaped() {
    let dir = TestDir::new();
    let old = OLD.replace(
        "serde-rs/serde\"",
        "serde-rs/serde\"\nworkflow = \"release.yml\"",
    );
    dir.write("old.toml", &old);
    dir.write("summary.md", "# earlier step\n");
    // A pull request writes the new policy: its values must not become
    // Markdown or HTML in the summary, nor break the table.
    dir.write(
        "new.toml",
        old.replace("serde-rs/serde", "evil/serde")
            .replace("release.yml", "<img src=x>|`x`"),
    );
    let summary = dir.join("summary.md");
    let run = policy_diff(&dir, &[])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .expect_code(1);
    run.assert_stdout("2 changes weaken the policy");
    let text = std::fs::read_to_string(&summary).expect("the summary");
    assert!(
        text.starts_with("# earlier step\n### Policy changes\n"),
        "{text}"
    );
    assert!(text.contains("2 changes weaken the policy"), "{text}");
    assert!(
        text.contains("| 7 | `[[package]] serde` | `repository` |"),
        "{text}"
    );
    assert!(text.contains("`` <img src=x>\\|`x` ``"), "{text}");
    assert!(!text.contains("src=x>|"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("| ")).count(),
        3,
        "{text}"
    );
}
