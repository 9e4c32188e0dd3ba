//! Progress where stderr is a log (a CI job, a pipe): a line now and then
//! with the counts and the time left, so a long run is never silent; `-q`
//! holds the lines back until the run has lasted a while. Through the
//! binary with its stderr piped, against a loopback server slow enough that
//! the run outlasts the (shortened) interval many times over.

use std::time::Duration;

use crate::faults::lockfile;
use crate::harness::{Run, TestDir};
use crate::server::{Reply, Server};

const NOW: &str = "2026-11-25T12:00:00Z";
const PACKAGES: u16 = 4;

/// A lockfile of [`PACKAGES`] packages whose only source is `server`, which
/// answers each "none" after `latency`; one package at a time.
fn slow_run(latency: Duration, extra: &[&str]) -> Run {
    let server = Server::start();
    server.set_latency(latency);
    for n in 1..=PACKAGES {
        server.route(&format!("/pkg{n}-1.0.0.json"), vec![Reply::status(404)]);
    }
    let dir = TestDir::new();
    dir.write("Cargo.lock", lockfile(1..=PACKAGES));
    dir.command()
        .args(["--lockfile", "Cargo.lock", "--color", "never", "--now", NOW])
        .args(["-j", "1", "--http-retries", "0"])
        .args([
            "--source",
            &format!("url:{}", server.url("/{name}-{version}.json")),
        ])
        .args(extra)
        .run()
}

fn progress_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("fetching provenance: "))
        .collect()
}

#[test]
fn a_piped_stderr_gets_a_progress_line_with_counts_and_time_left() {
    // Each package takes at least 400 ms; a line every 20 ms.
    let run = slow_run(
        Duration::from_millis(400),
        &["--progress-interval-ms", "20"],
    );
    let lines = progress_lines(&run);
    assert!(!lines.is_empty(), "{}", run.stderr);
    let total = format!("/{PACKAGES} packages (");
    assert!(lines.iter().all(|l| l.contains(&total)), "{lines:#?}");
    // Before the first answer the time left is unknown; after it, estimated.
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(", time left not known yet)")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| !l.starts_with("fetching provenance: 0/") && l.contains(", about ")),
        "{lines:#?}"
    );
    // No bar's drawing characters in a log.
    assert!(!run.stderr.contains('\r'), "{:?}", run.stderr);
}

#[test]
fn quiet_keeps_a_short_run_silent_and_a_long_one_alive() {
    // Under -q a line comes only once the run has lasted six intervals:
    // 6 × 20 ms, in a run of at least 1.6 s.
    let long = slow_run(
        Duration::from_millis(400),
        &["-q", "--progress-interval-ms", "20"],
    );
    assert!(!progress_lines(&long).is_empty(), "{}", long.stderr);
    // The default interval (10 s; 60 s under -q) is far longer than a run
    // of fast answers: nothing is written, with or without -q.
    for extra in [&["-q"][..], &[][..]] {
        let short = slow_run(Duration::ZERO, extra);
        assert!(progress_lines(&short).is_empty(), "{}", short.stderr);
    }
}
