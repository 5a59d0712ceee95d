//! `certificate_export`: a certificate's files, written by vault-proc.
//!
//! The broker hands vault-proc the public chain (from dns-proc) and the
//! certificate key's *reference*; vault-proc checks the directory, writes
//! `fullchain.pem`, `cert.pem`, `chain.pem` and, with `includeKey`,
//! `privkey.pem` itself, audited (`vault-proc/src/export.rs`). No key byte
//! passes through the broker, and dns-proc is granted nothing for it.
//! The target is then kept with the certificate (`deployTo`): renewal
//! re-exports there (`crate::cert_events`).

use shared::error::WireResult;
use shared::protocol::acme::{CertificateWithChain, DeployTarget, ExportedFile};
pub use shared::protocol::acme::{ExportOutcome, ExportRequest};
use shared::protocol::dnsproc::{DnsRequest, DnsResponse};
use shared::protocol::vault::{FileExport, VaultRequest, VaultResponse};

use crate::router::{unexpected, Router};

/// Exports certificate `req.certificate_id` into `req.dir` and keeps the
/// target as its `deployTo`.
pub async fn export_certificate(router: &Router, req: ExportRequest) -> WireResult<ExportOutcome> {
    let cert = match router
        .dns(DnsRequest::CertificateGet(req.certificate_id.clone()))
        .await?
    {
        DnsResponse::Certificate(c) => c,
        other => return Err(unexpected(&other)),
    };
    let files = write_files(router, &cert, &req.dir, req.include_key, req.overwrite).await?;
    let deploy_to = DeployTarget {
        dir: req.dir,
        include_key: req.include_key,
    };
    match router
        .dns(DnsRequest::SetDeploy {
            certificate_id: req.certificate_id,
            deploy: Some(deploy_to.clone()),
        })
        .await?
    {
        DnsResponse::Done => {}
        other => return Err(unexpected(&other)),
    }
    Ok(ExportOutcome { files, deploy_to })
}

/// Has vault-proc write `cert`'s files (and its key, with `include_key`)
/// into `dir`; also the `export_files` workflow node.
pub async fn write_files(
    router: &Router,
    cert: &CertificateWithChain,
    dir: &str,
    include_key: bool,
    overwrite: bool,
) -> WireResult<Vec<ExportedFile>> {
    match router
        .vault(VaultRequest::ExportFiles(FileExport {
            certificate_id: cert.meta.id.clone(),
            chain_pem: cert.chain_pem.clone(),
            key_ref: include_key.then(|| cert.meta.key_ref.clone()),
            dir: dir.to_string(),
            overwrite,
        }))
        .await?
    {
        VaultResponse::Exported(f) => Ok(f),
        other => Err(unexpected(&other)),
    }
}
