//! Running the `git` command line within bounds: a deadline, a cap on what
//! it prints, and (for fetches) a cap on what it writes into its folder;
//! past any of them the whole process group is killed.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::GitError;

/// How often the folder a fetch writes into is measured (and the deadline
/// looked at).
const MEASURE_EVERY: Duration = Duration::from_millis(100);
/// How often a command whose output has ended is looked at until it exits.
const EXITING: Duration = Duration::from_millis(1);
/// What is kept of a command's standard error for messages.
const STDERR_KEPT: usize = 4096;

/// What a command may use.
pub(super) struct Bounds<'a> {
    pub deadline: Duration,
    /// The most its standard output may hold.
    pub max_stdout: usize,
    /// A folder it writes into, and the most it may hold.
    pub folder: Option<(&'a Path, u64)>,
    pub stdin: Option<Vec<u8>>,
}

/// A finished command.
pub(super) struct Finished {
    pub success: bool,
    pub stdout: Vec<u8>,
    /// The end of its standard error, as text.
    pub stderr: String,
}

/// Configuration that keeps credentials and background work out of every
/// command: no credential helper, no prompt, no extra header or cookie
/// the user's configuration may hold for a host, no maintenance.
const SAFE_CONFIG: [&str; 10] = [
    "credential.helper=",
    "credential.interactive=false",
    "core.askPass=",
    "http.extraHeader=",
    "http.cookieFile=",
    "gc.auto=0",
    "maintenance.auto=false",
    "fetch.writeCommitGraph=false",
    "http.lowSpeedLimit=1024",
    "http.lowSpeedTime=30",
];

/// The only variables of the tool's environment a `git` command sees:
/// what git, curl and ssh need to find their configuration, certificates,
/// proxy and agent, and git's own (`GIT_*`, but for [`REMOVED_VARIABLES`]).
/// Everything else stays out, whatever its name: `GITHUB_TOKEN`, a
/// registry's token, the CI's OIDC request token and any secret of the
/// job are never handed to git or to a program its configuration runs.
const KEPT_VARIABLES: [&str; 31] = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TMPDIR",
    "TMP",
    "TEMP",
    "TZ",
    "XDG_CONFIG_HOME",
    "LD_LIBRARY_PATH",
    "SSH_AUTH_SOCK",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "NIX_SSL_CERT_FILE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SYSTEMROOT",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
    "PROGRAMDATA",
    "HOMEDRIVE",
    "HOMEPATH",
    "PROGRAMFILES",
];

/// Whether the variable `name` of the tool's environment is passed to git.
///
/// Names are compared without regard to case, as Windows does (where
/// `PATH` is usually spelled `Path`); on Unix that keeps no more than a
/// differently spelled copy of a variable kept anyway.
pub(super) fn is_kept(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    let is = |listed: &&str| listed.eq_ignore_ascii_case(name);
    let git_own = name
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("GIT_"));
    (git_own && !REMOVED_VARIABLES.iter().any(is)) || KEPT_VARIABLES.iter().any(is)
}

/// Variables of a surrounding git process or of the user's shell that
/// would point a command at another repository or ask for a password.
const REMOVED_VARIABLES: [&str; 10] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_TRACE_PACKET",
];

/// A `git` command with the safe configuration and environment (only
/// [`KEPT_VARIABLES`] and git's own of the tool's): prompts off, lazy fetches off (an object missing from what the host
/// sent is an error, never a silent fetch), only the transports a mirror
/// or test may name (no `ext::`), and git's own messages in English.
pub(super) fn command(program: &OsStr, git_dir: Option<&Path>) -> Command {
    let mut command = Command::new(program);
    command.env_clear();
    command.envs(std::env::vars_os().filter(|(name, _)| is_kept(name)));
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_ALLOW_PROTOCOL", "https:http:file:ssh:git")
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C");
    for setting in SAFE_CONFIG {
        command.arg("-c").arg(setting);
    }
    if let Some(dir) = git_dir {
        command.arg("--git-dir").arg(dir);
    }
    command
}

/// Start `command` in a process group of its own (so that a kill reaches
/// what it starts).
pub(super) fn spawn(mut command: Command) -> Result<Child, GitError> {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn().map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => GitError::NotInstalled,
        _ => GitError::Io(error.to_string()),
    })
}

/// Run `command` within `bounds`.
pub(super) fn run(mut command: Command, bounds: Bounds<'_>) -> Result<Finished, GitError> {
    command
        .stdin(if bounds.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn(command)?;
    if let (Some(input), Some(mut stdin)) = (bounds.stdin, child.stdin.take()) {
        // A thread, so that a command answering as it reads never blocks
        // on a full pipe while we are still writing.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let max_stdout = bounds.max_stdout;
    // The end of its output is the first sign a command is done: waited
    // for through a channel, so that it is seen at once rather than at the
    // next look.
    let (sender, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(read_capped(stdout, max_stdout));
    });
    let err_reader = std::thread::spawn(move || read_tail(stderr));
    let (waited, ended) = wait(&mut child, bounds.deadline, bounds.folder, &output);
    let (stdout, overflow) = ended.unwrap_or_else(|| output.recv().unwrap_or_default());
    let stderr = err_reader.join().unwrap_or_default();
    let success = waited?;
    if overflow {
        return Err(GitError::OutputTooLarge { limit: max_stdout });
    }
    Ok(Finished {
        success,
        stdout,
        stderr,
    })
}

/// What the thread reading a command's output sends when it ends.
type Output = (Vec<u8>, bool);

/// Wait for `child`, killing it past the deadline or the folder's cap:
/// until its output ends (or it exits), looking at the deadline and the
/// folder between; then until it exits, which follows at once. Its
/// output too, when it was received.
fn wait(
    child: &mut Child,
    deadline: Duration,
    folder: Option<(&Path, u64)>,
    output: &std::sync::mpsc::Receiver<Output>,
) -> (Result<bool, GitError>, Option<Output>) {
    use std::sync::mpsc::RecvTimeoutError;
    let started = Instant::now();
    let mut ended: Option<Output> = None;
    loop {
        let left = deadline.saturating_sub(started.elapsed());
        if ended.is_none() {
            let tick = left.min(MEASURE_EVERY).max(Duration::from_millis(1));
            match output.recv_timeout(tick) {
                Ok(received) => ended = Some(received),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => ended = Some(Output::default()),
            }
        } else {
            std::thread::sleep(EXITING);
        }
        match child.try_wait() {
            Ok(Some(status)) => return (Ok(status.success()), ended),
            Ok(None) => {}
            Err(error) => return (Err(GitError::Io(error.to_string())), ended),
        }
        if started.elapsed() > deadline {
            kill(child);
            let seconds = deadline.as_secs();
            return (Err(GitError::Timeout { seconds }), ended);
        }
        if let Some((path, limit)) = folder {
            if ended.is_none() && folder_bytes(path) > limit {
                kill(child);
                return (Err(GitError::TooLarge { limit }), ended);
            }
        }
    }
}

/// Kill the command and every process it started (git runs its transport
/// and `index-pack` as children).
pub(super) fn kill(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The bytes of every file below `path` (symbolic links not followed).
pub(super) fn folder_bytes(path: &Path) -> u64 {
    let mut total = 0;
    let mut pending: Vec<PathBuf> = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(entry.path()),
                Ok(kind) if kind.is_file() => {
                    total += entry.metadata().map_or(0, |m| m.len());
                }
                _ => {}
            }
        }
    }
    total
}

/// Up to `max` bytes, then drain the rest (so the command is not blocked)
/// and say it overflowed.
fn read_capped(mut reader: impl Read, max: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 64 * 1024];
    let mut overflow = false;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) | Err(_) => return (kept, overflow),
            Ok(n) if !overflow && kept.len() + n <= max => kept.extend_from_slice(&buffer[..n]),
            Ok(_) => {
                overflow = true;
                kept = Vec::new();
            }
        }
    }
}

/// The last [`STDERR_KEPT`] bytes, as text.
fn read_tail(mut reader: impl Read) -> String {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    while let Ok(n) = reader.read(&mut buffer) {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buffer[..n]);
        if kept.len() > 2 * STDERR_KEPT {
            kept.drain(..kept.len() - STDERR_KEPT);
        }
    }
    let start = kept.len().saturating_sub(STDERR_KEPT);
    String::from_utf8_lossy(&kept[start..]).into_owned()
}
