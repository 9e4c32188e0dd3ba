//! Regenerate the demo's generated files (`Cargo.lock`, `bundles/`,
//! `trusted_root.json`) under `examples/demo/`, or under `--out DIR`.
//! The output is byte-identical on every run; the policies beside them are
//! written by hand.
//!
//! ```sh
//! cargo run --features testkit --example gen-demo
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use cargo_verify_provenance::testkit::demo::{write_demo, DemoCase, DEMO_PACKAGES};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let out = match (args.next().as_deref(), args.next()) {
        (None, _) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/demo"),
        (Some("--out"), Some(dir)) => PathBuf::from(dir),
        _ => {
            eprintln!("usage: gen-demo [--out DIR]");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = write_demo(&out) {
        eprintln!("error: cannot write the demo to {}: {e}", out.display());
        return ExitCode::from(2);
    }
    // What the hand-written policies pin, for whoever edits them.
    for package in DEMO_PACKAGES {
        let case = match package.case {
            DemoCase::Attested => "attested".to_string(),
            DemoCase::NoBundle => "no bundle".to_string(),
            DemoCase::BuiltIn(repository) => format!("built in {repository}"),
            DemoCase::SelfHosted => "self-hosted runner".to_string(),
        };
        match package.claims() {
            Some(claims) => println!(
                "{:<16} {:<9} {:<28} repository-id {:<10} owner-id {:<9} {case}",
                package.name,
                package.version,
                claims.repository,
                claims.repository_id,
                claims.owner_id
            ),
            None => println!(
                "{:<16} {:<9} {:<28} {case}",
                package.name, package.version, package.repository
            ),
        }
    }
    println!("wrote the demo to {}", out.display());
    ExitCode::SUCCESS
}
