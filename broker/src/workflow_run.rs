//! One run of a deploy workflow, ordered by the broker: its nodes in turn,
//! stopping at the first failure, then the run recorded (dns-proc) and
//! announced (`workflow_run` event).
//!
//! The broker grants a workflow permit for exactly the secrets the workflow
//! references, for this run only (through [`crate::permit::PermitGuard`]);
//! dns-proc executes each `http_request` node and vault-proc resolves its
//! references under that permit, decrypting each secret once per run.
//! `export_files` nodes are written by vault-proc on the broker's order,
//! exactly as `certificate_export` (`crate::export::write_files`): dns-proc
//! has no way to make vault-proc write a key. The broker never sees a value.

use std::time::{Duration, Instant};

use shared::error::{WireError, WireResult};
use shared::protocol::acme::CertificateWithChain;
use shared::protocol::dnsproc::{DnsEvent, DnsRequest, DnsResponse};
use shared::protocol::ui::{UiEvent, UiResponse};
use shared::protocol::vault::PermitScope;
use shared::protocol::workflow::{
    ExportFilesNode, HttpRequestNode, NodeKind, NodeResult, NodeStatus, RunCause, WorkflowMeta,
    WorkflowProgress, WorkflowRun,
};
use shared::rpc::EventSink;
use tokio::sync::mpsc;

use crate::router::{unexpected, Router};
use crate::workflows::workflow;

/// Extra time a run's permit gets beyond its nodes' timeouts.
const RUN_SLACK: Duration = Duration::from_secs(60);
/// Extra time one node's call gets beyond its own timeout.
const NODE_SLACK: Duration = Duration::from_secs(10);
/// Time allowed for an `export_files` node.
const EXPORT_SECS: u64 = 30;
/// Longest run permit (vault-proc refuses longer grants).
const MAX_RUN: Duration = Duration::from_secs(900);

/// How long a run of `wf` may take (its nodes' timeouts plus slack, capped
/// by the longest permit vault-proc grants).
fn run_budget(wf: &WorkflowMeta) -> Duration {
    let nodes: Duration = wf
        .draft
        .nodes
        .iter()
        .map(|n| match &n.kind {
            NodeKind::HttpRequest(h) => h.timeout() + NODE_SLACK,
            NodeKind::ExportFiles(_) => Duration::from_secs(EXPORT_SECS),
        })
        .sum();
    (nodes + RUN_SLACK).min(MAX_RUN)
}

/// Where a run's progress goes (the requesting UI, when there is one).
struct Progress(Option<EventSink<UiEvent>>);

impl Progress {
    async fn send(&self, node: &str, status: NodeStatus, detail: String) {
        if let Some(events) = &self.0 {
            events
                .send::<UiResponse>(UiEvent::WorkflowProgress(WorkflowProgress {
                    node: node.to_string(),
                    status,
                    detail,
                }))
                .await;
        }
    }
}

fn elapsed_ms(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn failed(name: &str, t: Instant, error: String) -> NodeResult {
    NodeResult {
        name: name.to_string(),
        status: NodeStatus::Failed,
        http_status: None,
        duration_ms: elapsed_ms(t),
        error: Some(error),
    }
}

/// One `http_request` node, executed by dns-proc under the run's permit;
/// its progress is forwarded as dns-proc reports it.
async fn http_node(
    router: &Router,
    run_id: &str,
    cert_id: &str,
    name: &str,
    h: &HttpRequestNode,
    progress: &Progress,
) -> (NodeResult, u32) {
    let t = Instant::now();
    let dns = match router.dns_client().await {
        Ok(d) => d,
        Err(e) => return (failed(name, t, e.message), 0),
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<DnsEvent>();
    let sink = progress.0.clone();
    let forward = tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if let (DnsEvent::WorkflowProgress(p), Some(events)) = (ev, sink.as_ref()) {
                events
                    .send::<UiResponse>(UiEvent::WorkflowProgress(p))
                    .await;
            }
        }
    });
    let answer = dns
        .call_as(
            dns.alloc_id(),
            DnsRequest::WorkflowNode {
                run_id: run_id.to_string(),
                certificate_id: cert_id.to_string(),
                name: name.to_string(),
                node: h.clone(),
            },
            h.timeout() + NODE_SLACK,
            Some(tx),
        )
        .await;
    let _ = forward.await;
    match answer {
        Ok(DnsResponse::WorkflowNode(r, decrypts)) => (r, decrypts),
        Ok(other) => (failed(name, t, unexpected(&other).message), 0),
        Err(e) => {
            let r = failed(name, t, e.message);
            progress
                .send(
                    name,
                    NodeStatus::Failed,
                    r.error.clone().unwrap_or_default(),
                )
                .await;
            (r, 0)
        }
    }
}

/// One `export_files` node: vault-proc writes the files, replacing the
/// previous ones (a deploy target is rewritten on every run).
async fn export_node(
    router: &Router,
    cert: &CertificateWithChain,
    name: &str,
    e: &ExportFilesNode,
    progress: &Progress,
) -> NodeResult {
    progress
        .send(name, NodeStatus::Running, String::new())
        .await;
    let t = Instant::now();
    let outcome = crate::export::write_files(router, cert, &e.dir, e.include_key, true).await;
    let (status, error, detail) = match outcome {
        Ok(files) => (
            NodeStatus::Succeeded,
            None,
            format!("{} files written to {}", files.len(), e.dir),
        ),
        Err(err) => (NodeStatus::Failed, Some(err.message.clone()), err.message),
    };
    progress.send(name, status, detail).await;
    NodeResult {
        name: name.to_string(),
        status,
        http_status: None,
        duration_ms: elapsed_ms(t),
        error,
    }
}

/// Runs workflow `id` for certificate `certificate_id`; progress goes to
/// `events` when a UI request asked for the run. The run is recorded and
/// announced to every `events_subscribe` subscriber, failed or not; a
/// failure is a result, never an error.
pub async fn run(
    router: &Router,
    id: &str,
    certificate_id: &str,
    cause: RunCause,
    events: Option<EventSink<UiEvent>>,
) -> WireResult<WorkflowRun> {
    let wf = workflow(router.dns(DnsRequest::WorkflowGet(id.to_string())).await?)?;
    // The certificate must exist before anything is granted.
    let cert = match router
        .dns(DnsRequest::CertificateGet(certificate_id.to_string()))
        .await?
    {
        DnsResponse::Certificate(c) => c,
        other => return Err(unexpected(&other)),
    };
    let run_id = shared::ids::random_hex::<16>()
        .map(|h| format!("wfr_{h}"))
        .map_err(|e| WireError::internal(e.to_string()))?;
    let started_at = shared::clock::now();
    // vault-proc resolves these names for this run only, while this guard
    // lives; its values are zeroized when the permit ends.
    let permit = router
        .grant_permit(
            PermitScope::Workflow {
                run_id: run_id.clone(),
                names: wf.secret_names(),
            },
            run_budget(&wf),
        )
        .await?;
    let progress = Progress(events);
    let mut nodes = Vec::with_capacity(wf.draft.nodes.len());
    let mut decrypts = 0u32;
    let mut stopped = false;
    for node in &wf.draft.nodes {
        if stopped {
            nodes.push(NodeResult {
                name: node.name.clone(),
                status: NodeStatus::Skipped,
                http_status: None,
                duration_ms: 0,
                error: None,
            });
            continue;
        }
        let result = match &node.kind {
            NodeKind::HttpRequest(h) => {
                let (r, d) =
                    http_node(router, &run_id, &cert.meta.id, &node.name, h, &progress).await;
                decrypts = decrypts.saturating_add(d);
                r
            }
            NodeKind::ExportFiles(e) => export_node(router, &cert, &node.name, e, &progress).await,
        };
        stopped = result.status != NodeStatus::Succeeded;
        nodes.push(result);
    }
    permit.revoke().await;
    let run = WorkflowRun {
        id: run_id,
        workflow_id: wf.id.clone(),
        certificate_id: cert.meta.id.clone(),
        cause,
        success: !stopped,
        nodes,
        secret_decrypts: decrypts,
        started_at,
    };
    match router.dns(DnsRequest::WorkflowRecord(run.clone())).await? {
        DnsResponse::Done => {}
        other => return Err(unexpected(&other)),
    }
    router
        .events()
        .send(UiEvent::WorkflowRun(run.clone()))
        .await;
    Ok(run)
}
