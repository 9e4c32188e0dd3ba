//! What a run is configured with, and everything resolved from it: the
//! inventory, the policy, the cache, the sources, the fetch options and the
//! trust roots. Every command resolves these here, so that a setting means
//! the same thing everywhere.

use std::path::{Path, PathBuf};

use super::{Note, Result, RunError};
use crate::cache::Cache;
use crate::fetch::{Announcer, FetchOptions, ProgressLines, DEFAULT_NO_ATTESTATION_TTL};
use crate::http::HttpConfig;
use crate::lockfile::{GraphOrigin, Inventory, MetadataOptions, Scope};
use crate::policy::{Policy, RootSpec, SearchFrom, SourceSpec};
use crate::source_compare::CompareOptions;
use crate::sources::{default_sources, GitHubAuth, PackageQuery};
use crate::trust::tuf::roots_for_run;
use crate::trust::{Instance, RootOrigin, TrustRoot};

/// Which packages a run audits.
#[derive(Debug, Clone)]
pub enum InventorySelection {
    /// The workspace, through `cargo metadata`.
    Workspace {
        /// The workspace's `Cargo.toml`; found from the current directory when `None`.
        manifest_path: Option<PathBuf>,
    },
    /// A bare lockfile: no manifest, no cargo call.
    Lockfile(PathBuf),
    /// An inventory already read.
    Loaded(Box<Inventory>),
}

impl Default for InventorySelection {
    fn default() -> Self {
        Self::Workspace {
            manifest_path: None,
        }
    }
}

/// The typed configuration of a run. The command line is one way to make
/// it; a program embedding the checks starts from [`RunConfig::default`]
/// (the workspace of the current folder, its policy, the default sources
/// and roots, the user's cache, online, now) and changes what it needs with
/// the `with_…` setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunConfig {
    pub(crate) inventory: InventorySelection,
    /// The policy file; discovered from the workspace root (or the
    /// lockfile's folder) when `None`, else the default policy.
    pub(crate) policy: Option<PathBuf>,
    /// Trust roots that replace the policy's `[trust] roots`.
    pub(crate) roots: Option<Vec<RootSpec>>,
    /// Sources tried before the policy's `[[source]]` tables.
    pub(crate) sources: Vec<SourceSpec>,
    /// The cache directory; the user cache directory when `None`.
    pub(crate) cache_dir: Option<PathBuf>,
    /// Use only the cache and local sources; make no network connection.
    pub(crate) offline: bool,
    /// The time everything is judged at.
    pub(crate) now: jiff::Timestamp,
    /// Packages fetched at once.
    pub(crate) jobs: usize,
    pub(crate) http: HttpConfig,
    /// Show a progress bar on stderr while fetching.
    pub(crate) progress: bool,
    /// Where stderr is a log: a progress line at most this often.
    pub(crate) progress_lines: Option<ProgressLines>,
    /// The token sent to the GitHub API, and the one API it is sent to.
    pub(crate) github_auth: GitHubAuth,
    /// Hosts a `github` source's `bundle_url` may name besides GitHub's own
    /// blob storage (GitHub Enterprise).
    pub(crate) github_bundle_hosts: Vec<String>,
    /// How long a cached "no attestation" answer is used; the policy's
    /// `[cache]` setting when `None`.
    pub(crate) no_attestation_ttl: Option<jiff::SignedDuration>,
    /// Told up front what the run asks of rate-limited services.
    pub(crate) announce: Option<Announcer>,
    /// Check only what is built for these targets; the policy's `[graph]
    /// targets` when empty.
    pub(crate) targets: Vec<String>,
    /// Leave out packages that only dev-dependencies bring in (also when
    /// the policy's `[graph] exclude-dev` says so).
    pub(crate) exclude_dev: bool,
    /// Fetch and verify only these packages (positions in the inventory);
    /// every package when `None`. `explain` asks about one package only:
    /// no other package's outcome decides it.
    pub(crate) only: Option<Vec<usize>>,
    /// Compare every registry package with its repository at the commit
    /// it was packaged from (the source comparison).
    pub(crate) source_comparison: bool,
    /// Cargo's home, whose download cache holds `.crate` files; the
    /// environment's (`CARGO_HOME`, else `~/.cargo`) when `None`.
    pub(crate) cargo_home: Option<PathBuf>,
    /// Ask crates.io for every package's per-version record, whether a
    /// rule needs it or not (the full picture).
    pub(crate) all_records: bool,
    /// The packages (by hex checksum) a diff compares with their other
    /// version: their evidence level needs crates.io's per-version record,
    /// and `[diff] enforce-since` their publish time.
    pub(crate) compared: std::collections::BTreeSet<String>,
}

impl Default for RunConfig {
    fn default() -> Self {
        let fetch = FetchOptions::default();
        Self {
            inventory: InventorySelection::default(),
            policy: None,
            roots: None,
            sources: Vec::new(),
            cache_dir: None,
            offline: fetch.offline,
            now: fetch.now,
            jobs: fetch.jobs,
            http: fetch.http,
            progress: fetch.progress,
            progress_lines: None,
            github_auth: fetch.github_auth,
            github_bundle_hosts: fetch.github_bundle_hosts,
            no_attestation_ttl: None,
            announce: None,
            targets: Vec::new(),
            exclude_dev: false,
            only: None,
            source_comparison: true,
            cargo_home: None,
            all_records: false,
            compared: std::collections::BTreeSet::new(),
        }
    }
}

impl RunConfig {
    /// Which packages to check.
    pub fn with_inventory(mut self, inventory: InventorySelection) -> Self {
        self.inventory = inventory;
        self
    }

    /// The policy file, instead of the one discovered from the workspace.
    pub fn with_policy(mut self, path: impl Into<PathBuf>) -> Self {
        self.policy = Some(path.into());
        self
    }

    /// Trust roots that replace the policy's `[trust] roots`.
    pub fn with_roots(mut self, roots: Vec<RootSpec>) -> Self {
        self.roots = Some(roots);
        self
    }

    /// Sources tried before the policy's `[[source]]` tables.
    pub fn with_sources(mut self, sources: Vec<SourceSpec>) -> Self {
        self.sources = sources;
        self
    }

    /// The cache folder, instead of the user's cache directory.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Use only the cache and local sources: no network connection.
    pub fn with_offline(mut self, offline: bool) -> Self {
        self.offline = offline;
        self
    }

    /// The time everything is judged at (exemptions, root ages, cache expiry).
    pub fn with_now(mut self, now: jiff::Timestamp) -> Self {
        self.now = now;
        self
    }

    /// How many packages are fetched at once.
    pub fn with_jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// A token for GitHub's API (`https://api.github.com`), sent there only.
    /// None is read from the environment unless given here.
    pub fn with_github_token(mut self, token: impl Into<String>) -> Self {
        self.github_auth = GitHubAuth::token(token);
        self
    }

    /// Check only what is built for these targets (`x86_64-unknown-linux-gnu`),
    /// instead of the policy's `[graph] targets`.
    pub fn with_targets(mut self, targets: Vec<String>) -> Self {
        self.targets = targets;
        self
    }

    /// Leave out packages only dev-dependencies bring in.
    pub fn with_exclude_dev(mut self, exclude_dev: bool) -> Self {
        self.exclude_dev = exclude_dev;
        self
    }

    /// Compare every registry package with its repository at the commit it
    /// was packaged from (the source comparison; needs `git`).
    pub fn with_source_comparison(mut self, compare: bool) -> Self {
        self.source_comparison = compare;
        self
    }

    /// Cargo's home, whose download cache holds `.crate` files, instead of
    /// the environment's (`CARGO_HOME`, else `~/.cargo`).
    pub fn with_cargo_home(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cargo_home = Some(dir.into());
        self
    }
}

impl RunConfig {
    /// The inventory: the one given, else the lockfile, else the workspace
    /// through cargo. A current folder with a `Cargo.lock` but no
    /// `Cargo.toml` (a lockfile kept on its own) is read as a bare lockfile:
    /// cargo would audit whatever workspace lies above it instead.
    pub(crate) fn load_inventory(&self) -> Result<Inventory> {
        Ok(match &self.inventory {
            InventorySelection::Loaded(inventory) => (**inventory).clone(),
            InventorySelection::Lockfile(path) => Inventory::from_lockfile(path)?,
            InventorySelection::Workspace {
                manifest_path: None,
            } if lone_lockfile().is_some() => {
                Inventory::from_lockfile(&lone_lockfile().expect("just seen"))?
            }
            InventorySelection::Workspace { manifest_path } => {
                Inventory::from_workspace(&MetadataOptions {
                    manifest_path: manifest_path.clone(),
                    offline: self.offline,
                })?
            }
        })
    }

    /// The policy for an inventory: the file given, else the one discovered
    /// from [`policy_dir`] upward, else the default policy.
    pub(crate) fn load_policy(&self, inventory: &Inventory) -> Result<Policy> {
        let (start, from) = policy_search(inventory);
        Ok(Policy::resolve(
            self.policy.as_deref(),
            &start,
            from,
            self.now,
        )?)
    }

    /// The part of the dependency graph a run checks: the configured
    /// targets (else the policy's `[graph] targets`), without dev-only
    /// packages when this configuration or the policy's `[graph]
    /// exclude-dev` says so.
    pub(crate) fn scope(&self, policy: &Policy) -> Scope {
        Scope {
            targets: if self.targets.is_empty() {
                policy.graph.targets()
            } else {
                self.targets.clone()
            },
            exclude_dev: self.exclude_dev || policy.graph.exclude_dev(),
        }
    }

    /// Limit the inventory to [`RunConfig::scope`]. A bare lockfile knows
    /// no dependency kinds or platforms: it is checked whole, and a note
    /// says so.
    pub(crate) fn apply_scope(
        &self,
        inventory: &mut Inventory,
        policy: &Policy,
        notes: &mut Vec<Note>,
    ) -> Result<()> {
        let scope = self.scope(policy);
        if inventory.graph.origin == GraphOrigin::Lockfile {
            if !scope.is_everything() {
                notes.push(Note {
                    code: "scope-not-applied",
                    message: "a bare lockfile does not say how each dependency is used or on which platforms: every package is checked, whatever the targets and `exclude-dev` say".into(),
                });
            }
            return Ok(());
        }
        Ok(inventory.apply_scope(&scope)?)
    }

    /// The cache, opened (and created when missing).
    pub(crate) fn open_cache(&self) -> Result<Cache> {
        let dir = Cache::resolve_dir(self.cache_dir.as_deref()).map_err(RunError::cache)?;
        Cache::open(&dir).map_err(RunError::cache)
    }

    /// The sources of a run: the configured ones, then the policy's
    /// `[[source]]` tables; the defaults when there are none.
    pub(crate) fn sources(&self, policy: &Policy) -> Vec<SourceSpec> {
        let sources: Vec<SourceSpec> = self
            .sources
            .iter()
            .cloned()
            .chain(policy.sources.iter().map(|s| s.value.clone()))
            .collect();
        if sources.is_empty() {
            default_sources()
        } else {
            sources
        }
    }

    /// The fetch options this configuration and the policy imply
    /// (`no_attestation_ttl`, when set, wins over `[cache]`).
    pub(crate) fn fetch_options(&self, policy: &Policy) -> FetchOptions {
        let from_policy = jiff::SignedDuration::try_from(policy.cache.no_attestation_ttl())
            .unwrap_or(DEFAULT_NO_ATTESTATION_TTL);
        FetchOptions {
            jobs: self.jobs,
            offline: self.offline,
            http: self.http.clone(),
            no_attestation_ttl: self.no_attestation_ttl.unwrap_or(from_policy),
            now: self.now,
            progress: self.progress,
            progress_lines: self.progress_lines.clone(),
            github_auth: if self.offline {
                GitHubAuth::none()
            } else {
                self.github_auth.clone()
            },
            github_bundle_hosts: self.github_bundle_hosts.clone(),
            announce: self.announce.clone(),
            all_records: self.all_records,
            cargo_home: crate::sources::sparse_index::cargo_home(),
        }
    }

    /// How the source comparisons of a run are made: offline as the run,
    /// as many at once, crates.io's download endpoint from the sources.
    pub(crate) fn compare_options(&self, sources: &[SourceSpec]) -> CompareOptions {
        CompareOptions {
            offline: self.offline,
            jobs: self.jobs.clamp(1, 16),
            http: self.http.clone(),
            now: self.now,
            ..CompareOptions::default()
        }
        .with_sources(sources)
        .with_cargo_home(self.cargo_home.clone())
    }

    /// The trust roots of a run. [`RunConfig::roots`] replaces the policy's
    /// list. Named public-good and GitHub roots come from the TUF cache when
    /// it holds a verified copy (else the embedded snapshot); a warning is
    /// noted when the copy is older than the policy's `max-age`.
    pub(crate) fn trust_roots(
        &self,
        policy: &Policy,
        cache: &Cache,
        notes: &mut Vec<Note>,
    ) -> Result<Vec<TrustRoot>> {
        let specs: Vec<RootSpec> = match &self.roots {
            Some(specs) => specs.clone(),
            None => policy.trust.roots(),
        };
        let needs_refreshed = specs.iter().any(
            |spec| matches!(spec, RootSpec::Instance { instance } if *instance != Instance::Staging),
        );
        let mut refreshed = if needs_refreshed {
            let in_use = roots_for_run(Some(cache), self.now, signed(policy.trust.max_age()))?;
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
}

/// The folder a policy belongs to: the workspace root, else the lockfile's
/// folder. Discovery starts here, and `init` writes here.
pub(crate) fn policy_dir(inventory: &Inventory) -> PathBuf {
    policy_search(inventory).0
}

/// Where discovery of the policy starts, and from what kind of folder.
pub(crate) fn policy_search(inventory: &Inventory) -> (PathBuf, SearchFrom) {
    match &inventory.workspace_root {
        Some(root) => (root.clone(), SearchFrom::WorkspaceRoot),
        None => (
            inventory
                .lockfile
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            SearchFrom::LockfileFolder,
        ),
    }
}

/// `Cargo.lock` in the current folder, when it holds no `Cargo.toml`.
pub(crate) fn lone_lockfile() -> Option<PathBuf> {
    let lockfile = Path::new("Cargo.lock");
    (lockfile.is_file() && !Path::new("Cargo.toml").exists()).then(|| lockfile.to_path_buf())
}

/// One query per package that has a checksum, with the repository the
/// policy expects for it as the hint where GitHub should be asked, and
/// what its rule needs to know beyond its bundles.
pub(crate) fn queries(inventory: &Inventory, policy: &Policy) -> Vec<PackageQuery> {
    inventory
        .dependencies()
        .filter_map(|package| query_for(package, &requirements_of(policy, package), policy, false))
        .collect()
}

/// The requirements that apply to each package of the inventory, in its
/// order.
pub(crate) fn requirements_of_all<'p>(
    policy: &'p Policy,
    inventory: &Inventory,
) -> Vec<crate::policy::Effective<'p>> {
    (inventory.packages.iter())
        .map(|package| requirements_of(policy, package))
        .collect()
}

/// The requirements that apply to `package`: its deciding rule's over
/// `[defaults]`.
pub(crate) fn requirements_of<'p>(
    policy: &'p Policy,
    package: &crate::lockfile::Package,
) -> crate::policy::Effective<'p> {
    policy.requirements_for(
        &package.name,
        &package.version,
        crate::policy::Traits::of(package),
    )
}

/// The query for one package (`None` without a checksum): its
/// requirements (`effective`, computed once by the caller) give both the
/// repository to look in and what else must be asked. A package a diff
/// `compared` needs its record (its evidence level) and, with `[diff]
/// enforce-since`, its publish time, whatever its rule says.
pub(crate) fn query_for(
    package: &crate::lockfile::Package,
    effective: &crate::policy::Effective<'_>,
    policy: &Policy,
    compared: bool,
) -> Option<PackageQuery> {
    let expected = effective
        .repository
        .map(|(repo, _)| repo.value.text.as_str());
    let mut query = PackageQuery::for_package(package, expected)?;
    query.needs = crate::sources::Needs {
        record: compared || effective.level() == crate::evidence::EvidenceLevel::RegistryAsserted,
        trustpub_only: effective.trustpub_only_required().is_some(),
        published: (compared && policy.diff.enforce_since.is_some())
            || effective.min_age_required().is_some(),
    };
    Some(query)
}

fn root_instance(root: &TrustRoot) -> Option<Instance> {
    match &root.origin {
        RootOrigin::Embedded { instance } | RootOrigin::Tuf { instance, .. } => Some(*instance),
        RootOrigin::File { .. } => None,
    }
}

/// A policy duration as jiff's; beyond its range means "forever".
fn signed(duration: std::time::Duration) -> jiff::SignedDuration {
    jiff::SignedDuration::try_from(duration).unwrap_or(jiff::SignedDuration::MAX)
}
