//! One `git cat-file --batch` process for a fetched repository, asked for
//! objects as they are needed (a tree level at a time), rather than a
//! process per question: a commit's trees are read by a few round trips
//! through one process.
//!
//! Its answers are bounded like every command's: a deadline for the whole
//! conversation (past it the process is killed and the read fails), and a
//! budget of bytes for all the objects it returns.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::objects::ObjectKind;
use super::process::{command, kill, spawn};
use super::{GitError, ObjectId};

/// IDs written at once: their lines (at most 65 bytes each) fit in a
/// pipe's buffer, so writing never waits for git, which waits for us.
const IDS_AT_ONCE: usize = 256;
/// The longest answer header (`ID SP TYPE SP SIZE LF`) read.
const MAX_HEADER: u64 = 256;

/// A running `git cat-file --batch`.
pub(super) struct Batch {
    child: Arc<Mutex<Child>>,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// Bytes the objects still to come may hold.
    budget: u64,
    timed_out: Arc<AtomicBool>,
    deadline: Duration,
    /// Dropped (or sent to) when done: the deadline's watch ends.
    done: Option<mpsc::Sender<()>>,
}

impl Batch {
    /// Start `git cat-file --batch` in the repository `dir`, killed after
    /// `deadline`; its objects may hold `budget` bytes in all.
    pub fn start(
        program: &std::ffi::OsStr,
        dir: &Path,
        deadline: Duration,
        budget: u64,
    ) -> Result<Self, GitError> {
        let mut cmd = command(program, Some(dir));
        cmd.args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = spawn(cmd)?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let child = Arc::new(Mutex::new(child));
        let timed_out = Arc::new(AtomicBool::new(false));
        let (done, finished) = mpsc::channel::<()>();
        let (watched, flag) = (child.clone(), timed_out.clone());
        std::thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(deadline) {
                flag.store(true, Ordering::SeqCst);
                if let Ok(mut child) = watched.lock() {
                    end(&mut child);
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            stdout,
            budget,
            timed_out,
            deadline,
            done: Some(done),
        })
    }

    /// The objects of `kind` among `ids` that the repository has (one it
    /// lacks is left out). An object of another kind is an error, as is
    /// the budget or the deadline passed.
    pub fn objects(
        &mut self,
        kind: ObjectKind,
        ids: &[ObjectId],
    ) -> Result<BTreeMap<ObjectId, Vec<u8>>, GitError> {
        let mut objects = BTreeMap::new();
        for chunk in ids.chunks(IDS_AT_ONCE) {
            let lines: String = chunk.iter().map(|id| format!("{id}\n")).collect();
            let written = match self.stdin.as_mut() {
                Some(stdin) => stdin
                    .write_all(lines.as_bytes())
                    .and_then(|()| stdin.flush()),
                None => Err(std::io::ErrorKind::BrokenPipe.into()),
            };
            written.map_err(|_| self.broken())?;
            for id in chunk {
                if let Some(bytes) = self.answer(kind, id)? {
                    objects.insert(*id, bytes);
                }
            }
        }
        Ok(objects)
    }

    /// The answer for `id`: `None` when missing.
    fn answer(&mut self, kind: ObjectKind, id: &ObjectId) -> Result<Option<Vec<u8>>, GitError> {
        let mut header = Vec::new();
        (&mut self.stdout)
            .take(MAX_HEADER)
            .read_until(b'\n', &mut header)
            .map_err(|_| self.broken())?;
        if header.last() != Some(&b'\n') {
            return Err(self.broken());
        }
        let header = String::from_utf8_lossy(&header[..header.len() - 1]).into_owned();
        let hex = id.to_hex();
        let bad = || {
            let kind = kind.name();
            GitError::Malformed(format!("`git cat-file` did not return {kind} {id}"))
        };
        let size: u64 = match header.split(' ').collect::<Vec<_>>().as_slice() {
            [got, "missing"] if *got == hex => return Ok(None),
            [got, got_kind, size] if *got == hex && *got_kind == kind.name() => {
                size.parse().map_err(|_| bad())?
            }
            _ => return Err(bad()),
        };
        if size > self.budget {
            return Err(GitError::OutputTooLarge {
                limit: usize::try_from(self.budget).unwrap_or(usize::MAX),
            });
        }
        self.budget -= size;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&mut self.stdout)
            .take(size + 1)
            .read_to_end(&mut bytes)
            .map_err(|_| self.broken())?;
        if bytes.pop() != Some(b'\n') || bytes.len() as u64 != size {
            return Err(self.broken());
        }
        Ok(Some(bytes))
    }

    /// Why the conversation stopped: the deadline, else git.
    fn broken(&self) -> GitError {
        if self.timed_out.load(Ordering::SeqCst) {
            GitError::Timeout {
                seconds: self.deadline.as_secs(),
            }
        } else {
            GitError::Io("`git cat-file` stopped answering".into())
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        drop(self.done.take());
        drop(self.stdin.take());
        if let Ok(mut child) = self.child.lock() {
            end(&mut child);
        }
    }
}

/// Kill `child` and what it started, unless it was already waited for
/// (its process group's ID could then be another's).
fn end(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        kill(child);
    }
}
