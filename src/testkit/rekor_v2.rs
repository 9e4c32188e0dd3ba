//! A Rekor v2-like log beside the instance's Rekor v1-like one, and the
//! bundles it logs: a message signature over the `.crate` digest, as Rekor
//! v2 logs blobs.
//!
//! What differs from the v1 log, as with Rekor v2 (the
//! `rekor2-happy-path` conformance case shows each part):
//! - entries are `hashedrekord` v0.0.2: the artifact digest, the signature
//!   and the signing certificate (DER), in canonical JSON;
//! - the checkpoint's origin is the log's name alone (no tree ID), and its
//!   signature names the key by the first four bytes of the log ID;
//! - the log ID is a signed-note key ID, SHA-256 of the name, a newline, the
//!   signature type (`0x02`, ECDSA with SHA-256) and the key (DER SPKI);
//! - an entry has an inclusion proof and no signed entry timestamp and no
//!   integrated time: an RFC 3161 timestamp dates the signature.
//!
//! Nothing in an entry but its body is signed, so a test makes the entries
//! a verifier must reject (another log ID, an integrated time) by editing
//! the bundle, as an attacker would; an expired log is a root whose v2 log
//! has an end date.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Serialize;
use sigstore_types::bundle::{
    CertificateContent, CheckpointData, InclusionProof, KindVersion, LogId, MessageDigest,
    MessageSignature, Rfc3161Timestamp, SignatureContent, TimestampVerificationData,
    TransparencyLogEntry, VerificationMaterial, VerificationMaterialContent,
};
use sigstore_types::{
    Bundle, CanonicalizedBody, DerCertificate, DigestBytes, HashAlgorithm, LogIndex, LogKeyId,
    MediaType, SignatureBytes, TimestampToken,
};

use super::ca::LeafRequest;
use super::keys::{sha256, KeyPair};
use super::log::MerkleTree;
use super::{Instance, Kind, MintRequest, MintedBundle, LEAF_VALIDITY, PRIOR_LOG_ENTRIES};

/// The host name the v2 log signs checkpoints as (its checkpoint origin).
pub const REKOR_V2_NAME: &str = "log2026-1.rekor.testkit.invalid";
const REKOR_V2_URL: &str = "https://log2026-1.rekor.testkit.invalid";
/// The signed-note signature type of ECDSA with SHA-256.
const NOTE_ECDSA_SHA256: u8 = 0x02;

/// The v2 log of an instance: its key, derived from the instance seed.
struct RekorV2Log {
    key: KeyPair,
}

impl RekorV2Log {
    /// The log ID: the signed-note key ID of the log's name and key.
    fn log_id(&self) -> [u8; 32] {
        let mut input = format!("{REKOR_V2_NAME}\n").into_bytes();
        input.push(NOTE_ECDSA_SHA256);
        input.extend_from_slice(self.key.spki_der());
        sha256(&input)
    }

    /// The checkpoint of a tree: origin, size and root, signed with the key
    /// hint (the log ID's first four bytes) before the signature.
    fn checkpoint(&self, tree: &MerkleTree) -> String {
        let note = format!(
            "{REKOR_V2_NAME}\n{}\n{}\n",
            tree.size(),
            BASE64.encode(tree.root().as_bytes())
        );
        let mut signature = self.log_id()[..4].to_vec();
        signature.extend(self.key.sign(note.as_bytes()));
        format!(
            "{note}\n\u{2014} {REKOR_V2_NAME} {}\n",
            BASE64.encode(signature)
        )
    }
}

// Canonical JSON of a hashedrekord v0.0.2 body: keys in lexical order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HashedRekordBody {
    api_version: &'static str,
    kind: &'static str,
    spec: HashedRekordSpec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HashedRekordSpec {
    hashed_rekord_v002: HashedRekordV002,
}

#[derive(Serialize)]
struct HashedRekordV002 {
    data: Digest,
    signature: Signature,
}

#[derive(Serialize)]
struct Digest {
    algorithm: &'static str,
    digest: String,
}

#[derive(Serialize)]
struct Signature {
    content: String,
    verifier: Verifier,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Verifier {
    key_details: &'static str,
    x509_certificate: RawBytes,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RawBytes {
    raw_bytes: String,
}

/// The canonicalized body of a `hashedrekord` v0.0.2 entry.
fn hashed_rekord_body(sha256: &[u8; 32], signature: &[u8], certificate_der: &[u8]) -> Vec<u8> {
    let body = HashedRekordBody {
        api_version: "0.0.2",
        kind: "hashedrekord",
        spec: HashedRekordSpec {
            hashed_rekord_v002: HashedRekordV002 {
                data: Digest {
                    algorithm: "SHA2_256",
                    digest: BASE64.encode(sha256),
                },
                signature: Signature {
                    content: BASE64.encode(signature),
                    verifier: Verifier {
                        key_details: "PKIX_ECDSA_P256_SHA_256",
                        x509_certificate: RawBytes {
                            raw_bytes: BASE64.encode(certificate_der),
                        },
                    },
                },
            },
        },
    };
    serde_json::to_vec(&body).expect("an entry body serializes")
}

impl Instance {
    fn rekor_v2_log(&self) -> RekorV2Log {
        RekorV2Log {
            key: self.seed.key("rekor-v2"),
        }
    }

    /// The base64 log ID of the instance's Rekor v2 log.
    pub fn rekor_v2_log_id(&self) -> String {
        BASE64.encode(self.rekor_v2_log().log_id())
    }

    /// The instance's trusted root with its Rekor v2 log listed after the
    /// v1 log (as public-good's root lists both), valid from the same time.
    /// Pretty JSON, final newline.
    ///
    /// # Panics
    ///
    /// For an instance of [`Kind::GitHub`], which has no log.
    pub fn rekor_v2_trusted_root_json(&self) -> String {
        assert_eq!(
            self.kind,
            Kind::PublicGood,
            "a GitHub-like instance has no log"
        );
        let log = self.rekor_v2_log();
        let mut root: serde_json::Value =
            serde_json::from_str(&self.trusted_root_json()).expect("our root parses");
        let entry = super::trusted_root::p256_log(
            REKOR_V2_URL,
            log.key.spki_der(),
            &log.log_id(),
            self.authority.not_before,
        );
        root["tlogs"]
            .as_array_mut()
            .expect("a root lists its logs")
            .push(serde_json::to_value(entry).expect("a log serializes"));
        let mut json = serde_json::to_string_pretty(&root).expect("a root serializes");
        json.push('\n');
        json
    }

    /// Mint a message-signature bundle logged in the Rekor v2 log (verify
    /// it against [`Instance::rekor_v2_trusted_root_json`]): the leaf key
    /// signs the `.crate` SHA-256 (ECDSA P-256 over the digest, as signing
    /// the file gives), the log holds a `hashedrekord` v0.0.2 entry with an
    /// inclusion proof and checkpoint, and an RFC 3161 timestamp dates the
    /// signature. The request's `faults.subject_sha256` replaces the digest
    /// signed; its other faults do not apply.
    ///
    /// # Panics
    ///
    /// For an instance of [`Kind::GitHub`], which has no log, or a request
    /// with other faults.
    pub fn mint_rekor_v2(&self, request: &MintRequest) -> MintedBundle {
        assert_eq!(
            self.kind,
            Kind::PublicGood,
            "a GitHub-like instance has no log"
        );
        let faults = super::Faults {
            subject_sha256: None,
            ..request.faults.clone()
        };
        assert_eq!(
            faults,
            super::Faults::default(),
            "only the signed digest can be faulty in a Rekor v2 bundle"
        );
        let label = format!(
            "rekor-v2/leaf/{}@{}/{}",
            request.name,
            request.version,
            hex::encode(request.sha256)
        );
        let leaf_key = self.seed.key(&label);
        let not_before = request.signed_at.unwrap_or(self.base_time);
        let certificate =
            DerCertificate::new(
                self.authority.issue_leaf(&LeafRequest {
                    key: &leaf_key,
                    serial: self.seed.bytes(&format!("{label}/serial")),
                    not_before,
                    not_after: not_before + LEAF_VALIDITY,
                    claims: &request.claims,
                    sct_timestamp_ms: u64::try_from(not_before.as_millisecond())
                        .expect("testkit times are after 1970")
                        + 250,
                    ct_log: Some(&self.ct_log),
                    fault: None,
                }),
            );

        let digest = request.faults.subject_sha256.unwrap_or(request.sha256);
        let signature = leaf_key.sign_digest(&digest);
        let body = hashed_rekord_body(&digest, &signature, certificate.as_bytes());

        let mut leaves: Vec<_> = (0..PRIOR_LOG_ENTRIES)
            .map(|i| sigstore_merkle::hash_leaf(format!("testkit v2 prior entry {i}").as_bytes()))
            .collect();
        leaves.push(sigstore_merkle::hash_leaf(&body));
        let tree = MerkleTree::new(leaves);
        let log = self.rekor_v2_log();
        let index = LogIndex::new(PRIOR_LOG_ENTRIES).expect("a small index");
        let entry = TransparencyLogEntry::new(
            index,
            LogId::new(LogKeyId::new(log.log_id().to_vec())),
            KindVersion::HashedRekordV002,
            CanonicalizedBody::new(body),
        )
        .with_inclusion_proof(InclusionProof::new(
            index,
            tree.root(),
            tree.size(),
            tree.inclusion_proof(PRIOR_LOG_ENTRIES),
            CheckpointData::new(log.checkpoint(&tree)).expect("our checkpoint parses"),
        ));

        let serial = u64::from_be_bytes(self.seed.bytes(&format!("{label}/tsa-serial")));
        let token = self.tsa.timestamp(
            &signature,
            not_before + jiff::SignedDuration::from_secs(3),
            serial >> 1,
        );
        let material = VerificationMaterial::new(VerificationMaterialContent::Certificate(
            CertificateContent::new(certificate),
        ))
        .with_tlog_entries(vec![entry])
        .with_timestamp_verification_data(TimestampVerificationData::new(vec![
            Rfc3161Timestamp::new(TimestampToken::new(token)),
        ]));
        let content = MessageSignature::new(SignatureBytes::new(signature)).with_message_digest(
            MessageDigest::new(HashAlgorithm::Sha2256, DigestBytes::new(digest.to_vec())),
        );
        MintedBundle {
            name: request.name.clone(),
            version: request.version.clone(),
            bundle: Bundle::new(
                MediaType::Bundle0_3,
                material,
                SignatureContent::MessageSignature(content),
            ),
            identity: request.claims.identity(),
            issuer: request.claims.issuer.clone(),
        }
    }
}
