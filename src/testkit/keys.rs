//! Keys derived from the instance seed, and the signatures made with them.
//!
//! Every key comes from its own ChaCha20 stream, seeded with
//! SHA-256(seed ‖ label), so a key depends only on the seed and what it is
//! for, never on the order keys are made in. Signatures are ECDSA P-256 with
//! SHA-256 and RFC 6979 deterministic nonces: the same seed gives the same
//! bytes every time.

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The instance seed: 32 bytes from which every key and serial number is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seed([u8; 32]);

impl Seed {
    pub(crate) fn new(seed: u64) -> Self {
        let mut input = b"cargo-verify-provenance testkit seed\0".to_vec();
        input.extend_from_slice(&seed.to_be_bytes());
        Self(sha256(&input))
    }

    /// The random stream for one labelled purpose.
    pub(crate) fn rng(&self, label: &str) -> ChaCha20Rng {
        let mut input = self.0.to_vec();
        input.push(0);
        input.extend_from_slice(label.as_bytes());
        ChaCha20Rng::from_seed(sha256(&input))
    }

    /// A P-256 key for one labelled purpose.
    pub(crate) fn key(&self, label: &str) -> KeyPair {
        KeyPair::new(SigningKey::random(&mut self.rng(label)))
    }

    /// `N` bytes for one labelled purpose (serial numbers, IDs).
    pub(crate) fn bytes<const N: usize>(&self, label: &str) -> [u8; N] {
        let mut out = [0u8; N];
        self.rng(label).fill_bytes(&mut out);
        out
    }
}

/// A P-256 key pair with its public key encoded once.
#[derive(Clone)]
pub(crate) struct KeyPair {
    signing: SigningKey,
    /// DER SubjectPublicKeyInfo.
    spki_der: Vec<u8>,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("spki_sha256", &hex::encode(sha256(&self.spki_der)))
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    fn new(signing: SigningKey) -> Self {
        let spki_der = signing
            .verifying_key()
            .to_public_key_der()
            .expect("a P-256 public key always encodes")
            .as_bytes()
            .to_vec();
        Self { signing, spki_der }
    }

    /// The DER SubjectPublicKeyInfo.
    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: the log ID of a Rekor or CT
    /// log with this key (RFC 6962 §3.2).
    pub(crate) fn key_id(&self) -> [u8; 32] {
        sha256(&self.spki_der)
    }

    /// The raw public key bits (uncompressed point), for key identifiers.
    pub(crate) fn public_point(&self) -> Vec<u8> {
        self.signing
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    /// ECDSA P-256 SHA-256 over `message`, ASN.1 DER encoded.
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.signing.sign(message);
        signature.to_der().as_bytes().to_vec()
    }

    /// ECDSA P-256 SHA-256 over a message of which only the SHA-256
    /// `digest` is known: the same signature as [`Self::sign`] over it.
    pub(crate) fn sign_digest(&self, digest: &[u8; 32]) -> Vec<u8> {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let signature: Signature = self
            .signing
            .sign_prehash(digest)
            .expect("a 32-byte digest signs");
        signature.to_der().as_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn keys_depend_on_seed_and_label_only() {
        let seed = Seed::new(7);
        assert_eq!(seed.key("a").spki_der(), Seed::new(7).key("a").spki_der());
        assert_ne!(seed.key("a").spki_der(), seed.key("b").spki_der());
        assert_ne!(seed.key("a").spki_der(), Seed::new(8).key("a").spki_der());
    }

    #[test]
    fn signatures_are_deterministic_and_verify() {
        let key = Seed::new(1).key("k");
        let first = key.sign(b"message");
        assert_eq!(first, key.sign(b"message"));
        let signature = p256::ecdsa::DerSignature::try_from(first.as_slice()).unwrap();
        key.signing
            .verifying_key()
            .verify(b"message", &signature)
            .unwrap();
    }
}
