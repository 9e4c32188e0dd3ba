//! A private Sigstore instance in miniature, for tests, the demo and
//! benchmarks. Compiled only with the `testkit` feature; never part of a
//! normal build.
//!
//! From a fixed seed, an [`Instance`] holds:
//! - a Fulcio-like certificate authority (root and intermediate, with
//!   validity windows) that issues GitHub Actions-shaped leaf certificates;
//! - a CT log key that signs a real precertificate SCT embedded in every leaf;
//! - a Rekor-like log: `dsse` v0.0.1 entries in an RFC 6962 Merkle tree,
//!   with inclusion proofs, a signed checkpoint and a SET per entry;
//! - an RFC 3161 timestamp authority;
//! - the matching `trusted_root.json` ([`Instance::trusted_root_json`]).
//!
//! An instance is of one of two [`Kind`]s: like Sigstore's public-good
//! instance (the log's SET dates each signature, every leaf carries an SCT)
//! or like GitHub's instance for private repositories (no transparency or
//! CT log; an RFC 3161 timestamp dates each signature).
//!
//! [`Instance::mint`] and [`Instance::mint_batch`] turn a crate (name,
//! version, `.crate` SHA-256) and its build [`Claims`] into a v0.3 bundle
//! that passes the same verification as a public-good one: an in-toto v1
//! statement with a SLSA v1 provenance predicate for `pkg:cargo/NAME@VERSION`,
//! in a DSSE envelope signed by the leaf key, with its log entry. [`Faults`]
//! make the bundles a verifier must reject.
//!
//! Everything is deterministic: keys come from seeded ChaCha20 streams,
//! ECDSA uses RFC 6979 nonces and every time derives from the instance's
//! base time (never the clock). The same seed and requests give the same
//! bytes.

mod ca;
mod claims;
pub mod crates;
pub mod demo;
pub mod files;
pub mod internals;
mod keys;
mod log;
mod rekor_v2;
pub mod repos;
mod statement;
mod trusted_root;
mod tsa;
pub mod workspace;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sigstore_types::bundle::{
    CertificateContent, CheckpointData, InclusionPromise, InclusionProof, KindVersion, LogId,
    Rfc3161Timestamp, SignatureContent, TimestampVerificationData, TransparencyLogEntry,
    VerificationMaterial, VerificationMaterialContent,
};
use sigstore_types::{
    Bundle, CanonicalizedBody, DerCertificate, DsseEnvelope, DsseSignature, KeyId, LogIndex,
    LogKeyId, MediaType, PayloadBytes, Sha256Hash, SignatureBytes, SignedTimestamp, TimestampToken,
};

pub use claims::{Claims, SignerWorkflow, GITHUB_ACTIONS_ISSUER};
pub use rekor_v2::REKOR_V2_NAME;
pub use statement::{cargo_purl, SLSA_PROVENANCE_V1, STATEMENT_TYPE};

pub use ca::CertificateFault;
use ca::{Authority, LeafRequest};
use keys::{KeyPair, Seed};
use log::{Log, MerkleTree};
use tsa::TimestampAuthority;

/// The base time of an instance unless another is given: every certificate,
/// SCT and log entry is dated from it, so bundles are identical whenever
/// they are made, and in the past (a verifier rejects log times in the future).
pub const DEFAULT_BASE_TIME: &str = "2026-01-15T12:00:00Z";
/// How long a leaf certificate is valid, as with Fulcio.
pub const LEAF_VALIDITY: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);
/// Entries in the log before the first minted one (other signers' entries),
/// so that every inclusion proof has hashes in it.
pub const PRIOR_LOG_ENTRIES: u64 = 3;

const FULCIO_URL: &str = "https://fulcio.testkit.invalid";
const REKOR_URL: &str = "https://rekor.testkit.invalid";
const CTFE_URL: &str = "https://ctfe.testkit.invalid/testkit";
const TSA_URL: &str = "https://timestamp.testkit.invalid/api/v1/timestamp";

/// Which Sigstore deployment an instance is like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    /// Like Sigstore's public-good instance: every bundle has a log entry
    /// whose SET dates the signature, every leaf an embedded SCT; the root
    /// lists the CA, the log, the CT log and the TSA.
    #[default]
    PublicGood,
    /// Like GitHub's instance for private repositories: no log entry and no
    /// SCT; an RFC 3161 timestamp dates the signature; the root lists only
    /// the CA and the TSA.
    GitHub,
}
const TRUSTED_ROOT_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/// How a bundle is made wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// The statement's subject digest, instead of the crate's SHA-256.
    pub subject_sha256: Option<[u8; 32]>,
    /// When the signature was dated (by the log, or by the TSA), relative
    /// to the certificate.
    pub logged: Logged,
    /// The leaf is issued by a CA with the same names but other keys, absent
    /// from the trusted root.
    pub untrusted_ca: bool,
    /// Part of the log material changed after the log signed it.
    pub tamper: Option<Tamper>,
    /// A leaf certificate, signed by the trusted CA, that Fulcio would not issue.
    pub certificate: Option<CertificateFault>,
}

/// When the log integrated the entry (or the TSA dated the signature),
/// relative to the leaf's validity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Logged {
    /// A few seconds after the certificate was issued, as always happens.
    #[default]
    WhileValid,
    /// A minute after the certificate expired.
    AfterExpiry,
    /// A minute before the certificate became valid.
    BeforeValidity,
}

/// What is changed after the log or the TSA signed it. The log variants
/// need an instance of [`Kind::PublicGood`], [`Tamper::Timestamp`] one of
/// [`Kind::GitHub`]; minting panics otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// The entry body (its payload hash), so SET and inclusion proof no longer match it.
    LogEntryBody,
    /// One hash of the inclusion proof.
    InclusionProof,
    /// The checkpoint's signature.
    CheckpointSignature,
    /// The integrated time, which the SET covers.
    IntegratedTime,
    /// The signature of the RFC 3161 timestamp token.
    Timestamp,
}

/// One crate to mint a bundle for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintRequest {
    pub name: String,
    pub version: String,
    /// SHA-256 of the `.crate` file: the Cargo.lock `checksum`.
    pub sha256: [u8; 32],
    pub claims: Claims,
    pub faults: Faults,
    /// When the certificate is issued; by default the instance's base time
    /// plus the request's position in the batch, in seconds.
    pub signed_at: Option<jiff::Timestamp>,
}

impl MintRequest {
    /// A well-formed request: nothing faulty.
    pub fn new(name: &str, version: &str, sha256: [u8; 32], claims: Claims) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            sha256,
            claims,
            faults: Faults::default(),
            signed_at: None,
        }
    }

    /// A request from a Cargo.lock checksum (64 hex digits).
    pub fn from_checksum(
        name: &str,
        version: &str,
        checksum: &str,
        claims: Claims,
    ) -> Result<Self, String> {
        let bytes = hex::decode(checksum)
            .map_err(|e| format!("{name} {version}: checksum `{checksum}`: {e}"))?;
        let sha256 = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| format!("{name} {version}: checksum `{checksum}` is not 32 bytes"))?;
        Ok(Self::new(name, version, sha256, claims))
    }

    /// The same request with these faults.
    pub fn with_faults(self, faults: Faults) -> Self {
        Self { faults, ..self }
    }
}

/// A minted bundle and what verifying it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct MintedBundle {
    pub name: String,
    pub version: String,
    pub bundle: Bundle,
    /// The certificate identity (`--certificate-identity`).
    pub identity: String,
    /// The OIDC issuer (`--certificate-oidc-issuer`).
    pub issuer: String,
}

impl MintedBundle {
    /// The bundle's JSON as GitHub serves it and `gh attestation download`
    /// writes it: compact, no final newline, members in the order of the
    /// protobuf-specs definitions (the DSSE envelope's `payload` before
    /// `payloadType`), as protobuf-based clients write them.
    pub fn to_json(&self) -> String {
        bundle_json(&self.bundle)
    }

    /// `NAME-VERSION.sigstore.json`, the name `dir` sources look for.
    pub fn file_name(&self) -> String {
        format!("{}-{}.sigstore.json", self.name, self.version)
    }
}

/// The private Sigstore instance.
#[derive(Debug, Clone)]
pub struct Instance {
    kind: Kind,
    seed: Seed,
    base_time: jiff::Timestamp,
    authority: Authority,
    untrusted_authority: Authority,
    ct_log: KeyPair,
    log: Log,
    tsa: TimestampAuthority,
}

/// Everything about one entry that is fixed before the tree exists.
struct Prepared {
    certificate: DerCertificate,
    envelope: DsseEnvelope,
    /// The `dsse` log entry body ([`Kind::PublicGood`]).
    body: Vec<u8>,
    integrated_time: i64,
    /// The RFC 3161 timestamp token ([`Kind::GitHub`]).
    timestamp: Option<Vec<u8>>,
}

impl Instance {
    /// The public-good-like instance of `seed`, dated from [`DEFAULT_BASE_TIME`].
    pub fn new(seed: u64) -> Self {
        Self::with_options(seed, Kind::PublicGood, default_base_time())
    }

    /// The GitHub-like instance of `seed`, dated from [`DEFAULT_BASE_TIME`].
    pub fn github(seed: u64) -> Self {
        Self::with_options(seed, Kind::GitHub, default_base_time())
    }

    /// The public-good-like instance of `seed`, dated from `base_time`.
    pub fn with_base_time(seed: u64, base_time: jiff::Timestamp) -> Self {
        Self::with_options(seed, Kind::PublicGood, base_time)
    }

    /// The instance of `seed` and `kind`, dated from `base_time`: CA, CT,
    /// log and TSA keys are valid from a year before it; bundle `i` of a
    /// batch is signed at `base_time + i` seconds. Instances of the two
    /// kinds never share keys.
    pub fn with_options(seed: u64, kind: Kind, base_time: jiff::Timestamp) -> Self {
        let seed = Seed::new(seed);
        let prefix = match kind {
            Kind::PublicGood => "",
            Kind::GitHub => "github/",
        };
        let keys_from = base_time - jiff::SignedDuration::from_hours(24 * 365);
        let tree_id = u64::from_be_bytes(seed.bytes::<8>("rekor/tree-id")) >> 1;
        Self {
            kind,
            authority: Authority::new(&seed, &format!("{prefix}fulcio"), keys_from),
            untrusted_authority: Authority::new(
                &seed,
                &format!("{prefix}untrusted-fulcio"),
                keys_from,
            ),
            ct_log: seed.key("ctfe"),
            log: Log {
                key: seed.key("rekor"),
                tree_id,
            },
            tsa: TimestampAuthority::new(&seed, &format!("{prefix}tsa"), keys_from),
            seed,
            base_time,
        }
    }

    /// Which deployment this instance is like.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The base time bundles are dated from.
    pub fn base_time(&self) -> jiff::Timestamp {
        self.base_time
    }

    /// The instance's trusted root, loaded as `--trusted-root
    /// trusted_root.json` loads a file (named `testkit`).
    pub fn trust_root(&self) -> crate::trust::TrustRoot {
        crate::trust::TrustRoot::from_json(
            "testkit".into(),
            crate::trust::RootOrigin::File {
                path: "trusted_root.json".into(),
            },
            &self.trusted_root_json(),
        )
        .expect("an instance's trusted root loads")
    }

    /// The `trusted_root.json` that verifies this instance's bundles: the
    /// CA chain (intermediate, then root) and the TSA chain (leaf, then
    /// root), and for [`Kind::PublicGood`] the log key and the CT log key
    /// with their log IDs, all with validity windows. Pretty JSON, final
    /// newline.
    pub fn trusted_root_json(&self) -> String {
        use trusted_root::*;
        let start = self.authority.not_before;
        let public_good = self.kind == Kind::PublicGood;
        let root = TrustedRootJson {
            media_type: TRUSTED_ROOT_MEDIA_TYPE,
            tlogs: if public_good {
                vec![p256_log(
                    REKOR_URL,
                    self.log.key.spki_der(),
                    &self.log.log_id(),
                    start,
                )]
            } else {
                Vec::new()
            },
            certificate_authorities: vec![CertificateAuthority {
                subject: Subject {
                    organization: ca::CA_ORGANIZATION.to_string(),
                    common_name: "testkit-fulcio".to_string(),
                },
                uri: FULCIO_URL.to_string(),
                cert_chain: CertChain {
                    certificates: vec![
                        RawBytes::new(&self.authority.intermediate.der),
                        RawBytes::new(&self.authority.root.der),
                    ],
                },
                valid_for: ValidFor {
                    start: start.to_string(),
                    end: None,
                },
            }],
            ctlogs: if public_good {
                vec![p256_log(
                    CTFE_URL,
                    self.ct_log.spki_der(),
                    &self.ct_log.key_id(),
                    start,
                )]
            } else {
                Vec::new()
            },
            timestamp_authorities: vec![CertificateAuthority {
                subject: Subject {
                    organization: ca::CA_ORGANIZATION.to_string(),
                    common_name: tsa::TSA_LEAF_COMMON_NAME.to_string(),
                },
                uri: TSA_URL.to_string(),
                cert_chain: CertChain {
                    certificates: vec![
                        RawBytes::new(&self.tsa.leaf_der),
                        RawBytes::new(&self.tsa.root.der),
                    ],
                },
                valid_for: ValidFor {
                    start: self.tsa.not_before.to_string(),
                    end: None,
                },
            }],
        };
        let mut json = serde_json::to_string_pretty(&root).expect("a trusted root serializes");
        json.push('\n');
        json
    }

    /// Mint one bundle (a batch of one).
    pub fn mint(&self, request: &MintRequest) -> MintedBundle {
        self.mint_batch(std::slice::from_ref(request))
            .pop()
            .expect("one bundle per request")
    }

    /// Mint a bundle for every request, all in one log: one Merkle tree, one
    /// signed checkpoint, an inclusion proof and SET per entry (or, for a
    /// GitHub-like instance, an RFC 3161 timestamp per bundle). The work is
    /// spread over the available cores; the output does not depend on how.
    ///
    /// # Panics
    ///
    /// When a request asks for a [`Tamper`] this kind of instance has no
    /// material for, or its claims make a SAN URI that is not ASCII.
    pub fn mint_batch(&self, requests: &[MintRequest]) -> Vec<MintedBundle> {
        if requests.is_empty() {
            return Vec::new();
        }
        for request in requests {
            self.check_tamper(request.faults.tamper);
        }
        let indexed: Vec<(usize, &MintRequest)> = requests.iter().enumerate().collect();
        let prepared = parallel_map(&indexed, |(index, request)| self.prepare(*index, request));

        // The log's view of the batch (a GitHub-like instance has no log
        // and uses none of it; building it anyway keeps one code path).
        let mut leaves: Vec<Sha256Hash> = (0..PRIOR_LOG_ENTRIES)
            .map(|i| sigstore_merkle::hash_leaf(format!("testkit prior entry {i}").as_bytes()))
            .collect();
        leaves.extend(prepared.iter().map(|p| sigstore_merkle::hash_leaf(&p.body)));
        let tree = MerkleTree::new(leaves);
        let checkpoint = self.log.checkpoint(&tree);

        let work: Vec<(usize, &MintRequest, &Prepared)> = indexed
            .iter()
            .zip(&prepared)
            .map(|((index, request), prepared)| (*index, *request, prepared))
            .collect();
        parallel_map(&work, |(index, request, prepared)| {
            self.finish(
                *index as u64 + PRIOR_LOG_ENTRIES,
                request,
                prepared,
                &tree,
                &checkpoint,
            )
        })
    }

    /// Certificate, statement, envelope and log entry body of one request.
    fn prepare(&self, index: usize, request: &MintRequest) -> Prepared {
        let label = format!(
            "leaf/{index}/{}@{}/{}",
            request.name,
            request.version,
            hex::encode(request.sha256)
        );
        let leaf_key = self.seed.key(&label);
        let offset = i64::try_from(index).expect("a batch index fits i64");
        let not_before = request
            .signed_at
            .unwrap_or(self.base_time + jiff::SignedDuration::from_secs(offset));
        let not_after = not_before + LEAF_VALIDITY;
        let authority = if request.faults.untrusted_ca {
            &self.untrusted_authority
        } else {
            &self.authority
        };
        let sct_timestamp_ms =
            u64::try_from(not_before.as_millisecond()).expect("testkit times are after 1970") + 250;
        let certificate = authority.issue_leaf(&LeafRequest {
            key: &leaf_key,
            serial: self.seed.bytes(&format!("{label}/serial")),
            not_before,
            not_after,
            claims: &request.claims,
            sct_timestamp_ms,
            ct_log: (self.kind == Kind::PublicGood).then_some(&self.ct_log),
            fault: request.faults.certificate.as_ref(),
        });
        let certificate = DerCertificate::new(certificate);

        let subject = request.faults.subject_sha256.unwrap_or(request.sha256);
        let payload = statement::provenance_statement(
            &request.name,
            &request.version,
            &subject,
            &request.claims,
        );
        let payload_type = crate::verify::IN_TOTO_PAYLOAD_TYPE;
        let signature = leaf_key.sign(&sigstore_types::pae(payload_type, &payload));
        let envelope = DsseEnvelope::new(
            payload_type,
            PayloadBytes::new(payload.clone()),
            DsseSignature::new(SignatureBytes::new(signature.clone()), KeyId::default()),
        );
        let submitted = log::submitted_envelope(payload_type, &payload, &signature);
        let body = log::dsse_entry_body(&submitted, &payload, &signature, certificate.as_bytes());

        let signed_at = match request.faults.logged {
            Logged::WhileValid => not_before + jiff::SignedDuration::from_secs(3),
            Logged::AfterExpiry => not_after + jiff::SignedDuration::from_mins(1),
            Logged::BeforeValidity => not_before - jiff::SignedDuration::from_mins(1),
        };
        let timestamp = (self.kind == Kind::GitHub).then(|| {
            let serial = u64::from_be_bytes(self.seed.bytes(&format!("{label}/tsa-serial")));
            self.tsa.timestamp(&signature, signed_at, serial >> 1)
        });
        Prepared {
            certificate,
            envelope,
            body,
            integrated_time: signed_at.as_second(),
            timestamp,
        }
    }

    /// The bundle: with its log entry (proof, SET and checkpoint) for
    /// [`Kind::PublicGood`], with its RFC 3161 timestamp for [`Kind::GitHub`].
    fn finish(
        &self,
        log_index: u64,
        request: &MintRequest,
        prepared: &Prepared,
        tree: &MerkleTree,
        checkpoint: &str,
    ) -> MintedBundle {
        let mut material = VerificationMaterial::new(VerificationMaterialContent::Certificate(
            CertificateContent::new(prepared.certificate.clone()),
        ));
        match &prepared.timestamp {
            Some(token) => {
                let mut token = token.clone();
                if request.faults.tamper == Some(Tamper::Timestamp) {
                    // The token ends with the signer's signature value.
                    let last = token.len() - 1;
                    token[last] ^= 0x01;
                }
                material =
                    material.with_timestamp_verification_data(TimestampVerificationData::new(
                        vec![Rfc3161Timestamp::new(TimestampToken::new(token))],
                    ));
            }
            None => {
                material = material.with_tlog_entries(vec![self.log_entry(
                    log_index,
                    request.faults.tamper,
                    prepared,
                    tree,
                    checkpoint,
                )]);
            }
        }
        let bundle = Bundle::new(
            MediaType::Bundle0_3,
            material,
            SignatureContent::DsseEnvelope(prepared.envelope.clone()),
        );
        MintedBundle {
            name: request.name.clone(),
            version: request.version.clone(),
            bundle,
            identity: request.claims.identity(),
            issuer: request.claims.issuer.clone(),
        }
    }

    /// The `dsse` log entry with its inclusion proof, checkpoint and SET.
    fn log_entry(
        &self,
        log_index: u64,
        tamper: Option<Tamper>,
        prepared: &Prepared,
        tree: &MerkleTree,
        checkpoint: &str,
    ) -> TransparencyLogEntry {
        let set =
            self.log
                .signed_entry_timestamp(&prepared.body, prepared.integrated_time, log_index);
        let mut proof_hashes = tree.inclusion_proof(log_index);
        let mut checkpoint = checkpoint.to_string();
        let mut body = prepared.body.clone();
        let mut integrated_time = prepared.integrated_time;
        match tamper {
            None | Some(Tamper::Timestamp) => {}
            Some(Tamper::LogEntryBody) => {
                body = tamper_payload_hash(&body);
            }
            Some(Tamper::InclusionProof) => {
                let mut bytes = *proof_hashes[0].as_bytes();
                bytes[0] ^= 0x01;
                proof_hashes[0] = Sha256Hash::new(bytes);
            }
            Some(Tamper::CheckpointSignature) => {
                checkpoint = tamper_checkpoint_signature(&checkpoint);
            }
            Some(Tamper::IntegratedTime) => integrated_time -= 3600,
        }
        let index = LogIndex::new(log_index).expect("a batch index fits the log");
        TransparencyLogEntry::new(
            index,
            LogId::new(LogKeyId::new(self.log.log_id().to_vec())),
            KindVersion::DsseV001,
            CanonicalizedBody::new(body),
        )
        .with_integrated_time(
            jiff::Timestamp::from_second(integrated_time).expect("a testkit time is valid"),
        )
        .with_inclusion_promise(InclusionPromise::new(SignedTimestamp::new(set)))
        .with_inclusion_proof(InclusionProof::new(
            index,
            tree.root(),
            tree.size(),
            proof_hashes,
            CheckpointData::new(checkpoint).expect("our checkpoint parses"),
        ))
    }

    /// A tampering that this kind of instance has nothing to apply to is a
    /// mistake in the test that asks for it.
    fn check_tamper(&self, tamper: Option<Tamper>) {
        let needs = match tamper {
            None => return,
            Some(Tamper::Timestamp) => Kind::GitHub,
            Some(_) => Kind::PublicGood,
        };
        assert_eq!(
            self.kind, needs,
            "{tamper:?} needs an instance of kind {needs:?}: this one has no such material"
        );
    }
}

/// A bundle's JSON in protobuf-specs member order (see [`MintedBundle::to_json`]).
fn bundle_json(bundle: &Bundle) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct BundleJson<'a> {
        media_type: &'a MediaType,
        verification_material: &'a VerificationMaterial,
        dsse_envelope: EnvelopeJson<'a>,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct EnvelopeJson<'a> {
        payload: &'a PayloadBytes,
        payload_type: &'a str,
        signatures: [&'a DsseSignature; 1],
    }
    let json = match &bundle.content {
        SignatureContent::DsseEnvelope(envelope) => serde_json::to_string(&BundleJson {
            media_type: &bundle.media_type,
            verification_material: &bundle.verification_material,
            dsse_envelope: EnvelopeJson {
                payload: &envelope.payload,
                payload_type: &envelope.payload_type,
                signatures: [&envelope.signature],
            },
        }),
        // Minted bundles are all DSSE; anything else keeps the library's order.
        _ => serde_json::to_string(bundle),
    };
    json.expect("a bundle serializes")
}

fn default_base_time() -> jiff::Timestamp {
    DEFAULT_BASE_TIME
        .parse()
        .expect("the default base time parses")
}

/// The body with its payload hash replaced by another valid-looking one.
fn tamper_payload_hash(body: &[u8]) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(body).expect("our body parses");
    let hash = &mut value["spec"]["payloadHash"]["value"];
    let other = keys::sha256(hash.as_str().unwrap_or_default().as_bytes());
    *hash = serde_json::Value::String(hex::encode(other));
    serde_json::to_vec(&value).expect("a body serializes")
}

/// The checkpoint with one bit of its signature flipped (key hint kept).
fn tamper_checkpoint_signature(checkpoint: &str) -> String {
    let (note, signature_line) = checkpoint
        .rsplit_once("\n\n")
        .expect("a checkpoint has a signature block");
    let (prefix, encoded) = signature_line
        .trim_end()
        .rsplit_once(' ')
        .expect("a signature line has a name and a signature");
    let mut bytes = BASE64.decode(encoded).expect("our signature is base64");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    format!("{note}\n\n{prefix} {}\n", BASE64.encode(bytes))
}

/// `f` over `items` on every available core, results in input order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads == 1 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("a minting thread does not panic"))
            .collect()
    })
}

#[cfg(test)]
mod tests;
