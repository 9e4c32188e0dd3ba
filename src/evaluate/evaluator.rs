//! The evaluation of one package after another, and what it remembers
//! for the stale-policy warnings.

use super::source::with_source_matches;
use super::{
    check_attestation, check_registry, conflicts, disagreements, source_cross_checks_of, Applied,
    Evaluation, Failure, Outcome, PackageOutcome, Requirement, RuleRef, RuleRefKind, Verdict,
};
use crate::evidence::{Evidence, SourceError};
use crate::lockfile::{Package, PackageSource};
use crate::policy::{
    deciding_position, matching_exemption, Code, Effective, Exemption, Policy, PolicyDiagnostic,
    RuleKind, Traits,
};

/// Evaluates packages one at a time and remembers which rules were used,
/// for the stale-policy warnings.
pub struct Evaluator<'p> {
    policy: &'p Policy,
    now: jiff::Timestamp,
    /// Per rule, per selector: decided at least one package.
    rule_used: Vec<Vec<bool>>,
    /// Per exemption: matched a package / was needed by one.
    exemption_matched: Vec<bool>,
    exemption_needed: Vec<bool>,
    git_used: Vec<bool>,
    path_used: Vec<bool>,
    /// Per rule, per selector: the packages it names by exact name whose
    /// version it does not cover, decided by another rule or `[defaults]`.
    versions_passed_over: Vec<Vec<Vec<String>>>,
    /// Per rule, per `source-allow` glob: accepted a file of a package it decided.
    source_allow_used: Vec<Vec<bool>>,
}

impl<'p> Evaluator<'p> {
    pub fn new(policy: &'p Policy, now: jiff::Timestamp) -> Self {
        Self {
            policy,
            now,
            rule_used: policy
                .rules
                .iter()
                .map(|r| vec![false; r.selectors.len()])
                .collect(),
            exemption_matched: vec![false; policy.exemptions.len()],
            exemption_needed: vec![false; policy.exemptions.len()],
            git_used: vec![false; policy.git.as_ref().map_or(0, |g| g.patterns.len())],
            path_used: vec![false; policy.path_deps.as_ref().map_or(0, |p| p.patterns.len())],
            versions_passed_over: policy
                .rules
                .iter()
                .map(|r| vec![Vec::new(); r.selectors.len()])
                .collect(),
            source_allow_used: policy
                .rules
                .iter()
                .map(|r| vec![false; r.source_allow.as_ref().map_or(0, |a| a.globs.len())])
                .collect(),
        }
    }

    /// The outcome for one package.
    ///
    /// Checks, in order: workspace membership (passes); a bundle that
    /// failed verification, or a verified one that contradicts the
    /// registry's record (a violation nothing waives); git and path
    /// dependencies against `[git]`/`[path]`; registry packages against the
    /// most specific rule (else `[defaults]`): verified attestations first,
    /// then registry data, then the absence of evidence; finally an
    /// exemption turns a failure into `exempt` (or, expired, says so).
    pub fn package(&mut self, package: &Package, evidence: &Evidence) -> PackageOutcome {
        let make = |rule: RuleRef, applied: Applied, outcome: Outcome| PackageOutcome {
            name: package.name.clone(),
            version: package.version.clone(),
            source: package.source.clone(),
            evidence: evidence.level(),
            rule,
            applied,
            outcome,
        };
        if package.workspace_member {
            return make(
                RuleRef::bare(RuleRefKind::WorkspaceMember),
                Applied::Nothing,
                Outcome::Pass { bundle: None },
            );
        }
        if let Some(out_of_scope) = &package.out_of_scope {
            self.note_out_of_scope(package);
            return make(
                RuleRef::bare(RuleRefKind::OutOfScope),
                Applied::Nothing,
                Outcome::OutOfScope {
                    out_of_scope: out_of_scope.clone(),
                },
            );
        }
        let (rule, applied, verdict) = match &package.source {
            PackageSource::Git { url, .. } => {
                let (rule, verdict) = self.git(url, evidence);
                (rule, Applied::Nothing, verdict)
            }
            PackageSource::Path => {
                let (rule, verdict) = self.path(&package.name, evidence);
                (rule, Applied::Nothing, verdict)
            }
            PackageSource::CratesIo | PackageSource::Registry { .. } => {
                self.registry(package, evidence)
            }
        };
        let outcome = self.apply_exemption(package, verdict);
        make(rule, applied, outcome)
    }

    /// A package outside the scope is decided by nothing, but the rule,
    /// pattern and exemption that would decide it are still in use (the
    /// dependency is there, only not in this build): they are not reported
    /// as stale.
    fn note_out_of_scope(&mut self, package: &Package) {
        let policy = self.policy;
        match &package.source {
            PackageSource::Git { url, .. } => {
                let found = crate::policy::url::normalize(url)
                    .ok()
                    .and_then(|normal| policy.git.as_ref().and_then(|list| list.find(&normal)));
                if let Some(index) = found {
                    self.git_used[index] = true;
                }
            }
            PackageSource::Path => {
                let found = policy
                    .path_deps
                    .as_ref()
                    .and_then(|list| list.find(&package.name));
                if let Some(index) = found {
                    self.path_used[index] = true;
                }
            }
            PackageSource::CratesIo | PackageSource::Registry { .. } => {
                if let Some((rule, selector)) =
                    deciding_position(policy, &package.name, &package.version, Traits::of(package))
                {
                    self.rule_used[rule][selector] = true;
                }
            }
        }
        if let Some(e) = matching_exemption(policy, &package.name, &package.version) {
            self.exemption_matched[e.index] = true;
            self.exemption_needed[e.index] = true;
        }
    }

    /// A git URL is matched in its normal form; one that has none (a `..`
    /// segment, an encoded `/`, …) matches no pattern, and the reason is shown.
    fn git(&mut self, url: &str, evidence: &Evidence) -> (RuleRef, Verdict) {
        let shown = git_url(url);
        match crate::policy::url::normalize(url) {
            Ok(normal) => self.allow_listed(true, Some(&normal), shown.to_string(), evidence),
            Err(reason) => self.allow_listed(true, None, format!("{shown} ({reason})"), evidence),
        }
    }

    fn path(&mut self, name: &str, evidence: &Evidence) -> (RuleRef, Verdict) {
        self.allow_listed(false, Some(name), name.to_string(), evidence)
    }

    /// `text`: what the patterns are matched against (`None`: nothing
    /// matches); `shown`: what a failure says was found.
    fn allow_listed(
        &mut self,
        git: bool,
        text: Option<&str>,
        shown: String,
        evidence: &Evidence,
    ) -> (RuleRef, Verdict) {
        let (kind, list, used, requirement) = if git {
            (
                RuleRefKind::Git,
                self.policy.git.as_ref(),
                &mut self.git_used,
                Requirement::Git,
            )
        } else {
            (
                RuleRefKind::Path,
                self.policy.path_deps.as_ref(),
                &mut self.path_used,
                Requirement::Path,
            )
        };
        let rejected = rejected_failures(evidence);
        let Some(list) = list else {
            // No table: not checked.
            let rule = RuleRef::bare(kind);
            let verdict = if rejected.is_empty() {
                Verdict::NoProvenance
            } else {
                Verdict::Rejected(rejected)
            };
            return (rule, verdict);
        };
        let found = text.and_then(|text| list.find(text));
        let rule = RuleRef {
            kind,
            index: found,
            selector: found.map(|i| list.patterns[i].value.to_string()),
            span: Some(found.map_or(list.span, |i| list.patterns[i].span)),
        };
        if let Some(i) = found {
            used[i] = true;
        }
        let verdict = if !rejected.is_empty() {
            Verdict::Rejected(rejected)
        } else if found.is_some() {
            Verdict::Pass(None)
        } else {
            let what = if git { "git URL" } else { "package name" };
            Verdict::Fail(vec![Failure {
                requirement,
                expected: if list.patterns.is_empty() {
                    format!("no {} dependencies (allow = [])", kind_word(git))
                } else {
                    let mut text = format!("a {what} matching ");
                    text.push_str(
                        &list
                            .patterns
                            .iter()
                            .map(|p| p.value.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    text
                },
                found: Some(shown),
                span: Some(list.span),
                bundle: None,
            }])
        };
        (rule, verdict)
    }

    /// Remember the rules that name `package` exactly but not its version,
    /// when none that does decides it: it falls to a glob rule or
    /// `[defaults]`, which a warning says.
    fn note_versions_passed_over(&mut self, package: &Package, decided: Option<(usize, usize)>) {
        let policy = self.policy;
        let exact = |(rule, selector): (usize, usize)| {
            let s = &policy.rules[rule].selectors[selector];
            s.name.value.is_literal() && s.name.value.is_match(&package.name)
        };
        if decided.is_some_and(exact) {
            return;
        }
        for (rule, selector) in policy.rule_index.candidates(&package.name) {
            if exact((rule, selector)) {
                self.versions_passed_over[rule][selector].push(package.id());
            }
        }
    }

    fn registry(&mut self, package: &Package, evidence: &Evidence) -> (RuleRef, Applied, Verdict) {
        let policy = self.policy;
        let decided =
            deciding_position(policy, &package.name, &package.version, Traits::of(package));
        self.note_versions_passed_over(package, decided);
        let (rule_ref, applied, effective) = match decided {
            Some((position, selector)) => {
                let rule = &policy.rules[position];
                self.rule_used[position][selector] = true;
                let s = &rule.selectors[selector];
                (
                    RuleRef {
                        kind: match rule.kind {
                            RuleKind::Package => RuleRefKind::Package,
                            RuleKind::Owner => RuleRefKind::Owner,
                        },
                        index: Some(rule.index),
                        selector: Some(s.describe()),
                        span: Some(match rule.kind {
                            RuleKind::Package => rule.span,
                            RuleKind::Owner => s.name.span,
                        }),
                    },
                    Applied::Rule(position),
                    rule.requirements.merged(&policy.defaults),
                )
            }
            None => {
                // A policy read from text has [defaults], even when empty.
                let kind = if policy.text.is_some() {
                    RuleRefKind::Defaults
                } else {
                    RuleRefKind::BuiltIn
                };
                (
                    RuleRef::bare(kind),
                    Applied::Defaults,
                    crate::policy::NO_REQUIREMENTS.merged(&policy.defaults),
                )
            }
        };
        let mut verdict = evidence_verdict(package, evidence, &effective);
        verdict = apply_fact(verdict, trustpub_only_check(package, evidence, &effective));
        verdict = apply_fact(
            verdict,
            min_age_check(package, evidence, &effective, self.now),
        );
        let (allow, used) = match decided {
            Some((position, _)) => (
                policy.rules[position].source_allow.as_ref(),
                self.source_allow_used[position].as_mut_slice(),
            ),
            None => (None, &mut [][..]),
        };
        let verdict = with_source_matches(verdict, evidence, &effective, allow, used);
        (rule_ref, applied, verdict)
    }

    fn apply_exemption(&mut self, package: &Package, verdict: Verdict) -> Outcome {
        let exemption = matching_exemption(self.policy, &package.name, &package.version);
        if let Some(e) = exemption {
            self.exemption_matched[e.index] = true;
        }
        match verdict {
            Verdict::Pass(bundle) => Outcome::Pass { bundle },
            Verdict::NoProvenance => Outcome::NoProvenance,
            Verdict::NotChecked(errors) => Outcome::NotChecked { errors },
            Verdict::Rejected(failures) => {
                if let Some(e) = exemption {
                    // Counted as needed: the package does not pass.
                    self.exemption_needed[e.index] = true;
                }
                Outcome::Violation { failures }
            }
            Verdict::Fail(failures) | Verdict::Error(_, failures)
                if exemption.is_some_and(|e| !e.is_expired(self.now)) =>
            {
                let e = exemption.expect("checked above");
                self.exemption_needed[e.index] = true;
                Outcome::Exempt {
                    exemption: exemption_ref(e),
                    reason: e.reason.value.clone(),
                    until: e.until.as_ref().map(|u| u.value),
                    failures,
                }
            }
            Verdict::Fail(mut failures) => {
                if let Some(e) = exemption {
                    self.exemption_needed[e.index] = true;
                    failures.push(expired_failure(e));
                }
                Outcome::Violation { failures }
            }
            Verdict::Error(errors, mut failures) => match exemption {
                Some(e) => {
                    self.exemption_needed[e.index] = true;
                    failures.push(expired_failure(e));
                    Outcome::Violation { failures }
                }
                None => Outcome::Error { errors, failures },
            },
        }
    }

    /// The evaluation, with the stale-policy warnings.
    pub fn finish(self, outcomes: Vec<PackageOutcome>) -> Evaluation {
        let policy = self.policy;
        let mut warnings = Vec::new();
        self.unused_rules(&mut warnings);
        self.versions_not_covered(&mut warnings);
        self.unused_source_allow(&mut warnings);
        self.unused_exemptions(&mut warnings);
        self.unused_allow_lists(&mut warnings);
        warnings.sort_by_key(|w| w.span().map_or(0, |s| s.offset));
        if let Some(text) = &policy.text {
            warnings = warnings
                .into_iter()
                .map(|w| w.with_source(text.clone()))
                .collect();
        }
        Evaluation {
            mode: policy.mode,
            not_checked: policy.not_checked,
            outcomes,
            warnings,
        }
    }

    /// A rule's selector that decided no package.
    fn unused_rules(&self, warnings: &mut Vec<PolicyDiagnostic>) {
        let policy = self.policy;
        for (rule, used) in policy.rules.iter().zip(&self.rule_used) {
            for (selector, used) in rule.selectors.iter().zip(used) {
                if *used {
                    continue;
                }
                let (span, what) = match rule.kind {
                    RuleKind::Package => (rule.span, "this [[package]] rule".to_string()),
                    RuleKind::Owner => (
                        selector.name.span,
                        format!("`{}` in this [[owner]] rule", selector.name.value),
                    ),
                };
                warnings.push(
                PolicyDiagnostic::warning(
                    Code::UnusedRule,
                    format!("{what} decided no package of the lockfile"),
                )
                .label(span, format!("no package is decided by `{}`", selector.describe()))
                .help("remove it if the dependency is gone; a more specific rule may also be taking precedence"),
            );
            }
        }
    }

    /// A rule naming a package by name and version that another version of
    /// it fell through to a weaker rule.
    fn versions_not_covered(&self, warnings: &mut Vec<PolicyDiagnostic>) {
        let policy = self.policy;
        for (rule, passed_over) in policy.rules.iter().zip(&self.versions_passed_over) {
            for (selector, packages) in rule.selectors.iter().zip(passed_over) {
                let Some(version) = selector.version.as_ref().filter(|_| !packages.is_empty())
                else {
                    continue;
                };
                warnings.push(
                PolicyDiagnostic::warning(
                    Code::VersionNotCovered,
                    format!(
                        "{} {} `{}`, but not this version; a glob rule or [defaults] decides {}",
                        packages.join(", "),
                        if packages.len() == 1 { "is named by" } else { "are named by" },
                        selector.describe(),
                        if packages.len() == 1 { "it" } else { "them" },
                    ),
                )
                .label(version.span, "does not cover that version")
                .help("widen `version`, or add a rule for the other versions, so that a named package is never decided by a weaker rule"),
            );
            }
        }
    }

    /// An exemption that matched nothing, or that no failure needed.
    fn unused_exemptions(&self, warnings: &mut Vec<PolicyDiagnostic>) {
        for exemption in &self.policy.exemptions {
            let span = exemption.span;
            if !self.exemption_matched[exemption.index] {
                warnings.push(
                    PolicyDiagnostic::warning(
                        Code::UnusedExemption,
                        format!(
                            "the exemption for `{}` matched no package of the lockfile",
                            exemption.selector.describe()
                        ),
                    )
                    .label(span, "matches nothing")
                    .help("remove it if the dependency is gone"),
                );
            } else if !self.exemption_needed[exemption.index] {
                warnings.push(
                    PolicyDiagnostic::warning(
                        Code::UnneededExemption,
                        format!(
                            "the exemption for `{}` is not needed: the package meets its rule",
                            exemption.selector.describe()
                        ),
                    )
                    .label(span, "not needed")
                    .help("remove the exemption"),
                );
            }
        }
    }

    /// A `[git]` or `[path]` allow pattern that matched no dependency.
    fn unused_allow_lists(&self, warnings: &mut Vec<PolicyDiagnostic>) {
        let policy = self.policy;
        for (list, used, table) in [
            (&policy.git, &self.git_used, "[git]"),
            (&policy.path_deps, &self.path_used, "[path]"),
        ] {
            let Some(list) = list else { continue };
            for (pattern, used) in list.patterns.iter().zip(used) {
                if !used {
                    warnings.push(
                        PolicyDiagnostic::warning(
                            Code::UnusedRule,
                            format!(
                                "`{}` in {table} allow matched no dependency of the lockfile",
                                pattern.value
                            ),
                        )
                        .label(pattern.span, "matches nothing")
                        .help("remove it if the dependency is gone"),
                    );
                }
            }
        }
    }
}

fn kind_word(git: bool) -> &'static str {
    if git {
        "git"
    } else {
        "path"
    }
}

/// A Cargo.lock git URL without `?query` (the locked commit is already gone).
fn git_url(url: &str) -> &str {
    url.split_once('?').map_or(url, |(u, _)| u)
}

fn exemption_ref(e: &Exemption) -> RuleRef {
    RuleRef {
        kind: RuleRefKind::Exempt,
        index: Some(e.index),
        selector: Some(e.selector.describe()),
        span: Some(e.span),
    }
}

fn expired_failure(e: &Exemption) -> Failure {
    let until = e.until.as_ref().expect("an expired exemption has a date");
    Failure {
        requirement: Requirement::ExemptionExpired,
        expected: format!("an exemption in force (\"{}\")", e.reason.value),
        found: Some(format!("expired on {}", until.value)),
        span: Some(until.span),
        bundle: None,
    }
}

/// What the evidence shows against a rule's requirements, before
/// `trustpub-only` and exemptions.
///
/// Checks, in order: a bundle that fails verification, or a verified one
/// that contradicts the registry's record of the publisher, or either of
/// them contradicting the commit and repository the published package
/// names (fails whatever the rule says); verified attestations (any one passing passes); registry
/// data where the rule asks for no more; the absence of evidence.
fn evidence_verdict(package: &Package, evidence: &Evidence, effective: &Effective<'_>) -> Verdict {
    let unwaivable = unwaivable_failures(evidence);
    if !unwaivable.is_empty() {
        return Verdict::Rejected(unwaivable);
    }
    // Verified attestations decide whenever there is one.
    if !evidence.attestations.is_empty() {
        let mut closest: Option<Vec<Failure>> = None;
        for attestation in &evidence.attestations {
            let failures = check_attestation(effective, attestation);
            if failures.is_empty() {
                return Verdict::Pass(Some(attestation.origin.clone()));
            }
            if closest.as_ref().is_none_or(|c| failures.len() < c.len()) {
                closest = Some(failures);
            }
        }
        return Verdict::Fail(closest.unwrap_or_default());
    }
    let level = effective.level();
    if let Some(registry) = &evidence.registry {
        if level <= crate::evidence::EvidenceLevel::RegistryAsserted {
            let failures = check_registry(effective, registry);
            return if failures.is_empty() {
                Verdict::Pass(None)
            } else {
                Verdict::Fail(failures)
            };
        }
    }
    unattested_verdict(package, evidence, effective)
}

/// The verdict without an attestation or registry data that decides:
/// nothing found (no provenance, or not checked when a source failed), or
/// less than the rule requires.
fn unattested_verdict(
    package: &Package,
    evidence: &Evidence,
    effective: &Effective<'_>,
) -> Verdict {
    let level = effective.level();
    let mut errors = evidence.errors.clone();
    if package.checksum.is_none() {
        errors.push(SourceError::new(
            "Cargo.lock",
            format!(
                "{} has no checksum in Cargo.lock, so its provenance cannot be looked up",
                package.id()
            ),
        ));
    }
    if level == crate::evidence::EvidenceLevel::None {
        return if errors.is_empty() {
            Verdict::NoProvenance
        } else {
            Verdict::NotChecked(errors)
        };
    }
    let (require, _) = effective.require.expect("a level above none is set");
    let failure = Failure {
        requirement: Requirement::Require,
        expected: require.value.to_string(),
        found: Some(evidence.level().to_string()),
        span: Some(require.span),
        bundle: None,
    };
    if errors.is_empty() {
        Verdict::Fail(vec![failure])
    } else {
        Verdict::Error(errors, vec![failure])
    }
}

/// What no rule or exemption waives: a bundle that failed verification,
/// and a verified fact that contradicts the registry's record or the
/// source comparison.
fn unwaivable_failures(evidence: &Evidence) -> Vec<Failure> {
    let mut unwaivable = rejected_failures(evidence);
    if let Some(registry) = &evidence.registry {
        // A bundle from another repository is no sign the record is wrong.
        let cross_checked = evidence
            .attestations
            .iter()
            .filter(|a| !evidence.other_repository.contains(&a.origin));
        unwaivable.extend(conflicts(cross_checked, registry));
    }
    // Only a comparison that read the repository at the commit, complete
    // or not: a disagreement is then between two facts, not a guess.
    unwaivable.extend(disagreements(source_cross_checks_of(evidence)));
    unwaivable
}

/// What a requirement on a registry fact (not a bundle's claim) found.
enum FactCheck {
    Met,
    Failed(Failure),
    /// The fact is not known: never a pass. `errors` say why (each is
    /// added); `fallback` says so when nothing else does.
    Unknown {
        errors: Vec<SourceError>,
        fallback: SourceError,
        failure: Failure,
    },
}

/// `verdict` with one registry fact's check added. A rejected bundle stays
/// a rejection; a failure joins the other failures (and a failure makes an
/// error a failure); an unknown fact makes a pass, or a package with no
/// provenance, not checked (an error, which an exemption may excuse) and
/// leaves a failure a failure.
fn apply_fact(verdict: Verdict, check: FactCheck) -> Verdict {
    match (check, verdict) {
        (FactCheck::Met, verdict) | (_, verdict @ Verdict::Rejected(_)) => verdict,
        (FactCheck::Failed(failure), verdict) => match verdict {
            Verdict::Fail(mut failures) | Verdict::Error(_, mut failures) => {
                failures.push(failure);
                Verdict::Fail(failures)
            }
            _ => Verdict::Fail(vec![failure]),
        },
        (FactCheck::Unknown { .. }, Verdict::Fail(failures)) => Verdict::Fail(failures),
        (
            FactCheck::Unknown {
                errors,
                fallback,
                failure,
            },
            verdict,
        ) => {
            let (mut known, mut failures) = match verdict {
                Verdict::Error(errors, failures) => (errors, failures),
                Verdict::NotChecked(errors) => (errors, Vec::new()),
                _ => (Vec::new(), Vec::new()),
            };
            for error in errors {
                if !known.contains(&error) {
                    known.push(error);
                }
            }
            if known.is_empty() {
                known.push(fallback);
            }
            failures.push(failure);
            Verdict::Error(known, failures)
        }
    }
}

impl Evaluator<'_> {
    /// A warning per `source-allow` glob that accepted no file.
    fn unused_source_allow(&self, warnings: &mut Vec<PolicyDiagnostic>) {
        for (rule, used) in self.policy.rules.iter().zip(&self.source_allow_used) {
            let Some(allow) = &rule.source_allow else {
                continue;
            };
            for (glob, _) in allow.globs.iter().zip(used).filter(|(_, used)| !**used) {
                warnings.push(
                    PolicyDiagnostic::warning(
                        Code::UnusedSourceAllow,
                        format!(
                            "`{}` in `source-allow` accepted no file of the packages this rule decided",
                            glob.value
                        ),
                    )
                    .label(glob.span, "matches no file that differs")
                    .help("remove it if the package no longer ships that file"),
                );
            }
        }
    }
}

/// `trustpub-only = true`: the registry's record must say the crate
/// refuses token publishing. A record that says it does not is a failure;
/// no record (another registry, a source that could not answer, crates.io
/// not asked) leaves the package not checked, never passed.
fn trustpub_only_check(
    package: &Package,
    evidence: &Evidence,
    effective: &Effective<'_>,
) -> FactCheck {
    let Some(required) = effective.trustpub_only_required() else {
        return FactCheck::Met;
    };
    let failure = |found: &str| Failure {
        requirement: Requirement::TrustpubOnly,
        expected:
            "a crate that crates.io publishes only through trusted publishing (trustpub_only)"
                .into(),
        found: Some(found.into()),
        span: Some(required.span),
        bundle: None,
    };
    match evidence.record.as_ref().and_then(|r| r.trustpub_only) {
        Some(true) => FactCheck::Met,
        Some(false) => FactCheck::Failed(failure(
            "crates.io also accepts API tokens for it (trustpub_only = false)",
        )),
        None => FactCheck::Unknown {
            errors: evidence.errors.clone(),
            fallback: SourceError::new(
                "trustpub-only",
                match &package.source {
                    PackageSource::CratesIo => format!(
                        "no record from crates.io says whether {} refuses token publishing (is a crates-io source configured?)",
                        package.name
                    ),
                    _ => format!(
                        "{} is not from crates.io, the only registry that records trustpub_only",
                        package.name
                    ),
                },
            ),
            failure: failure("nothing: the record could not be read"),
        },
    }
}

/// `min-age`: the version must have been published at least that long
/// before the run's clock. A younger one is a failure naming its publish
/// time and when it will pass; an unknown publish time (another registry,
/// an index that could not answer) leaves the package not checked.
fn min_age_check(
    package: &Package,
    evidence: &Evidence,
    effective: &Effective<'_>,
    now: jiff::Timestamp,
) -> FactCheck {
    let Some(required) = effective.min_age_required() else {
        return FactCheck::Met;
    };
    let minimum = signed(required.value);
    let failure = |found: String| Failure {
        requirement: Requirement::MinAge,
        expected: format!(
            "a version published at least {} before this run ({now})",
            crate::words::duration(required.value)
        ),
        found: Some(found),
        span: Some(required.span),
        bundle: None,
    };
    let Some(published) = evidence.published else {
        return FactCheck::Unknown {
            errors: evidence.published_unknown.iter().cloned().collect(),
            fallback: SourceError::new(
                "min-age",
                match &package.source {
                    PackageSource::CratesIo => format!(
                        "nothing says when {} was published (is a crates-io source configured?)",
                        package.id()
                    ),
                    other => format!(
                        "{} comes from {other}: only crates.io's index is read for publish times",
                        package.id()
                    ),
                },
            ),
            failure: failure("no publish time".into()),
        };
    };
    let passes_from = published
        .checked_add(minimum)
        .unwrap_or(jiff::Timestamp::MAX);
    if now >= passes_from {
        return FactCheck::Met;
    }
    FactCheck::Failed(failure(format!(
        "published {published}, {} before this run; it passes from {passes_from}",
        crate::words::duration(now.duration_since(published).try_into().unwrap_or_default())
    )))
}

/// A policy duration as jiff's; beyond its range means "forever".
fn signed(duration: std::time::Duration) -> jiff::SignedDuration {
    jiff::SignedDuration::try_from(duration).unwrap_or(jiff::SignedDuration::MAX)
}

fn rejected_failures(evidence: &Evidence) -> Vec<Failure> {
    evidence
        .rejected
        .iter()
        .map(|r| Failure {
            requirement: Requirement::BundleVerification,
            expected: "a bundle that verifies".into(),
            found: Some(r.failure.to_string()),
            span: None,
            bundle: Some(r.origin.clone()),
        })
        .collect()
}
