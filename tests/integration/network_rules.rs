//! Remote answers do not choose the network, through the binary: a
//! `bundle_url` or a redirect target must be `https` to a public address
//! (loopback only when the answer itself came from loopback), however the
//! address is spelled and whether it is written or resolved; a `github`
//! source's `bundle_url` must be on a GitHub blob host; and a policy names
//! only URLs the client would fetch.
//!
//! The servers here all listen on loopback. `--loopback-answers-are-remote`
//! (hidden; it can only refuse more) makes the tool judge their answers as
//! a remote server's, which is how an answer from elsewhere naming this
//! machine is tested.

use serde_json::Value;

use crate::faults::{bundles, checksum, workload};
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const REMOTE: &str = "--loopback-answers-are-remote";

fn hex1() -> String {
    hex::encode(checksum(1))
}

/// A server with package 1's bundle at `/blob.json`.
fn blob_server() -> Server {
    let server = Server::start();
    serve_blob(&server);
    server
}

fn serve_blob(server: &Server) {
    let (_, json) = bundles(&[1]).remove(0);
    server.route("/blob.json", vec![Reply::json(json)]);
}

/// A mirror whose answer for package 1 links its bundle at `link`.
fn mirror_linking(link: &str) -> Server {
    let server = Server::start();
    server.route(
        &format!("/b/{}.json", hex1()),
        vec![Reply::json(
            serde_json::json!({"attestations": [{"bundle_url": link}]}).to_string(),
        )],
    );
    server
}

fn check(dir: &TestDir, source: &str, extra: &[&str]) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .args(["--http-retries", "0", "--http-timeout-ms", "3000"])
        .args(["--source", source])
        .args(extra)
        .run()
}

fn url_source(server: &Server) -> String {
    format!("url:{}/b/{{checksum}}.json", server.base)
}

/// Package 1's outcome and its source errors.
pub(crate) fn package_one(run: &Run) -> (String, String) {
    let message: Value = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("JSON lines"))
        .find(|m| m["reason"] == "package" && m["name"] == "pkg1")
        .unwrap_or_else(|| panic!("no pkg1 in {}", run.stdout));
    (
        message["outcome"].as_str().unwrap().to_string(),
        message["source_errors"].to_string(),
    )
}

fn port(server: &Server) -> String {
    server.base.rsplit(':').next().unwrap().to_string()
}

/// An answer judged as a remote server's may not send the tool to this
/// machine, in any spelling of its address, written or resolved; the same
/// link from a loopback answer is followed.
#[test]
fn an_answer_from_elsewhere_may_not_send_the_tool_to_this_machine() {
    let blob = blob_server();
    let p = port(&blob);
    for link in [
        format!("http://127.0.0.1:{p}/blob.json"),
        format!("https://127.0.0.1:{p}/blob.json"),
        format!("http://localhost:{p}/blob.json"),
        format!("https://localhost:{p}/blob.json"),
        format!("https://2130706433:{p}/blob.json"),
        format!("https://0x7f.0.0.1:{p}/blob.json"),
        format!("https://127.1:{p}/blob.json"),
        format!("https://[::ffff:127.0.0.1]:{p}/blob.json"),
        format!("https://[::ffff:7f00:1]:{p}/blob.json"),
        format!("https://[::1]:{p}/blob.json"),
    ] {
        let mirror = mirror_linking(&link);
        let dir = TestDir::new();
        workload(&dir, [1]);
        let run = check(&dir, &url_source(&mirror), &[REMOTE]);
        let (outcome, errors) = package_one(&run);
        assert_eq!(outcome, "error", "{link}: {}", run.stdout);
        assert!(errors.contains("not fetched"), "{link}: {errors}");
        assert_eq!(blob.connections(), 0, "{link}: the blob server was reached");
    }
    // From a loopback answer, loopback is allowed: the refusal above is the rule.
    let mirror = mirror_linking(&format!("http://127.0.0.1:{p}/blob.json"));
    let dir = TestDir::new();
    workload(&dir, [1]);
    let run = check(&dir, &url_source(&mirror), &[]);
    assert_eq!(package_one(&run).0, "pass", "{}", run.stdout);
}

/// No answer may send the tool to a private, link-local, shared, unique
/// local or unspecified address, or anywhere over plain http but loopback:
/// refused before any connection (the run does not wait for one).
#[test]
fn no_answer_may_send_the_tool_to_a_private_address() {
    for link in [
        "https://10.0.0.1/blob.json",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/blob.json",
        "https://172.16.5.4/blob.json",
        "https://192.168.1.1/blob.json",
        "https://0.0.0.0/blob.json",
        "https://[fd00::1]/blob.json",
        "https://[fe80::1]/blob.json",
        "https://[::ffff:192.168.1.1]/blob.json",
        "https://[64:ff9b::a00:1]/blob.json",
        "https://167772161/blob.json",
        "http://10.0.0.1/blob.json",
        "http://blob.example/blob.json",
        "ftp://127.0.0.1/blob.json",
    ] {
        let mirror = mirror_linking(link);
        let dir = TestDir::new();
        workload(&dir, [1]);
        let run = check(&dir, &url_source(&mirror), &[]);
        let (outcome, errors) = package_one(&run);
        assert_eq!(outcome, "error", "{link}: {}", run.stdout);
        assert!(
            errors.contains("not fetched") && !errors.contains("cannot reach"),
            "{link}: {errors}"
        );
    }
}

/// A redirect is a URL its answer named: held to the same rule at every
/// hop, and at most five are followed.
#[test]
fn redirects_are_judged_as_urls_their_answer_named() {
    let blob = blob_server();
    let target = format!("http://127.0.0.1:{}/blob.json", port(&blob));
    let mirror = Server::start();
    let path = format!("/b/{}.json", hex1());
    mirror.route(&path, vec![Reply::status(302).header("location", &target)]);
    let dir = TestDir::new();
    workload(&dir, [1]);
    // From elsewhere: refused, and the target never reached.
    let run = check(&dir, &url_source(&mirror), &[REMOTE]);
    let (outcome, errors) = package_one(&run);
    assert_eq!(outcome, "error", "{}", run.stdout);
    assert!(errors.contains("not fetched"), "{errors}");
    assert_eq!(blob.connections(), 0);
    // From loopback: followed.
    let run = check(&dir, &url_source(&mirror), &[]);
    assert_eq!(package_one(&run).0, "pass", "{}", run.stdout);
    assert_eq!(blob.requests_to("/blob.json"), 1);

    // A chain that ends at a private address is refused at that hop.
    let chain = Server::start();
    chain.route(&path, vec![Reply::status(301).header("location", "/hop")]);
    chain.route(
        "/hop",
        vec![Reply::status(307).header("location", "https://169.254.169.254/x")],
    );
    let run = check(&dir, &url_source(&chain), &[]);
    let (outcome, errors) = package_one(&run);
    assert_eq!(outcome, "error", "{}", run.stdout);
    assert!(errors.contains("169.254.169.254"), "{errors}");
    assert_eq!(chain.requests_to("/hop"), 1);

    // Six redirects are one too many.
    let endless = Server::start();
    endless.route(&path, vec![Reply::status(302).header("location", "/r")]);
    endless.route("/r", vec![Reply::status(302).header("location", "/r")]);
    let run = check(&dir, &url_source(&endless), &[]);
    let (outcome, errors) = package_one(&run);
    assert_eq!(outcome, "error", "{}", run.stdout);
    assert!(errors.contains("more than 5 redirects"), "{errors}");
    assert_eq!(endless.requests_to("/r"), 5);
}

/// A `github` source fetches a `bundle_url` only from GitHub's blob hosts
/// and the ones the user adds: the host as the URL writes it, on every hop.
#[test]
fn a_github_bundle_url_must_be_on_a_github_blob_host() {
    let blob = blob_server();
    let api = Server::start();
    api.route(
        &format!("/repos/acme/pkg/attestations/sha256:{}", hex1()),
        vec![Reply::json(
            serde_json::json!({"attestations": [{
                "bundle_url": format!("http://127.0.0.1:{}/blob.json?sig=s", port(&blob)),
                "repository_id": 1,
            }]})
            .to_string(),
        )],
    );
    let dir = TestDir::new();
    workload(&dir, [1]);
    let mut policy = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
    policy.push_str(&format!(
        "\n[[package]]\nname = \"pkg*\"\nrepository = \"https://github.com/acme/pkg\"\n\n\
         [[source]]\nkind = \"github\"\napi-url = \"{}\"\n",
        api.base
    ));
    dir.write("provenance.toml", policy);
    let run_with = |extra: &[&str]| {
        dir.command()
            .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
            .args(["--http-retries", "0"])
            .args(extra)
            .run()
    };
    for extra in [&[][..], &["--github-bundle-host", "localhost"][..]] {
        let run = run_with(extra);
        let (outcome, errors) = package_one(&run);
        assert_eq!(outcome, "error", "{extra:?}: {}", run.stdout);
        assert!(
            errors.contains("is not one of the hosts allowed here"),
            "{extra:?}: {errors}"
        );
        assert!(
            errors.contains("tmaproduction.blob.core.windows.net"),
            "{errors}"
        );
        assert_eq!(blob.connections(), 0, "{extra:?}");
    }
    let run = run_with(&["--github-bundle-host", "127.0.0.1"]);
    assert_eq!(package_one(&run).0, "pass", "{}", run.stdout);

    // A redirect from an allowed host to another is refused at that hop.
    blob.route(
        "/blob.json",
        vec![Reply::status(302).header(
            "location",
            &format!("http://localhost:{}/moved.json", port(&blob)),
        )],
    );
    let cache = dir.join(".cache");
    std::fs::remove_dir_all(&cache).unwrap();
    let run = run_with(&["--github-bundle-host", "127.0.0.1"]);
    let (outcome, errors) = package_one(&run);
    assert_eq!(outcome, "error", "{}", run.stdout);
    assert!(
        errors.contains("localhost is not one of the hosts"),
        "{errors}"
    );
    assert_eq!(blob.requests_to("/moved.json"), 0);
}

/// IPv6 loopback is loopback: a source on `[::1]` is fetched, its answer
/// may link to `[::1]`, and not when judged as a remote server's.
#[test]
fn ipv6_loopback_is_loopback() {
    let Some(server) = Server::start_on("[::1]:0") else {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    };
    serve_blob(&server);
    server.route(
        &format!("/b/{}.json", hex1()),
        vec![Reply::json(
            serde_json::json!({"attestations": [
                {"bundle_url": format!("{}/blob.json", server.base)}
            ]})
            .to_string(),
        )],
    );
    let dir = TestDir::new();
    workload(&dir, [1]);
    let run = check(&dir, &url_source(&server), &[]);
    assert_eq!(package_one(&run).0, "pass", "{}", run.stdout);
    assert_eq!(server.requests_to("/blob.json"), 1);
    std::fs::remove_dir_all(dir.join(".cache")).unwrap();
    let run = check(&dir, &url_source(&server), &[REMOTE]);
    assert_eq!(package_one(&run).0, "error", "{}", run.stdout);
    assert_eq!(server.requests_to("/blob.json"), 1, "not asked again");
}

/// Every URL a policy names for fetching (`api-url`, `download-url`,
/// `index-url`, `template`) is held at load to the rule the HTTP client
/// enforces at run time: plain `http` to a remote host is refused with a
/// diagnostic pointing at the value, not accepted and then failed for
/// every package.
#[test]
fn plain_http_to_a_remote_host_is_refused_when_the_policy_loads() {
    for (key, source) in [
        (
            "api-url",
            "kind = \"github\"\napi-url = \"http://remote.example/api\"",
        ),
        (
            "api-url",
            "kind = \"crates-io\"\napi-url = \"http://remote.example\"",
        ),
        (
            "download-url",
            "kind = \"crates-io\"\ndownload-url = \"http://remote.example/{crate}/{version}\"",
        ),
        (
            "index-url",
            "kind = \"crates-io\"\nindex-url = \"sparse+http://remote.example/index/\"",
        ),
        (
            "template",
            "kind = \"url\"\ntemplate = \"http://remote.example/{checksum}\"",
        ),
    ] {
        let dir = TestDir::new();
        dir.write("provenance.toml", format!("[[source]]\n{source}\n"));
        let run = dir
            .command()
            .args(["policy", "check", "--color", "never"])
            .run()
            .expect_code(2);
        run.assert_stderr("error[policy-bad-");
        run.assert_stderr("only https URLs are fetched, and plain http only to a loopback address");
        // The value's line and column: `KEY = "` is followed by the URL.
        run.assert_stderr(format!("provenance.toml:3:{}", key.len() + 4));
        // Loaded through the library as an embedder would, the same refusal.
        let loaded = cargo_verify_provenance::policy::Policy::load(
            &dir.path().join("provenance.toml"),
            jiff::Timestamp::UNIX_EPOCH,
        );
        assert!(loaded.is_err(), "{key}: {source}");
    }
}

/// The policy parser holds `api-url` and `template` to the rule the client
/// enforces, and shows refused URLs without their credentials.
#[test]
fn a_policy_names_only_urls_the_client_would_fetch() {
    let policy_check = |source: &str| {
        let dir = TestDir::new();
        dir.write("provenance.toml", format!("[[source]]\n{source}\n"));
        dir.command()
            .args(["policy", "check", "--color", "never"])
            .run()
    };
    for (source, code) in [
        (
            "kind = \"github\"\napi-url = \"http://u:PASSWORD@10.0.0.1/api?t=QUERY\"",
            "policy-bad-url",
        ),
        (
            "kind = \"crates-io\"\napi-url = \"http://crates.example\"",
            "policy-bad-url",
        ),
        (
            "kind = \"github\"\napi-url = \"ftp://127.0.0.1/\"",
            "policy-bad-url",
        ),
        (
            "kind = \"url\"\ntemplate = \"http://u:PASSWORD@mirror.example/{checksum}?t=QUERY\"",
            "policy-bad-source",
        ),
        (
            "kind = \"url\"\ntemplate = \"file:///srv/{checksum}\"",
            "policy-bad-source",
        ),
    ] {
        let run = policy_check(source).expect_code(2);
        run.assert_stderr(code);
        run.assert_stderr("only https URLs are fetched");
        let shown_url = run
            .stderr
            .lines()
            .find(|l| l.contains("only https"))
            .unwrap_or_default();
        assert!(
            !shown_url.contains("PASSWORD") && !shown_url.contains("QUERY"),
            "{shown_url}"
        );
    }
    for source in [
        "kind = \"github\"\napi-url = \"https://10.0.0.1/api/v3\"",
        "kind = \"github\"\napi-url = \"http://127.0.0.1:8080\"",
        "kind = \"url\"\ntemplate = \"http://[::1]:8080/{checksum}\"",
        "kind = \"url\"\ntemplate = \"https://u:p@mirror.example/{name}/{version}\"",
    ] {
        policy_check(source).expect_code(0);
    }
}
