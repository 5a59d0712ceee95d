//! What follows a new certificate, in one place: called once after every
//! successful `certificate_issue` and `certificate_renew` (manual or
//! automatic). The lifecycle part re-exports the certificate to its
//! `deployTo`; the workflow part (issue 17) runs the matching workflows.
//! Errors here are logged and evented (`certificate_renewal`,
//! `deploy_failed`), never returned: the certificate stays issued.

use shared::error::WireResult;
use shared::protocol::acme::{ExportRequest, RenewalEvent, RenewalStatus};
use shared::protocol::dnsproc::{DnsRequest, DnsResponse};
use shared::protocol::ui::UiEvent;

use crate::export::export_certificate;
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
pub async fn after_certificate(router: &Router, cert_id: &str, change: CertChange) {
    if let Err(e) = redeploy(router, cert_id).await {
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
}

/// Writes the certificate's files to its `deployTo` (inherited from the
/// certificate it renewed), replacing the previous ones.
async fn redeploy(router: &Router, cert_id: &str) -> WireResult<()> {
    let cert = match router
        .dns(DnsRequest::CertificateGet(cert_id.to_string()))
        .await?
    {
        DnsResponse::Certificate(c) => c,
        other => return Err(unexpected(&other)),
    };
    if let Some(d) = cert.meta.deploy_to {
        export_certificate(
            router,
            ExportRequest {
                certificate_id: cert_id.to_string(),
                dir: d.dir,
                include_key: d.include_key,
                overwrite: true,
            },
        )
        .await?;
    }
    Ok(())
}
