//! `--message-format json`: one JSON object per line on stdout, each with a
//! `reason` field, like cargo's messages. Documented in
//! `docs/message-format.md`, with a JSON schema in
//! `docs/message-format.schema.json`.
//!
//! Lines, in order: one `package` per lockfile package (lockfile order),
//! one `warning` per warning, and a final `summary`.

use std::io::Write;

use serde::Serialize;

use super::{GraphSummary, PackageReport, Report, Summary, Warning, FORMAT_VERSION};
use crate::policy::Mode;

#[derive(Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
enum Message<'a> {
    Package(&'a PackageReport),
    Warning(&'a Warning),
    Summary(SummaryMessage<'a>),
}

#[derive(Serialize)]
struct SummaryMessage<'a> {
    format_version: u32,
    lockfile: &'a std::path::Path,
    policy: Option<&'a std::path::Path>,
    mode: Mode,
    trust_roots: &'a [String],
    sources: &'a [String],
    graph: &'a GraphSummary,
    #[serde(flatten)]
    counts: &'a Summary,
    not_checked_because: &'a [String],
}

/// Write the messages of `report` to `out`.
pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for package in &report.packages {
        line(out, &Message::Package(package))?;
    }
    for warning in &report.warnings {
        line(out, &Message::Warning(warning))?;
    }
    line(
        out,
        &Message::Summary(SummaryMessage {
            format_version: FORMAT_VERSION,
            lockfile: &report.lockfile,
            policy: report.policy.as_deref(),
            mode: report.mode,
            trust_roots: &report.trust_roots,
            sources: &report.sources,
            graph: &report.graph,
            counts: &report.summary,
            not_checked_because: &report.not_checked_because,
        }),
    )
}

fn line(out: &mut dyn Write, message: &Message<'_>) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, message).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
