//! The values a policy compares claims with: globs, repository URLs, IDs,
//! runners and visibilities. Each parses from the policy text (with an error
//! message for a bad value) and matches a claim.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::url::UrlError;

/// Why a text from a policy is not the value it should be (a glob, a
/// repository or owner URL, an ID, a commit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    #[error("an empty pattern matches nothing")]
    EmptyPattern,
    #[error("unclosed `[`: a character class needs a closing `]`")]
    UnclosedClass,
    #[error("`}}` without an opening `{{`")]
    UnopenedAlternates,
    #[error("unclosed `{{`: alternatives need a closing `}}`")]
    UnclosedAlternates,
    #[error("alternatives `{{…}}` cannot be nested")]
    NestedAlternates,
    #[error("a `\\` at the end escapes nothing")]
    DanglingEscape,
    #[error("`{0}-{1}` is not a valid character range")]
    InvalidRange(char, char),
    /// Any other pattern globset refuses, in its words.
    #[error("{0}")]
    Pattern(String),
    #[error(
        "`{}` cannot appear in a package name (letters, digits, `-` and `_` only, plus glob wildcards)",
        .0.escape_default()
    )]
    PackageNameCharacter(char),
    /// A URL pattern with no normal form.
    #[error(transparent)]
    UrlPattern(UrlError),
    #[error("`{0}` is not an https:// URL")]
    NotHttpUrl(String),
    #[error("`{0}` has no host")]
    NoHost(String),
    #[error("`{0}` contains whitespace")]
    Whitespace(String),
    #[error("`{text}`: {reason}")]
    Url { text: String, reason: UrlError },
    #[error("`{0}` is not a GitHub repository URL (https://github.com/OWNER/REPO)")]
    NotGitHubRepository(String),
    #[error("`{0}` is not a GitHub owner URL (https://github.com/OWNER)")]
    NotGitHubOwner(String),
    #[error("`{0}` is not a numeric ID")]
    NotNumericId(String),
    #[error("an ID is a positive number")]
    ZeroId,
    #[error("`{0}` is not a commit SHA (40 or 64 hex digits)")]
    NotCommitSha(String),
}

/// A glob: `*` any run of characters (including `/`, except in a URL
/// glob), `?` one character, `[…]` a set, `{a,b}` alternatives. Without a
/// wildcard, an exact match.
#[derive(Debug, Clone)]
pub struct Glob {
    /// As written in the policy.
    text: String,
    /// What is matched: the text, or for a URL glob its normal form.
    pattern: String,
    /// `None` for a pattern without wildcards (compared as a string).
    matcher: Option<globset::GlobMatcher>,
}

impl Glob {
    /// Parse a glob.
    pub fn new(text: &str) -> Result<Self, ValueError> {
        Self::build(text, text.to_string(), false)
    }

    /// A glob over paths inside a package (`source-allow`): a `*` or `?`
    /// never matches a `/`, a `**` segment matches any number of folders.
    pub fn path(text: &str) -> Result<Self, ValueError> {
        Self::build(text, text.to_string(), true)
    }

    /// A glob over URLs (`[git] allow`), matched against URLs in the normal
    /// form of `super::url::normalize`: the pattern is put in the same
    /// form, and a `*` or `?` never matches a `/` (a `**` segment matches
    /// any number of segments).
    pub fn url(text: &str) -> Result<Self, ValueError> {
        let pattern = super::url::normalize_pattern(text).map_err(ValueError::UrlPattern)?;
        Self::build(text, pattern, true)
    }

    fn build(text: &str, pattern: String, literal_separator: bool) -> Result<Self, ValueError> {
        if text.is_empty() {
            return Err(ValueError::EmptyPattern);
        }
        if !pattern.contains(['*', '?', '[', ']', '{', '}', '\\']) {
            return Ok(Self {
                text: text.to_string(),
                pattern,
                matcher: None,
            });
        }
        let glob = globset::GlobBuilder::new(&pattern)
            .literal_separator(literal_separator)
            .backslash_escape(true)
            .empty_alternates(false)
            .build()
            .map_err(|e| match e.kind() {
                globset::ErrorKind::UnclosedClass => ValueError::UnclosedClass,
                globset::ErrorKind::UnopenedAlternates => ValueError::UnopenedAlternates,
                globset::ErrorKind::UnclosedAlternates => ValueError::UnclosedAlternates,
                globset::ErrorKind::NestedAlternates => ValueError::NestedAlternates,
                globset::ErrorKind::DanglingEscape => ValueError::DanglingEscape,
                globset::ErrorKind::InvalidRange(a, b) => ValueError::InvalidRange(*a, *b),
                other => ValueError::Pattern(other.to_string()),
            })?;
        Ok(Self {
            text: text.to_string(),
            pattern,
            matcher: Some(glob.compile_matcher()),
        })
    }

    /// A glob over package names: also rejects characters no crate name has.
    pub fn package_name(text: &str) -> Result<Self, ValueError> {
        if let Some(bad) = text
            .chars()
            .find(|c| !(crate::names::is_package_name_char(*c) || "*?[]{},!^".contains(*c)))
        {
            return Err(ValueError::PackageNameCharacter(bad));
        }
        Self::new(text)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern has no wildcard.
    pub fn is_literal(&self) -> bool {
        self.matcher.is_none()
    }

    /// How many characters every text the pattern matches has literally,
    /// from the parsed pattern: the more, the more specific the pattern.
    /// A literal or escaped character counts one; `*`, `?` and a class
    /// `[…]` count nothing (they are not literal); `{a,b}` counts its
    /// alternative with the fewest.
    pub(crate) fn literal_len(&self) -> usize {
        literal_len(&self.pattern)
    }

    pub fn is_match(&self, text: &str) -> bool {
        match &self.matcher {
            None => self.pattern == text,
            Some(m) => m.is_match(text),
        }
    }
}

/// [`Glob::literal_len`] of a pattern (or of one alternative of `{…}`).
fn literal_len(pattern: &str) -> usize {
    let mut chars = pattern.chars();
    let mut count = 0;
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' => {}
            '\\' => count += usize::from(chars.next().is_some()),
            '[' => {
                // A `]` right after `[` or `[!`/`[^` is a member, not the end.
                let mut negation = true;
                let mut members = 0;
                for c in chars.by_ref() {
                    if negation && matches!(c, '!' | '^') {
                        negation = false;
                        continue;
                    }
                    negation = false;
                    if c == ']' && members > 0 {
                        break;
                    }
                    members += 1;
                }
            }
            '{' => {
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    inner.push(c);
                }
                count += inner.split(',').map(literal_len).min().unwrap_or(0);
            }
            _ => count += 1,
        }
    }
    count
}

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Glob {}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Any of several globs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobList(pub Vec<Glob>);

impl GlobList {
    pub fn is_match(&self, text: &str) -> bool {
        self.0.iter().any(|g| g.is_match(text))
    }
}

impl fmt::Display for GlobList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_one_of(f, self.0.iter().map(Glob::as_str))
    }
}

/// `a`, or `one of a, b, c`.
pub(crate) fn write_one_of<'a>(
    f: &mut fmt::Formatter<'_>,
    items: impl ExactSizeIterator<Item = &'a str>,
) -> fmt::Result {
    if items.len() == 1 {
        for item in items {
            f.write_str(item)?;
        }
        return Ok(());
    }
    f.write_str("one of ")?;
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(item)?;
    }
    Ok(())
}

/// Check an `http(s)://host/…` URI that is compared, never fetched (a
/// repository, a predicate type). What is fetched is held to
/// [`crate::http::rules`] instead.
pub fn check_uri(text: &str) -> Result<(), ValueError> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| ValueError::NotHttpUrl(text.to_string()))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(ValueError::NoHost(text.to_string()));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ValueError::Whitespace(text.to_string()));
    }
    Ok(())
}

/// A repository or owner URL, compared in the normal form of
/// `super::url::normalize` and without regard to case (GitHub names are
/// case-insensitive): `https://github.com/Serde-RS/serde.git/` is
/// `https://github.com/serde-rs/serde`. A claimed URL that cannot be
/// normalised (a `..` segment, an encoded `/`, …) matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoUrl {
    /// As written in the policy.
    pub text: String,
    normalized: String,
}

impl RepoUrl {
    /// Parse a repository URL (`segments`: how many path segments GitHub's
    /// form has: 2 for a repository, 1 for an owner; checked for github.com only).
    pub fn new(text: &str, segments: usize) -> Result<Self, ValueError> {
        check_uri(text)?;
        let normalized = normalize_repo_url(text).map_err(|reason| ValueError::Url {
            text: text.to_string(),
            reason,
        })?;
        if let Some(path) = normalized.strip_prefix("https://github.com/") {
            let count = path.split('/').count();
            if count != segments {
                return Err(if segments == 2 {
                    ValueError::NotGitHubRepository(text.to_string())
                } else {
                    ValueError::NotGitHubOwner(text.to_string())
                });
            }
        }
        Ok(Self {
            text: text.to_string(),
            normalized,
        })
    }

    pub fn is_match(&self, claim: &str) -> bool {
        normalize_repo_url(claim).is_ok_and(|claim| claim == self.normalized)
    }

    /// Whether the claimed repository URL lies under this owner (in
    /// normal form); a claim without one does not.
    pub(crate) fn contains_claim(&self, repository: &str) -> bool {
        normalize_repo_url(repository).is_ok_and(|normal| {
            normal
                .strip_prefix(&self.normalized)
                .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// Whether `repository` lies under this owner.
    pub fn contains(&self, repository: &RepoUrl) -> bool {
        repository
            .normalized
            .strip_prefix(&self.normalized)
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// A repository URL in the normal form of [`super::url::normalize`] (no
/// query or fragment, no trailing `/` or `.git`), lowercased; an error for
/// a URL that cannot be normalised.
pub fn normalize_repo_url(url: &str) -> Result<String, UrlError> {
    super::url::normalize(url.trim()).map(|normal| normal.to_ascii_lowercase())
}

/// Whether two repository URLs name the same repository (both normalise,
/// to the same text).
pub fn same_repository(a: &str, b: &str) -> bool {
    matches!((normalize_repo_url(a), normalize_repo_url(b)), (Ok(a), Ok(b)) if a == b)
}

/// The owner URL of a repository URL: `https://github.com/o/r` →
/// `https://github.com/o`; `None` when the URL cannot be normalised.
pub fn owner_of(repository: &str) -> Option<String> {
    let normalized = normalize_repo_url(repository).ok()?;
    let (owner, name) = normalized.rsplit_once('/')?;
    (!name.is_empty() && owner.matches('/').count() >= 3).then(|| owner.to_string())
}

/// A numeric repository or owner ID.
pub fn parse_id(text: &str) -> Result<String, ValueError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) || trimmed.len() > 20 {
        return Err(ValueError::NotNumericId(text.to_string()));
    }
    let trimmed = trimmed.trim_start_matches('0');
    if trimmed.is_empty() {
        return Err(ValueError::ZeroId);
    }
    Ok(trimmed.to_string())
}

/// Whether a claimed ID equals a policy ID (ignoring leading zeros).
pub fn id_matches(policy: &str, claim: &str) -> bool {
    parse_id(claim).is_ok_and(|c| c == policy)
}

/// A commit SHA: 40 (SHA-1) or 64 (SHA-256) hex digits, lowercased.
pub fn parse_digest(text: &str) -> Result<String, ValueError> {
    let lower = text.to_ascii_lowercase();
    if !(lower.len() == 40 || lower.len() == 64) || !lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ValueError::NotCommitSha(text.to_string()));
    }
    Ok(lower)
}

/// Where a build ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runner {
    GithubHosted,
    SelfHosted,
    Any,
}

impl Runner {
    pub const NAMES: [&'static str; 3] = ["github-hosted", "self-hosted", "any"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "github-hosted" => Some(Self::GithubHosted),
            "self-hosted" => Some(Self::SelfHosted),
            "any" => Some(Self::Any),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GithubHosted => "github-hosted",
            Self::SelfHosted => "self-hosted",
            Self::Any => "any",
        }
    }

    /// Whether a runner-environment claim satisfies this.
    pub fn is_match(self, claim: Option<&str>) -> bool {
        match self {
            Self::Any => true,
            _ => claim == Some(self.as_str()),
        }
    }
}

/// Repository visibility at signing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    Public,
    Private,
    Internal,
}

impl Visibility {
    pub const NAMES: [&'static str; 3] = ["public", "private", "internal"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "public" => Some(Self::Public),
            "private" => Some(Self::Private),
            "internal" => Some(Self::Internal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
            Self::Internal => "internal",
        }
    }
}

/// The events that can start a GitHub Actions workflow.
pub const GITHUB_EVENTS: &[&str] = &[
    "branch_protection_rule",
    "check_run",
    "check_suite",
    "create",
    "delete",
    "deployment",
    "deployment_status",
    "discussion",
    "discussion_comment",
    "fork",
    "gollum",
    "issue_comment",
    "issues",
    "label",
    "merge_group",
    "milestone",
    "page_build",
    "public",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "pull_request_target",
    "push",
    "registry_package",
    "release",
    "repository_dispatch",
    "schedule",
    "status",
    "watch",
    "workflow_call",
    "workflow_dispatch",
    "workflow_run",
];

/// The path of a workflow within its repository, from a build config URI
/// (`https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1`) and the
/// source repository URI: `.github/workflows/x.yml`.
pub fn workflow_path<'a>(build_config_uri: &'a str, repository: Option<&str>) -> &'a str {
    let without_ref = build_config_uri
        .rsplit_once('@')
        .map_or(build_config_uri, |(path, _)| path);
    if let Some(repository) = repository {
        let repository = repository.trim_end_matches('/');
        if without_ref.len() > repository.len()
            && without_ref.is_char_boundary(repository.len())
            && without_ref[..repository.len()].eq_ignore_ascii_case(repository)
        {
            return without_ref[repository.len()..].trim_start_matches('/');
        }
    }
    crate::verify::CertificateClaims::workflow_path(build_config_uri).unwrap_or(without_ref)
}

/// What a `workflow` pin is matched against: the path of the workflow
/// within the source repository, only when the build config URI lies in
/// that repository (the repository part compared without case, followed by
/// a `/`). `None` when it does not, when there is no repository to compare
/// with, or when the URI has a `.` or `..` segment: a workflow in another
/// repository never satisfies a pin on this one's, whatever the path.
pub fn workflow_in_repository<'a>(
    build_config_uri: &'a str,
    repository: Option<&str>,
) -> Option<&'a str> {
    if crate::names::has_dot_segment(build_config_uri) {
        return None;
    }
    let without_ref = build_config_uri
        .rsplit_once('@')
        .map_or(build_config_uri, |(path, _)| path);
    let repository = repository?.trim_end_matches('/');
    let rest = without_ref
        .get(..repository.len())
        .filter(|prefix| prefix.eq_ignore_ascii_case(repository))
        .map(|_| &without_ref[repository.len()..])?;
    let path = rest.strip_prefix('/')?.trim_start_matches('/');
    (!path.is_empty()).then_some(path)
}

/// Whether a `signer-workflow` pattern matches a build signer URI: a pattern
/// with `@` matches the whole URI, one without matches the URI without its ref.
/// A URI with a `.` or `..` segment in any spelling matches nothing.
pub fn signer_matches(pattern: &Glob, signer_uri: &str) -> bool {
    if crate::names::has_dot_segment(signer_uri) {
        return false;
    }
    if pattern.as_str().contains('@') {
        pattern.is_match(signer_uri)
    } else {
        let without_ref = signer_uri
            .rsplit_once('@')
            .map_or(signer_uri, |(path, _)| path);
        pattern.is_match(without_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(text: &str) -> Glob {
        Glob::new(text).unwrap()
    }

    #[test]
    fn globs_match_as_documented() {
        let table: &[(&str, &str, bool)] = &[
            ("serde", "serde", true),
            ("serde", "serde_json", false),
            ("serde*", "serde", true),
            ("serde*", "serde_json", true),
            ("serde*", "my-serde", false),
            ("*-sys", "openssl-sys", true),
            ("tokio-?", "tokio-1", true),
            ("tokio-?", "tokio-12", false),
            ("{mio,bytes}", "mio", true),
            ("{mio,bytes}", "bytes", true),
            ("{mio,bytes}", "tokio", false),
            ("lib[cz]", "libc", true),
            ("lib[cz]", "libm", false),
            ("refs/tags/v*", "refs/tags/v1.0.0", true),
            ("refs/tags/v*", "refs/tags/release/v1", false),
            ("refs/tags/*", "refs/tags/release/v1", true),
            ("refs/heads/main", "refs/heads/main", true),
            ("refs/heads/main", "refs/heads/main2", false),
            (
                ".github/workflows/*.yml",
                ".github/workflows/release.yml",
                true,
            ),
            (".github/workflows/*.yml", ".github/workflows/a/b.yml", true),
            ("Serde", "serde", false),
        ];
        for (pattern, text, expected) in table {
            assert_eq!(
                glob(pattern).is_match(text),
                *expected,
                "{pattern} ~ {text}"
            );
        }
    }

    #[test]
    fn url_globs_stay_within_a_segment_and_compare_normal_forms() {
        let table: &[(&str, &str, bool)] = &[
            (
                "https://github.com/my-org/*",
                "https://github.com/my-org/x",
                true,
            ),
            (
                "https://github.com/my-org/*",
                "https://github.com/my-org/x/y",
                false,
            ),
            (
                "https://github.com/my-org/*",
                "https://github.com/my-org-evil/x",
                false,
            ),
            (
                "https://github.com/my-org/?",
                "https://github.com/my-org/x",
                true,
            ),
            (
                "https://github.com/my-org/**",
                "https://github.com/my-org/x/y",
                true,
            ),
            (
                "https://GitHub.com/my-org/x.git/",
                "https://github.com/my-org/x",
                true,
            ),
            (
                "https://github.com/my-org/%78",
                "https://github.com/my-org/x",
                true,
            ),
            ("https://github.com/*/x", "https://github.com/a/b/x", false),
        ];
        for (pattern, url, expected) in table {
            assert_eq!(
                Glob::url(pattern).unwrap().is_match(url),
                *expected,
                "{pattern} ~ {url}"
            );
        }
        assert!(Glob::url("https://github.com/my-org/../*").is_err());
        assert!(Glob::url("").is_err());
    }

    #[test]
    fn claimed_repositories_without_a_normal_form_match_nothing() {
        let repository = RepoUrl::new("https://github.com/o/r", 2).unwrap();
        assert!(repository.is_match("https://GitHub.com/O/R.git/"));
        assert!(!repository.is_match("https://github.com/o/r/x/../"));
        let owner = RepoUrl::new("https://github.com/o", 1).unwrap();
        assert!(!owner.is_match("https://github.com/o/x/.."));
        assert_eq!(owner_of("https://github.com/o/.."), None);
        assert_eq!(owner_of("https://github.com/o/%2e%2e"), None);
        assert_eq!(
            owner_of("https://github.com/O/r").as_deref(),
            Some("https://github.com/o")
        );
        assert!(same_repository(
            "https://github.com/o/r",
            "https://GITHUB.com/o/r.git"
        ));
        assert!(!same_repository(
            "https://github.com/o/..",
            "https://github.com/o/.."
        ));
    }

    #[test]
    fn globs_are_equal_by_their_text_and_lists_read_as_one_of() {
        assert_eq!(glob("serde*"), glob("serde*"));
        assert_ne!(glob("serde*"), glob("serde"));
        let list = |items: &[&str]| GlobList(items.iter().map(|i| glob(i)).collect()).to_string();
        assert_eq!(list(&["a"]), "a");
        assert_eq!(list(&["a", "b"]), "one of a, b");
        assert_eq!(list(&["a", "b", "c"]), "one of a, b, c");
    }

    #[test]
    fn urls_with_whitespace_or_control_characters_are_refused() {
        assert!(check_uri("https://github.com/o/r").is_ok());
        assert!(check_uri("https://github.com/o/r x").is_err());
        assert!(check_uri("https://github.com/o/r\u{7}").is_err());
        assert!(check_uri("https://github.com/o/r\u{85}").is_err());
    }

    #[test]
    fn specificity_counts_what_every_match_has_literally() {
        for (pattern, literal) in [
            ("serde", 5),
            ("serde*", 5),
            ("tokio-?", 6),
            ("lib[cz]", 3),
            ("lib[]z]", 3),
            ("lib[!]z]x", 4),
            ("{mio,bytes}", 3),
            ("{a,bcd}-sys", 5),
            ("x\\*", 2),
            // An escaped `[` is a literal, not the start of a class.
            ("a\\[b]", 4),
            // Only the first `!` of a class negates; a later one is a member,
            // so the first `]` ends the class.
            ("lib[!!]]x", 5),
            ("*", 0),
        ] {
            assert_eq!(glob(pattern).literal_len(), literal, "{pattern}");
        }
    }

    #[test]
    fn bad_globs_are_rejected_with_a_reason() {
        for (pattern, needle) in [
            ("serde[", "unclosed `[`"),
            ("{a,b", "unclosed `{`"),
            ("a}", "without an opening"),
            ("", "empty"),
            ("x\\", "escapes nothing"),
        ] {
            let err = Glob::new(pattern).unwrap_err().to_string();
            assert!(err.contains(needle), "{pattern}: {err}");
        }
        assert!(Glob::package_name("serde derive").is_err());
        assert!(Glob::package_name("serde/json").is_err());
        assert!(Glob::package_name("serde_*").is_ok());
    }

    #[test]
    fn specificity_counts_literal_characters() {
        assert!(glob("serde_*").literal_len() > glob("serde*").literal_len());
        assert!(glob("serde").is_literal());
        assert!(!glob("serde*").is_literal());
    }

    #[test]
    fn repository_urls_compare_by_normalized_form() {
        let repo = RepoUrl::new("https://github.com/serde-rs/serde", 2).unwrap();
        for (claim, expected) in [
            ("https://github.com/serde-rs/serde", true),
            ("https://github.com/Serde-RS/Serde", true),
            ("https://github.com/serde-rs/serde.git", true),
            ("https://github.com/serde-rs/serde/", true),
            ("https://github.com/serde-rs/serde-evil", false),
            ("https://github.com/evil/serde", false),
            ("https://gitlab.com/serde-rs/serde", false),
        ] {
            assert_eq!(repo.is_match(claim), expected, "{claim}");
        }
        assert!(RepoUrl::new("https://github.com/serde-rs", 2).is_err());
        assert!(RepoUrl::new("github.com/serde-rs/serde", 2).is_err());
        assert!(RepoUrl::new("https://github.com/serde-rs/serde", 1).is_err());
        assert!(RepoUrl::new("https://gitlab.com/group/sub/project", 2).is_ok());
    }

    #[test]
    fn owners_contain_their_repositories() {
        let owner = RepoUrl::new("https://github.com/tokio-rs", 1).unwrap();
        let inside = RepoUrl::new("https://github.com/Tokio-RS/tokio", 2).unwrap();
        let outside = RepoUrl::new("https://github.com/tokio-rs-evil/tokio", 2).unwrap();
        assert!(owner.contains(&inside));
        assert!(!owner.contains(&outside));
        // A claimed repository: under the owner in normal form, or not at all.
        assert!(owner.contains_claim("https://github.com/Tokio-RS/tokio.git"));
        for claim in [
            "https://github.com/tokio-rs-evil/tokio",
            "https://github.com/tokio-rs",
            "https://github.com/other/tokio",
            "https://github.com/tokio-rs/%2e%2e/evil",
            "",
        ] {
            assert!(!owner.contains_claim(claim), "{claim}");
        }
        assert!(owner.is_match("https://github.com/tokio-rs/"));
        assert_eq!(
            owner_of("https://github.com/tokio-rs/tokio.git").as_deref(),
            Some("https://github.com/tokio-rs")
        );
        assert_eq!(owner_of("https://github.com"), None);
    }

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(parse_id("27123134").unwrap(), "27123134");
        assert_eq!(parse_id("0042").unwrap(), "42");
        for bad in ["", "abc", "-1", "0", "12 34", "1e5"] {
            assert!(parse_id(bad).is_err(), "{bad}");
        }
        // Up to 20 digits (every u64), no more.
        let twenty = "12345678901234567890";
        assert_eq!(parse_id(twenty).unwrap(), twenty);
        assert!(parse_id(&format!("{twenty}1")).is_err());
        assert!(id_matches("42", "42"));
        assert!(id_matches("42", "042"));
        for other in ["421", "1042", "4200", "4", "x", ""] {
            assert!(!id_matches("42", other), "{other}");
        }
    }

    #[test]
    fn digests_are_commit_shas() {
        let sha = "a".repeat(40);
        assert_eq!(parse_digest(&sha.to_uppercase()).unwrap(), sha);
        assert_eq!(parse_digest(&"B".repeat(64)).unwrap(), "b".repeat(64));
        assert!(parse_digest("abc").is_err());
        assert!(parse_digest(&"g".repeat(40)).is_err());
    }

    #[test]
    fn runners_match_claims() {
        let table = [
            (Runner::GithubHosted, Some("github-hosted"), true),
            (Runner::GithubHosted, Some("self-hosted"), false),
            (Runner::GithubHosted, None, false),
            (Runner::SelfHosted, Some("self-hosted"), true),
            (Runner::Any, Some("self-hosted"), true),
            (Runner::Any, None, true),
        ];
        for (runner, claim, expected) in table {
            assert_eq!(runner.is_match(claim), expected, "{runner:?} {claim:?}");
        }
    }

    #[test]
    fn visibility_names_round_trip() {
        for name in Visibility::NAMES {
            assert_eq!(Visibility::parse(name).unwrap().as_str(), name);
        }
        assert_eq!(Visibility::parse("Public"), None);
    }

    #[test]
    fn workflow_paths_come_from_build_config_uris() {
        let table = [
            (
                "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1",
                Some("https://github.com/o/r"),
                ".github/workflows/release.yml",
            ),
            (
                "https://github.com/O/R/.github/workflows/release.yml@refs/heads/main",
                Some("https://github.com/o/r"),
                ".github/workflows/release.yml",
            ),
            (
                "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1",
                None,
                ".github/workflows/release.yml",
            ),
            (
                "https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main",
                Some("https://gitlab.com/g/p"),
                ".gitlab-ci.yml",
            ),
        ];
        for (uri, repo, expected) in table {
            assert_eq!(workflow_path(uri, repo), expected, "{uri}");
        }
        // The repository is a prefix only when the URI is longer and starts
        // with it; otherwise the path is read from the URI alone.
        assert_eq!(
            workflow_path(
                "https://github.com/other/r/.github/workflows/x.yml@refs/tags/v1",
                Some("https://github.com/o/r")
            ),
            ".github/workflows/x.yml"
        );
        assert_eq!(
            workflow_path(
                "https://github.com/o/r@refs/tags/v1",
                Some("https://github.com/o/r")
            ),
            "https://github.com/o/r"
        );
        assert_eq!(
            workflow_path("https://github.com/o@v1", Some("https://github.com/o/r")),
            "https://github.com/o"
        );
    }

    #[test]
    fn a_workflow_is_matched_only_inside_its_repository() {
        let repo = Some("https://github.com/o/r");
        for (uri, expected) in [
            (
                "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1",
                Some(".github/workflows/release.yml"),
            ),
            (
                "https://github.com/O/R/.github/workflows/release.yml@refs/tags/v1",
                Some(".github/workflows/release.yml"),
            ),
            (
                "https://github.com/evil/x/.github/workflows/release.yml@refs/tags/v1",
                None,
            ),
            (
                "https://github.com/o/r-evil/.github/workflows/release.yml@refs/tags/v1",
                None,
            ),
            (
                "https://github.com/o/r/../x/.github/workflows/release.yml@refs/tags/v1",
                None,
            ),
            ("https://github.com/o/r@refs/tags/v1", None),
        ] {
            assert_eq!(workflow_in_repository(uri, repo), expected, "{uri}");
        }
        assert_eq!(
            workflow_in_repository(
                "https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main",
                Some("https://gitlab.com/g/p")
            ),
            Some(".gitlab-ci.yml")
        );
        assert_eq!(
            workflow_in_repository(
                "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1",
                None
            ),
            None
        );
    }

    #[test]
    fn signer_patterns_with_and_without_ref() {
        let uri = "https://github.com/org/ci/.github/workflows/release.yml@refs/tags/v2.1.0";
        let table = [
            (
                "https://github.com/org/ci/.github/workflows/release.yml",
                true,
            ),
            (
                "https://github.com/org/ci/.github/workflows/release.yml@refs/tags/v2*",
                true,
            ),
            (
                "https://github.com/org/ci/.github/workflows/release.yml@refs/tags/v1*",
                false,
            ),
            ("https://github.com/org/ci/.github/workflows/*", true),
            (
                "https://github.com/other/ci/.github/workflows/release.yml",
                false,
            ),
        ];
        for (pattern, expected) in table {
            assert_eq!(signer_matches(&glob(pattern), uri), expected, "{pattern}");
        }
    }
}
