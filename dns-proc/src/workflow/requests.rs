//! dns-proc's workflow requests: check, store, list, match, execute a
//! node, record a run, list runs.

use shared::error::{WireError, WireResult};
use shared::protocol::dnsproc::{DnsEvent, DnsResponse};
use shared::protocol::workflow::{
    HttpRequestNode, NodeReference, TriggerEvent, WorkflowDraft, WorkflowMeta, WorkflowProgress,
    WorkflowRun,
};
use shared::rpc::EventSink;
use tokio::sync::mpsc;

use super::{check, matches, run, store};
use crate::acme::error::AcmeError;
use crate::acme::service::AcmeState;
use crate::providers::error::shown;
use crate::scrub;
use crate::vault_link::VaultLink;

fn store_err(e: AcmeError) -> WireError {
    WireError::internal(format!("workflow state: {e}"))
}

fn not_found(id: &str) -> WireError {
    WireError::not_found(format!("no workflow {}", shown(id, 60)))
}

/// Checks a draft again (the broker has; a workflow is never stored
/// without passing here) and refuses it on its first problem.
fn checked(draft: &WorkflowDraft) -> WireResult<()> {
    let (c, _) = check::check(draft);
    match c.errors.into_iter().next() {
        None => Ok(()),
        Some(i) => {
            let mut e = WireError::validation(i.message).with_field(i.field);
            if let Some(n) = i.node {
                e = e.with_node(n);
            }
            if let Some(o) = i.offset {
                e = e.with_offset(o);
            }
            Err(e)
        }
    }
}

/// Stores a new workflow.
pub async fn create(
    acme: &AcmeState,
    draft: WorkflowDraft,
    references: Vec<NodeReference>,
) -> WireResult<WorkflowMeta> {
    checked(&draft)?;
    let id = shared::ids::random_hex::<16>()
        .map(|h| format!("wf_{h}"))
        .map_err(|e| WireError::internal(e.to_string()))?;
    let at = shared::clock::now();
    let meta = WorkflowMeta {
        id,
        draft,
        references,
        created_at: at.clone(),
        updated_at: at,
    };
    store::put(acme.store().await?, meta.clone())
        .await
        .map_err(store_err)?;
    Ok(meta)
}

/// Replaces a workflow's configuration.
pub async fn update(
    acme: &AcmeState,
    id: &str,
    draft: WorkflowDraft,
    references: Vec<NodeReference>,
) -> WireResult<WorkflowMeta> {
    checked(&draft)?;
    let mut meta = get(acme, id).await?;
    meta.draft = draft;
    meta.references = references;
    meta.updated_at = shared::clock::now();
    store::put(acme.store().await?, meta.clone())
        .await
        .map_err(store_err)?;
    Ok(meta)
}

/// One workflow.
pub async fn get(acme: &AcmeState, id: &str) -> WireResult<WorkflowMeta> {
    store::get(acme.store().await?, id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| not_found(id))
}

/// Deletes a workflow and its runs.
pub async fn delete(acme: &AcmeState, id: &str) -> WireResult<()> {
    if store::delete(acme.store().await?, id)
        .await
        .map_err(store_err)?
    {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// Every workflow, oldest first.
pub async fn all(acme: &AcmeState) -> WireResult<Vec<WorkflowMeta>> {
    store::all(acme.store().await?).await.map_err(store_err)
}

/// One page of workflows.
pub async fn list(
    acme: &AcmeState,
    after: Option<&str>,
    limit: u32,
) -> WireResult<(Vec<WorkflowMeta>, Option<String>)> {
    let all = all(acme).await?;
    shared::protocol::page::page(&all, |w| w.id.as_str(), after, limit, "workflow")
}

/// The enabled workflows `event` on `certificate_id` triggers, in order.
pub async fn matching(
    acme: &AcmeState,
    certificate_id: &str,
    event: TriggerEvent,
) -> WireResult<Vec<WorkflowMeta>> {
    let cert = acme.certificate_row(certificate_id).await?;
    Ok(all(acme)
        .await?
        .into_iter()
        .filter(|w| matches(w, &cert, event))
        .collect())
}

/// Executes one `http_request` node of a run (the broker holds the run's
/// permit and orders its nodes).
pub async fn execute_node(
    acme: &AcmeState,
    vault: &VaultLink,
    run_id: &str,
    certificate_id: &str,
    name: &str,
    node: &HttpRequestNode,
    events: EventSink<DnsEvent>,
) -> WireResult<DnsResponse> {
    check_run_id(run_id)?;
    let cert = acme.certificate_row(certificate_id).await?;
    let (tx, mut rx) = mpsc::unbounded_channel::<WorkflowProgress>();
    let forward = tokio::spawn(async move {
        while let Some(mut p) = rx.recv().await {
            // Details were scrubbed when made; scrubbed again on the way out.
            scrub::in_place(&mut p.detail);
            events
                .send::<DnsResponse>(DnsEvent::WorkflowProgress(p))
                .await;
        }
    });
    let (mut result, decrypts) = run::node(vault, run_id, name, node, &cert, &tx).await;
    drop(tx);
    let _ = forward.await;
    if let Some(e) = result.error.as_mut() {
        scrub::in_place(e);
    }
    Ok(DnsResponse::WorkflowNode(result, decrypts))
}

fn check_run_id(run_id: &str) -> WireResult<()> {
    if !run_id.starts_with("wfr_") || run_id.len() > 64 {
        return Err(WireError::validation("a run id is `wfr_…`"));
    }
    Ok(())
}

/// Stores a finished run (its workflow must exist).
pub async fn record(acme: &AcmeState, run: WorkflowRun) -> WireResult<()> {
    check_run_id(&run.id)?;
    get(acme, &run.workflow_id).await?;
    store::add_run(acme.store().await?, run)
        .await
        .map_err(store_err)
}

/// A workflow's runs, newest first.
pub async fn runs(
    acme: &AcmeState,
    id: &str,
    after: Option<&str>,
    limit: u32,
) -> WireResult<DnsResponse> {
    get(acme, id).await?;
    let all = store::runs(acme.store().await?, id)
        .await
        .map_err(store_err)?;
    let (page, next) = shared::protocol::page::page(&all, |r| r.id.as_str(), after, limit, "run")?;
    Ok(DnsResponse::WorkflowRuns(page, next))
}
