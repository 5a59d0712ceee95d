//! The one way the broker grants a permit: [`PermitGuard`].
//!
//! A permit lets dns-proc do one operation's worth of work in vault-proc
//! (reveal a provider token, sign for an ACME order). It must end with the
//! operation on every exit path: a `?` that returns early, a panic, or the
//! request future being dropped because the UI went away or a timeout fired.
//! Code that revokes "after the operation" misses all of those, so the broker
//! never revokes by hand: it holds a guard, and dropping the guard revokes.
//!
//! The guard is armed *before* the grant is sent, so a future cancelled while
//! the grant is in flight still revokes what may have landed. Revocation is a
//! vault-proc call, which cannot run inside `Drop`; it is spawned on the
//! runtime the grant ran on. If that runtime is gone (the broker is shutting
//! down), the permit still expires on its own after its TTL
//! (`vault-proc/src/permits.rs`). vault-proc serves a connection's requests
//! concurrently, so a revoke may overtake its grant; vault-proc counts that
//! as a debt the grant pays (`Permits::revoke`).

use std::sync::Arc;
use std::time::Duration;

use shared::error::WireResult;
use shared::protocol::vault::{PermitScope, VaultRequest, VaultResponse};
use shared::rpc::BoxFuture;

use crate::supervisor::{Supervisor, VaultClient};

/// Timeout of the grant and of the revoke call.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a guard finds the current vault-proc connection (the supervisor in
/// the broker; a fixed connection in tests).
pub trait VaultSource: Send + Sync + 'static {
    /// The current vault-proc client (broker role).
    fn vault_client(&self) -> BoxFuture<WireResult<Arc<VaultClient>>>;
}

/// A vault-proc source backed by the broker's supervisor.
pub struct SupervisedVault(pub Arc<Supervisor>);

impl VaultSource for SupervisedVault {
    fn vault_client(&self) -> BoxFuture<WireResult<Arc<VaultClient>>> {
        let sup = self.0.clone();
        Box::pin(async move { sup.vault().await })
    }
}

/// A fixed vault-proc connection (used where there is no supervisor).
pub struct FixedVault(pub Arc<VaultClient>);

impl VaultSource for FixedVault {
    fn vault_client(&self) -> BoxFuture<WireResult<Arc<VaultClient>>> {
        let c = self.0.clone();
        Box::pin(async move { Ok(c) })
    }
}

/// A granted permit; dropping it revokes the permit.
#[must_use = "the permit is revoked as soon as the guard is dropped"]
pub struct PermitGuard {
    source: Arc<dyn VaultSource>,
    scope: Option<PermitScope>,
    /// The runtime the grant ran on: the revoke is spawned there even when
    /// the guard is dropped outside of it.
    runtime: tokio::runtime::Handle,
}

impl PermitGuard {
    /// Grants `scope` for at most `ttl` and returns the guard that revokes it.
    ///
    /// On an error the guard is dropped here, which revokes whatever may have
    /// landed (a revoke of a permit that does not exist is a no-op).
    pub async fn grant(
        source: Arc<dyn VaultSource>,
        scope: PermitScope,
        ttl: Duration,
    ) -> WireResult<PermitGuard> {
        let guard = PermitGuard {
            source,
            scope: Some(scope.clone()),
            runtime: tokio::runtime::Handle::current(),
        };
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let client = guard.source.vault_client().await?;
        match client
            .call(VaultRequest::GrantPermit { scope, ttl_ms }, CALL_TIMEOUT)
            .await?
        {
            VaultResponse::Done => Ok(guard),
            other => Err(crate::router::unexpected(&other)),
        }
    }

    /// Revokes now and waits for vault-proc's answer (the normal end of an
    /// operation, so the permit is gone before the caller answers the UI).
    pub async fn revoke(mut self) {
        if let Some(scope) = self.scope.take() {
            revoke(self.source.clone(), scope).await;
        }
    }

    /// The scope this guard holds.
    pub fn scope(&self) -> Option<&PermitScope> {
        self.scope.as_ref()
    }
}

impl Drop for PermitGuard {
    fn drop(&mut self) {
        let Some(scope) = self.scope.take() else {
            return;
        };
        // A runtime that has shut down drops the task: the permit then
        // expires on its own.
        self.runtime.spawn(revoke(self.source.clone(), scope));
    }
}

async fn revoke(source: Arc<dyn VaultSource>, scope: PermitScope) {
    let result = match source.vault_client().await {
        Ok(c) => c
            .call(VaultRequest::RevokePermit { scope }, CALL_TIMEOUT)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "permit not revoked; it expires on its own");
    }
}
