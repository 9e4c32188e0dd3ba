use std::path::Path;

use super::{weakenings, Weakening, WeakeningKind as Kind};
use crate::policy::Policy;

fn policy(text: &str) -> Policy {
    let now = "2026-06-01T00:00:00Z".parse().unwrap();
    Policy::parse(text, "provenance.toml", Path::new("/p"), now)
        .unwrap_or_else(|e| panic!("{e}: {:#?}", e.problems))
}

fn diff(old: &str, new: &str) -> Vec<Weakening> {
    weakenings(&policy(old), &policy(new))
}

/// `(kind, table, key)` of each weakening.
fn kinds(old: &str, new: &str) -> Vec<(Kind, String, Option<String>)> {
    diff(old, new)
        .into_iter()
        .map(|w| (w.kind, w.table, w.key))
        .collect()
}

fn one(kind: Kind, table: &str, key: Option<&str>) -> Vec<(Kind, String, Option<String>)> {
    vec![(kind, table.to_string(), key.map(str::to_string))]
}

const STRICT: &str = r#"
[defaults]
require = "attested"
runner = "github-hosted"
workflow = [".github/workflows/release.yml"]
trustpub-only = true
"#;

#[test]
fn the_same_policy_weakens_nothing_and_tightening_is_not_listed() {
    assert!(diff(STRICT, STRICT).is_empty());
    assert!(diff("", STRICT).is_empty());
    let tighter = STRICT.replace(
        "runner = \"github-hosted\"",
        "runner = \"github-hosted\"\nref = \"refs/tags/*\"",
    );
    assert!(diff(STRICT, &tighter).is_empty());
}

#[test]
fn mode_switched_to_audit_is_listed_and_back_is_not() {
    assert_eq!(
        kinds("", "mode = \"audit\"\n"),
        one(Kind::ModeAudit, "mode", None)
    );
    assert!(diff("mode = \"audit\"\n", "").is_empty());
}

#[test]
fn each_requirement_dropped_or_loosened_is_listed_with_its_values_and_line() {
    let loosened = STRICT.replace("\"attested\"", "\"registry-asserted\"");
    let found = diff(STRICT, &loosened);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, Kind::Loosened);
    assert_eq!(found[0].key.as_deref(), Some("require"));
    assert_eq!(found[0].old.as_deref(), Some("attested"));
    assert_eq!(found[0].new.as_deref(), Some("registry-asserted"));
    assert_eq!(found[0].line, Some(3));
    assert_eq!(
        found[0].describe(),
        "[defaults] require: attested → registry-asserted (loosened)"
    );

    let dropped = STRICT.replace("trustpub-only = true\n", "");
    assert_eq!(
        kinds(STRICT, &dropped),
        one(Kind::Dropped, "[defaults]", Some("trustpub-only"))
    );
    let off = STRICT.replace("trustpub-only = true", "trustpub-only = false");
    assert_eq!(
        kinds(STRICT, &off),
        one(Kind::Loosened, "[defaults]", Some("trustpub-only"))
    );
    let any = STRICT.replace("\"github-hosted\"", "\"any\"");
    assert_eq!(
        kinds(STRICT, &any),
        one(Kind::Loosened, "[defaults]", Some("runner"))
    );
    let self_hosted = STRICT.replace("\"github-hosted\"", "\"self-hosted\"");
    assert_eq!(
        kinds(STRICT, &self_hosted),
        one(Kind::Changed, "[defaults]", Some("runner"))
    );
}

#[test]
fn patterns_are_compared_as_written() {
    let more = STRICT.replace(
        "[\".github/workflows/release.yml\"]",
        "[\".github/workflows/release.yml\", \".github/workflows/ci.yml\"]",
    );
    assert_eq!(
        kinds(STRICT, &more),
        one(Kind::Loosened, "[defaults]", Some("workflow"))
    );
    assert!(diff(&more, STRICT).is_empty(), "fewer patterns tighten");
    let other = STRICT.replace("release.yml", "publish.yml");
    assert_eq!(
        kinds(STRICT, &other),
        one(Kind::Changed, "[defaults]", Some("workflow"))
    );
}

#[test]
fn a_rule_is_compared_with_its_namesake_and_inherited_keys_are_left_to_defaults() {
    let old = format!("{STRICT}\n[[package]]\nname = \"serde\"\nrepository = \"https://github.com/serde-rs/serde\"\n");
    let moved = old.replace("serde-rs/serde", "evil/serde");
    let found = diff(&old, &moved);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].table, "[[package]] serde");
    assert_eq!(found[0].kind, Kind::Changed);
    assert_eq!(found[0].note, None);
    // A change of [defaults] is listed once, not again for every rule.
    let loosened = old.replace("\"attested\"", "\"none\"");
    assert_eq!(
        kinds(&old, &loosened),
        one(Kind::Loosened, "[defaults]", Some("require"))
    );
}

#[test]
fn a_removed_rule_is_listed_only_when_what_decides_its_packages_now_is_weaker() {
    let old = format!("{STRICT}\n[[package]]\nname = \"serde\"\nref = \"refs/tags/*\"\n");
    let found = diff(&old, STRICT);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, Kind::Dropped);
    assert_eq!(found[0].key.as_deref(), Some("ref"));
    assert_eq!(
        found[0].note.as_deref(),
        Some("the rule is removed: its packages fall to [defaults]")
    );
    assert_eq!(found[0].line, Some(8));
    // A rule that asked less than [defaults]: removing it tightens.
    let lenient = format!("{STRICT}\n[[package]]\nname = \"serde\"\nrequire = \"none\"\n");
    assert!(diff(&lenient, STRICT).is_empty());
}

#[test]
fn an_added_rule_is_compared_with_the_rule_that_decided_its_name_before() {
    let new = format!("{STRICT}\n[[package]]\nname = \"evil\"\nrequire = \"none\"\n");
    let found = diff(STRICT, &new);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].table, "[[package]] evil");
    assert_eq!(found[0].kind, Kind::Loosened);
    assert_eq!(
        found[0].note.as_deref(),
        Some("a new rule, compared with [defaults]")
    );
    let glob = format!(
        "{STRICT}\n[[package]]\nname = \"tok*\"\nowner = \"https://github.com/tokio-rs\"\n"
    );
    let new =
        format!("{glob}\n[[package]]\nname = \"tokio\"\nowner = \"https://github.com/evil\"\n");
    let found = diff(&glob, &new);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key.as_deref(), Some("owner"));
    assert_eq!(
        found[0].note.as_deref(),
        Some("a new rule, compared with [[package]] tok*")
    );
}

#[test]
fn exemptions_added_or_extended_are_listed_and_shortened_ones_are_not() {
    let base = "[[exempt]]\nname = \"hex\"\nreason = \"r\"\nuntil = 2027-01-01\n";
    assert_eq!(
        kinds("", base),
        one(Kind::ExemptionAdded, "[[exempt]] hex", None)
    );
    let later = base.replace("2027-01-01", "2028-01-01");
    let found = diff(base, &later);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, Kind::ExemptionExtended);
    assert_eq!(found[0].old.as_deref(), Some("hex until 2027-01-01"));
    assert_eq!(found[0].new.as_deref(), Some("hex until 2028-01-01"));
    let forever = base.replace("until = 2027-01-01\n", "");
    assert_eq!(kinds(base, &forever)[0].0, Kind::ExemptionExtended);
    let versioned = base.replace("name = \"hex\"", "name = \"hex\"\nversion = \"0.4\"");
    let other_version = versioned.replace("\"0.4\"", "\"*\"");
    assert_eq!(
        kinds(&versioned, &other_version)[0].0,
        Kind::ExemptionExtended
    );
    assert!(diff(&later, base).is_empty());
    assert!(diff(base, &versioned).is_empty());
    let reason = base.replace("\"r\"", "\"another reason\"");
    assert!(diff(base, &reason).is_empty());
}

#[test]
fn sources_and_trust_roots_added_are_listed() {
    let github_only = "[[source]]\nkind = \"github\"\n";
    assert!(diff("", github_only).is_empty(), "a subset of the defaults");
    let found = diff(
        github_only,
        "[[source]]\nkind = \"github\"\n[[source]]\nkind = \"dir\"\npath = \"b\"\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, Kind::SourceAdded);
    assert_eq!(found[0].new.as_deref(), Some("dir:/p/b"));
    assert_eq!(found[0].line, Some(3));
    let root = "[trust]\nroots = [\"public-good\", \"github\", \"staging\"]\n";
    assert_eq!(
        kinds("", root),
        one(Kind::TrustRootAdded, "[trust]", Some("roots"))
    );
    assert_eq!(
        kinds("", "[trust]\nmax-age = \"365d\"\n"),
        one(Kind::TrustMaxAgeRaised, "[trust]", Some("max-age"))
    );
    assert!(diff("", "[trust]\nmax-age = \"30d\"\n").is_empty());
}

#[test]
fn allow_lists_diff_acceptances_and_scope_are_compared() {
    assert_eq!(
        kinds(
            "[git]\nallow = [\"https://github.com/o/*\"]\n",
            "[git]\nallow = [\"https://github.com/o/*\", \"https://github.com/*\"]\n"
        ),
        one(Kind::AllowAdded, "[git]", Some("allow"))
    );
    assert_eq!(
        kinds("", "[path]\nallow = [\"vendored-*\"]\n"),
        one(Kind::AllowAdded, "[path]", Some("allow"))
    );
    assert_eq!(
        kinds("", "[diff]\nallow-downgrade = [\"legacy\"]\nsame-semver-line = true\nenforce-since = 2026-01-01\n").len(),
        3
    );
    assert!(diff(
        "[diff]\nenforce-since = 2026-01-01\n",
        "[diff]\nenforce-since = 2025-01-01\n"
    )
    .is_empty());
    assert_eq!(
        kinds("", "[graph]\nexclude-dev = true\n"),
        one(Kind::ScopeNarrowed, "[graph]", Some("exclude-dev"))
    );
    let two = "[graph]\ntargets = [\"x86_64-unknown-linux-gnu\", \"aarch64-apple-darwin\"]\n";
    let one_target = "[graph]\ntargets = [\"x86_64-unknown-linux-gnu\"]\n";
    assert_eq!(kinds(two, one_target)[0].0, Kind::ScopeNarrowed);
    assert_eq!(kinds("", one_target)[0].0, Kind::ScopeNarrowed);
    assert!(diff(one_target, two).is_empty());
    assert!(diff(one_target, "").is_empty());
}

#[test]
fn every_requirement_key_of_the_policy_file_is_compared() {
    let every = policy(crate::policy::rule_keys::EVERY_REQUIREMENT);
    let effective = every.defaults.merged(&crate::policy::NO_REQUIREMENTS);
    let compared = super::compared(&effective);
    let keys: Vec<_> = crate::policy::rule_keys::requirements()
        .map(|key| (key.name(), true))
        .collect();
    assert_eq!(compared, keys);
}

#[test]
fn accepting_more_of_the_source_comparison_loosens_and_accepting_less_does_not() {
    let table = "[[package]] idna";
    let rule =
        |extra: &str| format!("[[package]]\nname = \"idna\"\nsource-matches = true\n{extra}");
    let strict = rule("");
    let line_endings = rule("source-allow-line-endings = true\n");
    assert_eq!(
        kinds(&strict, &line_endings),
        one(Kind::Loosened, table, Some("source-allow-line-endings"))
    );
    assert!(diff(&line_endings, &strict).is_empty());
    let explicit_false = rule("source-allow-line-endings = false\n");
    assert!(diff(&strict, &explicit_false).is_empty());

    let one_glob = rule("source-allow = [\"Cargo.toml.orig\"]\nreason = \"edited\"\n");
    let two_globs =
        rule("source-allow = [\"Cargo.toml.orig\", \"build/*.o\"]\nreason = \"edited\"\n");
    let found = diff(&strict, &one_glob);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].kind, found[0].key.as_deref(), found[0].line),
        (Kind::Loosened, Some("source-allow"), Some(4))
    );
    assert_eq!(found[0].new.as_deref(), Some("Cargo.toml.orig"));
    assert_eq!(
        kinds(&one_glob, &two_globs),
        one(Kind::Loosened, table, Some("source-allow"))
    );
    assert!(diff(&two_globs, &one_glob).is_empty());
    assert!(diff(&one_glob, &strict).is_empty());
    let other = rule("source-allow = [\"src/*\"]\nreason = \"edited\"\n");
    assert_eq!(
        kinds(&one_glob, &other),
        one(Kind::Changed, table, Some("source-allow"))
    );
    // A rule removed with its list: what accepted the files is gone too;
    // only the requirement falling back to `[defaults]` weakens.
    assert_eq!(
        kinds(&one_glob, ""),
        one(Kind::Dropped, table, Some("source-matches"))
    );
}
