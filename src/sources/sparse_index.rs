//! A registry's sparse index, read as cargo reads it: `config.json` (where
//! `.crate` files are downloaded, `dl`), one file per crate at cargo's path
//! layout, revalidated with `If-None-Match` / `If-Modified-Since`.
//!
//! Each line of an index file is one published version (`vers`, `cksum`,
//! `yanked`, `pubtime`, …). The index has no rate limit, unlike the
//! registry's API; what it says of a published version (its checksum, its
//! publish time) never changes afterwards, so a version found in a cached
//! copy needs no request, and a version not found makes the copy be
//! revalidated. Cargo keeps its own copy of the crates.io index files
//! (`$CARGO_HOME/registry/index/index.crates.io-*/.cache/`); it is read
//! first, and a version found there, with the lockfile's checksum, costs
//! nothing at all.
//!
//! Everything here is input from outside: the address the index names for
//! downloads is held to the HTTP client's rules, index lines that do not
//! parse are skipped (as cargo skips them), and a version is only taken
//! when its `cksum` is the lockfile's checksum.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use miette::Diagnostic;
use reqwest::header::{
    HeaderMap, HeaderValue, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use sigstore_types::Sha256Hash;
use tokio::sync::OnceCell;

use crate::cache::{Cache, Entry, EntryKind, Identity};
use crate::crate_file::{DownloadEndpoint, DownloadTemplate};
use crate::http::{AnswerFrom, Http, HttpError};
use crate::names::is_package_name;

/// crates.io's sparse index, as cargo names it.
pub const CRATES_IO_INDEX: &str = "sparse+https://index.crates.io/";

/// The largest index file read (from the network, the cache or cargo's
/// cache): the largest crates.io index files are a few MiB.
const MAX_INDEX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How long a cached `config.json` is used before it is revalidated.
const CONFIG_FRESH_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Why the index could not say what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum IndexError {
    #[error("`{url}` is not a sparse index address: {reason}")]
    #[diagnostic(
        code("index-bad-url"),
        help("write it as cargo does: sparse+https://index.crates.io/ (with the trailing slash)")
    )]
    BadUrl { url: String, reason: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Http(#[from] HttpError),
    #[error("{url} answered {status}")]
    #[diagnostic(code("index-status"))]
    Status { url: String, status: u16 },
    #[error("{url}: not an index configuration: {reason}")]
    #[diagnostic(code("index-bad-config"))]
    BadConfig { url: String, reason: String },
    #[error("`{name}` cannot be put into an index path")]
    #[diagnostic(code("index-bad-name"))]
    BadName { name: String },
    #[error("{name} {version} is listed in the index with checksum {index}, but Cargo.lock has {lockfile}; the lockfile does not pin the published .crate file")]
    #[diagnostic(code("index-checksum-mismatch"))]
    ChecksumMismatch {
        name: String,
        version: String,
        index: String,
        lockfile: String,
    },
    #[error("{what} is not in the cache, and this run is offline")]
    #[diagnostic(code("index-not-cached"))]
    NotCached { what: String },
}

/// A sparse index's address: `sparse+https://…/`, as in cargo's
/// configuration (`http` only to a loopback address, as for every request).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexUrl {
    /// Without the `sparse+` prefix; always ends with `/`.
    base: Url,
}

impl IndexUrl {
    /// Parse `sparse+https://…/`. Checks, in order: the `sparse+` prefix, a
    /// URL, the client's scheme rules, a trailing `/` (cargo refuses an
    /// index address without one), no query or fragment.
    pub fn parse(text: &str) -> Result<Self, IndexError> {
        let bad = |reason: &str| IndexError::BadUrl {
            url: crate::http::redact_url(text),
            reason: reason.to_string(),
        };
        let Some(rest) = text.strip_prefix("sparse+") else {
            return Err(bad("it does not start with sparse+"));
        };
        let base = crate::http::parse_url(rest).map_err(|e| bad(&e.to_string()))?;
        if !rest.ends_with('/') {
            return Err(bad("it must end with a slash"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad("it must have no query or fragment"));
        }
        Ok(Self { base })
    }

    /// crates.io's index.
    pub fn crates_io() -> Self {
        Self::parse(CRATES_IO_INDEX).expect("the crates.io index address is valid")
    }

    /// Whether the address is written as this machine (`localhost`, a
    /// loopback address): only then may an answer of its be believed to
    /// have come from a loopback address.
    fn is_loopback(&self) -> bool {
        self.base
            .host()
            .is_some_and(|host| crate::http::rules::is_loopback_host(&host))
    }

    /// The index's `config.json`.
    pub fn config_url(&self) -> Url {
        self.base
            .join("config.json")
            .expect("a relative path joins")
    }

    /// The URL of a crate's index file, at cargo's path layout.
    pub fn file_url(&self, name: &str) -> Result<Url, IndexError> {
        let path = index_path(name)?;
        self.base
            .join(&path)
            .map_err(|_| IndexError::BadName { name: name.into() })
    }

    /// Whether this is crates.io's own index (cargo's copy of it is then usable).
    pub fn is_crates_io(&self) -> bool {
        *self == Self::crates_io()
    }
}

/// As it is shown and kept: without a mirror's `user:password@`.
impl std::fmt::Display for IndexUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sparse+{}", crate::http::redact_url(self.base.as_str()))
    }
}

/// Where a crate's file lies in the index, as cargo lays it out: the name
/// in lower case, under `1/`, `2/`, `3/{first letter}/`, else
/// `{first two}/{next two}/`. Only names made of crate-name characters are
/// put into a path.
pub fn index_path(name: &str) -> Result<String, IndexError> {
    // ASCII only, so every byte index below is a character boundary.
    if !is_package_name(name) {
        return Err(IndexError::BadName { name: name.into() });
    }
    let name = name.to_ascii_lowercase();
    Ok(format!("{}/{name}", dep_prefix(&name)))
}

/// cargo's `make_dep_path(name, true)`: the folders above a crate's file,
/// in the case of the name given.
fn dep_prefix(name: &str) -> String {
    match name.len() {
        1 => "1".into(),
        2 => "2".into(),
        3 => format!("3/{}", &name[..1]),
        _ => format!("{}/{}", &name[..2], &name[2..4]),
    }
}

/// An index's `config.json`: where `.crate` files are downloaded from, and
/// its API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexConfig {
    /// The download template: a base URL, or a URL with `{crate}`,
    /// `{version}`, `{prefix}`, `{lowerprefix}` and `{sha256-checksum}`.
    pub dl: String,
    /// The registry's web API, when it has one.
    #[serde(default)]
    pub api: Option<String>,
    /// Whether every request needs credentials (never sent by this tool).
    #[serde(default, rename = "auth-required")]
    pub auth_required: bool,
    /// Whether the configuration came from a loopback address (a test
    /// server, a local mirror): only then may `dl` lead to one.
    #[serde(skip)]
    pub from_loopback: bool,
}

impl IndexConfig {
    /// Read `config.json`; `url` names it in errors.
    pub fn parse(bytes: &[u8], url: &str) -> Result<Self, IndexError> {
        serde_json::from_slice(bytes).map_err(|e| IndexError::BadConfig {
            url: crate::http::redact_url(url),
            reason: e.to_string(),
        })
    }

    /// Where `.crate` files are downloaded from: `dl`, made into URLs
    /// exactly as cargo makes them ([`DownloadTemplate::url`]), each held
    /// to the rule for a server's answer: https to a public address, or,
    /// when the configuration came from a loopback address, loopback too.
    pub fn download_template(&self) -> DownloadTemplate {
        let from = if self.from_loopback {
            AnswerFrom::Loopback
        } else {
            AnswerFrom::Elsewhere
        };
        DownloadTemplate::answered(self.dl.clone(), from)
    }
}

/// What an index line says of one published version: the fields read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexVersion {
    pub vers: String,
    /// The `.crate` file's SHA-256, hex.
    pub cksum: String,
    #[serde(default)]
    pub yanked: bool,
    /// When it was published (UTC); absent from lines older than the field.
    #[serde(default)]
    pub pubtime: Option<jiff::Timestamp>,
}

/// One line as it is read: a `pubtime` that does not parse is unknown,
/// never the reason to skip the version.
#[derive(Deserialize)]
struct IndexLine {
    vers: String,
    cksum: String,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    pubtime: Option<String>,
}

/// Every version an index file lists, in its order. Lines that are not a
/// version's JSON are skipped, as cargo skips them.
pub fn parse_index_file(bytes: &[u8]) -> Vec<IndexVersion> {
    bytes
        .split(|b| *b == b'\n')
        .filter_map(parse_index_line)
        .collect()
}

fn parse_index_line(line: &[u8]) -> Option<IndexVersion> {
    let line: IndexLine = serde_json::from_slice(line.trim_ascii()).ok()?;
    Some(IndexVersion {
        vers: line.vers,
        cksum: line.cksum,
        yanked: line.yanked,
        pubtime: line.pubtime.and_then(|t| t.parse().ok()),
    })
}

/// What the index says of a locked version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Listed with the lockfile's checksum; the publish time when the line
    /// has one.
    Listed {
        published: Option<jiff::Timestamp>,
        yanked: bool,
    },
    /// The index does not list this version (or the crate).
    NotListed,
}

/// Find `version` among `versions`. Checks, in order: the version (semver
/// equality, build metadata included), then its `cksum` against the
/// lockfile's checksum: a different one is an error, never a listing.
pub fn find_version(
    name: &str,
    versions: &[IndexVersion],
    version: &semver::Version,
    checksum: &Sha256Hash,
) -> Result<Listing, IndexError> {
    let Some(line) = versions
        .iter()
        .find(|v| v.vers.parse::<semver::Version>().ok().as_ref() == Some(version))
    else {
        return Ok(Listing::NotListed);
    };
    let lockfile = checksum.to_hex();
    if !line.cksum.eq_ignore_ascii_case(&lockfile) {
        return Err(IndexError::ChecksumMismatch {
            name: name.into(),
            version: version.to_string(),
            index: line.cksum.clone(),
            lockfile,
        });
    }
    Ok(Listing::Listed {
        published: line.pubtime,
        yanked: line.yanked,
    })
}

/// `$CARGO_HOME`, else `~/.cargo`, as cargo finds it.
pub fn cargo_home() -> Option<PathBuf> {
    match std::env::var_os("CARGO_HOME").filter(|v| !v.is_empty()) {
        Some(home) => Some(PathBuf::from(home)),
        None => directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".cargo")),
    }
}

/// The versions cargo's own copy of crates.io's index file for `name`
/// lists: `registry/index/index.crates.io-*/.cache/{path}` under
/// `cargo_home`, in cargo's summaries format (cache version 3, index schema
/// 2, the file's version, then version and JSON line pairs, each ended by a
/// NUL byte). Every copy found is read (cargo versions name the folder by
/// different hashes); anything that does not read is passed over.
pub fn cargo_cached_versions(cargo_home: &Path, name: &str) -> Vec<IndexVersion> {
    let Ok(path) = index_path(name) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(cargo_home.join("registry").join("index")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with("index.crates.io-"))
        })
        .filter_map(|entry| {
            let file = entry.path().join(".cache").join(&path);
            crate::bounded_read::read_regular_at_most(&file, MAX_INDEX_FILE_BYTES)
                .ok()?
                .ok()
        })
        .flat_map(|bytes| parse_cargo_summaries(&bytes))
        .collect()
}

/// The JSON lines of one file in cargo's summaries cache format; none
/// when it is not that format.
fn parse_cargo_summaries(bytes: &[u8]) -> Vec<IndexVersion> {
    const CACHE_VERSION: u8 = 3;
    const INDEX_SCHEMA: u32 = 2;
    let Some((&CACHE_VERSION, rest)) = bytes.split_first() else {
        return Vec::new();
    };
    let Some((schema, rest)) = rest.split_first_chunk::<4>() else {
        return Vec::new();
    };
    if u32::from_le_bytes(*schema) != INDEX_SCHEMA {
        return Vec::new();
    }
    // The file's version, then (version, JSON line) pairs.
    rest.split(|b| *b == 0)
        .skip(1)
        .skip(1)
        .step_by(2)
        .filter_map(parse_index_line)
        .collect()
}

/// An index file as this tool keeps it in its cache: the versions it
/// listed and what revalidates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CachedFile {
    etag: Option<String>,
    last_modified: Option<String>,
    versions: Vec<IndexVersion>,
}

/// An index's `config.json` as kept in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CachedConfig {
    etag: Option<String>,
    config: IndexConfig,
    /// Where it came from ([`IndexConfig::from_loopback`]).
    #[serde(default)]
    from_loopback: bool,
}

impl CachedConfig {
    /// The configuration of `index`. The cache's word that it came from a
    /// loopback address is believed only of an index whose address is one:
    /// every cache file is hostile, and the flag lets `dl` lead here.
    fn config(&self, index: &IndexUrl) -> Arc<IndexConfig> {
        Arc::new(IndexConfig {
            from_loopback: self.from_loopback && index.is_loopback(),
            ..self.config.clone()
        })
    }
}

/// What a cached index file answers for: the index's address and the file
/// (a crate's name, or `config.json`), and nothing else.
fn identity(index: &IndexUrl, file: &str) -> Identity {
    // Stored in the entry: a mirror's `user:password@` is kept out, and
    // stands in it as the digest of the whole address.
    let index = crate::http::redact_url_keyed(&format!("sparse+{}", index.base));
    Identity::new(
        EntryKind::SparseIndex,
        serde_json::json!({"index": index, "file": file}),
    )
}

/// A run's reader of one sparse index, shared by its tasks: each crate's
/// file is fetched at most once per run, `config.json` at most once.
#[derive(Debug)]
pub struct SparseIndex {
    url: IndexUrl,
    /// `None` offline: only the caches answer.
    http: Option<Http>,
    cache: Option<Cache>,
    /// Read for crates.io's index only: cargo keeps no copy of another here.
    cargo_home: Option<PathBuf>,
    now: jiff::Timestamp,
    config: OnceCell<Result<Arc<IndexConfig>, IndexError>>,
    fetched: Mutex<HashMap<String, Arc<FileCell>>>,
    warnings: Mutex<Vec<String>>,
}

type FileCell = OnceCell<Result<Arc<Vec<IndexVersion>>, IndexError>>;

impl SparseIndex {
    /// A reader of the index at `url`; `cargo_home` is where cargo's own
    /// copy of crates.io's index is looked for.
    pub fn new(
        url: IndexUrl,
        http: Option<Http>,
        cache: Option<Cache>,
        cargo_home: Option<PathBuf>,
        now: jiff::Timestamp,
    ) -> Self {
        let cargo_home = cargo_home.filter(|_| url.is_crates_io());
        Self {
            url,
            http,
            cache,
            cargo_home,
            now,
            config: OnceCell::new(),
            fetched: Mutex::new(HashMap::new()),
            warnings: Mutex::new(Vec::new()),
        }
    }

    pub fn url(&self) -> &IndexUrl {
        &self.url
    }

    /// Cache entries that could not be written, to report once.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// What the index says of `name` `version`, whose `.crate` has `checksum`.
    ///
    /// Asks, in order, until one lists the version: cargo's own copy of the
    /// index file (crates.io only), this tool's cached copy, then the index
    /// itself (revalidating the cached copy; offline, nothing is asked and
    /// a version in neither copy is an error). See `find_version` for the
    /// checks on the line found.
    pub async fn listing(
        &self,
        name: &str,
        version: &semver::Version,
        checksum: &Sha256Hash,
    ) -> Result<Listing, IndexError> {
        if let Some(home) = &self.cargo_home {
            let found = find_version(name, &cargo_cached_versions(home, name), version, checksum)?;
            if found != Listing::NotListed {
                return Ok(found);
            }
        }
        let cached: Option<Entry<CachedFile>> = self
            .cache
            .as_ref()
            .and_then(|c| c.read_entry(&identity(&self.url, name)));
        if let Some(cached) = &cached {
            let found = find_version(name, &cached.value.versions, version, checksum)?;
            if found != Listing::NotListed {
                return Ok(found);
            }
        }
        let cell = {
            let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
            fetched.entry(name.to_string()).or_default().clone()
        };
        let versions = cell
            .get_or_init(|| self.fetch_file(name, cached.map(|c| c.value)))
            .await
            .clone()?;
        find_version(name, &versions, version, checksum)
    }

    /// The crate's index file from the index, revalidating `cached`; a
    /// crate the index does not have lists no version.
    async fn fetch_file(
        &self,
        name: &str,
        cached: Option<CachedFile>,
    ) -> Result<Arc<Vec<IndexVersion>>, IndexError> {
        let url = self.url.file_url(name)?;
        let Some(http) = &self.http else {
            return match cached {
                Some(cached) => Ok(Arc::new(cached.versions)),
                None => Err(IndexError::NotCached {
                    what: format!("the index file of {name}"),
                }),
            };
        };
        let mut headers = HeaderMap::new();
        if let Some(cached) = &cached {
            let (etag, modified) = (cached.etag.as_deref(), cached.last_modified.as_deref());
            revalidation_headers(&mut headers, etag, modified);
        }
        let response = http.get(&url, &headers).await?;
        let file = match response.status {
            StatusCode::NOT_MODIFIED if cached.is_some() => cached.expect("checked above"),
            StatusCode::OK => CachedFile {
                etag: header_text(&response.headers, ETAG),
                last_modified: header_text(&response.headers, LAST_MODIFIED),
                versions: parse_index_file(&response.body),
            },
            // How a sparse index says it has no such crate (cargo reads all three so).
            StatusCode::NOT_FOUND
            | StatusCode::GONE
            | StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS => return Ok(Arc::new(Vec::new())),
            status => {
                return Err(IndexError::Status {
                    url: crate::http::redact_url(url.as_str()),
                    status: status.as_u16(),
                })
            }
        };
        let versions = Arc::new(file.versions.clone());
        self.store(Entry::new(identity(&self.url, name), self.now, file));
        Ok(versions)
    }

    /// The index's `config.json`: from the cache while it is fresh (offline,
    /// however old), else from the index, revalidating the cached copy.
    pub async fn config(&self) -> Result<Arc<IndexConfig>, IndexError> {
        self.config
            .get_or_init(|| self.fetch_config())
            .await
            .clone()
    }

    async fn fetch_config(&self) -> Result<Arc<IndexConfig>, IndexError> {
        let identity = identity(&self.url, "config.json");
        let cached: Option<Entry<CachedConfig>> =
            self.cache.as_ref().and_then(|c| c.read_entry(&identity));
        let url = self.url.config_url();
        let (http, cached) = match (&self.http, cached) {
            (Some(_), Some(cached)) if cached.is_younger_than(CONFIG_FRESH_FOR, self.now) => {
                return Ok(cached.value.config(&self.url))
            }
            (None, Some(cached)) => return Ok(cached.value.config(&self.url)),
            (None, None) => {
                return Err(IndexError::NotCached {
                    what: format!("{url}"),
                })
            }
            (Some(http), cached) => (http, cached.map(|c| c.value)),
        };
        let mut headers = HeaderMap::new();
        if let Some(cached) = &cached {
            revalidation_headers(&mut headers, cached.etag.as_deref(), None);
        }
        let response = http.get(&url, &headers).await?;
        let file = match response.status {
            StatusCode::NOT_MODIFIED if cached.is_some() => cached.expect("checked above"),
            StatusCode::OK => CachedConfig {
                etag: header_text(&response.headers, ETAG),
                config: IndexConfig::parse(&response.body, url.as_str())?,
                from_loopback: response.from == AnswerFrom::Loopback,
            },
            status => {
                return Err(IndexError::Status {
                    url: crate::http::redact_url(url.as_str()),
                    status: status.as_u16(),
                })
            }
        };
        let config = file.config(&self.url);
        self.store(Entry::new(identity, self.now, file));
        Ok(config)
    }

    /// Write a cache entry; the first failure is kept as a warning.
    fn store(&self, entry: Entry<impl Serialize>) {
        let Some(cache) = &self.cache else { return };
        if let Err(error) = cache.write_entry(&entry) {
            let mut warnings = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
            if warnings.is_empty() {
                warnings.push(error.to_string());
            }
        }
    }
}

/// The index is where its registry's `.crate` files are said to be: the
/// `dl` of its `config.json`, read once per run (and cached for a day).
impl DownloadEndpoint for SparseIndex {
    fn template(
        &self,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<DownloadTemplate, String>> + Send + '_>,
    > {
        Box::pin(async move {
            match self.config().await {
                Ok(config) => Ok(config.download_template()),
                Err(error) => Err(error.to_string()),
            }
        })
    }
}

/// `If-None-Match` with the ETag an answer came with, else
/// `If-Modified-Since` with its `Last-Modified`, as cargo revalidates.
fn revalidation_headers(headers: &mut HeaderMap, etag: Option<&str>, last_modified: Option<&str>) {
    let value = |text: &str| HeaderValue::from_str(text).ok();
    if let Some(etag) = etag.and_then(value) {
        headers.insert(IF_NONE_MATCH, etag);
    } else if let Some(date) = last_modified.and_then(value) {
        headers.insert(IF_MODIFIED_SINCE, date);
    }
}

fn header_text(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 1024)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checksum(byte: u8) -> Sha256Hash {
        Sha256Hash::new([byte; 32])
    }

    #[test]
    fn index_paths_are_cargos_layout_in_lower_case() {
        for (name, path) in [
            ("a", "1/a"),
            ("ab", "2/ab"),
            ("abc", "3/a/abc"),
            ("Abc", "3/a/abc"),
            ("AbCd", "ab/cd/abcd"),
            ("serde_json", "se/rd/serde_json"),
            ("itoa", "it/oa/itoa"),
        ] {
            assert_eq!(index_path(name).unwrap(), path, "{name}");
        }
        for bad in ["", "../x", "a/b", "a.b", "é", "a b"] {
            assert!(index_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_address_is_cargos_sparse_form_with_a_trailing_slash() {
        let url = IndexUrl::parse("sparse+https://index.crates.io/").unwrap();
        assert!(url.is_crates_io());
        assert_eq!(url.to_string(), CRATES_IO_INDEX);
        assert_eq!(
            url.file_url("Serde").unwrap().as_str(),
            "https://index.crates.io/se/rd/serde"
        );
        assert_eq!(
            url.config_url().as_str(),
            "https://index.crates.io/config.json"
        );
        let mirror = IndexUrl::parse("sparse+http://127.0.0.1:8080/index/").unwrap();
        assert!(!mirror.is_crates_io());
        assert_eq!(
            mirror.file_url("ab").unwrap().as_str(),
            "http://127.0.0.1:8080/index/2/ab"
        );
        for bad in [
            "https://index.crates.io/",
            "sparse+https://index.crates.io",
            "sparse+http://index.example/",
            "sparse+https://index.example/?x=1",
            "sparse+not a url/",
        ] {
            assert!(
                matches!(IndexUrl::parse(bad), Err(IndexError::BadUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_cached_configuration_is_from_loopback_only_when_its_index_is() {
        let cached = CachedConfig {
            etag: None,
            config: IndexConfig {
                dl: "http://127.0.0.1:9/dl".into(),
                api: None,
                auth_required: false,
                from_loopback: false,
            },
            // Planted: the entry says it came from this machine.
            from_loopback: true,
        };
        let public = IndexUrl::parse("sparse+https://index.crates.io/").unwrap();
        assert!(!cached.config(&public).from_loopback);
        let local = IndexUrl::parse("sparse+http://127.0.0.1:8080/index/").unwrap();
        assert!(cached.config(&local).from_loopback);
        let honest = CachedConfig {
            from_loopback: false,
            ..cached
        };
        assert!(!honest.config(&local).from_loopback);
    }

    #[test]
    fn a_mirrors_password_is_neither_shown_nor_kept_but_tells_entries_apart() {
        let with = |password: &str| {
            IndexUrl::parse(&format!(
                "sparse+https://ci:{password}@mirror.example/index/"
            ))
            .unwrap()
        };
        let (one, other) = (with("SECRET1"), with("SECRET2"));
        assert_eq!(one.to_string(), "sparse+https://mirror.example/index/");
        let (a, b) = (
            identity(&one, "config.json"),
            identity(&other, "config.json"),
        );
        assert_ne!(a, b, "another credential, another entry");
        for kept in [&a, &b] {
            let text = serde_json::to_string(kept).unwrap();
            assert!(!text.contains("SECRET") && !text.contains("ci:"), "{text}");
        }
        let plain = IndexUrl::parse("sparse+https://mirror.example/index/").unwrap();
        assert_eq!(
            identity(&plain, "config.json"),
            identity(&plain, "config.json")
        );
        assert_ne!(identity(&plain, "config.json"), a);
    }

    #[test]
    fn download_urls_are_made_from_dl_as_cargo_makes_them() {
        let config = |dl: &str| IndexConfig {
            dl: dl.into(),
            api: None,
            auth_required: false,
            from_loopback: false,
        };
        let sum = checksum(0xab);
        let krate = |name: &str, version: &str| crate::crate_file::CrateRef {
            name: name.into(),
            version: version.parse().unwrap(),
            checksum: sum,
            source: crate::lockfile::PackageSource::CratesIo,
        };
        let url = |config: &IndexConfig, name: &str, version: &str| {
            config.download_template().url(&krate(name, version))
        };
        // crates.io's own `dl`: no marker, so the old layout.
        assert_eq!(
            url(&config("https://static.crates.io/crates"), "serde", "1.0.0")
                .unwrap()
                .as_str(),
            "https://static.crates.io/crates/serde/1.0.0/download"
        );
        let templated = config(
            "https://dl.example/{prefix}/{lowerprefix}/{crate}/{crate}-{version}.crate?sum={sha256-checksum}",
        );
        assert_eq!(
            url(&templated, "AbCd", "0.1.0+meta").unwrap().as_str(),
            format!(
                "https://dl.example/Ab/Cd/ab/cd/AbCd/AbCd-0.1.0+meta.crate?sum={}",
                sum.to_hex()
            )
        );
        assert_eq!(
            url(&templated, "abc", "1.0.0").unwrap().path(),
            "/3/a/3/a/abc/abc-1.0.0.crate"
        );
        // An index's answer leads to https on a public address only; to
        // loopback only from a loopback index.
        for refused in [
            "http://dl.example/crates",
            "https://10.0.0.1/crates",
            "http://127.0.0.1:8080/crates",
        ] {
            assert!(
                matches!(
                    url(&config(refused), "serde", "1.0.0"),
                    Err(HttpError::Refused { .. })
                ),
                "{refused}"
            );
        }
        let local = IndexConfig {
            from_loopback: true,
            ..config("http://127.0.0.1:8080/crates")
        };
        assert!(url(&local, "serde", "1.0.0").is_ok());
        assert!(matches!(
            url(&config("https://dl.example"), "../x", "1.0.0"),
            Err(HttpError::BadUrl { .. })
        ));
    }

    #[test]
    fn config_json_is_read_with_dl_api_and_auth_required() {
        let config = IndexConfig::parse(
            br#"{"dl": "https://static.crates.io/crates", "api": "https://crates.io"}"#,
            "u",
        )
        .unwrap();
        assert_eq!(config.dl, "https://static.crates.io/crates");
        assert_eq!(config.api.as_deref(), Some("https://crates.io"));
        assert!(!config.auth_required);
        let private = IndexConfig::parse(
            br#"{"dl": "https://d.example", "auth-required": true}"#,
            "u",
        )
        .unwrap();
        assert!(private.auth_required && private.api.is_none());
        for bad in [&b"{}"[..], b"[]", b"{\"dl\": 3}", b"not json"] {
            let error = IndexConfig::parse(bad, "https://i.example/config.json").unwrap_err();
            assert!(
                matches!(&error, IndexError::BadConfig { url, .. } if url == "https://i.example/config.json"),
                "{error:?}"
            );
        }
    }

    fn line(vers: &str, sum: &Sha256Hash, pubtime: Option<&str>) -> String {
        let mut value = serde_json::json!({
            "name": "x", "vers": vers, "deps": [], "cksum": sum.to_hex(),
            "features": {}, "yanked": false,
        });
        if let Some(t) = pubtime {
            value["pubtime"] = t.into();
        }
        value.to_string()
    }

    #[test]
    fn a_version_is_found_with_its_checksum_and_publish_time() {
        let text = format!(
            "{}\nnot json\n\n{}\n{}\n",
            line("1.0.0", &checksum(1), Some("2026-01-02T03:04:05Z")),
            line("1.0.1+build", &checksum(2), None),
            line("1.0.2", &checksum(3), Some("yesterday")),
        );
        let versions = parse_index_file(text.as_bytes());
        assert_eq!(versions.len(), 3);
        let find =
            |v: &str, sum: u8| find_version("x", &versions, &v.parse().unwrap(), &checksum(sum));
        assert_eq!(
            find("1.0.0", 1).unwrap(),
            Listing::Listed {
                published: Some("2026-01-02T03:04:05Z".parse().unwrap()),
                yanked: false
            }
        );
        // No time, or one that does not parse: listed, time unknown.
        for (v, sum) in [("1.0.1+build", 2), ("1.0.2", 3)] {
            assert_eq!(
                find(v, sum).unwrap(),
                Listing::Listed {
                    published: None,
                    yanked: false
                },
                "{v}"
            );
        }
        assert_eq!(find("1.0.1", 2).unwrap(), Listing::NotListed);
        assert_eq!(find("2.0.0", 1).unwrap(), Listing::NotListed);
        let error = find("1.0.0", 9).unwrap_err();
        assert!(
            matches!(&error, IndexError::ChecksumMismatch { index, .. } if *index == checksum(1).to_hex()),
            "{error:?}"
        );
    }

    fn summaries(lines: &[(&str, String)]) -> Vec<u8> {
        let mut bytes = vec![3u8];
        bytes.extend(2u32.to_le_bytes());
        bytes.extend(b"etag: W/\"abc\"\0");
        for (version, json) in lines {
            bytes.extend(version.as_bytes());
            bytes.push(0);
            bytes.extend(json.as_bytes());
            bytes.push(0);
        }
        bytes
    }

    #[test]
    fn cargos_cached_index_files_are_read_where_cargo_keeps_them() {
        let home = tempfile::tempdir().unwrap();
        let one = line("1.0.0", &checksum(1), Some("2026-01-02T03:04:05Z"));
        let two = line("1.1.0", &checksum(2), None);
        for (folder, content) in [
            // Two cargo versions, two hashes: both are read.
            (
                "index.crates.io-1949cf8c6b5b557f",
                summaries(&[("1.0.0", one)]),
            ),
            (
                "index.crates.io-6f17d22bba15001f",
                summaries(&[("1.1.0", two)]),
            ),
            // Another registry's copy is not crates.io's.
            (
                "mirror.example-0123456789abcdef",
                summaries(&[("9.9.9", line("9.9.9", &checksum(9), None))]),
            ),
        ] {
            let file = home
                .path()
                .join("registry/index")
                .join(folder)
                .join(".cache/1/x");
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, content).unwrap();
        }
        let mut versions: Vec<String> = cargo_cached_versions(home.path(), "X")
            .into_iter()
            .map(|v| v.vers)
            .collect();
        versions.sort();
        assert_eq!(versions, ["1.0.0", "1.1.0"]);
        assert!(cargo_cached_versions(home.path(), "y").is_empty());
        assert!(cargo_cached_versions(&home.path().join("none"), "x").is_empty());
    }

    #[test]
    fn cargos_summaries_format_is_read_and_other_formats_are_not() {
        let one = line("1.0.0", &checksum(1), Some("2026-01-02T03:04:05Z"));
        let two = line("1.1.0", &checksum(2), None);
        let bytes = summaries(&[("1.0.0", one), ("1.1.0", two)]);
        let versions = parse_cargo_summaries(&bytes);
        assert_eq!(
            versions.iter().map(|v| v.vers.as_str()).collect::<Vec<_>>(),
            ["1.0.0", "1.1.0"]
        );
        let mut other_cache = bytes.clone();
        other_cache[0] = 2;
        let mut other_schema = bytes.clone();
        other_schema[1] = 1;
        for bad in [&other_cache[..], &other_schema[..], &[3u8][..], &[][..]] {
            assert!(parse_cargo_summaries(bad).is_empty());
        }
    }
}
