//! The broker's life: bootstrap from ui-bridge, data-dir lock, children,
//! reconcile, serve the UI socket, and shut everything down on stdin EOF or
//! SIGTERM/SIGINT within the 2 s budget.

use std::path::PathBuf;
use std::time::Duration;

use shared::protocol::Role;
use shared::rpc::{serve, ServerLimits};

use crate::router::Router;
use crate::supervisor::Supervisor;
use crate::{datadir, flows, BrokerError};

/// Longest start-up reconcile before the broker reports ready anyway.
const RECONCILE_BUDGET: Duration = Duration::from_secs(10);

/// Runs the broker until shutdown. Returns the process exit code.
pub async fn run() -> Result<(), BrokerError> {
    let (bootstrap, stdin) = shared::child::read_stdin_bootstrap()
        .await
        .map_err(|e| BrokerError::Startup(e.to_string()))?;
    let data_dir = PathBuf::from(&bootstrap.data_dir);
    let _lock = datadir::acquire(&data_dir)?;
    let socket_dir = shared::transport::fresh_socket_dir().map_err(|source| BrokerError::Io {
        context: "socket directory".into(),
        source,
    })?;
    let _cleanup = RemoveDirOnDrop(socket_dir.clone());
    let bin = |name: &str| {
        shared::lifecycle::sibling_binary(name).map_err(|source| BrokerError::Io {
            context: format!("finding {name}"),
            source,
        })
    };
    let sup = Supervisor::new(
        data_dir,
        socket_dir.clone(),
        bin("vault-proc")?,
        bin("dns-proc")?,
    );
    let loops = sup.spawn_all();
    if !sup.wait_ready(Duration::from_secs(20)).await {
        sup.shutdown().await;
        return Err(BrokerError::Child(
            "vault-proc or dns-proc did not start; see the log above".into(),
        ));
    }
    let router = Router::new(sup.clone());
    // Bounded: a keyring prompt must not hold the broker past ui-bridge's
    // readiness timeout; an unfinished reconcile simply runs again next start.
    match tokio::time::timeout(RECONCILE_BUDGET, flows::reconcile(&router)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "start-up reconcile did not complete; it runs again next start")
        }
        Err(_) => tracing::warn!("start-up reconcile took too long; it runs again next start"),
    }
    let ctx = shared::child::start_with("broker", &socket_dir, Role::Ui, bootstrap, stdin, |_| {})
        .await
        .map_err(|e| BrokerError::Startup(e.to_string()))?;
    let renewals = crate::renewal::spawn(router.clone());
    let sweep = tokio::spawn({
        let router = router.clone();
        async move {
            match crate::token_sweep::sweep(&router).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "provider token sweep done"),
                Err(e) => {
                    tracing::warn!(error = %e, "provider token sweep did not complete; it runs again next start")
                }
            }
        }
    });
    let mut shutdown = ctx.shutdown.clone();
    let server = tokio::spawn(serve(
        ctx.listener,
        "broker",
        ctx.grants.clone(),
        router,
        ServerLimits::default(),
    ));
    tracing::info!(pid = std::process::id(), "broker ready");
    shared::child::wait_shutdown(&mut shutdown).await;
    tracing::info!("broker shutting down");
    server.abort();
    sweep.abort();
    if let Some(r) = renewals {
        r.abort();
    }
    sup.shutdown().await;
    // Children exit on EOF of their control pipe; give them most of the budget.
    let _ = tokio::time::timeout(Duration::from_millis(1500), futures_join(loops)).await;
    Ok(())
}

async fn futures_join(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}

struct RemoveDirOnDrop(PathBuf);

impl Drop for RemoveDirOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
