//! `[trust]`, `[cache]`, `[diff]` and `[graph]`.

use toml_edit::TableLike;

use super::{Parser, CACHE_KEYS, DIFF_KEYS, GRAPH_KEYS, ROOT_NAMES, TRUST_KEYS};
use crate::policy::matcher::Glob;
use crate::policy::{
    CacheConfig, Code, DiffConfig, GraphConfig, PolicyDiagnostic, PolicySpan, RootSpec, Spanned,
    TrustConfig,
};
use crate::trust::Instance;

impl Parser<'_> {
    pub(super) fn trust(&mut self, table: &dyn TableLike, span: PolicySpan) -> TrustConfig {
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

    pub(super) fn cache(&mut self, table: &dyn TableLike, span: PolicySpan) -> CacheConfig {
        let mut config = CacheConfig::default();
        for entry in self.entries(table, span) {
            match entry.key {
                "no-attestation-ttl" => config.no_attestation_ttl = self.duration(&entry),
                _ => self.unknown_key(&entry, "[cache]", CACHE_KEYS),
            }
        }
        config
    }

    /// `[diff]`: lists of package-name patterns whose changes `diff`
    /// accepts, which previous version a package is compared with, and
    /// the day before which changes do not fail.
    pub(super) fn diff(&mut self, table: &dyn TableLike, span: PolicySpan) -> DiffConfig {
        let mut config = DiffConfig::default();
        for entry in self.entries(table, span) {
            let list = match entry.key {
                "allow-downgrade" => &mut config.allow_downgrade,
                "allow-repository-change" => &mut config.allow_repository_change,
                "allow-workflow-change" => &mut config.allow_workflow_change,
                "same-semver-line" => {
                    config.same_semver_line = self.boolean(&entry);
                    continue;
                }
                "enforce-since" => {
                    config.enforce_since = self.date(&entry);
                    continue;
                }
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

    /// `[graph]`: the part of the dependency graph a run checks. Targets
    /// are target triples as rustc names them (cargo says whether it knows
    /// one when it is asked); each is listed once.
    pub(super) fn graph(&mut self, table: &dyn TableLike, span: PolicySpan) -> GraphConfig {
        let mut config = GraphConfig::default();
        for entry in self.entries(table, span) {
            match entry.key {
                "targets" => {
                    let Some(list) = self.nonempty_strings(&entry) else {
                        continue;
                    };
                    let mut targets: Vec<Spanned<String>> = Vec::new();
                    for (text, span) in list {
                        if !is_target_triple(text) {
                            self.bad_value(
                                Code::BadValue,
                                span,
                                format!("`{text}` is not a target triple"),
                                "a target triple, such as \"x86_64-unknown-linux-gnu\"",
                            );
                        } else if let Some(first) = targets.iter().find(|t| t.value == text) {
                            let first = first.span;
                            self.push(
                                PolicyDiagnostic::error(
                                    Code::BadValue,
                                    format!("target `{text}` is listed twice"),
                                )
                                .label(span, "listed again here")
                                .label(first, "first listed here")
                                .help("remove one of the two"),
                            );
                        } else {
                            targets.push(Spanned::new(text.to_string(), span));
                        }
                    }
                    config.targets = Some(Spanned::new(targets, entry.full));
                }
                "exclude-dev" => config.exclude_dev = self.boolean(&entry),
                _ => self.unknown_key(&entry, "[graph]", GRAPH_KEYS),
            }
        }
        config
    }
}

/// Whether `text` looks like a target triple: two to five parts of ASCII
/// letters, digits, `_` and `.`, joined by `-`.
fn is_target_triple(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    (2..=5).contains(&parts.len())
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        })
}
