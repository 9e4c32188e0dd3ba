//! From policy text to a typed [`Policy`], collecting every problem.
//!
//! The text is parsed with `toml_edit`, which keeps the span of every key
//! and value. Each table is then read key by key: a bad key or value adds a
//! diagnostic and reading goes on, so that one run reports all problems.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use miette::NamedSource;
use toml_edit::{ImDocument, Item, TableLike, Value};

use super::diagnostic::{closest, LineIndex};
use super::matcher::{self, Glob, GlobList, RepoUrl, Runner, Visibility};
use super::{
    AllowList, CacheConfig, Code, DiffConfig, Exemption, InvalidPolicy, Mode, Policy,
    PolicyDiagnostic, PolicySpan, Requirements, RootSpec, Rule, RuleKind, Selector, Spanned,
    TrustConfig,
};
use crate::evidence::EvidenceLevel;
use crate::sources::{SourceSpec, CRATES_IO_API, GITHUB_API};
use crate::trust::Instance;

const TOP_KEYS: &[&str] = &[
    "mode", "defaults", "package", "owner", "exempt", "git", "path", "source", "trust", "cache",
    "diff",
];
const REQUIREMENT_KEYS: &[&str] = &[
    "require",
    "issuer",
    "repository",
    "repository-id",
    "owner",
    "owner-id",
    "workflow",
    "signer-workflow",
    "signer-digest",
    "ref",
    "triggers",
    "runner",
    "visibility",
    "predicate-type",
];
const PACKAGE_KEYS: &[&str] = &["name", "version"];
const OWNER_KEYS: &[&str] = &["packages"];
const EXEMPT_KEYS: &[&str] = &["name", "version", "reason", "until"];
const ALLOW_KEYS: &[&str] = &["allow"];
const TRUST_KEYS: &[&str] = &["roots", "max-age"];
const CACHE_KEYS: &[&str] = &["no-attestation-ttl"];
const DIFF_KEYS: &[&str] = &[
    "allow-downgrade",
    "allow-repository-change",
    "allow-workflow-change",
];
const SOURCE_KINDS: &[&str] = &["github", "url", "dir", "crates-io"];
const LEVELS: &[&str] = &["attested", "registry-asserted", "none"];
const MODES: &[&str] = &["enforce", "audit"];
const ROOT_NAMES: &[&str] = &["public-good", "github", "staging"];

fn source_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "github" => &["kind", "api-url", "org", "predicate-type"],
        "url" => &["kind", "template"],
        "dir" => &["kind", "path"],
        "crates-io" => &["kind", "api-url"],
        _ => &[
            "kind",
            "api-url",
            "org",
            "predicate-type",
            "template",
            "path",
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
            let span = parser.span(error.span().unwrap_or(0..0));
            let message = error.message().trim().to_string();
            parser.diags.push(
                PolicyDiagnostic::error(Code::Syntax, format!("invalid TOML: {message}"))
                    .label(span, message.lines().next().unwrap_or_default().to_string())
                    .help("the policy file must be valid TOML; see docs/policy.md for its format"),
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
    fn span(&self, range: std::ops::Range<usize>) -> PolicySpan {
        self.lines.span(self.text, range)
    }

    fn push(&mut self, diag: PolicyDiagnostic) {
        self.diags.push(diag);
    }

    /// The first line of a table: its `[[name]]` header.
    fn header(&self, range: std::ops::Range<usize>) -> PolicySpan {
        let text = self.text.get(range.clone()).unwrap_or_default();
        let line = text.split('\n').next().unwrap_or_default().trim_end();
        self.span(range.start..range.start + line.len())
    }

    /// The entries of a table, in file order.
    fn entries<'a>(&self, table: &'a dyn TableLike, fallback: PolicySpan) -> Vec<Entry<'a>> {
        let mut entries: Vec<Entry<'a>> = table
            .iter()
            .map(|(key, item)| {
                let key_span = table
                    .key(key)
                    .and_then(|k| k.span())
                    .map_or(fallback, |r| self.span(r));
                let value_span = item.span().map_or(key_span, |r| self.span(r));
                let full = if value_span.offset >= key_span.offset {
                    key_span.join(value_span)
                } else {
                    key_span
                };
                Entry {
                    key,
                    key_span,
                    item,
                    value_span,
                    full,
                }
            })
            .collect();
        entries.sort_by_key(|e| e.key_span.offset);
        entries
    }

    fn unknown_key(&mut self, entry: &Entry<'_>, table: &str, allowed: &[&str]) {
        let mut diag = PolicyDiagnostic::error(
            Code::UnknownKey,
            format!("unknown key `{}` in {table}", entry.key),
        )
        .label(entry.key_span, "unknown key");
        if let Some(suggestion) = closest(entry.key, allowed.iter().copied()) {
            diag = diag.help(format!("did you mean `{suggestion}`?"));
        } else if let Some(home) = home_of(entry.key) {
            diag = diag.help(format!("`{}` belongs in {home}", entry.key));
        } else {
            diag = diag.help(format!("{table} takes: {}", allowed.join(", ")));
        }
        self.push(diag);
    }

    fn wrong_type(&mut self, entry: &Entry<'_>, expected: &str) {
        let found = type_name(entry.item);
        self.push(
            PolicyDiagnostic::error(
                Code::WrongType,
                format!("`{}` must be {expected}, not {found}", entry.key),
            )
            .label(entry.value_span, format!("this is {found}")),
        );
    }

    fn bad_value(&mut self, code: Code, span: PolicySpan, message: String, label: &str) {
        self.push(PolicyDiagnostic::error(code, message).label(span, label.to_string()));
    }

    fn missing_key(&mut self, code: Code, table: &str, span: PolicySpan, key: &str, help: &str) {
        self.push(
            PolicyDiagnostic::error(code, format!("{table} needs `{key}`"))
                .label(span, format!("this table has no `{key}`"))
                .help(help.to_string()),
        );
    }

    fn string<'a>(&mut self, entry: &Entry<'a>) -> Option<(&'a str, PolicySpan)> {
        match entry.item.as_str() {
            Some(s) => Some((s, entry.value_span)),
            None => {
                self.wrong_type(entry, "a string");
                None
            }
        }
    }

    /// A string, or an array of strings.
    fn strings<'a>(&mut self, entry: &Entry<'a>) -> Option<Vec<(&'a str, PolicySpan)>> {
        if let Some(s) = entry.item.as_str() {
            return Some(vec![(s, entry.value_span)]);
        }
        let Some(array) = entry.item.as_array() else {
            self.wrong_type(entry, "a string or an array of strings");
            return None;
        };
        let mut out = Vec::with_capacity(array.len());
        let mut ok = true;
        for value in array.iter() {
            let span = value.span().map_or(entry.value_span, |r| self.span(r));
            match value.as_str() {
                Some(s) => out.push((s, span)),
                None => {
                    ok = false;
                    let found = value_type_name(value);
                    self.push(
                        PolicyDiagnostic::error(
                            Code::WrongType,
                            format!("`{}` must list strings, not {found}", entry.key),
                        )
                        .label(span, format!("this is {found}")),
                    );
                }
            }
        }
        ok.then_some(out)
    }

    /// A non-empty list of strings.
    fn nonempty_strings<'a>(&mut self, entry: &Entry<'a>) -> Option<Vec<(&'a str, PolicySpan)>> {
        let list = self.strings(entry)?;
        if list.is_empty() {
            self.push(
                PolicyDiagnostic::error(
                    Code::EmptyList,
                    format!("`{}` is an empty list, which nothing matches", entry.key),
                )
                .label(entry.value_span, "empty")
                .help(format!(
                    "give at least one value, or remove `{}` to leave it unchecked",
                    entry.key
                )),
            );
            return None;
        }
        Some(list)
    }

    /// One of a fixed set of words.
    fn word<T>(
        &mut self,
        entry: &Entry<'_>,
        words: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let (text, span) = self.string(entry)?;
        self.word_value(entry.key, text, span, words, parse)
    }

    fn word_value<T>(
        &mut self,
        key: &str,
        text: &str,
        span: PolicySpan,
        words: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        if let Some(value) = parse(text) {
            return Some(value);
        }
        let help = match closest(text, words.iter().copied()) {
            Some(s) => format!("did you mean \"{s}\"?"),
            None => format!("use one of: {}", quoted(words)),
        };
        self.push(
            PolicyDiagnostic::error(Code::BadValue, format!("`{text}` is not a valid `{key}`"))
                .label(span, format!("expected one of {}", quoted(words)))
                .help(help),
        );
        None
    }

    fn globs(&mut self, entry: &Entry<'_>) -> Option<Vec<Spanned<Glob>>> {
        let list = self.nonempty_strings(entry)?;
        self.glob_list(&list, Glob::new)
    }

    fn glob_list(
        &mut self,
        list: &[(&str, PolicySpan)],
        make: impl Fn(&str) -> Result<Glob, String>,
    ) -> Option<Vec<Spanned<Glob>>> {
        let mut out = Vec::with_capacity(list.len());
        let mut ok = true;
        for (text, span) in list {
            match make(text) {
                Ok(glob) => out.push(Spanned::new(glob, *span)),
                Err(reason) => {
                    ok = false;
                    self.bad_value(
                        Code::BadGlob,
                        *span,
                        format!("`{text}` is not a valid pattern: {reason}"),
                        "bad pattern",
                    );
                }
            }
        }
        ok.then_some(out)
    }

    fn glob_list_value(&mut self, entry: &Entry<'_>) -> Option<Spanned<GlobList>> {
        let globs = self.globs(entry)?;
        Some(Spanned::new(
            GlobList(globs.into_iter().map(|g| g.value).collect()),
            entry.full,
        ))
    }

    fn url(&mut self, entry: &Entry<'_>) -> Option<String> {
        let (text, span) = self.string(entry)?;
        match matcher::check_url(text) {
            Ok(()) => Some(text.to_string()),
            Err(reason) => {
                self.bad_value(Code::BadUrl, span, reason, "not a URL");
                None
            }
        }
    }

    fn id(&mut self, entry: &Entry<'_>) -> Option<Spanned<String>> {
        let text = match entry.item.as_value() {
            Some(Value::String(s)) => s.value().clone(),
            Some(Value::Integer(i)) => i.value().to_string(),
            _ => {
                self.wrong_type(entry, "a numeric ID (string or integer)");
                return None;
            }
        };
        match matcher::parse_id(&text) {
            Ok(id) => Some(Spanned::new(id, entry.full)),
            Err(reason) => {
                self.push(
                    PolicyDiagnostic::error(Code::BadId, reason)
                        .label(entry.value_span, "not an ID")
                        .help(
                            "GitHub IDs are numbers: `gh api repos/OWNER/REPO --jq .id`, `gh api users/OWNER --jq .id`",
                        ),
                );
                None
            }
        }
    }

    fn version_req(&mut self, entry: &Entry<'_>) -> Option<Spanned<semver::VersionReq>> {
        let (text, span) = self.string(entry)?;
        match semver::VersionReq::parse(text) {
            Ok(req) => Some(Spanned::new(req, span)),
            Err(e) => {
                self.push(
                    PolicyDiagnostic::error(
                        Code::BadVersion,
                        format!("`{text}` is not a semver requirement: {e}"),
                    )
                    .label(span, "bad version requirement")
                    .help("use a Cargo-style requirement: \"1.2.3\", \">=1.0.200\", \">=1, <2\", \"0.2.*\""),
                );
                None
            }
        }
    }

    fn date(&mut self, entry: &Entry<'_>) -> Option<Spanned<jiff::civil::Date>> {
        let parsed = match entry.item.as_value() {
            Some(Value::Datetime(dt)) => {
                let dt = dt.value();
                match (dt.date, dt.time, dt.offset) {
                    (Some(d), None, None) => {
                        jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8)
                            .map_err(|e| e.to_string())
                    }
                    _ => Err(format!("`{dt}` has a time; give a date only")),
                }
            }
            Some(Value::String(s)) => {
                let text = s.value();
                if text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-' {
                    text.parse::<jiff::civil::Date>()
                        .map_err(|e| format!("`{text}` is not a date: {e}"))
                } else {
                    Err(format!("`{text}` is not a YYYY-MM-DD date"))
                }
            }
            _ => {
                self.wrong_type(entry, "a date (2027-03-01)");
                return None;
            }
        };
        match parsed {
            Ok(date) => Some(Spanned::new(date, entry.value_span)),
            Err(reason) => {
                self.push(
                    PolicyDiagnostic::error(Code::BadDate, reason)
                        .label(entry.value_span, "bad date")
                        .help("write a date as 2027-03-01 (a TOML date or a string)"),
                );
                None
            }
        }
    }

    fn duration(&mut self, entry: &Entry<'_>) -> Option<Spanned<Duration>> {
        let (text, span) = self.string(entry)?;
        match parse_duration(text) {
            Ok(d) => Some(Spanned::new(d, span)),
            Err(reason) => {
                self.push(
                    PolicyDiagnostic::error(Code::BadDuration, reason)
                        .label(span, "bad duration")
                        .help("write a number and a unit (s, m, h, d, w): \"24h\", \"90d\", \"1d12h\""),
                );
                None
            }
        }
    }

    /// The tables of `[[name]]` (or an array of inline tables).
    fn tables<'a>(&mut self, entry: &Entry<'a>) -> Vec<(&'a dyn TableLike, PolicySpan)> {
        if let Some(array) = entry.item.as_array_of_tables() {
            return array
                .iter()
                .map(|t| {
                    let span = t.span().map_or(entry.key_span, |r| self.header(r));
                    (t as &dyn TableLike, span)
                })
                .collect();
        }
        if let Some(array) = entry.item.as_array() {
            let mut out = Vec::new();
            for value in array.iter() {
                let span = value.span().map_or(entry.value_span, |r| self.span(r));
                match value.as_inline_table() {
                    Some(t) => out.push((t as &dyn TableLike, span)),
                    None => {
                        let found = value_type_name(value);
                        self.push(
                            PolicyDiagnostic::error(
                                Code::WrongType,
                                format!("`{}` must list tables, not {found}", entry.key),
                            )
                            .label(span, format!("this is {found}")),
                        );
                    }
                }
            }
            return out;
        }
        self.wrong_type(
            entry,
            &format!("an array of tables (written [[{}]])", entry.key),
        );
        Vec::new()
    }

    fn table<'a>(&mut self, entry: &Entry<'a>) -> Option<&'a dyn TableLike> {
        match entry.item.as_table_like() {
            Some(t) => Some(t),
            None => {
                self.wrong_type(entry, &format!("a table (written [{}])", entry.key));
                None
            }
        }
    }

    fn document(&mut self, root: &toml_edit::Table) -> Policy {
        let mut policy = Policy::default();
        let start = self.span(0..0);
        for entry in self.entries(root, start) {
            match entry.key {
                "mode" => {
                    if let Some(mode) = self.word(&entry, MODES, |s| match s {
                        "enforce" => Some(Mode::Enforce),
                        "audit" => Some(Mode::Audit),
                        _ => None,
                    }) {
                        policy.mode = mode;
                    }
                }
                "defaults" => {
                    if let Some(table) = self.table(&entry) {
                        let span = entry.value_span;
                        for e in self.entries(table, span) {
                            if !self.requirement(&e, &mut policy.defaults) {
                                self.unknown_key(&e, "[defaults]", REQUIREMENT_KEYS);
                            }
                        }
                    }
                }
                "package" => {
                    // Counted once, not per table: a policy may have 10,000 rules.
                    let mut index = count(&policy.rules, RuleKind::Package);
                    for (table, span) in self.tables(&entry) {
                        if let Some(rule) = self.package_rule(table, span, index) {
                            policy.rules.push(rule);
                            index += 1;
                        }
                    }
                }
                "owner" => {
                    // Counted once, not per table: a policy may have 10,000 rules.
                    let mut index = count(&policy.rules, RuleKind::Owner);
                    for (table, span) in self.tables(&entry) {
                        if let Some(rule) = self.owner_rule(table, span, index) {
                            policy.rules.push(rule);
                            index += 1;
                        }
                    }
                }
                "exempt" => {
                    for (table, span) in self.tables(&entry) {
                        let index = policy.exemptions.len();
                        if let Some(exemption) = self.exemption(table, span, index) {
                            policy.exemptions.push(exemption);
                        }
                    }
                }
                "git" => {
                    if let Some(table) = self.table(&entry) {
                        policy.git = self.allow_list(table, entry.value_span, "[git]", Glob::url);
                    }
                }
                "path" => {
                    if let Some(table) = self.table(&entry) {
                        policy.path_deps =
                            self.allow_list(table, entry.value_span, "[path]", Glob::package_name);
                    }
                }
                "source" => {
                    for (table, span) in self.tables(&entry) {
                        if let Some(source) = self.source(table, span) {
                            policy.sources.push(source);
                        }
                    }
                }
                "trust" => {
                    if let Some(table) = self.table(&entry) {
                        policy.trust = self.trust(table, entry.value_span);
                    }
                }
                "cache" => {
                    if let Some(table) = self.table(&entry) {
                        policy.cache = self.cache(table, entry.value_span);
                    }
                }
                "diff" => {
                    if let Some(table) = self.table(&entry) {
                        policy.diff = self.diff(table, entry.value_span);
                    }
                }
                _ => self.unknown_key(&entry, "the policy file", TOP_KEYS),
            }
        }
        // [[package]] rules first, then [[owner]] rules, each in file order.
        policy.rules.sort_by_key(|r| (r.kind, r.index));
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
        self.cross_checks(&policy);
        policy
    }

    /// Read one requirement key into `reqs`; false when `entry` is not one.
    fn requirement(&mut self, entry: &Entry<'_>, reqs: &mut Requirements) -> bool {
        let full = entry.full;
        match entry.key {
            "require" => {
                reqs.require = self
                    .word(entry, LEVELS, |s| match s {
                        "attested" => Some(EvidenceLevel::Attested),
                        "registry-asserted" => Some(EvidenceLevel::RegistryAsserted),
                        "none" => Some(EvidenceLevel::None),
                        _ => None,
                    })
                    .map(|v| Spanned::new(v, full))
            }
            "issuer" => reqs.issuer = self.glob_list_value(entry),
            "repository" | "owner" => {
                let segments = if entry.key == "repository" { 2 } else { 1 };
                let value = self.string(entry).and_then(|(text, span)| {
                    match RepoUrl::new(text, segments) {
                        Ok(url) => Some(Spanned::new(url, full)),
                        Err(reason) => {
                            let example = if segments == 2 {
                                "https://github.com/OWNER/REPO"
                            } else {
                                "https://github.com/OWNER"
                            };
                            self.push(
                                PolicyDiagnostic::error(Code::BadUrl, reason)
                                    .label(span, "not a valid URL here")
                                    .help(format!(
                                        "`{}` is the full URL, as in {example}",
                                        entry.key
                                    )),
                            );
                            None
                        }
                    }
                });
                if entry.key == "repository" {
                    reqs.repository = value;
                } else {
                    reqs.owner = value;
                }
            }
            "repository-id" => reqs.repository_id = self.id(entry),
            "owner-id" => reqs.owner_id = self.id(entry),
            "workflow" => {
                let list = self.nonempty_strings(entry);
                let mut ok = list.is_some();
                for (text, span) in list.iter().flatten() {
                    if text.contains("://") || text.starts_with('/') {
                        ok = false;
                        self.push(
                            PolicyDiagnostic::error(
                                Code::BadWorkflow,
                                format!("`{text}` is not a path inside the repository"),
                            )
                            .label(*span, "expected a path such as .github/workflows/release.yml")
                            .help("`workflow` is the workflow file's path in the source repository; a workflow in another repository (a reusable workflow) is `signer-workflow`"),
                        );
                    }
                }
                reqs.workflow = if ok {
                    list.and_then(|l| self.glob_list(&l, Glob::new)).map(|g| {
                        Spanned::new(GlobList(g.into_iter().map(|g| g.value).collect()), full)
                    })
                } else {
                    None
                };
            }
            "signer-workflow" => {
                let list = self.nonempty_strings(entry);
                let mut ok = list.is_some();
                for (text, span) in list.iter().flatten() {
                    let starts_with_wildcard = text.starts_with(['*', '?', '{', '[']);
                    if !(text.starts_with("https://") || starts_with_wildcard) {
                        ok = false;
                        self.push(
                            PolicyDiagnostic::error(
                                Code::BadWorkflow,
                                format!("`{text}` is not a workflow URL"),
                            )
                            .label(*span, "expected https://github.com/ORG/REPO/.github/workflows/FILE.yml[@REF]")
                            .help("`signer-workflow` matches the full build signer URI; for the path of the workflow in the package's own repository use `workflow`"),
                        );
                    }
                }
                reqs.signer_workflow = if ok {
                    list.and_then(|l| self.glob_list(&l, Glob::new)).map(|g| {
                        Spanned::new(GlobList(g.into_iter().map(|g| g.value).collect()), full)
                    })
                } else {
                    None
                };
            }
            "signer-digest" => {
                let list = self.nonempty_strings(entry);
                let mut out = Vec::new();
                let mut ok = list.is_some();
                for (text, span) in list.iter().flatten() {
                    match matcher::parse_digest(text) {
                        Ok(d) => out.push(d),
                        Err(reason) => {
                            ok = false;
                            self.bad_value(Code::BadDigest, *span, reason, "not a commit SHA");
                        }
                    }
                }
                reqs.signer_digest = ok.then(|| Spanned::new(out, full));
            }
            "ref" => {
                let list = self.nonempty_strings(entry);
                let mut ok = list.is_some();
                for (text, span) in list.iter().flatten() {
                    if !(text.starts_with("refs/") || text.starts_with(['*', '?', '{', '['])) {
                        ok = false;
                        let suggestion = if matches!(*text, "main" | "master" | "trunk")
                            || text.starts_with("release/")
                        {
                            format!("refs/heads/{text}")
                        } else {
                            format!("refs/tags/{text}")
                        };
                        self.push(
                            PolicyDiagnostic::error(
                                Code::BadRef,
                                format!("`{text}` is not a full git ref"),
                            )
                            .label(*span, "does not start with refs/")
                            .help(format!(
                                "certificates record the full ref: did you mean \"{suggestion}\"?"
                            )),
                        );
                    }
                }
                reqs.refs = if ok {
                    list.and_then(|l| self.glob_list(&l, Glob::new)).map(|g| {
                        Spanned::new(GlobList(g.into_iter().map(|g| g.value).collect()), full)
                    })
                } else {
                    None
                };
            }
            "triggers" => {
                if let Some(globs) = self.globs(entry) {
                    for glob in &globs {
                        let name = glob.value.as_str();
                        if glob.value.is_literal() && !matcher::GITHUB_EVENTS.contains(&name) {
                            let mut diag = PolicyDiagnostic::warning(
                                Code::UnknownTrigger,
                                format!("`{name}` is not a GitHub Actions event"),
                            )
                            .label(glob.span, "unknown event");
                            if let Some(s) = closest(name, matcher::GITHUB_EVENTS.iter().copied()) {
                                diag = diag.help(format!("did you mean \"{s}\"?"));
                            } else {
                                diag = diag.help(
                                    "it can only match a build started by an event of this name",
                                );
                            }
                            self.push(diag);
                        }
                    }
                    reqs.triggers = Some(Spanned::new(
                        GlobList(globs.into_iter().map(|g| g.value).collect()),
                        full,
                    ));
                }
            }
            "runner" => {
                reqs.runner = self
                    .word(entry, &Runner::NAMES, Runner::parse)
                    .map(|v| Spanned::new(v, full))
            }
            "visibility" => {
                let list = self.nonempty_strings(entry);
                let mut out = Vec::new();
                let mut ok = list.is_some();
                for (text, span) in list.iter().flatten() {
                    match self.word_value(
                        entry.key,
                        text,
                        *span,
                        &Visibility::NAMES,
                        Visibility::parse,
                    ) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                reqs.visibility = ok.then(|| Spanned::new(out, full));
            }
            "predicate-type" => {
                let list = self.nonempty_strings(entry);
                let mut out = Vec::new();
                let mut ok = list.is_some();
                for (text, span) in list.iter().flatten() {
                    match matcher::check_url(text) {
                        Ok(()) => out.push(text.to_string()),
                        Err(reason) => {
                            ok = false;
                            self.push(
                                PolicyDiagnostic::error(Code::BadUrl, reason)
                                    .label(*span, "not a predicate type URI")
                                    .help("SLSA provenance is \"https://slsa.dev/provenance/v1\""),
                            );
                        }
                    }
                }
                reqs.predicate_type = ok.then(|| Spanned::new(out, full));
            }
            _ => return false,
        }
        true
    }

    fn package_rule(
        &mut self,
        table: &dyn TableLike,
        span: PolicySpan,
        index: usize,
    ) -> Option<Rule> {
        let mut requirements = Requirements::default();
        let mut name = None;
        let mut version = None;
        let mut ok = true;
        for entry in self.entries(table, span) {
            match entry.key {
                "name" => {
                    name = self.string(&entry).and_then(|(text, span)| {
                        self.glob_list(&[(text, span)], Glob::package_name)
                            .and_then(|mut g| g.pop())
                    });
                    ok &= name.is_some();
                }
                "version" => {
                    version = self.version_req(&entry);
                    ok &= version.is_some();
                }
                _ => {
                    if !self.requirement(&entry, &mut requirements) {
                        self.unknown_key(&entry, "[[package]]", &all_keys(PACKAGE_KEYS));
                    }
                }
            }
        }
        if name.is_none() && !table.contains_key("name") {
            self.missing_key(
                Code::MissingKey,
                "[[package]]",
                span,
                "name",
                "name the package the rule is for: name = \"serde\" (or a glob: \"serde*\")",
            );
        }
        let name = name.filter(|_| ok)?;
        Some(Rule {
            kind: RuleKind::Package,
            index,
            span,
            selectors: vec![Selector { name, version }],
            requirements,
        })
    }

    fn owner_rule(
        &mut self,
        table: &dyn TableLike,
        span: PolicySpan,
        index: usize,
    ) -> Option<Rule> {
        let mut requirements = Requirements::default();
        let mut selectors = None;
        for entry in self.entries(table, span) {
            match entry.key {
                "packages" => {
                    selectors = self.nonempty_strings(&entry).and_then(|list| {
                        self.glob_list(&list, Glob::package_name).map(|globs| {
                            globs
                                .into_iter()
                                .map(|name| Selector {
                                    name,
                                    version: None,
                                })
                                .collect::<Vec<_>>()
                        })
                    });
                }
                _ => {
                    if !self.requirement(&entry, &mut requirements) {
                        self.unknown_key(&entry, "[[owner]]", &all_keys(OWNER_KEYS));
                    }
                }
            }
        }
        if !table.contains_key("packages") {
            self.missing_key(
                Code::MissingKey,
                "[[owner]]",
                span,
                "packages",
                "list the packages that must come from this owner: packages = [\"tokio*\", \"mio\"]",
            );
        }
        if !table.contains_key("owner") && !table.contains_key("owner-id") {
            self.missing_key(
                Code::MissingKey,
                "[[owner]]",
                span,
                "owner",
                "name the organisation: owner = \"https://github.com/ORG\" and/or owner-id = \"ID\"",
            );
        }
        Some(Rule {
            kind: RuleKind::Owner,
            index,
            span,
            selectors: selectors?,
            requirements,
        })
    }

    fn exemption(
        &mut self,
        table: &dyn TableLike,
        span: PolicySpan,
        index: usize,
    ) -> Option<Exemption> {
        let mut name = None;
        let mut version = None;
        let mut reason = None;
        let mut until = None;
        let mut ok = true;
        for entry in self.entries(table, span) {
            match entry.key {
                "name" => {
                    name = self.string(&entry).and_then(|(text, span)| {
                        self.glob_list(&[(text, span)], Glob::package_name)
                            .and_then(|mut g| g.pop())
                    });
                    ok &= name.is_some();
                }
                "version" => {
                    version = self.version_req(&entry);
                    ok &= version.is_some();
                }
                "reason" => {
                    if let Some((text, span)) = self.string(&entry) {
                        if text.trim().is_empty() {
                            ok = false;
                            self.push(
                                PolicyDiagnostic::error(
                                    Code::ExemptionWithoutReason,
                                    "an exemption needs a reason, and this one is empty",
                                )
                                .label(span, "empty reason")
                                .help("say why the package is exempt, so the next reader can decide when to remove it"),
                            );
                        } else {
                            reason = Some(Spanned::new(text.trim().to_string(), entry.full));
                        }
                    } else {
                        ok = false;
                    }
                }
                "until" => {
                    until = self.date(&entry);
                    ok &= until.is_some();
                }
                _ => self.unknown_key(&entry, "[[exempt]]", EXEMPT_KEYS),
            }
        }
        if !table.contains_key("name") {
            ok = false;
            self.missing_key(
                Code::MissingKey,
                "[[exempt]]",
                span,
                "name",
                "name the exempt package: name = \"libc\"",
            );
        }
        if !table.contains_key("reason") {
            ok = false;
            self.missing_key(
                Code::ExemptionWithoutReason,
                "[[exempt]]",
                span,
                "reason",
                "say why the package is exempt: reason = \"upstream does not attest yet\"",
            );
        }
        if !ok {
            return None;
        }
        Some(Exemption {
            index,
            span,
            selector: Selector {
                name: name?,
                version,
            },
            reason: reason?,
            until,
        })
    }

    fn allow_list(
        &mut self,
        table: &dyn TableLike,
        span: PolicySpan,
        name: &str,
        make: fn(&str) -> Result<Glob, String>,
    ) -> Option<AllowList> {
        let mut list = None;
        for entry in self.entries(table, span) {
            match entry.key {
                "allow" => {
                    list = self.strings(&entry).and_then(|items| {
                        self.glob_list(&items, make).map(|patterns| AllowList {
                            span: entry.full,
                            patterns,
                        })
                    })
                }
                _ => self.unknown_key(&entry, name, ALLOW_KEYS),
            }
        }
        list
    }

    fn source(&mut self, table: &dyn TableLike, span: PolicySpan) -> Option<Spanned<SourceSpec>> {
        let entries = self.entries(table, span);
        let Some(kind_entry) = entries.iter().find(|e| e.key == "kind") else {
            self.missing_key(
                Code::MissingKey,
                "[[source]]",
                span,
                "kind",
                "say which kind of source this is: kind = \"github\", \"url\", \"dir\" or \"crates-io\"",
            );
            return None;
        };
        let kind = self.word(kind_entry, SOURCE_KINDS, |s| {
            SOURCE_KINDS.contains(&s).then(|| s.to_string())
        });
        let allowed = source_keys(kind.as_deref().unwrap_or(""));
        let table_name = match &kind {
            Some(k) => format!("[[source]] of kind \"{k}\""),
            None => "[[source]]".to_string(),
        };
        let mut api_url = None;
        let mut org = None;
        let mut predicate_type = None;
        let mut template = None;
        let mut path = None;
        let mut ok = kind.is_some();
        for entry in &entries {
            if !allowed.contains(&entry.key) {
                self.unknown_key(entry, &table_name, allowed);
                ok = false;
                continue;
            }
            match entry.key {
                "api-url" => {
                    api_url = self.url(entry);
                    ok &= api_url.is_some();
                }
                "predicate-type" => {
                    predicate_type = self.url(entry);
                    ok &= predicate_type.is_some();
                }
                "org" => {
                    org = self.string(entry).and_then(|(text, span)| {
                        let valid = !text.is_empty()
                            && text.chars().all(|c| {
                                c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
                            });
                        if !valid {
                            self.bad_value(
                                Code::BadSource,
                                span,
                                format!("`{text}` is not an organisation name"),
                                "expected an organisation login such as my-org",
                            );
                        }
                        valid.then(|| text.to_string())
                    });
                    ok &= org.is_some();
                }
                "template" => {
                    template = self.string(entry).and_then(|(text, span)| {
                        match SourceSpec::url(text) {
                            Ok(_) => Some(text.to_string()),
                            Err(reason) => {
                                self.push(
                                    PolicyDiagnostic::error(Code::BadSource, reason)
                                        .label(span, "names no artifact")
                                        .help("e.g. \"https://mirror.example/{name}/{version}/{checksum}.sigstore.json\""),
                                );
                                None
                            }
                        }
                    });
                    ok &= template.is_some();
                }
                "path" => {
                    path = self.string(entry).and_then(|(text, span)| {
                        if text.is_empty() {
                            self.bad_value(
                                Code::BadSource,
                                span,
                                "a `dir` source needs a folder".into(),
                                "empty path",
                            );
                            None
                        } else {
                            Some(self.base_dir.join(text))
                        }
                    });
                    ok &= path.is_some();
                }
                _ => {}
            }
        }
        let kind = kind?;
        let needed = match kind.as_str() {
            "url" if !table.contains_key("template") => Some("template"),
            "dir" if !table.contains_key("path") => Some("path"),
            _ => None,
        };
        if let Some(key) = needed {
            self.missing_key(
                Code::MissingKey,
                &table_name,
                span,
                key,
                "see the [[source]] section of docs/policy.md",
            );
            return None;
        }
        if !ok {
            return None;
        }
        let spec = match kind.as_str() {
            "github" => SourceSpec::GitHub {
                api_url: api_url.unwrap_or_else(|| GITHUB_API.into()),
                org,
                predicate_type,
            },
            "url" => SourceSpec::Url {
                template: template?,
            },
            "dir" => SourceSpec::Dir { path: path? },
            _ => SourceSpec::CratesIo {
                api_url: api_url.unwrap_or_else(|| CRATES_IO_API.into()),
            },
        };
        Some(Spanned::new(spec, span))
    }

    fn trust(&mut self, table: &dyn TableLike, span: PolicySpan) -> TrustConfig {
        let mut config = TrustConfig::default();
        for entry in self.entries(table, span) {
            match entry.key {
                "roots" => {
                    let Some(list) = self.nonempty_strings(&entry) else {
                        continue;
                    };
                    let mut roots = Vec::new();
                    for (text, span) in list {
                        let is_path = text.contains(['/', '\\']) || text.ends_with(".json");
                        if is_path {
                            roots.push(Spanned::new(
                                RootSpec::File {
                                    path: self.base_dir.join(text),
                                },
                                span,
                            ));
                        } else if let Some(instance) =
                            self.word_value("roots", text, span, ROOT_NAMES, |s| match s {
                                "public-good" => Some(Instance::PublicGood),
                                "github" => Some(Instance::GitHub),
                                "staging" => Some(Instance::Staging),
                                _ => None,
                            })
                        {
                            roots.push(Spanned::new(RootSpec::Instance { instance }, span));
                        }
                    }
                    config.roots = Some(roots);
                }
                "max-age" => config.max_age = self.duration(&entry),
                _ => self.unknown_key(&entry, "[trust]", TRUST_KEYS),
            }
        }
        config
    }

    fn cache(&mut self, table: &dyn TableLike, span: PolicySpan) -> CacheConfig {
        let mut config = CacheConfig::default();
        for entry in self.entries(table, span) {
            match entry.key {
                "no-attestation-ttl" => config.no_attestation_ttl = self.duration(&entry),
                _ => self.unknown_key(&entry, "[cache]", CACHE_KEYS),
            }
        }
        config
    }

    /// `[diff]`: lists of package-name patterns whose changes `diff` accepts.
    fn diff(&mut self, table: &dyn TableLike, span: PolicySpan) -> DiffConfig {
        let mut config = DiffConfig::default();
        for entry in self.entries(table, span) {
            let list = match entry.key {
                "allow-downgrade" => &mut config.allow_downgrade,
                "allow-repository-change" => &mut config.allow_repository_change,
                "allow-workflow-change" => &mut config.allow_workflow_change,
                _ => {
                    self.unknown_key(&entry, "[diff]", DIFF_KEYS);
                    continue;
                }
            };
            // An empty list accepts nothing, which is the default: harmless.
            if let Some(patterns) = self
                .strings(&entry)
                .and_then(|items| self.glob_list(&items, Glob::package_name))
            {
                *list = patterns;
            }
        }
        config
    }

    /// Checks across tables: duplicate selectors, requirements that
    /// contradict each other, exemptions that have already expired.
    fn cross_checks(&mut self, policy: &Policy) {
        // Duplicate rule selectors: the second could never decide anything.
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

        // A repository outside its own owner can never be satisfied.
        let check = |this: &mut Self, merged: super::Effective<'_>, table: &str| {
            if let (Some((repo, repo_inherited)), Some((owner, owner_inherited))) =
                (merged.repository, merged.owner)
            {
                // Both from [defaults]: reported once, for [defaults] itself.
                let reported_elsewhere = repo_inherited && owner_inherited;
                if !reported_elsewhere && !owner.value.contains(&repo.value) {
                    this.push(
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
        };
        check(
            self,
            policy.defaults.merged(&super::NO_REQUIREMENTS),
            "[defaults]",
        );
        for rule in &policy.rules {
            check(
                self,
                rule.requirements.merged(&policy.defaults),
                rule.kind.table(),
            );
        }

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

fn all_keys(own: &[&'static str]) -> Vec<&'static str> {
    own.iter().chain(REQUIREMENT_KEYS).copied().collect()
}

fn selector_key(selector: &Selector) -> (String, String) {
    (
        selector.name.value.as_str().to_string(),
        selector
            .version
            .as_ref()
            .map(|v| v.value.to_string())
            .unwrap_or_default(),
    )
}

fn selector_span(selector: &Selector) -> PolicySpan {
    selector.name.span
}

/// The table a key belongs to, for keys written in the wrong table.
fn home_of(key: &str) -> Option<&'static str> {
    if REQUIREMENT_KEYS.contains(&key) {
        Some("[defaults], [[package]] or [[owner]]")
    } else if key == "reason" || key == "until" {
        Some("[[exempt]]")
    } else if key == "packages" {
        Some("[[owner]]")
    } else if key == "roots" || key == "max-age" {
        Some("[trust]")
    } else if key == "no-attestation-ttl" {
        Some("[cache]")
    } else if DIFF_KEYS.contains(&key) {
        Some("[diff]")
    } else if key == "allow" {
        Some("[git] or [path]")
    } else if ["kind", "template", "api-url", "org"].contains(&key) {
        Some("[[source]]")
    } else if key == "mode" {
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

/// Parse `"30s"`, `"15m"`, `"24h"`, `"90d"`, `"2w"`, `"1d12h"`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration");
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
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            "" => return Err(format!("`{text}` has a number without a unit")),
            unit => return Err(format!("`{unit}` is not a unit (use s, m, h, d or w)")),
        };
        total = number
            .checked_mul(seconds)
            .and_then(|s| total.checked_add(s))
            .filter(|s| *s <= 100 * 365 * 86_400)
            .ok_or_else(|| format!("`{text}` is too long"))?;
        rest = rest[unit_len..].trim_start();
    }
    Ok(Duration::from_secs(total))
}
