//! A cached answer is read only by the configuration that wrote it, through
//! the binary: projects sharing one cache folder with sources that differ
//! in any field (API URL, organization, predicate type, URL template)
//! never read each other's answers, while jobs of one configuration share
//! them; a registry record counts only for the `.crate` file whose checksum
//! it names; answers from anywhere but the official services expire; a
//! cached bundle that fails verification is asked for again when online.

use cargo_verify_provenance::evidence::BundleOrigin;
use cargo_verify_provenance::policy::SourceSpec;
use cargo_verify_provenance::testkit::internals::cache::SourceKeyOf;
use cargo_verify_provenance::testkit::internals::cache::{
    Answer, BundleDocument, Cache, CacheEntry, ReadBundle,
};
use sigstore_types::Sha256Hash;

use crate::fail_closed::tampered;
use crate::faults::{bundles, checksum, outcomes, serve, url_source, workload};
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const NOW: &str = "2026-06-01T00:00:00Z";
const PKG1: u16 = 1;

/// A project of package 1 whose policy requires `require` from `sources`
/// (TOML `[[source]]` tables), using the cache folder `cache`.
struct Project {
    dir: TestDir,
    cache: std::path::PathBuf,
}

impl Project {
    fn new(cache: &std::path::Path, require: &str, sources: &str) -> Self {
        let dir = TestDir::new();
        workload(&dir, [PKG1]);
        dir.write(
            "provenance.toml",
            format!(
                "[defaults]\nrequire = \"{require}\"\n\n[trust]\nroots = [\"trusted_root.json\"]\n{sources}"
            ),
        );
        Self {
            dir,
            cache: cache.to_path_buf(),
        }
    }

    /// `check` at `now`, with `extra` arguments.
    fn check(&self, now: &str, extra: &[&str]) -> Run {
        self.dir
            .command()
            .env("CARGO_VERIFY_PROVENANCE_CACHE", &self.cache)
            .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
            .args(["--now", now, "--crates-io-interval-ms", "0"])
            .args(["--http-retries", "0", "--http-timeout-ms", "2000"])
            .args(extra)
            .run()
    }
}

fn outcome(run: &Run) -> String {
    let (packages, _) = outcomes(&run.stdout);
    assert_eq!(packages.len(), 1, "{}", run.stdout);
    packages[0].1.clone()
}

/// GitHub's answer listing package 1's bundle inline.
fn github_page() -> Vec<u8> {
    let bundle: serde_json::Value = serde_json::from_str(&bundles(&[PKG1])[0].1).unwrap();
    serde_json::to_vec(&serde_json::json!({
        "attestations": [{"bundle": bundle, "repository_id": 1}]
    }))
    .unwrap()
}

/// crates.io's answer for package 1, published by `acme/pkg` through
/// trusted publishing, recording the checksum `checksum` (`null`: none).
fn crates_io_answer(checksum: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "crate": {"repository": "https://github.com/acme/pkg", "trustpub_only": true},
        "versions": [{
            "num": "1.0.0",
            "checksum": checksum,
            "created_at": "2017-01-01T00:00:00Z",
            "trustpub_data": {"provider": "github", "repository": "acme/pkg", "run_id": "1"},
        }],
    }))
    .unwrap()
}

/// A server answering for package 1 as GitHub (any organization), crates.io
/// and a URL template (`/b/` and `/c/`) would.
fn answering_server() -> Server {
    let server = Server::start();
    let hex = hex::encode(checksum(PKG1));
    for org in ["acme", "other"] {
        server.route(
            &format!("/orgs/{org}/attestations/sha256:{hex}"),
            vec![Reply::json(github_page())],
        );
    }
    server.route(
        "/api/v1/crates/pkg1",
        vec![Reply::json(crates_io_answer(hex.clone().into()))],
    );
    serve(&server, &[PKG1]);
    server.route(
        &format!("/c/{hex}.json"),
        vec![Reply::json(bundles(&[PKG1])[0].1.clone())],
    );
    server
}

fn github(api_url: &str, org: &str, predicate_type: Option<&str>) -> String {
    let predicate = predicate_type.map_or(String::new(), |p| format!("predicate-type = \"{p}\"\n"));
    format!(
        "\n[[source]]\nkind = \"github\"\napi-url = \"{api_url}\"\norg = \"{org}\"\n{predicate}"
    )
}

fn crates_io(api_url: &str) -> String {
    format!("\n[[source]]\nkind = \"crates-io\"\napi-url = \"{api_url}\"\n")
}

fn url(template: &str) -> String {
    format!("\n[[source]]\nkind = \"url\"\ntemplate = \"{template}\"\n")
}

/// Pairs of configurations that differ in one field of one source: after
/// a run of the first fills the shared cache, the second (offline) finds
/// nothing of it, while another project of the first configuration does.
#[test]
fn projects_sharing_a_cache_read_only_answers_of_their_own_configuration() {
    let (one, two) = (answering_server(), answering_server());
    let slsa = Some("https://slsa.dev/provenance/v1");
    let pairs: [(&str, &str, String, String); 6] = [
        (
            "api-url",
            "attested",
            github(&one.base, "acme", None),
            github(&two.base, "acme", None),
        ),
        (
            "org",
            "attested",
            github(&one.base, "acme", None),
            github(&one.base, "other", None),
        ),
        (
            "predicate-type",
            "attested",
            github(&one.base, "acme", None),
            github(&one.base, "acme", slsa),
        ),
        (
            "crates-io api-url",
            "registry-asserted",
            crates_io(&one.base),
            crates_io(&two.base),
        ),
        (
            "the default crates-io",
            "registry-asserted",
            crates_io(&one.base),
            String::new(),
        ),
        (
            "url template",
            "attested",
            url(&format!("{}/b/{{checksum}}.json", one.base)),
            url(&format!("{}/c/{{checksum}}.json", one.base)),
        ),
    ];
    for (differs, require, first, second) in pairs {
        let cache = TestDir::new();
        let writer = Project::new(cache.path(), require, &first);
        let run = writer.check(NOW, &[]);
        assert_eq!(outcome(&run), "pass", "{differs}: {}", run.stderr);
        let other = Project::new(cache.path(), require, &second).check(NOW, &["--offline"]);
        assert_eq!(outcome(&other), "error", "{differs}: {}", other.stdout);
        assert_eq!(other.code, 2, "{differs}");
        other.assert_stderr("not in the cache");
        let same = Project::new(cache.path(), require, &first).check(NOW, &["--offline"]);
        assert_eq!(outcome(&same), "pass", "{differs}: {}", same.stdout);
    }
}

/// Two URL templates that differ only in a credential (a query token, a
/// password) are two configurations, and neither credential is written
/// into the cache folder.
#[test]
fn a_credential_in_a_source_tells_configurations_apart_and_is_never_stored() {
    let server = answering_server();
    let template = |credential: &str| {
        let base = server
            .base
            .replace("http://", &format!("http://u:{credential}@"));
        url(&format!("{base}/c/{{checksum}}.json?token={credential}"))
    };
    let cache = TestDir::new();
    let writer = Project::new(cache.path(), "attested", &template("SECRETONE"));
    let run = writer.check(NOW, &[]);
    assert_eq!(outcome(&run), "pass", "{}", run.stderr);
    let other = Project::new(cache.path(), "attested", &template("SECRETTWO"));
    let run = other.check(NOW, &["--offline"]);
    assert_eq!(outcome(&run), "error", "{}", run.stdout);
    run.assert_stderr("not in the cache");
    let same = Project::new(cache.path(), "attested", &template("SECRETONE"));
    assert_eq!(outcome(&same.check(NOW, &["--offline"])), "pass");
    let mut folders = vec![cache.path().to_path_buf()];
    let mut files = 0;
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("SECRET"), "{}: {text}", path.display());
        }
    }
    assert!(files > 1, "the answer was stored");
}

/// An answer copied from one configuration's place in the cache to
/// another's (same package, a source at another address) is not the other
/// configuration's: it names the identity it was written for.
#[test]
fn an_answer_copied_to_another_configurations_place_is_not_read() {
    let (one, two) = (answering_server(), answering_server());
    let cache = TestDir::new();
    let template = |server: &Server| format!("{}/c/{{checksum}}.json", server.base);
    let writer = Project::new(cache.path(), "attested", &url(&template(&one)));
    assert_eq!(outcome(&writer.check(NOW, &[])), "pass");
    let place = |server: &Server| {
        let key = SourceSpec::url(&template(server)).unwrap().source_key();
        Cache::open(cache.path())
            .unwrap()
            .entry_path(&key.answer_identity(&Sha256Hash::new(checksum(PKG1))))
    };
    let (written, elsewhere) = (place(&one), place(&two));
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    std::fs::copy(&written, &elsewhere).unwrap();
    let other = Project::new(cache.path(), "attested", &url(&template(&two)));
    let run = other.check(NOW, &["--offline"]);
    assert_eq!(outcome(&run), "error", "{}", run.stdout);
    run.assert_stderr("not in the cache");
}

/// crates.io's record counts only for the `.crate` file whose checksum it
/// names: a record naming none, or another, is no evidence (the package
/// is not checked, exit 2) and is never stored; the same record naming the
/// package's checksum passes.
#[test]
fn a_registry_record_is_evidence_only_for_the_checksum_it_names() {
    let other = hex::encode(checksum(2));
    for (recorded, expect) in [
        (serde_json::Value::Null, "names no checksum"),
        (other.clone().into(), &*format!("records checksum {other}")),
        (other.to_uppercase().into(), "records checksum"),
    ] {
        let server = Server::start();
        server.route(
            "/api/v1/crates/pkg1",
            vec![Reply::json(crates_io_answer(recorded.clone()))],
        );
        let cache = TestDir::new();
        let project = Project::new(cache.path(), "registry-asserted", &crates_io(&server.base));
        for _ in 0..2 {
            let run = project.check(NOW, &[]);
            assert_eq!(outcome(&run), "error", "{recorded}: {}", run.stdout);
            assert_eq!(run.code, 2);
            run.assert_stdout(expect);
            run.assert_stdout("\"evidence\":\"none\"");
            run.assert_stdout("\"registry\":null,\"record\":null");
        }
        assert_eq!(
            server.requests_to("/api/v1/crates/pkg1"),
            2,
            "{recorded}: asked again, never cached"
        );
    }
    let server = Server::start();
    let hex = hex::encode(checksum(PKG1));
    server.route(
        "/api/v1/crates/pkg1",
        vec![Reply::json(crates_io_answer(hex.into()))],
    );
    let cache = TestDir::new();
    let project = Project::new(cache.path(), "registry-asserted", &crates_io(&server.base));
    assert_eq!(outcome(&project.check(NOW, &[]).expect_code(0)), "pass");
}

/// `when` hours after NOW.
fn after(hours: i64) -> String {
    let now: jiff::Timestamp = NOW.parse().unwrap();
    (now + jiff::SignedDuration::from_hours(hours)).to_string()
}

/// An answer from a source that is not an official service is used for
/// the configured time to live (24 hours by default), online and offline,
/// and then asked for again.
#[test]
fn an_answer_from_anywhere_but_an_official_service_expires() {
    let server = answering_server();
    let cache = TestDir::new();
    let project = Project::new(
        cache.path(),
        "attested",
        &url(&format!("{}/b/{{checksum}}.json", server.base)),
    );
    let path = format!("/b/{}.json", hex::encode(checksum(PKG1)));
    project.check(NOW, &[]).expect_code(0);
    assert_eq!(server.requests_to(&path), 1);
    project.check(&after(23), &["--offline"]).expect_code(0);
    project.check(&after(23), &[]).expect_code(0);
    assert_eq!(server.requests_to(&path), 1, "used while young");
    let expired = project.check(&after(25), &["--offline"]).expect_code(2);
    expired.assert_stderr("not in the cache");
    project.check(&after(25), &[]).expect_code(0);
    assert_eq!(server.requests_to(&path), 2, "asked again once expired");

    // The policy's time to live counts.
    let longer = Project::new(
        cache.path(),
        "attested",
        &format!(
            "{}\n[cache]\nno-attestation-ttl = \"3d\"\n",
            url(&format!("{}/b/{{checksum}}.json", server.base))
        ),
    );
    longer.check(&after(25 + 48), &["--offline"]).expect_code(0);
    longer.check(&after(25 + 73), &["--offline"]).expect_code(2);
}

/// Store `json` as `source`'s answer about package 1, fetched at `fetched`.
fn plant(cache: &std::path::Path, source: &str, fetched: &str, json: String) {
    let key = SourceSpec::parse_cli(source).unwrap().source_key();
    let entry = CacheEntry::answer(
        &Sha256Hash::new(checksum(PKG1)),
        &key,
        fetched.parse().unwrap(),
        Answer::Bundles {
            documents: vec![BundleDocument {
                origin: BundleOrigin {
                    source: key.label.clone(),
                    location: "planted".into(),
                },
                bundle: ReadBundle::read(json),
            }],
            ignored: vec![],
        },
    );
    Cache::open(cache).unwrap().write_entry(&entry).unwrap();
}

/// GitHub's own answers (api.github.com) are kept for good: a year-old
/// bundle is used offline; the same age from another source is not.
#[test]
fn an_answer_of_the_official_service_is_kept_for_good() {
    let cache = TestDir::new();
    let bundle = bundles(&[PKG1])[0].1.clone();
    plant(
        cache.path(),
        "github:acme",
        "2025-05-01T00:00:00Z",
        bundle.clone(),
    );
    let official = Project::new(cache.path(), "attested", "");
    let run = official.check(NOW, &["--offline", "--source", "github:acme"]);
    assert_eq!(outcome(&run), "pass", "{}", run.stdout);

    let mirror = "url:https://mirror.example/{checksum}.json";
    plant(cache.path(), mirror, "2025-05-01T00:00:00Z", bundle);
    let run = official.check(NOW, &["--offline", "--source", mirror]);
    assert_eq!(outcome(&run), "error", "{}", run.stdout);
}

/// A cached bundle that fails verification is dropped and asked for again
/// when online (the good answer is then stored and used offline); offline,
/// it fails the run.
#[test]
fn a_cached_bundle_that_fails_verification_is_asked_for_again_online() {
    let server = answering_server();
    let source = url_source(&server.base);
    let path = format!("/b/{}.json", hex::encode(checksum(PKG1)));
    let bad = tampered(&bundles(&[PKG1])[0].1);
    let cache = TestDir::new();
    let project = Project::new(cache.path(), "attested", "");
    plant(cache.path(), &source, &after(-1), bad.clone());
    let offline = project.check(NOW, &["--offline", "--source", &source]);
    assert_eq!(outcome(&offline), "violation");
    offline.assert_stdout("\"bundle-verification\"");
    assert_eq!(server.requests_to(&path), 0);

    let online = project.check(NOW, &["--source", &source]);
    assert_eq!(outcome(&online), "pass", "{}", online.stdout);
    assert_eq!(server.requests_to(&path), 1);
    let offline = project.check(NOW, &["--offline", "--source", &source]);
    assert_eq!(outcome(&offline), "pass", "the good answer was stored");

    // The same from GitHub's API (here on 127.0.0.1): only the failing
    // source's answer is dropped, and asked again.
    let github = format!("{}\n", github(&server.base, "acme", None));
    let project = Project::new(cache.path(), "attested", &github);
    project.check(NOW, &[]).expect_code(0);
    let spec = SourceSpec::GitHub {
        api_url: server.base.clone(),
        org: Some("acme".into()),
        predicate_type: None,
    };
    let identity = spec
        .source_key()
        .answer_identity(&Sha256Hash::new(checksum(PKG1)));
    let place = Cache::open(cache.path()).unwrap().entry_path(&identity);
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&place).unwrap()).unwrap();
    let github_path = format!(
        "/orgs/acme/attestations/sha256:{}",
        hex::encode(checksum(PKG1))
    );
    let asked = server.requests_to(&github_path);
    // The bundle is stored as the JSON it is.
    entry["value"]["bundles"]["documents"][0]["json"] = serde_json::from_str(&bad).unwrap();
    std::fs::write(&place, serde_json::to_vec(&entry).unwrap()).unwrap();
    let run = project.check(NOW, &[]);
    assert_eq!(outcome(&run), "pass", "{}", run.stdout);
    assert_eq!(server.requests_to(&github_path), asked + 1);
}
