//! The source comparison in every output: the table's SOURCE column,
//! `explain`'s listing, SARIF and the VSA, for the five real packages of
//! `../shared/fixtures/source` and for a generated package that holds
//! what real ones rarely do (a changed file, an injected source file, an
//! object file).

use cargo_verify_provenance::testkit::crates::CrateBuilder;
use cargo_verify_provenance::testkit::files::{cargo_lock, LockedPackage};
use cargo_verify_provenance::testkit::repos::{insteadof_env, RepoBuilder};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::{Cmd, Run, TestDir};
use crate::source_match::RealProject;

/// The manifest the repository holds, kept as `Cargo.toml.orig`.
const MANIFEST: &str = "[package]\nname = \"tampered\"\nversion = \"1.0.0\"\nrepository = \"https://github.com/example/tampered\"\n";

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
        let package = CrateBuilder::new("tampered", "1.0.0")
            .vcs_info(&commit, false, Some(""))
            .file("Cargo.toml", format!("# normalized by cargo\n{MANIFEST}"))
            .file("Cargo.toml.orig", MANIFEST)
            .file("README.md", "# tampered\n")
            .file("build/blob.bin", OBJECT)
            .file(
                "src/lib.rs",
                "mod payload;\npub fn add(a: u8, b: u8) -> u8 { a + b }\n",
            )
            .file("src/payload.rs", "pub fn run() {}\n")
            .build();
        dir.write(
            "cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f/tampered-1.0.0.crate",
            &package,
        );
        let checksum: [u8; 32] = Sha256::digest(&package).into();
        let locked = LockedPackage {
            name: "tampered".into(),
            version: "1.0.0".into(),
            checksum,
        };
        dir.write("Cargo.lock", cargo_lock("app", &[locked]));
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

    /// The binary with cargo's home and the mirror, offline, on the
    /// lockfile and policy, then `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut command: Cmd = self
            .dir
            .command()
            .env("CARGO_HOME", self.dir.join("cargo-home"));
        for (key, value) in &self.git_env {
            command = command.env(key, value);
        }
        command
            .args(args)
            .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
            .arg("--offline")
            .run()
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
        "2 without provenance listed as exemptions to decide on; 3 without provenance pinned to their repository's files",
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
            let note = format!(
                "# name = \"{}\"\n# version = \"={}\"\n# reason = \"\"\n",
                entry.name, entry.version
            );
            let block = &text[text.find(&note).expect(&text)..];
            let block = &block[..block.find("\n\n").unwrap_or(block.len())];
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
