//! Each requirement of the deciding rule, beside what the evidence shows.

use super::{span_text, RequirementCheck};
use crate::evaluate::{self, expectations, Expected, PackageOutcome, Requirement};
use crate::evidence::{Attestation, BundleOrigin, Evidence, EvidenceLevel};
use crate::policy::matcher::{owner_of, workflow_in_repository};
use crate::policy::{self, Effective, Policy};

/// The requirements of the rule deciding a registry package, each with
/// what the evidence shows: against the attestation the outcome rests on
/// when there is one, else against the registry assertion, else against
/// the evidence level alone. Other packages (workspace members, git and
/// path dependencies) have none: their rule is an allow list.
pub(super) fn requirement_checks(
    policy: &Policy,
    outcome: &PackageOutcome,
    evidence: &Evidence,
    decided: Option<&BundleOrigin>,
    now: jiff::Timestamp,
) -> Vec<RequirementCheck> {
    // The requirements the evaluator applied, as the outcome carries them.
    let Some(effective) = outcome.requirements(policy) else {
        return Vec::new();
    };
    let allow = outcome
        .deciding_rule(policy)
        .and_then(|r| r.source_allow.as_ref());
    let checker = Checker {
        policy,
        effective: &effective,
        evidence,
    };
    let attestation = decided
        .and_then(|origin| evidence.attestations.iter().find(|a| &a.origin == origin))
        .or_else(|| evidence.attestations.first());
    let mut checks = match (attestation, &evidence.registry) {
        (Some(attestation), _) => checker.against_attestation(attestation),
        (None, Some(registry)) if effective.level() <= EvidenceLevel::RegistryAsserted => {
            checker.against_registry(registry)
        }
        (None, _) => checker.against_level(),
    };
    checks.extend(checker.trustpub_only());
    checks.extend(checker.min_age(now));
    checks.extend(source_check(policy, &effective, evidence, allow));
    checks
}

/// The requirements applied to one package, and its evidence.
struct Checker<'a> {
    policy: &'a Policy,
    effective: &'a Effective<'a>,
    evidence: &'a Evidence,
}

impl Checker<'_> {
    fn make(
        &self,
        e: &Expected,
        found: Option<String>,
        met: bool,
        against: &str,
    ) -> RequirementCheck {
        RequirementCheck {
            requirement: e.requirement,
            expected: e.text.clone(),
            found,
            met,
            inherited: e.inherited,
            line: Some(e.span.line),
            text: span_text(self.policy, e.span),
            against: against.to_string(),
        }
    }

    /// `require` against the evidence level.
    fn level_check(&self, e: &Expected) -> RequirementCheck {
        let level = self.evidence.level();
        self.make(
            e,
            Some(level.to_string()),
            level >= self.effective.level(),
            "evidence level",
        )
    }

    /// Each requirement against the attestation the outcome rests on.
    fn against_attestation(&self, attestation: &Attestation) -> Vec<RequirementCheck> {
        let failures = evaluate::check_attestation(self.effective, attestation);
        expectations(self.effective)
            .iter()
            .map(|e| {
                if e.requirement == Requirement::Require {
                    return self.level_check(e);
                }
                let met = !failures.iter().any(|f| f.requirement == e.requirement);
                let found = attested_fact(e.requirement, attestation);
                self.make(e, found, met, &attestation.origin.location)
            })
            .collect()
    }

    /// Each requirement against the registry's assertion. Attestation-only
    /// keys inherited from `[defaults]` are not applied to registry data.
    fn against_registry(
        &self,
        registry: &crate::evidence::RegistryAssertion,
    ) -> Vec<RequirementCheck> {
        let failures = evaluate::check_registry(self.effective, registry);
        let level = self.evidence.level();
        let mut checks = Vec::new();
        for e in &expectations(self.effective) {
            let found = match e.requirement {
                Requirement::Require => Some(level.to_string()),
                Requirement::Repository => Some(registry.repository.clone()),
                Requirement::Owner => owner_of(&registry.repository),
                _ if e.inherited => continue,
                _ => None,
            };
            let met = match e.requirement {
                Requirement::Require => true,
                other => !failures.iter().any(|f| f.requirement == other),
            };
            checks.push(self.make(e, found, met, "registry"));
        }
        checks
    }

    /// Without an attestation or registry data: `require` alone.
    fn against_level(&self) -> Vec<RequirementCheck> {
        expectations(self.effective)
            .iter()
            .find(|e| e.requirement == Requirement::Require)
            .map(|e| self.level_check(e))
            .into_iter()
            .collect()
    }

    /// Whatever the evidence, the registry's record of the crate.
    fn trustpub_only(&self) -> Option<RequirementCheck> {
        let required = self.effective.trustpub_only_required()?;
        let (_, inherited) = self.effective.trustpub_only?;
        let recorded = self.evidence.record.as_ref().and_then(|r| r.trustpub_only);
        Some(RequirementCheck {
            requirement: Requirement::TrustpubOnly,
            expected: "true".into(),
            found: recorded.map(|r| r.to_string()),
            met: recorded == Some(true),
            inherited,
            line: Some(required.span.line),
            text: span_text(self.policy, required.span),
            against: "registry record".into(),
        })
    }

    /// Whatever the evidence, when the index says it was published.
    fn min_age(&self, now: jiff::Timestamp) -> Option<RequirementCheck> {
        let required = self.effective.min_age_required()?;
        let (_, inherited) = self.effective.min_age?;
        let minimum =
            jiff::SignedDuration::try_from(required.value).unwrap_or(jiff::SignedDuration::MAX);
        let published = self.evidence.published;
        Some(RequirementCheck {
            requirement: Requirement::MinAge,
            expected: format!(
                "published at least {} before {now}",
                crate::words::duration(required.value)
            ),
            found: published.map(|p| format!("published {p}")),
            met: published
                .and_then(|p| p.checked_add(minimum).ok())
                .is_some_and(|passes_from| now >= passes_from),
            inherited,
            line: Some(required.span.line),
            text: span_text(self.policy, required.span),
            against: "registry index".into(),
        })
    }
}

/// `source-matches = true`, against the source comparison.
fn source_check(
    policy: &Policy,
    effective: &Effective<'_>,
    evidence: &Evidence,
    allow: Option<&policy::SourceAllow>,
) -> Option<RequirementCheck> {
    let required = effective.source_matches_required()?;
    let (_, inherited) = effective.source_matches?;
    let found = evidence.source_match.as_ref();
    let shown = found.map(|f| match f.result {
        crate::evidence::SourceResult::Differs => {
            format!(
                "differs ({})",
                crate::words::count(f.difference_count(), "file", "files")
            )
        }
        other => other.to_string(),
    });
    // What `source-allow` and the line-endings setting accept is met.
    let met = found.is_some_and(|f| {
        let compared = matches!(
            f.result,
            crate::evidence::SourceResult::Matches | crate::evidence::SourceResult::Differs
        );
        let mut used = vec![false; allow.map_or(0, |a| a.globs.len())];
        compared
            && evaluate::source_differences(f, allow, effective.line_endings_allowed(), &mut used)
                .is_empty()
    });
    Some(RequirementCheck {
        requirement: Requirement::SourceMatches,
        expected: "matches".into(),
        found: shown,
        met,
        inherited,
        line: Some(required.span.line),
        text: span_text(policy, required.span),
        against: "source comparison".into(),
    })
}

/// What a verified attestation shows for a requirement.
fn attested_fact(requirement: Requirement, attestation: &Attestation) -> Option<String> {
    let facts = &attestation.facts;
    let claims = facts.claims();
    let claim = |get: fn(&crate::verify::CertificateClaims) -> &Option<String>| {
        claims.and_then(|c| get(c).clone())
    };
    match requirement {
        Requirement::Issuer => facts.signer.as_ref().and_then(|s| s.issuer.clone()),
        Requirement::Repository => claim(|c| &c.source_repository_uri),
        Requirement::RepositoryId => claim(|c| &c.source_repository_identifier),
        Requirement::Owner => claim(|c| &c.source_repository_owner_uri),
        Requirement::OwnerId => claim(|c| &c.source_repository_owner_identifier),
        Requirement::Workflow => {
            let repository = claim(|c| &c.source_repository_uri);
            // What the matcher compares: the path within the repository,
            // else the whole URI (a workflow of another repository).
            claim(|c| &c.build_config_uri).map(|uri| {
                workflow_in_repository(&uri, repository.as_deref())
                    .unwrap_or_else(|| uri.rsplit_once('@').map_or(&uri, |(u, _)| u))
                    .to_string()
            })
        }
        Requirement::SignerWorkflow => claim(|c| &c.build_signer_uri),
        Requirement::SignerDigest => claim(|c| &c.build_signer_digest),
        Requirement::Ref => claim(|c| &c.source_repository_ref),
        Requirement::Triggers => claim(|c| &c.build_trigger),
        Requirement::Runner => claim(|c| &c.runner_environment),
        Requirement::Visibility => claim(|c| &c.source_repository_visibility_at_signing),
        Requirement::PredicateType => facts.statement.as_ref().map(|s| s.predicate_type.clone()),
        Requirement::Require => Some(EvidenceLevel::Attested.to_string()),
        Requirement::BundleVerification
        | Requirement::EvidenceConflict
        | Requirement::TrustpubOnly
        | Requirement::MinAge
        | Requirement::SourceMatches
        | Requirement::Git
        | Requirement::Path
        | Requirement::ExemptionExpired => None,
    }
}
