//! The lockfile reader never panics, and what it accepts is well-formed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    if let Ok(inventory) =
        cargo_verify_provenance::testkit::internals::lockfile::parse_lockfile(std::path::Path::new("Cargo.lock"), text)
    {
        for package in &inventory.packages {
            assert!(cargo_verify_provenance::testkit::internals::lockfile::is_valid_package_name(
                &package.name
            ));
            assert!(package.checksum.is_none() || package.source.is_registry());
        }
    }
});
