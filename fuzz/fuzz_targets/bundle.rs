//! Bundle parsing and verification never panic, never pass a bundle that was
//! not signed under the trust root, and never let a changed bundle say
//! something other than what was signed.
//!
//! Two oracles, for every bundle an input parses into:
//! 1. against the public-good and GitHub roots, with a digest no real bundle
//!    attests, nothing verifies;
//! 2. against the roots of the test instances that minted the seeds
//!    (`fuzz/seeds/bundle`), with the digest of a seed: whatever verifies
//!    proves exactly what that seed proves (signer, claims, statement and
//!    signing times), however the input was changed.
//!
//! And the sources' routing (`sources::split_bundles`, which sets aside
//! bundles whose unverified subjects name another artifact) never panics,
//! and never sets aside every bundle of an input when one of them verifies
//! for the seed's digest.
#![no_main]

use std::sync::OnceLock;

use cargo_verify_provenance::testkit::internals::cache::Answer;
use cargo_verify_provenance::testkit::internals::sources::split_bundles;
use cargo_verify_provenance::trust::{Instance, TrustRoot};
use cargo_verify_provenance::verify::{self, ArtifactInput, SignerCheck, VerifiedFacts};
use cargo_verify_provenance_fuzz::bundle_seed_requests;
use libfuzzer_sys::fuzz_target;
use sigstore_types::Sha256Hash;

fn public_roots() -> &'static [TrustRoot] {
    static ROOTS: OnceLock<Vec<TrustRoot>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        vec![
            TrustRoot::embedded(Instance::PublicGood).expect("embedded root"),
            TrustRoot::embedded(Instance::GitHub).expect("embedded root"),
        ]
    })
}

/// One seed: its instance's root, the digest it attests, what it proves.
struct Seed {
    root: TrustRoot,
    checksum: Sha256Hash,
    facts: VerifiedFacts,
}

fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        bundle_seed_requests()
            .into_iter()
            .map(|(instance, request)| {
                let root = instance.trust_root();
                let checksum = Sha256Hash::new(request.sha256);
                let minted = instance.mint(&request);
                let facts = verify::verify_bundle(
                    &root,
                    &minted.bundle,
                    &ArtifactInput::sha256(checksum),
                    &SignerCheck::Certificate {
                        identity: None,
                        issuer: None,
                    },
                )
                .expect("a seed verifies");
                Seed {
                    root,
                    checksum,
                    facts,
                }
            })
            .collect()
    })
}

/// What a bundle proves, without what may differ between two encodings of
/// the same signed content (the media type and log entry bookkeeping).
fn proven(facts: &VerifiedFacts) -> impl PartialEq + std::fmt::Debug + '_ {
    (
        &facts.trust_root,
        &facts.signer,
        &facts.statement,
        &facts.verified_times,
    )
}

fuzz_target!(|data: &[u8]| {
    let routed = |checksum: &Sha256Hash| match split_bundles(data, "fuzz", "fuzz", checksum) {
        Ok(Answer::Bundles { documents, .. }) => documents.len(),
        Ok(other) => panic!("routing answered {other:?}"),
        Err(_) => 0,
    };
    let Ok(parsed) = verify::parse_bundles(data, "fuzz") else {
        let _ = routed(&Sha256Hash::new([0x5a; 32]));
        return;
    };
    let signer = SignerCheck::Certificate {
        identity: None,
        issuer: None,
    };
    // A digest no real bundle attests: nothing may verify against it.
    let foreign = ArtifactInput::sha256(Sha256Hash::new([0x5a; 32]));
    let mut verified = vec![false; seeds().len()];
    for bundle in parsed.into_iter().flatten() {
        let outcome = verify::verify_with_roots(public_roots(), &bundle.bundle, &foreign, &signer);
        assert!(outcome.is_err(), "a fuzzed bundle verified: {outcome:?}");
        for (index, seed) in seeds().iter().enumerate() {
            if let Ok(facts) = verify::verify_bundle(
                &seed.root,
                &bundle.bundle,
                &ArtifactInput::sha256(seed.checksum),
                &signer,
            ) {
                verified[index] = true;
                assert_eq!(
                    proven(&facts),
                    proven(&seed.facts),
                    "a changed bundle verified with other facts"
                );
            }
        }
    }
    for (seed, verified) in seeds().iter().zip(verified) {
        let kept = routed(&seed.checksum);
        assert!(
            !verified || kept > 0,
            "routing set aside every bundle, one of which verifies"
        );
    }
});
