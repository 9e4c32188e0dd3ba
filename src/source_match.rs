//! The result of comparing a published `.crate` with its repository at the
//! commit it was packaged from: plain data, below the cache that stores it
//! and the reports that show it (`source_match` in JSON package messages,
//! as `docs/message-format.md` describes).

use serde::{Deserialize, Serialize};

/// What the comparison found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceResult {
    /// Every file of the package is the file at the recorded commit.
    Matches,
    /// Some file differs, exists only in the package, or differs only in
    /// line endings.
    Differs,
    /// The package names no commit (`.cargo_vcs_info.json` is absent).
    NoVcsInfo,
    /// The comparison could not be made (see `reason`).
    NotChecked,
}

impl SourceResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matches => "matches",
            Self::Differs => "differs",
            Self::NoVcsInfo => "no-vcs-info",
            Self::NotChecked => "not-checked",
        }
    }
}

impl std::fmt::Display for SourceResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A package compared with its repository. Every path is inside the
/// package (`src/lib.rs`, never with the `NAME-VERSION/` folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMatch {
    pub result: SourceResult,
    /// The commit of `.cargo_vcs_info.json`.
    pub commit: Option<String>,
    /// The package's folder in the repository that was compared: the
    /// recorded `path_in_vcs`, or the folder found by the package's name
    /// when cargo recorded none (`""`: the root).
    pub path_in_vcs: Option<String>,
    /// What `.cargo_vcs_info.json` says (`false` is a claim, never proof).
    pub dirty: Option<bool>,
    /// The manifest's `repository`, in normal form.
    pub repository: Option<String>,
    /// Files whose bytes are not those of the file at the commit.
    pub differ: Vec<String>,
    /// Files the commit does not have.
    pub only_in_package: Vec<String>,
    /// Among `differ` and `only_in_package`: compiled code (ELF, Mach-O,
    /// PE/COFF objects and archives, WebAssembly), by its magic bytes.
    pub binaries: Vec<String>,
    /// Files that differ only in line endings (CRLF against LF).
    pub line_endings_only: Vec<String>,
    /// Why the comparison was not made; set only for `not-checked`.
    pub reason: Option<String>,
    /// The commit was fetched from the repository and its trees read:
    /// always so for `matches` and `differs`, and for a `not-checked`
    /// comparison that stopped after that (a folder that cannot be told,
    /// a missing blob). What decides whether the commit is cross-checked
    /// with other evidence ([`SourceMatch::commit_established`]).
    #[serde(default)]
    pub commit_fetched: bool,
}

impl SourceMatch {
    /// A result with no facts about the package.
    pub fn not_checked(reason: impl Into<String>) -> Self {
        Self {
            result: SourceResult::NotChecked,
            commit: None,
            path_in_vcs: None,
            dirty: None,
            repository: None,
            differ: Vec::new(),
            only_in_package: Vec::new(),
            binaries: Vec::new(),
            line_endings_only: Vec::new(),
            reason: Some(reason.into()),
            commit_fetched: false,
        }
    }

    /// Whether the repository was read at the package's commit, so that the
    /// commit and the repository are facts other evidence can contradict
    /// (not only what the package claims).
    pub fn commit_established(&self) -> bool {
        self.commit_fetched || matches!(self.result, SourceResult::Matches | SourceResult::Differs)
    }

    /// The package records no commit.
    pub(crate) fn no_vcs_info(repository: Option<String>) -> Self {
        Self {
            result: SourceResult::NoVcsInfo,
            repository,
            reason: None,
            ..Self::not_checked("")
        }
    }

    /// The files not as at the commit, compiled code first, then files only
    /// in the package, files that differ, files that differ only in line
    /// endings, each once: the first `at_most` joined with `, `, and how
    /// many more (`a, b and 3 more`).
    pub(crate) fn files_in_brief(&self, at_most: usize) -> String {
        let mut files: Vec<&str> = Vec::new();
        let all = self
            .binaries
            .iter()
            .chain(&self.only_in_package)
            .chain(&self.differ)
            .chain(&self.line_endings_only);
        for file in all {
            if !files.contains(&file.as_str()) {
                files.push(file);
            }
        }
        let more = files.len().saturating_sub(at_most);
        files.truncate(at_most);
        match more {
            0 => files.join(", "),
            n => format!("{} and {n} more", files.join(", ")),
        }
    }

    /// How many files are not as at the commit.
    pub fn difference_count(&self) -> usize {
        self.differ.len() + self.only_in_package.len() + self.line_endings_only.len()
    }

    /// The commit on the repository host's web pages, when the host is
    /// known to show commits at `/commit/ID` (GitHub, Codeberg, Gitea) or
    /// `/-/commit/ID` (GitLab).
    pub fn commit_url(&self) -> Option<String> {
        let (repository, commit) = (self.repository.as_deref()?, self.commit.as_deref()?);
        let host = repository.strip_prefix("https://")?.split('/').next()?;
        if host == "gitlab.com" || host.starts_with("gitlab.") {
            Some(format!("{repository}/-/commit/{commit}"))
        } else {
            Some(format!("{repository}/commit/{commit}"))
        }
    }
}
