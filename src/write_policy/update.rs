//! `init --update`: an existing `provenance.toml` brought up to date with
//! the lockfile, every edit and comment of its own kept (`toml_edit`).
//!
//! Steps, in order:
//! 1. `[[package]]` and `[[exempt]]` tables naming, by exact name, a crate
//!    the lockfile no longer holds are removed (comments before a removed
//!    table move to the next one); so are such names in `[[owner]]`
//!    `packages` lists (a list left empty goes with its table);
//! 2. every registry package no rule names and no exemption by name
//!    matches (it falls to `[defaults]`, or to a rollout's `name = "*"`)
//!    is pinned as `init` pins, when it has evidence;
//! 3. git and path dependencies the policy does not allow are added to
//!    `[git]` / `[path]` `allow`, as `init` would write them;
//! 4. the block of dependencies to decide on (between its two marker
//!    lines) is written again for those left, keeping any line a user
//!    uncommented in it; without a block, one is added at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::InitError;
use crate::evaluate::{Outcome, Requirement, RuleRefKind};
use crate::evidence::{Evidence, EvidenceLevel};
use crate::lockfile::{Package, PackageSource};
use crate::policy::from_evidence::{pins, undecided_block, InitOptions};
use crate::policy::undecided::{BEGIN, END};
use crate::run::Run;

/// What an update changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Updated {
    pub text: String,
    /// Crates given a new rule, and git or path dependencies now allowed.
    pub added: Vec<String>,
    /// Names whose rules or exemptions went with their crates.
    pub removed: Vec<String>,
    /// Packages left to decide on.
    pub to_decide: usize,
}

/// The policy file's text `existing` (read from `path`), brought up to
/// date with `run`.
pub fn update(
    path: &Path,
    existing: &str,
    run: &Run,
    options: &InitOptions,
) -> Result<Updated, InitError> {
    let mut doc: DocumentMut =
        existing
            .parse()
            .map_err(|e: toml_edit::TomlError| InitError::Unparsable {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
    let held: BTreeSet<&str> = run
        .inventory
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut updated = Updated::default();
    for key in ["package", "exempt"] {
        updated.removed.extend(remove_gone(&mut doc, key, &held));
    }
    updated.removed.extend(remove_gone_owners(&mut doc, &held));
    let (registry, allow) = undecided_by_policy(run);
    let require = match run.policy.defaults.require.as_ref().map(|r| r.value) {
        Some(EvidenceLevel::Attested) => None,
        _ => Some("attested"),
    };
    let (tables, undecided) = pins(&registry, require);
    for table in tables {
        if let Some(name) = table.get("name").and_then(Item::as_str) {
            updated.added.push(name.to_string());
        }
        push_table(&mut doc, "package", table, options.today);
    }
    for (key, value) in allow {
        add_allowed(&mut doc, key, &value);
        updated.added.push(value);
    }
    updated.removed.sort_unstable();
    updated.removed.dedup();
    updated.added.dedup();
    updated.to_decide = undecided.len();
    let block = undecided_block(&undecided, options);
    updated.text = replace_block(&doc.to_string(), &block);
    Ok(updated)
}

/// What starts a pattern in a `name`.
const GLOB_CHARS: [char; 4] = ['*', '?', '[', '{'];

/// Whether a `name` is a crate's exact name (not a glob).
fn is_exact(name: &str) -> bool {
    !name.contains(GLOB_CHARS)
}

/// Remove the tables of `key` whose exact `name` the lockfile does not
/// hold; their leading comments move to the next table kept. Returns the
/// names removed.
fn remove_gone(doc: &mut DocumentMut, key: &str, held: &BTreeSet<&str>) -> Vec<String> {
    let Some(tables) = doc.get_mut(key).and_then(Item::as_array_of_tables_mut) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    let mut kept = ArrayOfTables::new();
    let mut carried = String::new();
    for mut table in std::mem::take(tables).into_iter() {
        let name = table.get("name").and_then(Item::as_str).map(str::to_string);
        match name {
            Some(name) if is_exact(&name) && !held.contains(name.as_str()) => {
                carried.push_str(&comments_of(&table));
                removed.push(name);
            }
            _ => {
                if !carried.is_empty() {
                    let prefix = table
                        .decor()
                        .prefix()
                        .and_then(|p| p.as_str())
                        .unwrap_or("");
                    let joined = format!("{}{prefix}", std::mem::take(&mut carried));
                    table.decor_mut().set_prefix(joined);
                }
                kept.push(table);
            }
        }
    }
    if kept.is_empty() {
        doc.remove(key);
    } else {
        *doc[key].as_array_of_tables_mut().expect("checked above") = kept;
    }
    if !carried.is_empty() {
        let trailing = doc.trailing().as_str().unwrap_or("").to_string();
        doc.set_trailing(format!("{carried}{trailing}"));
    }
    removed
}

/// The comment lines before a table (a blank line first when any).
fn comments_of(table: &Table) -> String {
    let prefix = table
        .decor()
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or("");
    // What `init --update` said of the table goes with it.
    let comments: String = prefix
        .lines()
        .filter(|l| l.trim_start().starts_with('#') && !l.starts_with(ADDED))
        .map(|l| format!("{l}\n"))
        .collect();
    if comments.is_empty() {
        comments
    } else {
        format!("\n{comments}")
    }
}

/// Remove exact names the lockfile does not hold from `[[owner]]`
/// `packages` lists; a table whose list is left empty goes.
fn remove_gone_owners(doc: &mut DocumentMut, held: &BTreeSet<&str>) -> Vec<String> {
    let Some(owners) = doc.get_mut("owner").and_then(Item::as_array_of_tables_mut) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for owner in owners.iter_mut() {
        if let Some(list) = owner.get_mut("packages").and_then(Item::as_array_mut) {
            // The first item's spacing stays first, whichever item that is.
            let first = list.get(0).map(|v| v.decor().clone());
            list.retain(|value| match value.as_str() {
                Some(name) if is_exact(name) && !held.contains(name) => {
                    removed.push(name.to_string());
                    false
                }
                _ => true,
            });
            if let (Some(decor), Some(value)) = (first, list.get_mut(0)) {
                *value.decor_mut() = decor;
            }
        }
    }
    owners.retain(|owner| {
        owner
            .get("packages")
            .and_then(Item::as_array)
            .is_none_or(|list| !list.is_empty())
    });
    removed
}

/// What the policy leaves to `[defaults]`: registry packages no rule
/// names and no exemption matches, by name; and the git and path
/// dependencies it does not allow, as `(table, allow entry)`.
#[allow(clippy::type_complexity)]
fn undecided_by_policy(
    run: &Run,
) -> (
    BTreeMap<&str, Vec<(&Package, &Evidence)>>,
    Vec<(&'static str, String)>,
) {
    let mut registry: BTreeMap<&str, Vec<(&Package, &Evidence)>> = BTreeMap::new();
    let mut allow = Vec::new();
    let packages = run.inventory.packages.iter().zip(&run.evidence);
    for ((package, evidence), outcome) in packages.zip(&run.evaluation.outcomes) {
        if !package.needs_provenance() {
            continue;
        }
        let failed = |requirement| {
            matches!(&outcome.outcome, Outcome::Violation { failures }
                if failures.iter().any(|f| f.requirement == requirement))
        };
        match &package.source {
            PackageSource::Git { url, .. } if failed(Requirement::Git) => {
                if let Ok(normal) = crate::policy::url::normalize(url) {
                    allow.push(("git", globset::escape(&normal)));
                }
            }
            PackageSource::Path if failed(Requirement::Path) => {
                allow.push(("path", package.name.clone()));
            }
            PackageSource::CratesIo | PackageSource::Registry { .. } => {
                let by_default = matches!(
                    outcome.rule.kind,
                    RuleRefKind::Defaults | RuleRefKind::BuiltIn
                );
                // Decided on by name; a glob (a rollout's `*`) decides
                // nothing for good: what has evidence is still pinned.
                let exempt =
                    crate::policy::matching_exemption(&run.policy, &package.name, &package.version)
                        .is_some_and(|e| e.selector.name.value.is_literal());
                if by_default && !exempt {
                    registry
                        .entry(&package.name)
                        .or_default()
                        .push((package, evidence));
                }
            }
            _ => {}
        }
    }
    allow.sort();
    allow.dedup();
    (registry, allow)
}

/// How the comment on a table `init --update` added starts.
const ADDED: &str = "# Added by `cargo verify-provenance init --update` on ";

/// Append `table` to the array of tables `key`, saying when it was added.
fn push_table(doc: &mut DocumentMut, key: &str, mut table: Table, today: jiff::civil::Date) {
    table.decor_mut().set_prefix(format!("\n{ADDED}{today}.\n"));
    match doc.get_mut(key).and_then(Item::as_array_of_tables_mut) {
        Some(tables) => tables.push(table),
        None => {
            let mut tables = ArrayOfTables::new();
            tables.push(table);
            doc.insert(key, Item::ArrayOfTables(tables));
        }
    }
}

/// Add `value` to `[key] allow`, making the table or the list if needed.
fn add_allowed(doc: &mut DocumentMut, key: &str, value: &str) {
    if !doc.contains_key(key) {
        let mut table = Table::new();
        table.decor_mut().set_prefix("\n");
        doc.insert(key, Item::Table(table));
    }
    let Some(table) = doc[key].as_table_like_mut() else {
        return;
    };
    if table.get("allow").is_none() {
        table.insert("allow", Item::Value(Value::Array(toml_edit::Array::new())));
    }
    if let Some(list) = table.get_mut("allow").and_then(Item::as_array_mut) {
        if !list.iter().any(|v| v.as_str() == Some(value)) {
            list.push(crate::escape::toml::string(value));
        }
    }
}

/// `text` with the block between the marker lines replaced by `block`
/// (keeping every line in it that is not a comment: entries a user
/// uncommented), or `block` appended when there is none.
fn replace_block(text: &str, block: &str) -> String {
    let begin = format!("# {BEGIN}");
    let end = format!("# {END}");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim_end() == begin);
    let stop = start.and_then(|s| {
        lines[s..]
            .iter()
            .position(|l| l.trim_end() == end)
            .map(|p| s + p)
    });
    let (Some(start), Some(stop)) = (start, stop) else {
        let mut out = text.trim_end().to_string();
        if !block.is_empty() {
            out.push_str("\n\n");
            out.push_str(block.trim_end());
        }
        out.push('\n');
        return out;
    };
    let kept: Vec<&str> = lines[start..=stop]
        .iter()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .copied()
        .collect();
    let mut out: Vec<String> = lines[..start].iter().map(|l| l.to_string()).collect();
    out.extend(block.trim_end().lines().map(str::to_string));
    out.extend(kept.iter().map(|l| l.to_string()));
    out.extend(lines[stop + 1..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_is_replaced_keeping_what_a_user_uncommented() {
        let text = format!(
            "[defaults]\nrequire = \"none\"\n\n# {BEGIN}\n# [[exempt]]\n# name = \"old\"\n[[exempt]]\nname = \"kept\"\nreason = \"mine\"\n# {END}\n\n# my note\n"
        );
        let block = format!("# {BEGIN}\n# [[exempt]]\n# name = \"new\"\n# {END}\n");
        let out = replace_block(&text, &block);
        assert!(!out.contains("\"old\""), "{out}");
        assert!(out.contains("# name = \"new\""), "{out}");
        assert!(
            out.contains("[[exempt]]\nname = \"kept\"\nreason = \"mine\"\n"),
            "{out}"
        );
        assert!(out.ends_with("# my note\n"), "{out}");
        out.parse::<DocumentMut>().unwrap();
        // No block yet: appended; nothing to decide: nothing added.
        let plain = "[defaults]\nrequire = \"none\"\n";
        assert!(replace_block(plain, &block).ends_with(&block));
        assert_eq!(replace_block(plain, ""), plain);
    }

    #[test]
    fn tables_of_crates_gone_are_removed_with_their_comments_moved_on() {
        let mut doc: DocumentMut = "[[package]]\nname = \"gone\"\n\n# about serde\n[[package]]\nname = \"serde\"\n\n# about the glob\n[[package]]\nname = \"tok*\"\n\n[[owner]]\nowner = \"https://github.com/o\"\npackages = [\"gone\", \"mio\"]\n\n[[owner]]\nowner = \"https://github.com/p\"\npackages = [\"gone\"]\n"
            .parse()
            .unwrap();
        let held = BTreeSet::from(["serde", "mio"]);
        assert_eq!(remove_gone(&mut doc, "package", &held), ["gone"]);
        assert_eq!(remove_gone_owners(&mut doc, &held), ["gone", "gone"]);
        let text = doc.to_string();
        assert!(
            text.contains("# about serde\n[[package]]\nname = \"serde\""),
            "{text}"
        );
        assert!(text.contains("name = \"tok*\""), "{text}");
        assert!(text.contains("packages = [\"mio\"]"), "{text}");
        assert!(!text.contains("https://github.com/p"), "{text}");
    }
}
