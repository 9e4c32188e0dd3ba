//! `[[exempt]]`, and the `[git]` and `[path]` allow lists.

use toml_edit::TableLike;

use super::{Entry, Parser, ALLOW_KEYS, EXEMPT_KEYS};
use crate::policy::matcher::{Glob, ValueError};
use crate::policy::{AllowList, Code, Exemption, PolicyDiagnostic, PolicySpan, Selector, Spanned};

impl Parser<'_> {
    pub(super) fn exemption(
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
                    name = self.package_name(&entry);
                    ok &= name.is_some();
                }
                "version" => {
                    version = self.version_req(&entry);
                    ok &= version.is_some();
                }
                "reason" => {
                    reason = self.exemption_reason(&entry);
                    ok &= reason.is_some();
                }
                "until" => {
                    until = self.date(&entry);
                    ok &= until.is_some();
                }
                _ => self.unknown_key(&entry, "[[exempt]]", EXEMPT_KEYS),
            }
        }
        ok &= self.exemption_has_name_and_reason(table, span);
        if !ok {
            return None;
        }
        Some(Exemption {
            index,
            span,
            selector: Selector::by_name(name?, version),
            reason: reason?,
            until,
        })
    }

    /// An exemption's `reason`: not empty.
    fn exemption_reason(&mut self, entry: &Entry<'_>) -> Option<Spanned<String>> {
        let (text, span) = self.string(entry)?;
        if text.trim().is_empty() {
            self.push(
                PolicyDiagnostic::error(
                    Code::ExemptionWithoutReason,
                    "an exemption needs a reason, and this one is empty",
                )
                .label(span, "empty reason")
                .help("say why the package is exempt, so the next reader can decide when to remove it"),
            );
            return None;
        }
        Some(Spanned::new(text.trim().to_string(), entry.full))
    }

    /// Whether an `[[exempt]]` table has the `name` and `reason` it needs
    /// (each missing one reported).
    fn exemption_has_name_and_reason(&mut self, table: &dyn TableLike, span: PolicySpan) -> bool {
        let mut ok = true;
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
        ok
    }

    pub(super) fn allow_list(
        &mut self,
        table: &dyn TableLike,
        span: PolicySpan,
        name: &str,
        make: fn(&str) -> Result<Glob, ValueError>,
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
}
