//! Which changes a diff accepts, and who accepted each: the policy's
//! `[diff]` table (its `allow-*` patterns and `enforce-since`), then the
//! `--allow-*` flags. Apart from the comparing because what passes is the
//! user's choice, kept in one place whatever the kind of change.

use std::path::PathBuf;

use serde::Serialize;

use crate::policy::matcher::Glob;
use crate::policy::{DiffConfig, Spanned};
use crate::report::PackageReport;

/// Changes to accept for one run, by package name (exact or glob), beyond
/// the policy's `[diff]` table.
#[derive(Debug, Clone, Default)]
pub struct Accept {
    /// Accept a drop of the evidence level.
    pub allow_downgrade: Vec<Glob>,
    /// Accept a change of repository (URL or ID).
    pub allow_repository_change: Vec<Glob>,
    /// Accept a change of workflow or signer workflow.
    pub allow_workflow_change: Vec<Glob>,
}

impl Accept {
    pub fn is_empty(&self) -> bool {
        self.allow_downgrade.is_empty()
            && self.allow_repository_change.is_empty()
            && self.allow_workflow_change.is_empty()
    }
}

/// Who accepted a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    /// `policy` (`[diff]`), `command-line` (`--allow-*`) or
    /// `enforce-since` (`[diff] enforce-since`: published before it).
    pub by: &'static str,
    /// The pattern that matched the package name.
    pub pattern: String,
    pub file: Option<PathBuf>,
    pub line: Option<u32>,
}

impl std::fmt::Display for Acceptance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) if self.by == "enforce-since" => {
                write!(
                    f,
                    "enforce-since in {}:{line} ({})",
                    file.display(),
                    self.pattern
                )
            }
            (Some(file), Some(line)) => {
                write!(f, "`{}` in {}:{line}", self.pattern, file.display())
            }
            _ => write!(f, "`{}` on the command line", self.pattern),
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Kind {
    Downgrade,
    Repository,
    Workflow,
}

pub(super) struct Acceptor<'a> {
    pub(super) policy: &'a DiffConfig,
    pub(super) file: Option<PathBuf>,
    pub(super) cli: &'a Accept,
}

impl Acceptor<'_> {
    /// The first pattern accepting this kind of change for `name`: the
    /// policy's, then the command line's.
    pub(super) fn find(&self, kind: Kind, name: &str) -> Option<Acceptance> {
        let (policy, cli): (&[Spanned<Glob>], &[Glob]) = match kind {
            Kind::Downgrade => (&self.policy.allow_downgrade, &self.cli.allow_downgrade),
            Kind::Repository => (
                &self.policy.allow_repository_change,
                &self.cli.allow_repository_change,
            ),
            Kind::Workflow => (
                &self.policy.allow_workflow_change,
                &self.cli.allow_workflow_change,
            ),
        };
        if let Some(p) = policy.iter().find(|p| p.value.is_match(name)) {
            return Some(Acceptance {
                by: "policy",
                pattern: p.value.to_string(),
                file: self.file.clone(),
                line: Some(p.span.line),
            });
        }
        cli.iter().find(|g| g.is_match(name)).map(|g| Acceptance {
            by: "command-line",
            pattern: g.to_string(),
            file: None,
            line: None,
        })
    }
}

impl Acceptor<'_> {
    /// `enforce-since`, when the registry's index (else its record) says
    /// both the previous version and this one were published before that
    /// day: a change to a version published since (a rollback from a recent
    /// release to an old one included) counts. A version whose publish
    /// time is not known is not taken to be older.
    pub(super) fn published_before(
        &self,
        before: &PackageReport,
        after: &PackageReport,
    ) -> Option<Acceptance> {
        let since = self.policy.enforce_since.as_ref()?;
        let start = since
            .value
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp();
        let published =
            |package: &PackageReport| package.published.filter(|published| *published < start);
        let (was, now) = (published(before)?, published(after)?);
        Some(Acceptance {
            by: "enforce-since",
            pattern: format!(
                "{} published {was}, {} published {now}, both before {}",
                before.outcome.version, after.outcome.version, since.value
            ),
            file: self.file.clone(),
            line: Some(since.span.line),
        })
    }
}
