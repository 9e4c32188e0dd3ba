//! `[defaults]`, `[[package]]` and `[[owner]]`: the rules and their
//! requirements.

use toml_edit::TableLike;

use super::{all_keys, Entry, Parser, LEVELS, OWNER_KEYS, PACKAGE_KEYS};
use crate::evidence::EvidenceLevel;
use crate::policy::diagnostic::closest;
use crate::policy::matcher::{self, Glob, GlobList, RepoUrl, Runner, Visibility};
use crate::policy::{
    Code, PolicyDiagnostic, PolicySpan, Requirements, Rule, RuleKind, Selector, SourceAllow,
    Spanned,
};

impl Parser<'_> {
    /// Read one requirement key into `reqs`; false when `entry` is not one.
    pub(super) fn requirement(&mut self, entry: &Entry<'_>, reqs: &mut Requirements) -> bool {
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
                    match matcher::check_uri(text) {
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
            "trustpub-only" => {
                reqs.trustpub_only = self.boolean(entry);
            }
            "min-age" => {
                reqs.min_age = self.duration(entry).map(|d| Spanned::new(d.value, full));
            }
            "source-matches" => reqs.source_matches = self.boolean(entry),
            "source-allow-line-endings" => reqs.source_allow_line_endings = self.boolean(entry),
            _ => return false,
        }
        true
    }

    pub(super) fn package_rule(
        &mut self,
        table: &dyn TableLike,
        span: PolicySpan,
        index: usize,
    ) -> Option<Rule> {
        let mut requirements = Requirements::default();
        let mut name = None;
        let mut version = None;
        let mut build_time = None;
        let mut direct = None;
        let mut allow = None;
        let mut reason = None;
        let mut ok = true;
        for entry in self.entries(table, span) {
            match entry.key {
                "source-allow" => {
                    allow = self
                        .nonempty_strings(&entry)
                        .and_then(|list| self.glob_list(&list, Glob::path));
                    ok &= allow.is_some();
                }
                // Without `source-allow`, an exemption's key in the wrong table.
                "reason" if !table.contains_key("source-allow") => {
                    let others: Vec<&str> = PACKAGE_KEYS
                        .iter()
                        .copied()
                        .filter(|k| *k != "reason")
                        .collect();
                    self.unknown_key(&entry, "[[package]]", &all_keys(&others));
                    ok = false;
                }
                "reason" => {
                    reason = self.string(&entry).and_then(|(text, span)| {
                        if text.trim().is_empty() {
                            self.bad_value(
                                Code::MissingKey,
                                span,
                                "`source-allow` needs a reason, and this one is empty".into(),
                                "empty reason",
                            );
                            None
                        } else {
                            Some(Spanned::new(text.trim().to_string(), entry.full))
                        }
                    });
                    ok &= reason.is_some();
                }
                "build-time" => {
                    build_time = self.boolean(&entry);
                    ok &= build_time.is_some();
                }
                "direct" => {
                    direct = self.boolean(&entry);
                    ok &= direct.is_some();
                }
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
        let by_traits = ["build-time", "direct"]
            .iter()
            .any(|key| table.contains_key(key));
        if !table.contains_key("name") {
            if by_traits {
                // Selected by its place in the graph alone: any name.
                name = Glob::package_name("*").ok().map(|g| Spanned::new(g, span));
            } else {
                self.missing_key(
                    Code::MissingKey,
                    "[[package]]",
                    span,
                    "name",
                    "name the package the rule is for: name = \"serde\" (or a glob: \"serde*\"), or select packages by `build-time = true` / `direct = true`",
                );
            }
        }
        let source_allow = self.source_allow(table, span, allow, reason);
        let name = name.filter(|_| ok)?;
        Some(Rule {
            kind: RuleKind::Package,
            index,
            span,
            selectors: vec![Selector {
                name,
                version,
                build_time,
                direct,
            }],
            requirements,
            source_allow,
        })
    }

    /// `source-allow` with the `reason` it needs (and no `reason` alone).
    fn source_allow(
        &mut self,
        table: &dyn TableLike,
        span: PolicySpan,
        globs: Option<Vec<Spanned<Glob>>>,
        reason: Option<Spanned<String>>,
    ) -> Option<SourceAllow> {
        if table.contains_key("source-allow") && !table.contains_key("reason") {
            self.missing_key(
                Code::MissingKey,
                "[[package]] with `source-allow`",
                span,
                "reason",
                "say why these files may differ from the repository: reason = \"generated by build.rs at publish time\"",
            );
        }
        Some(SourceAllow {
            globs: globs?,
            reason: reason?,
        })
    }

    pub(super) fn owner_rule(
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
                                .map(|name| Selector::by_name(name, None))
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
            source_allow: None,
        })
    }
}
