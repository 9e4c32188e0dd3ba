//! The source comparison in every output: the table's SOURCE column,
//! `explain`'s listing, SARIF and the VSA, for the five real packages of
//! `../shared/fixtures/source` and for a generated package that holds
//! what real ones rarely do (a changed file, an injected source file, an
//! object file).

use cargo_verify_provenance::testkit::crates::CrateBuilder;
use cargo_verify_provenance::testkit::files::{
    cargo_lock, write_bundles, write_file, LockedPackage,
};
use cargo_verify_provenance::testkit::repos::{insteadof_env, RepoBuilder};
use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::{Cmd, Run, TestDir};
use crate::source_match::RealProject;

/// The manifest the repository holds, kept as `Cargo.toml.orig`.
pub(crate) const MANIFEST: &str = "[package]\nname = \"tampered\"\nversion = \"1.0.0\"\nrepository = \"https://github.com/example/tampered\"\n";

/// An ELF header: compiled code, whatever the file's name.
const OBJECT: &[u8] = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x01\0\x3e\0";

/// One package, `tampered@1.0.0`, published from a tree its commit does
/// not hold: `src/lib.rs` changed, `src/payload.rs` and `build/blob.bin`
/// (an object file) added. Its repository is served from a local bare
/// copy through `insteadOf`, its `.crate` from cargo's cache.
pub(crate) struct Tampered {
    pub dir: TestDir,
    pub commit: String,
    git_env: Vec<(String, String)>,
}

impl Tampered {
    pub fn new() -> Self {
        let dir = TestDir::new();
        let bare = dir.join("mirrors/tampered.git");
        let commit = RepoBuilder::new()
            .file("Cargo.toml", MANIFEST)
            .file("README.md", "# tampered\n")
            .file("src/lib.rs", "pub fn add(a: u8, b: u8) -> u8 { a + b }\n")
            .build(&bare, false);
        let package = published(&commit, "1.0.0", true);
        dir.write(
            "cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f/tampered-1.0.0.crate",
            &package,
        );
        dir.write(
            "Cargo.lock",
            cargo_lock("app", &[locked("1.0.0", &package)]),
        );
        std::fs::create_dir_all(dir.join("bundles")).unwrap();
        let base = format!("file://{}", bare.display());
        Self {
            git_env: insteadof_env(&[("https://github.com/example/tampered", base.as_str())]),
            dir,
            commit,
        }
    }

    pub fn policy(&self, text: &str) {
        self.dir.write(
            "provenance.toml",
            format!("{text}\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n"),
        );
    }

    /// The binary with cargo's home and the mirror.
    pub fn command(&self) -> Cmd {
        let mut command: Cmd = self
            .dir
            .command()
            .env("CARGO_HOME", self.dir.join("cargo-home"));
        for (key, value) in &self.git_env {
            command = command.env(key, value);
        }
        command
    }

    /// The binary with cargo's home and the mirror, offline, on the
    /// lockfile and policy, then `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.command()
            .args(args)
            .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
            .arg("--offline")
            .run()
    }
}

/// `tampered@VERSION` as published from `commit`: as at the commit, or
/// with `src/lib.rs` changed, `src/payload.rs` and an object file added.
fn published(commit: &str, version: &str, tampered: bool) -> Vec<u8> {
    let mut package = CrateBuilder::new("tampered", version)
        .vcs_info(commit, false, Some(""))
        .file("Cargo.toml", format!("# normalized by cargo\n{MANIFEST}"))
        .file("Cargo.toml.orig", MANIFEST)
        .file("README.md", "# tampered\n");
    package = if tampered {
        TAMPERED_FILES
            .iter()
            .fold(package, |package, (path, bytes)| package.file(path, *bytes))
    } else {
        package.file("src/lib.rs", "pub fn add(a: u8, b: u8) -> u8 { a + b }\n")
    };
    package.build()
}

/// What the tampered package adds to or changes from its commit.
pub(crate) const TAMPERED_FILES: [(&str, &[u8]); 3] = [
    ("build/blob.bin", OBJECT),
    (
        "src/lib.rs",
        b"mod payload;\npub fn add(a: u8, b: u8) -> u8 { a + b }\n",
    ),
    ("src/payload.rs", b"pub fn run() {}\n"),
];

fn locked(version: &str, package: &[u8]) -> LockedPackage {
    LockedPackage {
        name: "tampered".into(),
        version: version.into(),
        checksum: Sha256::digest(package).into(),
    }
}

/// The table's rows: package → (status, source cell).
fn table_rows(stdout: &str) -> Vec<(String, String, String)> {
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("STATUS "));
    let header: Vec<&str> = lines.next().expect(stdout).split_whitespace().collect();
    let source = header.iter().position(|c| *c == "SOURCE").expect(stdout);
    lines
        .take_while(|l| !l.is_empty() && !l.chars().next().unwrap().is_ascii_digit())
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (
                cells[1].to_string(),
                cells[0].to_string(),
                cells[source].to_string(),
            )
        })
        .collect()
}

#[test]
fn the_table_shows_each_real_packages_comparison() {
    let Some(project) = RealProject::new("source_outputs::table") else {
        return;
    };
    project.policy("[defaults]\n");
    let run = project
        .command()
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .arg("--offline")
        .run()
        .expect_code(0);
    let rows = table_rows(&run.stdout);
    for entry in &project.crates {
        let id = format!("{}@{}", entry.name, entry.version);
        let (_, _, source) = rows.iter().find(|(p, _, _)| *p == id).expect(&run.stdout);
        let differences = entry.files_differ.len() + entry.files_only_in_package.len();
        let expected = match differences {
            0 => "matches".to_string(),
            n => format!("differs:{n}"),
        };
        assert_eq!(*source, expected, "{id}\n{}", run.stdout);
    }

    // Nothing fetchable: the column says so, it does not look like a match.
    let elsewhere = project
        .dir
        .command()
        .env("CARGO_HOME", project.dir.join("cargo-home"))
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .arg("--offline")
        .run();
    for (package, _, source) in table_rows(&elsewhere.stdout) {
        assert_eq!(source, "not-checked", "{package}\n{}", elsewhere.stdout);
    }
}

#[test]
fn the_table_counts_every_file_not_as_at_the_commit() {
    let project = Tampered::new();
    project.policy("[defaults]\n");
    let run = project.run(&[]);
    let rows: Vec<(String, String)> = table_rows(&run.stdout)
        .into_iter()
        .map(|(package, _, source)| (package, source))
        .collect();
    assert_eq!(
        rows,
        [("tampered@1.0.0".into(), "differs:3".into())],
        "{}",
        run.stdout
    );
}

#[test]
fn explain_lists_compiled_code_first_then_added_then_changed_files() {
    let project = Tampered::new();
    project.policy("[defaults]\nsource-matches = true\n");
    let run = project.run(&["explain", "tampered"]).expect_code(1);
    let text = &run.stdout;
    let section = text
        .split("\nSource comparison\n")
        .nth(1)
        .expect(text)
        .split("\n\n")
        .next()
        .unwrap();
    let expected = format!(
        "  result      differs (3 files not as at the commit)\n\
         \x20 repository  https://github.com/example/tampered\n\
         \x20 commit      {commit}\n\
         \x20 folder      (the root)\n\
         \x20 see         https://github.com/example/tampered/commit/{commit}\n\
         \x20 compiled code (differs or only in the package):\n\
         \x20   build/blob.bin\n\
         \x20 only in the package:\n\
         \x20   src/payload.rs\n\
         \x20 differ from the commit:\n\
         \x20   src/lib.rs",
        commit = project.commit
    );
    assert_eq!(section, expected, "{text}");

    let json = project
        .run(&["explain", "tampered", "--message-format", "json"])
        .expect_code(1);
    let found: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        found["source_match"]["binaries"],
        serde_json::json!(["build/blob.bin"])
    );
    assert_eq!(
        found["commit_url"],
        format!(
            "https://github.com/example/tampered/commit/{}",
            project.commit
        )
    );
}

#[test]
fn explain_shows_a_real_package_published_from_a_dirty_tree() {
    let Some(project) = RealProject::new("source_outputs::explain_dirty") else {
        return;
    };
    project.policy("[defaults]\n");
    for entry in &project.crates {
        let run = project
            .command()
            .args(["explain", &entry.name])
            .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
            .arg("--offline")
            .run()
            .expect_code(0);
        let text = &run.stdout;
        let commit_line = text
            .lines()
            .find(|l| l.starts_with("  commit "))
            .expect(text);
        assert!(commit_line.contains(&entry.commit), "{text}");
        assert_eq!(commit_line.contains("dirty tree"), entry.dirty, "{text}");
        for file in entry
            .files_differ
            .iter()
            .chain(&entry.files_only_in_package)
        {
            assert!(text.contains(&format!("\n    {file}\n")), "{file}: {text}");
        }
        let result = if entry.files_differ.is_empty() && entry.files_only_in_package.is_empty() {
            "  result      matches\n"
        } else {
            "  result      differs ("
        };
        assert!(text.contains(result), "{text}");
    }
}

#[test]
fn init_pins_source_matches_where_the_source_matches_and_the_policy_passes() {
    let Some(project) = RealProject::new("source_outputs::init") else {
        return;
    };
    let run = project
        .command()
        .args([
            "init",
            "--lockfile",
            "Cargo.lock",
            "--source",
            "dir:bundles",
        ])
        .arg("--offline")
        .run()
        .expect_code(0);
    run.assert_stderr(
        "2 without provenance left to decide on; 3 without provenance pinned to their repository's files",
    );
    let text = std::fs::read_to_string(project.dir.join("provenance.toml")).unwrap();
    let policy: toml::Table = text.parse().unwrap();
    let rules = policy["package"].as_array().unwrap();
    for entry in &project.crates {
        let rule = rules
            .iter()
            .find(|r| r["name"].as_str() == Some(entry.name.as_str()));
        let matches = entry.files_differ.is_empty() && entry.files_only_in_package.is_empty();
        if matches {
            let rule = rule.expect(&text);
            assert_eq!(rule["source-matches"].as_bool(), Some(true), "{text}");
        } else {
            assert!(rule.is_none(), "{}: {text}", entry.name);
            let note = format!("# name = \"{}\"\n# reason = ", entry.name);
            let block = &text[text.find(&note).expect(&text)..];
            // Up to the next crate's entry.
            let block = &block[..block.find("# [[exempt]]").unwrap_or(block.len())];
            assert!(
                block.contains(&format!(
                    "(source: not as at commit {}: {}",
                    entry.commit,
                    entry.files_differ.join(", ")
                )),
                "{block}"
            );
        }
    }

    // The policy written passes what it pinned; what differs has no rule.
    let check = project
        .command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--message-format",
            "json",
        ])
        .run()
        .expect_code(0);
    let found = crate::source_match::packages(&check.stdout);
    for entry in &project.crates {
        let matches = entry.files_differ.is_empty() && entry.files_only_in_package.is_empty();
        let outcome = if matches { "pass" } else { "no-provenance" };
        assert_eq!(found[&entry.name]["outcome"], outcome, "{}", entry.name);
    }

    // Once a package differs, its pin fails it.
    let pinned = text.replace("name = \"similar\"", "name = \"idna\"");
    project.dir.write("provenance.toml", pinned);
    let check = project
        .command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--message-format",
            "json",
        ])
        .run()
        .expect_code(1);
    let found = crate::source_match::packages(&check.stdout);
    assert_eq!(found["idna"]["outcome"], "violation");
}

/// The SARIF log of a run, checked against the OASIS schema.
fn sarif(run: &Run) -> Value {
    let log: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let validator = jsonschema::validator_for(&crate::check::sarif_schema()).unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    log
}

fn results_of<'a>(log: &'a Value, rule: &str) -> Vec<&'a Value> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == rule)
        .collect()
}

#[test]
fn sarif_has_a_result_for_each_package_whose_source_differs() {
    let project = Tampered::new();
    project.policy("[defaults]\n");
    let log = sarif(&project.run(&["--message-format", "sarif"]));
    let found = results_of(&log, "source-differs");
    assert_eq!(found.len(), 1, "{log:#}");
    assert_eq!(found[0]["level"], "warning");
    let text = found[0]["message"]["text"].as_str().unwrap();
    assert_eq!(
        text,
        format!(
            "tampered@1.0.0: 3 files not as at commit {} of https://github.com/example/tampered; compiled code: build/blob.bin; only in the package: src/payload.rs; differ: src/lib.rs",
            project.commit
        )
    );
    assert_eq!(
        found[0]["properties"]["sourceMatch"]["binaries"],
        serde_json::json!(["build/blob.bin"])
    );
    // Required by the policy, and not accepted: an error, beside the violation.
    project.policy("[defaults]\nsource-matches = true\n");
    let log = sarif(&project.run(&["--message-format", "sarif"]).expect_code(1));
    assert_eq!(results_of(&log, "source-differs")[0]["level"], "error");
    assert_eq!(results_of(&log, "provenance-violation").len(), 1);

    let Some(real) = RealProject::new("source_outputs::sarif") else {
        return;
    };
    real.policy("[defaults]\n");
    let run = real
        .command()
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--message-format", "sarif"])
        .run();
    let log = sarif(&run);
    let mut named: Vec<String> = results_of(&log, "source-differs")
        .iter()
        .map(|r| r["properties"]["package"].as_str().unwrap().to_string())
        .collect();
    named.sort();
    let mut expected: Vec<String> = real
        .crates
        .iter()
        .filter(|c| !c.files_differ.is_empty() || !c.files_only_in_package.is_empty())
        .map(|c| c.name.clone())
        .collect();
    expected.sort();
    assert_eq!(named, expected, "{log:#}");
}

#[test]
fn the_vsa_names_the_comparison_among_its_inputs() {
    let Some(project) = RealProject::new("source_outputs::vsa") else {
        return;
    };
    project.policy("[defaults]\nsource-matches = true\n");
    project
        .command()
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--vsa-out", "vsa.jsonl"])
        .run()
        .expect_code(1);
    let text = std::fs::read_to_string(project.dir.join("vsa.jsonl")).unwrap();
    let statement_schema = crate::vsa::schema("in-toto-statement-v1.schema.json");
    let vsa_schema = crate::vsa::schema("slsa-verification-summary-v1.schema.json");
    let statements: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(statements.len(), project.crates.len());
    for entry in &project.crates {
        let subject = format!("{}-{}.crate", entry.name, entry.version);
        let statement = statements
            .iter()
            .find(|s| s["subject"][0]["name"] == subject.as_str())
            .expect(&text);
        let problems: Vec<String> = crate::vsa::errors(&statement_schema, statement)
            .into_iter()
            .chain(crate::vsa::errors(&vsa_schema, statement))
            .collect();
        assert!(problems.is_empty(), "{statement}\n{}", problems.join("\n"));
        let inputs = statement["predicate"]["inputAttestations"]
            .as_array()
            .unwrap();
        let comparison = inputs
            .iter()
            .find(|i| i["name"] == "source-comparison")
            .expect(&text);
        assert_eq!(
            comparison["digest"],
            serde_json::json!({ "gitCommit": entry.commit })
        );
        assert_eq!(
            comparison["uri"],
            format!(
                "git+{}@{}",
                entry.repository.trim_end_matches('/'),
                entry.commit
            )
        );
        let matches = entry.files_differ.is_empty() && entry.files_only_in_package.is_empty();
        assert_eq!(
            comparison["annotations"]["result"],
            if matches { "matches" } else { "differs" }
        );
        assert_eq!(
            comparison["annotations"]["differ"],
            entry.files_differ.len()
        );
        assert_eq!(
            statement["predicate"]["verificationResult"],
            if matches { "PASSED" } else { "FAILED" }
        );
    }
}

/// `old.lock` pinning `tampered@0.9.0`, published as at the commit, its
/// `.crate` in cargo's cache.
fn previous_version_as_at_its_commit(project: &Tampered) {
    let before = published(&project.commit, "0.9.0", false);
    project.dir.write(
        "cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f/tampered-0.9.0.crate",
        &before,
    );
    project
        .dir
        .write("old.lock", cargo_lock("app", &[locked("0.9.0", &before)]));
}

/// `diff`'s JSON lines, each held to the schema.
fn diff_messages(stdout: &str) -> Vec<Value> {
    let messages: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let validator = crate::harness::message_format_validator();
    for message in &messages {
        let errors: Vec<String> = validator
            .iter_errors(message)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{message}\n{}", errors.join("\n"));
    }
    messages
}

/// The one `diff-source` message.
fn diff_source<'a>(messages: &'a [Value], stdout: &str) -> &'a Value {
    let source: Vec<&Value> = messages
        .iter()
        .filter(|m| m["reason"] == "diff-source")
        .collect();
    assert_eq!(source.len(), 1, "{stdout}");
    source[0]
}

#[test]
fn diff_reports_a_source_that_matched_and_no_longer_does_as_a_downgrade() {
    let project = Tampered::new();
    // The previous version was published as at the commit.
    previous_version_as_at_its_commit(&project);
    project.policy("[defaults]\n");
    let diff = |args: &[&str]| {
        project
            .command()
            .args(["diff", "old.lock", "Cargo.lock", "--message-format", "json"])
            .args(["--policy", "provenance.toml", "--offline"])
            .args(args)
            .run()
    };
    let run = diff(&[]).expect_code(1);
    let messages = diff_messages(&run.stdout);
    let source = diff_source(&messages, &run.stdout);
    assert_eq!(source["from"], "matches");
    assert_eq!(source["to"], "differs");
    assert_eq!(source["fails"], true);
    assert_eq!(source["previous_version"], "0.9.0");
    let note = source["note"].as_str().unwrap();
    assert!(
        note.starts_with(&format!(
            "not as at commit {}: build/blob.bin",
            project.commit
        )),
        "{note}"
    );
    let summary = messages.last().unwrap();
    assert_eq!(summary["downgrades"], 1);

    // Accepted like any downgrade.
    let run = diff(&["--allow-downgrade", "tampered"]).expect_code(0);
    assert!(
        run.stdout.contains("\"reason\":\"diff-source\""),
        "{}",
        run.stdout
    );

    // The other way round, it is no downgrade.
    let run = project
        .command()
        .args(["diff", "Cargo.lock", "old.lock", "--message-format", "json"])
        .args(["--policy", "provenance.toml", "--offline"])
        .run()
        .expect_code(0);
    assert!(!run.stdout.contains("diff-source"), "{}", run.stdout);
}

/// A version whose files matched its commit, followed by one whose
/// `.crate` cannot be had (offline, not in cargo's cache): evidence lost,
/// reported in every output of `diff` as not checked (exit 2), never as a
/// failure and never left out.
#[test]
fn diff_reports_a_source_that_matched_and_can_no_longer_be_compared_as_not_checked() {
    let project = Tampered::new();
    previous_version_as_at_its_commit(&project);
    // 1.0.1 is pinned, but cargo's cache does not hold its `.crate`.
    let absent = published(&project.commit, "1.0.1", false);
    project
        .dir
        .write("new.lock", cargo_lock("app", &[locked("1.0.1", &absent)]));
    project.policy("[defaults]\n");
    let diff = |format: &str| {
        project
            .command()
            .args(["diff", "old.lock", "new.lock", "--message-format", format])
            .args(["--policy", "provenance.toml", "--offline"])
            .run()
            .expect_code(2)
    };
    let json = diff("json");
    let messages = diff_messages(&json.stdout);
    let source = diff_source(&messages, &json.stdout);
    assert_eq!(source["from"], "matches");
    assert_eq!(source["to"], "not-checked");
    assert_eq!(source["fails"], false);
    let note = source["note"].as_str().unwrap();
    assert!(
        note.starts_with("the new version's source could not be compared: the .crate"),
        "{note}"
    );
    let summary = messages.last().unwrap();
    assert_eq!(summary["unchecked"], 1, "{summary}");
    assert_eq!(summary["downgrades"], 0, "{summary}");
    assert_eq!(summary["exit_code"], 2, "{summary}");

    let human = diff("human");
    let line = human
        .stdout
        .lines()
        .find(|l| l.contains("source matches -> not-checked"))
        .unwrap_or_else(|| panic!("{}", human.stdout));
    assert!(
        line.starts_with("ERROR") && line.contains("unchecked"),
        "{line}"
    );
    assert!(
        human.stdout.contains("some changes could not be checked"),
        "{}",
        human.stdout
    );

    // The step summary of `check --baseline`.
    let summary = project.dir.write("summary.md", "");
    project
        .command()
        .args(["--lockfile", "new.lock", "--baseline", "old.lock"])
        .args(["--policy", "provenance.toml", "--offline"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run();
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.contains(
            "| ⚠️ | source | `tampered 0.9.0 → 1.0.1` | source matches | source not-checked |"
        ),
        "{text}"
    );
}

/// A verified bundle for the package whose certificate names another
/// commit than the package's `.cargo_vcs_info.json` (its repository is
/// the same): `explain` lists the package's commit and repository against
/// the certificate, the commit disagreeing, as the failure says.
#[test]
fn explain_lists_the_packages_own_commit_and_repository_against_the_certificate() {
    let project = Tampered::new();
    let package =
        std::fs::read(project.dir.join(
            "cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f/tampered-1.0.0.crate",
        ))
        .unwrap();
    let claims = Claims::github("example/tampered", "1.0.0");
    assert_ne!(claims.commit, project.commit);
    let instance = Instance::new(41);
    let checksum: [u8; 32] = Sha256::digest(&package).into();
    let minted = instance.mint_batch(&[MintRequest::new(
        "tampered",
        "1.0.0",
        checksum,
        claims.clone(),
    )]);
    write_bundles(&project.dir.join("bundles"), &minted).unwrap();
    write_file(
        &project.dir.join("trusted_root.json"),
        instance.trusted_root_json(),
    )
    .unwrap();
    project.policy("[trust]\nroots = [\"trusted_root.json\"]\n");

    let run = project.run(&["explain", "tampered"]).expect_code(1);
    let text = &run.stdout;
    let section = text
        .split("\nCross-check: the published package's commit and repository against the other evidence\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    let lines: Vec<&str> = section.lines().take(6).collect();
    assert!(
        lines[0]
            .starts_with("  commit      DISAGREE: evidence-conflict, against the certificate of "),
        "{text}"
    );
    assert_eq!(
        lines[1],
        format!("    package     {}", project.commit),
        "{text}"
    );
    assert_eq!(
        lines[2],
        format!("    other       {}", claims.commit),
        "{text}"
    );
    assert!(
        lines[3].starts_with("  repository  agree, against the certificate of "),
        "{text}"
    );
    assert!(text.contains("evidence-conflict"), "{text}");

    let run = project
        .run(&["explain", "tampered", "--message-format", "json"])
        .expect_code(1);
    let explained: Value = serde_json::from_str(&run.stdout).unwrap();
    crate::documents::assert_follows("explain", &explained);
    let checks = explained["source_cross_checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2, "{explained}");
    assert_eq!(checks[0]["what"], "commit");
    assert_eq!(checks[0]["agree"], false);
    assert_eq!(checks[0]["package"], project.commit.as_str());
    assert_eq!(checks[0]["other"], claims.commit.as_str());
    assert_eq!(checks[0]["compared_with"]["kind"], "certificate");
    assert_eq!(checks[1]["what"], "repository");
    assert_eq!(checks[1]["agree"], true);
}
