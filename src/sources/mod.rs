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

pub(crate) mod bundle_url;
mod crates_io;
mod dir;
mod github;
pub(crate) mod github_bulk;
mod github_pages;
pub(crate) mod sparse_index;
mod spec;
mod split;
mod url_template;

use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;

use crate::cache::Answer;
use crate::evidence::{FailureKind, SourceError};
use crate::http::{Http, HttpConfig, HttpError};
use crate::limits::Budget;
use crate::lockfile::{Package, PackageSource};
use bundle_url::Link;

pub use crates_io::{CrateSummary, CRATES_PER_LIST};
pub use github::{repository_from_url, GitHubAuth, TokenError, GITHUB_BUNDLE_HOSTS};
pub use spec::{Records, SourceSpec, SourceSpecError, CRATES_IO_API, CRATES_IO_INDEX, GITHUB_API};
pub use split::{split_bundles, AnswerError};
use split::{split_fetching, split_listed, Keep};

/// The sources used when none is configured: GitHub's attestations API,
/// then crates.io's Trusted Publishing data.
pub fn default_sources() -> Vec<SourceSpec> {
    vec![
        SourceSpec::GitHub {
            api_url: GITHUB_API.into(),
            org: None,
            predicate_type: None,
        },
        SourceSpec::crates_io(CRATES_IO_API),
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
    /// What the run's policy needs to know of it beyond its bundles.
    #[serde(skip)]
    pub needs: Needs,
}

/// What a run's policy needs to know of a package beyond its bundles:
/// each asks a service that is otherwise left alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// crates.io's per-version record (one request a second): a rule
    /// requires `registry-asserted` evidence.
    pub record: bool,
    /// Whether the crate refuses token publishing (`trustpub-only = true`):
    /// answered for 100 crates a request.
    pub trustpub_only: bool,
    /// When the version was published (`min-age`, `diff`'s publish-time
    /// rules): from the sparse index, which has no rate limit.
    pub published: bool,
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
            needs: Needs::default(),
        })
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// What made a source fail, typed: the message says it for people, the
/// cause for code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureCause {
    /// A request failed.
    Http(HttpError),
    /// An answer that cannot be used: its shape, its size, a bundle it
    /// links to.
    Answer(AnswerError),
    /// The server answered with a status the source has no use for.
    Status(reqwest::StatusCode),
    /// The answer is not the JSON document the service sends (the parser's
    /// reason).
    NotTheDocument(String),
    /// The registry's record names another `.crate` file than the one
    /// Cargo.lock pins.
    OtherChecksum,
    /// A package name or version that cannot be put into a URL or a file
    /// name.
    UnsafeName(String),
    /// The source's own setup: not a folder, a bad API URL or
    /// organisation, offline for a remote source.
    Setup,
    /// The GitHub token cannot be sent.
    Token(TokenError),
    /// A local file could not be read.
    Unreadable(std::io::ErrorKind),
    /// A package's budget of answers ran out.
    OverBudget(crate::limits::OverBudget),
    /// The listing, or the paging through it, went beyond what a service
    /// sends.
    Listing,
    /// GitHub's hourly limit, reached by an earlier run, has not reset:
    /// nothing was asked.
    RememberedLimit,
}

/// Why a source could not answer for a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFailure {
    pub message: String,
    /// What made it fail (boxed: a failure travels in every `Result` of
    /// the sources, and is rare).
    pub cause: Box<FailureCause>,
    /// The source cannot answer for any package now (a long rate limit, a
    /// missing folder): stop asking it in this run.
    pub stop_source: bool,
    pub kind: FailureKind,
    /// The host that could not be reached, when that is the failure.
    pub host: Option<String>,
    /// GitHub refused a request without a token for its hourly limit,
    /// and how long until it resets when it said: what later runs
    /// remember ([`crate::fetch`]).
    pub anonymous_limit: Option<Option<std::time::Duration>>,
}

impl SourceFailure {
    pub fn new(cause: FailureCause, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            cause: Box::new(cause),
            stop_source: false,
            kind: FailureKind::Failed,
            host: None,
            anonymous_limit: None,
        }
    }

    /// A failure after which the source is not asked again in this run.
    pub fn stopping(cause: FailureCause, message: impl Into<String>) -> Self {
        Self {
            stop_source: true,
            ..Self::new(cause, message)
        }
    }

    /// An unusable answer of the source `label`.
    pub fn answer(label: &str, error: AnswerError) -> Self {
        Self::new(
            FailureCause::Answer(error.clone()),
            format!("{label}: {error}"),
        )
    }

    /// A request of the source `label` that failed: the conversion from
    /// [`HttpError`], its message prefixed with the label.
    pub fn http(label: &str, error: HttpError) -> Self {
        let failure = Self::from(error);
        Self {
            message: format!("{label}: {}", failure.message),
            ..failure
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
            ..Self::new(FailureCause::Http(error.clone()), error.to_string())
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
/// The entries count against the package's `budget` as the page they came
/// in would have.
pub async fn answer_listed(
    http: &Http,
    label: &str,
    listing: &github_bulk::Listing,
    checksum: &Sha256Hash,
    state: &RunState,
    budget: &Budget,
) -> Result<Reply, SourceFailure> {
    let location = format!("{}#sha256:{}", listing.endpoint, checksum.to_hex());
    let entries = listing.entries.as_ref().map_err(|e| {
        SourceFailure::new(FailureCause::Listing, format!("{label}: {location}: {e}"))
    })?;
    if entries.is_empty() {
        return Ok(Reply::Answer(Answer::NoAttestation));
    }
    // As many bytes as the list they came in would take, commas and braces
    // included: what the per-digest answer would have spent.
    let bytes = r#"{"attestations":[]}"#.len()
        + entries.iter().map(|e| e.len).sum::<usize>()
        + entries.len()
        - 1;
    budget.spend_bytes(bytes).map_err(|over| {
        SourceFailure::new(
            FailureCause::OverBudget(over),
            format!("{label}: {location}: {over}"),
        )
    })?;
    let link = Link {
        http,
        from: listing.from,
        hosts: Some(&state.github_bundle_hosts),
        budget,
    };
    split_listed(entries.clone(), label, &location, checksum, &link)
        .await
        .map(Reply::Answer)
        .map_err(|e| SourceFailure::answer(label, e))
}

/// What the sources of one run share between its tasks: crates.io's rate
/// limiter and the crates already asked about, and the hosts a `github`
/// source's `bundle_url` may name.
#[derive(Debug)]
pub struct RunState {
    crates_io: crates_io::CratesIoShared,
    github_bundle_hosts: Vec<String>,
}

impl RunState {
    /// `extra_bundle_hosts`: blob hosts beyond GitHub's own
    /// ([`GITHUB_BUNDLE_HOSTS`]), for GitHub Enterprise.
    pub fn new(http: &HttpConfig, extra_bundle_hosts: &[String]) -> Self {
        Self {
            crates_io: crates_io::CratesIoShared::new(http.crates_io_interval),
            github_bundle_hosts: GITHUB_BUNDLE_HOSTS
                .iter()
                .map(|h| h.to_string())
                .chain(extra_bundle_hosts.iter().cloned())
                .collect(),
        }
    }
}

/// Ask the `crates-io` source `spec` about up to [`CRATES_PER_LIST`] crates
/// in one request (crate-level facts only: `trustpub_only`, `repository`),
/// at the run's rate.
pub async fn list_crates(
    spec: &SourceSpec,
    http: &Http,
    state: &RunState,
    names: &[String],
) -> Result<std::collections::HashMap<String, Option<CrateSummary>>, SourceFailure> {
    match spec {
        SourceSpec::CratesIo { api_url, .. } => {
            crates_io::list_crates(http, &state.crates_io, api_url, names).await
        }
        other => Err(SourceFailure::new(
            FailureCause::Setup,
            format!("{other} does not list crates"),
        )),
    }
}

/// Why `spec` does not apply to the package `query` names, decided from
/// the query alone (no network, no cache), so that an offline run knows it
/// as well as the online run that filled the cache: `crates-io` for a
/// package from another registry, `github` without an `org` for a package
/// whose repository is not on GitHub or not known.
pub fn not_applicable(spec: &SourceSpec, query: &PackageQuery) -> Option<String> {
    match spec {
        SourceSpec::GitHub { org: None, .. } => github::not_applicable(query),
        SourceSpec::CratesIo { .. } => crates_io::not_applicable(query),
        _ => None,
    }
}

/// Ask one source about one package. `http` is `None` offline, in which case
/// only local sources may be asked (callers never ask remote ones).
///
/// Everything the source reads for the package counts against `budget`.
pub async fn ask(
    spec: &SourceSpec,
    query: &PackageQuery,
    http: Option<&Http>,
    state: &RunState,
    budget: &Budget,
) -> Result<Reply, SourceFailure> {
    let label = spec.label();
    match spec {
        SourceSpec::Dir { path } => dir::ask(path, &label, query),
        remote => {
            let http = http.ok_or_else(|| {
                SourceFailure::stopping(
                    FailureCause::Setup,
                    format!("{label} needs the network, and this run is offline"),
                )
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
                        query,
                        &state.github_bundle_hosts,
                        budget,
                    )
                    .await
                }
                SourceSpec::Url { template } => {
                    url_template::ask(http, template, &label, query, budget).await
                }
                SourceSpec::CratesIo { api_url, .. } => {
                    crates_io::ask(http, &state.crates_io, api_url, query).await
                }
                SourceSpec::Dir { .. } => unreachable!("handled above"),
            }
        }
    }
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

    /// A bundle whose DSSE statement names `digest`: it parses as a bundle,
    /// and nothing in it is signed (for routing tests only).
    pub fn opaque_bundle(digest: &str) -> serde_json::Value {
        use base64::Engine;
        let statement = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "predicateType": "https://slsa.dev/provenance/v1",
            "subject": [{"name": "x.crate", "digest": {"sha256": digest}}],
            "predicate": {},
        });
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"publicKey": {"hint": "k"}, "tlogEntries": []},
            "dsseEnvelope": {
                "payload": base64::engine::general_purpose::STANDARD.encode(statement.to_string()),
                "payloadType": "application/vnd.in-toto+json",
                "signatures": [{"sig": "AAAA", "keyid": ""}],
            }
        })
    }

    /// A failed request keeps its kind and the host that could not be
    /// reached: the report groups failures by them and names each host once.
    #[test]
    fn a_failed_request_keeps_its_kind_and_host() {
        let unreachable = || HttpError::Unreachable {
            url: "https://api.github.com/x".into(),
            host: "api.github.com".into(),
            kind: crate::failure_kind::FailureKind::DnsFailed,
            detail: "no such host".into(),
            given_up: false,
        };
        for failure in [
            SourceFailure::from(unreachable()),
            SourceFailure::http("github", unreachable()),
        ] {
            assert_eq!(failure.kind, crate::failure_kind::FailureKind::DnsFailed);
            assert_eq!(*failure.cause, FailureCause::Http(unreachable()));
            assert_eq!(failure.host.as_deref(), Some("api.github.com"));
            assert!(!failure.stop_source);
        }
        let timeout = HttpError::Timeout {
            url: "https://api.github.com/x".into(),
            attempts: 3,
            timeout_ms: 10,
        };
        let failure = SourceFailure::http("github", timeout);
        assert_eq!(failure.kind, crate::failure_kind::FailureKind::Timeout);
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
            needs: Default::default(),
        };
        assert_eq!(query.id(), "serde@1.0.219");
    }
}
