//! Secrets out of URLs before they are shown or stored: the one redaction
//! every URL goes through, in reports, the cache, logs and errors.

/// A URL as it may be shown or stored anywhere (reports, the cache, logs,
/// errors): without the user name and password of its authority, its
/// query and its fragment, where URLs carry credentials (`user:token@host`,
/// a pre-signed `?sig=…`). Works on any text shaped like a URL, templates
/// with `{name}` included.
pub fn redact_url(text: &str) -> String {
    let text = text.find(['?', '#']).map_or(text, |end| &text[..end]);
    let Some(scheme_end) = text.find("://").map(|at| at + 3) else {
        return text.to_string();
    };
    let (scheme, rest) = text.split_at(scheme_end);
    let authority = rest.find(['/', '\\']).map_or(rest, |end| &rest[..end]);
    match authority.rfind('@') {
        Some(at) => format!("{scheme}{}", &rest[at + 1..]),
        None => text.to_string(),
    }
}

/// `text` (a message from another program, such as git's) with every URL
/// in it redacted by [`redact_url`]: a URL runs from its scheme to the
/// first space, quote or bracket.
pub fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |i| i + 1);
        let end = rest[at..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>' | '(' | ')')
            })
            .map_or(rest.len(), |i| at + i);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_in_a_message_is_redacted() {
        for (text, shown) in [
            (
                "fatal: unable to access 'https://ci:SECRET@mirror.example/o/r?token=T2/': error",
                "fatal: unable to access 'https://mirror.example/o/r': error",
            ),
            (
                "fatal: repository https://u:p@h/x?token=T2 not found; also git+https://a@b/c#f",
                "fatal: repository https://h/x not found; also git+https://b/c",
            ),
            ("no url here? token=x", "no url here? token=x"),
            ("ends with http://u:p@h", "ends with http://h"),
        ] {
            assert_eq!(redact_urls_in(text), shown, "{text}");
        }
    }
}
