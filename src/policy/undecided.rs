//! What `init` writes for the registry packages it cannot pin: one block
//! per class, each with a clear choice, as lines `init` writes commented
//! out, between two markers that `init --update` rewrites.
//!
//! - **No provenance** (every source answered, and none has any): either a
//!   rollout (one `[[exempt]] name = "*"` with a reason and an expiry) or
//!   one entry per crate, by name (every version), with what the source
//!   comparison found for it. Each entry is valid once uncommented: a
//!   reason is written, no exact version.
//! - **Not checked** (a source could not answer, or the lockfile has no
//!   checksum; `init --allow-unchecked` only): whether they have
//!   provenance is not known, so nothing is offered to uncomment; the
//!   block names them by cause and says how to decide later.

use std::collections::BTreeMap;

use crate::escape::toml::string;
use crate::evidence::{Evidence, SourceResult};
use crate::lockfile::Package;
use crate::source_match::SourceMatch;

/// The first line of the block (after `# `).
pub const BEGIN: &str =
    "── Dependencies to decide on (`cargo verify-provenance init --update` rewrites this block) ──";
/// The last line of the block (after `# `).
pub const END: &str = "── end of the dependencies to decide on ──";

/// The widest line of a list of names.
const WIDTH: usize = 76;

/// Whether a package left to decide on could not be checked, rather than
/// having no provenance.
pub fn not_checked(package: &Package, evidence: &Evidence) -> bool {
    package.checksum.is_none() || !evidence.errors.is_empty()
}

/// The lines of the block (uncommented), from [`BEGIN`] to [`END`]; none
/// when nothing is left to decide. Exemptions suggested last until `until`.
pub fn lines(
    undecided: &[(&Package, &Evidence)],
    today: jiff::civil::Date,
    until: jiff::civil::Date,
) -> Vec<String> {
    if undecided.is_empty() {
        return Vec::new();
    }
    let (unchecked, missing): (Vec<_>, Vec<_>) =
        undecided.iter().partition(|(p, e)| not_checked(p, e));
    let mut lines = vec![BEGIN.to_string(), String::new()];
    if !missing.is_empty() {
        lines.extend(no_provenance(&by_name(&missing), today, until));
    }
    if !unchecked.is_empty() {
        lines.extend(could_not_check(&unchecked));
    }
    lines.push(END.to_string());
    lines
}

/// The packages by crate name, in order.
fn by_name<'a>(
    packages: &[&(&'a Package, &'a Evidence)],
) -> BTreeMap<&'a str, Vec<(&'a Package, &'a Evidence)>> {
    let mut names: BTreeMap<&str, Vec<(&Package, &Evidence)>> = BTreeMap::new();
    for (package, evidence) in packages {
        names
            .entry(package.name.as_str())
            .or_default()
            .push((package, evidence));
    }
    names
}

/// The crates without provenance: (a) a rollout's one exemption, or (b)
/// one per crate.
fn no_provenance(
    crates: &BTreeMap<&str, Vec<(&Package, &Evidence)>>,
    today: jiff::civil::Date,
    until: jiff::civil::Date,
) -> Vec<String> {
    let count = crate::words::count(crates.len(), "crate", "crates");
    let mut lines = vec![
        format!("{count} without provenance: every source answered, and none has any."),
        "They pass while [defaults] says require = \"none\". To require provenance of".to_string(),
        "every dependency (require = \"attested\"), decide on them: uncomment (a), or".to_string(),
        "the entries of (b) you accept.".to_string(),
        String::new(),
        "(a) A rollout: excuse every dependency until a date. It excuses every failure,"
            .to_string(),
        "    a pinned crate's too, so keep it short.".to_string(),
        "[[exempt]]".to_string(),
        "name = \"*\"".to_string(),
        format!(
            "reason = {}",
            string(&format!("rollout: {count} had no provenance on {today}"))
        ),
        format!("until = {until}"),
        String::new(),
        "(b) Crate by crate, by name (every version), each until a date, with what".to_string(),
        "    the comparison of its published files with its repository found:".to_string(),
    ];
    for (name, versions) in crates {
        lines.push("[[exempt]]".to_string());
        lines.push(format!("name = {}", string(name)));
        lines.push(format!(
            "reason = {}",
            string(&format!("no provenance published as of {today}"))
        ));
        lines.push(format!("until = {until}"));
        for (package, evidence) in versions {
            let note = evidence.source_match.as_ref().and_then(source_note);
            match note {
                Some(note) if versions.len() > 1 => {
                    lines.push(format!("({} {note})", package.version));
                }
                Some(note) => lines.push(format!("({note})")),
                None => {}
            }
        }
    }
    lines.push(String::new());
    lines
}

/// The source comparison of a package left to decide on, in a few words:
/// the files that differ (a `[[package]]` rule's `source-allow` can accept
/// them, with a reason), no vcs info, or why it was not made; nothing when
/// it matches.
fn source_note(found: &SourceMatch) -> Option<String> {
    let text = match found.result {
        SourceResult::Matches => return None,
        SourceResult::Differs => format!(
            "source: not as at commit {}: {}; source-allow can accept them, with a reason",
            found.commit.as_deref().unwrap_or("?"),
            found.files_in_brief(5)
        ),
        SourceResult::NoVcsInfo => "source: the package names no commit".to_string(),
        SourceResult::NotChecked => format!(
            "source: not compared: {}",
            found.reason.as_deref().unwrap_or("unknown")
        ),
    };
    Some(text)
}

/// The packages that could not be checked, by cause: nothing to uncomment.
fn could_not_check(packages: &[&(&Package, &Evidence)]) -> Vec<String> {
    let count = crate::words::count(packages.len(), "package", "packages");
    let mut lines = vec![
        format!("{count} could not be checked (written with --allow-unchecked): whether"),
        "they have provenance is not known, so nothing is pinned or excused for them.".to_string(),
        "Run `cargo verify-provenance init --update` once they can be checked.".to_string(),
    ];
    let mut by_cause: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (package, evidence) in packages {
        let cause = match evidence.errors.first() {
            Some(error) => format!("{}: {}", error.source, error.kind.describe()),
            None => "Cargo.lock has no checksum for it".to_string(),
        };
        by_cause.entry(cause).or_default().push(package.id());
    }
    for (cause, ids) in by_cause {
        lines.push(format!("{cause}:"));
        lines.extend(wrap(&ids, "  "));
    }
    lines.push(String::new());
    lines
}

/// `items` joined by `, ` on lines of at most [`WIDTH`] characters, each
/// starting with `indent`.
fn wrap(items: &[String], indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = indent.to_string();
    for (index, item) in items.iter().enumerate() {
        let piece = if index + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if line.len() > indent.len() && line.len() + 1 + piece.len() > WIDTH {
            lines.push(std::mem::replace(&mut line, indent.to_string()));
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_wrap_at_the_width_and_keep_their_order() {
        let items: Vec<String> = (0..30).map(|n| format!("crate-{n:02}@1.0.0")).collect();
        let lines = wrap(&items, "  ");
        assert!(lines.len() > 1);
        assert!(lines
            .iter()
            .all(|l| l.len() <= WIDTH && l.starts_with("  ")));
        let joined: Vec<String> = lines
            .join(" ")
            .split_whitespace()
            .map(|s| s.trim_end_matches(',').to_string())
            .collect();
        assert_eq!(joined, items);
    }
}
