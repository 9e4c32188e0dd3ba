//! The whole command on generated workloads, against calling the verifier
//! directly on the same bundles.
//!
//! `cargo bench --features testkit --bench end_to_end` (sizes: the
//! `E2E_SIZES` environment variable, default `1000,10000`).
//!
//! For each size it writes a workload (Cargo.lock, one bundle per package,
//! trust root, policy), then reports the best of several runs of:
//! - `direct`: read every bundle file, parse it and call
//!   `sigstore_verify::Verifier::verify` for its checksum, on rayon's pool
//!   (the work the command cannot avoid);
//! - `end-to-end`: the release binary, `--offline -q`, from process start to
//!   exit (lockfile, policy, sources, verification, evaluation, report), with
//!   its peak resident memory;
//! - `cold` and `warm`: the release binary fetching every bundle from a
//!   loopback HTTP server (another process) through a `url` source, into an
//!   empty cache, then again from the filled cache (`--offline`).

use std::path::Path;
use std::time::{Duration, Instant};

use cargo_verify_provenance::testkit::files::{workload_requests, write_workload, WORKLOAD_POLICY};
use cargo_verify_provenance::trust::{RootOrigin, TrustRoot};
use rayon::prelude::*;

const RUNS: usize = 5;

#[path = "../tests/integration/server.rs"]
mod server;

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
    println!(
        "{:>7} {:>12} {:>12} {:>8} {:>12} {:>9} {:>10} {:>9} {:>10} {:>9}",
        "size",
        "direct",
        "end-to-end",
        "ratio",
        "per package",
        "peak RSS",
        "cold",
        "peak RSS",
        "warm",
        "peak RSS"
    );
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
        let (end_to_end, rss_kib) = end_to_end(dir.path());
        let direct = best(|| direct(dir.path(), size));
        // Give what the direct runs allocated back to the system before the
        // next size's command is started (see above).
        // SAFETY: malloc_trim only releases free heap memory.
        unsafe { libc::malloc_trim(0) };
        let ((cold, cold_rss), (warm, warm_rss)) = from_server(dir.path());
        println!(
            "{:>7} {:>10.3} s {:>10.3} s {:>7.2}x {:>9.3} ms {:>5} MiB {:>8.3} s {:>5} MiB {:>8.3} s {:>5} MiB",
            size,
            direct.as_secs_f64(),
            end_to_end.as_secs_f64(),
            end_to_end.as_secs_f64() / direct.as_secs_f64(),
            end_to_end.as_secs_f64() * 1000.0 / size as f64,
            rss_kib / 1024,
            cold.as_secs_f64(),
            cold_rss / 1024,
            warm.as_secs_f64(),
            warm_rss / 1024
        );
    }
}

fn best(mut run: impl FnMut() -> Duration) -> Duration {
    (0..RUNS).map(|_| run()).min().expect("at least one run")
}

/// Read, parse and verify every bundle with the library alone.
fn direct(dir: &Path, size: usize) -> Duration {
    let root = TrustRoot::from_json(
        "workload".into(),
        RootOrigin::File {
            path: dir.join("trusted_root.json"),
        },
        &std::fs::read_to_string(dir.join("trusted_root.json")).unwrap(),
    )
    .expect("the workload root loads");
    let requests = workload_requests(size);
    let start = Instant::now();
    let policy = root.certificate_policy();
    requests.par_iter().for_each(|request| {
        let path = dir.join("bundles").join(format!(
            "{}-{}.sigstore.json",
            request.name, request.version
        ));
        let json = std::fs::read_to_string(path).expect("read the bundle");
        let bundle = sigstore_types::Bundle::from_json(&json).expect("parse the bundle");
        let digest = sigstore_types::Sha256Hash::new(request.sha256);
        root.verifier()
            .verify(digest, &bundle, &policy)
            .expect("the bundle verifies");
    });
    start.elapsed()
}

/// The binary's best wall time over several runs, and its peak RSS in KiB.
fn end_to_end(dir: &Path) -> (Duration, u64) {
    let mut best = Duration::MAX;
    let mut peak = 0;
    for _ in 0..RUNS {
        let (time, rss) = run_binary(dir, "provenance.toml", "cache", true);
        best = best.min(time);
        peak = peak.max(rss);
    }
    (best, peak)
}

/// One run of the binary over the workload in `dir`: wall time and peak RSS (KiB).
fn run_binary(dir: &Path, policy: &str, cache: &str, offline: bool) -> (Duration, u64) {
    let start = Instant::now();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-verify-provenance"));
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
    let (status, rss) = wait_with_rusage(child.id() as libc::pid_t);
    let time = start.elapsed();
    assert!(status == 0, "the workload must pass (exit status {status})");
    (time, rss)
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

/// Cold (best of three empty caches) and warm (from the last filled cache)
/// runs against a loopback server in another process, with peak RSS.
fn from_server(dir: &Path) -> ((Duration, u64), (Duration, u64)) {
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
    let mut cold = (Duration::MAX, 0);
    for round in 0..3 {
        let (time, rss) = run_binary(dir, "provenance-url.toml", &format!("cold-{round}"), false);
        cold = (cold.0.min(time), cold.1.max(rss));
    }
    let mut warm = (Duration::MAX, 0);
    for _ in 0..RUNS {
        let (time, rss) = run_binary(dir, "provenance-url.toml", "cold-2", true);
        warm = (warm.0.min(time), warm.1.max(rss));
    }
    drop(server.stdin.take());
    let _ = server.wait();
    (cold, warm)
}

/// Wait for a child and return its exit status and peak RSS (KiB).
fn wait_with_rusage(pid: libc::pid_t) -> (i32, u64) {
    let mut status = 0;
    // SAFETY: rusage is plain data, written by the kernel for this child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; both pointers are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    (libc::WEXITSTATUS(status), usage.ru_maxrss as u64)
}
