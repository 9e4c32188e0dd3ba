//! Integration tests: one test binary driving the real `cargo-verify-provenance`
//! binary (see `harness`), plus library-level tests over real fixtures.

#[cfg(feature = "testkit")]
mod action;
#[cfg(feature = "testkit")]
mod adversarial;
mod architecture;
mod broken_pipe;
#[cfg(feature = "testkit")]
mod budgets;
#[cfg(feature = "testkit")]
mod bundle_url;
#[cfg(feature = "testkit")]
mod cache_identity;
mod cargo_habits;
#[cfg(feature = "testkit")]
mod certificates;
mod check;
#[cfg(feature = "testkit")]
mod ci_recipe;
mod conformance;
#[cfg(feature = "testkit")]
mod crate_file;
#[cfg(feature = "testkit")]
mod crates_io;
#[cfg(feature = "testkit")]
mod credentials;
mod diagnostic_style;
#[cfg(feature = "testkit")]
mod diff;
mod doc_examples;
mod documents;
mod duplicated_fields;
mod embedding;
#[cfg(feature = "testkit")]
mod escaping;
#[cfg(feature = "testkit")]
mod evidence_conflict;
#[cfg(feature = "testkit")]
mod explain;
#[cfg(feature = "testkit")]
mod fail_closed;
#[cfg(feature = "testkit")]
mod faults;
#[cfg(feature = "testkit")]
mod fetch_then_frozen;
#[cfg(feature = "testkit")]
mod fetching;
#[cfg(feature = "testkit")]
mod first_line;
mod fixtures;
#[cfg(feature = "testkit")]
mod github_bulk;
#[cfg(feature = "testkit")]
mod github_limit;
#[cfg(feature = "testkit")]
mod github_refused;
mod graph_rules;
mod harness;
mod help_texts;
#[cfg(feature = "testkit")]
mod hostile_cache;
#[cfg(feature = "testkit")]
mod independent;
#[cfg(feature = "testkit")]
mod init;
mod install;
mod interface;
mod inventory;
#[cfg(feature = "testkit")]
mod limits;
mod links;
#[cfg(feature = "testkit")]
mod manifest_hints;
#[cfg(feature = "testkit")]
mod manifest_repository;
#[cfg(feature = "testkit")]
mod min_age;
#[cfg(feature = "testkit")]
mod minted;
#[cfg(feature = "testkit")]
mod network_rules;
#[cfg(feature = "testkit")]
mod offline;
#[cfg(feature = "testkit")]
mod one_screen;
#[cfg(feature = "testkit")]
mod other_repository;
mod policy;
mod policy_diff;
#[cfg(feature = "testkit")]
mod progress_lines;
mod public_api;
mod real_bundles;
#[cfg(feature = "testkit")]
mod records_needed;
#[cfg(feature = "testkit")]
mod registry_record;
#[cfg(feature = "testkit")]
mod root_order;
#[cfg(feature = "testkit")]
mod rule_matching;
#[cfg(feature = "testkit")]
mod scope;
mod server;
#[cfg(feature = "testkit")]
mod shared_folders;
#[cfg(feature = "testkit")]
mod source_cache;
mod source_match;
#[cfg(feature = "testkit")]
mod source_outputs;
#[cfg(feature = "testkit")]
mod sparse_index;
#[cfg(feature = "testkit")]
mod testkit;
#[cfg(feature = "testkit")]
mod trust_update;
#[cfg(feature = "testkit")]
mod unreachable;
mod url_policy;
#[cfg(feature = "testkit")]
mod verify_bundle;
#[cfg(feature = "testkit")]
mod vocabulary;
#[cfg(feature = "testkit")]
mod vsa;
