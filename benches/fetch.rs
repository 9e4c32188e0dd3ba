//! Fetch benchmark: 1,000 packages from a loopback server that adds 50 ms
//! to every response (cold), then the same from the cache (warm).
//!
//! `cargo bench --features testkit --bench fetch` (options: `--packages N`,
//! `--latency-ms N`, `--jobs N`, `--rounds N`).

use std::time::{Duration, Instant};

use cargo_verify_provenance::cache::Cache;
use cargo_verify_provenance::fetch::{fetch, FetchOptions};
use cargo_verify_provenance::lockfile::PackageSource;
use cargo_verify_provenance::sources::{PackageQuery, SourceSpec};
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
    let server = server::Server::start();
    for (request, bundle) in requests.iter().zip(&minted) {
        server.route(
            &format!("/b/{}.json", hex::encode(request.sha256)),
            vec![server::Reply::json(bundle.to_json())],
        );
    }
    server.set_latency(latency);
    let sources = [SourceSpec::url(&format!("{}/b/{{checksum}}.json", server.base)).unwrap()];
    let queries: Vec<PackageQuery> = (0..packages)
        .map(|n| PackageQuery {
            name: format!("pkg{n}"),
            version: "1.0.0".parse().unwrap(),
            source: PackageSource::CratesIo,
            checksum: Sha256Hash::new(checksum(n)),
            repository_hint: None,
        })
        .collect();
    let options = FetchOptions {
        jobs,
        ..FetchOptions::default()
    };
    println!(
        "{packages} packages, {} ms added latency per response, --jobs {jobs}, {} cores",
        latency.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for round in 1..=rounds {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let start = Instant::now();
        let report = fetch(queries.clone(), &sources, Some(&cache), &options).unwrap();
        let cold = start.elapsed();
        assert!(report.packages.iter().all(|p| p.documents.len() == 1));

        let start = Instant::now();
        let report = fetch(queries.clone(), &sources, Some(&cache), &options).unwrap();
        let warm = start.elapsed();
        assert!(report
            .packages
            .iter()
            .all(|p| p.documents.len() == 1 && p.outcomes[0].cached));

        let offline = FetchOptions {
            offline: true,
            ..options.clone()
        };
        let start = Instant::now();
        let report = fetch(queries.clone(), &sources, Some(&cache), &offline).unwrap();
        let warm_offline = start.elapsed();
        assert!(report.packages.iter().all(|p| p.documents.len() == 1));
        println!(
            "round {round}: cold {:.3} s, warm {:.3} s, warm offline {:.3} s",
            cold.as_secs_f64(),
            warm.as_secs_f64(),
            warm_offline.as_secs_f64()
        );
    }
}
