//! Bundle parsing and verification never panic, and never pass a bundle
//! that was not signed under the trust root (the public-good root here:
//! no fuzzer input can carry a valid Fulcio certificate for this digest).
#![no_main]

use std::sync::OnceLock;

use cargo_verify_provenance::trust::{Instance, TrustRoot};
use cargo_verify_provenance::verify::{self, ArtifactInput, SignerCheck};
use libfuzzer_sys::fuzz_target;

fn roots() -> &'static [TrustRoot] {
    static ROOTS: OnceLock<Vec<TrustRoot>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        vec![
            TrustRoot::embedded(Instance::PublicGood).expect("embedded root"),
            TrustRoot::embedded(Instance::GitHub).expect("embedded root"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = verify::parse_bundles(data, "fuzz") else {
        return;
    };
    // A digest no real bundle attests: nothing may verify against it.
    let artifact = ArtifactInput::sha256(sigstore_types::Sha256Hash::new([0x5a; 32]));
    let signer = SignerCheck::Certificate {
        identity: None,
        issuer: None,
    };
    for bundle in parsed.into_iter().flatten() {
        let outcome = verify::verify_with_roots(roots(), &bundle.bundle, &artifact, &signer);
        assert!(outcome.is_err(), "a fuzzed bundle verified: {:?}", outcome);
    }
});
