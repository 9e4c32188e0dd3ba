//! Text from outside never reaches an output as it is: claim values and
//! subject names in a minted bundle, lockfile strings, cache entries and
//! file names are shown with every control, bidi and invisible format
//! character made visible for people, escaped for Markdown in the job
//! summary, quoted by the TOML writer in `init`'s policy, and carried
//! exactly (serde escapes them) in JSON and SARIF.

use cargo_verify_provenance::cache::{Answer, BundleDocument, Cache, CacheEntry};
use cargo_verify_provenance::evidence::BundleOrigin;
use cargo_verify_provenance::sources::SourceSpec;
use cargo_verify_provenance::testkit::files::{cargo_lock, LockedPackage};
use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use serde_json::Value;
use sigstore_types::Sha256Hash;

use crate::fail_closed::tampered;
use crate::harness::{Run, TestDir};
use crate::init::init;
use crate::minted::{json_lines, NOW, SEED, SOURCES};

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
    let locked = LockedPackage {
        name: "hostile".into(),
        version: "1.0.0".into(),
        checksum: checksum(),
    };
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
    assert_escaped(&run.stdout, false);
    assert_escaped(&run.stderr, false);
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
        LockedPackage {
            name: "hostile".into(),
            version: "1.0.0".into(),
            checksum: checksum(),
        },
        LockedPackage {
            name: "other".into(),
            version: "2.0.0".into(),
            checksum: other,
        },
    ];
    dir.write("Cargo.lock", cargo_lock("app", &packages));
    // The cache (shared, so anyone's) says the source answered with a
    // bundle that fails verification, from a hostile location.
    let cache = Cache::open(&dir.join(".cache")).unwrap();
    let label = SourceSpec::parse_cli(source).unwrap().label();
    let digest = Sha256Hash::new(checksum());
    let entry = CacheEntry::new(
        &digest,
        &label,
        "2026-05-20T00:00:00Z".parse().unwrap(),
        Answer::Bundles {
            documents: vec![BundleDocument {
                origin: BundleOrigin {
                    source: label.clone(),
                    location: PLANTED_ORIGIN.into(),
                },
                json: tampered(&minted.to_json()),
            }],
            ignored: vec![],
        },
    );
    cache.write(&digest, &entry).unwrap();

    let run = init(
        &dir,
        &["--source", source, "--trusted-root", "trusted_root.json"],
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
    // The pins hold: the run passes on what `init` saw.
    check(&dir, &[]).expect_code(0);
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
        assert_escaped(&run.stdout, false);
        assert_escaped(&run.stderr, false);
        assert!(
            !run.stdout.contains("fork\u{1b}") && !run.stderr.contains("fork\u{1b}"),
            "{run:?}"
        );
    }
    check(&dir, &[])
        .expect_code(0)
        .assert_stdout("github.com/acme/fork\\u{1b}[2J\\r\\n?branch=main");
}
