//! Which hosts could not be reached in this run: a host that failed
//! [`GIVE_UP_AFTER`] times in a row for the same reason is not asked again
//! by the same client, so a run without a network ends in moments.

use std::collections::HashMap;
use std::sync::Mutex;

use super::FailureKind;

/// A host that could not be reached this many times in a row, for the same
/// reason, is not asked again by the same client.
pub const GIVE_UP_AFTER: u32 = 3;

/// Per host: the connection failures since its last answer. Shared by
/// every task using one client.
#[derive(Debug, Default)]
pub(super) struct HostHealth {
    hosts: Mutex<HashMap<String, HostState>>,
}

#[derive(Debug, Clone)]
pub(super) struct HostState {
    pub(super) kind: FailureKind,
    pub(super) detail: String,
    in_a_row: u32,
}

impl HostHealth {
    /// The failure the host was given up on for, if it was.
    pub(super) fn given_up(&self, host: &str) -> Option<HostState> {
        let hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .get(host)
            .filter(|state| state.in_a_row >= GIVE_UP_AFTER)
            .cloned()
    }

    pub(super) fn failed(&self, host: &str, kind: FailureKind, detail: &str) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let state = hosts.entry(host.to_string()).or_insert(HostState {
            kind,
            detail: detail.to_string(),
            in_a_row: 0,
        });
        if state.in_a_row >= GIVE_UP_AFTER {
            return;
        }
        if state.kind != kind {
            state.kind = kind;
            state.in_a_row = 0;
        }
        state.detail = detail.to_string();
        state.in_a_row += 1;
    }

    pub(super) fn answered(&self, host: &str) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if hosts.get(host).is_some_and(|s| s.in_a_row < GIVE_UP_AFTER) {
            hosts.remove(host);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_resets_the_count_of_failures() {
        let health = HostHealth::default();
        for _ in 0..GIVE_UP_AFTER - 1 {
            health.failed("h", FailureKind::ConnectionRefused, "x");
        }
        health.answered("h");
        health.failed("h", FailureKind::ConnectionRefused, "x");
        // A different failure starts counting again.
        health.failed("h", FailureKind::DnsFailed, "x");
        health.failed("h", FailureKind::DnsFailed, "x");
        assert!(health.given_up("h").is_none());
        health.failed("h", FailureKind::DnsFailed, "x");
        assert_eq!(
            health.given_up("h").map(|s| s.kind),
            Some(FailureKind::DnsFailed)
        );
        // Given up on stays given up on.
        health.answered("h");
        assert!(health.given_up("h").is_some());
    }
}
