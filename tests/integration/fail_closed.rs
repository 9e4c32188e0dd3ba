//! Fail closed: paths from input to exit code where an error or a gap could
//! have ended in a pass for a package the policy requires. Each test is one
//! such path, through the binary.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use cargo_verify_provenance::evidence::BundleOrigin;
use cargo_verify_provenance::policy::SourceSpec;
use cargo_verify_provenance::testkit::internals::cache::SourceKeyOf;
use cargo_verify_provenance::testkit::internals::cache::{
    Answer, BundleDocument, Cache, CacheEntry, ReadBundle,
};
use serde_json::Value;
use sigstore_types::Sha256Hash;

use crate::faults::{
    bundles, cache_files, check_args, checksum, outcomes, serve, url_source, workload,
};
use crate::harness::TestDir;
use crate::server::Server;

/// A bundle with its DSSE signature changed.
pub(crate) fn tampered(json: &str) -> String {
    let mut bundle: Value = serde_json::from_str(json).unwrap();
    let signature = bundle
        .pointer_mut("/dsseEnvelope/signatures/0/sig")
        .unwrap();
    let mut bytes = BASE64.decode(signature.as_str().unwrap()).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    *signature = Value::String(BASE64.encode(bytes));
    bundle.to_string()
}

/// Store `json` in the cache as what `source` answered for package `n`.
fn cache_bundle(dir: &TestDir, source: &str, n: u16, json: String) {
    let cache = Cache::open(&dir.join(".cache")).unwrap();
    let key = SourceSpec::parse_cli(source).unwrap().source_key();
    let label = key.label.clone();
    let digest = Sha256Hash::new(checksum(n));
    let entry = CacheEntry::answer(
        &digest,
        &key,
        // Just now: an answer of a source that is not official expires.
        jiff::Timestamp::now(),
        Answer::Bundles {
            documents: vec![BundleDocument {
                origin: BundleOrigin {
                    source: label.clone(),
                    location: "planted".into(),
                },
                bundle: ReadBundle::read(json),
            }],
            ignored: vec![],
        },
    );
    cache.write_entry(&entry).unwrap();
}

/// Without a policy file nothing is required: the run says so, so that a
/// misnamed or misplaced policy does not pass a gate quietly.
#[test]
fn a_run_without_a_policy_file_says_that_nothing_is_required() {
    let dir = TestDir::new();
    workload(&dir, [1]);
    std::fs::remove_file(dir.join("provenance.toml")).unwrap();
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let run = dir
        .command()
        .args(check_args("dir:empty"))
        .run()
        .expect_code(0);
    let (packages, summary) = outcomes(&run.stdout);
    assert_eq!(
        packages,
        [("pkg1".to_string(), "no-provenance".to_string())]
    );
    assert!(summary["policy"].is_null());
    run.assert_stdout("\"code\":\"no-policy\"");
    // For people too, on stderr.
    let run = dir
        .command()
        .args(["--lockfile", "Cargo.lock", "--source", "dir:empty"])
        .run()
        .expect_code(0);
    run.assert_stderr("warning[no-policy]");
    // With a policy there is no such warning.
    workload(&dir, [1]);
    let run = dir
        .command()
        .args(check_args("dir:empty"))
        .run()
        .expect_code(1);
    assert!(!run.stdout.contains("no-policy"), "{}", run.stdout);
}

/// Nothing in the cache is trusted: a planted entry holding a tampered
/// bundle is verified like any bundle and fails the run, offline too.
#[test]
fn a_poisoned_cache_entry_is_verified_and_fails_the_run() {
    let server = Server::start();
    let dir = TestDir::new();
    workload(&dir, [1]);
    let source = url_source(&server.base);
    cache_bundle(&dir, &source, 1, tampered(&bundles(&[1])[0].1));
    let run = dir
        .command()
        .args(check_args(&source))
        .arg("--offline")
        .run()
        .expect_code(1);
    run.assert_stdout("\"bundle-verification\"");
    assert_eq!(server.connections(), 0);
}

/// An entry copied from another package's slot is not this package's
/// answer: offline, the package is unchecked (exit 2), not passed on the
/// other package's bundle nor reported as having none.
#[test]
fn a_cache_entry_copied_from_another_package_is_not_used() {
    let server = Server::start();
    serve(&server, &[0, 1]);
    let dir = TestDir::new();
    workload(&dir, [0]);
    let source = url_source(&server.base);
    dir.command().args(check_args(&source)).run().expect_code(0);
    let files = cache_files(&dir.join(".cache"));
    assert_eq!(files.len(), 1);
    // Package 0's entry, where package 1's would be.
    let (_, bytes) = &files[0];
    let key = SourceSpec::parse_cli(&source).unwrap().source_key();
    let other = Cache::open(&dir.join(".cache"))
        .unwrap()
        .entry_path(&key.answer_identity(&Sha256Hash::new(checksum(1))));
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, bytes).unwrap();
    workload(&dir, [1]);
    let run = dir
        .command()
        .args(check_args(&source))
        .arg("--offline")
        .run()
        .expect_code(2);
    let (packages, _) = outcomes(&run.stdout);
    assert_eq!(packages, [("pkg1".to_string(), "error".to_string())]);
}

/// One bundle verifies and another, for the same checksum, was tampered
/// with: the tampered one fails the run (it is never outvoted).
#[test]
fn a_tampered_bundle_beside_a_good_one_fails_the_run() {
    let dir = TestDir::new();
    workload(&dir, [1]);
    let good = &bundles(&[1])[0].1;
    let good_line = serde_json::to_string(&serde_json::from_str::<Value>(good).unwrap()).unwrap();
    dir.write(
        "bundles/pkg1-1.0.0.jsonl",
        format!("{good_line}\n{}\n", tampered(good)),
    );
    let run = dir
        .command()
        .args(check_args("dir:bundles"))
        .run()
        .expect_code(1);
    let (packages, summary) = outcomes(&run.stdout);
    assert_eq!(packages, [("pkg1".to_string(), "violation".to_string())]);
    assert_eq!(summary["rejected_bundles"], 1);
}

/// A registry package whose lockfile entry lost its checksum cannot be
/// looked up: required, it is unchecked (exit 2), never passed or skipped.
#[test]
fn a_registry_package_without_a_checksum_is_unchecked() {
    let dir = TestDir::new();
    workload(&dir, [1]);
    dir.write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"pkg1\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let run = dir
        .command()
        .args(check_args("dir:empty"))
        .run()
        .expect_code(2);
    let (packages, _) = outcomes(&run.stdout);
    assert_eq!(packages, [("pkg1".to_string(), "error".to_string())]);
    run.assert_stdout("no checksum in Cargo.lock");
}
