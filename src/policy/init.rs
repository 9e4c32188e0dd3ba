//! `init`: a first policy from what is observed now (trust on first use).
//!
//! Every dependency with verified provenance is pinned to the repository
//! (URL and immutable ID), workflow, ref pattern and, when a reusable
//! workflow signed, signer workflow its attestation shows; dependencies with
//! only registry data are pinned to the repository it states; the rest are
//! listed as commented-out exemptions to decide on. Where today's evidence
//! shows it, a rule also requires what defends against a hijacked release
//! pipeline, each with a comment saying why: release triggers (never a pull
//! request's), a tag ref, a GitHub-hosted runner, and crates.io's refusal
//! of token publishing (`trustpub-only`). Git and path
//! dependencies are allowed as they are. The text parses as a policy under
//! which the same lockfile and evidence pass (except bundles that fail
//! verification, which nothing can waive; they are called out).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::evidence::{Attestation, Evidence};
use crate::lockfile::{Package, PackageSource};
use crate::policy::matcher::workflow_path;
use crate::sources::SourceSpec;

/// What `init` writes besides the rules.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The lockfile the policy is made from, for the header.
    pub lockfile: String,
    /// Today: the header's date, and the base of suggested exemption expiries.
    pub today: jiff::civil::Date,
    /// How long a suggested exemption lasts.
    pub exemption_days: i32,
    /// Sources to write as `[[source]]` tables (paths as they should appear
    /// in the file, relative to it); none: the defaults apply.
    pub sources: Vec<SourceSpec>,
    /// `[trust] roots` to write, as they should appear; none: the defaults.
    pub roots: Vec<String>,
}

/// The facts a pin is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pin {
    repository: Option<String>,
    repository_id: Option<String>,
    workflow: Option<String>,
    git_ref: Option<String>,
    /// Only when a workflow other than the one that ran signed (reusable).
    signer_workflow: Option<String>,
    /// The release events, with the one that started the build, when that
    /// was not a pull request's.
    triggers: Option<Vec<String>>,
    /// Whether the build ran on a GitHub-hosted runner.
    github_hosted: bool,
}

impl Pin {
    fn from_attestation(attestation: &Attestation) -> Option<Self> {
        let claims = attestation.facts.claims()?;
        let repository = claims.source_repository_uri.clone();
        let workflow = claims
            .build_config_uri
            .as_deref()
            .map(|uri| workflow_path(uri, repository.as_deref()).to_string());
        let git_ref = claims.source_repository_ref.as_deref().map(ref_pattern);
        let strip_ref = |uri: &str| uri.rsplit_once('@').map_or(uri, |(u, _)| u).to_string();
        let signer_workflow = match (&claims.build_signer_uri, &claims.build_config_uri) {
            (Some(signer), Some(config)) if strip_ref(signer) != strip_ref(config) => {
                Some(signer_pattern(signer))
            }
            _ => None,
        };
        let triggers = claims
            .build_trigger
            .as_deref()
            .filter(|t| !PULL_REQUEST_EVENTS.contains(t))
            .map(|trigger| {
                let mut triggers: Vec<String> =
                    RELEASE_EVENTS.iter().map(|e| e.to_string()).collect();
                if !RELEASE_EVENTS.contains(&trigger) {
                    triggers.push(trigger.to_string());
                }
                triggers
            });
        let pin = Self {
            repository,
            repository_id: claims.source_repository_identifier.clone(),
            workflow,
            git_ref,
            signer_workflow,
            triggers,
            github_hosted: claims.runner_environment.as_deref() == Some("github-hosted"),
        };
        (pin.repository.is_some() || pin.repository_id.is_some()).then_some(pin)
    }
}

/// The events a release is built on, pinned where a build was started by
/// one of them (or another event that is not a pull request's).
const RELEASE_EVENTS: [&str; 3] = ["push", "release", "workflow_dispatch"];

/// Events that run a workflow for a pull request, with code its author
/// controls (`pull_request_target` even with the repository's secrets):
/// never pinned as allowed.
const PULL_REQUEST_EVENTS: [&str; 4] = [
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
];

/// `refs/tags/v1.2.3` → `refs/tags/*`: releases are tags, and the next one
/// has another name. Branches are pinned as they are.
fn ref_pattern(git_ref: &str) -> String {
    if git_ref.starts_with("refs/tags/") {
        "refs/tags/*".to_string()
    } else {
        git_ref.to_string()
    }
}

/// A reusable workflow at a tag is pinned to that tag's major version line;
/// at a branch or commit, exactly.
fn signer_pattern(signer_uri: &str) -> String {
    match signer_uri.rsplit_once("@refs/tags/") {
        Some((workflow, _)) => format!("{workflow}@refs/tags/*"),
        None => signer_uri.to_string(),
    }
}

enum Found<'a> {
    Attested(Pin),
    Registry(&'a str),
    Nothing,
}

fn found(evidence: &Evidence) -> Found<'_> {
    if let Some(pin) = evidence.attestations.iter().find_map(Pin::from_attestation) {
        return Found::Attested(pin);
    }
    match &evidence.registry {
        Some(registry) => Found::Registry(&registry.repository),
        None => Found::Nothing,
    }
}

/// A TOML string literal.
fn quote(text: &str) -> String {
    toml_edit::Value::from(text).to_string()
}

/// The commented `provenance.toml` for these packages and what was found
/// for each.
pub fn render<'a>(
    packages: impl IntoIterator<Item = (&'a Package, &'a Evidence)>,
    options: &InitOptions,
) -> String {
    let mut registry: BTreeMap<&str, Vec<(&Package, &Evidence)>> = BTreeMap::new();
    let mut git = Vec::new();
    let mut path = Vec::new();
    for (package, evidence) in packages {
        // Packages outside the scope were not looked up: nothing to pin.
        if !package.needs_provenance() {
            continue;
        }
        match &package.source {
            PackageSource::CratesIo | PackageSource::Registry { .. } => registry
                .entry(package.name.as_str())
                .or_default()
                .push((package, evidence)),
            // The URL's normal form (what `[git] allow` matches), as a
            // literal pattern; a URL without one is left out, and fails `[git]`.
            PackageSource::Git { url, .. } => {
                if let Ok(normal) = crate::policy::url::normalize(url) {
                    git.push(globset::escape(&normal));
                }
            }
            PackageSource::Path => path.push(package.name.as_str()),
        }
    }
    git.sort_unstable();
    git.dedup();
    path.sort_unstable();
    path.dedup();

    let all_attested = registry
        .values()
        .flatten()
        .all(|(_, e)| matches!(found(e), Found::Attested(_)));
    let unverified: usize = registry
        .values()
        .flatten()
        .filter(|(_, e)| matches!(found(e), Found::Nothing))
        .count();

    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# provenance.toml: who may build each dependency.");
    let _ = writeln!(
        w,
        "# Written by `cargo verify-provenance init` on {} from {}.",
        options.today, options.lockfile
    );
    let _ = writeln!(w, "#");
    let _ = writeln!(
        w,
        "# Trust on first use: every dependency whose provenance verified is pinned to"
    );
    let _ = writeln!(
        w,
        "# the repository (by immutable ID), workflow and ref it was built from today."
    );
    let _ = writeln!(
        w,
        "# Review the pins: they record what is, not what should be. The reference for"
    );
    let _ = writeln!(w, "# every key is docs/policy.md.");
    let _ = writeln!(w);
    if !options.sources.is_empty() {
        for source in &options.sources {
            write_source(w, source);
        }
    }
    if !options.roots.is_empty() {
        let _ = writeln!(w, "[trust]");
        let roots: Vec<_> = options.roots.iter().map(|r| quote(r)).collect();
        let _ = writeln!(w, "roots = [{}]", roots.join(", "));
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "[defaults]");
    if all_attested {
        let _ = writeln!(
            w,
            "# Every dependency has verified provenance: new ones must too."
        );
        let _ = writeln!(w, "require = \"attested\"");
    } else {
        let _ = writeln!(
            w,
            "# Not every dependency has verified provenance yet: {unverified} without any are"
        );
        let _ = writeln!(
            w,
            "# listed at the end. Once each is pinned or exempted, require it of all:"
        );
        let _ = writeln!(w, "# require = \"attested\"");
        let _ = writeln!(w, "require = \"none\"");
    }
    let _ = writeln!(w);

    let rule_require = if all_attested { None } else { Some("attested") };
    let mut todo: Vec<(&Package, &Evidence)> = Vec::new();
    for (name, versions) in &registry {
        let pins: Vec<_> = versions.iter().map(|(p, e)| (*p, *e, found(e))).collect();
        // One rule for every version when they all agree, else one per version.
        let first = &pins[0].2;
        let uniform = pins.iter().all(|(_, _, f)| same(f, first));
        // A crate-level setting: pinned when crates.io said so for every version.
        let trustpub_only = versions.iter().all(|(_, e)| {
            e.record
                .as_ref()
                .is_some_and(|r| r.trustpub_only == Some(true))
        });
        if uniform {
            if matches!(first, Found::Nothing) {
                todo.extend(versions.iter().copied());
            } else {
                let seen: Vec<String> =
                    pins.iter().map(|(p, _, _)| p.version.to_string()).collect();
                write_rule(w, name, None, &seen, first, rule_require, trustpub_only);
            }
            continue;
        }
        for (package, evidence, f) in &pins {
            if matches!(f, Found::Nothing) {
                todo.push((package, evidence));
            } else {
                write_rule(
                    w,
                    name,
                    Some(&package.version),
                    &[package.version.to_string()],
                    f,
                    rule_require,
                    trustpub_only,
                );
            }
        }
    }
    if !todo.is_empty() {
        todo.sort_by(|a, b| (&a.0.name, &a.0.version).cmp(&(&b.0.name, &b.0.version)));
        let until = options
            .today
            .checked_add(jiff::Span::new().days(options.exemption_days))
            .unwrap_or(options.today);
        let _ = writeln!(
            w,
            "# No verified provenance was found for these. Decide for each: get it attested"
        );
        let _ = writeln!(
            w,
            "# upstream, or uncomment its exemption and say why it is acceptable."
        );
        let _ = writeln!(w);
        for (package, evidence) in &todo {
            let _ = writeln!(w, "# [[exempt]]");
            let _ = writeln!(w, "# name = {}", quote(&package.name));
            let _ = writeln!(w, "# version = {}", quote(&format!("={}", package.version)));
            let _ = writeln!(w, "# reason = \"\"");
            let _ = writeln!(w, "# until = {until}");
            for error in &evidence.errors {
                let _ = writeln!(
                    w,
                    "# (not checked: {}: {})",
                    error.source,
                    error.message.replace('\n', " ")
                );
            }
            if package.checksum.is_none() {
                let _ = writeln!(w, "# (Cargo.lock has no checksum for it)");
            }
            let _ = writeln!(w);
        }
    }
    let rejected: Vec<_> = registry
        .values()
        .flatten()
        .filter(|(_, e)| !e.rejected.is_empty())
        .collect();
    for (package, evidence) in rejected {
        for bad in &evidence.rejected {
            let _ = writeln!(
                w,
                "# WARNING: a bundle for {} failed verification ({}: {}). Nothing in this",
                package.id(),
                bad.origin.location,
                bad.failure.to_string().replace('\n', " ")
            );
            let _ = writeln!(
                w,
                "# file can waive that: remove the bundle from its source or fix the trust root."
            );
        }
        let _ = writeln!(w);
    }

    if !git.is_empty() {
        let _ = writeln!(w, "# Git dependencies, allowed as they are today.");
        let _ = writeln!(w, "[git]");
        write_list(
            w,
            "allow",
            &git.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let _ = writeln!(w);
    }
    if !path.is_empty() {
        let _ = writeln!(
            w,
            "# Path dependencies outside the workspace, allowed as they are today."
        );
        let _ = writeln!(w, "[path]");
        write_list(w, "allow", &path);
        let _ = writeln!(w);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn same(a: &Found<'_>, b: &Found<'_>) -> bool {
    match (a, b) {
        (Found::Attested(x), Found::Attested(y)) => x == y,
        (Found::Registry(x), Found::Registry(y)) => x == y,
        (Found::Nothing, Found::Nothing) => true,
        _ => false,
    }
}

fn write_rule(
    w: &mut String,
    name: &str,
    version: Option<&semver::Version>,
    seen: &[String],
    found: &Found<'_>,
    require: Option<&str>,
    trustpub_only: bool,
) {
    let _ = writeln!(w, "[[package]]");
    let _ = writeln!(w, "name = {}", quote(name));
    if let Some(version) = version {
        let _ = writeln!(w, "version = {}", quote(&format!("={version}")));
    } else if seen.len() > 1 {
        let _ = writeln!(w, "# versions in Cargo.lock: {}", seen.join(", "));
    }
    match found {
        Found::Attested(pin) => {
            if let Some(level) = require {
                let _ = writeln!(w, "require = {}", quote(level));
            }
            if let Some(repository) = &pin.repository {
                let _ = writeln!(w, "repository = {}", quote(repository));
            }
            if let Some(id) = &pin.repository_id {
                let _ = writeln!(w, "repository-id = {}", quote(id));
            }
            if let Some(workflow) = &pin.workflow {
                let _ = writeln!(w, "workflow = {}", quote(workflow));
            }
            if let Some(signer) = &pin.signer_workflow {
                let _ = writeln!(w, "signer-workflow = {}", quote(signer));
            }
            if let Some(git_ref) = &pin.git_ref {
                if git_ref == "refs/tags/*" {
                    let _ = writeln!(
                        w,
                        "# Built from a tag: a push to a branch cannot publish a release."
                    );
                }
                let _ = writeln!(w, "ref = {}", quote(git_ref));
            }
            if let Some(triggers) = &pin.triggers {
                let _ = writeln!(
                    w,
                    "# Never from a pull request: pull_request(_target) runs code its author controls."
                );
                let items: Vec<String> = triggers.iter().map(|t| quote(t)).collect();
                let _ = writeln!(w, "triggers = [{}]", items.join(", "));
            }
            if pin.github_hosted {
                let _ = writeln!(
                    w,
                    "# Built on a GitHub-hosted runner: a fresh machine, not one the publisher keeps."
                );
                let _ = writeln!(w, "runner = \"github-hosted\"");
            }
        }
        Found::Registry(repository) => {
            let _ = writeln!(
                w,
                "# Only the registry's unsigned word (crates.io Trusted Publishing) so far."
            );
            let _ = writeln!(w, "require = \"registry-asserted\"");
            let _ = writeln!(w, "repository = {}", quote(repository));
        }
        Found::Nothing => {}
    }
    if trustpub_only && !matches!(found, Found::Nothing) {
        let _ = writeln!(
            w,
            "# crates.io refuses API tokens for it: a stolen token cannot publish a version."
        );
        let _ = writeln!(w, "trustpub-only = true");
    }
    let _ = writeln!(w);
}

fn write_list(w: &mut String, key: &str, items: &[&str]) {
    if items.len() == 1 {
        let _ = writeln!(w, "{key} = [{}]", quote(items[0]));
        return;
    }
    let _ = writeln!(w, "{key} = [");
    for item in items {
        let _ = writeln!(w, "    {},", quote(item));
    }
    let _ = writeln!(w, "]");
}

fn write_source(w: &mut String, source: &SourceSpec) {
    let _ = writeln!(w, "[[source]]");
    match source {
        SourceSpec::GitHub {
            api_url,
            org,
            predicate_type,
        } => {
            let _ = writeln!(w, "kind = \"github\"");
            if api_url != crate::sources::GITHUB_API {
                let _ = writeln!(w, "api-url = {}", quote(api_url));
            }
            if let Some(org) = org {
                let _ = writeln!(w, "org = {}", quote(org));
            }
            if let Some(p) = predicate_type {
                let _ = writeln!(w, "predicate-type = {}", quote(p));
            }
        }
        SourceSpec::Url { template } => {
            let _ = writeln!(w, "kind = \"url\"");
            let _ = writeln!(w, "template = {}", quote(template));
        }
        SourceSpec::Dir { path } => {
            let _ = writeln!(w, "kind = \"dir\"");
            let _ = writeln!(w, "path = {}", quote(&path.to_string_lossy()));
        }
        SourceSpec::CratesIo { api_url } => {
            let _ = writeln!(w, "kind = \"crates-io\"");
            if api_url != crate::sources::CRATES_IO_API {
                let _ = writeln!(w, "api-url = {}", quote(api_url));
            }
        }
    }
    let _ = writeln!(w);
}
