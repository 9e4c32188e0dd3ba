//! What several runs of one thing took, shared by the benches that time
//! processes.

use std::time::Duration;

/// The best wall and CPU times of several runs, and the largest peak RSS.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    pub wall: Duration,
    pub cpu: Duration,
    pub rss_kib: u64,
}

impl Measure {
    /// No run yet.
    pub fn new() -> Self {
        Self {
            wall: Duration::MAX,
            cpu: Duration::MAX,
            rss_kib: 0,
        }
    }

    /// One more run.
    pub fn add(&mut self, other: Measure) {
        self.wall = self.wall.min(other.wall);
        self.cpu = self.cpu.min(other.cpu);
        self.rss_kib = self.rss_kib.max(other.rss_kib);
    }
}
