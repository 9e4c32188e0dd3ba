//! The first run of this project's own `Cargo.lock`, through the binary,
//! against a loopback server answering as GitHub, crates.io and its sparse
//! index do: 50 ms added to every response, crates.io paced by the tool at
//! one request a second, GitHub without a token (60 requests, then
//! rate-limited answers). Each scenario runs cold (empty cache), then warm.
//!
//! ```sh
//! cargo bench --features testkit --bench first_run
//! cargo bench --features testkit --bench first_run -- --scenarios needed,trustpub-only
//! cargo bench --features testkit --bench first_run -- --crates-io-interval-ms 100
//! ```
//!
//! Scenarios (the policy's `[defaults]`): `needed` (nothing that needs
//! crates.io's records), `token` (the same with `GITHUB_TOKEN` set, for
//! the server: 5,000 requests an hour and bulk listings), `trustpub-only` (`trustpub-only = true`),
//! `registry-asserted` (`require = "registry-asserted"`: one request per
//! crate name, at crates.io's pace). Cargo's home is an empty folder, so
//! no `.crate` is at hand: repository hints come from crates.io's list of
//! crates and no source comparison reaches a repository.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../tests/integration/fixtures.rs"]
mod fixtures;
#[path = "../tests/integration/server.rs"]
mod server;

use server::{Reply, Server};

/// crates.io's recorded answers the server's are made from.
struct Recorded {
    krate: Value,
    version: Value,
}

/// GitHub's allowance per hour without a token, and with one.
const GITHUB_ANONYMOUS: usize = 60;
const GITHUB_TOKEN: usize = 5_000;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

/// The value of every `ids[]` in a query.
fn ids(path_and_query: &str) -> Vec<String> {
    let query = path_and_query.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == "ids[]")
        .map(|(_, value)| value.into_owned())
        .collect()
}

/// Each registry package's version and checksum in `lockfile`, by name.
fn locked(lockfile: &Path) -> HashMap<String, Vec<(String, String)>> {
    let text = std::fs::read_to_string(lockfile).unwrap();
    let parsed: toml::Value = toml::from_str(&text).unwrap();
    let mut by_name: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for package in parsed["package"].as_array().unwrap() {
        let field = |key: &str| package.get(key).and_then(|v| v.as_str());
        if !field("source").is_some_and(|s| s.starts_with("registry+")) {
            continue;
        }
        let (Some(name), Some(version), Some(checksum)) =
            (field("name"), field("version"), field("checksum"))
        else {
            continue;
        };
        by_name
            .entry(name.to_string())
            .or_default()
            .push((version.to_string(), checksum.to_string()));
    }
    by_name
}

/// A server answering as the services do, from crates.io's recorded
/// answers (`krate` for a crate, `version` for a token-published version):
/// every crate lives at `github.com/bench/NAME`, its crates.io record says
/// `trustpub_only`, and each locked version was published with a token.
fn services(
    recorded: &Recorded,
    locked: HashMap<String, Vec<(String, String)>>,
    latency: Duration,
    github_allows: usize,
) -> Server {
    let server = Server::start();
    server.set_latency(latency);
    let asked = Arc::new(AtomicUsize::new(0));
    let limited = move || {
        if asked.fetch_add(1, Ordering::SeqCst) < github_allows {
            None
        } else {
            let reset = jiff::Timestamp::now().as_second() + 3600;
            Some(
                Reply::status(403)
                    .header("x-ratelimit-remaining", "0")
                    .header("x-ratelimit-reset", &reset.to_string()),
            )
        }
    };
    let limited = Arc::new(limited);
    // With a token: one owner's bulk listing, no attestation for any digest.
    for kind in ["/orgs/", "/users/"] {
        let limited = limited.clone();
        server.respond(kind, move |_| {
            limited().unwrap_or_else(|| {
                Reply::json(r#"{"attestations_subject_digests":{},"page_info":{"has_next":false}}"#)
            })
        });
    }
    server.respond("/repos/", move |_| {
        if let Some(refused) = limited() {
            refused
        } else {
            Reply::status(404).header("content-type", "application/json")
        }
    });
    let record = recorded.krate["crate"].clone();
    let version = recorded.version["version"].clone();
    let versions = move |name: &str| -> Vec<Value> {
        let locked = locked.get(name).cloned().unwrap_or_default();
        locked
            .into_iter()
            .map(|(num, checksum)| {
                let mut version = version.clone();
                version["crate"] = name.into();
                version["num"] = num.into();
                version["checksum"] = checksum.into();
                version["created_at"] = "2025-01-01T00:00:00Z".into();
                version
            })
            .collect()
    };
    let one = move |name: &str| {
        let mut record = record.clone();
        record["name"] = name.into();
        record["id"] = name.into();
        record["repository"] = format!("https://github.com/bench/{name}").into();
        record["versions"] = Value::Array(Vec::new());
        record
    };
    server.respond("/api/v1/crates", move |path_and_query| {
        let path = path_and_query.split('?').next().unwrap_or_default();
        let answer = match path.strip_prefix("/api/v1/crates/") {
            // One crate, with its locked versions.
            Some(name) => serde_json::json!({"crate": one(name), "versions": versions(name)}),
            None => {
                let crates: Vec<Value> = ids(path_and_query).iter().map(|n| one(n)).collect();
                serde_json::json!({"meta": {"total": crates.len()}, "crates": crates})
            }
        };
        Reply::json(answer.to_string())
    });
    server
}

/// Requests by service: GitHub, crates.io's list, crates.io's per-crate
/// records, the sparse index, the rest.
fn count(server: &Server, from: usize) -> [usize; 5] {
    let mut counts = [0; 5];
    for seen in server.seen().iter().skip(from) {
        let path = seen.path_and_query.split('?').next().unwrap_or_default();
        let slot = if ["/repos/", "/orgs/", "/users/"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            0
        } else if path == "/api/v1/crates" {
            1
        } else if path.starts_with("/api/v1/crates/") {
            2
        } else if path.starts_with("/index/") {
            3
        } else {
            4
        };
        counts[slot] += 1;
    }
    counts
}

/// How many packages ended with each outcome, from the JSON messages.
fn outcomes(stdout: &str) -> String {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message["reason"] == "package" {
            let outcome = message["outcome"].as_str().unwrap_or("?").to_string();
            *counts.entry(outcome).or_default() += 1;
        }
    }
    counts
        .iter()
        .map(|(outcome, n)| format!("{n} {outcome}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() {
    let latency = Duration::from_millis(arg("--latency-ms").map_or(50, |v| v.parse().unwrap()));
    let interval = arg("--crates-io-interval-ms");
    let scenarios =
        arg("--scenarios").unwrap_or_else(|| "needed,token,trustpub-only,registry-asserted".into());
    let read = |file: &str| -> Option<Value> {
        let bytes = fixtures::api_file("first_run", &format!("crates-io/{file}"))?;
        Some(serde_json::from_slice(&bytes).unwrap())
    };
    let (Some(krate), Some(version)) = (
        read("crate-trustpub-only-true.json"),
        read("version-token-published.json"),
    ) else {
        return;
    };
    let recorded = Recorded { krate, version };
    let lockfile = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    let names = std::fs::read_to_string(&lockfile)
        .unwrap()
        .matches("source = \"registry+")
        .count();
    println!(
        "this project's Cargo.lock: {names} registry packages; {} ms per response; crates.io interval {}",
        latency.as_millis(),
        interval.as_deref().map_or("1000 ms (the tool's default)".to_string(), |ms| format!("{ms} ms"))
    );
    println!("| scenario | run | wall clock | GitHub | crates.io list | crates.io per crate | index | exit | progress lines | outcomes |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for scenario in scenarios.split(',') {
        let (defaults, token) = match scenario {
            "needed" => ("", false),
            "token" => ("", true),
            "trustpub-only" => ("trustpub-only = true\n", false),
            "registry-asserted" => ("require = \"registry-asserted\"\n", false),
            other => {
                panic!("--scenarios {other}: use needed, token, trustpub-only, registry-asserted")
            }
        };
        let allows = if token {
            GITHUB_TOKEN
        } else {
            GITHUB_ANONYMOUS
        };
        let server = services(&recorded, locked(&lockfile), latency, allows);
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(&lockfile, dir.path().join("Cargo.lock")).unwrap();
        std::fs::create_dir(dir.path().join("cargo-home")).unwrap();
        std::fs::write(
            dir.path().join("provenance.toml"),
            format!(
                "[defaults]\n{defaults}\n[[source]]\nkind = \"github\"\napi-url = \"{0}\"\n\n[[source]]\nkind = \"crates-io\"\napi-url = \"{0}\"\nindex-url = \"sparse+{0}/index/\"\n",
                server.base
            ),
        )
        .unwrap();
        for run in ["cold", "warm"] {
            let from = server.seen().len();
            let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-verify-provenance"));
            command
                .current_dir(dir.path())
                .env("CARGO_HOME", dir.path().join("cargo-home"))
                .env("CARGO_VERIFY_PROVENANCE_CACHE", dir.path().join("cache"))
                .env_remove("GITHUB_TOKEN")
                .env_remove("GH_TOKEN")
                .env_remove("CARGO_NET_OFFLINE")
                .args(["--lockfile", "Cargo.lock", "--message-format", "json"])
                .args(["--color", "never"]);
            if token {
                command
                    .env("GITHUB_TOKEN", "bench-token")
                    .env("GITHUB_API_URL", &server.base);
            }
            if let Some(ms) = &interval {
                command.args(["--crates-io-interval-ms", ms]);
            }
            let started = Instant::now();
            let output = command.output().unwrap();
            let elapsed = started.elapsed();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let progress = stderr
                .lines()
                .filter(|l| l.starts_with("fetching provenance: "))
                .count();
            let [github, list, records, index, other] = count(&server, from);
            assert_eq!(other, 0, "unexpected requests: {:#?}", server.seen());
            println!(
                "| {scenario} | {run} | {:.1} s | {github} | {list} | {records} | {index} | {} | {progress} | {} |",
                elapsed.as_secs_f64(),
                output.status.code().unwrap_or(-1),
                outcomes(&String::from_utf8_lossy(&output.stdout)),
            );
        }
    }
}
