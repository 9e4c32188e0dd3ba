//! Which verified bundles speak for a package against its registry's
//! record: those attested in the repository the package names, or in one
//! its rule accepts.
//!
//! Anyone may attest any digest in a repository of their own (a sibling
//! repository of the same owner, a fork, a stranger who downloaded the
//! `.crate`), so a bundle from another repository is no sign that the
//! registry's record of the publisher is wrong: held against it, it would
//! make the package fail as an evidence conflict (which nothing waives),
//! and the verdict would depend on which listing happened to return it.
//! Such a bundle is still checked against the rule like any other (a rule
//! pinning the repository fails on it), and it is reported.

use super::{check_attestation, Requirement};
use crate::evidence::{Attestation, Evidence};
use crate::lockfile::Package;
use crate::policy::matcher::same_repository;
use crate::policy::Effective;

/// The requirements that name who may sign: a rule pinning any of them
/// decides which repositories it accepts.
const IDENTITY: [Requirement; 4] = [
    Requirement::Repository,
    Requirement::RepositoryId,
    Requirement::Owner,
    Requirement::OwnerId,
];

/// Mark in `evidence.other_repository` the verified bundles attested in
/// another repository than the one the package names, unless its rule
/// accepts that repository.
///
/// Checks, in order, for each attestation:
/// 1. the repository the package names: its manifest's `repository` (as
///    `cargo metadata` reads it), else the one its rule expects (its
///    `repository` key, where the `github` source looks); a package that
///    names none has none marked. The registry's record is not asked: it
///    is what a bundle is cross-checked against (`evidence-conflict`), not
///    what decides which bundles are;
/// 2. the certificate's source repository (`1.3.6.1.4.1.57264.1.12`): one
///    that states none is not marked;
/// 3. the same repository, in the normal form the policy compares them
///    in: not marked;
/// 4. a rule that pins the signer's identity (`repository`,
///    `repository-id`, `owner`, `owner-id`) and whose pins the certificate
///    meets: not marked; otherwise marked.
///
/// `effective` is the package's requirements, as its deciding rule states
/// them (computed once per package by the run).
pub(crate) fn mark_other_repositories(
    effective: &Effective<'_>,
    package: &Package,
    evidence: &mut Evidence,
) {
    let expected = effective
        .repository
        .map(|(repository, _)| repository.value.text.as_str());
    let Some(named) = package.repository.as_deref().or(expected) else {
        return;
    };
    let other: Vec<_> = evidence
        .attestations
        .iter()
        .filter(|attestation| !speaks_for(attestation, named, effective))
        .map(|attestation| attestation.origin.clone())
        .collect();
    evidence.other_repository.extend(other);
}

fn speaks_for(attestation: &Attestation, named: &str, effective: &Effective<'_>) -> bool {
    let Some(repository) = attestation
        .facts
        .claims()
        .and_then(|c| c.source_repository_uri.as_deref())
    else {
        return true;
    };
    if same_repository(named, repository) {
        return true;
    }
    let pins_identity = effective.repository.is_some()
        || effective.repository_id.is_some()
        || effective.owner.is_some()
        || effective.owner_id.is_some();
    pins_identity
        && !check_attestation(effective, attestation)
            .iter()
            .any(|failure| IDENTITY.contains(&failure.requirement))
}
