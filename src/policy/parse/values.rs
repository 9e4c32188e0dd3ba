//! Reading one key's value: every reader reports a wrong type or a bad
//! value at its span and returns `None`, so that parsing goes on.

use std::time::Duration;

use toml_edit::{TableLike, Value};

use super::{home_of, parse_duration, quoted, type_name, value_type_name, Entry, Parser};
use crate::escape::Untrusted;
use crate::policy::diagnostic::closest;
use crate::policy::matcher::{self, Glob, GlobList, ValueError};
use crate::policy::{Code, PolicyDiagnostic, PolicySpan, Spanned};

impl Parser<'_> {
    pub(super) fn span(&self, range: std::ops::Range<usize>) -> PolicySpan {
        self.lines.span(self.text, range)
    }

    pub(super) fn push(&mut self, diag: PolicyDiagnostic) {
        self.diags.push(diag);
    }

    /// The first line of a table: its `[[name]]` header.
    pub(super) fn header(&self, range: std::ops::Range<usize>) -> PolicySpan {
        let text = self.text.get(range.clone()).unwrap_or_default();
        let line = text.split('\n').next().unwrap_or_default().trim_end();
        self.span(range.start..range.start + line.len())
    }

    /// The entries of a table, in file order.
    pub(super) fn entries<'a>(
        &self,
        table: &'a dyn TableLike,
        fallback: PolicySpan,
    ) -> Vec<Entry<'a>> {
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

    pub(super) fn unknown_key(&mut self, entry: &Entry<'_>, table: &str, allowed: &[&str]) {
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

    pub(super) fn wrong_type(&mut self, entry: &Entry<'_>, expected: &str) {
        let found = type_name(entry.item);
        self.push(
            PolicyDiagnostic::error(
                Code::WrongType,
                format!("`{}` must be {expected}, not {found}", entry.key),
            )
            .label(entry.value_span, format!("this is {found}")),
        );
    }

    pub(super) fn bad_value(
        &mut self,
        code: Code,
        span: PolicySpan,
        message: impl std::fmt::Display,
        label: &str,
    ) {
        self.push(
            PolicyDiagnostic::error(code, message.to_string()).label(span, label.to_string()),
        );
    }

    pub(super) fn missing_key(
        &mut self,
        code: Code,
        table: &str,
        span: PolicySpan,
        key: &str,
        help: &str,
    ) {
        self.push(
            PolicyDiagnostic::error(code, format!("{table} needs `{key}`"))
                .label(span, format!("this table has no `{key}`"))
                .help(help.to_string()),
        );
    }

    pub(super) fn boolean(&mut self, entry: &Entry<'_>) -> Option<Spanned<bool>> {
        match entry.item.as_value().and_then(|v| v.as_bool()) {
            Some(value) => Some(Spanned::new(value, entry.full)),
            None => {
                self.wrong_type(entry, "`true` or `false`");
                None
            }
        }
    }

    pub(super) fn string<'a>(&mut self, entry: &Entry<'a>) -> Option<(&'a str, PolicySpan)> {
        match entry.item.as_str() {
            Some(s) => Some((s, entry.value_span)),
            None => {
                self.wrong_type(entry, "a string");
                None
            }
        }
    }

    /// A string, or an array of strings.
    pub(super) fn strings<'a>(&mut self, entry: &Entry<'a>) -> Option<Vec<(&'a str, PolicySpan)>> {
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
    pub(super) fn nonempty_strings<'a>(
        &mut self,
        entry: &Entry<'a>,
    ) -> Option<Vec<(&'a str, PolicySpan)>> {
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
    pub(super) fn word<T>(
        &mut self,
        entry: &Entry<'_>,
        words: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let (text, span) = self.string(entry)?;
        self.word_value(entry.key, text, span, words, parse)
    }

    pub(super) fn word_value<T>(
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

    pub(super) fn globs(&mut self, entry: &Entry<'_>) -> Option<Vec<Spanned<Glob>>> {
        let list = self.nonempty_strings(entry)?;
        self.glob_list(&list, Glob::new)
    }

    pub(super) fn glob_list(
        &mut self,
        list: &[(&str, PolicySpan)],
        make: impl Fn(&str) -> Result<Glob, ValueError>,
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
                        format!("`{}` is not a valid pattern: {reason}", Untrusted(text)),
                        "bad pattern",
                    );
                }
            }
        }
        ok.then_some(out)
    }

    /// `name`: one package name, or a pattern of them.
    pub(super) fn package_name(&mut self, entry: &Entry<'_>) -> Option<Spanned<Glob>> {
        let (text, span) = self.string(entry)?;
        self.glob_list(&[(text, span)], Glob::package_name)
            .and_then(|mut g| g.pop())
    }

    pub(super) fn glob_list_value(&mut self, entry: &Entry<'_>) -> Option<Spanned<GlobList>> {
        let globs = self.globs(entry)?;
        Some(Spanned::new(
            GlobList(globs.into_iter().map(|g| g.value).collect()),
            entry.full,
        ))
    }

    /// A URI compared, never fetched (a predicate type).
    pub(super) fn uri(&mut self, entry: &Entry<'_>) -> Option<String> {
        let (text, span) = self.string(entry)?;
        match matcher::check_uri(text) {
            Ok(()) => Some(text.to_string()),
            Err(reason) => {
                self.bad_value(Code::BadUrl, span, reason, "not a URL");
                None
            }
        }
    }

    /// A URL a source fetches from, held to the rule the HTTP client holds
    /// it to (`https`, or plain `http` to a loopback address).
    pub(super) fn api_url(&mut self, entry: &Entry<'_>) -> Option<String> {
        let (text, span) = self.string(entry)?;
        match crate::sources::SourceSpec::api_url(text) {
            Ok(url) => Some(url),
            Err(reason) => {
                self.bad_value(Code::BadUrl, span, reason, "not fetched");
                None
            }
        }
    }

    pub(super) fn id(&mut self, entry: &Entry<'_>) -> Option<Spanned<String>> {
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
                    PolicyDiagnostic::error(Code::BadId, reason.to_string())
                        .label(entry.value_span, "not an ID")
                        .help(
                            "GitHub IDs are numbers: `gh api repos/OWNER/REPO --jq .id`, `gh api users/OWNER --jq .id`",
                        ),
                );
                None
            }
        }
    }

    pub(super) fn version_req(&mut self, entry: &Entry<'_>) -> Option<Spanned<semver::VersionReq>> {
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

    pub(super) fn date(&mut self, entry: &Entry<'_>) -> Option<Spanned<jiff::civil::Date>> {
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

    pub(super) fn duration(&mut self, entry: &Entry<'_>) -> Option<Spanned<Duration>> {
        let (text, span) = self.string(entry)?;
        match parse_duration(text) {
            Ok(d) => Some(Spanned::new(d, span)),
            Err(reason) => {
                self.push(
                    PolicyDiagnostic::error(Code::BadDuration, reason.to_string())
                        .label(span, "bad duration")
                        .help("write a number and a unit (s, m, h, d, w, or the words): \"24h\", \"90d\", \"7 days\", \"1d12h\""),
                );
                None
            }
        }
    }

    /// The tables of `[[name]]` (or an array of inline tables).
    pub(super) fn tables<'a>(&mut self, entry: &Entry<'a>) -> Vec<(&'a dyn TableLike, PolicySpan)> {
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

    pub(super) fn table<'a>(&mut self, entry: &Entry<'a>) -> Option<&'a dyn TableLike> {
        match entry.item.as_table_like() {
            Some(t) => Some(t),
            None => {
                self.wrong_type(entry, &format!("a table (written [{}])", entry.key));
                None
            }
        }
    }
}
