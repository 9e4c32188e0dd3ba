//! `fetch` through the binary: a second run with `--offline` makes no
//! connection and finds the same, and two runs filling one cache at once
//! lose nothing.

use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};

use crate::harness::TestDir;
use crate::server::{Reply, Server};

fn checksum(n: u16) -> [u8; 32] {
    let mut bytes = [0x77; 32];
    bytes[..2].copy_from_slice(&n.to_be_bytes());
    bytes
}

/// A lockfile of `count` crates.io packages `pkgN` 1.0.0.
fn lockfile(count: u16) -> String {
    let mut text = String::from("version = 4\n");
    for n in 0..count {
        text.push_str(&format!(
            "\n[[package]]\nname = \"pkg{n}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            hex::encode(checksum(n))
        ));
    }
    text
}

/// Serve a minted bundle for every package whose number `has_bundle` accepts
/// at `/b/{checksum}.json`; the others get 404.
fn serve(server: &Server, count: u16, has_bundle: impl Fn(u16) -> bool) {
    let instance = Instance::new(60);
    let requests: Vec<MintRequest> = (0..count)
        .filter(|n| has_bundle(*n))
        .map(|n| {
            MintRequest::new(
                &format!("pkg{n}"),
                "1.0.0",
                checksum(n),
                Claims::github("acme/pkg", "1.0.0"),
            )
        })
        .collect();
    for (request, minted) in requests.iter().zip(instance.mint_batch(&requests)) {
        server.route(
            &format!("/b/{}.json", hex::encode(request.sha256)),
            vec![Reply::json(minted.to_json())],
        );
    }
}

fn source(server: &Server) -> String {
    format!("url:{}/b/{{checksum}}.json", server.base)
}

/// The per-package results of a `fetch --format json` run, without the
/// "answered from the cache" flags.
fn results(stdout: &str) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_str(stdout).expect("JSON output");
    for package in value["packages"].as_array_mut().unwrap() {
        for outcome in package["outcomes"].as_array_mut().unwrap() {
            outcome.as_object_mut().unwrap().remove("cached");
        }
    }
    value["packages"].take()
}

#[test]
fn a_second_run_offline_makes_no_connection_and_finds_the_same() {
    let server = Server::start();
    serve(&server, 12, |n| n % 3 != 0);
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(12));
    let fetch = |extra: &[&str]| {
        dir.command()
            .args([
                "fetch",
                "--lockfile",
                "Cargo.lock",
                "--format",
                "json",
                "--source",
            ])
            .arg(source(&server))
            .args(extra)
            .run()
    };
    let online = fetch(&[]).expect_code(0);
    assert!(server.connections() > 0);
    let connections = server.connections();
    let requests = server.seen().len();
    assert_eq!(requests, 12);

    let offline = fetch(&["--offline"]).expect_code(0);
    assert_eq!(
        server.connections(),
        connections,
        "offline made a connection"
    );
    assert_eq!(server.seen().len(), requests);
    assert_eq!(results(&offline.stdout), results(&online.stdout));
    let packages = results(&offline.stdout);
    let with_bundles = packages
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["documents"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(with_bundles, 8);

    // CARGO_NET_OFFLINE=true and --frozen are offline too.
    let run = dir
        .command()
        .args(["fetch", "--lockfile", "Cargo.lock", "--source"])
        .arg(source(&server))
        .env("CARGO_NET_OFFLINE", "true")
        .run()
        .expect_code(0);
    run.assert_stdout("pkg1@1.0.0");
    dir.command()
        .args(["fetch", "--frozen", "--lockfile", "Cargo.lock", "--source"])
        .arg(source(&server))
        .run()
        .expect_code(0);
    assert_eq!(server.connections(), connections);
}

#[test]
fn offline_lists_the_packages_missing_from_the_cache_with_the_fix() {
    let server = Server::start();
    serve(&server, 3, |_| true);
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(3));
    let run = dir
        .command()
        .args(["fetch", "--offline", "--lockfile", "Cargo.lock", "--source"])
        .arg(source(&server))
        .run()
        .expect_code(2);
    assert_eq!(server.connections(), 0);
    for n in 0..3 {
        run.assert_stderr(format!("pkg{n}@1.0.0"));
    }
    run.assert_stderr("run `cargo verify-provenance fetch`");
}

#[test]
fn two_runs_filling_one_cache_at_once_lose_nothing() {
    const COUNT: u16 = 150;
    let server = Server::start();
    serve(&server, COUNT, |n| n % 5 != 0);
    server.set_latency(std::time::Duration::from_millis(2));
    let dir = TestDir::new();
    // Overlapping halves: both runs write packages 50..100.
    let first: String = lockfile(100);
    let mut second = String::from("version = 4\n");
    second.push_str(
        &lockfile(COUNT)
            .split("\n[[package]]")
            .skip(51)
            .map(|p| format!("\n[[package]]{p}"))
            .collect::<String>(),
    );
    dir.write("a/Cargo.lock", first);
    dir.write("b/Cargo.lock", second);
    let spawn = |lockfile: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cargo-verify-provenance"))
            .current_dir(dir.path())
            .env("CARGO_VERIFY_PROVENANCE_CACHE", dir.join(".cache"))
            .env_remove("CARGO_NET_OFFLINE")
            .args([
                "fetch",
                "-q",
                "--jobs",
                "8",
                "--lockfile",
                lockfile,
                "--source",
            ])
            .arg(source(&server))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the binary")
    };
    let mut a = spawn("a/Cargo.lock");
    let mut b = spawn("b/Cargo.lock");
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());

    dir.write("all/Cargo.lock", lockfile(COUNT));
    let connections = server.connections();
    let run = dir
        .command()
        .args([
            "fetch",
            "--offline",
            "--format",
            "json",
            "--lockfile",
            "all/Cargo.lock",
            "--source",
        ])
        .arg(source(&server))
        .run()
        .expect_code(0);
    assert_eq!(server.connections(), connections);
    let packages = results(&run.stdout);
    let packages = packages.as_array().unwrap();
    assert_eq!(packages.len(), COUNT as usize);
    for package in packages {
        let name = package["name"].as_str().unwrap();
        let n: u16 = name.trim_start_matches("pkg").parse().unwrap();
        let documents = package["documents"].as_array().unwrap().len();
        let expected = usize::from(n % 5 != 0);
        assert_eq!(documents, expected, "{package}");
    }
    // No temporary file is left behind, and every entry is whole JSON.
    let mut stack = vec![dir.join(".cache/attestations")];
    let mut entries = 0;
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = entry.file_name().to_string_lossy().to_string();
                assert!(!name.starts_with(".tmp"), "leftover {name}");
                let _: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                entries += 1;
            }
        }
    }
    assert_eq!(entries, COUNT as usize);
}

#[test]
fn the_policy_names_sources_repositories_and_the_cache_time() {
    let server = Server::start();
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(2));
    dir.write(
        "provenance.toml",
        format!(
            "[[package]]\nname = \"pkg0\"\nrepository = \"https://github.com/acme/widget\"\n\n\
             [[source]]\nkind = \"github\"\napi-url = \"{}\"\n\n\
             [cache]\nno-attestation-ttl = \"0s\"\n",
            server.base
        ),
    );
    let fetch = || {
        dir.command()
            .args(["fetch", "--lockfile", "Cargo.lock", "-v"])
            .run()
            .expect_code(0)
    };
    let run = fetch();
    // pkg0 is looked up in the repository the policy expects; pkg1 has none.
    let path = format!(
        "/repos/acme/widget/attestations/sha256:{}",
        hex::encode(checksum(0))
    );
    assert_eq!(server.requests_to(&path), 1);
    assert_eq!(server.seen().len(), 1);
    run.assert_stdout("not applicable");
    // A time-to-live of zero: "no attestation" is asked again each run.
    fetch();
    assert_eq!(server.requests_to(&path), 2);
}

#[test]
fn quiet_prints_nothing_on_stderr_and_verbose_lists_ignored_bundles() {
    let server = Server::start();
    let instance = Instance::new(61);
    // Package 0's URL serves a bundle for package 1.
    let minted = instance.mint(&MintRequest::new(
        "pkg1",
        "1.0.0",
        checksum(1),
        Claims::github("acme/pkg", "1.0.0"),
    ));
    server.route(
        &format!("/b/{}.json", hex::encode(checksum(0))),
        vec![Reply::json(minted.to_json())],
    );
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1));
    let run = dir
        .command()
        .args(["fetch", "-q", "--lockfile", "Cargo.lock", "--source"])
        .arg(source(&server))
        .run()
        .expect_code(0);
    assert_eq!(
        run.stderr, "",
        "no progress bar or summary off a terminal with -q"
    );
    assert!(run.stdout.contains("pkg0@1.0.0") && run.stdout.contains("no attestation"));
    assert!(!run.stdout.contains("ignored"));
    let run = dir
        .command()
        .args([
            "fetch",
            "-v",
            "--offline",
            "--lockfile",
            "Cargo.lock",
            "--source",
        ])
        .arg(source(&server))
        .run()
        .expect_code(0);
    assert!(
        run.stdout.contains("ignored") && run.stdout.contains(&hex::encode(checksum(1))),
        "{}",
        run.stdout
    );
    run.assert_stderr("1 package: 0 with bundles");
}

/// The totals line of a human `fetch` run: every package in exactly one
/// class.
fn totals(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|l| l.contains(" with bundles, "))
        .unwrap_or_else(|| panic!("no totals line:\n{stderr}"))
}

#[test]
fn the_fetch_summary_accounts_for_every_package() {
    let server = Server::start();
    // pkg0..pkg9: bundles for 1, 2, 4, 5, 7, 8; none for 3, 6, 9; the
    // server fails for pkg0 every time.
    serve(&server, 10, |n| n % 3 != 0);
    server.route(
        &format!("/b/{}.json", hex::encode(checksum(0))),
        vec![Reply::status(500); 20],
    );
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(10));
    let fetch = |extra: &[&str]| {
        dir.command()
            .args([
                "fetch",
                "--lockfile",
                "Cargo.lock",
                "--color",
                "never",
                "--source",
            ])
            .arg(source(&server))
            .args(extra)
            .run()
    };
    let online = fetch(&[]).expect_code(2);
    assert_eq!(
        totals(&online.stderr),
        "10 packages: 6 with bundles, 0 registry-asserted, 3 no attestation, 1 could not be fetched, 0 not in the cache",
        "{}",
        online.stderr
    );
    // The failure is one warning with its count, not a line per package.
    let failed: Vec<&str> = online
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning[source-failed]: "))
        .collect();
    assert_eq!(failed.len(), 1, "{}", online.stderr);
    assert!(failed[0].contains("for 1 package"), "{}", online.stderr);
    online
        .assert_stdout("pkg1@1.0.0")
        .assert_stdout("1 bundle from ");

    // Offline, pkg0 was never cached.
    let offline = fetch(&["--offline"]).expect_code(2);
    assert_eq!(
        totals(&offline.stderr),
        "10 packages: 6 with bundles, 0 registry-asserted, 3 no attestation, 0 could not be fetched, 1 not in the cache",
        "{}",
        offline.stderr
    );
    offline.assert_stderr("error[offline-not-cached]: ");
}
