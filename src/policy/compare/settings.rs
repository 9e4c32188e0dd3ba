//! The tables besides rules and exemptions: sources, trust, `[git]` and
//! `[path]`, `[diff]` and `[graph]`.

use super::{Weakening, WeakeningKind};
use crate::policy::{AllowList, Glob, Policy, RootSpec, Spanned};
use crate::sources::{default_sources, SourceSpec};

/// Every weakening outside rules and exemptions.
pub(super) fn settings(old: &Policy, new: &Policy) -> Vec<Weakening> {
    let mut found = sources(old, new);
    found.extend(trust(old, new));
    found.extend(allow_list("[git]", old.git.as_ref(), new.git.as_ref()));
    found.extend(allow_list(
        "[path]",
        old.path_deps.as_ref(),
        new.path_deps.as_ref(),
    ));
    found.extend(diff(old, new));
    found.extend(graph(old, new));
    found
}

/// The sources a policy uses: its `[[source]]` tables, else the defaults.
fn used_sources(policy: &Policy) -> Vec<(SourceSpec, Option<u32>)> {
    if policy.sources.is_empty() {
        return default_sources().into_iter().map(|s| (s, None)).collect();
    }
    policy
        .sources
        .iter()
        .map(|s| (s.value.clone(), Some(s.span.line)))
        .collect()
}

/// A source that says where provenance comes from, which the old policy did
/// not ask: its answers can make a package pass.
fn sources(old: &Policy, new: &Policy) -> Vec<Weakening> {
    let before = used_sources(old);
    used_sources(new)
        .into_iter()
        .filter(|(source, _)| !before.iter().any(|(old, _)| old == source))
        .map(|(source, line)| {
            Weakening::new(WeakeningKind::SourceAdded, "[[source]]")
                .values(None, Some(source.label()))
                .line(line)
        })
        .collect()
}

fn root_text(root: &RootSpec) -> String {
    match root {
        RootSpec::Instance { instance } => instance.name().to_string(),
        RootSpec::File { path } => path.display().to_string(),
    }
}

/// Trust roots added (a root trusted signs what passes), `max-age` raised.
fn trust(old: &Policy, new: &Policy) -> Vec<Weakening> {
    let before = old.trust.roots();
    let line = |spanned: &Option<Vec<Spanned<RootSpec>>>| {
        spanned
            .as_ref()
            .and_then(|r| r.first())
            .map(|r| r.span.line)
    };
    let mut found: Vec<Weakening> = new
        .trust
        .roots()
        .iter()
        .filter(|root| !before.contains(root))
        .map(|root| {
            Weakening::new(WeakeningKind::TrustRootAdded, "[trust]")
                .key("roots")
                .values(None, Some(root_text(root)))
                .line(line(&new.trust.roots))
        })
        .collect();
    if new.trust.max_age() > old.trust.max_age() {
        let days = |d: std::time::Duration| format!("{} days", d.as_secs() / 86_400);
        found.push(
            Weakening::new(WeakeningKind::TrustMaxAgeRaised, "[trust]")
                .key("max-age")
                .values(
                    Some(days(old.trust.max_age())),
                    Some(days(new.trust.max_age())),
                )
                .line(new.trust.max_age.as_ref().map(|m| m.span.line)),
        );
    }
    found
}

/// Patterns in `new` that `old` did not have. No list accepts nothing.
fn added_patterns<'a>(old: &[Spanned<Glob>], new: &'a [Spanned<Glob>]) -> Vec<&'a Spanned<Glob>> {
    new.iter()
        .filter(|pattern| {
            !old.iter()
                .any(|o| o.value.as_str() == pattern.value.as_str())
        })
        .collect()
}

fn allow_list(table: &str, old: Option<&AllowList>, new: Option<&AllowList>) -> Vec<Weakening> {
    let Some(new) = new else {
        return Vec::new();
    };
    let before = old.map_or(&[][..], |o| &o.patterns[..]);
    added_patterns(before, &new.patterns)
        .into_iter()
        .map(|pattern| {
            Weakening::new(WeakeningKind::AllowAdded, table)
                .key("allow")
                .values(None, Some(pattern.value.to_string()))
                .line(Some(pattern.span.line))
        })
        .collect()
}

/// `[diff]`: acceptances added, `same-semver-line` turned on, a later
/// `enforce-since`.
fn diff(old: &Policy, new: &Policy) -> Vec<Weakening> {
    let (old, new) = (&old.diff, &new.diff);
    let mut found = Vec::new();
    for (key, before, after) in [
        (
            "allow-downgrade",
            &old.allow_downgrade,
            &new.allow_downgrade,
        ),
        (
            "allow-repository-change",
            &old.allow_repository_change,
            &new.allow_repository_change,
        ),
        (
            "allow-workflow-change",
            &old.allow_workflow_change,
            &new.allow_workflow_change,
        ),
    ] {
        found.extend(added_patterns(before, after).into_iter().map(|pattern| {
            Weakening::new(WeakeningKind::DiffAcceptanceAdded, "[diff]")
                .key(key)
                .values(None, Some(pattern.value.to_string()))
                .line(Some(pattern.span.line))
        }));
    }
    let on = |flag: &Option<Spanned<bool>>| flag.as_ref().is_some_and(|f| f.value);
    if !on(&old.same_semver_line) && on(&new.same_semver_line) {
        found.push(
            Weakening::new(WeakeningKind::DiffAcceptanceAdded, "[diff]")
                .key("same-semver-line")
                .values(Some("false".into()), Some("true".into()))
                .line(new.same_semver_line.as_ref().map(|f| f.span.line)),
        );
    }
    let since = |date: &Option<Spanned<jiff::civil::Date>>| date.as_ref().map(|d| d.value);
    let later = match (since(&old.enforce_since), since(&new.enforce_since)) {
        (None, Some(_)) => true,
        (Some(before), Some(after)) => after > before,
        _ => false,
    };
    if later {
        found.push(
            Weakening::new(WeakeningKind::DiffAcceptanceAdded, "[diff]")
                .key("enforce-since")
                .values(
                    since(&old.enforce_since).map(|d| d.to_string()),
                    since(&new.enforce_since).map(|d| d.to_string()),
                )
                .line(new.enforce_since.as_ref().map(|d| d.span.line)),
        );
    }
    found
}

/// `[graph]`: `exclude-dev` turned on, or a target platform no longer
/// checked (no `targets`: every platform).
fn graph(old: &Policy, new: &Policy) -> Vec<Weakening> {
    let mut found = Vec::new();
    if !old.graph.exclude_dev() && new.graph.exclude_dev() {
        found.push(
            Weakening::new(WeakeningKind::ScopeNarrowed, "[graph]")
                .key("exclude-dev")
                .values(Some("false".into()), Some("true".into()))
                .line(new.graph.exclude_dev.as_ref().map(|e| e.span.line)),
        );
    }
    let describe = |targets: Vec<String>| match targets.is_empty() {
        true => "every platform".to_string(),
        false => targets.join(", "),
    };
    let (before, after) = (old.graph.targets(), new.graph.targets());
    let narrowed = if before.is_empty() {
        !after.is_empty()
    } else {
        !after.is_empty() && before.iter().any(|t| !after.contains(t))
    };
    if narrowed {
        found.push(
            Weakening::new(WeakeningKind::ScopeNarrowed, "[graph]")
                .key("targets")
                .values(Some(describe(before)), Some(describe(after)))
                .line(new.graph.targets.as_ref().map(|t| t.span.line)),
        );
    }
    found
}
