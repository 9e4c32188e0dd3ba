//! A miette diagnostic with every text in it escaped for the terminal.
//!
//! miette writes a diagnostic's message, code, help, URL, labels, causes,
//! related diagnostics and source snippet as they are, and any of them can
//! hold text from outside (a server's answer in a message, a hostile
//! lockfile in a snippet). [`escaped`] copies a diagnostic with all of them
//! escaped, so rendering the copy, with or without colours, shows every
//! hidden character as `\u{…}`. Messages and help keep their line breaks;
//! labels, codes and URLs are single lines. In a source snippet, line ends
//! (`\n`, `\r\n`) and tabs stay, and label spans are moved to match the
//! escaped text.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};

use super::{terminal, terminal_text};

/// Causes and related diagnostics are followed this deep, no deeper.
const MAX_DEPTH: usize = 32;

/// An escaped copy of a diagnostic: what [`escaped`] returns.
#[derive(Debug)]
pub struct EscapedDiagnostic {
    message: String,
    code: Option<String>,
    severity: Option<Severity>,
    help: Option<String>,
    url: Option<String>,
    source: Option<Arc<NamedSource<String>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<EscapedDiagnostic>,
    cause: Option<Box<EscapedDiagnostic>>,
}

/// Copy `diagnostic` with every text in it escaped (see the module).
pub fn escaped(diagnostic: &dyn Diagnostic) -> EscapedDiagnostic {
    copy(diagnostic, 0)
}

fn copy(diagnostic: &dyn Diagnostic, depth: usize) -> EscapedDiagnostic {
    let line = |d: Box<dyn fmt::Display + '_>| terminal(&d.to_string()).into_owned();
    let (source, labels) = match diagnostic.source_code() {
        Some(code) => escaped_source(code, diagnostic.labels()),
        None => (None, Vec::new()),
    };
    let deeper = depth < MAX_DEPTH;
    let cause = if !deeper {
        None
    } else if let Some(inner) = diagnostic.diagnostic_source() {
        Some(Box::new(copy(inner, depth + 1)))
    } else {
        diagnostic
            .source()
            .map(|error| Box::new(copy_error(error, depth + 1)))
    };
    EscapedDiagnostic {
        message: terminal_text(&diagnostic.to_string()).into_owned(),
        code: diagnostic.code().map(line),
        severity: diagnostic.severity(),
        help: diagnostic
            .help()
            .map(|h| terminal_text(&h.to_string()).into_owned()),
        url: diagnostic.url().map(line),
        source,
        labels,
        related: match diagnostic.related() {
            Some(related) if deeper => related.map(|d| copy(d, depth + 1)).collect(),
            _ => Vec::new(),
        },
        cause,
    }
}

/// A plain error in a chain: its message and its own cause.
fn copy_error(error: &(dyn std::error::Error + 'static), depth: usize) -> EscapedDiagnostic {
    EscapedDiagnostic {
        message: terminal_text(&error.to_string()).into_owned(),
        code: None,
        severity: None,
        help: None,
        url: None,
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
        cause: match error.source() {
            Some(inner) if depth < MAX_DEPTH => Some(Box::new(copy_error(inner, depth + 1))),
            _ => None,
        },
    }
}

/// The whole source text escaped, and the labels moved onto it (their
/// texts escaped). A source that cannot be read whole, or is not UTF-8, is
/// left out, and the labels with it.
fn escaped_source(
    code: &dyn SourceCode,
    labels: Option<Box<dyn Iterator<Item = LabeledSpan> + '_>>,
) -> (Option<Arc<NamedSource<String>>>, Vec<LabeledSpan>) {
    // From the first byte, with every line after it: the whole text.
    let Ok(contents) = code.read_span(&SourceSpan::from(0..0), 0, usize::MAX) else {
        return (None, Vec::new());
    };
    let Ok(text) = std::str::from_utf8(contents.data()) else {
        return (None, Vec::new());
    };
    let (escaped, moves) = escape_source_text(text);
    let mut named = NamedSource::new(&*terminal(contents.name().unwrap_or_default()), escaped);
    if let Some(language) = contents.language() {
        named = named.with_language(language);
    }
    let at = |offset: usize| moved(&moves, offset);
    let labels = labels
        .into_iter()
        .flatten()
        .map(|label| {
            let start = at(label.offset());
            let end = at(label.offset().saturating_add(label.len()));
            let text = label.label().map(|l| terminal(l).into_owned());
            let span = SourceSpan::from(start..end.max(start));
            if label.primary() {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            }
        })
        .collect();
    (Some(Arc::new(named)), labels)
}

/// `text` with every hidden character but line ends and tabs made visible,
/// and where offsets moved: `(old, new)` at each escaped character, in order.
fn escape_source_text(text: &str) -> (String, Vec<(usize, usize)>) {
    let mut out = String::with_capacity(text.len());
    let mut moves = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let line_end = c == '\n' || (c == '\r' && matches!(chars.peek(), Some((_, '\n'))));
        if line_end || c == '\t' || !super::is_hidden(c) {
            out.push(c);
            continue;
        }
        moves.push((at, out.len()));
        out.push_str(&terminal(c.encode_utf8(&mut [0; 4])));
        moves.push((at + c.len_utf8(), out.len()));
    }
    (out, moves)
}

/// Where `offset` of the original text is in the escaped one.
fn moved(moves: &[(usize, usize)], offset: usize) -> usize {
    match moves.partition_point(|&(old, _)| old <= offset) {
        0 => offset,
        n => {
            let (old, new) = moves[n - 1];
            new + (offset - old)
        }
    }
}

impl fmt::Display for EscapedDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EscapedDiagnostic {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl Diagnostic for EscapedDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<Severity> {
        self.severity
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
        }
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.cause.as_deref().map(|c| c as &dyn Diagnostic)
    }
}
