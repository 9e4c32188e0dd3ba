//! `trust-root update` against a TUF repository served on 127.0.0.1: a
//! signed repository whose `trusted_root.json` target is the test instance's
//! root, refreshed into the cache, re-verified offline, aged, tampered with.

use cargo_verify_provenance::testkit;
use cargo_verify_provenance::testkit::internals::cache::Cache;
use cargo_verify_provenance::testkit::internals::http::{Http, HttpConfig};
use cargo_verify_provenance::testkit::internals::tuf::{
    load_cached, refresh, roots_for_run_from, TufRepository,
};
use cargo_verify_provenance::trust::{Instance, RootOrigin};
use serde_json::{json, Value};
use sigstore_crypto::KeyPair;

use crate::harness::TestDir;
use crate::server::{Reply, Server};

const EXPIRES: &str = "2100-01-01T00:00:00Z";

/// A one-key TUF repository: `(root.json, [(path, bytes)])`.
fn repository(target: &[u8]) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    repository_with_timestamp_expiry(target, EXPIRES)
}

/// [`repository`] whose timestamp metadata expires at `timestamp_expires`.
pub(crate) fn repository_with_timestamp_expiry(
    target: &[u8],
    timestamp_expires: &str,
) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let key = KeyPair::generate_ecdsa_p256().unwrap();
    signed_repository(&key, target, 1, timestamp_expires)
}

/// A one-key TUF repository signed by `key`, whose timestamp, snapshot and
/// targets metadata are at `version` (its root at version 1).
pub(crate) fn signed_repository(
    key: &KeyPair,
    target: &[u8],
    version: u64,
    timestamp_expires: &str,
) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let public = json!({
        "keytype": "ecdsa",
        "scheme": "ecdsa-sha2-nistp256",
        "keyval": { "public": key.public_key_der().unwrap().to_pem() },
    });
    let key_id = hex::encode(
        sigstore_crypto::sha256(
            &sigstore_tuf::canonical_json::to_canonical_bytes(&public).unwrap(),
        )
        .as_bytes(),
    );
    let sign = |signed: Value| -> Vec<u8> {
        let bytes = sigstore_tuf::canonical_json::to_canonical_bytes(&signed).unwrap();
        let signature = hex::encode(key.sign(&bytes).unwrap().as_bytes());
        serde_json::to_vec(&json!({
            "signed": signed,
            "signatures": [{ "keyid": key_id, "sig": signature }],
        }))
        .unwrap()
    };
    let pin = |bytes: &[u8]| {
        json!({
            "version": version,
            "length": bytes.len(),
            "hashes": { "sha256": sigstore_crypto::sha256(bytes).to_hex() },
        })
    };
    let targets = sign(json!({
        "_type": "targets", "spec_version": "1.0.0", "version": version, "expires": EXPIRES,
        "targets": { "trusted_root.json": {
            "length": target.len(),
            "hashes": { "sha256": sigstore_crypto::sha256(target).to_hex() },
        }},
    }));
    let snapshot = sign(json!({
        "_type": "snapshot", "spec_version": "1.0.0", "version": version, "expires": EXPIRES,
        "meta": { "targets.json": pin(&targets) },
    }));
    let timestamp = sign(json!({
        "_type": "timestamp", "spec_version": "1.0.0", "version": version, "expires": timestamp_expires,
        "meta": { "snapshot.json": pin(&snapshot) },
    }));
    let role = json!({ "keyids": [key_id], "threshold": 1 });
    let root = sign(json!({
        "_type": "root", "spec_version": "1.0.0", "version": 1, "expires": EXPIRES,
        "consistent_snapshot": false,
        "keys": { key_id.clone(): public },
        "roles": { "root": role, "timestamp": role, "snapshot": role, "targets": role },
    }));
    let files = vec![
        ("/1.root.json".to_string(), root.clone()),
        ("/timestamp.json".to_string(), timestamp),
        ("/snapshot.json".to_string(), snapshot),
        ("/targets.json".to_string(), targets),
        ("/targets/trusted_root.json".to_string(), target.to_vec()),
    ];
    (root, files)
}

pub(crate) fn serve(server: &Server, files: &[(String, Vec<u8>)]) {
    for (path, bytes) in files {
        server.route(path, vec![Reply::json(bytes.clone())]);
    }
}

fn http() -> Http {
    Http::new(HttpConfig {
        retries: 0,
        ..HttpConfig::default()
    })
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_refreshed_root_is_cached_reverified_offline_and_aged() {
    let server = Server::start();
    let target = testkit::Instance::new(70).trusted_root_json();
    let (root, files) = repository(target.as_bytes());
    serve(&server, &files);
    let tuf = TufRepository {
        url: server.base.clone(),
        bootstrap_root: root,
        floor: None,
    };
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let refreshed: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();

    let loaded = runtime()
        .block_on(refresh(
            &http(),
            &cache,
            Instance::PublicGood,
            &tuf,
            refreshed,
        ))
        .unwrap();
    assert!(matches!(loaded.origin, RootOrigin::Tuf { .. }));
    let served: Value = serde_json::from_str(&target).unwrap();
    assert_eq!(
        loaded.trusted_root().certificate_authorities.len(),
        served["certificateAuthorities"].as_array().unwrap().len()
    );

    // Loading needs no network: the server is gone.
    let connections = server.connections();
    drop(server);
    let cached = runtime()
        .block_on(load_cached(&cache, Instance::PublicGood, &tuf, refreshed))
        .unwrap()
        .expect("a cached root");
    assert!(
        matches!(cached.origin, RootOrigin::Tuf { fetched, .. } if fetched == refreshed.as_second())
    );
    assert!(connections > 0);

    let repositories = |instance: Instance| match instance {
        Instance::PublicGood => tuf.clone(),
        other => TufRepository::for_instance(other),
    };
    let max_age = jiff::SignedDuration::from_hours(30 * 24);
    let fresh = roots_for_run_from(
        Some(&cache),
        refreshed + jiff::SignedDuration::from_hours(24),
        max_age,
        &repositories,
    )
    .unwrap();
    assert!(fresh.warnings.is_empty(), "{:?}", fresh.warnings);
    assert!(matches!(fresh.roots[0].origin, RootOrigin::Tuf { .. }));
    assert!(matches!(fresh.roots[1].origin, RootOrigin::Embedded { .. }));

    let old = roots_for_run_from(
        Some(&cache),
        refreshed + jiff::SignedDuration::from_hours(60 * 24),
        max_age,
        &repositories,
    )
    .unwrap();
    assert!(matches!(old.roots[0].origin, RootOrigin::Tuf { .. }));
    assert!(
        old.warnings[0].contains("60 days ago") && old.warnings[0].contains("trust-root update"),
        "{:?}",
        old.warnings
    );

    // A cached target changed after the refresh no longer matches the signed
    // metadata: it is refused, and the embedded root is used.
    let target_file = cache
        .tuf_dir("public-good")
        .join("targets/trusted_root.json");
    let mut doctored: Value = serde_json::from_str(&target).unwrap();
    doctored["tlogs"] = json!([]);
    std::fs::write(&target_file, doctored.to_string()).unwrap();
    let tampered = roots_for_run_from(Some(&cache), refreshed, max_age, &repositories).unwrap();
    assert!(matches!(
        tampered.roots[0].origin,
        RootOrigin::Embedded { .. }
    ));
    assert!(
        tampered.warnings[0].contains("cannot be used"),
        "{:?}",
        tampered.warnings
    );
}

#[test]
fn a_repository_not_signed_by_the_trusted_root_is_refused_and_nothing_is_kept() {
    let server = Server::start();
    let target = testkit::Instance::new(71).trusted_root_json();
    let (_, files) = repository(target.as_bytes());
    let (other_root, _) = repository(target.as_bytes());
    serve(&server, &files);
    let tuf = TufRepository {
        url: server.base.clone(),
        bootstrap_root: other_root,
        floor: None,
    };
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let error = runtime()
        .block_on(refresh(&http(), &cache, Instance::GitHub, &tuf, now))
        .unwrap_err();
    assert!(error.to_string().contains("TUF"), "{error}");
    assert!(runtime()
        .block_on(load_cached(&cache, Instance::GitHub, &tuf, now))
        .unwrap()
        .is_none());
}

/// A test instance's root whose keys are valid from a year before `base`.
fn root_dated(seed: u64, base: &str) -> String {
    testkit::Instance::with_options(seed, testkit::Kind::PublicGood, base.parse().unwrap())
        .trusted_root_json()
}

/// A validly signed copy older than the root built into the binary, or
/// than the newest the cache installed, is refused, on load and on refresh;
/// a repository serving older metadata than the cached copy is refused by
/// TUF's version floors.
#[test]
fn a_copy_older_than_the_built_in_root_or_the_newest_installed_is_refused() {
    let older = root_dated(74, "2025-01-01T00:00:00Z");
    let newer = root_dated(74, "2026-01-01T00:00:00Z");
    let key = KeyPair::generate_ecdsa_p256().unwrap();
    let (root, old_files) = signed_repository(&key, older.as_bytes(), 1, EXPIRES);
    let (_, new_files) = signed_repository(&key, newer.as_bytes(), 2, EXPIRES);
    let server = Server::start();
    serve(&server, &old_files);
    let tuf = |floor: Option<&str>| TufRepository {
        url: server.base.clone(),
        bootstrap_root: root.clone(),
        floor: floor.map(str::to_string),
    };
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let now: jiff::Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
    let refresh_with = |floor| {
        runtime().block_on(refresh(
            &http(),
            &cache,
            Instance::PublicGood,
            &tuf(floor),
            now,
        ))
    };
    let load_with =
        |floor| runtime().block_on(load_cached(&cache, Instance::PublicGood, &tuf(floor), now));

    // Older than the floor: not installed.
    let error = refresh_with(Some(&newer)).unwrap_err().to_string();
    assert!(
        error.contains("older than the root built into this binary"),
        "{error}"
    );
    assert!(load_with(None).unwrap().is_none(), "nothing was kept");
    // Without a floor it is installed; a floor met later refuses it.
    refresh_with(None).unwrap();
    assert!(load_with(None).unwrap().is_some());
    assert!(
        load_with(Some(&older)).unwrap().is_some(),
        "the same age is not older"
    );
    let error = load_with(Some(&newer)).unwrap_err().to_string();
    assert!(
        error.contains("older than the root built into this binary"),
        "{error}"
    );

    // The newer version is installed over it; the older files put back
    // (validly signed, the record saying when they were current) are refused.
    serve(&server, &new_files);
    refresh_with(None).unwrap();
    let folder = cache.tuf_dir("public-good");
    for (path, bytes) in &old_files[1..] {
        std::fs::write(folder.join(path.trim_start_matches('/')), bytes).unwrap();
    }
    let error = load_with(None).unwrap_err().to_string();
    assert!(
        error.contains("older than the newest copy this cache has installed"),
        "{error}"
    );

    // A repository rolled back to the older metadata is refused by TUF's
    // version floors, seeded from the cached copy.
    let (_, newest_files) = signed_repository(&key, newer.as_bytes(), 3, EXPIRES);
    serve(&server, &newest_files);
    refresh_with(None).unwrap();
    serve(&server, &old_files);
    let error = refresh_with(None).unwrap_err().to_string();
    assert!(error.contains("rollback"), "{error}");
    assert!(load_with(None).unwrap().is_some(), "the newer copy is kept");
}

#[test]
fn trust_root_update_refuses_to_run_offline() {
    let dir = TestDir::new();
    let run = dir
        .command()
        .args(["trust-root", "update", "--offline", "--color", "never"])
        .run()
        .expect_code(2);
    run.assert_stderr("offline");
}

/// A refresh that fails is no reason to fail a CI step while the root in
/// use is valid and unexpired: a warning, exit 0. With no valid root left
/// (here, a clock before every window of the built-in root), exit 2.
#[test]
fn a_failed_refresh_warns_while_the_root_in_use_is_valid() {
    let dir = TestDir::new();
    let (root, _) = repository(b"{}");
    let root_file = dir.write("tuf-root.json", root);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let update = |now: &str| {
        dir.command()
            .env(
                "CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_URL",
                format!("http://127.0.0.1:{port}"),
            )
            .env("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_ROOT", &root_file)
            .args([
                "trust-root",
                "update",
                "--http-retries",
                "0",
                "--color",
                "never",
            ])
            .args(["--now", now])
            .run()
    };
    let warned = update("2026-06-01T00:00:00Z").expect_code(0);
    let warnings: Vec<&str> = warned
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning[trust-root-not-refreshed]"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", warned.stderr);
    assert!(
        warnings[0].contains("the public-good trust root in use (the one built into this binary) is valid and unexpired"),
        "{}",
        warnings[0]
    );
    assert!(!warned.stderr.contains("error["), "{}", warned.stderr);

    let failed = update("2000-01-01T00:00:00Z").expect_code(2);
    failed.assert_stderr("error[trust-root-tuf]");
}

/// The TUF refresh's redirects are held to the rule every other redirect
/// is, on the address connected to: a repository's answer that sends the
/// client to a name resolving to this machine (or to its address) is
/// refused when the answer counts as from elsewhere, and nothing connects
/// there; from a repository on this machine, a redirect to this machine is
/// followed, as the request loop's are.
#[test]
fn a_tuf_redirect_is_judged_by_the_address_it_connects_to() {
    let target = testkit::Instance::new(72).trusted_root_json();
    let (root, files) = repository(target.as_bytes());
    let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let refresh_with = |remote: bool, location: &dyn Fn(&Server) -> String| {
        let server = Server::start();
        let elsewhere = Server::start();
        serve(&server, &files);
        serve(&elsewhere, &files);
        let moved = Reply::status(302).header("Location", &location(&elsewhere));
        server.route("/timestamp.json", vec![moved]);
        let tuf = TufRepository {
            url: server.base.clone(),
            bootstrap_root: root.clone(),
            floor: None,
        };
        let http = Http::new(HttpConfig {
            retries: 0,
            loopback_answers_are_remote: remote,
            ..HttpConfig::default()
        })
        .unwrap();
        let dir = TestDir::new();
        let cache = Cache::open(&dir.join("cache")).unwrap();
        let result = runtime().block_on(refresh(&http, &cache, Instance::PublicGood, &tuf, now));
        (result.map(|_| ()), elsewhere.connections())
    };
    let port = |server: &Server| server.base.rsplit(':').next().unwrap().to_string();
    for location in [
        &(|s: &Server| format!("https://localhost:{}/timestamp.json", port(s)))
            as &dyn Fn(&Server) -> String,
        &|s: &Server| format!("https://127.0.0.1:{}/timestamp.json", port(s)),
        &|s: &Server| format!("https://2130706433:{}/timestamp.json", port(s)),
        &|s: &Server| s.url("/timestamp.json"),
    ] {
        let (result, connections) = refresh_with(true, location);
        let error = result.unwrap_err().to_string();
        assert_eq!(connections, 0, "{error}");
        assert!(error.contains("TUF"), "{error}");
    }
    // The same redirect from a repository on this machine, which may send
    // the client to this machine: followed, and the refresh completes.
    let (result, connections) = refresh_with(false, &|s: &Server| s.url("/timestamp.json"));
    result.unwrap();
    assert!(connections > 0);
}
