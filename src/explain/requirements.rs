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
    let expected = expectations(&effective);
    let make = |e: &Expected, found: Option<String>, met: bool, against: &str| RequirementCheck {
        requirement: e.requirement,
        expected: e.text.clone(),
        found,
        met,
        inherited: e.inherited,
        line: Some(e.span.line),
        text: span_text(policy, e.span),
        against: against.to_string(),
    };
    let level = evidence.level();
    let attestation = decided
        .and_then(|origin| evidence.attestations.iter().find(|a| &a.origin == origin))
        .or_else(|| evidence.attestations.first());
    let mut checks = Vec::new();
    if let Some(attestation) = attestation {
        let failures = evaluate::check_attestation(&effective, attestation);
        for e in &expected {
            if e.requirement == Requirement::Require {
                checks.push(make(
                    e,
                    Some(level.to_string()),
                    level >= effective.level(),
                    "evidence level",
                ));
                continue;
            }
            let met = !failures.iter().any(|f| f.requirement == e.requirement);
            let found = attested_fact(e.requirement, attestation);
            checks.push(make(e, found, met, &attestation.origin.location));
        }
    } else if let (Some(registry), true) = (
        &evidence.registry,
        effective.level() <= EvidenceLevel::RegistryAsserted,
    ) {
        let failures = evaluate::check_registry(&effective, registry);
        for e in &expected {
            let found = match e.requirement {
                Requirement::Require => Some(level.to_string()),
                Requirement::Repository => Some(registry.repository.clone()),
                Requirement::Owner => owner_of(&registry.repository),
                // Attestation-only keys inherited from [defaults] are not
                // applied to registry data.
                _ if e.inherited => continue,
                _ => None,
            };
            let met = match e.requirement {
                Requirement::Require => true,
                other => !failures.iter().any(|f| f.requirement == other),
            };
            checks.push(make(e, found, met, "registry"));
        }
    } else if let Some(e) = expected
        .iter()
        .find(|e| e.requirement == Requirement::Require)
    {
        checks.push(make(
            e,
            Some(level.to_string()),
            level >= effective.level(),
            "evidence level",
        ));
    }
    // Whatever the evidence, the registry's record of the crate.
    if let Some(required) = effective.trustpub_only_required() {
        let (_, inherited) = effective.trustpub_only.expect("required, so set");
        let recorded = evidence.record.as_ref().and_then(|r| r.trustpub_only);
        checks.push(RequirementCheck {
            requirement: Requirement::TrustpubOnly,
            expected: "true".into(),
            found: recorded.map(|r| r.to_string()),
            met: recorded == Some(true),
            inherited,
            line: Some(required.span.line),
            text: span_text(policy, required.span),
            against: "registry record".into(),
        });
    }
    // Whatever the evidence, when the index says it was published.
    if let Some(required) = effective.min_age_required() {
        let (_, inherited) = effective.min_age.expect("required, so set");
        let minimum =
            jiff::SignedDuration::try_from(required.value).unwrap_or(jiff::SignedDuration::MAX);
        checks.push(RequirementCheck {
            requirement: Requirement::MinAge,
            expected: format!(
                "published at least {} before {now}",
                crate::words::duration(required.value)
            ),
            found: evidence.published.map(|p| format!("published {p}")),
            met: evidence
                .published
                .and_then(|p| p.checked_add(minimum).ok())
                .is_some_and(|passes_from| now >= passes_from),
            inherited,
            line: Some(required.span.line),
            text: span_text(policy, required.span),
            against: "registry index".into(),
        });
    }
    if let Some(check) = source_check(policy, &effective, evidence, allow) {
        checks.push(check);
    }
    checks
}

/// `source-matches = true`, against the source comparison.
fn source_check(
    policy: &Policy,
    effective: &Effective<'_>,
    evidence: &Evidence,
    allow: Option<&policy::SourceAllow>,
) -> Option<RequirementCheck> {
    let required = effective.source_matches_required()?;
    let (_, inherited) = effective.source_matches.expect("required, so set");
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
