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
use shared::protocol::secrets::TokenBinding;
use shared::protocol::vault::{VaultRequest, VaultResponse};
use shared::protocol::{NoEvent, Role};
use shared::rpc::RpcClient;
use shared::secret::SecretString;

use crate::providers::config::ProviderConfig;
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
    /// reveals only under a live permit the broker granted, and only when the
    /// pairing it was sealed with (owner, endpoint; authenticated by the
    /// ciphertext's AAD) is the configuration dns-proc is about to use. This
    /// is the one way dns-proc obtains a provider token (Test Connection and
    /// issuance alike), so an endpoint edited outside the core never receives
    /// it.
    pub async fn paired_token(
        &self,
        provider_id: &str,
        secret_ref: &str,
        config: &ProviderConfig,
    ) -> Result<SecretString, TokenRefusal> {
        let answer = self
            .call(|| VaultRequest::Reveal {
                provider_id: provider_id.to_string(),
                secret_ref: secret_ref.to_string(),
            })
            .await
            .map_err(TokenRefusal::Vault)?;
        let VaultResponse::RevealedToken { mut data, binding } = answer else {
            return Err(TokenRefusal::Vault(WireError::internal(
                "vault-proc answered a reveal with something else",
            )));
        };
        if let Some(why) = pairing_mismatch(provider_id, config, binding.as_ref()) {
            // The token is dropped (zeroized) with `data`, never sent.
            return Err(TokenRefusal::Unpaired(why));
        }
        data.remove(TOKEN_FIELD).ok_or_else(|| {
            TokenRefusal::Vault(WireError::internal(
                "the provider's token secret has no `value` field",
            ))
        })
    }
}

/// Why a provider token was not handed out.
#[derive(Debug)]
pub enum TokenRefusal {
    /// vault-proc refused or failed (no permit, locked, unreachable).
    Vault(WireError),
    /// The token's pairing is not the configuration about to be used: the
    /// data directory was edited outside the core. The message says so.
    Unpaired(String),
}

/// The pairing rule: `None` when the token was sealed for this provider and
/// this endpoint, else why not.
fn pairing_mismatch(
    provider_id: &str,
    config: &ProviderConfig,
    binding: Option<&TokenBinding>,
) -> Option<String> {
    let endpoint = config.endpoint();
    match binding {
        Some(b) if b.owner == provider_id && b.endpoint.as_deref() == endpoint => None,
        Some(b) if b.owner != provider_id => Some("this token belongs to another provider: the configuration was changed outside the core".to_string()),
        Some(b) => Some(format!(
            "the provider's endpoint ({}) is not the one its token was paired with ({}): the configuration was changed outside the core (or an update was interrupted before it finished); the token was not sent",
            endpoint.unwrap_or("the provider's fixed API"),
            b.endpoint.as_deref().unwrap_or("the provider's fixed API"),
        )),
        None => Some("this token was never paired with an endpoint (it predates pairing and the one-time migration did not run): the token was not sent".to_string()),
    }
}
