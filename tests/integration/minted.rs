//! Small generated workloads for the `explain`, `diff` and `init` tests:
//! lockfiles of named crates, bundles minted by the test instance into a
//! `bundles/` folder, and its `trusted_root.json`.

#![allow(dead_code)]

use std::path::Path;

use cargo_verify_provenance::testkit::files::{cargo_lock, write_bundles, LockedPackage};
use cargo_verify_provenance::testkit::{Claims, Faults, Instance, MintRequest};

/// One crate of a workload.
#[derive(Debug, Clone)]
pub struct Crate {
    pub name: String,
    pub version: String,
    /// `None`: no bundle is minted for it.
    pub claims: Option<Claims>,
    pub faults: Faults,
}

impl Crate {
    /// A crate built by the default release workflow of `repository` (`owner/name`).
    pub fn attested(name: &str, version: &str, repository: &str) -> Self {
        Self::with_claims(name, version, Claims::github(repository, version))
    }

    pub fn with_claims(name: &str, version: &str, claims: Claims) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            claims: Some(claims),
            faults: Faults::default(),
        }
    }

    /// A crate with no bundle anywhere.
    pub fn unattested(name: &str, version: &str) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            claims: None,
            faults: Faults::default(),
        }
    }

    pub fn faulty(self, faults: Faults) -> Self {
        Self { faults, ..self }
    }

    /// A stable, distinct checksum for the crate (not of any real file).
    pub fn checksum(&self) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(format!("minted crate {}@{}", self.name, self.version)).into()
    }

    fn locked(&self) -> LockedPackage {
        LockedPackage {
            name: self.name.clone(),
            version: self.version.clone(),
            checksum: self.checksum(),
        }
    }
}

/// The seed of the workloads' instance.
pub const SEED: u64 = 0x0065_7870_6c61_696e;

/// Mint a bundle for every crate that has claims, into `dir/bundles/`, and
/// write `dir/trusted_root.json`.
pub fn write_bundles_and_root(dir: &Path, crates: &[Crate]) {
    let instance = Instance::new(SEED);
    let requests: Vec<MintRequest> = crates
        .iter()
        .filter_map(|c| {
            let claims = c.claims.clone()?;
            Some(
                MintRequest::new(&c.name, &c.version, c.checksum(), claims)
                    .with_faults(c.faults.clone()),
            )
        })
        .collect();
    write_bundles(&dir.join("bundles"), &instance.mint_batch(&requests)).unwrap();
    std::fs::write(dir.join("trusted_root.json"), instance.trusted_root_json()).unwrap();
}

/// Write `dir/NAME` as a lockfile of root package `app` and these crates.
pub fn write_lockfile(dir: &Path, name: &str, crates: &[Crate]) {
    let packages: Vec<LockedPackage> = crates.iter().map(Crate::locked).collect();
    std::fs::write(dir.join(name), cargo_lock("app", &packages)).unwrap();
}

/// The policy tables every workload needs: the bundles folder and the root.
pub const SOURCES: &str = r#"
[trust]
roots = ["trusted_root.json"]

[[source]]
kind = "dir"
path = "bundles"
"#;

/// A fixed time after the bundles were minted.
pub const NOW: &str = "2026-06-01T00:00:00Z";

/// Parse every line of stdout as JSON.
pub fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}
