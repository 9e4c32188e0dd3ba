//! The Fulcio-like certificate authority and the CT log that signs SCTs for it.
//!
//! Certificates are built field by field with `x509-cert` and signed with
//! ECDSA P-256 SHA-256. Leaf certificates carry what Fulcio puts in a
//! GitHub Actions certificate: an empty subject, a critical SAN URI, the
//! code-signing EKU, key identifiers, the Fulcio claim extensions, and an
//! embedded precertificate SCT. The SCT is signed over the final TBS
//! certificate with the SCT-list extension removed, with the SHA-256 of the
//! issuer's SubjectPublicKeyInfo as the issuer key hash (RFC 6962 §3.2):
//! exactly what a verifier reconstructs.

use std::time::Duration;

use der::asn1::{
    Any, BitString, Ia5String, ObjectIdentifier, OctetString, PrintableStringRef, SetOfVec,
    UtcTime, Utf8StringRef,
};
use der::oid::AssociatedOid;
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::sct::{
    DigitallySigned, HashAlgorithm, LogId, SerializedSct, SignatureAlgorithm,
    SignatureAndHashAlgorithm, SignedCertificateTimestamp, SignedCertificateTimestampList,
    Version as SctVersion,
};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::claims::{Claims, FulcioValue};
use super::keys::{sha256, KeyPair, Seed};

const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const ORGANIZATION_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1";

/// The subject of the CA certificates, also written into the trusted root.
pub(crate) const CA_ORGANIZATION: &str = "cargo-verify-provenance testkit";
const ROOT_COMMON_NAME: &str = "testkit-fulcio-root";
const INTERMEDIATE_COMMON_NAME: &str = "testkit-fulcio-intermediate";

/// A CA certificate with its key.
#[derive(Debug, Clone)]
pub(crate) struct CaCertificate {
    pub(crate) der: Vec<u8>,
    key: KeyPair,
    name: Name,
    key_identifier: Vec<u8>,
}

impl CaCertificate {
    /// The DER SubjectPublicKeyInfo of the CA key.
    pub(crate) fn spki_der(&self) -> &[u8] {
        self.key.spki_der()
    }
}

/// A root and an intermediate, as Fulcio has.
#[derive(Debug, Clone)]
pub(crate) struct Authority {
    pub(crate) root: CaCertificate,
    pub(crate) intermediate: CaCertificate,
    pub(crate) not_before: jiff::Timestamp,
}

/// What goes into one leaf certificate.
pub(crate) struct LeafRequest<'a> {
    pub(crate) key: &'a KeyPair,
    pub(crate) serial: [u8; 20],
    pub(crate) not_before: jiff::Timestamp,
    pub(crate) not_after: jiff::Timestamp,
    pub(crate) claims: &'a Claims,
    /// When the CT log saw the precertificate (milliseconds since the epoch).
    pub(crate) sct_timestamp_ms: u64,
    /// The CT log that signs the embedded SCT; `None` for an instance
    /// without one (GitHub's Fulcio embeds no SCT).
    pub(crate) ct_log: Option<&'a KeyPair>,
    /// How the leaf differs from what Fulcio issues, if it does.
    pub(crate) fault: Option<&'a CertificateFault>,
}

/// A leaf certificate Fulcio would not issue, signed by the CA all the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateFault {
    /// The Fulcio extension `1.3.6.1.4.1.57264.1.N` a second time, after
    /// the first, with `value` (a reader that keeps the last copy sees it).
    DuplicateExtension { number: u32, value: String },
    /// The SAN URI is `uri` instead of the Build Signer URI (`.1.9`).
    SanOtherThanSigner { uri: String },
    /// The Fulcio extension `.1.N` holds `value` instead of what the claims
    /// give (a deprecated one contradicting its successor, an owner that is
    /// not the repository's, a workflow of another repository, …).
    ReplacedClaim { number: u32, value: String },
    /// The Fulcio extensions `.1.N` for each N in `numbers` left out: a
    /// certificate from before Fulcio wrote the `.1.8`–`.1.22` set, or one
    /// with the current extensions only (Fulcio may stop writing the
    /// deprecated ones).
    LeftOut { numbers: Vec<u32> },
}

/// A certificate key identifier: the first 160 bits of the SHA-256 of the
/// public key (RFC 7093 §2 method 1).
fn key_identifier(key: &KeyPair) -> Vec<u8> {
    sha256(&key.public_point())[..20].to_vec()
}

fn utc(time: jiff::Timestamp) -> Time {
    let seconds = u64::try_from(time.as_second()).expect("testkit times are after 1970");
    Time::UtcTime(
        UtcTime::from_unix_duration(Duration::from_secs(seconds))
            .expect("testkit times are before 2050"),
    )
}

/// An extension with its criticality as Fulcio sets it (explicit, rather
/// than `x509-cert`'s defaults, which mark the EKU critical).
fn extension<T: AssociatedOid + Encode>(value: &T, critical: bool) -> Extension {
    raw_extension(
        T::OID,
        critical,
        value.to_der().expect("a well-formed extension encodes"),
    )
}

/// The subject key identifier extension (not critical, as Fulcio sets it).
fn subject_key_id(id: Vec<u8>) -> Extension {
    extension(
        &SubjectKeyIdentifier(OctetString::new(id).expect("20 bytes")),
        false,
    )
}

/// The authority key identifier extension: the issuer's key identifier only.
fn authority_key_id(id: Vec<u8>) -> Extension {
    extension(
        &AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(id).expect("20 bytes")),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        },
        false,
    )
}

fn raw_extension(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).expect("extension value fits"),
    }
}

fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA256,
        parameters: None,
    }
}

fn spki(key: &KeyPair) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned::from_der(key.spki_der()).expect("our own SPKI parses")
}

/// A positive DER serial number from 20 random bytes.
fn serial(mut bytes: [u8; 20]) -> SerialNumber {
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::new(&bytes).expect("20 bytes is a valid serial number")
}

/// Sign a TBS certificate with `issuer_key`.
fn sign(tbs: TbsCertificate, issuer_key: &KeyPair) -> Vec<u8> {
    let tbs_der = tbs.to_der().expect("TBS certificate encodes");
    let signature = issuer_key.sign(&tbs_der);
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_sha256(),
        signature: BitString::from_bytes(&signature).expect("signature fits a bit string"),
    }
    .to_der()
    .expect("certificate encodes")
}

pub(crate) fn ca_certificate(
    key: KeyPair,
    name: Name,
    issuer: Option<&CaCertificate>,
    serial_bytes: [u8; 20],
    validity: (jiff::Timestamp, jiff::Timestamp),
    path_len: Option<u8>,
) -> CaCertificate {
    let key_id = key_identifier(&key);
    let (issuer_name, authority_id) = match issuer {
        Some(issuer) => (issuer.name.clone(), issuer.key_identifier.clone()),
        None => (name.clone(), key_id.clone()),
    };
    let mut extensions = vec![
        extension(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign), true),
        extension(
            &BasicConstraints {
                ca: true,
                path_len_constraint: path_len,
            },
            true,
        ),
        subject_key_id(key_id.clone()),
    ];
    if issuer.is_some() {
        // Fulcio's intermediate is restricted to code signing, like its leaves.
        extensions.push(extension(&ExtendedKeyUsage(vec![CODE_SIGNING]), false));
    }
    extensions.push(authority_key_id(authority_id));
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: serial(serial_bytes),
        signature: ecdsa_sha256(),
        issuer: issuer_name,
        validity: Validity {
            not_before: utc(validity.0),
            not_after: utc(validity.1),
        },
        subject: name.clone(),
        subject_public_key_info: spki(&key),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let signer = issuer.map_or(&key, |issuer| &issuer.key);
    let der = sign(tbs, signer);
    CaCertificate {
        der,
        key,
        name,
        key_identifier: key_id,
    }
}

/// A timestamping certificate (critical `timeStamping` EKU, as RFC 3161
/// §2.3 requires) for `key`, issued by `issuer`.
pub(crate) fn timestamping_certificate(
    key: &KeyPair,
    common_name: &str,
    issuer: &CaCertificate,
    serial_bytes: [u8; 20],
    validity: (jiff::Timestamp, jiff::Timestamp),
) -> Vec<u8> {
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: serial(serial_bytes),
        signature: ecdsa_sha256(),
        issuer: issuer.name.clone(),
        validity: Validity {
            not_before: utc(validity.0),
            not_after: utc(validity.1),
        },
        subject: ca_name(common_name),
        subject_public_key_info: spki(key),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(vec![
            extension(&KeyUsage(KeyUsages::DigitalSignature.into()), true),
            extension(&ExtendedKeyUsage(vec![TIME_STAMPING]), true),
            subject_key_id(key_identifier(key)),
            authority_key_id(issuer.key_identifier.clone()),
        ]),
    };
    sign(tbs, &issuer.key)
}

/// `O = testkit organization, CN = common_name`, as PrintableStrings: Go's
/// `crypto/x509` (Fulcio's) writes names that way when they fit the
/// PrintableString alphabet, so a leaf's issuer is byte for byte what Fulcio
/// writes for such names.
pub(crate) fn ca_name(common_name: &str) -> Name {
    let attribute = |oid: ObjectIdentifier, value: &str| {
        let value = PrintableStringRef::new(value).expect("CA names are printable");
        let atv = AttributeTypeAndValue {
            oid,
            value: Any::encode_from(&value).expect("a PrintableString encodes"),
        };
        RelativeDistinguishedName::from(
            SetOfVec::try_from(vec![atv]).expect("one attribute is a set"),
        )
    };
    RdnSequence(vec![
        attribute(ORGANIZATION_NAME, CA_ORGANIZATION),
        attribute(COMMON_NAME, common_name),
    ])
}

impl Authority {
    /// A root and an intermediate under `label`, valid from `not_before`
    /// for ten years.
    pub(crate) fn new(seed: &Seed, label: &str, not_before: jiff::Timestamp) -> Self {
        let not_after = not_before + jiff::SignedDuration::from_hours(24 * 3653);
        let root = ca_certificate(
            seed.key(&format!("{label}/root")),
            ca_name(ROOT_COMMON_NAME),
            None,
            seed.bytes(&format!("{label}/root/serial")),
            (not_before, not_after),
            Some(1),
        );
        let intermediate = ca_certificate(
            seed.key(&format!("{label}/intermediate")),
            ca_name(INTERMEDIATE_COMMON_NAME),
            Some(&root),
            seed.bytes(&format!("{label}/intermediate/serial")),
            (not_before, not_after),
            Some(0),
        );
        Self {
            root,
            intermediate,
            not_before,
        }
    }

    /// Issue a leaf certificate like Fulcio does for a GitHub Actions
    /// identity token, with an SCT from the request's CT log embedded.
    pub(crate) fn issue_leaf(&self, request: &LeafRequest<'_>) -> Vec<u8> {
        let issuer = &self.intermediate;
        let subject = Name::default();
        let identity = match request.fault {
            Some(CertificateFault::SanOtherThanSigner { uri }) => uri.clone(),
            _ => request.claims.identity(),
        };
        let uri = Ia5String::new(&identity).expect("a GitHub workflow URI is ASCII");
        let mut extensions = vec![
            extension(&KeyUsage(KeyUsages::DigitalSignature.into()), true),
            extension(&ExtendedKeyUsage(vec![CODE_SIGNING]), false),
            subject_key_id(key_identifier(request.key)),
            authority_key_id(issuer.key_identifier.clone()),
            // An empty subject makes the SAN critical (RFC 5280 §4.2.1.6).
            extension(
                &SubjectAltName(vec![GeneralName::UniformResourceIdentifier(uri)]),
                true,
            ),
        ];
        let mut claims = request.claims.fulcio_extensions();
        match request.fault {
            Some(CertificateFault::ReplacedClaim { number, value }) => {
                for (n, claim) in &mut claims {
                    if n == number {
                        *claim = FulcioValue::encoded(*number, value);
                    }
                }
            }
            Some(CertificateFault::DuplicateExtension { number, value }) => {
                claims.push((*number, FulcioValue::encoded(*number, value)));
            }
            Some(CertificateFault::LeftOut { numbers }) => {
                claims.retain(|(n, _)| !numbers.contains(n));
            }
            _ => {}
        }
        for (number, value) in claims {
            let oid = ObjectIdentifier::new(&format!("{FULCIO_ARC}.{number}"))
                .expect("a Fulcio claim OID");
            let bytes = match value {
                FulcioValue::Raw(text) => text.into_bytes(),
                FulcioValue::Der(text) => Utf8StringRef::new(&text)
                    .and_then(|s| s.to_der())
                    .expect("a claim encodes as UTF8String"),
            };
            extensions.push(raw_extension(oid, false, bytes));
        }
        let mut tbs = TbsCertificate {
            version: Version::V3,
            serial_number: serial(request.serial),
            signature: ecdsa_sha256(),
            issuer: issuer.name.clone(),
            validity: Validity {
                not_before: utc(request.not_before),
                not_after: utc(request.not_after),
            },
            subject,
            subject_public_key_info: spki(request.key),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        let Some(ct_log) = request.ct_log else {
            return sign(tbs, &issuer.key);
        };
        // The precertificate TBS is the final one without the SCT list, which
        // comes last: signing it now and appending the list gives exactly the
        // bytes a verifier reconstructs by removing that extension.
        let precert_tbs = tbs.to_der().expect("TBS certificate encodes");
        let sct = signed_certificate_timestamp(
            ct_log,
            request.sct_timestamp_ms,
            &sha256(issuer.spki_der()),
            &precert_tbs,
        );
        let list = SignedCertificateTimestampList::new(&[
            SerializedSct::new(sct).expect("an SCT serializes")
        ])
        .expect("an SCT list serializes");
        tbs.extensions
            .as_mut()
            .expect("extensions were set above")
            .push(extension(&list, false));
        sign(tbs, &issuer.key)
    }
}

/// An RFC 6962 v1 SCT for a precertificate entry, signed by `ct_log`.
fn signed_certificate_timestamp(
    ct_log: &KeyPair,
    timestamp_ms: u64,
    issuer_key_hash: &[u8; 32],
    precert_tbs: &[u8],
) -> SignedCertificateTimestamp {
    // digitally-signed struct (RFC 6962 §3.2): sct_version, signature_type
    // (certificate_timestamp), timestamp, entry_type (precert_entry),
    // PreCert { issuer_key_hash, TBSCertificate<1..2^24-1> }, CtExtensions<0..2^16-1>.
    let mut signed = Vec::with_capacity(precert_tbs.len() + 48);
    signed.push(0);
    signed.push(0);
    signed.extend_from_slice(&timestamp_ms.to_be_bytes());
    signed.extend_from_slice(&1u16.to_be_bytes());
    signed.extend_from_slice(issuer_key_hash);
    let length = u32::try_from(precert_tbs.len()).expect("a TBS certificate is small");
    signed.extend_from_slice(&length.to_be_bytes()[1..]);
    signed.extend_from_slice(precert_tbs);
    signed.extend_from_slice(&0u16.to_be_bytes());
    SignedCertificateTimestamp {
        version: SctVersion::V1,
        log_id: LogId {
            key_id: ct_log.key_id(),
        },
        timestamp: timestamp_ms,
        extensions: tls_codec::TlsByteVecU16::new(Vec::new()),
        signature: DigitallySigned {
            algorithm: SignatureAndHashAlgorithm {
                hash: HashAlgorithm::Sha256,
                signature: SignatureAlgorithm::Ecdsa,
            },
            signature: tls_codec::TlsByteVecU16::new(ct_log.sign(&signed)),
        },
    }
}
