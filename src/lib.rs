//! `cargo verify-provenance`: verify where every dependency in `Cargo.lock`
//! really came from.
//!
//! The data flows through the modules in this order:
//! [`lockfile`] → [`sources`] / [`fetch`] (through [`http`]) → [`cache`] → [`trust`] → [`verify`] → [`policy`] → [`evaluate`] → [`report`].
//! [`run`] runs the whole job for a typed [`run::RunConfig`] and returns a
//! [`run::Run`], which [`report`], [`diff`], [`explain`] and [`init`] are
//! made from. Above them all, [`cli`] is the command layer: the only part
//! that knows clap, writes to stdout and stderr, and sets the exit code.
//! Imports point one way; `docs/architecture.md` describes the layers and
//! where to add a source, a policy key or an output format.
//! [`escape`] stands beside them all: every output (the reports, `explain`,
//! `diff`, `init`'s policy, the command layer's writers) escapes the text
//! from outside through it.

pub mod cache;
pub mod cli;
pub mod compare;
pub mod crate_file;
pub mod diff;
pub mod escape;
pub mod evaluate;
pub mod evidence;
pub mod explain;
pub mod fetch;
pub mod git;
pub mod http;
pub mod init;
pub mod limits;
pub mod lockfile;
pub mod origin;
pub mod policy;
pub mod report;
pub mod run;
pub mod source_compare;
pub mod source_match;
pub mod sources;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod text;
pub mod trust;
pub mod verify;

/// Exit codes, as documented in `docs/outputs.md`.
pub mod exit {
    /// Everything the policy requires was verified.
    pub const PASS: i32 = 0;
    /// A policy violation, including a present bundle that fails verification.
    pub const VIOLATION: i32 = 1;
    /// A usage, configuration or runtime error.
    pub const ERROR: i32 = 2;
}
