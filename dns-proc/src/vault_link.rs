//! dns-proc's connection to vault-proc, as the `dns` role.
//!
//! The broker tells dns-proc where vault-proc is (socket, pid, key) over the
//! control pipe, and tells vault-proc to accept this dns-proc; the two
//! messages race, so connecting retries briefly. The connection is reused
//! and re-made when it breaks (vault-proc restarted, new address). The only
//! things dns-proc asks for are a provider token, and ACME signatures, CSRs
//! and order keys ([`crate::acme::vault_signer`]), each under a permit the
//! broker granted for this one operation.

use std::sync::Arc;
use std::time::Duration;

use shared::error::{WireError, WireResult};
use shared::protocol::vault::{VaultRequest, VaultResponse};
use shared::protocol::{NoEvent, Role};
use shared::rpc::RpcClient;
use shared::secret::SecretString;

use crate::run::VaultAddress;

/// Field of a `dns_provider_token` secret that holds the token.
const TOKEN_FIELD: &str = "value";
/// Connect attempts while vault-proc may not know us yet.
const CONNECT_ATTEMPTS: u32 = 100;
/// Wait between connect attempts.
const CONNECT_PAUSE: Duration = Duration::from_millis(20);

type VaultClient = RpcClient<VaultRequest, VaultResponse, NoEvent>;

/// A lazily made, self-healing connection to vault-proc.
pub struct VaultLink {
    address: VaultAddress,
    client: tokio::sync::Mutex<Option<Arc<VaultClient>>>,
}

impl VaultLink {
    /// A link that connects to wherever `address` says, when first needed.
    pub fn new(address: VaultAddress) -> Self {
        Self {
            address,
            client: tokio::sync::Mutex::new(None),
        }
    }

    async fn client(&self) -> WireResult<Arc<VaultClient>> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        let mut last = String::from("vault-proc's address is not known yet");
        for _ in 0..CONNECT_ATTEMPTS {
            let addr = self.address.read().ok().and_then(|a| a.clone());
            if let Some(addr) = addr {
                match VaultClient::connect(
                    std::path::Path::new(&addr.socket),
                    "vault-proc",
                    Role::Dns,
                    &addr.key,
                    addr.pid,
                )
                .await
                {
                    Ok(c) => {
                        let c = Arc::new(c);
                        *slot = Some(c.clone());
                        return Ok(c);
                    }
                    Err(e) => last = e.to_string(),
                }
            }
            tokio::time::sleep(CONNECT_PAUSE).await;
        }
        Err(WireError::unavailable(format!(
            "dns-proc cannot reach vault-proc: {last}"
        )))
    }

    /// Sends the request `make` builds, once more on a fresh connection
    /// when the first one had died (vault-proc restarted).
    pub async fn call(&self, make: impl Fn() -> VaultRequest) -> WireResult<VaultResponse> {
        let client = self.client().await?;
        match client.call(make(), Duration::from_secs(30)).await {
            Err(e) if e.code == shared::error::ErrorCode::Unavailable => {
                self.client()
                    .await?
                    .call(make(), Duration::from_secs(30))
                    .await
            }
            other => other,
        }
    }

    /// The token of `provider_id` (secret `secret_ref`), which vault-proc
    /// reveals only under a live permit the broker granted.
    pub async fn reveal_token(
        &self,
        provider_id: &str,
        secret_ref: &str,
    ) -> WireResult<SecretString> {
        let answer = self
            .call(|| VaultRequest::Reveal {
                provider_id: provider_id.to_string(),
                secret_ref: secret_ref.to_string(),
            })
            .await?;
        match answer {
            VaultResponse::Revealed(mut data) => data.remove(TOKEN_FIELD).ok_or_else(|| {
                WireError::internal("the provider's token secret has no `value` field")
            }),
            _ => Err(WireError::internal(
                "vault-proc answered a reveal with something else",
            )),
        }
    }
}
