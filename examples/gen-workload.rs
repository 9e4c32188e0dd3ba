//! Write a benchmark workload: `DIR/Cargo.lock` with N packages,
//! `DIR/bundles/` with one verifiable bundle per package, the
//! `DIR/trusted_root.json` they verify against and a `DIR/provenance.toml`
//! every package satisfies.
//!
//! ```sh
//! cargo run --release --features testkit --example gen-workload -- --packages 10000 --out /tmp/workload
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use cargo_verify_provenance::testkit::files::{write_workload, WORKLOAD_SEED};

const USAGE: &str = "usage: gen-workload --packages N --out DIR";

fn main() -> ExitCode {
    let mut packages: Option<usize> = None;
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--packages" => packages = args.next().and_then(|n| n.parse().ok()),
            "--out" => out = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("error: unexpected argument `{other}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(packages), Some(out)) = (packages, out) else {
        eprintln!("error: --packages N (a positive number) and --out DIR are required\n{USAGE}");
        return ExitCode::from(2);
    };
    if packages == 0 {
        eprintln!("error: --packages must be at least 1\n{USAGE}");
        return ExitCode::from(2);
    }
    let start = Instant::now();
    match write_workload(&out, packages) {
        Ok(summary) => {
            println!(
                "wrote {} packages ({} bytes of bundles, seed {WORKLOAD_SEED:#x}) to {} in {:.2?}",
                summary.packages,
                summary.bundle_bytes,
                out.display(),
                start.elapsed()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write the workload to {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}
