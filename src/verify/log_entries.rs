//! Checks on a bundle's transparency-log entries that the library leaves to
//! its callers: copies of signed values that must agree, and the binding of
//! each checkpoint to the log its entry names.

use sigstore_types::Bundle;

use super::{Check, VerifyFailure};
use crate::trust::TrustRoot;

/// Reject a bundle whose duplicated fields disagree.
///
/// An inclusion proof carries its own copies of values the signed
/// checkpoint (and, for Rekor v2, the entry) also states. The library
/// treats some copies as unauthenticated and ignores them in favour of the
/// signed ones; a bundle in which the copies differ was not produced by a
/// log: it is malformed, and rejected (as sigstore-python does) rather than
/// silently half-read. Checks, per log entry:
/// 1. Rekor v2: the proof's log index equals the entry's;
/// 2. the proof's tree size equals the checkpoint's (Rekor v1 too: its
///    Merkle check uses the proof's tree size, which for some leaf positions
///    gives the same root for several sizes, so only this binds it);
/// 3. the proof's root hash equals the checkpoint's;
/// 4. Rekor v2: the entry carries no integrated time (v2 logs do not
///    state one; a time that appears is not the log's and would otherwise be
///    reported as the entry's).
///
/// Rekor v1 proofs' log index is not compared with the entry's: it is the
/// shard-local index while the entry's is global.
pub fn check_duplicated_fields(bundle: &Bundle) -> Result<(), VerifyFailure> {
    use sigstore_types::KindVersion;
    for entry in &bundle.verification_material.tlog_entries {
        let rekor_v2 = entry.kind_version == KindVersion::HashedRekordV002;
        let mismatch = |what: &str, proof_value: String, other: &str, other_value: String| {
            VerifyFailure::new(
                Check::TransparencyLog,
                format!(
                    "malformed {} entry: the inclusion proof's {what} ({proof_value}) differs from the {other}'s ({other_value})",
                    if rekor_v2 { "Rekor v2" } else { "Rekor v1" }
                ),
            )
        };
        if rekor_v2 {
            if let Some(time) = entry.integrated_time {
                return Err(VerifyFailure::new(
                    Check::TransparencyLog,
                    format!(
                        "malformed Rekor v2 entry: it carries an integrated time ({time}), which Rekor v2 logs never state"
                    ),
                ));
            }
        }
        let Some(proof) = &entry.inclusion_proof else {
            continue;
        };
        if rekor_v2 && proof.log_index != entry.log_index {
            return Err(mismatch(
                "log index",
                proof.log_index.to_string(),
                "entry",
                entry.log_index.to_string(),
            ));
        }
        if let Some(checkpoint) = proof.checkpoint.checkpoint() {
            if checkpoint.tree_size() != proof.tree_size {
                return Err(mismatch(
                    "tree size",
                    proof.tree_size.to_string(),
                    "checkpoint",
                    checkpoint.tree_size().to_string(),
                ));
            }
            if checkpoint.root_hash() != &proof.root_hash {
                return Err(mismatch(
                    "root hash",
                    proof.root_hash.to_hex(),
                    "checkpoint",
                    checkpoint.root_hash().to_hex(),
                ));
            }
        }
    }
    Ok(())
}

/// Bind every log entry to the log it names, after the library accepted it.
///
/// The library verifies a checkpoint with any key of the root whose 4-byte
/// hint matches one of its signatures, and, for Rekor v2 entries, neither
/// looks up the log the entry names nor checks that log's validity window.
/// Checks, per entry with a checkpoint (as sigstore-python and sigstore-go
/// require):
/// 1. the entry's log ID names a transparency log of the root whose key was
///    valid at every verified signing time (listed at all, for a
///    managed-key bundle without a signing time);
/// 2. the checkpoint carries a valid signature by that log's key.
pub fn check_log_binding(
    root: &TrustRoot,
    bundle: &Bundle,
    signing_times: &[jiff::Timestamp],
) -> Result<(), VerifyFailure> {
    for entry in &bundle.verification_material.tlog_entries {
        let Some(checkpoint) = entry
            .inclusion_proof
            .as_ref()
            .and_then(|proof| proof.checkpoint.checkpoint())
        else {
            continue;
        };
        let log_id = &entry.log_id.key_id;
        let unknown = |when: String| {
            VerifyFailure::new(
                Check::TransparencyLog,
                format!("the entry names log {log_id}, which the trust root does not list{when}"),
            )
        };
        // Managed-key bundles may carry no signing time: the log must then
        // merely be listed (and have started).
        let key = match signing_times {
            [] => root
                .trusted_root()
                .rekor_key_for_log(log_id)
                .map_err(|_| unknown(String::new()))?,
            times => {
                let mut key = None;
                for &time in times {
                    key = Some(
                        root.trusted_root()
                            .rekor_key_for_log_at(log_id, time)
                            .map_err(|_| unknown(format!(" as valid at {time}")))?,
                    );
                }
                key.expect("at least one time")
            }
        };
        // The log's key ID starts with the key hint of its note signatures.
        let key = sigstore_crypto::VerificationKey::from_spki(&key).map_err(|e| {
            VerifyFailure::new(
                Check::TransparencyLog,
                format!("the key of log {log_id} does not parse: {e}"),
            )
        })?;
        let Some(&[a, b, c, d]) = log_id.as_bytes().get(..4) else {
            return Err(unknown(String::new()));
        };
        let hint = sigstore_types::KeyHint::new([a, b, c, d]);
        let signed = checkpoint.signatures_by_key_hint(&hint).any(|signature| {
            key.verify(checkpoint.signed_data(), &signature.signature)
                .is_ok()
        });
        if !signed {
            return Err(VerifyFailure::new(
                Check::TransparencyLog,
                format!("the checkpoint carries no valid signature by log {log_id}, which the entry names"),
            ));
        }
    }
    Ok(())
}
