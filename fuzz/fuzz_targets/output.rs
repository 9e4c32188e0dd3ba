//! No character from outside reaches a human output raw. The input is cut
//! at every 0xFF byte into strings (each read as lossy UTF-8) that stand
//! for everything the signer, the lockfile, a server or the cache chooses:
//! claim values, a failure's found value, source names and error texts,
//! bundle locations, a registry's repository, a git URL, file names.
//! Rendered as the report for people (the table with and without colours,
//! the diagnostics), the job summary and `init`'s policy:
//!
//! - the table and the diagnostics hold no control, separator or format
//!   character but `\n` and the ESC of the program's own SGR colours, and
//!   the table has one line per package;
//! - every row of the job summary's tables is one line of four cells, and
//!   outside code spans no `<` is left unescaped;
//! - `init`'s policy is TOML that holds no hidden character but `\n`,
//!   whose only tables are the ones it means (never an `[[exempt]]`), and
//!   whose pins read back as exactly the strings given;
//! - the escapers hold on their own: `escape::toml::string` reads back as
//!   its input on one line, and `escape::Terminal` passes no hidden
//!   character but `\n` whatever bytes it is given, in whatever pieces.
#![no_main]

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use cargo_verify_provenance::testkit::internals::escape;
use cargo_verify_provenance::evaluate::{
    Failure, Outcome, PackageOutcome, Requirement, RuleRef, RuleRefKind,
};
use cargo_verify_provenance::evidence::{
    BundleOrigin, Evidence, EvidenceLevel, FailureKind, RegistryAssertion, Rejected, SourceError,
    SourceMatch, SourceResult,
};
use cargo_verify_provenance::lockfile::{BuildTime, GraphOrigin, Package, PackageSource};
use cargo_verify_provenance::policy::{Mode, NotCheckedAction};
use cargo_verify_provenance::report::{
    human, markdown, GraphSummary, OtherRepository, PackageReport, Provenance, Report, Summary,
    Warning,
};
use cargo_verify_provenance::testkit::internals::policy_init::{render, InitOptions};
use cargo_verify_provenance::testkit::internals::report_failures as failures;
use cargo_verify_provenance::verify::{Check, VerifyFailure};
use cargo_verify_provenance_fuzz::{markdown_cells, outside_code_spans, raw_hidden};
use libfuzzer_sys::fuzz_target;
use sigstore_types::Sha256Hash;

/// The strings of the input, as many as asked for (empty past its end).
fn strings(data: &[u8], count: usize) -> Vec<String> {
    let mut parts: Vec<String> = data
        .split(|&b| b == 0xff)
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect();
    parts.resize(count.max(parts.len()), String::new());
    parts
}

fn rule(kind: RuleRefKind) -> RuleRef {
    RuleRef {
        kind,
        index: Some(0),
        selector: None,
        span: None,
    }
}

fn package_report(name: &str, outcome: Outcome, evidence: EvidenceLevel) -> PackageReport {
    PackageReport {
        outcome: PackageOutcome {
            name: name.into(),
            version: "1.0.0".parse().unwrap(),
            source: PackageSource::CratesIo,
            evidence,
            rule: rule(RuleRefKind::Package),
            applied: Default::default(),
            outcome,
        },
        checksum: Some("11".repeat(32)),
        workspace_member: false,
        lockfile_line: 1,
        provenance: None,
        registry: None,
        record: None,
        published: None,
        attestations: 0,
        rejected: Vec::new(),
        decided_by: Vec::new(),
        source_errors: Vec::new(),
        source_match: None,
        other_repository: Vec::new(),
        direct: false,
        dev_only: false,
        // Build-time code: listed first in the job summary.
        build_time: Some(BuildTime {
            proc_macro: true,
            build_script: false,
        }),
        dependency_path: Vec::new(),
    }
}

/// One package of each kind, every outside string taken from `s`.
fn report(s: &[String]) -> Report {
    let origin = BundleOrigin {
        source: s[4].clone(),
        location: s[5].clone(),
    };
    let failure = Failure {
        requirement: Requirement::Ref,
        expected: "refs/tags/*".into(),
        found: Some(s[2].clone()),
        span: None,
        bundle: Some(origin.clone()),
    };
    let error = SourceError {
        source: s[4].clone(),
        message: s[6].clone(),
        kind: FailureKind::Failed,
        host: None,
    };
    // A host that could not be reached: named in a warning and the summary.
    let unreachable = SourceError {
        source: s[4].clone(),
        message: s[6].clone(),
        kind: FailureKind::DnsFailed,
        host: Some(s[9].clone()),
    };
    let registry = RegistryAssertion {
        registry: "crates.io".into(),
        provider: "github".into(),
        repository: s[7].clone(),
        sha: Some(s[3].clone()),
        run_id: None,
        trustpub_only: Some(true),
    };

    let mut attested = package_report(
        "attested",
        Outcome::Pass {
            bundle: Some(origin.clone()),
        },
        EvidenceLevel::Attested,
    );
    attested.provenance = Some(Provenance {
        bundle: origin.clone(),
        trust_root: s[4].clone(),
        repository: Some(s[0].clone()),
        repository_id: Some(s[3].clone()),
        workflow: Some(s[1].clone()),
        signer_workflow: Some(s[1].clone()),
        git_ref: Some(s[2].clone()),
        commit: Some(s[3].clone()),
        trigger: Some(s[3].clone()),
        runner: Some(s[3].clone()),
        visibility: Some(s[3].clone()),
        run: Some(s[3].clone()),
        log_index: Some(1),
        signed_at: None,
    });
    let mut violation = package_report(
        "violation",
        Outcome::Violation {
            failures: vec![failure.clone()],
        },
        EvidenceLevel::Attested,
    );
    violation.provenance = attested.provenance.clone();
    let mut rejected = package_report(
        "rejected",
        Outcome::Violation {
            failures: vec![Failure {
                requirement: Requirement::BundleVerification,
                expected: "a bundle that verifies".into(),
                found: Some(s[6].clone()),
                span: None,
                bundle: Some(origin.clone()),
            }],
        },
        EvidenceLevel::None,
    );
    rejected.rejected = vec![Rejected {
        origin: origin.clone(),
        digest: "0".repeat(64),
        failure: VerifyFailure::new(Check::Signature, s[6].clone()),
    }];
    let mut unchecked = package_report(
        "unchecked",
        Outcome::Error {
            errors: vec![error.clone()],
            failures: vec![failure.clone()],
        },
        EvidenceLevel::None,
    );
    unchecked.source_errors = vec![error.clone()];
    let exempt = package_report(
        "exempt",
        Outcome::Exempt {
            exemption: rule(RuleRefKind::Exempt),
            reason: s[8].clone(),
            until: None,
            failures: vec![failure],
        },
        EvidenceLevel::None,
    );
    let mut asserted = package_report(
        "asserted",
        Outcome::Pass { bundle: None },
        EvidenceLevel::RegistryAsserted,
    );
    asserted.registry = Some(registry);
    // A bundle attested in another repository: its repository comes from
    // a certificate, so from outside.
    asserted.other_repository = vec![OtherRepository {
        origin: origin.clone(),
        repository: Some(s[7].clone()),
    }];
    // A package whose published files differ from its repository's: every
    // file name comes from the package, so from outside.
    asserted.source_match = Some(SourceMatch {
        result: SourceResult::Differs,
        commit: Some(s[3].clone()),
        path_in_vcs: Some(s[9].clone()),
        dirty: Some(false),
        repository: Some(s[7].clone()),
        differ: vec![s[6].clone()],
        only_in_package: vec![s[8].clone()],
        binaries: vec![s[8].clone()],
        line_endings_only: vec![s[2].clone()],
        reason: None,
        commit_fetched: true,
    });
    let mut not_checked = package_report(
        "not-checked",
        Outcome::NotChecked {
            errors: vec![error.clone(), unreachable.clone()],
        },
        EvidenceLevel::None,
    );
    not_checked.source_errors = vec![error.clone(), unreachable];
    let mut git = package_report("git", Outcome::NoProvenance, EvidenceLevel::None);
    git.outcome.source = PackageSource::Git {
        url: s[9].clone(),
        rev: Some(s[3].clone()),
    };
    git.checksum = None;

    let mut packages = vec![
        attested,
        violation,
        rejected,
        unchecked,
        not_checked,
        exempt,
        asserted,
        git,
    ];
    // The path names what the lockfile names: text from outside.
    for package in &mut packages {
        package.dependency_path = vec!["app@0.1.0".into(), s[9].clone(), package.id()];
    }
    let sources = vec![s[4].clone()];
    let mut warnings = vec![Warning {
        code: "policy-unused-rule".into(),
        message: s[6].clone(),
        file: Some(PathBuf::from(&s[10])),
        line: Some(1),
    }];
    warnings.extend(failures::warnings(&packages, &sources));
    Report {
        lockfile: PathBuf::from(&s[10]),
        policy: Some(PathBuf::from(&s[10])),
        mode: Mode::Enforce,
        not_checked: NotCheckedAction::Fail,
        trust_roots: vec![s[4].clone()],
        sources,
        summary: Summary {
            packages: packages.len(),
            exit_code: 1,
            ..Summary::default()
        },
        not_checked_because: failures::not_checked_because(&packages),
        graph: GraphSummary {
            origin: GraphOrigin::Metadata,
            targets: vec![s[3].clone()],
            exclude_dev: true,
        },
        packages,
        warnings,
    }
}

#[track_caller]
fn assert_shown(what: &str, text: &str, colours: bool) {
    let raw = raw_hidden(text, colours);
    assert!(raw.is_empty(), "{what}: raw {raw:?} in {text:?}");
}

fn check_human(report: &Report) {
    for colour in [false, true] {
        let mut table = Vec::new();
        human::write_table(
            report,
            human::HumanOptions {
                verbose: true,
                quiet: false,
                color: colour,
            },
            &mut table,
        )
        .unwrap();
        let table = String::from_utf8(table).unwrap();
        assert_shown("table", &table, colour);
        assert_eq!(
            table.lines().count(),
            report.packages.len() + 1,
            "{table:?}"
        );

        let mut diagnostics = Vec::new();
        let source = Arc::new(miette::NamedSource::new(
            report.lockfile.display().to_string(),
            String::new(),
        ));
        human::write_diagnostics(report, Some(source), colour, true, &mut diagnostics).unwrap();
        let diagnostics = String::from_utf8(diagnostics).unwrap();
        assert_shown("diagnostics", &diagnostics, colour);
        // Each warning on a line of its own (after its colour, if any).
        let warnings = diagnostics
            .lines()
            .map(|l| l.strip_prefix("\u{1b}[1;33m").unwrap_or(l))
            .filter(|l| l.starts_with("warning["))
            .count();
        assert_eq!(warnings, report.warnings.len(), "{diagnostics:?}");
    }
    let summary = human::summary_line(report);
    assert_shown("summary", &summary, false);
    assert!(!summary.contains('\n'), "{summary:?}");
}

fn check_markdown(report: &Report) {
    let text = markdown::render(report);
    assert_shown("job summary", &text, false);
    // Every row of a table has as many cells as its header.
    let mut header_cells = None;
    for row in text.lines() {
        if !row.starts_with('|') {
            header_cells = None;
            continue;
        }
        let expected = *header_cells.get_or_insert_with(|| markdown_cells(row));
        assert_eq!(markdown_cells(row), expected, "{row:?}");
        let markup = outside_code_spans(row);
        let bytes = markup.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'<' {
                assert!(i > 0 && bytes[i - 1] == b'\\', "HTML in {row:?}");
            }
        }
    }
}

fn check_init(s: &[String]) {
    let package = |name: &str, checksum: Option<u8>| Package {
        name: name.into(),
        version: "1.0.0".parse().unwrap(),
        source: PackageSource::CratesIo,
        checksum: checksum.map(|b| Sha256Hash::new([b; 32])),
        workspace_member: false,
        repository: None,
        line: 1,
        build_time: None,
        direct: false,
        out_of_scope: None,
        dev_only: false,
    };
    let origin = BundleOrigin {
        source: s[4].clone(),
        location: s[5].clone(),
    };
    let packages = [
        (
            package("asserted", Some(1)),
            Evidence {
                registry: Some(RegistryAssertion {
                    registry: "crates.io".into(),
                    provider: "github".into(),
                    repository: s[7].clone(),
                    sha: None,
                    run_id: None,
                    trustpub_only: None,
                }),
                ..Evidence::default()
            },
        ),
        (
            package("unchecked", Some(2)),
            Evidence {
                errors: vec![SourceError {
                    source: s[4].clone(),
                    message: s[6].clone(),
                    kind: FailureKind::Failed,
                    host: None,
                }],
                rejected: vec![Rejected {
                    origin,
                    digest: "1".repeat(64),
                    failure: VerifyFailure::new(Check::Signature, s[6].clone()),
                }],
                ..Evidence::default()
            },
        ),
    ];
    let options = InitOptions {
        lockfile: s[10].clone(),
        today: jiff::civil::date(2026, 6, 1),
        exemption_days: 90,
        sources: Vec::new(),
        roots: vec![s[10].clone()],
    };
    let text = render(packages.iter().map(|(p, e)| (p, e)), &options);
    assert_shown("init", &text, false);
    let document: toml_edit::DocumentMut = text
        .parse()
        .unwrap_or_else(|e| panic!("init wrote TOML that does not parse: {e}\n{text}"));
    let keys: Vec<&str> = document.as_table().iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["trust", "defaults", "package"], "{text}");
    assert_eq!(
        document["trust"]["roots"][0].as_str(),
        Some(s[10].as_str()),
        "{text}"
    );
    let rules = document["package"].as_array_of_tables().unwrap();
    assert_eq!(rules.len(), 1, "{text}");
    let rule = rules.get(0).unwrap();
    assert_eq!(rule["name"].as_str(), Some("asserted"));
    assert_eq!(rule["repository"].as_str(), Some(s[7].as_str()), "{text}");
}

fn check_escapers(data: &[u8], s: &[String]) {
    for value in s {
        let written = escape::toml::string(value).to_string();
        assert!(!written.contains('\n'), "{written:?}");
        let document: toml_edit::DocumentMut = format!("k = {written}\n").parse().unwrap();
        assert_eq!(document["k"].as_str(), Some(value.as_str()), "{written:?}");
        assert_shown("comment", &escape::toml::comment(value), false);
        assert!(!escape::toml::comment(value).contains('\n'));
        assert_shown("code span", &escape::markdown::code(value), false);
        assert_eq!(
            markdown_cells(&format!("| {} |", escape::markdown::code(value))),
            1
        );
    }
    // The writer, given the raw bytes in pieces of every size 1 to 7.
    let mut out = Vec::new();
    {
        let mut terminal = escape::Terminal::new(&mut out);
        let mut rest = data;
        let mut size = 1;
        while !rest.is_empty() {
            let (piece, tail) = rest.split_at(size.min(rest.len()));
            terminal.write_all(piece).unwrap();
            rest = tail;
            size = size % 7 + 1;
        }
    }
    let text = String::from_utf8(out).expect("the writer writes UTF-8");
    assert_shown("terminal writer", &text, false);
}

fuzz_target!(|data: &[u8]| {
    let s = strings(data, 11);
    let report = report(&s);
    check_human(&report);
    check_markdown(&report);
    check_init(&s);
    check_escapers(data, &s);
});
