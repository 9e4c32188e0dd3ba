//! Minted bundles against real ones and an independent client: the test
//! instance must write what Fulcio, Rekor and GitHub's attest action write,
//! byte for byte where verifiers compare bytes.
//!
//! - The shape of a minted bundle is compared with the real bundle GitHub
//!   serves for bblanchon/pdfium-binaries (`../shared/fixtures/api`).
//! - sigstore-python (`pip install sigstore`) verifies a sample of minted
//!   bundles, unmodified, offline, against the instance's trusted root. The
//!   client is `$CVP_SIGSTORE_PYTHON`, else `sigstore` on the `PATH`; without
//!   it the test says so and skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use cargo_verify_provenance::testkit::{
    Claims, Faults, Instance, MintRequest, MintedBundle, Tamper,
};
use der::{Decode, Tagged};
use serde_json::Value;

use crate::fixtures::api_file;
use crate::harness::TestDir;

const REAL_BUNDLE: &str = "github/pdfium-binaries-attestation.sigstore.json";

/// JSON read with its objects' members kept in document order (serde_json's
/// own map sorts them), for comparing how documents are written.
enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Scalar,
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, SeqAccess, Visitor};
        struct OrderedVisitor;
        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Ordered>()? {
                    members.push(member);
                }
                Ok(Ordered::Object(members))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Ordered>()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_str<E>(self, _: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
        }
        deserializer.deserialize_any(OrderedVisitor)
    }
}

/// Every object's member names in document order, by JSON path (arrays by
/// their first element).
fn member_order(text: &[u8]) -> Vec<(String, Vec<String>)> {
    fn walk(value: &Ordered, path: &str, out: &mut Vec<(String, Vec<String>)>) {
        match value {
            Ordered::Object(members) => {
                out.push((
                    path.to_string(),
                    members.iter().map(|(k, _)| k.clone()).collect(),
                ));
                for (key, child) in members {
                    walk(child, &format!("{path}/{key}"), out);
                }
            }
            Ordered::Array(items) => {
                if let Some(first) = items.first() {
                    walk(first, &format!("{path}[0]"), out);
                }
            }
            Ordered::Scalar => {}
        }
    }
    let value: Ordered = serde_json::from_slice(text).expect("a JSON document");
    let mut out = Vec::new();
    walk(&value, "", &mut out);
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    sigstore_verify::crypto::sha256(bytes).to_hex()
}

fn base64(text: &Value) -> Vec<u8> {
    BASE64
        .decode(text.as_str().expect("a base64 string"))
        .expect("valid base64")
}

/// What a bundle's log entry and certificate look like, after checking the
/// log entry body holds what Rekor derives from the bundle, byte for byte:
/// the signature, the signing certificate as LF PEM, the payload hash, and
/// the envelope hash of the envelope as the signing client submitted it
/// (compact, protobuf-specs order, empty `keyid`).
struct Shape {
    bundle: Vec<(String, Vec<String>)>,
    body: Vec<(String, Vec<String>)>,
    statement: Vec<(String, Vec<String>)>,
    /// Extension OIDs of the leaf, in order, with their criticality.
    extensions: Vec<(String, bool)>,
    /// ASN.1 tags of the leaf issuer's attribute values.
    issuer_tags: Vec<der::Tag>,
}

fn shape(name: &str, text: &[u8]) -> Shape {
    assert!(
        !text.contains(&b'\n'),
        "{name}: the bundle is not written compact"
    );
    let bundle: Value = serde_json::from_slice(text).unwrap();
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    let envelope = &bundle["dsseEnvelope"];
    let body_bytes = base64(&entry["canonicalizedBody"]);
    let body: Value = serde_json::from_slice(&body_bytes).unwrap();
    assert_eq!(
        body_bytes,
        serde_json::to_vec(&body).unwrap(),
        "{name}: the body is not canonical (compact, members sorted)"
    );
    let spec = &body["spec"];
    let signature = &spec["signatures"][0];
    assert_eq!(
        signature["signature"], envelope["signatures"][0]["sig"],
        "{name}"
    );
    let certificate = base64(&bundle["verificationMaterial"]["certificate"]["rawBytes"]);
    let pem =
        der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &certificate).unwrap();
    let verifier = String::from_utf8(base64(&signature["verifier"])).unwrap();
    assert_eq!(
        verifier, pem,
        "{name}: verifier is not the certificate as LF PEM"
    );
    let payload = base64(&envelope["payload"]);
    assert_eq!(spec["payloadHash"]["value"], sha256_hex(&payload), "{name}");
    let string = |value: &Value| value.as_str().expect("a string").to_string();
    let submitted = format!(
        r#"{{"payload":"{}","payloadType":"{}","signatures":[{{"sig":"{}","keyid":""}}]}}"#,
        string(&envelope["payload"]),
        string(&envelope["payloadType"]),
        string(&envelope["signatures"][0]["sig"]),
    );
    assert_eq!(
        spec["envelopeHash"]["value"],
        sha256_hex(submitted.as_bytes()),
        "{name}: envelope hash"
    );

    let leaf = x509_cert::Certificate::from_der(&certificate).unwrap();
    let tbs = leaf.tbs_certificate;
    Shape {
        bundle: member_order(text),
        body: member_order(&body_bytes),
        statement: member_order(&payload),
        extensions: tbs
            .extensions
            .unwrap_or_default()
            .iter()
            .map(|e| (e.extn_id.to_string(), e.critical))
            .collect(),
        issuer_tags: tbs
            .issuer
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter().map(|atv| atv.value.tag()))
            .collect(),
    }
}

#[test]
fn minted_bundles_are_written_as_real_ones_are() {
    let test = "minted_bundles_are_written_as_real_ones_are";
    let Some(real) = api_file(test, REAL_BUNDLE) else {
        return;
    };
    let real = shape(REAL_BUNDLE, &real);
    let minted = Instance::new(5).mint(&MintRequest::new(
        "pdfium",
        "1.0.0",
        [7; 32],
        Claims::github("bblanchon/pdfium-binaries", "1.0.0")
            .on_branch("master")
            .with_trigger("workflow_dispatch"),
    ));
    let ours = shape("minted", minted.to_json().as_bytes());
    assert_eq!(ours.bundle, real.bundle);
    assert_eq!(ours.body, real.body);
    assert_eq!(ours.statement, real.statement);
    assert_eq!(ours.extensions, real.extensions);
    assert_eq!(ours.issuer_tags, real.issuer_tags);
}

/// The sigstore-python client, when there is one. A client named by
/// `CVP_SIGSTORE_PYTHON` must work: the run asked for the check.
fn sigstore_python(test: &str) -> Option<PathBuf> {
    let named = std::env::var_os("CVP_SIGSTORE_PYTHON").map(PathBuf::from);
    let client = named.clone().unwrap_or_else(|| PathBuf::from("sigstore"));
    let version = Command::new(&client).arg("--version").output();
    let works = version.as_ref().is_ok_and(|o| {
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("sigstore")
    });
    match (works, named) {
        (true, _) => Some(client),
        (false, Some(named)) => panic!(
            "CVP_SIGSTORE_PYTHON={} does not run as sigstore-python: {version:?}",
            named.display()
        ),
        (false, None) => {
            eprintln!(
                "skipping {test}: sigstore-python is not installed (`pip install sigstore`, then put `sigstore` on the PATH or set CVP_SIGSTORE_PYTHON to it; scripts/sigstore-python-check.sh does both)"
            );
            None
        }
    }
}

/// sigstore-python's client trust configuration for a private instance: its
/// trusted root, and a signing configuration naming no services (nothing is
/// signed; verification is offline).
fn trust_config(instance: &Instance) -> String {
    let root: Value = serde_json::from_str(&instance.trusted_root_json()).unwrap();
    serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": root,
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [], "oidcUrls": [], "rekorTlogUrls": [], "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        },
    })
    .to_string()
}

/// `sigstore verify github --offline` of one bundle, checking the claims
/// sigstore-python can check; `Ok` with its output when it verifies.
fn python_verify(
    client: &Path,
    dir: &TestDir,
    config: &Path,
    minted: &MintedBundle,
    claims: &Claims,
    sha256: &[u8; 32],
) -> Result<String, String> {
    let bundle = dir.write(minted.file_name(), minted.to_json());
    let output = Command::new(client)
        .env("HOME", dir.path())
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .arg("--trust-config")
        .arg(config)
        .args(["verify", "github", "--offline", "--bundle"])
        .arg(bundle)
        .args(["--cert-identity", &minted.identity])
        .args(["--repository", &claims.repository])
        .args(["--ref", &claims.git_ref])
        .args(["--trigger", &claims.trigger])
        .args(["--sha", &claims.commit])
        .arg(format!("sha256:{}", hex::encode(sha256)))
        .output()
        .expect("run sigstore-python");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() && text.contains("OK: ") {
        Ok(text)
    } else {
        Err(text)
    }
}

#[test]
fn sigstore_python_verifies_minted_bundles_unmodified() {
    let test = "sigstore_python_verifies_minted_bundles_unmodified";
    let Some(client) = sigstore_python(test) else {
        return;
    };
    let dir = TestDir::new();
    let instance = Instance::new(23);
    let config = dir.write("trust_config.json", trust_config(&instance));
    let base = Claims::github("tokio-rs/tokio", "1.45.0");
    let sample = [
        base.clone(),
        base.clone()
            .on_branch("main")
            .with_trigger("workflow_dispatch"),
        base.clone().with_reusable_workflow(
            "slsa-framework/slsa-github-generator",
            ".github/workflows/builder.yml",
            "refs/tags/v2.1.0",
        ),
        base.clone().self_hosted().private(),
    ];
    let requests: Vec<MintRequest> = sample
        .iter()
        .enumerate()
        .map(|(i, claims)| {
            MintRequest::new(
                "tokio",
                &format!("1.45.{i}"),
                [i as u8 + 1; 32],
                claims.clone(),
            )
        })
        .collect();
    let minted = instance.mint_batch(&requests);
    for ((claims, request), minted) in sample.iter().zip(&requests).zip(&minted) {
        if let Err(output) = python_verify(&client, &dir, &config, minted, claims, &request.sha256)
        {
            panic!("sigstore-python rejects {}:\n{output}", minted.file_name());
        }
    }
    // The check tells: a bundle whose log entry was changed is refused.
    let tampered = instance.mint(&requests[0].clone().with_faults(Faults {
        tamper: Some(Tamper::LogEntryBody),
        ..Faults::default()
    }));
    assert!(
        python_verify(
            &client,
            &dir,
            &config,
            &tampered,
            &sample[0],
            &requests[0].sha256
        )
        .is_err(),
        "sigstore-python accepted a tampered log entry"
    );
}
