//! The manifest's `repository`, read in normal form: the URL git is asked
//! to fetch and the one results are keyed and shown by.

use crate::names::{is_dot_segment, owner_repo_host, OWNER_REPO_HOSTS};

/// Why a repository URL has no normal form (and is not fetched).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepositoryUrlError {
    #[error("the URL contains whitespace or a control character")]
    Whitespace,
    #[error("the URL's path has a `.` or `..` segment")]
    DotSegment,
    #[error("not a URL: {0}")]
    NotAUrl(#[from] url::ParseError),
    #[error("the URL carries a password")]
    Password,
    #[error("the URL has no host")]
    NoHost,
    #[error("only https repositories are fetched, not `{0}`")]
    Scheme(String),
    #[error("the URL names no repository (no path)")]
    NoPath,
    #[error("the URL's path has an empty, `.` or `..` segment")]
    BadSegment,
    #[error("the URL names no repository (no `OWNER/REPO`)")]
    NoOwnerRepo,
    #[error("the URL names no repository")]
    NoRepository,
}

/// `text` as `https://host[:port]/path`:
/// 1. surrounding whitespace, a `git+` prefix, the user name, the query
///    and the fragment dropped; `git@HOST:PATH` read as `https://HOST/PATH`,
///    and `HOST/PATH` too for the hosts in [`OWNER_REPO_HOSTS`];
/// 2. the host in lowercase, `www.` dropped for the hosts in
///    [`OWNER_REPO_HOSTS`], and `http` or `ssh` read as `https` for them;
/// 3. a page of the repository cut off: after `OWNER/REPO` on those hosts,
///    at `/-/` (GitLab), and at a `/tree/` or `/src/` segment elsewhere;
/// 4. a trailing `/`, then `.git`, then `/` removed.
///
/// Refused, with the reason: whitespace or control characters inside, a
/// scheme other than `https` (except as in 2), a password, no host, a `.`,
/// `..` or empty path segment, no path.
pub fn normalize_repository(text: &str) -> Result<String, RepositoryUrlError> {
    let text = text.trim();
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(RepositoryUrlError::Whitespace);
    }
    let text = text.strip_prefix("git+").unwrap_or(text);
    let rewritten;
    let text = match scp_like(text) {
        Some(url) => {
            rewritten = url;
            rewritten.as_str()
        }
        None => text,
    };
    // Checked before parsing: the parser would resolve them silently.
    let before_query = text.split(['?', '#']).next().unwrap_or_default();
    if before_query.split('/').skip(3).any(is_dot_segment) {
        return Err(RepositoryUrlError::DotSegment);
    }
    let url = url::Url::parse(text)?;
    if url.password().is_some() {
        return Err(RepositoryUrlError::Password);
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(RepositoryUrlError::NoHost)?
        .to_ascii_lowercase();
    let host = owner_repo_host(&host);
    let known = OWNER_REPO_HOSTS.contains(&host);
    match url.scheme() {
        "https" => {}
        "http" | "ssh" if known => {}
        other => return Err(RepositoryUrlError::Scheme(other.to_string())),
    }
    let path = repository_path(url.path(), known)?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("https://{host}{port}/{path}"))
}

/// `git@host:owner/repo.git`, or `github.com/owner/repo` on a host of
/// [`OWNER_REPO_HOSTS`], as an https URL.
fn scp_like(text: &str) -> Option<String> {
    if text.contains("://") {
        return None;
    }
    if let Some((host, _)) = text.split_once('/') {
        if OWNER_REPO_HOSTS.contains(&owner_repo_host(&host.to_ascii_lowercase())) {
            return Some(format!("https://{text}"));
        }
    }
    let (user_host, path) = text.split_once(':')?;
    let host = user_host.rsplit_once('@').map_or(user_host, |(_, h)| h);
    (!host.is_empty() && !path.starts_with('/')).then(|| format!("https://{host}/{path}"))
}

/// The repository's path, without the leading `/`, a page of it, or `.git`.
fn repository_path(path: &str, owner_repo_host: bool) -> Result<String, RepositoryUrlError> {
    let trimmed = path.trim_matches('/');
    let mut segments: Vec<&str> = trimmed.split('/').collect();
    if trimmed.is_empty() {
        return Err(RepositoryUrlError::NoPath);
    }
    if segments.iter().any(|s| s.is_empty() || is_dot_segment(s)) {
        return Err(RepositoryUrlError::BadSegment);
    }
    if owner_repo_host && segments.len() < 2 {
        return Err(RepositoryUrlError::NoOwnerRepo);
    }
    if owner_repo_host && segments.len() > 2 {
        let gitlab_group = segments.iter().position(|s| *s == "-");
        segments.truncate(gitlab_group.unwrap_or(2).max(2));
    } else if let Some(page) = segments
        .iter()
        .enumerate()
        .position(|(i, s)| i >= 1 && (*s == "-" || *s == "tree" || *s == "src"))
    {
        segments.truncate(page);
    }
    let mut joined = segments.join("/");
    if let Some(stripped) = joined.strip_suffix(".git") {
        joined = stripped.trim_end_matches('/').to_string();
    }
    if joined.is_empty() {
        return Err(RepositoryUrlError::NoRepository);
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::normalize_repository as n;

    #[test]
    fn repository_urls_are_read_in_normal_form() {
        for (written, normal) in [
            (
                "https://github.com/servo/rust-url/",
                "https://github.com/servo/rust-url",
            ),
            (
                "https://github.com/servo/rust-url.git",
                "https://github.com/servo/rust-url",
            ),
            (
                "https://GitHub.com/servo/rust-url/tree/main/idna",
                "https://github.com/servo/rust-url",
            ),
            ("http://www.github.com/o/r#readme", "https://github.com/o/r"),
            ("git@github.com:o/r.git", "https://github.com/o/r"),
            ("ssh://git@github.com/o/r.git", "https://github.com/o/r"),
            ("www.github.com/o/r", "https://github.com/o/r"),
            ("git+https://github.com/o/r?x=1", "https://github.com/o/r"),
            (
                "https://gitlab.com/g/sub/r/-/tree/main",
                "https://gitlab.com/g/sub/r",
            ),
            (
                "https://user@codeberg.org/o/r/src/branch/main",
                "https://codeberg.org/o/r",
            ),
            (
                "https://git.example.org:8443/a/b/c.git/",
                "https://git.example.org:8443/a/b/c",
            ),
            (
                "https://git.example.org/a/b/tree/main",
                "https://git.example.org/a/b",
            ),
            (" https://github.com/o/r ", "https://github.com/o/r"),
        ] {
            assert_eq!(n(written).as_deref(), Ok(normal), "{written}");
        }
    }

    #[test]
    fn what_cannot_be_fetched_safely_is_refused() {
        for bad in [
            "http://git.example.org/a/b",
            "ssh://git@git.example.org/a/b",
            "git.example.org/a/b",
            "https://github.com/o/%2e%2e/r",
            "file:///etc",
            "https://u:p@github.com/o/r",
            "https://github.com/",
            "https://github.com/o/../r",
            "https://github.com/o//r",
            "https://github.com/o/\nr",
            "not a url",
        ] {
            assert!(n(bad).is_err(), "{bad}");
        }
    }
}
