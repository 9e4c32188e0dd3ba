//! `verify_with_roots` gives the same result whatever the order of the
//! roots: the fetch step files a bundle that fails only its subject check
//! as ignored (another artifact's) and any other failure as a rejection,
//! so the failure reported must not depend on which root was tried first.

use cargo_verify_provenance::testkit::{Claims, Faults, Instance, MintRequest};
use cargo_verify_provenance::trust::{RootOrigin, TrustRoot};
use cargo_verify_provenance::verify::{
    verify_with_roots, ArtifactInput, Check, SignerCheck, VerifyFailure,
};
use sigstore_types::Bundle;

const CHECKSUM: [u8; 32] = [0x5a; 32];

fn root(name: &str, instance: &Instance) -> TrustRoot {
    TrustRoot::from_json(
        name.into(),
        RootOrigin::File {
            path: format!("{name}.json").into(),
        },
        &instance.trusted_root_json(),
    )
    .unwrap()
}

/// Every order of `items`.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for (i, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first.clone());
            all.push(tail);
        }
    }
    all
}

fn mint(instance: &Instance, faults: Faults) -> Bundle {
    let request = MintRequest::new(
        "anyhow",
        "1.0.98",
        CHECKSUM,
        Claims::github("dtolnay/anyhow", "1.0.98"),
    )
    .with_faults(faults);
    instance.mint(&request).bundle
}

#[test]
fn the_result_does_not_depend_on_root_order() {
    let public_good = Instance::new(41);
    let other = Instance::new(42);
    let github = Instance::github(41);
    let instances = [
        ("public-good", &public_good),
        ("other", &other),
        ("github", &github),
    ];
    let orders = permutations(&[0usize, 1, 2]);
    assert_eq!(orders.len(), 6);
    // TrustRoot is not Clone: each order gets roots of its own.
    let ordered_roots: Vec<Vec<TrustRoot>> = orders
        .iter()
        .map(|order| {
            order
                .iter()
                .map(|&i| root(instances[i].0, instances[i].1))
                .collect()
        })
        .collect();
    let artifact = ArtifactInput::sha256(sigstore_types::Sha256Hash::new(CHECKSUM));
    let signer = SignerCheck::Certificate {
        identity: None,
        issuer: None,
    };
    let another_subject = Faults {
        subject_sha256: Some([0x11; 32]),
        ..Faults::default()
    };
    let untrusted = Faults {
        untrusted_ca: true,
        ..Faults::default()
    };
    // (bundle, the root it verifies under, or the check it fails)
    let cases: [(&str, Bundle, Result<&str, Check>); 6] = [
        (
            "public-good",
            mint(&public_good, Faults::default()),
            Ok("public-good"),
        ),
        ("github", mint(&github, Faults::default()), Ok("github")),
        (
            "public-good, another subject",
            mint(&public_good, another_subject.clone()),
            Err(Check::Subject),
        ),
        (
            "github, another subject",
            mint(&github, another_subject),
            Err(Check::Subject),
        ),
        (
            "public-good, untrusted CA",
            mint(&public_good, untrusted.clone()),
            Err(Check::CertificateChain),
        ),
        (
            "github, untrusted CA",
            mint(&github, untrusted),
            Err(Check::CertificateChain),
        ),
    ];
    for (name, bundle, expected) in &cases {
        let mut results: Vec<Result<String, VerifyFailure>> = Vec::new();
        for (order, ordered) in orders.iter().zip(&ordered_roots) {
            let result = verify_with_roots(ordered, bundle, &artifact, &signer)
                .map(|facts| facts.trust_root);
            match (&result, expected) {
                (Ok(root), Ok(want)) => assert_eq!(root, want, "{name}, order {order:?}"),
                (Err(failure), Err(check)) => {
                    assert_eq!(failure.check, *check, "{name}, order {order:?}: {failure}")
                }
                _ => panic!("{name}, order {order:?}: {result:?}, expected {expected:?}"),
            }
            results.push(result);
        }
        assert!(
            results.windows(2).all(|pair| pair[0] == pair[1]),
            "{name}: {results:#?}"
        );
    }
}
