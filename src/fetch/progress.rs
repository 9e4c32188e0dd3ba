//! How a fetch shows its progress: the bar on a terminal, and where stderr
//! is a log (a CI job, a pipe) a line at most every so often with the
//! counts and the time left, as cargo prints its "Downloading" lines, so
//! that a long run paced by a rate-limited service is never silent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Announcer;

/// How often a progress line is written when nothing says otherwise.
pub const DEFAULT_LINE_EVERY: Duration = Duration::from_secs(10);

/// Under `-q`, lines are written only once a run has lasted this many
/// intervals: a short quiet run stays silent, a long one still shows it
/// is alive.
const QUIET_INTERVALS: u32 = 6;

/// Progress lines for a log: what is written and how often.
#[derive(Debug, Clone)]
pub struct ProgressLines {
    /// Time between two lines.
    pub every: Duration,
    /// No line before the run has lasted this long.
    pub after: Duration,
    /// Where a line goes (the command layer writes it to stderr).
    pub say: Announcer,
}

impl ProgressLines {
    /// A line every `every`; under `quiet`, only once the run has lasted
    /// [`QUIET_INTERVALS`] of them.
    pub fn new(every: Duration, quiet: bool, say: Announcer) -> Self {
        let after = if quiet {
            every.saturating_mul(QUIET_INTERVALS)
        } else {
            Duration::ZERO
        };
        Self { every, after, say }
    }
}

/// A fetch's progress, shared by its tasks.
#[derive(Debug)]
pub(crate) struct Tracker {
    bar: indicatif::ProgressBar,
    /// What is being done, and to what: `fetching provenance`, `packages`.
    what: &'static str,
    noun: &'static str,
    total: usize,
    done: AtomicUsize,
    unanswered: AtomicUsize,
    started: Instant,
}

impl Tracker {
    /// The bar when `bar` (stderr is a terminal), else a hidden one.
    pub fn new(total: usize, bar: bool) -> Arc<Self> {
        Self::of(total, bar, "fetching provenance", "packages")
    }

    /// A tracker of `total` `noun`, doing `what`.
    pub fn of(total: usize, bar: bool, what: &'static str, noun: &'static str) -> Arc<Self> {
        Arc::new(Self {
            bar: progress_bar(total, bar, what),
            what,
            noun,
            total,
            done: AtomicUsize::new(0),
            unanswered: AtomicUsize::new(0),
            started: Instant::now(),
        })
    }

    /// One package done; `answered`: every source it asked answered.
    pub fn finished(&self, answered: bool) {
        if !answered {
            let count = self.unanswered.fetch_add(1, Ordering::Relaxed) + 1;
            self.bar.set_message(format!(", {count} not answered"));
        }
        self.done.fetch_add(1, Ordering::Relaxed);
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// `fetching provenance: 12/179 packages, 1 not answered (1m 5s,
    /// about 2m 50s left)`; the time left is the pace so far applied to
    /// the packages still to do, unknown until one is done.
    pub fn line(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let unanswered = self.unanswered.load(Ordering::Relaxed);
        let elapsed = self.started.elapsed();
        let mut line = format!("{}: {done}/{} {}", self.what, self.total, self.noun);
        if unanswered > 0 {
            line.push_str(&format!(", {unanswered} not answered"));
        }
        let left = match u32::try_from(done) {
            Ok(done) if done > 0 => {
                let remaining =
                    u32::try_from(self.total.saturating_sub(done as usize)).unwrap_or(u32::MAX);
                format!("about {} left", seconds(elapsed / done * remaining))
            }
            _ => "time left not known yet".to_string(),
        };
        line.push_str(&format!(" ({}, {left})", seconds(elapsed)));
        line
    }

    /// Write [`Tracker::line`] through `lines.say` every `lines.every`
    /// (once `lines.after` has passed) until the task is aborted.
    pub async fn write_lines(self: Arc<Self>, lines: ProgressLines) {
        let mut ticks = tokio::time::interval(lines.every.max(Duration::from_millis(1)));
        // The first tick is immediate: nothing to say at the start.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if self.started.elapsed() >= lines.after {
                (lines.say.0)(&self.line());
            }
        }
    }
}

/// [`Tracker::write_lines`] for work that runs on threads rather than
/// in a runtime: a thread saying the line until this is dropped.
pub(crate) struct LinesThread {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LinesThread {
    pub fn start(tracker: Arc<Tracker>, lines: ProgressLines) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let every = lines.every.max(Duration::from_millis(1));
        let thread = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(every)
                {
                    if tracker.started.elapsed() >= lines.after {
                        (lines.say.0)(&tracker.line());
                    }
                }
            })
            .ok();
        Self {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for LinesThread {
    fn drop(&mut self) {
        // Closing the channel ends the thread's wait at once.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A duration in whole seconds, as `1h 2m 5s`, `2m 5s` or `5s`.
fn seconds(duration: Duration) -> String {
    let total = duration.as_secs();
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, _) => format!("{minutes}m {seconds}s"),
        _ => format!("{hours}h {minutes}m {seconds}s"),
    }
}

fn progress_bar(len: usize, show: bool, what: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let template = format!(
        "{{spinner}} {what} {{bar:30}} {{pos}}/{{len}}{{msg}} ({{elapsed}}, about {{eta}} left)"
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_the_counts_and_the_time_left_once_known() {
        let tracker = Tracker::new(4, false);
        let line = tracker.line();
        assert!(
            line.starts_with("fetching provenance: 0/4 packages ("),
            "{line}"
        );
        assert!(line.ends_with(", time left not known yet)"), "{line}");
        tracker.finished(true);
        tracker.finished(false);
        let line = tracker.line();
        assert!(
            line.starts_with("fetching provenance: 2/4 packages, 1 not answered ("),
            "{line}"
        );
        assert!(
            line.contains(", about ") && line.ends_with(" left)"),
            "{line}"
        );
    }

    #[test]
    fn durations_are_written_in_hours_minutes_and_seconds() {
        assert_eq!(seconds(Duration::from_millis(5_900)), "5s");
        assert_eq!(seconds(Duration::from_secs(125)), "2m 5s");
        assert_eq!(seconds(Duration::from_secs(3_725)), "1h 2m 5s");
    }

    #[test]
    fn quiet_lines_wait_six_intervals() {
        let say = Announcer(Arc::new(|_: &str| {}));
        let loud = ProgressLines::new(Duration::from_secs(10), false, say.clone());
        assert_eq!(loud.after, Duration::ZERO);
        let quiet = ProgressLines::new(Duration::from_secs(10), true, say);
        assert_eq!(quiet.after, Duration::from_secs(60));
    }
}
