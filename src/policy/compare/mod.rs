//! What a change to the policy weakens: `policy diff OLD NEW`.
//!
//! A pull request that edits `provenance.toml` changes the gate that
//! judges it. [`weakenings`] lists every change that lets through what the
//! old policy did not: the mode switched to audit, requirements dropped or
//! loosened, rules removed or added with less than what decided their
//! packages before, exemptions added or extended, sources and trust roots
//! added, `[git]`/`[path]` patterns added, `[diff]` acceptances added and
//! `[graph]` narrowed. A change that only tightens is not listed.
//!
//! Patterns are compared as written: a new list of patterns that holds
//! only patterns of the old list tightens; one that holds all of the old
//! and more loosens; any other change is listed as changed, for review
//! (whether `refs/tags/v1.*` accepts less than `refs/tags/v*` is not
//! decided here).

pub mod render;
mod settings;
#[cfg(test)]
mod tests;

use serde::Serialize;

use super::{
    Effective, Exemption, GlobList, Mode, Policy, Rule, RuleKind, Selector, SourceAllow, Spanned,
    NO_REQUIREMENTS,
};
use crate::policy::matcher::{RepoUrl, Runner, Visibility};
use crate::policy::rule_keys::{self, RequirementKey};

/// How a change weakens the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeakeningKind {
    /// `mode` went from `enforce` to `audit`.
    ModeAudit,
    /// A requirement is no longer set.
    Dropped,
    /// A requirement accepts all it did and more.
    Loosened,
    /// A requirement has another value, not plainly stricter: review it.
    Changed,
    /// An `[[exempt]]` entry that was not there.
    ExemptionAdded,
    /// An exemption that lasts longer or covers more versions.
    ExemptionExtended,
    /// A `[[source]]` that was not used before.
    SourceAdded,
    /// A trust root that was not trusted before.
    TrustRootAdded,
    /// `[trust] max-age` raised or dropped.
    TrustMaxAgeRaised,
    /// A `[git]` or `[path]` pattern added.
    AllowAdded,
    /// A `[diff]` acceptance added or widened.
    DiffAcceptanceAdded,
    /// `[graph]` checks less of the graph.
    ScopeNarrowed,
}

/// One change that weakens the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Weakening {
    pub kind: WeakeningKind,
    /// The table: `mode`, `[defaults]`, `[[package]] serde*`, `[[exempt]] libc`, …
    pub table: String,
    /// The key concerned, when there is one.
    pub key: Option<String>,
    /// The old value as written (`None`: unset).
    pub old: Option<String>,
    /// The new value as written (`None`: unset).
    pub new: Option<String>,
    /// The line of the new file that makes the change (else of the old file).
    pub line: Option<u32>,
    /// A note: which rule a removed or added rule is compared with.
    pub note: Option<String>,
}

impl Weakening {
    fn new(kind: WeakeningKind, table: impl Into<String>) -> Self {
        Self {
            kind,
            table: table.into(),
            key: None,
            old: None,
            new: None,
            line: None,
            note: None,
        }
    }

    fn values(mut self, old: Option<String>, new: Option<String>) -> Self {
        self.old = old;
        self.new = new;
        self
    }

    fn key(mut self, key: &str) -> Self {
        self.key = Some(key.to_string());
        self
    }

    fn line(mut self, line: Option<u32>) -> Self {
        self.line = line;
        self
    }

    /// What changed, in words: `[defaults] require: attested → none (loosened)`.
    pub fn describe(&self) -> String {
        let mut text = self.table.clone();
        if let Some(key) = &self.key {
            text.push(' ');
            text.push_str(key);
        }
        let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "(unset)".into());
        if self.old.is_some() || self.new.is_some() {
            text.push_str(&format!(": {} → {}", show(&self.old), show(&self.new)));
        }
        text.push_str(&format!(" ({})", self.kind.describe()));
        if let Some(note) = &self.note {
            text.push_str(&format!("; {note}"));
        }
        text
    }
}

impl WeakeningKind {
    /// A few words for people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ModeAudit => "violations no longer fail",
            Self::Dropped => "requirement dropped",
            Self::Loosened => "loosened",
            Self::Changed => "changed: may accept what it did not",
            Self::ExemptionAdded => "exemption added",
            Self::ExemptionExtended => "exemption extended",
            Self::SourceAdded => "source added",
            Self::TrustRootAdded => "trust root added",
            Self::TrustMaxAgeRaised => "older trust roots accepted",
            Self::AllowAdded => "pattern added",
            Self::DiffAcceptanceAdded => "accepted without failing",
            Self::ScopeNarrowed => "fewer packages checked",
        }
    }
}

/// Every change from `old` to `new` that weakens the policy, in the order
/// of the file: mode, `[defaults]`, rules, exemptions, sources, trust,
/// `[git]`/`[path]`, `[diff]`, `[graph]`.
pub fn weakenings(old: &Policy, new: &Policy) -> Vec<Weakening> {
    let mut found = Vec::new();
    if old.mode == Mode::Enforce && new.mode == Mode::Audit {
        found.push(
            Weakening::new(WeakeningKind::ModeAudit, "mode")
                .values(Some("enforce".into()), Some("audit".into())),
        );
    }
    let old_defaults = NO_REQUIREMENTS.merged(&old.defaults);
    let new_defaults = NO_REQUIREMENTS.merged(&new.defaults);
    found.extend(requirements("[defaults]", &old_defaults, &new_defaults));
    found.extend(rules(old, new));
    found.extend(exemptions(old, new));
    found.extend(settings::settings(old, new));
    found
}

/// A rule's identity across two files: its table and what it selects.
fn identity(rule: &Rule) -> (RuleKind, Vec<String>) {
    (
        rule.kind,
        rule.selectors.iter().map(Selector::describe).collect(),
    )
}

fn rule_title(rule: &Rule) -> String {
    let selected: Vec<String> = rule.selectors.iter().map(Selector::describe).collect();
    format!("{} {}", rule.kind.table(), selected.join(", "))
}

/// The requirements that decided, in `policy`, the packages `rule` selects:
/// the rule of the same identity, else the most specific rule whose name
/// pattern matches the rule's (exact) name, else `[defaults]`. The text
/// says which.
fn counterpart<'p>(policy: &'p Policy, rule: &Rule) -> (Effective<'p>, Option<&'p Rule>) {
    let same = policy
        .rules
        .iter()
        .find(|other| identity(other) == identity(rule));
    let by_name = || {
        let selector = rule.selectors.first()?;
        if !selector.name.value.is_literal() {
            return None;
        }
        let name = selector.name.value.as_str();
        policy
            .rules
            .iter()
            .flat_map(|other| other.selectors.iter().map(move |s| (other, s)))
            .filter(|(_, s)| s.name.value.is_match(name))
            .min_by_key(|(other, s)| (s.specificity(), other.index))
            .map(|(other, _)| other)
    };
    match same.or_else(by_name) {
        Some(other) => (other.requirements.merged(&policy.defaults), Some(other)),
        None => (NO_REQUIREMENTS.merged(&policy.defaults), None),
    }
}

/// Rules kept, removed or added.
fn rules(old: &Policy, new: &Policy) -> Vec<Weakening> {
    let mut found = Vec::new();
    for rule in &new.rules {
        let (before, from) = counterpart(old, rule);
        let after = rule.requirements.merged(&new.defaults);
        let mut changes = requirements(&rule_title(rule), &before, &after);
        changes.extend(source_allow(
            &rule_title(rule),
            from.and_then(|r| r.source_allow.as_ref()),
            rule.source_allow.as_ref(),
            rule.span.line,
        ));
        let kept = from.is_some_and(|from| identity(from) == identity(rule));
        if !kept {
            let note = format!(
                "a new rule, compared with {}",
                from.map_or("[defaults]".to_string(), rule_title)
            );
            changes.iter_mut().for_each(|c| c.note = Some(note.clone()));
        }
        found.extend(changes);
    }
    for rule in &old.rules {
        if new.rules.iter().any(|r| identity(r) == identity(rule)) {
            continue;
        }
        let before = rule.requirements.merged(&old.defaults);
        let (after, to) = counterpart(new, rule);
        let note = format!(
            "the rule is removed: its packages fall to {}",
            to.map_or("[defaults]".to_string(), rule_title)
        );
        let mut changes = requirements(&rule_title(rule), &before, &after);
        changes.extend(source_allow(
            &rule_title(rule),
            rule.source_allow.as_ref(),
            to.and_then(|r| r.source_allow.as_ref()),
            rule.span.line,
        ));
        for change in &mut changes {
            change.note = Some(note.clone());
            change.line = Some(rule.span.line);
        }
        found.extend(changes);
    }
    found
}

/// A requirement's value, as compared: what it accepts, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Accepts {
    /// An evidence level: at least this.
    Level(crate::evidence::EvidenceLevel),
    /// Any of these values or patterns.
    AnyOf(Vec<String>),
    /// Exactly this.
    Exactly(String),
    /// A flag that only `true` makes stricter.
    Flag(bool),
    /// A least amount (`min-age`, in seconds): a smaller one is looser.
    AtLeast(u64),
}

/// How `new` compares with `old`: `None` when it accepts nothing `old` did not.
fn compare(old: Option<&Accepts>, new: Option<&Accepts>) -> Option<WeakeningKind> {
    use Accepts::*;
    match (old?, new) {
        (_, None) => Some(WeakeningKind::Dropped),
        (old, Some(new)) if old == new => None,
        (Level(old), Some(Level(new))) => (new < old).then_some(WeakeningKind::Loosened),
        (Flag(old), Some(Flag(new))) => (*old && !*new).then_some(WeakeningKind::Loosened),
        (AtLeast(old), Some(AtLeast(new))) => (new < old).then_some(WeakeningKind::Loosened),
        (AnyOf(old), Some(AnyOf(new))) => {
            if new.iter().all(|value| old.contains(value)) {
                None
            } else if old.iter().all(|value| new.contains(value)) {
                Some(WeakeningKind::Loosened)
            } else {
                Some(WeakeningKind::Changed)
            }
        }
        _ => Some(WeakeningKind::Changed),
    }
}

/// One requirement of an effective rule: what it accepts, as written, its
/// line, and whether it was inherited from `[defaults]`.
struct Value {
    accepts: Accepts,
    shown: String,
    line: u32,
    inherited: bool,
}

/// One requirement of an effective rule, if it is set: what it accepts
/// and how it is written.
fn value_of<T>(
    value: Option<(&Spanned<T>, bool)>,
    accepts: impl Fn(&T) -> Accepts,
    shown: impl Fn(&T) -> String,
) -> Option<Value> {
    value.map(|(spanned, inherited)| Value {
        accepts: accepts(&spanned.value),
        shown: shown(&spanned.value),
        line: spanned.span.line,
        inherited,
    })
}

fn any_glob(list: &GlobList) -> Accepts {
    Accepts::AnyOf(list.0.iter().map(|g| g.as_str().to_string()).collect())
}

fn exact_url(url: &RepoUrl) -> Accepts {
    Accepts::Exactly(url.text.clone())
}

fn url_text(url: &RepoUrl) -> String {
    url.text.clone()
}

fn flag(value: &bool) -> Accepts {
    Accepts::Flag(*value)
}

/// The requirements of an effective rule, by policy key, in the order of
/// the table of keys ([`rule_keys::RULE_KEYS`]).
fn entries(effective: &Effective<'_>) -> Vec<(&'static str, Option<Value>)> {
    rule_keys::requirements()
        .map(|key| (key.name(), requirement_value(effective, key)))
        .collect()
}

/// One requirement of an effective rule, if it is set.
fn requirement_value(e: &Effective<'_>, key: RequirementKey) -> Option<Value> {
    let exactly = |id: &String| Accepts::Exactly(id.clone());
    let any_of = |list: &Vec<String>| Accepts::AnyOf(list.clone());
    let joined = |list: &Vec<String>| list.join(", ");
    let globs = |value| value_of(value, any_glob, GlobList::to_string);
    match key {
        RequirementKey::Require => value_of(e.require, |l| Accepts::Level(*l), ToString::to_string),
        RequirementKey::Issuer => globs(e.issuer),
        RequirementKey::Repository => value_of(e.repository, exact_url, url_text),
        RequirementKey::RepositoryId => value_of(e.repository_id, exactly, Clone::clone),
        RequirementKey::Owner => value_of(e.owner, exact_url, url_text),
        RequirementKey::OwnerId => value_of(e.owner_id, exactly, Clone::clone),
        RequirementKey::Workflow => globs(e.workflow),
        RequirementKey::SignerWorkflow => globs(e.signer_workflow),
        RequirementKey::SignerDigest => value_of(e.signer_digest, any_of, joined),
        RequirementKey::Ref => globs(e.refs),
        RequirementKey::Triggers => globs(e.triggers),
        RequirementKey::Runner => value_of(e.runner, runner_accepts, |r| r.as_str().to_string()),
        RequirementKey::Visibility => value_of(
            e.visibility,
            |v| visibility_accepts(v),
            |v| v.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
        ),
        RequirementKey::PredicateType => value_of(e.predicate_type, any_of, joined),
        RequirementKey::TrustpubOnly => value_of(e.trustpub_only, flag, ToString::to_string),
        RequirementKey::MinAge => value_of(
            e.min_age,
            |d| Accepts::AtLeast(d.as_secs()),
            |d| crate::words::duration(*d),
        ),
        RequirementKey::SourceMatches => value_of(e.source_matches, flag, ToString::to_string),
        RequirementKey::SourceAllowLineEndings => {
            Some(line_endings_value(e.source_allow_line_endings))
        }
    }
}

/// Accepting line endings is the looser setting, so unset (the default,
/// `false`) is the strict one: setting `true` loosens.
fn line_endings_value(value: Option<(&Spanned<bool>, bool)>) -> Value {
    match value {
        Some((spanned, inherited)) => Value {
            accepts: Accepts::Flag(!spanned.value),
            shown: spanned.value.to_string(),
            line: spanned.span.line,
            inherited,
        },
        None => Value {
            accepts: Accepts::Flag(true),
            shown: "(unset)".into(),
            line: 0,
            inherited: true,
        },
    }
}

/// `source-allow` globs that `new` accepts and `old` did not (an absent
/// list accepts nothing, so dropping one only tightens).
fn source_allow(
    table: &str,
    old: Option<&SourceAllow>,
    new: Option<&SourceAllow>,
    line: u32,
) -> Option<Weakening> {
    let globs = |allow: Option<&SourceAllow>| {
        allow.map_or_else(Vec::new, |a| {
            a.globs
                .iter()
                .map(|g| g.value.as_str().to_string())
                .collect()
        })
    };
    let (before, after) = (globs(old), globs(new));
    let kind = compare(
        Some(&Accepts::AnyOf(before.clone())),
        Some(&Accepts::AnyOf(after.clone())),
    )?;
    // The line of the first glob the old list did not have.
    let added = new
        .into_iter()
        .flat_map(|a| &a.globs)
        .find(|g| !before.iter().any(|b| b == g.value.as_str()))
        .map_or(line, |g| g.span.line);
    let shown = |list: Vec<String>| (!list.is_empty()).then(|| list.join(", "));
    Some(
        Weakening::new(kind, table)
            .key("source-allow")
            .values(shown(before), shown(after))
            .line(Some(added)),
    )
}

fn visibility_accepts(visibility: &[Visibility]) -> Accepts {
    Accepts::AnyOf(visibility.iter().map(|v| v.as_str().to_string()).collect())
}

/// `any` accepts both kinds of runner.
fn runner_accepts(runner: &Runner) -> Accepts {
    let names: &[&str] = match runner {
        Runner::Any => &["github-hosted", "self-hosted"],
        Runner::GithubHosted => &["github-hosted"],
        Runner::SelfHosted => &["self-hosted"],
    };
    Accepts::AnyOf(names.iter().map(|n| n.to_string()).collect())
}

/// The keys of `after` that accept what `before` did not. A key inherited
/// from `[defaults]` on both sides is left to `[defaults]`' own comparison.
fn requirements(table: &str, before: &Effective<'_>, after: &Effective<'_>) -> Vec<Weakening> {
    entries(before)
        .into_iter()
        .zip(entries(after))
        .filter_map(|((key, old), (_, new))| {
            let inherited = |v: &Option<Value>| v.as_ref().is_none_or(|v| v.inherited);
            if inherited(&old) && inherited(&new) && table != "[defaults]" {
                return None;
            }
            let kind = compare(
                old.as_ref().map(|o| &o.accepts),
                new.as_ref().map(|n| &n.accepts),
            )?;
            let line = new.as_ref().or(old.as_ref()).map(|v| v.line);
            Some(
                Weakening::new(kind, table)
                    .key(key)
                    .values(old.map(|o| o.shown), new.map(|n| n.shown))
                    .line(line),
            )
        })
        .collect()
}

/// What [`entries`] makes of an effective rule, for the tests.
#[cfg(test)]
pub(crate) fn compared(effective: &Effective<'_>) -> Vec<(&'static str, bool)> {
    entries(effective)
        .into_iter()
        .map(|(key, value)| (key, value.is_some()))
        .collect()
}

/// Exemptions added, or lasting longer, or covering more versions.
fn exemptions(old: &Policy, new: &Policy) -> Vec<Weakening> {
    let mut found = Vec::new();
    for exemption in &new.exemptions {
        let title = format!("[[exempt]] {}", exemption.selector.describe());
        let same_name = old
            .exemptions
            .iter()
            .filter(|e| e.selector.name.value.as_str() == exemption.selector.name.value.as_str())
            .collect::<Vec<_>>();
        let line = Some(exemption.span.line);
        if same_name.is_empty() {
            found.push(
                Weakening::new(WeakeningKind::ExemptionAdded, title)
                    .values(None, Some(exemption_text(exemption)))
                    .line(line),
            );
            continue;
        }
        let covered = same_name.iter().any(|e| !extends(e, exemption));
        if !covered {
            let before: Vec<String> = same_name.iter().map(|e| exemption_text(e)).collect();
            found.push(
                Weakening::new(WeakeningKind::ExemptionExtended, title)
                    .values(Some(before.join("; ")), Some(exemption_text(exemption)))
                    .line(line),
            );
        }
    }
    found
}

/// Whether `new` goes beyond `old`: another version requirement, or a
/// later (or no) end.
fn extends(old: &Exemption, new: &Exemption) -> bool {
    let version = |e: &Exemption| e.selector.version.as_ref().map(|v| v.value.to_string());
    let other_versions = version(old).is_some() && version(old) != version(new);
    let later = match (&old.until, &new.until) {
        (Some(_), None) => true,
        (Some(old), Some(new)) => new.value > old.value,
        (None, _) => false,
    };
    other_versions || later
}

fn exemption_text(exemption: &Exemption) -> String {
    match &exemption.until {
        Some(until) => format!("{} until {}", exemption.selector.describe(), until.value),
        None => format!("{}, no end", exemption.selector.describe()),
    }
}
