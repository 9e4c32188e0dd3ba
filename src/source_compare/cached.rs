//! Source comparisons kept for good, with their proof: a package's
//! published bytes (its checksum) fix its commit, a commit never changes,
//! and an entry holds the git objects the comparison read
//! ([`super::proof`]), so a later run computes the result again from them
//! and the package's `.crate` instead of believing what the cache folder
//! (shared, and writable by others) says. An entry that does not prove its
//! result is absent, with a warning naming its file.
//!
//! Each entry records where git fetched from (after the user's `insteadOf`
//! rules); a run whose rules send the repository elsewhere (no mirror,
//! another mirror) treats the entry as absent.
//!
//! Layout: `source-match/v2/AB/ABCD….json`, named by the checksum's hex.

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;

use super::proof::{self, Proof};
use crate::cache::{Cache, CacheError};
use crate::compare::{CompareError, Comparison, Package};
use crate::http::redact_url_keyed;

/// Bumped when the entry format changes; old entries are then absent.
const FORMAT: u32 = 2;
/// An entry larger than this is neither read nor written.
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    format: u32,
    /// The package's SHA-256, hex.
    checksum: String,
    /// The repository the package's manifest names (in normal form where
    /// it has one): for a hint of where to look for the package's
    /// attestations only, never evidence (no proof covers it).
    repository: Option<String>,
    /// `None` when no comparison was made (the package names no commit,
    /// or no repository git could fetch): only the hint is kept.
    proof: Option<StoredProof>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredProof {
    /// Where git fetched the repository from, as a key stores a URL (a
    /// mirror's `user:token@` never written).
    fetched_from: String,
    /// The objects, each in base64.
    commit: String,
    trees: Vec<String>,
    blobs: Vec<String>,
}

fn relative(checksum: &Sha256Hash) -> PathBuf {
    let hex = checksum.to_hex();
    PathBuf::from("source-match")
        .join(format!("v{FORMAT}"))
        .join(&hex[..2])
        .join(format!("{hex}.json"))
}

/// An entry's proof, read and decoded, not yet checked.
#[derive(Debug)]
pub struct Stored {
    proof: Proof,
    file: PathBuf,
}

/// What the cache holds for a package, before anything is checked.
#[derive(Debug)]
pub enum Lookup {
    /// Nothing, or an entry for another configuration.
    Absent,
    Found(Stored),
    /// An entry that proves nothing: this warning says which and why.
    Refused(String),
}

fn refusal(file: &std::path::Path, why: &str) -> String {
    format!(
        "the cached source comparison {} is ignored: {why}",
        file.display()
    )
}

/// The entry for the package with `checksum` made with git fetching from
/// `fetch_url`, read and decoded: looked up before the package's files are
/// hashed, which only an entry needs at this point.
pub fn lookup(cache: &Cache, checksum: &Sha256Hash, fetch_url: &str) -> Lookup {
    let file = cache.root().join(relative(checksum));
    let stored = match entry(cache, checksum) {
        None => return Lookup::Absent,
        Some(Err(why)) => return Lookup::Refused(refusal(&file, &why)),
        Some(Ok(Entry { proof: None, .. })) => return Lookup::Absent,
        Some(Ok(Entry {
            proof: Some(stored),
            ..
        })) => stored,
    };
    if stored.fetched_from != redact_url_keyed(fetch_url) {
        return Lookup::Absent;
    }
    let decode = |text: &String| BASE64.decode(text);
    let proof = decode(&stored.commit).and_then(|commit| {
        Ok(Proof {
            commit,
            trees: stored.trees.iter().map(decode).collect::<Result<_, _>>()?,
            blobs: stored.blobs.iter().map(decode).collect::<Result<_, _>>()?,
        })
    });
    match proof {
        Ok(proof) => Lookup::Found(Stored { proof, file }),
        Err(_) => Lookup::Refused(refusal(&file, "an object in it is not base64")),
    }
}

impl Stored {
    /// The comparison of `package` computed from this proof (see
    /// [`proof::recompute`] for the checks); `Err`: the warning that says
    /// the entry proves nothing.
    pub fn prove(
        &self,
        package: &Package<'_>,
        max_entries: usize,
    ) -> Result<Result<Comparison, CompareError>, String> {
        proof::recompute(&self.proof, package, max_entries).map_err(|why| {
            refusal(
                &self.file,
                &format!("it does not prove a comparison: {why}"),
            )
        })
    }
}

/// The repository a cached entry says the package's manifest names: a
/// hint of where to look, never what passes. `None` when nothing is
/// cached; `Some(None)` when the manifest names none.
pub fn repository_hint(cache: &Cache, checksum: &Sha256Hash) -> Option<Option<String>> {
    entry(cache, checksum)?.ok().map(|entry| entry.repository)
}

/// The entry for this checksum: `None` when there is none, `Err` when the
/// file is not one.
fn entry(cache: &Cache, checksum: &Sha256Hash) -> Option<Result<Entry, String>> {
    let bytes = match cache.read_file(&relative(checksum), MAX_ENTRY_BYTES) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(error) => return Some(Err(error.to_string())),
    };
    let entry: Entry = match serde_json::from_slice(&bytes) {
        Ok(entry) => entry,
        Err(error) => return Some(Err(format!("not an entry: {error}"))),
    };
    if entry.format != FORMAT || entry.checksum != checksum.to_hex() {
        return Some(Err("an entry for another package or format".into()));
    }
    Some(Ok(entry))
}

/// Keep `proof` of the comparison of the package with `checksum`, made
/// with git fetching from `fetched_from`; or, without a proof, only the
/// repository its manifest names (a package that cannot be compared). An
/// entry over what a read accepts is not written.
pub fn write(
    cache: &Cache,
    checksum: &Sha256Hash,
    repository: Option<&str>,
    proof: Option<(&str, &Proof)>,
) -> Result<(), CacheError> {
    let encode = |bytes: &Vec<u8>| BASE64.encode(bytes);
    let entry = Entry {
        format: FORMAT,
        checksum: checksum.to_hex(),
        repository: repository.map(str::to_string),
        proof: proof.map(|(fetched_from, proof)| StoredProof {
            fetched_from: redact_url_keyed(fetched_from),
            commit: encode(&proof.commit),
            trees: proof.trees.iter().map(encode).collect(),
            blobs: proof.blobs.iter().map(encode).collect(),
        }),
    };
    let bytes = serde_json::to_vec(&entry).expect("an entry serializes");
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return Ok(());
    }
    cache.write_file(&relative(checksum), &bytes)
}
