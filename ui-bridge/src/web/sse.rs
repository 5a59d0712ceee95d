//! Test Connection runs seen from the browser: a run is started by a POST,
//! runs on the broker as an ordinary `dns_provider_test` request, and keeps
//! every `dns_test_progress` event and its final result as ready-made
//! server-sent-event frames. `GET …/events` replays them from the start and
//! follows the run live, then ends after the `result` (or `error`) frame,
//! so a page that connects late still sees every step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use futures_util::Stream;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::json::response;

/// Runs kept at most (oldest finished ones are dropped first).
const MAX_RUNS: usize = 64;

/// How long a finished run stays replayable.
const KEEP_FINISHED: Duration = Duration::from_secs(600);

/// One run: its frames and whether it has ended.
pub struct Run {
    /// The provider under test.
    pub provider_id: String,
    frames: Mutex<Vec<Bytes>>,
    count: watch::Sender<(usize, bool)>,
    finished_at: Mutex<Option<Instant>>,
}

impl Run {
    fn new(provider_id: String) -> Self {
        Self {
            provider_id,
            frames: Mutex::new(Vec::new()),
            count: watch::channel((0, false)).0,
            finished_at: Mutex::new(None),
        }
    }

    fn push(&self, event: &str, data: &Value, last: bool) {
        let frame = Bytes::from(format!("event: {event}\ndata: {data}\n\n"));
        let n = match self.frames.lock() {
            Ok(mut f) => {
                f.push(frame);
                f.len()
            }
            Err(_) => return,
        };
        if last {
            if let Ok(mut at) = self.finished_at.lock() {
                *at = Some(Instant::now());
            }
        }
        self.count.send_replace((n, last));
    }

    /// Records a progress event.
    pub fn progress(&self, p: &shared::protocol::dns::TestProgress) {
        self.push("progress", &response::progress(p), false);
    }

    /// Records the final answer (a `TestOutcome` or an error) and ends the run.
    pub fn finish(
        &self,
        result: Result<&shared::protocol::ui::UiResponse, &shared::error::WireError>,
    ) {
        match result {
            Ok(r) => self.push("result", &response::result(r), true),
            Err(e) => self.push("error", &response::error(e), true),
        }
    }

    /// True once the run has ended.
    pub fn done(&self) -> bool {
        self.count.borrow().1
    }

    /// Every frame so far.
    pub fn frames(&self) -> Vec<Bytes> {
        self.frames.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// The frames as a stream: replay, then follow until the run ends.
    pub fn stream(self: Arc<Self>) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
        let rx = self.count.subscribe();
        futures_util::stream::unfold((self, rx, 0usize), |(run, mut rx, sent)| async move {
            loop {
                let (n, last) = *rx.borrow_and_update();
                if sent < n {
                    let frames = run.frames();
                    let chunk: Vec<u8> = frames
                        .get(sent..n)
                        .unwrap_or_default()
                        .iter()
                        .flat_map(|b| b.iter().copied())
                        .collect();
                    return Some((Ok(Bytes::from(chunk)), (run, rx, n)));
                }
                if last {
                    return None;
                }
                if rx.changed().await.is_err() {
                    return None;
                }
            }
        })
    }
}

/// The runs of this server, by run id (the UI request id of the test).
#[derive(Default)]
pub struct Runs {
    runs: Mutex<HashMap<u64, Arc<Run>>>,
}

impl Runs {
    /// Registers a new run.
    pub fn start(&self, id: u64, provider_id: &str) -> Arc<Run> {
        let run = Arc::new(Run::new(provider_id.to_string()));
        if let Ok(mut runs) = self.runs.lock() {
            runs.retain(|_, r| {
                r.finished_at
                    .lock()
                    .ok()
                    .and_then(|at| *at)
                    .is_none_or(|at| at.elapsed() < KEEP_FINISHED)
            });
            if runs.len() >= MAX_RUNS {
                let oldest_done = runs.iter().filter(|(_, r)| r.done()).map(|(k, _)| *k).min();
                if let Some(k) = oldest_done {
                    runs.remove(&k);
                }
            }
            runs.insert(id, run.clone());
        }
        run
    }

    /// A run of `provider_id` by id.
    pub fn get(&self, id: u64, provider_id: &str) -> Option<Arc<Run>> {
        self.runs
            .lock()
            .ok()
            .and_then(|r| r.get(&id).cloned())
            .filter(|r| r.provider_id == provider_id)
    }

    /// Number of runs still going.
    pub fn active(&self) -> usize {
        self.runs
            .lock()
            .map(|r| r.values().filter(|r| !r.done()).count())
            .unwrap_or(0)
    }
}

/// The JSON answer of the POST that starts a run.
pub fn started(run: u64, provider_id: &str) -> Value {
    json!({ "run": run, "events": format!("/providers/{provider_id}/test/{run}/events") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use shared::protocol::dns::{TestProgress, TestStatus, TestStep};

    #[tokio::test]
    async fn replays_then_follows_then_ends() {
        let runs = Runs::default();
        let run = runs.start(7, "p");
        assert!(runs.get(7, "q").is_none());
        let p = TestProgress {
            step: TestStep::Create,
            status: TestStatus::Started,
            detail: "d".into(),
            nameservers: vec![],
        };
        run.progress(&p);
        let mut s = Box::pin(runs.get(7, "p").unwrap().stream());
        let first = s.next().await.unwrap().unwrap();
        assert!(std::str::from_utf8(&first)
            .unwrap()
            .starts_with("event: progress\n"));
        assert_eq!(runs.active(), 1);
        run.finish(Err(&shared::error::WireError::internal("x")));
        let last = s.next().await.unwrap().unwrap();
        assert!(std::str::from_utf8(&last)
            .unwrap()
            .starts_with("event: error\n"));
        assert!(s.next().await.is_none());
        assert_eq!(runs.active(), 0);
    }
}
