//! The options of the commands, in groups each command takes as it needs
//! them, and what they mean to the core.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::diff::Accept;
use crate::fetch::{Announcer, ProgressLines, DEFAULT_LINE_EVERY};
use crate::http::HttpConfig;
use crate::policy::matcher::Glob;
use crate::policy::RootSpec;
use crate::run::{InventorySelection, RunConfig};
use crate::sources::{GitHubAuth, SourceSpec};
use crate::trust::Instance;

/// Options every command understands, as in cargo: how much is written
/// and in which colours, and whether the network may be used; and the
/// hidden settings tests and benchmarks give every command (the cache, the
/// clock, HTTP timeouts).
#[derive(Args, Debug, Clone)]
pub struct GlobalOptions {
    /// Require Cargo.lock to be up to date (never changed in any case).
    #[arg(long, global = true)]
    pub locked: bool,
    /// Use only the cache and local sources; make no network connection.
    #[arg(long, global = true, env = "CARGO_NET_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,
    /// --locked and --offline.
    #[arg(long, global = true)]
    pub frozen: bool,
    /// Coloring: auto, always, never.
    #[arg(long, global = true, value_enum, env = "CARGO_TERM_COLOR", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// More output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No informational output, and no progress but a line now and then
    /// in a long run whose stderr is a log.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// The cache directory (default: the user cache directory, e.g. ~/.cache/cargo-verify-provenance).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "CARGO_VERIFY_PROVENANCE_CACHE"
    )]
    pub cache_dir: Option<PathBuf>,
    /// The current time, for reproducible runs (RFC 3339, e.g. 2026-06-01T00:00:00Z).
    #[arg(long, global = true, value_name = "TIME")]
    pub now: Option<jiff::Timestamp>,
    /// Time between two progress lines when stderr is not a terminal, in
    /// milliseconds (default 10 s).
    #[arg(long, global = true, hide = true, value_name = "MS")]
    pub progress_interval_ms: Option<u64>,
    #[command(flatten)]
    pub http: HttpArgs,
}

impl GlobalOptions {
    pub fn offline(&self) -> bool {
        self.offline || self.frozen
    }

    /// How progress is shown on stderr: the bar on a terminal (not under
    /// `-q`); else a line every `--progress-interval-ms`, which `-q` holds
    /// back until the run has lasted a while.
    fn progress(&self) -> (bool, Option<ProgressLines>) {
        if std::io::stderr().is_terminal() {
            return (!self.quiet, None);
        }
        let every = self
            .progress_interval_ms
            .map_or(DEFAULT_LINE_EVERY, Duration::from_millis);
        let say = Announcer(std::sync::Arc::new(|line: &str| {
            use std::io::Write as _;
            let _ = writeln!(super::stderr(), "{line}");
        }));
        (false, Some(ProgressLines::new(every, self.quiet, say)))
    }

    /// The current time: `--now`, else the clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.now.unwrap_or_else(jiff::Timestamp::now)
    }
}

/// Which packages: the workspace's, or a bare lockfile's.
#[derive(Args, Debug, Clone, Default)]
pub struct WorkspaceArgs {
    /// Path to the workspace's Cargo.toml (default: found from the current directory).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Audit this Cargo.lock alone: no manifest, no cargo call.
    #[arg(long, value_name = "PATH", conflicts_with = "manifest_path")]
    pub lockfile: Option<PathBuf>,
}

/// Which part of the dependency graph is checked (the workspace only: a
/// bare lockfile does not say).
#[derive(Args, Debug, Clone, Default)]
pub struct ScopeArgs {
    /// Check only what cargo builds for this target triple (repeatable; replaces the policy's [graph] targets; default: every platform).
    #[arg(long = "target", value_name = "TRIPLE", conflicts_with = "lockfile")]
    pub targets: Vec<String>,
    /// Leave out packages that only dev-dependencies bring in.
    #[arg(long, visible_alias = "exclude-dev", conflicts_with = "lockfile")]
    pub no_dev: bool,
}

/// The policy file.
#[derive(Args, Debug, Clone, Default)]
pub struct PolicyFileArgs {
    /// The policy file (default: provenance.toml or .cargo/provenance.toml, found upward from the workspace root).
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
}

/// The trust roots bundles are verified against.
#[derive(Args, Debug, Clone, Default)]
pub struct RootArgs {
    /// A trusted_root.json to verify against instead of the built-in roots.
    #[arg(long = "trusted-root", value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Verify against Sigstore's staging instance.
    #[arg(long, conflicts_with = "trusted_root")]
    pub staging: bool,
    /// Verify against GitHub's artifact attestation instance (built in; private repositories' attestations).
    #[arg(long, conflicts_with_all = ["trusted_root", "staging"])]
    pub github: bool,
}

/// Where provenance is fetched from, and how many fetches run at once.
#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// A provenance source, tried in the order given, before those in the policy:
    /// github, github:ORG, url:TEMPLATE, dir:PATH or crates-io.
    #[arg(long = "source", value_name = "SOURCE", value_parser = Quiet(parse_source))]
    pub sources: Vec<SourceSpec>,
    /// How many fetches run at once (default 32); as in cargo, a negative N counts back from the number of CPUs, and `default` is the default.
    #[arg(short, long, value_name = "N", default_value_t = DEFAULT_JOBS, value_parser = parse_jobs, allow_negative_numbers = true)]
    pub jobs: u16,
    /// The GitHub API that GITHUB_TOKEN / GH_TOKEN is sent to, and no other host
    /// (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL", env = "GITHUB_API_URL", default_value = crate::sources::GITHUB_API, value_parser = Quiet(parse_api_url))]
    pub github_api_url: url::Url,
    /// A host a github source's bundle_url may name besides GitHub's own blob
    /// storage (repeatable; GitHub Enterprise).
    #[arg(long = "github-bundle-host", value_name = "HOST", value_parser = parse_host)]
    pub github_bundle_hosts: Vec<String>,
    /// Ask crates.io for every package's per-version record (one a second), also where no rule needs it.
    #[arg(long)]
    pub all_records: bool,
    /// Leave out the comparison of each `.crate` with its repository (no
    /// `.crate` read, no git): what the benchmarks measure it against.
    #[arg(long, hide = true)]
    pub no_source_comparison: bool,
}

const DEFAULT_JOBS: u16 = 32;
const MAX_JOBS: u16 = 1024;

/// `-j N` as cargo reads it: a positive number, `default`, or a negative
/// number counting back from the number of CPUs (at least one); never 0.
fn parse_jobs(text: &str) -> Result<u16, String> {
    if text == "default" {
        return Ok(DEFAULT_JOBS);
    }
    let jobs: i64 = text.parse().map_err(|_| {
        format!("`{text}` is not a number of jobs (a positive or negative integer, or `default`)")
    })?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as i64;
    let jobs = match jobs {
        0 => return Err("jobs may not be 0".to_string()),
        j if j < 0 => (cpus + j).max(1),
        j => j,
    };
    u16::try_from(jobs)
        .ok()
        .filter(|j| *j <= MAX_JOBS)
        .ok_or_else(|| format!("at most {MAX_JOBS} jobs"))
}

impl Default for SourceArgs {
    fn default() -> Self {
        Self {
            sources: Vec::new(),
            jobs: DEFAULT_JOBS,
            github_api_url: url::Url::parse(crate::sources::GITHUB_API).expect("a valid URL"),
            github_bundle_hosts: Vec::new(),
            all_records: false,
            no_source_comparison: false,
        }
    }
}

/// A value parser whose errors do not repeat the value: a URL may carry a
/// password or a token (its own message shows it redacted).
#[derive(Clone)]
struct Quiet<T>(fn(&str) -> Result<T, String>);

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Quiet<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let name = arg
            .and_then(clap::Arg::get_long)
            .map_or_else(|| "a value".to_string(), |long| format!("--{long}"));
        let invalid = |message: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for {name}: {message}\n"),
            )
            .with_cmd(cmd)
        };
        let text = value
            .to_str()
            .ok_or_else(|| invalid("not UTF-8".to_string()))?;
        (self.0)(text).map_err(invalid)
    }
}

/// An API URL, held to the rule every configured URL is.
fn parse_api_url(text: &str) -> Result<url::Url, String> {
    crate::http::rules::check_configured(text).map_err(|e| e.to_string())
}

/// A host name or IP address, as a URL would have it.
fn parse_host(text: &str) -> Result<String, String> {
    match url::Host::parse(text) {
        Ok(_) if !text.is_empty() && !text.contains(['/', ':', '@']) => {
            Ok(text.to_ascii_lowercase())
        }
        _ => Err(format!("`{text}` is not a host name")),
    }
}

/// Changes to accept for one run, by package name (exact or glob).
#[derive(Args, Debug, Clone, Default)]
pub struct AcceptArgs {
    /// Accept a drop of the evidence level for packages matching NAME (a name or glob; repeatable).
    #[arg(long = "allow-downgrade", value_name = "NAME", value_parser = parse_pattern)]
    pub allow_downgrade: Vec<Glob>,
    /// Accept a change of repository (URL or ID) for packages matching NAME (repeatable).
    #[arg(long = "allow-repository-change", value_name = "NAME", value_parser = parse_pattern)]
    pub allow_repository_change: Vec<Glob>,
    /// Accept a change of workflow or signer workflow for packages matching NAME (repeatable).
    #[arg(long = "allow-workflow-change", value_name = "NAME", value_parser = parse_pattern)]
    pub allow_workflow_change: Vec<Glob>,
}

impl AcceptArgs {
    /// The core's list of changes to accept.
    pub fn accept(&self) -> Accept {
        Accept {
            allow_downgrade: self.allow_downgrade.clone(),
            allow_repository_change: self.allow_repository_change.clone(),
            allow_workflow_change: self.allow_workflow_change.clone(),
        }
    }
}

fn parse_pattern(text: &str) -> Result<Glob, String> {
    Glob::package_name(text).map_err(|e| e.to_string())
}

fn parse_source(text: &str) -> Result<SourceSpec, String> {
    SourceSpec::parse_cli(text).map_err(|e| e.to_string())
}

/// What the whole job runs under, whichever packages it checks: the
/// policy, the roots and the sources.
#[derive(Args, Debug, Clone, Default)]
pub struct JobArgs {
    #[command(flatten)]
    pub policy: PolicyFileArgs,
    #[command(flatten)]
    pub roots: RootArgs,
    #[command(flatten)]
    pub sources: SourceArgs,
}

/// Everything a command that runs the whole job takes: which packages, and
/// what the job runs under. Commands that take only some of these fill the
/// rest with the defaults.
#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub job: JobArgs,
}

impl RunArgs {
    /// The core's configuration for these options. Nothing past this point
    /// sees the command line.
    pub fn run_config(&self, global: &GlobalOptions) -> RunConfig {
        let offline = global.offline();
        let (progress, progress_lines) = global.progress();
        let JobArgs {
            policy,
            roots,
            sources,
        } = &self.job;
        RunConfig {
            inventory: match &self.workspace.lockfile {
                Some(path) => InventorySelection::Lockfile(path.clone()),
                None => InventorySelection::Workspace {
                    manifest_path: self.workspace.manifest_path.clone(),
                },
            },
            policy: policy.policy.clone(),
            roots: roots.roots(),
            sources: sources.sources.clone(),
            cache_dir: global.cache_dir.clone(),
            offline,
            now: global.now(),
            jobs: usize::from(sources.jobs),
            http: global.http.config(),
            progress,
            progress_lines,
            github_auth: if offline {
                GitHubAuth::none()
            } else {
                GitHubAuth::from_env().with_api(sources.github_api_url.clone())
            },
            github_bundle_hosts: sources.github_bundle_hosts.clone(),
            no_attestation_ttl: None,
            announce: (!global.quiet)
                .then(|| Announcer(std::sync::Arc::new(|message: &str| announce(message)))),
            targets: self.scope.targets.clone(),
            exclude_dev: self.scope.no_dev,
            only: None,
            source_comparison: !sources.no_source_comparison,
            cargo_home: None,
            all_records: sources.all_records,
            compared: Default::default(),
        }
    }
}

impl RootArgs {
    /// `--trusted-root` and `--staging` replace the policy's roots.
    fn roots(&self) -> Option<Vec<RootSpec>> {
        match (&self.trusted_root, self.staging, self.github) {
            (Some(path), ..) => Some(vec![RootSpec::File { path: path.clone() }]),
            (None, true, _) => Some(vec![RootSpec::Instance {
                instance: Instance::Staging,
            }]),
            (None, false, true) => Some(vec![RootSpec::Instance {
                instance: Instance::GitHub,
            }]),
            (None, false, false) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_read_as_cargo_reads_them() {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u16;
        assert_eq!(parse_jobs("4"), Ok(4));
        assert_eq!(parse_jobs("default"), Ok(DEFAULT_JOBS));
        assert_eq!(parse_jobs("-1"), Ok(cpus.saturating_sub(1).max(1)));
        assert_eq!(parse_jobs("-100000"), Ok(1));
        assert!(parse_jobs("0").is_err());
        assert!(parse_jobs("5000").is_err());
        assert!(parse_jobs("many").is_err());
    }
}

/// Hidden command-line settings for [`HttpConfig`] (tests and benchmarks).
#[derive(Args, Debug, Clone, Default)]
pub struct HttpArgs {
    /// Total time for one HTTP attempt, in milliseconds.
    #[arg(long, global = true, hide = true, value_name = "MS")]
    pub http_timeout_ms: Option<u64>,
    /// Retries after a failed HTTP attempt.
    #[arg(long, global = true, hide = true, value_name = "N")]
    pub http_retries: Option<u32>,
    /// First retry delay, in milliseconds.
    #[arg(long, global = true, hide = true, value_name = "MS")]
    pub http_backoff_ms: Option<u64>,
    /// Longest rate-limit wait, in milliseconds.
    #[arg(long, global = true, hide = true, value_name = "MS")]
    pub http_max_wait_ms: Option<u64>,
    /// Largest response body accepted, in bytes.
    #[arg(long, global = true, hide = true, value_name = "BYTES")]
    pub http_max_bytes: Option<usize>,
    /// Least time between two requests to crates.io's API, in milliseconds.
    #[arg(long, global = true, hide = true, value_name = "MS")]
    pub crates_io_interval_ms: Option<u64>,
    /// Judge answers from loopback addresses as answers from elsewhere (tests
    /// stand a loopback server in for a remote one; it only refuses more).
    #[arg(long, global = true, hide = true)]
    pub loopback_answers_are_remote: bool,
}

impl HttpArgs {
    /// The defaults with whatever was given on the command line.
    pub fn config(&self) -> HttpConfig {
        let mut config = HttpConfig::default();
        if let Some(ms) = self.http_timeout_ms {
            config.timeout = Duration::from_millis(ms);
            config.connect_timeout = config.connect_timeout.min(config.timeout);
        }
        if let Some(retries) = self.http_retries {
            config.retries = retries;
        }
        if let Some(ms) = self.http_backoff_ms {
            config.backoff = Duration::from_millis(ms);
            config.max_backoff = config.backoff * 16;
        }
        if let Some(ms) = self.http_max_wait_ms {
            config.max_rate_limit_wait = Duration::from_millis(ms);
        }
        if let Some(bytes) = self.http_max_bytes {
            config.max_body_bytes = bytes;
        }
        if let Some(ms) = self.crates_io_interval_ms {
            config.crates_io_interval = Duration::from_millis(ms);
        }
        config.loopback_answers_are_remote = self.loopback_answers_are_remote;
        config
    }
}

/// Say what the fetch is doing, on stderr: the message names sources and
/// hosts, so it is escaped, on one line.
fn announce(message: &str) {
    use std::io::Write as _;
    let _ = writeln!(
        super::stderr(),
        "{}",
        crate::report::diagnostic_style::note_line(message, super::stderr_style())
    );
}
