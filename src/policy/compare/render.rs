//! `policy diff` for people (the terminal), for the job summary (Markdown)
//! and for machines (one JSON document). Every value comes from a policy
//! file a pull request may have written: the terminal text is escaped by
//! the writer it goes through, the Markdown here.

use std::fmt::Write as _;

use serde::Serialize;

use super::Weakening;
use crate::escape::markdown;

/// The exit code of `policy diff`: 1 when anything weakens, else 0.
pub fn exit_code(weakenings: &[Weakening]) -> i32 {
    if weakenings.is_empty() {
        crate::exit::PASS
    } else {
        crate::exit::VIOLATION
    }
}

fn counted(weakenings: &[Weakening]) -> String {
    crate::words::count(weakenings.len(), "change weakens", "changes weaken")
}

/// One line per weakening, then a summary line.
pub fn human(old: &str, new: &str, weakenings: &[Weakening]) -> String {
    let mut out = format!("Policy changes from {old} to {new}\n");
    for weakening in weakenings {
        let line = weakening
            .line
            .map_or_else(String::new, |line| format!("line {line}: "));
        let _ = writeln!(out, "  weakens  {line}{}", weakening.describe());
    }
    if weakenings.is_empty() {
        let _ = writeln!(out, "  nothing weakens the policy");
    }
    let _ = writeln!(out, "{} the policy", counted(weakenings));
    out
}

/// A section for the GitHub job summary.
pub fn markdown(old: &str, new: &str, weakenings: &[Weakening]) -> String {
    let mut out = format!(
        "### Policy changes\n\nFrom {} to {}: {} the policy.\n\n",
        markdown::code(old),
        markdown::code(new),
        counted(weakenings)
    );
    if weakenings.is_empty() {
        return out;
    }
    out.push_str("| line | table | key | before | after | what |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    let code = |value: &Option<String>| value.as_deref().map_or_else(String::new, markdown::code);
    for weakening in weakenings {
        let mut what = weakening.kind.describe().to_string();
        if let Some(note) = &weakening.note {
            what = format!("{what}; {note}");
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            weakening.line.map_or_else(String::new, |l| l.to_string()),
            markdown::code(&weakening.table),
            code(&weakening.key),
            code(&weakening.old),
            code(&weakening.new),
            markdown::text(&what)
        );
    }
    out.push('\n');
    out
}

/// The JSON document: `format_version` 1, both files, every weakening and
/// the exit code.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub format_version: u32,
    pub old: &'a str,
    pub new: &'a str,
    pub weakenings: &'a [Weakening],
    pub exit_code: i32,
}

/// [`Document`] as one line of JSON.
pub fn json(old: &str, new: &str, weakenings: &[Weakening]) -> String {
    let document = Document {
        format_version: 1,
        old,
        new,
        weakenings,
        exit_code: exit_code(weakenings),
    };
    let mut line = serde_json::to_string(&document).unwrap_or_default();
    line.push('\n');
    line
}
