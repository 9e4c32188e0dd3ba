//! One style for every diagnostic the tool prints on a terminal: package
//! violations, policy errors, failures of a command and warnings all start
//! with an `error[code]: message` or `warning[code]: message` header, as in
//! cargo and rustc; below it come the rest of the message, the policy
//! snippet with its labels, the causes and the help, drawn by miette's
//! graphical handler (Unicode; colour when the terminal allows); related
//! diagnostics follow, each with its own header.
//!
//! Every text is escaped first ([`escaped`]): the colours written here are
//! the only escape sequences in the result.

use std::fmt::{self, Write as _};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, Severity};

use crate::escape::diagnostic::escaped;
use crate::escape::terminal;

/// Related diagnostics are followed this deep, no deeper.
const MAX_DEPTH: usize = 8;

/// How diagnostics are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Colours (SGR sequences) in the result.
    pub color: bool,
    /// Lines are wrapped at spaces to fit this many columns.
    pub width: usize,
}

impl Style {
    pub fn new(color: bool) -> Self {
        Self { color, width: 100 }
    }
}

/// The word before the code: `error`, `warning` or `note`.
fn severity_word(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Error) | None => "error",
        Some(Severity::Warning) => "warning",
        Some(Severity::Advice) => "note",
    }
}

fn severity_sgr(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Error) | None => "1;31",
        Some(Severity::Warning) => "1;33",
        Some(Severity::Advice) => "1;36",
    }
}

/// `error[code]: first line of the message` (the code left out when there
/// is none), coloured when `style` says so. `code` and `first_line` must be
/// escaped already.
fn header(
    severity: Option<Severity>,
    code: Option<&str>,
    first_line: &str,
    style: Style,
) -> String {
    let mut word = severity_word(severity).to_string();
    if let Some(code) = code.filter(|c| !c.is_empty()) {
        let _ = write!(word, "[{code}]");
    }
    if style.color {
        format!(
            "\x1b[{}m{word}\x1b[0m\x1b[1m: {first_line}\x1b[0m",
            severity_sgr(severity)
        )
    } else {
        format!("{word}: {first_line}")
    }
}

/// A one-line warning, `warning[code]: message`: the message is escaped, and
/// its line breaks are shown as `\n` so a warning stays one line.
pub fn warning_line(code: &str, message: &str, style: Style) -> String {
    header(
        Some(Severity::Warning),
        Some(&terminal(code)),
        &terminal(message),
        style,
    )
}

/// A one-line note, `note: message`, escaped like [`warning_line`]: what a
/// run is about to do, not a problem.
pub fn note_line(message: &str, style: Style) -> String {
    header(Some(Severity::Advice), None, &terminal(message), style)
}

/// A one-line error, `error[code]: message`, escaped like [`warning_line`].
pub fn error_line(code: &str, message: &str, style: Style) -> String {
    header(
        Some(Severity::Error),
        Some(&terminal(code)),
        &terminal(message),
        style,
    )
}

/// Draw `diagnostic` with its header, the rest of its message, its snippet,
/// causes and help, then its related diagnostics, each with its own header.
/// The result ends with a line break.
pub fn render(diagnostic: &dyn Diagnostic, style: Style) -> String {
    let mut out = String::new();
    render_into(&mut out, &escaped(diagnostic), style, 0);
    out
}

fn render_into(out: &mut String, diagnostic: &dyn Diagnostic, style: Style, depth: usize) {
    let message = diagnostic.to_string();
    let (first, rest) = match message.split_once('\n') {
        Some((first, rest)) => (first, rest),
        None => (message.as_str(), ""),
    };
    let code = diagnostic.code().map(|c| c.to_string());
    out.push_str(&header(
        diagnostic.severity(),
        code.as_deref(),
        first,
        style,
    ));
    out.push('\n');

    // Causes go under the message, one `caused by:` line each, in the
    // same gutter.
    let mut rest = rest.to_string();
    for cause in causes(diagnostic) {
        if !rest.is_empty() {
            rest.push('\n');
        }
        rest.push_str("caused by: ");
        rest.push_str(&cause);
    }
    let rest = rest.as_str();
    let body = Body {
        inner: diagnostic,
        rest,
    };
    let mut drawn = String::new();
    if handler(style).render_report(&mut drawn, &body).is_ok() {
        // The handler always draws the message line; with no rest of the
        // message, that line holds only the gutter.
        let drawn = if rest.is_empty() {
            drawn.split_once('\n').map_or("", |(_, after)| after)
        } else {
            drawn.as_str()
        };
        for line in drawn.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    if depth < MAX_DEPTH {
        if let Some(related) = diagnostic.related() {
            for related in related {
                out.push('\n');
                render_into(out, related, style, depth + 1);
            }
        }
    }
}

/// The messages of a diagnostic's causes, outermost first.
fn causes(diagnostic: &dyn Diagnostic) -> Vec<String> {
    let mut next: Option<&dyn std::error::Error> = diagnostic
        .diagnostic_source()
        .map(|d| d as &dyn std::error::Error)
        .or_else(|| diagnostic.source());
    let mut causes = Vec::new();
    while let Some(error) = next {
        if causes.len() == MAX_DEPTH {
            break;
        }
        causes.push(error.to_string());
        next = error.source();
    }
    causes
}

/// miette's graphical handler with the severity icon replaced by the gutter
/// bar (the header already says error or warning), wrapping at spaces only
/// so no URL or package name is cut.
fn handler(style: Style) -> GraphicalReportHandler {
    let mut theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let bar = theme.characters.vbar.to_string();
    theme.characters.error = bar.clone();
    theme.characters.warning = bar.clone();
    theme.characters.advice = bar;
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .without_cause_chain()
        .with_break_words(false)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// What is drawn below the header: the diagnostic without its code, its
/// first message line, its related diagnostics, and with its causes in
/// its message.
struct Body<'a> {
    inner: &'a dyn Diagnostic,
    rest: &'a str,
}

impl fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rest)
    }
}

impl fmt::Display for Body<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rest)
    }
}

impl std::error::Error for Body<'_> {}

impl Diagnostic for Body<'_> {
    fn severity(&self) -> Option<Severity> {
        self.inner.severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.help()
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.inner.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.inner.labels()
    }
}

/// A [`miette::ReportHandler`] drawing errors returned to `main` in the same
/// style as everything else.
#[derive(Debug, Clone, Copy)]
pub struct Handler {
    pub style: Style,
}

impl miette::ReportHandler for Handler {
    fn debug(&self, diagnostic: &dyn Diagnostic, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return fmt::Debug::fmt(diagnostic, f);
        }
        let text = render(diagnostic, self.style);
        f.write_str(text.trim_end_matches('\n'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::{NamedSource, SourceSpan};
    use std::sync::Arc;

    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("{message}")]
    #[diagnostic(code("test-code"), help("do this"))]
    struct Sample {
        message: String,
        #[source_code]
        text: Arc<NamedSource<String>>,
        #[label("here")]
        span: SourceSpan,
        #[related]
        related: Vec<Sample>,
    }

    fn sample(message: &str) -> Sample {
        Sample {
            message: message.into(),
            text: Arc::new(NamedSource::new(
                "p.toml",
                "key = 1\nother = 2\n".to_string(),
            )),
            span: (0, 3).into(),
            related: Vec::new(),
        }
    }

    #[test]
    fn the_header_carries_severity_code_and_first_line_and_the_rest_follows() {
        let text = render(&sample("first line\n  second line"), Style::new(false));
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("error[test-code]: first line"));
        assert!(text.contains("│   second line"), "{text}");
        assert!(text.contains("p.toml:1:1"), "{text}");
        assert!(text.contains("here"), "{text}");
        assert!(text.contains("help: do this"), "{text}");
        assert!(!text.contains('×'), "{text}");
        assert!(!text.contains("first line\n  │ first line"), "{text}");
        assert_eq!(text.matches("first line").count(), 1, "{text}");
        assert!(text.lines().all(|l| l == l.trim_end()), "{text}");
    }

    #[test]
    fn a_one_line_message_gets_no_empty_gutter_line() {
        let text = render(&sample("only line"), Style::new(false));
        let second = text.lines().nth(1).unwrap_or_default();
        assert!(second.contains("p.toml"), "{text}");
    }

    #[test]
    fn related_diagnostics_follow_each_with_its_own_header() {
        let mut parent = sample("two errors");
        parent.related = vec![sample("the first"), sample("the second")];
        let text = render(&parent, Style::new(false));
        let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("error[")).collect();
        assert_eq!(
            headers,
            [
                "error[test-code]: two errors",
                "error[test-code]: the first",
                "error[test-code]: the second"
            ]
        );
    }

    #[test]
    fn colour_only_when_asked_and_text_from_outside_is_escaped() {
        let hostile = sample("name\u{1b}]0;owned\u{7}");
        let plain = render(&hostile, Style::new(false));
        assert!(!plain.contains('\u{1b}'), "{plain}");
        assert!(
            plain.starts_with("error[test-code]: name\\u{1b}]0;owned\\u{7}"),
            "{plain}"
        );
        let colored = render(&hostile, Style::new(true));
        assert!(
            colored.starts_with("\x1b[1;31merror[test-code]\x1b[0m"),
            "{colored:?}"
        );
        assert!(!colored.contains("\u{1b}]0;"), "{colored:?}");
    }

    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("cannot read lockfile nope.lock")]
    #[diagnostic(code("lockfile-unreadable"), help("pass another path"))]
    struct WithCause(#[source] std::io::Error);

    #[test]
    fn causes_follow_the_message_once_each_before_the_help() {
        let error = WithCause(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "No such file",
        ));
        let text = render(&error, Style::new(false));
        assert_eq!(
            text,
            "error[lockfile-unreadable]: cannot read lockfile nope.lock\n  │ caused by: No such file\n  help: pass another path\n"
        );
    }

    #[test]
    fn warnings_are_one_line_with_their_code() {
        let style = Style::new(false);
        assert_eq!(
            warning_line("source-failed", "a\nb\u{7}", style),
            "warning[source-failed]: a\\nb\\u{7}"
        );
        assert!(warning_line("x", "m", Style::new(true)).starts_with("\x1b[1;33mwarning[x]\x1b[0m"));
        assert_eq!(note_line("soon\r", style), "note: soon\\r");
    }
}
