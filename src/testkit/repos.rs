//! Git repositories made for tests and benchmarks: one commit of the given
//! files, symbolic links and submodule links, written through
//! `git fast-import` (any number of files in one process, fixed dates, so
//! the same files give the same commit), in a bare repository that allows
//! what a partial fetch by commit needs (`uploadpack.allowFilter`,
//! `uploadpack.allowAnySHA1InWant`), as GitHub does.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// One entry of the commit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoFile {
    File(Vec<u8>),
    Executable(Vec<u8>),
    /// A symbolic link to this target.
    Symlink(String),
    /// A submodule at this commit (hex).
    Submodule(String),
}

/// The files of the one commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoBuilder {
    files: Vec<(String, RepoFile)>,
}

impl RepoBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files
            .push((path.to_string(), RepoFile::File(bytes.into())));
        self
    }

    pub fn entry(mut self, path: &str, file: RepoFile) -> Self {
        self.files.push((path.to_string(), file));
        self
    }

    pub fn symlink(self, path: &str, target: &str) -> Self {
        self.entry(path, RepoFile::Symlink(target.to_string()))
    }

    /// Write the repository (bare) at `path`, in SHA-1 or SHA-256, and
    /// return the commit's ID. Panics when git fails: a test setup error.
    pub fn build(&self, path: &Path, sha256: bool) -> String {
        let format = if sha256 { "sha256" } else { "sha1" };
        git(
            None,
            &[
                "init",
                "--bare",
                "--quiet",
                &format!("--object-format={format}"),
            ],
            Some(path),
        );
        for (key, value) in [
            ("uploadpack.allowFilter", "true"),
            ("uploadpack.allowAnySHA1InWant", "true"),
        ] {
            git(Some(path), &["config", key, value], None);
        }
        let mut child = base(Some(path))
            .args(["fast-import", "--quiet", "--date-format=raw"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("run git fast-import");
        {
            let mut stdin = std::io::BufWriter::new(child.stdin.take().expect("piped"));
            self.write_stream(&mut stdin)
                .expect("write to git fast-import");
        }
        assert!(
            child.wait().expect("wait for git").success(),
            "git fast-import failed"
        );
        let output = base(Some(path))
            .args(["rev-parse", "refs/heads/main"])
            .output()
            .expect("run git rev-parse");
        String::from_utf8(output.stdout)
            .expect("hex")
            .trim()
            .to_string()
    }

    fn write_stream(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "commit refs/heads/main")?;
        writeln!(out, "committer Test <test@example.com> 1700000000 +0000")?;
        data(out, b"the recorded commit\n")?;
        for (path, file) in &self.files {
            match file {
                RepoFile::File(bytes) | RepoFile::Executable(bytes) => {
                    let mode = if matches!(file, RepoFile::File(_)) {
                        "100644"
                    } else {
                        "100755"
                    };
                    writeln!(out, "M {mode} inline {path}")?;
                    data(out, bytes)?;
                }
                RepoFile::Symlink(target) => {
                    writeln!(out, "M 120000 inline {path}")?;
                    data(out, target.as_bytes())?;
                }
                RepoFile::Submodule(commit) => writeln!(out, "M 160000 {commit} {path}")?,
            }
        }
        writeln!(out, "done")
    }
}

fn data(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    writeln!(out, "data {}", bytes.len())?;
    out.write_all(bytes)?;
    writeln!(out)
}

/// `git` with no configuration but the test's, never asking anything.
fn base(git_dir: Option<&Path>) -> Command {
    let mut command = Command::new("git");
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR");
    if let Some(dir) = git_dir {
        command.arg("--git-dir").arg(dir);
    }
    command
}

fn git(git_dir: Option<&Path>, args: &[&str], last: Option<&Path>) {
    let mut command = base(git_dir);
    command.args(args);
    if let Some(path) = last {
        command.arg(path);
    }
    let status = command.status().expect("run git");
    assert!(status.success(), "git {args:?} failed");
}

/// `git config` values that send `url`'s fetches to `base` instead, as a
/// test passes them in the environment (`GIT_CONFIG_COUNT`, …).
pub fn insteadof_env(rules: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars = vec![("GIT_CONFIG_COUNT".to_string(), rules.len().to_string())];
    for (n, (url, base)) in rules.iter().enumerate() {
        vars.push((
            format!("GIT_CONFIG_KEY_{n}"),
            format!("url.{base}.insteadOf"),
        ));
        vars.push((format!("GIT_CONFIG_VALUE_{n}"), (*url).to_string()));
    }
    vars
}
