//! A repository at one commit, through the `git` command line: only the
//! commit and its trees are fetched (`--depth 1 --filter=blob:none`), and
//! blobs only when asked for (the targets of symbolic links, a manifest).
//!
//! git itself does the network part, so its own configuration applies:
//! `url.<base>.insteadOf` (mirrors, tests), proxies, certificates. What
//! this module adds is what an audit of untrusted packages needs:
//! - no credentials from us: no credential helper, no prompt, no
//!   configured extra header or cookie file ([`process`]);
//! - bounds: a deadline per command, a cap on the bytes a fetch writes and
//!   on what a command prints, a cap on a tree's entries; past any of
//!   them, the command is killed and the fetch fails;
//! - an object the host did not send is an error, never fetched silently
//!   (`GIT_NO_LAZY_FETCH`): only [`Fetched::blobs`] asks for blobs;
//! - each fetch in its own temporary bare repository, removed when done.

mod batch;
pub mod objects;
mod process;
pub mod rewrite;
pub mod tree;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::IpAddr;
use std::time::Duration;

use miette::Diagnostic;

pub use objects::{commit_tree, object_id, walk, ObjectKind, TreeIds};
pub use rewrite::{is_local, Rewrites};
pub use tree::{EntryKind, ObjectFormat, ObjectId, Tree, TreeEntry};

use process::{command, run, Bounds};

/// How `git` is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitOptions {
    /// The program (`git`, found on `PATH`).
    pub program: OsString,
    /// The longest one fetch may take.
    pub fetch_timeout: Duration,
    /// The most one fetch may write (the commit and its trees).
    pub max_fetch_bytes: u64,
    /// The most files a commit's tree may list.
    pub max_tree_entries: usize,
    /// The largest blob read (a link's target, a manifest).
    pub max_blob_bytes: usize,
}

impl Default for GitOptions {
    fn default() -> Self {
        Self {
            program: "git".into(),
            fetch_timeout: Duration::from_secs(300),
            max_fetch_bytes: 512 * 1024 * 1024,
            max_tree_entries: 300_000,
            max_blob_bytes: 1024 * 1024,
        }
    }
}

/// The addresses git may connect to for a repository's host, when the URL
/// came from outside (a package's manifest): the addresses that were
/// checked, so a name resolved again by git (DNS rebinding) cannot lead
/// elsewhere. Given to curl as `http.curloptResolve` (git 2.37 and later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub host: String,
    pub port: u16,
    pub addresses: Vec<IpAddr>,
}

impl Pin {
    /// `HOST:PORT:ADDRESS[,ADDRESS]`, IPv6 addresses in brackets.
    fn curl_resolve(&self) -> String {
        let addresses: Vec<String> = self
            .addresses
            .iter()
            .map(|address| match address {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            })
            .collect();
        format!("{}:{}:{}", self.host, self.port, addresses.join(","))
    }
}

/// The deadline of commands that only read the local repository.
const LOCAL_TIMEOUT: Duration = Duration::from_secs(60);
/// The tree objects of a commit, per file it lists (an entry is about
/// 30 bytes plus its name; a folder's own entry adds to its parent).
const BYTES_PER_TREE_ENTRY: usize = 160;

/// Why a repository could not be read at a commit: each one leaves the
/// package not checked, never passed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum GitError {
    #[error("the `git` command is not installed")]
    #[diagnostic(code("git-not-installed"), help("install git"))]
    NotInstalled,
    #[error("cannot reach the repository's host: {0}")]
    #[diagnostic(code("git-unreachable"))]
    Unreachable(String),
    #[error("the repository was not found, or is private (no credentials are sent): {0}")]
    #[diagnostic(code("git-repository-not-found"))]
    RepositoryNotFound(String),
    #[error("the repository does not have commit {commit}: {detail}")]
    #[diagnostic(code("git-commit-not-found"))]
    CommitNotFound { commit: String, detail: String },
    #[error("the fetch failed: {0}")]
    #[diagnostic(code("git-fetch-failed"))]
    FetchFailed(String),
    #[error("git took longer than {seconds} s")]
    #[diagnostic(code("git-timeout"))]
    Timeout { seconds: u64 },
    #[error("the fetch wrote more than {limit} bytes")]
    #[diagnostic(code("git-too-large"))]
    TooLarge { limit: u64 },
    #[error("git printed more than {limit} bytes")]
    #[diagnostic(code("git-output-too-large"))]
    OutputTooLarge { limit: usize },
    #[error("the commit's tree lists more than {limit} files")]
    #[diagnostic(code("git-tree-too-large"))]
    TreeTooLarge { limit: usize },
    #[error("{0} is not in what the host sent")]
    #[diagnostic(code("git-object-missing"))]
    MissingObject(String),
    #[error("blob {id} is larger than {limit} bytes")]
    #[diagnostic(code("git-blob-too-large"))]
    BlobTooLarge { id: String, limit: usize },
    #[error("{0}")]
    #[diagnostic(code("git-malformed"))]
    Malformed(String),
    #[error("{0}")]
    #[diagnostic(code("git-io"))]
    Io(String),
}

/// The `git` command line, as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Git {
    pub options: GitOptions,
}

/// One repository fetched at one commit, in a temporary folder removed
/// when this is dropped.
#[derive(Debug)]
pub struct Fetched {
    /// Ended before the folder is removed.
    reader: std::sync::Mutex<Reader>,
    dir: tempfile::TempDir,
    commit: String,
    format: ObjectFormat,
    git: Git,
}

impl Git {
    /// git as `options` configure it, its program looked up on `PATH` once
    /// so that each command starts it by path (one not found stays a name,
    /// and each command then says git is not installed).
    pub fn new(mut options: GitOptions) -> Self {
        if let Ok(found) = which::which(&options.program) {
            options.program = found.into_os_string();
        }
        Self { options }
    }

    /// The `insteadOf` rules of the user's configuration (none when git is
    /// not installed or has none).
    pub fn rewrites(&self) -> Rewrites {
        let mut cmd = command(&self.options.program, None);
        cmd.args(["config", "--get-regexp", "-z", r"^url\..*\.insteadof$"]);
        match run(cmd, self.local_bounds(1024 * 1024, None)) {
            Ok(finished) if finished.success => Rewrites::parse(&finished.stdout),
            _ => Rewrites::default(),
        }
    }

    /// Fetch `commit` of the repository at `url` (git applies `insteadOf`):
    /// the commit and its trees only.
    ///
    /// Steps: a bare repository of the commit's object format in a new
    /// temporary folder; `url` as its promisor remote (what a partial
    /// fetch needs); `git fetch --depth 1 --filter=blob:none origin COMMIT`
    /// within the deadline and the byte cap.
    #[cfg(test)]
    pub fn fetch(&self, url: &str, commit: &str) -> Result<Fetched, GitError> {
        self.fetch_pinned(url, commit, None)
    }

    /// `Git::fetch`, and with a [`Pin`], every later request of this
    /// repository (the blobs asked for) made to the pinned addresses only,
    /// and no redirect followed.
    pub fn fetch_pinned(
        &self,
        url: &str,
        commit: &str,
        pin: Option<&Pin>,
    ) -> Result<Fetched, GitError> {
        let format = ObjectFormat::of_hex(commit)
            .filter(|_| commit.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| GitError::Malformed(format!("`{commit}` is not a commit ID")))?;
        let dir = tempfile::Builder::new()
            .prefix("cvp-git-")
            .tempdir()
            .map_err(|e| GitError::Io(e.to_string()))?;
        let mut settings = vec![
            ("core", "repositoryformatversion", "1".into()),
            ("core", "bare", "true".into()),
            ("extensions", "partialclone", "origin".into()),
        ];
        if format != ObjectFormat::Sha1 {
            settings.push(("extensions", "objectformat", format.name().into()));
        }
        settings.extend([
            ("remote \"origin\"", "url", url.to_string()),
            ("remote \"origin\"", "promisor", "true".into()),
            (
                "remote \"origin\"",
                "partialclonefilter",
                "blob:none".into(),
            ),
        ]);
        // The command line's `http.extraHeader=` clears only headers set
        // for every URL: one the user's configuration scopes to this URL
        // (`http.https://github.com/.extraHeader`, where CI setups keep a
        // token) is a better match and survives it. The same settings
        // for this very URL are the best match there is.
        let this_url = subsection("http", url)?;
        settings.push((this_url.as_str(), "extraHeader", String::new()));
        settings.push((this_url.as_str(), "cookieFile", String::new()));
        if let Some(pin) = pin {
            settings.push(("http", "followRedirects", "false".into()));
            settings.push(("http", "curloptResolve", pin.curl_resolve()));
        }
        init_bare(dir.path(), &settings)?;
        let fetched = Fetched {
            reader: std::sync::Mutex::new(Reader::default()),
            dir,
            commit: commit.to_ascii_lowercase(),
            format,
            git: self.clone(),
        };
        fetched.fetch_objects(&["--depth", "1"], std::slice::from_ref(&fetched.commit))?;
        Ok(fetched)
    }

    fn local_bounds(&self, max_stdout: usize, stdin: Option<Vec<u8>>) -> Bounds<'static> {
        Bounds {
            deadline: LOCAL_TIMEOUT,
            max_stdout,
            folder: None,
            stdin,
        }
    }
}

impl Fetched {
    pub fn format(&self) -> ObjectFormat {
        self.format
    }

    /// The commit fetched.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// Every file of the commit's tree: the commit and every tree read
    /// from it down ([`walk`], each tree checked against the ID its parent
    /// names), and kept for [`Fetched::objects`].
    pub fn tree(&self) -> Result<Tree, GitError> {
        let max = self.git.options.max_tree_entries;
        let id = ObjectId::from_hex(&self.commit)
            .ok_or_else(|| GitError::Malformed(format!("`{}` is not a commit ID", self.commit)))?;
        let commit = self
            .objects(ObjectKind::Commit, &[id])?
            .remove(&id)
            .ok_or_else(|| GitError::MissingObject(format!("commit {}", self.commit)))?;
        let root = commit_tree(&commit, self.format)?;
        let mut read = |ids: &[ObjectId]| self.objects(ObjectKind::Tree, ids);
        match walk(
            root,
            self.format,
            &|_, _| true,
            &mut read,
            max,
            TreeIds::Check,
        ) {
            Ok(walked) => Ok(walked.tree),
            Err(GitError::OutputTooLarge { .. }) => Err(GitError::TreeTooLarge { limit: max }),
            Err(error) => Err(error),
        }
    }

    /// The bytes of these blobs. Those the first fetch did not bring are
    /// fetched in one request; one the host then still does not send is
    /// [`GitError::MissingObject`]. Each is capped at `max_blob_bytes`.
    pub fn blobs(&self, ids: &[ObjectId]) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let missing: Vec<String> = self
            .sizes(ids)?
            .into_iter()
            .filter(|(_, size)| size.is_none())
            .map(|(id, _)| id.to_hex())
            .collect();
        if !missing.is_empty() {
            self.fetch_objects(&[], &missing)?;
        }
        let sizes = self.sizes(ids)?;
        for (id, size) in &sizes {
            match size {
                None => return Err(GitError::MissingObject(format!("blob {id}"))),
                Some(size) if *size > self.git.options.max_blob_bytes as u64 => {
                    return Err(GitError::BlobTooLarge {
                        id: id.to_hex(),
                        limit: self.git.options.max_blob_bytes,
                    })
                }
                Some(_) => {}
            }
        }
        self.read_blobs(ids)
    }

    /// `git fetch` of `wants` (a commit, or blobs), within the bounds.
    fn fetch_objects(&self, extra: &[&str], wants: &[String]) -> Result<(), GitError> {
        let options = &self.git.options;
        let mut cmd = command(&options.program, Some(self.dir.path()));
        cmd.args(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head"])
            .args(["--no-recurse-submodules", "--filter=blob:none"])
            .args(extra)
            .arg("origin")
            .args(wants);
        let bounds = Bounds {
            deadline: options.fetch_timeout,
            max_stdout: 1024 * 1024,
            folder: Some((self.dir.path(), options.max_fetch_bytes)),
            stdin: None,
        };
        let finished = run(cmd, bounds)?;
        if !finished.success {
            return Err(classify(&finished.stderr, &self.commit));
        }
        // A fetch quicker than the first measurement is measured once done.
        if process::folder_bytes(self.dir.path()) > options.max_fetch_bytes {
            return Err(GitError::TooLarge {
                limit: options.max_fetch_bytes,
            });
        }
        Ok(())
    }

    /// Each blob's size, or `None` when it is not here.
    fn sizes(&self, ids: &[ObjectId]) -> Result<Vec<(ObjectId, Option<u64>)>, GitError> {
        let input = batch_input(ids);
        let mut cmd = command(&self.git.options.program, Some(self.dir.path()));
        cmd.args(["cat-file", "--batch-check"]);
        let finished = run(
            cmd,
            self.git.local_bounds(ids.len() * 128 + 1024, Some(input)),
        )?;
        let text = String::from_utf8_lossy(&finished.stdout);
        let lines: Vec<&str> = text.lines().collect();
        if !finished.success || lines.len() != ids.len() {
            return Err(GitError::Io(last_line(&finished.stderr)));
        }
        ids.iter()
            .zip(lines)
            .map(|(id, line)| {
                let fields: Vec<&str> = line.split(' ').collect();
                match fields.as_slice() {
                    [_, "missing"] => Ok((*id, None)),
                    [_, "blob", size] => Ok((*id, size.parse().ok())),
                    _ => Err(GitError::Malformed(format!("{id} is not a blob: `{line}`"))),
                }
            })
            .collect()
    }

    /// Blobs known to be here and small enough; one not returned is missing.
    fn read_blobs(&self, ids: &[ObjectId]) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        let blobs = self.objects(ObjectKind::Blob, ids)?;
        match ids.iter().find(|id| !blobs.contains_key(id)) {
            Some(id) => Err(GitError::MissingObject(format!("blob {id}"))),
            None => Ok(blobs),
        }
    }

    /// The bytes of these objects of `kind` that are here (the commit and
    /// its trees are, once fetched), through one `git cat-file --batch`
    /// for the whole fetch; the commit and trees are kept once read.
    pub fn objects(
        &self,
        kind: ObjectKind,
        ids: &[ObjectId],
    ) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        let mut reader = self.reader.lock().expect("not poisoned");
        let Reader { batch, kept } = &mut *reader;
        let mut found = BTreeMap::new();
        let mut asked = Vec::new();
        for id in ids {
            match kept.get(id) {
                Some(bytes) => {
                    found.insert(*id, bytes.clone());
                }
                None => asked.push(*id),
            }
        }
        if asked.is_empty() {
            return Ok(found);
        }
        let batch = match batch {
            Some(batch) => batch,
            None => {
                let options = &self.git.options;
                let budget = (options.max_tree_entries as u64)
                    .saturating_mul(BYTES_PER_TREE_ENTRY as u64)
                    .saturating_add(options.max_blob_bytes as u64);
                let started =
                    batch::Batch::start(&options.program, self.dir.path(), LOCAL_TIMEOUT, budget)?;
                batch.insert(started)
            }
        };
        let read = batch.objects(kind, &asked)?;
        if kind != ObjectKind::Blob {
            kept.extend(read.iter().map(|(id, bytes)| (*id, bytes.clone())));
        }
        found.extend(read);
        Ok(found)
    }
}

/// What a fetch's objects are read through, and the commit and trees
/// read so far.
#[derive(Default)]
struct Reader {
    batch: Option<batch::Batch>,
    kept: BTreeMap<ObjectId, Vec<u8>>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("kept", &self.kept.len())
            .finish()
    }
}

fn batch_input(ids: &[ObjectId]) -> Vec<u8> {
    ids.iter()
        .flat_map(|id| format!("{id}\n").into_bytes())
        .collect()
}

/// A bare repository in `dir` (an empty folder) configured with `settings`
/// (section, key, value), written as `git init --bare --template=` and
/// `git config` would write it, without a process: `HEAD`, `objects/` and
/// `refs/` (what git looks for in a repository, gitrepository-layout(5))
/// and the configuration in one write. No template, so no hook from a
/// template folder the user's configuration names runs on the fetch.
/// Every value is quoted and escaped; one holding a control character
/// other than a tab or line feed is refused.
fn init_bare(dir: &std::path::Path, settings: &[(&str, &str, String)]) -> Result<(), GitError> {
    use std::fmt::Write as _;
    let mut text = String::new();
    let mut section = "";
    for (name, key, value) in settings {
        if *name != section {
            let _ = writeln!(text, "[{name}]");
            section = name;
        }
        let _ = writeln!(text, "\t{key} = {}", config_value(value)?);
    }
    let io = |e: std::io::Error| GitError::Io(format!("the fetch's repository: {e}"));
    std::fs::create_dir(dir.join("objects")).map_err(io)?;
    std::fs::create_dir(dir.join("refs")).map_err(io)?;
    std::fs::write(dir.join("HEAD"), "ref: refs/heads/main\n").map_err(io)?;
    std::fs::write(dir.join("config"), text).map_err(io)
}

/// The header of the section `name` with the subsection `sub`
/// (`http "https://…"`), quoted and escaped as git writes it; a control
/// character other than a tab is refused.
fn subsection(name: &str, sub: &str) -> Result<String, GitError> {
    let mut header = format!("{name} \"");
    for c in sub.chars() {
        match c {
            '\\' | '"' => {
                header.push('\\');
                header.push(c);
            }
            '\t' => header.push(c),
            c if c.is_control() => {
                return Err(GitError::Malformed("a URL with a control character".into()))
            }
            c => header.push(c),
        }
    }
    header.push('"');
    Ok(header)
}

/// `value` as a quoted git configuration value.
fn config_value(value: &str) -> Result<String, GitError> {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => {
                return Err(GitError::Malformed("a URL with a control character".into()))
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    Ok(quoted)
}

/// What a failed fetch means, from git's (English) message.
fn classify(stderr: &str, commit: &str) -> GitError {
    let detail = last_line(stderr);
    let has = |needles: &[&str]| needles.iter().any(|n| stderr.contains(n));
    if has(&[
        "not our ref",
        "couldn't find remote ref",
        "no such remote ref",
        "unadvertised object",
    ]) {
        GitError::CommitNotFound {
            commit: commit.to_string(),
            detail,
        }
    } else if has(&[
        "Could not resolve host",
        "Failed to connect",
        "Couldn't connect",
        "Connection refused",
        "Connection timed out",
        "SSL",
        "TLS",
        "Network is unreachable",
    ]) {
        GitError::Unreachable(detail)
    } else if has(&[
        "does not appear to be a git repository",
        "Repository not found",
        "terminal prompts disabled",
        "could not read Username",
        "Authentication failed",
        "returned error: 40",
    ]) {
        GitError::RepositoryNotFound(detail)
    } else {
        GitError::FetchFailed(detail)
    }
}

/// The line of git's message that says what failed: the first `fatal:`
/// or `error:` line, else the last one; every URL in it redacted (a
/// mirror's `user:token@` or `?token=`), as every message of git's this
/// module passes on comes through here.
fn last_line(text: &str) -> String {
    let lines = || text.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = lines()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or_else(|| lines().next_back())
        .unwrap_or("git failed without a message");
    crate::escape::redact_urls_in(line)
        .chars()
        .take(300)
        .collect()
}

#[cfg(all(test, feature = "testkit"))]
mod tests;
