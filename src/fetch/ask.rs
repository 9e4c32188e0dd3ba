//! One source asked about one package, through the cache: its entry when
//! the cache has a usable one, else the source itself, whose answer is
//! stored as it arrives. Shared by each package's fetch (`package.rs`) and
//! the registry's part (`registry.rs`).

use super::limit_memory::remember_limit;
use super::Shared;
use crate::cache::{Answer, Entry, SourceKey};
use crate::limits::Budget;
use crate::sources::{self, FailureCause, PackageQuery, Reply, SourceFailure, SourceSpec};

/// A source's reply for one package, with whether it came from the cache.
pub(super) type Answered = Result<(Option<Reply>, bool), SourceFailure>;

/// One source's reply for one package: "not applicable" when the query
/// alone says so ([`sources::not_applicable`], the same online and
/// offline), else from the cache when it has a usable entry, else from the
/// source (and then stored). `Ok((None, _))`: offline and not cached. A
/// registry record that does not describe the package's `.crate` file is
/// refused ([`described`]), and never stored.
pub(super) async fn ask_through_cache(
    shared: &Shared,
    index: usize,
    spec: &SourceSpec,
    query: &PackageQuery,
    budget: &Budget,
) -> Result<(Option<Reply>, bool), SourceFailure> {
    let key = &shared.keys[index];
    let options = &shared.options;
    // Online and offline alike, a source that does not apply says so.
    if let Some(reason) = sources::not_applicable(spec, query) {
        return Ok((Some(Reply::NotApplicable(reason)), false));
    }
    let remote = spec.is_remote();
    if remote {
        if let Some(entry) = shared.take_cached(key, query) {
            let reply = described(Reply::Answer(entry.value), &key.label, query)?;
            return Ok((Some(reply), true));
        }
        if options.offline {
            return Ok((None, false));
        }
    }
    if let Some(failure) = shared.stopped[index].get() {
        return Err(failure.clone());
    }
    let reply = ask_source(shared, index, spec, query, budget)
        .await
        .inspect_err(|failure| {
            if failure.stop_source && shared.stopped[index].set(failure.clone()).is_ok() {
                remember_limit(shared, index, failure);
            }
        })?;
    let reply = described(reply, &key.label, query)?;
    if let (true, Reply::Answer(answer)) = (remote, &reply) {
        store_answer(shared, query, key, answer);
    }
    Ok((Some(reply), false))
}

/// Ask source `index` about one package: from its bulk listing when it
/// listed the package's digest, else directly.
async fn ask_source(
    shared: &Shared,
    index: usize,
    spec: &SourceSpec,
    query: &PackageQuery,
    budget: &Budget,
) -> Result<Reply, SourceFailure> {
    let label = &shared.keys[index].label;
    match (shared.listed[index].get(&query.checksum), &shared.http) {
        (Some(listing), Some(http)) => {
            let state = &shared.state;
            sources::answer_listed(http, label, listing, &query.checksum, state, budget).await
        }
        _ => sources::ask(spec, query, shared.http.as_ref(), &shared.state, budget).await,
    }
}

/// `reply`, unless it is a registry record of another `.crate` file than
/// the package's, or of none: such a record is no evidence for the
/// package (its publisher, its publish time, its `trustpub_only`), and is
/// refused as the source's failure to answer.
pub(super) fn described(
    reply: Reply,
    label: &str,
    query: &PackageQuery,
) -> Result<Reply, SourceFailure> {
    let recorded = match &reply {
        Reply::Answer(answer @ Answer::Registry { checksum, .. })
            if !answer.describes(&query.checksum) =>
        {
            checksum.as_ref().map_or_else(
                || "no checksum".to_string(),
                |checksum| format!("checksum {checksum}"),
            )
        }
        _ => return Ok(reply),
    };
    Err(SourceFailure::new(
        FailureCause::OtherChecksum,
        format!(
            "{label}: the registry's record of {} names {recorded}, not the .crate file Cargo.lock pins (sha256:{}): it is no evidence for it",
            query.id(),
            query.checksum.to_hex()
        ),
    ))
}

/// Cache `source`'s answer for a package the moment it arrives (an
/// interrupted run resumes from there); a failed write is a warning.
pub(super) fn store_answer(
    shared: &Shared,
    query: &PackageQuery,
    source: &SourceKey,
    answer: &Answer,
) {
    let Some(cache) = &shared.cache else {
        return;
    };
    // Written from the answer itself: no second copy of it is made.
    let entry = Entry::new(
        source.answer_identity(&query.checksum),
        shared.options.now,
        answer,
    );
    if let Err(error) = cache.write_entry(&entry) {
        if let Ok(mut warnings) = shared.warnings.lock() {
            warnings.push(error.to_string());
        }
    }
    // What was read of this entry before is no longer what it holds.
    if let Ok(mut reads) = shared.reads.0.lock() {
        reads.remove(&entry.identity.relative_path());
    }
}
