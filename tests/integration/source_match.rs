//! The source comparison through the binary: the five real packages of
//! `../shared/fixtures/source` from a cargo home laid out as cargo lays it,
//! their repositories served from bare copies through git's
//! `url.<base>.insteadOf` (passed as `GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n`),
//! with no network; each must come out as MANIFEST.json says.

use std::collections::BTreeMap;
use std::path::Path;

use cargo_verify_provenance::testkit::files::{cargo_lock, LockedPackage};
use cargo_verify_provenance::testkit::repos::insteadof_env;
use serde_json::Value;

use crate::fixtures::{source_crates, SourceCrate};
use crate::harness::{Cmd, TestDir};
use crate::server::{Reply, Server};

/// A project whose lockfile pins the real packages, with cargo's cache
/// holding them and every repository reachable only through `insteadOf`.
pub(crate) struct RealProject {
    pub dir: TestDir,
    pub crates: Vec<SourceCrate>,
    pub git_env: Vec<(String, String)>,
}

impl RealProject {
    pub fn new(test: &str) -> Option<Self> {
        let (root, crates) = source_crates(test)?;
        let dir = TestDir::new();
        let cache = dir.join("cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f");
        std::fs::create_dir_all(&cache).unwrap();
        let mut mirrors = BTreeMap::new();
        for entry in &crates {
            let file = format!("{}-{}.crate", entry.name, entry.version);
            std::fs::copy(root.join(&entry.crate_file), cache.join(file)).unwrap();
            let archive = root.join(&entry.repository_archive);
            let bare = unpack_repository(&archive, &dir.join("mirrors"));
            let normal = entry.repository.trim_end_matches('/').to_string();
            mirrors.insert(normal, format!("file://{}", bare.display()));
        }
        let rules: Vec<(&str, &str)> = mirrors
            .iter()
            .map(|(url, base)| (url.as_str(), base.as_str()))
            .collect();
        let packages: Vec<LockedPackage> = crates
            .iter()
            .map(|c| LockedPackage {
                name: c.name.clone(),
                version: c.version.clone(),
                checksum: hex::decode(&c.checksum).unwrap().try_into().unwrap(),
            })
            .collect();
        dir.write("Cargo.lock", cargo_lock("app", &packages));
        std::fs::create_dir_all(dir.join("bundles")).unwrap();
        Some(Self {
            git_env: insteadof_env(&rules),
            dir,
            crates,
        })
    }

    /// The binary, with cargo's home and the mirrors.
    pub fn command(&self) -> Cmd {
        let mut command = self
            .dir
            .command()
            .env("CARGO_HOME", self.dir.join("cargo-home"));
        for (key, value) in &self.git_env {
            command = command.env(key, value);
        }
        command
    }

    pub fn policy(&self, text: &str) {
        self.dir.write(
            "provenance.toml",
            format!("{text}\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n"),
        );
    }
}

/// Unpack `OWNER+REPO.git.tar.gz` under `into`; the bare repository's path.
fn unpack_repository(archive: &Path, into: &Path) -> std::path::PathBuf {
    let name = archive
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".tar.gz")
        .to_string();
    let bare = into.join(&name);
    if !bare.exists() {
        let bytes = std::fs::read(archive).unwrap();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        tar.unpack(into).unwrap();
    }
    bare
}

/// The `package` messages of a JSON run, by name.
pub(crate) fn packages(stdout: &str) -> BTreeMap<String, Value> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "package")
        .map(|m| (m["name"].as_str().unwrap().to_string(), m))
        .collect()
}

/// What MANIFEST.json says the comparison of `entry` finds.
fn assert_as_recorded(entry: &SourceCrate, found: &Value) {
    let name = &entry.name;
    let result = if entry.files_differ.is_empty() && entry.files_only_in_package.is_empty() {
        "matches"
    } else {
        "differs"
    };
    assert_eq!(found["result"], result, "{name}: {found}");
    assert_eq!(found["commit"], entry.commit.as_str(), "{name}");
    assert_eq!(found["path_in_vcs"], entry.path_in_vcs.as_str(), "{name}");
    assert_eq!(found["dirty"], entry.dirty, "{name}");
    assert_eq!(
        found["repository"],
        entry.repository.trim_end_matches('/'),
        "{name}"
    );
    assert_eq!(
        found["differ"],
        serde_json::json!(entry.files_differ),
        "{name}"
    );
    assert_eq!(
        found["only_in_package"],
        serde_json::json!(entry.files_only_in_package),
        "{name}"
    );
    assert_eq!(found["binaries"], serde_json::json!([]), "{name}");
    assert_eq!(found["line_endings_only"], serde_json::json!([]), "{name}");
    assert_eq!(found["reason"], Value::Null, "{name}");
}

#[test]
fn the_real_packages_come_out_as_recorded_offline_from_cargos_cache_and_mirrors() {
    let Some(project) = RealProject::new("source_match::real_packages") else {
        return;
    };
    project.policy("[defaults]\n");
    let run = project
        .command()
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--message-format", "json"])
        .run();
    let found = packages(&run.stdout);
    for entry in &project.crates {
        assert_as_recorded(entry, &found[&entry.name]["source_match"]);
    }
    // The root package of the lockfile has no checksum: nothing compared.
    assert_eq!(found["app"]["source_match"], Value::Null);

    // A rerun needs no fetch: with the mirrors gone, every result is cached.
    std::fs::rename(project.dir.join("mirrors"), project.dir.join("gone")).unwrap();
    let rerun = project
        .command()
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--message-format", "json"])
        .run();
    let again = packages(&rerun.stdout);
    for entry in &project.crates {
        assert_as_recorded(entry, &again[&entry.name]["source_match"]);
    }

    // Without the mirrors' rules, git would fetch from the network: the
    // results made through the mirrors are not this configuration's.
    let elsewhere = project
        .dir
        .command()
        .env("CARGO_HOME", project.dir.join("cargo-home"))
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--message-format", "json"])
        .run();
    for (name, package) in packages(&elsewhere.stdout) {
        if name != "app" {
            assert_eq!(package["source_match"]["result"], "not-checked", "{name}");
        }
    }
}

/// The run of the real project under its policy, offline.
fn run_offline(project: &RealProject) -> crate::harness::Run {
    project
        .command()
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--message-format", "json"])
        .run()
}

fn failures(package: &Value) -> Vec<(String, String)> {
    package["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (text(&f["requirement"]), text(&f["found"]))
        })
        .collect()
}

#[test]
fn source_matches_passes_what_matches_and_names_the_files_that_differ() {
    let Some(project) = RealProject::new("source_match::required") else {
        return;
    };
    project.policy("[defaults]\nsource-matches = true\n");
    let run = run_offline(&project).expect_code(1);
    let found = packages(&run.stdout);
    for name in ["similar", "base64ct", "miette-derive"] {
        assert_eq!(found[name]["outcome"], "pass", "{name}: {}", found[name]);
    }
    for name in ["idna", "percent-encoding"] {
        assert_eq!(found[name]["outcome"], "violation", "{name}");
        let failures = failures(&found[name]);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].0, "source-matches");
        assert!(
            failures[0].1.contains("Cargo.toml.orig")
                && failures[0]
                    .1
                    .contains("91377f48bf35011d042aa5abef9e7f2a0a625aaa"),
            "{failures:?}"
        );
    }
    // The same verdicts from the cache alone.
    std::fs::rename(project.dir.join("mirrors"), project.dir.join("gone")).unwrap();
    let again = packages(&run_offline(&project).expect_code(1).stdout);
    for (name, package) in &found {
        assert_eq!(again[name]["outcome"], package["outcome"], "{name}");
    }
}

#[test]
fn source_allow_accepts_the_files_it_lists_and_warns_of_a_glob_that_accepted_none() {
    let Some(project) = RealProject::new("source_match::allow") else {
        return;
    };
    project.policy(
        "[defaults]\nsource-matches = true\n\n[[package]]\nname = \"idna\"\nsource-allow = [\"Cargo.toml.orig\", \"build/*.o\"]\nreason = \"keywords edited after the commit\"\n",
    );
    let run = run_offline(&project).expect_code(1);
    let found = packages(&run.stdout);
    assert_eq!(found["idna"]["outcome"], "pass");
    assert_eq!(found["percent-encoding"]["outcome"], "violation");
    let warnings: Vec<Value> = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "warning")
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w["code"] == "policy-unused-source-allow"
                && w["message"].as_str().unwrap().contains("build/*.o")),
        "{warnings:?}"
    );
    assert!(
        !warnings
            .iter()
            .any(|w| w["message"].as_str().unwrap().contains("`Cargo.toml.orig`")),
        "{warnings:?}"
    );
}

#[test]
fn source_allow_needs_a_reason() {
    let dir = TestDir::new();
    dir.write(
        "provenance.toml",
        "[[package]]\nname = \"idna\"\nsource-allow = [\"*.o\"]\n",
    );
    let run = dir
        .command()
        .args(["policy", "check", "--policy", "provenance.toml"])
        .run()
        .expect_code(2);
    assert!(run.stderr.contains("policy-missing-key"), "{}", run.stderr);
    assert!(run.stderr.contains("reason"), "{}", run.stderr);
}

#[test]
fn a_comparison_that_cannot_be_made_never_passes() {
    let Some(project) = RealProject::new("source_match::never_passes") else {
        return;
    };
    project.policy("[defaults]\nsource-matches = true\n");
    // Offline, with no mirror: nothing can be fetched, nothing is cached.
    let run = project
        .dir
        .command()
        .env("CARGO_HOME", project.dir.join("cargo-home"))
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--offline", "--message-format", "json"])
        .run()
        .expect_code(2);
    for (name, package) in packages(&run.stdout) {
        if name == "app" {
            continue;
        }
        assert_eq!(package["outcome"], "error", "{name}");
        assert_eq!(package["source_match"]["result"], "not-checked", "{name}");
        assert!(package["source_match"]["reason"]
            .as_str()
            .unwrap()
            .contains("offline"));
    }
}

/// With nothing in cargo's cache, each package is downloaded from where
/// the crates-io source's index says (`dl` in its `config.json`), as cargo
/// downloads it: the index is asked once, each package once, and kept
/// for the reruns.
#[test]
fn packages_are_downloaded_from_the_address_the_index_configuration_gives() {
    let test = "source_match::index_dl";
    let (Some(project), Some((root, _))) = (RealProject::new(test), source_crates(test)) else {
        return;
    };
    std::fs::remove_dir_all(project.dir.join("cargo-home/registry/cache")).unwrap();
    let server = Server::start();
    let config = format!(
        r#"{{"dl": "{}/dl/{{crate}}-{{version}}.crate", "api": "{}"}}"#,
        server.url(""),
        server.url("")
    );
    server.route("/index/config.json", vec![Reply::json(config)]);
    for entry in &project.crates {
        let bytes = std::fs::read(root.join(&entry.crate_file)).unwrap();
        let path = format!("/dl/{}-{}.crate", entry.name, entry.version);
        server.route(&path, vec![Reply::json(bytes)]);
    }
    // crates.io's API (asked nothing: no rule needs a record), a mirror of
    // its index.
    project.policy(&format!(
        "[defaults]\n\n[[source]]\nkind = \"crates-io\"\nindex-url = \"sparse+{}/index/\"\n",
        server.url("")
    ));
    // The first run downloads each package once and keeps it: a rerun,
    // online or offline, downloads nothing and finds the same.
    for offline in [false, false, true] {
        let mut command = project.command();
        if offline {
            command = command.arg("--offline");
        }
        let run = command
            .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
            .args(["--message-format", "json"])
            .run();
        let found = packages(&run.stdout);
        for entry in &project.crates {
            assert_as_recorded(entry, &found[&entry.name]["source_match"]);
            let path = format!("/dl/{}-{}.crate", entry.name, entry.version);
            assert_eq!(server.requests_to(&path), 1, "offline {offline}: {path}");
        }
        assert_eq!(server.requests_to("/index/config.json"), 1);
    }
}
