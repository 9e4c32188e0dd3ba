//! The RFC 3161 timestamp authority: a root and a timestamping leaf, and
//! timestamp tokens (CMS SignedData over a TSTInfo) for signatures, as
//! GitHub's and Sigstore's TSAs return them.

use std::time::Duration;

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Any, Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::{Attribute, AttributeValue};
use x509_cert::Certificate;

use super::ca::{self, CaCertificate};
use super::keys::{sha256, KeyPair, Seed};

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// The TSA policy the tokens name (a private arc: any OID will do).
const TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.2");

const TSA_ROOT_COMMON_NAME: &str = "testkit-tsa-root";
pub(crate) const TSA_LEAF_COMMON_NAME: &str = "testkit-tsa";

/// `MessageImprint` (RFC 3161 §2.4.1).
#[derive(Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// `TSTInfo` (RFC 3161 §2.4.2), without the optional fields.
#[derive(Sequence)]
struct TstInfo {
    version: u8,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: u64,
    gen_time: GeneralizedTime,
}

/// The timestamp authority: its root, its signing certificate and key.
#[derive(Debug, Clone)]
pub(crate) struct TimestampAuthority {
    pub(crate) root: CaCertificate,
    pub(crate) leaf_der: Vec<u8>,
    leaf_key: KeyPair,
    pub(crate) not_before: jiff::Timestamp,
}

fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    }
}

fn attribute(oid: ObjectIdentifier, value: impl Encode) -> Attribute {
    let value = AttributeValue::from_der(&value.to_der().expect("an attribute value encodes"))
        .expect("an encoded value parses as ANY");
    Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).expect("one value is a set"),
    }
}

impl TimestampAuthority {
    /// A root and a timestamping leaf under `label`, valid from
    /// `not_before` for ten years.
    pub(crate) fn new(seed: &Seed, label: &str, not_before: jiff::Timestamp) -> Self {
        let not_after = not_before + jiff::SignedDuration::from_hours(24 * 3653);
        let root = ca::ca_certificate(
            seed.key(&format!("{label}/root")),
            ca::ca_name(TSA_ROOT_COMMON_NAME),
            None,
            seed.bytes(&format!("{label}/root/serial")),
            (not_before, not_after),
            Some(0),
        );
        let leaf_key = seed.key(&format!("{label}/leaf"));
        let leaf_der = ca::timestamping_certificate(
            &leaf_key,
            TSA_LEAF_COMMON_NAME,
            &root,
            seed.bytes(&format!("{label}/leaf/serial")),
            (not_before, not_after),
        );
        Self {
            root,
            leaf_der,
            leaf_key,
            not_before,
        }
    }

    /// A timestamp token for `signature` at `time`: a CMS ContentInfo
    /// holding SignedData over the TSTInfo, whose message imprint is the
    /// SHA-256 of the signature bytes. The signer is named by issuer and
    /// serial number, the signed attributes carry the content type, the
    /// signing time and the TSTInfo's digest, and the TSA certificate is
    /// included, as real TSAs do.
    pub(crate) fn timestamp(
        &self,
        signature: &[u8],
        time: jiff::Timestamp,
        serial: u64,
    ) -> Vec<u8> {
        let seconds = u64::try_from(time.as_second()).expect("testkit times are after 1970");
        let tst_info = TstInfo {
            version: 1,
            policy: TSA_POLICY,
            message_imprint: MessageImprint {
                hash_algorithm: sha256_algorithm(),
                hashed_message: OctetString::new(sha256(signature).to_vec()).expect("32 bytes"),
            },
            serial_number: serial,
            gen_time: GeneralizedTime::from_unix_duration(Duration::from_secs(seconds))
                .expect("a testkit time is a valid GeneralizedTime"),
        }
        .to_der()
        .expect("a TSTInfo encodes");

        let signing_time = UtcTime::from_unix_duration(Duration::from_secs(seconds))
            .expect("testkit times are before 2050");
        let signed_attrs = SetOfVec::try_from(vec![
            attribute(ID_CONTENT_TYPE, ID_CT_TST_INFO),
            attribute(ID_SIGNING_TIME, signing_time),
            attribute(
                ID_MESSAGE_DIGEST,
                OctetString::new(sha256(&tst_info).to_vec()).expect("32 bytes"),
            ),
        ])
        .expect("distinct attributes form a set");
        // RFC 5652 §5.4: the signature covers the DER of the attributes as a SET OF.
        let signature_value = self
            .leaf_key
            .sign(&signed_attrs.to_der().expect("signed attributes encode"));

        let leaf = Certificate::from_der(&self.leaf_der).expect("our certificate parses");
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: leaf.tbs_certificate.issuer.clone(),
                serial_number: leaf.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256_algorithm(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: ID_ECDSA_WITH_SHA256,
                parameters: None,
            },
            signature: OctetString::new(signature_value).expect("a signature fits"),
            unsigned_attrs: None,
        };
        let signed_data = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()])
                .expect("one algorithm is a set"),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_CT_TST_INFO,
                econtent: Some(
                    Any::from_der(
                        &OctetString::new(tst_info)
                            .expect("a TSTInfo fits")
                            .to_der()
                            .expect("an octet string encodes"),
                    )
                    .expect("an encoded octet string parses as ANY"),
                ),
            },
            certificates: Some(CertificateSet(
                SetOfVec::try_from(vec![cms::cert::CertificateChoices::Certificate(leaf)])
                    .expect("one certificate is a set"),
            )),
            crls: None,
            signer_infos: SignerInfos(
                SetOfVec::try_from(vec![signer_info]).expect("one signer is a set"),
            ),
        };
        ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::from_der(&signed_data.to_der().expect("SignedData encodes"))
                .expect("encoded SignedData parses as ANY"),
        }
        .to_der()
        .expect("a ContentInfo encodes")
    }
}
