//! The first pass: per package, the cached result, else its `.crate` read
//! into what the comparison needs (its facts and its files' object IDs).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use sigstore_types::Sha256Hash;

use super::cached::{self, Cached};
use super::route::{route, Route, RouteError};
use super::CompareOptions;
use crate::cache::Cache;
use crate::compare::{normalize_repository, Package, PackageListing};
use crate::crate_file::{
    read_package, CrateRef, Locator, Manifest, OriginalManifest, PassedOver, VcsInfo, VerifiedCrate,
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
    pub checksum: Sha256Hash,
    /// The manifest's repository, in normal form.
    pub repository: String,
    /// Where git fetches it from (after `insteadOf`): what its result is
    /// cached as fetched from.
    pub fetch_url: String,
    /// Where git connects for it (after redirects), and to which addresses:
    /// where git fetches it from until that is settled.
    pub route: Route,
    pub manifest: Manifest,
    pub original: Option<OriginalManifest>,
    pub vcs: VcsInfo,
    pub listing: PackageListing,
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
        .map(|(index, krate)| match cargo_cache.look(krate) {
            Ok(verified) => examine(index, krate, &verified, shared),
            Err(passed_over) => Stage::Unobtained(passed_over),
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

/// The cached comparison of a package, computed again from its proof;
/// `None` when there is none (an entry that proves nothing is set aside
/// with a warning).
fn cached_result(
    shared: &Shared<'_>,
    krate: &CrateRef,
    fetch_url: &str,
    package: &Package<'_>,
    repository: &str,
) -> Option<SourceMatch> {
    let cache = shared.cache?;
    let max_entries = shared.options.git.max_tree_entries;
    match cached::read(cache, &krate.checksum, fetch_url, package, max_entries) {
        Cached::Absent => None,
        Cached::Proven(Ok(comparison)) => {
            Some(comparison.into_source_match(package.vcs, repository))
        }
        Cached::Proven(Err(error)) => {
            let result = SourceMatch::not_checked(error.to_string());
            Some(with_facts(result, package.vcs, Some(repository)))
        }
        Cached::Refused(warning) => {
            shared.warnings.lock().expect("not poisoned").push(warning);
            None
        }
    }
}

/// One package whose `.crate` is at hand: read and listed, then compared
/// from its cached proof when there is one, else made ready to fetch (its
/// route settled when that needs no network).
///
/// Steps: its files and what it says of itself (a package that cannot be
/// read, names no commit or no repository that can be fetched is not
/// checked); the files' object IDs in the repository's hash; the cached
/// comparison under the run's `insteadOf` rules, computed again from its
/// proof (an entry that proves nothing is ignored, with a warning);
/// offline, a repository git would fetch over the network is not checked.
fn examine(index: usize, krate: &CrateRef, verified: &VerifiedCrate, shared: &Shared<'_>) -> Stage {
    // Not compared, from the package alone: only its repository is kept
    // (a hint for later runs that read no `.crate`).
    let kept = |result: SourceMatch| {
        shared.keep(&krate.checksum, result.repository.as_deref(), None);
        Stage::Prepared(Prepared::Done(result))
    };
    let (archive, facts) = match read_package(verified) {
        Ok(read) => read,
        Err(error) => return kept(SourceMatch::not_checked(format!("the .crate: {error}"))),
    };
    let (vcs, repository) = match commit_and_repository(facts.vcs_info, &facts.manifest) {
        Ok(found) => found,
        Err(result) => return kept(*result),
    };
    let fetch_url = shared.rewrites.apply(&repository);
    let format = ObjectFormat::of_hex(&vcs.commit).unwrap_or(ObjectFormat::Sha1);
    let cached = |listing: &PackageListing| {
        let package = Package {
            listing,
            manifest: &facts.manifest,
            original: facts.original.as_ref(),
            vcs: &vcs,
        };
        cached_result(shared, krate, &fetch_url, &package, &repository)
    };
    // The line endings' IDs change only which list a differing file is
    // in: a result with none that differ stands without them.
    let quick = PackageListing::without_line_endings(&archive, format);
    let differs = match cached(&quick) {
        Some(result) if result.differ.is_empty() => {
            return Stage::Prepared(Prepared::Done(result));
        }
        other => other.is_some(),
    };
    let listing = quick.with_line_endings(&archive, format);
    drop(archive);
    if let Some(result) = differs.then(|| cached(&listing)).flatten() {
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
    let mut pending = Box::new(Pending {
        index,
        checksum: krate.checksum,
        route: Route {
            url: fetch_url.clone(),
            pin: None,
        },
        repository,
        fetch_url,
        listing,
        manifest: facts.manifest,
        original: facts.original,
        vcs,
    });
    match known {
        Some(Ok(route)) => {
            pending.route = route;
            Stage::Prepared(Prepared::Pending(pending))
        }
        _ => Stage::Unrouted(pending),
    }
}
