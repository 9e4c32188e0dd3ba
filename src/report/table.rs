//! The table of packages for people: one row per package, problems first.
//!
//! Every cell is one token where it can be, so that `awk` and `cut` read
//! it: the status is the JSON `outcome` (`pass`, `violation`, `exempt`,
//! `no-provenance`, `not-checked`, `error`, `out-of-scope`), the package
//! is `name@version`, the dependency kind is `direct`, `transitive`, `dev`
//! or `workspace-member` (with `,build-time` for a crate that runs code at
//! build time), the evidence is its level, the source comparison is its
//! result (`matches`, `differs:N` with the number of files, `no-vcs-info`,
//! `not-checked`, `-` when none was made).

use std::fmt::Write as _;
use std::io::Write;

use super::PackageReport;
use super::Report;
use crate::escape::{terminal, Sgr, Terminal};
use crate::evaluate::Outcome;

/// How much to show.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// `-v`: every package, workspace members included, and the source of each bundle.
    pub verbose: bool,
    /// `-q`: no table, only problems and the summary.
    pub quiet: bool,
    pub color: bool,
}

/// The widest a package, repository or workflow cell gets; longer ones
/// are shortened in the middle (a repository: in its name, never its owner).
const MAX_CELL: usize = 40;

/// Write the table to `out` (nothing with `-q`): a header naming each
/// column, then one row per package, problems first and, within an
/// outcome, direct dependencies before transitive ones; workspace members
/// and packages outside the scope only with `-v`. A package built from a
/// verified attestation shows its repository (`owner/repo`), workflow and
/// ref; any other says why it has its status in place of those three.
///
/// Everything is written through `Terminal`, and every value from
/// outside is escaped on its own (`Row::of`), so no cell can hold a
/// control character or break its line.
pub fn write_table(
    report: &Report,
    options: HumanOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if options.quiet {
        return Ok(());
    }
    let mut out = Terminal::new(out);
    let mut rows: Vec<(&PackageReport, Row)> = report
        .by_severity()
        .into_iter()
        .filter(|p| {
            options.verbose
                || !(p.workspace_member || matches!(p.outcome.outcome, Outcome::OutOfScope { .. }))
        })
        .map(|p| (p, Row::of(p)))
        .collect();
    rows.sort_by_key(|(p, _)| p.severity_rank() * 2 + usize::from(!p.direct));
    let widths = Widths::of(&rows);
    writeln!(out, "{}", widths.header())?;
    for (package, row) in &rows {
        // Padded before it is coloured, so that the colour codes do not
        // break the alignment.
        let status = format!("{:<width$}", package.status(), width = widths.status);
        match (options.color, status_color(package.status())) {
            (true, Some(color)) => out.paint(&status, color)?,
            _ => out.write_all(status.as_bytes())?,
        }
        writeln!(out, "{}", widths.rest_of_row(package, row).trim_end())?;
    }
    out.flush()
}

/// The width of each column, from its header and its cells.
struct Widths {
    status: usize,
    package: usize,
    dependency: usize,
    evidence: usize,
    source: usize,
    /// Only when some row shows where it was built.
    built: Option<(usize, usize)>,
}

impl Widths {
    fn of(rows: &[(&PackageReport, Row)]) -> Self {
        let width = |header: &str, cells: &mut dyn Iterator<Item = usize>| {
            cells
                .fold(header.len(), usize::max)
                .min(MAX_CELL.max(header.len()))
        };
        let built = || {
            rows.iter().filter_map(|(_, row)| match row {
                Row::Built {
                    repository,
                    workflow,
                    ..
                } => Some((repository, workflow)),
                Row::Note(_) => None,
            })
        };
        let any_built = built().next().is_some();
        Self {
            status: width("STATUS", &mut rows.iter().map(|(p, _)| p.status().len())),
            package: width(
                "PACKAGE",
                &mut rows.iter().map(|(p, _)| chars(&terminal(&p.id()))),
            ),
            dependency: width(
                "DEPENDENCY",
                &mut rows.iter().map(|(p, _)| dependency_kind(p).len()),
            ),
            evidence: width(
                "EVIDENCE",
                &mut rows
                    .iter()
                    .map(|(p, _)| p.outcome.evidence.to_string().len()),
            ),
            source: width(
                "SOURCE",
                &mut rows.iter().map(|(p, _)| source_cell(p).len()),
            ),
            built: any_built.then(|| {
                (
                    width("REPOSITORY", &mut built().map(|(r, _)| chars(r))),
                    width("WORKFLOW", &mut built().map(|(_, w)| chars(w))),
                )
            }),
        }
    }

    fn header(&self) -> String {
        let mut line = format!(
            "{:<status$} {:<package$} {:<dependency$} {:<evidence$} {:<source$} ",
            "STATUS",
            "PACKAGE",
            "DEPENDENCY",
            "EVIDENCE",
            "SOURCE",
            status = self.status,
            package = self.package,
            dependency = self.dependency,
            evidence = self.evidence,
            source = self.source,
        );
        match self.built {
            Some((repository, workflow)) => {
                let _ = write!(
                    line,
                    "{:<repository$} {:<workflow$} REF",
                    "REPOSITORY", "WORKFLOW"
                );
            }
            None => line.push_str("DETAILS"),
        }
        line.trim_end().to_string()
    }

    /// Everything after the status.
    fn rest_of_row(&self, package: &PackageReport, row: &Row) -> String {
        let id = terminal(&package.id()).into_owned();
        let mut line = format!(
            " {:<package_width$} {:<dependency_width$} {:<evidence_width$} {:<source_width$} ",
            shorten(&id, self.package),
            dependency_kind(package),
            package.outcome.evidence.to_string(),
            source_cell(package),
            package_width = self.package,
            dependency_width = self.dependency,
            evidence_width = self.evidence,
            source_width = self.source,
        );
        match (row, self.built) {
            (
                Row::Built {
                    repository,
                    workflow,
                    git_ref,
                },
                Some((repository_width, workflow_width)),
            ) => {
                let _ = write!(
                    line,
                    "{:<repository_width$} {:<workflow_width$} {git_ref}",
                    shorten_repository(repository, repository_width),
                    shorten(workflow, workflow_width),
                );
            }
            (Row::Note(note), _) => line.push_str(note),
            (Row::Built { .. }, None) => {}
        }
        line
    }
}

/// `workspace-member`, `direct`, `transitive` or `dev` (only
/// dev-dependencies bring it in), with `,build-time` for a crate that runs
/// code at build time (a proc-macro or a build script): one token.
fn dependency_kind(package: &PackageReport) -> &'static str {
    let build_time = package.runs_at_build_time() == Some(true);
    let kind = if package.workspace_member {
        return "workspace-member";
    } else if package.dev_only {
        "dev"
    } else if package.direct {
        "direct"
    } else {
        "transitive"
    };
    match (kind, build_time) {
        (kind, false) => kind,
        ("dev", true) => "dev,build-time",
        ("direct", true) => "direct,build-time",
        (_, true) => "transitive,build-time",
    }
}

/// The source comparison in one token: `matches`, `differs:N` (files not
/// as at the commit), `no-vcs-info`, `not-checked`, `-` (none made).
pub fn source_cell(package: &PackageReport) -> String {
    use crate::evidence::SourceResult;
    match &package.source_match {
        None => "-".into(),
        Some(found) if found.result == SourceResult::Differs => {
            format!("differs:{}", found.difference_count())
        }
        Some(found) => found.result.to_string(),
    }
}

/// What follows the source column in a package's row, every value from
/// outside escaped ([`terminal`]: on one line, nothing hidden).
enum Row {
    Built {
        repository: String,
        workflow: String,
        git_ref: String,
    },
    Note(String),
}

impl Row {
    fn of(package: &PackageReport) -> Self {
        if let (Outcome::Pass { .. }, Some(provenance)) =
            (&package.outcome.outcome, &package.provenance)
        {
            let cell = |value: &Option<String>, none: &str| {
                terminal(value.as_deref().unwrap_or(none)).into_owned()
            };
            return Row::Built {
                repository: provenance.repository.as_deref().map_or_else(
                    || "?".to_string(),
                    |r| terminal(&repository_cell(r)).into_owned(),
                ),
                workflow: cell(&provenance.workflow, "?"),
                git_ref: cell(&provenance.git_ref, ""),
            };
        }
        Row::Note(terminal(&note(package)).into_owned())
    }
}

/// Why a package that shows no build has its status.
fn note(package: &PackageReport) -> String {
    match &package.outcome.outcome {
        Outcome::Violation { failures } => first_of(failures.iter().map(|f| f.to_string())),
        Outcome::Exempt { reason, until, .. } => match until {
            Some(until) => format!("exempt until {until}: {reason}"),
            None => format!("exempt: {reason}"),
        },
        Outcome::NotChecked { errors } => first_of(errors.iter().map(source_failure)),
        Outcome::OutOfScope { out_of_scope } => out_of_scope.to_string(),
        Outcome::Error { errors, failures } => format!(
            "{}; {}",
            first_of(failures.iter().map(|f| f.to_string())),
            first_of(errors.iter().map(source_failure))
        ),
        Outcome::NoProvenance if package.outcome.source.is_registry() => {
            "no source has provenance for it".to_string()
        }
        Outcome::NoProvenance => {
            let kind = package.outcome.source.kind();
            format!("{kind} dependency (no [{kind}] table checks it)")
        }
        Outcome::Pass { .. } => {
            if let Some(registry) = &package.registry {
                format!(
                    "{} (registry-asserted)",
                    repository_cell(&registry.repository)
                )
            } else if package.workspace_member {
                "workspace member: built here, needs no provenance".to_string()
            } else {
                format!("allowed by {}", package.outcome.rule)
            }
        }
    }
}

/// A repository as the table shows it: `owner/repo` on GitHub and GitLab
/// (whose hosts every reader knows), `host/path` elsewhere, so that the
/// cell is spent on the part that tells a repository from a look-alike.
pub fn repository_cell(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let host = parsed.host_str().unwrap_or_default();
    let path = parsed
        .path()
        .trim_matches('/')
        .trim_end_matches(".git")
        .to_string();
    match host {
        "github.com" | "www.github.com" | "gitlab.com" | "www.gitlab.com" if !path.is_empty() => {
            path
        }
        _ if path.is_empty() => host.to_string(),
        _ => format!("{host}/{path}"),
    }
}

/// `owner/repo` in at most `width` characters: the repository's name is
/// shortened in its middle, never the owner (nor the host before it).
fn shorten_repository(cell: &str, width: usize) -> String {
    let length = chars(cell);
    let Some((owner, name)) = cell.rsplit_once('/') else {
        return shorten(cell, width);
    };
    if length <= width {
        return cell.to_string();
    }
    let room = width.saturating_sub(chars(owner) + 1);
    // Too narrow to keep a useful part of the name: the cell stays whole.
    if room < 5 {
        return cell.to_string();
    }
    format!("{owner}/{}", shorten(name, room))
}

/// `github: DNS lookup failed`.
fn source_failure(error: &crate::evidence::SourceError) -> String {
    match error.kind {
        crate::evidence::FailureKind::Failed => error.message.clone(),
        kind => format!("{}: {}", error.source, kind.describe()),
    }
}

/// The first item, and how many more there are.
fn first_of(mut items: impl Iterator<Item = String>) -> String {
    let first = items.next().unwrap_or_default();
    match items.count() {
        0 => first,
        more => format!("{first} (and {more} more)"),
    }
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `text` in at most `width` characters, shortened in the middle.
fn shorten(text: &str, width: usize) -> String {
    let length = chars(text);
    if length <= width || width < 5 {
        return text.to_string();
    }
    let keep = width - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let mut shortened: String = text.chars().take(head).collect();
    shortened.push('…');
    shortened.extend(text.chars().skip(length - tail));
    shortened
}

/// The colour of a status in the table.
pub fn status_color(status: &str) -> Option<Sgr> {
    match status {
        "pass" => Some(Sgr::GREEN),
        "violation" | "error" => Some(Sgr::RED),
        "not-checked" => Some(Sgr::BOLD_YELLOW),
        "no-provenance" => Some(Sgr::YELLOW),
        "exempt" => Some(Sgr::CYAN),
        "out-of-scope" => Some(Sgr::DIM),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_show_owner_and_name_on_github_and_gitlab_and_the_host_elsewhere() {
        assert_eq!(
            repository_cell("https://github.com/servo/rust-smallvec"),
            "servo/rust-smallvec"
        );
        assert_eq!(
            repository_cell("https://gitlab.com/group/sub/project.git"),
            "group/sub/project"
        );
        assert_eq!(
            repository_cell("https://codeberg.org/owner/repo"),
            "codeberg.org/owner/repo"
        );
        assert_eq!(repository_cell("not a url"), "not a url");
    }

    #[test]
    fn a_long_repository_is_shortened_in_its_name_never_its_owner() {
        let cell = "marshallpierce/rust-base64-with-a-very-long-name";
        let shown = shorten_repository(cell, 30);
        assert!(shown.starts_with("marshallpierce/"), "{shown}");
        assert_eq!(shown.chars().count(), 30, "{shown}");
        assert!(shown.contains('…'), "{shown}");
        assert_eq!(shorten_repository("a/b", 30), "a/b");
        // No room for the name: nothing is cut.
        let owner = "an-owner-with-a-long-name-indeed/repository";
        assert_eq!(shorten_repository(owner, 30), owner);
    }
}
