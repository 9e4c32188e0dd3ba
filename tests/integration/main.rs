//! Integration tests: one test binary driving the real `cargo-verify-provenance`
//! binary (see `harness`), plus library-level tests over real fixtures.

mod conformance;
mod duplicated_fields;
mod fixtures;
mod harness;
mod inventory;
mod policy;
mod real_bundles;
#[cfg(feature = "testkit")]
mod testkit;
