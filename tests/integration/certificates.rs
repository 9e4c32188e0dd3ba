//! Certificates that chain to a trusted CA but that Fulcio would not issue,
//! through the binary: an extension carried twice, a GitHub Actions identity
//! other than its Build Signer URI, a deprecated claim contradicting its
//! successor. Each bundle is rejected (`certificate-claims`) with a reason
//! that names the extension, while the same build's well-formed bundle
//! passes, as do certificates that carry only the deprecated issuer or only
//! the current extensions (the consistency checks compare a pair only when
//! both are there).

use cargo_verify_provenance::testkit::files::LockedPackage;
use cargo_verify_provenance::testkit::{CertificateFault, Claims, Faults, Instance, MintRequest};

use crate::harness::TestDir;
use crate::rule_matching::write_minted;

const NOW: &str = "2026-11-25T12:00:00Z";
const EVIL_WORKFLOW: &str =
    "https://github.com/evil/x/.github/workflows/release.yml@refs/tags/v1.0.0";

/// Each package, the fault of its certificate, and what the rejection must
/// say (empty: the package passes).
fn cases() -> Vec<(&'static str, Option<CertificateFault>, &'static str)> {
    use CertificateFault::{DuplicateExtension, LeftOut, ReplacedClaim, SanOtherThanSigner};
    let deprecated = |number: u32, value: &str| {
        Some(ReplacedClaim {
            number,
            value: value.into(),
        })
    };
    vec![
        ("well-formed", None, ""),
        // Fulcio before the `.1.8` issuer: the deprecated `.1.1` alone.
        ("old-issuer-only", Some(LeftOut { numbers: vec![8] }), ""),
        // The deprecated `.1.1`–`.1.6` left out: the current set alone.
        (
            "current-extensions-only",
            Some(LeftOut {
                numbers: vec![1, 2, 3, 4, 5, 6],
            }),
            "",
        ),
        (
            "twice-repository",
            Some(DuplicateExtension {
                number: 12,
                value: "https://github.com/evil/x".into(),
            }),
            "1.3.6.1.4.1.57264.1.12 (Source Repository URI) more than once",
        ),
        (
            "twice-signer",
            Some(DuplicateExtension {
                number: 9,
                value: EVIL_WORKFLOW.into(),
            }),
            "1.3.6.1.4.1.57264.1.9 (Build Signer URI) more than once",
        ),
        (
            "twice-deprecated-repository",
            Some(DuplicateExtension {
                number: 5,
                value: "acme/widget".into(),
            }),
            "1.3.6.1.4.1.57264.1.5 (GitHub workflow repository (deprecated)) more than once",
        ),
        (
            "san-not-signer",
            Some(SanOtherThanSigner {
                uri: EVIL_WORKFLOW.into(),
            }),
            "is not its Build Signer URI",
        ),
        (
            "old-issuer",
            deprecated(1, "https://accounts.google.com"),
            "1.3.6.1.4.1.57264.1.1 (issuer (deprecated)",
        ),
        (
            "old-trigger",
            deprecated(2, "pull_request"),
            "1.3.6.1.4.1.57264.1.2 (GitHub workflow trigger (deprecated): \"pull_request\") contradicts 1.3.6.1.4.1.57264.1.20",
        ),
        (
            "old-sha",
            deprecated(3, &"e".repeat(40)),
            "contradicts 1.3.6.1.4.1.57264.1.13",
        ),
        (
            "old-repository",
            deprecated(5, "evil/x"),
            "contradicts 1.3.6.1.4.1.57264.1.12",
        ),
        (
            "old-ref",
            deprecated(6, "refs/heads/evil"),
            "contradicts 1.3.6.1.4.1.57264.1.14",
        ),
    ]
}

#[test]
fn certificates_fulcio_would_not_issue_are_rejected_with_the_reason() {
    let dir = TestDir::new();
    let instance = Instance::new(57);
    let cases = cases();
    let locked: Vec<LockedPackage> = cases
        .iter()
        .enumerate()
        .map(|(i, (name, _, _))| LockedPackage {
            name: (*name).to_string(),
            version: "1.0.0".into(),
            checksum: [u8::try_from(i).unwrap() + 1; 32],
        })
        .collect();
    let requests: Vec<MintRequest> = cases
        .iter()
        .zip(&locked)
        .map(|((name, fault, _), package)| {
            MintRequest::new(
                name,
                "1.0.0",
                package.checksum,
                Claims::github("acme/widget", "1.0.0"),
            )
            .with_faults(Faults {
                certificate: fault.clone(),
                ..Faults::default()
            })
        })
        .collect();
    write_minted(
        &dir,
        &instance,
        &locked,
        &requests,
        "[defaults]\nrequire = \"attested\"\n",
    );

    let offline = ["--lockfile", "Cargo.lock", "--offline", "--now", NOW];
    let run = dir
        .command()
        .args(offline)
        .args(["--message-format", "json"])
        .run()
        .expect_code(1);
    let messages: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect();
    for (name, _, reason) in &cases {
        let package = messages
            .iter()
            .find(|m| m["reason"] == "package" && m["name"] == *name)
            .unwrap_or_else(|| panic!("no message for {name}:\n{}", run.stdout));
        if reason.is_empty() {
            assert_eq!(package["outcome"], "pass", "{name}: {package}");
            continue;
        }
        assert_eq!(package["outcome"], "violation", "{name}: {package}");
        let rejected = &package["rejected"][0]["failure"];
        assert_eq!(rejected["check"], "certificate-claims", "{name}: {package}");
        let message = rejected["message"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{name}: {message}");
    }

    // The human report says the same, in words.
    let human = dir
        .command()
        .args(offline)
        .args(["--color", "never"])
        .run()
        .expect_code(1);
    human.assert_stderr("certificate claims check failed");
    human.assert_stderr("san-not-signer@1.0.0");
}
