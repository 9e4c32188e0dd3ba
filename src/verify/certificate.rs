//! What the signing certificate says, read again after the library verified
//! it: the SANs (including the Fulcio username otherName, which the library
//! cannot read), and the consistency checks a Fulcio certificate passes
//! when Fulcio made it: each extension once, the GitHub Actions identity
//! equal to its Build Signer URI, and deprecated claims that agree with
//! their successors.

use std::collections::BTreeMap;

use der::asn1::ObjectIdentifier;
use der::Decode;

use super::{Check, San, SanKind, VerifyFailure};

/// The arc of Fulcio's extensions (`1.3.6.1.4.1.57264.1.N`).
const FULCIO_ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1");
/// The OIDC issuer of GitHub Actions identity tokens.
const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Fulcio extension numbers (`1.3.6.1.4.1.57264.1.N`).
const ISSUER_V1: u32 = 1;
const WORKFLOW_TRIGGER: u32 = 2;
const WORKFLOW_SHA: u32 = 3;
const WORKFLOW_REPOSITORY: u32 = 5;
const WORKFLOW_REF: u32 = 6;
const ISSUER_V2: u32 = 8;
const BUILD_SIGNER_URI: u32 = 9;
const SOURCE_REPOSITORY_URI: u32 = 12;
const SOURCE_REPOSITORY_DIGEST: u32 = 13;
const SOURCE_REPOSITORY_REF: u32 = 14;
const BUILD_TRIGGER: u32 = 20;

/// The name Fulcio's OID documentation gives an extension.
fn fulcio_name(number: u32) -> &'static str {
    match number {
        1 => "issuer (deprecated)",
        2 => "GitHub workflow trigger (deprecated)",
        3 => "GitHub workflow SHA (deprecated)",
        4 => "GitHub workflow name (deprecated)",
        5 => "GitHub workflow repository (deprecated)",
        6 => "GitHub workflow ref (deprecated)",
        7 => "OtherName SAN",
        8 => "issuer (v2)",
        9 => "Build Signer URI",
        10 => "Build Signer Digest",
        11 => "Runner Environment",
        12 => "Source Repository URI",
        13 => "Source Repository Digest",
        14 => "Source Repository Ref",
        15 => "Source Repository Identifier",
        16 => "Source Repository Owner URI",
        17 => "Source Repository Owner Identifier",
        18 => "Build Config URI",
        19 => "Build Config Digest",
        20 => "Build Trigger",
        21 => "Run Invocation URI",
        22 => "Source Repository Visibility At Signing",
        23 => "Deployment Environment",
        24 => "Token Subject",
        _ => "Fulcio extension",
    }
}

fn malformed(e: der::Error) -> VerifyFailure {
    VerifyFailure::new(
        Check::CertificateChain,
        format!("malformed certificate: {e}"),
    )
}

fn claims_failure(message: String) -> VerifyFailure {
    VerifyFailure::new(Check::CertificateClaims, message)
}

/// A certificate's DER, parsed once for [`subject_alt_names`] and
/// [`check_consistency`].
pub(super) fn parse(der: &[u8]) -> Result<x509_cert::Certificate, VerifyFailure> {
    x509_cert::Certificate::from_der(der).map_err(malformed)
}

/// The SANs of a certificate: email, URI and the Fulcio username otherName.
pub(super) fn subject_alt_names(cert: &x509_cert::Certificate) -> Result<Vec<San>, VerifyFailure> {
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::SubjectAltName;
    const FULCIO_USERNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

    let Some((_, san)) = cert
        .tbs_certificate
        .get::<SubjectAltName>()
        .map_err(malformed)?
    else {
        return Ok(Vec::new());
    };
    let mut sans = Vec::new();
    for name in san.0 {
        match name {
            GeneralName::Rfc822Name(email) => sans.push(San {
                kind: SanKind::Email,
                value: email.to_string(),
            }),
            GeneralName::UniformResourceIdentifier(uri) => sans.push(San {
                kind: SanKind::Uri,
                value: uri.to_string(),
            }),
            GeneralName::OtherName(other) if other.type_id == FULCIO_USERNAME => {
                if let Ok(value) = other.value.decode_as::<der::asn1::Utf8StringRef<'_>>() {
                    sans.push(San {
                        kind: SanKind::OtherName,
                        value: value.to_string(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(sans)
}

/// The Fulcio extensions a certificate carries, by number, each decoded as
/// Fulcio writes it: `.1.1`–`.1.6` as a bare string (a DER UTF8String is
/// read too, as the library does), `.1.8` onwards as a DER UTF8String.
/// A value that does not decode is left out (the library reads none).
fn fulcio_values(cert: &x509_cert::Certificate) -> BTreeMap<u32, String> {
    let mut values = BTreeMap::new();
    for extension in cert.tbs_certificate.extensions.iter().flatten() {
        let oid = &extension.extn_id;
        let Some(number) = oid
            .parent()
            .filter(|parent| *parent == FULCIO_ARC)
            .and_then(|_| oid.arc(FULCIO_ARC.len()))
        else {
            continue;
        };
        let bytes = extension.extn_value.as_bytes();
        let der = der::asn1::Utf8StringRef::from_der(bytes)
            .ok()
            .map(|s| s.as_str().to_owned());
        let value = if number <= WORKFLOW_REF {
            der.or_else(|| std::str::from_utf8(bytes).ok().map(str::to_owned))
        } else {
            der
        };
        if let Some(value) = value {
            values.insert(number, value);
        }
    }
    values
}

/// Whether `issuer` is GitHub Actions: GitHub.com's token issuer, or that
/// of a GitHub Enterprise Cloud tenant (`https://token.actions.TENANT.ghe.com`).
fn is_github_actions(issuer: &str) -> bool {
    issuer == GITHUB_ACTIONS_ISSUER
        || issuer
            .strip_prefix("https://token.actions.")
            .and_then(|rest| rest.strip_suffix(".ghe.com"))
            .is_some_and(|tenant| {
                !tenant.is_empty()
                    && tenant
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
}

/// Whether `uri` (`.1.12`, `https://HOST/OWNER/REPO`) names the repository
/// `owner_repo` (`.1.5`, `OWNER/REPO`): the URI is a server followed by
/// exactly that path.
fn repository_uri_names(uri: &str, owner_repo: &str) -> bool {
    uri.strip_suffix(owner_repo)
        .and_then(|server| server.strip_suffix('/'))
        .and_then(|server| server.split_once("://"))
        .is_some_and(|(scheme, host)| !scheme.is_empty() && !host.is_empty() && !host.contains('/'))
}

/// Refuse a certificate Fulcio would not have issued, even though it chains
/// to a trusted CA (defence in depth: a reader that keeps the last copy of
/// an extension, or the deprecated one, would see other claims than the
/// ones the policy checked).
///
/// Checks, in order:
/// 1. no extension appears twice (RFC 5280 §4.2);
/// 2. the deprecated issuer (`.1.1`) equals the issuer (`.1.8`) when both are present;
/// 3. for a GitHub Actions certificate with a Build Signer URI (`.1.9`):
///    the certificate has exactly one SAN, a URI equal to it;
/// 4. each deprecated GitHub claim equals its successor when both are
///    present: trigger `.1.2` = `.1.20`, commit `.1.3` = `.1.13`,
///    repository `.1.5` (`OWNER/REPO`) is the path of `.1.12`, ref `.1.6` =
///    `.1.14` (`.1.4`, the workflow name, has no successor).
pub(super) fn check_consistency(
    cert: &x509_cert::Certificate,
    sans: &[San],
) -> Result<(), VerifyFailure> {
    let mut seen = std::collections::BTreeSet::new();
    for extension in cert.tbs_certificate.extensions.iter().flatten() {
        if !seen.insert(extension.extn_id) {
            let oid = extension.extn_id;
            let name = oid
                .parent()
                .filter(|parent| *parent == FULCIO_ARC)
                .and_then(|_| oid.arc(FULCIO_ARC.len()))
                .map_or("", fulcio_name);
            let named = if name.is_empty() {
                String::new()
            } else {
                format!(" ({name})")
            };
            return Err(claims_failure(format!(
                "the certificate carries extension {oid}{named} more than once; a certificate may carry each extension once (RFC 5280 §4.2)"
            )));
        }
    }
    let values = fulcio_values(cert);
    let contradiction = |old: u32, new: u32| {
        claims_failure(format!(
            "the deprecated extension 1.3.6.1.4.1.57264.1.{old} ({}: {:?}) contradicts 1.3.6.1.4.1.57264.1.{new} ({}: {:?})",
            fulcio_name(old),
            values[&old],
            fulcio_name(new),
            values[&new],
        ))
    };
    let both = |old: u32, new: u32| values.contains_key(&old) && values.contains_key(&new);
    if both(ISSUER_V1, ISSUER_V2) && values[&ISSUER_V1] != values[&ISSUER_V2] {
        return Err(contradiction(ISSUER_V1, ISSUER_V2));
    }
    let issuer = values.get(&ISSUER_V2).or_else(|| values.get(&ISSUER_V1));
    if let (Some(issuer), Some(signer)) = (issuer, values.get(&BUILD_SIGNER_URI)) {
        if is_github_actions(issuer)
            && !matches!(sans, [San { kind: SanKind::Uri, value }] if value == signer)
        {
            return Err(claims_failure(format!(
                "the certificate's identity (SAN {}) is not its Build Signer URI (1.3.6.1.4.1.57264.1.9: {signer:?}); Fulcio makes them the same for GitHub Actions",
                if sans.is_empty() {
                    "none".to_string()
                } else {
                    sans.iter()
                        .map(|s| format!("{:?}", s.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
    }
    for (old, new) in [
        (WORKFLOW_TRIGGER, BUILD_TRIGGER),
        (WORKFLOW_SHA, SOURCE_REPOSITORY_DIGEST),
        (WORKFLOW_REF, SOURCE_REPOSITORY_REF),
    ] {
        if both(old, new) && values[&old] != values[&new] {
            return Err(contradiction(old, new));
        }
    }
    if both(WORKFLOW_REPOSITORY, SOURCE_REPOSITORY_URI)
        && !repository_uri_names(
            &values[&SOURCE_REPOSITORY_URI],
            &values[&WORKFLOW_REPOSITORY],
        )
    {
        return Err(contradiction(WORKFLOW_REPOSITORY, SOURCE_REPOSITORY_URI));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_actions_issuers_are_recognised() {
        assert!(is_github_actions(GITHUB_ACTIONS_ISSUER));
        assert!(is_github_actions("https://token.actions.acme.ghe.com"));
        assert!(!is_github_actions("https://token.actions..ghe.com"));
        assert!(!is_github_actions("https://accounts.google.com"));
        assert!(!is_github_actions("https://token.actions.a/b.ghe.com"));
    }

    #[test]
    fn a_repository_uri_names_owner_and_repository_exactly() {
        assert!(repository_uri_names("https://github.com/o/r", "o/r"));
        assert!(repository_uri_names("https://acme.ghe.com/o/r", "o/r"));
        assert!(!repository_uri_names("https://github.com/x/o/r", "o/r"));
        assert!(!repository_uri_names("https://github.com/oo/r", "o/r"));
        assert!(!repository_uri_names("https://github.com/o/r", "o/R"));
        assert!(!repository_uri_names("o/r", "o/r"));
    }

    #[test]
    fn every_documented_extension_has_a_name_of_its_own() {
        // Fulcio's OID list runs from .1.1 to .1.24: each is named in a
        // failure by its own name, never by the fallback or another's.
        let names: Vec<&str> = (1..=24).map(fulcio_name).collect();
        let fallback = fulcio_name(0);
        for (number, name) in (1..=24).zip(&names) {
            assert_ne!(*name, fallback, ".1.{number}");
            assert!(!name.is_empty(), ".1.{number}");
        }
        let distinct: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(distinct.len(), names.len());
        assert_eq!(fulcio_name(25), fallback);
    }
}
