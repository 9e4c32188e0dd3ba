//! Budgets before bytes, through the binary: one package's answers, over
//! every path (a URL template's answer, GitHub's pages, bulk-list entries,
//! the `bundle_url`s they link to, what a blob decodes to) and every
//! source, are held to one limit of bytes and bundles, checked while
//! reading and before the next download starts. Whatever the servers send,
//! the package is not checked (exit 2), a few downloads are made, and
//! nothing is cached.

use serde_json::Value;

use crate::faults::{cache_files, checksum, workload};
use crate::harness::{Run, TestDir};
use crate::network_rules::package_one;
use crate::server::{Reply, Server};

const MIB: usize = 1024 * 1024;

/// A bundle-shaped JSON object of `size` bytes (never verified: the
/// budget is spent before anything could be).
fn big_bundle(size: usize) -> String {
    let shell = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","p":""}"#;
    let padding = "a".repeat(size - shell.len());
    shell.replace(r#""p":"""#, &format!(r#""p":"{padding}""#))
}

/// A bundle-shaped JSON object of about `size` bytes whose (unsigned)
/// statement names `digest`.
fn bundle_for(digest: &str, size: usize) -> String {
    use base64::Engine;
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "x.crate", "digest": {"sha256": digest}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {},
    });
    let payload = base64::engine::general_purpose::STANDARD.encode(statement.to_string());
    let shell = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "dsseEnvelope": {"payload": payload, "payloadType": "application/vnd.in-toto+json", "signatures": []},
        "p": "",
    })
    .to_string();
    shell.replace(
        r#""p":"""#,
        &format!(r#""p":"{}""#, "a".repeat(size - shell.len())),
    )
}

/// A blob server answering every `/blob/N.json` with the same 4 MiB bundle
/// (just under the limit of one bundle), as plain JSON.
fn blob_server() -> Server {
    let server = Server::start();
    let blob = big_bundle(4 * MIB - 1024);
    for n in 0..256 {
        server.route(&format!("/blob/{n}.json"), vec![Reply::json(blob.clone())]);
    }
    server
}

/// An attestations list of 256 entries, each linking one of `blobs`' blobs.
fn linking_list(blobs: &Server) -> String {
    let entries: Vec<Value> = (0..256)
        .map(|n| {
            serde_json::json!({
                "bundle_url": blobs.url(&format!("/blob/{n}.json")),
                "repository_id": 1,
            })
        })
        .collect();
    serde_json::json!({ "attestations": entries }).to_string()
}

fn check(dir: &TestDir, args: &[&str]) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .args(["--http-retries", "0"])
        .args(args)
        .run()
}

/// Over budget: not checked, a few blobs read (each 4 MiB read and 4 MiB
/// decoded: two fit in the 16 MiB of one package), and no cache entry for
/// the package.
fn assert_stopped_early(run: &Run, blobs: &Server, dir: &TestDir) {
    let (outcome, errors) = package_one(run);
    assert_eq!(outcome, "error", "{}", run.stdout);
    assert!(
        errors.contains("limit of all answers for one package"),
        "{errors}"
    );
    let asked = blobs.seen().len();
    assert!(asked <= 3, "{asked} blobs downloaded");
    // Nothing is cached for the package (another package's answer may be).
    let digest = hex::encode(checksum(1));
    for (path, bytes) in cache_files(&dir.join(".cache")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&digest), "{}", path.display());
        assert!(bytes.len() < 64 * 1024, "{}", path.display());
    }
}

#[test]
fn a_url_template_answer_linking_256_large_blobs_reads_a_few() {
    let blobs = blob_server();
    let mirror = Server::start();
    mirror.route(
        &format!("/b/{}.json", hex::encode(checksum(1))),
        vec![Reply::json(linking_list(&blobs))],
    );
    let dir = TestDir::new();
    workload(&dir, [1]);
    let source = format!("url:{}/b/{{checksum}}.json", mirror.base);
    let run = check(&dir, &["--source", &source]);
    assert_stopped_early(&run.expect_code(2), &blobs, &dir);
}

/// The same through GitHub: per repository, and through a bulk listing.
#[test]
fn a_github_answer_linking_256_large_blobs_reads_a_few() {
    for bulk in [false, true] {
        let blobs = blob_server();
        let api = Server::start();
        let digest = hex::encode(checksum(1));
        api.route(
            &format!("/repos/acme/pkg/attestations/sha256:{digest}"),
            vec![Reply::json(linking_list(&blobs))],
        );
        let list: Value = serde_json::from_str(&linking_list(&blobs)).unwrap();
        api.route(
            "/orgs/acme/attestations/bulk-list",
            vec![Reply::json(
                serde_json::json!({
                    "attestations_subject_digests": {
                        format!("sha256:{digest}"): list["attestations"],
                        format!("sha256:{}", hex::encode(checksum(2))): null,
                    },
                    "page_info": {"has_next": false},
                })
                .to_string(),
            )],
        );
        api.route("/repos/acme/pkg", vec![Reply::json(r#"{"id":1}"#)]);
        let dir = TestDir::new();
        workload(&dir, [1, 2]);
        let mut policy = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
        policy.push_str(&format!(
            "\n[[package]]\nname = \"pkg*\"\nrepository = \"https://github.com/acme/pkg\"\n\n\
             [[source]]\nkind = \"github\"\napi-url = \"{}\"\n",
            api.base
        ));
        dir.write("provenance.toml", policy);
        let mut command = dir
            .command()
            .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
            .args(["--http-retries", "0", "--github-bundle-host", "127.0.0.1"]);
        if bulk {
            command = command
                .args(["--github-api-url", &api.base])
                .env("GITHUB_TOKEN", "ghp_bulk");
        }
        let run = command.run();
        assert_eq!(
            api.seen().iter().any(|s| s.method == "POST"),
            bulk,
            "{bulk}"
        );
        assert_stopped_early(&run, &blobs, &dir);
    }
}

/// A blob that decodes to more than one bundle may hold is refused while
/// decoding (framed) or before (raw: its declared length), whatever its
/// size on the wire.
#[test]
fn what_a_blob_decodes_to_is_bounded_before_it_is_held() {
    let big = big_bundle(5 * MIB);
    let framed = {
        let mut writer = snap::write::FrameEncoder::new(Vec::new());
        std::io::Write::write_all(&mut writer, big.as_bytes()).unwrap();
        writer.into_inner().unwrap()
    };
    let raw = snap::raw::Encoder::new()
        .compress_vec(big.as_bytes())
        .unwrap();
    for (what, blob, words) in [
        ("framed", framed, "decodes to more than"),
        ("raw", raw, "declares 5242880 decoded bytes"),
    ] {
        assert!(blob.len() < MIB, "{what}: small on the wire");
        let blobs = Server::start();
        blobs.route(
            "/blob/0.json",
            vec![Reply {
                body: blob,
                ..Reply::status(200)
            }
            .header("content-type", "application/x-snappy")],
        );
        let mirror = Server::start();
        mirror.route(
            &format!("/b/{}.json", hex::encode(checksum(1))),
            vec![Reply::json(
                serde_json::json!({"attestations": [
                    {"bundle_url": blobs.url("/blob/0.json")}
                ]})
                .to_string(),
            )],
        );
        let dir = TestDir::new();
        workload(&dir, [1]);
        let source = format!("url:{}/b/{{checksum}}.json", mirror.base);
        let run = check(&dir, &["--source", &source]).expect_code(2);
        let (outcome, errors) = package_one(&run);
        assert_eq!(outcome, "error", "{what}");
        assert!(errors.contains(words), "{what}: {errors}");
    }
}

/// One budget across sources: what a first source's answer took (bundles
/// for other artifacts, kept to be reported) is not there for the next.
#[test]
fn one_budget_covers_every_source_of_a_package() {
    let first = Server::start();
    let second = Server::start();
    let digest = hex::encode(checksum(1));
    // 13 MiB of bundles for another artifact: set aside, no bundle found.
    let other: Vec<String> = (0..4)
        .map(|_| bundle_for(&hex::encode(checksum(9)), 13 * MIB / 4))
        .collect();
    first.route(
        &format!("/b/{digest}.json"),
        vec![Reply::json(other.join("\n"))],
    );
    second.route(
        &format!("/b/{digest}.json"),
        vec![Reply::json(big_bundle(4 * MIB - 1024))],
    );
    let dir = TestDir::new();
    workload(&dir, [1]);
    let run = check(
        &dir,
        &[
            "--source",
            &format!("url:{}/b/{{checksum}}.json", first.base),
            "--source",
            &format!("url:{}/b/{{checksum}}.json", second.base),
        ],
    )
    .expect_code(2);
    let (outcome, errors) = package_one(&run);
    assert_eq!(outcome, "error", "{}", run.stdout);
    assert!(
        errors.contains(&second.base) && errors.contains("limit of all answers for one package"),
        "{errors}"
    );
    // Alone, the second source's answer is within the budget.
    let dir = TestDir::new();
    workload(&dir, [1]);
    let run = check(
        &dir,
        &[
            "--source",
            &format!("url:{}/b/{{checksum}}.json", second.base),
        ],
    );
    let (_, errors) = package_one(&run);
    assert!(!errors.contains("limit of all answers"), "{errors}");
}
