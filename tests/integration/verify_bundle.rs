//! `verify-bundle` through the binary: what a failure tells the user.

use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};

use crate::harness::TestDir;

const CHECKSUM: [u8; 32] = [0x5a; 32];

/// A digest in an algorithm no subject uses fails on the subject, and the
/// failure names the algorithms the statement's subjects do use.
#[test]
fn a_digest_matching_no_subject_names_the_algorithms_the_subjects_use() {
    let instance = Instance::new(91);
    let minted = instance.mint(&MintRequest::new(
        "serde",
        "1.0.219",
        CHECKSUM,
        Claims::github("serde-rs/serde", "1.0.219"),
    ));
    let dir = TestDir::new();
    let bundle = dir.write("b.sigstore.json", minted.to_json());
    let root = dir.write("root.json", instance.trusted_root_json());
    let verify = |digest: String| {
        dir.command()
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(&bundle)
            .arg("--trusted-root")
            .arg(&root)
            .arg(digest)
            .arg("--color")
            .arg("never")
            .run()
    };
    verify(format!("sha256:{}", hex::encode(CHECKSUM))).expect_code(0);
    for digest in [
        format!("sha512:{}", "ab".repeat(64)),
        format!("sha256:{}", "ab".repeat(32)),
    ] {
        let run = verify(digest).expect_code(1);
        run.assert_stderr("the statement's subjects are digested with sha256");
    }
}
