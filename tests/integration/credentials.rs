//! Credentials go only where the user sent them, through the binary: the
//! GitHub token reaches the API the command line or the environment names
//! and nothing else, whatever a policy file (found or given) or a server's
//! answer names; no request carries a `Referer`; and a URL's userinfo and
//! query never reach an output, the cache or a VSA.

use crate::faults::{bundles, checksum, serve, workload};
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const TOKEN: &str = "ghp_only_for_the_named_api";

/// The attestations path of package `n` on the repository endpoint.
fn path(n: u16) -> String {
    format!(
        "/repos/acme/pkg/attestations/sha256:{}",
        hex::encode(checksum(n))
    )
}

/// The API answers for packages `numbers`, one digest at a time.
fn serve_github(server: &Server, numbers: &[u16]) {
    for (n, json) in bundles(numbers) {
        server.route(
            &path(n),
            vec![Reply::json(format!(
                r#"{{"attestations":[{{"bundle":{json},"repository_id":1}}]}}"#
            ))],
        );
    }
}

/// `dir`'s workload with a policy at `policy_file` that asks GitHub at
/// `api_url` about `acme/pkg`.
fn github_policy(dir: &TestDir, policy_file: &str, api_url: &str) {
    dir.write(
        policy_file,
        format!(
            "[defaults]\nrequire = \"attested\"\n\n\
             [[package]]\nname = \"pkg*\"\nrepository = \"https://github.com/acme/pkg\"\n\n\
             [[source]]\nkind = \"github\"\napi-url = \"{api_url}\"\n\n\
             [trust]\nroots = [\"{}\"]\n",
            dir.join("trusted_root.json").display()
        ),
    );
}

fn check(dir: &TestDir, args: &[&str]) -> Run {
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
        .args(["--http-retries", "0"])
        .args(args)
        .env("GITHUB_TOKEN", TOKEN)
        .run()
}

/// The `Authorization` header of every request `server` saw.
fn authorizations(server: &Server) -> Vec<Option<String>> {
    server
        .seen()
        .iter()
        .map(|s| {
            s.headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_string())
        })
        .collect()
}

fn posts(server: &Server) -> usize {
    server.seen().iter().filter(|s| s.method == "POST").count()
}

/// A policy file names the API; the user named none (so GitHub's is the
/// token's): the policy's host gets no token, on the per-package requests
/// and on bulk-list POSTs (not even tried without the token), whether the
/// file was found in the checkout or given with `--policy`, and whichever
/// variable holds the token.
#[test]
fn a_policy_file_never_chooses_where_the_token_goes() {
    for (policy_file, given, variable) in [
        ("provenance.toml", false, "GITHUB_TOKEN"),
        (".cargo/provenance.toml", false, "GH_TOKEN"),
        ("policies/ci.toml", true, "GITHUB_TOKEN"),
    ] {
        let server = Server::start();
        serve_github(&server, &[1, 2]);
        let dir = TestDir::new();
        workload(&dir, [1, 2]);
        std::fs::remove_file(dir.join("provenance.toml")).unwrap();
        github_policy(&dir, policy_file, &server.base);
        let mut command = dir
            .command()
            .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
            .env(variable, TOKEN);
        if given {
            command = command.args(["--policy", policy_file]);
        }
        let run = command.run().expect_code(0);
        let seen = authorizations(&server);
        assert_eq!(seen.len(), 2, "{policy_file}: {}", run.stdout);
        assert!(seen.iter().all(Option::is_none), "{policy_file}: {seen:?}");
        assert_eq!(posts(&server), 0, "{policy_file}");
    }
}

/// The API the user names gets the token, on bulk-list POSTs and on the
/// per-package requests after they are refused; a policy source on another
/// port of the same address does not.
#[test]
fn the_token_goes_to_the_api_the_user_names_and_no_other() {
    for by_variable in [false, true] {
        let named = Server::start();
        serve_github(&named, &[1, 2]);
        // Another API, for another organization's packages.
        let other = Server::start();
        for (n, json) in bundles(&[3]) {
            other.route(
                &format!(
                    "/orgs/acme/attestations/sha256:{}",
                    hex::encode(checksum(n))
                ),
                vec![Reply::json(format!(
                    r#"{{"attestations":[{{"bundle":{json},"repository_id":1}}]}}"#
                ))],
            );
        }
        let dir = TestDir::new();
        workload(&dir, [1, 2, 3]);
        github_policy(&dir, "provenance.toml", &named.base);
        let mut policy = std::fs::read_to_string(dir.join("provenance.toml")).unwrap();
        policy.push_str(&format!(
            "\n[[source]]\nkind = \"github\"\norg = \"acme\"\napi-url = \"{}\"\n",
            other.base
        ));
        dir.write("provenance.toml", policy);
        let run = if by_variable {
            dir.command()
                .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
                .env("GITHUB_TOKEN", TOKEN)
                .env("GITHUB_API_URL", &named.base)
                .run()
        } else {
            check(&dir, &["--github-api-url", &named.base])
        };
        run.expect_code(0);
        let bearer = Some(format!("Bearer {TOKEN}"));
        let seen = authorizations(&named);
        assert!(posts(&named) >= 1, "bulk-list is used with the token");
        assert!(seen.len() >= 3, "{seen:?}");
        assert!(seen.iter().all(|a| *a == bearer), "{seen:?}");
        let elsewhere = authorizations(&other);
        assert!(!elsewhere.is_empty());
        assert!(elsewhere.iter().all(Option::is_none), "{elsewhere:?}");
    }
}

/// A redirect from the named API keeps the token only to the API's own
/// origin (a renamed repository), never to another port or host; no hop
/// carries a `Referer`.
#[test]
fn a_redirect_carries_the_token_only_to_the_apis_own_origin() {
    let api = Server::start();
    let elsewhere = Server::start();
    serve_github(&elsewhere, &[1]);
    // Package 1 moved to another origin; package 2 to another path of the API.
    api.route(
        &path(1),
        vec![Reply::status(301).header("location", &elsewhere.url(&path(1)))],
    );
    let moved = format!(
        "/repositories/1/attestations/sha256:{}",
        hex::encode(checksum(2))
    );
    api.route(
        &path(2),
        vec![Reply::status(301).header("location", &moved)],
    );
    for (n, json) in bundles(&[2]) {
        assert_eq!(n, 2);
        api.route(
            &moved,
            vec![Reply::json(format!(
                r#"{{"attestations":[{{"bundle":{json},"repository_id":1}}]}}"#
            ))],
        );
    }
    let dir = TestDir::new();
    workload(&dir, [1, 2]);
    github_policy(&dir, "provenance.toml", &api.base);
    // One package at a time, no bulk listing: each redirect on its own.
    let run = check(&dir, &["--github-api-url", &api.base, "--jobs", "1"]);
    let bearer = Some(format!("Bearer {TOKEN}"));
    assert!(
        authorizations(&api).iter().all(|a| *a == bearer),
        "{:?}",
        authorizations(&api)
    );
    assert_eq!(api.requests_to(&moved), 1, "{}", run.stdout);
    assert_eq!(elsewhere.requests_to(&path(1)), 1, "{}", run.stdout);
    assert!(authorizations(&elsewhere).iter().all(Option::is_none));
    for seen in api.seen().iter().chain(elsewhere.seen().iter()) {
        assert!(seen.headers.get("referer").is_none(), "{seen:?}");
    }
}

/// Through a chain of redirects of a URL template and of a `bundle_url`,
/// no request carries a `Referer` (which would hand the previous URL, its
/// query included, to the next host).
#[test]
fn no_request_ever_carries_a_referer() {
    let first = Server::start();
    let second = Server::start();
    serve(&second, &[1]);
    let hex1 = hex::encode(checksum(1));
    first.route(
        &format!("/a/{hex1}.json"),
        vec![Reply::status(302).header("location", &format!("/b/{hex1}.json?hop=2"))],
    );
    first.route(
        &format!("/b/{hex1}.json"),
        vec![Reply::status(307).header("location", &second.url(&format!("/b/{hex1}.json")))],
    );
    let dir = TestDir::new();
    workload(&dir, [1]);
    let template = format!("url:{}/a/{{checksum}}.json?sig=SECRET", first.base);
    let run = check(&dir, &["--source", &template]).expect_code(0);
    assert_eq!(first.seen().len(), 2, "{}", run.stdout);
    assert_eq!(second.seen().len(), 1, "{}", run.stdout);
    for seen in first.seen().iter().chain(second.seen().iter()) {
        assert!(seen.headers.get("referer").is_none(), "{seen:?}");
    }
}

/// Every text a run leaves: its outputs in every format, the job summary,
/// the VSA, and the cache.
fn everything_written(dir: &TestDir, args: &[&str]) -> Vec<(String, String)> {
    let mut written = Vec::new();
    let summary = dir.join("summary.md");
    for format in ["human", "json", "sarif"] {
        let run = dir
            .command()
            .args(["--lockfile", "Cargo.lock", "--message-format", format])
            .args(["--http-retries", "0", "-v"])
            .args(["--vsa-out", "vsa.jsonl"])
            .args(args)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .run();
        written.push((format!("{format} stdout"), run.stdout));
        written.push((format!("{format} stderr"), run.stderr));
    }
    let fetch = dir
        .command()
        .args([
            "fetch",
            "--lockfile",
            "Cargo.lock",
            "--message-format",
            "json",
        ])
        .args(["--http-retries", "0"])
        .args(args)
        .run();
    written.push(("fetch stdout".into(), fetch.stdout));
    written.push(("fetch stderr".into(), fetch.stderr));
    for file in ["summary.md", "vsa.jsonl"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        written.push((file.into(), text));
    }
    for (path, bytes) in crate::faults::cache_files(&dir.join(".cache")) {
        written.push((
            path.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    written
}

fn assert_no_secret(written: &[(String, String)], secrets: &[&str]) {
    for (what, text) in written {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} in {what}:\n{text}");
        }
    }
}

/// A template with `user:password@` and a `?token=`: the mirror gets them
/// (the user sent them there), but no output, no job summary, no VSA `uri`
/// and no cache entry shows them, whether the package passes or the mirror
/// fails.
#[test]
fn userinfo_and_query_never_reach_an_output_the_cache_or_the_vsa() {
    let server = Server::start();
    serve(&server, &[1]);
    server.route(
        &format!("/b/{}.json", hex::encode(checksum(2))),
        vec![Reply::status(500)],
    );
    let dir = TestDir::new();
    workload(&dir, [1, 2]);
    let authority = server
        .base
        .replace("http://", "http://mirror-user:PASSWORD@");
    let template = format!("url:{authority}/b/{{checksum}}.json?token=QUERYSECRET#FRAGMENT");
    let written = everything_written(&dir, &["--source", &template]);
    let vsa = &written
        .iter()
        .find(|(what, _)| what == "vsa.jsonl")
        .unwrap()
        .1;
    assert!(vsa.contains("/b/"), "the VSA names the bundle's URL: {vsa}");
    let json = &written
        .iter()
        .find(|(what, _)| what == "json stdout")
        .unwrap()
        .1;
    assert!(json.contains("\"outcome\":\"pass\""), "{json}");
    assert!(json.contains("server error 500"), "{json}");
    assert_no_secret(
        &written,
        &["PASSWORD", "mirror-user", "QUERYSECRET", "FRAGMENT"],
    );
    // The mirror got what the user sent it.
    let seen = server.seen();
    assert!(seen
        .iter()
        .all(|s| s.path_and_query.contains("token=QUERYSECRET")));
    assert!(seen
        .iter()
        .all(|s| s.headers.get("authorization").is_some()));
}

/// The same for a policy's `[[source]]` URL that cannot be reached, and one
/// that is refused: the errors name the URL redacted.
#[test]
fn errors_name_urls_without_userinfo_or_query() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dir = TestDir::new();
    workload(&dir, [1]);
    for source in [
        format!("url:http://u:PASSWORD@127.0.0.1:{closed}/{{checksum}}?token=QUERYSECRET"),
        "url:http://u:PASSWORD@203.0.113.9/{checksum}?token=QUERYSECRET".to_string(),
    ] {
        let written = everything_written(&dir, &["--source", &source]);
        assert_no_secret(&written, &["PASSWORD", "QUERYSECRET"]);
    }
    github_policy(
        &dir,
        "provenance.toml",
        &format!("http://u:PASSWORD@127.0.0.1:{closed}/api?token=QUERYSECRET"),
    );
    let written = everything_written(&dir, &[]);
    assert_no_secret(&written, &["PASSWORD", "QUERYSECRET"]);
}

/// A `crates-io` source whose `index-url`, `api-url` and `download-url`
/// carry `user:password@` and a `?token=` (a private mirror's
/// credentials): the mirror gets them, but neither the cache nor any
/// output holds them, whether the index answers, the download is missing
/// or its bytes are not the lockfile's.
#[test]
fn a_crates_io_mirrors_secrets_never_reach_the_cache_or_an_output() {
    let server = Server::start();
    server.route(
        "/index/pk/g1/pkg1",
        vec![Reply::json(format!(
            r#"{{"name":"pkg1","vers":"1.0.0","deps":[],"cksum":"{}","features":{{}},"yanked":false,"pubtime":"2020-01-01T00:00:00Z"}}"#,
            hex::encode(checksum(1))
        ))
        .header("etag", "\"e1\"")],
    );
    server.route("/dl/pkg1-1.0.0.crate", vec![Reply::status(404)]);
    server.route("/dl/pkg2-1.0.0.crate", vec![Reply::json("not the package")]);
    let dir = TestDir::new();
    workload(&dir, [1, 2]);
    let authority = server
        .base
        .replace("http://", "http://mirror-user:PASSWORD@");
    dir.write(
        "provenance.toml",
        format!(
            "[defaults]\nmin-age = \"7 days\"\nsource-matches = true\n\n\
             [[source]]\nkind = \"crates-io\"\napi-url = \"{authority}\"\n\
             index-url = \"sparse+{authority}/index/\"\n\
             download-url = \"{authority}/dl/{{crate}}-{{version}}.crate?token=QUERYSECRET\"\n"
        ),
    );
    let written = everything_written(&dir, &["--now", "2026-01-01T00:00:00Z", "--jobs", "1"]);
    let json = &written
        .iter()
        .find(|(what, _)| what == "json stdout")
        .unwrap()
        .1;
    assert!(
        json.contains("\"published\":\"2020-01-01T00:00:00Z\""),
        "the index was read: {json}"
    );
    assert!(
        json.contains("answered 404"),
        "the download was tried: {json}"
    );
    assert!(
        json.contains("not the lockfile's checksum"),
        "the download was checked: {json}"
    );
    assert_no_secret(&written, &["PASSWORD", "mirror-user", "QUERYSECRET"]);
}
