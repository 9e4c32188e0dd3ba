//! The published `.crate` file a lockfile pins, obtained and read as
//! hostile input.
//!
//! ```text
//! Locator::obtain(&CrateRef, http) ─▶ VerifiedCrate ─▶ unpack() ─▶ Archive
//!                                                              ├─▶ vcs_info()            .cargo_vcs_info.json
//!                                                              ├─▶ manifest()            Cargo.toml (normalised)
//!                                                              └─▶ original_manifest()   Cargo.toml.orig
//! ```
//!
//! [`Locator::obtain`] takes the package from cargo's own download cache
//! (`$CARGO_HOME/registry/cache/<index>/NAME-VERSION.crate`) when a copy
//! there has the lockfile's SHA-256, else from this tool's cache folder
//! where an earlier run kept its download (`crates/AB/ABCD….crate`, named
//! by the checksum), else downloads it from the registry's download
//! endpoint (never offline) and keeps it there; the bytes are checked
//! against the checksum before anything reads them, wherever they come
//! from: a [`VerifiedCrate`] exists only for bytes whose SHA-256 is the
//! lockfile's `checksum`. [`VerifiedCrate::unpack`]
//! reads the gzip'd tar in memory ([`archive`]); [`manifest`] reads what the
//! package says about itself. [`read_package`] does all three reads at once.

pub(crate) mod archive;
mod download;
pub(crate) mod manifest;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::Diagnostic;
use sigstore_types::Sha256Hash;

pub use archive::{Archive, ArchiveError};
pub use download::{DownloadEndpoint, DownloadTemplate};
pub use manifest::{Manifest, ManifestError, ManifestPath, OriginalManifest, VcsInfo};

use crate::cache::Cache;
use crate::http::{Http, HttpError};
use crate::lockfile::PackageSource;

/// A `.crate` larger than this is not read or downloaded: crates.io
/// refuses uploads over 10 MiB unless a crate is granted more.
pub const MAX_CRATE_BYTES: usize = 16 * 1024 * 1024;

/// The package a lockfile pins: what is needed to find its `.crate` and
/// check it is the one pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateRef {
    /// A crate name as cargo allows it (checked when the lockfile is read).
    pub name: String,
    pub version: semver::Version,
    pub checksum: Sha256Hash,
    pub source: PackageSource,
}

impl CrateRef {
    /// `NAME-VERSION`: the `.crate`'s file stem and its top folder.
    pub fn stem(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }
}

/// Where a verified `.crate` came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrateOrigin {
    /// A file in cargo's download cache.
    CargoCache(PathBuf),
    /// A download an earlier run kept in this tool's cache folder.
    Kept(PathBuf),
    /// Downloaded from this URL.
    Downloaded(String),
}

impl std::fmt::Display for CrateOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::CargoCache(path) => write!(f, "cargo's cache ({})", path.display()),
            Self::Kept(path) => write!(f, "this tool's cache ({})", path.display()),
            Self::Downloaded(url) => f.write_str(url),
        }
    }
}

/// The bytes of a `.crate` whose SHA-256 is the lockfile's checksum: the
/// only way to reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCrate {
    bytes: Vec<u8>,
    origin: CrateOrigin,
    stem: String,
    /// Where a download was kept in this tool's cache, when it was.
    kept: Option<PathBuf>,
}

impl VerifiedCrate {
    /// Check `bytes` against the checksum; `None` when they differ.
    fn check(bytes: Vec<u8>, krate: &CrateRef, origin: CrateOrigin) -> Option<Self> {
        (sigstore_crypto::sha256(&bytes) == krate.checksum).then(|| Self {
            bytes,
            origin,
            stem: krate.stem(),
            kept: None,
        })
    }

    /// Where it can be read again: the file it was read from, or where its
    /// download was kept; `None` for a download that could not be kept.
    pub fn found_again_at(&self) -> Option<CrateOrigin> {
        match (&self.origin, &self.kept) {
            (CrateOrigin::Downloaded(_), Some(path)) => Some(CrateOrigin::Kept(path.clone())),
            (CrateOrigin::Downloaded(_), None) => None,
            (origin, _) => Some(origin.clone()),
        }
    }

    #[cfg(any(test, feature = "testkit"))]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    #[cfg(any(test, feature = "testkit"))]
    pub fn origin(&self) -> &CrateOrigin {
        &self.origin
    }

    /// Read the gzip'd tar in memory, every entry under `NAME-VERSION/`.
    pub fn unpack(&self) -> Result<Archive, ArchiveError> {
        archive::read(&self.bytes, &self.stem)
    }
}

/// Why a `.crate` could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum ObtainError {
    #[error(
        "neither cargo's download cache nor a download kept in this tool's cache has a copy with the lockfile's checksum, and this run is offline"
    )]
    #[diagnostic(
        code("crate-not-cached"),
        help("run `cargo fetch` (which fills cargo's cache), or run once online")
    )]
    Offline,
    #[error(
        "no download address is known for the registry {registry}, and cargo's cache has no copy with the lockfile's checksum"
    )]
    #[diagnostic(
        code("crate-no-download-url"),
        help("run `cargo fetch` so that cargo's cache holds the package")
    )]
    NoDownloadUrl { registry: String },
    #[error("the download address of the registry {registry} is not known: {reason}")]
    #[diagnostic(
        code("crate-index-config"),
        help("the registry's index says where its packages are downloaded (`dl` in its config.json); `download-url` on the crates-io source names it instead")
    )]
    UnknownEndpoint { registry: String, reason: String },
    #[error(
        "cargo's cache holds {path}, but its SHA-256 is not the lockfile's checksum, so it is not used; {then}"
    )]
    #[diagnostic(
        code("crate-cache-mismatch"),
        help("cargo's copy and the lockfile disagree: find out which is right (`cargo fetch` after removing the copy) before trusting either")
    )]
    CargoCacheMismatch {
        path: String,
        then: Box<ObtainError>,
    },
    #[error("cargo's cache holds {path}, but it cannot be read as a file ({why}), so it is not used; {then}")]
    #[diagnostic(
        code("crate-cache-unusable"),
        help("remove that file (cargo's cache may have been restored from a folder others can write) and run `cargo fetch`")
    )]
    CargoCacheUnusable {
        path: String,
        why: String,
        then: Box<ObtainError>,
    },
    #[error("download failed: {0}")]
    #[diagnostic(code("crate-download-failed"))]
    Download(#[from] HttpError),
    #[error("{url} answered {status}")]
    #[diagnostic(code("crate-download-status"))]
    Status { url: String, status: u16 },
    #[error("{url} served a file whose SHA-256 is not the lockfile's checksum")]
    #[diagnostic(
        code("crate-checksum-mismatch"),
        help("the download endpoint (or a mirror in between) served other bytes than the lockfile pins")
    )]
    ChecksumMismatch { url: String },
}

/// Where `.crate` files are looked for and downloaded from.
#[derive(Debug, Clone)]
pub struct Locator {
    /// Cargo's home (`$CARGO_HOME`, else `~/.cargo`); `None`: none known.
    pub cargo_home: Option<PathBuf>,
    /// crates.io's download endpoint (its index's `dl`, a mirror's, a
    /// test's), asked for when a package is first downloaded; `None`: none
    /// is known, and only cargo's cache is looked in.
    pub crates_io: Option<Arc<dyn DownloadEndpoint>>,
    /// This tool's cache: downloads are kept there, and looked for when
    /// cargo's cache has no copy (so a rerun, and an offline one, needs no
    /// download). `None`: nothing is kept.
    pub kept: Option<Cache>,
}

impl Default for Locator {
    fn default() -> Self {
        Self {
            cargo_home: None,
            crates_io: Some(Arc::new(DownloadTemplate::crates_io())),
            kept: None,
        }
    }
}

/// Where a download is kept in this tool's cache: named by its checksum.
fn kept_path(checksum: &Sha256Hash) -> PathBuf {
    let hex = checksum.to_hex();
    PathBuf::from("crates")
        .join(&hex[..2])
        .join(format!("{hex}.crate"))
}

impl Locator {
    /// Cargo's home from the environment (`CARGO_HOME`, else `~/.cargo`)
    /// and crates.io's endpoint.
    pub fn from_env() -> Self {
        Self {
            cargo_home: cargo_home(|name| std::env::var_os(name)),
            ..Self::default()
        }
    }

    /// The package from cargo's download cache, when a copy there (under
    /// any index's folder) has the lockfile's checksum.
    #[cfg(any(test, feature = "testkit"))]
    pub fn in_cargo_cache(&self, krate: &CrateRef) -> Option<VerifiedCrate> {
        self.cargo_cache().look(krate).ok()
    }

    /// Cargo's download cache as it is now: its index folders listed once,
    /// for looking up many packages.
    pub fn cargo_cache(&self) -> CargoCache {
        let folders = self.cargo_home.as_ref().and_then(|home| {
            let cache = home.join("registry").join("cache");
            std::fs::read_dir(cache).ok()
        });
        let mut folders: Vec<PathBuf> = folders
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        folders.sort();
        CargoCache { folders }
    }

    /// The package from cargo's cache, else (online only) downloaded from
    /// its registry and checked against the checksum. A copy in cargo's
    /// cache with other bytes, or that is no regular file, is never used,
    /// and is named when nothing else could be had.
    pub async fn obtain(
        &self,
        krate: &CrateRef,
        http: Option<&Http>,
    ) -> Result<VerifiedCrate, ObtainError> {
        let passed_over = match self.cargo_cache().look(krate) {
            Ok(found) => return Ok(found),
            Err(passed_over) => passed_over,
        };
        if let Some(found) = self.in_kept(krate) {
            return Ok(found);
        }
        self.download_instead(krate, passed_over, http).await
    }

    /// The package as an earlier run kept it in this tool's cache, when
    /// that copy is a regular file within the size limit whose SHA-256 is
    /// the lockfile's checksum (the folder is shared and may be written by
    /// others: any other copy is passed over, and a download replaces it).
    pub fn in_kept(&self, krate: &CrateRef) -> Option<VerifiedCrate> {
        let cache = self.kept.as_ref()?;
        let relative = kept_path(&krate.checksum);
        let bytes = cache.read_file(&relative, MAX_CRATE_BYTES as u64).ok()??;
        let origin = CrateOrigin::Kept(cache.root().join(&relative));
        VerifiedCrate::check(bytes, krate, origin)
    }

    /// The package read again from where it was found earlier in the run
    /// (cargo's cache or this tool's), and checked against the checksum
    /// again: it may have been replaced meanwhile. A download is not
    /// downloaded again.
    pub fn read_again(
        &self,
        krate: &CrateRef,
        origin: &CrateOrigin,
    ) -> Result<VerifiedCrate, String> {
        let changed = |why: &dyn std::fmt::Display| {
            format!("the .crate in {origin} changed during the run: {why}")
        };
        match origin {
            CrateOrigin::CargoCache(path) => read_copy(path, krate).map_err(|why| changed(&why)),
            CrateOrigin::Kept(_) => self
                .in_kept(krate)
                .ok_or_else(|| changed(&"it is gone or its bytes are no longer the lockfile's")),
            // No URL in the reason: a mirror's `download-url` may hold a
            // `user:token@`.
            CrateOrigin::Downloaded(_) => {
                Err("a download that was not kept is not downloaded twice".into())
            }
        }
    }

    /// The package downloaded from its registry (online only) and checked
    /// against the checksum, without looking in cargo's cache: what
    /// `CargoCache::look` did not find. A copy there that was passed
    /// over is named when the download fails too.
    pub async fn download_instead(
        &self,
        krate: &CrateRef,
        passed_over: Option<PassedOver>,
        http: Option<&Http>,
    ) -> Result<VerifiedCrate, ObtainError> {
        self.download(krate, http).await.map_err(|then| {
            let Some(PassedOver { path, unusable }) = passed_over else {
                return then;
            };
            let (path, then) = (path.display().to_string(), Box::new(then));
            match unusable {
                Some(why) => ObtainError::CargoCacheUnusable { path, why, then },
                None => ObtainError::CargoCacheMismatch { path, then },
            }
        })
    }

    /// Download the package from its registry (online only).
    async fn download(
        &self,
        krate: &CrateRef,
        http: Option<&Http>,
    ) -> Result<VerifiedCrate, ObtainError> {
        let endpoint = match &krate.source {
            PackageSource::CratesIo => self.crates_io.as_ref(),
            _ => None,
        };
        let Some(endpoint) = endpoint else {
            return Err(ObtainError::NoDownloadUrl {
                registry: krate.source.to_string(),
            });
        };
        let http = http.ok_or(ObtainError::Offline)?;
        let template =
            endpoint
                .template()
                .await
                .map_err(|reason| ObtainError::UnknownEndpoint {
                    registry: krate.source.to_string(),
                    reason,
                })?;
        let mut verified = download::download(http, &template, krate).await?;
        if let Some(cache) = &self.kept {
            // Kept for later runs; a cache that cannot be written only
            // means the next run downloads it again.
            let relative = kept_path(&krate.checksum);
            if cache.write_file(&relative, &verified.bytes).is_ok() {
                verified.kept = Some(cache.root().join(relative));
            }
        }
        Ok(verified)
    }
}

/// A copy in cargo's download cache that was not used.
#[derive(Debug)]
pub struct PassedOver {
    path: PathBuf,
    /// Why it could not be read as a file; `None`: it was read, and its
    /// bytes are not the lockfile's.
    unusable: Option<String>,
}

/// Cargo's download cache: the folder of each index it has packages of.
#[derive(Debug, Clone, Default)]
pub struct CargoCache {
    folders: Vec<PathBuf>,
}

impl CargoCache {
    /// `NAME-VERSION.crate` from the first index folder whose copy has the
    /// lockfile's checksum; else the first copy passed over, if any: one
    /// with other bytes, or one that cannot be read as a file (a FIFO, a
    /// device, over the size limit: cargo's cache may be restored from one
    /// shared between CI jobs, and such a file must neither block nor
    /// flood the run).
    pub fn look(&self, krate: &CrateRef) -> Result<VerifiedCrate, Option<PassedOver>> {
        let file = format!("{}.crate", krate.stem());
        let mut passed_over = None;
        for folder in &self.folders {
            let path = folder.join(&file);
            let why = match read_copy(&path, krate) {
                Ok(found) => return Ok(found),
                Err(CopyError::Absent) => continue,
                Err(CopyError::OtherBytes) => None,
                Err(CopyError::Unusable(why)) => Some(why),
            };
            passed_over.get_or_insert(PassedOver {
                path,
                unusable: why,
            });
        }
        Err(passed_over)
    }
}

/// Why a copy in cargo's download cache was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyError {
    /// There is none.
    Absent,
    /// Its bytes are not the lockfile's.
    OtherBytes,
    /// It cannot be read as a file: why.
    Unusable(String),
}

impl std::fmt::Display for CopyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Absent => f.write_str("it is gone"),
            Self::OtherBytes => f.write_str("its bytes are no longer the lockfile's"),
            Self::Unusable(why) => f.write_str(why),
        }
    }
}

/// The copy at `path` in cargo's download cache, when it is a regular
/// file within the size limit whose SHA-256 is the lockfile's checksum.
/// Also how a package found there earlier in the run is read again (it may
/// have been replaced meanwhile: it is checked again).
pub fn read_copy(path: &Path, krate: &CrateRef) -> Result<VerifiedCrate, CopyError> {
    match crate::bounded_read::read_regular_at_most(path, MAX_CRATE_BYTES as u64) {
        Ok(Ok(bytes)) => VerifiedCrate::check(bytes, krate, CrateOrigin::CargoCache(path.into()))
            .ok_or(CopyError::OtherBytes),
        Ok(Err(size)) => Err(CopyError::Unusable(format!(
            "{size} bytes, over the {MAX_CRATE_BYTES}-byte limit"
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(CopyError::Absent),
        Err(e) => Err(CopyError::Unusable(e.to_string())),
    }
}

/// `CARGO_HOME`, else `.cargo` in the home folder.
fn cargo_home(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    match var("CARGO_HOME").filter(|v| !v.is_empty()) {
        Some(home) => Some(PathBuf::from(home)),
        None => directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".cargo")),
    }
}

/// Everything a package says about itself, read from its `.crate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFacts {
    pub manifest: Manifest,
    pub original: Option<OriginalManifest>,
    pub vcs_info: Option<VcsInfo>,
}

/// Why a package's files could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum ReadError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] ManifestError),
}

/// Unpack a verified `.crate` and read its manifests and vcs info.
pub fn read_package(krate: &VerifiedCrate) -> Result<(Archive, PackageFacts), ReadError> {
    let archive = krate.unpack()?;
    let facts = PackageFacts {
        manifest: manifest::manifest(&archive)?,
        original: manifest::original_manifest(&archive)?,
        vcs_info: manifest::vcs_info(&archive)?,
    };
    Ok((archive, facts))
}

#[cfg(all(test, feature = "testkit"))]
mod tests;
