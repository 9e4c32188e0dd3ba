//! What the fuzz targets and their seed corpora share: the bundles the
//! `bundle` target starts from, minted by test instances (deterministic:
//! the same requests always give the same bytes).

use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};

/// The instances and requests of the `bundle` target's seeds: a
/// public-good-like bundle (log entry, SET, inclusion proof, SCT) and a
/// GitHub-like one (RFC 3161 timestamp, no log).
pub fn bundle_seed_requests() -> Vec<(Instance, MintRequest)> {
    vec![
        (
            Instance::new(101),
            MintRequest::new(
                "serde",
                "1.0.219",
                [0x11; 32],
                Claims::github("serde-rs/serde", "1.0.219"),
            ),
        ),
        (
            Instance::github(102),
            MintRequest::new(
                "tokio",
                "1.45.0",
                [0x22; 32],
                Claims::github("tokio-rs/tokio", "1.45.0").private(),
            ),
        ),
    ]
}

/// A character no human output may carry as it is: a control (C0, DEL,
/// C1), a line or paragraph separator, or a bidi or invisible format
/// character. Written out here rather than taken from the program, so
/// that the `output` target checks the program's escaping against a list
/// of its own.
pub fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
        )
}

/// The characters of `text` that are hidden, but `\n` and, with
/// `colours`, the ESC of an SGR sequence (`ESC [ digits ; … m`): what may
/// reach a terminal.
pub fn raw_hidden(text: &str, colours: bool) -> Vec<char> {
    let bytes = text.as_bytes();
    text.char_indices()
        .filter(|&(at, c)| {
            if c == '\n' || !hidden(c) {
                return false;
            }
            if colours && c == '\u{1b}' && bytes.get(at + 1) == Some(&b'[') {
                let rest = &bytes[at + 2..];
                let end = rest
                    .iter()
                    .position(|b| !(b.is_ascii_digit() || *b == b';'))
                    .unwrap_or(rest.len());
                return rest.get(end) != Some(&b'm');
            }
            true
        })
        .map(|(_, c)| c)
        .collect()
}

/// The cells of a GitHub Markdown table row: split on every `|` without a
/// backslash before it (inside code spans too, as GitHub does).
pub fn markdown_cells(row: &str) -> usize {
    let bytes = row.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
        .saturating_sub(1)
}

/// `line` without its code spans: what Markdown reads as markup.
pub fn outside_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let fence_len = rest[start..].bytes().take_while(|&b| b == b'`').count();
        let fence = "`".repeat(fence_len);
        let after = &rest[start + fence_len..];
        match after.find(&fence) {
            Some(end) => rest = &after[end + fence_len..],
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}
