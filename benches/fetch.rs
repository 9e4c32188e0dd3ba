//! Fetch benchmark: 1,000 packages from a loopback server that adds 50 ms
//! to every response (cold), then the same from the cache (warm).
//!
//! `cargo bench --features testkit --bench fetch` (options: `--packages N`,
//! `--latency-ms N`, `--jobs N`, `--rounds N`, `--shape url|github|crates-io`).
//!
//! Shapes: `url` serves each bundle at a URL template; `github` answers as
//! GitHub does today, a list naming a `bundle_url` and the snappy blob
//! behind it (two requests per attested package); `crates-io` answers
//! `GET /api/v1/crates/{name}` for each package, at crates.io's rate of one
//! request a second (use few packages: it takes a second each).

use std::time::{Duration, Instant};

use cargo_verify_provenance::lockfile::PackageSource;
use cargo_verify_provenance::policy::SourceSpec;
use cargo_verify_provenance::testkit::internals::cache::Cache;
use cargo_verify_provenance::testkit::internals::fetch::{fetch, FetchOptions};
use cargo_verify_provenance::testkit::internals::sources::PackageQuery;
use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use sigstore_types::Sha256Hash;

#[path = "../tests/integration/server.rs"]
mod server;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn checksum(n: u64) -> [u8; 32] {
    let mut bytes = [0x42; 32];
    bytes[..8].copy_from_slice(&n.to_be_bytes());
    bytes
}

fn main() {
    let packages = arg("--packages", 1000);
    let latency = Duration::from_millis(arg("--latency-ms", 50));
    let jobs = arg("--jobs", 32) as usize;
    let rounds = arg("--rounds", 3);

    let instance = Instance::new(90);
    let requests: Vec<MintRequest> = (0..packages)
        .map(|n| {
            MintRequest::new(
                &format!("pkg{n}"),
                "1.0.0",
                checksum(n),
                Claims::github("acme/pkg", "1.0.0"),
            )
        })
        .collect();
    let minted = instance.mint_batch(&requests);
    let shape = std::env::args()
        .skip_while(|a| a != "--shape")
        .nth(1)
        .unwrap_or_else(|| "url".into());
    let server = server::Server::start();
    let sources = match shape.as_str() {
        "url" => {
            for (request, bundle) in requests.iter().zip(&minted) {
                server.route(
                    &format!("/b/{}.json", hex::encode(request.sha256)),
                    vec![server::Reply::json(bundle.to_json())],
                );
            }
            vec![SourceSpec::url(&format!("{}/b/{{checksum}}.json", server.base)).unwrap()]
        }
        "github" => {
            for (request, bundle) in requests.iter().zip(&minted) {
                let digest = hex::encode(request.sha256);
                let list = format!(
                    r#"{{"attestations":[{{"repository_id":1,"bundle_url":"{}/blobs/{digest}.json.sn?sig=x","initiator":"user"}}]}}"#,
                    server.base
                );
                server.route(
                    &format!("/repos/acme/pkg/attestations/sha256:{digest}"),
                    vec![server::Reply::json(list)],
                );
                let blob = snap::raw::Encoder::new()
                    .compress_vec(bundle.to_json().as_bytes())
                    .unwrap();
                server.route(
                    &format!("/blobs/{digest}.json.sn"),
                    vec![server::Reply::json(blob).header("content-type", "application/x-snappy")],
                );
            }
            vec![SourceSpec::GitHub {
                api_url: server.base.clone(),
                org: None,
                predicate_type: None,
            }]
        }
        "crates-io" => {
            for request in &requests {
                server.route(
                    &format!("/api/v1/crates/{}", request.name),
                    vec![server::Reply::json(format!(
                        r#"{{"crate":{{"name":"{}","repository":"https://github.com/acme/pkg","trustpub_only":false}},"versions":[{{"num":"1.0.0","checksum":"{}","trustpub_data":{{"provider":"github","repository":"acme/pkg","run_id":"1","sha":"{}"}}}}]}}"#,
                        request.name,
                        hex::encode(request.sha256),
                        "a".repeat(40)
                    ))],
                );
            }
            vec![SourceSpec::crates_io(&server.base)]
        }
        other => panic!("--shape {other}: use url, github or crates-io"),
    };
    server.set_latency(latency);
    let repository_hint = (shape == "github").then(|| "https://github.com/acme/pkg".to_string());
    let queries: Vec<PackageQuery> = (0..packages)
        .map(|n| PackageQuery {
            name: format!("pkg{n}"),
            version: "1.0.0".parse().unwrap(),
            source: PackageSource::CratesIo,
            checksum: Sha256Hash::new(checksum(n)),
            repository_hint: repository_hint.clone(),
            needs: Default::default(),
        })
        .collect();
    let found = |p: &cargo_verify_provenance::testkit::internals::fetch::PackageFetch| {
        p.documents.len() == 1 || p.registry.is_some()
    };
    let options = FetchOptions {
        jobs,
        ..FetchOptions::default()
    };
    println!(
        "{packages} packages, shape {shape}, {} ms added latency per response, --jobs {jobs}, {} cores",
        latency.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for round in 1..=rounds {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let before = server.seen().len();
        let start = Instant::now();
        let report = fetch(queries.clone(), &sources, Some(&cache), &options).unwrap();
        let cold = start.elapsed();
        let cold_requests = server.seen().len() - before;
        assert!(
            report.packages.iter().all(found),
            "{:#?}",
            report.packages[0]
        );

        let start = Instant::now();
        let report = fetch(queries.clone(), &sources, Some(&cache), &options).unwrap();
        let warm = start.elapsed();
        assert!(report
            .packages
            .iter()
            .all(|p| found(p) && p.outcomes[0].cached));
        let warm_requests = server.seen().len() - before - cold_requests;

        let offline = FetchOptions {
            offline: true,
            ..options.clone()
        };
        let start = Instant::now();
        let report = fetch(queries.clone(), &sources, Some(&cache), &offline).unwrap();
        let warm_offline = start.elapsed();
        assert!(report.packages.iter().all(found));
        println!(
            "round {round}: cold {:.3} s ({cold_requests} requests), warm {:.3} s ({warm_requests} requests), warm offline {:.3} s",
            cold.as_secs_f64(),
            warm.as_secs_f64(),
            warm_offline.as_secs_f64()
        );
    }
}
