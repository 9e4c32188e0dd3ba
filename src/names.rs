//! One validator per kind of name that arrives from outside (a lockfile, a
//! registry's answer, a policy, a certificate) and is put into a URL, a
//! file name or a comparison: package names, versions, GitHub owner and
//! repository names, URL path segments, and the hosts whose repositories
//! sit at `OWNER/REPO`. Every reader of such a name asks here.

/// Hosts whose repositories are always at `https://HOST/OWNER/REPO`, so a
/// longer path is a page of the repository (`/tree/main/sub`) and `www.`
/// is only another spelling of the host.
pub const OWNER_REPO_HOSTS: [&str; 4] =
    ["github.com", "gitlab.com", "codeberg.org", "bitbucket.org"];

/// `host` (lowercase) without a `www.` in front of one of
/// [`OWNER_REPO_HOSTS`]; any other host as it is.
pub fn owner_repo_host(host: &str) -> &str {
    match host.strip_prefix("www.") {
        Some(bare) if OWNER_REPO_HOSTS.contains(&bare) => bare,
        _ => host,
    }
}

/// A character of a package name: an ASCII letter or digit, `-` or `_`.
pub fn is_package_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Package names as cargo and crates.io accept them: ASCII letters, digits,
/// `-` and `_`, at most 64 characters. Anything else (a `/`, `..`, a NUL)
/// could not have come from cargo and must never reach a URL or a file
/// path.
pub fn is_package_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(is_package_name_char)
}

/// A version as semver writes it, plain enough to be put into a URL or a
/// file name as is: ASCII letters, digits, `.`, `-` and `+`, not starting
/// with `.`.
pub fn is_plain_version(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('.')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
}

/// A GitHub owner (user or organisation) or repository name, as it may be
/// put into an API path: ASCII letters, digits, `-`, `_` and `.`, not
/// starting with `.` (so never `.` or `..`), at most 100 characters.
pub fn is_github_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Why a URL path segment has no normal form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("`{0}` has a malformed percent escape")]
    MalformedEscape(String),
    #[error("`{0}` has an encoded `/` or `\\`")]
    EncodedSeparator(String),
    #[error("a `.` or `..` path segment (which would name another path) is not allowed")]
    DotSegment,
}

/// Characters RFC 3986 §2.3 leaves unreserved: their percent-encoded and
/// plain forms are the same URL.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// The value of one hex digit.
fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// One URL path segment in normal form: percent-encoded unreserved
/// characters decoded, every other escape in uppercase hex.
///
/// Refused: a malformed escape, an encoded `/` or `\` (a separator the
/// server may decode), and a `.` or `..` segment in any spelling (`%2e`,
/// `.%2E`, …), which a server or client resolves to another path.
pub fn normalize_segment(segment: &str) -> Result<String, SegmentError> {
    let bytes = segment.as_bytes();
    let mut out = String::with_capacity(segment.len());
    let mut decoded = Vec::with_capacity(segment.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(char::from(bytes[i]));
            decoded.push(bytes[i]);
            i += 1;
            continue;
        }
        let value = match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(&high), Some(&low)) => hex_value(high)
                .zip(hex_value(low))
                .map(|(high, low)| high << 4 | low),
            _ => None,
        }
        .ok_or_else(|| SegmentError::MalformedEscape(segment.to_string()))?;
        if matches!(value, b'/' | b'\\') {
            return Err(SegmentError::EncodedSeparator(segment.to_string()));
        }
        if is_unreserved(value) {
            out.push(char::from(value));
        } else {
            out.push_str(&format!("%{value:02X}"));
        }
        decoded.push(value);
        i += 3;
    }
    if decoded == b"." || decoded == b".." {
        return Err(SegmentError::DotSegment);
    }
    Ok(out)
}

/// Whether one path segment is `.` or `..` in any spelling (`%2e`,
/// `.%2E`, …).
pub fn is_dot_segment(segment: &str) -> bool {
    let plain = segment.to_ascii_lowercase().replace("%2e", ".");
    plain == "." || plain == ".."
}

/// Whether any `/`-separated part of `text` is `.` or `..` in any spelling.
pub fn has_dot_segment(text: &str) -> bool {
    text.split('/').any(is_dot_segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_cargo_s() {
        for good in ["serde", "serde_json", "a-b", "X1", &"a".repeat(64)] {
            assert!(is_package_name(good), "{good}");
        }
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            "a b",
            "%2e",
            ".hidden",
            "a.b",
            "a\0",
            &"a".repeat(65),
        ] {
            assert!(!is_package_name(bad), "{bad}");
        }
    }

    #[test]
    fn versions_are_plain_semver_text() {
        assert!(is_plain_version("1.0.0-rc.1+build.5"));
        for bad in ["", ".1", "1/0", "1 0", "1%2e0", "1_0"] {
            assert!(!is_plain_version(bad), "{bad}");
        }
    }

    #[test]
    fn github_names_stay_one_path_segment() {
        for good in ["tokio-rs", "rust-lang", "my_org", "x.y"] {
            assert!(is_github_name(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "a/b",
            "a b",
            "a%2f",
            &"a".repeat(101),
        ] {
            assert!(!is_github_name(bad), "{bad}");
        }
    }

    #[test]
    fn dot_segments_in_any_spelling() {
        for dot in [".", "..", "%2e", "%2E%2e", ".%2E"] {
            assert!(is_dot_segment(dot), "{dot}");
            assert_eq!(
                normalize_segment(dot),
                Err(SegmentError::DotSegment),
                "{dot}"
            );
        }
        assert!(has_dot_segment("/a/%2e%2e/b") && !has_dot_segment("/a/...b/c"));
        assert_eq!(normalize_segment("%70ayload").as_deref(), Ok("payload"));
        assert_eq!(normalize_segment("a%2bb").as_deref(), Ok("a%2Bb"));
        assert!(matches!(
            normalize_segment("a%2fb"),
            Err(SegmentError::EncodedSeparator(_))
        ));
        assert!(matches!(
            normalize_segment("%zz"),
            Err(SegmentError::MalformedEscape(_))
        ));
    }

    #[test]
    fn www_is_another_spelling_of_an_owner_repo_host_only() {
        assert_eq!(owner_repo_host("www.github.com"), "github.com");
        assert_eq!(owner_repo_host("github.com"), "github.com");
        assert_eq!(owner_repo_host("www.example.org"), "www.example.org");
    }
}
