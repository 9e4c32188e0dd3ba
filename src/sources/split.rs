//! A source's answer split into one document per bundle, and the routing
//! of each by its (unverified) subjects.
//!
//! Three shapes are read: one bundle, JSON lines of bundles, and GitHub's
//! attestations API answer (`{"attestations": [{"bundle": …} or
//! {"bundle_url": …}, …]}`). Nothing is built as a tree of JSON values:
//! bundles are kept as the text they were sent as (`RawValue`), and only
//! the members that route a bundle (its DSSE payload, its message digest)
//! are read, so an answer of millions of tiny values costs no more memory
//! than its text.

use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;
use sigstore_types::Sha256Hash;

use super::bundle_url::{self, Link};
use crate::bounded_read::{json_list, opens_object, JsonList};
use crate::cache::{Answer, BundleDocument, IgnoredBundle};
use crate::evidence::BundleOrigin;
use crate::limits::MAX_BUNDLES_PER_FILE;

/// Why a source's answer (a document, a line, an attestation in it) cannot
/// be used; every variant names where in the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("{location}: not UTF-8: {reason}")]
    NotUtf8 { location: String, reason: String },
    #[error("{location}: empty response")]
    Empty { location: String },
    #[error("{location}: not a bundle (a JSON object)")]
    NotAnObject { location: String },
    #[error("{location}: not valid JSON: {reason}")]
    NotJson { location: String, reason: String },
    #[error("{location}: `attestations` is not a list")]
    NotAList { location: String },
    #[error("{location}: the attestation has neither a bundle nor a bundle_url")]
    NoBundle { location: String },
    #[error("{location}: the attestation's bundle is behind a bundle_url, which is fetched only from a remote source")]
    LinkedInLocalFile { location: String },
    #[error("{location}: {count} bundles, over the limit of {max}")]
    TooManyBundles {
        location: String,
        count: usize,
        max: usize,
    },
    #[error("{location}: {count} bundles, {over}")]
    OverBudget {
        location: String,
        count: usize,
        over: crate::limits::OverBudget,
    },
    /// A bundle behind a `bundle_url` could not be fetched or decoded.
    #[error("{location}: {source}")]
    Linked {
        location: String,
        source: bundle_url::BlobError,
    },
}

/// Which attestations of an API answer are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    /// Only those of this repository (GitHub's `repository_id`); the others
    /// are set aside, as the per-repository endpoint leaves them out.
    pub repository_id: Option<u64>,
}

/// Split a file into one document per bundle, setting aside the bundles
/// whose subjects do not name `checksum`: `split_document`, then
/// `route`. An attestation behind a `bundle_url` is an error here (a
/// local file cannot be fetched from); remote sources use
/// `split_fetching`.
pub fn split_bundles(
    bytes: &[u8],
    source: &str,
    location: &str,
    checksum: &Sha256Hash,
) -> Result<Answer, AnswerError> {
    let split = split_document(bytes, source, location, Keep::default())?;
    if let Some((origin, _)) = split.linked.first() {
        return Err(AnswerError::LinkedInLocalFile {
            location: origin.location.clone(),
        });
    }
    Ok(route(split.pieces, split.ignored, checksum))
}

/// [`split_bundles`] for an answer from the network, its attestations
/// filtered by `keep`: every bundle counts against the package's budget
/// before anything is fetched, and every attestation with a `bundle_url` is
/// fetched from it ([`bundle_url::fetch`], with no credentials) and counts
/// as an inline bundle would. Any fetch that fails fails the whole answer.
pub(crate) async fn split_fetching(
    bytes: &[u8],
    source: &str,
    location: &str,
    checksum: &Sha256Hash,
    link: &Link<'_>,
    keep: Keep,
) -> Result<Answer, AnswerError> {
    let Split {
        mut pieces,
        ignored,
        linked,
    } = split_document(bytes, source, location, keep)?;
    let count = pieces.len() + linked.len();
    link.budget
        .spend_bundles(count)
        .map_err(|over| AnswerError::OverBudget {
            location: location.to_string(),
            count,
            over,
        })?;
    for (origin, url) in linked {
        let json = bundle_url::fetch(link, &url)
            .await
            .map_err(|source| AnswerError::Linked {
                location: origin.location.clone(),
                source,
            })?;
        let routing = Routing::read(&json);
        pieces.push((origin, json, routing));
    }
    Ok(route(pieces, ignored, checksum))
}

/// One bundle's text, where it came from, and what routes it.
type Piece = (BundleOrigin, String, Option<Routing>);

/// A document read into bundles, before routing.
pub(super) struct Split {
    pieces: Vec<Piece>,
    ignored: Vec<IgnoredBundle>,
    /// Attestations whose bundle is behind a `bundle_url` (never stored:
    /// the URL is a short-lived credential).
    pub(super) linked: Vec<(BundleOrigin, String)>,
}

/// Read one bundle, JSON lines of bundles, or GitHub's attestations API
/// shape. In the API shape, an entry with a non-empty `bundle_url` is to be
/// fetched from it (an inline `bundle` is used only without one, as GitHub
/// Enterprise Server and old answers send); an entry with neither is an
/// error; entries `keep` leaves out are set aside. A whole document that is
/// not JSON is an error; one bad line among JSON lines is kept so that
/// verification reports it in place.
pub(super) fn split_document(
    bytes: &[u8],
    source: &str,
    location: &str,
    keep: Keep,
) -> Result<Split, AnswerError> {
    let text = std::str::from_utf8(bytes).map_err(|e| AnswerError::NotUtf8 {
        location: location.to_string(),
        reason: e.to_string(),
    })?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(AnswerError::Empty {
            location: location.to_string(),
        });
    }
    let origin = |location: String| BundleOrigin {
        source: source.to_string(),
        location,
    };
    if opens_object(trimmed) {
        if let Ok(members) = serde_json::from_str::<Members>(trimmed) {
            return split_object(trimmed, members, location, &origin, keep);
        }
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(trimmed) {
        Ok(_) => Err(AnswerError::NotAnObject {
            location: location.to_string(),
        }),
        Err(error) => split_lines(text, location, &origin, &error),
    }
}

/// A JSON object: one bundle, or an API answer (an `attestations` member).
fn split_object(
    text: &str,
    members: Members<'_>,
    location: &str,
    origin: &dyn Fn(String) -> BundleOrigin,
    keep: Keep,
) -> Result<Split, AnswerError> {
    let Some(attestations) = members.attestations else {
        let routing = Routing::from_parts(members.dsse_envelope, members.message_signature);
        return Ok(Split {
            pieces: vec![(origin(location.into()), text.into(), Some(routing))],
            ignored: Vec::new(),
            linked: Vec::new(),
        });
    };
    let items = match json_list(attestations.get(), MAX_BUNDLES_PER_FILE) {
        Ok(JsonList::Items(items)) => items,
        Ok(JsonList::Over(count)) => return Err(too_many(count, location)),
        Err(_) => {
            return Err(AnswerError::NotAList {
                location: location.to_string(),
            })
        }
    };
    let mut split = Split {
        pieces: Vec::new(),
        ignored: Vec::new(),
        linked: Vec::new(),
    };
    for (i, item) in items.into_iter().enumerate() {
        let here = origin(format!("{location}#attestations[{i}]"));
        let entry = Entry::read(item).ok_or_else(|| AnswerError::NoBundle {
            location: here.location.clone(),
        })?;
        if let Some(reason) = entry.left_out_by(keep) {
            split.ignored.push(IgnoredBundle {
                origin: here,
                reason,
            });
            continue;
        }
        match entry.content {
            Content::Linked(url) => split.linked.push((here, url)),
            Content::Inline(bundle) => {
                let routing = Routing::read(bundle.get());
                split.pieces.push((here, bundle.get().to_string(), routing));
            }
        }
    }
    Ok(split)
}

/// JSON lines of bundles (a whole document that is not JSON).
fn split_lines(
    text: &str,
    location: &str,
    origin: &dyn Fn(String) -> BundleOrigin,
    error: &serde_json::Error,
) -> Result<Split, AnswerError> {
    let lines = || {
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
    };
    // Counted before anything is kept for them.
    let count = lines().count();
    if count < 2 {
        return Err(AnswerError::NotJson {
            location: location.to_string(),
            reason: error.to_string(),
        });
    }
    check_count(count, location)?;
    let pieces = lines()
        .map(|(i, line)| {
            let line = line.trim();
            (
                origin(format!("{location}:{}", i + 1)),
                line.into(),
                Routing::read(line),
            )
        })
        .collect();
    Ok(Split {
        pieces,
        ignored: Vec::new(),
        linked: Vec::new(),
    })
}

/// One entry of an attestations API answer.
struct Entry<'a> {
    content: Content<'a>,
    repository_id: Option<u64>,
}

enum Content<'a> {
    Linked(String),
    Inline(&'a RawValue),
}

impl<'a> Entry<'a> {
    /// `None` for an entry with neither a non-empty `bundle_url` nor an
    /// object `bundle` (or that is not an object at all).
    fn read(item: &'a RawValue) -> Option<Self> {
        #[derive(Deserialize)]
        struct EntryMembers<'a> {
            #[serde(default, borrow)]
            bundle_url: Option<&'a RawValue>,
            #[serde(default, borrow)]
            bundle: Option<&'a RawValue>,
            #[serde(default, borrow)]
            repository_id: Option<&'a RawValue>,
        }
        let members: EntryMembers<'a> = serde_json::from_str(item.get()).ok()?;
        let url = members
            .bundle_url
            .and_then(|u| serde_json::from_str::<String>(u.get()).ok())
            .filter(|u| !u.is_empty());
        let content = match (url, members.bundle) {
            (Some(url), _) => Content::Linked(url),
            (None, Some(bundle)) if opens_object(bundle.get()) => Content::Inline(bundle),
            (None, _) => return None,
        };
        Some(Self {
            content,
            repository_id: members
                .repository_id
                .and_then(|id| serde_json::from_str::<u64>(id.get()).ok()),
        })
    }

    /// Why `keep` leaves this entry out, if it does.
    fn left_out_by(&self, keep: Keep) -> Option<String> {
        let wanted = keep.repository_id?;
        match self.repository_id {
            Some(id) if id == wanted => None,
            Some(id) => Some(format!(
                "it was attested in another repository (ID {id}) than the package's (ID {wanted})"
            )),
            None => Some(format!(
                "it names no repository, and only the package's (ID {wanted}) is asked about"
            )),
        }
    }
}

/// Set aside the bundles whose (unverified) subjects do not name `checksum`.
fn route(pieces: Vec<Piece>, mut ignored: Vec<IgnoredBundle>, checksum: &Sha256Hash) -> Answer {
    let mut documents = Vec::new();
    for (origin, json, routing) in pieces {
        match routing.and_then(|r| r.subject_mismatch(checksum)) {
            Some(reason) => ignored.push(IgnoredBundle { origin, reason }),
            None => documents.push(BundleDocument { origin, json }),
        }
    }
    Answer::Bundles { documents, ignored }
}

pub(super) fn check_count(count: usize, location: &str) -> Result<(), AnswerError> {
    if count > MAX_BUNDLES_PER_FILE {
        return Err(too_many(count, location));
    }
    Ok(())
}

fn too_many(count: usize, location: &str) -> AnswerError {
    AnswerError::TooManyBundles {
        location: location.to_string(),
        count,
        max: MAX_BUNDLES_PER_FILE,
    }
}

/// The parts of a bundle that say which artifact it is for, as found
/// (unverified): its DSSE payload and its message digest. A member of
/// another type than expected is as absent: verification then decides.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Routing {
    payload: Option<String>,
    /// `(algorithm, base64 digest)` of a message signature.
    message_digest: Option<(String, String)>,
}

/// The members of a JSON object that matter here, each the last of its
/// name (as a parser that keeps the last copy reads them); every other
/// member is skipped without being built.
#[derive(Debug, Default)]
struct Members<'a> {
    attestations: Option<&'a RawValue>,
    dsse_envelope: Option<&'a RawValue>,
    message_signature: Option<&'a RawValue>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        enum Key {
            Attestations,
            DsseEnvelope,
            MessageSignature,
            #[serde(other)]
            Other,
        }
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Members<'a>, M::Error> {
                let mut members = Members::default();
                while let Some(key) = map.next_key::<Key>()? {
                    let slot = match key {
                        Key::Attestations => &mut members.attestations,
                        Key::DsseEnvelope => &mut members.dsse_envelope,
                        Key::MessageSignature => &mut members.message_signature,
                        Key::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value()?);
                }
                Ok(members)
            }
        }
        deserializer.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

impl Routing {
    /// Read from one JSON object (a repeated member: the last one counts);
    /// `None` for text that is not one.
    pub(super) fn read(text: &str) -> Option<Routing> {
        if !opens_object(text) {
            return None;
        }
        let members: Members = serde_json::from_str(text).ok()?;
        Some(Self::from_parts(
            members.dsse_envelope,
            members.message_signature,
        ))
    }

    fn from_parts(envelope: Option<&RawValue>, signature: Option<&RawValue>) -> Routing {
        #[derive(Deserialize)]
        struct Envelope {
            payload: String,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Signature {
            message_digest: Digest,
        }
        #[derive(Deserialize)]
        struct Digest {
            algorithm: String,
            digest: String,
        }
        fn read(raw: Option<&RawValue>) -> &str {
            raw.map_or("null", RawValue::get)
        }
        Routing {
            payload: serde_json::from_str::<Envelope>(read(envelope))
                .ok()
                .map(|e| e.payload),
            message_digest: serde_json::from_str::<Signature>(read(signature))
                .ok()
                .map(|s| (s.message_digest.algorithm, s.message_digest.digest)),
        }
    }

    /// Why the bundle is for another artifact; `None` when it names
    /// `checksum` or cannot be read (then verification decides).
    fn subject_mismatch(&self, checksum: &Sha256Hash) -> Option<String> {
        let want = checksum.to_hex();
        if let Some(payload) = &self.payload {
            let digests = statement_digests(payload)?;
            if digests.contains(&want) {
                return None;
            }
            let named = if digests.is_empty() {
                "no sha256 digest".to_string()
            } else {
                digests
                    .iter()
                    .map(|d| format!("sha256:{d}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Some(format!(
                "its subjects ({named}) do not include sha256:{want}"
            ));
        }
        let (algorithm, digest) = self.message_digest.as_ref()?;
        if algorithm != "SHA2_256" {
            return None;
        }
        let signed = Sha256Hash::from_base64(digest).ok()?;
        (signed != *checksum)
            .then(|| format!("it signs sha256:{}, not sha256:{want}", signed.to_hex()))
    }
}

/// The sha256 digests of an in-toto statement's subjects, lowercase;
/// `None` when the payload is not base64 of a statement.
fn statement_digests(payload: &str) -> Option<Vec<String>> {
    /// Only the subjects of the statement; the predicate is skipped.
    #[derive(Deserialize)]
    struct Subjects<'a> {
        #[serde(borrow)]
        subject: Vec<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct Subject {
        digest: Digests,
    }
    #[derive(Deserialize)]
    struct Digests {
        sha256: String,
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()?;
    let statement: Subjects = serde_json::from_slice(&bytes).ok()?;
    Some(
        statement
            .subject
            .iter()
            .filter_map(|s| serde_json::from_str::<Subject>(s.get()).ok())
            .map(|s| s.digest.sha256.to_ascii_lowercase())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::tests::opaque_bundle;

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
        let max = crate::limits::MAX_BUNDLES_PER_FILE;
        assert!(check_count(0, "f").is_ok());
        assert!(check_count(max, "f").is_ok());
        let error = check_count(max + 1, "f").unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("f: {} bundles, over the limit", max + 1)),
            "{error}"
        );
    }

    /// An attestations API answer is recognised by its `attestations`
    /// member, whatever its value, and is not read as one bundle.
    #[test]
    fn an_attestations_member_of_any_value_is_not_one_bundle() {
        for text in [r#"{"attestations": null}"#, r#"{"attestations": 3}"#] {
            let error = split_bundles(text.as_bytes(), "s", "f", &checksum(1))
                .unwrap_err()
                .to_string();
            assert!(error.contains("is not a list"), "{text}: {error}");
        }
        let empty = split_bundles(br#"{"attestations": []}"#, "s", "f", &checksum(1)).unwrap();
        assert_eq!(counts(&empty), (0, 0));
        for one in [r#"{"dsseEnvelope": {}}"#, r#"{"mediaType": "x"}"#] {
            let answer = split_bundles(one.as_bytes(), "s", "f", &checksum(1)).unwrap();
            assert_eq!(counts(&answer), (1, 0), "{one}");
        }
    }

    /// Lists and lines are counted before anything is kept for them.
    #[test]
    fn a_list_over_the_limit_is_refused_whatever_its_items() {
        let items = vec!["0"; MAX_BUNDLES_PER_FILE + 1].join(",");
        let api = format!(r#"{{"attestations": [{items}]}}"#);
        let error = split_bundles(api.as_bytes(), "s", "f", &checksum(1))
            .unwrap_err()
            .to_string();
        assert!(error.contains("over the limit"), "{error}");
        let lines = "x\n".repeat(MAX_BUNDLES_PER_FILE + 1);
        let error = split_bundles(lines.as_bytes(), "s", "f", &checksum(1))
            .unwrap_err()
            .to_string();
        assert!(error.contains("over the limit"), "{error}");
    }

    /// Only the entries of the package's repository are kept when asked;
    /// the others are set aside with the reason.
    #[test]
    fn entries_of_another_repository_are_set_aside_when_asked() {
        let ours = opaque_bundle(&checksum(1).to_hex());
        let api = serde_json::json!({"attestations": [
            {"bundle": ours, "repository_id": 7},
            {"bundle": ours, "repository_id": 8},
            {"bundle": ours},
        ]})
        .to_string();
        let split = split_document(api.as_bytes(), "s", "u", Keep::default()).unwrap();
        assert_eq!((split.pieces.len(), split.ignored.len()), (3, 0));
        let keep = Keep {
            repository_id: Some(7),
        };
        let split = split_document(api.as_bytes(), "s", "u", keep).unwrap();
        assert_eq!(split.pieces.len(), 1);
        let reasons: Vec<&str> = split.ignored.iter().map(|i| i.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "it was attested in another repository (ID 8) than the package's (ID 7)",
                "it names no repository, and only the package's (ID 7) is asked about"
            ]
        );
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
        let split = split_document(api.as_bytes(), "s", "u", Keep::default()).unwrap();
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
        let error = split_bundles(api.as_bytes(), "s", "u", &checksum(1))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("bundle_url") && !error.contains("sig=s"),
            "{error}"
        );
        for neither in [
            r#"{"attestations": [{"repository_id": 1}]}"#,
            r#"{"attestations": [{"bundle": null, "bundle_url": null}]}"#,
            r#"{"attestations": [{"bundle": "x", "bundle_url": ""}]}"#,
        ] {
            let error = split_bundles(neither.as_bytes(), "s", "u", &checksum(1))
                .unwrap_err()
                .to_string();
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
            let read = Routing::read(&text).expect("one bundle is read");
            let envelope = bundle["dsseEnvelope"].to_string();
            let whole = Routing::from_parts(serde_json::from_str(&envelope).ok(), None);
            assert_eq!(
                read.subject_mismatch(&checksum(1)),
                whole.subject_mismatch(&checksum(1))
            );
        }
        // An API response, even with a null list, is read as a whole.
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
        let routing = Routing::read(&bundle.to_string()).unwrap();
        assert!(routing.subject_mismatch(&checksum(1)).is_some());
        assert!(routing.subject_mismatch(&checksum(2)).is_none());
    }
}
