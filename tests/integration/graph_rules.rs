//! Rules that select packages by their place in the graph: `build-time =
//! true` selects exactly the proc-macros and the packages with a build
//! script (as `cargo metadata` itself lists their targets), `direct = true`
//! exactly what a workspace member depends on; on this project's own
//! workspace.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::TestDir;

const LINUX: &str = "x86_64-unknown-linux-gnu";

/// Rule 0: build-time code; rule 1: direct dependencies; rule 2: both (it
/// ranks before the other two).
const POLICY: &str = "[[package]]\nbuild-time = true\nrequire = \"attested\"\n\n[[package]]\ndirect = true\nrequire = \"attested\"\n\n[[package]]\nbuild-time = true\ndirect = true\nrequire = \"attested\"\n";

/// `cargo metadata` of this workspace, every feature on, as JSON.
fn metadata(manifest: &Path) -> Value {
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--locked",
            "--all-features",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .unwrap();
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).unwrap()
}

fn id(package: &Value) -> String {
    format!(
        "{}@{}",
        package["name"].as_str().unwrap(),
        package["version"].as_str().unwrap()
    )
}

#[test]
fn build_time_and_direct_rules_select_what_cargo_says() {
    let dir = TestDir::new();
    let policy = dir.write("provenance.toml", POLICY);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let run = dir
        .command()
        .args(["--offline", "--message-format", "json", "--no-dev"])
        .args(["--target", LINUX, "--policy"])
        .arg(&policy)
        .arg("--manifest-path")
        .arg(&manifest)
        .run();
    let packages: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["reason"] == "package")
        .collect();
    let checked: Vec<&Value> = packages
        .iter()
        .filter(|p| p["outcome"] != "out-of-scope" && p["source"]["kind"] == "crates-io")
        .collect();
    let decided_by = |index: u64| -> BTreeSet<String> {
        checked
            .iter()
            .filter(|p| p["rule"]["kind"] == "package" && p["rule"]["index"] == index)
            .map(|p| id(p))
            .collect()
    };

    // What cargo says runs at build time: a `proc-macro` or `custom-build` target.
    let metadata = metadata(&manifest);
    let build_time: BTreeSet<String> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["targets"].as_array().unwrap().iter().any(|t| {
                t["kind"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k == "proc-macro" || k == "custom-build")
            })
        })
        .map(id)
        .collect();
    // What the member depends on directly, for Linux, without dev-dependencies.
    let root = metadata["resolve"]["root"].as_str().unwrap();
    let node = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == root)
        .unwrap();
    let mut platforms = BTreeSet::new();
    let direct_ids: BTreeSet<&str> = node["deps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|dep| {
            dep["dep_kinds"].as_array().unwrap().iter().any(|k| {
                platforms.insert(k["target"].to_string());
                k["kind"] != "dev" && (k["target"].is_null() || k["target"] == "cfg(unix)")
            })
        })
        .map(|dep| dep["pkg"].as_str().unwrap())
        .collect();
    // The only platform the member names is unix: the filter above is cargo's.
    assert_eq!(
        platforms,
        BTreeSet::from(["null".to_string(), "\"cfg(unix)\"".to_string()])
    );
    let direct: BTreeSet<String> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| direct_ids.contains(p["id"].as_str().unwrap()))
        .map(id)
        .collect();

    // Nothing is cached and the run is offline: the packages required to
    // be attested are not checked, and the diagnostic shows their paths.
    let human = dir
        .command()
        .args(["--offline", "--no-dev", "--color", "never"])
        .args(["--target", LINUX, "--policy"])
        .arg(&policy)
        .arg("--manifest-path")
        .arg(&manifest)
        .run()
        .expect_code(2);
    human.assert_stderr("provenance-unchecked");
    human.assert_stderr("dependency path: cargo-verify-provenance@0.1.0 → ");

    let all: BTreeSet<String> = checked.iter().map(|p| id(p)).collect();
    let expect = |wanted: &dyn Fn(&String) -> bool| -> BTreeSet<String> {
        all.iter().filter(|p| wanted(p)).cloned().collect()
    };
    let only_build_time = expect(&|p| build_time.contains(p) && !direct.contains(p));
    let only_direct = expect(&|p| direct.contains(p) && !build_time.contains(p));
    let both = expect(&|p| build_time.contains(p) && direct.contains(p));
    assert!(!only_build_time.is_empty() && !only_direct.is_empty() && !both.is_empty());
    assert!(only_build_time
        .iter()
        .any(|p| p.starts_with("serde_derive@")));
    assert_eq!(decided_by(0), only_build_time);
    assert_eq!(decided_by(1), only_direct);
    assert_eq!(decided_by(2), both);
    // The rest is left to [defaults].
    for package in &checked {
        let listed = all.contains(&id(package));
        let selected = build_time.contains(&id(package)) || direct.contains(&id(package));
        assert!(listed);
        if !selected {
            assert_eq!(package["rule"]["kind"], "defaults", "{package}");
        }
        assert_eq!(
            package["build_time"]
                .as_object()
                .map(|b| b["proc_macro"] == true || b["build_script"] == true),
            Some(build_time.contains(&id(package))),
            "{package}"
        );
        assert_eq!(
            package["direct"],
            direct.contains(&id(package)),
            "{package}"
        );
    }
}
