//! Parsing and validation: valid policies give the typed values; every kind
//! of bad policy gives its diagnostic, rendered (snapshots) so that the
//! spans, labels and hints are checked exactly.

use std::path::Path;
use std::time::Duration;

use super::matcher::{Runner, Visibility};
use super::*;

fn now() -> jiff::Timestamp {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

fn parse(text: &str) -> Result<Policy, InvalidPolicy> {
    Policy::parse(text, "provenance.toml", Path::new("/work/project"), now())
}

fn codes(text: &str) -> Vec<&'static str> {
    match parse(text) {
        Ok(policy) => policy.warnings.iter().map(|d| d.code.as_str()).collect(),
        Err(e) => e.problems.iter().map(|d| d.code.as_str()).collect(),
    }
}

/// Render a report the way a terminal without color shows it, at a fixed
/// width, so snapshots are stable.
fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, diagnostic)
        .unwrap();
    out
}

fn render_invalid(text: &str) -> String {
    let error = parse(text).expect_err("the policy should be invalid");
    render(&error)
}

fn render_warnings(diagnostics: &[PolicyDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| render(d))
        .collect::<Vec<_>>()
        .join("\n")
}

const FULL: &str = r#"
mode = "audit"

[defaults]
require = "attested"
issuer = "https://token.actions.githubusercontent.com"
runner = "github-hosted"
triggers = ["push", "release", "workflow_dispatch"]
visibility = "public"
predicate-type = "https://slsa.dev/provenance/v1"

[[package]]
name = "serde*"
version = ">=1.0.200"
repository = "https://github.com/serde-rs/serde"
repository-id = 27123134
workflow = ".github/workflows/publish.yml"
ref = ["refs/tags/v*", "refs/heads/main"]

[[package]]
name = "ring"
require = "registry-asserted"
signer-workflow = "https://github.com/org/ci/.github/workflows/release.yml@refs/tags/v2*"
signer-digest = "0123456789abcdef0123456789ABCDEF01234567"
runner = "any"

[[owner]]
owner = "https://github.com/tokio-rs"
owner-id = "20248544"
packages = ["tokio*", "mio", "bytes"]

[[exempt]]
name = "libc"
version = "0.2.*"
reason = "upstream does not attest yet"
until = 2027-03-01

[[exempt]]
name = "windows-*"
reason = "built by Microsoft's own pipeline"
until = "2026-12-31"

[git]
allow = ["https://github.com/my-org/*"]

[path]
allow = []

[[source]]
kind = "dir"
path = "bundles"

[[source]]
kind = "github"
org = "my-org"
predicate-type = "https://slsa.dev/provenance/v1"

[[source]]
kind = "url"
template = "https://mirror.example/{name}/{version}/{checksum}.sigstore.json"

[[source]]
kind = "crates-io"

[trust]
roots = ["public-good", "github", "roots/trusted_root.json"]
max-age = "30d"

[cache]
no-attestation-ttl = "1d12h"
"#;

#[test]
fn a_full_policy_parses_into_typed_values() {
    let policy = parse(FULL).unwrap();
    assert!(policy.warnings.is_empty(), "{:?}", policy.warnings);
    assert_eq!(policy.mode, Mode::Audit);

    let d = &policy.defaults;
    assert_eq!(d.require.as_ref().unwrap().value, EvidenceLevel::Attested);
    assert_eq!(d.runner.as_ref().unwrap().value, Runner::GithubHosted);
    assert_eq!(
        d.visibility.as_ref().unwrap().value,
        vec![Visibility::Public]
    );
    assert!(d.triggers.as_ref().unwrap().value.is_match("release"));
    assert!(!d.triggers.as_ref().unwrap().value.is_match("pull_request"));

    assert_eq!(policy.rules.len(), 3);
    let serde = &policy.rules[0];
    assert_eq!((serde.kind, serde.index), (RuleKind::Package, 0));
    assert_eq!(serde.span.line, 12, "the rule points at its header");
    let selector = &serde.selectors[0];
    assert!(selector.matches(
        "serde_json",
        &"1.0.201".parse().unwrap(),
        Default::default()
    ));
    assert!(!selector.matches(
        "serde_json",
        &"1.0.199".parse().unwrap(),
        Default::default()
    ));
    assert_eq!(
        serde.requirements.repository_id.as_ref().unwrap().value,
        "27123134"
    );
    let r = serde.requirements.refs.as_ref().unwrap();
    assert!(r.value.is_match("refs/heads/main"));
    assert_eq!(r.span.line, 18);

    let ring = &policy.rules[1];
    assert_eq!(
        ring.requirements.signer_digest.as_ref().unwrap().value,
        vec!["0123456789abcdef0123456789abcdef01234567".to_string()]
    );
    let owner = &policy.rules[2];
    assert_eq!(owner.kind, RuleKind::Owner);
    assert_eq!(owner.selectors.len(), 3);
    assert_eq!(owner.selectors[1].name.span.line, 30);

    assert_eq!(policy.exemptions.len(), 2);
    let libc = &policy.exemptions[0];
    assert_eq!(libc.reason.value, "upstream does not attest yet");
    assert_eq!(
        libc.until.as_ref().unwrap().value,
        jiff::civil::date(2027, 3, 1)
    );
    assert_eq!(
        policy.exemptions[1].until.as_ref().unwrap().value,
        jiff::civil::date(2026, 12, 31)
    );

    assert!(policy
        .git
        .as_ref()
        .unwrap()
        .find("https://github.com/my-org/x")
        .is_some());
    assert!(policy.path_deps.as_ref().unwrap().patterns.is_empty());

    let sources: Vec<_> = policy.sources.iter().map(|s| s.value.clone()).collect();
    assert_eq!(
        sources,
        vec![
            SourceSpec::Dir {
                path: "/work/project/bundles".into()
            },
            SourceSpec::GitHub {
                api_url: crate::sources::GITHUB_API.into(),
                org: Some("my-org".into()),
                predicate_type: Some("https://slsa.dev/provenance/v1".into()),
            },
            SourceSpec::Url {
                template: "https://mirror.example/{name}/{version}/{checksum}.sigstore.json".into()
            },
            SourceSpec::crates_io(crate::sources::CRATES_IO_API),
        ]
    );
    assert_eq!(
        policy.trust.roots(),
        vec![
            RootSpec::Instance {
                instance: Instance::PublicGood
            },
            RootSpec::Instance {
                instance: Instance::GitHub
            },
            RootSpec::File {
                path: "/work/project/roots/trusted_root.json".into()
            },
        ]
    );
    assert_eq!(policy.trust.max_age(), Duration::from_secs(30 * 86_400));
    assert_eq!(
        policy.cache.no_attestation_ttl(),
        Duration::from_secs(36 * 3600)
    );
}

#[test]
fn an_empty_file_is_the_default_policy() {
    let policy = parse("").unwrap();
    assert_eq!(policy.mode, Mode::Enforce);
    assert!(policy.rules.is_empty());
    assert_eq!(policy.defaults, Requirements::default());
    assert_eq!(policy.trust.roots().len(), 2);
    assert_eq!(policy.trust.max_age(), DEFAULT_ROOT_MAX_AGE);
    assert_eq!(
        policy.cache.no_attestation_ttl(),
        DEFAULT_NO_ATTESTATION_TTL
    );
}

#[test]
fn inline_tables_work_like_table_headers() {
    let policy = parse(
        r#"
defaults = { require = "attested" }
package = [{ name = "a", ref = "refs/tags/*" }, { name = "b" }]
"#,
    )
    .unwrap();
    assert_eq!(policy.rules.len(), 2);
    assert!(policy.defaults.require.is_some());
}

#[test]
fn every_kind_of_problem_has_its_code() {
    let table: &[(&str, &[&str])] = &[
        ("x = ", &["policy-syntax"]),
        ("a = 1\na = 2", &["policy-syntax"]),
        ("[[packages]]\nname = \"x\"", &["policy-unknown-key"]),
        ("[defaults]\nrequire = 1", &["policy-wrong-type"]),
        ("[defaults]\ntriggers = [\"push\", 2]", &["policy-wrong-type"]),
        ("defaults = \"strict\"", &["policy-wrong-type"]),
        ("package = 3", &["policy-wrong-type"]),
        ("[[package]]\nversion = \"1\"", &["policy-missing-key"]),
        ("[[owner]]\nowner-id = 1", &["policy-missing-key"]),
        ("[[owner]]\npackages = [\"a\"]", &["policy-missing-key"]),
        ("[[source]]\npath = \"x\"", &["policy-missing-key"]),
        ("[[source]]\nkind = \"url\"", &["policy-missing-key"]),
        ("[defaults]\nrequire = \"strong\"", &["policy-bad-value"]),
        ("[defaults]\nrunner = \"self-host\"", &["policy-bad-value"]),
        ("[defaults]\nvisibility = [\"public\", \"secret\"]", &["policy-bad-value"]),
        ("mode = \"warn\"", &["policy-bad-value"]),
        ("[[source]]\nkind = \"gitlab\"", &["policy-bad-value"]),
        ("[trust]\nroots = [\"public_good\"]", &["policy-bad-value"]),
        ("[[package]]\nname = \"serde[\"", &["policy-bad-glob"]),
        ("[[package]]\nname = \"serde json\"", &["policy-bad-glob"]),
        ("[defaults]\nref = \"refs/tags/{v*\"", &["policy-bad-glob"]),
        ("[[package]]\nname = \"a\"\nversion = \"1.x.y.z\"", &["policy-bad-version"]),
        ("[[exempt]]\nname = \"a\"\nreason = \"r\"\nuntil = \"2027-02-30\"", &["policy-bad-date"]),
        ("[[exempt]]\nname = \"a\"\nreason = \"r\"\nuntil = \"next year\"", &["policy-bad-date"]),
        ("[[exempt]]\nname = \"a\"\nreason = \"r\"\nuntil = 2027-03-01T10:00:00Z", &["policy-bad-date"]),
        ("[trust]\nmax-age = \"3 months\"", &["policy-bad-duration"]),
        ("[cache]\nno-attestation-ttl = \"24\"", &["policy-bad-duration"]),
        ("[defaults]\nrepository = \"github.com/a/b\"", &["policy-bad-url"]),
        ("[defaults]\nowner = \"https://github.com/a/b\"", &["policy-bad-url"]),
        ("[defaults]\npredicate-type = \"slsa\"", &["policy-bad-url"]),
        ("[defaults]\nrepository-id = \"serde\"", &["policy-bad-id"]),
        ("[defaults]\nowner-id = -4", &["policy-bad-id"]),
        ("[defaults]\nref = \"v*\"", &["policy-bad-ref"]),
        ("[defaults]\nworkflow = \"https://github.com/a/b/.github/workflows/x.yml\"", &["policy-bad-workflow"]),
        ("[defaults]\nsigner-workflow = \".github/workflows/x.yml\"", &["policy-bad-workflow"]),
        ("[defaults]\nsigner-digest = \"main\"", &["policy-bad-digest"]),
        ("[[source]]\nkind = \"url\"\ntemplate = \"https://x/static.json\"", &["policy-bad-source"]),
        ("[[source]]\nkind = \"github\"\norg = \"a/b\"", &["policy-bad-source"]),
        ("[[source]]\nkind = \"dir\"\ntemplate = \"https://x/{checksum}\"\npath = \"b\"", &["policy-unknown-key"]),
        ("[defaults]\nref = []", &["policy-empty-list"]),
        ("[trust]\nroots = []", &["policy-empty-list"]),
        ("[[owner]]\nowner = \"https://github.com/o\"\npackages = []", &["policy-empty-list"]),
        ("[[package]]\nname = \"a\"\n[[package]]\nname = \"a\"", &["policy-duplicate-rule"]),
        ("[[package]]\nname = \"a\"\n[[owner]]\nowner-id = 1\npackages = [\"a\"]", &["policy-duplicate-rule"]),
        ("[[exempt]]\nname = \"a\"\nreason = \"r\"\n[[exempt]]\nname = \"a\"\nreason = \"s\"", &["policy-duplicate-rule"]),
        ("[[package]]\nname = \"a\"\nrepository = \"https://github.com/x/a\"\nowner = \"https://github.com/y\"", &["policy-contradictory-rule"]),
        ("[defaults]\nowner = \"https://github.com/y\"\n[[package]]\nname = \"a\"\nrepository = \"https://github.com/x/a\"", &["policy-contradictory-rule"]),
        ("[defaults]\nowner = \"https://github.com/y\"\nrepository = \"https://github.com/x/a\"\n[[package]]\nname = \"a\"", &["policy-contradictory-rule"]),
        ("[[exempt]]\nname = \"a\"", &["policy-exemption-without-reason"]),
        ("[[exempt]]\nname = \"a\"\nreason = \"  \"", &["policy-exemption-without-reason"]),
        ("[defaults]\ntriggers = [\"pull-request\"]", &["policy-unknown-trigger"]),
        ("[[exempt]]\nname = \"a\"\nreason = \"r\"\nuntil = 2026-06-01", &["policy-exemption-expired"]),
    ];
    for (text, expected) in table {
        assert_eq!(&codes(text), expected, "policy:\n{text}");
    }
}

#[test]
fn valid_values_are_accepted() {
    for text in [
        "[defaults]\nowner-id = 20248544",
        "[defaults]\ntriggers = [\"*\"]",
        "[defaults]\nref = \"*\"",
        "[defaults]\nsigner-workflow = \"*\"",
        "[defaults]\nissuer = \"https://token.actions.githubusercontent.com\"",
        "[defaults]\nvisibility = [\"public\", \"private\", \"internal\"]",
        "[defaults]\nrepository = \"https://gitlab.com/group/sub/project\"",
        "[[exempt]]\nname = \"a\"\nreason = \"r\"\nuntil = 2026-06-02",
        "[[package]]\nname = \"a\"\nversion = \"<1\"\n[[package]]\nname = \"a\"\nversion = \">=1\"",
        "[[package]]\nname = \"a\"\nrepository = \"https://github.com/x/a\"\nowner = \"https://github.com/X\"",
        "[git]\nallow = []\n[path]\nallow = [\"vendored-*\"]",
        "[cache]\nno-attestation-ttl = \"0s\"",
    ] {
        assert!(parse(text).is_ok(), "{text}: {:?}", parse(text).err());
    }
}

#[test]
fn every_problem_is_reported_at_once_in_file_order() {
    let error = parse(
        r#"
mode = "audti"
[defaults]
require = "atested"
repositroy = "https://github.com/x/y"
[[package]]
name = "serde"
ref = "v*"
[[exempt]]
name = "libc"
"#,
    )
    .unwrap_err();
    let codes: Vec<_> = error.problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "policy-bad-value",
            "policy-bad-value",
            "policy-unknown-key",
            "policy-bad-ref",
            "policy-exemption-without-reason"
        ]
    );
    let lines: Vec<_> = error
        .problems
        .iter()
        .map(|p| p.span().unwrap().line)
        .collect();
    assert_eq!(lines, [2, 4, 5, 8, 9]);
}

#[test]
fn hostile_input_is_refused_without_panicking() {
    // Deep nesting is bounded by the TOML parser.
    let deep = format!("x = {}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(codes(&deep), ["policy-syntax"]);
    // Ten thousand rules parse, and duplicates are found without quadratic work.
    let mut many = String::new();
    for i in 0..10_000 {
        many.push_str(&format!(
            "[[package]]\nname = \"crate-{i}\"\nrequire = \"attested\"\n"
        ));
    }
    let policy = parse(&many).unwrap();
    assert_eq!(policy.rules.len(), 10_000);
    many.push_str("[[package]]\nname = \"crate-5\"\n");
    assert_eq!(codes(&many), ["policy-duplicate-rule"]);
}

#[test]
fn load_reports_missing_and_oversized_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    assert!(matches!(
        Policy::load(&missing, now()),
        Err(PolicyLoadError::NotFound { .. })
    ));
    let bad_utf8 = dir.path().join("bad.toml");
    std::fs::write(&bad_utf8, [0xff, 0xfe]).unwrap();
    assert!(matches!(
        Policy::load(&bad_utf8, now()),
        Err(PolicyLoadError::Unreadable { .. })
    ));
    let ok = dir.path().join("provenance.toml");
    std::fs::write(&ok, "[[source]]\nkind = \"dir\"\npath = \"bundles\"\n").unwrap();
    let policy = Policy::load(&ok, now()).unwrap();
    assert_eq!(policy.path.as_deref(), Some(ok.as_path()));
    assert_eq!(
        policy.sources[0].value,
        SourceSpec::Dir {
            path: dir.path().join("bundles")
        }
    );
    // Policy::resolve falls back to the default policy when nothing is found.
    let empty = tempfile::tempdir().unwrap();
    let resolved = Policy::resolve(None, empty.path(), SearchFrom::WorkspaceRoot, now()).unwrap();
    assert!(resolved.path.is_none() || resolved.path.as_deref() != Some(ok.as_path()));
}

#[test]
fn check_files_loads_trust_roots_and_looks_for_dirs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad_root.json"), "{}").unwrap();
    let text = "[trust]\nroots = [\"bad_root.json\", \"public-good\"]\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n";
    let policy = Policy::parse(text, "provenance.toml", dir.path(), now()).unwrap();
    let diags = policy.check_files();
    let codes: Vec<_> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["policy-bad-trust-root", "policy-missing-dir"]);
    assert_eq!(diags[0].span().unwrap().line, 2);

    std::fs::create_dir(dir.path().join("bundles")).unwrap();
    std::fs::write(
        dir.path().join("root.json"),
        Instance::PublicGood.embedded_json(),
    )
    .unwrap();
    let text = "[trust]\nroots = [\"root.json\"]\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n";
    let policy = Policy::parse(text, "provenance.toml", dir.path(), now()).unwrap();
    assert!(policy.check_files().is_empty());
}

#[test]
fn durations_parse() {
    use super::parse::parse_duration;
    for (text, secs) in [
        ("30s", 30),
        ("15m", 900),
        ("24h", 86_400),
        ("90d", 90 * 86_400),
        ("2w", 14 * 86_400),
        ("1d12h", 36 * 3600),
        ("1d 12h", 36 * 3600),
        ("0s", 0),
        ("7 days", 7 * 86_400),
        ("1 day", 86_400),
        ("2 weeks 3 hours", 14 * 86_400 + 3 * 3600),
        ("90 minutes", 5400),
        ("10 sec", 10),
    ] {
        assert_eq!(
            parse_duration(text).unwrap(),
            Duration::from_secs(secs),
            "{text}"
        );
    }
    for bad in [
        "",
        "h",
        "24",
        "1y",
        "-1d",
        "1.5h",
        "99999999999999999999d",
        "1000000w",
        "7 dayz",
        "days",
        "7 days ago",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}

#[test]
fn diff_settings_parse_into_patterns_with_their_lines() {
    let policy = parse(
        "[diff]\nallow-downgrade = [\"legacy\", \"windows-*\"]\nallow-repository-change = \"serde\"\nallow-workflow-change = []\n",
    )
    .unwrap();
    let downgrade: Vec<(&str, u32)> = policy
        .diff
        .allow_downgrade
        .iter()
        .map(|p| (p.value.as_str(), p.span.line))
        .collect();
    assert_eq!(downgrade, [("legacy", 2), ("windows-*", 2)]);
    assert!(policy.diff.allow_downgrade[1].value.is_match("windows-sys"));
    assert_eq!(
        policy.diff.allow_repository_change[0].value.as_str(),
        "serde"
    );
    assert!(policy.diff.allow_workflow_change.is_empty());
    assert_eq!(parse("").unwrap().diff, DiffConfig::default());
}

mod snapshots {
    use super::*;

    macro_rules! bad_policy {
        ($name:ident, $text:expr) => {
            #[test]
            fn $name() {
                insta::assert_snapshot!(render_invalid($text));
            }
        };
    }

    bad_policy!(syntax_error, "[defaults]\nrequire = attested\n");
    bad_policy!(
        key_defined_twice,
        "[defaults]\nrunner = \"github-hosted\"\nrunner = \"self-hosted\"\n"
    );
    bad_policy!(
        unknown_table_with_suggestion,
        "[[packages]]\nname = \"serde\"\n"
    );
    bad_policy!(
        key_in_the_wrong_table,
        "[[package]]\nname = \"libc\"\nreason = \"upstream does not attest\"\n"
    );
    bad_policy!(
        unknown_key_without_suggestion,
        "[trust]\nfrobnicate = true\n"
    );
    bad_policy!(
        wrong_types,
        "[defaults]\nrequire = true\ntriggers = [\"push\", 3]\n"
    );
    bad_policy!(table_expected, "defaults = \"strict\"\n");
    bad_policy!(
        missing_name,
        "[[package]]\nversion = \"1\"\nrepository = \"https://github.com/a/b\"\n"
    );
    bad_policy!(owner_without_owner, "[[owner]]\npackages = [\"tokio*\"]\n");
    bad_policy!(source_without_kind, "[[source]]\npath = \"bundles\"\n");
    bad_policy!(
        bad_words,
        "mode = \"warn\"\n[defaults]\nrequire = \"atested\"\nrunner = \"self\"\nvisibility = [\"public\", \"secret\"]\n"
    );
    bad_policy!(bad_source_kind, "[[source]]\nkind = \"gihtub\"\n");
    bad_policy!(bad_root_name, "[trust]\nroots = [\"public_good\"]\n");
    bad_policy!(
        bad_globs,
        "[[package]]\nname = \"serde[\"\n[[owner]]\nowner-id = 1\npackages = [\"tokio\", \"my crate\"]\n"
    );
    bad_policy!(
        bad_version,
        "[[package]]\nname = \"serde\"\nversion = \"1.0.x.y\"\n"
    );
    bad_policy!(
        bad_dates,
        "[[exempt]]\nname = \"a\"\nreason = \"r\"\nuntil = \"2027-02-30\"\n[[exempt]]\nname = \"b\"\nreason = \"r\"\nuntil = \"soon\"\n"
    );
    bad_policy!(
        bad_durations,
        "[trust]\nmax-age = \"3 months\"\n[cache]\nno-attestation-ttl = \"24\"\n"
    );
    bad_policy!(
        bad_urls,
        "[defaults]\nrepository = \"github.com/serde-rs/serde\"\nowner = \"https://github.com/tokio-rs/tokio\"\n"
    );
    bad_policy!(
        bad_ids,
        "[defaults]\nrepository-id = \"serde-rs/serde\"\nowner-id = 0\n"
    );
    bad_policy!(
        bad_refs,
        "[defaults]\nref = [\"v*\", \"main\", \"refs/tags/*\"]\n"
    );
    bad_policy!(
        bad_workflows,
        "[defaults]\nworkflow = \"https://github.com/a/b/.github/workflows/release.yml\"\nsigner-workflow = \".github/workflows/release.yml\"\n"
    );
    bad_policy!(bad_digest, "[defaults]\nsigner-digest = [\"v2.1.0\"]\n");
    bad_policy!(
        bad_url_template,
        "[[source]]\nkind = \"url\"\ntemplate = \"https://mirror.example/bundle.json\"\n"
    );
    bad_policy!(empty_list, "[defaults]\ntriggers = []\n");
    bad_policy!(
        duplicate_rules,
        "[[package]]\nname = \"mio\"\nrepository = \"https://github.com/tokio-rs/mio\"\n\n[[owner]]\nowner = \"https://github.com/tokio-rs\"\npackages = [\"tokio*\", \"mio\"]\n"
    );
    bad_policy!(
        duplicate_exemptions,
        "[[exempt]]\nname = \"libc\"\nversion = \"0.2\"\nreason = \"a\"\n\n[[exempt]]\nname = \"libc\"\nversion = \"^0.2\"\nreason = \"b\"\n"
    );
    bad_policy!(
        contradictory_rule,
        "[[owner]]\nowner = \"https://github.com/tokio-rs\"\nrepository = \"https://github.com/serde-rs/serde\"\npackages = [\"tokio\"]\n"
    );
    bad_policy!(
        exemption_without_reason,
        "[[exempt]]\nname = \"libc\"\nuntil = 2027-03-01\n"
    );
    bad_policy!(
        exemption_with_empty_reason,
        "[[exempt]]\nname = \"libc\"\nreason = \"\"\n"
    );
    bad_policy!(
        many_problems_at_once,
        "mode = \"audti\"\n\n[defaults]\nrequire = \"atested\"\nrepositroy = \"https://github.com/x/y\"\ntriggers = [\"push\", \"relase\"]\n\n[[package]]\nname = \"serde*\"\nref = \"v*\"\n\n[[exempt]]\nname = \"libc\"\n"
    );

    bad_policy!(
        bad_diff_settings,
        "[diff]\nallow-downgrades = [\"a\"]\nallow-workflow-change = [\"ok\", \"bad name!\"]\nallow-repository-change = 3\n"
    );

    #[test]
    fn warnings_of_a_valid_policy() {
        let policy = parse(
            "[defaults]\ntriggers = [\"push\", \"tag\"]\n\n[[exempt]]\nname = \"libc\"\nreason = \"upstream does not attest yet\"\nuntil = 2026-03-01\n",
        )
        .unwrap();
        insta::assert_snapshot!(render_warnings(&policy.warnings));
    }

    #[test]
    fn file_checks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("trusted_root.json"), "{\"mediaType\": 1}").unwrap();
        let text = "[trust]\nroots = [\"trusted_root.json\"]\n\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n";
        let policy = Policy::parse(text, "provenance.toml", dir.path(), now()).unwrap();
        let rendered = render_warnings(&policy.check_files())
            .replace(&dir.path().display().to_string(), "<dir>");
        insta::assert_snapshot!(rendered);
    }
}

#[test]
fn graph_settings_parse_and_are_validated() {
    let policy = parse(
        "[graph]\ntargets = [\"x86_64-unknown-linux-gnu\", \"aarch64-apple-darwin\"]\nexclude-dev = true\n",
    )
    .unwrap();
    assert_eq!(
        policy.graph.targets(),
        ["x86_64-unknown-linux-gnu", "aarch64-apple-darwin"]
    );
    assert!(policy.graph.exclude_dev());
    let targets = policy.graph.targets.as_ref().unwrap();
    assert_eq!(targets.span.line, 2);
    assert_eq!(policy.graph.exclude_dev.as_ref().unwrap().span.line, 3);
    assert!(!Policy::default_policy().graph.exclude_dev());

    assert_eq!(codes("[graph]\ntargets = []\n"), ["policy-empty-list"]);
    assert_eq!(
        codes("[graph]\ntargets = [\"x86_64 linux\", \"a-b\", \"a-b\"]\nexclude-dev = \"yes\"\ntarget = [\"a-b\"]\n"),
        [
            "policy-bad-value",
            "policy-bad-value",
            "policy-wrong-type",
            "policy-unknown-key"
        ]
    );
    // A key of [graph] elsewhere is pointed home.
    let text = render_invalid("[defaults]\nexclude-dev = true\n");
    assert!(text.contains("[graph]"), "{text}");
}

#[test]
fn build_time_and_direct_select_packages_and_rank_within_their_name_class() {
    use crate::policy::{deciding_rule, Traits};
    let policy = parse(concat!(
        "[[package]]\nbuild-time = true\nrequire = \"attested\"\n\n",
        "[[package]]\ndirect = true\nrequire = \"registry-asserted\"\n\n",
        "[[package]]\nbuild-time = true\ndirect = true\nrunner = \"github-hosted\"\n\n",
        "[[package]]\nname = \"serde*\"\n\n",
        "[[package]]\nname = \"serde*\"\nbuild-time = true\n\n",
        "[[package]]\nname = \"zerocopy-derive\"\n",
    ))
    .unwrap();
    let decides = |name: &str, build_time: Option<bool>, direct: bool| {
        let traits = Traits { build_time, direct };
        deciding_rule(&policy, name, &"1.0.0".parse().unwrap(), traits).map(|(rule, _)| rule.index)
    };
    // By traits alone: the rule with more of them first.
    assert_eq!(decides("syn", Some(true), false), Some(0));
    assert_eq!(decides("tokio", Some(false), true), Some(1));
    assert_eq!(decides("proc-macro2", Some(true), true), Some(2));
    assert_eq!(decides("tokio", Some(false), false), None);
    // Unknown (a bare lockfile): `build-time` selects nothing.
    assert_eq!(decides("syn", None, false), None);
    assert_eq!(decides("syn", None, true), Some(1));
    // A name (even a glob) comes first; with the same name, traits decide.
    assert_eq!(decides("serde_json", Some(false), true), Some(3));
    assert_eq!(decides("serde_derive", Some(true), true), Some(4));
    assert_eq!(decides("zerocopy-derive", Some(true), true), Some(5));
    let (rule, _) = deciding_rule(
        &policy,
        "syn",
        &"2.0.0".parse().unwrap(),
        Traits {
            build_time: Some(true),
            direct: true,
        },
    )
    .unwrap();
    assert_eq!(rule.selectors[0].describe(), "*, build-time, direct");
    assert_eq!(rule.selectors[0].build_time.as_ref().unwrap().span.line, 10);

    // Not a duplicate: the same name with other traits. A duplicate: all the same.
    assert!(
        codes("[[package]]\nname = \"a\"\n\n[[package]]\nname = \"a\"\ndirect = false\n")
            .is_empty()
    );
    assert_eq!(
        codes("[[package]]\ndirect = false\n\n[[package]]\nname = \"*\"\ndirect = false\n"),
        ["policy-duplicate-rule"]
    );
    assert_eq!(
        codes("[[package]]\nbuild-time = \"yes\"\n"),
        ["policy-wrong-type"]
    );
    assert_eq!(
        codes("[[package]]\nrequire = \"attested\"\n"),
        ["policy-missing-key"]
    );
    // A selector of [[package]] elsewhere is pointed home.
    let text = render_invalid("[defaults]\nbuild-time = true\n");
    assert!(text.contains("[[package]]"), "{text}");
}

#[test]
fn a_control_character_is_named_where_the_toml_parser_gives_no_words() {
    let error = parse("# a comment \u{7} bell\n[defaults]\n").expect_err("invalid");
    let problem = &error.problems[0];
    assert_eq!(problem.code.as_str(), "policy-syntax");
    assert!(
        problem.to_string().contains("control character U+0007"),
        "{problem}"
    );
}

#[test]
fn min_age_is_a_requirement_of_defaults_and_rules_and_is_inherited() {
    let policy = parse(
        "[defaults]\nmin-age = \"7 days\"\n\n[[package]]\nname = \"fresh\"\nmin-age = \"0s\"\n\n[[owner]]\nowner = \"https://github.com/acme\"\npackages = [\"slow\"]\nmin-age = \"2w\"\n",
    )
    .unwrap();
    let week = Duration::from_secs(7 * 86_400);
    let defaults = NO_REQUIREMENTS.merged(&policy.defaults);
    assert_eq!(defaults.min_age_required().map(|m| m.value), Some(week));
    let traits = Traits::default();
    let version = semver::Version::new(1, 0, 0);
    let other = policy.requirements_for("other", &version, traits);
    let (inherited, from_defaults) = other.min_age.unwrap();
    assert_eq!((inherited.value, from_defaults), (week, true));
    // "0s" lifts it for one package; an owner rule sets its own.
    assert!(policy
        .requirements_for("fresh", &version, traits)
        .min_age_required()
        .is_none());
    assert_eq!(
        policy
            .requirements_for("slow", &version, traits)
            .min_age_required()
            .map(|m| m.value),
        Some(2 * week)
    );
    assert_eq!(
        codes("[defaults]\nmin-age = \"a week\"\n"),
        ["policy-bad-duration"]
    );
}
