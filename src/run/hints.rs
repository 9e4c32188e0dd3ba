//! Where to look on GitHub for a package neither the policy nor cargo's
//! metadata names a repository for (a bare lockfile, a dependency whose
//! manifest cargo did not report): the `repository` of the package's own
//! manifest, read from its `.crate` ([`crate::crate_file`]: cargo's
//! download cache when a copy there has the lockfile's checksum, else the
//! registry's download endpoint; offline, cargo's cache only). crates.io
//! is then asked (its list of crates, 100 a request) only for the packages
//! whose manifest names none. A hint says where to look, never what
//! passes: the verified bundle and the policy decide that.

use crate::cache::Cache;
use crate::crate_file::{self, CrateRef, Locator};
use crate::http::Http;
use crate::source_compare::{self, Preparation};
use crate::sources::{PackageQuery, SourceSpec};

/// The queries whose `repository_hint` is unknown, when a `github` source
/// would look for it (one that does not list a whole organisation).
fn wanted(queries: &[PackageQuery], sources: &[SourceSpec]) -> Vec<usize> {
    let github = sources
        .iter()
        .any(|s| matches!(s, SourceSpec::GitHub { org: None, .. }));
    (0..queries.len())
        .filter(|&i| github && queries[i].repository_hint.is_none())
        .collect()
}

/// Fill in `repository_hint` from what the source comparison's first pass
/// read of each package (its `.crate`, or its cached result): the same
/// manifest, read once. `queries` are in the order the comparison was
/// given its packages.
pub(super) fn from_comparison(
    queries: &mut [PackageQuery],
    sources: &[SourceSpec],
    preparation: &Preparation,
) {
    for i in wanted(queries, sources) {
        queries[i].repository_hint = preparation.repository(i).map(str::to_string);
    }
}

/// Fill in `repository_hint` from each package's manifest where it is
/// unknown (see [`wanted`]), for a run that makes no source comparison:
/// the repository a cached comparison recorded, else the `.crate` read.
/// Packages whose `.crate` cannot be had or read, or whose manifest names
/// no repository, keep none.
pub(super) fn from_manifests(
    queries: &mut [PackageQuery],
    sources: &[SourceSpec],
    cache: Option<&Cache>,
    locator: &Locator,
    http: Option<&Http>,
    jobs: usize,
) {
    let mut unread = Vec::new();
    for i in wanted(queries, sources) {
        let krate = super::crate_ref(&queries[i]);
        match cache.and_then(|cache| source_compare::cached_repository(cache, &krate.checksum)) {
            Some(repository) => queries[i].repository_hint = repository,
            None => unread.push((i, krate)),
        }
    }
    if unread.is_empty() {
        return;
    }
    let crates: Vec<CrateRef> = unread.iter().map(|(_, krate)| krate.clone()).collect();
    for (at, repository) in read_repositories(&crates, locator, http, jobs) {
        queries[unread[at].0].repository_hint = repository;
    }
}

/// Each package's manifest `repository`, by position in `crates`: `jobs`
/// at a time, on a runtime of their own (cargo's cache is read from disk;
/// the rest is downloaded).
fn read_repositories(
    crates: &[CrateRef],
    locator: &Locator,
    http: Option<&Http>,
    jobs: usize,
) -> Vec<(usize, Option<String>)> {
    let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    else {
        // No runtime, no hints: crates.io is asked instead.
        return Vec::new();
    };
    runtime.block_on(async {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (at, krate) in crates.iter().cloned().enumerate() {
            let (permits, locator, http) = (permits.clone(), locator.clone(), http.cloned());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.ok()?;
                Some((
                    at,
                    manifest_repository(&krate, &locator, http.as_ref()).await,
                ))
            });
        }
        let mut found = Vec::with_capacity(crates.len());
        while let Some(joined) = tasks.join_next().await {
            if let Ok(Some(pair)) = joined {
                found.push(pair);
            }
        }
        found
    })
}

/// The `repository` the package's manifest names, if its `.crate` can be
/// had and read.
async fn manifest_repository(
    krate: &CrateRef,
    locator: &Locator,
    http: Option<&Http>,
) -> Option<String> {
    let verified = locator.obtain(krate, http).await.ok()?;
    let archive = verified.unpack().ok()?;
    crate_file::manifest::manifest(&archive)
        .ok()?
        .repository
        .filter(|r| !r.trim().is_empty())
}
