//! What the fuzz targets and their seed corpora share: the bundles the
//! `bundle` target starts from, minted by test instances (deterministic:
//! the same requests always give the same bytes).

use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};

/// The instances and requests of the `bundle` target's seeds: a
/// public-good-like bundle (log entry, SET, inclusion proof, SCT) and a
/// GitHub-like one (RFC 3161 timestamp, no log).
pub fn bundle_seed_requests() -> Vec<(Instance, MintRequest)> {
    vec![
        (
            Instance::new(101),
            MintRequest::new(
                "serde",
                "1.0.219",
                [0x11; 32],
                Claims::github("serde-rs/serde", "1.0.219"),
            ),
        ),
        (
            Instance::github(102),
            MintRequest::new(
                "tokio",
                "1.45.0",
                [0x22; 32],
                Claims::github("tokio-rs/tokio", "1.45.0").private(),
            ),
        ),
    ]
}
