//! Trust roots refreshed through TUF, kept in the cache.
//!
//! `cargo verify-provenance trust-root update` runs the TUF client of
//! `sigstore-trust-root` (root → timestamp → snapshot → targets, every
//! signature and hash checked against the TUF root embedded in the binary)
//! for the public-good and GitHub instances, through the program's one HTTP
//! client, and keeps the verified metadata under `tuf/INSTANCE/` in the
//! cache, with the time of the refresh beside it.
//!
//! Normal runs never go to the network for roots. They load the cached copy
//! by re-running the same TUF verification from the cached files alone (the
//! cache is writable and so is never trusted as is), evaluating metadata
//! expiry at the time of the last successful refresh; a copy that does not
//! verify is reported and the embedded root is used instead. A root older
//! than the configured age is used with a warning.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sigstore_trust_root::{TrustedRoot, TufBootstrap, TufConfig};

use super::{Instance, RootOrigin, TrustRoot, TrustRootError};
use crate::cache::{write_atomic, Cache};
use crate::http::Http;

/// The instances whose roots `trust-root update` refreshes.
pub const REFRESHED_INSTANCES: [Instance; 2] = [Instance::PublicGood, Instance::GitHub];

/// How old a refreshed root may be before a warning says to refresh it
/// again (the default of the policy's `[trust] max-age`).
pub const DEFAULT_MAX_ROOT_AGE: jiff::SignedDuration = jiff::SignedDuration::from_hours(90 * 24);

/// A TUF repository and the root metadata trust in it starts from.
#[derive(Debug, Clone)]
pub struct TufRepository {
    pub url: String,
    pub bootstrap_root: Vec<u8>,
}

impl TufRepository {
    /// The instance's own repository, trusted through the TUF root embedded
    /// in `sigstore-trust-root`.
    pub fn for_instance(instance: Instance) -> Self {
        let sigstore = instance.sigstore();
        Self {
            url: sigstore.tuf_url().to_string(),
            bootstrap_root: sigstore.tuf_root().to_vec(),
        }
    }

    fn config(&self, cache_dir: PathBuf) -> TufConfig {
        TufConfig::custom(
            self.url.clone(),
            TufBootstrap::trusted(&self.bootstrap_root),
        )
        .with_cache_dir(cache_dir)
    }
}

/// When a cached copy was last refreshed (application state beside the TUF files).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshRecord {
    instance: String,
    url: String,
    refreshed: jiff::Timestamp,
}

fn record_path(cache: &Cache, instance: Instance) -> PathBuf {
    cache
        .root()
        .join("tuf")
        .join(format!("{}.refreshed.json", instance.name()))
}

fn tuf_error(instance: Instance, error: impl std::fmt::Display) -> TrustRootError {
    TrustRootError::Tuf {
        instance: instance.name().to_string(),
        reason: error.to_string(),
    }
}

/// Refresh one instance's root through TUF into the cache.
///
/// Checks, in order:
/// 1. the TUF metadata chain verifies from the bootstrap root (signatures,
///    thresholds, versions, expiry at `now`), by `sigstore-trust-root`;
/// 2. the `trusted_root.json` target matches the length and hashes the
///    verified metadata pin;
/// 3. the root is valid as a whole ([`TrustRoot::from_json`]).
///
/// Only then is the refresh time recorded, so a failed refresh leaves the
/// previous copy in use.
pub async fn refresh(
    http: &Http,
    cache: &Cache,
    instance: Instance,
    repository: &TufRepository,
    now: jiff::Timestamp,
) -> Result<TrustRoot, TrustRootError> {
    let dir = cache.tuf_dir(instance.name());
    let config = repository
        .config(dir.clone())
        .with_http_client(http.client().clone());
    let root = TrustedRoot::from_tuf_at(config, now)
        .await
        .map_err(|e| tuf_error(instance, e))?;
    let loaded = to_trust_root(instance, &root, dir, now)?;
    let record = RefreshRecord {
        instance: instance.name().to_string(),
        url: repository.url.clone(),
        refreshed: now,
    };
    let bytes = serde_json::to_vec_pretty(&record).map_err(|e| tuf_error(instance, e))?;
    write_atomic(&record_path(cache, instance), &bytes).map_err(|e| tuf_error(instance, e))?;
    Ok(loaded)
}

/// The cached copy of an instance's root, re-verified from the cached TUF
/// files with no network access; `Ok(None)` when it was never refreshed.
pub async fn load_cached(
    cache: &Cache,
    instance: Instance,
    repository: &TufRepository,
) -> Result<Option<TrustRoot>, TrustRootError> {
    let path = record_path(cache, instance);
    let record: RefreshRecord = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| tuf_error(instance, format!("{}: {e}", path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(tuf_error(instance, format!("{}: {e}", path.display()))),
    };
    if record.url != repository.url {
        return Ok(None);
    }
    let dir = cache.tuf_dir(instance.name());
    let config = repository.config(dir.clone()).offline();
    let root = TrustedRoot::from_tuf_at(config, record.refreshed)
        .await
        .map_err(|e| tuf_error(instance, e))?;
    to_trust_root(instance, &root, dir, record.refreshed).map(Some)
}

fn to_trust_root(
    instance: Instance,
    root: &TrustedRoot,
    path: PathBuf,
    fetched: jiff::Timestamp,
) -> Result<TrustRoot, TrustRootError> {
    let json = serde_json::to_string(root).map_err(|e| tuf_error(instance, e))?;
    TrustRoot::from_json(
        instance.name().to_string(),
        RootOrigin::Tuf {
            instance,
            path,
            fetched: fetched.as_second(),
        },
        &json,
    )
}

/// The roots a verification run uses, and what it should be warned about.
#[derive(Debug)]
pub struct RootsInUse {
    pub roots: Vec<TrustRoot>,
    pub warnings: Vec<String>,
}

/// The public-good and GitHub roots for a verification run: the cached
/// TUF-verified copy of each when there is one that verifies, else the
/// embedded one. Never uses the network.
pub fn roots_for_run(
    cache: Option<&Cache>,
    now: jiff::Timestamp,
    max_age: jiff::SignedDuration,
) -> Result<RootsInUse, TrustRootError> {
    roots_for_run_from(cache, now, max_age, &TufRepository::for_instance)
}

/// [`roots_for_run`] with the TUF repository of each instance given (a
/// mirror, or a test repository).
pub fn roots_for_run_from(
    cache: Option<&Cache>,
    now: jiff::Timestamp,
    max_age: jiff::SignedDuration,
    repository: &dyn Fn(Instance) -> TufRepository,
) -> Result<RootsInUse, TrustRootError> {
    let mut roots = Vec::new();
    let mut warnings = Vec::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| tuf_error(Instance::PublicGood, e))?;
    for instance in REFRESHED_INSTANCES {
        let cached = match cache {
            Some(cache) => runtime.block_on(load_cached(cache, instance, &repository(instance))),
            None => Ok(None),
        };
        match cached {
            Ok(Some(root)) => {
                if let RootOrigin::Tuf { fetched, .. } = &root.origin {
                    let age = jiff::Timestamp::from_second(*fetched)
                        .map(|t| now.duration_since(t))
                        .unwrap_or(jiff::SignedDuration::MAX);
                    if age > max_age {
                        warnings.push(format!(
                            "the {} trust root was refreshed {} days ago; run `cargo verify-provenance trust-root update`",
                            instance.name(),
                            age.as_hours() / 24
                        ));
                    }
                }
                roots.push(root);
            }
            Ok(None) => roots.push(TrustRoot::embedded(instance)?),
            Err(error) => {
                warnings.push(format!(
                    "the cached {} trust root cannot be used ({error}); using the embedded one; run `cargo verify-provenance trust-root update`",
                    instance.name()
                ));
                roots.push(TrustRoot::embedded(instance)?);
            }
        }
    }
    Ok(RootsInUse { roots, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_cached_copy_the_embedded_roots_are_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let now = jiff::Timestamp::now();
        let in_use = roots_for_run(Some(&cache), now, DEFAULT_MAX_ROOT_AGE).unwrap();
        assert_eq!(in_use.roots.len(), 2);
        assert!(in_use.warnings.is_empty(), "{:?}", in_use.warnings);
        assert!(in_use
            .roots
            .iter()
            .all(|r| matches!(r.origin, RootOrigin::Embedded { .. })));
    }

    #[test]
    fn a_tampered_cached_copy_is_refused_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        // A refresh record and a bare target with no signed metadata.
        let record = RefreshRecord {
            instance: "public-good".into(),
            url: TufRepository::for_instance(Instance::PublicGood).url,
            refreshed: jiff::Timestamp::now(),
        };
        write_atomic(
            &record_path(&cache, Instance::PublicGood),
            &serde_json::to_vec(&record).unwrap(),
        )
        .unwrap();
        let target = cache
            .tuf_dir("public-good")
            .join("targets/trusted_root.json");
        write_atomic(&target, Instance::PublicGood.embedded_json().as_bytes()).unwrap();
        let in_use =
            roots_for_run(Some(&cache), jiff::Timestamp::now(), DEFAULT_MAX_ROOT_AGE).unwrap();
        assert!(matches!(
            in_use.roots[0].origin,
            RootOrigin::Embedded { .. }
        ));
        assert!(
            in_use.warnings[0].contains("cannot be used"),
            "{:?}",
            in_use.warnings
        );
    }

    /// Where `b` differs from `a` (JSON pointers, with both values).
    fn differ(at: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value;
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                    match (a.get(key), b.get(key)) {
                        (Some(x), Some(y)) => differ(&format!("{at}/{key}"), x, y, out),
                        // An absent list is an empty one (the proto3 default).
                        (None, Some(Value::Array(y))) if y.is_empty() => {}
                        (x, y) => out.push(format!("{at}/{key}: {x:?} → {y:?}")),
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    differ(&format!("{at}/{i}"), x, y, out);
                }
            }
            _ if a == b => {}
            _ => out.push(format!("{at}: {a} → {b}")),
        }
    }

    /// The cached copy is kept as the parsed root and serialized again when
    /// loaded: nothing of the published file may be lost on the way (keys,
    /// certificate chains, log IDs, validity windows, URLs).
    #[test]
    fn a_parsed_root_serializes_back_to_a_valid_root() {
        for instance in [Instance::PublicGood, Instance::GitHub] {
            let published: serde_json::Value =
                serde_json::from_str(instance.embedded_json()).unwrap();
            let root = TrustedRoot::from_json(instance.embedded_json()).unwrap();
            let now = jiff::Timestamp::now();
            let loaded = to_trust_root(instance, &root, PathBuf::from("x"), now).unwrap();
            let again = serde_json::to_value(loaded.trusted_root()).unwrap();
            let mut differences = Vec::new();
            differ("", &published, &again, &mut differences);
            assert!(differences.is_empty(), "{instance:?}: {differences:#?}");
            assert_eq!(
                loaded.requirements,
                TrustRoot::embedded(instance).unwrap().requirements,
                "{instance:?}"
            );
        }
    }
}
