//! `--message-format sarif`: SARIF 2.1.0, for GitHub code scanning and
//! other SARIF viewers. Every package that fails or could not be checked
//! under the policy becomes a result located at its entry in Cargo.lock,
//! with the policy rule that decided it as a related location; packages
//! nothing required anything of (no provenance, exempt) are not results
//! (each would be a code-scanning alert), and the run's properties say how
//! many were left out.
//!
//! Beside those, every package whose published files are not its
//! repository's at the commit it was packaged from gets a `source-differs`
//! result naming the files (compiled code first): an error when the policy
//! failed the package on it, else a warning.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{PackageReport, Report};
use crate::evaluate::{Outcome, Requirement};
use crate::policy::{Mode, NotCheckedAction};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/cargo-verify-provenance/cargo-verify-provenance";

/// The SARIF rules: one per kind of finding.
const RULES: &[(&str, &str, &str, &str)] = &[
    (
        "bundle-rejected",
        "A provenance bundle for the package's checksum failed verification",
        "error",
        "The bundle was tampered with, is for another trust root, or is malformed. A policy cannot waive it.",
    ),
    (
        "evidence-conflict",
        "A verified bundle and the registry's record of the publisher disagree",
        "error",
        "The certificate's source repository or commit is not the one crates.io records for the publish: one of the two is not what it claims. A policy cannot waive it.",
    ),
    (
        "provenance-violation",
        "The package's provenance does not satisfy the policy",
        "error",
        "The verified provenance shows another repository, workflow, ref, trigger or runner than the policy allows, or evidence the policy requires is absent.",
    ),
    (
        "provenance-too-new",
        "The package's version was published more recently than the policy's min-age",
        "error",
        "A version younger than `min-age` has not yet had the time in which most malicious releases are found and yanked. Wait until it passes, keep the previous version, or exempt it with a reason.",
    ),
    (
        "exemption-expired",
        "The exemption for the package has expired",
        "error",
        "Renew the exemption with a new date and reason, or remove it once the package has provenance.",
    ),
    (
        "provenance-unchecked",
        "The package's provenance could not be checked",
        "error",
        "A source failed or the cache has no answer offline; the policy requires evidence, so the package is not passed.",
    ),
    (
        "source-differs",
        "The published package is not its repository at the commit it was packaged from",
        "warning",
        "Files of the .crate differ from the commit its .cargo_vcs_info.json names, or are not in it (compiled code among them is listed first). An error when the policy requires source-matches and does not accept those files; accept expected ones with source-allow and a reason.",
    ),
    (
        "provenance-not-checked",
        "A source could not answer for the package",
        "error",
        "The policy does not require evidence for this package, but a source failed or the cache has no answer offline, so whether it has provenance is not known. It fails the run unless the policy says `not-checked = \"warn\"` (then the result is a warning).",
    ),
];

/// Write the SARIF log of `report` to `out`.
pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let lockfile_uri = relative_uri(&report.lockfile);
    let policy_uri = report.policy.as_deref().map(relative_uri);
    let not_checked_level =
        if report.mode == Mode::Enforce && report.not_checked == NotCheckedAction::Fail {
            "error"
        } else {
            "warning"
        };
    let results: Vec<Value> = report
        .packages
        .iter()
        .filter_map(|package| {
            result(
                package,
                &lockfile_uri,
                policy_uri.as_deref(),
                not_checked_level,
            )
        })
        .collect();
    let skipped = report
        .packages
        .iter()
        .filter(|p| !p.workspace_member)
        .count()
        - results.len();
    let mut results = results;
    results.extend(
        report
            .packages
            .iter()
            .filter_map(|package| source_result(package, &lockfile_uri)),
    );
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(id, short, level, help)| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": short },
                "fullDescription": { "text": help },
                "help": { "text": help },
                "defaultConfiguration": { "level": level },
            })
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cargo-verify-provenance",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {
                "skippedPackages": skipped,
                "skippedNote": format!(
                    "{} not listed: only packages that fail or could not be checked under the policy are results; the others (pass, exempt, no-provenance that nothing required, out-of-scope) are in the JSON report",
                    crate::words::count(skipped, "dependency", "dependencies")
                ),
            },
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

fn result(
    package: &PackageReport,
    lockfile_uri: &str,
    policy_uri: Option<&str>,
    not_checked_level: &str,
) -> Option<Value> {
    let (rule, failures) = rule_of(&package.outcome.outcome)?;
    let level = match rule {
        "provenance-not-checked" => not_checked_level,
        _ => RULES
            .iter()
            .find(|(id, ..)| *id == rule)
            .map_or("error", |(_, _, level, _)| level),
    };
    let mut value = json!({
        "ruleId": rule,
        "level": level,
        "message": { "text": result_text(package, rule, failures) },
        "locations": package_locations(package, lockfile_uri),
        "partialFingerprints": package_fingerprints(package),
        "properties": {
            "package": package.outcome.name,
            "version": package.outcome.version.to_string(),
            "evidence": package.outcome.evidence,
            "dependencyPath": package.dependency_path,
            "direct": package.direct,
            "buildTime": package.runs_at_build_time(),
        },
    });
    if let (Some(uri), Some(span)) = (policy_uri, &package.outcome.rule.span) {
        value["relatedLocations"] = json!([{
            "id": 1,
            "message": { "text": format!("decided by {}", package.outcome.rule) },
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": { "startLine": span.line, "startColumn": span.column },
            },
        }]);
    }
    Some(value)
}

/// The rule a package's outcome is a result of, with its failures; `None`
/// for an outcome that is no result (a pass, an exemption, …).
fn rule_of(outcome: &Outcome) -> Option<(&'static str, &[crate::evaluate::Failure])> {
    let any = |failures: &[crate::evaluate::Failure], requirement| {
        failures.iter().any(|f| f.requirement == requirement)
    };
    let all = |failures: &[crate::evaluate::Failure], requirement| {
        failures.iter().all(|f| f.requirement == requirement)
    };
    match outcome {
        Outcome::Violation { failures } => {
            let rule = if any(failures, Requirement::BundleVerification) {
                "bundle-rejected"
            } else if any(failures, Requirement::EvidenceConflict) {
                "evidence-conflict"
            } else if all(failures, Requirement::ExemptionExpired) {
                "exemption-expired"
            } else if all(failures, Requirement::MinAge) {
                "provenance-too-new"
            } else {
                "provenance-violation"
            };
            Some((rule, failures))
        }
        Outcome::Error { failures, .. } => Some(("provenance-unchecked", failures)),
        Outcome::NotChecked { .. } => Some(("provenance-not-checked", &[])),
        _ => None,
    }
}

/// A result's message: the package and its rule's short text, then each
/// failure, each source's error and the dependency path.
fn result_text(
    package: &PackageReport,
    rule: &str,
    failures: &[crate::evaluate::Failure],
) -> String {
    let mut text = format!(
        "{}: {}",
        package.id(),
        RULES
            .iter()
            .find(|(id, ..)| *id == rule)
            .map_or("", |(_, short, ..)| short)
    );
    for failure in failures {
        text.push_str(&format!("; {failure}"));
    }
    if let Outcome::Error { errors, .. } | Outcome::NotChecked { errors } = &package.outcome.outcome
    {
        for error in errors {
            text.push_str(&format!("; {}: {}", error.source, error.message));
        }
    }
    if let Some(path) = package.path_text() {
        text.push_str(&format!("; dependency path: {path}"));
    }
    text
}

/// Where a package's result points: its `[[package]]` line in the lockfile.
fn package_locations(package: &PackageReport, lockfile_uri: &str) -> Value {
    json!([{
        "physicalLocation": {
            "artifactLocation": { "uri": lockfile_uri },
            "region": { "startLine": package.lockfile_line.max(1) },
        },
        "logicalLocations": [{ "name": package.id(), "kind": "package" }],
    }])
}

/// What code scanning matches a package's alerts across runs by.
fn package_fingerprints(package: &PackageReport) -> Value {
    json!({ "packageId/v1": format!("{}@{}", package.outcome.name, package.outcome.version) })
}

/// A `source-differs` result for a package whose source comparison found
/// files not as at the commit; `None` for any other result.
fn source_result(package: &PackageReport, lockfile_uri: &str) -> Option<Value> {
    use crate::evidence::SourceResult;
    let found = package.source_match.as_ref()?;
    if found.result != SourceResult::Differs {
        return None;
    }
    let failed_on_it = match &package.outcome.outcome {
        Outcome::Violation { failures } | Outcome::Error { failures, .. } => failures
            .iter()
            .any(|f| f.requirement == Requirement::SourceMatches),
        _ => false,
    };
    let not_binary = |list: &[String]| -> Vec<String> {
        list.iter()
            .filter(|p| !found.binaries.contains(p))
            .cloned()
            .collect()
    };
    let mut text = format!(
        "{}: {} not as at commit {} of {}",
        package.id(),
        crate::words::count(found.difference_count(), "file", "files"),
        found.commit.as_deref().unwrap_or("?"),
        found.repository.as_deref().unwrap_or("?")
    );
    for (title, files) in [
        ("compiled code", found.binaries.clone()),
        ("only in the package", not_binary(&found.only_in_package)),
        ("differ", not_binary(&found.differ)),
        (
            "differ only in line endings",
            found.line_endings_only.clone(),
        ),
    ] {
        if !files.is_empty() {
            text.push_str(&format!("; {title}: {}", files.join(", ")));
        }
    }
    Some(json!({
        "ruleId": "source-differs",
        "level": if failed_on_it { "error" } else { "warning" },
        "message": { "text": text },
        "locations": package_locations(package, lockfile_uri),
        "partialFingerprints": package_fingerprints(package),
        "properties": {
            "package": package.outcome.name,
            "version": package.outcome.version.to_string(),
            "sourceMatch": found,
        },
    }))
}

/// A file as a URI relative to the current directory (the repository root
/// in CI, which is what code scanning resolves against), with `/` separators
/// and every other character a URI path cannot hold percent-encoded.
fn relative_uri(path: &Path) -> String {
    let relative: PathBuf = match std::env::current_dir() {
        Ok(cwd) => path
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf()),
        Err(_) => path.to_path_buf(),
    };
    let text = relative.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    // A URI reference: a space, `#`, `?` or `%` in a folder's name would
    // otherwise make it invalid or point elsewhere (`a#b/Cargo.lock` is
    // `a` with a fragment).
    percent_encoding::utf8_percent_encode(text, URI_PATH).to_string()
}

/// What is percent-encoded in a path made a URI: all but RFC 3986's
/// unreserved characters and `/`.
const URI_PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');
