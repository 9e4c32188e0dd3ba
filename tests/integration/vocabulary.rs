//! One vocabulary across outputs, through the binary: the table's first
//! two columns are the JSON `outcome` and `name@version` of every package,
//! each one token; the summary line counts the table's statuses under the
//! same words, and its counts add up; a dev-only package says `dev`, a
//! workspace member says so.

use std::collections::BTreeMap;

use cargo_verify_provenance::testkit::workspace::{write_path_workspace, Declared, PathCrate};
use serde_json::Value;

use crate::check::{check, workload, Crate, ATTESTED};
use crate::harness::{Run, TestDir};

/// Every row of the table: `name@version` → (status, dependency kind).
fn table_rows(stdout: &str) -> BTreeMap<String, (String, String)> {
    let mut lines = stdout.lines();
    let header = lines.find(|l| l.starts_with("STATUS ")).expect(stdout);
    assert!(
        header
            .split_whitespace()
            .take(4)
            .eq(["STATUS", "PACKAGE", "DEPENDENCY", "EVIDENCE"]),
        "{header}"
    );
    lines
        .take_while(|l| !l.is_empty() && !l.chars().next().unwrap().is_ascii_digit())
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (
                cells[1].to_string(),
                (cells[0].to_string(), cells[2].to_string()),
            )
        })
        .collect()
}

/// Every package message: `name@version` → the JSON message.
fn json_packages(stdout: &str) -> BTreeMap<String, Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|m| m["reason"] == "package")
        .map(|m| {
            (
                format!(
                    "{}@{}",
                    m["name"].as_str().unwrap(),
                    m["version"].as_str().unwrap()
                ),
                m,
            )
        })
        .collect()
}

/// `3 pass, 1 violation, …` → {"pass": 3, "violation": 1, …}, and the
/// number of dependencies the summary says it counted.
fn summary_counts(line: &str) -> (BTreeMap<String, usize>, usize) {
    let (classes, rest) = line.split_once(" (").expect(line);
    let counts = classes
        .split(", ")
        .map(|class| {
            let (n, word) = class.split_once(' ').expect(class);
            (word.to_string(), n.parse().expect(class))
        })
        .collect();
    let total = rest.split_whitespace().next().unwrap().parse().expect(rest);
    (counts, total)
}

/// The table and the JSON agree package for package, and the summary
/// counts the table's statuses.
fn assert_one_vocabulary(table: &Run, json: &Run, verbose: bool) {
    let rows = table_rows(&table.stdout);
    let messages = json_packages(&json.stdout);
    for (id, message) in &messages {
        let listed = verbose
            || !(message["workspace_member"] == true || message["outcome"] == "out-of-scope");
        match rows.get(id) {
            Some((status, _)) => assert_eq!(status, message["outcome"].as_str().unwrap(), "{id}"),
            None => assert!(!listed, "{id} is not in the table:\n{}", table.stdout),
        }
    }
    assert!(
        rows.keys().all(|id| messages.contains_key(id)),
        "{}",
        table.stdout
    );
    let (counts, total) = summary_counts(table.stdout.lines().last().unwrap());
    assert_eq!(counts.values().sum::<usize>(), total, "{counts:?}");
    for (word, n) in &counts {
        let in_json = messages
            .values()
            .filter(|m| m["workspace_member"] == false && m["outcome"] == word.as_str())
            .count();
        assert_eq!(*n, in_json, "{word}: {}", table.stdout);
    }
}

#[test]
fn the_tables_status_and_package_are_the_json_outcome_and_name() {
    let dir = TestDir::new();
    workload(
        &dir,
        &[
            Crate::attested("alpha", "org/alpha"),
            Crate::attested("beta", "impostor/beta"),
            Crate::without_bundle("gamma"),
            Crate::without_bundle("delta"),
            Crate::without_bundle("epsilon"),
        ],
        "[[package]]\nname = \"beta\"\nrepository = \"https://github.com/org/beta\"\n\n\
         [[package]]\nname = \"delta\"\nrequire = \"attested\"\n\n\
         [[package]]\nname = \"gamma\"\nrequire = \"attested\"\n\n\
         [[exempt]]\nname = \"gamma\"\nreason = \"does not attest yet\"\nuntil = 2027-01-01\n",
    );
    // Every source answered: epsilon has no provenance, delta is a violation.
    let answered = [&[][..], &["--message-format", "json"][..]].map(|extra| check(&dir, extra));
    assert_eq!(answered[0].code, 1);
    assert_one_vocabulary(&answered[0], &answered[1], false);
    let statuses: Vec<String> = table_rows(&answered[0].stdout)
        .into_values()
        .map(|(s, _)| s)
        .collect();
    assert!(
        statuses.contains(&"no-provenance".to_string()),
        "{statuses:?}"
    );
    assert!(statuses.contains(&"exempt".to_string()), "{statuses:?}");

    // A remote source with nothing cached, offline: delta is an error,
    // epsilon not checked.
    let mirror = ["--source", "url:https://mirror.invalid/{checksum}.json"];
    let unanswered = [&[][..], &["--message-format", "json"][..]]
        .map(|extra| check(&dir, &[&mirror[..], extra].concat()));
    assert_one_vocabulary(&unanswered[0], &unanswered[1], false);
    let rows = table_rows(&unanswered[0].stdout);
    assert_eq!(rows["epsilon@1.0.0"].0, "not-checked");
    assert_eq!(rows["delta@1.0.0"].0, "error");
    let verbose = check(&dir, &[&mirror[..], &["-v"]].concat());
    assert_one_vocabulary(&verbose, &unanswered[1], true);
    assert_eq!(
        table_rows(&verbose.stdout)["app@0.1.0"].1,
        "workspace-member"
    );
}

#[test]
fn a_dev_only_package_says_dev_and_members_are_named_as_such() {
    // app → lib, and (for its tests) → helper → helper-dep, a build script.
    let krate = |name: &str, build_script: bool, dependencies: Vec<(usize, Declared)>| PathCrate {
        name: name.into(),
        proc_macro: false,
        build_script,
        dependencies,
    };
    let crates = [
        krate(
            "app",
            false,
            vec![(2, Declared::Normal), (3, Declared::Dev)],
        ),
        krate("tool", false, vec![]),
        krate("lib", false, vec![]),
        krate("helper", false, vec![(4, Declared::Normal)]),
        krate("helper-dep", true, vec![]),
    ];
    let dir = TestDir::new();
    write_path_workspace(dir.path(), &crates).unwrap();
    let status =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["generate-lockfile", "--offline"])
            .current_dir(dir.path())
            .status()
            .unwrap();
    assert!(status.success());
    dir.write("provenance.toml", "[path]\nallow = [\"*\"]\n");
    let run = |extra: &[&str]| {
        dir.command()
            .args(["--offline", "--color", "never", "-v"])
            .args(extra)
            .run()
            .expect_code(0)
    };
    let (table, json) = (run(&[]), run(&["--message-format", "json"]));
    assert_one_vocabulary(&table, &json, true);
    let rows = table_rows(&table.stdout);
    let messages = json_packages(&json.stdout);
    let dev_only: Vec<&String> = messages
        .iter()
        .filter(|(_, m)| m["dev_only"] == true)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        dev_only,
        ["helper-dep@0.1.0", "helper@0.1.0"],
        "{}",
        json.stdout
    );
    assert_eq!(rows["helper@0.1.0"].1, "dev");
    assert_eq!(rows["helper-dep@0.1.0"].1, "dev,build-time");
    assert_eq!(rows["lib@0.1.0"].1, "direct");
    for (id, message) in &messages {
        let kind = &rows[id].1;
        if message["workspace_member"] == true {
            assert_eq!(kind, "workspace-member", "{id}");
        } else if message["dev_only"] == true {
            assert!(kind == "dev" || kind == "dev,build-time", "{id}: {kind}");
        } else {
            assert!(!kind.starts_with("dev"), "{id}: {kind}");
        }
    }
    let summary = table.stdout.lines().last().unwrap();
    assert!(summary.ends_with("; 2 workspace members)"), "{summary}");
}

/// Diagnostics that say the same (code, rule, cause) are one: a policy
/// requiring attestation of ten packages that have none gives one.
#[test]
fn a_rule_failed_by_many_packages_gives_one_diagnostic_naming_a_few() {
    let crates: Vec<Crate> = [
        "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10",
    ]
    .into_iter()
    .map(Crate::without_bundle)
    .collect();
    let dir = TestDir::new();
    workload(&dir, &crates, ATTESTED);
    let run = check(&dir, &[]).expect_code(1);
    let headers: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error["))
        .collect();
    assert_eq!(
        headers,
        ["error[provenance-violation]: 10 packages: provenance does not satisfy [defaults]"],
        "{}",
        run.stderr
    );
    run.assert_stderr(
        "p01@1.0.0, p02@1.0.0, p03@1.0.0, p04@1.0.0, p05@1.0.0, and 5 more (-v lists them all)",
    );
    run.assert_stderr("expected attested, found none");
    let verbose = check(&dir, &["-v"]).expect_code(1);
    verbose.assert_stderr("p09@1.0.0, p10@1.0.0");
    // JSON keeps one message per package.
    let json = check(&dir, &["--message-format", "json"]).expect_code(1);
    assert_eq!(
        json_packages(&json.stdout)
            .values()
            .filter(|m| m["outcome"] == "violation")
            .count(),
        10
    );
}
