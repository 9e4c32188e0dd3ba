//! One bundle as a source sent it, read once: the text it was sent as
//! (stored in a cache entry as the JSON it is, its bytes once), its
//! SHA-256, and the typed bundle it parsed into, which is what
//! verification reads. A bundle is parsed where it is first read (the
//! source's answer, or the cache entry holding it) and carried typed from
//! there; nothing parses it again.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use sigstore_types::{Bundle, Sha256Hash};

use crate::bounded_read::{self, BundleError};
use crate::limits::MAX_BUNDLE_BYTES;

/// One bundle's JSON and what it was read into.
#[derive(Debug, Clone)]
pub struct ReadBundle {
    json: Box<str>,
    digest: Sha256Hash,
    bundle: Result<Bundle, BundleError>,
}

impl ReadBundle {
    /// Read `json` (`bounded_read::bundle`, within the limit of one
    /// bundle). Text that is not a bundle is
    /// kept with the reason, so that verification reports it in its place.
    pub fn read(json: impl Into<Box<str>>) -> Self {
        let json = json.into();
        Self {
            digest: sigstore_crypto::sha256(json.as_bytes()),
            bundle: bounded_read::bundle(&json, MAX_BUNDLE_BYTES),
            json,
        }
    }

    /// The text it was sent as.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The SHA-256 of that text: which document this is, in reports.
    pub fn digest(&self) -> &Sha256Hash {
        &self.digest
    }

    /// The bundle, or why the text is not one.
    pub fn bundle(&self) -> Result<&Bundle, &BundleError> {
        self.bundle.as_ref()
    }
}

/// Two reads of the same text are the same.
impl PartialEq for ReadBundle {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}

impl Eq for ReadBundle {}

/// Written into the enclosing JSON as the JSON it is, nothing escaped.
/// Text that is not JSON cannot be written so, and fails the write.
impl Serialize for ReadBundle {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.json).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Read back from an entry: the member's text, kept as it is, then parsed
/// once into a bundle (a member that is not one is kept with the reason,
/// and verification rejects it like any other).
impl<'de> Deserialize<'de> for ReadBundle {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(|raw| Self::read(Box::<str>::from(raw)))
    }
}
