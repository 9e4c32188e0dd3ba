//! The source comparison on a workload shaped like a real lockfile, against
//! git's own partial fetch of the same repositories and commits.
//!
//! `cargo bench --features testkit --bench source_compare` (size: the
//! `SOURCE_BENCH_REPOS` environment variable, default 200 repositories; one
//! in ten is a monorepo of five crates, the others hold one, so 200
//! repositories make 280 packages).
//!
//! It writes the repositories (bare, one commit each, through `git
//! fast-import`), the `.crate` of every package into a cargo home's download
//! cache, a Cargo.lock and a policy with an empty `dir` source, and sends
//! every `https://git.example/` URL to the local repositories through one
//! `url.<base>.insteadOf` rule. Then, alternately, `RUNS` times each:
//! - `git fetch`: for every (repository, commit), `git init --bare` and
//!   `git fetch --depth 1 --filter=blob:none` of the commit, four at once
//!   (as the comparison runs at most four fetches per host): the floor;
//! - `cold`: the binary, `--offline -q`, into an empty cache: every
//!   package read and compared, one fetch per repository;
//! - `warm`: the binary again on the filled cache (no git run);
//! - `off`: the binary with the comparison left out
//!   (`--no-source-comparison`), on the same filled cache: the run as it was
//!   before the comparison existed;
//!
//! and prints the best wall and CPU time (user + system, children
//! included) of each, the ratios cold / git fetch and warm / off, and the
//! peak resident memory of the binary's runs.
//!
//! `SOURCE_BENCH_BEFORE=PATH` names another build of the binary (an earlier
//! revision): its cold, warm and off runs are measured in the same rounds
//! (its cold into a cache of its own, its warm and off on it) and its
//! ratios printed beside this build's. `SOURCE_BENCH_KEEP=1` keeps the
//! workload's folder (and prints where it is), to profile a run on it;
//! `SOURCE_BENCH_RUNS=N` sets the rounds (default 3). `SOURCE_BENCH_BINARY=PATH`
//! measures that copy of this build instead of the target folder's (which
//! another build may replace while the bench runs).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cargo_verify_provenance::testkit::crates::CrateBuilder;
use cargo_verify_provenance::testkit::files::{cargo_lock, LockedPackage};
use cargo_verify_provenance::testkit::repos::RepoBuilder;
use sha2::{Digest, Sha256};

/// Rounds, unless `SOURCE_BENCH_RUNS` says otherwise.
const RUNS: usize = 3;
/// Files of each crate besides its manifest and README.
const FILES_PER_CRATE: usize = 30;
/// Where every repository of the workload claims to be.
const HOST: &str = "https://git.example/";

#[path = "support/measure.rs"]
mod measure;
use measure::Measure;

/// A crate's files: path and text.
type Files = Vec<(String, String)>;

/// One repository: its folder name and its commit.
struct Repository {
    name: String,
    commit: String,
}

fn main() {
    let repositories: usize = std::env::var("SOURCE_BENCH_REPOS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    let started = Instant::now();
    let (repos, packages) = write_workload(root, repositories);
    eprintln!(
        "{} repositories, {packages} packages written in {:.1} s",
        repos.len(),
        started.elapsed().as_secs_f64()
    );

    let runs: usize = std::env::var("SOURCE_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(RUNS);
    let this = std::env::var_os("SOURCE_BENCH_BINARY").map_or_else(
        || env!("CARGO_BIN_EXE_cargo-verify-provenance").into(),
        PathBuf::from,
    );
    let before = std::env::var_os("SOURCE_BENCH_BEFORE").map(PathBuf::from);
    let mut fetch = Measure::new();
    let mut after = Runs::new();
    let mut earlier = Runs::new();
    for round in 0..runs {
        fetch.add(git_fetch_all(root, &repos, round));
        after.round(&this, root, &format!("cache-{round}"));
        if let Some(before) = &before {
            earlier.round(before, root, &format!("cache-before-{round}"));
        }
    }
    println!("| build | packages (repositories) | git fetch wall / CPU | cold wall / CPU | cold ÷ git fetch | peak RSS cold | warm wall / CPU | off wall / CPU | warm ÷ off | peak RSS warm |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let shown = |name: &str, runs: &Runs| runs.row(name, packages, repos.len(), &fetch);
    if before.is_some() {
        println!("{}", shown("before", &earlier));
    }
    println!("{}", shown("this", &after));
    if std::env::var_os("SOURCE_BENCH_KEEP").is_some() {
        eprintln!("workload kept in {}", dir.keep().display());
    }
}

/// One build's cold, warm and off runs over the rounds.
struct Runs {
    cold: Measure,
    warm: Measure,
    off: Measure,
}

impl Runs {
    fn new() -> Self {
        Self {
            cold: Measure::new(),
            warm: Measure::new(),
            off: Measure::new(),
        }
    }

    /// `binary` cold into `cache` (new), then warm and off on it.
    fn round(&mut self, binary: &Path, root: &Path, cache: &str) {
        self.cold.add(run_binary(binary, root, cache, false));
        self.warm.add(run_binary(binary, root, cache, false));
        self.off.add(run_binary(binary, root, cache, true));
    }

    /// The table's row for this build.
    fn row(&self, name: &str, packages: usize, repos: usize, fetch: &Measure) -> String {
        let pair =
            |m: &Measure| format!("{:.3} / {:.3} s", m.wall.as_secs_f64(), m.cpu.as_secs_f64());
        let ratio = |a: &Measure, b: &Measure| {
            format!(
                "{:.2}x / {:.2}x",
                a.wall.as_secs_f64() / b.wall.as_secs_f64(),
                a.cpu.as_secs_f64() / b.cpu.as_secs_f64()
            )
        };
        format!(
            "| {name} | {packages} ({repos}) | {} | {} | {} | {} MiB | {} | {} | {} | {} MiB |",
            pair(fetch),
            pair(&self.cold),
            ratio(&self.cold, fetch),
            self.cold.rss_kib / 1024,
            pair(&self.warm),
            pair(&self.off),
            ratio(&self.warm, &self.off),
            self.warm.rss_kib / 1024,
        )
    }
}

/// The repositories, the cargo home, Cargo.lock and the policy; returns the
/// repositories and the number of packages.
fn write_workload(root: &Path, repositories: usize) -> (Vec<Repository>, usize) {
    let cache = root.join("cargo-home/registry/cache/index.crates.io-1949cf8c6b5b557f");
    std::fs::create_dir_all(&cache).expect("the cargo cache");
    std::fs::create_dir_all(root.join("bundles")).expect("the bundles folder");
    let mut repos = Vec::new();
    let mut locked = Vec::new();
    for index in 0..repositories {
        let name = format!("repo{index:05}");
        let members: Vec<String> = if index % 10 == 0 {
            (0..5).map(|m| format!("crates/{name}-part{m}")).collect()
        } else {
            vec![String::new()]
        };
        let url = format!("{HOST}owner/{name}");
        let crates: Vec<(String, String, Files)> = members
            .iter()
            .map(|folder| {
                let package = if folder.is_empty() {
                    name.clone()
                } else {
                    folder.rsplit('/').next().unwrap().to_string()
                };
                let files = crate_files(&package, &url);
                (package, folder.clone(), files)
            })
            .collect();
        let mut repo = RepoBuilder::new().file("README.md", format!("# {name}\n"));
        for (_, folder, files) in &crates {
            for (path, text) in files {
                let full = if folder.is_empty() {
                    path.clone()
                } else {
                    format!("{folder}/{path}")
                };
                repo = repo.file(&full, text.as_bytes());
            }
        }
        let commit = repo.build(&root.join(format!("mirrors/owner/{name}")), false);
        for (package, folder, files) in crates {
            let mut builder =
                CrateBuilder::new(&package, "1.0.0").vcs_info(&commit, false, Some(&folder));
            for (path, text) in &files {
                if path == "Cargo.toml" {
                    builder = builder
                        .file("Cargo.toml", format!("# normalized by cargo\n{text}"))
                        .file("Cargo.toml.orig", text.as_bytes());
                } else {
                    builder = builder.file(path, text.as_bytes());
                }
            }
            let bytes = builder.build();
            std::fs::write(cache.join(format!("{package}-1.0.0.crate")), &bytes)
                .expect("write a .crate");
            locked.push(LockedPackage {
                name: package,
                version: "1.0.0".into(),
                checksum: Sha256::digest(&bytes).into(),
            });
        }
        repos.push(Repository { name, commit });
    }
    let packages = locked.len();
    std::fs::write(root.join("Cargo.lock"), cargo_lock("app", &locked)).expect("Cargo.lock");
    std::fs::write(
        root.join("provenance.toml"),
        "[defaults]\n\n[[source]]\nkind = \"dir\"\npath = \"bundles\"\n",
    )
    .expect("the policy");
    (repos, packages)
}

/// A crate's files: its manifest, a README and small sources.
fn crate_files(package: &str, url: &str) -> Files {
    let mut files = vec![
        (
            "Cargo.toml".to_string(),
            format!(
                "[package]\nname = \"{package}\"\nversion = \"1.0.0\"\nrepository = \"{url}\"\n"
            ),
        ),
        ("README.md".to_string(), format!("# {package}\n")),
    ];
    for n in 0..FILES_PER_CRATE {
        files.push((
            format!("src/module{n}.rs"),
            format!("//! {package}, module {n}\npub fn f{n}() -> usize {{ {n} }}\n"),
        ));
    }
    files
}

/// `git fetch --depth 1 --filter=blob:none` of every repository's commit
/// into a new bare repository, four at once.
fn git_fetch_all(root: &Path, repos: &[Repository], round: usize) -> Measure {
    let into = root.join(format!("fetched-{round}"));
    let start = Instant::now();
    let mut cpu = Duration::ZERO;
    for chunk in repos.chunks(4) {
        let children: Vec<_> = chunk
            .iter()
            .map(|repo| {
                let target = into.join(&repo.name);
                let script = format!(
                    "git init --bare -q {t} && git -C {t} fetch -q --depth 1 --filter=blob:none file://{m} {c}",
                    t = target.display(),
                    m = root.join("mirrors/owner").join(&repo.name).display(),
                    c = repo.commit
                );
                Command::new("sh")
                    .args(["-c", &script])
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .spawn()
                    .expect("run git")
            })
            .collect();
        for child in children {
            let (status, used) = wait(child);
            assert!(status == 0, "git fetch failed");
            cpu += used.cpu;
        }
    }
    Measure {
        wall: start.elapsed(),
        cpu,
        rss_kib: 0,
    }
}

/// `binary` on the workload, offline, with `cache`; `off` leaves the
/// comparison out.
fn run_binary(binary: &Path, root: &Path, cache: &str, off: bool) -> Measure {
    let start = Instant::now();
    let mut command = Command::new(binary);
    command
        .current_dir(root)
        .args(["--lockfile", "Cargo.lock", "--policy", "provenance.toml"])
        .arg("--cache-dir")
        .arg(root.join(cache))
        .args(["--offline", "-q"])
        .env("CARGO_HOME", root.join("cargo-home"))
        .env("GIT_CONFIG_COUNT", "1")
        .env(
            "GIT_CONFIG_KEY_0",
            format!("url.file://{}/.insteadOf", mirrors(root).display()),
        )
        .env("GIT_CONFIG_VALUE_0", HOST)
        .stdout(Stdio::null());
    if off {
        command.arg("--no-source-comparison");
    }
    let (status, mut measure) = wait(command.spawn().expect("run the binary"));
    assert_eq!(status, 0, "the workload must pass");
    measure.wall = start.elapsed();
    measure
}

fn mirrors(root: &Path) -> PathBuf {
    root.join("mirrors")
}

/// Wait for `child`: its exit code and what it (and its own children) used.
fn wait(child: std::process::Child) -> (i32, Measure) {
    let mut status = 0;
    // SAFETY: rusage is plain data, written by the kernel for this child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waits for our own child; both pointers are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (
        libc::WEXITSTATUS(status),
        Measure {
            wall: Duration::ZERO,
            cpu: time(usage.ru_utime) + time(usage.ru_stime),
            rss_kib: usage.ru_maxrss as u64,
        },
    )
}
