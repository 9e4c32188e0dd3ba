//! The whole job: inventory → policy → trust roots → fetch → verify →
//! evaluate. [`collect`] runs it for a [`RunConfig`] and returns a [`Run`],
//! which every report, `explain`, `diff` and `init` are made from;
//! [`collect_async`] does the same for async callers.

mod config;
mod error;
mod git_progress;
mod hints;

pub(crate) use config::{lone_lockfile, policy_dir, queries, query_for};
pub use config::{InventorySelection, RunConfig};
pub use error::{RunError, StageError};

use crate::cache::{Cache, SourceKey};
use crate::crate_file::CrateRef;
use crate::evaluate::{evaluate, Evaluation};
use crate::evidence::{Evidence, SourceError};
use crate::fetch::{self, PackageFetch};
use crate::lockfile::Inventory;
use crate::policy::{Effective, Policy};
use crate::source_compare;
use crate::sources::{PackageQuery, SourceSpec};
use crate::trust::TrustRoot;

type Result<T, E = RunError> = std::result::Result<T, E>;

/// Everything one run found and decided.
pub struct Run {
    pub inventory: Inventory,
    pub policy: Policy,
    pub roots: Vec<TrustRoot>,
    pub sources: Vec<SourceSpec>,
    /// One per package of the inventory, in its order (empty for packages
    /// without a checksum, which no source is asked about).
    pub evidence: Vec<Evidence>,
    pub evaluation: Evaluation,
    /// Things the user should know that change no outcome (an old trust
    /// root, a cache entry that could not be written).
    pub notes: Vec<Note>,
    /// Offline, the packages some source had no cached answer for, with the fix.
    pub missing_from_cache: Option<String>,
    pub now: jiff::Timestamp,
    /// What each source answered, per package of the inventory, in its
    /// order (empty for packages no source was asked about): whether the
    /// answer came from the cache is what `explain` shows.
    pub(crate) source_outcomes: Vec<Vec<fetch::SourceOutcome>>,
}

/// Something a run noticed that changes no outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// A stable kebab-case code.
    pub code: &'static str,
    pub message: String,
}

/// Run the whole job for the inventory the configuration names, blocking
/// until it is done.
///
/// It may be called from anywhere, inside an async runtime too: there it
/// runs on a thread of its own (the fetch has its own runtime, and
/// verification runs on rayon's pool), so the caller's runtime is never
/// entered twice. Async code that must not block should await
/// [`collect_async`] instead.
///
/// Steps, in order:
/// 1. read the lockfile (the inventory or lockfile given, else the
///    workspace through cargo);
/// 2. load the policy (the file given, else discovered from the workspace
///    root or the lockfile's folder, else the default policy), and limit
///    the inventory to the scope (the configured targets and dev
///    dependencies, else the policy's `[graph]`);
/// 3. load the trust roots (the configured ones, else the policy's
///    `[trust] roots`; the public-good and GitHub roots come from the
///    TUF-refreshed cache when present, else from the binary);
/// 4. fetch every registry package in scope's bundles from the sources (the
///    configured ones, then the policy's, else github and crates-io),
///    through the cache; offline, from the cache and local folders only;
/// 5. verify every bundle against the roots, in parallel; only a verified
///    bundle whose subject is the package's checksum counts;
/// 6. evaluate the policy over every package and what was found for it.
pub fn collect(config: &RunConfig) -> Result<Run> {
    if tokio::runtime::Handle::try_current().is_err() {
        return collect_here(config);
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("cargo-verify-provenance".into())
            .spawn_scoped(scope, || collect_here(config))
            .map_err(RunError::thread)?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// [`collect`] for async code: the run goes on a thread of its own and the
/// returned future waits for it without blocking the caller's executor
/// (any executor, not only tokio's).
pub async fn collect_async(config: &RunConfig) -> Result<Run> {
    let config = config.clone();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("cargo-verify-provenance".into())
        .spawn(move || {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| collect_here(&config)));
            // The receiver is gone only when the caller dropped the future.
            let _ = sender.send(outcome);
        })
        .map_err(RunError::thread)?;
    match receiver.await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => unreachable!("the run's thread always sends before it ends"),
    }
}

/// The run itself, on the calling thread, which must not be inside an
/// async runtime.
fn collect_here(config: &RunConfig) -> Result<Run> {
    let now = config.now;
    let mut inventory = config.load_inventory()?;
    let policy = config.load_policy(&inventory)?;
    let mut notes: Vec<Note> = Vec::new();
    config.apply_scope(&mut inventory, &policy, &mut notes)?;
    let cache = config.open_cache()?;
    let roots = config.trust_roots(&policy, &cache, &mut notes)?;
    let sources = config.sources(&policy);
    // Each package's requirements, once: what to ask, which bundles speak for it.
    let requirements = config::requirements_of_all(&policy, &inventory);
    let (positions, mut queries) = queries_to_ask(config, &inventory, &policy, &requirements);
    let crates: Vec<CrateRef> = queries.iter().map(crate_ref).collect();
    // The comparison's first pass reads each package's manifest, which
    // also says where GitHub should look for its bundles.
    let preparation = config.source_comparison.then(|| {
        source_compare::prepare_all(&crates, Some(&cache), &config.compare_options(&sources))
    });
    match &preparation {
        Some(preparation) => hints::from_comparison(&mut queries, &sources, preparation),
        None => manifest_hints(config, &sources, Some(&cache), &mut queries),
    }
    let fetch_options = config.fetch_options(&policy);
    let (mut fetch_report, mut verified) =
        fetch_and_verify(queries, &sources, &cache, &fetch_options, &roots)?;
    if !fetch_options.offline {
        let fetched = Fetched {
            report: &mut fetch_report,
            evidence: &mut verified,
        };
        fetched.ask_again_for_rejected(&sources, &cache, &fetch_options, &roots)?;
    }
    let missing_from_cache = fetch_report.missing_message();
    let progress = git_progress::GitProgress::new(config.progress, config.progress_lines.clone());
    let compared = preparation
        .map(|preparation| preparation.compare(Some(&cache), Some(&progress)))
        .unwrap_or_default();
    progress.finish();
    let cache_warnings = fetch_report.warnings.iter().chain(&compared.warnings);
    notes.extend(cache_warnings.map(|message| Note {
        code: "cache-warning",
        message: message.clone(),
    }));
    // Without the comparison, there are no results to go with the fetches.
    let mut source_matches = compared.results.into_iter().map(Some);
    let mut evidence = vec![Evidence::default(); inventory.packages.len()];
    let mut source_outcomes = vec![Vec::new(); inventory.packages.len()];
    for ((position, fetched), found) in positions
        .into_iter()
        .zip(fetch_report.packages)
        .zip(verified)
    {
        evidence[position] = found;
        evidence[position].source_match = source_matches.next().flatten();
        source_outcomes[position] = fetched.outcomes;
    }
    mark_other_repositories(&inventory, &requirements, &mut evidence);
    let evaluation = evaluate(&policy, inventory.packages.iter().zip(evidence.iter()), now);
    Ok(Run {
        inventory,
        policy,
        roots,
        sources,
        evidence,
        evaluation,
        notes,
        missing_from_cache,
        now,
        source_outcomes,
    })
}

/// A bundle from another repository is reported, never held against the
/// registry's record: marked so in each package's evidence.
fn mark_other_repositories(
    inventory: &Inventory,
    requirements: &[Effective<'_>],
    evidence: &mut [Evidence],
) {
    for ((package, found), effective) in (inventory.packages.iter())
        .zip(evidence.iter_mut())
        .zip(requirements)
    {
        crate::evaluate::mark_other_repositories(effective, package, found);
    }
}

/// What to ask the sources, and for which package of the inventory (its
/// position): every package that needs provenance, among those the
/// configuration names, and what its rule needs asked.
fn queries_to_ask(
    config: &RunConfig,
    inventory: &Inventory,
    policy: &Policy,
    requirements: &[Effective<'_>],
) -> (Vec<usize>, Vec<PackageQuery>) {
    inventory
        .packages
        .iter()
        .enumerate()
        .filter(|(_, package)| package.needs_provenance())
        .filter(|(index, _)| config.only.as_ref().is_none_or(|only| only.contains(index)))
        .filter_map(|(index, package)| {
            let compared = package
                .checksum
                .is_some_and(|c| config.compared.contains(&c.to_hex()));
            query_for(package, &requirements[index], policy, compared).map(|query| (index, query))
        })
        .unzip()
}

/// What `fetch` does beyond asking the sources, so that a later offline
/// run needs nothing more: every package's source comparison made and
/// cached (one git fetch per repository and commit), and where GitHub
/// should look for the packages nothing else places, from the manifests
/// that comparison reads (without it, [`manifest_hints`]). The comparison's
/// results are only cached: the check computes them again from the cache.
pub(crate) fn prefetch_sources(
    config: &RunConfig,
    sources: &[SourceSpec],
    cache: &Cache,
    queries: &mut [PackageQuery],
) {
    if !config.source_comparison {
        return manifest_hints(config, sources, Some(cache), queries);
    }
    let crates: Vec<CrateRef> = queries.iter().map(crate_ref).collect();
    let preparation =
        source_compare::prepare_all(&crates, Some(cache), &config.compare_options(sources));
    hints::from_comparison(queries, sources, &preparation);
    let progress = git_progress::GitProgress::new(config.progress, config.progress_lines.clone());
    preparation.compare(Some(cache), Some(&progress));
    progress.finish();
}

/// Where to look on GitHub for the packages whose repository neither the
/// policy nor cargo's metadata names: their own manifest's `repository`,
/// read from the `.crate` the source comparison reads too (cargo's cache,
/// else the registry's download endpoint; offline, cargo's cache only).
pub(crate) fn manifest_hints(
    config: &RunConfig,
    sources: &[SourceSpec],
    cache: Option<&Cache>,
    queries: &mut [PackageQuery],
) {
    let http = if config.offline {
        None
    } else {
        crate::http::Http::new(config.http.clone()).ok()
    };
    let locator = config
        .compare_options(sources)
        .locator_with(http.as_ref(), cache);
    hints::from_manifests(
        queries,
        sources,
        cache,
        &locator,
        http.as_ref(),
        config.jobs.clamp(1, 16),
    );
}

/// The package a query is about, as the source comparison finds it.
pub(crate) fn crate_ref(query: &PackageQuery) -> CrateRef {
    CrateRef {
        name: query.name.clone(),
        version: query.version.clone(),
        checksum: query.checksum,
        source: query.source.clone(),
    }
}

/// Fetch every query's bundles and verify them as they arrive: fetching
/// (network and disk) and verification (CPU, on rayon's pool) overlap, and
/// each package's bundle documents are dropped once verified, so memory
/// stays bounded by the packages in flight rather than the lockfile's size.
///
/// Returns the fetch report (in query order, each result without its
/// documents) and the evidence verified from each result.
fn fetch_and_verify(
    queries: Vec<PackageQuery>,
    sources: &[SourceSpec],
    cache: &Cache,
    options: &fetch::FetchOptions,
    roots: &[TrustRoot],
) -> Result<(fetch::FetchReport, Vec<Evidence>)> {
    use rayon::iter::{ParallelBridge, ParallelIterator};
    let count = queries.len();
    let admission = fetch::Admission::for_jobs(options.jobs);
    // Unbounded, but never holds more than the admission lets through.
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, PackageFetch)>();
    let (warnings, mut verified) = std::thread::scope(|scope| {
        let consumer_admission = admission.clone();
        let verifier = scope.spawn(move || {
            receiver
                .into_iter()
                .par_bridge()
                .map(|(position, mut fetched)| {
                    let mut evidence = fetched.verify(roots);
                    add_offline_gaps(&fetched, &mut evidence);
                    fetched.documents = Vec::new();
                    consumer_admission.finished_one();
                    (position, fetched, evidence)
                })
                .collect::<Vec<_>>()
        });
        let warnings = fetch::fetch_each(
            queries,
            sources,
            Some(cache),
            options,
            Some(&admission),
            |position, fetched| {
                // The receiver lives until every result is in; a send can only
                // fail if verification panicked, which the join below reports.
                let _ = sender.send((position, fetched));
            },
        );
        drop(sender);
        let verified = verifier
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (warnings, verified)
    });
    let warnings = warnings.map_err(RunError::fetch)?;
    verified.sort_by_key(|(position, _, _)| *position);
    debug_assert_eq!(verified.len(), count);
    let (packages, evidence) = verified.into_iter().map(|(_, f, e)| (f, e)).unzip();
    Ok((fetch::FetchReport { packages, warnings }, evidence))
}

/// A fetch's results and the evidence verified from them, in query order.
struct Fetched<'a> {
    report: &'a mut fetch::FetchReport,
    evidence: &'a mut [Evidence],
}

impl Fetched<'_> {
    /// A cached answer whose bundle failed verification is not kept: the
    /// answer may have been planted, or written by a server since fixed.
    /// Each such entry is removed from the cache, and its package is
    /// fetched and verified again (once; what the sources answer then is
    /// what counts, and is stored). Only for an online run: offline, the
    /// failure stands.
    fn ask_again_for_rejected(
        self,
        sources: &[SourceSpec],
        cache: &Cache,
        options: &fetch::FetchOptions,
        roots: &[TrustRoot],
    ) -> Result<()> {
        let keys: Vec<SourceKey> = sources.iter().map(SourceSpec::cache_key).collect();
        let mut again = Vec::new();
        for (position, (fetched, evidence)) in self
            .report
            .packages
            .iter()
            .zip(self.evidence.iter())
            .enumerate()
        {
            let rejected = |label: &str| evidence.rejected.iter().any(|r| r.origin.source == label);
            // One outcome per source, in the sources' order.
            let dropped: Vec<&SourceKey> = fetched
                .outcomes
                .iter()
                .zip(&keys)
                .filter(|(outcome, _)| outcome.cached && rejected(&outcome.source))
                .map(|(_, key)| key)
                .collect();
            for key in &dropped {
                let identity = key.answer_identity(&fetched.query.checksum);
                if let Err(error) = cache.remove_entry(&identity) {
                    self.report.warnings.push(error.to_string());
                }
            }
            if !dropped.is_empty() {
                again.push(position);
            }
        }
        if again.is_empty() {
            return Ok(());
        }
        let queries = again
            .iter()
            .map(|&position| self.report.packages[position].query.clone())
            .collect();
        let quiet = fetch::FetchOptions {
            announce: None,
            progress: false,
            progress_lines: None,
            ..options.clone()
        };
        let (report, evidence) = fetch_and_verify(queries, sources, cache, &quiet, roots)?;
        self.report.warnings.extend(report.warnings);
        for ((position, fetched), found) in again.into_iter().zip(report.packages).zip(evidence) {
            self.report.packages[position] = fetched;
            self.evidence[position] = found;
        }
        Ok(())
    }
}

/// Offline, a source that has no cached answer could not be asked: the
/// package is not known to lack provenance, so it must not count as if
/// every source had answered (which could make "missing" out of "unknown").
fn add_offline_gaps(fetched: &PackageFetch, evidence: &mut Evidence) {
    if !fetched.missing_from_cache() {
        return;
    }
    for outcome in &fetched.outcomes {
        if outcome.outcome == fetch::Outcome::NotCached {
            evidence.errors.push(SourceError {
                kind: crate::evidence::FailureKind::NotCached,
                ..SourceError::new(
                    outcome.source.clone(),
                    "no cached answer, and this run is offline; run `cargo verify-provenance fetch` while online",
                )
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::evaluate::Outcome;
    use crate::exit;

    fn demo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
    }

    /// The demo under one of its policies, configured in code: no argument
    /// is parsed, nothing reaches the network.
    fn demo_config(policy: &str, cache: &Path) -> RunConfig {
        RunConfig {
            inventory: InventorySelection::Lockfile(demo().join("Cargo.lock")),
            policy: Some(demo().join(policy)),
            cache_dir: Some(cache.to_path_buf()),
            offline: true,
            now: "2026-06-01T00:00:00Z".parse().unwrap(),
            ..RunConfig::default()
        }
    }

    #[test]
    fn a_run_configured_in_code_checks_the_demo() {
        let cache = tempfile::tempdir().unwrap();
        let run = collect(&demo_config("provenance.toml", cache.path())).unwrap();

        assert_eq!(run.inventory.packages.len(), 47);
        assert_eq!(run.evidence.len(), run.inventory.packages.len());
        assert_eq!(run.policy.path, Some(demo().join("provenance.toml")));
        // The policy's own root and `dir` source replace the defaults.
        assert_eq!(run.roots.len(), 1);
        assert_eq!(
            run.sources,
            [SourceSpec::Dir {
                path: demo().join("bundles")
            }]
        );
        let verified = run
            .evaluation
            .outcomes
            .iter()
            .filter(|o| matches!(o.outcome, Outcome::Pass { bundle: Some(_) }))
            .count();
        let counts = run.evaluation.counts();
        assert!(verified > 30, "{counts:?}");
        assert!(counts.exempt > 0 && counts.no_provenance > 0, "{counts:?}");
        assert_eq!(counts.not_checked, 0, "{counts:?}");
        assert_eq!(counts.violation + counts.error, 0, "{counts:?}");
        assert_eq!(run.evaluation.exit_code(), exit::PASS);
        assert!(run.missing_from_cache.is_none());
    }

    #[test]
    fn the_same_run_under_the_strict_demo_policy_finds_violations() {
        let cache = tempfile::tempdir().unwrap();
        let run = collect(&demo_config("provenance-strict.toml", cache.path())).unwrap();
        assert!(run.evaluation.counts().violation > 0);
        assert_eq!(run.evaluation.exit_code(), exit::VIOLATION);
    }

    #[test]
    fn configured_roots_replace_the_policys() {
        let cache = tempfile::tempdir().unwrap();
        let mut config = demo_config("provenance.toml", cache.path());
        config.roots = Some(vec![crate::policy::RootSpec::Instance {
            instance: crate::trust::Instance::Staging,
        }]);
        let run = collect(&config).unwrap();
        assert_eq!(run.roots.len(), 1);
        assert_eq!(run.roots[0].name, "staging");
        // Nothing the demo's own instance signed verifies against staging.
        assert!(run.evaluation.counts().violation > 0);
    }
}
