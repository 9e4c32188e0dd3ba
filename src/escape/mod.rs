//! Text from outside the program, made safe for the output it goes to.
//!
//! Claim values and subject names (the signer chooses them), lockfile
//! strings, server answers, cache entries and file names are data. Shown as
//! they are, a control character in them could move the cursor, clear the
//! screen or retitle the terminal, a bidi override or an invisible format
//! character could make one text look like another, a CR or `|` could end a
//! Markdown table row, and a newline could start a live line of TOML. So
//! every output escapes for itself:
//!
//! - the terminal: [`Untrusted`] (one value, every hidden character made
//!   visible), [`terminal_text`] (text of several lines: all but `\n`),
//!   [`Terminal`] (a writer that applies [`terminal_text`] to everything
//!   written through it; our own colours go through [`Terminal::paint`]),
//!   [`diagnostic::escaped`] (a miette diagnostic with every text in it
//!   escaped, the source snippet included);
//! - Markdown and HTML (the GitHub job summary): [`markdown`];
//! - TOML (`init`'s policy): [`toml`];
//! - JSON and SARIF need nothing here: serde escapes every string.
//!
//! And wherever a URL goes, its secrets stay out: [`redact_url`].

pub(crate) mod diagnostic;
pub(crate) mod markdown;
pub(crate) mod redact;
pub(crate) mod toml;

pub use redact::{redact_url, redact_urls_in};

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io;

use unicode_general_category::{get_general_category, GeneralCategory};

/// Whether `c` must not reach a terminal as it is: a control character
/// (C0, DEL, C1), a line or paragraph separator, or an invisible format
/// character (bidi embeddings, overrides, isolates and marks, zero-width
/// characters, the BOM, soft hyphen, tag characters, …).
pub fn is_hidden(c: char) -> bool {
    // The common case first: printable ASCII is never hidden.
    if (' '..='~').contains(&c) {
        return false;
    }
    matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// The visible form of a hidden character: `\n`, `\r`, `\t`, else `\u{1b}`.
fn write_visible(out: &mut impl fmt::Write, c: char) -> fmt::Result {
    match c {
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        c => write!(out, "\\u{{{:x}}}", c as u32),
    }
}

/// Write `text` to `out` with every hidden character for which `escape`
/// holds made visible.
fn write_escaped(
    out: &mut impl fmt::Write,
    text: &str,
    escape: impl Fn(char) -> bool,
) -> fmt::Result {
    let mut rest = text;
    while let Some((at, c)) = rest.char_indices().find(|&(_, c)| escape(c)) {
        out.write_str(&rest[..at])?;
        write_visible(out, c)?;
        rest = &rest[at + c.len_utf8()..];
    }
    out.write_str(rest)
}

fn escaped_with(text: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let _ = write_escaped(&mut out, text, escape);
    Cow::Owned(out)
}

/// One value from outside, for a terminal: every hidden character (a
/// newline and a tab too) made visible, so the value stays on its line and
/// in its column. A backslash is left as it is.
pub fn terminal(text: &str) -> Cow<'_, str> {
    escaped_with(text, is_hidden)
}

/// Text of several lines for a terminal: every hidden character but `\n`
/// made visible. What [`Terminal`] applies to everything written through it.
pub fn terminal_text(text: &str) -> Cow<'_, str> {
    escaped_with(text, |c| c != '\n' && is_hidden(c))
}

/// A value from outside, displayed with [`terminal`]'s escaping: whatever
/// `T` displays as (a `&str`, a path's `display()`, an error) is escaped as
/// it is written. Width, fill and alignment apply to the escaped text.
///
/// `Untrusted("release.yml\u{1b}]0;owned\u{7}")` displays as
/// `release.yml\\u{1b}]0;owned\\u{7}`.
#[derive(Debug, Clone, Copy)]
pub struct Untrusted<T>(pub T);

impl<T: fmt::Display> fmt::Display for Untrusted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_some() || f.precision().is_some() {
            let mut text = String::new();
            write!(Escaping(&mut text), "{}", self.0)?;
            return f.pad(&text);
        }
        write!(Escaping(f), "{}", self.0)
    }
}

/// A `fmt::Write` that escapes hidden characters on the way through.
struct Escaping<W>(W);

impl<W: fmt::Write> fmt::Write for Escaping<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(&mut self.0, s, is_hidden)
    }
}

/// A writer for a terminal (stdout, stderr): everything written through it
/// is escaped with `terminal_text`, so no text reaches the terminal with
/// a control character in it, however it was put together. The only raw
/// escape sequences it writes are the colours of [`Terminal::paint`].
pub struct Terminal<W: io::Write> {
    inner: W,
    /// The tail of a UTF-8 sequence split between two writes.
    pending: Vec<u8>,
}

impl<W: io::Write> Terminal<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            pending: Vec::new(),
        }
    }

    /// Write `text` (escaped) in the SGR colour `sgr` (`"31"`, `"1;32"`).
    pub fn paint(&mut self, text: &str, sgr: Sgr) -> io::Result<()> {
        self.flush_pending()?;
        write!(self.inner, "\x1b[{}m", sgr.0)?;
        self.inner.write_all(terminal_text(text).as_bytes())?;
        self.inner.write_all(b"\x1b[0m")
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        self.write_decoded(&pending, true)
    }

    /// Escape and write `bytes`; an incomplete UTF-8 sequence at the end is
    /// kept for the next write unless `last`; bytes that are not UTF-8 are
    /// shown as `\x{ff}`.
    fn write_decoded(&mut self, mut bytes: &[u8], last: bool) -> io::Result<()> {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(text) => return self.inner.write_all(terminal_text(text).as_bytes()),
                Err(error) => {
                    let (valid, rest) = bytes.split_at(error.valid_up_to());
                    let valid = std::str::from_utf8(valid).expect("checked by from_utf8");
                    self.inner.write_all(terminal_text(valid).as_bytes())?;
                    match error.error_len() {
                        None if !last => {
                            self.pending.extend_from_slice(rest);
                            return Ok(());
                        }
                        None => {
                            for byte in rest {
                                write!(self.inner, "\\x{{{byte:02x}}}")?;
                            }
                            return Ok(());
                        }
                        Some(len) => {
                            for byte in &rest[..len] {
                                write!(self.inner, "\\x{{{byte:02x}}}")?;
                            }
                            bytes = &rest[len..];
                        }
                    }
                }
            }
        }
    }
}

impl<W: io::Write> io::Write for Terminal<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(buf);
        self.write_decoded(&bytes, false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_pending()?;
        self.inner.flush()
    }
}

impl<W: io::Write> Drop for Terminal<W> {
    fn drop(&mut self) {
        let _ = self.flush_pending();
    }
}

/// `text`, escaped for the terminal ([`terminal_text`]), in the colour
/// `sgr`: for a line put together before it is written.
pub fn painted(text: &str, sgr: Sgr) -> String {
    format!("\x1b[{}m{}\x1b[0m", sgr.0, terminal_text(text))
}

/// An SGR colour for [`Terminal::paint`]: only these constants exist, so
/// nothing from outside can become an escape sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sgr(&'static str);

impl Sgr {
    pub const RED: Sgr = Sgr("31");
    pub const GREEN: Sgr = Sgr("32");
    pub const YELLOW: Sgr = Sgr("33");
    pub const BOLD_YELLOW: Sgr = Sgr("1;33");
    pub const CYAN: Sgr = Sgr("36");
    pub const DIM: Sgr = Sgr("2");
}

#[cfg(test)]
mod tests;
