//! The whole command on generated workloads, against calling the verifier
//! directly on the same bundles.
//!
//! `cargo bench --features testkit --bench end_to_end` (sizes: the
//! `E2E_SIZES` environment variable, default `1000,10000`).
//!
//! For each size it writes a workload (Cargo.lock, one bundle per package,
//! trust root, policy), then reports the best of several runs (wall clock
//! and CPU time, user + system, each the minimum over the runs) of:
//! - `direct`: read every bundle file, parse it and call
//!   `sigstore_verify::Verifier::verify` for its checksum, on rayon's pool
//!   (the library's work alone);
//! - `verifier`: the same through this crate's verifier
//!   (`verify::parse_bundles` and `verify::verify_bundle`: the library's
//!   checks plus the ones it leaves out, and the facts a policy reads), the
//!   work the command cannot avoid;
//! - `end-to-end`: the release binary, `--offline -q`, from process start to
//!   exit (lockfile, policy, sources, verification, evaluation, report);
//! - `cold` and `warm`: the release binary fetching every bundle from a
//!   loopback HTTP server (another process) through a `url` source, into an
//!   empty cache, then again from the filled cache (`--offline`);
//!
//! with the peak resident memory of each kind of binary run.
//!
//! `E2E_BINARY=PATH` runs that copy of this build's binary instead of the
//! one in the target folder. `E2E_BEFORE=PATH` names an earlier build of
//! the binary: its end-to-end,
//! cold and warm runs alternate with this build's in the same rounds (each
//! fills its own caches), and a second table gives both warm runs against
//! the library's loop, so a before/after ratio comes from one run.

use std::path::Path;
use std::time::{Duration, Instant};

use cargo_verify_provenance::testkit::files::{workload_requests, write_workload, WORKLOAD_POLICY};
use cargo_verify_provenance::trust::{RootOrigin, TrustRoot};
use cargo_verify_provenance::verify::{self, ArtifactInput, SignerCheck};
use rayon::prelude::*;

const RUNS: usize = 5;

#[path = "../tests/integration/server.rs"]
mod server;

#[path = "support/measure.rs"]
mod measure;
use measure::Measure;

fn main() {
    // The workload is written by a child process (this same binary), so that
    // this process stays small: a child's peak RSS counts the memory it
    // shared with its parent before it ran the command.
    if let Ok(target) = std::env::var("E2E_WRITE_WORKLOAD") {
        let (size, dir) = target.split_once(':').expect("SIZE:DIR");
        write_workload(Path::new(dir), size.parse().expect("a size")).expect("write the workload");
        return;
    }
    if let Ok(dir) = std::env::var("E2E_SERVE") {
        serve(Path::new(&dir));
        return;
    }
    // `cargo bench` passes `--bench`; nothing else is understood.
    let sizes: Vec<usize> = std::env::var("E2E_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!("| packages | direct wall / CPU | verifier wall / CPU | end-to-end wall / CPU | ratio to direct wall / CPU | ratio to verifier wall / CPU | peak RSS | cold wall / CPU | peak RSS | warm wall / CPU | peak RSS |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let before = std::env::var("E2E_BEFORE").ok();
    let this = this();
    let mut compared = Vec::new();
    for size in sizes {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let written = std::process::Command::new(std::env::current_exe().expect("this binary"))
            .env(
                "E2E_WRITE_WORKLOAD",
                format!("{size}:{}", dir.path().display()),
            )
            .status()
            .expect("run the workload writer");
        assert!(written.success(), "the workload writer failed");
        let mut end_to_end = Measure::new();
        let mut end_to_end_before = Measure::new();
        for _ in 0..RUNS {
            end_to_end.add(run_binary(
                &this,
                dir.path(),
                "provenance.toml",
                "cache",
                true,
            ));
            if let Some(before) = &before {
                end_to_end_before.add(run_binary(
                    before,
                    dir.path(),
                    "provenance.toml",
                    "cache-before",
                    true,
                ));
            }
        }
        let mut direct_runs = Measure::new();
        let mut verifier_runs = Measure::new();
        for _ in 0..RUNS {
            direct_runs.add(direct(dir.path(), size, Direct::Library));
            verifier_runs.add(direct(dir.path(), size, Direct::Verifier));
        }
        // Give what the direct runs allocated back to the system before the
        // next command is started (see above).
        // SAFETY: malloc_trim only releases free heap memory.
        unsafe { libc::malloc_trim(0) };
        let [(cold, warm), (cold_before, warm_before)] = from_server(dir.path(), before.as_deref());
        let pair =
            |m: &Measure| format!("{:.3} / {:.3} s", m.wall.as_secs_f64(), m.cpu.as_secs_f64());
        let ratio = |base: &Measure| {
            format!(
                "{:.2}x / {:.2}x",
                end_to_end.wall.as_secs_f64() / base.wall.as_secs_f64(),
                end_to_end.cpu.as_secs_f64() / base.cpu.as_secs_f64()
            )
        };
        println!(
            "| {size} | {} | {} | {} | {} | {} | {} MiB | {} | {} MiB | {} | {} MiB |",
            pair(&direct_runs),
            pair(&verifier_runs),
            pair(&end_to_end),
            ratio(&direct_runs),
            ratio(&verifier_runs),
            end_to_end.rss_kib / 1024,
            pair(&cold),
            cold.rss_kib / 1024,
            pair(&warm),
            warm.rss_kib / 1024,
        );
        if before.is_some() {
            compared.push(format!(
                "| {size} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} |",
                pair(&direct_runs),
                pair(&warm),
                pair(&warm_before),
                cpu_ratio(&warm, &direct_runs),
                cpu_ratio(&warm_before, &direct_runs),
                cpu_ratio(&warm, &verifier_runs),
                cpu_ratio(&warm_before, &verifier_runs),
                cpu_ratio(&warm, &warm_before),
                cpu_ratio(&end_to_end, &end_to_end_before),
                cpu_ratio(&cold, &cold_before),
            ));
        }
    }
    if !compared.is_empty() {
        println!();
        println!("| packages | direct wall / CPU | warm wall / CPU | before: warm wall / CPU | warm / direct CPU | before | warm / verifier CPU | before | warm / before CPU | end-to-end, cold / before CPU |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for line in compared {
            println!("{line}");
        }
    }
}

/// The binary this bench was built with, or the copy of it `E2E_BINARY`
/// names (a target folder shared with other builds may replace it).
fn this() -> String {
    std::env::var("E2E_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_cargo-verify-provenance").to_string())
}

/// `a`'s CPU time over `b`'s.
fn cpu_ratio(a: &Measure, b: &Measure) -> String {
    format!("{:.2}x", a.cpu.as_secs_f64() / b.cpu.as_secs_f64())
}

/// CPU time (user + system) of this process so far.
fn own_cpu() -> Duration {
    // SAFETY: rusage is plain data, written by the kernel.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer is valid for writes.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    cpu_of(&usage)
}

fn cpu_of(usage: &libc::rusage) -> Duration {
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// What verifies the bundles in [`direct`].
#[derive(Clone, Copy)]
enum Direct {
    /// `sigstore_verify` alone.
    Library,
    /// This crate's verifier, as the command calls it.
    Verifier,
}

/// Read, parse and verify every bundle with the library alone or with this
/// crate's verifier.
fn direct(dir: &Path, size: usize, how: Direct) -> Measure {
    let root = TrustRoot::from_json(
        "workload".into(),
        RootOrigin::File {
            path: dir.join("trusted_root.json"),
        },
        &std::fs::read_to_string(dir.join("trusted_root.json")).unwrap(),
    )
    .expect("the workload root loads");
    let requests = workload_requests(size);
    let cpu = own_cpu();
    let start = Instant::now();
    let policy = root.certificate_policy();
    requests.par_iter().for_each(|request| {
        let path = dir.join("bundles").join(format!(
            "{}-{}.sigstore.json",
            request.name, request.version
        ));
        let json = std::fs::read_to_string(path).expect("read the bundle");
        let digest = sigstore_types::Sha256Hash::new(request.sha256);
        match how {
            Direct::Library => {
                let bundle = sigstore_types::Bundle::from_json(&json).expect("parse the bundle");
                root.verifier()
                    .verify(digest, &bundle, &policy)
                    .expect("the bundle verifies");
            }
            Direct::Verifier => {
                for parsed in verify::parse_bundles(json.as_bytes(), "bundle").expect("parse") {
                    let parsed = parsed.expect("parse the bundle");
                    verify::verify_bundle(
                        &root,
                        &parsed.bundle,
                        &ArtifactInput::sha256(digest),
                        &SignerCheck::Certificate {
                            identity: None,
                            issuer: None,
                        },
                    )
                    .expect("the bundle verifies");
                }
            }
        }
    });
    Measure {
        wall: start.elapsed(),
        cpu: own_cpu() - cpu,
        rss_kib: 0,
    }
}

/// One run of the binary over the workload in `dir`.
fn run_binary(binary: &str, dir: &Path, policy: &str, cache: &str, offline: bool) -> Measure {
    let start = Instant::now();
    let mut command = std::process::Command::new(binary);
    command
        .arg("--lockfile")
        .arg(dir.join("Cargo.lock"))
        .arg("--policy")
        .arg(dir.join(policy))
        .arg("--cache-dir")
        .arg(dir.join(cache))
        .arg("-q")
        .stdout(std::process::Stdio::null());
    if offline {
        command.arg("--offline");
    }
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let child = command.spawn().expect("start the binary");
    let mut status = 0;
    // SAFETY: rusage is plain data, written by the kernel for this child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waits for our own child; both pointers are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the workload must pass");
    Measure {
        wall,
        cpu: cpu_of(&usage),
        rss_kib: usage.ru_maxrss as u64,
    }
}

/// Serve every bundle of the workload in `dir` at `/NAME-VERSION.sigstore.json`
/// from a loopback server, print its base URL, and serve until stdin closes.
fn serve(dir: &Path) {
    let server = server::Server::start();
    for entry in std::fs::read_dir(dir.join("bundles")).expect("the bundles folder") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        server.route(
            &format!("/{name}"),
            vec![server::Reply::json(
                std::fs::read(&path).expect("read a bundle"),
            )],
        );
    }
    println!("{}", server.base);
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut rest);
}

/// Cold (three empty caches) and warm (the last filled cache, offline) runs
/// against a loopback server in another process, of this build and of the
/// `before` one (round by round, each with its own caches; no runs: none).
fn from_server(dir: &Path, before: Option<&str>) -> [(Measure, Measure); 2] {
    use std::io::BufRead;
    let mut server = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .env("E2E_SERVE", dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut base = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut base)
        .expect("the server's address");
    let policy = WORKLOAD_POLICY.replace(
        "[[source]]\nkind = \"dir\"\npath = \"bundles\"\n",
        &format!(
            "[[source]]\nkind = \"url\"\ntemplate = \"{}/{{name}}-{{version}}.sigstore.json\"\n",
            base.trim()
        ),
    );
    assert_ne!(
        policy, WORKLOAD_POLICY,
        "the workload policy names its dir source"
    );
    std::fs::write(dir.join("provenance-url.toml"), policy).expect("write the policy");
    let this = this();
    let binaries: Vec<(&str, &str)> = std::iter::once((this.as_str(), "cold"))
        .chain(before.map(|b| (b, "cold-before")))
        .collect();
    let mut measured = [(Measure::new(), Measure::new()); 2];
    for round in 0..3 {
        for (i, (binary, cache)) in binaries.iter().enumerate() {
            let cache = format!("{cache}-{round}");
            measured[i].0.add(run_binary(
                binary,
                dir,
                "provenance-url.toml",
                &cache,
                false,
            ));
        }
    }
    for _ in 0..RUNS {
        for (i, (binary, cache)) in binaries.iter().enumerate() {
            let cache = format!("{cache}-2");
            measured[i]
                .1
                .add(run_binary(binary, dir, "provenance-url.toml", &cache, true));
        }
    }
    drop(server.stdin.take());
    let _ = server.wait();
    measured
}
