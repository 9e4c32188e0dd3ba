//! What the sources could not answer, gathered over every package: one
//! warning naming the hosts that could not be reached, one per source and
//! kind of any other failure (with how many packages it hit), and the short
//! reasons the summary gives for the packages not checked.

use super::{PackageReport, Warning};
use crate::evaluate::Outcome;
use crate::evidence::{FailureKind, SourceError};
use crate::words::count;

/// The warning code for hosts that could not be reached.
pub const UNREACHABLE: &str = "network-unreachable";
/// The warning code for any other failure of a source.
pub const SOURCE_FAILED: &str = "source-failed";
/// The warning code for bundles set aside as attested in another repository.
pub const OTHER_REPOSITORY: &str = "bundle-other-repository";

/// The warnings about sources that failed, for every package of the run:
/// the unreachable hosts once, then one per source and kind of failure, in
/// source order. Packages missing from the cache offline are left to the
/// `offline-not-cached` warning.
pub fn warnings(packages: &[PackageReport], sources: &[String]) -> Vec<Warning> {
    let mut warnings = source_warnings(
        packages.iter().map(|p| p.source_errors.as_slice()),
        sources,
        Unreachable::CHECK,
    );
    warnings.extend(other_repository_warning(packages));
    warnings
}

/// One warning for every verified bundle set aside as attested in another
/// repository than its package's: how many packages, and the first.
fn other_repository_warning(packages: &[PackageReport]) -> Option<Warning> {
    let hit: Vec<&PackageReport> = packages
        .iter()
        .filter(|p| !p.other_repository.is_empty())
        .collect();
    let first = hit.first()?;
    let bundle = &first.other_repository[0];
    Some(Warning {
        code: OTHER_REPOSITORY.into(),
        message: format!(
            "{} had verified bundles attested in another repository than the one {} names, not held against the registry's record (anyone may attest any digest in a repository of their own); first: {} from {}, in {}",
            count(hit.len(), "package", "packages"),
            if hit.len() == 1 { "it" } else { "each" },
            first.outcome.id(),
            bundle.origin.location,
            bundle.repository.as_deref().unwrap_or("an unnamed repository")
        ),
        file: None,
        line: None,
    })
}

/// What to do about hosts that could not be reached, after the command
/// that could not reach them.
#[derive(Debug, Clone, Copy)]
pub struct Unreachable(&'static str);

impl Unreachable {
    /// After a check: fill the cache while online, then check offline.
    pub const CHECK: Self =
        Self("check the network, or run with --offline after `cargo verify-provenance fetch`");
    /// After `fetch` itself: what it fetched is kept; run it again.
    pub const FETCH: Self = Self(
        "check the network (or a proxy) and run `cargo verify-provenance fetch` again: what was fetched is kept in the cache, and only what is missing is asked again",
    );
}

/// [`warnings`] for any list of packages, given each package's source
/// errors (`fetch` has no evaluated report), with the advice for
/// unreachable hosts that fits the command.
pub fn source_warnings<'a>(
    packages: impl Iterator<Item = &'a [SourceError]> + Clone,
    sources: &[String],
    advice: Unreachable,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let all: Vec<&SourceError> = packages.clone().flatten().collect();
    if let Some(hosts) = unreachable_hosts(all.iter().copied()) {
        warnings.push(Warning {
            code: UNREACHABLE.into(),
            message: format!("cannot reach {hosts}: {}", advice.0),
            file: None,
            line: None,
        });
    }
    // (source position, source, kind) → packages hit, and the first message.
    let mut groups: Vec<((usize, &str, FailureKind), usize, &str)> = Vec::new();
    for package_errors in packages {
        let mut seen: Vec<(&str, FailureKind)> = Vec::new();
        for error in package_errors {
            if error.kind.is_unreachable() || error.kind == FailureKind::NotCached {
                continue;
            }
            let key = (error.source.as_str(), error.kind);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let position = sources
                .iter()
                .position(|s| *s == error.source)
                .unwrap_or(sources.len());
            let key = (position, key.0, key.1);
            match groups.iter_mut().find(|(k, ..)| *k == key) {
                Some((_, hit, _)) => *hit += 1,
                None => groups.push((key, 1, &error.message)),
            }
        }
    }
    groups.sort_by_key(|(key, ..)| *key);
    for ((_, source, kind), hit, first) in groups {
        let first = first
            .strip_prefix(source)
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(first);
        warnings.push(Warning {
            code: SOURCE_FAILED.into(),
            message: format!(
                "{source} could not answer for {} ({}); first: {first}",
                count(hit, "package", "packages"),
                kind.describe()
            ),
            file: None,
            line: None,
        });
    }
    warnings
}

/// Why packages were not checked, in a few words each: the hosts that could
/// not be reached, "not in the cache" offline, or a source and its kind of
/// failure. Empty when every package was checked.
pub fn not_checked_because(packages: &[PackageReport]) -> Vec<String> {
    let errors: Vec<&SourceError> = packages
        .iter()
        .filter_map(|p| match &p.outcome.outcome {
            Outcome::NotChecked { errors } | Outcome::Error { errors, .. } => Some(errors),
            _ => None,
        })
        .flatten()
        .collect();
    let mut reasons = Vec::new();
    if let Some(hosts) = unreachable_hosts(errors.iter().copied()) {
        reasons.push(format!("cannot reach {hosts}"));
    }
    for error in errors {
        let reason = match error.kind {
            kind if kind.is_unreachable() => continue,
            FailureKind::NotCached => "not in the cache, and the run is offline".to_string(),
            FailureKind::Failed => format!("{} failed", error.source),
            kind => format!("{}: {}", error.source, kind.describe()),
        };
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    reasons
}

/// `crates.io, api.github.com (DNS lookup failed)`: each host that could
/// not be reached, grouped by why, in the order first met.
fn unreachable_hosts<'a>(errors: impl Iterator<Item = &'a SourceError>) -> Option<String> {
    let mut by_kind: Vec<(FailureKind, Vec<&str>)> = Vec::new();
    for error in errors.filter(|e| e.kind.is_unreachable()) {
        let Some(host) = error.host.as_deref() else {
            continue;
        };
        match by_kind.iter_mut().find(|(kind, _)| *kind == error.kind) {
            Some((_, hosts)) if hosts.contains(&host) => {}
            Some((_, hosts)) => hosts.push(host),
            None => by_kind.push((error.kind, vec![host])),
        }
    }
    if by_kind.is_empty() {
        return None;
    }
    Some(
        by_kind
            .iter()
            .map(|(kind, hosts)| format!("{} ({})", hosts.join(", "), kind.describe()))
            .collect::<Vec<_>>()
            .join(", "),
    )
}
