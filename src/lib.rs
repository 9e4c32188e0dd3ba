//! `cargo verify-provenance`: verify where every dependency in `Cargo.lock`
//! really came from.
//!
//! The library runs the whole check for a typed configuration and returns
//! what it found and decided; the `cargo-verify-provenance` binary is a thin
//! command layer over it (the `cli` feature, on by default).
//!
//! - [`run`]: [`run::collect`] (or [`run::collect_async`]) runs the job for a
//!   [`run::RunConfig`] and returns a [`run::Run`], or a typed [`run::RunError`];
//! - [`report`]: the [`report::Report`] made from a run, and its renderers
//!   (JSON, SARIF, Markdown, SLSA verification summaries);
//! - [`diff`]: what changed since a baseline lockfile;
//! - [`policy`]: the policy file, parsed into spanned, typed values;
//! - [`evaluate`]: the policy applied to each package's [`evidence`];
//! - [`verify`]: offline verification of one Sigstore bundle against a
//!   [`trust`] root;
//! - [`lockfile`]: `Cargo.lock` and the workspace's dependency graph;
//! - [`exit`]: the exit codes a run's outcome maps to.
//!
//! ```no_run
//! use cargo_verify_provenance::run::{collect, InventorySelection, RunConfig};
//! use cargo_verify_provenance::report::Report;
//!
//! let config = RunConfig::default()
//!     .with_inventory(InventorySelection::Lockfile("Cargo.lock".into()))
//!     .with_policy("provenance.toml")
//!     .with_offline(true);
//! let run = collect(&config)?;
//! let report = Report::from_run(&run);
//! println!("{} packages, exit code {}", report.summary.packages, report.summary.exit_code);
//! # Ok::<(), cargo_verify_provenance::run::RunError>(())
//! ```
//!
//! Inside, the data flows one way: lockfile → sources / fetch (through the
//! one HTTP client) → cache → trust → verify → policy → evaluate → report;
//! `docs/architecture.md` describes the layers, and `docs/public-api.txt`
//! lists every public item.

// Without the command layer, the parts only it uses (the terminal
// renderers and their helpers) are compiled but not called.
#![cfg_attr(not(feature = "cli"), allow(dead_code, unused_imports))]
// Every type the API hands out can be named by its user (the test
// support reaches into internals, so the check is for the API alone).
#![cfg_attr(not(feature = "testkit"), warn(unnameable_types))]

pub mod diff;
pub mod evaluate;
pub mod evidence;
pub mod lockfile;
pub mod policy;
pub mod report;
pub mod run;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod trust;
pub mod verify;

pub(crate) mod bounded_read;
pub(crate) mod cache;
#[cfg(feature = "cli")]
mod cli;
pub(crate) mod compare;
pub(crate) mod crate_file;
pub(crate) mod escape;
#[cfg(feature = "cli")]
pub(crate) mod explain;
pub(crate) mod failure_kind;
pub(crate) mod fetch;
pub(crate) mod git;
pub(crate) mod http;
pub(crate) mod limits;
pub(crate) mod names;
pub(crate) mod origin;
pub(crate) mod source_compare;
pub(crate) mod source_match;
pub(crate) mod sources;
pub(crate) mod words;
#[cfg(feature = "cli")]
pub(crate) mod write_policy;

/// The command line of the `cargo-verify-provenance` binary: parses the
/// process's arguments, runs the command, and returns the exit code.
#[cfg(feature = "cli")]
pub fn main() -> i32 {
    cli::main()
}

/// Exit codes, as documented in `docs/outputs.md`.
pub mod exit {
    /// Everything the policy requires was verified.
    pub const PASS: i32 = 0;
    /// A policy violation, including a present bundle that fails verification.
    pub const VIOLATION: i32 = 1;
    /// A usage, configuration or runtime error.
    pub const ERROR: i32 = 2;
}
