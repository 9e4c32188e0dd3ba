//! GitHub's hourly limit without a token, remembered between runs through
//! the binary: after a run GitHub refused for it, later runs until the
//! reset time it gave ask GitHub nothing, say so once, and leave the
//! packages not checked (never passed, never "no provenance"); a planted
//! entry in the cache silences GitHub for an hour at most.

use serde_json::Value;

use crate::faults::{outcomes, workload};
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

/// The run's clock, and that clock `minutes` later.
fn at(minutes: i64) -> String {
    let start: jiff::Timestamp = "2026-12-07T16:00:00Z".parse().unwrap();
    (start + jiff::SignedDuration::from_mins(minutes)).to_string()
}

fn run(dir: &TestDir, now: &str) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .args(["--jobs", "1", "--http-retries", "0", "--now", now])
        .run()
}

/// The GitHub requests `server` has had so far.
fn asked(server: &Server) -> usize {
    server
        .seen()
        .iter()
        .filter(|s| s.path_and_query.starts_with("/orgs/acme/attestations/"))
        .count()
}

/// The one remembered limit in the cache, by its file.
fn remembered(dir: &TestDir) -> std::path::PathBuf {
    let folder = dir.join(".cache/github-limit/v1");
    let files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// Every package not checked (an error where a rule requires evidence).
fn none_checked(run: &Run) {
    let (packages, summary) = outcomes(&run.stdout);
    assert_eq!(packages.len(), 3, "{}", run.stdout);
    for (name, outcome) in &packages {
        assert_eq!(outcome, "error", "{name}: {}", run.stdout);
    }
    assert_eq!(summary["no_provenance"], 0, "{summary}");
    assert_eq!(summary["pass"], 0, "{summary}");
}

#[test]
fn a_refusal_for_the_hourly_limit_is_remembered_until_it_resets_and_an_hour_at_most() {
    let server = Server::start();
    // Half an hour, as `Retry-After` (exact, whatever the real clock):
    // clients wait for it before `x-ratelimit-reset`.
    let reset = jiff::Timestamp::now().as_second() + 1800;
    server.respond("/orgs/acme/attestations/", move |_| {
        Reply::status(403)
            .header("retry-after", "1800")
            .header("x-ratelimit-limit", "60")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", &reset.to_string())
            .header("x-ratelimit-resource", "core")
    });
    let dir = TestDir::new();
    workload(&dir, [1, 2, 3]);
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nrequire = \"attested\"\n\n[trust]\nroots = [\"trusted_root.json\"]\n\n[[source]]\nkind = \"github\"\napi-url = \"{}\"\norg = \"acme\"\n",
            server.base
        ),
    );

    // Refused: the source stops after the first request.
    let first = run(&dir, &at(0)).expect_code(2);
    none_checked(&first);
    assert_eq!(asked(&server), 1);
    let entry: Value = serde_json::from_slice(&std::fs::read(remembered(&dir)).unwrap()).unwrap();
    assert_eq!(entry["resets"], at(30), "{entry}");

    // Ten minutes later: nothing asked, said once, nothing passes.
    let later = run(&dir, &at(10)).expect_code(2);
    none_checked(&later);
    assert_eq!(asked(&server), 1, "GitHub was asked again");
    let said: Vec<&str> = later
        .stderr
        .lines()
        .filter(|l| {
            l.contains("GitHub's hourly limit resets at 2026-12-07 16:30 UTC; 3 packages not asked")
        })
        .collect();
    assert_eq!(said.len(), 1, "{}", later.stderr);
    for line in later
        .stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"package\""))
    {
        assert!(line.contains("GitHub's hourly limit resets at"), "{line}");
    }

    // Once reset, GitHub is asked again (and refuses again here).
    run(&dir, &at(31)).expect_code(2);
    assert_eq!(asked(&server), 2);

    // A planted entry naming a reset far ahead counts an hour after it
    // was recorded, no longer.
    let planted = format!(
        r#"{{"format":1,"api":"{}","recorded":"{}","resets":"9999-01-01T00:00:00Z"}}"#,
        entry["api"].as_str().unwrap(),
        at(100)
    );
    std::fs::write(remembered(&dir), planted).unwrap();
    run(&dir, &at(150)).expect_code(2);
    assert_eq!(asked(&server), 2, "silenced within the hour");
    run(&dir, &at(161)).expect_code(2);
    assert_eq!(asked(&server), 3, "asked again after the hour");

    // Recorded in the future: not read at all.
    let planted = format!(
        r#"{{"format":1,"api":"{}","recorded":"9999-01-01T00:00:00Z","resets":"9999-01-01T00:30:00Z"}}"#,
        entry["api"].as_str().unwrap()
    );
    std::fs::write(remembered(&dir), planted).unwrap();
    run(&dir, &at(162)).expect_code(2);
    assert_eq!(asked(&server), 4);
}
