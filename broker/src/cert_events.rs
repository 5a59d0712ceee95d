//! What follows a new certificate, in one place: called once after every
//! successful `certificate_issue` and `certificate_renew` (manual or
//! automatic). First the re-export to the certificate's `deployTo`, then
//! the matching deploy workflows, in order. Nothing here can undo the
//! certificate: a failed re-export is logged and evented
//! (`certificate_renewal` with `deploy_failed`), a failed workflow is
//! recorded in its runs and logged; neither is returned.

use shared::error::WireResult;
use shared::protocol::acme::{CertificateMeta, RenewalEvent, RenewalStatus};
use shared::protocol::dnsproc::{DnsRequest, DnsResponse};
use shared::protocol::ui::UiEvent;
use shared::protocol::workflow::{RunCause, TriggerEvent};

use crate::export::write_files;
use crate::router::{unexpected, Router};

/// What happened to a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertChange {
    /// Newly issued.
    Issued,
    /// A renewal of an earlier certificate.
    Renewed,
}

/// Runs everything that follows a new certificate: re-export to its
/// `deployTo` (lifecycle), then the matching workflows (workflows).
pub async fn after_certificate(router: &Router, cert: &CertificateMeta, change: CertChange) {
    let cert_id = cert.id.as_str();
    if let Err(e) = redeploy(router, cert).await {
        tracing::warn!(certificate = %cert_id, ?change, error = %e, "re-export to deployTo failed");
        router
            .events()
            .send(UiEvent::CertificateRenewal(RenewalEvent {
                certificate_id: cert_id.to_string(),
                status: RenewalStatus::DeployFailed,
                new_certificate_id: None,
                error: Some(e.message),
                next_attempt_at: None,
            }))
            .await;
    }
    run_workflows(router, cert_id, change).await;
}

/// Writes the certificate's files to its `deployTo` (inherited from the
/// certificate it renewed, so already stored with it), replacing the
/// previous ones.
async fn redeploy(router: &Router, cert: &CertificateMeta) -> WireResult<()> {
    let Some(d) = &cert.deploy_to else {
        return Ok(());
    };
    let with_chain = match router
        .dns(DnsRequest::CertificateGet(cert.id.clone()))
        .await?
    {
        DnsResponse::Certificate(c) => c,
        other => return Err(unexpected(&other)),
    };
    write_files(router, &with_chain, &d.dir, d.include_key, true).await?;
    Ok(())
}

/// The enabled workflows `change` triggers for `cert_id`, in order; a
/// failed node stops its workflow only, and is recorded in its runs.
async fn run_workflows(router: &Router, cert_id: &str, change: CertChange) {
    let (event, cause) = match change {
        CertChange::Issued => (TriggerEvent::Issued, RunCause::Issued),
        CertChange::Renewed => (TriggerEvent::Renewed, RunCause::Renewed),
    };
    let matching = match router
        .dns(DnsRequest::WorkflowMatch {
            certificate_id: cert_id.to_string(),
            event,
        })
        .await
    {
        Ok(DnsResponse::WorkflowMatches(w)) => w,
        Ok(other) => {
            tracing::warn!(answer = %unexpected(&other), "workflows not run");
            return;
        }
        Err(e) => {
            tracing::warn!(certificate = %cert_id, error = %e, "could not list the workflows to run");
            return;
        }
    };
    for wf in matching {
        match crate::workflow_run::run(router, &wf.id, cert_id, cause, None).await {
            Ok(r) if r.success => {
                tracing::info!(workflow = %wf.id, run = %r.id, certificate = %cert_id, "workflow ran")
            }
            Ok(r) => {
                let failed = r
                    .nodes
                    .iter()
                    .find(|n| n.error.is_some())
                    .map(|n| n.name.clone())
                    .unwrap_or_default();
                tracing::warn!(workflow = %wf.id, run = %r.id, node = %failed, certificate = %cert_id, "workflow failed; recorded in its runs")
            }
            Err(e) => {
                tracing::warn!(workflow = %wf.id, certificate = %cert_id, error = %e, "workflow could not run")
            }
        }
    }
}
