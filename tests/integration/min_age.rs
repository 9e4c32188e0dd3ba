//! `min-age` through the binary, with publish times from crates.io's real
//! sparse-index file for `itoa`
//! (`../shared/fixtures/api/crates-io/sparse-index-itoa.jsonl`) served on
//! 127.0.0.1 as the crates-io source's `index-url`: a version younger than
//! the minimum at `--now` fails, naming its publish time and when it will
//! pass; exemptions excuse it; an unknown publish time is never a pass;
//! nothing but the index is asked, and a warm rerun asks nothing.

use serde_json::Value;

use crate::fixtures::api_file;
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

/// itoa 1.0.19, published 2026-11-09T01:42:29Z, and 1.0.18, 2026-03-20.
const ITOA_1_0_19: &str = "3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4";
const ITOA_1_0_18: &str = "8f42a60cbdf9a97f5d2305f08a87dc4e09308d1276d28c869c684d7777685682";

/// A lockfile of `(name, version, checksum)` packages from crates.io.
pub(crate) fn lockfile(packages: &[(&str, &str, &str)]) -> String {
    let mut text = String::from("version = 4\n");
    for (name, version, checksum) in packages {
        text.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{checksum}\"\n"
        ));
    }
    text
}

/// A crates-io source at `server`, its index at `/index/` there.
pub(crate) fn crates_io_source(server: &Server) -> String {
    format!(
        "[[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\nindex-url = \"sparse+{}/index/\"\n",
        server.base, server.base
    )
}

fn run(dir: &TestDir, now: &str, extra: &[&str]) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .args(["--now", now, "--color", "never"])
        .args(extra)
        .run()
}

fn package<'a>(run: &'a [Value], version: &str) -> &'a Value {
    run.iter()
        .find(|m| m["reason"] == "package" && m["version"] == version)
        .unwrap_or_else(|| panic!("no itoa {version} in {run:#?}"))
}

fn messages(run: &Run) -> Vec<Value> {
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    crate::registry_record::assert_documented(&lines);
    lines
}

/// The workload: both itoa versions, `policy` over a crates-io source
/// whose index serves the real itoa file.
fn itoa(test: &str, policy: &str) -> Option<(TestDir, Server)> {
    let index = api_file(test, "crates-io/sparse-index-itoa.jsonl")?;
    let server = Server::start();
    server.route(
        "/index/it/oa/itoa",
        vec![Reply::json(index).header("etag", "\"i1\"")],
    );
    let dir = TestDir::new();
    dir.write(
        "Cargo.lock",
        lockfile(&[
            ("itoa", "1.0.18", ITOA_1_0_18),
            ("itoa", "1.0.19", ITOA_1_0_19),
        ]),
    );
    dir.write(
        "provenance.toml",
        format!("{policy}\n{}", crates_io_source(&server)),
    );
    Some((dir, server))
}

#[test]
fn a_version_younger_than_min_age_fails_naming_its_publish_time_and_when_it_passes() {
    let test = "a_version_younger_than_min_age_fails_naming_its_publish_time_and_when_it_passes";
    let Some((dir, server)) = itoa(test, "[defaults]\nmin-age = \"7 days\"\n") else {
        return;
    };
    // Three days after 1.0.19 was published.
    let young = run(&dir, "2026-11-12T00:00:00Z", &[]).expect_code(1);
    let lines = messages(&young);
    let fresh = package(&lines, "1.0.19");
    assert_eq!(fresh["outcome"], "violation", "{fresh}");
    assert_eq!(fresh["published"], "2026-11-09T01:42:29Z");
    let failure = &fresh["failures"][0];
    assert_eq!(failure["requirement"], "min-age");
    assert_eq!(
        failure["found"],
        "published 2026-11-09T01:42:29Z, 2 days 22 hours before this run; it passes from 2026-11-16T01:42:29Z"
    );
    assert_eq!(failure["span"]["line"], 2);
    let older = package(&lines, "1.0.18");
    assert_eq!(older["outcome"], "no-provenance", "{older}");
    assert_eq!(older["published"], "2026-03-20T00:12:37Z");
    // The index, once for the crate; crates.io's API not at all.
    assert_eq!(server.requests_to("/index/it/oa/itoa"), 1);
    assert_eq!(server.seen().len(), 1, "{:#?}", server.seen());

    // For people: the diagnostic says when it will pass.
    let human = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--now", "2026-11-12T00:00:00Z"])
        .args(["--color", "never"])
        .run()
        .expect_code(1);
    human.assert_stderr("it passes from 2026-11-16T01:42:29Z");

    // Once it is old enough: a pass, from the cache, with no request.
    let later = run(&dir, "2026-11-16T01:42:29Z", &[]).expect_code(0);
    assert_eq!(
        package(&messages(&later), "1.0.19")["outcome"],
        "no-provenance"
    );
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn min_age_respects_exemptions_and_rules_and_an_unknown_time_never_passes() {
    let test = "min_age_respects_exemptions_and_rules_and_an_unknown_time_never_passes";
    let policy = "[defaults]\nmin-age = \"30 days\"\n\n\
                  [[exempt]]\nname = \"itoa\"\nversion = \"=1.0.19\"\nreason = \"a fix we need now\"\n";
    let Some((dir, server)) = itoa(test, policy) else {
        return;
    };
    let exempted = run(&dir, "2026-11-12T00:00:00Z", &[]).expect_code(0);
    let lines = messages(&exempted);
    let fresh = package(&lines, "1.0.19");
    assert_eq!(fresh["outcome"], "exempt", "{fresh}");
    assert_eq!(fresh["failures"][0]["requirement"], "min-age");

    // A rule lifts it for one package.
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nmin-age = \"30 days\"\n\n[[package]]\nname = \"itoa\"\nmin-age = \"0s\"\n\n{}",
            crates_io_source(&server)
        ),
    );
    run(&dir, "2026-11-12T00:00:00Z", &[]).expect_code(0);

    // Offline with nothing cached: not checked, never a pass.
    let empty = TestDir::new();
    empty.write("Cargo.lock", std::fs::read(dir.join("Cargo.lock")).unwrap());
    empty.write(
        "provenance.toml",
        format!(
            "[defaults]\nmin-age = \"1 day\"\n\n{}",
            crates_io_source(&server)
        ),
    );
    let before = server.seen().len();
    let offline = run(&empty, "2026-12-07T00:00:00Z", &["--offline"]).expect_code(2);
    let lines = messages(&offline);
    for version in ["1.0.18", "1.0.19"] {
        let unknown = package(&lines, version);
        assert_eq!(unknown["outcome"], "error", "{unknown}");
        assert_eq!(unknown["failures"][0]["requirement"], "min-age");
        assert_eq!(unknown["errors"][0]["kind"], "not-cached", "{unknown}");
    }
    assert_eq!(server.seen().len(), before);
}

/// `policy check` of `policy`, which must fail.
fn refused_policy(dir: &TestDir, policy: &str) -> Run {
    dir.write("provenance.toml", policy);
    dir.command()
        .args(["policy", "check", "--policy", "provenance.toml"])
        .args(["--color", "never"])
        .run()
        .expect_code(2)
}

#[test]
fn the_index_address_is_a_setting_of_the_crates_io_source_written_as_cargo_writes_it() {
    let dir = TestDir::new();
    for (index_url, problem) in [
        ("https://index.crates.io/", "does not start with sparse+"),
        ("sparse+https://index.crates.io", "must end with a slash"),
        ("sparse+http://index.example/", "only https URLs"),
    ] {
        let run = refused_policy(
            &dir,
            &format!("[[source]]\nkind = \"crates-io\"\nindex-url = \"{index_url}\"\n"),
        );
        run.assert_stderr("policy-bad-url");
        run.assert_stderr(problem);
    }
    let run = refused_policy(
        &dir,
        "[[source]]\nkind = \"crates-io\"\nindex-url = \"sparse+https://mirror.example/index/\"\nrecords = \"every\"\n",
    );
    run.assert_stderr("policy-bad-value");
    run.assert_stderr("not a valid policy: 1 error");
}

#[test]
fn diff_reports_a_version_brought_in_younger_than_min_age() {
    let test = "diff_reports_a_version_brought_in_younger_than_min_age";
    let Some((dir, _server)) = itoa(test, "[defaults]\nmin-age = \"7 days\"\n") else {
        return;
    };
    dir.write("old.lock", lockfile(&[("itoa", "1.0.18", ITOA_1_0_18)]));
    dir.write("new.lock", lockfile(&[("itoa", "1.0.19", ITOA_1_0_19)]));
    let diff = |now: &str, format: &str| {
        dir.command()
            .args(["diff", "old.lock", "new.lock", "--message-format", format])
            .args(["--now", now, "--color", "never"])
            .run()
    };
    let young = diff("2026-11-12T00:00:00Z", "json").expect_code(1);
    let lines = messages(&young);
    let change = lines
        .iter()
        .find(|l| l["reason"] == "diff-min-age")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert_eq!(change["name"], "itoa");
    assert_eq!(change["version"], "1.0.19");
    assert_eq!(change["previous_version"], "1.0.18");
    assert_eq!(change["published"], "2026-11-09T01:42:29Z");
    assert_eq!(change["fails"], true);
    assert_eq!(lines.last().unwrap()["too_new"], 1);
    diff("2026-11-12T00:00:00Z", "human")
        .expect_code(1)
        .assert_stdout("too new     itoa 1.0.18 -> 1.0.19: published 2026-11-09T01:42:29Z");
    // Old enough: nothing to report.
    let later = diff("2026-11-20T00:00:00Z", "json").expect_code(0);
    assert!(!later.stdout.contains("diff-min-age"), "{}", later.stdout);
}
