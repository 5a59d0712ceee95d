//! dns-proc's life: harden, bootstrap, start the registry actor, serve the
//! broker, follow the vault address the broker sends, exit with the parent.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use actix::SyncArbiter;
use shared::protocol::control::{Control, ServerAddress};
use shared::rpc::{serve, ServerLimits};

use crate::service::{DnsService, RegistryActor};

/// Where vault-proc is, as last told by the broker.
pub type VaultAddress = Arc<RwLock<Option<ServerAddress>>>;

/// Runs until the parent goes away or a signal arrives.
pub async fn run() -> Result<(), String> {
    let vault: VaultAddress = Arc::new(RwLock::new(None));
    let follow = vault.clone();
    let ctx = shared::child::start("dns", move |msg| {
        if let Control::VaultAddress(addr) = msg {
            if let Ok(mut v) = follow.write() {
                *v = Some(addr);
            }
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    let data_dir = PathBuf::from(&ctx.bootstrap.data_dir);
    let registry_dir = data_dir.clone();
    let registry = SyncArbiter::start(1, move || RegistryActor::new(registry_dir.clone()));
    let service = DnsService::new(registry, vault, data_dir);
    let mut shutdown = ctx.shutdown.clone();
    let server = tokio::spawn(serve(
        ctx.listener,
        "dns-proc",
        ctx.grants.clone(),
        service,
        ServerLimits::default(),
    ));
    shared::child::wait_shutdown(&mut shutdown).await;
    server.abort();
    let _ = std::fs::remove_file(&ctx.socket_path);
    Ok(())
}
