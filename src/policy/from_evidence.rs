//! `init`: a first policy from what is observed now (trust on first use).
//!
//! Every dependency with verified provenance is pinned to the repository
//! (URL and immutable ID), workflow, ref pattern and, when a reusable
//! workflow signed, signer workflow its attestation shows; dependencies with
//! only registry data are pinned to the repository it states; a dependency
//! whose published files are its repository's at the recorded commit (the
//! source comparison) gets `source-matches = true`, and with no other
//! evidence that is its rule; the rest are left to decide on, in one
//! commented block per class ([`super::undecided`]), with what the source
//! comparison found. Where today's evidence
//! shows it, a rule also requires what defends against a hijacked release
//! pipeline, each with a comment saying why: release triggers (never an
//! event that runs on input others control, such as a pull request's), a tag ref, a GitHub-hosted runner, and crates.io's refusal
//! of token publishing (`trustpub-only`). Git and path
//! dependencies are allowed as they are. The text parses as a policy under
//! which the same lockfile and evidence pass (except bundles that fail
//! verification, which nothing can waive, and versions built on an event
//! that runs on input others control, which are never allowed; both are
//! called out).

use std::collections::BTreeMap;

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::escape::toml::{comment, string};
use crate::evidence::{Attestation, Evidence};
use crate::lockfile::{Package, PackageSource};
use crate::policy::matcher::workflow_path;
use crate::sources::SourceSpec;

/// What `init` writes besides the rules.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The lockfile the policy is made from, for the header.
    pub lockfile: String,
    /// Today: the header's date, and the base of suggested exemption expiries.
    pub today: jiff::civil::Date,
    /// How long a suggested exemption lasts.
    pub exemption_days: i32,
    /// Sources to write as `[[source]]` tables (paths as they should appear
    /// in the file, relative to it); none: the defaults apply.
    pub sources: Vec<SourceSpec>,
    /// `[trust] roots` to write, as they should appear; none: the defaults.
    pub roots: Vec<String>,
}

/// The facts a pin is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pin {
    repository: Option<String>,
    repository_id: Option<String>,
    workflow: Option<String>,
    git_ref: Option<String>,
    /// Only when a workflow other than the one that ran signed (reusable).
    signer_workflow: Option<String>,
    /// The release events, with the one that started the build when it is
    /// another event started by the repository's writers.
    triggers: Option<Vec<String>>,
    /// The event that started the build, when it runs on input others
    /// control ([`runs_on_untrusted_input`]): never pinned as allowed.
    untrusted_trigger: Option<String>,
    /// Whether the build ran on a GitHub-hosted runner.
    github_hosted: bool,
}

impl Pin {
    fn from_attestation(attestation: &Attestation) -> Option<Self> {
        let claims = attestation.facts.claims()?;
        let repository = claims.source_repository_uri.clone();
        let workflow = claims
            .build_config_uri
            .as_deref()
            .map(|uri| globset::escape(workflow_path(uri, repository.as_deref())));
        let git_ref = claims.source_repository_ref.as_deref().map(ref_pattern);
        let strip_ref = |uri: &str| uri.rsplit_once('@').map_or(uri, |(u, _)| u).to_string();
        let signer_workflow = match (&claims.build_signer_uri, &claims.build_config_uri) {
            (Some(signer), Some(config)) if strip_ref(signer) != strip_ref(config) => {
                Some(signer_pattern(signer))
            }
            _ => None,
        };
        let trigger = claims.build_trigger.as_deref();
        let triggers = trigger.map(|trigger| {
            let mut triggers: Vec<String> = RELEASE_EVENTS.iter().map(|e| e.to_string()).collect();
            if WRITER_EVENTS.contains(&trigger) {
                triggers.push(trigger.to_string());
            }
            triggers
        });
        let pin = Self {
            repository,
            repository_id: claims.source_repository_identifier.clone(),
            workflow,
            git_ref,
            signer_workflow,
            triggers,
            untrusted_trigger: trigger
                .filter(|t| runs_on_untrusted_input(t))
                .map(str::to_string),
            github_hosted: claims.runner_environment.as_deref() == Some("github-hosted"),
        };
        (pin.repository.is_some() || pin.repository_id.is_some()).then_some(pin)
    }
}

/// The events a release is built on: pinned wherever the build's trigger
/// is known.
const RELEASE_EVENTS: [&str; 3] = ["push", "release", "workflow_dispatch"];

/// Other events only the repository's writers start, on the repository's
/// own code: pinned as allowed beside the release events when a build was
/// started by one of them.
const WRITER_EVENTS: [&str; 4] = ["schedule", "create", "merge_group", "repository_dispatch"];

/// Whether a workflow started by `event` runs on input others than the
/// repository's writers control, and so is never pinned as allowed: a pull
/// request's code or text (`pull_request*`, `pull_request_target` even with
/// the repository's secrets), issues, comments and discussions anyone may
/// write (`issues`, `issue_comment`, `discussion*`), the run of another
/// workflow, maybe a fork's pull request, and its artifacts (`workflow_run`),
/// a fork, a star or a wiki edit anyone may make (`fork`, `watch`,
/// `gollum`). Every event not known to be a writer's counts as such.
fn runs_on_untrusted_input(event: &str) -> bool {
    !RELEASE_EVENTS.contains(&event) && !WRITER_EVENTS.contains(&event)
}

/// `refs/tags/v1.2.3` → `refs/tags/*`: releases are tags, and the next one
/// has another name. Branches are pinned as they are (a `*`, `?`, `[` or
/// `{` in the claim made literal: `workflow`, `signer-workflow` and `ref`
/// are patterns, and a claim must not widen its own pin).
fn ref_pattern(git_ref: &str) -> String {
    if git_ref.starts_with("refs/tags/") {
        "refs/tags/*".to_string()
    } else {
        globset::escape(git_ref)
    }
}

/// A reusable workflow at a version tag (`v2.1.0`, `2.1`, `v2`) is pinned
/// to that tag's major version line: `@refs/tags/{v2,v2.*}` matches `v2`
/// and `v2.` followed by anything, never `v20` nor `v3`. At any other tag,
/// a branch or a commit, exactly.
fn signer_pattern(signer_uri: &str) -> String {
    let pinned = signer_uri
        .rsplit_once("@refs/tags/")
        .and_then(|(workflow, tag)| Some((workflow, major_line(tag)?)));
    match pinned {
        Some((workflow, major)) => format!(
            "{}@refs/tags/{{{major},{major}.*}}",
            globset::escape(workflow)
        ),
        None => globset::escape(signer_uri),
    }
}

/// The major version line of a version tag: `v2.1.0` → `v2`, `2.1` → `2`,
/// `v2` → `v2`; `None` for a tag that does not start with a version.
fn major_line(tag: &str) -> Option<&str> {
    let start = usize::from(tag.starts_with('v'));
    let digits = tag[start..].bytes().take_while(u8::is_ascii_digit).count();
    let end = start + digits;
    (digits > 0 && (end == tag.len() || tag[end..].starts_with('.'))).then(|| &tag[..end])
}

enum Found<'a> {
    Attested(Pin),
    Registry(&'a str),
    /// Neither, but the published files are the repository's at the
    /// commit they were packaged from.
    SourceMatches,
    Nothing,
}

fn found(evidence: &Evidence) -> Found<'_> {
    if let Some(pin) = evidence.attestations.iter().find_map(Pin::from_attestation) {
        return Found::Attested(pin);
    }
    match &evidence.registry {
        Some(registry) => Found::Registry(&registry.repository),
        None if source_matches(evidence) => Found::SourceMatches,
        None => Found::Nothing,
    }
}

/// The `min-age` `init` suggests, commented out, in `[defaults]`.
pub const SUGGESTED_MIN_AGE: &str = "7 days";

/// Whether the source comparison found every published file as at the
/// recorded commit (`differs`, `no-vcs-info` and `not-checked` do not).
fn source_matches(evidence: &Evidence) -> bool {
    evidence
        .source_match
        .as_ref()
        .is_some_and(|m| m.result == crate::evidence::SourceResult::Matches)
}

/// The packages of a lockfile as `init` sees them: registry packages by
/// name (each with what was found), git URLs and path dependencies.
#[derive(Default)]
pub struct Inventory<'a> {
    pub registry: BTreeMap<&'a str, Vec<(&'a Package, &'a Evidence)>>,
    /// Normal forms of git URLs, as literal `[git] allow` patterns.
    pub git: Vec<String>,
    pub path: Vec<&'a str>,
}

impl<'a> Inventory<'a> {
    /// Every package in scope (those outside were not looked up: nothing
    /// to pin).
    pub fn of(packages: impl IntoIterator<Item = (&'a Package, &'a Evidence)>) -> Self {
        let mut inventory = Self::default();
        for (package, evidence) in packages {
            if !package.needs_provenance() {
                continue;
            }
            match &package.source {
                PackageSource::CratesIo | PackageSource::Registry { .. } => inventory
                    .registry
                    .entry(package.name.as_str())
                    .or_default()
                    .push((package, evidence)),
                // The URL's normal form (what `[git] allow` matches), as a
                // literal pattern; a URL without one is left out, and fails `[git]`.
                PackageSource::Git { url, .. } => {
                    if let Ok(normal) = crate::policy::url::normalize(url) {
                        inventory.git.push(globset::escape(&normal));
                    }
                }
                PackageSource::Path => inventory.path.push(package.name.as_str()),
            }
        }
        inventory.git.sort_unstable();
        inventory.git.dedup();
        inventory.path.sort_unstable();
        inventory.path.dedup();
        inventory
    }

    fn all_registry(&self) -> impl Iterator<Item = &(&'a Package, &'a Evidence)> {
        self.registry.values().flatten()
    }
}

/// The commented `provenance.toml` for these packages and what was found
/// for each: the header, the run's sources and roots, `[defaults]`, one
/// rule per crate with evidence (`pins`), the block of those left to
/// decide on (`undecided_block`), the bundles nothing can waive, and the
/// git and path dependencies allowed.
///
/// The document is built with `toml_edit`: every value is a string the
/// writer quotes ([`crate::escape::toml::string`]), and every comment goes
/// through `Comments`, which writes only single `#` lines of visible
/// text. So no value from outside (a claim, a file name, a cached error
/// text) can end a comment or a string and start TOML of its own.
pub fn render<'a>(
    packages: impl IntoIterator<Item = (&'a Package, &'a Evidence)>,
    options: &InitOptions,
) -> String {
    let inventory = Inventory::of(packages);
    let all_attested = inventory
        .all_registry()
        .all(|(_, e)| matches!(found(e), Found::Attested(_)));
    let mut doc = Document::new();
    doc.pending = header(options);
    sources_and_roots(&mut doc, options);
    let (tables, undecided) = pins(&inventory.registry, (!all_attested).then_some("attested"));
    let defaults = doc.table(defaults_table(all_attested));
    doc.insert("defaults", Item::Table(defaults));
    let mut rules = ArrayOfTables::new();
    for table in tables {
        rules.push(doc.table(table));
    }
    if !rules.is_empty() {
        doc.insert("package", Item::ArrayOfTables(rules));
    }
    let block = undecided_block(&undecided, options);
    doc.pending.0.push_str(&block);
    rejected_warnings(&mut doc.pending, inventory.all_registry());
    allow_tables(&mut doc, &inventory.git, &inventory.path);
    let mut out = doc.finish();
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn header(options: &InitOptions) -> Comments {
    let mut header = Comments::default();
    header.line("provenance.toml: who may build each dependency.");
    header.line(format!(
        "Written by `cargo verify-provenance init` on {} from {}.",
        options.today, options.lockfile
    ));
    header.line("");
    header.line("Trust on first use: every dependency whose provenance verified is pinned to");
    header.line("the repository (by immutable ID), workflow and ref it was built from today.");
    header.line("Where the published files are the repository's at the commit they were");
    header.line("packaged from, `source-matches = true` keeps them so.");
    header.line("Review the pins: they record what is, not what should be. The reference for");
    header.line(format!(
        "every key: `{}`, or",
        crate::policy::REFERENCE_COMMAND
    ));
    header.line(crate::policy::DOCS_URL);
    header.line("`cargo verify-provenance init --update` adds rules for new dependencies and");
    header.line("removes those of dependencies gone, keeping every edit and comment.");
    header.end_block();
    header
}

/// `[[source]]` and `[trust]`, when the run's are not the defaults.
fn sources_and_roots(doc: &mut Document, options: &InitOptions) {
    if !options.sources.is_empty() {
        let mut sources = ArrayOfTables::new();
        for source in &options.sources {
            sources.push(doc.table(source_table(source)));
        }
        doc.insert("source", Item::ArrayOfTables(sources));
    }
    if !options.roots.is_empty() {
        let mut trust = Table::new();
        trust.insert(
            "roots",
            Item::Value(Value::Array(inline_list(&options.roots))),
        );
        let trust = doc.table(trust);
        doc.insert("trust", Item::Table(trust));
    }
}

/// `[defaults]`: `require = "attested"` when every dependency has verified
/// provenance, else `"none"` with the way there; `min-age` suggested.
fn defaults_table(all_attested: bool) -> Table {
    let mut defaults = Rule::default();
    // Suggested, not set: whether to wait is the user's choice.
    defaults
        .comment("Fail versions published less than this before a run: most malicious releases");
    defaults.comment("are found and yanked within days. Uncomment to wait that long for new ones:");
    defaults.comment(format!("min-age = \"{SUGGESTED_MIN_AGE}\""));
    if all_attested {
        defaults.comment("Every dependency has verified provenance: new ones must too.");
        defaults.set("require", "attested");
    } else {
        defaults.comment(
            "Not every dependency has verified provenance yet: those without are listed at",
        );
        defaults
            .comment("the end, to decide on. Once each is pinned or exempted, require it of all:");
        defaults.comment("require = \"attested\"");
        defaults.set("require", "none");
    }
    defaults.table
}

/// One `[[package]]` rule per crate whose versions agree on what they
/// show (else one per version), for every crate with evidence (a verified
/// attestation, the registry's word, or published files that match the
/// repository); and the packages with none, left to decide on. `require`
/// goes into rules for attested crates when `[defaults]` does not say it.
pub fn pins<'a>(
    registry: &BTreeMap<&'a str, Vec<(&'a Package, &'a Evidence)>>,
    require: Option<&str>,
) -> (Vec<Table>, Vec<(&'a Package, &'a Evidence)>) {
    let mut tables = Vec::new();
    let mut undecided = Vec::new();
    for (name, versions) in registry {
        let pins: Vec<_> = versions.iter().map(|(p, e)| (*p, *e, found(e))).collect();
        let first = &pins[0].2;
        let uniform = pins.iter().all(|(_, _, f)| same(f, first));
        // A crate-level setting: pinned when crates.io said so for every version.
        let trustpub_only = versions.iter().all(|(_, e)| {
            e.record
                .as_ref()
                .is_some_and(|r| r.trustpub_only == Some(true))
        });
        let pinned = |found: &Found<'_>, source_matches: bool| Pinned {
            require,
            trustpub_only,
            source_matches,
            versions_found: matches!(found, Found::SourceMatches),
        };
        // One rule for every version when they all agree, else one per version.
        if uniform && !matches!(first, Found::Nothing) {
            let seen: Vec<String> = pins.iter().map(|(p, _, _)| p.version.to_string()).collect();
            let all_match = versions.iter().all(|(_, e)| source_matches(e));
            tables.push(rule(name, None, &seen, first, &pinned(first, all_match)));
            continue;
        }
        for (package, evidence, f) in &pins {
            if matches!(f, Found::Nothing) {
                undecided.push((*package, *evidence));
            } else {
                let seen = [package.version.to_string()];
                let pinned = pinned(f, source_matches(evidence));
                tables.push(rule(name, Some(&package.version), &seen, f, &pinned));
            }
        }
    }
    (tables, undecided)
}

/// The bundles that failed verification, called out: nothing can waive them.
fn rejected_warnings<'a>(
    notes: &mut Comments,
    registry: impl Iterator<Item = &'a (&'a Package, &'a Evidence)>,
) {
    for (package, evidence) in registry.filter(|(_, e)| !e.rejected.is_empty()) {
        for bad in &evidence.rejected {
            notes.line(format!(
                "WARNING: a bundle for {} failed verification ({}: {}). Nothing in this",
                package.id(),
                bad.origin.location,
                bad.failure
            ));
            notes.line(
                "file can waive that: remove the bundle from its source or fix the trust root.",
            );
        }
        notes.end_block();
    }
}

/// `[git]` and `[path]`: what the lockfile holds, allowed as it is.
fn allow_tables(doc: &mut Document, git: &[String], path: &[&str]) {
    if !git.is_empty() {
        doc.pending
            .line("Git dependencies, allowed as they are today.");
        let mut table = Table::new();
        table.insert("allow", Item::Value(Value::Array(list(git))));
        let table = doc.table(table);
        doc.insert("git", Item::Table(table));
    }
    if !path.is_empty() {
        doc.pending
            .line("Path dependencies outside the workspace, allowed as they are today.");
        let mut table = Table::new();
        table.insert("allow", Item::Value(Value::Array(list(path))));
        let table = doc.table(table);
        doc.insert("path", Item::Table(table));
    }
}

/// The block of packages left to decide on, as comment lines between the
/// markers `init --update` rewrites ([`super::undecided`]); empty when
/// there are none.
pub fn undecided_block(undecided: &[(&Package, &Evidence)], options: &InitOptions) -> String {
    let until = options
        .today
        .checked_add(jiff::Span::new().days(options.exemption_days))
        .unwrap_or(options.today);
    let lines = super::undecided::lines(undecided, options.today, until);
    let mut comments = Comments::default();
    for line in &lines {
        comments.line(line);
    }
    if !lines.is_empty() {
        comments.end_block();
    }
    comments.take()
}

/// Comment lines, each `# ` and one line of visible text (or a bare `#`),
/// and blank lines between blocks: the only way comments get into the file.
#[derive(Default)]
struct Comments(String);

impl Comments {
    /// One comment line; a newline or control character in `text` is
    /// shown escaped ([`comment`]), never written.
    fn line(&mut self, text: impl AsRef<str>) {
        let text = comment(text.as_ref());
        if text.is_empty() {
            self.0.push_str("#\n");
        } else {
            self.0.push_str("# ");
            self.0.push_str(&text);
            self.0.push('\n');
        }
    }

    /// A blank line after a block of comments.
    fn end_block(&mut self) {
        self.0.push('\n');
    }

    fn take(&mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

/// The document under construction, with the comments waiting for the next
/// table (they go before its header).
struct Document {
    doc: DocumentMut,
    pending: Comments,
    first: bool,
}

impl Document {
    fn new() -> Self {
        Self {
            doc: DocumentMut::new(),
            pending: Comments::default(),
            first: true,
        }
    }

    /// `table`, with the waiting comments before its header, after a blank
    /// line unless it is the first.
    fn table(&mut self, mut table: Table) -> Table {
        let blank = if self.first { "" } else { "\n" };
        self.first = false;
        table
            .decor_mut()
            .set_prefix(format!("{blank}{}", self.pending.take()));
        table
    }

    fn insert(&mut self, key: &str, item: Item) {
        self.doc.insert(key, item);
    }

    /// The text, with the comments still waiting at the end.
    fn finish(mut self) -> String {
        let pending = self.pending.take();
        if !pending.is_empty() {
            let blank = if self.first { "" } else { "\n" };
            self.doc.set_trailing(format!("{blank}{pending}"));
        }
        self.doc.to_string()
    }
}

/// A table whose keys may have comments above them.
#[derive(Default)]
struct Rule {
    table: Table,
    comment: Comments,
}

impl Rule {
    /// A comment line above the next key.
    fn comment(&mut self, text: impl AsRef<str>) {
        self.comment.line(text);
    }

    /// `key = "value"`, with the waiting comment lines above it.
    fn set(&mut self, key: &str, value: &str) {
        self.set_value(key, string(value));
    }

    /// `key = value`, with the waiting comment lines above it.
    fn set_value(&mut self, key: &str, value: Value) {
        self.table.insert(key, Item::Value(value));
        let comment = self.comment.take();
        if !comment.is_empty() {
            if let Some(mut key) = self.table.key_mut(key) {
                key.leaf_decor_mut().set_prefix(comment);
            }
        }
    }
}

/// `["a", "b"]` on one line.
fn inline_list(items: &[impl AsRef<str>]) -> Array {
    items.iter().map(|item| string(item.as_ref())).collect()
}

/// One item inline, more one per line.
fn list(items: &[impl AsRef<str>]) -> Array {
    let mut array = inline_list(items);
    if array.len() > 1 {
        for value in array.iter_mut() {
            value.decor_mut().set_prefix("\n    ");
        }
        array.set_trailing_comma(true);
        array.set_trailing("\n");
    }
    array
}

fn same(a: &Found<'_>, b: &Found<'_>) -> bool {
    match (a, b) {
        (Found::Attested(x), Found::Attested(y)) => x == y,
        (Found::Registry(x), Found::Registry(y)) => x == y,
        (Found::SourceMatches, Found::SourceMatches) | (Found::Nothing, Found::Nothing) => true,
        _ => false,
    }
}

/// What a rule pins besides what [`Found`] shows.
struct Pinned<'a> {
    /// `require` for an attested package, when `[defaults]` does not.
    require: Option<&'a str>,
    /// crates.io refuses API tokens for the crate (every version).
    trustpub_only: bool,
    /// Every version the rule covers matches its repository at its commit.
    source_matches: bool,
    /// The source comparison is the only evidence found.
    versions_found: bool,
}

/// The `[[package]]` rule of a crate (or of one version): what was found
/// pinned, then the keys the evidence shows can be required.
fn rule(
    name: &str,
    version: Option<&semver::Version>,
    seen: &[String],
    found: &Found<'_>,
    pinned: &Pinned<'_>,
) -> Table {
    let mut rule = Rule::default();
    rule.set("name", name);
    if let Some(version) = version {
        rule.set("version", &format!("={version}"));
    } else if seen.len() > 1 {
        rule.comment(format!("versions in Cargo.lock: {}", seen.join(", ")));
    }
    match found {
        Found::Attested(pin) => attested_keys(&mut rule, pin, pinned.require),
        Found::Registry(repository) => {
            rule.comment(
                "Only the registry's unsigned word (crates.io Trusted Publishing) so far.",
            );
            rule.set("require", "registry-asserted");
            rule.set("repository", repository);
        }
        Found::SourceMatches | Found::Nothing => {}
    }
    if pinned.trustpub_only && !matches!(found, Found::Nothing) {
        rule.comment(
            "crates.io refuses API tokens for it: a stolen token cannot publish a version.",
        );
        rule.set_value("trustpub-only", Value::from(true));
    }
    if pinned.source_matches {
        if pinned.versions_found {
            rule.comment("No provenance, but the published files are its repository's at the");
            rule.comment("commit they were packaged from (.cargo_vcs_info.json).");
        } else {
            rule.comment("The published files are its repository's at the commit they were");
            rule.comment("packaged from: a version holding code its repository does not fails.");
        }
        rule.set_value("source-matches", Value::from(true));
    }
    rule.table
}

/// What a verified attestation pins: `require` (when `[defaults]` does
/// not), the repository, its ID, the workflow and signer, the ref, the
/// release triggers (never one that runs on input others control) and a
/// GitHub-hosted runner, each hardening key with why.
fn attested_keys(rule: &mut Rule, pin: &Pin, require: Option<&str>) {
    if let Some(level) = require {
        rule.set("require", level);
    }
    let keys = [
        ("repository", &pin.repository),
        ("repository-id", &pin.repository_id),
        ("workflow", &pin.workflow),
        ("signer-workflow", &pin.signer_workflow),
    ];
    for (key, value) in keys {
        if let Some(value) = value {
            rule.set(key, value);
        }
    }
    if let Some(git_ref) = &pin.git_ref {
        if git_ref == "refs/tags/*" {
            rule.comment("Built from a tag: a push to a branch cannot publish a release.");
        }
        rule.set("ref", git_ref);
    }
    if let Some(trigger) = &pin.untrusted_trigger {
        rule.comment(format!(
            "WARNING: this version was built on `{trigger}`, which runs on input others control."
        ));
        rule.comment(
            "It is not allowed below: this version fails until a release build replaces it.",
        );
    }
    if let Some(triggers) = &pin.triggers {
        rule.comment(
            "Never from a pull request: pull_request(_target) runs code its author controls.",
        );
        rule.set_value("triggers", Value::Array(inline_list(triggers)));
    }
    if pin.github_hosted {
        rule.comment(
            "Built on a GitHub-hosted runner: a fresh machine, not one the publisher keeps.",
        );
        rule.set("runner", "github-hosted");
    }
}

fn source_table(source: &SourceSpec) -> Table {
    let mut rule = Rule::default();
    match source {
        SourceSpec::GitHub {
            api_url,
            org,
            predicate_type,
        } => {
            rule.set("kind", "github");
            if api_url != crate::sources::GITHUB_API {
                rule.set("api-url", api_url);
            }
            if let Some(org) = org {
                rule.set("org", org);
            }
            if let Some(p) = predicate_type {
                rule.set("predicate-type", p);
            }
        }
        SourceSpec::Url { template } => {
            rule.set("kind", "url");
            rule.set("template", template);
        }
        SourceSpec::Dir { path } => {
            rule.set("kind", "dir");
            rule.set("path", &path.to_string_lossy());
        }
        SourceSpec::CratesIo {
            api_url,
            download_url,
            index_url,
            records,
        } => {
            rule.set("kind", "crates-io");
            if api_url != crate::sources::CRATES_IO_API {
                rule.set("api-url", api_url);
            }
            if let Some(template) = download_url {
                rule.set("download-url", template);
            }
            if index_url != crate::sources::CRATES_IO_INDEX {
                rule.set("index-url", index_url);
            }
            if *records == crate::sources::Records::All {
                rule.set("records", "all");
            }
        }
    }
    rule.table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::matcher::{signer_matches, Glob};

    #[test]
    fn the_major_line_of_a_version_tag() {
        for (tag, major) in [
            ("v2.1.0", Some("v2")),
            ("2.1", Some("2")),
            ("v2", Some("v2")),
            ("v10.0.0-rc.1", Some("v10")),
            ("v2-beta", None),
            ("release-2024", None),
            ("v", None),
            ("", None),
            ("vv2", None),
        ] {
            assert_eq!(major_line(tag), major, "{tag}");
        }
    }

    /// A signer pinned at a version tag accepts that major line only; any
    /// other signer is pinned exactly.
    #[test]
    fn a_signer_at_a_version_tag_is_pinned_to_its_major_line_only() {
        let workflow = "https://github.com/acme/ci/.github/workflows/attest.yml";
        let pattern = signer_pattern(&format!("{workflow}@refs/tags/v2.1.0"));
        assert_eq!(pattern, format!("{workflow}@refs/tags/{{v2,v2.*}}"));
        let glob = Glob::new(&pattern).unwrap();
        let at = |reference: &str| signer_matches(&glob, &format!("{workflow}@{reference}"));
        for tag in ["v2", "v2.0.0", "v2.9.1-rc.1", "v2.1.0"] {
            assert!(at(&format!("refs/tags/{tag}")), "{tag}");
        }
        for other in [
            "refs/tags/v20.0.0",
            "refs/tags/v3.0.0",
            "refs/tags/v1.9.0",
            "refs/tags/v2x",
            "refs/heads/v2",
        ] {
            assert!(!at(other), "{other}");
        }
        assert!(!signer_matches(
            &glob,
            "https://github.com/evil/ci/.github/workflows/attest.yml@refs/tags/v2.1.0"
        ));
        for exact in [
            format!("{workflow}@refs/tags/release-2024"),
            format!("{workflow}@refs/heads/main"),
            format!("{workflow}@{}", "a".repeat(40)),
        ] {
            assert_eq!(signer_pattern(&exact), globset::escape(&exact));
        }
    }

    #[test]
    fn events_others_can_start_are_untrusted_and_unknown_ones_too() {
        for event in [
            "pull_request",
            "pull_request_target",
            "pull_request_review",
            "pull_request_review_comment",
            "issues",
            "issue_comment",
            "discussion",
            "discussion_comment",
            "workflow_run",
            "fork",
            "watch",
            "gollum",
            "some_future_event",
        ] {
            assert!(runs_on_untrusted_input(event), "{event}");
        }
        for event in RELEASE_EVENTS.iter().chain(&WRITER_EVENTS) {
            assert!(!runs_on_untrusted_input(event), "{event}");
        }
    }
}
