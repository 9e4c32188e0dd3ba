//! A package's manifest names the repository git fetches for the source
//! comparison: that URL is an answer from outside (anyone may publish a
//! package naming any URL), held to the rule for URLs an answer names.
//! Through the binary: a manifest naming this machine, a private address
//! or a name resolving to loopback leaves the package not checked, and
//! nothing connects there; the same URL sent to a mirror by the user's own
//! `insteadOf` rule is fetched as the user configured.

use std::collections::BTreeMap;

use cargo_verify_provenance::testkit::crates::CrateBuilder;
use cargo_verify_provenance::testkit::files::{cargo_lock, LockedPackage};
use cargo_verify_provenance::testkit::repos::{insteadof_env, RepoBuilder};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::{Run, TestDir};
use crate::server::Server;
use crate::source_match::packages;

const LIB: &str = "pub fn f() {}\n";

fn manifest(repository: &str) -> String {
    format!(
        "[package]\nname = \"pkg\"\nversion = \"1.0.0\"\nedition = \"2021\"\nrepository = \"{repository}\"\n"
    )
}

/// A project whose lockfile pins `pkg`, cargo's cache holding a `.crate`
/// whose manifest names `repository`, packaged from `commit`.
fn project(repository: &str, commit: &str) -> TestDir {
    let dir = TestDir::new();
    let krate = CrateBuilder::new("pkg", "1.0.0")
        .file("Cargo.toml", manifest(repository))
        .file("Cargo.toml.orig", manifest(repository))
        .file("src/lib.rs", LIB)
        .vcs_info(commit, false, None)
        .build();
    let cache = dir.join("cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("pkg-1.0.0.crate"), &krate).unwrap();
    let package = LockedPackage {
        name: "pkg".into(),
        version: "1.0.0".into(),
        checksum: Sha256::digest(&krate).into(),
    };
    dir.write("Cargo.lock", cargo_lock("app", &[package]));
    std::fs::create_dir_all(dir.join("bundles")).unwrap();
    dir.write(
        "provenance.toml",
        "[defaults]\n\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n",
    );
    dir
}

/// An online run: the source comparison fetches what it is allowed to.
fn check(dir: &TestDir, git_env: &[(String, String)]) -> Run {
    let mut command = dir
        .command()
        .env("CARGO_HOME", dir.join("cargo-home"))
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .args(["--message-format", "json", "--http-retries", "0"]);
    for (key, value) in git_env {
        command = command.env(key, value);
    }
    command.run()
}

fn source_match(run: &Run) -> Value {
    let found: BTreeMap<String, Value> = packages(&run.stdout);
    found
        .get("pkg")
        .unwrap_or_else(|| panic!("no pkg in {}\n{}", run.stdout, run.stderr))["source_match"]
        .clone()
}

#[test]
fn a_manifest_may_not_send_git_to_this_machine_or_a_private_address() {
    let listener = Server::start();
    let port = listener.base.rsplit(':').next().unwrap().to_string();
    let commit = "1".repeat(40);
    for repository in [
        format!("https://127.0.0.1:{port}/acme/pkg"),
        format!("https://2130706433:{port}/acme/pkg"),
        format!("https://[::ffff:127.0.0.1]:{port}/acme/pkg"),
        format!("https://[::1]:{port}/acme/pkg"),
        format!("https://localhost:{port}/acme/pkg"),
        "git@127.0.0.1:acme/pkg.git".to_string(),
        "https://10.0.0.1/acme/pkg".to_string(),
        "https://169.254.169.254/latest/meta-data".to_string(),
    ] {
        let dir = project(&repository, &commit);
        let run = check(&dir, &[]);
        let found = source_match(&run);
        assert_eq!(found["result"], "not-checked", "{repository}: {found}");
        let reason = found["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("public address"), "{repository}: {reason}");
        assert!(
            listener.seen().is_empty(),
            "{repository}: {:?}",
            listener.seen()
        );
        // Not kept: a later run asks again.
        assert!(
            !dir.join(".cache").join("source-match").exists(),
            "{repository}"
        );
    }
}

/// The same kind of URL, rewritten by the user's own git configuration to
/// a mirror, is fetched there and compared.
#[test]
fn a_url_the_users_git_configuration_rewrites_is_fetched_as_configured() {
    let scratch = TestDir::new();
    let bare = scratch.join("mirror.git");
    let commit = RepoBuilder::new()
        .file("Cargo.toml", manifest("https://10.0.0.1/acme/pkg"))
        .file("src/lib.rs", LIB)
        .build(&bare, false);
    let dir = project("https://10.0.0.1/acme/pkg", &commit);
    let mirror = format!("file://{}", bare.display());
    let git_env = insteadof_env(&[("https://10.0.0.1/acme/pkg", mirror.as_str())]);
    let found = source_match(&check(&dir, &git_env));
    assert_eq!(found["result"], "matches", "{found}");
}

/// A mirror's secrets in the user's `insteadOf` rule (`user:pass@`,
/// `?token=`) never reach stderr, the JSON report or the cache, whatever
/// git says when the fetch fails: a refused connection, a 404.
#[test]
fn a_mirrors_secrets_never_reach_an_output_or_the_cache() {
    let server = Server::start();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let served = server.base.trim_start_matches("http://").to_string();
    for host in [format!("127.0.0.1:{closed}"), served] {
        let mirror = format!("http://ci:PASSWORD@{host}/acme/pkg.git?token=QUERYSECRET");
        let dir = project("https://github.com/acme/pkg", &"1".repeat(40));
        let git_env = insteadof_env(&[("https://github.com/acme/pkg", mirror.as_str())]);
        let run = check(&dir, &git_env);
        let found = source_match(&run);
        assert_eq!(found["result"], "not-checked", "{host}: {found}");
        let reason = found["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(&host), "{host}: {reason}");
        let mut texts = vec![run.stdout.clone(), run.stderr.clone()];
        texts.extend(
            crate::bundle_url::files_under(&dir.join(".cache"))
                .into_iter()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        );
        for text in texts {
            for secret in ["PASSWORD", "QUERYSECRET", "ci:"] {
                assert!(!text.contains(secret), "{host}: {secret} in {text}");
            }
        }
    }
}
