//! The source comparison's git fetches shown as the fetch of bundles is:
//! the bar on a terminal, else a line now and then (the same rules,
//! `RunConfig::progress` and `RunConfig::progress_lines`), saying how many
//! of the repositories are fetched.

use std::sync::{Arc, Mutex};

use crate::fetch::{LinesThread, ProgressLines, Tracker};
use crate::source_compare::FetchProgress;

/// What shows the fetches, made once their number is known.
pub(super) struct GitProgress {
    bar: bool,
    lines: Option<ProgressLines>,
    shown: Mutex<Option<(Arc<Tracker>, Option<LinesThread>)>>,
}

impl GitProgress {
    pub fn new(bar: bool, lines: Option<ProgressLines>) -> Self {
        Self {
            bar,
            lines,
            shown: Mutex::new(None),
        }
    }

    /// The fetches are over: the bar cleared, the lines stopped.
    pub fn finish(self) {
        if let Some((tracker, lines)) = self.shown.into_inner().ok().flatten() {
            drop(lines);
            tracker.finish();
        }
    }
}

impl FetchProgress for GitProgress {
    fn started(&self, fetches: usize) {
        if !self.bar && self.lines.is_none() {
            return;
        }
        let what = "fetching repositories for the source comparison";
        let tracker = Tracker::of(fetches, self.bar, what, "repositories");
        let lines = self
            .lines
            .clone()
            .map(|lines| LinesThread::start(tracker.clone(), lines));
        if let Ok(mut shown) = self.shown.lock() {
            *shown = Some((tracker, lines));
        }
    }

    fn fetched(&self) {
        if let Ok(shown) = self.shown.lock() {
            if let Some((tracker, _)) = shown.as_ref() {
                tracker.finished(true);
            }
        }
    }
}
