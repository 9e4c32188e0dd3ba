//! Offline verification of Sigstore bundles, and the verified facts they yield.
//!
//! All cryptographic checks are made by `sigstore-verify`; this module picks
//! the policy from the trust root in use, maps failures to the check that
//! failed, matches identities (including otherName SANs, which the library
//! cannot read) and turns a verified bundle into [`VerifiedFacts`]: the
//! certificate claims, times, log entries and in-toto statement the policy
//! is evaluated against.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sigstore_types::{
    Artifact, ArtifactDigest, Bundle, DerPublicKey, HashAlgorithm, Sha256Hash, SignatureContent,
};

use crate::trust::TrustRoot;

mod certificate;
mod log_entries;
mod parse;

pub use log_entries::{check_duplicated_fields, check_log_binding};
pub use parse::{parse_bundles, ParsedBundle};

/// The in-toto payload type the DSSE envelopes of provenance carry.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The check a bundle failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The bundle is not a well-formed Sigstore bundle.
    BundleFormat,
    /// The signing certificate does not chain to a trusted CA at signing time.
    CertificateChain,
    /// The certificate's embedded SCT does not verify against a trusted CT log.
    Sct,
    /// The transparency-log entry, its inclusion proof, checkpoint or SET.
    TransparencyLog,
    /// An RFC 3161 timestamp, or no verified signing time.
    Timestamp,
    /// The signature over the DSSE envelope or the artifact.
    Signature,
    /// The artifact digest is not a subject of the attestation.
    Subject,
    /// The certificate identity (SAN) is not the expected one.
    Identity,
    /// The OIDC issuer is not the expected one.
    Issuer,
    /// The certificate is not one Fulcio would issue: an extension twice,
    /// an identity other than its Build Signer URI, or deprecated claims
    /// that contradict their successors.
    CertificateClaims,
}

impl Check {
    /// A few words for people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::BundleFormat => "bundle format",
            Self::CertificateChain => "certificate chain",
            Self::Sct => "signed certificate timestamp (SCT)",
            Self::TransparencyLog => "transparency log",
            Self::Timestamp => "timestamp",
            Self::Signature => "signature",
            Self::Subject => "subject digest",
            Self::Identity => "identity",
            Self::Issuer => "issuer",
            Self::CertificateClaims => "certificate claims",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why a bundle did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{check} check failed: {message}")]
pub struct VerifyFailure {
    pub check: Check,
    pub message: String,
}

impl VerifyFailure {
    pub fn new(check: Check, message: impl Into<String>) -> Self {
        Self {
            check,
            message: message.into(),
        }
    }

    fn from_library(error: sigstore_verify::Error) -> Self {
        use sigstore_verify::{CertificateError, Error};
        let check = match &error {
            Error::IdentityMismatch { .. } => Check::Identity,
            Error::IssuerMismatch { .. } => Check::Issuer,
            Error::SignatureInvalid(_) | Error::Crypto(_) => Check::Signature,
            // Raised once the bundle's own signature and digest or statement
            // bound the artifact: the log entry is for something else, and
            // the bundle is tampered with, not another artifact's.
            Error::ArtifactMismatch(detail) if detail == HASHEDREKORD_ENTRY_MISMATCH => {
                Check::TransparencyLog
            }
            Error::ArtifactMismatch(_) | Error::UnsupportedArtifact(_) => Check::Subject,
            Error::Certificate(CertificateError::Sct(_)) => Check::Sct,
            Error::Certificate(_) | Error::TrustedCertificate(_) => Check::CertificateChain,
            Error::TransparencyLog(_) => Check::TransparencyLog,
            Error::Timestamp(_) => Check::Timestamp,
            _ => Check::BundleFormat,
        };
        Self::new(check, error.to_string())
    }
}

impl VerifyFailure {
    /// A subject failure of a DSSE bundle also names the digest algorithms
    /// its statement's subjects use, so that a digest given in another
    /// algorithm is seen for what it is. The names come from the bundle:
    /// at most a few short ones are shown.
    fn naming_subject_algorithms(mut self, bundle: &Bundle) -> Self {
        const MAX_SHOWN: usize = 4;
        const MAX_NAME: usize = 32;
        if self.check != Check::Subject {
            return self;
        }
        let Ok(Some(statement)) = statement_facts(bundle) else {
            return self;
        };
        let algorithms: std::collections::BTreeSet<&str> = statement
            .subjects
            .iter()
            .flat_map(|subject| subject.digest.keys())
            .map(String::as_str)
            .filter(|name| name.len() <= MAX_NAME)
            .collect();
        if algorithms.is_empty() {
            return self;
        }
        let mut shown: Vec<&str> = algorithms.iter().copied().take(MAX_SHOWN).collect();
        let more = algorithms.len() - shown.len();
        let more_text = format!("{more} more");
        if more > 0 {
            shown.push(&more_text);
        }
        self.message = format!(
            "{} (the statement's subjects are digested with {})",
            self.message,
            shown.join(", ")
        );
        self
    }
}

/// The library's message when a `hashedrekord` log entry's digest is not
/// the artifact's (checked after the bundle's own binding to the artifact).
const HASHEDREKORD_ENTRY_MISMATCH: &str = "artifact hash mismatch for hashedrekord entry";

/// What the artifact is: its bytes or a digest of them.
#[derive(Debug, Clone)]
pub enum ArtifactInput {
    /// The artifact bytes (needed for Ed25519 message signatures).
    Bytes(Vec<u8>),
    /// A digest: `sha256:<hex>` or `sha512:<hex>`.
    Digest(ArtifactDigest),
}

/// Why a text is not an `ALGORITHM:HEX` digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    #[error("`{0}` is not ALGORITHM:HEX")]
    NotAlgorithmHex(String),
    #[error("unsupported digest algorithm `{0}` (use sha256 or sha512)")]
    UnsupportedAlgorithm(String),
    /// The digits are not hex, or not as many as the algorithm's digest has.
    #[error("`{text}`: {reason}")]
    Digits { text: String, reason: String },
}

impl ArtifactInput {
    /// A SHA-256 digest, such as a Cargo.lock checksum.
    pub fn sha256(digest: Sha256Hash) -> Self {
        Self::Digest(ArtifactDigest::sha256(digest))
    }

    /// Parse `sha256:<hex>` or `sha512:<hex>`.
    pub fn parse_digest(text: &str) -> Result<Self, DigestError> {
        let (algorithm, hex_digits) = text
            .split_once(':')
            .ok_or_else(|| DigestError::NotAlgorithmHex(text.to_string()))?;
        let algorithm = match algorithm {
            "sha256" => HashAlgorithm::Sha2256,
            "sha512" => HashAlgorithm::Sha2512,
            other => return Err(DigestError::UnsupportedAlgorithm(other.to_string())),
        };
        let bytes = hex::decode(hex_digits).map_err(|e| DigestError::Digits {
            text: text.to_string(),
            reason: e.to_string(),
        })?;
        ArtifactDigest::new(algorithm, bytes)
            .map(Self::Digest)
            .map_err(|e| DigestError::Digits {
                text: text.to_string(),
                reason: e.to_string(),
            })
    }

    fn as_artifact(&self) -> Artifact<'_> {
        match self {
            Self::Bytes(bytes) => Artifact::from_blob(bytes),
            Self::Digest(digest) => Artifact::from_digest(digest.clone()),
        }
    }
}

/// How the signer is authenticated.
#[derive(Debug, Clone)]
pub enum SignerCheck {
    /// A Fulcio certificate; identity and issuer are matched exactly when given.
    Certificate {
        identity: Option<String>,
        issuer: Option<String>,
    },
    /// A managed key: the bundle must be signed by this key.
    Key(DerPublicKey),
}

/// The kind of a certificate's Subject Alternative Name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SanKind {
    Email,
    Uri,
    /// The Fulcio username otherName (`1.3.6.1.4.1.57264.1.7`).
    OtherName,
}

/// A SAN value of the signing certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct San {
    pub kind: SanKind,
    pub value: String,
}

/// The claims Fulcio puts in a certificate for a CI workload
/// (OIDs `1.3.6.1.4.1.57264.1.9`–`.1.24`, names as in Fulcio's OID docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CertificateClaims {
    /// `.1.9` the workflow that signed (a reusable workflow, when one is used), with its ref.
    pub build_signer_uri: Option<String>,
    /// `.1.10` the commit of the signing workflow.
    pub build_signer_digest: Option<String>,
    /// `.1.11` `github-hosted` or `self-hosted`.
    pub runner_environment: Option<String>,
    /// `.1.12` the repository the artifact was built from.
    pub source_repository_uri: Option<String>,
    /// `.1.13` the commit it was built from.
    pub source_repository_digest: Option<String>,
    /// `.1.14` the ref it was built from.
    pub source_repository_ref: Option<String>,
    /// `.1.15` the immutable repository ID.
    pub source_repository_identifier: Option<String>,
    /// `.1.16` the repository owner.
    pub source_repository_owner_uri: Option<String>,
    /// `.1.17` the immutable owner ID.
    pub source_repository_owner_identifier: Option<String>,
    /// `.1.18` the workflow that ran (the top-level one), with its ref.
    pub build_config_uri: Option<String>,
    /// `.1.19` the commit of that workflow.
    pub build_config_digest: Option<String>,
    /// `.1.20` the event that triggered the build.
    pub build_trigger: Option<String>,
    /// `.1.21` the run, where its logs can be read.
    pub run_invocation_uri: Option<String>,
    /// `.1.22` `public`, `private` or `internal`.
    pub source_repository_visibility_at_signing: Option<String>,
    /// `.1.23` the deployment environment.
    pub deployment_environment: Option<String>,
    /// `.1.24` the raw `sub` of the identity token.
    pub token_subject: Option<String>,
}

impl CertificateClaims {
    fn from_library(claims: &sigstore_verify::crypto::FulcioCiClaims) -> Self {
        Self {
            build_signer_uri: claims.build_signer_uri.clone(),
            build_signer_digest: claims.build_signer_digest.clone(),
            runner_environment: claims.runner_environment.clone(),
            source_repository_uri: claims.source_repository_uri.clone(),
            source_repository_digest: claims.source_repository_digest.clone(),
            source_repository_ref: claims.source_repository_ref.clone(),
            source_repository_identifier: claims.source_repository_identifier.clone(),
            source_repository_owner_uri: claims.source_repository_owner_uri.clone(),
            source_repository_owner_identifier: claims.source_repository_owner_identifier.clone(),
            build_config_uri: claims.build_config_uri.clone(),
            build_config_digest: claims.build_config_digest.clone(),
            build_trigger: claims.build_trigger.clone(),
            run_invocation_uri: claims.run_invocation_uri.clone(),
            source_repository_visibility_at_signing: claims
                .source_repository_visibility_at_signing
                .clone(),
            deployment_environment: claims.deployment_environment.clone(),
            token_subject: claims.token_subject.clone(),
        }
    }

    /// The path of the workflow file within its repository, from a build
    /// config or signer URI: `https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1`
    /// → `.github/workflows/x.yml`.
    pub fn workflow_path(uri: &str) -> Option<&str> {
        let without_ref = uri.split_once('@').map_or(uri, |(path, _)| path);
        let start = without_ref.find("/.github/")?;
        Some(&without_ref[start + 1..])
    }
}

/// The signing certificate, as far as a policy cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerFacts {
    /// The first email, URI or otherName SAN: what `--certificate-identity` matches.
    pub identity: Option<String>,
    /// Every SAN value the certificate carries.
    pub sans: Vec<San>,
    /// The OIDC issuer (`1.3.6.1.4.1.57264.1.8`, or the legacy `.1.1`).
    pub issuer: Option<String>,
    pub not_before: jiff::Timestamp,
    pub not_after: jiff::Timestamp,
    pub claims: CertificateClaims,
}

/// One transparency-log entry of a verified bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntryFacts {
    pub log_index: u64,
    /// Base64 log ID (the SHA-256 of the log's key).
    pub log_id: String,
    /// `dsse/0.0.1`, `hashedrekord/0.0.2`, …
    pub kind: String,
    pub integrated_time: Option<jiff::Timestamp>,
}

/// An in-toto subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectFacts {
    pub name: String,
    /// algorithm → hex digest.
    pub digest: BTreeMap<String, String>,
}

/// What a DSSE bundle's in-toto statement says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementFacts {
    #[serde(rename = "type")]
    pub statement_type: String,
    pub predicate_type: String,
    pub subjects: Vec<SubjectFacts>,
}

/// Everything a verified bundle proves, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedFacts {
    /// The trust root the bundle verified against.
    pub trust_root: String,
    pub media_type: String,
    /// The checks that passed, in the order they were made.
    pub checks: Vec<Check>,
    /// `None` for a managed-key bundle.
    pub signer: Option<SignerFacts>,
    /// Authenticated signing times (log integrated times, RFC 3161 times).
    pub verified_times: Vec<jiff::Timestamp>,
    pub log_entries: Vec<LogEntryFacts>,
    /// `None` for a message-signature bundle.
    pub statement: Option<StatementFacts>,
}

impl VerifiedFacts {
    /// The earliest authenticated signing time.
    pub fn signed_at(&self) -> Option<jiff::Timestamp> {
        self.verified_times.iter().min().copied()
    }

    /// The certificate claims, when the bundle was signed with a certificate.
    pub fn claims(&self) -> Option<&CertificateClaims> {
        self.signer.as_ref().map(|s| &s.claims)
    }
}

/// Verify one bundle against one trust root.
///
/// Checks, in order (all but 7 and 8 by `sigstore-verify`, see
/// [`sigstore_verify::Verifier::verify`] for its own order):
/// 1. the bundle is structurally valid for its media type;
/// 2. the verified signing times: transparency-log integrated time (SET or
///    inclusion) and RFC 3161 timestamps against the root's TSAs;
/// 3. the certificate chains to one of the root's CAs at every signing time,
///    has the code-signing EKU, and its SCT verifies against the root's CT
///    logs (when the root lists CT logs);
/// 4. the transparency-log entry: inclusion proof against a signed
///    checkpoint, or the SET, and consistency of the entry with the bundle
///    (when the root lists transparency logs);
/// 5. the DSSE or message signature with the certificate's (or given) key,
///    and the artifact digest is an in-toto subject (DSSE) or the signed
///    digest (message signature);
/// 6. the issuer, when one is expected (exact match, through the library);
/// 7. the certificate is one Fulcio would issue: each extension once, a
///    GitHub Actions identity equal to its Build Signer URI, deprecated
///    claims that agree with their successors
///    (`certificate::check_consistency`, our code);
/// 8. the identity, when one is expected: exact match against any email,
///    URI or otherName SAN of the certificate (our code: the library cannot
///    read otherName SANs).
///
/// Before the library runs, a bundle whose inclusion proof repeats the
/// entry's log index (Rekor v2) or the checkpoint's tree size and root hash
/// with other values, or whose Rekor v2 entry states an integrated time, is
/// rejected as malformed ([`check_duplicated_fields`]); so is a bundle with
/// log entries checked against a root that lists no transparency log (the
/// entries could not be verified). After it, every entry's checkpoint must
/// be signed by the log the entry names, valid at the signing times
/// ([`check_log_binding`]).
///
/// The root decides which of the optional services must have been checked;
/// the result flags are re-checked here so that a policy mistake fails closed.
pub fn verify_bundle(
    root: &TrustRoot,
    bundle: &Bundle,
    artifact: &ArtifactInput,
    signer: &SignerCheck,
) -> Result<VerifiedFacts, VerifyFailure> {
    check_duplicated_fields(bundle)?;
    if !bundle.verification_material.tlog_entries.is_empty() && !root.requirements.transparency_log
    {
        // A proof that is present but cannot be checked is not ignored.
        return Err(VerifyFailure::new(
            Check::TransparencyLog,
            format!(
                "the bundle has transparency-log entries, and trust root {} lists no transparency log to verify them against",
                root.name
            ),
        ));
    }
    let key_bundle = matches!(signer, SignerCheck::Key(_));
    let result = library_verify(root, bundle, artifact, signer)?;
    require_checks_made(root, bundle, &result, key_bundle)?;
    let signer_facts = if key_bundle {
        None
    } else {
        Some(signer_facts(bundle, &result, signer)?)
    };
    Ok(VerifiedFacts {
        trust_root: root.name.clone(),
        media_type: bundle.media_type.as_str().to_string(),
        checks: checks_made(root, signer, key_bundle),
        signer: signer_facts,
        verified_times: result.verified_timestamps().to_vec(),
        log_entries: log_entry_facts(bundle),
        statement: statement_facts(bundle)?,
    })
}

/// Steps 1 to 6: `sigstore-verify`'s checks, with the root's policy for a
/// certificate (and the expected issuer) or for a key.
fn library_verify(
    root: &TrustRoot,
    bundle: &Bundle,
    artifact: &ArtifactInput,
    signer: &SignerCheck,
) -> Result<sigstore_verify::VerificationResult, VerifyFailure> {
    let verifier = root.verifier();
    let verified = match signer {
        SignerCheck::Certificate { issuer, .. } => {
            let mut policy = root.certificate_policy();
            if let Some(issuer) = issuer {
                policy = policy.require_issuer(issuer.clone());
            }
            verifier.verify(artifact.as_artifact(), bundle, &policy)
        }
        SignerCheck::Key(key) => verifier.verify(
            artifact.as_artifact(),
            bundle,
            &root.public_key_policy(key.clone()),
        ),
    };
    verified.map_err(|e| VerifyFailure::from_library(e).naming_subject_algorithms(bundle))
}

/// Fail closed if the library reports a check as not made that this root
/// requires; then every log entry's checkpoint bound to its log.
fn require_checks_made(
    root: &TrustRoot,
    bundle: &Bundle,
    result: &sigstore_verify::VerificationResult,
    key_bundle: bool,
) -> Result<(), VerifyFailure> {
    let must = root.requirements;
    if must.transparency_log && !result.tlog_verified() {
        return Err(VerifyFailure::new(
            Check::TransparencyLog,
            "the transparency log entry was not verified",
        ));
    }
    if !key_bundle && !result.certificate_verified() {
        return Err(VerifyFailure::new(
            Check::CertificateChain,
            "the certificate chain was not verified",
        ));
    }
    if !key_bundle && must.sct && !result.sct_verified() {
        return Err(VerifyFailure::new(Check::Sct, "the SCT was not verified"));
    }
    if must.transparency_log {
        check_log_binding(root, bundle, result.verified_timestamps())?;
    }
    Ok(())
}

/// Steps 7 and 8: the certificate as Fulcio would issue it, and the
/// expected identity among its SANs; the facts a policy reads.
fn signer_facts(
    bundle: &Bundle,
    result: &sigstore_verify::VerificationResult,
    signer: &SignerCheck,
) -> Result<SignerFacts, VerifyFailure> {
    let cert_der = bundle.signing_certificate().ok_or_else(|| {
        VerifyFailure::new(Check::BundleFormat, "bundle has no signing certificate")
    })?;
    let info = result.certificate().ok_or_else(|| {
        VerifyFailure::new(
            Check::BundleFormat,
            "no certificate information in the result",
        )
    })?;
    let cert = certificate::parse(cert_der.as_bytes())?;
    let sans = certificate::subject_alt_names(&cert)?;
    certificate::check_consistency(&cert, &sans)?;
    let facts = SignerFacts {
        identity: sans.first().map(|s| s.value.clone()),
        sans,
        issuer: info.issuer.clone(),
        not_before: info.not_before,
        not_after: info.not_after,
        claims: CertificateClaims::from_library(&info.ci_claims),
    };
    if let SignerCheck::Certificate {
        identity: Some(expected),
        ..
    } = signer
    {
        if !facts.sans.iter().any(|san| &san.value == expected) {
            return Err(VerifyFailure::new(
                Check::Identity,
                format!(
                    "expected identity {expected}, certificate has {}",
                    facts
                        .sans
                        .iter()
                        .map(|s| s.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(facts)
}

/// The checks a verified bundle passed, in the order they are made.
fn checks_made(root: &TrustRoot, signer: &SignerCheck, key_bundle: bool) -> Vec<Check> {
    let must = root.requirements;
    let mut checks = vec![Check::BundleFormat, Check::Timestamp];
    if !key_bundle {
        checks.push(Check::CertificateChain);
        if must.sct {
            checks.push(Check::Sct);
        }
    }
    if must.transparency_log {
        checks.push(Check::TransparencyLog);
    }
    checks.extend([Check::Signature, Check::Subject]);
    if let SignerCheck::Certificate { issuer, identity } = signer {
        if issuer.is_some() {
            checks.push(Check::Issuer);
        }
        checks.push(Check::CertificateClaims);
        if identity.is_some() {
            checks.push(Check::Identity);
        }
    }
    checks
}

/// What each transparency-log entry of a verified bundle says.
fn log_entry_facts(bundle: &Bundle) -> Vec<LogEntryFacts> {
    bundle
        .verification_material
        .tlog_entries
        .iter()
        .map(|entry| LogEntryFacts {
            log_index: entry.log_index.get(),
            log_id: entry.log_id.key_id.to_string(),
            kind: format!(
                "{}/{}",
                entry.kind_version.kind(),
                entry.kind_version.version()
            ),
            integrated_time: entry.integrated_time,
        })
        .collect()
}

/// Verify a bundle against the first of several roots it verifies under.
///
/// Every root is a complete policy of its own, so trying several is as
/// strict as trying the right one. The order is only a speed hint (bundles
/// without a log entry are tried against log-less roots first); the
/// failure reported never depends on it. When no root accepts the bundle,
/// the failure reported is the one from a root whose CA issued the
/// certificate, if any, since that is the instance the bundle claims to
/// come from: see `failure_rank`.
pub fn verify_with_roots(
    roots: &[TrustRoot],
    bundle: &Bundle,
    artifact: &ArtifactInput,
    signer: &SignerCheck,
) -> Result<VerifiedFacts, VerifyFailure> {
    let has_log_entry = !bundle.verification_material.tlog_entries.is_empty();
    let mut order: Vec<&TrustRoot> = roots.iter().collect();
    order.sort_by_key(|root| root.requirements.transparency_log != has_log_entry);
    let mut best: Option<VerifyFailure> = None;
    for root in order {
        match verify_bundle(root, bundle, artifact, signer) {
            Ok(facts) => return Ok(facts),
            Err(failure) => {
                if best
                    .as_ref()
                    .is_none_or(|current| failure_rank(&failure) > failure_rank(current))
                {
                    best = Some(failure);
                }
            }
        }
    }
    Err(best.unwrap_or_else(|| {
        VerifyFailure::new(Check::CertificateChain, "no trust root to verify against")
    }))
}

/// How telling a failure under one of several roots is; the highest is
/// reported. First, how far verification got: a failed SCT, signature,
/// subject, identity, issuer or certificate claims check comes after the certificate chained to
/// the root's CA (that root is the bundle's instance); a failed chain comes
/// after the root's log or TSA vouched for the signing time (the root is
/// the bundle's instance, or shares its log, but no CA of it issued the
/// certificate); any other failure can come from a root of an unrelated
/// instance. Ties go to the lowest check, then the lowest message, so that
/// the choice is a property of the failures alone, never of their order.
fn failure_rank(failure: &VerifyFailure) -> (u8, std::cmp::Reverse<(u8, &str)>) {
    let progress = match failure.check {
        Check::Sct
        | Check::Signature
        | Check::Subject
        | Check::Identity
        | Check::Issuer
        | Check::CertificateClaims => 2,
        Check::CertificateChain => 1,
        Check::BundleFormat | Check::TransparencyLog | Check::Timestamp => 0,
    };
    (
        progress,
        std::cmp::Reverse((failure.check as u8, failure.message.as_str())),
    )
}

/// The in-toto statement of a DSSE bundle (already bound to the artifact by
/// the library; read again here only to report what it says).
fn statement_facts(bundle: &Bundle) -> Result<Option<StatementFacts>, VerifyFailure> {
    let SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        return Ok(None);
    };
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct RawStatement {
        #[serde(rename = "_type")]
        statement_type: String,
        predicate_type: String,
        subject: Vec<RawSubject>,
    }
    #[derive(Deserialize)]
    struct RawSubject {
        #[serde(default)]
        name: String,
        digest: BTreeMap<String, String>,
    }
    let raw: RawStatement = serde_json::from_slice(envelope.payload.as_bytes())
        .map_err(|e| VerifyFailure::new(Check::BundleFormat, format!("in-toto statement: {e}")))?;
    Ok(Some(StatementFacts {
        statement_type: raw.statement_type,
        predicate_type: raw.predicate_type,
        subjects: raw
            .subject
            .into_iter()
            .map(|s| SubjectFacts {
                name: s.name,
                digest: s
                    .digest
                    .into_iter()
                    .map(|(k, v)| (k, v.to_ascii_lowercase()))
                    .collect(),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind of library error is reported as the check it is: the
    /// failure a user reads and `explain` shows, and what the conformance
    /// tests compare with the manifest's reason.
    #[test]
    fn each_library_error_is_named_as_its_check() {
        use sigstore_verify::{CertificateError, Error, IdentityMatcher};
        let cases = [
            (
                Error::IdentityMismatch {
                    expected: IdentityMatcher::Exact("a".into()),
                    actual: None,
                },
                Check::Identity,
            ),
            (
                Error::IssuerMismatch {
                    expected: "a".into(),
                    actual: None,
                },
                Check::Issuer,
            ),
            (Error::SignatureInvalid("x".into()), Check::Signature),
            (
                Error::ArtifactMismatch(HASHEDREKORD_ENTRY_MISMATCH.into()),
                Check::TransparencyLog,
            ),
            (Error::ArtifactMismatch("x".into()), Check::Subject),
            (Error::UnsupportedArtifact("x".into()), Check::Subject),
            (
                Error::Certificate(CertificateError::Sct("x".into())),
                Check::Sct,
            ),
            (
                Error::Certificate(CertificateError::ChainInvalid("x".into())),
                Check::CertificateChain,
            ),
            (Error::InvalidBundle("x".into()), Check::BundleFormat),
        ];
        for (error, check) in cases {
            let text = error.to_string();
            let failure = VerifyFailure::from_library(error);
            assert_eq!(failure.check, check, "{text}");
            assert_eq!(failure.message, text);
        }
    }

    /// A bundle whose statement's one subject has a digest under each of
    /// `algorithms`; nothing in it is signed: only the statement is read.
    fn bundle_with_subject_algorithms(algorithms: &[&str]) -> Bundle {
        use base64::Engine as _;
        let digest: serde_json::Map<String, serde_json::Value> = algorithms
            .iter()
            .map(|a| (a.to_string(), serde_json::Value::from("00")))
            .collect();
        let statement = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "a", "digest": digest}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {},
        });
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let bundle = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": b64(b"not a certificate")},
                "tlogEntries": [],
            },
            "dsseEnvelope": {
                "payload": b64(statement.to_string().as_bytes()),
                "payloadType": "application/vnd.in-toto+json",
                "signatures": [{"sig": b64(b"not a signature"), "keyid": ""}],
            },
        });
        let parsed = parse_bundles(bundle.to_string().as_bytes(), "test").unwrap();
        parsed.into_iter().next().unwrap().unwrap().bundle
    }

    /// A subject failure names a few short algorithm names from the
    /// statement, sorted, and counts the rest; other failures are left as
    /// they are.
    #[test]
    fn a_subject_failure_names_a_few_short_algorithms_and_counts_the_rest() {
        let named = |algorithms: &[&str], check: Check| {
            VerifyFailure::new(check, "m")
                .naming_subject_algorithms(&bundle_with_subject_algorithms(algorithms))
                .message
        };
        assert_eq!(
            named(&["sha256"], Check::Subject),
            "m (the statement's subjects are digested with sha256)"
        );
        let long = "x".repeat(33);
        assert_eq!(
            named(
                &["sha512", "sha256", "sha1", "md5", "gitCommit", &long],
                Check::Subject
            ),
            "m (the statement's subjects are digested with gitCommit, md5, sha1, sha256, 1 more)"
        );
        let exactly_32 = "y".repeat(32);
        assert_eq!(
            named(&[&exactly_32], Check::Subject),
            format!("m (the statement's subjects are digested with {exactly_32})")
        );
        assert_eq!(named(&["sha256"], Check::Signature), "m");
    }

    /// The names of the checks are what people and the conformance tests
    /// read: each its own, none empty.
    #[test]
    fn every_check_has_a_name_of_its_own() {
        let all = [
            Check::BundleFormat,
            Check::CertificateChain,
            Check::Sct,
            Check::TransparencyLog,
            Check::Timestamp,
            Check::Signature,
            Check::Subject,
            Check::Identity,
            Check::Issuer,
            Check::CertificateClaims,
        ];
        let names: std::collections::BTreeSet<String> =
            all.iter().map(|check| check.to_string()).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(Check::Subject.to_string(), "subject digest");
        assert_eq!(Check::Sct.to_string(), "signed certificate timestamp (SCT)");
        assert!(names.iter().all(|n| !n.is_empty() && n != "xyzzy"));
    }

    #[test]
    fn workflow_path_strips_repository_and_ref() {
        assert_eq!(
            CertificateClaims::workflow_path(
                "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0"
            ),
            Some(".github/workflows/release.yml")
        );
        assert_eq!(
            CertificateClaims::workflow_path("https://gitlab.com/o/r//.gitlab-ci.yml@main"),
            None
        );
    }

    #[test]
    fn digest_input_parses_sha256_and_sha512() {
        for (text, algorithm, bytes) in [
            (
                format!("sha256:{}", "ab".repeat(32)),
                HashAlgorithm::Sha2256,
                vec![0xab; 32],
            ),
            (
                format!("sha512:{}", "CD".repeat(64)),
                HashAlgorithm::Sha2512,
                vec![0xcd; 64],
            ),
        ] {
            let Ok(ArtifactInput::Digest(digest)) = ArtifactInput::parse_digest(&text) else {
                panic!("{text} does not parse as a digest");
            };
            assert_eq!(digest.algorithm(), algorithm, "{text}");
            assert_eq!(digest.as_bytes(), bytes.as_slice(), "{text}");
        }
        for bad in [
            "sha256:abc",
            "md5:00",
            "nocolon",
            &format!("sha256:{}", "zz".repeat(32)),
        ] {
            assert!(ArtifactInput::parse_digest(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_bundles_reports_each_bad_line_in_place() {
        let parsed = parse_bundles(b"{\"a\":1}\nnot json\n", "x.jsonl").unwrap();
        assert_eq!(parsed.len(), 2);
        assert!(parsed.iter().all(|p| p.is_err()));
        let err = parsed[1].as_ref().unwrap_err();
        assert!(err.message.starts_with("x.jsonl:2"), "{}", err.message);
        assert!(parse_bundles(b"   ", "empty").is_err());
        assert!(parse_bundles(b"{", "broken").is_err());
        let api = br#"{"attestations":[{"bundle":{"mediaType":"nope"}},{"x":1}]}"#;
        let parsed = parse_bundles(api, "api").unwrap();
        assert_eq!(parsed.len(), 2);
        assert!(parsed[1]
            .as_ref()
            .unwrap_err()
            .message
            .contains("no `bundle`"));
    }
}
