//! Progress events of a Test Connection run, sent as they happen.
//!
//! Sending never blocks the run: events go through an unbounded channel to
//! the task that writes them to the broker, and a gone listener is ignored.

use std::net::SocketAddr;
use std::time::Duration;

use shared::protocol::dns::{NameserverStatus, TestProgress, TestStatus, TestStep};
use tokio::sync::mpsc::UnboundedSender;

use crate::verify::NsState;

/// Where a run reports its progress.
#[derive(Clone)]
pub struct Progress {
    tx: Option<UnboundedSender<TestProgress>>,
}

impl Progress {
    /// Reports to `tx`.
    pub fn new(tx: UnboundedSender<TestProgress>) -> Self {
        Self { tx: Some(tx) }
    }

    /// Reports nowhere (benchmarks).
    pub fn none() -> Self {
        Self { tx: None }
    }

    fn emit(&self, p: TestProgress) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(p);
        }
    }

    /// One step event.
    pub fn send(&self, step: TestStep, status: TestStatus, detail: String) {
        self.emit(TestProgress {
            step,
            status,
            detail,
            nameservers: vec![],
        });
    }

    /// One verification poll with every nameserver's state.
    pub fn poll(&self, attempt: u32, elapsed: Duration, states: &[(SocketAddr, NsState)]) {
        let all_seen = states.iter().all(|(_, s)| *s == NsState::Seen);
        self.emit(TestProgress {
            step: TestStep::Verify,
            status: if all_seen {
                TestStatus::Ok
            } else {
                TestStatus::Waiting
            },
            detail: format!(
                "poll {attempt} after {} ms: {}",
                elapsed.as_millis(),
                summary(states)
            ),
            nameservers: states
                .iter()
                .map(|(sa, s)| NameserverStatus {
                    address: sa.to_string(),
                    state: s.label(),
                    detail: s.detail().into(),
                })
                .collect(),
        });
    }
}

/// `2/3 seen; 10.0.0.1:53 NXDOMAIN`.
pub fn summary(states: &[(SocketAddr, NsState)]) -> String {
    let seen = states.iter().filter(|(_, s)| *s == NsState::Seen).count();
    let mut parts = vec![format!("{seen}/{} seen", states.len())];
    parts.extend(
        states
            .iter()
            .filter(|(_, s)| *s != NsState::Seen)
            .map(|(sa, s)| format!("{sa} {}", s.detail())),
    );
    parts.join("; ")
}
