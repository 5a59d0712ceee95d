//! Workflow flows across dns-proc and vault-proc.
//!
//! Saving: dns-proc checks the structure and names the texts that may hold
//! secret references; vault-proc checks those references
//! (`template_validate`: format, secret and field exist), so a bad
//! reference is refused at save with its node, field and offset. Running:
//! the broker grants a workflow permit for exactly the secrets the workflow
//! references, for this run only (through [`crate::permit::PermitGuard`]),
//! and dns-proc executes the nodes; vault-proc resolves each reference under
//! that permit. The broker never sees a value.

use std::time::Duration;

use shared::error::{ErrorCode, WireError, WireResult};
use shared::protocol::dnsproc::{DnsEvent, DnsRequest, DnsResponse};
use shared::protocol::secrets::{SecretKind, SecretSelector, SecretType};
use shared::protocol::ui::{UiEvent, UiResponse};
use shared::protocol::vault::{PermitScope, VaultRequest, VaultResponse};
use shared::protocol::workflow::{
    NodeKind, NodeReference, RunCause, WorkflowCheck, WorkflowDraft, WorkflowIssue, WorkflowMeta,
    WorkflowRun,
};
use shared::rpc::EventSink;
use tokio::sync::mpsc;

use crate::router::{unexpected, Router};

/// Extra time a run's permit and call get beyond its nodes' timeouts.
const RUN_SLACK: Duration = Duration::from_secs(60);

/// Checks a workflow: structure (dns-proc) and references (vault-proc).
pub async fn check(router: &Router, draft: &WorkflowDraft) -> WireResult<WorkflowCheck> {
    let (mut result, texts) = match router.dns(DnsRequest::WorkflowCheck(draft.clone())).await? {
        DnsResponse::WorkflowChecked(c, t) => (c, t),
        other => return Err(unexpected(&other)),
    };
    for (node, field, text) in texts {
        match router.vault(VaultRequest::ValidateTemplate(text)).await {
            Ok(VaultResponse::References(refs)) => {
                result
                    .references
                    .extend(refs.into_iter().map(|reference| NodeReference {
                        node: node.clone(),
                        field: field.clone(),
                        reference,
                    }))
            }
            Ok(other) => return Err(unexpected(&other)),
            Err(e) if matches!(e.code, ErrorCode::Validation | ErrorCode::NotFound) => {
                result.errors.push(WorkflowIssue {
                    node: Some(node.clone()),
                    field: field.clone(),
                    offset: e.offset,
                    message: e.message,
                })
            }
            Err(e) => return Err(e),
        }
    }
    refuse_keys(router, &mut result).await?;
    Ok(result)
}

/// Flags references to secrets no workflow may use (provider tokens, keys),
/// so the mistake shows at save; vault-proc refuses them at run time anyway
/// (`vault-proc/src/resolve.rs`).
async fn refuse_keys(router: &Router, result: &mut WorkflowCheck) -> WireResult<()> {
    let mut names: Vec<String> = result
        .references
        .iter()
        .map(|r| r.reference.name.clone())
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        let meta = match router
            .vault(VaultRequest::Get(SecretSelector::Name(name.clone())))
            .await?
        {
            VaultResponse::Meta(m) => m,
            other => return Err(unexpected(&other)),
        };
        let usable = meta.kind == SecretKind::Generic
            && meta.owner.is_none()
            && meta.secret_type != SecretType::PrivateKey;
        if usable {
            continue;
        }
        for r in result
            .references
            .iter()
            .filter(|r| r.reference.name == name)
        {
            result.errors.push(WorkflowIssue {
                node: Some(r.node.clone()),
                field: r.field.clone(),
                offset: Some(r.reference.offset),
                message: format!(
                    "secret `{name}` is a {} ({}): provider tokens and keys are never put into a request",
                    meta.kind.as_str(),
                    meta.secret_type.as_str()
                ),
            });
        }
    }
    Ok(())
}

/// The first problem as a `validation` error with its node, field and offset.
fn refused(c: &WorkflowCheck) -> Option<WireError> {
    let first = c.errors.first()?;
    let more = match c.errors.len() {
        1 => String::new(),
        n => format!(
            " (and {} more problems; workflow_validate lists them all)",
            n - 1
        ),
    };
    let mut e =
        WireError::validation(format!("{}{more}", first.message)).with_field(first.field.clone());
    if let Some(n) = &first.node {
        e = e.with_node(n.clone());
    }
    if let Some(o) = first.offset {
        e = e.with_offset(o);
    }
    Some(e)
}

fn workflow(r: DnsResponse) -> WireResult<WorkflowMeta> {
    match r {
        DnsResponse::Workflow(w) => Ok(w),
        other => Err(unexpected(&other)),
    }
}

/// `workflow_create`.
pub async fn create(router: &Router, draft: WorkflowDraft) -> WireResult<WorkflowMeta> {
    let c = check(router, &draft).await?;
    if let Some(e) = refused(&c) {
        return Err(e);
    }
    workflow(
        router
            .dns(DnsRequest::WorkflowCreate {
                draft,
                references: c.references,
            })
            .await?,
    )
}

/// `workflow_update`.
pub async fn update(router: &Router, id: String, draft: WorkflowDraft) -> WireResult<WorkflowMeta> {
    let c = check(router, &draft).await?;
    if let Some(e) = refused(&c) {
        return Err(e);
    }
    workflow(
        router
            .dns(DnsRequest::WorkflowUpdate {
                id,
                draft,
                references: c.references,
            })
            .await?,
    )
}

/// How long a run of `wf` may take (its nodes' timeouts plus slack, capped
/// by the longest permit vault-proc grants).
fn run_budget(wf: &WorkflowMeta) -> Duration {
    let nodes: u64 = wf
        .draft
        .nodes
        .iter()
        .map(|n| match &n.kind {
            NodeKind::HttpRequest(h) => h.timeout_secs.unwrap_or(30).clamp(1, 300) + 5,
        })
        .sum();
    (Duration::from_secs(nodes) + RUN_SLACK).min(Duration::from_secs(900))
}

/// Runs workflow `id` for certificate `certificate_id` under a permit for
/// exactly its references; progress goes to `events` when there is a UI
/// request to send it to.
pub async fn run(
    router: &Router,
    id: &str,
    certificate_id: &str,
    cause: RunCause,
    events: Option<EventSink<UiEvent>>,
) -> WireResult<WorkflowRun> {
    let wf = workflow(router.dns(DnsRequest::WorkflowGet(id.to_string())).await?)?;
    // The certificate must exist before anything is granted.
    match router
        .dns(DnsRequest::CertificateGet(certificate_id.to_string()))
        .await?
    {
        DnsResponse::Certificate(_) => {}
        other => return Err(unexpected(&other)),
    }
    let run_id = shared::ids::random_hex::<16>()
        .map(|h| format!("wfr_{h}"))
        .map_err(|e| WireError::internal(e.to_string()))?;
    let budget = run_budget(&wf);
    // vault-proc resolves these names for this run only, while this guard
    // lives; its values are zeroized when the permit ends.
    let permit = router
        .grant_permit(
            PermitScope::Workflow {
                run_id: run_id.clone(),
                names: wf.secret_names(),
            },
            budget,
        )
        .await?;
    let dns = router.dns_client().await?;
    let (tx, mut rx) = mpsc::unbounded_channel::<DnsEvent>();
    let forward = tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if let (DnsEvent::WorkflowProgress(p), Some(events)) = (ev, events.as_ref()) {
                events
                    .send::<UiResponse>(UiEvent::WorkflowProgress(p))
                    .await;
            }
        }
    });
    let result = dns
        .call_as(
            dns.alloc_id(),
            DnsRequest::WorkflowRun {
                workflow_id: wf.id.clone(),
                certificate_id: certificate_id.to_string(),
                run_id,
                cause,
            },
            budget,
            Some(tx),
        )
        .await;
    let _ = forward.await;
    permit.revoke().await;
    match result? {
        DnsResponse::WorkflowRun(r) => Ok(r),
        other => Err(unexpected(&other)),
    }
}

/// `workflow_list` / export: every workflow (pages of `page` at a time).
pub async fn all(router: &Router) -> WireResult<Vec<WorkflowMeta>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        match router
            .dns(DnsRequest::WorkflowList { after, limit: 200 })
            .await?
        {
            DnsResponse::Workflows(page, next) => {
                out.extend(page);
                match next {
                    Some(n) => after = Some(n),
                    None => return Ok(out),
                }
            }
            other => return Err(unexpected(&other)),
        }
    }
}
