//! vault-proc's life: harden, bootstrap, start the store actor, serve the
//! socket, and on shutdown lock the vault (zeroizing the key) before exiting.

use std::path::PathBuf;
use std::sync::Arc;

use actix::SyncArbiter;
use shared::protocol::vault::VaultRequest;
use shared::protocol::Role;
use shared::rpc::{serve, ServerLimits};

use crate::service::{Exec, FastReads, StoreActor, VaultService};

/// Runs until the parent goes away or a signal arrives.
pub async fn run() -> Result<(), String> {
    let ctx = shared::child::start("vault", |_| {})
        .await
        .map_err(|e| e.to_string())?;
    let data_dir = PathBuf::from(&ctx.bootstrap.data_dir);
    let fast = Arc::new(FastReads::default());
    let actor_fast = fast.clone();
    let store = SyncArbiter::start(1, move || {
        StoreActor::new(data_dir.clone(), actor_fast.clone())
    });
    let service = VaultService::new(store.clone(), fast);
    let mut shutdown = ctx.shutdown.clone();
    let server = tokio::spawn(serve(
        ctx.listener,
        "vault-proc",
        ctx.grants.clone(),
        service,
        ServerLimits::default(),
    ));
    shared::child::wait_shutdown(&mut shutdown).await;
    server.abort();
    // Zeroize the cached master key before the process image goes away.
    // Bounded: shutdown must finish inside the 2 s budget even if the store is busy.
    let lock = store.send(Exec {
        role: Role::Broker,
        request: VaultRequest::Lock,
        made: None,
    });
    let _ = tokio::time::timeout(std::time::Duration::from_millis(500), lock).await;
    // Fast reveals ran on this thread: wipe their dead stack frames.
    shared::secret::scrub_stack();
    let _ = std::fs::remove_file(&ctx.socket_path);
    Ok(())
}
