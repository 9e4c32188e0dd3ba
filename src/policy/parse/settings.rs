//! `[trust]`, `[cache]` and `[diff]`.

use toml_edit::TableLike;

use super::{Parser, CACHE_KEYS, DIFF_KEYS, ROOT_NAMES, TRUST_KEYS};
use crate::policy::matcher::Glob;
use crate::policy::{CacheConfig, DiffConfig, PolicySpan, RootSpec, Spanned, TrustConfig};
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

    /// `[diff]`: lists of package-name patterns whose changes `diff` accepts.
    pub(super) fn diff(&mut self, table: &dyn TableLike, span: PolicySpan) -> DiffConfig {
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
}
