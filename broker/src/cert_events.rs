//! What follows a new certificate. Called once after every successful
//! `certificate_issue` and `certificate_renew` (manual or automatic).
//!
//! On this branch the body runs the matching deploy workflows; the
//! lifecycle branch adds the re-export to the certificate's `deployTo`
//! before them (the lead merges the two bodies). Nothing here can undo the
//! certificate: failures are recorded in the workflow's runs and logged,
//! never returned.

use shared::protocol::dnsproc::{DnsRequest, DnsResponse};
use shared::protocol::workflow::{RunCause, TriggerEvent};

use crate::router::Router;

/// What happened to a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertChange {
    /// A new certificate (`certificate_issue`).
    Issued,
    /// A renewal (`certificate_renew`, manual or automatic).
    Renewed,
}

/// Runs everything that follows a new certificate: re-export to its
/// `deployTo` (lifecycle), then the matching workflows (workflows).
pub async fn after_certificate(router: &Router, cert_id: &str, change: CertChange) {
    run_workflows(router, cert_id, change).await;
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
            tracing::warn!(answer = %crate::router::unexpected(&other), "workflows not run");
            return;
        }
        Err(e) => {
            tracing::warn!(certificate = %cert_id, error = %e, "could not list the workflows to run");
            return;
        }
    };
    for wf in matching {
        match crate::workflows::run(router, &wf.id, cert_id, cause, None).await {
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
