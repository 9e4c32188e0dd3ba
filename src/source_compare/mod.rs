//! The source comparison of every registry package: its published `.crate`
//! against its repository at the commit it was packaged from.
//!
//! Two passes:
//! 1. per package, in parallel: its `.crate` ([`crate::crate_file`]:
//!    cargo's cache, else a download an earlier run kept in this tool's
//!    cache, else a download, kept there; each checked against the
//!    checksum; offline, no download) and what it says of itself; its
//!    cached comparison computed again from the entry's proof and its
//!    files, when there is one; else nothing of its files is held (only a
//!    download that could not be kept holds its files' object IDs);
//! 2. per (repository, commit), in parallel but at most
//!    [`CompareOptions::fetches_per_host`] fetches per host at once: one
//!    fetch of the commit's trees ([`crate::git`]), then every package of
//!    that repository and commit (read again from where it was found, and
//!    checked again) compared with it ([`crate::compare`]). Memory holds
//!    the files of the packages being compared, not of every package
//!    waiting for its fetch.
//!
//! Offline, git fetches only from this machine (a repository that the
//! user's `insteadOf` rules send to a `file://` mirror). Comparisons are
//! cached for good with the git objects they rest on ([`cached`],
//! [`proof`]) and computed again from them and the `.crate` on later runs;
//! a fetch or download that failed is not cached, and the package is
//! `not-checked`.

mod cached;
mod prepare;
mod proof;
mod route;
#[cfg(all(test, feature = "testkit"))]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use sigstore_types::Sha256Hash;

use crate::cache::Cache;
use crate::compare::{CompareError, Comparison};
use crate::crate_file::{CrateRef, DownloadTemplate, Locator};
use crate::git::{Git, GitOptions, Rewrites};
use crate::http::{Http, HttpConfig};
use crate::source_match::SourceMatch;
use crate::sources::sparse_index::{IndexUrl, SparseIndex};
use crate::sources::{SourceSpec, CRATES_IO_API};

use prepare::{Pending, Prepared};

/// How the comparisons of a run are made.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Download nothing and fetch only from local mirrors.
    pub offline: bool,
    /// Packages prepared at once.
    pub jobs: usize,
    /// Fetches at once to one host.
    pub fetches_per_host: usize,
    pub locator: Locator,
    /// The index whose `config.json` says where crates.io's `.crate`
    /// files are downloaded from, when no `download-url` does.
    pub crates_io_index: Option<IndexUrl>,
    pub git: GitOptions,
    pub http: HttpConfig,
    /// The run's clock (how old a cached `config.json` is).
    pub now: jiff::Timestamp,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            offline: false,
            jobs: 16,
            fetches_per_host: 4,
            locator: Locator::from_env(),
            crates_io_index: None,
            git: GitOptions::default(),
            http: HttpConfig::default(),
            now: jiff::Timestamp::now(),
        }
    }
}

impl CompareOptions {
    /// crates.io's download endpoint from the run's first `crates-io`
    /// source: its `download-url`; else, when it asks crates.io itself, the
    /// `dl` of its index's `config.json` (crates.io's, or the `index-url`
    /// it names), as cargo finds it; else none (a mirror or test of the API
    /// names its `download-url`), and only cargo's cache is looked in, as
    /// it is when the run has no `crates-io` source.
    pub fn with_sources(mut self, sources: &[SourceSpec]) -> Self {
        self.locator.crates_io = None;
        self.crates_io_index = None;
        let crates_io = sources.iter().find_map(|spec| match spec {
            SourceSpec::CratesIo {
                api_url,
                download_url,
                index_url,
                ..
            } => Some((api_url, download_url, index_url)),
            _ => None,
        });
        match crates_io {
            Some((_, Some(template), _)) => {
                self.locator.crates_io = Some(Arc::new(DownloadTemplate::new(template.clone())));
            }
            Some((api_url, None, index_url)) if api_url == CRATES_IO_API => {
                self.crates_io_index = IndexUrl::parse(index_url).ok();
            }
            _ => {}
        }
        self
    }

    /// Where `.crate` files are found: [`CompareOptions::locator`], with
    /// downloads kept in `cache`, and the index asked (through `http`, its
    /// answer cached in `cache`) for crates.io's download endpoint when one
    /// is to be read from it.
    pub fn locator_with(&self, http: Option<&Http>, cache: Option<&Cache>) -> Locator {
        let mut locator = self.locator.clone();
        locator.kept = cache.cloned();
        if let Some(url) = &self.crates_io_index {
            let index =
                SparseIndex::new(url.clone(), http.cloned(), cache.cloned(), None, self.now);
            locator.crates_io = Some(Arc::new(index));
        }
        locator
    }

    /// Cargo's home, when not the environment's.
    pub fn with_cargo_home(mut self, home: Option<PathBuf>) -> Self {
        if home.is_some() {
            self.locator.cargo_home = home;
        }
        self
    }
}

/// Told how the second pass's git fetches go: how many there are (once,
/// before the first starts, and only when there is one), then each one
/// done. The command layer shows it as the fetch of bundles is shown.
pub trait FetchProgress: Sync {
    fn started(&self, fetches: usize);
    fn fetched(&self);
}

/// Every package's result, in the order asked, and what the run should
/// know (a cache entry that could not be written).
#[derive(Debug, Clone, Default)]
pub struct SourceReport {
    pub results: Vec<SourceMatch>,
    pub warnings: Vec<String>,
}

/// The first pass done: every package's cached result, else its `.crate`
/// read. What each package's manifest names as its repository is known
/// from here on, before any git fetch.
pub struct Preparation {
    git: Git,
    rewrites: Rewrites,
    http: Option<Http>,
    options: CompareOptions,
    /// Where `.crate` files are found, the index's answer read once.
    locator: Locator,
    warnings: Mutex<Vec<String>>,
    /// Each fetch URL's route, settled once per run.
    routes: Mutex<HashMap<String, Result<route::Route, route::RouteError>>>,
    prepared: Vec<Prepared>,
}

/// The first pass over `crates` (see the module's comment); the second
/// is [`Preparation::compare`].
pub fn prepare_all(
    crates: &[CrateRef],
    cache: Option<&Cache>,
    options: &CompareOptions,
) -> Preparation {
    let git = Git::new(options.git.clone());
    let rewrites = git.rewrites();
    let http = (!options.offline)
        .then(|| Http::new(options.http.clone()).ok())
        .flatten();
    let locator = options.locator_with(http.as_ref(), cache);
    let mut preparation = Preparation {
        git,
        rewrites,
        http,
        options: options.clone(),
        locator,
        warnings: Mutex::new(Vec::new()),
        routes: Mutex::new(HashMap::new()),
        prepared: Vec::new(),
    };
    preparation.prepared = prepare::prepare_all(crates, &preparation.shared(cache));
    preparation
}

impl Preparation {
    fn shared<'a>(&'a self, cache: Option<&'a Cache>) -> prepare::Shared<'a> {
        prepare::Shared {
            cache,
            rewrites: &self.rewrites,
            http: self.http.as_ref(),
            options: &self.options,
            locator: &self.locator,
            warnings: &self.warnings,
            routes: &self.routes,
        }
    }

    /// The repository the `index`th package's manifest names (in normal
    /// form where it has one), when its `.crate` (or a cached result) was
    /// read and names one.
    pub fn repository(&self, index: usize) -> Option<&str> {
        match self.prepared.get(index)? {
            Prepared::Done(result) => result.repository.as_deref(),
            Prepared::Unread(_, hint) => hint.as_deref(),
            Prepared::Pending(pending) => Some(&pending.repository),
        }
    }

    /// The second pass: one git fetch per (repository, commit), every
    /// package compared; the results in the order the packages were given.
    pub fn compare(
        mut self,
        cache: Option<&Cache>,
        progress: Option<&dyn FetchProgress>,
    ) -> SourceReport {
        let count = self.prepared.len();
        let mut results: Vec<Option<SourceMatch>> = vec![None; count];
        let mut groups: BTreeMap<(String, String), Vec<Pending>> = BTreeMap::new();
        for (index, prepared) in std::mem::take(&mut self.prepared).into_iter().enumerate() {
            match prepared {
                Prepared::Done(result) | Prepared::Unread(result, _) => {
                    results[index] = Some(result)
                }
                Prepared::Pending(pending) => groups
                    .entry((pending.fetch_url.clone(), pending.vcs.commit.clone()))
                    .or_default()
                    .push(*pending),
            }
        }
        if let (Some(progress), false) = (progress, groups.is_empty()) {
            progress.started(groups.len());
        }
        for (index, result) in compare_groups(groups, &self.git, &self.shared(cache), progress) {
            results[index] = Some(result);
        }
        SourceReport {
            results: results
                .into_iter()
                .map(|r| r.unwrap_or_else(|| SourceMatch::not_checked("not compared")))
                .collect(),
            warnings: self.warnings.into_inner().unwrap_or_default(),
        }
    }
}

/// The repository a cached comparison of this package says its manifest
/// names, under any `insteadOf` rules, known without its `.crate`: a hint
/// of where to look, never evidence. `None` when nothing is cached;
/// `Some(None)` when the manifest names none.
pub fn cached_repository(cache: &Cache, checksum: &Sha256Hash) -> Option<Option<String>> {
    cached::repository_hint(cache, checksum)
}

/// At most `limit` fetches at once per host.
struct HostSlots {
    busy: Mutex<HashMap<String, usize>>,
    freed: Condvar,
    limit: usize,
}

impl HostSlots {
    fn acquire(&self, host: &str) {
        let mut busy = self.busy.lock().expect("not poisoned");
        while busy.get(host).copied().unwrap_or(0) >= self.limit {
            busy = self.freed.wait(busy).expect("not poisoned");
        }
        *busy.entry(host.to_string()).or_default() += 1;
    }

    fn release(&self, host: &str) {
        let mut busy = self.busy.lock().expect("not poisoned");
        if let Some(count) = busy.get_mut(host) {
            *count -= 1;
        }
        self.freed.notify_all();
    }
}

/// One fetch per (repository, commit), and every package of it compared.
fn compare_groups(
    groups: BTreeMap<(String, String), Vec<Pending>>,
    git: &Git,
    shared: &prepare::Shared<'_>,
    progress: Option<&dyn FetchProgress>,
) -> Vec<(usize, SourceMatch)> {
    let groups: Vec<((String, String), Vec<Pending>)> = groups.into_iter().collect();
    let slots = HostSlots {
        busy: Mutex::new(HashMap::new()),
        freed: Condvar::new(),
        limit: shared.options.fetches_per_host.max(1),
    };
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::new());
    let workers = shared.options.jobs.clamp(1, groups.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let Some(((url, commit), packages)) =
                    groups.get(next.fetch_add(1, Ordering::SeqCst))
                else {
                    return;
                };
                let host = host_of(url);
                slots.acquire(&host);
                let results = compare_group(url, commit, packages, git, shared);
                slots.release(&host);
                if let Some(progress) = progress {
                    progress.fetched();
                }
                done.lock().expect("not poisoned").extend(results);
            });
        }
    });
    done.into_inner().unwrap_or_default()
}

/// Fetch one repository at one commit and compare its packages with it.
fn compare_group(
    url: &str,
    commit: &str,
    packages: &[Pending],
    git: &Git,
    shared: &prepare::Shared<'_>,
) -> Vec<(usize, SourceMatch)> {
    // Every package of the group has the same route: the same URL.
    let route = packages.first().map(|p| &p.route);
    let fetch_url = route.map_or(url, |r| r.url.as_str());
    let pin = route.and_then(|r| r.pin.as_ref());
    // The trees now; blobs later, as packages need them.
    let fetched = git
        .fetch_pinned(fetch_url, commit, pin)
        .and_then(|fetched| Ok((fetched.tree()?, fetched)));
    let (tree, mut fetched) = match fetched {
        Ok(pair) => pair,
        Err(error) => {
            return packages
                .iter()
                .map(|p| {
                    (
                        p.index,
                        p.not_checked(format!("fetching {}: {error}", p.repository)),
                    )
                })
                .collect();
        }
    };
    let max_entries = git.options.max_tree_entries;
    packages
        .iter()
        .map(|pending| {
            let files = match pending.files(shared.locator) {
                Ok(files) => files,
                Err(reason) => return (pending.index, pending.not_checked(reason)),
            };
            let package = files.package(&pending.vcs);
            let (result, proof) =
                proof::compare_proving(&package, &tree, &mut fetched, max_entries);
            if let Some(proof) = proof {
                shared.keep(
                    &pending.krate.checksum,
                    Some(&pending.repository),
                    Some((url, &proof)),
                );
            }
            (pending.index, pending.outcome(result))
        })
        .collect()
}

impl Pending {
    /// The result reported for a comparison (or why none could be made).
    fn outcome(&self, comparison: Result<Comparison, CompareError>) -> SourceMatch {
        match comparison {
            Ok(comparison) => comparison.into_source_match(&self.vcs, &self.repository),
            Err(error) => self.not_checked(error.to_string()),
        }
    }
}

/// The host a fetch goes to (`local` for a path or `file://`).
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_else(|| "local".into())
}

impl prepare::Shared<'_> {
    /// Cache for good the proof of a comparison (with where git fetched
    /// from), or a package's repository alone, noting the first write that
    /// fails.
    fn keep(
        &self,
        checksum: &Sha256Hash,
        repository: Option<&str>,
        proof: Option<(&str, &proof::Proof)>,
    ) {
        let Some(cache) = self.cache else {
            return;
        };
        let written = cached::write(cache, checksum, repository, proof);
        if let Err(error) = written {
            let mut warnings = self.warnings.lock().expect("not poisoned");
            if warnings.is_empty() {
                warnings.push(format!("a source comparison could not be cached: {error}"));
            }
        }
    }
}
