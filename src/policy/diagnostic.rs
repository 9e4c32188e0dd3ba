//! Problems found in a policy file, each pointing into it.
//!
//! Every problem has a stable code (see `docs/policy.md`), a severity, a
//! message, one or more labelled spans and usually a hint. They are plain
//! data (serializable for machine reports) and render through miette.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};
use serde::{Deserialize, Serialize};

/// A stretch of the policy file, with its 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PolicySpan {
    /// Byte offset from the start of the file.
    pub offset: usize,
    /// Length in bytes.
    pub length: usize,
    pub line: u32,
    pub column: u32,
}

impl PolicySpan {
    /// The smallest span covering both.
    pub fn join(self, other: PolicySpan) -> PolicySpan {
        let first = if self.offset <= other.offset {
            self
        } else {
            other
        };
        let end = (self.offset + self.length).max(other.offset + other.length);
        PolicySpan {
            offset: first.offset,
            length: end - first.offset,
            line: first.line,
            column: first.column,
        }
    }
}

impl From<PolicySpan> for SourceSpan {
    fn from(span: PolicySpan) -> Self {
        SourceSpan::new(span.offset.into(), span.length)
    }
}

/// Turns byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    pub(crate) fn span(&self, text: &str, range: std::ops::Range<usize>) -> PolicySpan {
        let offset = range.start.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = self.starts[line - 1];
        let column = text
            .get(line_start..offset)
            .map_or(offset - line_start, |s| s.chars().count())
            + 1;
        PolicySpan {
            offset,
            length: range.end.saturating_sub(range.start),
            line: line as u32,
            column: column as u32,
        }
    }
}

/// Whether a problem makes the policy unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Warning,
    Error,
}

/// The stable codes of policy diagnostics, as listed in `docs/policy.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    NotFound,
    Ambiguous,
    Unreadable,
    TooLarge,
    Syntax,
    UnknownKey,
    WrongType,
    MissingKey,
    BadValue,
    BadGlob,
    BadVersion,
    BadDate,
    BadDuration,
    BadUrl,
    BadId,
    BadRef,
    BadWorkflow,
    BadDigest,
    BadSource,
    BadTrustRoot,
    EmptyList,
    DuplicateRule,
    ContradictoryRule,
    ExemptionWithoutReason,
    UnknownTrigger,
    ExemptionExpired,
    MissingDir,
    UnusedRule,
    UnusedExemption,
    UnneededExemption,
    VersionNotCovered,
    UnusedSourceAllow,
    Invalid,
}

impl Code {
    /// Every code, for documentation checks.
    pub const ALL: [Code; 33] = [
        Code::NotFound,
        Code::Ambiguous,
        Code::Unreadable,
        Code::TooLarge,
        Code::Syntax,
        Code::UnknownKey,
        Code::WrongType,
        Code::MissingKey,
        Code::BadValue,
        Code::BadGlob,
        Code::BadVersion,
        Code::BadDate,
        Code::BadDuration,
        Code::BadUrl,
        Code::BadId,
        Code::BadRef,
        Code::BadWorkflow,
        Code::BadDigest,
        Code::BadSource,
        Code::BadTrustRoot,
        Code::EmptyList,
        Code::DuplicateRule,
        Code::ContradictoryRule,
        Code::ExemptionWithoutReason,
        Code::UnknownTrigger,
        Code::ExemptionExpired,
        Code::MissingDir,
        Code::UnusedRule,
        Code::UnusedExemption,
        Code::UnneededExemption,
        Code::VersionNotCovered,
        Code::UnusedSourceAllow,
        Code::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotFound => "policy-not-found",
            Code::Ambiguous => "policy-ambiguous",
            Code::Unreadable => "policy-unreadable",
            Code::TooLarge => "policy-too-large",
            Code::Syntax => "policy-syntax",
            Code::UnknownKey => "policy-unknown-key",
            Code::WrongType => "policy-wrong-type",
            Code::MissingKey => "policy-missing-key",
            Code::BadValue => "policy-bad-value",
            Code::BadGlob => "policy-bad-glob",
            Code::BadVersion => "policy-bad-version",
            Code::BadDate => "policy-bad-date",
            Code::BadDuration => "policy-bad-duration",
            Code::BadUrl => "policy-bad-url",
            Code::BadId => "policy-bad-id",
            Code::BadRef => "policy-bad-ref",
            Code::BadWorkflow => "policy-bad-workflow",
            Code::BadDigest => "policy-bad-digest",
            Code::BadSource => "policy-bad-source",
            Code::BadTrustRoot => "policy-bad-trust-root",
            Code::EmptyList => "policy-empty-list",
            Code::DuplicateRule => "policy-duplicate-rule",
            Code::ContradictoryRule => "policy-contradictory-rule",
            Code::ExemptionWithoutReason => "policy-exemption-without-reason",
            Code::UnknownTrigger => "policy-unknown-trigger",
            Code::ExemptionExpired => "policy-exemption-expired",
            Code::MissingDir => "policy-missing-dir",
            Code::UnusedRule => "policy-unused-rule",
            Code::UnusedExemption => "policy-unused-exemption",
            Code::UnneededExemption => "policy-unneeded-exemption",
            Code::VersionNotCovered => "policy-version-not-covered",
            Code::UnusedSourceAllow => "policy-unused-source-allow",
            Code::Invalid => "policy-invalid",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A labelled span of a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub span: PolicySpan,
    pub text: String,
}

/// One problem in a policy file.
#[derive(Clone, Serialize, Deserialize)]
pub struct PolicyDiagnostic {
    pub code: Code,
    pub level: Level,
    pub message: String,
    /// The first label is the primary one.
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// The policy text, for rendering.
    #[serde(skip)]
    pub source: Option<Arc<NamedSource<String>>>,
}

impl fmt::Debug for PolicyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyDiagnostic")
            .field("code", &self.code)
            .field("level", &self.level)
            .field("message", &self.message)
            .field("labels", &self.labels)
            .field("help", &self.help)
            .finish()
    }
}

impl PartialEq for PolicyDiagnostic {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.level == other.level
            && self.message == other.message
            && self.labels == other.labels
            && self.help == other.help
    }
}

impl Eq for PolicyDiagnostic {}

impl PolicyDiagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            level: Level::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            source: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self {
            level: Level::Warning,
            ..Self::error(code, message)
        }
    }

    pub fn label(mut self, span: PolicySpan, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn with_source(mut self, source: Arc<NamedSource<String>>) -> Self {
        self.source = Some(source);
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// The primary span, if any.
    pub fn span(&self) -> Option<PolicySpan> {
        self.labels.first().map(|l| l.span)
    }
}

impl fmt::Display for PolicyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyDiagnostic {}

impl Diagnostic for PolicyDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn severity(&self) -> Option<Severity> {
        Some(match self.level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().enumerate().map(
            |(i, label)| {
                let text = (!label.text.is_empty()).then(|| label.text.clone());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text, label.span)
                } else {
                    LabeledSpan::new_with_span(text, label.span)
                }
            },
        )))
    }
}

/// A policy file with errors: every problem found, all at once.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{name} is not a valid policy: {}", summary(.problems))]
pub struct InvalidPolicy {
    pub name: String,
    /// Errors and warnings, in file order.
    pub problems: Vec<PolicyDiagnostic>,
}

fn summary(problems: &[PolicyDiagnostic]) -> String {
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let warnings = problems.len() - errors;
    let mut text = format!("{errors} error{}", if errors == 1 { "" } else { "s" });
    if warnings > 0 {
        text.push_str(&format!(
            ", {warnings} warning{}",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    text
}

impl Diagnostic for InvalidPolicy {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(Code::Invalid.as_str()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "every key and rule is described by {}",
            super::reference_pointer()
        )))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// The "did you mean" candidate closest to `word`, if it is close enough to
/// be a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word_lower = word.to_ascii_lowercase().replace('_', "-");
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word_lower, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented() {
        let docs = include_str!("../../docs/policy.md");
        for code in Code::ALL {
            assert!(
                docs.contains(&format!("`{}`", code.as_str())),
                "{code} is not in docs/policy.md"
            );
        }
        // And the list is complete: every policy-* code in the docs table exists.
        for line in docs.lines().filter(|l| l.starts_with("| `policy-")) {
            let code = line.split('`').nth(1).unwrap();
            assert!(
                Code::ALL.iter().any(|c| c.as_str() == code),
                "{code} is documented but not defined"
            );
        }
    }

    #[test]
    fn line_index_counts_lines_and_columns() {
        let text = "a = 1\nbé = 2\n";
        let index = LineIndex::new(text);
        assert_eq!(index.span(text, 0..1).line, 1);
        let span = index.span(text, 10..11);
        assert_eq!((span.line, span.column), (2, 4));
    }

    #[test]
    fn closest_suggests_only_near_words() {
        let keys = ["repository", "repository-id", "workflow"];
        assert_eq!(closest("repositroy", keys), Some("repository"));
        assert_eq!(closest("repository_id", keys), Some("repository-id"));
        assert_eq!(closest("zzz", keys), None);
    }
}
