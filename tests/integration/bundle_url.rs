//! GitHub as it answers today, through the binary: attestation lists that
//! name a `bundle_url` instead of inlining the bundle, and the snappy blob
//! behind it, served byte for byte from `../shared/fixtures/api` by two
//! loopback servers (the API, and the blob storage on another port). The
//! bundle is a real public-good one (bblanchon/pdfium-binaries), verified
//! against the real public-good root from `../shared/fixtures/real`.

use std::path::PathBuf;

use serde_json::Value;

use crate::fixtures::{api_file, real_fixtures};
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const LIST: &str = "github/list-response-bundle-url-only.json";
const BLOB: &str = "github/pdfium-binaries-attestation.json.sn";
const BUNDLE: &str = "github/pdfium-binaries-attestation.sigstore.json";
/// Where the recorded list points; the tests point it at their blob server.
const RECORDED_BLOB_HOST: &str = "https://tmaproduction.blob.core.windows.net";
const BLOB_PATH: &str = "/attestations/103962638/2026/08/31/44147842.json.sn";
const REPOSITORY: &str = "https://github.com/bblanchon/pdfium-binaries";
/// Two subjects of the bundle (`pdfium-android-arm.tgz`, `…-arm64.tgz`),
/// used as the checksums of two lockfile packages.
const ARM: &str = "a0f2fb18cf065f246d2c4ef4b89c0cc07218a0a69d08bda97f0297c7f8b7ec09";
const ARM64: &str = "22280f42b38dc86919c93988d5cef8e39e0ab6d880a7b953531ed9775724bcdf";
const TOKEN: &str = "ghp_for_the_api_host_only";

struct Recorded {
    list: Vec<u8>,
    blob: Vec<u8>,
    bundle: Vec<u8>,
    root: PathBuf,
}

fn recorded(test: &str) -> Option<Recorded> {
    let root = real_fixtures(test)?.join("trust-roots/public-good.trusted_root.json");
    Some(Recorded {
        list: api_file(test, LIST)?,
        blob: api_file(test, BLOB)?,
        bundle: api_file(test, BUNDLE)?,
        root,
    })
}

impl Recorded {
    /// The recorded list, its `bundle_url` moved to `blob_base` with `path`
    /// (the pre-signed query kept), every other byte as recorded.
    fn list_pointing_at(&self, blob_base: &str, path: &str) -> Vec<u8> {
        let text = String::from_utf8(self.list.clone()).unwrap();
        let recorded = format!("{RECORDED_BLOB_HOST}{BLOB_PATH}");
        assert!(text.contains(&recorded), "the recorded list names the blob");
        text.replace(&recorded, &format!("{blob_base}{path}"))
            .into_bytes()
    }
}

fn attestations_path(prefix: &str, checksum: &str) -> String {
    format!("{prefix}/repos/bblanchon/pdfium-binaries/attestations/sha256:{checksum}")
}

fn blob_reply(body: Vec<u8>) -> Reply {
    Reply {
        body,
        ..Reply::status(200)
    }
    .header("content-type", "application/x-snappy")
}

/// A lockfile of `pdfium-NAME 1.0.0` crates.io packages with the given checksums.
fn write_lockfile(dir: &TestDir, packages: &[(&str, &str)]) {
    let mut lock = String::from("version = 4\n");
    for (name, checksum) in packages {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"pdfium-{name}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{checksum}\"\n"
        ));
    }
    dir.write("Cargo.lock", lock);
}

/// A lockfile of `pdfium-NAME 1.0.0` packages with the given checksums, and
/// a policy requiring the bundle's repository and workflow, asking GitHub
/// at `api_url`, trusting only the public-good root.
fn workload(dir: &TestDir, recorded: &Recorded, api_url: &str, packages: &[(&str, &str)]) {
    write_lockfile(dir, packages);
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nrequire = \"attested\"\n\n\
             [[package]]\nname = \"pdfium-*\"\nrepository = \"{REPOSITORY}\"\n\
             workflow = \".github/workflows/build-all.yml\"\n\n\
             [[source]]\nkind = \"github\"\napi-url = \"{api_url}\"\n\n\
             [trust]\nroots = [{}]\n",
            toml_string(&recorded.root.display().to_string())
        ),
    );
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A run with a token for the API at `api_url`, and the loopback blob
/// server allowed as a GitHub bundle host.
fn check(dir: &TestDir, api_url: &str, extra: &[&str]) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .args(["--http-backoff-ms", "5"])
        .args(["--github-api-url", api_url])
        .args(["--github-bundle-host", "127.0.0.1"])
        .args(extra)
        .env("GITHUB_TOKEN", TOKEN)
        .run()
}

/// The `package` messages, by name.
fn packages(run: &Run) -> Vec<(String, Value)> {
    run.stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("JSON lines"))
        .filter(|m| m["reason"] == "package")
        .map(|m| (m["name"].as_str().unwrap().to_string(), m))
        .collect()
}

fn package<'a>(messages: &'a [(String, Value)], name: &str) -> &'a Value {
    &messages
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no message for {name}"))
        .1
}

/// Every file under `folder`, read whole.
pub(crate) fn files_under(folder: &std::path::Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The API and the blob storage: the API lists, for each checksum, the
/// recorded attestation with its `bundle_url` at that path of the storage.
fn servers(recorded: &Recorded, lists: &[(&str, &str)]) -> (Server, Server) {
    let api = Server::start();
    let blobs = Server::start();
    for (checksum, blob_path) in lists {
        api.route(
            &attestations_path("", checksum),
            vec![Reply::json(
                recorded.list_pointing_at(&blobs.base, blob_path),
            )],
        );
    }
    (api, blobs)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_bundle_behind_a_bundle_url_verifies_passes_the_policy_and_again_offline() {
    let test = "a_bundle_behind_a_bundle_url_verifies_passes_the_policy_and_again_offline";
    let Some(recorded) = recorded(test) else {
        return;
    };
    let (api, blobs) = servers(&recorded, &[(ARM, BLOB_PATH)]);
    // The storage fails once: retried as any 5xx is.
    blobs.route(
        BLOB_PATH,
        vec![Reply::status(503), blob_reply(recorded.blob.clone())],
    );
    let dir = TestDir::new();
    workload(&dir, &recorded, &api.base, &[("android-arm", ARM)]);

    let run = check(&dir, &api.base, &[]).expect_code(0);
    let messages = packages(&run);
    let found = package(&messages, "pdfium-android-arm");
    assert_eq!(found["outcome"], "pass", "{found}");
    assert_eq!(found["evidence"], "attested");
    assert_eq!(found["provenance"]["repository"], REPOSITORY);
    assert_eq!(
        found["provenance"]["workflow"],
        ".github/workflows/build-all.yml"
    );

    // The token went to the API, and nowhere else.
    let api_seen = api.seen();
    assert_eq!(api_seen.len(), 1);
    assert_eq!(
        api_seen[0].headers["authorization"],
        format!("Bearer {TOKEN}")
    );
    let blob_seen = blobs.seen();
    assert_eq!(blob_seen.len(), 2, "one retry after the 503");
    for seen in &blob_seen {
        assert!(
            seen.path_and_query.contains("&sig="),
            "{}",
            seen.path_and_query
        );
        assert!(seen.headers.get("authorization").is_none());
        for (name, value) in &seen.headers {
            assert!(
                !contains(value.as_bytes(), TOKEN),
                "the token reached the blob host in {name}"
            );
        }
    }
    // The decoded bundle is cached, never the (pre-signed) URL.
    let cached = files_under(&dir.join(".cache"));
    assert!(cached.iter().any(|f| contains(f, "dsseEnvelope")));
    assert!(!cached.iter().any(|f| contains(f, "44147842.json.sn")));

    // Offline, from the cache: the same outcome, and no request at all.
    let offline = check(&dir, &api.base, &["--offline"]).expect_code(0);
    assert_eq!(packages(&offline), messages);
    assert_eq!(api.seen().len(), 1);
    assert_eq!(blobs.seen().len(), 2);
}

#[test]
fn inline_answers_and_enterprise_api_urls_still_work() {
    let test = "inline_answers_and_enterprise_api_urls_still_work";
    let Some(recorded) = recorded(test) else {
        return;
    };
    let api = Server::start();
    // GitHub Enterprise Server: the API under /api/v3, bundles inline.
    let mut answer = br#"{"attestations":[{"bundle":"#.to_vec();
    answer.extend_from_slice(&recorded.bundle);
    answer.extend_from_slice(br#","repository_id":103962638}]}"#);
    api.route(
        &attestations_path("/api/v3", ARM),
        vec![Reply::json(answer)],
    );
    let dir = TestDir::new();
    let api_url = format!("{}/api/v3", api.base);
    workload(&dir, &recorded, &api_url, &[("android-arm", ARM)]);
    let run = check(&dir, &api_url, &[]).expect_code(0);
    let messages = packages(&run);
    assert_eq!(package(&messages, "pdfium-android-arm")["outcome"], "pass");
    assert_eq!(api.seen().len(), 1);
}

#[test]
fn a_blob_that_cannot_be_read_fails_its_package_only() {
    let test = "a_blob_that_cannot_be_read_fails_its_package_only";
    let Some(recorded) = recorded(test) else {
        return;
    };
    let oversize =
        vec![0u8; cargo_verify_provenance::testkit::internals::limits::max_blob_bytes() + 1];
    // A raw snappy header declaring 1 GiB, then nothing.
    let declares_too_much = vec![0x80, 0x80, 0x80, 0x80, 0x04, 0x00];
    let half = recorded.blob[..recorded.blob.len() / 2].to_vec();
    let cases: Vec<(&str, Reply, &str)> = vec![
        ("truncated", blob_reply(half), "not valid snappy"),
        (
            "undecodable",
            blob_reply(b"\x13\x37not snappy at all".to_vec()),
            "not valid snappy",
        ),
        (
            "declares too much",
            blob_reply(declares_too_much),
            "declares 1073741824",
        ),
        ("oversize", blob_reply(oversize), "limit"),
        ("refused", Reply::status(403), "answered 403"),
    ];
    for (case, bad, why) in cases {
        let (api, blobs) = servers(&recorded, &[(ARM, BLOB_PATH), (ARM64, "/bad.json.sn")]);
        blobs.route(BLOB_PATH, vec![blob_reply(recorded.blob.clone())]);
        blobs.route("/bad.json.sn", vec![bad]);
        let dir = TestDir::new();
        workload(
            &dir,
            &recorded,
            &api.base,
            &[("android-arm", ARM), ("android-arm64", ARM64)],
        );
        let run = check(&dir, &api.base, &[]).expect_code(2);
        let messages = packages(&run);
        assert_eq!(
            package(&messages, "pdfium-android-arm")["outcome"],
            "pass",
            "{case}"
        );
        let failed = package(&messages, "pdfium-android-arm64");
        assert_eq!(failed["outcome"], "error", "{case}: {failed}");
        let errors = failed["source_errors"].to_string();
        assert!(
            errors.contains("bundle_url") && errors.contains(why),
            "{case}: {errors}"
        );
        // The pre-signed query never shows in a message.
        assert!(!run.stdout.contains("sig="), "{case}: {}", run.stdout);
        assert!(!run.stderr.contains("sig="), "{case}: {}", run.stderr);
    }
}

/// crates.io's answer for a crate of the lockfile, in the recorded shape:
/// the recorded crate object naming `repository`, and the recorded
/// token-published version as `1.0.0` with `checksum`.
fn crates_io_answer(test: &str, repository: &str, checksum: &str) -> Option<Vec<u8>> {
    let read = |file: &str| -> Option<Value> {
        api_file(test, &format!("crates-io/{file}")).map(|b| serde_json::from_slice(&b).unwrap())
    };
    let (mut krate, mut version) = (
        read("crate-trustpub-only-false.json")?,
        read("version-token-published.json")?,
    );
    krate["crate"]["repository"] = repository.into();
    version["version"]["num"] = "1.0.0".into();
    version["version"]["checksum"] = checksum.into();
    krate["versions"] = Value::Array(vec![version["version"].take()]);
    Some(serde_json::to_vec(&krate).unwrap())
}

/// crates.io's list of crates (`GET /api/v1/crates?ids[]=…`) naming each
/// crate with `repository`, made from its recorded crate object.
fn crates_list_answer(test: &str, repository: &str, names: &[&str]) -> Option<Vec<u8>> {
    let krate: Value = api_file(test, "crates-io/crate-trustpub-only-false.json")
        .map(|b| serde_json::from_slice(&b).unwrap())?;
    let crates: Vec<Value> = names
        .iter()
        .map(|name| {
            let mut listed = krate["crate"].clone();
            listed["name"] = (*name).into();
            listed["id"] = (*name).into();
            listed["repository"] = repository.into();
            listed
        })
        .collect();
    let total = crates.len();
    Some(
        serde_json::to_vec(&serde_json::json!({"crates": crates, "meta": {"total": total}}))
            .unwrap(),
    )
}

#[test]
fn a_bare_lockfile_audit_finds_the_repository_on_crates_io() {
    let test = "a_bare_lockfile_audit_finds_the_repository_on_crates_io";
    let Some(recorded) = recorded(test) else {
        return;
    };
    let (api, blobs) = servers(&recorded, &[(ARM, BLOB_PATH), (ARM64, BLOB_PATH)]);
    blobs.route(BLOB_PATH, vec![blob_reply(recorded.blob.clone())]);
    let crates_io = Server::start();
    for (name, checksum) in [("android-arm", ARM), ("android-arm64", ARM64)] {
        crates_io.route(
            &format!("/api/v1/crates/pdfium-{name}"),
            vec![Reply::json(
                crates_io_answer(test, REPOSITORY, checksum).unwrap(),
            )],
        );
    }
    let names = ["pdfium-android-arm", "pdfium-android-arm64"];
    crates_io.route(
        "/api/v1/crates",
        vec![Reply::json(
            crates_list_answer(test, REPOSITORY, &names).unwrap(),
        )],
    );
    let dir = TestDir::new();
    write_lockfile(&dir, &[("android-arm", ARM), ("android-arm64", ARM64)]);
    // No repository anywhere but on crates.io: the policy pins the workflow.
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nrequire = \"attested\"\nworkflow = \".github/workflows/build-all.yml\"\n\n\
             [[source]]\nkind = \"github\"\napi-url = \"{}\"\n\n\
             [[source]]\nkind = \"crates-io\"\napi-url = \"{}\"\n\n\
             [trust]\nroots = [{}]\n",
            api.base,
            crates_io.base,
            toml_string(&recorded.root.display().to_string())
        ),
    );
    let run = check(&dir, &api.base, &[]).expect_code(0);
    let messages = packages(&run);
    for name in ["pdfium-android-arm", "pdfium-android-arm64"] {
        let found = package(&messages, name);
        assert_eq!(found["outcome"], "pass", "{found}");
        assert_eq!(found["provenance"]["repository"], REPOSITORY);
    }
    // crates.io: its list of crates for both repositories in one request,
    // then each version's record to cross-check the bundle found, each a
    // second after the one before, naming the tool.
    let asked = crates_io.seen();
    assert_eq!(asked.len(), 3);
    assert_eq!(
        asked[0].path_and_query,
        "/api/v1/crates?ids[]=pdfium-android-arm&ids[]=pdfium-android-arm64&per_page=100"
    );
    for pair in asked.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= std::time::Duration::from_millis(950), "{gap:?}");
    }
    assert!(asked.iter().all(|s| s.headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("cargo-verify-provenance/")));
    // GitHub was asked at the repository crates.io records; the blob host
    // never saw the token.
    assert_eq!(api.seen().len(), 2);
    assert!(blobs
        .seen()
        .iter()
        .all(|s| s.headers.get("authorization").is_none()));
    // Offline, from the cache: the same outcome, and no request at all.
    let offline = check(&dir, &api.base, &["--offline"]).expect_code(0);
    assert_eq!(packages(&offline), messages);
    assert_eq!(crates_io.seen().len() + api.seen().len(), 5);
}

/// The bundles behind `bundle_url` count towards one package's size limit
/// as the listed pages do: five blobs each under the limit of one bundle,
/// together over the limit of one package, fail that package.
#[test]
fn bundles_behind_bundle_urls_count_towards_the_package_size_limit() {
    let test = "bundles_behind_bundle_urls_count_towards_the_package_size_limit";
    let Some(recorded) = recorded(test) else {
        return;
    };
    let api = Server::start();
    let blobs = Server::start();
    let one: Value =
        serde_json::from_slice(&recorded.list_pointing_at(&blobs.base, "/0.sn")).unwrap();
    let entry = one["attestations"][0].clone();
    let entries: Vec<Value> = (0..5)
        .map(|n| {
            let mut entry = entry.clone();
            entry["bundle_url"] = Value::from(format!("{}/{n}.sn", blobs.base));
            entry
        })
        .collect();
    api.route(
        &attestations_path("", ARM),
        vec![Reply::json(
            serde_json::json!({ "attestations": entries }).to_string(),
        )],
    );
    // A bundle-shaped document just under the limit of one bundle.
    let padding =
        "a".repeat(cargo_verify_provenance::testkit::internals::limits::MAX_BUNDLE_BYTES - 1024);
    let blob = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "padding": padding,
    })
    .to_string();
    let compressed = snap::raw::Encoder::new()
        .compress_vec(blob.as_bytes())
        .unwrap();
    for n in 0..5 {
        blobs.route(&format!("/{n}.sn"), vec![blob_reply(compressed.clone())]);
    }
    let dir = TestDir::new();
    workload(&dir, &recorded, &api.base, &[("android-arm", ARM)]);
    let run = check(&dir, &api.base, &[]).expect_code(2);
    let messages = packages(&run);
    let failed = package(&messages, "pdfium-android-arm");
    assert_eq!(failed["outcome"], "error", "{failed}");
    let errors = failed["source_errors"].to_string();
    assert!(
        errors.contains("limit of all answers for one package"),
        "{errors}"
    );
}
