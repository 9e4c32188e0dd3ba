//! TOML, for the policy `init` writes: values through `toml_edit`, and
//! comments that can hold nothing but one line of visible text.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{is_hidden, terminal};

/// `value` as a TOML string value, on one line, that reads back as exactly
/// `value`.
///
/// `toml_edit` quotes it, except when it holds a hidden character: the
/// writer escapes only ASCII control characters (and writes a newline as a
/// multi-line string), so C1 controls and bidi or invisible format
/// characters would reach the file as they are. Then every hidden
/// character is spelled as a `\uXXXX` escape in a basic string, which
/// `toml_edit` parses (and must read back as `value`).
pub fn string(value: &str) -> toml_edit::Value {
    if !value.chars().any(is_hidden) {
        return toml_edit::Value::from(value);
    }
    let mut repr = String::with_capacity(value.len() + 16);
    repr.push('"');
    for c in value.chars() {
        match c {
            '"' => repr.push_str("\\\""),
            '\\' => repr.push_str("\\\\"),
            c if is_hidden(c) && (c as u32) <= 0xffff => {
                let _ = write!(repr, "\\u{:04X}", c as u32);
            }
            c if is_hidden(c) => {
                let _ = write!(repr, "\\U{:08X}", c as u32);
            }
            c => repr.push(c),
        }
    }
    repr.push('"');
    match repr.parse::<toml_edit::Value>() {
        Ok(mut parsed) if parsed.as_str() == Some(value) => {
            parsed.decor_mut().clear();
            parsed
        }
        // Not reached: every escape above is valid TOML. Still correct TOML.
        _ => toml_edit::Value::from(value),
    }
}

/// `text` fit for a `#` comment: one line, every hidden character (a
/// newline first of all) made visible.
pub fn comment(text: &str) -> Cow<'_, str> {
    terminal(text)
}
