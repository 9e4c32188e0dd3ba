//! Adversarial bundles. Every bundle that passes — the real public bundles
//! MANIFEST.json expects to pass, and bundles minted by the test instance —
//! is tampered with in each signed or proven part in turn, and verified with
//! its subject, identity, issuer, key and trust root swapped. Every variant
//! must be rejected while the original passes.
//!
//! Mutations work on the bundle JSON (and the `trusted_root.json`) through
//! JSON pointers, so every bundle gets every mutation its shape allows:
//! DSSE payload, payload type and signatures; message signature and digest;
//! each part of the signing certificate (key, SAN, SCT, every Fulcio claim,
//! validity, issuer, serial, signature); per log entry its index, log ID,
//! kind, integrated time, SET, every field of the entry body, every
//! inclusion-proof hash, its root, tree size and index, and every line of
//! the checkpoint; RFC 3161 timestamps (time, message imprint, signature);
//! parts taken from another bundle; proofs removed where they are the only
//! proof; and trust roots that are another instance or have a CA, log,
//! CT log or TSA key replaced or expired.
//!
//! Bytes are changed in place (a bit of one byte, a digit), never by
//! re-serializing what surrounds them, so each variant differs from the
//! original in exactly the part it names.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use cargo_verify_provenance::testkit::{self, Claims, MintRequest};
use cargo_verify_provenance::trust::{self, RootOrigin, TrustRoot};
use cargo_verify_provenance::verify::{self, ArtifactInput, Check, SignerCheck, VerifyFailure};
use serde_json::{json, Value};
use sigstore_types::DerPublicKey;

use crate::fixtures::{manifest, real_fixtures};

/// How the signer is checked, as `verify-bundle` would.
#[derive(Clone, Debug)]
enum Signer {
    Certificate {
        identity: Option<String>,
        issuer: Option<String>,
    },
    /// A managed key (SPKI DER).
    Key(Vec<u8>),
}

impl Signer {
    fn check(&self) -> SignerCheck {
        match self {
            Self::Certificate { identity, issuer } => SignerCheck::Certificate {
                identity: identity.clone(),
                issuer: issuer.clone(),
            },
            Self::Key(der) => SignerCheck::Key(DerPublicKey::new(der.clone())),
        }
    }
}

/// A bundle that passes, with everything verifying it needs.
struct Target {
    name: String,
    bundle: Value,
    root: Value,
    /// The instance the bundle comes from (`public-good`, `staging`,
    /// `github`, `testkit`, …): roots of other instances must refuse it.
    instance: String,
    artifact: ArtifactInput,
    signer: Signer,
}

/// One changed way of verifying a target.
struct Variant {
    mutation: String,
    bundle: Value,
    root: Option<Value>,
    artifact: Option<ArtifactInput>,
    signer: Option<Signer>,
}

impl Variant {
    fn bundle(mutation: impl Into<String>, bundle: Value) -> Self {
        Self {
            mutation: mutation.into(),
            bundle,
            root: None,
            artifact: None,
            signer: None,
        }
    }
}

// ---------------------------------------------------------------- targets

const MINTED_SEED: u64 = 71;

/// Bundles minted by the test instance, with varied claims, in one batch (so
/// their inclusion proofs have several hashes).
fn minted_targets() -> Vec<Target> {
    let instance = testkit::Instance::new(MINTED_SEED);
    let requests = vec![
        MintRequest::new(
            "serde",
            "1.0.219",
            [0x51; 32],
            Claims::github("serde-rs/serde", "1.0.219"),
        ),
        MintRequest::new(
            "tokio",
            "1.45.0",
            [0x52; 32],
            Claims::github("tokio-rs/tokio", "1.45.0").with_reusable_workflow(
                "slsa-framework/slsa-github-generator",
                ".github/workflows/builder.yml",
                "refs/tags/v2.1.0",
            ),
        ),
        MintRequest::new(
            "libc",
            "0.2.170",
            [0x53; 32],
            Claims::github("rust-lang/libc", "0.2.170")
                .on_branch("main")
                .with_trigger("push")
                .self_hosted()
                .private(),
        ),
    ];
    let mut targets = minted_with(&instance, "testkit", &requests);
    // A GitHub-like instance: no log, an RFC 3161 timestamp dates each signature.
    let github = testkit::Instance::github(MINTED_SEED + 3);
    targets.extend(minted_with(&github, "testkit-github", &requests[..2]));
    // A message signature in the Rekor v2-like log: an inclusion proof and
    // checkpoint, no SET and no integrated time, an RFC 3161 timestamp.
    let minted = instance.mint_rekor_v2(&requests[0]);
    targets.push(Target {
        name: format!(
            "minted (testkit, Rekor v2) {}@{}",
            minted.name, minted.version
        ),
        bundle: serde_json::from_str(&minted.to_json()).unwrap(),
        root: serde_json::from_str(&instance.rekor_v2_trusted_root_json()).unwrap(),
        instance: "testkit".into(),
        artifact: ArtifactInput::sha256(sigstore_types::Sha256Hash::new(requests[0].sha256)),
        signer: Signer::Certificate {
            identity: Some(minted.identity.clone()),
            issuer: Some(minted.issuer.clone()),
        },
    });
    targets
}

fn minted_with(instance: &testkit::Instance, name: &str, requests: &[MintRequest]) -> Vec<Target> {
    let root: Value = serde_json::from_str(&instance.trusted_root_json()).unwrap();
    instance
        .mint_batch(requests)
        .into_iter()
        .zip(requests)
        .map(|(minted, request)| Target {
            name: format!("minted ({name}) {}@{}", minted.name, minted.version),
            bundle: serde_json::from_str(&minted.to_json()).unwrap(),
            root: root.clone(),
            instance: name.into(),
            artifact: ArtifactInput::parse_digest(&format!(
                "sha256:{}",
                hex::encode(request.sha256)
            ))
            .unwrap(),
            signer: Signer::Certificate {
                identity: Some(minted.identity.clone()),
                issuer: Some(minted.issuer.clone()),
            },
        })
        .collect()
}

/// Every bundle MANIFEST.json expects to pass (JSON and JSON-lines bundles),
/// or none when the fixtures are absent.
fn real_targets() -> Vec<Target> {
    let Some(root) = real_fixtures("adversarial bundles from the real fixtures") else {
        return Vec::new();
    };
    let mut targets = Vec::new();
    for entry in manifest(&root) {
        if entry.expected != "pass"
            || !matches!(entry.format.as_str(), "bundle-json" | "bundle-jsonl")
        {
            continue;
        }
        let text = std::fs::read_to_string(root.join(&entry.bundle)).unwrap();
        let bundle_text = match entry.jsonl_line {
            None => text,
            Some(line) => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .nth(line)
                .unwrap()
                .to_string(),
        };
        let artifact = if let Some(file) = &entry.artifact {
            ArtifactInput::Bytes(std::fs::read(root.join(file)).unwrap())
        } else if let Some(sha512) = &entry.artifact_sha512 {
            ArtifactInput::parse_digest(&format!("sha512:{sha512}")).unwrap()
        } else if let Some(sha256) = &entry.artifact_sha256 {
            ArtifactInput::parse_digest(&format!("sha256:{sha256}")).unwrap()
        } else {
            continue;
        };
        let signer = match &entry.key {
            Some(key) => {
                let pem = std::fs::read_to_string(root.join(key)).unwrap();
                Signer::Key(DerPublicKey::from_pem(&pem).unwrap().as_bytes().to_vec())
            }
            None => Signer::Certificate {
                identity: entry.identity.clone(),
                issuer: entry.issuer.clone(),
            },
        };
        let instance = instance_of(&entry);
        targets.push(Target {
            name: entry.name(),
            bundle: serde_json::from_str(&bundle_text).unwrap(),
            root: serde_json::from_str(
                &std::fs::read_to_string(root.join(&entry.trusted_root)).unwrap(),
            )
            .unwrap(),
            instance,
            artifact,
            signer,
        });
    }
    targets
}

/// The instance a fixture comes from, as far as the embedded roots go: only
/// fixtures verified with a root other than the three embedded ones are
/// "custom" (every embedded root must then refuse them).
fn instance_of(entry: &crate::fixtures::ManifestEntry) -> String {
    let root = entry.trusted_root.as_str();
    if root.ends_with("staging.trusted_root.json") {
        "staging".into()
    } else if root.ends_with("github.trusted_root.json") {
        "github".into()
    } else if root.ends_with("public-good.trusted_root.json")
        || root.ends_with("public-good.json")
        || root == "gh-cli/trusted_root.json"
    {
        "public-good".into()
    } else {
        // A conformance case's own root may extend an embedded one; the
        // embedded roots are compared with it below.
        format!("custom:{root}")
    }
}

// ------------------------------------------------------------ JSON helpers

/// Every pointer matching `pattern`, where a `*` segment matches any array
/// index or object key.
fn pointers(value: &Value, pattern: &str) -> Vec<String> {
    fn walk(value: &Value, segments: &[&str], at: String, out: &mut Vec<String>) {
        let Some((first, rest)) = segments.split_first() else {
            out.push(at);
            return;
        };
        match (*first, value) {
            ("*", Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, rest, format!("{at}/{i}"), out);
                }
            }
            ("*", Value::Object(map)) => {
                for (key, item) in map {
                    walk(item, rest, format!("{at}/{key}"), out);
                }
            }
            (key, _) => {
                if let Some(item) = value.pointer(&format!("/{key}")) {
                    walk(item, rest, format!("{at}/{key}"), out);
                }
            }
        }
    }
    let segments: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    let mut out = Vec::new();
    walk(value, &segments, String::new(), &mut out);
    out
}

/// A copy of `value` with the value at `pointer` changed by `change`.
fn changed(value: &Value, pointer: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut copy = value.clone();
    change(
        copy.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}")),
    );
    assert_ne!(&copy, value, "the mutation at {pointer} changed nothing");
    copy
}

fn text(value: &Value) -> &str {
    value.as_str().expect("a string")
}

/// A base64 string with its decoded bytes changed by `change`.
fn rebase64(value: &mut Value, change: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = BASE64.decode(text(value)).expect("base64");
    change(&mut bytes);
    *value = Value::String(BASE64.encode(bytes));
}

/// Flip the lowest bit of the byte at `index` (from the end when negative).
fn flip(bytes: &mut [u8], index: isize) {
    let i = if index < 0 {
        bytes.len() - index.unsigned_abs()
    } else {
        index as usize
    };
    bytes[i] ^= 0x01;
}

/// Change one printable character into another of the same kind (digit,
/// letter or base64 symbol), so that the text still parses.
fn other_char(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => {
            if c == b'9' {
                b'8'
            } else {
                c + 1
            }
        }
        b'a'..=b'y' | b'A'..=b'Y' => c + 1,
        b'z' => b'y',
        b'Z' => b'Y',
        b'+' => b'/',
        b'/' => b'+',
        b'=' => b'A',
        _ => c ^ 0x01,
    }
}

/// An integer that may be a JSON string (int64 in protobuf JSON) or number, plus one.
fn bump(value: &mut Value) {
    *value = match value {
        Value::String(s) => Value::String((s.parse::<i64>().expect("an integer") + 1).to_string()),
        Value::Number(n) => json!(n.as_i64().expect("an integer") + 1),
        other => panic!("not an integer: {other}"),
    };
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Every string leaf of a JSON value, with its pointer.
fn string_leaves(value: &Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((at, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                string_leaves(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                string_leaves(item, format!("{at}/{key}"), out);
            }
        }
        _ => {}
    }
}

// ------------------------------------------------------- the parts of a bundle

fn certificate_pointer(bundle: &Value) -> Option<String> {
    [
        "/verificationMaterial/certificate/rawBytes",
        "/verificationMaterial/x509CertificateChain/certificates/0/rawBytes",
    ]
    .into_iter()
    .find(|p| bundle.pointer(p).is_some())
    .map(str::to_string)
}

/// The signature bytes a timestamp's message imprint covers.
fn signature_bytes(bundle: &Value) -> Option<Vec<u8>> {
    let signature = bundle
        .pointer("/dsseEnvelope/signatures/0/sig")
        .or_else(|| bundle.pointer("/messageSignature/signature"))?;
    BASE64.decode(text(signature)).ok()
}

/// Byte offsets of the parts of a DER certificate, each at the last byte of
/// the part (or the units digit of a time), so that flipping it keeps the
/// certificate parseable but changes what the CA signed.
fn certificate_parts(der: &[u8]) -> Vec<(String, usize)> {
    use der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(der).expect("a certificate");
    let tbs = &cert.tbs_certificate;
    let mut parts = Vec::new();
    let mut at = |name: String, needle: Vec<u8>, from_end: usize| {
        if let Some(start) = find(der, &needle) {
            parts.push((name, start + needle.len() - from_end));
        }
    };
    at("serial".into(), tbs.serial_number.to_der().unwrap(), 1);
    at("issuer".into(), tbs.issuer.to_der().unwrap(), 1);
    // The seconds' units digit, before the final `Z`.
    at(
        "not-before".into(),
        tbs.validity.not_before.to_der().unwrap(),
        2,
    );
    at(
        "not-after".into(),
        tbs.validity.not_after.to_der().unwrap(),
        2,
    );
    at(
        "public-key".into(),
        tbs.subject_public_key_info.to_der().unwrap(),
        1,
    );
    for extension in tbs.extensions.iter().flatten() {
        let oid = extension.extn_id.to_string();
        let name = match oid.as_str() {
            "2.5.29.17" => "san".to_string(),
            "1.3.6.1.4.1.11129.2.4.2" => "sct".to_string(),
            "2.5.29.37" => "extended-key-usage".to_string(),
            "2.5.29.15" => "key-usage".to_string(),
            _ => format!("extension-{oid}"),
        };
        at(name, extension.extn_value.as_bytes().to_vec(), 1);
    }
    parts.push(("signature".into(), der.len() - 1));
    parts
}

/// The position of the seconds' units digit of the first GeneralizedTime
/// (the TSTInfo `genTime` of an RFC 3161 token).
fn generalized_time(der: &[u8]) -> Option<usize> {
    (0..der.len().saturating_sub(17))
        .find(|&i| {
            der[i] == 0x18
                && (15..=32).contains(&(der[i + 1] as usize))
                && der[i + 2..i + 16].iter().all(u8::is_ascii_digit)
        })
        .map(|i| i + 2 + 13)
}

// ------------------------------------------------------------- mutations

fn content_mutations(target: &Target, out: &mut Vec<Variant>) {
    let bundle = &target.bundle;
    if bundle.pointer("/dsseEnvelope").is_some() {
        out.push(Variant::bundle(
            "dsse-payload-byte",
            changed(bundle, "/dsseEnvelope/payload", |v| {
                rebase64(v, |b| {
                    let middle = b.len() / 2;
                    b[middle] = other_char(b[middle]);
                })
            }),
        ));
        out.push(Variant::bundle(
            "dsse-payload-type",
            changed(bundle, "/dsseEnvelope/payloadType", |v| {
                *v = json!(if text(v) == verify::IN_TOTO_PAYLOAD_TYPE {
                    "application/json"
                } else {
                    verify::IN_TOTO_PAYLOAD_TYPE
                })
            }),
        ));
        for pointer in pointers(bundle, "/dsseEnvelope/signatures/*/sig") {
            out.push(Variant::bundle(
                "dsse-signature",
                changed(bundle, &pointer, |v| rebase64(v, |b| flip(b, -1))),
            ));
        }
        out.push(Variant::bundle(
            "dsse-no-signature",
            changed(bundle, "/dsseEnvelope/signatures", |v| *v = json!([])),
        ));
        // The subject swapped for another digest, in place in the signed
        // payload, and the bundle presented for that other artifact.
        let payload = BASE64
            .decode(text(&bundle["dsseEnvelope"]["payload"]))
            .unwrap();
        if let Ok(statement) = serde_json::from_slice::<Value>(&payload) {
            for pointer in pointers(&statement, "/subject/*/digest/*") {
                let digest = text(statement.pointer(&pointer).unwrap()).to_string();
                let Some(start) = find(&payload, digest.as_bytes()) else {
                    continue;
                };
                let mut swapped = payload.clone();
                let last = start + digest.len() - 1;
                swapped[last] = other_char(swapped[last]);
                let new_digest =
                    String::from_utf8(swapped[start..start + digest.len()].to_vec()).unwrap();
                let algorithm = pointer.rsplit('/').next().unwrap();
                let mut variant = Variant::bundle(
                    "dsse-subject-swapped",
                    changed(bundle, "/dsseEnvelope/payload", |v| {
                        *v = json!(BASE64.encode(&swapped))
                    }),
                );
                variant.artifact =
                    ArtifactInput::parse_digest(&format!("{algorithm}:{new_digest}")).ok();
                out.push(variant);
            }
        }
    }
    if bundle.pointer("/messageSignature").is_some() {
        out.push(Variant::bundle(
            "message-signature",
            changed(bundle, "/messageSignature/signature", |v| {
                rebase64(v, |b| flip(b, -1))
            }),
        ));
        if bundle
            .pointer("/messageSignature/messageDigest/digest")
            .is_some()
        {
            let tampered = changed(bundle, "/messageSignature/messageDigest/digest", |v| {
                rebase64(v, |b| flip(b, -1))
            });
            // Presented for the digest it now names, too.
            let digest = BASE64
                .decode(text(
                    &tampered["messageSignature"]["messageDigest"]["digest"],
                ))
                .unwrap();
            let algorithm = match text(&tampered["messageSignature"]["messageDigest"]["algorithm"])
            {
                "SHA2_512" => "sha512",
                _ => "sha256",
            };
            let mut swapped = Variant::bundle("message-digest-swapped", tampered.clone());
            swapped.artifact =
                ArtifactInput::parse_digest(&format!("{algorithm}:{}", hex::encode(digest))).ok();
            out.push(Variant::bundle("message-digest", tampered));
            out.push(swapped);
        }
    }
}

fn certificate_mutations(target: &Target, out: &mut Vec<Variant>) {
    let bundle = &target.bundle;
    let Some(pointer) = certificate_pointer(bundle) else {
        return;
    };
    let der = BASE64
        .decode(text(bundle.pointer(&pointer).unwrap()))
        .unwrap();
    for (part, offset) in certificate_parts(&der) {
        out.push(Variant::bundle(
            format!("certificate-{part}"),
            changed(bundle, &pointer, |v| {
                rebase64(v, |b| b[offset] = other_char(b[offset]))
            }),
        ));
    }
    out.push(Variant::bundle(
        "certificate-removed",
        changed(bundle, "/verificationMaterial", |v| {
            let material = v.as_object_mut().unwrap();
            material.remove("certificate");
            material.remove("x509CertificateChain");
        }),
    ));
}

fn log_entry_mutations(target: &Target, out: &mut Vec<Variant>) {
    let bundle = &target.bundle;
    for entry in pointers(bundle, "/verificationMaterial/tlogEntries/*") {
        let at = |field: &str| format!("{entry}/{field}");
        let value = bundle.pointer(&entry).unwrap();
        out.push(Variant::bundle(
            "log-index",
            changed(bundle, &at("logIndex"), bump),
        ));
        out.push(Variant::bundle(
            "log-id",
            changed(bundle, &at("logId/keyId"), |v| rebase64(v, |b| flip(b, -1))),
        ));
        out.push(Variant::bundle(
            "log-entry-kind",
            changed(bundle, &at("kindVersion/kind"), |v| {
                *v = json!(if text(v) == "dsse" { "intoto" } else { "dsse" })
            }),
        ));
        out.push(Variant::bundle(
            "log-entry-version",
            changed(bundle, &at("kindVersion/version"), |v| {
                *v = json!(if text(v) == "0.0.1" { "0.0.2" } else { "0.0.1" })
            }),
        ));
        let integrated = value
            .get("integratedTime")
            .map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_string));
        match integrated.as_deref() {
            Some(time) if time != "0" => out.push(Variant::bundle(
                "integrated-time",
                changed(bundle, &at("integratedTime"), bump),
            )),
            // Rekor v2 entries carry no integrated time: one that appears
            // is not the log's and must not be taken as a signing time.
            _ => out.push(Variant::bundle(
                "integrated-time-added",
                changed(bundle, &entry, |v| {
                    v["integratedTime"] = json!("1750000000");
                }),
            )),
        }
        if value
            .pointer("/inclusionPromise/signedEntryTimestamp")
            .is_some()
        {
            out.push(Variant::bundle(
                "set",
                changed(bundle, &at("inclusionPromise/signedEntryTimestamp"), |v| {
                    rebase64(v, |b| flip(b, -1))
                }),
            ));
        }
        // The entry body: one byte, then every field of it in place.
        let body = BASE64.decode(text(&value["canonicalizedBody"])).unwrap();
        out.push(Variant::bundle(
            "log-entry-body-byte",
            changed(bundle, &at("canonicalizedBody"), |v| {
                rebase64(v, |b| {
                    let middle = b.len() / 2;
                    b[middle] = other_char(b[middle]);
                })
            }),
        ));
        if let Ok(parsed) = serde_json::from_slice::<Value>(&body) {
            let mut leaves = Vec::new();
            string_leaves(&parsed, String::new(), &mut leaves);
            for (leaf, content) in leaves {
                let quoted = serde_json::to_string(&content).unwrap();
                let Some(start) = find(&body, quoted.as_bytes()) else {
                    continue;
                };
                if content.is_empty() {
                    continue;
                }
                let last = start + quoted.len() - 2;
                out.push(Variant::bundle(
                    format!("log-entry-body{leaf}"),
                    changed(bundle, &at("canonicalizedBody"), |v| {
                        rebase64(v, |b| b[last] = other_char(b[last]))
                    }),
                ));
            }
        }
        if value.get("inclusionProof").is_some() {
            proof_mutations(bundle, &entry, out);
        }
    }
    if !target.root["tlogs"].as_array().is_none_or(Vec::is_empty)
        && !pointers(bundle, "/verificationMaterial/tlogEntries/*").is_empty()
    {
        out.push(Variant::bundle(
            "log-entries-removed",
            changed(bundle, "/verificationMaterial/tlogEntries", |v| {
                *v = json!([])
            }),
        ));
    }
}

fn proof_mutations(bundle: &Value, entry: &str, out: &mut Vec<Variant>) {
    let proof = format!("{entry}/inclusionProof");
    for pointer in pointers(bundle, &format!("{proof}/hashes/*")) {
        out.push(Variant::bundle(
            "inclusion-proof-hash",
            changed(bundle, &pointer, |v| rebase64(v, |b| flip(b, -1))),
        ));
    }
    let present = |field: &str| bundle.pointer(&format!("{proof}/{field}")).is_some();
    if present("rootHash") {
        out.push(Variant::bundle(
            "inclusion-proof-root-hash",
            changed(bundle, &format!("{proof}/rootHash"), |v| {
                rebase64(v, |b| flip(b, -1))
            }),
        ));
    }
    if present("treeSize") {
        out.push(Variant::bundle(
            "inclusion-proof-tree-size",
            changed(bundle, &format!("{proof}/treeSize"), bump),
        ));
    }
    if present("logIndex") {
        out.push(Variant::bundle(
            "inclusion-proof-log-index",
            changed(bundle, &format!("{proof}/logIndex"), bump),
        ));
    }
    let envelope_at = format!("{proof}/checkpoint/envelope");
    let Some(envelope) = bundle.pointer(&envelope_at).and_then(Value::as_str) else {
        return;
    };
    let Some((note, signatures)) = envelope.split_once("\n\n") else {
        return;
    };
    let lines: Vec<&str> = note.lines().collect();
    let rebuild =
        |lines: &[String], signatures: &str| format!("{}\n\n{signatures}", lines.join("\n"));
    let owned: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut note_variant = |name: &str, change: &dyn Fn(&mut Vec<String>)| {
        let mut lines = owned.clone();
        change(&mut lines);
        let new = rebuild(&lines, signatures);
        out.push(Variant::bundle(
            name,
            changed(bundle, &envelope_at, |v| *v = json!(new)),
        ));
    };
    note_variant("checkpoint-origin", &|l| l[0].push('x'));
    note_variant("checkpoint-tree-size", &|l| {
        l[1] = (l[1].parse::<u64>().unwrap() + 1).to_string()
    });
    note_variant("checkpoint-root-hash", &|l| {
        let mut hash = BASE64.decode(&l[2]).unwrap();
        flip(&mut hash, -1);
        l[2] = BASE64.encode(hash);
    });
    note_variant("checkpoint-extension-line", &|l| {
        l.insert(3, "injected extension".into())
    });
    // The log's own signature: `— NAME BASE64(key hint ‖ signature)`, whose
    // key hint is the start of the entry's log ID. Signatures by keys the
    // root does not know (witness cosignatures) are ignored by design and
    // not tampered with.
    let log_id = BASE64
        .decode(text(
            bundle.pointer(&format!("{entry}/logId/keyId")).unwrap(),
        ))
        .unwrap();
    let signature_lines: Vec<&str> = signatures.lines().collect();
    for (i, line) in signature_lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            continue;
        };
        let Some((name, signature)) = rest.rsplit_once(' ') else {
            continue;
        };
        let mut bytes = BASE64.decode(signature).unwrap();
        if bytes.len() < 4 || bytes[..4] != log_id[..4] {
            continue;
        }
        flip(&mut bytes, -1);
        let mut new_lines: Vec<String> = signature_lines.iter().map(|l| l.to_string()).collect();
        new_lines[i] = format!("\u{2014} {name} {}", BASE64.encode(bytes));
        let mut new_signatures = new_lines.join("\n");
        if signatures.ends_with('\n') {
            new_signatures.push('\n');
        }
        let new = format!("{note}\n\n{new_signatures}");
        out.push(Variant::bundle(
            "checkpoint-signature",
            changed(bundle, &envelope_at, |v| *v = json!(new)),
        ));
    }
}

fn timestamp_mutations(target: &Target, out: &mut Vec<Variant>) {
    let bundle = &target.bundle;
    let stamps = pointers(
        bundle,
        "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/*/signedTimestamp",
    );
    if stamps.is_empty() {
        return;
    }
    let signature = signature_bytes(bundle).unwrap_or_default();
    for pointer in &stamps {
        let der = BASE64
            .decode(text(bundle.pointer(pointer).unwrap()))
            .unwrap();
        out.push(Variant::bundle(
            "timestamp-signature",
            changed(bundle, pointer, |v| rebase64(v, |b| flip(b, -1))),
        ));
        if let Some(offset) = generalized_time(&der) {
            out.push(Variant::bundle(
                "timestamp-time",
                changed(bundle, pointer, |v| {
                    rebase64(v, |b| b[offset] = other_char(b[offset]))
                }),
            ));
        }
        let imprints = [
            sigstore_crypto::sha256(&signature).as_bytes().to_vec(),
            sigstore_crypto::sha384(&signature).as_bytes().to_vec(),
            sigstore_crypto::sha512(&signature).as_bytes().to_vec(),
        ];
        if let Some((start, len)) = imprints
            .iter()
            .find_map(|h| find(&der, h).map(|start| (start, h.len())))
        {
            out.push(Variant::bundle(
                "timestamp-message-imprint",
                changed(bundle, pointer, |v| {
                    rebase64(v, |b| flip(b, (start + len - 1) as isize))
                }),
            ));
        }
    }
    // Removed, where they are the only source of time (no log entry with a SET).
    let has_set = !pointers(
        bundle,
        "/verificationMaterial/tlogEntries/*/inclusionPromise/signedEntryTimestamp",
    )
    .is_empty();
    if !has_set {
        out.push(Variant::bundle(
            "timestamps-removed",
            changed(
                bundle,
                "/verificationMaterial/timestampVerificationData/rfc3161Timestamps",
                |v| *v = json!([]),
            ),
        ));
    }
}

/// Parts taken from another passing bundle: each proves something, but
/// about the other bundle.
fn transplant_mutations(target: &Target, others: &[&Target], out: &mut Vec<Variant>) {
    let bundle = &target.bundle;
    if let Some(pointer) = certificate_pointer(bundle) {
        if let Some(other) = others.iter().find_map(|o| {
            let p = certificate_pointer(&o.bundle)?;
            let value = o.bundle.pointer(&p)?;
            (value != bundle.pointer(&pointer).unwrap()).then(|| value.clone())
        }) {
            out.push(Variant::bundle(
                "certificate-from-another-bundle",
                changed(bundle, &pointer, |v| *v = other),
            ));
        }
    }
    // Another entry: one for another signature (bundles that share an entry
    // and differ only in its proof or checkpoint are left out).
    let entry = "/verificationMaterial/tlogEntries/0";
    if let Some(own) = bundle.pointer(entry) {
        if let Some(other) = others.iter().find_map(|o| {
            o.bundle
                .pointer(entry)
                .filter(|e| e["canonicalizedBody"] != own["canonicalizedBody"])
                .cloned()
        }) {
            out.push(Variant::bundle(
                "log-entry-from-another-bundle",
                changed(bundle, entry, |v| *v = other),
            ));
        }
    }
    let stamps = "/verificationMaterial/timestampVerificationData/rfc3161Timestamps";
    if bundle.pointer(&format!("{stamps}/0")).is_some() {
        if let Some(other) = others.iter().find_map(|o| {
            o.bundle
                .pointer(stamps)
                .filter(|s| s.as_array().is_some_and(|a| !a.is_empty()))
                .filter(|s| Some(*s) != bundle.pointer(stamps))
                .cloned()
        }) {
            out.push(Variant::bundle(
                "timestamps-from-another-bundle",
                changed(bundle, stamps, |v| *v = other),
            ));
        }
    }
}

/// The same bundle presented for another artifact, identity, issuer or key.
fn check_swaps(target: &Target, out: &mut Vec<Variant>) {
    let other_artifact = match &target.artifact {
        ArtifactInput::Bytes(bytes) => {
            let mut other = bytes.clone();
            other.push(b'\n');
            ArtifactInput::Bytes(other)
        }
        ArtifactInput::Digest(digest) => {
            let algorithm = match digest.algorithm() {
                sigstore_types::HashAlgorithm::Sha2512 => "sha512",
                _ => "sha256",
            };
            let mut bytes = digest.as_bytes().to_vec();
            flip(&mut bytes, -1);
            ArtifactInput::parse_digest(&format!("{algorithm}:{}", hex::encode(bytes))).unwrap()
        }
    };
    out.push(Variant {
        artifact: Some(other_artifact),
        ..Variant::bundle("artifact-swapped", target.bundle.clone())
    });
    match &target.signer {
        Signer::Certificate { identity, issuer } => {
            if let Some(identity) = identity {
                out.push(Variant {
                    signer: Some(Signer::Certificate {
                        identity: Some(format!("{identity}x")),
                        issuer: issuer.clone(),
                    }),
                    ..Variant::bundle("identity-swapped", target.bundle.clone())
                });
            }
            out.push(Variant {
                signer: Some(Signer::Certificate {
                    identity: identity.clone(),
                    issuer: Some(match issuer.as_deref() {
                        Some("https://accounts.google.com") => {
                            "https://token.actions.githubusercontent.com".to_string()
                        }
                        _ => "https://accounts.google.com".to_string(),
                    }),
                }),
                ..Variant::bundle("issuer-swapped", target.bundle.clone())
            });
        }
        Signer::Key(_) => out.push(Variant {
            signer: Some(Signer::Key(
                BASE64
                    .decode(text(
                        &other_instance_root()["tlogs"][0]["publicKey"]["rawBytes"],
                    ))
                    .unwrap(),
            )),
            ..Variant::bundle("key-swapped", target.bundle.clone())
        }),
    }
}

/// A second test instance: the same names and shape as the minted bundles'
/// instance, other keys.
fn other_instance_root() -> Value {
    serde_json::from_str(&testkit::Instance::new(MINTED_SEED + 1).trusted_root_json()).unwrap()
}

fn embedded_root(instance: trust::Instance) -> Value {
    serde_json::from_str(instance.embedded_json()).unwrap()
}

/// The root of another instance, and the target's own root with one
/// service's keys replaced or its validity ended before anything was signed.
fn root_swaps(target: &Target, out: &mut Vec<Variant>) {
    let own = &target.root;
    let with_root = |name: String, root: Value| Variant {
        root: Some(root),
        ..Variant::bundle(name, target.bundle.clone())
    };
    let mut others = vec![("testkit-other-keys".to_string(), other_instance_root())];
    for instance in [
        trust::Instance::PublicGood,
        trust::Instance::Staging,
        trust::Instance::GitHub,
    ] {
        let root = embedded_root(instance);
        let same_instance = target.instance == instance.name()
            || (target.instance.starts_with("custom:") && shares_a_ca(own, &root));
        if !same_instance {
            others.push((format!("root-{}", instance.name()), root));
        }
    }
    if target.instance != "testkit" {
        others.push((
            "root-testkit".into(),
            serde_json::from_str(&testkit::Instance::new(MINTED_SEED).trusted_root_json()).unwrap(),
        ));
    }
    for (name, root) in others {
        out.push(with_root(format!("trust-root-swapped:{name}"), root));
    }

    let stranger = other_instance_root();
    let bundle = &target.bundle;
    let has_certificate = certificate_pointer(bundle).is_some();
    let has_log_entry = bundle
        .pointer("/verificationMaterial/tlogEntries/0")
        .is_some();
    let has_timestamp = bundle
        .pointer("/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0")
        .is_some();
    let listed = |key: &str| own[key].as_array().is_some_and(|a| !a.is_empty());
    let ended = json!({"start": "1970-01-01T00:00:00Z", "end": "1970-01-02T00:00:00Z"});

    if has_certificate {
        out.push(with_root(
            "trust-root-ca-replaced".into(),
            changed(own, "/certificateAuthorities", |v| {
                *v = stranger["certificateAuthorities"].clone()
            }),
        ));
        out.push(with_root(
            "trust-root-ca-expired".into(),
            changed(own, "/certificateAuthorities", |v| {
                for ca in v.as_array_mut().unwrap() {
                    ca["validFor"] = ended.clone();
                }
            }),
        ));
    }
    if has_certificate && listed("ctlogs") {
        out.push(with_root(
            "trust-root-ct-log-key-replaced".into(),
            changed(own, "/ctlogs", |v| {
                for log in v.as_array_mut().unwrap() {
                    log["publicKey"]["rawBytes"] =
                        stranger["ctlogs"][0]["publicKey"]["rawBytes"].clone();
                    log["publicKey"]["keyDetails"] =
                        stranger["ctlogs"][0]["publicKey"]["keyDetails"].clone();
                }
            }),
        ));
        out.push(with_root(
            "trust-root-ct-log-expired".into(),
            changed(own, "/ctlogs", |v| {
                for log in v.as_array_mut().unwrap() {
                    log["publicKey"]["validFor"] = ended.clone();
                }
            }),
        ));
    }
    if has_log_entry && listed("tlogs") {
        out.push(with_root(
            "trust-root-log-key-replaced".into(),
            changed(own, "/tlogs", |v| {
                for log in v.as_array_mut().unwrap() {
                    log["publicKey"]["rawBytes"] =
                        stranger["tlogs"][0]["publicKey"]["rawBytes"].clone();
                    log["publicKey"]["keyDetails"] =
                        stranger["tlogs"][0]["publicKey"]["keyDetails"].clone();
                }
            }),
        ));
        out.push(with_root(
            "trust-root-log-expired".into(),
            changed(own, "/tlogs", |v| {
                for log in v.as_array_mut().unwrap() {
                    log["publicKey"]["validFor"] = ended.clone();
                }
            }),
        ));
    }
    if has_timestamp && listed("timestampAuthorities") {
        // Every TSA's chain replaced by a chain of another instance's TSA.
        let foreign = if target.instance == "github" {
            embedded_root(trust::Instance::PublicGood)
        } else {
            embedded_root(trust::Instance::GitHub)
        };
        let foreign_chain = foreign["timestampAuthorities"][0]["certChain"].clone();
        // Only where the timestamps are the only source of time: with a SET
        // as well, the log alone dates the signature.
        let timestamps_needed = bundle
            .pointer("/verificationMaterial/tlogEntries/0/inclusionPromise")
            .is_none();
        if timestamps_needed {
            out.push(with_root(
                "trust-root-tsa-replaced".into(),
                changed(own, "/timestampAuthorities", |v| {
                    for tsa in v.as_array_mut().unwrap() {
                        tsa["certChain"] = foreign_chain.clone();
                    }
                }),
            ));
            out.push(with_root(
                "trust-root-tsa-expired".into(),
                changed(own, "/timestampAuthorities", |v| {
                    for tsa in v.as_array_mut().unwrap() {
                        tsa["validFor"] = ended.clone();
                    }
                }),
            ));
        }
    }
}

/// Whether two roots list a CA certificate in common (a custom root built
/// on an embedded one).
fn shares_a_ca(a: &Value, b: &Value) -> bool {
    let certificates = |root: &Value| {
        pointers(
            root,
            "/certificateAuthorities/*/certChain/certificates/*/rawBytes",
        )
        .into_iter()
        .filter_map(|p| root.pointer(&p).and_then(Value::as_str).map(str::to_string))
        .collect::<std::collections::HashSet<_>>()
    };
    !certificates(a).is_disjoint(&certificates(b))
}

fn variants(target: &Target, others: &[&Target]) -> Vec<Variant> {
    let mut out = Vec::new();
    content_mutations(target, &mut out);
    certificate_mutations(target, &mut out);
    log_entry_mutations(target, &mut out);
    timestamp_mutations(target, &mut out);
    transplant_mutations(target, others, &mut out);
    check_swaps(target, &mut out);
    root_swaps(target, &mut out);
    out
}

// ------------------------------------------------------------ verification

fn load_root(name: &str, root: &Value) -> Result<TrustRoot, String> {
    TrustRoot::from_json(
        name.to_string(),
        RootOrigin::File {
            path: format!("{name}/trusted_root.json").into(),
        },
        &root.to_string(),
    )
    .map_err(|e| e.to_string())
}

/// Verify as `verify-bundle` does (with the expected identity and issuer),
/// and as a run does (`verify_with_roots`, no identity: the policy judges
/// the facts). Each path's result; the run's path is `None` when it does
/// not apply (a managed key, or a swapped identity or issuer, which only
/// the first path checks).
fn verdicts(
    name: &str,
    bundle: &Value,
    root: &TrustRoot,
    artifact: &ArtifactInput,
    signer: &Signer,
    identity_swap: bool,
) -> (Result<(), VerifyFailure>, Option<Result<(), VerifyFailure>>) {
    let parsed = match verify::parse_bundles(bundle.to_string().as_bytes(), name) {
        Ok(parsed) => parsed,
        // Both paths read the bundle the same way.
        Err(failure) => return (Err(failure.clone()), Some(Err(failure))),
    };
    assert_eq!(parsed.len(), 1, "{name}");
    let parsed = match parsed.into_iter().next().unwrap() {
        Ok(parsed) => parsed,
        Err(failure) => return (Err(failure.clone()), Some(Err(failure))),
    };
    let single = verify::verify_bundle(root, &parsed.bundle, artifact, &signer.check()).map(drop);
    let run = (!identity_swap && matches!(signer, Signer::Certificate { .. })).then(|| {
        verify::verify_with_roots(
            std::slice::from_ref(root),
            &parsed.bundle,
            artifact,
            &SignerCheck::Certificate {
                identity: None,
                issuer: None,
            },
        )
        .map(drop)
    });
    (single, run)
}

/// `Ok` when either path of [`verdicts`] accepts; otherwise the first
/// path's failure.
fn accepted(
    name: &str,
    bundle: &Value,
    root: &TrustRoot,
    artifact: &ArtifactInput,
    signer: &Signer,
    identity_swap: bool,
) -> Result<(), VerifyFailure> {
    let (single, run) = verdicts(name, bundle, root, artifact, signer, identity_swap);
    if run.as_ref().is_some_and(Result::is_ok) {
        return Ok(());
    }
    single
}

/// Counted for a variant whose trust root is refused when it is loaded.
const ROOT_REFUSED: &str = "trust root refused";

/// Run every variant of every target; return what was accepted and the
/// checks that rejected each mutation.
fn attack(targets: &[Target]) -> (Vec<String>, BTreeMap<String, BTreeMap<String, usize>>) {
    let mut accepted_variants = Vec::new();
    let mut seen: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (i, target) in targets.iter().enumerate() {
        let root = load_root(&target.name, &target.root).expect("the target's own root loads");
        // The original passes on every path that applies to it.
        let (single, run) = verdicts(
            &target.name,
            &target.bundle,
            &root,
            &target.artifact,
            &target.signer,
            false,
        );
        for verdict in std::iter::once(single).chain(run) {
            if let Err(failure) = verdict {
                panic!("{}: the original does not verify: {failure}", target.name);
            }
        }
        let others: Vec<&Target> = targets[i + 1..].iter().chain(&targets[..i]).collect();
        for variant in variants(target, &others) {
            let name = format!("{} [{}]", target.name, variant.mutation);
            let variant_root = match &variant.root {
                None => None,
                Some(value) => match load_root(&name, value) {
                    Ok(root) => Some(root),
                    Err(_) => {
                        // A root refused when loaded verifies nothing.
                        *seen
                            .entry(group(&variant.mutation))
                            .or_default()
                            .entry(ROOT_REFUSED.to_string())
                            .or_default() += 1;
                        continue;
                    }
                },
            };
            let result = accepted(
                &name,
                &variant.bundle,
                variant_root.as_ref().unwrap_or(&root),
                variant.artifact.as_ref().unwrap_or(&target.artifact),
                variant.signer.as_ref().unwrap_or(&target.signer),
                variant.mutation.ends_with("identity-swapped")
                    || variant.mutation.ends_with("issuer-swapped"),
            );
            match result {
                Ok(()) => accepted_variants.push(name),
                Err(failure) => {
                    *seen
                        .entry(group(&variant.mutation))
                        .or_default()
                        .entry(failure.check.describe().to_string())
                        .or_default() += 1;
                }
            }
        }
    }
    (accepted_variants, seen)
}

/// The mutation without its per-field detail (`log-entry-body/spec/…` → `log-entry-body`).
fn group(mutation: &str) -> String {
    let base = mutation.split(':').next().unwrap();
    if base.starts_with("log-entry-body/") {
        "log-entry-body-field".into()
    } else if base.starts_with("certificate-extension-") {
        "certificate-fulcio-claim".into()
    } else {
        base.to_string()
    }
}

fn print_summary(what: &str, seen: &BTreeMap<String, BTreeMap<String, usize>>) {
    eprintln!("{what}: mutation → rejecting check (count)");
    for (mutation, checks) in seen {
        let checks: Vec<String> = checks
            .iter()
            .map(|(check, n)| format!("{check} ({n})"))
            .collect();
        eprintln!("  {mutation:<36} {}", checks.join(", "));
    }
}

fn assert_all_rejected(accepted: &[String], count: usize) {
    assert!(
        accepted.is_empty(),
        "{} of {count} tampered variants verified:\n{}",
        accepted.len(),
        accepted.join("\n")
    );
}

fn total(seen: &BTreeMap<String, BTreeMap<String, usize>>) -> usize {
    seen.values().flat_map(|c| c.values()).sum()
}

#[test]
fn every_tampered_minted_bundle_is_rejected() {
    let targets = minted_targets();
    let (accepted, seen) = attack(&targets);
    print_summary("minted bundles", &seen);
    assert_all_rejected(&accepted, total(&seen) + accepted.len());
    // Every kind of part a minted bundle has was tampered with.
    for mutation in [
        "dsse-payload-byte",
        "dsse-payload-type",
        "dsse-signature",
        "dsse-no-signature",
        "dsse-subject-swapped",
        "certificate-public-key",
        "certificate-san",
        "certificate-sct",
        "certificate-fulcio-claim",
        "certificate-not-before",
        "certificate-not-after",
        "certificate-issuer",
        "certificate-signature",
        "certificate-removed",
        "certificate-from-another-bundle",
        "log-index",
        "log-id",
        "log-entry-kind",
        "integrated-time",
        "set",
        "log-entry-body-byte",
        "log-entry-body-field",
        "log-entry-from-another-bundle",
        "log-entries-removed",
        "inclusion-proof-hash",
        "inclusion-proof-root-hash",
        "inclusion-proof-tree-size",
        "inclusion-proof-log-index",
        "checkpoint-origin",
        "checkpoint-tree-size",
        "checkpoint-root-hash",
        "checkpoint-extension-line",
        "checkpoint-signature",
        "artifact-swapped",
        "identity-swapped",
        "issuer-swapped",
        "trust-root-swapped",
        "trust-root-ca-replaced",
        "trust-root-ca-expired",
        "trust-root-ct-log-key-replaced",
        "trust-root-ct-log-expired",
        "trust-root-log-key-replaced",
        "trust-root-log-expired",
        "timestamp-signature",
        "timestamp-time",
        "timestamp-message-imprint",
        "timestamps-removed",
        "timestamps-from-another-bundle",
        "trust-root-tsa-replaced",
        "trust-root-tsa-expired",
        "message-signature",
        "message-digest",
        "message-digest-swapped",
    ] {
        assert!(
            seen.contains_key(mutation),
            "no `{mutation}` variant was made"
        );
    }
    // Subject and identity swaps fail the checks named for them.
    let only = |mutation: &str, check: Check| {
        assert_eq!(
            seen[mutation].keys().collect::<Vec<_>>(),
            [check.describe()],
            "{mutation}"
        )
    };
    only("artifact-swapped", Check::Subject);
    only("identity-swapped", Check::Identity);
    only("issuer-swapped", Check::Issuer);
    // A tampered SCT fails the CA's signature over the certificate; a CT
    // log key that is not the one that signed it fails the SCT check.
    only("trust-root-ct-log-key-replaced", Check::Sct);
}

#[test]
fn every_tampered_real_bundle_is_rejected() {
    let targets = real_targets();
    if targets.is_empty() {
        return;
    }
    assert!(
        targets.len() >= 40,
        "{} passing real bundles",
        targets.len()
    );
    let (accepted, seen) = attack(&targets);
    print_summary("real bundles", &seen);
    assert_all_rejected(&accepted, total(&seen) + accepted.len());
    for mutation in [
        "dsse-signature",
        "dsse-subject-swapped",
        "message-signature",
        "message-digest",
        "message-digest-swapped",
        "certificate-sct",
        "certificate-public-key",
        "log-index",
        "integrated-time",
        "integrated-time-added",
        "set",
        "log-entry-body-field",
        "inclusion-proof-hash",
        "inclusion-proof-root-hash",
        "checkpoint-signature",
        "checkpoint-root-hash",
        "timestamp-signature",
        "timestamp-time",
        "timestamp-message-imprint",
        "timestamps-removed",
        "timestamps-from-another-bundle",
        "key-swapped",
        "trust-root-swapped",
        "trust-root-tsa-replaced",
        "trust-root-tsa-expired",
    ] {
        assert!(
            seen.contains_key(mutation),
            "no `{mutation}` variant was made"
        );
    }
}

/// A lockfile of crates.io packages `pkgN` 1.0.0 with the given checksums.
fn lockfile(checksums: &[[u8; 32]]) -> String {
    let mut text = String::from("version = 4\n");
    for (n, checksum) in checksums.iter().enumerate() {
        text.push_str(&format!(
            "\n[[package]]\nname = \"pkg{n}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            hex::encode(checksum)
        ));
    }
    text
}

/// The whole run, through the binary: one package per bundle mutation (each
/// package's own minted bundle, tampered in one way), served from a local
/// folder, under a policy that requires attestations. Every tampered
/// package is a violation and fails the run; the untouched one passes.
#[test]
fn a_run_fails_every_package_whose_bundle_was_tampered_with() {
    use crate::harness::TestDir;
    let instance = testkit::Instance::new(MINTED_SEED + 2);
    let root: Value = serde_json::from_str(&instance.trusted_root_json()).unwrap();
    // How many bundle mutations a minted bundle gets (the same for each).
    let probe = minted_targets();
    let count = variants(&probe[0], &[&probe[1]])
        .into_iter()
        .filter(|v| v.root.is_none() && v.artifact.is_none() && v.signer.is_none())
        .count();
    assert!(count >= 40, "{count} bundle mutations");
    let checksums: Vec<[u8; 32]> = (0..=count)
        .map(|n| {
            let mut checksum = [0x6d; 32];
            checksum[..2].copy_from_slice(&(n as u16).to_be_bytes());
            checksum
        })
        .collect();
    let requests: Vec<MintRequest> = checksums
        .iter()
        .enumerate()
        .map(|(n, checksum)| {
            MintRequest::new(
                &format!("pkg{n}"),
                "1.0.0",
                *checksum,
                Claims::github("acme/widgets", "1.0.0"),
            )
        })
        .collect();
    let minted = instance.mint_batch(&requests);
    let targets: Vec<Target> = minted
        .iter()
        .zip(&checksums)
        .map(|(minted, checksum)| Target {
            name: minted.name.clone(),
            bundle: serde_json::from_str(&minted.to_json()).unwrap(),
            root: root.clone(),
            instance: "testkit".into(),
            artifact: ArtifactInput::parse_digest(&format!("sha256:{}", hex::encode(checksum)))
                .unwrap(),
            signer: Signer::Certificate {
                identity: None,
                issuer: None,
            },
        })
        .collect();

    let dir = TestDir::new();
    let mut mutation_of = BTreeMap::new();
    for (n, target) in targets.iter().enumerate() {
        let bundle = if n == count {
            target.bundle.clone()
        } else {
            let others: Vec<&Target> = targets.iter().filter(|t| t.name != target.name).collect();
            let variant = variants(target, &others)
                .into_iter()
                .filter(|v| v.root.is_none() && v.artifact.is_none() && v.signer.is_none())
                .nth(n)
                .expect("one mutation per package");
            mutation_of.insert(format!("pkg{n}"), variant.mutation);
            variant.bundle
        };
        dir.write(
            format!("bundles/pkg{n}-1.0.0.sigstore.json"),
            serde_json::to_string_pretty(&bundle).unwrap(),
        );
    }
    dir.write("Cargo.lock", lockfile(&checksums));
    dir.write("provenance.toml", "[defaults]\nrequire = \"attested\"\n");
    dir.write("trusted_root.json", instance.trusted_root_json());
    let run = dir
        .command()
        .args([
            "--lockfile",
            "Cargo.lock",
            "--policy",
            "provenance.toml",
            "--trusted-root",
            "trusted_root.json",
            "--source",
            "dir:bundles",
            "--message-format",
            "json",
        ])
        .run()
        .expect_code(1);
    let mut outcomes = BTreeMap::new();
    for line in run.stdout.lines() {
        let message: Value = serde_json::from_str(line).unwrap();
        if message["reason"] == "package" {
            let requirements: Vec<String> = message["failures"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .map(|f| f["requirement"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            outcomes.insert(
                message["name"].as_str().unwrap().to_string(),
                (
                    message["outcome"].as_str().unwrap().to_string(),
                    requirements,
                ),
            );
        }
    }
    assert_eq!(outcomes.len(), count + 1, "{}", run.stdout);
    assert_eq!(outcomes[&format!("pkg{count}")].0, "pass", "{:?}", outcomes);
    let mut wrong = Vec::new();
    for (name, mutation) in &mutation_of {
        let (outcome, requirements) = &outcomes[name];
        // A swapped subject names another artifact: the bundle is set aside
        // as not this package's, which leaves it without an attestation.
        let expected = if mutation == "dsse-subject-swapped" {
            "require"
        } else {
            "bundle-verification"
        };
        if outcome != "violation" || !requirements.iter().any(|r| r == expected) {
            wrong.push(format!("{name} [{mutation}]: {outcome} {requirements:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let summary: Value = serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["reason"], "summary");
    assert_eq!(summary["violations"], count);
    assert_eq!(summary["exit_code"], 1);
}
