//! Text from outside never reaches an output as it is: claim values and
//! subject names in a minted bundle, lockfile strings, cache entries and
//! file names are shown with every control, bidi and invisible format
//! character made visible for people, escaped for Markdown in the job
//! summary, quoted by the TOML writer in `init`'s policy, and carried
//! exactly (serde escapes them) in JSON and SARIF.

use cargo_verify_provenance::evidence::BundleOrigin;
use cargo_verify_provenance::policy::SourceSpec;
use cargo_verify_provenance::testkit::files::{cargo_lock, LockedPackage};
use cargo_verify_provenance::testkit::internals::cache::SourceKeyOf;
use cargo_verify_provenance::testkit::internals::cache::{
    Answer, BundleDocument, Cache, CacheEntry, IgnoredBundle, ReadBundle,
};
use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use serde_json::Value;
use sigstore_types::Sha256Hash;

use crate::evidence_conflict::{crate_answer, online};
use crate::fail_closed::tampered;
use crate::fixtures::api_file;
use crate::harness::{Run, TestDir};
use crate::init::init;
use crate::minted::{
    json_lines, write_bundles_and_root, write_lockfile, Crate, NOW, SEED, SOURCES,
};
use crate::server::{Reply, Server};
use crate::trust_update::repository_with_timestamp_expiry;

/// A ref with a terminal title change, a screen clear, a CR and LF that
/// would end a line or a table row, a table row of its own and HTML.
const REF: &str =
    "refs/heads/main\u{1b}]0;owned\u{7}\r\n| x | <img src=x onerror=alert(1)> |\u{1b}[2J";
/// How people see it.
const REF_SHOWN: &str =
    "refs/heads/main\\u{1b}]0;owned\\u{7}\\r\\n| x | <img src=x onerror=alert(1)> |\\u{1b}[2J";
/// A trigger with a bidi override, a C1 CSI and a zero-width space (a
/// certificate extension that is not part of the SAN, so not only ASCII).
const TRIGGER: &str = "push\u{202e}\u{9b}31m\u{200b}";
const TRIGGER_SHOWN: &str = "push\\u{202e}\\u{9b}31m\\u{200b}";
/// The name the statement's subject gives the crate.
const SUBJECT: &str = "hostile\u{1b}[31m\u{2066}";
const SUBJECT_SHOWN: &str = "pkg:cargo/hostile\\u{1b}[31m\\u{2066}@1.0.0";

fn checksum() -> [u8; 32] {
    [0x3c; 32]
}

/// `hostile` 1.0.0 in a lockfile.
fn hostile_locked() -> LockedPackage {
    LockedPackage {
        name: "hostile".into(),
        version: "1.0.0".into(),
        checksum: checksum(),
    }
}

/// A lockfile of one crate, `hostile` 1.0.0, whose bundle (in
/// `bundles/sha256:….jsonl`) carries the hostile ref, trigger and subject
/// name, and a policy that pins the ref, so that the ref is what fails.
fn hostile_workload(dir: &TestDir) {
    let mut claims = Claims::github("acme/hostile", "1.0.0");
    claims.git_ref = REF.into();
    claims.trigger = TRIGGER.into();
    let minted = Instance::new(SEED).mint(&MintRequest::new(SUBJECT, "1.0.0", checksum(), claims));
    dir.write(
        format!("bundles/sha256:{}.jsonl", hex::encode(checksum())),
        minted.to_json() + "\n",
    );
    dir.write("trusted_root.json", Instance::new(SEED).trusted_root_json());
    let locked = hostile_locked();
    dir.write("Cargo.lock", cargo_lock("app", &[locked]));
    dir.write(
        "provenance.toml",
        format!(
            "{SOURCES}\n[defaults]\nrequire = \"attested\"\n\n[[package]]\nname = \"hostile\"\nref = \"refs/tags/*\"\n"
        ),
    );
}

fn check(dir: &TestDir, extra: &[&str]) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
        .args(extra)
        .run()
}

/// A character no output may carry as it is: a control (C0, DEL, C1), a
/// line or paragraph separator, or a bidi or invisible format character.
/// (Written out here, not taken from the program.)
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{61c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

/// Every character of `text` that must not reach a terminal: hidden
/// characters but `\n`, and with `colours`, but the ESC of an SGR sequence
/// (`ESC [ digits ; … m`, what the program's own colours are).
fn raw_hidden(text: &str, colours: bool) -> Vec<(usize, char)> {
    let bytes = text.as_bytes();
    text.char_indices()
        .filter(|&(at, c)| {
            if c == '\n' || !is_hidden(c) {
                return false;
            }
            if colours && c == '\u{1b}' && bytes.get(at + 1) == Some(&b'[') {
                let rest = &bytes[at + 2..];
                let end = rest
                    .iter()
                    .position(|b| !(b.is_ascii_digit() || *b == b';'))
                    .unwrap_or(rest.len());
                return rest.get(end) != Some(&b'm');
            }
            true
        })
        .collect()
}

#[track_caller]
fn assert_escaped(text: &str, colours: bool) {
    let raw = raw_hidden(text, colours);
    assert!(raw.is_empty(), "raw {raw:?} in:\n{text}");
}

/// [`assert_escaped`] on both streams of a run without colours.
#[track_caller]
fn assert_run_escaped(run: &Run) {
    assert_escaped(&run.stdout, false);
    assert_escaped(&run.stderr, false);
}

#[test]
fn hostile_claims_are_shown_escaped_in_the_table_and_the_diagnostics() {
    let dir = TestDir::new();
    hostile_workload(&dir);
    for (colour, coloured) in [("never", false), ("always", true)] {
        let run = check(&dir, &["--color", colour]).expect_code(1);
        assert_escaped(&run.stdout, coloured);
        assert_escaped(&run.stderr, coloured);
        // The table row stays one line, with the ref shown.
        let row = run
            .stdout
            .lines()
            .find(|l| l.contains("hostile@1.0.0"))
            .unwrap_or_else(|| panic!("a row for the package:\n{}", run.stdout));
        assert!(row.contains(REF_SHOWN), "{row}");
        // The diagnostic says what was found, escaped.
        run.assert_stderr("refs/heads/main\\u{1b}]0;owned\\u{7}\\r\\n");
    }
    // The report's first line names the lockfile, escaped.
    let name = "Cargo\u{1b}]0;owned\u{7}\r\n.lock";
    std::fs::copy(dir.join("Cargo.lock"), dir.join(name)).unwrap();
    let run = dir
        .command()
        .args(["--lockfile", name, "--offline", "--now", NOW])
        .run()
        .expect_code(1);
    assert_run_escaped(&run);
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("Cargo\\u{1b}]0;owned\\u{7}\\r\\n.lock"),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_shows_claims_and_subject_names_escaped() {
    let dir = TestDir::new();
    hostile_workload(&dir);
    let run = dir
        .command()
        .args([
            "explain",
            "hostile",
            "--lockfile",
            "Cargo.lock",
            "--offline",
        ])
        .args(["--now", NOW])
        .run()
        .expect_code(1);
    assert_run_escaped(&run);
    run.assert_stdout(REF_SHOWN);
    run.assert_stdout(TRIGGER_SHOWN);
    run.assert_stdout(SUBJECT_SHOWN);
}

/// The cells of a Markdown table row as GitHub splits them: on every `|`
/// not escaped with a backslash (code spans included).
fn cells(row: &str) -> usize {
    let bytes = row.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
        .saturating_sub(1)
}

/// `line` without its code spans (runs of backticks and what they fence).
fn outside_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let fence_len = rest[start..].chars().take_while(|&c| c == '`').count();
        let fence = "`".repeat(fence_len);
        let after = &rest[start + fence_len..];
        match after.find(&fence) {
            Some(end) => rest = &after[end + fence_len..],
            None => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_job_summary_keeps_its_table_rows_and_writes_no_html() {
    let dir = TestDir::new();
    hostile_workload(&dir);
    let summary = dir.join("summary.md");
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .expect_code(1);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(!text.contains('\r'), "{text:?}");
    assert_escaped(&text, false);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
    // The violation's row and the verified package's row, under their headers.
    assert_eq!(rows.len(), 6, "{text}\n{}", run.stderr);
    for row in &rows {
        assert_eq!(cells(row), 4, "{row}");
        let outside = outside_code_spans(row);
        let bytes = outside.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'<' {
                assert!(i > 0 && bytes[i - 1] == b'\\', "raw HTML in {row}");
            }
        }
    }
    assert!(text.contains("<img src=x onerror=alert(1)>"), "{text}");
    assert!(!text.contains("\n| x |"), "{text}");
}

#[test]
fn json_and_sarif_carry_hostile_values_exactly_and_stay_valid() {
    let dir = TestDir::new();
    hostile_workload(&dir);
    let run = check(&dir, &["--message-format", "json"]).expect_code(1);
    let lines = json_lines(&run.stdout);
    let package = lines
        .iter()
        .find(|m| m["reason"] == "package" && m["name"] == "hostile")
        .unwrap();
    assert_eq!(package["provenance"]["ref"], REF);
    assert_eq!(package["provenance"]["trigger"], TRIGGER);
    let failure = &package["failures"][0];
    assert_eq!(failure["found"], REF, "{package}");
    // serde escapes C0 controls: each line is one line of JSON.
    assert!(!run.stdout.contains('\u{1b}') && !run.stdout.contains('\r'));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("docs/message-format.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for line in &lines {
        assert!(validator.is_valid(line), "{line}");
    }

    let run = check(&dir, &["--message-format", "sarif"]).expect_code(1);
    assert!(!run.stdout.contains('\u{1b}') && !run.stdout.contains('\r'));
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let validator = jsonschema::validator_for(&crate::check::sarif_schema()).unwrap();
    assert!(validator.is_valid(&log), "{log}");
    let _: serde_sarif::sarif::Sarif = serde_json::from_value(log.clone()).unwrap();
    let text = log["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap();
    // The message for people shows the ref escaped, as the terminal does.
    assert!(text.contains(REF_SHOWN), "{text}");
}

/// An origin that, written raw into a comment, ends it and exempts everything.
const PLANTED_ORIGIN: &str =
    "planted)\n[[exempt]]\nname = \"*\"\nreason = \"planted\"\nuntil = 2099-01-01\n# (";

/// Store in the cache (shared, so anyone's) that `source` answered for
/// `hostile` with the bundle `json` from [`PLANTED_ORIGIN`], and with
/// `ignored` (a location and a reason), if any, as a document it ignored.
fn plant(dir: &TestDir, source: &str, json: String, ignored: Option<(&str, &str)>) {
    let cache = Cache::open(&dir.join(".cache")).unwrap();
    let key = SourceSpec::parse_cli(source).unwrap().source_key();
    let label = key.label.clone();
    let digest = Sha256Hash::new(checksum());
    let origin = |location: &str| BundleOrigin {
        source: label.clone(),
        location: location.into(),
    };
    let entry = CacheEntry::answer(
        &digest,
        &key,
        // An hour before NOW: an answer of a source that is not official expires.
        "2026-05-31T23:00:00Z".parse().unwrap(),
        Answer::Bundles {
            documents: vec![BundleDocument {
                origin: origin(PLANTED_ORIGIN),
                bundle: ReadBundle::read(json),
            }],
            ignored: ignored
                .into_iter()
                .map(|(location, reason)| IgnoredBundle {
                    origin: origin(location),
                    reason: reason.into(),
                })
                .collect(),
        },
    );
    cache.write_entry(&entry).unwrap();
}

#[test]
fn a_hostile_cached_origin_cannot_write_a_live_exemption_into_init() {
    let dir = TestDir::new();
    let source = "url:http://127.0.0.1:9/b/{checksum}.json";
    let mut claims = Claims::github("acme/hostile", "1.0.0");
    claims.git_ref = REF.into();
    let minted =
        Instance::new(SEED).mint(&MintRequest::new("hostile", "1.0.0", checksum(), claims));
    dir.write("trusted_root.json", Instance::new(SEED).trusted_root_json());
    let other = [0x4d; 32];
    let packages = [
        hostile_locked(),
        LockedPackage {
            name: "other".into(),
            version: "2.0.0".into(),
            checksum: other,
        },
    ];
    dir.write("Cargo.lock", cargo_lock("app", &packages));
    // The cache (shared, so anyone's) says the source answered with a
    // bundle that fails verification, from a hostile location.
    plant(&dir, source, tampered(&minted.to_json()), None);

    // (`other` has nothing cached: written anyway, as an exemption to decide on.)
    let run = init(
        &dir,
        &[
            "--source",
            source,
            "--trusted-root",
            "trusted_root.json",
            "--allow-unchecked",
        ],
    )
    .expect_code(0);
    assert_escaped(&run.stderr, false);
    let text = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    assert_escaped(&text, false);
    // The origin is in a comment, escaped, and nothing else.
    assert!(
        text.contains("# WARNING: a bundle for hostile@1.0.0 failed verification (planted)\\n[[exempt]]\\nname = \"*\""),
        "{text}"
    );
    // The policy holds the rules `init` meant, and no exemption.
    let document: toml_edit::DocumentMut = text.parse().expect("the policy is TOML");
    let keys: Vec<&str> = document.as_table().iter().map(|(k, _)| k).collect();
    // (`[path]` allows the root package when the lockfile alone does not
    // say it is the workspace's.)
    let keys: Vec<&str> = keys.into_iter().filter(|k| *k != "path").collect();
    assert_eq!(keys, ["source", "trust", "defaults"], "{text}");
    assert_eq!(document["defaults"]["require"].as_str(), Some("none"));
    dir.command()
        .args(["policy", "check", "--lockfile", "Cargo.lock"])
        .run()
        .expect_code(0)
        .assert_stdout("0 exemptions");
    // And the run under it fails the rejected bundle, exempting nothing.
    let run = check(&dir, &["--message-format", "json"]).expect_code(1);
    let lines = json_lines(&run.stdout);
    let summary = lines.last().unwrap();
    assert_eq!(summary["exempt"], 0, "{summary}");
    assert_eq!(summary["rejected_bundles"], 1, "{summary}");
}

#[test]
fn init_pins_hostile_claims_exactly_and_writes_them_escaped() {
    let dir = TestDir::new();
    hostile_workload(&dir);
    std::fs::remove_file(dir.join("provenance.toml")).unwrap();
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
    assert_escaped(&run.stderr, false);
    let text = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    // Every hidden character is a TOML escape: the file is plain text.
    assert_escaped(&text, false);
    assert!(
        text.contains("ref = \"refs/heads/main\\u001B[]]0;owned\\u0007\\u000D\\u000A| x |"),
        "{text}"
    );
    let document: toml_edit::DocumentMut = text.parse().expect("the policy is TOML");
    let rules = document["package"].as_array_of_tables().unwrap();
    assert_eq!(rules.len(), 1, "{text}");
    let rule = rules.get(0).unwrap();
    assert_eq!(rule["name"].as_str(), Some("hostile"));
    // The ref exactly: its `[` and `]` made literal, as `ref` is a pattern.
    let literal = REF.replace('[', "[[]").replace("]0", "[]]0");
    assert_eq!(rule["ref"].as_str(), Some(literal.as_str()), "{text}");
    // The trigger is no event the repository's writers start: it is named
    // (escaped) in a warning, never pinned as allowed.
    assert!(
        text.contains("# WARNING: this version was built on `push\\u{202e}"),
        "{text}"
    );
    assert_eq!(
        rule["triggers"].to_string().trim(),
        r#"["push", "release", "workflow_dispatch"]"#
    );
    // The other pins hold: the run fails on the trigger alone.
    let run = check(&dir, &["--message-format", "json"]).expect_code(1);
    let hostile = json_lines(&run.stdout)
        .into_iter()
        .find(|l| l["name"] == "hostile")
        .unwrap();
    let failed: Vec<&str> = hostile["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["requirement"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["triggers"], "{hostile}");
}

#[test]
fn hostile_lockfile_strings_and_file_names_are_shown_escaped() {
    // A package name the reader refuses: its error names it, escaped.
    let dir = TestDir::new();
    dir.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"evil\\u001b]0;owned\\u0007\"\nversion = \"1.0.0\"\n",
    );
    let run = check(&dir, &[]).expect_code(2);
    assert_escaped(&run.stderr, false);
    run.assert_stderr("evil\\u{1b}]0;owned\\u{7}");

    // Raw control bytes in a lockfile that does not parse: the snippet
    // miette shows is escaped, and so is the file's name.
    let name = "Cargo\u{1b}[2J.lock";
    dir.write(
        name,
        "version = 4\n# \u{1b}]0;owned\u{7}\u{202e}\n[[package]\n",
    );
    let run = dir
        .command()
        .args(["--lockfile", name, "--offline", "--now", NOW])
        .run()
        .expect_code(2);
    assert_escaped(&run.stderr, false);
    run.assert_stderr("Cargo\\u{1b}[2J.lock");
    run.assert_stderr("\\u{1b}]0;owned\\u{7}\\u{202e}");

    // A git source URL with escape sequences: in the table, the diagnostic
    // and `explain`.
    let dir = TestDir::new();
    dir.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"fork\"\nversion = \"1.0.0\"\n\
         source = \"git+https://github.com/acme/fork\\u001b[2J\\r\\n?branch=main#0123456789abcdef0123456789abcdef01234567\"\n",
    );
    dir.write("provenance.toml", "[defaults]\nrequire = \"attested\"\n");
    // (A git dependency no rule names is only reported as missing.)
    for run in [
        check(&dir, &["-v"]).expect_code(0),
        dir.command()
            .args(["explain", "fork", "--lockfile", "Cargo.lock", "--offline"])
            .args(["--now", NOW])
            .run()
            .expect_code(0),
        dir.command()
            .args(["inventory", "--lockfile", "Cargo.lock"])
            .run()
            .expect_code(0),
    ] {
        assert_run_escaped(&run);
        assert!(
            !run.stdout.contains("fork\u{1b}") && !run.stderr.contains("fork\u{1b}"),
            "{run:?}"
        );
    }
    // `explain` names the source, escaped.
    dir.command()
        .args(["explain", "fork", "--lockfile", "Cargo.lock", "--offline"])
        .args(["--now", NOW])
        .run()
        .expect_code(0)
        .assert_stdout("github.com/acme/fork\\u{1b}[2J\\r\\n?branch=main");
}

/// A workflow path with a title change, a CR and LF and a table row of its
/// own with HTML (all ASCII: it is part of the certificate's SAN).
const WORKFLOW: &str = ".github/workflows/release.yml\u{1b}]0;owned\u{7}\r\n| x | <b>bold</b> |";
const WORKFLOW_SHOWN: &str =
    ".github/workflows/release.yml\\u{1b}]0;owned\\u{7}\\r\\n| x | <b>bold</b> |";

#[test]
fn diff_shows_a_hostile_workflow_change_escaped_in_every_output() {
    let mut hostile = Claims::github("acme/moved", "1.1.0");
    hostile.workflow = WORKFLOW.into();
    let old = [Crate::attested("moved", "1.0.0", "acme/moved")];
    let new = [Crate::with_claims("moved", "1.1.0", hostile)];
    let dir = TestDir::new();
    let all: Vec<Crate> = old.iter().chain(&new).cloned().collect();
    write_bundles_and_root(dir.path(), &all);
    write_lockfile(dir.path(), "old.lock", &old);
    write_lockfile(dir.path(), "new.lock", &new);
    dir.write(
        "provenance.toml",
        format!("[defaults]\nrequire = \"none\"\n{SOURCES}"),
    );

    let diff = |extra: &[&str]| {
        dir.command()
            .args(["diff", "old.lock", "new.lock", "--offline", "--now", NOW])
            .args(extra)
            .run()
            .expect_code(1)
    };
    let human = diff(&[]);
    assert_run_escaped(&human);
    human.assert_stdout(WORKFLOW_SHOWN);

    let json = diff(&["--message-format", "json"]);
    assert_escaped(&json.stderr, false);
    assert!(!json.stdout.contains('\u{1b}') && !json.stdout.contains('\r'));
    let lines = json_lines(&json.stdout);
    let change = lines
        .iter()
        .find(|l| l["reason"] == "diff-workflow")
        .unwrap_or_else(|| panic!("a workflow change: {lines:#?}"));
    assert_eq!(change["to"]["workflow"], WORKFLOW);

    // The main command with the old lockfile as its baseline: the terminal
    // and the job summary.
    let summary = dir.join("summary.md");
    let run = dir
        .command()
        .args(["--lockfile", "new.lock", "--baseline", "old.lock"])
        .args(["--offline", "--now", NOW])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .expect_code(1);
    assert_run_escaped(&run);
    run.assert_stdout(WORKFLOW_SHOWN);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(!text.contains('\r'), "{text:?}");
    assert_escaped(&text, false);
    assert!(!text.contains("\n| x |"), "{text}");
    for line in text.lines() {
        let outside = outside_code_spans(line);
        assert!(!outside.contains("<b>"), "raw HTML in {line}");
    }
}

#[test]
fn policy_check_shows_file_names_and_policy_strings_escaped() {
    let dir = TestDir::new();
    dir.write("Cargo.lock", cargo_lock("app", &[]));
    let folder = "policy\u{1b}[2J\u{202e}";
    let policy_check = |text: &str| {
        let policy = dir.write(format!("{folder}/provenance.toml"), text);
        dir.command()
            .args(["policy", "check", "--lockfile", "Cargo.lock", "--policy"])
            .arg(&policy)
            .run()
    };
    let run = policy_check("[defaults]\nrequire = \"none\"\n").expect_code(0);
    assert_run_escaped(&run);
    run.assert_stdout("policy\\u{1b}[2J\\u{202e}/provenance.toml: valid");

    // A policy that does not parse, with a hostile string in the value the
    // error names and raw control bytes beside it: the message, the file
    // name and the snippet are shown escaped.
    let run = policy_check(
        "[defaults]\nrequire = \"none\"\n\n[[package]]\n\
         name = \"ghost\\u001b]0;owned\\u0007\"\nrequire = \"attested\"\n",
    )
    .expect_code(2);
    assert_run_escaped(&run);
    run.assert_stderr("`ghost\\u{1b}]0;owned\\u{7}` is not a valid pattern");
    run.assert_stderr("policy\\u{1b}[2J\\u{202e}/provenance.toml");
    // Raw control bytes (TOML refuses them, even in a comment).
    let run = policy_check("[defaults]\n# \u{1b}]0;owned\u{7}\u{9b}2J\nrequire = \"none\"\n")
        .expect_code(2);
    assert_run_escaped(&run);
    run.assert_stderr("# \\u{1b}]0;owned\\u{7}\\u{9b}2J");
}

#[test]
fn fetch_shows_cached_origins_and_ignored_reasons_escaped() {
    let dir = TestDir::new();
    let source = "url:http://127.0.0.1:9/b/{checksum}.json";
    let minted = Instance::new(SEED).mint(&MintRequest::new(
        "hostile",
        "1.0.0",
        checksum(),
        Claims::github("acme/hostile", "1.0.0"),
    ));
    let locked = hostile_locked();
    dir.write("Cargo.lock", cargo_lock("app", &[locked]));
    plant(
        &dir,
        source,
        minted.to_json(),
        Some((
            "ignored\u{1b}]0;owned\u{7}\r\nlocation",
            "for another\u{1b}[2J artifact\u{85}",
        )),
    );

    let fetch = |extra: &[&str]| {
        dir.command()
            .args(["fetch", "--lockfile", "Cargo.lock", "--offline"])
            .args(["--source", source, "--now", NOW])
            .args(extra)
            .run()
    };
    let run = fetch(&["-v"]);
    assert_run_escaped(&run);
    run.assert_stdout(
        "ignored ignored\\u{1b}]0;owned\\u{7}\\r\\nlocation: for another\\u{1b}[2J artifact\\u{85}",
    );
    assert!(!run.stdout.contains("\n[[exempt]]"), "{}", run.stdout);

    // JSON carries them exactly.
    let run = fetch(&["--message-format", "json"]);
    assert!(!run.stdout.contains('\u{1b}') && !run.stdout.contains('\r'));
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        report
            .to_string()
            .contains(&serde_json::to_string(PLANTED_ORIGIN).unwrap()),
        "{report:#}"
    );
}

#[test]
fn verify_bundle_shows_file_names_and_claims_escaped() {
    let dir = TestDir::new();
    let mut claims = Claims::github("acme/hostile", "1.0.0");
    claims.git_ref = REF.into();
    let identity = claims.identity();
    let minted = Instance::new(SEED).mint(&MintRequest::new(SUBJECT, "1.0.0", checksum(), claims));
    let bundle = dir.write("bundle\u{1b}]0;owned\u{7}\r.json", minted.to_json());
    dir.write("trusted_root.json", Instance::new(SEED).trusted_root_json());
    let digest = format!("sha256:{}", hex::encode(checksum()));
    let verify = |identity: &str| {
        dir.command()
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(&bundle)
            .args(["--certificate-identity", identity])
            .args([
                "--certificate-oidc-issuer",
                "https://token.actions.githubusercontent.com",
            ])
            .args(["--trusted-root", "trusted_root.json", &digest])
            .run()
    };
    let run = verify(&identity).expect_code(0);
    assert_run_escaped(&run);
    run.assert_stdout("OK: ");
    run.assert_stdout("bundle\\u{1b}]0;owned\\u{7}\\r.json");

    // Another identity: the failure names the one found, escaped.
    let run = verify("https://github.com/acme/other/.github/workflows/release.yml@refs/tags/v1")
        .expect_code(1);
    assert_run_escaped(&run);
    run.assert_stderr("refs/heads/main\\u{1b}]0;owned\\u{7}\\r\\n");
}

#[test]
fn trust_root_update_shows_a_hostile_server_answer_escaped() {
    let server = Server::start();
    let target = Instance::new(SEED).trusted_root_json();
    let (root, mut files) =
        repository_with_timestamp_expiry(target.as_bytes(), "2100-01-01T00:00:00Z");
    // The timestamp metadata says it is of a kind that carries a title
    // change, a CR and LF and a screen clear.
    let hostile = serde_json::json!({
        "signed": { "_type": "\u{1b}]0;owned\u{7}\r\nerror: forged\u{1b}[2J" },
        "signatures": [],
    });
    for (path, bytes) in &mut files {
        if path == "/timestamp.json" {
            *bytes = serde_json::to_vec(&hostile).unwrap();
        }
    }
    for (path, bytes) in &files {
        server.route(path, vec![Reply::json(bytes.clone())]);
    }
    let dir = TestDir::new();
    let root_file = dir.write("tuf-root.json", root);
    let run = dir
        .command()
        .env("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_URL", &server.base)
        .env("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_ROOT", &root_file)
        .args([
            "trust-root",
            "update",
            "--http-retries",
            "0",
            "--color",
            "never",
        ])
        .run()
        // Not refreshed, but the built-in root in use is valid: a warning.
        .expect_code(0);
    assert_run_escaped(&run);
    run.assert_stderr("\\u{1b}]0;owned\\u{7}\\r\\nerror: forged\\u{1b}[2J");

    // A cache folder whose name carries a title change, and which is a file.
    let cache = dir.write("cache\u{1b}]0;owned\u{7}", "not a folder");
    let run = dir
        .command()
        .env("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_URL", &server.base)
        .env("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_ROOT", &root_file)
        .args(["trust-root", "update", "--color", "never", "--cache-dir"])
        .arg(&cache)
        .run()
        .expect_code(2);
    assert_run_escaped(&run);
    run.assert_stderr("cache\\u{1b}]0;owned\\u{7}");
}

#[test]
fn a_hostile_server_error_text_is_shown_escaped() {
    let server = Server::start();
    let dir = TestDir::new();
    let locked = hostile_locked();
    dir.write("Cargo.lock", cargo_lock("app", &[locked]));
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nrequire = \"attested\"\n\n[[source]]\nkind = \"github\"\norg = \"acme\"\napi-url = \"{}\"\n",
            server.base
        ),
    );
    // GitHub's error shape, with a message that would retitle the
    // terminal, end the line and print a forged verdict.
    let message = "Validation Failed\u{1b}]0;owned\u{7}\r\nok: every package verified\u{1b}[2J";
    let body = serde_json::json!({ "message": message }).to_string();
    server.route(
        &format!("/orgs/acme/attestations/sha256:{}", hex::encode(checksum())),
        vec![Reply {
            body: body.into_bytes(),
            ..Reply::status(422)
        }],
    );
    // (Without spaces: miette wraps long lines at them.)
    let shown = ["Failed\\u{1b}]0;owned\\u{7}\\r\\nok:", "verified\\u{1b}[2J"];
    for command in [&["fetch", "-v"][..], &["--color", "always"], &["-v"]] {
        let run = dir
            .command()
            .args(command)
            .args([
                "--lockfile",
                "Cargo.lock",
                "--http-retries",
                "0",
                "--now",
                NOW,
            ])
            .run()
            .expect_code(2);
        assert_escaped(&run.stdout, true);
        assert_escaped(&run.stderr, true);
        for shown in shown {
            assert!(
                run.stdout.contains(shown) || run.stderr.contains(shown),
                "{command:?}: {run:?}"
            );
        }
    }
}

#[test]
fn explain_shows_a_hostile_registry_record_escaped_in_the_cross_check() {
    let test = "explain_shows_a_hostile_registry_record_escaped_in_the_cross_check";
    let Some(template) = api_file(test, "crates-io/version-trustpub-github.json") else {
        return;
    };
    let template: Value = serde_json::from_slice(&template).unwrap();
    let krate = crate::check::Crate::attested("crossed", "org/crossed");
    let server = Server::start();
    // crates.io's record (anyone can publish one) names a repository and a
    // commit that would retitle the terminal and forge a line.
    let trustpub = serde_json::json!({
        "provider": "github",
        "repository": "impostor/x\u{1b}]0;owned\u{7}\r\n  certificate org/crossed",
        "run_id": "1",
        "sha": format!("{}\u{1b}[2J\n", "f".repeat(40)),
    });
    server.route(
        "/api/v1/crates/crossed",
        vec![Reply::json(crate_answer(
            &template,
            &hex::encode(krate.checksum()),
            trustpub,
        ))],
    );
    let dir = TestDir::new();
    crate::check::workload(
        &dir,
        &[krate],
        &format!(
            "[defaults]\n\n[[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\n",
            server.base
        ),
    );
    let run = online(&dir, &["explain", "crossed"]).expect_code(1);
    assert_run_escaped(&run);
    let registry: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("registry "))
        .collect();
    assert!(
        registry
            .iter()
            .any(|l| l.contains("impostor/x\\u{1b}]0;owned\\u{7}\\r\\n  certificate org/crossed")),
        "{}",
        run.stdout
    );
    // No line of the record's making.
    assert!(
        !run.stdout
            .lines()
            .any(|l| l.trim() == "certificate org/crossed"),
        "{}",
        run.stdout
    );
    // And the report for people.
    let run = online(&dir, &[]).expect_code(1);
    assert_run_escaped(&run);
}
