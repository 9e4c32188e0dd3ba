//! A source's answer split into one document per bundle, each read once
//! into its type ([`ReadBundle`]), and the routing of each by its
//! (unverified) subjects.
//!
//! Three shapes are read: one bundle, JSON lines of bundles, and GitHub's
//! attestations API answer (`{"attestations": [{"bundle": …} or
//! {"bundle_url": …}, …]}`). No tree of JSON values is built for the
//! answer: its shape is read by its members (`RawValue`), each bundle's
//! text is parsed once into a bundle (within the size limit of one), and a
//! bundle is routed by what that parse read (its DSSE statement's
//! subjects, its message digest). Only text that is not a bundle is read
//! in part for its routing members, and kept for verification to reject.

use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;
use sigstore_types::{Bundle, HashAlgorithm, Sha256Hash, SignatureContent};

use super::bundle_url::{self, Link};
use crate::bounded_read::{json_list, opens_object, JsonList};
use crate::cache::{Answer, BundleDocument, IgnoredBundle, ReadBundle};
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
    let split = split_document(bytes, source, location, keep)?;
    fetch_linked(split, location, checksum, link).await
}

/// [`split_fetching`] for the attestation entries a bulk listing gave for
/// one digest, each read once when its page was: nothing is put back
/// together into a document to be read again.
pub(crate) async fn split_listed(
    entries: Vec<AttestationEntry>,
    source: &str,
    location: &str,
    checksum: &Sha256Hash,
    link: &Link<'_>,
) -> Result<Answer, AnswerError> {
    let origin = |location: String| BundleOrigin {
        source: source.to_string(),
        location,
    };
    let split = split_entries(entries, location, &origin, Keep::default())?;
    fetch_linked(split, location, checksum, link).await
}

/// Count every bundle of `split` against the package's budget, fetch those
/// behind a `bundle_url`, and route them all.
async fn fetch_linked(
    split: Split,
    location: &str,
    checksum: &Sha256Hash,
    link: &Link<'_>,
) -> Result<Answer, AnswerError> {
    let Split {
        mut pieces,
        ignored,
        linked,
    } = split;
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
        pieces.push((origin, json.into()));
    }
    Ok(route(pieces, ignored, checksum))
}

/// One bundle's text and where it came from.
type Piece = (BundleOrigin, Box<str>);

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
        return Ok(Split {
            pieces: vec![(origin(location.into()), text.into())],
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
    let entries = items.into_iter().map(AttestationEntry::read).collect();
    split_entries(entries, location, origin, keep)
}

/// The entries of an attestations list: each bundle inline, behind a link,
/// or set aside by `keep`; an entry with neither is an error.
fn split_entries(
    entries: Vec<AttestationEntry>,
    location: &str,
    origin: &dyn Fn(String) -> BundleOrigin,
    keep: Keep,
) -> Result<Split, AnswerError> {
    let mut split = Split {
        pieces: Vec::new(),
        ignored: Vec::new(),
        linked: Vec::new(),
    };
    for (i, entry) in entries.into_iter().enumerate() {
        let here = origin(format!("{location}#attestations[{i}]"));
        let reason = entry.left_out_by(keep);
        let Some(content) = entry.content else {
            return Err(AnswerError::NoBundle {
                location: here.location,
            });
        };
        match (reason, content) {
            (Some(reason), _) => split.ignored.push(IgnoredBundle {
                origin: here,
                reason,
            }),
            (None, Content::Linked(url)) => split.linked.push((here, url)),
            (None, Content::Inline(bundle)) => split.pieces.push((here, bundle.into())),
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
        .map(|(i, line)| (origin(format!("{location}:{}", i + 1)), line.trim().into()))
        .collect();
    Ok(Split {
        pieces,
        ignored: Vec::new(),
        linked: Vec::new(),
    })
}

/// One entry of an attestations API answer, read once (in a per-digest
/// answer, or in a bulk listing's page).
#[derive(Debug, Clone)]
pub(crate) struct AttestationEntry {
    /// `None` for an entry with neither a non-empty `bundle_url` nor an
    /// object `bundle` (or that is not an object at all): an error where
    /// it is used.
    content: Option<Content>,
    pub(crate) repository_id: Option<u64>,
    /// The length of the entry's text, which counts against budgets.
    pub(crate) len: usize,
}

#[derive(Debug, Clone)]
enum Content {
    Linked(String),
    Inline(Box<RawValue>),
}

impl AttestationEntry {
    /// Read the members that matter of one entry: a non-empty `bundle_url`
    /// wins over an inline `bundle` (used only without one, as GitHub
    /// Enterprise Server and old answers send).
    pub(crate) fn read(item: &RawValue) -> Self {
        #[derive(Deserialize)]
        struct EntryMembers<'a> {
            #[serde(default, borrow)]
            bundle_url: Option<&'a RawValue>,
            #[serde(default, borrow)]
            bundle: Option<&'a RawValue>,
            #[serde(default, borrow)]
            repository_id: Option<&'a RawValue>,
        }
        let len = item.get().len();
        let Ok(members) = serde_json::from_str::<EntryMembers>(item.get()) else {
            return Self {
                content: None,
                repository_id: None,
                len,
            };
        };
        let url = members
            .bundle_url
            .and_then(|u| serde_json::from_str::<String>(u.get()).ok())
            .filter(|u| !u.is_empty());
        let content = match (url, members.bundle) {
            (Some(url), _) => Some(Content::Linked(url)),
            (None, Some(bundle)) if opens_object(bundle.get()) => {
                Some(Content::Inline(bundle.to_owned()))
            }
            (None, _) => None,
        };
        Self {
            content,
            repository_id: members
                .repository_id
                .and_then(|id| serde_json::from_str::<u64>(id.get()).ok()),
            len,
        }
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

/// Read each bundle once ([`ReadBundle`]) and set aside those whose
/// (unverified) subjects do not name `checksum`.
fn route(pieces: Vec<Piece>, mut ignored: Vec<IgnoredBundle>, checksum: &Sha256Hash) -> Answer {
    let mut documents = Vec::new();
    for (origin, json) in pieces {
        let bundle = ReadBundle::read(json);
        let mismatch = match bundle.bundle() {
            Ok(parsed) => Signed::of(parsed).subject_mismatch(checksum),
            // Not a bundle: kept for verification to reject where it is,
            // unless what routes it says it is for another artifact.
            Err(_) => Signed::peek(bundle.json()).and_then(|s| s.subject_mismatch(checksum)),
        };
        match mismatch {
            Some(reason) => ignored.push(IgnoredBundle { origin, reason }),
            None => documents.push(BundleDocument { origin, bundle }),
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

/// What a bundle says it signs, as found (unverified): its DSSE
/// statement, or its message digest. A member that cannot be read leaves
/// the bundle to verification.
#[derive(Debug, PartialEq, Eq)]
enum Signed<'a> {
    /// A DSSE envelope's payload, decoded; `None` when it is not base64.
    Statement(Option<std::borrow::Cow<'a, [u8]>>),
    /// A message signature's SHA-256 digest; `None` for another algorithm
    /// or a digest that is not one.
    Digest(Option<Sha256Hash>),
    /// Neither.
    Unknown,
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

impl<'a> Signed<'a> {
    /// What a parsed bundle signs.
    fn of(bundle: &'a Bundle) -> Self {
        match &bundle.content {
            SignatureContent::DsseEnvelope(envelope) => {
                Self::Statement(Some(envelope.payload.as_bytes().into()))
            }
            SignatureContent::MessageSignature(signature) => match &signature.message_digest {
                Some(digest) if digest.algorithm == HashAlgorithm::Sha2256 => {
                    Self::Digest(Sha256Hash::try_from(digest.digest.as_bytes()).ok())
                }
                _ => Self::Digest(None),
            },
            // A kind of content this crate does not know: verification
            // refuses it.
            _ => Self::Unknown,
        }
    }

    /// Read in part from text that is not a bundle but one JSON object (a
    /// repeated member: the last one counts); `None` for text that is not
    /// one.
    fn peek(text: &str) -> Option<Signed<'static>> {
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
        fn read<'de, T: Deserialize<'de>>(raw: Option<&'de RawValue>) -> Option<T> {
            serde_json::from_str(raw?.get()).ok()
        }
        if !opens_object(text) {
            return None;
        }
        let members: Members = serde_json::from_str(text).ok()?;
        if let Some(envelope) = read::<Envelope>(members.dsse_envelope) {
            let payload = base64::engine::general_purpose::STANDARD
                .decode(envelope.payload)
                .ok();
            return Some(Signed::Statement(payload.map(Into::into)));
        }
        Some(match read::<Signature>(members.message_signature) {
            Some(Signature {
                message_digest: Digest { algorithm, digest },
            }) if algorithm == "SHA2_256" => Signed::Digest(Sha256Hash::from_base64(&digest).ok()),
            Some(_) => Signed::Digest(None),
            None => Signed::Unknown,
        })
    }

    /// Why the bundle is for another artifact; `None` when it names
    /// `checksum` or cannot be read (then verification decides).
    fn subject_mismatch(&self, checksum: &Sha256Hash) -> Option<String> {
        let want = checksum.to_hex();
        match self {
            Self::Statement(payload) => {
                let digests = statement_digests(payload.as_deref()?)?;
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
                Some(format!(
                    "its subjects ({named}) do not include sha256:{want}"
                ))
            }
            Self::Digest(signed) => {
                let signed = signed.as_ref()?;
                (signed != checksum)
                    .then(|| format!("it signs sha256:{}, not sha256:{want}", signed.to_hex()))
            }
            Self::Unknown => None,
        }
    }
}

/// The sha256 digests of an in-toto statement's subjects, lowercase;
/// `None` when the payload is not a statement.
fn statement_digests(payload: &[u8]) -> Option<Vec<String>> {
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
    let statement: Subjects = serde_json::from_slice(payload).ok()?;
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
        // Parsed as a bundle (`Signed::of`) and read in part
        // (`Signed::peek`), a document gives the same routing.
        for bundle in [opaque_bundle(&ours), opaque_bundle(&theirs)] {
            let text = bundle.to_string();
            let parsed = Bundle::from_json(&text).expect("a bundle");
            let peeked = Signed::peek(&text).expect("one object");
            assert_eq!(Signed::of(&parsed), peeked);
            assert_eq!(
                Signed::of(&parsed).subject_mismatch(&checksum(1)),
                peeked.subject_mismatch(&checksum(1))
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
        assert!(
            documents[0].bundle.bundle().is_err(),
            "a nested document parsed as a bundle"
        );
    }

    #[test]
    fn message_signature_digests_are_compared() {
        let bundle = serde_json::json!({"messageSignature": {"messageDigest": {
            "algorithm": "SHA2_256", "digest": checksum(2).to_base64()}}});
        let signed = Signed::peek(&bundle.to_string()).unwrap();
        assert!(signed.subject_mismatch(&checksum(1)).is_some());
        assert!(signed.subject_mismatch(&checksum(2)).is_none());
    }
}
