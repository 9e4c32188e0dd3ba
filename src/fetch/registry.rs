//! The registry's part of a fetch: crates.io is asked only for what the
//! policy needs. Per-version records (one request a second) only where a
//! rule requires `registry-asserted` evidence, a bundle was found (its
//! record cross-checks it), or every record was asked for; whether a crate
//! refuses token publishing, and where it lives when nothing else says,
//! from its crates list (100 crates a request); publish times from its
//! sparse index (no rate limit). A record cached earlier is used whatever
//! the reason it was asked for.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use super::ask::{ask_through_cache, described, Answered};
use super::{Outcome, PackageFetch, Shared};
use crate::cache::{Answer, SourceKey};
use crate::evidence::SourceError;
use crate::failure_kind::FailureKind;
use crate::lockfile::PackageSource;
use crate::sources::sparse_index::{IndexError, Listing};
use crate::sources::{
    self, CrateSummary, PackageQuery, Records, Reply, SourceFailure, SourceSpec, CRATES_PER_LIST,
};

/// What crates.io's crates list said, per crate name, asked up front;
/// `Ok(None)`: crates.io does not list the crate.
pub(super) type CrateList = HashMap<String, Result<Option<CrateSummary>, SourceFailure>>;

/// The position of the run's `crates-io` source, if it has one.
pub(super) fn crates_io_position(sources: &[SourceSpec]) -> Option<usize> {
    sources
        .iter()
        .position(|s| matches!(s, SourceSpec::CratesIo { .. }))
}

/// Whether every package's per-version record is asked for: the run's
/// option, or the source's `records = "all"`.
fn all_records(shared: &Shared, spec: &SourceSpec) -> bool {
    shared.options.all_records
        || matches!(
            spec,
            SourceSpec::CratesIo {
                records: Records::All,
                ..
            }
        )
}

/// Whether the per-version record of this package is asked for whatever
/// the other sources find.
fn wants_record(shared: &Shared, spec: &SourceSpec, query: &PackageQuery) -> bool {
    query.source == PackageSource::CratesIo && (all_records(shared, spec) || query.needs.record)
}

/// Whether GitHub would ask about this package if its repository were
/// known, and nothing says which it is.
fn needs_hint(shared: &Shared, query: &PackageQuery) -> bool {
    query.repository_hint.is_none()
        && shared
            .sources
            .iter()
            .any(|s| matches!(s, SourceSpec::GitHub { org: None, .. }))
}

/// How the cache tells the crates list's answers apart, per package: from
/// the per-version record (which says more), bound to the same service.
fn list_key(source: &SourceKey) -> SourceKey {
    SourceKey {
        label: format!("{} crates list", source.label),
        identity: serde_json::json!({"kind": "crates-list", "of": source.identity}),
        official: source.official,
    }
}

/// What a run will ask crates.io, counted from the cache before anything
/// is asked.
#[derive(Debug)]
pub(super) struct CratesIoPlan {
    /// The `crates-io` source's position.
    pub(super) source: usize,
    /// Crates whose per-version record will be asked for.
    records: BTreeSet<String>,
    /// Crates asked about through the crates list.
    listed: Vec<String>,
    /// crates.io packages whose per-version record nothing needs up front.
    not_needed: usize,
    all: bool,
}

impl CratesIoPlan {
    /// The plan for `queries`, when the run has a `crates-io` source.
    pub(super) fn new(shared: &Shared, queries: &[PackageQuery]) -> Option<Self> {
        let source = crates_io_position(&shared.sources)?;
        let spec = &shared.sources[source];
        let key = &shared.keys[source];
        let mut records = BTreeSet::new();
        let mut listed = BTreeSet::new();
        let mut not_needed = 0;
        for query in queries
            .iter()
            .filter(|q| q.source == PackageSource::CratesIo)
        {
            let record_cached = shared.in_cache(key, query);
            if wants_record(shared, spec, query) {
                if !record_cached {
                    records.insert(query.name.clone());
                }
                continue;
            }
            not_needed += 1;
            let wanted = query.needs.trustpub_only || needs_hint(shared, query);
            if wanted && !record_cached && !shared.in_cache(&list_key(key), query) {
                listed.insert(query.name.clone());
            }
        }
        Some(Self {
            source,
            records,
            listed: listed.into_iter().collect(),
            not_needed,
            all: all_records(shared, spec),
        })
    }

    /// What the plan costs, said before anything is asked.
    pub(super) fn messages(&self, interval: Duration) -> Vec<String> {
        let mut messages = Vec::new();
        if !self.records.is_empty() {
            messages.push(format!(
                "crates.io: up to {}, one per crate, at most one a second (its data access policy): up to {} for that part of this run",
                crate::words::count(self.records.len(), "request", "requests"),
                super::duration_text(interval * self.records.len() as u32)
            ));
        }
        if !self.listed.is_empty() {
            let requests = self.listed.len().div_ceil(CRATES_PER_LIST);
            messages.push(format!(
                "crates.io: {} to its list of crates for {} (whether each accepts only trusted publishing, where it lives), {CRATES_PER_LIST} a request, at most one a second: about {}",
                crate::words::count(requests, "request", "requests"),
                crate::words::count(self.listed.len(), "crate", "crates"),
                super::duration_text(interval * requests as u32)
            ));
        }
        if self.records.is_empty() && self.not_needed > 0 && !self.all {
            messages.push(format!(
                "crates.io: no rule needs the per-version records of {}, so none is asked for (a bundle found is still cross-checked with its record); --all-records, or records = \"all\" on the crates-io source, asks for every one",
                crate::words::count(self.not_needed, "package", "packages")
            ));
        }
        messages
    }

    /// Ask crates.io's crates list about every crate the plan lists, 100 a
    /// request, and cache each package's answer as it arrives.
    pub(super) async fn list_crates(&self, shared: &Shared, queries: &[PackageQuery]) -> CrateList {
        let mut list = CrateList::new();
        let Some(http) = &shared.http else {
            return list;
        };
        let spec = &shared.sources[self.source];
        for chunk in self.listed.chunks(CRATES_PER_LIST) {
            let answer = match shared.stopped[self.source].get() {
                Some(failure) => Err(failure.clone()),
                None => sources::list_crates(spec, http, &shared.state, chunk).await,
            };
            match answer {
                Ok(found) => {
                    self.store(shared, queries, &found);
                    list.extend(found.into_iter().map(|(name, s)| (name, Ok(s))));
                }
                Err(failure) => {
                    if failure.stop_source {
                        let _ = shared.stopped[self.source].set(failure.clone());
                    }
                    list.extend(chunk.iter().map(|n| (n.clone(), Err(failure.clone()))));
                }
            }
        }
        list
    }

    /// Cache what the crates list said, for every locked version of each crate.
    fn store(
        &self,
        shared: &Shared,
        queries: &[PackageQuery],
        found: &HashMap<String, Option<CrateSummary>>,
    ) {
        let key = list_key(&shared.keys[self.source]);
        for query in queries
            .iter()
            .filter(|q| q.source == PackageSource::CratesIo)
        {
            if let Some(summary) = found.get(&query.name) {
                // Crate-level facts only: no record of the version, so no
                // checksum, and never evidence of who published it.
                let answer = Answer::Registry {
                    checksum: None,
                    assertion: None,
                    record: summary.as_ref().map(CrateSummary::record),
                };
                super::ask::store_answer(shared, query, &key, &answer);
            }
        }
    }
}

/// The crates list's answer for a package: asked up front in this run,
/// else cached. `None` when neither has one.
fn crate_summary(
    shared: &Shared,
    source: usize,
    query: &PackageQuery,
) -> Option<(Result<Option<CrateSummary>, SourceFailure>, bool)> {
    if let Some(answer) = shared.crates.get(&query.name) {
        return Some((answer.clone(), false));
    }
    let key = list_key(&shared.keys[source]);
    let entry = shared.take_cached(&key, query)?;
    match entry.value {
        Answer::Registry { record, .. } => Some((
            Ok(record.map(|r| CrateSummary {
                repository: r.repository,
                trustpub_only: r.trustpub_only,
            })),
            true,
        )),
        _ => None,
    }
}

/// The repository crates.io records for a package: the first on GitHub of
/// the one its trusted publisher used and the crate's `repository`, else
/// the first of them at all (so that GitHub, which cannot be asked about
/// it, says where the crate lives instead of "no repository").
fn discovered_repository(
    assertion: Option<&crate::origin::RegistryAssertion>,
    record: Option<&crate::origin::RegistryRecord>,
) -> Option<String> {
    let named = [
        assertion.map(|a| a.repository.clone()),
        record.and_then(|r| r.repository.clone()),
    ];
    let on_github = |url: &String| sources::repository_from_url(url).is_some();
    let mut named = named.into_iter().flatten();
    let first = named.next()?;
    if on_github(&first) {
        return Some(first);
    }
    Some(named.find(on_github).unwrap_or(first))
}

/// Where to look on GitHub when neither the policy nor the package's
/// manifest names its repository: crates.io's per-version record when it
/// is asked for anyway (returned, for the `crates-io` source to use), else
/// a cached one, else its crates list. A lookup hint only: what passes is
/// still decided by the verified bundle and the policy.
pub(super) async fn learn_repository(
    shared: &Shared,
    result: &mut PackageFetch,
    budget: &crate::limits::Budget,
) -> Option<(usize, Answered)> {
    if !needs_hint(shared, &result.query) {
        return None;
    }
    let source = crates_io_position(&shared.sources)?;
    let spec = &shared.sources[source];
    if wants_record(shared, spec, &result.query)
        || shared.in_cache(&shared.keys[source], &result.query)
    {
        let answered = ask_through_cache(shared, source, spec, &result.query, budget).await;
        if let Ok((
            Some(Reply::Answer(Answer::Registry {
                assertion, record, ..
            })),
            _,
        )) = &answered
        {
            result.query.repository_hint =
                discovered_repository(assertion.as_ref(), record.as_ref());
        }
        return Some((source, answered));
    }
    if let Some((Ok(Some(summary)), _)) = crate_summary(shared, source, &result.query) {
        result.query.repository_hint = summary.repository;
    }
    None
}

/// Whether the `crates-io` source asks crates.io for this package's
/// per-version record: every one asked for, a rule needing it, or a
/// bundle found (which its record cross-checks). A package from another
/// registry is "asked" too: the source says, without a request, that it
/// does not apply.
pub(super) fn asks_for_record(shared: &Shared, spec: &SourceSpec, result: &PackageFetch) -> bool {
    result.query.source != PackageSource::CratesIo
        || !result.documents.is_empty()
        || wants_record(shared, spec, &result.query)
}

/// The `crates-io` source's part when its per-version record is not asked for.
pub(super) enum Unasked {
    /// A cached per-version record: used as if asked.
    Cached(Answered),
    /// Nothing asked: this outcome (answered from the cache or not).
    Outcome(Outcome, bool),
}

/// The `crates-io` source's answer when its per-version record is not
/// asked for: a cached record, else what the crates list said where a rule
/// needs it, else not needed.
pub(super) fn without_asking(shared: &Shared, source: usize, result: &mut PackageFetch) -> Unasked {
    let key = &shared.keys[source];
    let label = &key.label;
    let options = &shared.options;
    if let Some(entry) = shared.take_cached(key, &result.query) {
        let reply = described(Reply::Answer(entry.value), label, &result.query);
        return Unasked::Cached(reply.map(|reply| (Some(reply), true)));
    }
    let wanted = result.query.needs.trustpub_only || needs_hint(shared, &result.query);
    let summary = if wanted {
        crate_summary(shared, source, &result.query)
    } else {
        None
    };
    match summary {
        None if wanted && options.offline => Unasked::Outcome(Outcome::NotCached, false),
        None => Unasked::Outcome(Outcome::NotNeeded, false),
        Some((Ok(summary), cached)) => {
            result.record = summary.as_ref().map(CrateSummary::record);
            let trustpub_only = summary.and_then(|s| s.trustpub_only);
            Unasked::Outcome(Outcome::CrateListed { trustpub_only }, cached)
        }
        Some((Err(failure), _)) => {
            result.errors.push(failure.for_source(label));
            Unasked::Outcome(
                Outcome::Error {
                    message: failure.message,
                },
                false,
            )
        }
    }
}

/// When the package's version was published, from the `crates-io`
/// source's sparse index, where a rule needs it; why not, when it cannot
/// be known.
pub(super) async fn find_publish_time(shared: &Shared, result: &mut PackageFetch) {
    let query = &result.query;
    if !query.needs.published || query.source != PackageSource::CratesIo {
        return;
    }
    let unknown = |message: String, kind: FailureKind, host: Option<String>| SourceError {
        source: "crates-io index".into(),
        message,
        kind,
        host,
    };
    let index = match &shared.index {
        Some(Ok(index)) => index,
        Some(Err(error)) => {
            result.published_unknown = Some(unknown(error.to_string(), FailureKind::Failed, None));
            return;
        }
        None => return,
    };
    let id = query.id();
    result.published_unknown = match index
        .listing(&query.name, &query.version, &query.checksum)
        .await
    {
        Ok(Listing::Listed {
            published: Some(published),
            ..
        }) => {
            result.published = Some(published);
            None
        }
        Ok(Listing::Listed {
            published: None, ..
        }) => Some(unknown(
            format!("{} lists {id} without a publish time", index.url()),
            FailureKind::Failed,
            None,
        )),
        Ok(Listing::NotListed) => Some(unknown(
            format!("{} does not list {id}", index.url()),
            FailureKind::Failed,
            None,
        )),
        Err(error) => {
            let (kind, host) = match &error {
                IndexError::Http(e) => (e.kind(), e.unreachable_host().map(str::to_string)),
                IndexError::NotCached { .. } => (FailureKind::NotCached, None),
                _ => (FailureKind::Failed, None),
            };
            Some(unknown(format!("{id}: {error}"), kind, host))
        }
    };
}
