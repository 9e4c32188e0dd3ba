//! `--vsa-out`: what the run decided, as SLSA Verification Summary
//! Attestations (<https://slsa.dev/spec/v1.0/verification_summary>) a
//! consumer can read without re-running the check.
//!
//! One in-toto Statement v1 per registry package with a `.crate` checksum,
//! made by [`statements`] and written, one JSON object per line, by
//! [`write_lines`]. The statements are unsigned: a signer wraps each
//! [`Statement`]'s JSON ([`Statement::to_json`]) in a DSSE envelope of
//! payload type `application/vnd.in-toto+json`.
//!
//! `verifiedLevels` claims only what the policy required and the evidence
//! showed (`docs/vsa.md` has the mapping):
//!
//! | level | when |
//! |---|---|
//! | `FAILED` | the outcome does not satisfy the policy |
//! | `SLSA_BUILD_LEVEL_2` | passed on a verified bundle with a SLSA provenance predicate, the policy requires `require = "attested"` and `runner = "github-hosted"`, and the certificate says the runner was GitHub-hosted |
//! | `SLSA_BUILD_LEVEL_1` | passed on a verified bundle with a SLSA provenance predicate and the policy requires `require = "attested"` |
//! | `SLSA_BUILD_LEVEL_0` | passed on anything else (registry data, an exemption, nothing required) |
//!
//! A package that passed only because the policy exempts it also carries
//! [`EXEMPT`] in `verifiedLevels` (a custom value, as the specification
//! allows beside the SLSA levels): its summary never reads like one of a
//! package whose evidence was checked.
//!
//! Level 3 is never claimed: nothing in a certificate shows that the build
//! platform kept the build's steps from the signing key.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{deciding_bundles, DecidingBundle};
use crate::evaluate::{Outcome, PackageOutcome};
use crate::evidence::{Evidence, EvidenceLevel};
use crate::http::redact_url;
use crate::lockfile::{Package, PackageSource};
use crate::policy::matcher::Runner;
use crate::run::Run;

/// The in-toto Statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The SLSA Verification Summary predicate type.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";
/// The `verifiedLevels` value of a package that passed only because the
/// policy exempts it: nothing about it was verified.
pub const EXEMPT: &str = "CARGO_VERIFY_PROVENANCE_EXEMPT";
/// The DSSE payload type a signer wraps a statement in.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The SLSA provenance predicate types that show how a package was built.
const SLSA_PROVENANCE: [&str; 2] = [
    "https://slsa.dev/provenance/v1",
    "https://slsa.dev/provenance/v0.2",
];

/// One in-toto Statement v1 with the Verification Summary predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: &'static str,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: &'static str,
    pub predicate: Summary,
}

impl Statement {
    /// The statement's JSON on one line: what is written, and what a signer signs.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a statement is plain data")
    }
}

/// The artifact: the `.crate` file, by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// `NAME-VERSION.crate`.
    pub name: String,
    pub digest: Sha256Digest,
}

/// An in-toto DigestSet holding a SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sha256Digest {
    pub sha256: String,
}

/// A ResourceDescriptor with a digest, and a URI when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Descriptor {
    /// `source-comparison` for the comparison with the repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    pub digest: Digest,
    /// What the input showed, when it is not a bundle (the comparison's
    /// result and its counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<serde_json::Value>,
}

/// An in-toto DigestSet: a bundle's SHA-256, or the commit a source
/// comparison was made against (`gitCommit`, as in-toto names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Digest {
    #[serde(rename = "sha256")]
    Sha256(String),
    #[serde(rename = "gitCommit")]
    GitCommit(String),
}

/// The Verification Summary predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub verifier: Verifier,
    /// The run's clock (`--now` makes it fixed).
    pub time_verified: jiff::Timestamp,
    /// `pkg:cargo/NAME@VERSION`, with `repository_url` for another registry.
    pub resource_uri: String,
    pub policy: Descriptor,
    /// The bundles that decided the outcome (none when no bundle did),
    /// then the source comparison when one was made against a commit.
    pub input_attestations: Vec<Descriptor>,
    pub verification_result: VerificationResult,
    pub verified_levels: Vec<&'static str>,
    pub slsa_version: &'static str,
}

/// Who verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verifier {
    /// `pkg:cargo/cargo-verify-provenance@VERSION`: this tool, at this version.
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum VerificationResult {
    Passed,
    Failed,
}

/// Why no verification summary could be made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum VsaError {
    #[error("a verification summary names the policy it verified against, and this run has no policy file")]
    #[diagnostic(
        code("vsa-without-policy"),
        help("write one with `cargo verify-provenance init`, or pass --policy")
    )]
    NoPolicy,
    #[error("{}: cannot make a URI of the policy file's path", path.display())]
    #[diagnostic(code("vsa-policy-uri"))]
    PolicyUri { path: PathBuf },
    #[error("{package}: cannot make a package URL: {message}")]
    #[diagnostic(code("vsa-package-url"))]
    PackageUrl { package: String, message: String },
}

/// The verification summary of every in-scope package of the run, in
/// inventory order: every registry package with a `.crate` checksum.
///
/// Checks, in order: the run has a policy file (its path becomes the
/// `policy.uri`, the SHA-256 of its text the digest); each package's name,
/// version and registry make a valid package URL.
pub fn statements(run: &Run) -> Result<Vec<Statement>, VsaError> {
    let policy = policy_descriptor(run)?;
    let verifier = Verifier {
        id: format!(
            "pkg:cargo/{}@{}",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION")
        ),
    };
    let mut statements = Vec::new();
    for ((package, evidence), outcome) in run
        .inventory
        .packages
        .iter()
        .zip(&run.evidence)
        .zip(&run.evaluation.outcomes)
    {
        let Some(checksum) = package.checksum.filter(|_| in_scope(package)) else {
            continue;
        };
        let passed = matches!(
            outcome.outcome,
            Outcome::Pass { .. } | Outcome::Exempt { .. }
        );
        let inputs = deciding_bundles(&outcome.outcome, evidence);
        statements.push(Statement {
            statement_type: STATEMENT_TYPE,
            subject: vec![Subject {
                name: format!("{}-{}.crate", package.name, package.version),
                digest: Sha256Digest {
                    sha256: checksum.to_hex(),
                },
            }],
            predicate_type: PREDICATE_TYPE,
            predicate: Summary {
                verifier: verifier.clone(),
                time_verified: run.now,
                resource_uri: package_url(package)?,
                policy: policy.clone(),
                input_attestations: inputs
                    .iter()
                    .map(input_descriptor)
                    .chain(evidence.source_match.as_ref().and_then(source_descriptor))
                    .collect(),
                verification_result: if passed {
                    VerificationResult::Passed
                } else {
                    VerificationResult::Failed
                },
                verified_levels: verified_levels(
                    passed.then(|| build_level(run, evidence, outcome)),
                    &outcome.outcome,
                ),
                slsa_version: "1.0",
            },
        });
    }
    Ok(statements)
}

/// `verifiedLevels`: the build level of a package that passed (else
/// `FAILED`), and [`EXEMPT`] when an exemption is what passed it.
fn verified_levels(level: Option<&'static str>, outcome: &Outcome) -> Vec<&'static str> {
    let mut levels = vec![level.unwrap_or("FAILED")];
    if matches!(outcome, Outcome::Exempt { .. }) {
        levels.push(EXEMPT);
    }
    levels
}

/// Write each statement on its own line.
pub fn write_lines(statements: &[Statement], out: &mut dyn Write) -> std::io::Result<()> {
    for statement in statements {
        out.write_all(statement.to_json().as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Whether a package gets a verification summary: a registry package
/// (whose `.crate` file has a checksum), not a workspace member.
fn in_scope(package: &Package) -> bool {
    package.source.is_registry() && package.needs_provenance()
}

fn policy_descriptor(run: &Run) -> Result<Descriptor, VsaError> {
    let (Some(path), Some(text)) = (&run.policy.path, &run.policy.text) else {
        return Err(VsaError::NoPolicy);
    };
    Ok(Descriptor {
        name: None,
        uri: Some(file_uri(path).ok_or_else(|| VsaError::PolicyUri { path: path.clone() })?),
        digest: Digest::Sha256(sigstore_crypto::sha256(text.inner().as_bytes()).to_hex()),
        annotations: None,
    })
}

/// A `file:` URI of an absolute form of `path` (percent-encoded by `url`).
fn file_uri(path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    url::Url::from_file_path(absolute).ok().map(String::from)
}

/// `pkg:cargo/NAME@VERSION`; for another registry, with its index as the
/// `repository_url` qualifier. Encoded by the `packageurl` crate, which
/// follows the PURL specification (a `+` in a version becomes `%2B`).
fn package_url(package: &Package) -> Result<String, VsaError> {
    let error = |e: packageurl::Error| VsaError::PackageUrl {
        package: package.id(),
        message: e.to_string(),
    };
    let mut purl = packageurl::PackageUrl::new("cargo", package.name.as_str()).map_err(error)?;
    purl.with_version(package.version.to_string())
        .map_err(error)?;
    if let PackageSource::Registry { url } = &package.source {
        purl.add_qualifier("repository_url", redact_url(url.as_str()))
            .map_err(error)?;
    }
    Ok(purl.to_string())
}

/// A bundle as an input attestation: its digest, and its location when that
/// is a URL (redacted: no userinfo, no query) or an absolute path.
fn input_descriptor(bundle: &DecidingBundle) -> Descriptor {
    let location = bundle.origin.location.as_str();
    let uri = match url::Url::parse(location) {
        Ok(url) if matches!(url.scheme(), "https" | "http") => Some(redact_url(url.as_str())),
        Ok(url) if url.scheme() == "file" => Some(url.to_string()),
        _ if Path::new(location).is_absolute() => {
            url::Url::from_file_path(location).ok().map(String::from)
        }
        _ => None,
    };
    Descriptor {
        name: None,
        uri,
        digest: Digest::Sha256(bundle.sha256.clone()),
        annotations: None,
    }
}

/// The source comparison as an input, when one was made against a commit
/// (`matches` or `differs`): the repository at that commit
/// (`git+URL@COMMIT`, the form SPDX and SLSA give a source), its result
/// and how many files were not as at the commit, whatever the policy made
/// of them.
fn source_descriptor(found: &crate::evidence::SourceMatch) -> Option<Descriptor> {
    use crate::evidence::SourceResult;
    if !matches!(found.result, SourceResult::Matches | SourceResult::Differs) {
        return None;
    }
    let commit = found.commit.clone()?;
    let uri = found
        .repository
        .as_deref()
        .map(|repository| format!("git+{}@{commit}", redact_url(repository)));
    Some(Descriptor {
        name: Some("source-comparison".into()),
        uri,
        digest: Digest::GitCommit(commit),
        annotations: Some(serde_json::json!({
            "result": found.result,
            "differ": found.differ.len(),
            "onlyInPackage": found.only_in_package.len(),
            "binaries": found.binaries.len(),
            "lineEndingsOnly": found.line_endings_only.len(),
            "dirty": found.dirty,
        })),
    })
}

/// The SLSA build level a passing package is verified at: see the table
/// in the module documentation.
fn build_level(run: &Run, evidence: &Evidence, outcome: &PackageOutcome) -> &'static str {
    let Outcome::Pass {
        bundle: Some(origin),
    } = &outcome.outcome
    else {
        return "SLSA_BUILD_LEVEL_0";
    };
    let Some(attestation) = evidence.attestations.iter().find(|a| &a.origin == origin) else {
        return "SLSA_BUILD_LEVEL_0";
    };
    // The requirements the evaluator applied, as the outcome carries them.
    let Some(requirements) = outcome.requirements(&run.policy) else {
        return "SLSA_BUILD_LEVEL_0";
    };
    let provenance = attestation
        .facts
        .statement
        .as_ref()
        .is_some_and(|s| SLSA_PROVENANCE.contains(&s.predicate_type.as_str()));
    if requirements.level() < EvidenceLevel::Attested || !provenance {
        return "SLSA_BUILD_LEVEL_0";
    }
    let hosted_required = requirements
        .runner
        .is_some_and(|(runner, _)| runner.value == Runner::GithubHosted);
    let hosted = attestation
        .facts
        .claims()
        .and_then(|c| c.runner_environment.as_deref())
        == Some(Runner::GithubHosted.as_str());
    if hosted_required && hosted {
        "SLSA_BUILD_LEVEL_2"
    } else {
        "SLSA_BUILD_LEVEL_1"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{RuleRef, RuleRefKind};

    /// The build level of a package that passed, `FAILED` for one that did
    /// not, and the exemption said as a level of its own.
    #[test]
    fn the_levels_name_the_build_level_failed_or_the_exemption() {
        let pass = Outcome::Pass { bundle: None };
        let violation = Outcome::Violation {
            failures: Vec::new(),
        };
        let exempt = Outcome::Exempt {
            exemption: RuleRef {
                kind: RuleRefKind::Exempt,
                index: Some(0),
                selector: None,
                span: None,
            },
            reason: "reviewed".into(),
            until: None,
            failures: Vec::new(),
        };
        assert_eq!(
            verified_levels(Some("SLSA_BUILD_LEVEL_2"), &pass),
            ["SLSA_BUILD_LEVEL_2"]
        );
        assert_eq!(verified_levels(None, &violation), ["FAILED"]);
        assert_eq!(
            verified_levels(Some("SLSA_BUILD_LEVEL_0"), &exempt),
            ["SLSA_BUILD_LEVEL_0", EXEMPT]
        );
    }
}
