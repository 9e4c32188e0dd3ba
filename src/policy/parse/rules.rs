//! `[defaults]`, `[[package]]` and `[[owner]]`: the rules and their
//! requirements.

use toml_edit::TableLike;

use super::{Entry, Parser};
use crate::evidence::EvidenceLevel;
use crate::policy::diagnostic::closest;
use crate::policy::matcher::{self, Glob, GlobList, RepoUrl, Runner, Visibility};
use crate::policy::rule_keys::{
    self, KeyRow, RequirementKey, RuleKey, RuleTable, SelectorKey, ValueKind,
};
use crate::policy::{
    Code, PolicyDiagnostic, PolicySpan, Requirements, Rule, RuleKind, Selector, SourceAllow,
    Spanned,
};

/// A `[[package]]` table's own keys, as read; `ok` is false once one of
/// them is wrong.
#[derive(Default)]
struct PackageKeys {
    name: Option<Spanned<Glob>>,
    version: Option<Spanned<semver::VersionReq>>,
    build_time: Option<Spanned<bool>>,
    direct: Option<Spanned<bool>>,
    allow: Option<Vec<Spanned<Glob>>>,
    reason: Option<Spanned<String>>,
    ok: bool,
}

/// What starts a glob pattern rather than a literal path or URL.
const GLOB_STARTS: [char; 4] = ['*', '?', '{', '['];

impl Parser<'_> {
    /// Read one requirement key into `reqs`; false when `entry` is not one
    /// (see [`rule_keys::RULE_KEYS`]).
    pub(super) fn requirement(&mut self, entry: &Entry<'_>, reqs: &mut Requirements) -> bool {
        let Some(row) = rule_keys::lookup(entry.key) else {
            return false;
        };
        let RuleKey::Requirement(key) = row.key else {
            return false;
        };
        let full = entry.full;
        match key {
            RequirementKey::Require => {
                reqs.require = self.level(entry, row).map(|v| Spanned::new(v, full))
            }
            RequirementKey::Issuer => reqs.issuer = self.glob_list_value(entry),
            RequirementKey::Repository => reqs.repository = self.repository_url(entry, 2),
            RequirementKey::Owner => reqs.owner = self.repository_url(entry, 1),
            RequirementKey::RepositoryId => reqs.repository_id = self.id(entry),
            RequirementKey::OwnerId => reqs.owner_id = self.id(entry),
            RequirementKey::Workflow => reqs.workflow = self.checked_globs(entry, workflow_problem),
            RequirementKey::SignerWorkflow => {
                reqs.signer_workflow = self.checked_globs(entry, signer_workflow_problem)
            }
            RequirementKey::SignerDigest => {
                reqs.signer_digest = self.each_string(entry, Self::signer_digest)
            }
            RequirementKey::Ref => reqs.refs = self.checked_globs(entry, ref_problem),
            RequirementKey::Triggers => reqs.triggers = self.triggers(entry),
            RequirementKey::Runner => {
                reqs.runner = self
                    .word(entry, words_of(row), Runner::parse)
                    .map(|v| Spanned::new(v, full))
            }
            RequirementKey::Visibility => {
                reqs.visibility = self.each_string(entry, |this, text, span| {
                    this.word_value(entry.key, text, span, words_of(row), Visibility::parse)
                })
            }
            RequirementKey::PredicateType => {
                reqs.predicate_type = self.each_string(entry, Self::predicate_type)
            }
            RequirementKey::TrustpubOnly => reqs.trustpub_only = self.boolean(entry),
            RequirementKey::MinAge => {
                reqs.min_age = self.duration(entry).map(|d| Spanned::new(d.value, full));
            }
            RequirementKey::SourceMatches => reqs.source_matches = self.boolean(entry),
            RequirementKey::SourceAllowLineEndings => {
                reqs.source_allow_line_endings = self.boolean(entry)
            }
        }
        true
    }

    /// `require`: the evidence level.
    fn level(&mut self, entry: &Entry<'_>, row: &KeyRow) -> Option<EvidenceLevel> {
        self.word(entry, words_of(row), |s| match s {
            "attested" => Some(EvidenceLevel::Attested),
            "registry-asserted" => Some(EvidenceLevel::RegistryAsserted),
            "none" => Some(EvidenceLevel::None),
            _ => None,
        })
    }

    /// `repository` (two path segments) or `owner` (one): a full URL.
    fn repository_url(&mut self, entry: &Entry<'_>, segments: usize) -> Option<Spanned<RepoUrl>> {
        let (text, span) = self.string(entry)?;
        match RepoUrl::new(text, segments) {
            Ok(url) => Some(Spanned::new(url, entry.full)),
            Err(reason) => {
                let example = if segments == 2 {
                    "https://github.com/OWNER/REPO"
                } else {
                    "https://github.com/OWNER"
                };
                self.push(
                    PolicyDiagnostic::error(Code::BadUrl, reason.to_string())
                        .label(span, "not a valid URL here")
                        .help(format!("`{}` is the full URL, as in {example}", entry.key)),
                );
                None
            }
        }
    }

    /// A non-empty list of patterns, each first held to `problem` (which
    /// says what is wrong with a value, if anything); none is read as a
    /// pattern while any value has a problem.
    fn checked_globs(
        &mut self,
        entry: &Entry<'_>,
        problem: fn(&str, PolicySpan) -> Option<PolicyDiagnostic>,
    ) -> Option<Spanned<GlobList>> {
        let list = self.nonempty_strings(entry)?;
        let mut ok = true;
        for (text, span) in &list {
            if let Some(diagnostic) = problem(text, *span) {
                ok = false;
                self.push(diagnostic);
            }
        }
        if !ok {
            return None;
        }
        let globs = self.glob_list(&list, Glob::new)?;
        Some(Spanned::new(
            GlobList(globs.into_iter().map(|g| g.value).collect()),
            entry.full,
        ))
    }

    /// A non-empty list, each value read by `read` (which reports what is
    /// wrong with it); every value is read, and any bad one makes the list
    /// `None`.
    fn each_string<T>(
        &mut self,
        entry: &Entry<'_>,
        mut read: impl FnMut(&mut Self, &str, PolicySpan) -> Option<T>,
    ) -> Option<Spanned<Vec<T>>> {
        let list = self.nonempty_strings(entry)?;
        let mut out = Vec::with_capacity(list.len());
        let mut ok = true;
        for (text, span) in list {
            match read(self, text, span) {
                Some(value) => out.push(value),
                None => ok = false,
            }
        }
        ok.then(|| Spanned::new(out, entry.full))
    }

    /// One `signer-digest`: a commit SHA.
    fn signer_digest(&mut self, text: &str, span: PolicySpan) -> Option<String> {
        match matcher::parse_digest(text) {
            Ok(digest) => Some(digest),
            Err(reason) => {
                self.bad_value(Code::BadDigest, span, reason, "not a commit SHA");
                None
            }
        }
    }

    /// One `predicate-type`: a URI.
    fn predicate_type(&mut self, text: &str, span: PolicySpan) -> Option<String> {
        match matcher::check_uri(text) {
            Ok(()) => Some(text.to_string()),
            Err(reason) => {
                self.push(
                    PolicyDiagnostic::error(Code::BadUrl, reason.to_string())
                        .label(span, "not a predicate type URI")
                        .help("SLSA provenance is \"https://slsa.dev/provenance/v1\""),
                );
                None
            }
        }
    }

    /// `triggers`: patterns of GitHub Actions events, with a warning for a
    /// literal name that is no event.
    fn triggers(&mut self, entry: &Entry<'_>) -> Option<Spanned<GlobList>> {
        let globs = self.globs(entry)?;
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
                    diag = diag.help("it can only match a build started by an event of this name");
                }
                self.push(diag);
            }
        }
        Some(Spanned::new(
            GlobList(globs.into_iter().map(|g| g.value).collect()),
            entry.full,
        ))
    }

    pub(super) fn package_rule(
        &mut self,
        table: &dyn TableLike,
        span: PolicySpan,
        index: usize,
    ) -> Option<Rule> {
        let mut keys = PackageKeys {
            ok: true,
            ..PackageKeys::default()
        };
        let mut requirements = Requirements::default();
        for entry in self.entries(table, span) {
            if !self.package_key(table, &entry, &mut keys)
                && !self.requirement(&entry, &mut requirements)
            {
                let allowed = rule_keys::names_in(RuleTable::Package);
                self.unknown_key(&entry, RuleTable::Package.header(), &allowed);
            }
        }
        let by_traits = ["build-time", "direct"]
            .iter()
            .any(|key| table.contains_key(key));
        if !table.contains_key("name") {
            if by_traits {
                // Selected by its place in the graph alone: any name.
                keys.name = Glob::package_name("*").ok().map(|g| Spanned::new(g, span));
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
        let source_allow = self.source_allow(table, span, keys.allow, keys.reason);
        let name = keys.name.filter(|_| keys.ok)?;
        Some(Rule {
            kind: RuleKind::Package,
            index,
            span,
            selectors: vec![Selector {
                name,
                version: keys.version,
                build_time: keys.build_time,
                direct: keys.direct,
            }],
            requirements,
            source_allow,
        })
    }

    /// Read one of a `[[package]]` table's own keys (not a requirement)
    /// into `keys`; false when `entry` is not one.
    fn package_key(
        &mut self,
        table: &dyn TableLike,
        entry: &Entry<'_>,
        keys: &mut PackageKeys,
    ) -> bool {
        let Some(row) =
            rule_keys::lookup(entry.key).filter(|r| r.tables.contains(RuleTable::Package))
        else {
            return false;
        };
        let RuleKey::Selector(key) = row.key else {
            return false;
        };
        let ok = match key {
            SelectorKey::SourceAllow => {
                keys.allow = self
                    .nonempty_strings(entry)
                    .and_then(|list| self.glob_list(&list, Glob::path));
                keys.allow.is_some()
            }
            // Without `source-allow`, an exemption's key in the wrong table.
            SelectorKey::Reason if !table.contains_key("source-allow") => {
                let mut others = rule_keys::names_in(RuleTable::Package);
                others.retain(|k| *k != entry.key);
                self.unknown_key(entry, RuleTable::Package.header(), &others);
                false
            }
            SelectorKey::Reason => {
                keys.reason = self.source_allow_reason(entry);
                keys.reason.is_some()
            }
            SelectorKey::BuildTime => {
                keys.build_time = self.boolean(entry);
                keys.build_time.is_some()
            }
            SelectorKey::Direct => {
                keys.direct = self.boolean(entry);
                keys.direct.is_some()
            }
            SelectorKey::Name => {
                keys.name = self.package_name(entry);
                keys.name.is_some()
            }
            SelectorKey::Version => {
                keys.version = self.version_req(entry);
                keys.version.is_some()
            }
            SelectorKey::Packages => return false,
        };
        keys.ok &= ok;
        true
    }

    /// The `reason` of a `source-allow`: not empty.
    fn source_allow_reason(&mut self, entry: &Entry<'_>) -> Option<Spanned<String>> {
        let (text, span) = self.string(entry)?;
        if text.trim().is_empty() {
            self.bad_value(
                Code::MissingKey,
                span,
                "`source-allow` needs a reason, and this one is empty",
                "empty reason",
            );
            return None;
        }
        Some(Spanned::new(text.trim().to_string(), entry.full))
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
            match rule_keys::lookup(entry.key).map(|r| r.key) {
                Some(RuleKey::Selector(SelectorKey::Packages)) => {
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
                        let allowed = rule_keys::names_in(RuleTable::Owner);
                        self.unknown_key(&entry, RuleTable::Owner.header(), &allowed);
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

/// The words a key of one of a fixed set of words takes.
fn words_of(row: &KeyRow) -> &'static [&'static str] {
    match row.kind {
        ValueKind::Word(words) | ValueKind::Words(words) => words,
        _ => &[],
    }
}

/// `workflow`: a path inside the repository, not a URL.
fn workflow_problem(text: &str, span: PolicySpan) -> Option<PolicyDiagnostic> {
    if !(text.contains("://") || text.starts_with('/')) {
        return None;
    }
    Some(
        PolicyDiagnostic::error(
            Code::BadWorkflow,
            format!("`{text}` is not a path inside the repository"),
        )
        .label(span, "expected a path such as .github/workflows/release.yml")
        .help("`workflow` is the workflow file's path in the source repository; a workflow in another repository (a reusable workflow) is `signer-workflow`"),
    )
}

/// `signer-workflow`: a workflow URL (or a pattern of one).
fn signer_workflow_problem(text: &str, span: PolicySpan) -> Option<PolicyDiagnostic> {
    if text.starts_with("https://") || text.starts_with(GLOB_STARTS) {
        return None;
    }
    Some(
        PolicyDiagnostic::error(
            Code::BadWorkflow,
            format!("`{text}` is not a workflow URL"),
        )
        .label(span, "expected https://github.com/ORG/REPO/.github/workflows/FILE.yml[@REF]")
        .help("`signer-workflow` matches the full build signer URI; for the path of the workflow in the package's own repository use `workflow`"),
    )
}

/// `ref`: a full git ref (or a pattern of one).
fn ref_problem(text: &str, span: PolicySpan) -> Option<PolicyDiagnostic> {
    if text.starts_with("refs/") || text.starts_with(GLOB_STARTS) {
        return None;
    }
    let suggestion = if matches!(text, "main" | "master" | "trunk") || text.starts_with("release/")
    {
        format!("refs/heads/{text}")
    } else {
        format!("refs/tags/{text}")
    };
    Some(
        PolicyDiagnostic::error(Code::BadRef, format!("`{text}` is not a full git ref"))
            .label(span, "does not start with refs/")
            .help(format!(
                "certificates record the full ref: did you mean \"{suggestion}\"?"
            )),
    )
}
