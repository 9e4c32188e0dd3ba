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
//!
//! The TUF client never works in the cache folder itself, which may be
//! shared and hold planted links: it refreshes into a private temporary
//! folder whose files are then written into the cache through
//! [`Cache::write_file`], and it re-verifies a copy read out of the cache
//! through [`Cache::files`] (no link followed, only regular files). The
//! refresh record is not signed, so it may only make a copy look older:
//! one dated after the signed timestamp metadata expired, or in the
//! future, is refused.
//!
//! A copy is never older than what this binary already knows: TUF metadata
//! signed long ago still verifies at the (unsigned) time the record names,
//! so a cached root older than the one built into the binary, or older than
//! the newest this cache has installed, is refused ([`check_not_older`]);
//! and a refresh starts from the cached metadata, so that TUF's own version
//! floors refuse a repository (or mirror) serving older metadata.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sigstore_trust_root::{TrustedRoot, TufBootstrap, TufConfig};

use super::{Instance, RootOrigin, TrustRoot, TrustRootError};
use crate::cache::{Cache, Confined};
use crate::http::Http;

/// The instances whose roots `trust-root update` refreshes.
pub const REFRESHED_INSTANCES: [Instance; 2] = [Instance::PublicGood, Instance::GitHub];

/// How old a refreshed root may be before a warning says to refresh it
/// again (the default of the policy's `[trust] max-age`).
#[cfg(test)]
pub const DEFAULT_MAX_ROOT_AGE: jiff::SignedDuration = jiff::SignedDuration::from_hours(90 * 24);

/// A TUF repository and the root metadata trust in it starts from.
#[derive(Debug, Clone)]
pub struct TufRepository {
    pub url: String,
    pub bootstrap_root: Vec<u8>,
    /// The `trusted_root.json` a copy from this repository must not be
    /// older than: for the instances, the one built into the binary.
    pub floor: Option<String>,
}

impl TufRepository {
    /// The instance's own repository, trusted through the TUF root embedded
    /// in `sigstore-trust-root`.
    pub fn for_instance(instance: Instance) -> Self {
        #[cfg(feature = "testkit")]
        if let Some(repository) = Self::testkit_override(instance) {
            return repository;
        }
        let sigstore = instance.sigstore();
        Self {
            url: sigstore.tuf_url().to_string(),
            bootstrap_root: sigstore.tuf_root().to_vec(),
            floor: Some(instance.embedded_json().to_string()),
        }
    }

    /// In builds with the test instance only: one repository for every
    /// instance, given by `CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_URL`, the
    /// file of its bootstrap root by `…_TUF_ROOT` and, optionally, the file
    /// of the root a copy must not be older than by `…_TUF_FLOOR`, so that
    /// tests can drive `trust-root update` and cached roots through the
    /// binary against a repository they serve.
    #[cfg(feature = "testkit")]
    fn testkit_override(_: Instance) -> Option<Self> {
        let url = std::env::var("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_URL").ok()?;
        let root = std::env::var_os("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_ROOT")?;
        let floor = match std::env::var_os("CARGO_VERIFY_PROVENANCE_TESTKIT_TUF_FLOOR") {
            Some(file) => Some(std::fs::read_to_string(file).ok()?),
            None => None,
        };
        Some(Self {
            url,
            bootstrap_root: std::fs::read(root).ok()?,
            floor,
        })
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
    /// The newest date the root installed then mentions ([`newest_date`]):
    /// a copy found later must not be older. It can only make a copy look
    /// older, never younger.
    #[serde(default)]
    newest: Option<jiff::Timestamp>,
}

/// The refresh record of an instance, below the cache root.
fn record_relative(instance: Instance) -> PathBuf {
    Path::new("tuf").join(format!("{}.refreshed.json", instance.name()))
}

/// Refresh records are a few hundred bytes.
const MAX_RECORD_BYTES: u64 = 64 * 1024;
/// Bounds on a cached TUF copy: real ones hold a dozen files of metadata
/// and one `trusted_root.json`, well under 1 MiB.
const MAX_TUF_FILES: usize = 256;
const MAX_TUF_BYTES: u64 = 32 * 1024 * 1024;
/// How far ahead of this machine's clock a refresh record may be dated (a
/// cache shared with a machine whose clock is a little ahead).
const CLOCK_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

fn tuf_error(instance: Instance, error: impl std::fmt::Display) -> TrustRootError {
    TrustRootError::Tuf {
        instance: instance.name().to_string(),
        reason: error.to_string(),
    }
}

/// A private folder for the TUF client (mode 0700, removed when dropped).
fn private_folder(instance: Instance) -> Result<tempfile::TempDir, TrustRootError> {
    tempfile::Builder::new()
        .prefix("cargo-verify-provenance-tuf-")
        .tempdir()
        .map_err(|e| tuf_error(instance, format!("cannot create a private folder: {e}")))
}

/// Refresh one instance's root through TUF into the cache.
///
/// Checks, in order:
/// 1. the TUF metadata chain verifies from the bootstrap root (signatures,
///    thresholds, versions, expiry at `now`), by `sigstore-trust-root`,
///    working in a private folder that starts with the cached copy's
///    metadata when that copy verifies: TUF's version floors then refuse
///    metadata older than it (a repository or mirror rolled back);
/// 2. the `trusted_root.json` target matches the length and hashes the
///    verified metadata pin;
/// 3. the root is valid as a whole ([`TrustRoot::from_json`]);
/// 4. it is not older than the root built into the binary, nor than the
///    cached copy it replaces (`check_not_older`).
///
/// Only then are the verified files written into the cache (never through
/// a link) and the refresh time recorded, so a failed refresh leaves the
/// previous copy in use.
pub async fn refresh(
    http: &Http,
    cache: &Cache,
    instance: Instance,
    repository: &TufRepository,
    now: jiff::Timestamp,
) -> Result<TrustRoot, TrustRootError> {
    let private = private_folder(instance)?;
    let home = url::Url::parse(&repository.url).map_err(|e| tuf_error(instance, e))?;
    let client = http.client_for(&home).map_err(|e| tuf_error(instance, e))?;
    let previous = previous_copy(cache, instance, repository, now).await;
    if let Some((files, _)) = &previous {
        copy_into(private.path(), files, instance)?;
    }
    let config = repository
        .config(private.path().to_path_buf())
        .with_http_client(client);
    let root = TrustedRoot::from_tuf_at(config, now)
        .await
        .map_err(|e| tuf_error(instance, e))?;
    let loaded = to_trust_root(instance, &root, cache.tuf_dir(instance.name()), now)?;
    let seen = previous.and_then(|(_, newest)| newest);
    let newest = check_not_older(instance, &loaded, repository, seen)?;
    let files = Confined::open(private.path())
        .and_then(|dir| dir.files(Path::new(""), 1, MAX_TUF_FILES, MAX_TUF_BYTES))
        .map_err(|e| tuf_error(instance, e))?;
    let folder = Cache::tuf_relative(instance.name());
    for (path, bytes) in files {
        cache
            .write_file(&folder.join(path), &bytes)
            .map_err(|e| tuf_error(instance, e))?;
    }
    let record = RefreshRecord {
        instance: instance.name().to_string(),
        url: repository.url.clone(),
        refreshed: now,
        newest,
    };
    let bytes = serde_json::to_vec_pretty(&record).map_err(|e| tuf_error(instance, e))?;
    cache
        .write_file(&record_relative(instance), &bytes)
        .map_err(|e| tuf_error(instance, e))?;
    Ok(loaded)
}

/// The cached copy a refresh replaces, when it verifies: its files (to
/// start the TUF client from) and the newest date its root mentions. A
/// copy that does not verify is no floor, and is replaced.
async fn previous_copy(
    cache: &Cache,
    instance: Instance,
    repository: &TufRepository,
    now: jiff::Timestamp,
) -> Option<(Vec<(PathBuf, Vec<u8>)>, Option<jiff::Timestamp>)> {
    let copy = read_copy(cache, instance, repository, now).ok()??;
    let root = verify_copy(cache, &copy, instance, repository).await.ok()?;
    Some((copy.files, newest_date_of(&root)))
}

/// The newest date a trust root mentions: the start or end of any validity
/// window of its authorities, logs and timestamp authorities. A later root
/// adds keys and ends old ones, so it mentions a later date; a copy whose
/// newest date is earlier than another's is older than it.
pub fn newest_date(root: &serde_json::Value) -> Option<jiff::Timestamp> {
    use serde_json::Value;
    match root {
        Value::Object(map) => {
            let own = map.get("validFor").into_iter().flat_map(|window| {
                ["start", "end"]
                    .into_iter()
                    .filter_map(|edge| window.get(edge)?.as_str()?.parse().ok())
            });
            own.chain(map.values().filter_map(newest_date)).max()
        }
        Value::Array(items) => items.iter().filter_map(newest_date).max(),
        _ => None,
    }
}

fn newest_date_of(root: &TrustRoot) -> Option<jiff::Timestamp> {
    serde_json::to_value(root.trusted_root())
        .ok()
        .as_ref()
        .and_then(newest_date)
}

/// `root` (from the repository's TUF metadata) is not older than the
/// repository's floor (the root built into the binary) nor than `seen` (the
/// newest this cache installed). Returns the newest date it mentions.
///
/// Signed metadata stays valid at the time it was signed: without this, a
/// validly signed old copy, with a record dated when it was current, would
/// stand in for the newer root.
fn check_not_older(
    instance: Instance,
    root: &TrustRoot,
    repository: &TufRepository,
    seen: Option<jiff::Timestamp>,
) -> Result<Option<jiff::Timestamp>, TrustRootError> {
    let newest = newest_date_of(root);
    let floor = repository
        .floor
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
        .as_ref()
        .and_then(newest_date);
    for (limit, what) in [
        (floor, "the root built into this binary"),
        (seen, "the newest copy this cache has installed"),
    ] {
        if let Some(limit) = limit.filter(|limit| newest.is_none_or(|n| n < *limit)) {
            return Err(tuf_error(
                instance,
                format!(
                    "the TUF copy's trusted root (newest date {}) is older than {what} (newest date {limit}); refusing a rollback",
                    newest.map_or_else(|| "none".to_string(), |n| n.to_string())
                ),
            ));
        }
    }
    Ok(newest)
}

/// When the signed timestamp metadata among `files` expires (read before
/// it is verified: it is used only to refuse a record, never to accept).
fn timestamp_expiry(files: &[(PathBuf, Vec<u8>)]) -> Option<jiff::Timestamp> {
    #[derive(Deserialize)]
    struct Metadata {
        signed: Signed,
    }
    #[derive(Deserialize)]
    struct Signed {
        expires: jiff::Timestamp,
    }
    let (_, bytes) = files
        .iter()
        .find(|(path, _)| path == Path::new("timestamp.json"))?;
    serde_json::from_slice::<Metadata>(bytes)
        .ok()
        .map(|m| m.signed.expires)
}

/// A cached copy as read from the cache, before its metadata is verified.
struct CachedCopy {
    record: RefreshRecord,
    files: Vec<(PathBuf, Vec<u8>)>,
}

/// The cached copy of an instance's root, re-verified from the cached TUF
/// files with no network access; `Ok(None)` when it was never refreshed.
///
/// Checks, in order:
/// 1. the refresh record is a regular file (no link) that parses, for this
///    repository (another repository's copy is not this one: `Ok(None)`);
/// 2. the record is not dated after `now` (beyond a little clock skew);
/// 3. the cached TUF files are regular files (no link anywhere), within
///    bounds, copied into a private folder;
/// 4. the record is not dated after the expiry of the timestamp metadata
///    (a refresh verifies that metadata unexpired at its own time, so a
///    later record was not written by one);
/// 5. the TUF metadata chain verifies from the bootstrap root at the
///    record's time, and the `trusted_root.json` target matches it;
/// 6. the root is valid as a whole;
/// 7. it is not older than the root built into the binary, nor than the
///    newest the record says was installed (`check_not_older`).
pub async fn load_cached(
    cache: &Cache,
    instance: Instance,
    repository: &TufRepository,
    now: jiff::Timestamp,
) -> Result<Option<TrustRoot>, TrustRootError> {
    let Some(copy) = read_copy(cache, instance, repository, now)? else {
        return Ok(None);
    };
    let root = verify_copy(cache, &copy, instance, repository).await?;
    check_not_older(instance, &root, repository, copy.record.newest)?;
    Ok(Some(root))
}

/// Steps 1 to 4 of [`load_cached`].
fn read_copy(
    cache: &Cache,
    instance: Instance,
    repository: &TufRepository,
    now: jiff::Timestamp,
) -> Result<Option<CachedCopy>, TrustRootError> {
    let relative = record_relative(instance);
    let path = cache.root().join(&relative);
    let Some(bytes) = cache
        .read_file(&relative, MAX_RECORD_BYTES)
        .map_err(|e| tuf_error(instance, e))?
    else {
        return Ok(None);
    };
    let record: RefreshRecord = serde_json::from_slice(&bytes)
        .map_err(|e| tuf_error(instance, format!("{}: {e}", path.display())))?;
    if record.url != repository.url {
        return Ok(None);
    }
    if record.refreshed > now + CLOCK_SKEW {
        return Err(tuf_error(
            instance,
            format!(
                "{} says the copy was refreshed at {}, after now ({now}); it was not written by a refresh",
                path.display(),
                record.refreshed
            ),
        ));
    }
    let folder = Cache::tuf_relative(instance.name());
    let files = cache
        .files(&folder, 1, MAX_TUF_FILES, MAX_TUF_BYTES)
        .map_err(|e| tuf_error(instance, e))?;
    match timestamp_expiry(&files) {
        Some(expires) if record.refreshed > expires => Err(tuf_error(
            instance,
            format!(
                "{} says the copy was refreshed at {}, after its signed timestamp metadata expired ({expires}); the record does not belong to this metadata",
                path.display(),
                record.refreshed
            ),
        )),
        Some(_) => Ok(Some(CachedCopy { record, files })),
        None => Err(tuf_error(
            instance,
            format!(
                "{}: no readable timestamp metadata",
                cache.tuf_dir(instance.name()).display()
            ),
        )),
    }
}

/// Steps 5 and 6 of [`load_cached`], in a private folder.
async fn verify_copy(
    cache: &Cache,
    copy: &CachedCopy,
    instance: Instance,
    repository: &TufRepository,
) -> Result<TrustRoot, TrustRootError> {
    let private = private_folder(instance)?;
    copy_into(private.path(), &copy.files, instance)?;
    let config = repository.config(private.path().to_path_buf()).offline();
    let root = TrustedRoot::from_tuf_at(config, copy.record.refreshed)
        .await
        .map_err(|e| tuf_error(instance, e))?;
    to_trust_root(
        instance,
        &root,
        cache.tuf_dir(instance.name()),
        copy.record.refreshed,
    )
}

/// Write `files` (relative paths) into the private folder `dir`.
fn copy_into(
    dir: &Path,
    files: &[(PathBuf, Vec<u8>)],
    instance: Instance,
) -> Result<(), TrustRootError> {
    for (path, bytes) in files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| tuf_error(instance, e))?;
        }
        std::fs::write(&target, bytes).map_err(|e| tuf_error(instance, e))?;
    }
    Ok(())
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

/// `roots_for_run` with the TUF repository of each instance given (a
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
            Some(cache) => {
                runtime.block_on(load_cached(cache, instance, &repository(instance), now))
            }
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
            newest: None,
        };
        cache
            .write_file(
                &record_relative(Instance::PublicGood),
                &serde_json::to_vec(&record).unwrap(),
            )
            .unwrap();
        let target = Cache::tuf_relative("public-good").join("targets/trusted_root.json");
        cache
            .write_file(&target, Instance::PublicGood.embedded_json().as_bytes())
            .unwrap();
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

    /// The newest start or end of any validity window, at any depth; the
    /// built-in roots' are their newest keys' (or planned ends').
    #[test]
    fn the_newest_date_is_the_latest_edge_of_any_validity_window() {
        let root = serde_json::json!({
            "tlogs": [{"publicKey": {"validFor": {"start": "2024-01-01T00:00:00Z"}}}],
            "certificateAuthorities": [
                {"validFor": {"start": "2023-01-01T00:00:00Z", "end": "2025-02-01T00:00:00Z"}},
                {"validFor": {"start": "not a time", "end": 5}},
            ],
            "other": {"start": "2030-01-01T00:00:00Z"},
        });
        assert_eq!(
            newest_date(&root),
            Some("2025-02-01T00:00:00Z".parse().unwrap())
        );
        assert_eq!(newest_date(&serde_json::json!({"tlogs": []})), None);
        let embedded = |instance: Instance| {
            newest_date(&serde_json::from_str(instance.embedded_json()).unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(embedded(Instance::PublicGood), "2025-09-23T00:00:00Z");
        assert_eq!(embedded(Instance::GitHub), "2026-07-13T00:00:00Z");
    }

    /// A root is refused only when strictly older than the floor or the
    /// newest installed; the same date is not older. The built-in
    /// public-good root's newest date is 2025-09-23.
    #[test]
    fn only_a_root_strictly_older_than_the_floor_or_the_newest_seen_is_refused() {
        let root = TrustRoot::embedded(Instance::PublicGood).unwrap();
        let newest: jiff::Timestamp = "2025-09-23T00:00:00Z".parse().unwrap();
        let at = |date: &str| -> jiff::Timestamp { date.parse().unwrap() };
        let repository = |floor: Option<&str>| TufRepository {
            url: "https://tuf.example".into(),
            bootstrap_root: Vec::new(),
            floor: floor.map(|date| {
                serde_json::json!({"tlogs": [{"publicKey": {"validFor": {"start": date}}}]})
                    .to_string()
            }),
        };
        let check = |floor: Option<&str>, seen: Option<&str>| {
            check_not_older(
                Instance::PublicGood,
                &root,
                &repository(floor),
                seen.map(at),
            )
            .map_err(|e| e.to_string())
        };
        for (floor, seen) in [
            (None, None),
            (Some("2025-09-23T00:00:00Z"), None),
            (Some("2024-01-01T00:00:00Z"), Some("2025-09-23T00:00:00Z")),
            (None, Some("2025-09-22T23:59:59Z")),
        ] {
            assert_eq!(check(floor, seen), Ok(Some(newest)), "{floor:?} {seen:?}");
        }
        let error = check(Some("2025-09-23T00:00:01Z"), None).unwrap_err();
        assert!(error.contains("older than the root built into"), "{error}");
        assert!(
            error.contains("newest date 2025-09-23T00:00:00Z"),
            "{error}"
        );
        let error = check(None, Some("2025-09-24T00:00:00Z")).unwrap_err();
        assert!(error.contains("older than the newest copy"), "{error}");
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
