//! The policy: who may build each dependency, and how provenance is found.
//!
//! A `provenance.toml` is parsed with spans ([`toml_edit`]), validated into
//! a typed [`Policy`] and every problem is reported at once, each pointing
//! at the key or value to fix ([`PolicyDiagnostic`]). `docs/policy.md` is
//! the reference for the format; [`crate::evaluate`] applies a policy to
//! the evidence found for each package.

pub mod compare;
mod decide;
mod diagnostic;
mod discover;
pub(crate) mod from_evidence;
pub(crate) mod matcher;
mod parse;
pub(crate) mod rule_keys;
pub(crate) mod undecided;
mod unknown_names;
pub(crate) mod url;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use miette::{Diagnostic, NamedSource};
use serde::{Deserialize, Serialize};

pub(crate) use decide::deciding_position;
pub use decide::{deciding_rule, matching_exemption};
pub use diagnostic::{Code, InvalidPolicy, Label, Level, PolicyDiagnostic, PolicySpan};
/// Where the policy file's reference lives online. An installed binary has
/// no `docs/` folder beside it: it carries the reference ([`REFERENCE`]).
pub const DOCS_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/policy.md");

/// The policy file's reference (`docs/policy.md`), built into the binary so
/// that it can be read offline with [`REFERENCE_COMMAND`].
pub const REFERENCE: &str = include_str!("../../docs/policy.md");

/// The command that prints [`REFERENCE`].
pub const REFERENCE_COMMAND: &str = "cargo verify-provenance policy reference";

/// Where help texts send a reader for the policy's reference: the command
/// that prints it offline, and the same text online.
pub(crate) fn reference_pointer() -> String {
    format!("`{REFERENCE_COMMAND}` (online: {DOCS_URL})")
}

pub use crate::http::rules::ConfiguredUrlError;
pub use crate::names::SegmentError;
pub use discover::{discover, search_path, SearchFrom, POLICY_FILE_NAMES};
pub use matcher::{Glob, GlobList, RepoUrl, Runner, ValueError, Visibility};
pub use url::UrlError;

use crate::evidence::EvidenceLevel;
pub use crate::sources::{Records, SourceSpec, SourceSpecError};
use crate::trust::Instance;

/// A policy file larger than this is refused: 10,000 rules take about
/// 0.6 MiB, and parsing takes up to about 40 times the file's size in memory.
pub const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;
/// The default of `[trust] max-age`.
pub const DEFAULT_ROOT_MAX_AGE: Duration = Duration::from_secs(90 * 24 * 3600);
/// The default of `[cache] no-attestation-ttl`.
pub const DEFAULT_NO_ATTESTATION_TTL: Duration = Duration::from_secs(24 * 3600);

/// A value with the stretch of the policy file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: PolicySpan,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: PolicySpan) -> Self {
        Self { value, span }
    }
}

/// Whether violations fail the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Violations fail the run.
    #[default]
    Enforce,
    /// Violations are reported as warnings; the exit code is 0 unless a
    /// present bundle fails verification.
    Audit,
}

/// What a package that could not be checked (a source could not answer,
/// and nothing required evidence of it) does to the run: `not-checked`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotCheckedAction {
    /// Fails the run (exit code 2): what could not be checked never passes.
    #[default]
    Fail,
    /// A warning: the run may pass, and its summary says how many were not
    /// checked and why (never in green).
    Warn,
}

/// What the evidence for a package must show. A key that is `None` is not
/// checked. Spans cover the `key = value` that set each one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    pub require: Option<Spanned<EvidenceLevel>>,
    pub issuer: Option<Spanned<GlobList>>,
    pub repository: Option<Spanned<RepoUrl>>,
    pub repository_id: Option<Spanned<String>>,
    pub owner: Option<Spanned<RepoUrl>>,
    pub owner_id: Option<Spanned<String>>,
    pub workflow: Option<Spanned<GlobList>>,
    pub signer_workflow: Option<Spanned<GlobList>>,
    pub signer_digest: Option<Spanned<Vec<String>>>,
    pub refs: Option<Spanned<GlobList>>,
    pub triggers: Option<Spanned<GlobList>>,
    pub runner: Option<Spanned<Runner>>,
    pub visibility: Option<Spanned<Vec<Visibility>>>,
    pub predicate_type: Option<Spanned<Vec<String>>>,
    /// The registry must record that the crate refuses token publishing
    /// (crates.io's `trustpub_only`); `false` lifts an inherited `true`.
    pub trustpub_only: Option<Spanned<bool>>,
    /// The version must have been published at least this long before the
    /// run's clock (the registry's index says when).
    pub min_age: Option<Spanned<Duration>>,
    /// The published package must be the repository's files at the commit
    /// it was packaged from (the source comparison's `matches`); `false`
    /// lifts an inherited `true`.
    pub source_matches: Option<Spanned<bool>>,
    /// Files that differ only in line endings (published from a Windows
    /// checkout) count as the same for `source-matches`.
    pub source_allow_line_endings: Option<Spanned<bool>>,
}

impl Requirements {
    /// Where `key` is set, if it is.
    pub(crate) fn span_of(&self, key: rule_keys::RequirementKey) -> Option<PolicySpan> {
        use rule_keys::RequirementKey as K;
        match key {
            K::Require => self.require.as_ref().map(|v| v.span),
            K::Issuer => self.issuer.as_ref().map(|v| v.span),
            K::Repository => self.repository.as_ref().map(|v| v.span),
            K::RepositoryId => self.repository_id.as_ref().map(|v| v.span),
            K::Owner => self.owner.as_ref().map(|v| v.span),
            K::OwnerId => self.owner_id.as_ref().map(|v| v.span),
            K::Workflow => self.workflow.as_ref().map(|v| v.span),
            K::SignerWorkflow => self.signer_workflow.as_ref().map(|v| v.span),
            K::SignerDigest => self.signer_digest.as_ref().map(|v| v.span),
            K::Ref => self.refs.as_ref().map(|v| v.span),
            K::Triggers => self.triggers.as_ref().map(|v| v.span),
            K::Runner => self.runner.as_ref().map(|v| v.span),
            K::Visibility => self.visibility.as_ref().map(|v| v.span),
            K::PredicateType => self.predicate_type.as_ref().map(|v| v.span),
            K::TrustpubOnly => self.trustpub_only.as_ref().map(|v| v.span),
            K::MinAge => self.min_age.as_ref().map(|v| v.span),
            K::SourceMatches => self.source_matches.as_ref().map(|v| v.span),
            K::SourceAllowLineEndings => self.source_allow_line_endings.as_ref().map(|v| v.span),
        }
    }

    /// These requirements with every unset key taken from `defaults`. Each
    /// key says whether it was inherited.
    pub fn merged<'a>(&'a self, defaults: &'a Requirements) -> Effective<'a> {
        fn pick<'a, T>(own: &'a Option<T>, base: &'a Option<T>) -> Option<(&'a T, bool)> {
            own.as_ref()
                .map(|v| (v, false))
                .or_else(|| base.as_ref().map(|v| (v, true)))
        }
        Effective {
            require: pick(&self.require, &defaults.require),
            issuer: pick(&self.issuer, &defaults.issuer),
            repository: pick(&self.repository, &defaults.repository),
            repository_id: pick(&self.repository_id, &defaults.repository_id),
            owner: pick(&self.owner, &defaults.owner),
            owner_id: pick(&self.owner_id, &defaults.owner_id),
            workflow: pick(&self.workflow, &defaults.workflow),
            signer_workflow: pick(&self.signer_workflow, &defaults.signer_workflow),
            signer_digest: pick(&self.signer_digest, &defaults.signer_digest),
            refs: pick(&self.refs, &defaults.refs),
            triggers: pick(&self.triggers, &defaults.triggers),
            runner: pick(&self.runner, &defaults.runner),
            visibility: pick(&self.visibility, &defaults.visibility),
            predicate_type: pick(&self.predicate_type, &defaults.predicate_type),
            trustpub_only: pick(&self.trustpub_only, &defaults.trustpub_only),
            min_age: pick(&self.min_age, &defaults.min_age),
            source_matches: pick(&self.source_matches, &defaults.source_matches),
            source_allow_line_endings: pick(
                &self.source_allow_line_endings,
                &defaults.source_allow_line_endings,
            ),
        }
    }
}

/// A rule that sets nothing: `NO_REQUIREMENTS.merged(&defaults)` is what
/// `[defaults]` itself requires (every key inherited).
pub(crate) static NO_REQUIREMENTS: std::sync::LazyLock<Requirements> =
    std::sync::LazyLock::new(Requirements::default);

/// The requirements that apply to a package: a rule's own keys over
/// `[defaults]`. The flag says the key was inherited from `[defaults]`.
#[derive(Debug, Clone, Copy)]
pub struct Effective<'a> {
    pub require: Option<(&'a Spanned<EvidenceLevel>, bool)>,
    pub issuer: Option<(&'a Spanned<GlobList>, bool)>,
    pub repository: Option<(&'a Spanned<RepoUrl>, bool)>,
    pub repository_id: Option<(&'a Spanned<String>, bool)>,
    pub owner: Option<(&'a Spanned<RepoUrl>, bool)>,
    pub owner_id: Option<(&'a Spanned<String>, bool)>,
    pub workflow: Option<(&'a Spanned<GlobList>, bool)>,
    pub signer_workflow: Option<(&'a Spanned<GlobList>, bool)>,
    pub signer_digest: Option<(&'a Spanned<Vec<String>>, bool)>,
    pub refs: Option<(&'a Spanned<GlobList>, bool)>,
    pub triggers: Option<(&'a Spanned<GlobList>, bool)>,
    pub runner: Option<(&'a Spanned<Runner>, bool)>,
    pub visibility: Option<(&'a Spanned<Vec<Visibility>>, bool)>,
    pub predicate_type: Option<(&'a Spanned<Vec<String>>, bool)>,
    pub trustpub_only: Option<(&'a Spanned<bool>, bool)>,
    pub min_age: Option<(&'a Spanned<Duration>, bool)>,
    pub source_matches: Option<(&'a Spanned<bool>, bool)>,
    pub source_allow_line_endings: Option<(&'a Spanned<bool>, bool)>,
}

impl<'a> Effective<'a> {
    /// The `trustpub-only = true` in force, if any.
    pub fn trustpub_only_required(&self) -> Option<&'a Spanned<bool>> {
        self.trustpub_only.map(|(v, _)| v).filter(|v| v.value)
    }

    /// The `min-age` in force, if any (`"0s"` requires nothing).
    pub fn min_age_required(&self) -> Option<&'a Spanned<Duration>> {
        self.min_age.map(|(v, _)| v).filter(|v| !v.value.is_zero())
    }

    /// The `source-matches = true` in force, if any.
    pub fn source_matches_required(&self) -> Option<&'a Spanned<bool>> {
        self.source_matches.map(|(v, _)| v).filter(|v| v.value)
    }

    /// Whether files that differ only in line endings count as the same.
    pub fn line_endings_allowed(&self) -> bool {
        self.source_allow_line_endings.is_some_and(|(v, _)| v.value)
    }

    /// The evidence level required (`none` when unset).
    pub fn level(&self) -> EvidenceLevel {
        self.require
            .map_or(EvidenceLevel::None, |(level, _)| level.value)
    }
}

/// Which packages a rule or exemption is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub name: Spanned<Glob>,
    pub version: Option<Spanned<semver::VersionReq>>,
    /// `[[package]]` only: whether the package runs code at build time.
    pub build_time: Option<Spanned<bool>>,
    /// `[[package]]` only: whether a workspace member depends on it directly.
    pub direct: Option<Spanned<bool>>,
}

/// What a rule can select a package by, besides its name and version: its
/// place in the dependency graph being checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traits {
    /// A proc-macro or a package with a build script; `None`: unknown (a
    /// bare lockfile does not say).
    pub build_time: Option<bool>,
    /// A workspace member depends on it directly.
    pub direct: bool,
}

impl Traits {
    /// The traits of a package of the inventory.
    pub fn of(package: &crate::lockfile::Package) -> Self {
        Self {
            build_time: package.runs_at_build_time(),
            direct: package.direct,
        }
    }
}

/// Whether `version` meets a rule's version requirement. A prerelease
/// (`1.0.0-rc.1`) meets it as its release (`1.0.0`) would, as well as by
/// semver's own rule: `1.*` covers the prereleases of the 1.x line, which
/// semver alone would leave to a weaker rule.
pub(crate) fn version_matches(requirement: &semver::VersionReq, version: &semver::Version) -> bool {
    requirement.matches(version)
        || (!version.pre.is_empty()
            && requirement.matches(&semver::Version::new(
                version.major,
                version.minor,
                version.patch,
            )))
}

impl Selector {
    /// A selector by name and version only.
    pub fn by_name(name: Spanned<Glob>, version: Option<Spanned<semver::VersionReq>>) -> Self {
        Self {
            name,
            version,
            build_time: None,
            direct: None,
        }
    }

    /// Whether it selects the package. Checks, in order: the name, the
    /// version, `build-time` (an unknown answer, from a bare lockfile,
    /// matches neither `true` nor `false`), `direct`.
    pub fn matches(&self, name: &str, version: &semver::Version, traits: Traits) -> bool {
        self.name.value.is_match(name)
            && self
                .version
                .as_ref()
                .is_none_or(|req| version_matches(&req.value, version))
            && self
                .build_time
                .as_ref()
                .is_none_or(|wanted| traits.build_time == Some(wanted.value))
            && self
                .direct
                .as_ref()
                .is_none_or(|wanted| traits.direct == wanted.value)
    }

    /// How many of `build-time` and `direct` it sets.
    fn trait_count(&self) -> usize {
        usize::from(self.build_time.is_some()) + usize::from(self.direct.is_some())
    }

    /// A sort key, smallest = most specific: exact name with a version,
    /// exact name, glob with a version, glob (more literal characters
    /// first); within each, more of `build-time` and `direct` first.
    pub fn specificity(&self) -> (u8, std::cmp::Reverse<usize>, std::cmp::Reverse<usize>) {
        let class = match (self.name.value.is_literal(), self.version.is_some()) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (false, false) => 3,
        };
        (
            class,
            std::cmp::Reverse(self.name.value.literal_len()),
            std::cmp::Reverse(self.trait_count()),
        )
    }

    /// `name`, `name version-req`, then `build-time`, `direct` (or `not
    /// build-time`, `not direct`) when set, as shown in reports.
    pub fn describe(&self) -> String {
        let mut text = match &self.version {
            Some(req) => format!("{} {}", self.name.value, req.value),
            None => self.name.value.to_string(),
        };
        for (set, word) in [(&self.build_time, "build-time"), (&self.direct, "direct")] {
            if let Some(wanted) = set {
                text.push_str(if wanted.value { ", " } else { ", not " });
                text.push_str(word);
            }
        }
        text
    }
}

/// The kind of a rule table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    Package,
    Owner,
}

impl RuleKind {
    /// The table name, e.g. `[[package]]`.
    pub fn table(self) -> &'static str {
        match self {
            Self::Package => "[[package]]",
            Self::Owner => "[[owner]]",
        }
    }
}

/// A `[[package]]` or `[[owner]]` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub kind: RuleKind,
    /// 0-based position among the rules of its kind.
    pub index: usize,
    /// The table (its header, or the inline table).
    pub span: PolicySpan,
    /// One for `[[package]]`; one per `packages` entry for `[[owner]]`.
    pub selectors: Vec<Selector>,
    pub requirements: Requirements,
    /// `[[package]]` only: files the source comparison may find different
    /// or only in the package (`source-allow`), and why.
    pub source_allow: Option<SourceAllow>,
}

/// `source-allow = ["GLOB", …]` with its `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceAllow {
    /// Globs over paths inside the package (`*` stays within a folder,
    /// `**` crosses folders).
    pub globs: Vec<Spanned<Glob>>,
    pub reason: Spanned<String>,
}

/// An `[[exempt]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// 0-based position among the exemptions.
    pub index: usize,
    pub span: PolicySpan,
    pub selector: Selector,
    pub reason: Spanned<String>,
    /// The first day on which the exemption no longer applies.
    pub until: Option<Spanned<jiff::civil::Date>>,
}

impl Exemption {
    /// Whether the exemption has ended at `now` (from 00:00 UTC on `until`).
    pub fn is_expired(&self, now: jiff::Timestamp) -> bool {
        self.until.as_ref().is_some_and(|until| {
            until
                .value
                .to_zoned(jiff::tz::TimeZone::UTC)
                .is_ok_and(|start| now >= start.timestamp())
        })
    }
}

/// `[git]` or `[path]`: which such dependencies are acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    /// The `allow` key and value.
    pub span: PolicySpan,
    pub patterns: Vec<Spanned<Glob>>,
}

impl AllowList {
    /// The index of the first pattern that matches.
    pub fn find(&self, text: &str) -> Option<usize> {
        self.patterns.iter().position(|p| p.value.is_match(text))
    }
}

/// One entry of `[trust] roots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RootSpec {
    /// A root embedded in the binary (or its TUF-refreshed copy).
    Instance { instance: Instance },
    /// A `trusted_root.json`, resolved against the policy file's folder.
    File { path: PathBuf },
}

/// `[trust]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustConfig {
    /// `None`: the default, public-good then GitHub.
    pub roots: Option<Vec<Spanned<RootSpec>>>,
    pub max_age: Option<Spanned<Duration>>,
}

impl TrustConfig {
    /// The roots to verify against.
    pub fn roots(&self) -> Vec<RootSpec> {
        match &self.roots {
            Some(roots) => roots.iter().map(|r| r.value.clone()).collect(),
            None => vec![
                RootSpec::Instance {
                    instance: Instance::PublicGood,
                },
                RootSpec::Instance {
                    instance: Instance::GitHub,
                },
            ],
        }
    }

    /// How old a root may be before a warning.
    pub fn max_age(&self) -> Duration {
        self.max_age
            .as_ref()
            .map_or(DEFAULT_ROOT_MAX_AGE, |m| m.value)
    }
}

/// `[cache]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheConfig {
    pub no_attestation_ttl: Option<Spanned<Duration>>,
}

impl CacheConfig {
    /// How long a "no attestation" answer is reused.
    pub fn no_attestation_ttl(&self) -> Duration {
        self.no_attestation_ttl
            .as_ref()
            .map_or(DEFAULT_NO_ATTESTATION_TTL, |t| t.value)
    }
}

/// `[diff]`: the provenance changes between two lockfiles that `diff` (and
/// `--baseline`) accept instead of failing. Each list holds package-name
/// patterns (exact names or globs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffConfig {
    /// Packages whose evidence level may drop (attested → registry-asserted → none).
    pub allow_downgrade: Vec<Spanned<Glob>>,
    /// Packages whose repository (URL or immutable ID) may change.
    pub allow_repository_change: Vec<Spanned<Glob>>,
    /// Packages whose workflow or signer workflow may change.
    pub allow_workflow_change: Vec<Spanned<Glob>>,
    /// Compare a version only with a previous one of the same
    /// semver-compatible line (`1.2.3` with `1.x`, `0.4.1` with `0.4.x`).
    pub same_semver_line: Option<Spanned<bool>>,
    /// Changes in versions the registry says were published before this
    /// day (UTC) do not fail.
    pub enforce_since: Option<Spanned<jiff::civil::Date>>,
}

/// `[graph]`: which part of the dependency graph a run checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphConfig {
    /// Only what is built for these targets (`--target` replaces them).
    pub targets: Option<Spanned<Vec<Spanned<String>>>>,
    /// Leave out packages that only dev-dependencies bring in.
    pub exclude_dev: Option<Spanned<bool>>,
}

impl GraphConfig {
    /// The targets listed, in order (none: every platform).
    pub fn targets(&self) -> Vec<String> {
        self.targets.as_ref().map_or_else(Vec::new, |targets| {
            targets.value.iter().map(|t| t.value.clone()).collect()
        })
    }

    /// Whether dev-only packages are left out.
    pub fn exclude_dev(&self) -> bool {
        self.exclude_dev.as_ref().is_some_and(|e| e.value)
    }
}

/// A validated policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The file, or `None` for the built-in default policy.
    pub path: Option<PathBuf>,
    /// The file's text, for diagnostics.
    pub text: Option<Arc<NamedSource<String>>>,
    pub mode: Mode,
    /// Whether packages nothing required evidence of, that could not be
    /// checked, fail the run.
    pub not_checked: NotCheckedAction,
    pub defaults: Requirements,
    /// `[[package]]` rules, then `[[owner]]` rules, each in file order.
    pub rules: Vec<Rule>,
    pub exemptions: Vec<Exemption>,
    pub git: Option<AllowList>,
    pub path_deps: Option<AllowList>,
    /// `[[source]]` tables in order, `dir` paths resolved.
    pub sources: Vec<Spanned<SourceSpec>>,
    pub trust: TrustConfig,
    pub cache: CacheConfig,
    pub diff: DiffConfig,
    pub graph: GraphConfig,
    /// Warnings found while loading (the policy is valid).
    pub warnings: Vec<PolicyDiagnostic>,
    /// Rule selectors by exact name, and the globs.
    pub(crate) rule_index: SelectorIndex,
    pub(crate) exempt_index: SelectorIndex,
}

/// Finds the selectors that may match a name without trying every rule:
/// exact names through a map, globs by a scan.
#[derive(Debug, Clone, Default)]
pub(crate) struct SelectorIndex {
    exact: std::collections::HashMap<String, Vec<(usize, usize)>>,
    globs: Vec<(usize, usize)>,
}

impl SelectorIndex {
    /// `(item, selector)` positions, with the selector of each.
    pub(crate) fn build<'a>(items: impl Iterator<Item = (usize, usize, &'a Selector)>) -> Self {
        let mut index = Self::default();
        for (item, position, selector) in items {
            if selector.name.value.is_literal() {
                index
                    .exact
                    .entry(selector.name.value.as_str().to_string())
                    .or_default()
                    .push((item, position));
            } else {
                index.globs.push((item, position));
            }
        }
        index
    }

    /// Candidates for `name`: its exact entries, then every glob (which the
    /// caller still has to match).
    pub(crate) fn candidates<'a>(
        &'a self,
        name: &str,
    ) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.exact
            .get(name)
            .into_iter()
            .flatten()
            .chain(self.globs.iter())
            .copied()
    }
}

impl Policy {
    /// The built-in policy used when there is no policy file: report
    /// everything, require nothing.
    pub fn default_policy() -> Self {
        Self::default()
    }

    /// Parse and validate policy text. `base_dir` resolves relative paths;
    /// `now` decides which exemptions have already expired (a warning).
    pub fn parse(
        text: &str,
        name: &str,
        base_dir: &Path,
        now: jiff::Timestamp,
    ) -> Result<Self, InvalidPolicy> {
        parse::parse(text, name, base_dir, now)
    }

    /// Read, parse and validate a policy file.
    ///
    /// Checks, in order: the file exists and is readable, is within
    /// [`MAX_POLICY_BYTES`], is UTF-8, is TOML, and every table, key and
    /// value is valid (all problems reported together).
    pub fn load(path: &Path, now: jiff::Timestamp) -> Result<Self, PolicyLoadError> {
        let metadata = std::fs::metadata(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                PolicyLoadError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                PolicyLoadError::Unreadable {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        if metadata.len() > MAX_POLICY_BYTES {
            return Err(PolicyLoadError::TooLarge {
                path: path.to_path_buf(),
                size: metadata.len(),
            });
        }
        let bytes = crate::bounded_read::read_at_most(path, MAX_POLICY_BYTES)
            .map_err(|source| PolicyLoadError::Unreadable {
                path: path.to_path_buf(),
                source,
            })?
            .map_err(|size| PolicyLoadError::TooLarge {
                path: path.to_path_buf(),
                size,
            })?;
        let text = String::from_utf8(bytes).map_err(|e| PolicyLoadError::Unreadable {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
        })?;
        let base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut policy = Self::parse(&text, &path.display().to_string(), base_dir, now)
            .map_err(|e| PolicyLoadError::Invalid(Box::new(e)))?;
        policy.path = Some(path.to_path_buf());
        Ok(policy)
    }

    /// The policy for a run: `--policy`, else the file found from `start`,
    /// else the default policy.
    pub fn resolve(
        explicit: Option<&Path>,
        start: &Path,
        from: SearchFrom,
        now: jiff::Timestamp,
    ) -> Result<Self, PolicyLoadError> {
        match explicit {
            Some(path) => Self::load(path, now),
            None => match discover(start, from)? {
                Some(path) => Self::load(&path, now),
                None => Ok(Self::default_policy()),
            },
        }
    }

    /// Checks that need the files a policy names (trust root files, `dir`
    /// folders), still without any network: each trust root file is loaded
    /// and validated; a missing `dir` folder is a warning.
    pub fn check_files(&self) -> Vec<PolicyDiagnostic> {
        parse::check_files(self)
    }

    /// The repository the policy expects a package to come from, if the
    /// rule deciding it names one: lets a source ask the right repository
    /// when the package declares none.
    pub fn expected_repository(
        &self,
        name: &str,
        version: &semver::Version,
        traits: Traits,
    ) -> Option<&str> {
        self.requirements_for(name, version, traits)
            .repository
            .map(|(repo, _)| repo.value.text.as_str())
    }

    /// What the policy requires of a registry package: the deciding rule's
    /// keys over `[defaults]`, else `[defaults]` alone.
    pub fn requirements_for(
        &self,
        name: &str,
        version: &semver::Version,
        traits: Traits,
    ) -> Effective<'_> {
        match deciding_rule(self, name, version, traits) {
            Some((rule, _)) => rule.requirements.merged(&self.defaults),
            None => NO_REQUIREMENTS.merged(&self.defaults),
        }
    }
}

/// A policy file that could not be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum PolicyLoadError {
    #[error("policy file {} does not exist", path.display())]
    #[diagnostic(
        code("policy-not-found"),
        help("check the --policy path, or drop --policy to use provenance.toml found from the workspace root")
    )]
    NotFound { path: PathBuf },
    #[error("{} holds both provenance.toml and .cargo/provenance.toml", dir.display())]
    #[diagnostic(
        code("policy-ambiguous"),
        help("keep one of the two files, or pick one with --policy")
    )]
    Ambiguous { dir: PathBuf },
    #[error("cannot read policy file {}", path.display())]
    #[diagnostic(
        code("policy-unreadable"),
        help("the policy must be a readable UTF-8 TOML file")
    )]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("policy file {} is {size} bytes, over the limit of {MAX_POLICY_BYTES}", path.display())]
    #[diagnostic(
        code("policy-too-large"),
        help("a policy this large is not a hand-written file; check that --policy names the right file")
    )]
    TooLarge { path: PathBuf, size: u64 },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<InvalidPolicy>),
}

#[cfg(test)]
mod tests;
