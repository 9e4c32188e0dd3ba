//! `source-matches = true`: the published package must be the
//! repository's files at the commit it was packaged from. Files a
//! `[[package]]` rule's `source-allow` lists, and (with
//! `source-allow-line-endings = true`) files that differ only in line
//! endings, count as the same. A difference is a violation naming the
//! files; no vcs info, a comparison that could not be made, or none made
//! at all never pass.

use super::{Failure, Requirement, Verdict};
use crate::evidence::{Evidence, SourceError, SourceMatch, SourceResult};
use crate::policy::{Effective, SourceAllow};

/// Files named in a failure, at most (the rest are counted).
const NAMED_FILES: usize = 5;

/// The files that still differ once `allow` and the line-endings setting
/// are applied; marks each glob of `allow` that matched a file in `used`.
pub(crate) fn unaccepted<'a>(
    found: &'a SourceMatch,
    allow: Option<&SourceAllow>,
    line_endings: bool,
    used: &mut [bool],
) -> Vec<&'a str> {
    let line_endings_files = found.line_endings_only.iter().filter(|_| !line_endings);
    let mut left = Vec::new();
    for path in found
        .differ
        .iter()
        .chain(&found.only_in_package)
        .chain(line_endings_files)
    {
        let matched: Vec<usize> = allow
            .map(|a| {
                a.globs
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| g.value.is_match(path))
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        for index in &matched {
            if let Some(flag) = used.get_mut(*index) {
                *flag = true;
            }
        }
        if matched.is_empty() {
            left.push(path.as_str());
        }
    }
    left
}

/// `verdict` with `source-matches = true` applied, as `trustpub-only` is:
/// a difference is a failure added to the others (and fails a package
/// that had no other evidence); a result that is not a comparison leaves
/// the package not checked, never passed; a match lets a package with no
/// other evidence pass. A rejected bundle stays a rejection.
pub fn with_source_matches(
    verdict: Verdict,
    evidence: &Evidence,
    effective: &Effective<'_>,
    allow: Option<&SourceAllow>,
    used: &mut [bool],
) -> Verdict {
    let Some(required) = effective.source_matches_required() else {
        return verdict;
    };
    let failure = |found: String| Failure {
        requirement: Requirement::SourceMatches,
        expected: "the repository's files at the commit the package was made from".into(),
        found: Some(found),
        span: Some(required.span),
        bundle: None,
    };
    let Some(found) = evidence
        .source_match
        .as_ref()
        .filter(|f| matches!(f.result, SourceResult::Matches | SourceResult::Differs))
    else {
        return not_compared(verdict, evidence, failure);
    };
    let left = unaccepted(found, allow, effective.line_endings_allowed(), used);
    if left.is_empty() {
        return match verdict {
            Verdict::NoProvenance => Verdict::Pass(None),
            verdict => verdict,
        };
    }
    let failure = failure(describe_files(&left, found));
    match verdict {
        Verdict::Rejected(failures) => Verdict::Rejected(failures),
        Verdict::Fail(mut failures) | Verdict::Error(_, mut failures) => {
            failures.push(failure);
            Verdict::Fail(failures)
        }
        _ => Verdict::Fail(vec![failure]),
    }
}

/// No comparison to judge: not checked (an error where required), never a
/// pass; a failure already found stands.
fn not_compared(
    verdict: Verdict,
    evidence: &Evidence,
    failure: impl Fn(String) -> Failure,
) -> Verdict {
    let (message, found) = match &evidence.source_match {
        Some(f) if f.result == SourceResult::NoVcsInfo => (
            "the package names no commit (no .cargo_vcs_info.json)".to_string(),
            "no vcs info".to_string(),
        ),
        Some(f) => (
            f.reason.clone().unwrap_or_default(),
            "nothing: the comparison could not be made".to_string(),
        ),
        None => (
            "no source comparison was made".to_string(),
            "nothing: no comparison was made".to_string(),
        ),
    };
    let error = SourceError::new("source-comparison", message);
    match verdict {
        Verdict::Rejected(failures) => Verdict::Rejected(failures),
        Verdict::Fail(failures) => Verdict::Fail(failures),
        Verdict::Error(mut errors, mut failures) => {
            errors.push(error);
            failures.push(failure(found));
            Verdict::Error(errors, failures)
        }
        Verdict::NotChecked(mut errors) => {
            errors.push(error);
            Verdict::Error(errors, vec![failure(found)])
        }
        Verdict::Pass(_) | Verdict::NoProvenance => {
            Verdict::Error(vec![error], vec![failure(found)])
        }
    }
}

/// `2 files differ: src/a.rs, build/b.o (binary) at COMMIT`.
fn describe_files(left: &[&str], found: &SourceMatch) -> String {
    let mut named: Vec<String> = left
        .iter()
        .take(NAMED_FILES)
        .map(|path| {
            let binary = found.binaries.iter().any(|b| b == path);
            let only = found.only_in_package.iter().any(|o| o == path);
            let endings = found.line_endings_only.iter().any(|o| o == path);
            let note = match (binary, only, endings) {
                (true, _, _) => " (compiled code)",
                (_, true, _) => " (only in the package)",
                (_, _, true) => " (line endings only)",
                _ => "",
            };
            format!("{path}{note}")
        })
        .collect();
    if left.len() > NAMED_FILES {
        named.push(format!("{} more", left.len() - NAMED_FILES));
    }
    format!(
        "{} not as at commit {} of {}: {}",
        crate::words::count(left.len(), "file", "files"),
        found.commit.as_deref().unwrap_or("?"),
        found.repository.as_deref().unwrap_or("?"),
        named.join(", ")
    )
}
