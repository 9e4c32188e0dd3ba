//! One package's fetch: the order its sources are asked in, which of them
//! need not be asked, and what each reply adds to the package's result.
//! Apart from the run as a whole (`mod.rs`), which starts one such task per
//! package and holds what the tasks share.

use super::ask::ask_through_cache;
use super::registry;
use super::{Outcome, PackageFetch, Shared, SourceOutcome};
use crate::cache::Answer;
use crate::limits::Budget;
use crate::sources::{PackageQuery, Reply, SourceSpec};

/// Ask the sources about one package, in order, all of them within one
/// [`Budget`]: no server can make one package hold more than its limits.
pub(super) async fn fetch_package(shared: &Shared, query: PackageQuery) -> PackageFetch {
    let budget = Budget::default();
    let mut result = PackageFetch::nothing_for(query);
    let mut early = registry::learn_repository(shared, &mut result, &budget).await;
    registry::find_publish_time(shared, &mut result).await;
    // Registries last, whatever their place: whether their record is asked
    // for depends on the bundles found. Outcomes are kept in source order.
    let is_registry = |spec: &SourceSpec| matches!(spec, SourceSpec::CratesIo { .. });
    let mut order: Vec<usize> = (0..shared.sources.len()).collect();
    order.sort_by_key(|&index| is_registry(&shared.sources[index]));
    let mut outcomes = Vec::with_capacity(order.len());
    for index in order {
        let spec = &shared.sources[index];
        let label = &shared.keys[index].label;
        let is_registry = is_registry(spec);
        let mut outcome = |outcome, cached| {
            let at = SourceOutcome {
                source: label.clone(),
                outcome,
                cached,
            };
            outcomes.push((index, at));
        };
        let asked_early = early.take_if(|(at, _)| *at == index).map(|(_, a)| a);
        // Bundles found: later bundle sources add nothing. The registry is
        // asked all the same: its record is checked against the bundle.
        let settled = if is_registry {
            result.registry.is_some() || result.record.is_some()
        } else {
            !result.documents.is_empty()
        };
        if asked_early.is_none() && settled {
            outcome(Outcome::NotAsked, false);
            continue;
        }
        let answered = match asked_early {
            Some(answered) => answered,
            None if is_registry && !registry::asks_for_record(shared, spec, &result) => {
                match registry::without_asking(shared, index, &mut result) {
                    registry::Unasked::Cached(answered) => answered,
                    registry::Unasked::Outcome(unasked, cached) => {
                        outcome(unasked, cached);
                        continue;
                    }
                }
            }
            None => ask_through_cache(shared, index, spec, &result.query, &budget).await,
        };
        let entry = match answered {
            Ok((reply, cached)) => (take_reply(&mut result, reply), cached),
            Err(failure) => {
                result.errors.push(failure.for_source(label));
                let message = failure.message;
                (Outcome::Error { message }, false)
            }
        };
        outcome(entry.0, entry.1);
    }
    outcomes.sort_by_key(|(index, _)| *index);
    result.outcomes = outcomes.into_iter().map(|(_, o)| o).collect();
    // The index could not say: the registry's record may.
    if result.published.is_none() {
        if let Some(published) = result.record.as_ref().and_then(|r| r.published) {
            result.published = Some(published);
            result.published_unknown = None;
        }
    }
    result
}

/// Add what a source replied to the package's result; the outcome to show.
fn take_reply(result: &mut PackageFetch, reply: Option<Reply>) -> Outcome {
    match reply {
        None => Outcome::NotCached,
        Some(Reply::NotApplicable(reason)) => Outcome::NotApplicable { reason },
        Some(Reply::Answer(Answer::NoAttestation)) => Outcome::NoAttestation,
        Some(Reply::Answer(Answer::Registry {
            assertion, record, ..
        })) => {
            let asserted = assertion.is_some();
            // Evaluation weighs it: the level of evidence where no
            // bundle verified, a cross-check where one did.
            if result.registry.is_none() {
                result.registry = assertion;
            }
            if result.record.is_none() {
                result.record = record;
            }
            Outcome::Registry { asserted }
        }
        Some(Reply::Answer(Answer::Bundles { documents, ignored })) => {
            let counts = Outcome::Bundles {
                documents: documents.len(),
                ignored: ignored.len(),
            };
            result.documents.extend(documents);
            result.ignored.extend(ignored);
            counts
        }
    }
}
