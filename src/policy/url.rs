//! URLs reduced to one text per location before a policy compares them.
//!
//! A URL from a lockfile, a registry or a certificate is outside input: the
//! same repository can be written many ways (`%6D`, `My-Org`, `/./`,
//! `x.git/`), and a path such as `my-org/../evil` names another repository
//! than its first segments suggest. Policy patterns are therefore matched
//! against [`normalize`]'s output, never the text as written, and a URL it
//! cannot make sense of matches nothing.

use crate::names::{normalize_segment, owner_repo_host, SegmentError};

/// Why a URL has no normal form (and so matches nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// A path segment with a malformed escape, an encoded separator, or
    /// `.` / `..` in any spelling.
    #[error(transparent)]
    Segment(#[from] SegmentError),
    #[error("the path is not absolute")]
    RelativePath,
    #[error("an empty path segment (`//`) is not allowed")]
    EmptySegment,
    #[error("the URL contains whitespace, which no URL written by cargo has")]
    Whitespace,
    #[error("the URL contains `{}`, which no URL written by cargo has", .0.escape_default())]
    Unprintable(char),
    #[error("the URL contains a backslash")]
    Backslash,
    #[error("not a `scheme://host/path` URL")]
    NotHierarchical,
    #[error("the URL has no host")]
    NoHost,
    #[error("not a URL: {0}")]
    Parse(#[from] url::ParseError),
    #[error("the URL carries a password")]
    Password,
    /// A pattern with a segment no normalised URL has.
    #[error(
        "{0}: URLs are compared with such segments refused, so this pattern could never match"
    )]
    PatternNeverMatches(Box<UrlError>),
}

/// Remove a trailing `/`, then `.git`, then `/`.
fn strip_trailing_git(text: &mut String) {
    while text.ends_with('/') {
        text.pop();
    }
    if let Some(stripped) = text.strip_suffix(".git") {
        text.truncate(stripped.len());
    }
    while text.ends_with('/') {
        text.pop();
    }
}

/// The path in normal form: each segment through [`normalize_segment`],
/// then a trailing `/`, a `.git` suffix and a `/` before it removed. An
/// empty segment inside the path (`a//b`) is refused.
fn normalize_path(path: &str) -> Result<String, UrlError> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = String::with_capacity(path.len());
    for (i, segment) in segments.iter().enumerate() {
        if i == 0 {
            // The text before the first `/`: empty for an absolute path.
            if !segment.is_empty() {
                return Err(UrlError::RelativePath);
            }
            continue;
        }
        let last = i + 1 == segments.len();
        if segment.is_empty() && !last {
            return Err(UrlError::EmptySegment);
        }
        out.push('/');
        out.push_str(&normalize_segment(segment)?);
    }
    strip_trailing_git(&mut out);
    Ok(out)
}

/// A URL reduced to the form policy patterns match:
/// `scheme://[user@]host[:port]/path`, with
/// 1. the query (`?branch=…`) and fragment (`#commit`) removed;
/// 2. the scheme and host in lowercase, a default port dropped (by the
///    `url` crate's parser), and `www.` dropped before the hosts whose
///    repositories sit at `OWNER/REPO` ([`crate::names::OWNER_REPO_HOSTS`]),
///    as every reader of a repository URL drops it;
/// 3. percent-encoded unreserved characters decoded, other escapes in
///    uppercase hex;
/// 4. a trailing `/`, then `.git`, then `/` removed.
///
/// Refused, with the reason, before anything is parsed (the `url` crate
/// would resolve dot segments and backslashes silently): a character that
/// is not printable ASCII (whitespace, controls, raw Unicode), a backslash,
/// a text without `scheme://`, a `.` or `..` path segment in any spelling,
/// an encoded `/` or `\`, a malformed escape, an empty path segment, a
/// password, or anything else the parser rejects.
pub fn normalize(text: &str) -> Result<String, UrlError> {
    if let Some(bad) = text.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(if bad.is_whitespace() {
            UrlError::Whitespace
        } else {
            UrlError::Unprintable(bad)
        });
    }
    if text.contains('\\') {
        return Err(UrlError::Backslash);
    }
    let without_fragment = text.split_once('#').map_or(text, |(url, _)| url);
    let bare = without_fragment
        .split_once('?')
        .map_or(without_fragment, |(url, _)| url);
    let (scheme, rest) = bare
        .split_once("://")
        .filter(|(scheme, _)| {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
        .ok_or(UrlError::NotHierarchical)?;
    let (authority, raw_path) = rest
        .find('/')
        .map_or((rest, ""), |start| rest.split_at(start));
    if authority.is_empty() && !scheme.eq_ignore_ascii_case("file") {
        // `https:///x` would be read as host `x`.
        return Err(UrlError::NoHost);
    }
    let path = normalize_path(raw_path)?;
    let url = url::Url::parse(bare)?;
    if url.cannot_be_a_base() {
        return Err(UrlError::NotHierarchical);
    }
    if url.password().is_some() {
        return Err(UrlError::Password);
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = owner_repo_host(&host);
    if host.is_empty() && !scheme.eq_ignore_ascii_case("file") {
        return Err(UrlError::NoHost);
    }
    let mut out = format!("{}://", url.scheme());
    if !url.username().is_empty() {
        out.push_str(url.username());
        out.push('@');
    }
    out.push_str(host);
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(&path);
    Ok(out)
}

/// A URL glob in the normal form of [`normalize`], so that a pattern and a
/// URL written differently for the same place compare equal: the scheme and
/// host lowercased (`www.` dropped as [`normalize`] drops it), escapes
/// normalised, a trailing `/` or `.git` removed.
///
/// Refused: a `.` or `..` path segment, which no normalised URL has (the
/// pattern could never match).
pub fn normalize_pattern(pattern: &str) -> Result<String, UrlError> {
    let (prefix, path) = match pattern.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
            let authority = authority.to_ascii_lowercase();
            (
                format!(
                    "{}://{}",
                    scheme.to_ascii_lowercase(),
                    owner_repo_host(&authority)
                ),
                path,
            )
        }
        None => (String::new(), pattern),
    };
    let mut segments = Vec::new();
    for segment in path.split('/') {
        segments.push(
            normalize_segment(segment)
                .map_err(|reason| UrlError::PatternNeverMatches(Box::new(reason.into())))?,
        );
    }
    let mut out = prefix + &segments.join("/");
    strip_trailing_git(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_location_has_one_normal_form() {
        for (url, expected) in [
            (
                "https://github.com/my-org/payload",
                "https://github.com/my-org/payload",
            ),
            (
                "HTTPS://GitHub.COM/my-org/payload.git/?branch=main#abc",
                "https://github.com/my-org/payload",
            ),
            (
                "https://github.com:443/my-org/%70ayload",
                "https://github.com/my-org/payload",
            ),
            (
                "https://github.com/my-org/a%2bb",
                "https://github.com/my-org/a%2Bb",
            ),
            (
                "ssh://git@GitHub.com/my-org/x.git",
                "ssh://git@github.com/my-org/x",
            ),
            ("https://example.com:8443/x/", "https://example.com:8443/x"),
            ("file:///srv/git/x.git", "file:///srv/git/x"),
            ("https://github.com", "https://github.com"),
            (
                "https://WWW.GitHub.com/my-org/payload",
                "https://github.com/my-org/payload",
            ),
            ("https://www.example.org/x", "https://www.example.org/x"),
        ] {
            assert_eq!(normalize(url).as_deref(), Ok(expected), "{url}");
        }
    }

    #[test]
    fn what_cannot_be_made_sense_of_is_refused() {
        for url in [
            "https://github.com/my-org/../evil/payload",
            "https://github.com/my-org/%2e%2e/evil",
            "https://github.com/my-org/%2E%2E/evil",
            "https://github.com/my-org/.%2e/evil",
            "https://github.com/my-org/%2e./evil",
            "https://github.com/my-org/./x",
            "https://github.com/my-org/%2e/x",
            "https://github.com/my-org/..",
            "https://github.com/my-org/a%2f..%2fevil",
            "https://github.com/my-org/a%5Cb",
            "https://github.com/my-org\\..\\evil/x",
            "https://github.com/my-org//evil",
            "https://github.com/my-org/%zz",
            "https://github.com/my-org/%2",
            "https://github.com/my-org/\u{202e}x",
            "https://github.com/my-org/a b",
            "https://github.com/my-org/a\tb",
            "https://user:secret@github.com/my-org/x",
            "git@github.com:my-org/x.git",
            "https:///my-org/x",
            // A scheme starts with a letter and holds only letters, digits,
            // `+`, `-` and `.` (RFC 3986, 3.1).
            "1https://github.com/my-org/x",
            "+git://github.com/my-org/x",
            "ht_tps://github.com/my-org/x",
            "",
        ] {
            assert!(normalize(url).is_err(), "{url:?}: {:?}", normalize(url));
        }
    }

    #[test]
    fn patterns_take_the_same_form_and_dot_segments_are_refused() {
        assert_eq!(
            normalize_pattern("HTTPS://GitHub.com/my-org/*.git/").as_deref(),
            Ok("https://github.com/my-org/*")
        );
        assert_eq!(
            normalize_pattern("https://www.github.com/my-org/*").as_deref(),
            Ok("https://github.com/my-org/*")
        );
        assert_eq!(
            normalize_pattern("https://github.com/my-org/%7Bx%7d").as_deref(),
            Ok("https://github.com/my-org/%7Bx%7D")
        );
        for pattern in [
            "https://github.com/my-org/../*",
            "https://github.com/my-org/%2e%2e/*",
        ] {
            assert!(normalize_pattern(pattern).is_err(), "{pattern}");
        }
    }
}
