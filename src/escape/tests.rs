use std::io::Write as _;

use miette::{Diagnostic, NamedSource, SourceSpan};

use super::*;

/// Every character that may not reach an output as it is, in a value.
const HOSTILE: &str = "a\u{1b}[31mred\u{1b}]0;title\u{7}\r\n\t\u{0}\u{7f}\u{85}\u{9b}2J\u{202e}evil\u{2066}\u{200b}\u{feff}\u{2028}\u{e0041}z";

fn raw_hidden(text: &str) -> Vec<char> {
    text.chars().filter(|&c| is_hidden(c)).collect()
}

#[test]
fn hidden_characters_are_controls_separators_and_format_characters() {
    for c in [
        '\0', '\u{1b}', '\n', '\r', '\t', '\u{7f}', '\u{80}', '\u{9b}', '\u{9f}',
    ] {
        assert!(is_hidden(c), "{c:?}");
    }
    for c in (0x202a..=0x202e).chain(0x2066..=0x2069) {
        assert!(is_hidden(char::from_u32(c).unwrap()), "{c:x}");
    }
    for c in [
        '\u{200b}',
        '\u{200e}',
        '\u{200f}',
        '\u{061c}',
        '\u{feff}',
        '\u{ad}',
        '\u{2028}',
        '\u{2029}',
        '\u{e0001}',
        '\u{2060}',
    ] {
        assert!(is_hidden(c), "{c:?}");
    }
    for c in ['a', ' ', '~', '\\', 'é', '→', '✔', '中', '\u{a0}'] {
        assert!(!is_hidden(c), "{c:?}");
    }
}

#[test]
fn a_value_shows_every_hidden_character_and_stays_on_one_line() {
    let shown = terminal(HOSTILE);
    assert!(raw_hidden(&shown).is_empty(), "{shown:?}");
    assert_eq!(
        shown,
        "a\\u{1b}[31mred\\u{1b}]0;title\\u{7}\\r\\n\\t\\u{0}\\u{7f}\\u{85}\\u{9b}2J\\u{202e}evil\\u{2066}\\u{200b}\\u{feff}\\u{2028}\\u{e0041}z"
    );
    assert_eq!(Untrusted(HOSTILE).to_string(), shown);
    assert!(matches!(terminal("plain → text"), Cow::Borrowed(_)));
}

#[test]
fn untrusted_pads_the_escaped_text() {
    assert_eq!(format!("[{:<8}]", Untrusted("a\u{7}")), "[a\\u{7}  ]");
    assert_eq!(format!("[{:>4}]", Untrusted("ab")), "[  ab]");
    let path = std::path::Path::new("dir/\u{1b}[2J.lock");
    assert_eq!(Untrusted(path.display()).to_string(), "dir/\\u{1b}[2J.lock");
}

#[test]
fn text_of_several_lines_keeps_only_its_line_feeds() {
    assert_eq!(
        terminal_text("one\r\ntwo\u{1b}[2K\nthree\u{202e}"),
        "one\\r\ntwo\\u{1b}[2K\nthree\\u{202e}"
    );
}

#[test]
fn the_terminal_writer_escapes_everything_but_its_own_colours() {
    let mut out = Vec::new();
    {
        let mut terminal = Terminal::new(&mut out);
        writeln!(terminal, "x {HOSTILE}").unwrap();
        terminal.paint("pass\u{1b}[0m", Sgr::GREEN).unwrap();
        // A character split between two writes, and bytes that are not UTF-8.
        let bidi = "\u{202e}".as_bytes();
        terminal.write_all(&bidi[..1]).unwrap();
        terminal.write_all(&bidi[1..]).unwrap();
        terminal.write_all(b" \xff\xc2").unwrap();
    }
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text.matches('\u{1b}').count(),
        2,
        "only the colour and its reset: {text:?}"
    );
    assert!(text.starts_with("x a\\u{1b}[31mred"), "{text:?}");
    assert!(
        text.contains("\u{1b}[32mpass\\u{1b}[0m\u{1b}[0m"),
        "{text:?}"
    );
    assert!(text.ends_with("\\u{202e} \\x{ff}\\x{c2}"), "{text:?}");
    let hidden: Vec<char> = raw_hidden(&text)
        .into_iter()
        .filter(|&c| c != '\n' && c != '\u{1b}')
        .collect();
    assert!(hidden.is_empty(), "{text:?}");
    // The writer keeps line feeds (HOSTILE's and the one written): a value
    // that must stay on its line is escaped with `Untrusted` first.
    assert_eq!(text.matches('\n').count(), 2);
}

#[test]
fn a_markdown_code_span_holds_anything_on_one_table_row() {
    assert_eq!(markdown::code("serde"), "`serde`");
    assert_eq!(markdown::code(""), "");
    assert_eq!(markdown::code("a|b"), "`a\\|b`");
    assert_eq!(markdown::code("a`b"), "``a`b``");
    assert_eq!(markdown::code("`x``"), "``` `x`` ```");
    assert_eq!(markdown::code("x\r# heading"), "`x\\r# heading`");
    let cell = markdown::code("<img src=x onerror=alert(1)>\n| a | b |");
    assert!(!cell.contains('\n') && !cell.contains(" | "), "{cell}");
    assert!(cell.starts_with('`') && cell.ends_with('`'), "{cell}");
}

#[test]
fn markdown_text_has_no_markup_left() {
    assert_eq!(
        markdown::text("<img src=x> & *b* [l](u) a|b `c` \\"),
        "\\<img src=x\\> \\& \\*b\\* \\[l\\](u) a\\|b \\`c\\` \\\\"
    );
    assert_eq!(markdown::text("ok\r\n## no"), "ok\\\\r\\\\n\\#\\# no");
    let text = markdown::text(HOSTILE);
    assert!(raw_hidden(&text).is_empty(), "{text:?}");
}

#[test]
fn toml_strings_read_back_exactly_and_stay_on_one_line() {
    for value in [
        "plain",
        "it's \"quoted\" \\ back",
        HOSTILE,
        "line\nbreak",
        "\u{202e}",
        "'''",
    ] {
        let written = toml::string(value);
        let line = format!("key = {written}\n");
        assert_eq!(line.lines().count(), 1, "{line:?}");
        assert!(
            raw_hidden(line.trim_end()).is_empty(),
            "{value:?} written as {line:?}"
        );
        let document: toml_edit::DocumentMut = line.parse().unwrap();
        assert_eq!(document["key"].as_str(), Some(value), "{line:?}");
    }
    assert_eq!(toml::string("plain").to_string(), "\"plain\"");
}

#[test]
fn toml_comments_are_one_visible_line() {
    let comment = toml::comment("x\n[[exempt]]\nname = \"*\"\r");
    assert_eq!(comment, "x\\n[[exempt]]\\nname = \"*\"\\r");
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("bad package `{name}`\nsecond line")]
#[diagnostic(code(test::escaped), help("help \u{1b}[2J{name}"))]
struct Hostile {
    name: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("here: {name}")]
    span: SourceSpan,
    #[source]
    cause: std::io::Error,
}

#[test]
fn a_diagnostic_is_rendered_with_every_text_escaped() {
    let text = "[[package]]\nname = \"\u{1b}]0;x\u{7}\u{202e}ab\"\nversion = \"1\"\n";
    let at = text.find("ab").unwrap();
    let hostile = Hostile {
        name: "n\u{1b}[2J\nx".into(),
        src: NamedSource::new("Cargo\u{1b}.lock", text.to_string()),
        span: (at, 2).into(),
        cause: std::io::Error::other("server said \u{9b}31m"),
    };
    let escaped = diagnostic::escaped(&hostile);
    for theme in [
        miette::GraphicalTheme::unicode_nocolor(),
        miette::GraphicalTheme::unicode(),
    ] {
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(theme)
            .render_report(&mut out, &escaped)
            .unwrap();
        let colours = out.replace("\u{1b}[", "");
        let hidden: Vec<char> = raw_hidden(&colours)
            .into_iter()
            .filter(|&c| c != '\n')
            .collect();
        assert!(hidden.is_empty(), "{hidden:?} in {out}");
        for shown in [
            "n\\u{1b}[2J",
            "Cargo\\u{1b}.lock",
            "\\u{1b}]0;x\\u{7}\\u{202e}",
            "server said \\u{9b}31m",
        ] {
            assert!(out.contains(shown), "{shown} not in {out}");
        }
        // The label still points at the same text, after the escapes.
        let plain =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
        let mut plain_out = String::new();
        plain.render_report(&mut plain_out, &escaped).unwrap();
        let line = plain_out
            .lines()
            .find(|l| l.contains("\\u{202e}ab"))
            .expect("the snippet line");
        let mark = plain_out.lines().skip_while(|l| *l != line).nth(1).unwrap();
        // Columns in characters: the frame characters are not ASCII.
        let column = line[..line.find("ab").unwrap()].chars().count();
        assert_eq!(
            mark.chars().position(|c| c == '─' || c == '┬'),
            Some(column),
            "{plain_out}"
        );
    }
}
