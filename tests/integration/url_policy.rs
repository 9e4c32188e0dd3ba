//! URLs in a policy are compared in normal form, through the binary: a git
//! URL or a registry-stated repository that walks out of the allowed place
//! (`..`, `%2e%2e`, an encoded `/`) fails its rule, however it is spelled,
//! and the same place spelled differently (case, `.git`, escapes) still
//! matches.

use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const NOW: &str = "2026-06-01T00:00:00Z";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const CHECKSUM: &str = "5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f";

/// A lockfile whose root `app` depends on one git package at `url`.
fn git_lockfile(url: &str) -> String {
    format!(
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"payload\"]\n\n\
         [[package]]\nname = \"payload\"\nversion = \"0.1.0\"\nsource = \"git+{url}?branch=main#{COMMIT}\"\n"
    )
}

fn run(dir: &TestDir) -> Run {
    dir.command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--offline",
            "--color",
            "never",
            "--now",
            NOW,
        ])
        .run()
}

/// The outcome word of `payload`'s line in the human report.
fn outcome(run: &Run, package: &str) -> String {
    run.stdout
        .lines()
        .find(|line| line.contains(&format!("{package}@")))
        .unwrap_or_else(|| panic!("no line for {package}:\n{}", run.stdout))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn a_git_url_that_walks_out_of_the_allowed_owner_is_a_violation() {
    for url in [
        "https://github.com/my-org/../evil/payload",
        "https://github.com/my-org/%2e%2e/evil/payload",
        "https://github.com/my-org/%2E%2e/evil/payload",
        "https://github.com/my-org/.%2e/evil/payload",
        "https://github.com/my-org/./../evil/payload",
        "https://github.com/my-org/x%2f..%2f..%2fevil",
        "https://github.com/my-org/evil/payload",
    ] {
        let dir = TestDir::new();
        dir.write("Cargo.lock", git_lockfile(url));
        dir.write(
            "provenance.toml",
            "[git]\nallow = [\"https://github.com/my-org/*\"]\n",
        );
        let run = run(&dir).expect_code(1);
        assert_eq!(
            outcome(&run, "payload"),
            "violation",
            "{url}\n{}",
            run.stdout
        );
        run.assert_stderr("git");
    }
}

#[test]
fn the_same_place_spelled_differently_still_matches() {
    for url in [
        "https://github.com/my-org/payload",
        "HTTPS://GitHub.com/my-org/payload.git",
        "https://github.com/my-org/payload/",
        "https://github.com:443/my-org/%70ayload",
    ] {
        let dir = TestDir::new();
        dir.write("Cargo.lock", git_lockfile(url));
        dir.write(
            "provenance.toml",
            "[git]\nallow = [\"https://GitHub.com/my-org/*.git\"]\n",
        );
        let run = run(&dir).expect_code(0);
        assert_eq!(outcome(&run, "payload"), "pass", "{url}\n{}", run.stdout);
    }
}

#[test]
fn a_dot_segment_in_a_git_pattern_is_a_policy_error() {
    let dir = TestDir::new();
    dir.write(
        "provenance.toml",
        "[git]\nallow = [\"https://github.com/my-org/../*\"]\n",
    );
    let run = dir
        .command()
        .args(["policy", "check", "--color", "never", "--now", NOW])
        .run()
        .expect_code(2);
    run.assert_stderr("policy-bad-glob");
    run.assert_stderr("..");
}

/// crates.io Trusted Publishing data naming `my-org/..` (the owner's
/// parent, not a repository of the owner) does not satisfy an `[[owner]]`
/// rule for `my-org`.
#[test]
fn registry_data_naming_a_repository_outside_the_owner_fails_the_owner_rule() {
    for (repository, expected) in [
        ("acme/widget", "pass"),
        ("acme/..", "violation"),
        ("acme/%2e%2e", "violation"),
        ("acme/widget/../../evil/widget", "violation"),
    ] {
        let server = Server::start();
        server.route(
            "/api/v1/crates/widget",
            vec![Reply::json(
                serde_json::to_vec(&serde_json::json!({
                    "crate": {"name": "widget"},
                    "versions": [{
                        "num": "1.2.3",
                        "checksum": CHECKSUM,
                        "trustpub_data": {"provider": "github", "repository": repository},
                    }],
                }))
                .unwrap(),
            )],
        );
        let dir = TestDir::new();
        dir.write(
            "Cargo.lock",
            format!(
                "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"widget\"]\n\n\
                 [[package]]\nname = \"widget\"\nversion = \"1.2.3\"\n\
                 source = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{CHECKSUM}\"\n"
            ),
        );
        dir.write(
            "provenance.toml",
            format!(
                "[[owner]]\nowner = \"https://github.com/acme\"\npackages = [\"widget\"]\nrequire = \"registry-asserted\"\n\n\
                 [[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\n",
                server.base
            ),
        );
        let run = dir
            .command()
            .args(["--lockfile", "Cargo.lock", "--color", "never", "--now", NOW])
            .run();
        assert_eq!(
            outcome(&run, "widget"),
            expected,
            "{repository}\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}
