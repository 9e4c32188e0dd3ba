//! The instance's `trusted_root.json`, in the standard Sigstore format.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TrustedRootJson {
    pub(crate) media_type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tlogs: Vec<TransparencyLog>,
    pub(crate) certificate_authorities: Vec<CertificateAuthority>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) ctlogs: Vec<TransparencyLog>,
    pub(crate) timestamp_authorities: Vec<CertificateAuthority>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransparencyLog {
    pub(crate) base_url: String,
    pub(crate) hash_algorithm: &'static str,
    pub(crate) public_key: PublicKey,
    pub(crate) log_id: LogId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublicKey {
    pub(crate) raw_bytes: String,
    pub(crate) key_details: &'static str,
    pub(crate) valid_for: ValidFor,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogId {
    pub(crate) key_id: String,
}

#[derive(Serialize)]
pub(crate) struct ValidFor {
    pub(crate) start: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) end: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CertificateAuthority {
    pub(crate) subject: Subject,
    pub(crate) uri: String,
    pub(crate) cert_chain: CertChain,
    pub(crate) valid_for: ValidFor,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Subject {
    pub(crate) organization: String,
    pub(crate) common_name: String,
}

#[derive(Serialize)]
pub(crate) struct CertChain {
    pub(crate) certificates: Vec<RawBytes>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawBytes {
    pub(crate) raw_bytes: String,
}

impl RawBytes {
    pub(crate) fn new(der: &[u8]) -> Self {
        Self {
            raw_bytes: BASE64.encode(der),
        }
    }
}

/// An ECDSA P-256 log key valid from `start`.
pub(crate) fn p256_log(
    base_url: &str,
    spki_der: &[u8],
    key_id: &[u8; 32],
    start: jiff::Timestamp,
) -> TransparencyLog {
    TransparencyLog {
        base_url: base_url.to_string(),
        hash_algorithm: "SHA2_256",
        public_key: PublicKey {
            raw_bytes: BASE64.encode(spki_der),
            key_details: "PKIX_ECDSA_P256_SHA_256",
            valid_for: ValidFor {
                start: start.to_string(),
                end: None,
            },
        },
        log_id: LogId {
            key_id: BASE64.encode(key_id),
        },
    }
}
