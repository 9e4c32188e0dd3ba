//! Each requirement of a rule checked against one verified attestation,
//! or against a registry's assertion.

use std::fmt;

use super::{Failure, Requirement};
use crate::evidence::Attestation;
use crate::policy::matcher::{
    self, id_matches, owner_of, signer_matches, write_one_of, GlobList, RepoUrl, Visibility,
};
use crate::policy::rule_keys::{self, RequirementKey};
use crate::policy::{Effective, PolicySpan, Spanned};

struct Display<F>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Display<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

fn one_of<'a>(items: impl ExactSizeIterator<Item = &'a str> + Clone) -> String {
    Display(|f: &mut fmt::Formatter<'_>| write_one_of(f, items.clone())).to_string()
}

/// One requirement in force, as the rule (or `[defaults]`) states it.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    pub requirement: Requirement,
    /// What it requires, as a failure shows it.
    pub text: String,
    pub span: PolicySpan,
    /// Inherited from `[defaults]`.
    pub inherited: bool,
}

/// The requirements in force on an attestation, in the order of the table
/// of keys ([`RULE_KEYS`]): the one list the registry check and `explain`
/// read them from.
///
/// [`RULE_KEYS`]: crate::policy::rule_keys::RULE_KEYS
pub(crate) fn expectations(e: &Effective<'_>) -> Vec<Expected> {
    rule_keys::requirements()
        .filter(|key| key.is_on_attestation())
        .filter_map(|key| {
            let (text, span, inherited) = stated(e, key)?;
            Some(Expected {
                requirement: Requirement::of(key)?,
                text,
                span,
                inherited,
            })
        })
        .collect()
}

/// What a rule states for `key` on an attestation: the text a failure
/// shows, where, and whether it is inherited.
fn stated(e: &Effective<'_>, key: RequirementKey) -> Option<(String, PolicySpan, bool)> {
    fn shown<T>(
        value: Option<(&Spanned<T>, bool)>,
        text: impl Fn(&T) -> String,
    ) -> Option<(String, PolicySpan, bool)> {
        value.map(|(v, inherited)| (text(&v.value), v.span, inherited))
    }
    let strings = |list: &Vec<String>| one_of(list.iter().map(String::as_str));
    match key {
        RequirementKey::Require => shown(e.require, ToString::to_string),
        RequirementKey::Issuer => shown(e.issuer, ToString::to_string),
        RequirementKey::Repository => shown(e.repository, |v| v.text.clone()),
        RequirementKey::RepositoryId => shown(e.repository_id, Clone::clone),
        RequirementKey::Owner => shown(e.owner, |v| v.text.clone()),
        RequirementKey::OwnerId => shown(e.owner_id, Clone::clone),
        RequirementKey::Workflow => shown(e.workflow, ToString::to_string),
        RequirementKey::SignerWorkflow => shown(e.signer_workflow, ToString::to_string),
        RequirementKey::SignerDigest => shown(e.signer_digest, strings),
        RequirementKey::Ref => shown(e.refs, ToString::to_string),
        RequirementKey::Triggers => shown(e.triggers, ToString::to_string),
        RequirementKey::Runner => shown(e.runner, |v| v.as_str().to_string()),
        RequirementKey::Visibility => shown(e.visibility, |v| one_of(v.iter().map(|x| x.as_str()))),
        RequirementKey::PredicateType => shown(e.predicate_type, strings),
        RequirementKey::TrustpubOnly
        | RequirementKey::MinAge
        | RequirementKey::SourceMatches
        | RequirementKey::SourceAllowLineEndings => None,
    }
}

/// Every requirement an attestation fails, in the documented order:
/// issuer, repository, repository-id, owner, owner-id, workflow,
/// signer-workflow, signer-digest, ref, triggers, runner, visibility,
/// predicate-type.
pub fn check_attestation(effective: &Effective<'_>, attestation: &Attestation) -> Vec<Failure> {
    let mut found = Found {
        attestation,
        failures: Vec::new(),
    };
    found.check_source(effective);
    found.check_owner(effective);
    found.check_build(effective);
    found.check_environment(effective);
    found.failures
}

/// One attestation's facts, and the requirements they fail so far.
struct Found<'a> {
    attestation: &'a Attestation,
    failures: Vec<Failure>,
}

impl<'a> Found<'a> {
    /// A claim of the attestation's certificate.
    fn claim(
        &self,
        get: fn(&crate::verify::CertificateClaims) -> &Option<String>,
    ) -> Option<&'a str> {
        self.attestation
            .facts
            .claims()
            .and_then(|c| get(c).as_deref())
    }

    fn fail(
        &mut self,
        requirement: Requirement,
        expected: String,
        found: Option<&str>,
        span: PolicySpan,
    ) {
        self.failures.push(Failure {
            requirement,
            expected,
            found: found.map(str::to_string),
            span: Some(span),
            bundle: Some(self.attestation.origin.clone()),
        })
    }

    /// When the requirement is stated: a failure unless `found` is there
    /// and `matches` the stated value (shown as `expected` says).
    fn require<T>(
        &mut self,
        requirement: Requirement,
        stated: Option<(&Spanned<T>, bool)>,
        found: Option<&str>,
        matches: impl Fn(&T, &str) -> bool,
        expected: impl Fn(&T) -> String,
    ) {
        let Some((value, _)) = stated else {
            return;
        };
        if !found.is_some_and(|f| matches(&value.value, f)) {
            self.fail(requirement, expected(&value.value), found, value.span);
        }
    }

    /// Who signed and where the source lives: issuer, repository,
    /// repository-id.
    fn check_source(&mut self, effective: &Effective<'_>) {
        let signer = self.attestation.facts.signer.as_ref();
        let issuer = signer.and_then(|s| s.issuer.as_deref());
        self.require(
            Requirement::Issuer,
            effective.issuer,
            issuer,
            GlobList::is_match,
            ToString::to_string,
        );
        let repository = self.claim(|c| &c.source_repository_uri);
        self.require(
            Requirement::Repository,
            effective.repository,
            repository,
            RepoUrl::is_match,
            |r| r.text.clone(),
        );
        let id = self.claim(|c| &c.source_repository_identifier);
        self.require(
            Requirement::RepositoryId,
            effective.repository_id,
            id,
            |v, f| id_matches(v, f),
            Clone::clone,
        );
    }

    /// Who owns the repository: owner, owner-id.
    fn check_owner(&mut self, effective: &Effective<'_>) {
        let repository = self.claim(|c| &c.source_repository_uri);
        if let Some((owner, _)) = effective.owner {
            // Both the owner claim and the repository claim: a certificate whose
            // owner is the expected one but whose repository lies elsewhere was
            // not made for a build under that owner.
            let found = self.claim(|c| &c.source_repository_owner_uri);
            if !found.is_some_and(|f| owner.value.is_match(f)) {
                self.fail(
                    Requirement::Owner,
                    owner.value.text.clone(),
                    found,
                    owner.span,
                );
            } else if !repository.is_some_and(|r| owner.value.contains_claim(r)) {
                let found = format!(
                    "owner {}, but repository {}",
                    found.unwrap_or_default(),
                    repository.unwrap_or("(none)")
                );
                self.fail(
                    Requirement::Owner,
                    format!("a repository under {}", owner.value.text),
                    Some(&found),
                    owner.span,
                );
            }
        }
        let id = self.claim(|c| &c.source_repository_owner_identifier);
        self.require(
            Requirement::OwnerId,
            effective.owner_id,
            id,
            |v, f| id_matches(v, f),
            Clone::clone,
        );
    }

    /// What ran the build: workflow, signer-workflow, signer-digest, ref,
    /// triggers.
    fn check_build(&mut self, effective: &Effective<'_>) {
        if let Some((workflow, _)) = effective.workflow {
            let repository = self.claim(|c| &c.source_repository_uri);
            let uri = self.claim(|c| &c.build_config_uri);
            let path = uri.and_then(|uri| matcher::workflow_in_repository(uri, repository));
            if !path.is_some_and(|f| workflow.value.is_match(f)) {
                // Shown as found: the path, else the whole URI (another repository's).
                let found =
                    path.or_else(|| uri.map(|uri| uri.rsplit_once('@').map_or(uri, |(u, _)| u)));
                self.fail(
                    Requirement::Workflow,
                    workflow.value.to_string(),
                    found,
                    workflow.span,
                );
            }
        }
        let signer = self.claim(|c| &c.build_signer_uri);
        self.require(
            Requirement::SignerWorkflow,
            effective.signer_workflow,
            signer,
            |globs: &GlobList, f| globs.0.iter().any(|g| signer_matches(g, f)),
            ToString::to_string,
        );
        let digest = self.claim(|c| &c.build_signer_digest);
        self.require(
            Requirement::SignerDigest,
            effective.signer_digest,
            digest,
            |digests: &Vec<String>, f| digests.iter().any(|d| d.eq_ignore_ascii_case(f)),
            |digests| one_of(digests.iter().map(String::as_str)),
        );
        let reference = self.claim(|c| &c.source_repository_ref);
        self.require(
            Requirement::Ref,
            effective.refs,
            reference,
            GlobList::is_match,
            ToString::to_string,
        );
        let trigger = self.claim(|c| &c.build_trigger);
        self.require(
            Requirement::Triggers,
            effective.triggers,
            trigger,
            GlobList::is_match,
            ToString::to_string,
        );
    }

    /// Where it ran and what it states: runner, visibility, predicate-type.
    fn check_environment(&mut self, effective: &Effective<'_>) {
        if let Some((runner, _)) = effective.runner {
            let found = self.claim(|c| &c.runner_environment);
            if !runner.value.is_match(found) {
                self.fail(
                    Requirement::Runner,
                    runner.value.as_str().to_string(),
                    found,
                    runner.span,
                );
            }
        }
        let visibility = self.claim(|c| &c.source_repository_visibility_at_signing);
        self.require(
            Requirement::Visibility,
            effective.visibility,
            visibility,
            |allowed: &Vec<Visibility>, f| allowed.iter().any(|v| v.as_str() == f),
            |allowed| one_of(allowed.iter().map(|v| v.as_str())),
        );
        let statement = self.attestation.facts.statement.as_ref();
        let predicate_type = statement.map(|s| s.predicate_type.as_str());
        self.require(
            Requirement::PredicateType,
            effective.predicate_type,
            predicate_type,
            |types: &Vec<String>, f| types.iter().any(|t| t == f),
            |types| one_of(types.iter().map(String::as_str)),
        );
    }
}

/// Every requirement registry data fails. It states a repository (and so
/// its owner); other requirements set in the deciding rule itself cannot be
/// met by it, and those inherited from `[defaults]` describe attestations
/// and are not applied.
pub fn check_registry(
    effective: &Effective<'_>,
    registry: &crate::evidence::RegistryAssertion,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    let found_repo = Some(registry.repository.clone());
    if let Some((repo, _)) = effective.repository {
        if !repo.value.is_match(&registry.repository) {
            failures.push(Failure {
                requirement: Requirement::Repository,
                expected: repo.value.text.clone(),
                found: found_repo.clone(),
                span: Some(repo.span),
                bundle: None,
            });
        }
    }
    if let Some((owner, _)) = effective.owner {
        let found = owner_of(&registry.repository);
        if !found.as_deref().is_some_and(|f| owner.value.is_match(f)) {
            failures.push(Failure {
                requirement: Requirement::Owner,
                expected: owner.value.text.clone(),
                found,
                span: Some(owner.span),
                bundle: None,
            });
        }
    }
    // What only an attestation can state, set in the deciding rule itself.
    let unstated = expectations(effective).into_iter().filter(|e| {
        !matches!(
            e.requirement,
            Requirement::Require | Requirement::Repository | Requirement::Owner
        ) && !e.inherited
    });
    for e in unstated {
        failures.push(Failure {
            requirement: e.requirement,
            expected: e.text,
            found: Some(format!(
                "nothing: {} data does not state it (only an attestation can)",
                registry.registry
            )),
            span: Some(e.span),
            bundle: None,
        });
    }
    failures
}

/// One value a verified bundle and the registry's record both speak to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Comparison {
    /// `repository` or `commit`.
    pub what: &'static str,
    /// What the registry records; `None`: it does not say.
    pub registry: Option<String>,
    /// What the certificate states; `None`: it does not say.
    pub certificate: Option<String>,
    /// `None` when either side is silent: nothing to contradict.
    pub agree: Option<bool>,
}

/// The cross-check of one verified attestation against the registry's
/// record of the publisher.
///
/// Compares, in order: the record's repository (GitHub `repository` or
/// GitLab `project_path`, as a URL on its provider) with the
/// certificate's source repository (`1.3.6.1.4.1.57264.1.12`), in the
/// normal form the policy compares repositories in (so a GitLab project
/// only ever matches a GitLab-issued certificate's repository); then the
/// record's commit `sha` with the certificate's source repository digest
/// (`.1.13`), ignoring case.
pub(crate) fn cross_check(
    attestation: &Attestation,
    registry: &crate::evidence::RegistryAssertion,
) -> [Comparison; 2] {
    let claims = attestation.facts.claims();
    let repository = claims.and_then(|c| c.source_repository_uri.clone());
    let digest = claims.and_then(|c| c.source_repository_digest.clone());
    [
        Comparison {
            what: "repository",
            agree: repository
                .as_deref()
                .map(|r| matcher::same_repository(&registry.repository, r)),
            registry: Some(registry.repository.clone()),
            certificate: repository,
        },
        Comparison {
            what: "commit",
            agree: registry
                .sha
                .as_deref()
                .zip(digest.as_deref())
                .map(|(sha, digest)| sha.eq_ignore_ascii_case(digest)),
            registry: registry.sha.clone(),
            certificate: digest,
        },
    ]
}

/// Every disagreement between a verified attestation and the registry's
/// record (`cross_check`), one failure each, attestations in order.
pub fn conflicts<'a>(
    attestations: impl IntoIterator<Item = &'a Attestation>,
    registry: &crate::evidence::RegistryAssertion,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    for attestation in attestations {
        for comparison in cross_check(attestation, registry) {
            if comparison.agree != Some(false) {
                continue;
            }
            let (claim, oid) = match comparison.what {
                "repository" => ("source repository", ".1.12"),
                _ => ("source repository digest", ".1.13"),
            };
            failures.push(Failure {
                requirement: Requirement::EvidenceConflict,
                expected: format!(
                    "the {} {} records for the publish: {}",
                    comparison.what,
                    registry.registry,
                    comparison.registry.unwrap_or_default()
                ),
                found: Some(format!(
                    "the certificate's {claim} ({oid}): {}",
                    comparison.certificate.unwrap_or_default()
                )),
                span: None,
                bundle: Some(attestation.origin.clone()),
            });
        }
    }
    failures
}

/// What a fact of the published package's own source is compared with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ComparedWith {
    /// A verified bundle's certificate.
    Certificate {
        bundle: crate::evidence::BundleOrigin,
    },
    /// The registry's record of the publish (`registry` names it).
    Registry { registry: String },
}

/// One fact the published package states of its own source (the commit of
/// `.cargo_vcs_info.json`, the manifest's `repository`) and what other
/// evidence states of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceComparison {
    /// `commit` or `repository`.
    pub what: &'static str,
    pub compared_with: ComparedWith,
    /// What the package states; `None`: it does not say.
    pub package: Option<String>,
    /// What the other evidence states; `None`: it does not say.
    pub other: Option<String>,
    /// `None` when either side is silent, or a repository has no normal
    /// form: nothing to contradict.
    pub agree: Option<bool>,
}

/// The package's own commit and repository, as the source comparison read
/// them, against the other evidence.
///
/// Compares, in order, for each attestation given: the commit with the
/// certificate's source repository digest (`.1.13`, ignoring case), then
/// the repository with the certificate's source repository (`.1.12`); then
/// the registry record's `sha` and repository, likewise. Repositories are
/// compared in the normal form the policy uses.
pub fn source_cross_checks<'a>(
    source: &crate::evidence::SourceMatch,
    attestations: impl IntoIterator<Item = &'a Attestation>,
    registry: Option<&crate::evidence::RegistryAssertion>,
) -> Vec<SourceComparison> {
    let commit = source.commit.clone();
    let repository = source.repository.clone();
    let agree = |ours: &Option<String>, theirs: &Option<String>, repositories: bool| {
        let (ours, theirs) = (ours.as_deref()?, theirs.as_deref()?);
        if !repositories {
            return Some(ours.eq_ignore_ascii_case(theirs));
        }
        match (
            matcher::normalize_repo_url(ours),
            matcher::normalize_repo_url(theirs),
        ) {
            (Ok(a), Ok(b)) => Some(a == b),
            _ => None,
        }
    };
    let pair = |with: ComparedWith, digest: Option<String>, uri: Option<String>| {
        [
            SourceComparison {
                what: "commit",
                compared_with: with.clone(),
                agree: agree(&commit, &digest, false),
                package: commit.clone(),
                other: digest,
            },
            SourceComparison {
                what: "repository",
                compared_with: with,
                agree: agree(&repository, &uri, true),
                package: repository.clone(),
                other: uri,
            },
        ]
    };
    let mut comparisons = Vec::new();
    for attestation in attestations {
        let claims = attestation.facts.claims();
        let with = ComparedWith::Certificate {
            bundle: attestation.origin.clone(),
        };
        comparisons.extend(pair(
            with,
            claims.and_then(|c| c.source_repository_digest.clone()),
            claims.and_then(|c| c.source_repository_uri.clone()),
        ));
    }
    if let Some(record) = registry {
        let with = ComparedWith::Registry {
            registry: record.registry.clone(),
        };
        comparisons.extend(pair(
            with,
            record.sha.clone(),
            Some(record.repository.clone()),
        ));
    }
    comparisons
}

/// The package's own source against its other evidence, as evaluation
/// makes the cross-check: only when the comparison read the repository at
/// the package's commit ([`SourceMatch::commit_established`]: the commit
/// is then a fact, not only a claim), and a bundle attested in another
/// repository than the package's held to nothing, as against the record.
///
/// [`SourceMatch::commit_established`]: crate::evidence::SourceMatch::commit_established
pub(crate) fn source_cross_checks_of(
    evidence: &crate::evidence::Evidence,
) -> Vec<SourceComparison> {
    let Some(source) = evidence
        .source_match
        .as_ref()
        .filter(|s| s.commit_established())
    else {
        return Vec::new();
    };
    let attestations = evidence
        .attestations
        .iter()
        .filter(|a| !evidence.other_repository.contains(&a.origin));
    source_cross_checks(source, attestations, evidence.registry.as_ref())
}

/// One `evidence-conflict` failure for each comparison that disagrees.
pub(super) fn disagreements(comparisons: Vec<SourceComparison>) -> Vec<Failure> {
    comparisons
        .into_iter()
        .filter(|c| c.agree == Some(false))
        .map(|c| {
            let (fact, claim) = match (c.what, &c.compared_with) {
                ("commit", ComparedWith::Certificate { .. }) => (
                    "commit (.cargo_vcs_info.json)",
                    "the certificate's source repository digest (.1.13)".to_string(),
                ),
                (_, ComparedWith::Certificate { .. }) => (
                    "repository (Cargo.toml)",
                    "the certificate's source repository (.1.12)".to_string(),
                ),
                ("commit", ComparedWith::Registry { registry }) => (
                    "commit (.cargo_vcs_info.json)",
                    format!("the commit {registry} records for the publish"),
                ),
                (_, ComparedWith::Registry { registry }) => (
                    "repository (Cargo.toml)",
                    format!("the repository {registry} records for the publish"),
                ),
            };
            let bundle = match c.compared_with {
                ComparedWith::Certificate { bundle } => Some(bundle),
                ComparedWith::Registry { .. } => None,
            };
            Failure {
                requirement: Requirement::EvidenceConflict,
                expected: format!(
                    "the {fact} the published package names: {}",
                    c.package.unwrap_or_default()
                ),
                found: Some(format!("{claim}: {}", c.other.unwrap_or_default())),
                span: None,
                bundle,
            }
        })
        .collect()
}
