//! From policy text to a typed [`Policy`], collecting every problem.
//!
//! The text is parsed with `toml_edit`, which keeps the span of every key
//! and value. Each table is then read key by key: a bad key or value adds a
//! diagnostic and reading goes on, so that one run reports all problems.
//!
//! This file reads the document and checks across tables; each table has
//! its reader in its own file ([`rules`]: `[defaults]`, `[[package]]`,
//! `[[owner]]`; [`exemptions`]: `[[exempt]]`, `[git]`, `[path]`;
//! [`sources`]: `[[source]]`; [`settings`]: `[trust]`, `[cache]`, `[diff]`,
//! `[graph]`),
//! all built on the value readers of [`values`].

mod exemptions;
mod rules;
mod settings;
mod sources;
mod values;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use miette::NamedSource;
use toml_edit::{ImDocument, Item, TableLike, Value};

use super::diagnostic::LineIndex;
use super::matcher::Glob;
use super::rule_keys::{self, RuleTable};
use super::{
    Code, InvalidPolicy, Mode, NotCheckedAction, Policy, PolicyDiagnostic, PolicySpan, RootSpec,
    Rule, RuleKind, Selector,
};
use crate::sources::SourceSpec;

const TOP_KEYS: &[&str] = &[
    "mode",
    "not-checked",
    "defaults",
    "package",
    "owner",
    "exempt",
    "git",
    "path",
    "source",
    "trust",
    "cache",
    "diff",
    "graph",
];
const EXEMPT_KEYS: &[&str] = &["name", "version", "reason", "until"];
const ALLOW_KEYS: &[&str] = &["allow"];
const TRUST_KEYS: &[&str] = &["roots", "max-age"];
const CACHE_KEYS: &[&str] = &["no-attestation-ttl"];
const DIFF_KEYS: &[&str] = &[
    "allow-downgrade",
    "allow-repository-change",
    "allow-workflow-change",
    "same-semver-line",
    "enforce-since",
];
const GRAPH_KEYS: &[&str] = &["targets", "exclude-dev"];
const SOURCE_KINDS: &[&str] = &["github", "url", "dir", "crates-io"];
const MODES: &[&str] = &["enforce", "audit"];
const NOT_CHECKED_ACTIONS: &[&str] = &["fail", "warn"];
const ROOT_NAMES: &[&str] = &["public-good", "github", "staging"];

fn source_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "github" => &["kind", "api-url", "org", "predicate-type"],
        "url" => &["kind", "template"],
        "dir" => &["kind", "path"],
        "crates-io" => &["kind", "api-url", "download-url", "index-url", "records"],
        _ => &[
            "kind",
            "api-url",
            "download-url",
            "org",
            "predicate-type",
            "template",
            "path",
            "index-url",
            "records",
        ],
    }
}

/// One `key = value` of a table.
struct Entry<'a> {
    key: &'a str,
    key_span: PolicySpan,
    item: &'a Item,
    value_span: PolicySpan,
    /// From the key to the end of the value.
    full: PolicySpan,
}

struct Parser<'t> {
    text: &'t str,
    lines: LineIndex,
    diags: Vec<PolicyDiagnostic>,
    base_dir: &'t Path,
    now: jiff::Timestamp,
}

pub(super) fn parse(
    text: &str,
    name: &str,
    base_dir: &Path,
    now: jiff::Timestamp,
) -> Result<Policy, InvalidPolicy> {
    let source = Arc::new(NamedSource::new(name, text.to_string()).with_language("toml"));
    let mut parser = Parser {
        text,
        lines: LineIndex::new(text),
        diags: Vec::new(),
        base_dir,
        now,
    };
    let mut policy = match ImDocument::parse(text) {
        Ok(doc) => parser.document(doc.as_table()),
        Err(error) => {
            let range = error.span().unwrap_or(0..0);
            let span = parser.span(range.clone());
            let mut message = error.message().trim().to_string();
            let mut label = message.lines().next().unwrap_or_default().to_string();
            if message.is_empty() {
                label = "not allowed here".to_string();
                // The TOML parser gives no words for some characters.
                message = match text.get(range).and_then(|t| t.chars().find(|c| c.is_control())) {
                    Some(c) => format!(
                        "the control character U+{:04X} is not allowed, not even in a comment or string (write it as an escape in a string)",
                        u32::from(c)
                    ),
                    None => "unexpected text here".to_string(),
                };
            }
            parser.diags.push(
                PolicyDiagnostic::error(Code::Syntax, format!("invalid TOML: {message}"))
                    .label(span, label)
                    .help(format!(
                        "the policy file must be valid TOML; its format is described by {}",
                        super::reference_pointer()
                    )),
            );
            Policy::default()
        }
    };
    let mut diags = std::mem::take(&mut parser.diags);
    diags.sort_by_key(|d| d.span().map_or(0, |s| s.offset));
    let diags: Vec<_> = diags
        .into_iter()
        .map(|d| d.with_source(source.clone()))
        .collect();
    if diags.iter().any(PolicyDiagnostic::is_error) {
        return Err(InvalidPolicy {
            name: name.to_string(),
            problems: diags,
        });
    }
    policy.warnings = diags;
    policy.text = Some(source);
    Ok(policy)
}

impl Parser<'_> {
    fn document(&mut self, root: &toml_edit::Table) -> Policy {
        let mut policy = Policy::default();
        let start = self.span(0..0);
        for entry in self.entries(root, start) {
            self.top_level(&entry, &mut policy);
        }
        // [[package]] rules first, then [[owner]] rules, each in file order.
        policy.rules.sort_by_key(|r| (r.kind, r.index));
        index_selectors(&mut policy);
        self.cross_checks(&policy);
        policy
    }

    /// One key of the file's top level: a setting, or the table (or array
    /// of tables) it names, read by that table's reader.
    fn top_level(&mut self, entry: &Entry<'_>, policy: &mut Policy) {
        match entry.key {
            "mode" => {
                if let Some(mode) = self.word(entry, MODES, |s| match s {
                    "enforce" => Some(Mode::Enforce),
                    "audit" => Some(Mode::Audit),
                    _ => None,
                }) {
                    policy.mode = mode;
                }
            }
            "not-checked" => {
                if let Some(action) = self.word(entry, NOT_CHECKED_ACTIONS, |s| match s {
                    "fail" => Some(NotCheckedAction::Fail),
                    "warn" => Some(NotCheckedAction::Warn),
                    _ => None,
                }) {
                    policy.not_checked = action;
                }
            }
            "defaults" => {
                if let Some(table) = self.table(entry) {
                    for e in self.entries(table, entry.value_span) {
                        if !self.requirement(&e, &mut policy.defaults) {
                            let allowed = rule_keys::names_in(RuleTable::Defaults);
                            self.unknown_key(&e, RuleTable::Defaults.header(), &allowed);
                        }
                    }
                }
            }
            "package" => self.rules(entry, policy, RuleKind::Package, Self::package_rule),
            "owner" => self.rules(entry, policy, RuleKind::Owner, Self::owner_rule),
            "exempt" => {
                for (table, span) in self.tables(entry) {
                    let index = policy.exemptions.len();
                    if let Some(exemption) = self.exemption(table, span, index) {
                        policy.exemptions.push(exemption);
                    }
                }
            }
            "source" => {
                for (table, span) in self.tables(entry) {
                    if let Some(source) = self.source(table, span) {
                        policy.sources.push(source);
                    }
                }
            }
            _ => {
                if !self.settings_table(entry, policy) {
                    self.unknown_key(entry, "the policy file", TOP_KEYS);
                }
            }
        }
    }

    /// `[[package]]` or `[[owner]]` rules, each read by `read`.
    fn rules(
        &mut self,
        entry: &Entry<'_>,
        policy: &mut Policy,
        kind: RuleKind,
        read: fn(&mut Self, &dyn TableLike, PolicySpan, usize) -> Option<Rule>,
    ) {
        // Counted once, not per table: a policy may have 10,000 rules.
        let mut index = count(&policy.rules, kind);
        for (table, span) in self.tables(entry) {
            if let Some(rule) = read(self, table, span, index) {
                policy.rules.push(rule);
                index += 1;
            }
        }
    }

    /// One of the settings tables (`[git]`, `[path]`, `[trust]`, `[cache]`,
    /// `[diff]`, `[graph]`) into `policy`; false when `entry` is not one.
    fn settings_table(&mut self, entry: &Entry<'_>, policy: &mut Policy) -> bool {
        let span = entry.value_span;
        match entry.key {
            "git" => {
                if let Some(table) = self.table(entry) {
                    policy.git = self.allow_list(table, span, "[git]", Glob::url);
                }
            }
            "path" => {
                if let Some(table) = self.table(entry) {
                    policy.path_deps = self.allow_list(table, span, "[path]", Glob::package_name);
                }
            }
            "trust" => {
                if let Some(table) = self.table(entry) {
                    policy.trust = self.trust(table, span);
                }
            }
            "cache" => {
                if let Some(table) = self.table(entry) {
                    policy.cache = self.cache(table, span);
                }
            }
            "diff" => {
                if let Some(table) = self.table(entry) {
                    policy.diff = self.diff(table, span);
                }
            }
            "graph" => {
                if let Some(table) = self.table(entry) {
                    policy.graph = self.graph(table, span);
                }
            }
            _ => return false,
        }
        true
    }

    /// Checks across tables: duplicate selectors, requirements that
    /// contradict each other, exemptions that have already expired.
    fn cross_checks(&mut self, policy: &Policy) {
        self.duplicate_rules(policy);
        self.duplicate_exemptions(policy);
        self.contradictory_owners(policy);
        self.expired_exemptions(policy);
    }

    /// Duplicate rule selectors: the second could never decide anything.
    fn duplicate_rules(&mut self, policy: &Policy) {
        let mut seen: HashMap<(String, String), (PolicySpan, RuleKind)> = HashMap::new();
        for rule in &policy.rules {
            for selector in &rule.selectors {
                let key = selector_key(selector);
                let span = selector_span(selector);
                if let Some((first, first_kind)) = seen.get(&key) {
                    self.push(
                        PolicyDiagnostic::error(
                            Code::DuplicateRule,
                            format!(
                                "a second rule for `{}`: the first one always wins",
                                selector.describe()
                            ),
                        )
                        .label(span, format!("duplicate in {}", rule.kind.table()))
                        .label(*first, format!("first rule, in {}", first_kind.table()))
                        .help("merge the two rules, or give them different `version` requirements"),
                    );
                } else {
                    seen.insert(key, (span, rule.kind));
                }
            }
        }
    }

    /// A second exemption for the same selector.
    fn duplicate_exemptions(&mut self, policy: &Policy) {
        let mut seen: HashMap<(String, String), PolicySpan> = HashMap::new();
        for exemption in &policy.exemptions {
            let key = selector_key(&exemption.selector);
            let span = selector_span(&exemption.selector);
            if let Some(first) = seen.get(&key) {
                self.push(
                    PolicyDiagnostic::error(
                        Code::DuplicateRule,
                        format!("a second exemption for `{}`", exemption.selector.describe()),
                    )
                    .label(span, "duplicate")
                    .label(*first, "first exemption")
                    .help("keep one exemption per package and version requirement"),
                );
            } else {
                seen.insert(key, span);
            }
        }
    }

    /// A repository outside its own owner can never be satisfied.
    fn contradictory_owners(&mut self, policy: &Policy) {
        self.repository_outside_owner(
            policy.defaults.merged(&super::NO_REQUIREMENTS),
            "[defaults]",
        );
        for rule in &policy.rules {
            self.repository_outside_owner(
                rule.requirements.merged(&policy.defaults),
                rule.kind.table(),
            );
        }
    }

    fn repository_outside_owner(&mut self, merged: super::Effective<'_>, table: &str) {
        let (Some((repo, repo_inherited)), Some((owner, owner_inherited))) =
            (merged.repository, merged.owner)
        else {
            return;
        };
        // Both from [defaults]: reported once, for [defaults] itself.
        let reported_elsewhere = repo_inherited && owner_inherited;
        if !reported_elsewhere && !owner.value.contains(&repo.value) {
            self.push(
                PolicyDiagnostic::error(
                    Code::ContradictoryRule,
                    format!(
                        "{table} requires repository {} and owner {}, which no build can satisfy",
                        repo.value.text, owner.value.text
                    ),
                )
                .label(repo.span, "this repository…")
                .label(owner.span, "…is not under this owner")
                .help("fix one of the two, or remove `owner` (the repository implies it)"),
            );
        }
    }

    fn expired_exemptions(&mut self, policy: &Policy) {
        for exemption in &policy.exemptions {
            if exemption.is_expired(self.now) {
                let until = exemption.until.as_ref().expect("expired has a date");
                self.push(
                    PolicyDiagnostic::warning(
                        Code::ExemptionExpired,
                        format!(
                            "the exemption for `{}` expired on {}",
                            exemption.selector.describe(),
                            until.value
                        ),
                    )
                    .label(until.span, "expired")
                    .help("the package is a violation from that day on: renew the date with a reason, or remove the exemption"),
                );
            }
        }
    }
}

/// The indexes from selectors to the rules and exemptions they select.
fn index_selectors(policy: &mut Policy) {
    policy.rule_index =
        super::SelectorIndex::build(policy.rules.iter().enumerate().flat_map(|(i, rule)| {
            rule.selectors
                .iter()
                .enumerate()
                .map(move |(j, s)| (i, j, s))
        }));
    policy.exempt_index = super::SelectorIndex::build(
        policy
            .exemptions
            .iter()
            .enumerate()
            .map(|(i, e)| (i, 0, &e.selector)),
    );
}

pub(super) fn check_files(policy: &Policy) -> Vec<PolicyDiagnostic> {
    let mut diags = Vec::new();
    for root in policy.trust.roots.iter().flatten() {
        if let RootSpec::File { path } = &root.value {
            if let Err(error) = crate::trust::TrustRoot::from_file(path) {
                diags.push(
                    PolicyDiagnostic::error(Code::BadTrustRoot, error.to_string())
                        .label(root.span, "this trust root cannot be used")
                        .help("name a trusted_root.json (relative to the policy file), or one of \"public-good\", \"github\", \"staging\""),
                );
            }
        }
    }
    for source in &policy.sources {
        if let SourceSpec::Dir { path } = &source.value {
            if !path.is_dir() {
                diags.push(
                    PolicyDiagnostic::warning(
                        Code::MissingDir,
                        format!("the folder {} does not exist", path.display()),
                    )
                    .label(source.span, "this source finds nothing")
                    .help("create it (e.g. with `gh attestation download`) or fix `path`, which is relative to the policy file"),
                );
            }
        }
    }
    if let Some(text) = &policy.text {
        diags = diags
            .into_iter()
            .map(|d| d.with_source(text.clone()))
            .collect();
    }
    diags
}

fn count(rules: &[Rule], kind: RuleKind) -> usize {
    rules.iter().filter(|r| r.kind == kind).count()
}

fn selector_key(selector: &Selector) -> (String, String) {
    let version = selector
        .version
        .as_ref()
        .map(|v| v.value.to_string())
        .unwrap_or_default();
    let traits = [&selector.build_time, &selector.direct]
        .iter()
        .map(|t| t.as_ref().map_or("-", |t| if t.value { "y" } else { "n" }))
        .collect::<String>();
    (
        selector.name.value.as_str().to_string(),
        format!("{version} {traits}"),
    )
}

fn selector_span(selector: &Selector) -> PolicySpan {
    selector.name.span
}

/// The table a key belongs to, for keys written in the wrong table.
fn home_of(key: &str) -> Option<String> {
    if key == "reason" || key == "until" {
        return Some("[[exempt]]".into());
    }
    // `name` and `version` are keys of `[[exempt]]` too: they have no one home.
    if let Some(row) = rule_keys::lookup(key).filter(|r| !EXEMPT_KEYS.contains(&r.name)) {
        return Some(row.tables.home());
    }
    settings_home(key).map(str::to_string)
}

/// The table of a key of the other tables, or of the top level.
fn settings_home(key: &str) -> Option<&'static str> {
    if key == "roots" || key == "max-age" {
        Some("[trust]")
    } else if key == "no-attestation-ttl" {
        Some("[cache]")
    } else if DIFF_KEYS.contains(&key) {
        Some("[diff]")
    } else if GRAPH_KEYS.contains(&key) {
        Some("[graph]")
    } else if key == "allow" {
        Some("[git] or [path]")
    } else if ["kind", "template", "api-url", "org"].contains(&key) {
        Some("[[source]]")
    } else if key == "mode" || key == "not-checked" {
        Some("the top of the file (before any table)")
    } else {
        None
    }
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(v) => value_type_name(v),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
    }
}

fn value_type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "a table",
    }
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DurationError {
    #[error("`{0}` is not a duration")]
    NotADuration(String),
    #[error("`{0}` has a number without a unit")]
    NoUnit(String),
    #[error(
        "`{0}` is not a unit (use s, m, h, d or w, or seconds, minutes, hours, days or weeks)"
    )]
    UnknownUnit(String),
    #[error("`{0}` is too long")]
    TooLong(String),
}

/// Parse `"30s"`, `"15m"`, `"24h"`, `"90d"`, `"2w"`, `"1d12h"`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let bad = || DurationError::NotADuration(text.to_string());
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let seconds = match &rest[..unit_len] {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            "w" | "week" | "weeks" => 7 * 86_400,
            "" => return Err(DurationError::NoUnit(text.to_string())),
            unit => return Err(DurationError::UnknownUnit(unit.to_string())),
        };
        total = number
            .checked_mul(seconds)
            .and_then(|s| total.checked_add(s))
            .filter(|s| *s <= 100 * 365 * 86_400)
            .ok_or_else(|| DurationError::TooLong(text.to_string()))?;
        rest = rest[unit_len..].trim_start();
    }
    Ok(Duration::from_secs(total))
}
