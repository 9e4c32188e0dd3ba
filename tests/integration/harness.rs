//! A small harness: a temporary directory and a command that runs the binary in it.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary directory, removed when dropped.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("cvp-test-")
                .tempdir()
                .expect("create a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Write a file, creating its parent directories.
    pub fn write(&self, relative: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directory");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// A command for the binary, run in this directory, with a private cache
    /// and no inherited settings that would change its behaviour.
    pub fn command(&self) -> Cmd {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-verify-provenance"));
        command
            .current_dir(self.path())
            .env_remove("CARGO_TERM_COLOR")
            .env_remove("CARGO_NET_OFFLINE")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .env_remove("GITHUB_API_URL")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env("CARGO_VERIFY_PROVENANCE_CACHE", self.join(".cache"));
        Cmd { command }
    }
}

/// A command under construction.
pub struct Cmd {
    command: Command,
}

/// What a finished command printed, and its exit code.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Cmd {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Run in `dir` rather than the test's directory.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Run with stdin, stdout and stderr on a pseudo-terminal (120 columns),
    /// as in an interactive shell. `stdout` holds everything the terminal
    /// showed, escape sequences included; `stderr` is empty.
    pub fn run_in_terminal(mut self) -> Run {
        use std::io::Read;
        use std::os::fd::{FromRawFd, OwnedFd};
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: 50,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two new descriptors, owned from here on.
        let opened = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and nothing else owns them.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let slave = std::fs::File::from(slave);
        self.command
            .env("TERM", "xterm-256color")
            .stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave);
        let mut child = self.command.spawn().expect("run the binary");
        // The child holds the only remaining copies of the terminal's end.
        drop(self.command);
        let mut master = std::fs::File::from(master);
        let reader = std::thread::spawn(move || {
            let mut shown = Vec::new();
            let mut buffer = [0u8; 4096];
            // Reading fails (EIO) once every copy of the other end is closed.
            while let Ok(n) = master.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                shown.extend_from_slice(&buffer[..n]);
            }
            shown
        });
        let status = child.wait().expect("wait for the binary");
        let shown = reader.join().unwrap();
        Run {
            code: status
                .code()
                .expect("the binary exited, not killed by a signal"),
            stdout: String::from_utf8_lossy(&shown).into_owned(),
            stderr: String::new(),
        }
    }

    /// Run with stdout (and, with `stderr_too`, stderr) going into a pipe
    /// whose reader is already gone, as in `… | head` once head has exited.
    /// `stderr` holds what the binary wrote there otherwise.
    pub fn run_into_closed_pipe(mut self, stderr_too: bool) -> Run {
        use std::os::fd::{FromRawFd, OwnedFd};
        let mut ends = [0; 2];
        // SAFETY: pipe writes two new descriptors, owned from here on.
        assert_eq!(unsafe { libc::pipe(ends.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just opened and nothing else owns them.
        let (reader, writer) =
            unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
        drop(reader);
        let writer = std::fs::File::from(writer);
        self.command.stdout(writer.try_clone().unwrap());
        if stderr_too {
            self.command.stderr(writer);
        } else {
            self.command.stderr(std::process::Stdio::piped());
        }
        let output = self.command.output().expect("run the binary");
        Run {
            code: output
                .status
                .code()
                .expect("the binary exited, not killed by a signal"),
            stdout: String::new(),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Run, but kill the binary and fail the test when it has not exited
    /// within `limit`: for runs that must not hang whatever they are given.
    pub fn run_within(mut self, limit: std::time::Duration) -> Run {
        use std::io::Read;
        let mut child = self
            .command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run the binary");
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the binary still ran after {limit:?}\n--- stderr\n{}",
                    err.join().unwrap()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        Run {
            code: status
                .code()
                .expect("the binary exited, not killed by a signal"),
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        }
    }

    pub fn run(mut self) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = self.command.output().expect("run the binary");
        Run {
            code: status
                .code()
                .expect("the binary exited, not killed by a signal"),
            stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
        }
    }
}

impl Run {
    /// Assert the exit code, showing the output when it differs.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Assert that standard output contains `text`, showing it otherwise.
    #[track_caller]
    pub fn assert_stdout(&self, text: impl AsRef<str>) -> &Self {
        let text = text.as_ref();
        assert!(
            self.stdout.contains(text),
            "no {text:?} in stdout:\n{}",
            self.stdout
        );
        self
    }

    /// Assert that standard error contains `text`, showing it otherwise.
    #[track_caller]
    pub fn assert_stderr(&self, text: impl AsRef<str>) -> &Self {
        let text = text.as_ref();
        assert!(
            self.stderr.contains(text),
            "no {text:?} in stderr:\n{}",
            self.stderr
        );
        self
    }
}

/// A validator of docs/message-format.schema.json, the documented JSON messages.
pub fn message_format_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/message-format.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}
