//! Verification cost per bundle: the library alone, and through
//! `crate::verify` (which adds the duplicated-field check, SAN and claim
//! extraction and the statement's facts). Bundles come from the test
//! instance, so the numbers do not depend on any fixture.
//!
//! `cargo bench --features testkit --bench verify`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use cargo_verify_provenance::verify::{self, ArtifactInput, SignerCheck};

const BUNDLES: usize = 64;

fn bench(c: &mut Criterion) {
    let instance = Instance::new(7);
    let requests: Vec<MintRequest> = (0..BUNDLES)
        .map(|i| {
            let mut sha256 = [0u8; 32];
            sha256[..8].copy_from_slice(&(i as u64).to_be_bytes());
            MintRequest::new(
                &format!("crate{i}"),
                "1.0.0",
                sha256,
                Claims::github("example/crate", "1.0.0"),
            )
        })
        .collect();
    let minted = instance.mint_batch(&requests);
    let root = instance.trust_root();
    let inputs: Vec<_> = minted
        .iter()
        .zip(&requests)
        .map(|(bundle, request)| {
            (
                bundle.bundle.clone(),
                ArtifactInput::sha256(sigstore_types::Sha256Hash::new(request.sha256)),
            )
        })
        .collect();

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(BUNDLES as u64));
    group.bench_function("library", |b| {
        let policy = root.certificate_policy();
        b.iter(|| {
            for (bundle, artifact) in &inputs {
                let ArtifactInput::Digest(digest) = artifact else {
                    unreachable!()
                };
                root.verifier()
                    .verify(digest.clone(), bundle, &policy)
                    .expect("verifies");
            }
        })
    });
    group.bench_function("crate-verify", |b| {
        let signer = SignerCheck::Certificate {
            identity: None,
            issuer: None,
        };
        b.iter(|| {
            for (bundle, artifact) in &inputs {
                verify::verify_bundle(&root, bundle, artifact, &signer).expect("verifies");
            }
        })
    });
    group.bench_function("parse-and-verify", |b| {
        let signer = SignerCheck::Certificate {
            identity: None,
            issuer: None,
        };
        let json: Vec<String> = minted.iter().map(|m| m.to_json()).collect();
        b.iter_batched(
            || json.clone(),
            |documents| {
                for (document, (_, artifact)) in documents.iter().zip(&inputs) {
                    let parsed = verify::parse_bundles(document.as_bytes(), "bench").unwrap();
                    let bundle = parsed.into_iter().next().unwrap().unwrap();
                    verify::verify_bundle(&root, &bundle.bundle, artifact, &signer)
                        .expect("verifies");
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
