//! What the cache stores: entries, each bound to the full identity of the
//! question it answers, and the answers sources give.
//!
//! An [`Identity`] is an entry's kind and every input that can change its
//! answer, as JSON. Its canonical form (object keys sorted at every level,
//! no whitespace) is hashed into the entry's file name, stored in the entry
//! and compared on read, so that an entry is only ever read by a
//! configuration that would have asked the same question of the same
//! service: two configurations that differ in anything (an API URL, an
//! organization, a predicate type, a URL template) never share an entry.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;

use super::bundle::ReadBundle;
use crate::origin::{BundleOrigin, RegistryAssertion, RegistryRecord};

/// The kinds of entry, each in its own folder with its own format version:
/// raising one kind's version leaves the other kinds' entries in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// What one source answered about one artifact ([`Answer`]).
    SourceAnswer,
    /// One file of a sparse index (a crate's versions, or `config.json`),
    /// with what revalidates it ([`crate::sources::sparse_index`]).
    SparseIndex,
}

impl EntryKind {
    /// Every kind, for the cleaning of leftovers.
    pub const ALL: [EntryKind; 2] = [EntryKind::SourceAnswer, EntryKind::SparseIndex];

    /// The format of this kind's entries; raised when it changes, so that
    /// entries of an older format are simply absent.
    pub const fn format(self) -> u32 {
        match self {
            // 1: keyed by the source's label only; 2: each bundle's JSON
            // as a string inside the entry's JSON.
            Self::SourceAnswer => 3,
            Self::SparseIndex => 1,
        }
    }

    /// The folder of this kind's entries, below the cache root.
    pub fn folder(self) -> PathBuf {
        let name = match self {
            Self::SourceAnswer => "attestations",
            Self::SparseIndex => "index",
        };
        PathBuf::from(name).join(format!("v{}", self.format()))
    }
}

/// What an entry answers for: its kind, and every input that can change
/// the answer. Built from JSON whose objects are put in canonical order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub kind: EntryKind,
    /// Canonical JSON: every object's keys sorted.
    of: serde_json::Value,
}

impl Identity {
    /// The identity of an entry of `kind` answering for `of` (any JSON:
    /// its objects are put in canonical order here).
    pub fn new(kind: EntryKind, of: serde_json::Value) -> Self {
        Self {
            kind,
            of: canonical(of),
        }
    }

    /// The identity of a source's answer about the artifact `digest`: the
    /// source's own identity ([`SourceKey::identity`]) and the digest.
    pub fn source_answer(source: &serde_json::Value, digest: &Sha256Hash) -> Self {
        Self::new(
            EntryKind::SourceAnswer,
            serde_json::json!({
                "source": source,
                "digest": format!("sha256:{}", digest.to_hex()),
            }),
        )
    }

    /// The canonical text: what is hashed into the key.
    pub fn canonical_text(&self) -> String {
        // A `Value` prints its objects in their own order, made canonical
        // in `new`; nothing else in it has more than one spelling.
        serde_json::json!({"kind": self.kind, "of": self.of}).to_string()
    }

    /// The SHA-256 of the canonical text, in hex.
    pub fn key(&self) -> String {
        sigstore_crypto::sha256(self.canonical_text().as_bytes()).to_hex()
    }

    /// The entry's file below the cache root: its kind's folder, a 256-way
    /// fan-out and the key. Nothing from a lockfile, a server or a
    /// configuration becomes a path component, only hex.
    pub fn relative_path(&self) -> PathBuf {
        let key = self.key();
        self.kind
            .folder()
            .join(&key[..2])
            .join(format!("{key}.json"))
    }
}

/// `value` with the keys of every object in sorted order, whatever order
/// serde_json keeps them in (insertion order with `preserve_order`).
fn canonical(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut pairs: Vec<(String, Value)> = map.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().map(|(k, v)| (k, canonical(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// One stored answer with the identity it answers for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry<T> {
    /// The format of the entry's kind when it was written.
    pub format: u32,
    pub identity: Identity,
    pub fetched: jiff::Timestamp,
    pub value: T,
}

impl<T> Entry<T> {
    pub fn new(identity: Identity, fetched: jiff::Timestamp, value: T) -> Self {
        Self {
            format: identity.kind.format(),
            identity,
            fetched,
            value,
        }
    }

    /// Whether `fetched` is at most `ttl` before `now` (and not after it:
    /// an entry dated in the future, from a clock set back or a machine
    /// whose clock is ahead, would otherwise stay young as long as that).
    pub fn is_younger_than(&self, ttl: jiff::SignedDuration, now: jiff::Timestamp) -> bool {
        self.fetched <= now && now.duration_since(self.fetched) <= ttl
    }
}

/// Who answered, as the cache tells sources apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceKey {
    /// The label the source is shown by (`github`, `url:…`): set as the
    /// origin of every bundle read from its entries.
    pub label: String,
    /// Everything that defines the source (kind, every URL, organization,
    /// predicate type): part of the identity of each of its answers.
    pub identity: serde_json::Value,
    /// The source is an official service at its default address
    /// (api.github.com, crates.io), whose positive answers are kept for
    /// good; every other source's answers expire.
    pub official: bool,
}

impl SourceKey {
    /// The identity of this source's answer about `digest`.
    pub fn answer_identity(&self, digest: &Sha256Hash) -> Identity {
        Identity::source_answer(&self.identity, digest)
    }
}

/// A cached answer of a source about one artifact.
pub type CacheEntry = Entry<Answer>;

impl CacheEntry {
    /// `source`'s answer about `digest`, fetched at `fetched` (the fetch
    /// builds its entries from what it asked, `Entry::new`; this is for
    /// entries written by hand).
    #[cfg(any(test, feature = "testkit"))]
    pub fn answer(
        digest: &Sha256Hash,
        source: &SourceKey,
        fetched: jiff::Timestamp,
        answer: Answer,
    ) -> Self {
        Self::new(source.answer_identity(digest), fetched, answer)
    }

    /// Whether the entry may be used. Checks, in order:
    /// 1. an answer from a source that is not official, or a negative one
    ///    ("nothing here", which may change), is used only within `ttl`
    ///    after it was fetched, online;
    /// 2. offline, an official source's answer is used however old (nothing
    ///    else can be asked), another source's only within `ttl`;
    /// 3. an official source's positive answer is used for good.
    pub fn is_usable(
        &self,
        official: bool,
        offline: bool,
        now: jiff::Timestamp,
        ttl: jiff::SignedDuration,
    ) -> bool {
        let young = self.is_younger_than(ttl, now);
        if !official {
            return young;
        }
        offline || !self.value.is_negative() || young
    }
}

/// One bundle document as a source returned it, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleDocument {
    pub origin: BundleOrigin,
    /// The bundle (one per document), read once where it was first read;
    /// stored in an entry as the JSON it is, not as a string holding it:
    /// its bytes once, with nothing escaped.
    #[serde(rename = "json")]
    pub bundle: ReadBundle,
}

/// A bundle a source returned that is not for this artifact, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredBundle {
    pub origin: BundleOrigin,
    pub reason: String,
}

/// What a source answered about one artifact. Stored externally tagged
/// (`{"bundles": {…}}`), so that each bundle's JSON is read straight from
/// the entry's text (an internally tagged enum is buffered first, which
/// no raw JSON survives).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// Bundle documents for this artifact, and any returned for others.
    Bundles {
        documents: Vec<BundleDocument>,
        ignored: Vec<IgnoredBundle>,
    },
    /// The source has nothing for this artifact.
    NoAttestation,
    /// What the registry records about the version (`None`: nothing).
    Registry {
        /// The SHA-256 (hex) of the `.crate` file the registry's record
        /// describes; `None` only when it has no record of the version.
        /// A record is evidence for that file only.
        checksum: Option<String>,
        /// The publisher, when the registry records one.
        assertion: Option<RegistryAssertion>,
        /// The registry's record of the version; `None` when it has none
        /// (yet), the only registry answer that expires.
        record: Option<RegistryRecord>,
    },
}

impl Answer {
    /// Whether the answer is "nothing here", which may change later and so
    /// is cached only for a limited time.
    pub fn is_negative(&self) -> bool {
        match self {
            Self::Bundles { documents, .. } => documents.is_empty(),
            Self::NoAttestation => true,
            // A published version's record never changes, with a
            // publisher or without.
            Self::Registry {
                assertion, record, ..
            } => assertion.is_none() && record.is_none(),
        }
    }

    /// Whether a registry answer describes the `.crate` file `checksum`:
    /// it names that checksum, or it records nothing at all. Any other
    /// answer is about the artifact it was asked for.
    pub fn describes(&self, checksum: &Sha256Hash) -> bool {
        match self {
            Self::Registry {
                checksum: recorded,
                assertion,
                record,
            } => match recorded {
                Some(recorded) => recorded.eq_ignore_ascii_case(&checksum.to_hex()),
                None => assertion.is_none() && record.is_none(),
            },
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(byte: u8) -> Sha256Hash {
        Sha256Hash::new([byte; 32])
    }

    fn source(api_url: &str) -> serde_json::Value {
        serde_json::json!({"kind": "github", "api_url": api_url, "org": null})
    }

    /// The key is the same for the same question whatever the order of
    /// its fields, and differs when any one value differs.
    #[test]
    fn an_identity_is_canonical_and_tells_every_input_apart() {
        let a = Identity::source_answer(&source("https://api.github.com"), &digest(1));
        let reordered = Identity::source_answer(
            &serde_json::json!({"org": null, "api_url": "https://api.github.com", "kind": "github"}),
            &digest(1),
        );
        assert_eq!(a.key(), reordered.key());
        assert_eq!(a, reordered);
        for other in [
            Identity::source_answer(&source("http://127.0.0.1:1"), &digest(1)),
            Identity::source_answer(&source("https://api.github.com"), &digest(2)),
            Identity::source_answer(
                &serde_json::json!({"kind": "github", "api_url": "https://api.github.com", "org": "acme"}),
                &digest(1),
            ),
        ] {
            assert_ne!(a.key(), other.key(), "{}", other.canonical_text());
            assert_ne!(a, other);
        }
        let path = a.relative_path();
        assert!(path.starts_with("attestations/v3"), "{}", path.display());
        assert!(path.ends_with(format!("{}/{}.json", &a.key()[..2], a.key())));
    }

    #[test]
    fn canonical_text_sorts_keys_at_every_level() {
        let identity = Identity::new(
            EntryKind::SourceAnswer,
            serde_json::json!({"b": {"z": 1, "a": [{"y": 2, "x": 3}]}, "a": null}),
        );
        assert_eq!(
            identity.canonical_text(),
            r#"{"kind":"source-answer","of":{"a":null,"b":{"a":[{"x":3,"y":2}],"z":1}}}"#
        );
    }

    /// A registry answer is negative (it expires) only with neither a
    /// publisher nor a record of the version.
    #[test]
    fn a_registry_answer_with_a_record_or_a_publisher_is_not_negative() {
        let assertion = || {
            Some(RegistryAssertion {
                registry: "crates.io".into(),
                provider: "github".into(),
                repository: "https://github.com/org/a".into(),
                sha: None,
                run_id: None,
                trustpub_only: None,
            })
        };
        let record = || {
            Some(RegistryRecord {
                repository: None,
                trustpub_only: Some(true),
                published: None,
            })
        };
        let answer = |assertion, record| Answer::Registry {
            checksum: Some(digest(1).to_hex()),
            assertion,
            record,
        };
        assert!(answer(None, None).is_negative());
        assert!(!answer(assertion(), None).is_negative());
        assert!(!answer(None, record()).is_negative());
        assert!(!answer(assertion(), record()).is_negative());
    }

    /// A record describes the file whose checksum it names, and no other;
    /// a record naming none describes no file.
    #[test]
    fn a_registry_record_describes_only_the_checksum_it_names() {
        let record = |checksum: Option<String>| Answer::Registry {
            checksum,
            assertion: None,
            record: Some(RegistryRecord {
                repository: None,
                trustpub_only: Some(true),
                published: None,
            }),
        };
        assert!(record(Some(digest(1).to_hex())).describes(&digest(1)));
        assert!(record(Some(digest(1).to_hex().to_uppercase())).describes(&digest(1)));
        assert!(!record(Some(digest(2).to_hex())).describes(&digest(1)));
        assert!(!record(None).describes(&digest(1)));
        let nothing = Answer::Registry {
            checksum: None,
            assertion: None,
            record: None,
        };
        assert!(nothing.describes(&digest(1)));
        assert!(Answer::NoAttestation.describes(&digest(1)));
    }

    fn entry(fetched: jiff::Timestamp, answer: Answer) -> CacheEntry {
        let key = SourceKey {
            label: "github".into(),
            identity: source("https://api.github.com"),
            official: true,
        };
        CacheEntry::answer(&digest(1), &key, fetched, answer)
    }

    fn positive() -> Answer {
        Answer::Bundles {
            documents: vec![BundleDocument {
                origin: BundleOrigin {
                    source: "github".into(),
                    location: "x".into(),
                },
                bundle: ReadBundle::read("{}"),
            }],
            ignored: vec![],
        }
    }

    /// Every combination of source, answer, network and age.
    #[test]
    fn which_entries_are_usable() {
        let fetched: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let ttl = jiff::SignedDuration::from_hours(24);
        let young = fetched + jiff::SignedDuration::from_hours(1);
        let old = fetched + jiff::SignedDuration::from_hours(25);
        // (official, negative, offline, now) → usable
        let cases = [
            (true, false, false, old, true),
            (true, false, true, old, true),
            (true, true, false, young, true),
            (true, true, false, old, false),
            (true, true, true, old, true),
            (false, false, false, young, true),
            (false, false, false, old, false),
            (false, false, true, old, false),
            (false, true, false, old, false),
            (false, true, true, young, true),
        ];
        for (official, negative, offline, now, usable) in cases {
            let answer = if negative {
                Answer::NoAttestation
            } else {
                positive()
            };
            assert_eq!(
                entry(fetched, answer).is_usable(official, offline, now, ttl),
                usable,
                "official {official}, negative {negative}, offline {offline}, {now}"
            );
        }
    }

    /// An entry dated after now (a clock set back, or a cache shared with
    /// a machine whose clock is ahead) would otherwise stay fresh for as
    /// long as it is in the future, on top of its time to live.
    #[test]
    fn an_answer_dated_in_the_future_is_not_young() {
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let ttl = jiff::SignedDuration::from_hours(24);
        for ahead in [1, 3600, 48 * 3600] {
            let fetched = now + jiff::SignedDuration::from_secs(ahead);
            let entry = entry(fetched, Answer::NoAttestation);
            assert!(!entry.is_younger_than(ttl, now), "fetched {ahead} s ahead");
            assert!(!entry.is_usable(true, false, now, ttl));
        }
        let exactly = entry(now - ttl, Answer::NoAttestation);
        assert!(exactly.is_younger_than(ttl, now), "the limit is inclusive");
    }
}
