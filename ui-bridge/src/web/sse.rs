//! Long runs seen from the browser (Test Connection, certificate issuance,
//! a workflow run now): a run is started by a POST, runs on the broker as
//! an ordinary request (`dns_provider_test`, `certificate_issue`,
//! `workflow_run`), and keeps every progress event and its final result as
//! ready-made server-sent-event frames (an issuance and a workflow run
//! also keep them typed, for the page that renders their state on the
//! server). `GET …/events` replays them from the start and
//! follows the run live, then ends after the `result` (or `error`) frame,
//! so a page that connects late still sees every step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use futures_util::Stream;
use serde_json::{json, Value};
use tokio::sync::watch;

use shared::error::WireError;
use shared::protocol::acme::{IssueOutcome, IssueProgress};
use shared::protocol::ui::UiResponse;
use shared::protocol::workflow::{WorkflowProgress, WorkflowRun};

use crate::json::response;

/// The owner of issuance runs (Test Connection runs are owned by their provider).
pub const ISSUE_OWNER: &str = "certificate_issue";

/// The owner of workflow runs started from the pages.
pub const WORKFLOW_OWNER: &str = "workflow_run";

/// Runs kept at most (oldest finished ones are dropped first).
const MAX_RUNS: usize = 64;

/// How long a finished run stays replayable.
const KEEP_FINISHED: Duration = Duration::from_secs(600);

/// What an issuance run has seen so far (typed, for server rendering).
#[derive(Debug, Clone, Default)]
pub struct IssueLog {
    /// The names asked for, as typed.
    pub names: Vec<String>,
    /// The account ordering.
    pub account_id: String,
    /// The certificate being renewed (a `certificate_renew` run).
    pub renewal_of: Option<String>,
    /// Every `certificate_progress` event so far.
    pub events: Vec<IssueProgress>,
    /// The outcome, once the run has ended.
    pub outcome: Option<Result<IssueOutcome, WireError>>,
}

/// A node of a workflow run, as its page lists it.
#[derive(Debug, Clone, Default)]
pub struct LoggedNode {
    /// Node name.
    pub name: String,
    /// What it does, in a few words (`POST https://…`, `files to /srv/tls`).
    pub what: String,
}

/// What a workflow run started from the pages has seen so far.
#[derive(Debug, Clone, Default)]
pub struct WorkflowLog {
    /// The workflow (`wf_…`).
    pub workflow_id: String,
    /// Its name when the run started.
    pub workflow_name: String,
    /// The certificate it runs for.
    pub certificate_id: String,
    /// The nodes, in order (what the page lists before they run).
    pub nodes: Vec<LoggedNode>,
    /// Every `workflow_progress` event so far.
    pub events: Vec<WorkflowProgress>,
    /// The finished run, or why it could not run.
    pub outcome: Option<Result<WorkflowRun, WireError>>,
}

/// One run: its frames and whether it has ended.
pub struct Run {
    /// What the run belongs to: the provider under test, or
    /// [`ISSUE_OWNER`] for an issuance.
    pub owner: String,
    frames: Mutex<Vec<Bytes>>,
    issue: Mutex<IssueLog>,
    workflow: Mutex<WorkflowLog>,
    count: watch::Sender<(usize, bool)>,
    finished_at: Mutex<Option<Instant>>,
}

impl Run {
    fn new(owner: String) -> Self {
        Self {
            owner,
            frames: Mutex::new(Vec::new()),
            issue: Mutex::new(IssueLog::default()),
            workflow: Mutex::new(WorkflowLog::default()),
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

    /// Records an issuance's progress event.
    pub fn issue_progress(&self, p: &IssueProgress) {
        if let Ok(mut log) = self.issue.lock() {
            log.events.push(p.clone());
        }
        self.push("progress", &response::issue_progress(p), false);
    }

    /// Records what an issuance (or, with `renewal_of`, a renewal) was asked for.
    pub fn issue_started(&self, account_id: &str, names: &[String], renewal_of: Option<&str>) {
        if let Ok(mut log) = self.issue.lock() {
            log.account_id = account_id.to_string();
            log.names = names.to_vec();
            log.renewal_of = renewal_of.map(str::to_string);
        }
    }

    /// Records an issuance's answer (keeping it typed) and ends the run.
    pub fn issue_finish(&self, result: Result<&UiResponse, &WireError>) {
        let typed = match result {
            Ok(UiResponse::IssueOutcome(o)) => Ok(o.clone()),
            Ok(_) => Err(WireError::internal("unexpected answer from the core")),
            Err(e) => Err(e.clone()),
        };
        if let Ok(mut log) = self.issue.lock() {
            log.outcome = Some(typed);
        }
        self.finish(result);
    }

    /// A copy of the issuance log.
    pub fn issue_log(&self) -> IssueLog {
        self.issue.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Records what a workflow run was asked for.
    pub fn workflow_started(&self, start: WorkflowLog) {
        if let Ok(mut log) = self.workflow.lock() {
            *log = start;
        }
    }

    /// Records a workflow's progress event.
    pub fn workflow_progress(&self, p: &WorkflowProgress) {
        if let Ok(mut log) = self.workflow.lock() {
            log.events.push(p.clone());
        }
        self.push("progress", &crate::json::workflow::progress(p), false);
    }

    /// Records a workflow run's answer (keeping it typed) and ends the run.
    pub fn workflow_finish(&self, result: Result<&UiResponse, &WireError>) {
        let typed = match result {
            Ok(UiResponse::WorkflowRun(r)) => Ok(r.clone()),
            Ok(_) => Err(WireError::internal("unexpected answer from the core")),
            Err(e) => Err(e.clone()),
        };
        if let Ok(mut log) = self.workflow.lock() {
            log.outcome = Some(typed);
        }
        self.finish(result);
    }

    /// A copy of the workflow run's log.
    pub fn workflow_log(&self) -> WorkflowLog {
        self.workflow.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Records the final answer (a `TestOutcome` or an error) and ends the run.
    pub fn finish(&self, result: Result<&UiResponse, &WireError>) {
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
    /// Registers a new run of `owner`.
    pub fn start(&self, id: u64, owner: &str) -> Arc<Run> {
        let run = Arc::new(Run::new(owner.to_string()));
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

    /// A run of `owner` by id.
    pub fn get(&self, id: u64, owner: &str) -> Option<Arc<Run>> {
        self.runs
            .lock()
            .ok()
            .and_then(|r| r.get(&id).cloned())
            .filter(|r| r.owner == owner)
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
