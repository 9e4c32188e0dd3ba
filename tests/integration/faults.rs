//! Faults and concurrency, end to end through the binary: servers that drop
//! connections, stall mid-body or answer garbage never make a required
//! package pass; a cache left by a killed run, a torn entry, two runs at
//! once, a read-only cache and a full disk lose nothing and corrupt
//! nothing, and each gives its documented outcome.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cargo_verify_provenance::testkit::{Claims, Instance, MintRequest};
use serde_json::Value;

use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

pub(crate) fn checksum(n: u16) -> [u8; 32] {
    let mut bytes = [0x5f; 32];
    bytes[..2].copy_from_slice(&n.to_be_bytes());
    bytes
}

/// A lockfile of crates.io packages `pkgN` 1.0.0 for `numbers`.
pub(crate) fn lockfile(numbers: impl IntoIterator<Item = u16>) -> String {
    let mut text = String::from("version = 4\n");
    for n in numbers {
        text.push_str(&format!(
            "\n[[package]]\nname = \"pkg{n}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            hex::encode(checksum(n))
        ));
    }
    text
}

pub(crate) const INSTANCE_SEED: u64 = 81;

/// The minted bundle of package `n`, as a server or folder serves it.
pub(crate) fn bundles(numbers: &[u16]) -> Vec<(u16, String)> {
    let instance = Instance::new(INSTANCE_SEED);
    let requests: Vec<MintRequest> = numbers
        .iter()
        .map(|&n| {
            MintRequest::new(
                &format!("pkg{n}"),
                "1.0.0",
                checksum(n),
                Claims::github("acme/pkg", "1.0.0"),
            )
        })
        .collect();
    numbers
        .iter()
        .zip(instance.mint_batch(&requests))
        .map(|(&n, minted)| (n, minted.to_json()))
        .collect()
}

/// `Cargo.lock`, the instance's `trusted_root.json` and a policy requiring
/// an attestation for every package, verified against that root.
pub(crate) fn workload(dir: &TestDir, numbers: impl IntoIterator<Item = u16>) {
    dir.write("Cargo.lock", lockfile(numbers));
    dir.write(
        "trusted_root.json",
        Instance::new(INSTANCE_SEED).trusted_root_json(),
    );
    dir.write(
        "provenance.toml",
        "[defaults]\nrequire = \"attested\"\n\n[trust]\nroots = [\"trusted_root.json\"]\n",
    );
}

/// Serve every package's bundle at `/b/{checksum}.json`.
pub(crate) fn serve(server: &Server, numbers: &[u16]) {
    for (n, json) in bundles(numbers) {
        server.route(
            &format!("/b/{}.json", hex::encode(checksum(n))),
            vec![Reply::json(json)],
        );
    }
}

pub(crate) fn url_source(base: &str) -> String {
    format!("url:{base}/b/{{checksum}}.json")
}

/// Quick retries and timeouts, so that failures come fast.
const FAST: [&str; 6] = [
    "--http-retries",
    "1",
    "--http-backoff-ms",
    "10",
    "--http-timeout-ms",
    "1500",
];

/// The check command's arguments for `dir`'s workload with one source.
pub(crate) fn check_args(source: &str) -> Vec<String> {
    [
        "--lockfile",
        "Cargo.lock",
        "--message-format",
        "json",
        "--source",
        source,
    ]
    .into_iter()
    .chain(FAST)
    .map(str::to_string)
    .collect()
}

/// The same arguments with an hour's HTTP timeout: held requests are waited for.
fn patient(mut args: Vec<String>) -> Vec<String> {
    let at = args
        .iter()
        .position(|a| a == "--http-timeout-ms")
        .expect("the arguments set a timeout");
    args[at + 1] = "3600000".into();
    args
}

/// Each package's outcome in a JSON-lines report, and the summary.
pub(crate) fn outcomes(stdout: &str) -> (Vec<(String, String)>, Value) {
    let mut packages = Vec::new();
    let mut summary = Value::Null;
    for line in stdout.lines() {
        let message: Value = serde_json::from_str(line).expect("a JSON line");
        match message["reason"].as_str() {
            Some("package") => packages.push((
                message["name"].as_str().unwrap().to_string(),
                message["outcome"].as_str().unwrap().to_string(),
            )),
            Some("summary") => summary = message,
            _ => {}
        }
    }
    (packages, summary)
}

/// Every file under the cache's attestations folder: (path, bytes).
pub(crate) fn cache_files(cache: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![cache.join("attestations")];
    while let Some(path) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                // A temporary file listed may be renamed away before it is
                // read, while a run writes.
                match std::fs::read(&path) {
                    Ok(bytes) => out.push((path.clone(), bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("{}: {e}", path.display()),
                }
            }
        }
    }
    out.sort();
    out
}

/// Every entry is whole JSON (temporary files aside); returns how many.
fn assert_entries_whole(cache: &Path) -> usize {
    let mut entries = 0;
    for (path, bytes) in cache_files(cache) {
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".tmp")
        {
            continue;
        }
        serde_json::from_slice::<Value>(&bytes)
            .unwrap_or_else(|e| panic!("{} is not whole JSON: {e}", path.display()));
        entries += 1;
    }
    entries
}

/// Nothing half-written: no temporary file, and every entry is whole JSON.
fn assert_cache_whole(cache: &Path) -> usize {
    for (path, _) in cache_files(cache) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(!name.starts_with(".tmp"), "leftover {}", path.display());
    }
    assert_entries_whole(cache)
}

// ------------------------------------------------------------ raw servers

/// A TCP server on 127.0.0.1 that answers every connection with `behave`,
/// for faults an HTTP framework will not produce. Stops when dropped.
struct RawServer {
    base: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RawServer {
    fn start(behave: fn(std::net::TcpStream, &AtomicBool)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut handlers = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let flag = flag.clone();
                        handlers.push(std::thread::spawn(move || behave(stream, &flag)));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            for handler in handlers {
                let _ = handler.join();
            }
        });
        Self {
            base,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_request(stream: &mut std::net::TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buffer = [0u8; 4096];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Reads the request, then closes the connection without a word.
fn drop_connection(mut stream: std::net::TcpStream, _: &AtomicBool) {
    read_request(&mut stream);
    drop(stream);
}

/// Sends the headers and the start of a body, then stalls until stopped.
fn stall_mid_body(mut stream: std::net::TcpStream, stop: &AtomicBool) {
    read_request(&mut stream);
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"attestations\": [{\"bundle\": ",
    );
    let _ = stream.flush();
    let started = Instant::now();
    while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ------------------------------------------------------------ network faults

/// What a run made of one package whose only source misbehaves.
fn run_against(source: &str) -> (Run, TestDir) {
    let dir = TestDir::new();
    workload(&dir, [1]);
    let run = dir.command().args(check_args(source)).run();
    (run, dir)
}

#[test]
fn a_server_that_fails_never_passes_a_required_package() {
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let many = {
        let bundle = &bundles(&[1])[0].1;
        let one = serde_json::to_string(&serde_json::from_str::<Value>(bundle).unwrap()).unwrap();
        vec![one; cargo_verify_provenance::testkit::internals::limits::MAX_BUNDLES_PER_FILE + 1]
            .join("\n")
    };
    let faults: Vec<(&str, Reply)> = vec![
        ("server errors", Reply::status(503)),
        ("a forbidden answer", Reply::status(403)),
        ("HTML", Reply::json("<html><body>maintenance</body></html>")),
        ("binary", Reply::json(vec![0xff, 0xfe, 0x00, 0x9c, 0x01])),
        ("a list", Reply::json("[1, 2, 3]")),
        (
            "attestations not a list",
            Reply::json("{\"attestations\": 7}"),
        ),
        ("deeply nested JSON", Reply::json(nested)),
        ("too many bundles for one digest", Reply::json(many)),
        (
            "a body cut off midway",
            Reply::json(bundles(&[1])[0].1.clone()).truncated(),
        ),
    ];
    for (what, reply) in faults {
        let server = Server::start();
        server.route(
            &format!("/b/{}.json", hex::encode(checksum(1))),
            vec![reply],
        );
        let (run, dir) = run_against(&url_source(&server.base));
        assert_eq!(
            run.code, 2,
            "{what}: exit {}\n{}\n{}",
            run.code, run.stdout, run.stderr
        );
        let (packages, summary) = outcomes(&run.stdout);
        assert_eq!(
            packages,
            [("pkg1".to_string(), "error".to_string())],
            "{what}"
        );
        assert_eq!(summary["errors"], 1, "{what}");
        // Nothing was stored: the next run asks again.
        assert_eq!(cache_files(&dir.join(".cache")).len(), 0, "{what}");
    }
}

#[test]
fn a_dropped_connection_or_a_stalled_body_is_an_error_not_a_pass() {
    for (what, behave) in [
        (
            "a connection dropped before any answer",
            drop_connection as fn(_, &_),
        ),
        ("a body that stalls midway", stall_mid_body),
    ] {
        let server = RawServer::start(behave);
        let started = Instant::now();
        let (run, dir) = run_against(&url_source(&server.base));
        assert_eq!(
            run.code, 2,
            "{what}: exit {}\n{}\n{}",
            run.code, run.stdout, run.stderr
        );
        let (packages, _) = outcomes(&run.stdout);
        assert_eq!(
            packages,
            [("pkg1".to_string(), "error".to_string())],
            "{what}"
        );
        // Bounded by the timeout and the retries, not by the server.
        assert!(started.elapsed() < Duration::from_secs(30), "{what}");
        assert_eq!(cache_files(&dir.join(".cache")).len(), 0, "{what}");
        drop(server);
    }
}

/// A source that failed is not made good by a later source that has
/// nothing: the package could not be checked.
#[test]
fn a_failed_source_followed_by_no_attestation_is_still_an_error() {
    let server = Server::start();
    server.route(
        &format!("/b/{}.json", hex::encode(checksum(1))),
        vec![Reply::status(500)],
    );
    let dir = TestDir::new();
    workload(&dir, [1]);
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let run = dir
        .command()
        .args(check_args(&url_source(&server.base)))
        .args(["--source", "dir:empty"])
        .run()
        .expect_code(2);
    let (packages, _) = outcomes(&run.stdout);
    assert_eq!(packages, [("pkg1".to_string(), "error".to_string())]);
}

// ------------------------------------------------------------ the cache

#[test]
fn a_killed_run_and_a_torn_entry_lose_nothing_and_never_pass_unchecked() {
    let numbers: Vec<u16> = (0..40).collect();
    let server = Server::start();
    serve(&server, &numbers);
    let dir = TestDir::new();
    workload(&dir, numbers.iter().copied());
    let cache = dir.join(".cache");

    // A run killed (SIGKILL) once it has stored some answers. The server
    // answers three requests and holds the rest, and the run waits for
    // them as long as it takes: it is still running when killed, whatever
    // the machine's speed.
    const ANSWERED: usize = 3;
    server.hold_after(ANSWERED);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-verify-provenance"))
        .current_dir(dir.path())
        .env("CARGO_VERIFY_PROVENANCE_CACHE", &cache)
        .env_remove("CARGO_NET_OFFLINE")
        .args(patient(check_args(&url_source(&server.base))))
        .args(["--jobs", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The bound only turns a broken run into a failure instead of a hang.
    let started = Instant::now();
    let stored_now = || {
        cache_files(&cache)
            .iter()
            .filter(|(path, _)| {
                !path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(".tmp")
            })
            .count()
    };
    while stored_now() < ANSWERED {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the answers were not stored"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended before it was killed: {status}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it was killed"
    );
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was not killed: {status}");
    server.release();
    // What it stored is whole (a temporary file it was writing may be left).
    let stored = assert_entries_whole(&cache);
    assert_eq!(stored, ANSWERED, "only the answered packages are stored");

    // A torn entry (a power loss) and a temporary file of the killed run.
    let (torn, bytes) = cache_files(&cache)
        .into_iter()
        .find(|(path, _)| {
            !path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".tmp")
        })
        .unwrap();
    std::fs::write(&torn, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(torn.with_file_name(".tmpKILLED"), &bytes[..10]).unwrap();

    // Offline, what the killed run did not store (and the torn entry) could
    // not be checked: exit 2, never a pass.
    let run = dir
        .command()
        .args(check_args(&url_source(&server.base)))
        .arg("--offline")
        .run()
        .expect_code(2);
    let (packages, _) = outcomes(&run.stdout);
    let errors = packages.iter().filter(|(_, o)| o == "error").count();
    let passed = packages.iter().filter(|(_, o)| o == "pass").count();
    assert_eq!(errors + passed, numbers.len(), "{packages:?}");
    assert_eq!(passed, stored - 1, "{packages:?}");

    // Online, everything is fetched again where needed and passes; the
    // cache ends whole, without the leftover.
    let run = dir
        .command()
        .args(check_args(&url_source(&server.base)))
        .run()
        .expect_code(0);
    let (packages, _) = outcomes(&run.stdout);
    assert!(packages.iter().all(|(_, o)| o == "pass"), "{packages:?}");
    assert_eq!(assert_cache_whole(&cache), numbers.len());
    assert!(!torn.with_file_name(".tmpKILLED").exists());
}

#[test]
fn two_full_runs_at_once_on_one_cache_agree_and_corrupt_nothing() {
    let numbers: Vec<u16> = (0..60).collect();
    let server = Server::start();
    // Every fifth package has no attestation: a violation, the same in both.
    let with_bundles: Vec<u16> = numbers.iter().copied().filter(|n| n % 5 != 0).collect();
    serve(&server, &with_bundles);
    server.set_latency(Duration::from_millis(3));
    let dir = TestDir::new();
    workload(&dir, numbers.iter().copied());
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_cargo-verify-provenance"))
            .current_dir(dir.path())
            .env("CARGO_VERIFY_PROVENANCE_CACHE", dir.join(".cache"))
            .env_remove("CARGO_NET_OFFLINE")
            .args(check_args(&url_source(&server.base)))
            .args(["--jobs", "4", "--now", "2026-11-25T12:00:00Z"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(
        a.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(
        b.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    assert_eq!(a.stdout, b.stdout, "the two runs disagree");
    let (packages, summary) = outcomes(&String::from_utf8(a.stdout.clone()).unwrap());
    assert_eq!(packages.len(), numbers.len());
    assert_eq!(summary["violations"], numbers.len() / 5);
    assert_eq!(assert_cache_whole(&dir.join(".cache")), numbers.len());

    // A third run, offline, finds the same in what they stored.
    let connections = server.connections();
    let run = dir
        .command()
        .args(check_args(&url_source(&server.base)))
        .args(["--offline", "--now", "2026-11-25T12:00:00Z"])
        .run()
        .expect_code(1);
    assert_eq!(run.stdout.as_bytes(), a.stdout.as_slice());
    assert_eq!(server.connections(), connections);
}

#[test]
fn a_cache_folder_that_cannot_be_created_is_exit_2_naming_it() {
    let dir = TestDir::new();
    workload(&dir, [1]);
    dir.write("not-a-folder", "x");
    let run = dir
        .command()
        .args(check_args("dir:bundles"))
        .env(
            "CARGO_VERIFY_PROVENANCE_CACHE",
            dir.join("not-a-folder/cache"),
        )
        .run()
        .expect_code(2);
    run.assert_stderr("cache-io");
    run.assert_stderr("not-a-folder");
}

// --------------------------------------- read-only and full cache folders

/// Run `script` with `sh` in a private mount namespace (as root of a user
/// namespace, so that no privilege is needed), where it may mount tmpfs and
/// read-only bind mounts. `None` (with a message) where the system does not
/// allow it.
fn in_mount_namespace(dir: &TestDir, script: &str) -> Option<Run> {
    let probe = Command::new("unshare")
        .args([
            "-r",
            "-m",
            "sh",
            "-c",
            "mount -t tmpfs -o size=64k tmpfs /mnt",
        ])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping: this system does not allow mount namespaces (`unshare -r -m`)");
        return None;
    }
    let output = Command::new("unshare")
        .args(["-r", "-m", "sh", "-euc", script])
        .current_dir(dir.path())
        .env("BIN", env!("CARGO_BIN_EXE_cargo-verify-provenance"))
        .env_remove("CARGO_NET_OFFLINE")
        .env_remove("CARGO_VERIFY_PROVENANCE_CACHE")
        .output()
        .unwrap();
    Some(Run {
        code: output.status.code().expect("not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    })
}

fn quoted(args: &[String]) -> String {
    args.iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_read_only_cache_is_read_and_what_cannot_be_stored_is_reported_once() {
    let numbers: Vec<u16> = (0..12).collect();
    let server = Server::start();
    serve(&server, &numbers);
    let dir = TestDir::new();
    // Fill the cache with the first half.
    workload(&dir, 0..6);
    let args = check_args(&url_source(&server.base));
    dir.command().args(&args).run().expect_code(0);
    let before = cache_files(&dir.join(".cache"));
    assert_eq!(before.len(), 6);
    // Then the whole lockfile, with the cache mounted read-only: offline,
    // the cached half passes and the rest is unchecked (exit 2); online,
    // the rest is fetched and passes, and the one warning says nothing
    // could be stored.
    workload(&dir, numbers.iter().copied());
    let script = format!(
        "cache=\"$PWD/.cache\"\n\
         mount --bind \"$cache\" \"$cache\"\n\
         mount -o remount,bind,ro \"$cache\"\n\
         if touch \"$cache/probe\" 2>/dev/null; then echo 'not read-only' >&2; exit 99; fi\n\
         set +e\n\
         CARGO_VERIFY_PROVENANCE_CACHE=\"$cache\" \"$BIN\" {args} --offline > offline.json 2> offline.err\n\
         echo \"offline=$?\"\n\
         CARGO_VERIFY_PROVENANCE_CACHE=\"$cache\" \"$BIN\" {args} > online.json 2> online.err\n\
         echo \"online=$?\"\n",
        args = quoted(&args)
    );
    let Some(run) = in_mount_namespace(&dir, &script) else {
        return;
    };
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert!(
        run.stdout.contains("offline=2") && run.stdout.contains("online=0"),
        "{}\noffline: {}\nonline: {}",
        run.stdout,
        read("offline.err"),
        read("online.err")
    );
    let (offline, _) = outcomes(&read("offline.json"));
    for (name, outcome) in &offline {
        let n: u16 = name.trim_start_matches("pkg").parse().unwrap();
        let expected = if n < 6 { "pass" } else { "error" };
        assert_eq!(outcome, expected, "offline {name}");
    }
    let online = read("online.json");
    let (packages, _) = outcomes(&online);
    assert!(packages.iter().all(|(_, o)| o == "pass"), "{packages:?}");
    let warnings: Vec<Value> = online
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|m| m["reason"] == "warning" && m["code"] == "cache-warning")
        .collect();
    assert_eq!(warnings.len(), 1, "{online}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("not stored"),
        "{}",
        warnings[0]
    );
    // The cache is as it was.
    assert_eq!(cache_files(&dir.join(".cache")), before);
}

#[test]
fn a_full_cache_keeps_what_it_had_and_reports_once() {
    let numbers: Vec<u16> = (0..16).collect();
    let server = Server::start();
    serve(&server, &numbers);
    let dir = TestDir::new();
    workload(&dir, numbers.iter().copied());
    dir.write("half.lock", lockfile(0..4));
    let args = check_args(&url_source(&server.base));
    let half: Vec<String> = args
        .iter()
        .map(|a| {
            if a == "Cargo.lock" {
                "half.lock".into()
            } else {
                a.clone()
            }
        })
        .collect();
    // In a small tmpfs: a first run stores four answers; the disk is then
    // filled; a second run over all sixteen packages cannot store the rest.
    let script = format!(
        "cache=\"$PWD/full-cache\"\n\
         mkdir -p \"$cache\"\n\
         mount -t tmpfs -o size=512k tmpfs \"$cache\"\n\
         CARGO_VERIFY_PROVENANCE_CACHE=\"$cache\" \"$BIN\" {half} > first.json 2> first.err\n\
         dd if=/dev/zero of=\"$cache/filler\" bs=4k 2>/dev/null || true\n\
         set +e\n\
         CARGO_VERIFY_PROVENANCE_CACHE=\"$cache\" \"$BIN\" {args} > second.json 2> second.err\n\
         echo \"second=$?\"\n\
         rm -f \"$cache/filler\"\n\
         cp -a \"$cache\" \"$PWD/after\"\n",
        half = quoted(&half),
        args = quoted(&args)
    );
    let Some(run) = in_mount_namespace(&dir, &script) else {
        return;
    };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    assert_eq!(
        run.code,
        0,
        "{}\n{}\nfirst: {}",
        run.stdout,
        run.stderr,
        read("first.err")
    );
    assert!(
        run.stdout.contains("second=0"),
        "{}\n{}",
        run.stdout,
        read("second.err")
    );
    let second = read("second.json");
    let (packages, _) = outcomes(&second);
    assert_eq!(packages.len(), numbers.len());
    assert!(packages.iter().all(|(_, o)| o == "pass"), "{packages:?}");
    let warnings = second
        .lines()
        .filter(|l| l.contains("\"cache-warning\""))
        .count();
    assert_eq!(warnings, 1, "{second}");
    // What the first run stored is intact, and nothing half-written is left.
    assert_eq!(assert_cache_whole(&dir.join("after")), 4);
}
