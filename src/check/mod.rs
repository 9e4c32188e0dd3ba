//! The whole job: inventory → policy → trust roots → fetch → verify →
//! evaluate. [`collect`] runs it and returns a [`Run`], which every report,
//! `explain`, `diff` and `init` are made from.

pub mod command;

use std::path::{Path, PathBuf};

use miette::Result;

use crate::cache::Cache;
use crate::cli::{load_inventory, GlobalOptions};
use crate::evaluate::{evaluate, Evaluation};
use crate::evidence::{Evidence, SourceError};
use crate::fetch::{self, PackageFetch};
use crate::lockfile::Inventory;
use crate::policy::{Policy, RootSpec};
use crate::sources::{PackageQuery, SourceSpec};
use crate::trust::tuf::roots_for_run;
use crate::trust::{Instance, TrustRoot};

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
    pub source_outcomes: Vec<Vec<fetch::SourceOutcome>>,
}

/// Something a run noticed that changes no outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// A stable kebab-case code.
    pub code: &'static str,
    pub message: String,
}

/// What the run needs beyond the global options.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Audit this lockfile instead of the workspace's (for `diff`).
    pub lockfile: Option<PathBuf>,
    /// Audit this inventory, already read (wins over `lockfile`).
    pub inventory: Option<Inventory>,
}

/// Run the whole job for the inventory the options name.
///
/// Steps, in order:
/// 1. read the lockfile (the inventory or lockfile given, else `--lockfile`,
///    else the workspace through cargo);
/// 2. load the policy (`--policy`, else discovered from the workspace root
///    or the lockfile's folder, else the default policy);
/// 3. load the trust roots (`--trusted-root`/`--staging`, else the policy's
///    `[trust] roots`; the public-good and GitHub roots come from the
///    TUF-refreshed cache when present, else from the binary);
/// 4. fetch every registry package's bundles from the sources (`--source`,
///    then the policy's, else github and crates-io), through the cache;
///    offline, from the cache and local folders only;
/// 5. verify every bundle against the roots, in parallel; only a verified
///    bundle whose subject is the package's checksum counts;
/// 6. evaluate the policy over every package and what was found for it.
pub fn collect(global: &GlobalOptions, options: &RunOptions) -> Result<Run> {
    let now = global.now();
    let inventory = match (&options.inventory, &options.lockfile) {
        (Some(inventory), _) => inventory.clone(),
        (None, Some(path)) => Inventory::from_lockfile(path)?,
        (None, None) => load_inventory(global)?,
    };
    let policy = Policy::resolve(global.policy.as_deref(), &policy_dir(&inventory), now)?;
    let cache_dir = Cache::resolve_dir(global.cache_dir.as_deref())?;
    let cache = Cache::open(&cache_dir)?;
    let mut notes: Vec<Note> = Vec::new();
    let roots = trust_roots(global, &policy, &cache, now, &mut notes)?;
    let sources = fetch::command::configured_sources(global, &policy);

    let queries: Vec<(usize, PackageQuery)> = inventory
        .packages
        .iter()
        .enumerate()
        .filter(|(_, package)| !package.workspace_member)
        .filter_map(|(index, package)| {
            let expected = policy.expected_repository(&package.name, &package.version);
            PackageQuery::for_package(package, expected).map(|query| (index, query))
        })
        .collect();
    let (positions, queries): (Vec<usize>, Vec<PackageQuery>) = queries.into_iter().unzip();
    let fetch_options = fetch::command::options(global, &policy, None);
    let (fetch_report, verified) =
        fetch_and_verify(queries, &sources, &cache, &fetch_options, &roots)?;
    notes.extend(fetch_report.warnings.iter().map(|message| Note {
        code: "cache-warning",
        message: message.clone(),
    }));
    let missing_from_cache = fetch_report.missing_message();

    let mut evidence = vec![Evidence::default(); inventory.packages.len()];
    let mut source_outcomes = vec![Vec::new(); inventory.packages.len()];
    for ((position, fetched), found) in positions
        .into_iter()
        .zip(fetch_report.packages)
        .zip(verified)
    {
        evidence[position] = found;
        source_outcomes[position] = fetched.outcomes;
    }
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
    let warnings = warnings?;
    verified.sort_by_key(|(position, _, _)| *position);
    debug_assert_eq!(verified.len(), count);
    let (packages, evidence) = verified.into_iter().map(|(_, f, e)| (f, e)).unzip();
    Ok((fetch::FetchReport { packages, warnings }, evidence))
}

/// The folder a policy belongs to: the workspace root, else the lockfile's
/// folder. Discovery starts here, and `init` writes here.
pub fn policy_dir(inventory: &Inventory) -> PathBuf {
    inventory.workspace_root.clone().unwrap_or_else(|| {
        inventory
            .lockfile
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    })
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
                source: outcome.source.clone(),
                message: "no cached answer, and this run is offline; run `cargo verify-provenance fetch` while online".into(),
            });
        }
    }
}

/// The trust roots of a run. `--trusted-root` and `--staging` replace the
/// policy's list. Named public-good and GitHub roots come from the TUF
/// cache when it holds a verified copy (else the embedded snapshot); a
/// warning is noted when the copy is older than the policy's `max-age`.
fn trust_roots(
    global: &GlobalOptions,
    policy: &Policy,
    cache: &Cache,
    now: jiff::Timestamp,
    notes: &mut Vec<Note>,
) -> Result<Vec<TrustRoot>> {
    let specs: Vec<RootSpec> = match (&global.trusted_root, global.staging) {
        (Some(path), _) => vec![RootSpec::File { path: path.clone() }],
        (None, true) => vec![RootSpec::Instance {
            instance: Instance::Staging,
        }],
        (None, false) => policy.trust.roots(),
    };
    let needs_refreshed = specs.iter().any(
        |spec| matches!(spec, RootSpec::Instance { instance } if *instance != Instance::Staging),
    );
    let mut refreshed = if needs_refreshed {
        let in_use = roots_for_run(Some(cache), now, signed(policy.trust.max_age()))?;
        notes.extend(in_use.warnings.into_iter().map(|message| Note {
            // The cached copy is either old or unusable (the embedded one is used).
            code: if message.contains("cannot be used") {
                "trust-root-cache-unusable"
            } else {
                "trust-root-old"
            },
            message,
        }));
        in_use.roots
    } else {
        Vec::new()
    };
    let mut roots = Vec::with_capacity(specs.len());
    for spec in specs {
        let root = match spec {
            RootSpec::File { path } => TrustRoot::from_file(&path)?,
            RootSpec::Instance {
                instance: Instance::Staging,
            } => TrustRoot::embedded(Instance::Staging)?,
            RootSpec::Instance { instance } => {
                match refreshed
                    .iter()
                    .position(|root| root_instance(root) == Some(instance))
                {
                    Some(position) => refreshed.swap_remove(position),
                    None => TrustRoot::embedded(instance)?,
                }
            }
        };
        roots.push(root);
    }
    Ok(roots)
}

fn root_instance(root: &TrustRoot) -> Option<Instance> {
    use crate::trust::RootOrigin;
    match &root.origin {
        RootOrigin::Embedded { instance } | RootOrigin::Tuf { instance, .. } => Some(*instance),
        RootOrigin::File { .. } => None,
    }
}

/// A policy duration as jiff's; beyond its range means "forever".
fn signed(duration: std::time::Duration) -> jiff::SignedDuration {
    jiff::SignedDuration::try_from(duration).unwrap_or(jiff::SignedDuration::MAX)
}
