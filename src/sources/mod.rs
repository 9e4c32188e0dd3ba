//! Where provenance comes from: pluggable sources, tried in the order the
//! user configures them.
//!
//! | source | asks | answer |
//! |---|---|---|
//! | `github` | `GET /repos/{owner}/{repo}/attestations/sha256:{checksum}` (or `/orgs/{org}/…`) | bundles |
//! | `url` | a URL template with `{name}`, `{version}`, `{checksum}` | bundles |
//! | `dir` | `NAME-VERSION.sigstore.json`, `NAME-VERSION.jsonl`, `sha256:CHECKSUM.jsonl` | bundles |
//! | `crates-io` | `GET /api/v1/crates/{name}?include=versions`, once per crate name, at most one request a second (`trustpub_data`) | registry assertion |
//!
//! A source's answer is only routed here: bundles are split into one
//! document each and those whose (unverified) in-toto subjects do not
//! include the package's checksum are set aside as ignored. Whether a bundle
//! counts is decided by [`crate::verify`] alone.

pub mod bundle_url;
mod crates_io;
mod dir;
mod github;
pub mod github_bulk;
pub mod sparse_index;
mod spec;
mod url_template;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;

use crate::cache::{Answer, BundleDocument, IgnoredBundle};
use crate::evidence::{BundleOrigin, FailureKind, SourceError};
use crate::http::{Http, HttpConfig, HttpError};
use crate::lockfile::{Package, PackageSource};

pub use github::{repository_from_url, GitHubAuth};
pub use spec::{SourceSpec, CRATES_IO_API, GITHUB_API};

/// The sources used when none is configured: GitHub's attestations API,
/// then crates.io's Trusted Publishing data.
pub fn default_sources() -> Vec<SourceSpec> {
    vec![
        SourceSpec::GitHub {
            api_url: GITHUB_API.into(),
            org: None,
            predicate_type: None,
        },
        SourceSpec::CratesIo {
            api_url: CRATES_IO_API.into(),
        },
    ]
}

/// What is looked up for one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageQuery {
    pub name: String,
    pub version: semver::Version,
    pub source: PackageSource,
    /// The SHA-256 of the `.crate` file: the subject every bundle must name.
    #[serde(with = "sha256_hex")]
    pub checksum: Sha256Hash,
    /// Where to look on GitHub: the repository the policy expects for the
    /// package, else the one its manifest declares (a URL such as
    /// `https://github.com/owner/repo`).
    pub repository_hint: Option<String>,
}

impl PackageQuery {
    /// The query for a lockfile package; `None` for packages without a
    /// checksum (workspace members, git and path dependencies), which have
    /// no `.crate` file to look provenance up by.
    ///
    /// `expected_repository` (from the policy) wins over the repository the
    /// package's manifest declares.
    pub fn for_package(package: &Package, expected_repository: Option<&str>) -> Option<Self> {
        Some(Self {
            name: package.name.clone(),
            version: package.version.clone(),
            source: package.source.clone(),
            checksum: package.checksum?,
            repository_hint: expected_repository
                .map(str::to_string)
                .or_else(|| package.repository.clone()),
        })
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// Why a source could not answer for a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFailure {
    pub message: String,
    /// The source cannot answer for any package now (a long rate limit, a
    /// missing folder): stop asking it in this run.
    pub stop_source: bool,
    pub kind: FailureKind,
    /// The host that could not be reached, when that is the failure.
    pub host: Option<String>,
}

impl SourceFailure {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            stop_source: false,
            kind: FailureKind::Failed,
            host: None,
        }
    }

    pub fn stopping(message: impl Into<String>) -> Self {
        Self {
            stop_source: true,
            ..Self::new(message)
        }
    }

    /// A request of the source `label` that failed, with its kind.
    pub fn http(label: &str, error: HttpError) -> Self {
        Self {
            kind: error.kind(),
            host: error.unreachable_host().map(str::to_string),
            ..Self::new(format!("{label}: {error}"))
        }
    }

    /// As reported for one package.
    pub fn for_source(&self, source: &str) -> SourceError {
        SourceError {
            source: source.to_string(),
            message: self.message.clone(),
            kind: self.kind,
            host: self.host.clone(),
        }
    }
}

impl From<HttpError> for SourceFailure {
    fn from(error: HttpError) -> Self {
        Self {
            kind: error.kind(),
            host: error.unreachable_host().map(str::to_string),
            ..Self::new(error.to_string())
        }
    }
}

/// What asking one source produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Answer(Answer),
    /// The source does not apply to this package (e.g. `crates-io` for a
    /// package from another registry, `github` without a known repository).
    NotApplicable(String),
}

/// The answer for one package made from the attestation entries a bulk
/// listing gave for its digest ([`github_bulk::list`]): bundles behind a
/// `bundle_url` fetched as for a per-digest list; none is "no attestation".
pub async fn answer_listed(
    http: &Http,
    label: &str,
    location: &str,
    entries: &[serde_json::Value],
    checksum: &Sha256Hash,
) -> Result<Reply, SourceFailure> {
    if entries.is_empty() {
        return Ok(Reply::Answer(Answer::NoAttestation));
    }
    let body = serde_json::json!({ "attestations": entries }).to_string();
    split_fetching(body.as_bytes(), label, location, checksum, http)
        .await
        .map(|(answer, _)| Reply::Answer(answer))
        .map_err(|e| SourceFailure::new(format!("{label}: {e}")))
}

/// What the sources of one run share between its tasks: crates.io's rate
/// limiter and the crates already asked about.
#[derive(Debug)]
pub struct RunState {
    crates_io: crates_io::CratesIoShared,
}

impl RunState {
    pub fn new(http: &HttpConfig) -> Self {
        Self {
            crates_io: crates_io::CratesIoShared::new(http.crates_io_interval),
        }
    }
}

/// Ask one source about one package. `http` is `None` offline, in which case
/// only local sources may be asked (callers never ask remote ones).
pub async fn ask(
    spec: &SourceSpec,
    query: &PackageQuery,
    http: Option<&Http>,
    auth: &GitHubAuth,
    state: &RunState,
) -> Result<Reply, SourceFailure> {
    let label = spec.label();
    match spec {
        SourceSpec::Dir { path } => dir::ask(path, &label, query),
        remote => {
            let http = http.ok_or_else(|| {
                SourceFailure::stopping(format!(
                    "{label} needs the network, and this run is offline"
                ))
            })?;
            match remote {
                SourceSpec::GitHub {
                    api_url,
                    org,
                    predicate_type,
                } => {
                    github::ask(
                        http,
                        &github::Target {
                            api_url,
                            org: org.as_deref(),
                            predicate_type: predicate_type.as_deref(),
                            label: &label,
                        },
                        auth,
                        query,
                    )
                    .await
                }
                SourceSpec::Url { template } => {
                    url_template::ask(http, template, &label, query).await
                }
                SourceSpec::CratesIo { api_url } => {
                    crates_io::ask(http, &state.crates_io, api_url, query).await
                }
                SourceSpec::Dir { .. } => unreachable!("handled above"),
            }
        }
    }
}

/// Split a file into one document per bundle, setting aside the bundles
/// whose subjects do not name `checksum`: [`split_document`], then
/// [`route`]. An attestation behind a `bundle_url` is an error here (a
/// local file cannot be fetched from); remote sources use
/// [`split_fetching`].
pub fn split_bundles(
    bytes: &[u8],
    source: &str,
    location: &str,
    checksum: &Sha256Hash,
) -> Result<Answer, String> {
    let split = split_document(bytes, source, location)?;
    if let Some((origin, _)) = split.linked.first() {
        return Err(format!(
            "{}: the attestation's bundle is behind a bundle_url, which is fetched only from a remote source",
            origin.location
        ));
    }
    Ok(route(split.pieces, split.ignored, checksum))
}

/// [`split_bundles`] for an answer from the network: every attestation
/// with a `bundle_url` is fetched from it ([`bundle_url::fetch`], with no
/// credentials) and counts as an inline bundle would. Returns the answer
/// and the decoded bytes fetched; any fetch that fails fails the whole
/// answer.
pub(crate) async fn split_fetching(
    bytes: &[u8],
    source: &str,
    location: &str,
    checksum: &Sha256Hash,
    http: &Http,
) -> Result<(Answer, usize), String> {
    let Split {
        mut pieces,
        ignored,
        linked,
    } = split_document(bytes, source, location)?;
    let mut fetched = 0;
    for (origin, url) in linked {
        let json = bundle_url::fetch(http, &url)
            .await
            .map_err(|e| format!("{}: {e}", origin.location))?;
        fetched += json.len();
        let routing = Routing::peek(&json);
        pieces.push((origin, json, routing));
    }
    Ok((route(pieces, ignored, checksum), fetched))
}

/// A document read into bundles, before routing.
struct Split {
    pieces: Vec<(BundleOrigin, String, Option<Routing>)>,
    ignored: Vec<IgnoredBundle>,
    /// Attestations whose bundle is behind a `bundle_url` (never stored:
    /// the URL is a short-lived credential).
    linked: Vec<(BundleOrigin, String)>,
}

/// Read one bundle, JSON lines of bundles, or GitHub's attestations API
/// shape (`{"attestations": [{"bundle": …} or {"bundle_url": …}, …]}`). In
/// the API shape, an entry with a non-empty `bundle_url` is to be fetched
/// from it (an inline `bundle` is used only without one, as GitHub
/// Enterprise Server and old answers send); an entry with neither is an
/// error. A whole document that is not JSON is an error; one bad line among
/// JSON lines is kept so that verification reports it in place.
fn split_document(bytes: &[u8], source: &str, location: &str) -> Result<Split, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{location}: not UTF-8: {e}"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("{location}: empty response"));
    }
    let origin = |location: String| BundleOrigin {
        source: source.to_string(),
        location,
    };
    let mut pieces: Vec<(BundleOrigin, String, Option<Routing>)> = Vec::new();
    let ignored = Vec::new();
    let mut linked = Vec::new();
    // Most documents are one bundle: read only what routes it, skipping the
    // rest of the document (certificates, log entries) unparsed.
    if let Some(routing) = Routing::peek(trimmed) {
        pieces.push((
            origin(location.to_string()),
            trimmed.to_string(),
            Some(routing),
        ));
    } else {
        match serde_json::from_str::<serde_json::Value>(trimmed) {
            Ok(value) => match value.get("attestations") {
                Some(serde_json::Value::Array(items)) => {
                    check_count(items.len(), location)?;
                    for (i, item) in items.iter().enumerate() {
                        let here = origin(format!("{location}#attestations[{i}]"));
                        let url = item
                            .get("bundle_url")
                            .and_then(|u| u.as_str())
                            .filter(|u| !u.is_empty());
                        match (url, item.get("bundle")) {
                            (Some(url), _) => linked.push((here, url.to_string())),
                            (None, Some(bundle)) if bundle.is_object() => {
                                pieces.push((here, bundle.to_string(), Some(Routing::of(bundle))))
                            }
                            (None, _) => {
                                return Err(format!(
                                    "{}: the attestation has neither a bundle nor a bundle_url",
                                    here.location
                                ))
                            }
                        }
                    }
                }
                Some(_) => return Err(format!("{location}: `attestations` is not a list")),
                None if value.is_object() => pieces.push((
                    origin(location.to_string()),
                    trimmed.to_string(),
                    Some(Routing::of(&value)),
                )),
                None => return Err(format!("{location}: not a bundle (a JSON object)")),
            },
            Err(e) => {
                let lines: Vec<(usize, &str)> = text
                    .lines()
                    .enumerate()
                    .filter(|(_, line)| !line.trim().is_empty())
                    .collect();
                if lines.len() < 2 {
                    return Err(format!("{location}: not valid JSON: {e}"));
                }
                check_count(lines.len(), location)?;
                for (i, line) in lines {
                    let line = line.trim();
                    let routing = Routing::peek(line).or_else(|| {
                        serde_json::from_str::<serde_json::Value>(line)
                            .ok()
                            .map(|value| Routing::of(&value))
                    });
                    pieces.push((
                        origin(format!("{location}:{}", i + 1)),
                        line.to_string(),
                        routing,
                    ));
                }
            }
        }
    }
    Ok(Split {
        pieces,
        ignored,
        linked,
    })
}

/// Set aside the bundles whose (unverified) subjects do not name `checksum`.
fn route(
    pieces: Vec<(BundleOrigin, String, Option<Routing>)>,
    mut ignored: Vec<IgnoredBundle>,
    checksum: &Sha256Hash,
) -> Answer {
    let mut documents = Vec::new();
    for (origin, json, routing) in pieces {
        match routing.and_then(|r| r.subject_mismatch(checksum)) {
            Some(reason) => ignored.push(IgnoredBundle { origin, reason }),
            None => documents.push(BundleDocument { origin, json }),
        }
    }
    Answer::Bundles { documents, ignored }
}

fn check_count(count: usize, location: &str) -> Result<(), String> {
    let max = crate::verify::MAX_BUNDLES_PER_FILE;
    if count > max {
        return Err(format!(
            "{location}: {count} bundles, over the limit of {max}"
        ));
    }
    Ok(())
}

/// The parts of a bundle that say which artifact it is for: its DSSE
/// envelope and its message signature, as found (unverified).
#[derive(Debug)]
struct Routing {
    dsse_envelope: Option<serde_json::Value>,
    message_signature: Option<serde_json::Value>,
}

/// A document's top level, read for [`Routing::peek`]; every other member is
/// skipped without being built.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Peek {
    #[serde(default, deserialize_with = "present")]
    attestations: bool,
    #[serde(default)]
    dsse_envelope: Option<serde_json::Value>,
    #[serde(default)]
    message_signature: Option<serde_json::Value>,
}

/// `true` for a member that is there, whatever its value (even `null`).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

impl Routing {
    /// Read from one JSON object that is not an attestations API response;
    /// `None` for anything else (which is then read as a whole).
    fn peek(text: &str) -> Option<Routing> {
        if !text.starts_with('{') {
            return None;
        }
        let peek: Peek = serde_json::from_str(text).ok()?;
        (!peek.attestations).then_some(Routing {
            dsse_envelope: peek.dsse_envelope,
            message_signature: peek.message_signature,
        })
    }

    fn of(bundle: &serde_json::Value) -> Routing {
        Routing {
            dsse_envelope: bundle.get("dsseEnvelope").cloned(),
            message_signature: bundle.get("messageSignature").cloned(),
        }
    }

    /// Why the bundle is for another artifact; `None` when it names
    /// `checksum` or cannot be read (then verification decides).
    fn subject_mismatch(&self, checksum: &Sha256Hash) -> Option<String> {
        let want = checksum.to_hex();
        if let Some(payload) = self
            .dsse_envelope
            .as_ref()
            .and_then(|e| e.get("payload"))
            .and_then(|p| p.as_str())
        {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .ok()?;
            /// Only the subjects of the statement; the predicate is skipped.
            #[derive(Deserialize)]
            struct Subjects {
                subject: Vec<serde_json::Value>,
            }
            let statement: Subjects = serde_json::from_slice(&bytes).ok()?;
            let digests: Vec<String> = statement
                .subject
                .iter()
                .filter_map(|s| s.pointer("/digest/sha256")?.as_str())
                .map(str::to_ascii_lowercase)
                .collect();
            if digests.contains(&want) {
                return None;
            }
            return Some(format!(
                "its subjects ({}) do not include sha256:{want}",
                if digests.is_empty() {
                    "no sha256 digest".to_string()
                } else {
                    digests
                        .iter()
                        .map(|d| format!("sha256:{d}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
        let digest = self.message_signature.as_ref()?.get("messageDigest")?;
        if digest.get("algorithm")?.as_str()? != "SHA2_256" {
            return None;
        }
        let signed = Sha256Hash::from_base64(digest.get("digest")?.as_str()?).ok()?;
        (signed != *checksum)
            .then(|| format!("it signs sha256:{}, not sha256:{want}", signed.to_hex()))
    }
}

/// Whether a name or version may be put into a URL or a file name as is:
/// crate names and semver versions never need more than these characters.
fn is_plain(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('.')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
}

mod sha256_hex {
    use serde::{Deserialize, Deserializer, Serializer};
    use sigstore_types::Sha256Hash;

    pub fn serialize<S: Serializer>(hash: &Sha256Hash, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hash.to_hex())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Sha256Hash, D::Error> {
        let text = String::deserialize(deserializer)?;
        Sha256Hash::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A bundle-shaped document whose DSSE statement names `digest` (not
    /// signed: for routing tests only).
    pub fn opaque_bundle(digest: &str) -> serde_json::Value {
        let statement = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "predicateType": "https://slsa.dev/provenance/v1",
            "subject": [{"name": "x.crate", "digest": {"sha256": digest}}],
            "predicate": {},
        });
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {},
            "dsseEnvelope": {
                "payload": base64::engine::general_purpose::STANDARD.encode(statement.to_string()),
                "payloadType": "application/vnd.in-toto+json",
                "signatures": [],
            }
        })
    }

    fn checksum(byte: u8) -> Sha256Hash {
        Sha256Hash::new([byte; 32])
    }

    fn counts(answer: &Answer) -> (usize, usize) {
        match answer {
            Answer::Bundles { documents, ignored } => (documents.len(), ignored.len()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_bundle_count_limit_is_inclusive() {
        let max = crate::verify::MAX_BUNDLES_PER_FILE;
        assert!(check_count(0, "f").is_ok());
        assert!(check_count(max, "f").is_ok());
        let error = check_count(max + 1, "f").unwrap_err();
        assert!(
            error.starts_with(&format!("f: {} bundles, over the limit", max + 1)),
            "{error}"
        );
    }

    /// An attestations API answer is recognised by its `attestations`
    /// member, whatever its value, and is not peeked at as one bundle.
    #[test]
    fn an_attestations_member_of_any_value_is_not_one_bundle() {
        for text in [
            r#"{"attestations": null}"#,
            r#"{"attestations": []}"#,
            r#"{"attestations": 3}"#,
        ] {
            assert!(Routing::peek(text).is_none(), "{text}");
        }
        assert!(Routing::peek(r#"{"dsseEnvelope": {}}"#).is_some());
        assert!(Routing::peek(r#"{"mediaType": "x"}"#).is_some());
    }

    /// A failed request keeps its kind and the host that could not be
    /// reached: the report groups failures by them and names each host once.
    #[test]
    fn a_failed_request_keeps_its_kind_and_host() {
        let unreachable = || HttpError::Unreachable {
            url: "https://api.github.com/x".into(),
            host: "api.github.com".into(),
            kind: crate::origin::FailureKind::DnsFailed,
            detail: "no such host".into(),
            given_up: false,
        };
        for failure in [
            SourceFailure::from(unreachable()),
            SourceFailure::http("github", unreachable()),
        ] {
            assert_eq!(failure.kind, crate::origin::FailureKind::DnsFailed);
            assert_eq!(failure.host.as_deref(), Some("api.github.com"));
            assert!(!failure.stop_source);
        }
        let timeout = HttpError::Timeout {
            url: "https://api.github.com/x".into(),
            attempts: 3,
            timeout_ms: 10,
        };
        let failure = SourceFailure::http("github", timeout);
        assert_eq!(failure.kind, crate::origin::FailureKind::Timeout);
        assert_eq!(failure.host, None);
        assert!(
            failure.message.starts_with("github: "),
            "{}",
            failure.message
        );
    }

    #[test]
    fn a_query_is_named_name_at_version() {
        let query = PackageQuery {
            name: "serde".into(),
            version: semver::Version::new(1, 0, 219),
            source: PackageSource::CratesIo,
            checksum: Sha256Hash::new([0; 32]),
            repository_hint: None,
        };
        assert_eq!(query.id(), "serde@1.0.219");
    }

    #[test]
    fn all_three_shapes_split_into_one_document_per_bundle() {
        let ours = checksum(1).to_hex();
        let theirs = checksum(2).to_hex();
        let one = opaque_bundle(&ours).to_string();
        assert_eq!(
            counts(&split_bundles(one.as_bytes(), "s", "f", &checksum(1)).unwrap()),
            (1, 0)
        );
        let jsonl = format!("{}\n\n{}\n", opaque_bundle(&ours), opaque_bundle(&theirs));
        let answer = split_bundles(jsonl.as_bytes(), "s", "f.jsonl", &checksum(1)).unwrap();
        assert_eq!(counts(&answer), (1, 1));
        let Answer::Bundles { ignored, documents } = answer else {
            unreachable!()
        };
        assert_eq!(documents[0].origin.location, "f.jsonl:1");
        assert_eq!(ignored[0].origin.location, "f.jsonl:3");
        assert!(ignored[0].reason.contains(&theirs), "{}", ignored[0].reason);
        let api = serde_json::json!({"attestations": [
            {"bundle": opaque_bundle(&ours), "repository_id": 1},
            {"bundle": opaque_bundle(&theirs), "repository_id": 1, "bundle_url": ""},
        ]})
        .to_string();
        assert_eq!(
            counts(&split_bundles(api.as_bytes(), "s", "u", &checksum(1)).unwrap()),
            (1, 1)
        );
    }

    #[test]
    fn attestations_behind_a_bundle_url_are_linked_and_neither_is_an_error() {
        let ours = checksum(1).to_hex();
        // A `bundle_url` wins over an inline bundle, as established clients do.
        let api = serde_json::json!({"attestations": [
            {"bundle": opaque_bundle(&ours), "repository_id": 1},
            {"bundle": opaque_bundle(&ours), "bundle_url": "https://blob.example/b.sn?sig=s"},
            {"repository_id": 1, "bundle_url": "https://blob.example/c.sn?sig=s", "initiator": "user"},
        ]})
        .to_string();
        let split = split_document(api.as_bytes(), "s", "u").unwrap();
        assert_eq!(split.pieces.len(), 1);
        let urls: Vec<(&str, &str)> = split
            .linked
            .iter()
            .map(|(origin, url)| (origin.location.as_str(), url.as_str()))
            .collect();
        assert_eq!(
            urls,
            [
                ("u#attestations[1]", "https://blob.example/b.sn?sig=s"),
                ("u#attestations[2]", "https://blob.example/c.sn?sig=s"),
            ]
        );
        // A local file cannot be fetched from; the URL is not in the message.
        let error = split_bundles(api.as_bytes(), "s", "u", &checksum(1)).unwrap_err();
        assert!(
            error.contains("bundle_url") && !error.contains("sig=s"),
            "{error}"
        );
        for neither in [
            r#"{"attestations": [{"repository_id": 1}]}"#,
            r#"{"attestations": [{"bundle": null, "bundle_url": null}]}"#,
            r#"{"attestations": [{"bundle": "x", "bundle_url": ""}]}"#,
        ] {
            let error = split_bundles(neither.as_bytes(), "s", "u", &checksum(1)).unwrap_err();
            assert!(
                error.contains("neither a bundle nor a bundle_url"),
                "{error}"
            );
        }
    }

    #[test]
    fn unreadable_documents_are_errors_or_kept_for_verification() {
        for bad in ["", "  ", "{\"a\":", "[1,2]", "{\"attestations\":{}}"] {
            assert!(
                split_bundles(bad.as_bytes(), "s", "f", &checksum(1)).is_err(),
                "{bad}"
            );
        }
        // A bad line among good ones is kept: verification reports it in place.
        let jsonl = format!("{}\nnot json\n", opaque_bundle(&checksum(1).to_hex()));
        assert_eq!(
            counts(&split_bundles(jsonl.as_bytes(), "s", "f", &checksum(1)).unwrap()),
            (2, 0)
        );
    }

    #[test]
    fn one_bundle_is_routed_like_the_whole_document_reading() {
        let ours = checksum(1).to_hex();
        let theirs = checksum(2).to_hex();
        // Read in part (`Routing::peek`) and as a whole (`Routing::of`), a
        // document gives the same routing.
        for bundle in [opaque_bundle(&ours), opaque_bundle(&theirs)] {
            let text = bundle.to_string();
            let peeked = Routing::peek(&text).expect("one bundle is peeked");
            assert_eq!(
                peeked.subject_mismatch(&checksum(1)),
                Routing::of(&bundle).subject_mismatch(&checksum(1))
            );
        }
        // An API response, even with a null list, is read as a whole.
        assert!(Routing::peek(r#"{"attestations": null}"#).is_none());
        assert!(split_bundles(br#"{"attestations": null}"#, "s", "f", &checksum(1)).is_err());
        // Routing members of other types leave the bundle to verification.
        for odd in [
            r#"{"dsseEnvelope": "x"}"#,
            r#"{"dsseEnvelope": {"payload": 5}}"#,
            r#"{"dsseEnvelope": {"payload": "%%%"}}"#,
            r#"{"messageSignature": [1, {"a": null}]}"#,
            r#"{"dsseEnvelope": null, "messageSignature": {"messageDigest": 1}}"#,
        ] {
            assert_eq!(
                counts(&split_bundles(odd.as_bytes(), "s", "f", &checksum(1)).unwrap()),
                (1, 0),
                "{odd}"
            );
        }
        // A repeated member is read as a whole, where the last one counts.
        let repeated = format!(
            r#"{{"dsseEnvelope": {}, "dsseEnvelope": {}}}"#,
            opaque_bundle(&ours)["dsseEnvelope"],
            opaque_bundle(&theirs)["dsseEnvelope"]
        );
        assert!(Routing::peek(&repeated).is_none());
        assert_eq!(
            counts(&split_bundles(repeated.as_bytes(), "s", "f", &checksum(1)).unwrap()),
            (0, 1)
        );
    }

    #[test]
    fn deeply_nested_documents_neither_crash_nor_pass() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(split_bundles(deep.as_bytes(), "s", "f", &checksum(1)).is_err());
        // Inside a bundle, the depth is skipped while routing; verification
        // then refuses the document.
        let nested = opaque_bundle(&checksum(1).to_hex()).to_string().replacen(
            '{',
            &format!("{{\"x\":{deep},"),
            1,
        );
        let answer = split_bundles(nested.as_bytes(), "s", "f", &checksum(1)).unwrap();
        let Answer::Bundles { documents, .. } = answer else {
            unreachable!()
        };
        assert_eq!(documents.len(), 1);
        let parsed = crate::verify::parse_bundles(documents[0].json.as_bytes(), "f");
        assert!(
            parsed.map_or(true, |items| items.iter().all(Result::is_err)),
            "a nested document parsed as a bundle"
        );
    }

    #[test]
    fn message_signature_digests_are_compared() {
        let bundle = serde_json::json!({"messageSignature": {"messageDigest": {
            "algorithm": "SHA2_256", "digest": checksum(2).to_base64()}}});
        let routing = Routing::of(&bundle);
        assert!(routing.subject_mismatch(&checksum(1)).is_some());
        assert!(routing.subject_mismatch(&checksum(2)).is_none());
    }

    #[test]
    fn plain_names_only() {
        assert!(is_plain("serde_json") && is_plain("1.0.0-rc.1+build.5"));
        for bad in ["", "..", "../x", "a/b", "a b", "%2e", ".hidden"] {
            assert!(!is_plain(bad), "{bad}");
        }
    }
}
