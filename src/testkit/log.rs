//! The Rekor-like transparency log: `dsse` v0.0.1 entries in an RFC 6962
//! Merkle tree, a signed checkpoint (a signed note, as Rekor v1 writes it)
//! and a signed entry timestamp (SET) for every entry.
//!
//! Leaf and node hashing is `sigstore-merkle`'s (the verifier's own); the
//! tree is built level by level so that all inclusion proofs of a batch
//! come from one pass.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Serialize;
use sigstore_types::Sha256Hash;

use super::keys::{sha256, KeyPair};

/// The host name the log signs checkpoints as.
pub(crate) const LOG_NAME: &str = "rekor.testkit.invalid";

/// A Merkle tree over leaf hashes, every level kept (RFC 6962 §2.1: a node
/// without a right sibling is carried up unchanged).
pub(crate) struct MerkleTree {
    levels: Vec<Vec<Sha256Hash>>,
}

impl MerkleTree {
    /// Build the tree of `leaves` (already leaf-hashed). At least one leaf.
    pub(crate) fn new(leaves: Vec<Sha256Hash>) -> Self {
        assert!(!leaves.is_empty(), "a Merkle tree needs a leaf");
        let mut levels = vec![leaves];
        while levels.last().map_or(0, Vec::len) > 1 {
            let below = levels.last().expect("a level exists");
            let above = below
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => sigstore_merkle::hash_children(left, right),
                    [single] => *single,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
            levels.push(above);
        }
        Self { levels }
    }

    pub(crate) fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    pub(crate) fn root(&self) -> Sha256Hash {
        self.levels.last().expect("a level exists")[0]
    }

    /// The audit path of leaf `index`, bottom up (RFC 6962 §2.1.1).
    pub(crate) fn inclusion_proof(&self, index: u64) -> Vec<Sha256Hash> {
        let mut proof = Vec::new();
        let mut position = usize::try_from(index).expect("index fits memory");
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = position ^ 1;
            if sibling < level.len() {
                proof.push(level[sibling]);
            }
            position /= 2;
        }
        proof
    }
}

/// The log: its key and its identity.
#[derive(Debug, Clone)]
pub(crate) struct Log {
    pub(crate) key: KeyPair,
    /// The tree ID in the checkpoint origin (`rekor.sigstore.dev - <tree id>`).
    pub(crate) tree_id: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DsseBody<'a> {
    api_version: &'static str,
    kind: &'static str,
    spec: DsseSpec<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DsseSpec<'a> {
    envelope_hash: HashValue,
    payload_hash: HashValue,
    signatures: [DsseSignature<'a>; 1],
}

#[derive(Serialize)]
struct HashValue {
    algorithm: &'static str,
    value: String,
}

#[derive(Serialize)]
struct DsseSignature<'a> {
    signature: &'a str,
    verifier: String,
}

/// The envelope as a signing client submits it to the log, whose SHA-256
/// Rekor records as the entry's `envelopeHash`: compact JSON in the
/// protobuf-specs member order, the signature with an empty `keyid`, as
/// sigstore-js (GitHub's attest action) sends it.
pub(crate) fn submitted_envelope(payload_type: &str, payload: &[u8], signature: &[u8]) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Envelope<'a> {
        payload: String,
        payload_type: &'a str,
        signatures: [Signature; 1],
    }
    #[derive(Serialize)]
    struct Signature {
        sig: String,
        keyid: &'static str,
    }
    serde_json::to_vec(&Envelope {
        payload: BASE64.encode(payload),
        payload_type,
        signatures: [Signature {
            sig: BASE64.encode(signature),
            keyid: "",
        }],
    })
    .expect("an envelope serializes")
}

/// A certificate as PEM with LF line endings and 64-character lines: what
/// signing clients submit and Rekor stores, byte for byte, as `verifier`.
pub(crate) fn certificate_pem(der: &[u8]) -> String {
    der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der)
        .expect("a certificate encodes as PEM")
}

/// The canonicalized body of a `dsse` v0.0.1 entry, as Rekor stores it:
/// the hashes of the submitted envelope and of its payload, and the
/// signature with the signing certificate (base64 of its PEM) as verifier.
/// Verifiers rebuild the signature and verifier and compare them byte for
/// byte (sigstore-python does).
pub(crate) fn dsse_entry_body(
    submitted_envelope: &[u8],
    payload: &[u8],
    signature: &[u8],
    certificate_der: &[u8],
) -> Vec<u8> {
    let signature = BASE64.encode(signature);
    let body = DsseBody {
        api_version: "0.0.1",
        kind: "dsse",
        spec: DsseSpec {
            envelope_hash: HashValue {
                algorithm: "sha256",
                value: hex::encode(sha256(submitted_envelope)),
            },
            payload_hash: HashValue {
                algorithm: "sha256",
                value: hex::encode(sha256(payload)),
            },
            signatures: [DsseSignature {
                signature: &signature,
                verifier: BASE64.encode(certificate_pem(certificate_der)),
            }],
        },
    };
    serde_json::to_vec(&body).expect("an entry body serializes")
}

impl Log {
    /// The log ID: SHA-256 of the log's public key.
    pub(crate) fn log_id(&self) -> [u8; 32] {
        self.key.key_id()
    }

    /// The checkpoint for a tree: a signed note whose signature line carries
    /// the key hint (first four bytes of the log ID) and an ECDSA signature
    /// over the note text.
    pub(crate) fn checkpoint(&self, tree: &MerkleTree) -> String {
        let note = format!(
            "{LOG_NAME} - {}\n{}\n{}\n",
            self.tree_id,
            tree.size(),
            BASE64.encode(tree.root().as_bytes())
        );
        let mut signature = self.log_id()[..4].to_vec();
        signature.extend(self.key.sign(note.as_bytes()));
        format!("{note}\n\u{2014} {LOG_NAME} {}\n", BASE64.encode(signature))
    }

    /// The signed entry timestamp: the log's signature over the canonical
    /// JSON of body, integrated time, log ID (hex) and log index.
    pub(crate) fn signed_entry_timestamp(
        &self,
        body: &[u8],
        integrated_time: i64,
        log_index: u64,
    ) -> Vec<u8> {
        // Keys in lexical order and no whitespace: RFC 8785 canonical form
        // for these value types (base64, hex and integers need no escaping).
        let payload = format!(
            "{{\"body\":\"{}\",\"integratedTime\":{integrated_time},\"logID\":\"{}\",\"logIndex\":{log_index}}}",
            BASE64.encode(body),
            hex::encode(self.log_id()),
        );
        self.key.sign(payload.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Sha256Hash> {
        (0..n)
            .map(|i| sigstore_merkle::hash_leaf(format!("leaf {i}").as_bytes()))
            .collect()
    }

    /// RFC 6962 §2.1 MTH, straight from the definition.
    fn reference_root(leaves: &[Sha256Hash]) -> Sha256Hash {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let split = leaves.len().next_power_of_two() / 2;
        sigstore_merkle::hash_children(
            &reference_root(&leaves[..split]),
            &reference_root(&leaves[split..]),
        )
    }

    #[test]
    fn every_proof_verifies_for_every_tree_size() {
        for size in 1..=33 {
            let leaves = leaves(size);
            let tree = MerkleTree::new(leaves.clone());
            assert_eq!(tree.root(), reference_root(&leaves), "size {size}");
            for (index, leaf) in leaves.iter().enumerate() {
                let proof = tree.inclusion_proof(index as u64);
                sigstore_merkle::verify_inclusion_proof(
                    leaf,
                    index as u64,
                    size as u64,
                    &proof,
                    &tree.root(),
                )
                .unwrap_or_else(|e| panic!("size {size} index {index}: {e}"));
            }
        }
    }

    #[test]
    fn checkpoint_is_a_signed_note_the_verifier_reads() {
        let log = Log {
            key: super::super::keys::Seed::new(3).key("log"),
            tree_id: 42,
        };
        let tree = MerkleTree::new(leaves(5));
        let text = log.checkpoint(&tree);
        let checkpoint = sigstore_types::Checkpoint::from_text(&text).unwrap();
        assert_eq!(checkpoint.origin(), "rekor.testkit.invalid - 42");
        assert_eq!(checkpoint.tree_size(), 5);
        assert_eq!(checkpoint.root_hash(), &tree.root());
        assert_eq!(
            checkpoint.signatures()[0].key_id.as_bytes(),
            &log.log_id()[..4]
        );
    }
}
