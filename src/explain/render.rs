//! `explain` as text for people: the package's outcome, what each source
//! answered, every bundle with its checks and facts, the registry
//! assertion, the deciding rule with its text, and each requirement.

use std::fmt::Write as _;

use super::{BundleStatus, Explanation, RuleExplanation};
use crate::escape::Untrusted;
use crate::evaluate::{Failure, RuleRefKind};
use crate::evidence::EvidenceLevel;
use crate::fetch::SourceOutcome;
use crate::policy::Mode;
use crate::verify::VerifiedFacts;

/// The text for people: the package, what each source answered, its
/// bundles, the registry's assertion and the cross-checks, the source
/// comparison, the deciding rule and its requirements, the failures, an
/// exemption, and the outcome.
pub fn render(x: &Explanation) -> String {
    let mut out = String::new();
    let w = &mut out;
    write_package(w, x);
    write_sources(w, x);
    write_bundles(w, x);
    write_registry(w, x);
    write_cross_checks(w, x);
    write_source_cross_checks(w, x);
    write_source_match(w, x);
    let _ = writeln!(w, "\nDecided by {}", x.rule.display);
    write_rule_text(w, &x.rule);
    write_requirements(w, x);
    write_failures(w, x);
    write_exemption(w, x);
    let _ = writeln!(w, "\nOutcome: {} ({})", x.outcome, why(x));
    out
}

/// The header, the package and where it is in the lockfile and graph.
fn write_package(w: &mut String, x: &Explanation) {
    let p = &x.package;
    let _ = writeln!(
        w,
        "{}",
        crate::report::human::header_text(&p.lockfile, x.policy.as_deref(), &x.trust_roots)
    );
    let _ = writeln!(
        w,
        "{}@{} ({}): {}{}",
        p.name,
        p.version,
        Untrusted(&p.source),
        x.outcome.to_uppercase(),
        if x.mode == Mode::Audit {
            " (audit mode: violations do not fail the run)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        w,
        "  lockfile    {}:{}",
        Untrusted(p.lockfile.display()),
        p.lockfile_line
    );
    match &p.checksum {
        Some(checksum) => {
            let _ = writeln!(w, "  checksum    sha256:{checksum}");
        }
        None if p.workspace_member => {
            let _ = writeln!(w, "  checksum    none (a workspace member)");
        }
        None if !p.source.is_registry() => {
            let _ = writeln!(
                w,
                "  checksum    none (a {} dependency, built from source)",
                p.source.kind()
            );
        }
        None => {
            let _ = writeln!(
                w,
                "  checksum    none in Cargo.lock (no provenance can be looked up)"
            );
        }
    }
    let _ = writeln!(w, "  evidence    {}", x.evidence_level);
    write_graph(w, x);
}

/// What each source answered.
fn write_sources(w: &mut String, x: &Explanation) {
    let _ = writeln!(w, "\nSources");
    if x.sources.is_empty() {
        let _ = writeln!(w, "  none asked ({})", not_asked_why(x));
    }
    let width = x
        .sources
        .iter()
        .map(|s| s.source.len())
        .chain(x.source_errors.iter().map(|e| e.source.len()))
        .max()
        .unwrap_or(0);
    for s in &x.sources {
        let _ = writeln!(
            w,
            "  {:<width$}  {}",
            Untrusted(&s.source),
            source_answer(s)
        );
    }
    for e in &x.source_errors {
        if !x.sources.iter().any(|s| s.source == e.source) {
            let _ = writeln!(
                w,
                "  {:<width$}  error: {}",
                Untrusted(&e.source),
                Untrusted(&e.message)
            );
        }
    }
}

/// Every bundle found, with its status and facts.
fn write_bundles(w: &mut String, x: &Explanation) {
    let checksum = x.package.checksum.as_deref();
    if x.bundles.is_empty() {
        let _ = writeln!(w, "\nBundles\n  none found");
    }
    for (n, b) in x.bundles.iter().enumerate() {
        let status = match b.status {
            BundleStatus::Verified if b.decided => "verified; the outcome rests on it",
            BundleStatus::Verified => "verified",
            BundleStatus::Rejected => "REJECTED: failed verification",
            BundleStatus::Ignored => "ignored: not for this checksum",
        };
        let _ = writeln!(w, "\nBundle {} [{status}]", n + 1);
        let _ = writeln!(w, "  location    {}", Untrusted(&b.location));
        let cached = match b.cached {
            Some(true) => " (answer from the cache)",
            Some(false) if b.source.starts_with("dir:") => " (read from the folder)",
            Some(false) => " (fetched in this run)",
            None => "",
        };
        let _ = writeln!(w, "  source      {}{cached}", Untrusted(&b.source));
        if let Some(check) = b.failed_check {
            let _ = writeln!(
                w,
                "  failed      {check}: {}",
                Untrusted(b.failure.as_deref().unwrap_or(""))
            );
        }
        if let Some(facts) = &b.facts {
            write_facts(w, facts, checksum);
        }
    }
}

/// The registry's (unsigned) assertion.
fn write_registry(w: &mut String, x: &Explanation) {
    let _ = writeln!(w, "\nRegistry assertion");
    match &x.registry {
        Some(r) => {
            let _ = writeln!(
                w,
                "  {} says {} published it from {} (unsigned)",
                Untrusted(&r.registry),
                Untrusted(&r.provider),
                Untrusted(&r.repository)
            );
            if let Some(sha) = &r.sha {
                let _ = writeln!(w, "  commit      {}", Untrusted(sha));
            }
            if let Some(run) = &r.run_id {
                let _ = writeln!(w, "  run         {}", Untrusted(run));
            }
            if let Some(only) = r.trustpub_only {
                let _ = writeln!(
                    w,
                    "  trusted publishing only: {}",
                    if only {
                        "yes (crates.io refuses tokens for this crate)"
                    } else {
                        "no (tokens may publish it too)"
                    }
                );
            }
        }
        None => {
            let _ = writeln!(w, "  none");
        }
    }
}

/// Each verified bundle against the registry's record.
fn write_cross_checks(w: &mut String, x: &Explanation) {
    for check in &x.cross_checks {
        let _ = writeln!(
            w,
            "\nCross-check: {} against the registry's record",
            Untrusted(&check.bundle.location)
        );
        for c in &check.comparisons {
            let verdict = match c.agree {
                Some(true) => "agree",
                Some(false) => "DISAGREE: evidence-conflict",
                None => "not compared: one side does not say",
            };
            let _ = writeln!(w, "  {:<11} {verdict}", c.what);
            let _ = writeln!(
                w,
                "    registry    {}",
                c.registry
                    .as_deref()
                    .map_or("(not recorded)".into(), |r| Untrusted(r).to_string())
            );
            let _ = writeln!(
                w,
                "    certificate {}",
                c.certificate
                    .as_deref()
                    .map_or("(not stated)".into(), |r| Untrusted(r).to_string())
            );
        }
    }
}

/// Each requirement of the deciding rule, met or not.
fn write_requirements(w: &mut String, x: &Explanation) {
    if !x.requirements.is_empty() {
        let _ = writeln!(w, "\nRequirements");
        let width = x
            .requirements
            .iter()
            .map(|r| r.requirement.as_str().len())
            .max()
            .unwrap_or(0);
        for r in &x.requirements {
            let _ = writeln!(
                w,
                "  {} {:<width$}  expected {}, found {}{}",
                if r.met { "ok  " } else { "FAIL" },
                r.requirement.as_str(),
                Untrusted(&r.expected),
                Untrusted(r.found.as_deref().unwrap_or("nothing")),
                match (r.line, r.inherited) {
                    (Some(line), true) => format!("  (line {line}, from [defaults])"),
                    (Some(line), false) => format!("  (line {line})"),
                    _ => String::new(),
                },
            );
        }
    }
}

/// The failures no requirement above lists.
fn write_failures(w: &mut String, x: &Explanation) {
    let unlisted: Vec<&Failure> = x
        .failures
        .iter()
        .filter(|f| {
            !x.requirements
                .iter()
                .any(|r| r.requirement == f.requirement && !r.met)
        })
        .collect();
    if !unlisted.is_empty() {
        let _ = writeln!(w, "\nFailures");
        for f in unlisted {
            let _ = write!(w, "  FAIL {f}");
            if let Some(bundle) = &f.bundle {
                let _ = write!(w, " ({})", Untrusted(&bundle.location));
            }
            let _ = writeln!(w);
        }
    }
}

/// The exemption, applied or expired.
fn write_exemption(w: &mut String, x: &Explanation) {
    if let Some(e) = &x.exemption {
        let _ = writeln!(
            w,
            "\n{} {}",
            if e.expired {
                "Expired exemption"
            } else {
                "Exempted by"
            },
            e.rule.display
        );
        write_rule_text(w, &e.rule);
    }
}

/// The source comparison: its result, the commit and where to see it, and
/// every file not as at the commit, compiled code first.
fn write_source_match(w: &mut String, x: &Explanation) {
    use crate::evidence::SourceResult;
    let Some(found) = &x.source_match else {
        return;
    };
    let _ = writeln!(w, "\nSource comparison");
    let result = match (found.result, &found.reason) {
        (SourceResult::NotChecked, Some(reason)) => format!("not-checked: {}", Untrusted(reason)),
        (SourceResult::Differs, _) => format!(
            "differs ({} not as at the commit)",
            crate::words::count(found.difference_count(), "file", "files")
        ),
        (result, _) => result.to_string(),
    };
    let _ = writeln!(w, "  result      {result}");
    let field = |w: &mut String, name: &str, value: Option<&str>| {
        if let Some(value) = value {
            let _ = writeln!(w, "  {name:<11} {}", Untrusted(value));
        }
    };
    field(w, "repository", found.repository.as_deref());
    let commit = found.commit.as_ref().map(|c| match found.dirty {
        Some(true) => format!("{c} (packaged from a dirty tree, as .cargo_vcs_info.json says)"),
        _ => c.clone(),
    });
    field(w, "commit", commit.as_deref());
    field(
        w,
        "folder",
        found
            .path_in_vcs
            .as_deref()
            .map(|p| if p.is_empty() { "(the root)" } else { p }),
    );
    field(w, "see", x.commit_url.as_deref());
    let binaries = &found.binaries;
    let not_binary = |list: &[String]| -> Vec<String> {
        list.iter()
            .filter(|p| !binaries.contains(p))
            .cloned()
            .collect()
    };
    for (title, files) in [
        (
            "compiled code (differs or only in the package)",
            binaries.clone(),
        ),
        ("only in the package", not_binary(&found.only_in_package)),
        ("differ from the commit", not_binary(&found.differ)),
        (
            "differ only in line endings",
            found.line_endings_only.clone(),
        ),
    ] {
        if files.is_empty() {
            continue;
        }
        let _ = writeln!(w, "  {title}:");
        for file in files {
            let _ = writeln!(w, "    {}", Untrusted(&file));
        }
    }
}

fn not_asked_why(x: &Explanation) -> &'static str {
    if x.package.workspace_member {
        "a workspace member needs no provenance"
    } else if !x.package.source.is_registry() {
        "only registry packages have a .crate checksum to look provenance up by"
    } else {
        "the lockfile has no checksum for it"
    }
}

fn source_answer(s: &SourceOutcome) -> String {
    use crate::fetch::Outcome as O;
    let text = match &s.outcome {
        O::Bundles { documents, ignored } => {
            let mut t = format!(
                "{} for the checksum",
                crate::words::count(*documents, "bundle", "bundles")
            );
            if *ignored > 0 {
                let _ = write!(t, ", {ignored} for other artifacts");
            }
            t
        }
        O::NoAttestation => "no attestation".to_string(),
        O::Registry { asserted: true } => "publisher recorded (registry-asserted)".to_string(),
        O::Registry { asserted: false } => "no publisher recorded".to_string(),
        O::NotApplicable { reason } => format!("not applicable: {}", Untrusted(reason)),
        O::NotCached => "no cached answer (offline)".to_string(),
        O::Error { message } => format!("error: {}", Untrusted(message)),
        O::NotAsked => "not asked (bundles already found)".to_string(),
        O::NotNeeded => "not asked (no rule needs its record)".to_string(),
        O::CrateListed { trustpub_only } => crate::fetch::crate_listed(*trustpub_only),
    };
    if s.cached {
        format!("{text} [cached]")
    } else {
        text
    }
}

/// Why the package is in the lockfile: every path from a workspace
/// member (up to a bound, the rest counted), whether it is direct, runs
/// code at build time, or is outside the scope.
fn write_graph(w: &mut String, x: &Explanation) {
    let g = &x.graph;
    if x.package.workspace_member {
        return;
    }
    let build_time = match g.build_time {
        None => "unknown (a bare lockfile does not say)",
        Some(b) if b.proc_macro && b.build_script => "yes: a proc-macro with a build script",
        Some(b) if b.proc_macro => "yes: a proc-macro",
        Some(b) if b.build_script => "yes: a build script",
        Some(_) => "no",
    };
    let _ = writeln!(w, "  build-time  {build_time}");
    if let Some(reason) = &g.out_of_scope {
        let _ = writeln!(
            w,
            "  scope       out of scope: {reason} (not fetched, not checked)"
        );
    }
    let _ = writeln!(
        w,
        "\nWhy it is here ({}; {})",
        if g.direct {
            "a direct dependency"
        } else {
            "a transitive dependency"
        },
        match g.path_count {
            0 => "no path from the workspace".to_string(),
            1 => "1 path".to_string(),
            n => format!("{n} paths"),
        }
    );
    for path in &g.paths {
        let _ = writeln!(w, "  {}", Untrusted(path.join(" → ")));
    }
    let rest = g.path_count.saturating_sub(g.paths.len() as u64);
    if rest > 0 {
        let _ = writeln!(w, "  … and {rest} more");
    }
}

fn write_facts(w: &mut String, facts: &VerifiedFacts, checksum: Option<&str>) {
    let _ = writeln!(w, "  trust root  {}", Untrusted(&facts.trust_root));
    let _ = writeln!(w, "  media type  {}", Untrusted(&facts.media_type));
    let checks: Vec<&str> = facts.checks.iter().map(|c| c.describe()).collect();
    let _ = writeln!(w, "  passed      {}", checks.join(", "));
    match &facts.signer {
        Some(signer) => write_signer(w, signer),
        None => {
            let _ = writeln!(w, "  signer      a managed key (no certificate claims)");
        }
    }
    for entry in &facts.log_entries {
        let _ = writeln!(
            w,
            "  log entry   index {} ({}, log {}){}",
            entry.log_index,
            Untrusted(&entry.kind),
            Untrusted(&entry.log_id),
            entry
                .integrated_time
                .map_or(String::new(), |t| format!(", integrated {t}"))
        );
    }
    let times: Vec<String> = facts.verified_times.iter().map(|t| t.to_string()).collect();
    let _ = writeln!(
        w,
        "  verified times {}",
        if times.is_empty() {
            "(none)".to_string()
        } else {
            times.join(", ")
        }
    );
    if let Some(statement) = &facts.statement {
        write_statement(w, statement, checksum);
    }
}

/// The certificate's identity, issuer, validity and claims.
fn write_signer(w: &mut String, signer: &crate::verify::SignerFacts) {
    let _ = writeln!(
        w,
        "  identity    {}",
        Untrusted(signer.identity.as_deref().unwrap_or("(none)"))
    );
    let _ = writeln!(
        w,
        "  issuer      {}",
        Untrusted(signer.issuer.as_deref().unwrap_or("(none)"))
    );
    let _ = writeln!(
        w,
        "  certificate valid {} to {}",
        signer.not_before, signer.not_after
    );
    let _ = writeln!(w, "  claims");
    let claims = serde_json::to_value(&signer.claims).unwrap_or_default();
    if let Some(map) = claims.as_object() {
        let width = map.keys().map(String::len).max().unwrap_or(0);
        for (key, value) in map {
            let _ = writeln!(
                w,
                "    {key:<width$}  {}",
                Untrusted(value.as_str().unwrap_or("(absent)"))
            );
        }
    }
}

/// The in-toto statement and its subjects, the lockfile's checksum marked.
fn write_statement(
    w: &mut String,
    statement: &crate::verify::StatementFacts,
    checksum: Option<&str>,
) {
    let _ = writeln!(w, "  statement   {}", Untrusted(&statement.statement_type));
    let _ = writeln!(w, "  predicate   {}", Untrusted(&statement.predicate_type));
    for subject in &statement.subjects {
        let digests: Vec<String> = subject
            .digest
            .iter()
            .map(|(algorithm, hex)| {
                let mark = if algorithm == "sha256" && Some(hex.as_str()) == checksum {
                    " (the Cargo.lock checksum)"
                } else {
                    ""
                };
                format!("{}:{}{mark}", Untrusted(algorithm), Untrusted(hex))
            })
            .collect();
        let _ = writeln!(
            w,
            "  subject     {} {}",
            Untrusted(&subject.name),
            digests.join(" ")
        );
    }
}

fn write_rule_text(w: &mut String, rule: &RuleExplanation) {
    let (Some(text), Some(first)) = (&rule.text, rule.first_line) else {
        return;
    };
    if let Some(file) = &rule.file {
        let _ = writeln!(w, "  {}:{first}", Untrusted(file.display()));
    }
    let last = first as usize + text.lines().count().saturating_sub(1);
    let width = last.to_string().len();
    for (n, line) in text.lines().enumerate() {
        // The user's own policy text: the command layer's writer escapes it.
        let _ = writeln!(w, "  {:>width$} | {line}", first as usize + n);
    }
}

/// The outcome in a few words.
fn why(x: &Explanation) -> String {
    let failed = |x: &Explanation| {
        x.failures
            .iter()
            .map(|f| f.requirement.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match x.outcome {
        "pass" if x.package.workspace_member => "a workspace member needs nothing".into(),
        "pass" => match x.bundles.iter().find(|b| b.decided) {
            Some(b) => format!("every requirement is met by {}", Untrusted(&b.location)),
            None if x.evidence_level == EvidenceLevel::RegistryAsserted => {
                "the registry assertion meets every requirement".into()
            }
            None if matches!(x.rule.rule.kind, RuleRefKind::Git | RuleRefKind::Path) => {
                format!("allowed by {}", x.rule.display)
            }
            None => format!("{} asks for nothing more", x.rule.display),
        },
        "violation" => format!("failed: {}", failed(x)),
        "exempt" => match &x.exemption {
            Some(e) => format!("exempt: {}; excuses {}", Untrusted(&e.reason), failed(x)),
            None => "exempt".into(),
        },
        "no-provenance" => {
            "every source answered and none has provenance for it; none is required".into()
        }
        "not-checked" => {
            "a source could not answer, so whether it has provenance is not known; none is required"
                .into()
        }
        "error" => "evidence is required but could not be checked".into(),
        other => other.to_string(),
    }
}

/// The package's own commit and repository against the other evidence.
fn write_source_cross_checks(w: &mut String, x: &Explanation) {
    use crate::evaluate::ComparedWith;
    if x.source_cross_checks.is_empty() {
        return;
    }
    let _ = writeln!(
        w,
        "\nCross-check: the published package's commit and repository against the other evidence"
    );
    for c in &x.source_cross_checks {
        let verdict = match c.agree {
            Some(true) => "agree",
            Some(false) => "DISAGREE: evidence-conflict",
            None => "not compared: one side does not say",
        };
        let against = match &c.compared_with {
            ComparedWith::Certificate { bundle } => {
                format!("the certificate of {}", Untrusted(&bundle.location))
            }
            ComparedWith::Registry { registry } => {
                format!("{}'s record", Untrusted(registry))
            }
        };
        let _ = writeln!(w, "  {:<11} {verdict}, against {against}", c.what);
        let shown = |value: &Option<String>| {
            value
                .as_deref()
                .map_or("(not stated)".into(), |v| Untrusted(v).to_string())
        };
        let _ = writeln!(w, "    package     {}", shown(&c.package));
        let _ = writeln!(w, "    other       {}", shown(&c.other));
    }
}
