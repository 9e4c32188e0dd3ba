//! The first pass: per package, the cached result, else what the package
//! says of itself (its commit and repository) and its files, read again
//! when its repository has been fetched from where they were found
//! (cargo's cache, or this tool's where downloads are kept), or held when
//! a download could not be kept.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::cached::{self, Lookup};
use super::route::{route, Route, RouteError};
use super::CompareOptions;
use crate::cache::Cache;
use crate::compare::{normalize_repository, Package, PackageListing};
use crate::crate_file::{
    read_package, Archive, CrateOrigin, CrateRef, Locator, Manifest, OriginalManifest,
    PackageFacts, PassedOver, VcsInfo, VerifiedCrate,
};
use crate::git::{is_local, ObjectFormat, Rewrites};
use crate::http::Http;
use crate::source_match::SourceMatch;

/// What every package's preparation shares.
pub(super) struct Shared<'a> {
    pub cache: Option<&'a Cache>,
    pub rewrites: &'a Rewrites,
    pub http: Option<&'a Http>,
    pub options: &'a CompareOptions,
    /// Where `.crate` files are found.
    pub locator: &'a Locator,
    pub warnings: &'a Mutex<Vec<String>>,
    /// Each fetch URL's route, settled once per run.
    pub routes: &'a Mutex<HashMap<String, Result<Route, RouteError>>>,
}

/// A package ready to be compared once its repository is fetched.
#[derive(Debug)]
pub(super) struct Pending {
    /// Its position among the packages asked about.
    pub index: usize,
    pub krate: CrateRef,
    /// The manifest's repository, in normal form.
    pub repository: String,
    /// Where git fetches it from (after `insteadOf`): what its result is
    /// cached as fetched from.
    pub fetch_url: String,
    /// Where git connects for it (after redirects), and to which addresses:
    /// where git fetches it from until that is settled.
    pub route: Route,
    pub vcs: VcsInfo,
    pub files: Files,
}

/// A waiting package's files, or where to read them again.
#[derive(Debug)]
pub(super) enum Files {
    /// Held: a package downloaded in this run that could not be kept
    /// (never downloaded twice).
    Held(Box<PackageRead>),
    /// Found in cargo's download cache or this tool's (or kept there when
    /// downloaded): read again (and
    /// checked against the checksum again) when its repository has been
    /// fetched, so that a package waiting for its fetch holds none of its
    /// files and memory is bounded by the fetches in flight, not by the
    /// lockfile.
    ReadAgain(CrateOrigin),
}

/// What the comparison needs of a package's `.crate`.
#[derive(Debug, Clone)]
pub(super) struct PackageRead {
    pub listing: PackageListing,
    pub manifest: Manifest,
    pub original: Option<OriginalManifest>,
}

impl PackageRead {
    /// Every file listed with its IDs in the repository's hash (`format`).
    fn of(archive: &Archive, facts: PackageFacts, format: ObjectFormat) -> Self {
        Self {
            listing: PackageListing::of(archive, format),
            manifest: facts.manifest,
            original: facts.original,
        }
    }

    pub fn package<'a>(&'a self, vcs: &'a VcsInfo) -> Package<'a> {
        Package {
            listing: &self.listing,
            manifest: &self.manifest,
            original: self.original.as_ref(),
            vcs,
        }
    }
}

impl Pending {
    /// Not checked, with what the package says of itself.
    pub fn not_checked(&self, reason: String) -> SourceMatch {
        with_facts(
            SourceMatch::not_checked(reason),
            &self.vcs,
            Some(&self.repository),
        )
    }

    /// Its files: those held, or its `.crate` read again from where it
    /// was found (through `locator`); `Err` says why they cannot be had.
    pub fn files(&self, locator: &Locator) -> Result<Cow<'_, PackageRead>, String> {
        let origin = match &self.files {
            Files::Held(read) => return Ok(Cow::Borrowed(read)),
            Files::ReadAgain(origin) => origin,
        };
        let verified = locator.read_again(&self.krate, origin)?;
        let (archive, facts) =
            read_package(&verified).map_err(|error| format!("the .crate: {error}"))?;
        let format = ObjectFormat::of_hex(&self.vcs.commit).unwrap_or(ObjectFormat::Sha1);
        Ok(Cow::Owned(PackageRead::of(&archive, facts, format)))
    }
}

pub(super) enum Prepared {
    Done(SourceMatch),
    /// The `.crate` could not be had: not checked, with the repository a
    /// cached entry says its manifest names (a hint of where to look only).
    Unread(SourceMatch, Option<String>),
    Pending(Box<Pending>),
}

impl Shared<'_> {
    /// The route to `fetch_url` when it needs no network: one the user's
    /// configuration chose, one already settled this run, or none (no
    /// client to check the host with). `None`: the host must be asked.
    fn known_route(&self, repository: &str, fetch_url: &str) -> Option<Result<Route, RouteError>> {
        if let Some(known) = self.routes.lock().expect("not poisoned").get(fetch_url) {
            return Some(known.clone());
        }
        match self.http {
            _ if fetch_url != repository || is_local(fetch_url) => Some(Ok(Route {
                url: fetch_url.to_string(),
                pin: None,
            })),
            Some(_) => None,
            None => Some(Err(RouteError::NoClient)),
        }
    }

    /// The route to `fetch_url` (see [`super::route`]), asked once per
    /// run; not cached, as addresses change.
    fn route(
        &self,
        repository: &str,
        fetch_url: &str,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<Route, RouteError> {
        if let Some(known) = self.known_route(repository, fetch_url) {
            return known;
        }
        let routed = match self.http {
            Some(http) => runtime.block_on(route(http, repository, fetch_url)),
            None => Err(RouteError::NoClient),
        };
        self.routes
            .lock()
            .expect("not poisoned")
            .insert(fetch_url.to_string(), routed.clone());
        routed
    }
}

/// The result's facts from the package, for a result without a comparison.
fn with_facts(mut result: SourceMatch, vcs: &VcsInfo, repository: Option<&str>) -> SourceMatch {
    result.commit = Some(vcs.commit.clone());
    result.path_in_vcs = vcs.path_in_vcs.clone();
    result.dirty = Some(vcs.dirty);
    result.repository = repository.map(str::to_string);
    result
}

/// Where a package stands after what needs no network.
enum Stage {
    Prepared(Prepared),
    /// Its `.crate` is not in cargo's cache (a copy there that was passed
    /// over is named).
    Unobtained(Option<PassedOver>),
    /// Ready but for its route, which the host must be asked for.
    Unrouted(Box<Pending>),
}

/// Prepare every package, in two steps: first, on rayon's pool (one
/// thread per core), every package whose `.crate` is in cargo's cache, as
/// far as it goes without the network (on a rerun, all the way: its cached
/// comparison computed again); then, `options.jobs` at a time on a runtime
/// of their own, the downloads and the routes that ask a host. A run that
/// needs neither starts no runtime and no thread of its own.
pub(super) fn prepare_all(crates: &[CrateRef], shared: &Shared<'_>) -> Vec<Prepared> {
    use rayon::prelude::*;
    let cargo_cache = shared.locator.cargo_cache();
    let staged: Vec<Stage> = crates
        .par_iter()
        .enumerate()
        .map(|(index, krate)| {
            let found = cargo_cache
                .look(krate)
                .or_else(|passed_over| shared.locator.in_kept(krate).ok_or(passed_over));
            match found {
                Ok(verified) => examine(index, krate, &verified, shared),
                Err(passed_over) => Stage::Unobtained(passed_over),
            }
        })
        .collect();
    let waiting: Vec<usize> = (0..staged.len())
        .filter(|&index| !matches!(staged[index], Stage::Prepared(_)))
        .collect();
    let mut staged: Vec<Mutex<Option<Stage>>> =
        staged.into_iter().map(|s| Mutex::new(Some(s))).collect();
    if !waiting.is_empty() {
        finish_waiting(crates, &waiting, &staged, shared);
    }
    staged
        .iter_mut()
        .map(|slot| match slot.get_mut().ok().and_then(Option::take) {
            Some(Stage::Prepared(prepared)) => prepared,
            _ => Prepared::Done(SourceMatch::not_checked("not prepared")),
        })
        .collect()
}

/// The second step of [`prepare_all`] for the packages at `waiting`:
/// each stage in `staged` replaced by its preparation.
fn finish_waiting(
    crates: &[CrateRef],
    waiting: &[usize],
    staged: &[Mutex<Option<Stage>>],
    shared: &Shared<'_>,
) {
    // Offline, nothing is downloaded or asked: no thread is needed.
    let runtime = match shared.http {
        Some(_) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_current_thread().build(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            let reason = format!("no runtime to download with: {error}");
            for &index in waiting {
                let done = Prepared::Done(SourceMatch::not_checked(reason.clone()));
                *staged[index].lock().expect("not poisoned") = Some(Stage::Prepared(done));
            }
            return;
        }
    };
    let next = AtomicUsize::new(0);
    let workers = match shared.http {
        Some(_) => shared.options.jobs.clamp(1, waiting.len()),
        None => 1,
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let Some(&index) = waiting.get(next.fetch_add(1, Ordering::SeqCst)) else {
                    return;
                };
                let mut slot = staged[index].lock().expect("not poisoned");
                let stage = slot.take();
                let prepared = match stage {
                    Some(Stage::Unrouted(pending)) => routed(*pending, shared, &runtime),
                    Some(Stage::Unobtained(passed_over)) => {
                        obtained(index, &crates[index], passed_over, shared, &runtime)
                    }
                    Some(Stage::Prepared(prepared)) => prepared,
                    None => Prepared::Done(SourceMatch::not_checked("not prepared")),
                };
                *slot = Some(Stage::Prepared(prepared));
            });
        }
    });
}

/// A package whose `.crate` is not in cargo's cache: downloaded (online),
/// then examined and routed.
fn obtained(
    index: usize,
    krate: &CrateRef,
    passed_over: Option<PassedOver>,
    shared: &Shared<'_>,
    runtime: &tokio::runtime::Runtime,
) -> Prepared {
    let locator = shared.locator;
    let download = locator.download_instead(krate, passed_over, shared.http);
    let verified = match runtime.block_on(download) {
        Ok(verified) => verified,
        Err(error) => {
            let hint = shared
                .cache
                .and_then(|cache| cached::repository_hint(cache, &krate.checksum))
                .flatten();
            let result = SourceMatch::not_checked(format!("the .crate: {error}"));
            return Prepared::Unread(result, hint);
        }
    };
    match examine(index, krate, &verified, shared) {
        Stage::Prepared(prepared) => prepared,
        Stage::Unrouted(pending) => routed(*pending, shared, runtime),
        Stage::Unobtained(_) => Prepared::Done(SourceMatch::not_checked("not prepared")),
    }
}

/// A package with its route settled: ready to fetch, or not checked.
fn routed(
    mut pending: Pending,
    shared: &Shared<'_>,
    runtime: &tokio::runtime::Runtime,
) -> Prepared {
    match shared.route(&pending.repository, &pending.fetch_url, runtime) {
        Ok(route) => {
            pending.route = route;
            Prepared::Pending(Box::new(pending))
        }
        Err(reason) => {
            let reason = format!("fetching {}: {reason}", pending.repository);
            Prepared::Done(pending.not_checked(reason))
        }
    }
}

/// The commit a package names and the repository to fetch it from, in
/// normal form; else the result that says why there is none.
fn commit_and_repository(
    vcs_info: Option<VcsInfo>,
    manifest: &Manifest,
) -> Result<(VcsInfo, String), Box<SourceMatch>> {
    let written = manifest.repository.clone();
    let normal = written.as_deref().map(normalize_repository);
    let Some(vcs) = vcs_info else {
        let shown = normal.and_then(Result::ok).or(written);
        return Err(Box::new(SourceMatch::no_vcs_info(shown)));
    };
    let reason = match normal {
        Some(Ok(repository)) => return Ok((vcs, repository)),
        Some(Err(reason)) => format!(
            "the manifest's repository `{}` cannot be fetched: {reason}",
            written.unwrap_or_default()
        ),
        None => "the manifest names no repository".to_string(),
    };
    Err(Box::new(with_facts(
        SourceMatch::not_checked(reason),
        &vcs,
        None,
    )))
}

/// The cached comparison of a package, computed again from its proof and
/// its files; `None` when there is no entry (an entry that proves nothing
/// is set aside with a warning). Its files are hashed only when there is
/// an entry, and in other line endings only when a file differs (they
/// change only which list a differing file is in).
fn cached_result(
    shared: &Shared<'_>,
    krate: &CrateRef,
    fetch_url: &str,
    (archive, facts): (&Archive, &PackageFacts),
    (vcs, repository): (&VcsInfo, &str),
) -> Option<SourceMatch> {
    let stored = match cached::lookup(shared.cache?, &krate.checksum, fetch_url) {
        Lookup::Absent => return None,
        Lookup::Found(stored) => stored,
        Lookup::Refused(warning) => {
            shared.warnings.lock().expect("not poisoned").push(warning);
            return None;
        }
    };
    let format = ObjectFormat::of_hex(&vcs.commit).unwrap_or(ObjectFormat::Sha1);
    let max_entries = shared.options.git.max_tree_entries;
    let prove = |listing: &PackageListing| {
        let package = Package {
            listing,
            manifest: &facts.manifest,
            original: facts.original.as_ref(),
            vcs,
        };
        stored.prove(&package, max_entries)
    };
    let quick = PackageListing::without_line_endings(archive, format);
    let proven = match prove(&quick) {
        Ok(Ok(comparison)) if !comparison.differ.is_empty() => {
            prove(&quick.with_line_endings(archive, format))
        }
        other => other,
    };
    match proven {
        Ok(Ok(comparison)) => Some(comparison.into_source_match(vcs, repository)),
        Ok(Err(error)) => {
            let result = SourceMatch::not_checked(error.to_string());
            Some(with_facts(result, vcs, Some(repository)))
        }
        Err(warning) => {
            shared.warnings.lock().expect("not poisoned").push(warning);
            None
        }
    }
}

/// One package whose `.crate` is at hand: read, then compared from its
/// cached proof when there is one, else made ready to fetch (its route
/// settled when that needs no network).
///
/// Steps: what it says of itself (a package that cannot be read, names no
/// commit or no repository that can be fetched is not checked); the cached
/// comparison under the run's `insteadOf` rules, computed again from its
/// proof and the package's files (an entry that proves nothing is ignored,
/// with a warning); offline, a repository git would fetch over the network
/// is not checked; else its files are kept for the comparison (or, from
/// cargo's cache, read again then).
fn examine(index: usize, krate: &CrateRef, verified: &VerifiedCrate, shared: &Shared<'_>) -> Stage {
    // Not compared, from the package alone: only its repository is kept
    // (a hint for later runs that read no `.crate`).
    let kept = |result: SourceMatch| {
        shared.keep(&krate.checksum, result.repository.as_deref(), None);
        Stage::Prepared(Prepared::Done(result))
    };
    let (archive, mut facts) = match read_package(verified) {
        Ok(read) => read,
        Err(error) => return kept(SourceMatch::not_checked(format!("the .crate: {error}"))),
    };
    let (vcs, repository) = match commit_and_repository(facts.vcs_info.take(), &facts.manifest) {
        Ok(found) => found,
        Err(result) => return kept(*result),
    };
    let fetch_url = shared.rewrites.apply(&repository);
    let package = (&archive, &facts);
    if let Some(result) = cached_result(shared, krate, &fetch_url, package, (&vcs, &repository)) {
        return Stage::Prepared(Prepared::Done(result));
    }
    let done = |reason: String| {
        let result = with_facts(SourceMatch::not_checked(reason), &vcs, Some(&repository));
        Stage::Prepared(Prepared::Done(result))
    };
    if shared.options.offline && !is_local(&fetch_url) {
        return done("no cached comparison, and this run is offline; run once online (or `cargo verify-provenance fetch`)".into());
    }
    let known = shared.known_route(&repository, &fetch_url);
    if let Some(Err(reason)) = known {
        return done(format!("fetching {repository}: {reason}"));
    }
    let files = match verified.found_again_at() {
        Some(origin) => Files::ReadAgain(origin),
        None => {
            let format = ObjectFormat::of_hex(&vcs.commit).unwrap_or(ObjectFormat::Sha1);
            Files::Held(Box::new(PackageRead::of(&archive, facts, format)))
        }
    };
    let mut pending = Box::new(Pending {
        index,
        krate: krate.clone(),
        route: Route {
            url: fetch_url.clone(),
            pin: None,
        },
        repository,
        fetch_url,
        vcs,
        files,
    });
    match known {
        Some(Ok(route)) => {
            pending.route = route;
            Stage::Prepared(Prepared::Pending(pending))
        }
        _ => Stage::Unrouted(pending),
    }
}
