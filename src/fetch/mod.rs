//! Fetching every package's provenance from the configured sources, in
//! parallel, through the cache.
//!
//! [`fetch`] takes one [`PackageQuery`] per package and the sources in the
//! order they are to be tried, and returns one [`PackageFetch`] per package:
//! the raw bundle documents found (with their origins), the registry
//! assertion, the bundles set aside as being for another artifact, and the
//! per-source errors. Nothing is verified here; [`PackageFetch::verify`]
//! turns the result into [`Evidence`](crate::evidence::Evidence) through
//! [`crate::verify`].
//!
//! For each package the sources are tried in order:
//! - once a source has produced a bundle document for the package's
//!   checksum, later sources are not asked;
//! - `crates-io` is asked for every crates.io package, bundles found or not:
//!   its record of the publisher is checked against a verified bundle
//!   (`evidence-conflict`), and it says whether the crate refuses token
//!   publishing; a second registry source is not asked once one answered;
//! - a source that fails is reported in [`PackageFetch::errors`] and the next
//!   one is tried; a source that cannot answer for any package (a long rate
//!   limit) is not asked again in this run, while answers already in the
//!   cache are still used.
//!
//! Remote answers are cached per artifact digest and source ([`crate::cache`]):
//! positive answers for good, "no attestation" for `no_attestation_ttl`.
//! Offline, no HTTP client is even built: remote sources answer from the
//! cache only (however old the entry), local folders are read, and packages
//! a remote source has no entry for are reported by
//! [`PackageFetch::missing_from_cache`].

mod ask;
mod github_limit;
mod limit_memory;
mod package;
mod progress;
mod registry;
mod results;

use std::sync::{Arc, OnceLock};

use miette::Diagnostic;

use crate::cache::{Cache, CacheEntry, SourceKey};
use crate::http::{Http, HttpConfig, HttpError};
use crate::sources::{self, FailureCause, GitHubAuth, PackageQuery, SourceFailure, SourceSpec};
use reqwest::Url;

use limit_memory::remembered_limits;
use package::fetch_package;
pub(crate) use progress::{LinesThread, Tracker};
pub use progress::{ProgressLines, DEFAULT_LINE_EVERY};
pub use results::{crate_listed, FetchReport, Outcome, PackageFetch, SourceOutcome};

/// How a fetch runs.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Packages fetched at once.
    pub jobs: usize,
    /// Use only the cache and local sources; build no HTTP client.
    pub offline: bool,
    pub http: HttpConfig,
    /// How long a cached "no attestation" answer is used before asking again.
    pub no_attestation_ttl: jiff::SignedDuration,
    /// The time entries are stamped with and judged by.
    pub now: jiff::Timestamp,
    /// Show a progress bar on stderr (callers pass `stderr is a TTY && !quiet`).
    pub progress: bool,
    /// Where stderr is a log, a progress line at most this often.
    pub progress_lines: Option<ProgressLines>,
    pub github_auth: GitHubAuth,
    /// Hosts a `github` source's `bundle_url` may name besides GitHub's own
    /// blob storage (GitHub Enterprise).
    pub github_bundle_hosts: Vec<String>,
    /// Told, before anything is fetched, what the run will ask of the rate
    /// limited services and how long that takes.
    pub announce: Option<Announcer>,
    /// Ask crates.io for every package's per-version record, needed or not.
    pub all_records: bool,
    /// Where cargo keeps its copy of crates.io's index (`$CARGO_HOME`).
    pub cargo_home: Option<std::path::PathBuf>,
}

/// Where a fetch says what it is about to do (the command layer prints it).
#[derive(Clone)]
pub struct Announcer(pub Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Announcer")
    }
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            jobs: 32,
            offline: false,
            http: HttpConfig::default(),
            no_attestation_ttl: DEFAULT_NO_ATTESTATION_TTL,
            now: jiff::Timestamp::now(),
            progress: false,
            progress_lines: None,
            github_auth: GitHubAuth::none(),
            github_bundle_hosts: Vec::new(),
            announce: None,
            all_records: false,
            cargo_home: sources::sparse_index::cargo_home(),
        }
    }
}

/// How long "no attestation" is cached unless configured otherwise.
pub const DEFAULT_NO_ATTESTATION_TTL: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// A fetch that could not run at all.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum FetchError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Http(#[from] HttpError),
    #[error("cannot start the fetch runtime: {source}")]
    #[diagnostic(code("fetch-runtime"), help("the system is out of threads or memory"))]
    Runtime {
        #[source]
        source: std::io::Error,
    },
}

/// Fetch every package from `sources`, through `cache` when given.
///
/// Builds its own tokio runtime: call it from synchronous code.
pub fn fetch(
    queries: Vec<PackageQuery>,
    sources: &[SourceSpec],
    cache: Option<&Cache>,
    options: &FetchOptions,
) -> Result<FetchReport, FetchError> {
    // Unlike `fetch_each`, nothing else needs the cores here: responses are
    // parsed and cache entries written on every core (measured with
    // `benches/fetch.rs`: a cold fetch of 1,000 packages takes 1.7-1.8 s
    // this way, 2.1-2.7 s on one thread).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| FetchError::Runtime { source })?;
    runtime.block_on(fetch_async(queries, sources, cache, options))
}

struct Shared {
    sources: Vec<SourceSpec>,
    /// Per source: its label and how the cache tells its answers apart.
    keys: Vec<SourceKey>,
    /// Per source: why it is no longer asked in this run.
    stopped: Vec<OnceLock<SourceFailure>>,
    cache: Option<Cache>,
    http: Option<Http>,
    /// What the sources share between tasks (crates.io's limiter).
    state: sources::RunState,
    /// What GitHub's bulk listings gave, per source and digest.
    listed: sources::github_bulk::Listed,
    options: FetchOptions,
    warnings: std::sync::Mutex<Vec<String>>,
    /// The `crates-io` source's sparse index, where a rule needs publish times.
    index: Option<Result<sources::sparse_index::SparseIndex, sources::sparse_index::IndexError>>,
    /// What crates.io's list of crates said, asked up front.
    crates: registry::CrateList,
    /// The cache's entries read in this run, each read once.
    reads: CacheReads,
}

/// The cache's entries read in this run, by entry: an entry looked at
/// before its package is fetched (to plan what to ask) is kept for the
/// fetch, which takes it instead of reading the file again; one that is
/// absent or not used in this run is remembered as `None` until an answer
/// is stored in its place.
#[derive(Default)]
struct CacheReads(
    std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, Option<CacheEntry>>>,
);

impl Shared {
    /// The entry of `key` for `query`'s artifact, if it is used in this run
    /// ([`usable`]), read from the folder.
    fn read_usable(&self, key: &SourceKey, query: &PackageQuery) -> Option<CacheEntry> {
        self.cache
            .as_ref()?
            .read(&query.checksum, key)
            .filter(|entry| usable(entry, key, &self.options))
    }

    /// Whether the cache has an answer of `key` for `query` that is used in
    /// this run. The entry is read once and kept for [`Shared::take_cached`].
    fn in_cache(&self, key: &SourceKey, query: &PackageQuery) -> bool {
        if self.cache.is_none() {
            return false;
        }
        let place = key.answer_identity(&query.checksum).relative_path();
        if let Some(read) = self.reads.0.lock().expect("not poisoned").get(&place) {
            return read.is_some();
        }
        // Read without holding the lock: other packages' reads go on.
        let read = self.read_usable(key, query);
        let found = read.is_some();
        self.reads
            .0
            .lock()
            .expect("not poisoned")
            .entry(place)
            .or_insert(read);
        found
    }

    /// The answer of `key` for `query` the cache has for this run: the one
    /// read before (handed over, not read again), else read now.
    fn take_cached(&self, key: &SourceKey, query: &PackageQuery) -> Option<CacheEntry> {
        self.cache.as_ref()?;
        let place = key.answer_identity(&query.checksum).relative_path();
        let mut reads = self.reads.0.lock().expect("not poisoned");
        match reads.get_mut(&place) {
            // Handed over once; a later reader reads the file.
            Some(Some(_)) => reads.remove(&place).flatten(),
            // Read before: nothing used in this run.
            Some(None) => None,
            None => {
                drop(reads);
                self.read_usable(key, query)
            }
        }
    }
}

/// [`fetch`] for callers already inside a (multi-threaded) tokio runtime.
pub async fn fetch_async(
    queries: Vec<PackageQuery>,
    sources: &[SourceSpec],
    cache: Option<&Cache>,
    options: &FetchOptions,
) -> Result<FetchReport, FetchError> {
    let count = queries.len();
    let mut packages: Vec<Option<PackageFetch>> = (0..count).map(|_| None).collect();
    let warnings = fetch_each_async(
        queries,
        sources,
        cache,
        options,
        None,
        |position, result| packages[position] = Some(result),
    )
    .await?;
    Ok(FetchReport {
        packages: packages
            .into_iter()
            .map(|p| p.expect("every task reported"))
            .collect(),
        warnings,
    })
}

/// How many fetched packages may wait for their consumer.
///
/// Each package takes a permit before its fetch starts; the consumer gives
/// permits back, in batches, as it finishes with packages. Fetching never
/// runs more than `limit` packages ahead of the consumer, so memory stays
/// bounded however many packages there are, and the fetch loop is woken once
/// per batch rather than once per package.
#[derive(Debug, Clone)]
pub struct Admission {
    permits: Arc<tokio::sync::Semaphore>,
    done: Arc<std::sync::atomic::AtomicUsize>,
    batch: usize,
}

impl Admission {
    /// Room for `jobs` packages in flight plus two batches waiting (a batch
    /// is at most 16 packages, and never more than `jobs`), which is enough
    /// that the consumer always has a whole batch to finish.
    pub fn for_jobs(jobs: usize) -> Self {
        let jobs = jobs.max(1);
        let batch = jobs.min(16);
        Self {
            permits: Arc::new(tokio::sync::Semaphore::new(jobs + 2 * batch)),
            done: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            batch,
        }
    }

    /// The consumer has finished with one package.
    pub fn finished_one(&self) {
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1;
        if done % self.batch == 0 {
            self.permits.add_permits(self.batch);
        }
    }
}

/// Fetch every package, handing each result to `sink` (with the query's
/// position) as soon as it is complete, and return the run's warnings.
///
/// At most `options.jobs` packages are in flight. With an [`Admission`],
/// a package is only started once the consumer has room for it.
pub fn fetch_each(
    queries: Vec<PackageQuery>,
    sources: &[SourceSpec],
    cache: Option<&Cache>,
    options: &FetchOptions,
    admission: Option<&Admission>,
    sink: impl FnMut(usize, PackageFetch),
) -> Result<Vec<String>, FetchError> {
    // One thread drives every fetch (they wait on the network or the disk),
    // so no fetch result crosses threads before it reaches `sink`; the
    // other cores are left to whatever consumes the results meanwhile.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| FetchError::Runtime { source })?;
    runtime.block_on(fetch_each_async(
        queries, sources, cache, options, admission, sink,
    ))
}

/// [`fetch_each`] inside a tokio runtime.
pub async fn fetch_each_async(
    queries: Vec<PackageQuery>,
    sources: &[SourceSpec],
    cache: Option<&Cache>,
    options: &FetchOptions,
    admission: Option<&Admission>,
    mut sink: impl FnMut(usize, PackageFetch),
) -> Result<Vec<String>, FetchError> {
    let shared = Arc::new(prepare(&queries, sources, cache, options).await?);
    let progress = progress::Tracker::new(queries.len(), options.progress);
    let lines = options
        .progress_lines
        .clone()
        .map(|lines| tokio::spawn(progress.clone().write_lines(lines)));
    let jobs = options.jobs.max(1);
    let mut pending = queries.into_iter().enumerate().peekable();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        // Start packages while there is room; never wait for room while a
        // finished package could be handed over instead.
        while tasks.len() < jobs && pending.peek().is_some() {
            if let Some(admission) = admission {
                let permit = if tasks.is_empty() {
                    admission.permits.acquire().await.ok()
                } else {
                    admission.permits.try_acquire().ok()
                };
                match permit {
                    Some(permit) => permit.forget(),
                    None => break,
                }
            }
            let Some((position, query)) = pending.next() else {
                break;
            };
            let shared = shared.clone();
            let progress = progress.clone();
            tasks.spawn(async move {
                let result = fetch_package(&shared, query).await;
                progress.finished(result.errors.is_empty());
                (position, result)
            });
        }
        match tasks.join_next().await {
            Some(Ok((position, result))) => sink(position, result),
            // A task only ends without a result if it panicked: a bug, not input.
            Some(Err(error)) => std::panic::resume_unwind(error.into_panic()),
            None => break,
        }
    }
    if let Some(lines) = lines {
        lines.abort();
    }
    progress.finish();
    let mut warnings = shared
        .warnings
        .lock()
        .map(|w| w.clone())
        .unwrap_or_default();
    if let Some(Ok(index)) = &shared.index {
        warnings.extend(index.take_warnings());
    }
    Ok(warnings)
}

/// A token that cannot be sent stops the GitHub sources it was for.
fn stop_token_sources(
    sources: &[SourceSpec],
    auth: &GitHubAuth,
    stopped: &[OnceLock<SourceFailure>],
    message: &crate::sources::TokenError,
) {
    for (spec, stop) in sources.iter().zip(stopped) {
        if let SourceSpec::GitHub { api_url, .. } = spec {
            if Url::parse(api_url).is_ok_and(|url| url.origin() == auth.api().origin()) {
                let _ = stop.set(SourceFailure::stopping(
                    FailureCause::Token(message.clone()),
                    format!("{}: {message}", spec.label()),
                ));
            }
        }
    }
}

/// What a run's tasks share, with everything asked up front: GitHub's
/// bulk listings (with a token), what the rate-limited services will be
/// asked (said before anything is), crates.io's list of crates.
async fn prepare(
    queries: &[PackageQuery],
    sources: &[SourceSpec],
    cache: Option<&Cache>,
    options: &FetchOptions,
) -> Result<Shared, FetchError> {
    let stopped: Vec<OnceLock<SourceFailure>> = sources.iter().map(|_| OnceLock::new()).collect();
    // Offline, no client exists, so no connection can be made. The token
    // is the client's to send, to the API it is for only.
    let http = if options.offline || sources.iter().all(|s| !s.is_remote()) {
        None
    } else {
        let credential = options.github_auth.credential().unwrap_or_else(|message| {
            stop_token_sources(sources, &options.github_auth, &stopped, &message);
            None
        });
        Some(Http::new(options.http.clone())?.with_credential(credential))
    };
    let mut shared = Shared {
        sources: sources.to_vec(),
        keys: sources.iter().map(SourceSpec::cache_key).collect(),
        stopped,
        listed: vec![Default::default(); sources.len()],
        index: sparse_index(queries, sources, http.as_ref(), cache, options),
        cache: cache.cloned(),
        http,
        state: sources::RunState::new(&options.http, &options.github_bundle_hosts),
        options: options.clone(),
        warnings: std::sync::Mutex::new(Vec::new()),
        crates: registry::CrateList::new(),
        reads: CacheReads::default(),
    };
    let limits = remembered_limits(&shared);
    let crates_io = registry::CratesIoPlan::new(&shared, queries);
    if let (Some(announce), false) = (&options.announce, options.offline) {
        let mut messages = plan(&shared, queries, &limits);
        if let Some(plan) = &crates_io {
            messages.extend(plan.messages(options.http.crates_io_interval));
        }
        for message in messages {
            (announce.0)(&message);
        }
    }
    // With a token, the packages of one owner are listed together.
    if let (Some(http), true) = (&shared.http, options.github_auth.is_set()) {
        let needed =
            |index: usize, query: &PackageQuery| !shared.in_cache(&shared.keys[index], query);
        let (listed, stops) =
            sources::github_bulk::prefetch(http, sources, queries, &options.github_auth, needed)
                .await;
        for (stop, reason) in shared.stopped.iter().zip(stops) {
            if let Some(reason) = reason {
                let _ = stop.set(reason);
            }
        }
        shared.listed = listed;
    }
    if let Some(plan) = &crates_io {
        shared.crates = plan.list_crates(&shared, queries).await;
    }
    Ok(shared)
}

/// The reader of the `crates-io` source's sparse index, when some package
/// needs its publish time.
fn sparse_index(
    queries: &[PackageQuery],
    sources: &[SourceSpec],
    http: Option<&Http>,
    cache: Option<&Cache>,
    options: &FetchOptions,
) -> Option<Result<sources::sparse_index::SparseIndex, sources::sparse_index::IndexError>> {
    use sources::sparse_index::{IndexUrl, SparseIndex};
    if !queries.iter().any(|q| q.needs.published) {
        return None;
    }
    let index_url = sources.iter().find_map(|s| match s {
        SourceSpec::CratesIo { index_url, .. } => Some(index_url),
        _ => None,
    })?;
    Some(IndexUrl::parse(index_url).map(|url| {
        SparseIndex::new(
            url,
            http.cloned(),
            cache.cloned(),
            options.cargo_home.clone(),
            options.now,
        )
    }))
}

/// Without a token, how many GitHub requests a run makes before the hourly
/// limit (60) is worth a note: a few (one package's `explain`) never is.
const GITHUB_WORTH_SAYING: usize = 10;

/// What GitHub will be asked in this run, at most, when it has no token
/// (60 requests an hour). Counted from the cache before anything is asked;
/// crates.io's part is [`registry::CratesIoPlan`].
///
/// A source whose remembered limit has not reset (`limits`) is asked
/// nothing: said once, with the packages it would have been asked about.
fn plan(
    shared: &Shared,
    queries: &[PackageQuery],
    limits: &[(usize, jiff::Timestamp)],
) -> Vec<String> {
    let options = &shared.options;
    let crates_io = registry::crates_io_position(&shared.sources).is_some();
    let mut messages = Vec::new();
    for (index, spec) in shared.sources.iter().enumerate() {
        let SourceSpec::GitHub { org, .. } = spec else {
            continue;
        };
        let uncached = |q: &&PackageQuery| !shared.in_cache(&shared.keys[index], q);
        let asked = queries
            .iter()
            .filter(|q| q.repository_hint.is_some() || crates_io)
            .filter(uncached)
            .count();
        if let Some((_, resets)) = limits.iter().find(|(at, _)| *at == index) {
            // An organisation's source asks about every package.
            let asked = match org {
                Some(_) => queries.iter().filter(uncached).count(),
                None => asked,
            };
            messages.push(format!(
                "{}: GitHub's hourly limit resets at {}; {} not asked (an earlier run reached it): they are not checked; set GITHUB_TOKEN or GH_TOKEN to lift the limit",
                shared.keys[index].label,
                github_limit::shown(*resets),
                crate::words::count(asked, "package", "packages")
            ));
            continue;
        }
        if options.github_auth.is_set() {
            continue;
        }
        if asked >= GITHUB_WORTH_SAYING {
            messages.push(format!(
                "{}: up to {} to list attestations, and one more for each bundle found; without a token GitHub allows 60 requests an hour, and packages left when the limit is reached are reported as not checked: set GITHUB_TOKEN or GH_TOKEN to lift the limit",
                shared.keys[index].label,
                crate::words::count(asked, "request", "requests")
            ));
        }
    }
    messages
}

/// Whether a cached answer of `source` is used in this run.
fn usable(entry: &CacheEntry, source: &SourceKey, options: &FetchOptions) -> bool {
    entry.is_usable(
        source.official,
        options.offline,
        options.now,
        options.no_attestation_ttl,
    )
}

/// `1 h 2 min`, `3 min 20 s`, `45 s`.
fn duration_text(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs();
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::ask::store_answer;
    use super::*;
    use crate::cache::{Answer, BundleDocument};
    use crate::lockfile::PackageSource;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn queries(count: usize) -> Vec<PackageQuery> {
        (0..count)
            .map(|n| {
                let mut checksum = [0u8; 32];
                checksum[..8].copy_from_slice(&(n as u64).to_be_bytes());
                PackageQuery {
                    name: format!("p{n}"),
                    version: "1.0.0".parse().unwrap(),
                    source: PackageSource::CratesIo,
                    checksum: sigstore_types::Sha256Hash::new(checksum),
                    repository_hint: None,
                    needs: Default::default(),
                }
            })
            .collect()
    }

    /// A cache entry looked at to plan a run is handed to the fetch of its
    /// package, not read again (here: its file is spoiled in between, and
    /// the fetch still has the answer read first); after the handover, and
    /// after an answer is stored in its place, the file is read anew.
    #[test]
    fn an_entry_read_to_plan_is_not_read_again_to_fetch() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let spec = SourceSpec::GitHub {
            api_url: "https://api.github.com".into(),
            org: Some("acme".into()),
            predicate_type: None,
        };
        let key = spec.cache_key();
        let query = queries(1).remove(0);
        let answer = Answer::Bundles {
            documents: vec![BundleDocument {
                origin: crate::evidence::BundleOrigin {
                    source: key.label.clone(),
                    location: "https://api.github.com/x".into(),
                },
                bundle: crate::cache::ReadBundle::read("{}"),
            }],
            ignored: Vec::new(),
        };
        let options = FetchOptions {
            offline: true,
            ..FetchOptions::default()
        };
        cache
            .write_entry(&CacheEntry::answer(
                &query.checksum,
                &key,
                options.now,
                answer.clone(),
            ))
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let shared = runtime
            .block_on(prepare(&[], &[spec], Some(&cache), &options))
            .unwrap();
        assert!(shared.in_cache(&key, &query));
        let place = cache.entry_path(&key.answer_identity(&query.checksum));
        std::fs::write(&place, b"spoiled").unwrap();
        assert!(shared.in_cache(&key, &query), "not read again");
        let taken = shared.take_cached(&key, &query).expect("handed over");
        assert_eq!(taken.value, answer);
        assert!(
            shared.take_cached(&key, &query).is_none(),
            "read anew: spoiled"
        );
        store_answer(&shared, &query, &key, &answer);
        assert!(shared.in_cache(&key, &query), "the stored answer is read");
    }

    /// Every package reaches the consumer, and no more than the admission's
    /// limit are ever waiting for it, whatever the number of jobs.
    #[test]
    fn admission_bounds_what_waits_for_the_consumer_and_never_stalls() {
        let folder = tempfile::tempdir().unwrap();
        let sources = [SourceSpec::Dir {
            path: folder.path().to_path_buf(),
        }];
        for jobs in [1, 2, 4, 32] {
            let options = FetchOptions {
                jobs,
                offline: true,
                ..FetchOptions::default()
            };
            let admission = Admission::for_jobs(jobs);
            let limit = jobs + 2 * jobs.min(16);
            let waiting = AtomicUsize::new(0);
            let most = AtomicUsize::new(0);
            let (sender, receiver) = std::sync::mpsc::channel::<usize>();
            let consumed = std::thread::scope(|scope| {
                let consumer = scope.spawn(|| {
                    let mut seen = Vec::new();
                    for position in receiver {
                        // A slow consumer: fetching runs ahead as far as it may.
                        std::thread::sleep(std::time::Duration::from_micros(200));
                        waiting.fetch_sub(1, Ordering::SeqCst);
                        admission.finished_one();
                        seen.push(position);
                    }
                    seen
                });
                fetch_each(
                    queries(200),
                    &sources,
                    None,
                    &options,
                    Some(&admission),
                    |position, _| {
                        let now = waiting.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        sender.send(position).unwrap();
                    },
                )
                .unwrap();
                drop(sender);
                consumer.join().unwrap()
            });
            let mut consumed = consumed;
            consumed.sort_unstable();
            assert_eq!(consumed, (0..200).collect::<Vec<_>>(), "jobs {jobs}");
            let most = most.load(Ordering::SeqCst);
            assert!(most <= limit, "jobs {jobs}: {most} waiting, limit {limit}");
        }
    }
}
