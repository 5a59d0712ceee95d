//! Workflow flows across dns-proc and vault-proc.
//!
//! Saving: dns-proc checks the structure and names the texts that may hold
//! secret references; vault-proc checks those references
//! (`template_validate`: format, secret and field exist), so a bad
//! reference is refused at save with its node, field and offset. Running
//! is [`crate::workflow_run`]. The broker never sees a value.

use shared::error::{ErrorCode, WireError, WireResult};
use shared::protocol::dnsproc::{DnsRequest, DnsResponse};
use shared::protocol::secrets::{SecretKind, SecretSelector, SecretType};
use shared::protocol::vault::{VaultRequest, VaultResponse};
use shared::protocol::workflow::{
    NodeReference, WorkflowCheck, WorkflowDraft, WorkflowIssue, WorkflowMeta,
};

use crate::router::{unexpected, Router};

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

/// The workflow in a dns-proc answer.
pub(crate) fn workflow(r: DnsResponse) -> WireResult<WorkflowMeta> {
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
