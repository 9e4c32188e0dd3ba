//! Markdown and HTML, for the GitHub job summary (GitHub Flavored
//! Markdown, where a table row is one line and raw HTML is rendered).
//!
//! Both forms first make every hidden character visible ([`super::terminal`]),
//! so no CR or LF can end a table row, then:
//! - [`code`] puts the value in a code span (HTML and emphasis inside it are
//!   shown, not rendered), fenced with more backticks than it contains;
//! - [`text`] backslash-escapes every character that can start markup
//!   (``\ ` * _ ~ [ ] ! < > & | # $``), so no `<tag>`, `&entity;`,
//!   `*emphasis*`, `[link](…)`, `$math$` or `|` takes effect.
//!
//! In both, `|` is written `\|`: GFM splits table cells on a bare `|` even
//! inside a code span, and removes the backslash before it in the cell.

use super::terminal;

/// `text` as an inline code span, safe in a table cell; empty for "".
pub fn code(text: &str) -> String {
    let visible = terminal(text);
    if visible.is_empty() {
        return String::new();
    }
    let cell = visible.replace('|', "\\|");
    let longest = cell.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A code span loses one space at each end when it has one at both, and
    // a backtick at either end would join the fence: pad with a space then.
    let pad = cell.starts_with(['`', ' ']) || cell.ends_with(['`', ' ']);
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{cell}{space}{fence}")
}

/// The characters that can start inline markup, HTML, an entity, a table
/// cell, a heading or GitHub's math: CommonMark lets each be escaped.
const MARKUP: &str = "\\`*_~[]!<>&|#$";

/// `text` as plain Markdown text, safe in a table cell: nothing in it is
/// markup.
pub fn text(text: &str) -> String {
    let visible = terminal(text);
    let mut out = String::with_capacity(visible.len() + 8);
    for c in visible.chars() {
        if MARKUP.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
