//! The keys of `[defaults]`, `[[package]]` and `[[owner]]`: one table of
//! each key's name, the tables it may be written in and the kind of value
//! it takes. The parser accepts a key in a table only as this table says,
//! evaluation and `explain` take the requirements in its order, and a test
//! holds `docs/policy.md`'s key lists to it.

use super::matcher::{Runner, Visibility};

/// A key of the rule tables: a requirement, or what selects packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RuleKey {
    Requirement(RequirementKey),
    Selector(SelectorKey),
}

/// A requirement: a key of `[defaults]`, `[[package]]` and `[[owner]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum RequirementKey {
    // In the documented order.
    Require,
    Issuer,
    Repository,
    RepositoryId,
    Owner,
    OwnerId,
    Workflow,
    SignerWorkflow,
    SignerDigest,
    Ref,
    Triggers,
    Runner,
    Visibility,
    PredicateType,
    TrustpubOnly,
    MinAge,
    SourceMatches,
    SourceAllowLineEndings,
}

/// A key that says which packages a rule is for (and `[[package]]`'s
/// `source-allow` with its reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SelectorKey {
    Name,
    Version,
    BuildTime,
    Direct,
    SourceAllow,
    Reason,
    Packages,
}

/// A table of rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleTable {
    Defaults,
    Package,
    Owner,
}

impl RuleTable {
    /// As the file writes it, and as diagnostics name it.
    pub(crate) fn header(self) -> &'static str {
        match self {
            Self::Defaults => "[defaults]",
            Self::Package => "[[package]]",
            Self::Owner => "[[owner]]",
        }
    }
}

/// The tables a key may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tables {
    defaults: bool,
    package: bool,
    owner: bool,
}

impl Tables {
    /// Every rule table: a requirement.
    const RULES: Tables = Tables {
        defaults: true,
        package: true,
        owner: true,
    };
    const PACKAGE: Tables = Tables {
        defaults: false,
        package: true,
        owner: false,
    };
    const OWNER: Tables = Tables {
        defaults: false,
        package: false,
        owner: true,
    };

    pub(crate) fn contains(self, table: RuleTable) -> bool {
        match table {
            RuleTable::Defaults => self.defaults,
            RuleTable::Package => self.package,
            RuleTable::Owner => self.owner,
        }
    }

    /// Where the key belongs, for a key written elsewhere.
    pub(crate) fn home(self) -> String {
        let all = [RuleTable::Defaults, RuleTable::Package, RuleTable::Owner];
        let headers: Vec<&str> = all
            .into_iter()
            .filter(|t| self.contains(*t))
            .map(RuleTable::header)
            .collect();
        match headers.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            Some((last, _)) => (*last).to_string(),
            None => String::new(),
        }
    }
}

/// The kind of value a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// One of these words.
    Word(&'static [&'static str]),
    /// One or more of these words.
    Words(&'static [&'static str]),
    /// One pattern or a list of them.
    Globs,
    /// A list of patterns of paths inside the package.
    PathGlobs,
    /// A package name or a pattern of one.
    PackageName,
    /// A list of package names or patterns of them.
    PackageNames,
    /// A full `https://` URL of a repository or an owner.
    Url,
    /// A numeric ID, as a string or an integer.
    Id,
    /// One commit SHA or a list of them.
    Shas,
    /// One URI or a list of them.
    Uris,
    Flag,
    Duration,
    /// A semver requirement.
    VersionReq,
    /// Free text that is not empty.
    Text,
}

impl ValueKind {
    /// The value's type as `docs/policy.md`'s requirement table gives it
    /// (a test holds the page to it).
    #[cfg(test)]
    pub(crate) fn documented(self) -> String {
        let quoted = |words: &[&str]| -> Vec<String> {
            words.iter().map(|w| format!("`\"{w}\"`")).collect()
        };
        match self {
            Self::Word(words) => {
                let quoted = quoted(words);
                match quoted.split_last() {
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                }
            }
            Self::Words(words) => format!("{}, or a list", quoted(words).join(", ")),
            Self::Globs => "glob or list of globs".into(),
            Self::PathGlobs => "list of globs over paths".into(),
            Self::PackageName => "package name or glob".into(),
            Self::PackageNames => "list of package names or globs".into(),
            Self::Url => "URL".into(),
            Self::Id => "ID".into(),
            Self::Shas => "commit SHA or list".into(),
            Self::Uris => "URL or list of URLs".into(),
            Self::Flag => "`true` or `false`".into(),
            Self::Duration => "duration, e.g. `\"7 days\"`".into(),
            Self::VersionReq => "semver requirement".into(),
            Self::Text => "text".into(),
        }
    }
}

/// One key: its name, where it may be written, what it takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyRow {
    pub key: RuleKey,
    pub name: &'static str,
    pub tables: Tables,
    pub kind: ValueKind,
}

/// The evidence levels `require` takes.
pub(crate) const LEVELS: &[&str] = &["attested", "registry-asserted", "none"];

const fn req(key: RequirementKey, name: &'static str, kind: ValueKind) -> KeyRow {
    KeyRow {
        key: RuleKey::Requirement(key),
        name,
        tables: Tables::RULES,
        kind,
    }
}

const fn sel(key: SelectorKey, name: &'static str, tables: Tables, kind: ValueKind) -> KeyRow {
    KeyRow {
        key: RuleKey::Selector(key),
        name,
        tables,
        kind,
    }
}

/// Every key of the rule tables: the requirements first, in the documented
/// order, then the keys that select packages.
pub(crate) const RULE_KEYS: [KeyRow; 25] = {
    use RequirementKey as R;
    use SelectorKey as S;
    use ValueKind as V;
    [
        req(R::Require, "require", V::Word(LEVELS)),
        req(R::Issuer, "issuer", V::Globs),
        req(R::Repository, "repository", V::Url),
        req(R::RepositoryId, "repository-id", V::Id),
        req(R::Owner, "owner", V::Url),
        req(R::OwnerId, "owner-id", V::Id),
        req(R::Workflow, "workflow", V::Globs),
        req(R::SignerWorkflow, "signer-workflow", V::Globs),
        req(R::SignerDigest, "signer-digest", V::Shas),
        req(R::Ref, "ref", V::Globs),
        req(R::Triggers, "triggers", V::Globs),
        req(R::Runner, "runner", V::Word(&Runner::NAMES)),
        req(R::Visibility, "visibility", V::Words(&Visibility::NAMES)),
        req(R::PredicateType, "predicate-type", V::Uris),
        req(R::TrustpubOnly, "trustpub-only", V::Flag),
        req(R::MinAge, "min-age", V::Duration),
        req(R::SourceMatches, "source-matches", V::Flag),
        req(
            R::SourceAllowLineEndings,
            "source-allow-line-endings",
            V::Flag,
        ),
        sel(S::Name, "name", Tables::PACKAGE, V::PackageName),
        sel(S::Version, "version", Tables::PACKAGE, V::VersionReq),
        sel(S::BuildTime, "build-time", Tables::PACKAGE, V::Flag),
        sel(S::Direct, "direct", Tables::PACKAGE, V::Flag),
        sel(
            S::SourceAllow,
            "source-allow",
            Tables::PACKAGE,
            V::PathGlobs,
        ),
        sel(S::Reason, "reason", Tables::PACKAGE, V::Text),
        sel(S::Packages, "packages", Tables::OWNER, V::PackageNames),
    ]
};

impl RuleKey {
    /// Its row of [`RULE_KEYS`].
    pub(crate) fn row(self) -> &'static KeyRow {
        RULE_KEYS
            .iter()
            .find(|r| r.key == self)
            .expect("every key has its row")
    }
}

impl RequirementKey {
    pub(crate) fn name(self) -> &'static str {
        RuleKey::Requirement(self).row().name
    }

    /// Whether a verified attestation is what states it (every requirement
    /// but `trustpub-only`, `min-age`, `source-matches` and
    /// `source-allow-line-endings`, which the registry, its index and the
    /// source comparison answer).
    pub(crate) fn is_on_attestation(self) -> bool {
        self <= Self::PredicateType
    }
}

/// The row of the key named `name`, if any table takes it.
pub(crate) fn lookup(name: &str) -> Option<&'static KeyRow> {
    RULE_KEYS.iter().find(|r| r.name == name)
}

/// The requirement keys, in the documented order.
pub(crate) fn requirements() -> impl Iterator<Item = RequirementKey> {
    RULE_KEYS.iter().filter_map(|r| match r.key {
        RuleKey::Requirement(key) => Some(key),
        RuleKey::Selector(_) => None,
    })
}

/// The names of the keys `table` takes: its own first, then the
/// requirements, as help texts list them.
pub(crate) fn names_in(table: RuleTable) -> Vec<&'static str> {
    let own = RULE_KEYS
        .iter()
        .filter(|r| r.tables != Tables::RULES && r.tables.contains(table));
    let requirements = RULE_KEYS.iter().filter(|r| r.tables == Tables::RULES);
    own.chain(requirements).map(|r| r.name).collect()
}

/// A `[defaults]` table that sets every requirement, for tests.
#[cfg(test)]
pub(crate) const EVERY_REQUIREMENT: &str = r#"
[defaults]
require = "attested"
issuer = "https://token.actions.githubusercontent.com"
repository = "https://github.com/o/r"
repository-id = "1"
owner = "https://github.com/o"
owner-id = 2
workflow = ".github/workflows/release.yml"
signer-workflow = ["https://github.com/o/ci/.github/workflows/release.yml@refs/tags/v*"]
signer-digest = "0123456789abcdef0123456789abcdef01234567"
ref = "refs/tags/v*"
triggers = ["push", "release"]
runner = "github-hosted"
visibility = ["public"]
predicate-type = "https://slsa.dev/provenance/v1"
trustpub-only = true
min-age = "7 days"
source-matches = true
source-allow-line-endings = true
"#;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::policy::{Code, InvalidPolicy, Policy};

    fn parse(text: &str) -> Result<Policy, InvalidPolicy> {
        let now = "2026-06-01T00:00:00Z".parse().unwrap();
        Policy::parse(text, "provenance.toml", Path::new("/p"), now)
    }

    /// A valid value of each key, as TOML.
    fn example(row: &KeyRow) -> String {
        let line = EVERY_REQUIREMENT
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{} = ", row.name)));
        let RuleKey::Selector(key) = row.key else {
            return line.expect("every requirement has its example").to_string();
        };
        match key {
            SelectorKey::Name => "\"x\"".into(),
            SelectorKey::Version => "\"1\"".into(),
            SelectorKey::BuildTime | SelectorKey::Direct => "true".into(),
            SelectorKey::SourceAllow => "[\"build.rs\"]".into(),
            SelectorKey::Reason => "\"generated\"".into(),
            SelectorKey::Packages => "[\"x\"]".into(),
        }
    }

    /// `table` with `key = value` and what else it needs to be valid.
    fn table_text(table: RuleTable, key: &str, value: &str) -> String {
        let mut lines = vec![table.header().to_string()];
        let mut needs = |k: &str, v: &str| {
            if k != key {
                lines.push(format!("{k} = {v}"));
            }
        };
        match table {
            RuleTable::Defaults => {}
            RuleTable::Package => {
                needs("name", "\"x\"");
                if key == "source-allow" || key == "reason" {
                    needs("source-allow", "[\"build.rs\"]");
                    needs("reason", "\"generated\"");
                }
            }
            RuleTable::Owner => {
                needs("packages", "[\"x\"]");
                needs("owner", "\"https://github.com/o\"");
            }
        }
        lines.push(format!("{key} = {value}"));
        lines.join("\n") + "\n"
    }

    #[test]
    fn the_parser_takes_each_key_in_the_tables_the_table_of_keys_names() {
        for row in &RULE_KEYS {
            for table in [RuleTable::Defaults, RuleTable::Package, RuleTable::Owner] {
                let text = table_text(table, row.name, &example(row));
                match parse(&text) {
                    Ok(_) => assert!(row.tables.contains(table), "{text}"),
                    Err(e) => {
                        assert!(!row.tables.contains(table), "{text}\n{:#?}", e.problems);
                        let codes: Vec<_> = e.problems.iter().map(|p| p.code).collect();
                        assert_eq!(codes, [Code::UnknownKey], "{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_requirement_is_set_by_its_example_and_read_where_the_table_says() {
        let policy = parse(EVERY_REQUIREMENT).unwrap();
        for key in requirements() {
            assert!(policy.defaults.span_of(key).is_some(), "{key:?}");
        }
        let names: Vec<_> = requirements().map(RequirementKey::name).collect();
        assert_eq!(names_in(RuleTable::Defaults), names);
        assert!(RULE_KEYS
            .iter()
            .all(|r| lookup(r.name).unwrap().key == r.key));
        assert_eq!(Tables::RULES.home(), "[defaults], [[package]] or [[owner]]");
        assert_eq!(Tables::OWNER.home(), "[[owner]]");
    }

    /// The first cells of the first table of the section headed `heading`
    /// of docs/policy.md, each split into the keys it names, with the
    /// second cell.
    fn documented(heading: &str) -> Vec<(Vec<String>, String)> {
        let docs = crate::policy::REFERENCE;
        let start = docs
            .find(&format!("\n{heading}\n"))
            .unwrap_or_else(|| panic!("docs/policy.md has no {heading}"));
        let section = &docs[start + heading.len() + 2..];
        let section = &section[..section.find("\n#").unwrap_or(section.len())];
        section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|line| {
                let cells: Vec<&str> = line.split(" | ").collect();
                let keys = cells[0]
                    .trim_start_matches("| ")
                    .split(", ")
                    .filter_map(|k| k.strip_prefix('`')?.strip_suffix('`'))
                    .map(str::to_string)
                    .collect();
                (keys, cells[1].to_string())
            })
            .collect()
    }

    #[test]
    fn docs_policy_md_lists_the_requirements_as_the_table_of_keys_does() {
        let docs: Vec<(String, String)> = documented("## Requirements")
            .into_iter()
            .map(|(keys, kind)| (keys.join(", "), kind))
            .collect();
        let table: Vec<(String, String)> = requirements()
            .map(|key| {
                let row = RuleKey::Requirement(key).row();
                (row.name.to_string(), row.kind.documented())
            })
            .collect();
        assert_eq!(docs, table, "docs/policy.md's table under ## Requirements");
    }

    #[test]
    fn docs_policy_md_lists_the_own_keys_of_package_and_owner_rules() {
        for (table, heading) in [
            (RuleTable::Package, "## `[[package]]`"),
            (RuleTable::Owner, "## `[[owner]]`"),
        ] {
            let documented: Vec<String> = documented(heading)
                .into_iter()
                .flat_map(|(keys, _)| keys)
                .collect();
            let allowed = names_in(table);
            for name in &documented {
                assert!(allowed.contains(&name.as_str()), "{heading} lists `{name}`");
            }
            let own = RULE_KEYS
                .iter()
                .filter(|r| matches!(r.key, RuleKey::Selector(_)) && r.tables.contains(table));
            for row in own {
                assert!(
                    documented.iter().any(|d| d == row.name),
                    "{heading} does not list `{}`",
                    row.name
                );
            }
        }
    }
}
