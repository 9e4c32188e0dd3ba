//! Hostile input limits, through the binary: huge or endless lockfiles,
//! policies, trust roots, bundles and responses, deep nesting, thousands of
//! bundles for one digest, a policy with 10,000 rules, and path-like names.
//! Each is bounded and ends in a clear error naming the input and the limit
//! (or, for what is within the limits, in the right result).

use cargo_verify_provenance::lockfile::{MAX_LOCKFILE_BYTES, MAX_PACKAGES};
use cargo_verify_provenance::policy::MAX_POLICY_BYTES;
use cargo_verify_provenance::testkit::internals::limits::{
    MAX_BUNDLES_PER_FILE, MAX_BUNDLE_BYTES, MAX_DOCUMENT_BYTES,
};
use cargo_verify_provenance::trust::MAX_TRUSTED_ROOT_BYTES;
use serde_json::Value;

use crate::faults::{bundles, checksum, outcomes, workload};
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

/// A file of `size` bytes that takes no space (its length is all that is
/// looked at before it is refused).
fn sparse(dir: &TestDir, name: &str, size: u64) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    path
}

fn inventory(dir: &TestDir, lockfile: &std::path::Path) -> Run {
    dir.command()
        .arg("inventory")
        .arg("--lockfile")
        .arg(lockfile)
        .run()
}

fn verify_bundle(dir: &TestDir, bundle: &std::path::Path) -> Run {
    dir.command()
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(bundle)
        .arg(format!("sha256:{}", hex::encode(checksum(1))))
        .run()
}

#[test]
fn a_lockfile_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = TestDir::new();
    let big = sparse(&dir, "Cargo.lock", MAX_LOCKFILE_BYTES + 1);
    let run = inventory(&dir, &big).expect_code(2);
    run.assert_stderr("lockfile-too-large");
    run.assert_stderr("Cargo.lock");
    // A device that never ends is cut at the limit, not read forever.
    if std::path::Path::new("/dev/zero").exists() {
        let run = inventory(&dir, std::path::Path::new("/dev/zero")).expect_code(2);
        run.assert_stderr("lockfile-too-large");
    }
}

#[test]
fn a_lockfile_with_more_packages_than_the_limit_is_refused() {
    let dir = TestDir::new();
    let mut text = String::from("version = 4\n");
    for n in 0..=MAX_PACKAGES {
        text.push_str(&format!(
            "[[package]]\nname = \"p{n}\"\nversion = \"1.0.0\"\n"
        ));
    }
    let path = dir.write("Cargo.lock", text);
    let run = inventory(&dir, &path).expect_code(2);
    run.assert_stderr(format!("over the limit of {MAX_PACKAGES}"));
}

#[test]
fn deeply_nested_toml_is_an_error_not_a_crash() {
    let dir = TestDir::new();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let lockfile = dir.write("Cargo.lock", format!("version = 4\nx = {deep}\n"));
    let run = inventory(&dir, &lockfile).expect_code(2);
    run.assert_stderr("lockfile-malformed");
    let tables = format!("{}{}", "{a=".repeat(100_000), "}".repeat(100_000));
    dir.write("Cargo.lock", format!("version = 4\nx = {tables}\n"));
    inventory(&dir, &lockfile).expect_code(2);

    dir.write("Cargo.lock", "version = 4\n");
    dir.write("provenance.toml", format!("[defaults]\nrequire = {deep}\n"));
    let run = dir
        .command()
        .args(["policy", "check", "--lockfile", "Cargo.lock"])
        .run()
        .expect_code(2);
    run.assert_stderr("policy-syntax");
}

#[test]
fn a_policy_over_the_size_limit_is_refused() {
    let dir = TestDir::new();
    dir.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n",
    );
    sparse(&dir, "provenance.toml", MAX_POLICY_BYTES + 1);
    let run = dir
        .command()
        .args(["policy", "check", "--lockfile", "Cargo.lock"])
        .run()
        .expect_code(2);
    run.assert_stderr("policy-too-large");
    if std::path::Path::new("/dev/zero").exists() {
        let run = dir
            .command()
            .args(["--lockfile", "Cargo.lock", "--policy", "/dev/zero"])
            .run()
            .expect_code(2);
        run.assert_stderr("policy-too-large");
    }
}

#[test]
fn a_trusted_root_over_the_size_limit_is_refused() {
    let dir = TestDir::new();
    let root = sparse(&dir, "trusted_root.json", MAX_TRUSTED_ROOT_BYTES + 1);
    dir.write("b.json", "{}");
    let run = dir
        .command()
        .arg("verify-bundle")
        .args(["--bundle", "b.json", "--trusted-root"])
        .arg(&root)
        .arg(format!("sha256:{}", hex::encode(checksum(1))))
        .run()
        .expect_code(2);
    run.assert_stderr("trust-root-invalid");
    run.assert_stderr("byte limit");
}

/// A bundle over its limit, a file of bundles over its limit (or endless),
/// deep JSON and more bundles than one file may hold: each is refused as a
/// malformed bundle (exit 1), never read whole or parsed without bounds.
#[test]
fn bundles_over_the_limits_are_refused() {
    let dir = TestDir::new();
    let good: Value = serde_json::from_str(&bundles(&[1])[0].1).unwrap();

    let mut padded = good.clone();
    padded["padding"] = Value::String("x".repeat(MAX_BUNDLE_BYTES));
    let path = dir.write("padded.json", padded.to_string());
    let run = verify_bundle(&dir, &path).expect_code(1);
    run.assert_stderr(format!("over the {MAX_BUNDLE_BYTES}-byte limit"));

    let path = sparse(&dir, "huge.json", MAX_DOCUMENT_BYTES as u64 + 1);
    let run = verify_bundle(&dir, &path).expect_code(1);
    run.assert_stderr("over the size limit");
    if std::path::Path::new("/dev/zero").exists() {
        let run = verify_bundle(&dir, std::path::Path::new("/dev/zero")).expect_code(1);
        run.assert_stderr("over the size limit");
    }

    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let path = dir.write("deep.json", &deep);
    let run = verify_bundle(&dir, &path).expect_code(1);
    run.assert_stderr("bundle format");
    // The same depth inside an otherwise well-formed bundle.
    let nested = good
        .to_string()
        .replacen('{', &format!("{{\"x\":{deep},"), 1);
    let path = dir.write("nested.json", nested);
    let run = verify_bundle(&dir, &path).expect_code(1);
    run.assert_stderr("bundle format");

    let line = good.to_string();
    let many = vec![line; MAX_BUNDLES_PER_FILE + 1].join("\n");
    let path = dir.write("many.jsonl", many);
    let run = verify_bundle(&dir, &path).expect_code(1);
    run.assert_stderr(format!("over the limit of {MAX_BUNDLES_PER_FILE}"));
}

/// The one-package workload checked, with JSON messages, against the
/// GitHub-compatible API `server`; the run must exit with `code`.
fn run_against_github(server: &Server, code: i32) -> Run {
    let dir = TestDir::new();
    workload(&dir, [1]);
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nrequire = \"attested\"\nrepository = \"https://github.com/acme/pkg\"\n\n\
             [trust]\nroots = [\"trusted_root.json\"]\n\n\
             [[source]]\nkind = \"github\"\napi-url = \"{}\"\n",
            server.base
        ),
    );
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .run()
        .expect_code(code)
}

/// A GitHub-compatible API that pages out thousands of attestations for
/// one digest, or pages that never end: the package is unchecked with a
/// message naming the limit, after a bounded number of requests.
#[test]
fn thousands_of_bundles_for_one_digest_or_endless_pages_are_bounded() {
    let json: Value = serde_json::from_str(&bundles(&[1])[0].1).unwrap();
    let page = |count: usize| {
        let attestations: Vec<Value> = (0..count)
            .map(|_| serde_json::json!({"bundle": json, "repository_id": 1}))
            .collect();
        serde_json::to_vec(&serde_json::json!({ "attestations": attestations })).unwrap()
    };
    let path = format!(
        "/repos/acme/pkg/attestations/sha256:{}",
        hex::encode(checksum(1))
    );
    for (what, limit_words) in [
        ("three full pages", "over the limit of"),
        ("pages that never end", "more than 10 pages"),
    ] {
        let server = Server::start();
        let next = |n: u32| format!("<{}{path}?page={n}>; rel=\"next\"", server.base);
        if what == "three full pages" {
            // 300 attestations for one digest, every one of them valid.
            server.route(&path, vec![Reply::json(page(100)).header("link", &next(2))]);
            server.route_exact(
                &format!("{path}?page=2"),
                vec![Reply::json(page(100)).header("link", &next(3))],
            );
            server.route_exact(&format!("{path}?page=3"), vec![Reply::json(page(100))]);
        } else {
            server.route(&path, vec![Reply::json(page(0)).header("link", &next(2))]);
        }
        let run = run_against_github(&server, 2);
        let (packages, _) = outcomes(&run.stdout);
        assert_eq!(
            packages,
            [("pkg1".to_string(), "error".to_string())],
            "{what}"
        );
        assert!(run.stdout.contains(limit_words), "{what}: {}", run.stdout);
        assert!(server.requests_to(&path) <= 10, "{what}");
    }
}

/// The pages of one package's attestations are held to the limits
/// together: ten pages are followed (the last one's bundle counts), bytes
/// and attestations add up across pages (exactly the limits pass, one byte
/// more does not), and a later page that is not found is an error, not "no
/// attestation" (the bundles of earlier pages are not dropped).
#[test]
fn the_pages_of_one_package_are_followed_and_counted_together() {
    let json: Value = serde_json::from_str(&bundles(&[1])[0].1).unwrap();
    let page = |count: usize, padding: usize| {
        let attestations: Vec<Value> = (0..count)
            .map(|_| serde_json::json!({"bundle": json, "repository_id": 1}))
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "attestations": attestations,
            "padding": " ".repeat(padding),
        }))
        .unwrap()
    };
    let path = format!(
        "/repos/acme/pkg/attestations/sha256:{}",
        hex::encode(checksum(1))
    );
    // Over half the limit of one answer: two pages of it are over the limit.
    let half = MAX_DOCUMENT_BYTES / 2 + 1024;
    // Two pages of exactly the byte limit together.
    let first_exact = MAX_DOCUMENT_BYTES / 2;
    let second_exact = MAX_DOCUMENT_BYTES - page(1, first_exact).len() - page(0, 0).len();
    assert_eq!(
        page(1, first_exact).len() + page(0, second_exact).len(),
        MAX_DOCUMENT_BYTES
    );
    for (what, code, outcome, words) in [
        ("ten pages", 0, "pass", ""),
        ("exactly the attestation limit", 0, "pass", ""),
        ("exactly the byte limit", 0, "pass", ""),
        (
            "two pages over the byte limit",
            2,
            "error",
            "limit of all answers for one package",
        ),
        ("a second page not found", 2, "error", "answered 404"),
    ] {
        let server = Server::start();
        let next = |n: u32| format!("<{}{path}?page={n}>; rel=\"next\"", server.base);
        match what {
            "ten pages" => {
                server.route(
                    &path,
                    vec![Reply::json(page(0, 0)).header("link", &next(2))],
                );
                for n in 2..10 {
                    server.route_exact(
                        &format!("{path}?page={n}"),
                        vec![Reply::json(page(0, 0)).header("link", &next(n + 1))],
                    );
                }
                server.route_exact(&format!("{path}?page=10"), vec![Reply::json(page(1, 0))]);
            }
            "exactly the attestation limit" => {
                // 100 + 100 + 56 attestations: the limit, every one valid.
                server.route(
                    &path,
                    vec![Reply::json(page(100, 0)).header("link", &next(2))],
                );
                server.route_exact(
                    &format!("{path}?page=2"),
                    vec![Reply::json(page(100, 0)).header("link", &next(3))],
                );
                let rest = MAX_BUNDLES_PER_FILE - 200;
                server.route_exact(&format!("{path}?page=3"), vec![Reply::json(page(rest, 0))]);
            }
            "exactly the byte limit" => {
                server.route(
                    &path,
                    vec![Reply::json(page(1, first_exact)).header("link", &next(2))],
                );
                server.route_exact(
                    &format!("{path}?page=2"),
                    vec![Reply::json(page(0, second_exact))],
                );
            }
            "two pages over the byte limit" => {
                server.route(
                    &path,
                    vec![Reply::json(page(1, half)).header("link", &next(2))],
                );
                server.route_exact(&format!("{path}?page=2"), vec![Reply::json(page(0, half))]);
            }
            _ => {
                server.route(
                    &path,
                    vec![Reply::json(page(1, 0)).header("link", &next(2))],
                );
                server.route_exact(&format!("{path}?page=2"), vec![Reply::status(404)]);
            }
        }
        let run = run_against_github(&server, code);
        let (packages, _) = outcomes(&run.stdout);
        assert_eq!(
            packages,
            [("pkg1".to_string(), outcome.to_string())],
            "{what}: {}",
            run.stdout
        );
        assert!(run.stdout.contains(words), "{what}: {}", run.stdout);
    }
}

/// 10,000 rules: the policy checks, and a run is decided by the right one.
#[test]
fn a_policy_with_ten_thousand_rules_works() {
    let dir = TestDir::new();
    workload(&dir, [1]);
    dir.write("bundles/pkg1-1.0.0.sigstore.json", &bundles(&[1])[0].1);
    let mut policy = String::from(
        "[defaults]\nrequire = \"attested\"\n\n[trust]\nroots = [\"trusted_root.json\"]\n",
    );
    for n in 0..10_000 {
        // Rule 7,777 is the one for pkg1; every other rule names another crate.
        let (name, repository) = if n == 7_777 {
            ("pkg1".to_string(), "https://github.com/acme/pkg")
        } else {
            (format!("crate{n}"), "https://github.com/elsewhere/other")
        };
        policy.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nrepository = \"{repository}\"\n"
        ));
    }
    dir.write("provenance.toml", policy);
    // 9,999 rules name no package of the lockfile: ten are shown with
    // their place in the file, the rest counted on one line.
    let check = dir
        .command()
        .args(["policy", "check", "--lockfile", "Cargo.lock"])
        .run()
        .expect_code(0);
    let shown = check
        .stderr
        .matches("names no package of the lockfile")
        .count();
    assert_eq!(shown, 11, "{}", check.stderr);
    check.assert_stderr(
        "warning[policy-unused-rule]: 9989 more naming no package of the lockfile (-v shows each); first: [[package]] `crate10`",
    );
    let run = dir
        .command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--source",
            "dir:bundles",
            "--message-format",
            "json",
            "-q",
        ])
        .run()
        .expect_code(0);
    let package: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(package["outcome"], "pass");
    assert_eq!(package["rule"]["index"], 7_777);
}

/// Names and versions that look like paths never get near the file
/// system: the lockfile is refused, naming the line.
#[test]
fn path_like_names_and_versions_are_refused() {
    let dir = TestDir::new();
    for (name, version) in [
        ("../../etc/passwd", "1.0.0"),
        ("a/b", "1.0.0"),
        ("..", "1.0.0"),
        ("a\\b", "1.0.0"),
        ("pkg", "1.0.0+../../x"),
        ("pkg", "../1.0.0"),
        (&"x".repeat(65), "1.0.0"),
    ] {
        let path = dir.write(
            "Cargo.lock",
            format!(
                "version = 4\n\n[[package]]\nname = \"{}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
                name.replace('\\', "\\\\"),
                hex::encode(checksum(1))
            ),
        );
        let run = inventory(&dir, &path).expect_code(2);
        assert!(
            run.stderr.contains("lockfile-malformed")
                && (run.stderr.contains("line 4") || run.stderr.contains("line 5")),
            "{name} {version}: {}",
            run.stderr
        );
    }
}

/// A cache entry over its limit is not read: as if absent.
#[test]
fn a_cache_entry_over_its_limit_is_ignored() {
    let server = Server::start();
    crate::faults::serve(&server, &[1]);
    let dir = TestDir::new();
    workload(&dir, [1]);
    let source = crate::faults::url_source(&server.base);
    dir.command()
        .args(crate::faults::check_args(&source))
        .run()
        .expect_code(0);
    let files = crate::faults::cache_files(&dir.join(".cache"));
    assert_eq!(files.len(), 1);
    std::fs::File::create(&files[0].0)
        .unwrap()
        .set_len(64 * 1024 * 1024 + 1)
        .unwrap();
    let run = dir
        .command()
        .args(crate::faults::check_args(&source))
        .arg("--offline")
        .run()
        .expect_code(2);
    let (packages, _) = outcomes(&run.stdout);
    assert_eq!(packages, [("pkg1".to_string(), "error".to_string())]);
}
