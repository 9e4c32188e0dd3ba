//! What crates.io records beside the publisher, through the binary:
//! `trustpub-only = true` passes and fails as the crate's `trustpub_only`
//! says (and an unknown record is never a pass); `diff` reports it switched
//! off as a downgrade. crates.io's answers are its recorded ones
//! (`../shared/fixtures/api/crates-io`) with names, versions, checksums and
//! publish times set, served on 127.0.0.1.

use serde_json::Value;

use crate::fixtures::api_file;
use crate::harness::{Run, TestDir};
use crate::minted::{json_lines, write_bundles_and_root, write_lockfile, Crate, NOW, SOURCES};
use crate::server::{Reply, Server};

/// crates.io's recorded answers: a crate that refuses token publishing,
/// one that does not, and a version published through GitHub.
pub(crate) struct Recorded {
    only_true: Value,
    only_false: Value,
    version: Value,
}

impl Recorded {
    pub(crate) fn read(test: &str) -> Option<Self> {
        let json = |file: &str| -> Option<Value> {
            api_file(test, &format!("crates-io/{file}"))
                .map(|b| serde_json::from_slice(&b).unwrap())
        };
        Some(Self {
            only_true: json("crate-trustpub-only-true.json")?,
            only_false: json("crate-trustpub-only-false.json")?,
            version: json("version-trustpub-github.json")?["version"].clone(),
        })
    }

    /// The answer for one crate name: `trustpub_only` as `only` says (the
    /// recorded crate answer of that value, `None`: the key left out), and
    /// each version published through the workflow of its bundle's
    /// repository (without a bundle: `org/NAME`) at the time given.
    pub(crate) fn answer(&self, only: Option<bool>, versions: &[(&Crate, &str)]) -> Vec<u8> {
        let mut krate = match only {
            Some(false) => self.only_false["crate"].clone(),
            _ => self.only_true["crate"].clone(),
        };
        if only.is_none() {
            krate.as_object_mut().unwrap().remove("trustpub_only");
        }
        let versions: Vec<Value> = versions
            .iter()
            .map(|(c, published)| {
                let mut version = self.version.clone();
                version["crate"] = c.name.clone().into();
                version["num"] = c.version.clone().into();
                version["checksum"] = hex::encode(c.checksum()).into();
                version["created_at"] = (*published).into();
                let repository = c.claims.as_ref().map_or(format!("org/{}", c.name), |cl| {
                    cl.repository.clone()
                });
                // No commit: the cross-check compares the repository only.
                version["trustpub_data"] =
                    serde_json::json!({"provider": "github", "repository": repository, "run_id": "1"});
                version
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({"crate": krate, "versions": versions})).unwrap()
    }

    /// `GET /api/v1/crates?ids[]=…`: the recorded crate object for each
    /// name, with its `trustpub_only` as given (`None`: the key left out).
    pub(crate) fn list(&self, crates: &[(&str, Option<bool>)]) -> Vec<u8> {
        let listed: Vec<Value> = crates
            .iter()
            .map(|(name, only)| {
                let mut krate = self.only_true["crate"].clone();
                krate["name"] = (*name).into();
                krate["id"] = (*name).into();
                match only {
                    Some(only) => krate["trustpub_only"] = (*only).into(),
                    None => {
                        krate.as_object_mut().unwrap().remove("trustpub_only");
                    }
                }
                krate
            })
            .collect();
        let total = listed.len();
        serde_json::to_vec(&serde_json::json!({"crates": listed, "meta": {"total": total}}))
            .unwrap()
    }
}

/// `SOURCES` and a crates-io source at `server`, its sparse index at
/// `/index/` there.
pub(crate) fn sources(server: &Server) -> String {
    format!(
        "{SOURCES}\n[[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\nindex-url = \"sparse+{}/index/\"\n",
        server.base, server.base
    )
}

/// Serve the sparse index file of each crate: its versions, each with the
/// `pubtime` given (left out when it is not a time).
pub(crate) fn serve_index(server: &Server, versions: &[(&Crate, &str)]) {
    let mut files: std::collections::BTreeMap<String, String> = Default::default();
    for (krate, published) in versions {
        let mut line = serde_json::json!({
            "name": krate.name, "vers": krate.version, "deps": [],
            "cksum": hex::encode(krate.checksum()), "features": {}, "yanked": false,
        });
        if published.parse::<jiff::Timestamp>().is_ok() {
            line["pubtime"] = (*published).into();
        }
        let file = files.entry(krate.name.clone()).or_default();
        file.push_str(&line.to_string());
        file.push('\n');
    }
    for (name, text) in files {
        let path =
            cargo_verify_provenance::testkit::internals::sources::sparse_index::index_path(&name)
                .unwrap();
        server.route(&format!("/index/{path}"), vec![Reply::json(text)]);
    }
}

fn check_json(dir: &TestDir, lockfile: &str) -> Run {
    dir.command()
        .args(["--lockfile", lockfile, "--message-format", "json"])
        .args([
            "--now",
            NOW,
            "--crates-io-interval-ms",
            "0",
            "--color",
            "never",
        ])
        .run()
}

/// Every line valid against docs/message-format.schema.json.
pub(crate) fn assert_documented(lines: &[Value]) {
    let validator = crate::harness::message_format_validator();
    for line in lines {
        let errors: Vec<String> = validator.iter_errors(line).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{line}: {errors:?}");
    }
}

fn outcome<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["reason"] == "package" && l["name"] == name)
        .unwrap_or_else(|| panic!("no package {name} in {lines:#?}"))
}

fn requirements(package: &Value) -> Vec<&str> {
    package["failures"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| f["requirement"].as_str().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn trustpub_only_passes_and_fails_as_crates_io_records_it() {
    let test = "trustpub_only_passes_and_fails_as_crates_io_records_it";
    let Some(recorded) = Recorded::read(test) else {
        return;
    };
    let refuses = Crate::attested("refuses", "1.0.0", "org/refuses");
    let accepts = Crate::attested("accepts", "1.0.0", "org/accepts");
    let record_only = Crate::unattested("record-only", "1.0.0");
    let lifted = Crate::attested("lifted", "1.0.0", "org/lifted");
    let silent = Crate::attested("silent", "1.0.0", "org/silent");
    let crates = [
        refuses.clone(),
        accepts.clone(),
        record_only.clone(),
        lifted.clone(),
        silent.clone(),
    ];
    let server = Server::start();
    let published = "2026-01-10T08:00:00.000000Z";
    for (krate, only) in [
        (&refuses, Some(true)),
        (&accepts, Some(false)),
        (&record_only, Some(true)),
        (&lifted, Some(false)),
        (&silent, None),
    ] {
        server.route(
            &format!("/api/v1/crates/{}", krate.name),
            vec![Reply::json(recorded.answer(only, &[(krate, published)]))],
        );
    }
    server.route(
        "/api/v1/crates",
        vec![Reply::json(recorded.list(&[("record-only", Some(true))]))],
    );
    let dir = TestDir::new();
    write_bundles_and_root(dir.path(), &crates);
    write_lockfile(dir.path(), "Cargo.lock", &crates);
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\ntrustpub-only = true\n\n[[package]]\nname = \"lifted\"\ntrustpub-only = false\n{}",
            sources(&server)
        ),
    );
    let run = check_json(&dir, "Cargo.lock").expect_code(1);
    let lines = json_lines(&run.stdout);
    assert_documented(&lines);
    for name in ["refuses", "lifted"] {
        assert_eq!(outcome(&lines, name)["outcome"], "pass", "{name}");
    }
    // No bundle and no rule asking for its record: what the crates list
    // said meets trustpub-only, and nothing else is known.
    let record_only = outcome(&lines, "record-only");
    assert_eq!(record_only["outcome"], "no-provenance", "{record_only}");
    assert_eq!(record_only["record"]["trustpub_only"], true);
    let accepts = outcome(&lines, "accepts");
    assert_eq!(accepts["outcome"], "violation");
    assert_eq!(requirements(accepts), ["trustpub-only"]);
    assert!(accepts["failures"][0]["found"]
        .as_str()
        .unwrap()
        .contains("trustpub_only = false"));
    assert_eq!(accepts["record"]["trustpub_only"], false);
    assert_eq!(
        accepts["record"]["published"], "2026-01-10T08:00:00Z",
        "{accepts}"
    );
    // crates.io did not say: not checked, never a pass.
    let silent = outcome(&lines, "silent");
    assert_eq!(silent["outcome"], "error", "{silent}");
    assert_eq!(requirements(silent), ["trustpub-only"]);
    // A bundle found is cross-checked with its version's record; a package
    // without one is answered by the list of crates, 100 a request.
    assert_eq!(server.requests_to("/api/v1/crates/record-only"), 0);
    assert_eq!(server.requests_to("/api/v1/crates"), 1);
    assert_eq!(server.requests_to("/api/v1/crates/refuses"), 1);

    let explained = dir
        .command()
        .args([
            "explain",
            "accepts",
            "--lockfile",
            "Cargo.lock",
            "--offline",
        ])
        .args(["--now", NOW, "--color", "never"])
        .run()
        .expect_code(1);
    explained
        .assert_stdout("FAIL trustpub-only  expected true, found false  (line 2, from [defaults])");
}

#[test]
fn trustpub_only_without_a_record_is_not_checked_and_never_passes() {
    // No crates-io source: nothing says whether the crate refuses tokens,
    // even for a package whose bundle meets every other requirement.
    let crates = [Crate::attested("alpha", "1.0.0", "org/alpha")];
    let dir = TestDir::new();
    write_bundles_and_root(dir.path(), &crates);
    write_lockfile(dir.path(), "Cargo.lock", &crates);
    dir.write(
        "provenance.toml",
        format!("[defaults]\nrequire = \"attested\"\ntrustpub-only = true\n{SOURCES}"),
    );
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
        .args(["--message-format", "json"])
        .run()
        .expect_code(2);
    let lines = json_lines(&run.stdout);
    let alpha = outcome(&lines, "alpha");
    assert_eq!(alpha["outcome"], "error");
    assert_eq!(requirements(alpha), ["trustpub-only"]);
    assert!(alpha["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("crates-io source"));
    // Audit mode reports it and does not fail, but never as a pass.
    let text = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    dir.write("provenance.toml", format!("mode = \"audit\"\n{text}"));
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--offline", "--now", NOW])
        .args(["--message-format", "json"])
        .run()
        .expect_code(0);
    assert_eq!(
        outcome(&json_lines(&run.stdout), "alpha")["outcome"],
        "error"
    );
}

#[test]
fn diff_reports_trustpub_only_switched_off_as_a_downgrade() {
    let test = "diff_reports_trustpub_only_switched_off_as_a_downgrade";
    let Some(recorded) = Recorded::read(test) else {
        return;
    };
    let old = [
        Crate::attested("foo", "1.0.0", "org/foo"),
        Crate::attested("bar", "1.0.0", "org/bar"),
    ];
    let new = [
        Crate::attested("foo", "1.1.0", "org/foo"),
        Crate::attested("bar", "1.1.0", "org/bar"),
    ];
    let server = Server::start();
    let published = "2026-01-10T08:00:00.000000Z";
    // The old versions were checked while the crates refused tokens;
    // by the time of the new ones, foo accepts them again.
    server.route(
        "/api/v1/crates/foo",
        vec![
            Reply::json(recorded.answer(Some(true), &[(&old[0], published)])),
            Reply::json(
                recorded.answer(Some(false), &[(&old[0], published), (&new[0], published)]),
            ),
        ],
    );
    server.route(
        "/api/v1/crates/bar",
        vec![Reply::json(recorded.answer(
            Some(true),
            &[(&old[1], published), (&new[1], published)],
        ))],
    );
    let dir = TestDir::new();
    let all: Vec<Crate> = old.iter().chain(&new).cloned().collect();
    write_bundles_and_root(dir.path(), &all);
    write_lockfile(dir.path(), "old.lock", &old);
    write_lockfile(dir.path(), "new.lock", &new);
    dir.write(
        "provenance.toml",
        format!("[defaults]\n{}", sources(&server)),
    );
    check_json(&dir, "old.lock").expect_code(0);

    let diff = |extra: &[&str]| {
        dir.command()
            .args(["diff", "old.lock", "new.lock", "--now", NOW])
            .args(["--crates-io-interval-ms", "0", "--color", "never"])
            .args(extra)
            .run()
    };
    let run = diff(&["--message-format", "json"]).expect_code(1);
    let lines = json_lines(&run.stdout);
    assert_documented(&lines);
    let changes: Vec<&Value> = lines
        .iter()
        .filter(|l| l["reason"] == "diff-trustpub-only")
        .collect();
    assert_eq!(changes.len(), 1, "{lines:#?}");
    assert_eq!(changes[0]["name"], "foo");
    assert_eq!(
        (changes[0]["from"].as_bool(), changes[0]["to"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(changes[0]["fails"], true);
    let summary = lines.last().unwrap();
    assert_eq!(
        (summary["downgrades"].as_u64(), summary["failing"].as_u64()),
        (Some(1), Some(1))
    );
    diff(&[])
        .expect_code(1)
        .assert_stdout("foo 1.0.0 -> 1.1.0: trustpub_only = true -> false");
    // Accepted like any downgrade.
    diff(&["--allow-downgrade", "foo"]).expect_code(0);
}

#[test]
fn trustpub_only_takes_a_boolean() {
    let dir = TestDir::new();
    dir.write(
        "provenance.toml",
        "[defaults]\ntrustpub-only = \"yes\"\n\n[[owner]]\nowner = \"https://github.com/org\"\npackages = [\"a\"]\ntrustpub-only = true\n",
    );
    let run = dir
        .command()
        .args([
            "policy",
            "check",
            "--policy",
            "provenance.toml",
            "--color",
            "never",
        ])
        .run()
        .expect_code(2);
    run.assert_stderr("policy-wrong-type");
    run.assert_stderr("`trustpub-only` must be `true` or `false`, not a string");
    // Only the one mistake.
    run.assert_stderr("not a valid policy: 1 error");
}

/// `diff old.lock new.lock` in `dir`, asking crates.io.
fn diff(dir: &TestDir, extra: &[&str]) -> Run {
    dir.command()
        .args(["diff", "old.lock", "new.lock", "--now", NOW])
        .args(["--crates-io-interval-ms", "0", "--color", "never"])
        .args(extra)
        .run()
}

/// A folder with `old.lock`, `new.lock`, their bundles, crates.io at
/// `server` answering for every crate (both versions, each published at
/// the time given) and a policy of `extra` requiring nothing.
/// When the old side of a [`diff_scenario`] pair was published, unless
/// the pair says.
const OLD_PUBLISHED: &str = "2024-01-01T00:00:00Z";

/// Old and new lockfiles of the pairs (old, new, when new was published;
/// old: [`OLD_PUBLISHED`]), with `extra` in the policy.
fn diff_scenario(
    server: &Server,
    recorded: &Recorded,
    pairs: &[(&Crate, &Crate, &str)],
    extra: &str,
) -> TestDir {
    let dated: Vec<_> = pairs
        .iter()
        .map(|(o, n, published)| (*o, OLD_PUBLISHED, *n, *published))
        .collect();
    dated_diff_scenario(server, recorded, &dated, extra)
}

/// [`diff_scenario`] with both publish times given: (old, when, new, when).
fn dated_diff_scenario(
    server: &Server,
    recorded: &Recorded,
    pairs: &[(&Crate, &str, &Crate, &str)],
    extra: &str,
) -> TestDir {
    let dir = TestDir::new();
    let old: Vec<Crate> = pairs.iter().map(|(o, ..)| (*o).clone()).collect();
    let new: Vec<Crate> = pairs.iter().map(|(_, _, n, _)| (*n).clone()).collect();
    for (before, was, after, published) in pairs {
        server.route(
            &format!("/api/v1/crates/{}", after.name),
            vec![Reply::json(
                recorded.answer(Some(true), &[(before, was), (after, published)]),
            )],
        );
    }
    let versions: Vec<(&Crate, &str)> = pairs
        .iter()
        .flat_map(|(before, was, after, published)| [(*before, *was), (*after, *published)])
        .collect();
    serve_index(server, &versions);
    let all: Vec<Crate> = old.iter().chain(&new).cloned().collect();
    write_bundles_and_root(dir.path(), &all);
    write_lockfile(dir.path(), "old.lock", &old);
    write_lockfile(dir.path(), "new.lock", &new);
    dir.write(
        "provenance.toml",
        format!("{extra}\n[defaults]\n{}", sources(server)),
    );
    dir
}

fn changes<'a>(lines: &'a [Value], name: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter(|l| l["name"] == name && l["reason"] != "diff-summary")
        .map(|l| l["reason"].as_str().unwrap())
        .collect()
}

#[test]
fn a_move_to_evidence_of_equal_or_higher_strength_is_no_downgrade() {
    let test = "a_move_to_evidence_of_equal_or_higher_strength_is_no_downgrade";
    let Some(recorded) = Recorded::read(test) else {
        return;
    };
    let server = Server::start();
    let published = "2026-03-01T00:00:00Z";
    // Trusted publisher → provenance; provenance → provenance with the
    // publisher's record beside it; trusted publisher → trusted publisher.
    let up_old = Crate::unattested("up", "1.0.0");
    let up_new = Crate::attested("up", "1.1.0", "org/up");
    let same_old = Crate::attested("same", "1.0.0", "org/same");
    let same_new = Crate::attested("same", "1.1.0", "org/same");
    let record_old = Crate::unattested("record", "1.0.0");
    let record_new = Crate::unattested("record", "1.1.0");
    // The control: provenance → trusted publisher only is a downgrade.
    let down_old = Crate::attested("down", "1.0.0", "org/down");
    let down_new = Crate::unattested("down", "1.1.0");
    let dir = diff_scenario(
        &server,
        &recorded,
        &[
            (&up_old, &up_new, published),
            (&same_old, &same_new, published),
            (&record_old, &record_new, published),
            (&down_old, &down_new, published),
        ],
        "",
    );
    let run = diff(&dir, &["--message-format", "json"]).expect_code(1);
    let lines = json_lines(&run.stdout);
    assert_documented(&lines);
    assert_eq!(changes(&lines, "up"), ["diff-upgrade"], "{lines:#?}");
    let up = lines.iter().find(|l| l["name"] == "up").unwrap();
    assert_eq!(
        (up["from"].as_str(), up["to"].as_str()),
        (Some("registry-asserted"), Some("attested"))
    );
    assert!(changes(&lines, "same").is_empty(), "{lines:#?}");
    assert!(changes(&lines, "record").is_empty(), "{lines:#?}");
    assert_eq!(changes(&lines, "down"), ["diff-downgrade"], "{lines:#?}");
    let summary = lines.last().unwrap();
    assert_eq!(
        (summary["failing"].as_u64(), summary["upgrades"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn enforce_since_ignores_changes_in_versions_published_before_it() {
    let test = "enforce_since_ignores_changes_in_versions_published_before_it";
    let Some(recorded) = Recorded::read(test) else {
        return;
    };
    let server = Server::start();
    let old_one = Crate::attested("old-one", "1.0.0", "org/old-one");
    let old_one_new = Crate::unattested("old-one", "1.1.0");
    let recent = Crate::attested("recent", "1.0.0", "org/recent");
    let recent_new = Crate::attested("recent", "1.1.0", "elsewhere/recent");
    let undated = Crate::attested("undated", "1.0.0", "org/undated");
    let undated_new = Crate::unattested("undated", "1.1.0");
    // A rollback: from a release published since the date, with
    // provenance, to a version from 2017 without.
    let rolled = Crate::attested("rolled", "1.1.0", "org/rolled");
    let rolled_back = Crate::unattested("rolled", "1.0.0");
    let dir = dated_diff_scenario(
        &server,
        &recorded,
        &[
            (
                &old_one,
                OLD_PUBLISHED,
                &old_one_new,
                "2025-12-31T23:59:59Z",
            ),
            (&recent, OLD_PUBLISHED, &recent_new, "2026-01-01T00:00:00Z"),
            // As crates.io's recorded answer has it: no time that parses.
            (&undated, OLD_PUBLISHED, &undated_new, "[datetime]"),
            (
                &rolled,
                "2026-03-01T00:00:00Z",
                &rolled_back,
                "2017-05-01T00:00:00Z",
            ),
        ],
        "[diff]\nenforce-since = 2026-01-01\n",
    );
    let run = diff(&dir, &["--message-format", "json"]).expect_code(1);
    let lines = json_lines(&run.stdout);
    assert_documented(&lines);
    let change = |name: &str| {
        lines
            .iter()
            .find(|l| l["name"] == name && l["reason"] != "diff-summary")
            .unwrap_or_else(|| panic!("no change for {name}: {lines:#?}"))
    };
    let old = change("old-one");
    assert_eq!(old["reason"], "diff-downgrade");
    assert_eq!(old["fails"], false, "{old}");
    assert_eq!(old["accepted"]["by"], "enforce-since");
    assert_eq!(old["accepted"]["line"], 2);
    assert_eq!(change("recent")["reason"], "diff-repository");
    assert_eq!(change("recent")["fails"], true);
    assert_eq!(change("undated")["fails"], true);
    let rolled = change("rolled");
    assert_eq!(rolled["reason"], "diff-downgrade", "{rolled}");
    assert_eq!(rolled["fails"], true, "{rolled}");
    assert!(rolled["accepted"].is_null(), "{rolled}");
    assert_eq!(lines.last().unwrap()["failing"], 3);
    diff(&dir, &[]).expect_code(1).assert_stdout(
        "provenance.toml:2 (1.0.0 published 2024-01-01T00:00:00Z, 1.1.0 published 2025-12-31T23:59:59Z, both before 2026-01-01)",
    );
}
