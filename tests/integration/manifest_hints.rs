//! Where GitHub is asked for a package that neither the policy nor cargo's
//! metadata places (a bare lockfile): the `repository` of the package's own
//! manifest, read from its `.crate` in cargo's download cache, and only
//! where the manifest names none, crates.io's list of crates. Through the
//! binary, with `CARGO_HOME` a folder the test fills and GitHub and
//! crates.io on 127.0.0.1.

use cargo_verify_provenance::testkit::crates::CrateBuilder;

use crate::fixtures::api_file;
use crate::harness::TestDir;
use crate::min_age::lockfile;
use crate::server::{Reply, Server};

/// A `.crate` whose manifest names `repository` (none when `None`), put in
/// cargo's download cache under `home`; its checksum, hex.
fn cached_crate(home: &std::path::Path, name: &str, repository: Option<&str>) -> String {
    let mut manifest = format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\n");
    if let Some(repository) = repository {
        manifest.push_str(&format!("repository = \"{repository}\"\n"));
    }
    let bytes = CrateBuilder::new(name, "1.0.0")
        .file("Cargo.toml", manifest)
        .file("src/lib.rs", "")
        .build();
    let folder = home.join("registry/cache/index.crates.io-1949cf8c6b5b557f");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(format!("{name}-1.0.0.crate")), &bytes).unwrap();
    sigstore_crypto::sha256(&bytes).to_hex()
}

/// A server answering as GitHub and crates.io, whose list of crates says
/// where `beta` lives.
fn services(krate: &serde_json::Value) -> Server {
    let server = Server::start();
    let mut listed = krate["crate"].clone();
    listed["name"] = "beta".into();
    listed["repository"] = "https://github.com/acme/beta".into();
    server.route(
        "/api/v1/crates",
        vec![Reply::json(
            serde_json::json!({"crates": [listed], "meta": {"total": 1}}).to_string(),
        )],
    );
    server
}

/// Both kinds of source at `server`.
fn policy(dir: &TestDir, server: &Server) {
    dir.write(
        "provenance.toml",
        format!(
            "[[source]]\nkind = \"github\"\napi-url = \"{0}\"\n\n[[source]]\nkind = \"crates-io\"\napi-url = \"{0}\"\n",
            server.base
        ),
    );
}

/// Every path and query `server` was asked for.
fn asked(server: &Server) -> Vec<String> {
    server
        .seen()
        .iter()
        .map(|s| s.path_and_query.clone())
        .collect()
}

/// Whether GitHub was asked for `name`'s attestations in `acme/name`.
fn github_asked(asked: &[String], name: &str, checksum: &str) -> bool {
    let path = format!("/repos/acme/{name}/attestations/sha256:{checksum}");
    asked.iter().any(|p| p.starts_with(&path))
}

/// What crates.io's API was asked for.
fn crates_io(asked: &[String]) -> Vec<&str> {
    asked
        .iter()
        .filter(|p| p.starts_with("/api/v1/"))
        .map(String::as_str)
        .collect()
}

#[test]
fn github_is_asked_where_the_manifest_says_and_crates_io_only_for_the_rest() {
    let test = "github_is_asked_where_the_manifest_says_and_crates_io_only_for_the_rest";
    let Some(krate) = api_file(test, "crates-io/crate-trustpub-only-false.json") else {
        return;
    };
    let krate: serde_json::Value = serde_json::from_slice(&krate).unwrap();
    let dir = TestDir::new();
    let home = dir.join("cargo");
    let alpha = cached_crate(&home, "alpha", Some("https://github.com/acme/alpha"));
    let beta = cached_crate(&home, "beta", None);
    dir.write(
        "Cargo.lock",
        lockfile(&[("alpha", "1.0.0", &alpha), ("beta", "1.0.0", &beta)]),
    );
    let run = |server: &Server, command: &[&str]| {
        policy(&dir, server);
        dir.command()
            .env("CARGO_HOME", &home)
            .args(command)
            .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
            .args(["--color", "never", "--crates-io-interval-ms", "0"])
            .run();
        asked(server)
    };
    let only_beta = ["/api/v1/crates?ids[]=beta&per_page=100"];

    // The main job: GitHub where each manifest (else crates.io) says the
    // crate lives; crates.io one list request, for beta only.
    let first = run(&services(&krate), &[]);
    assert!(github_asked(&first, "alpha", &alpha), "{first:#?}");
    assert!(github_asked(&first, "beta", &beta), "{first:#?}");
    assert_eq!(crates_io(&first), only_beta, "{first:#?}");

    // `fetch` (no source comparison) reads the manifest itself.
    let fetched = run(&services(&krate), &["fetch"]);
    assert!(github_asked(&fetched, "alpha", &alpha), "{fetched:#?}");
    assert_eq!(crates_io(&fetched), only_beta, "{fetched:#?}");

    // Once compared, the package's repository is known without its
    // `.crate`: cargo's copy gone, nothing downloaded, crates.io still not
    // asked about alpha (a new server: nothing of GitHub's is cached).
    std::fs::remove_file(
        home.join("registry/cache/index.crates.io-1949cf8c6b5b557f/alpha-1.0.0.crate"),
    )
    .unwrap();
    for command in [&[][..], &["fetch"][..]] {
        let server = services(&krate);
        let warm = run(&server, command);
        assert!(
            github_asked(&warm, "alpha", &alpha),
            "{command:?} {warm:#?}"
        );
        assert!(!warm.iter().any(|p| p.contains("download")), "{warm:#?}");
    }
}
