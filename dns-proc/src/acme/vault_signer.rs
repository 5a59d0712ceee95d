//! The production [`AcmeSigner`]: every signature, EAB binding, CSR and
//! order key comes from vault-proc over the dns-role link, which allows
//! them only under the ACME permit the broker granted for this operation
//! (key refs, directory origin, names).

use shared::protocol::keys::{JwsSigner, KeyType};
use shared::protocol::vault::{VaultRequest, VaultResponse};

use super::error::{AcmeError, AcmeResult};
use super::signer::{AcmeSigner, Jws, KeyId, OrderKey, PublicKey};
use crate::vault_link::VaultLink;

/// Signs through vault-proc.
pub struct VaultSigner<'a> {
    vault: &'a VaultLink,
}

impl<'a> VaultSigner<'a> {
    /// A signer over `vault`.
    pub fn new(vault: &'a VaultLink) -> Self {
        Self { vault }
    }

    async fn call(&self, make: impl Fn() -> VaultRequest) -> AcmeResult<VaultResponse> {
        self.vault
            .call(make)
            .await
            .map_err(|e| AcmeError::Signer(e.message))
    }
}

fn jws(r: VaultResponse) -> AcmeResult<Jws> {
    match r {
        VaultResponse::Jws(j) => Ok(Jws {
            protected: j.protected,
            payload: j.payload,
            signature: j.signature,
        }),
        _ => Err(AcmeError::Signer(
            "vault-proc answered with something else".into(),
        )),
    }
}

impl AcmeSigner for VaultSigner<'_> {
    async fn sign(
        &self,
        key_ref: &str,
        url: &str,
        nonce: &str,
        key_id: KeyId,
        payload: &[u8],
    ) -> AcmeResult<Jws> {
        let signer = match key_id {
            KeyId::Kid(k) => JwsSigner::Kid(k),
            KeyId::Jwk => JwsSigner::Jwk,
        };
        jws(self
            .call(|| VaultRequest::AcmeSign {
                key_ref: key_ref.to_string(),
                url: url.to_string(),
                nonce: nonce.to_string(),
                signer: signer.clone(),
                payload: payload.to_vec(),
            })
            .await?)
    }

    async fn public_key(&self, key_ref: &str) -> AcmeResult<PublicKey> {
        match self
            .call(|| VaultRequest::PublicJwk {
                key_ref: key_ref.to_string(),
            })
            .await?
        {
            VaultResponse::PublicKey(p) => Ok(PublicKey {
                jwk: p.jwk,
                thumbprint: p.jwk_thumbprint,
                spki_der: p.spki_der,
            }),
            _ => Err(AcmeError::Signer(
                "vault-proc answered with something else".into(),
            )),
        }
    }

    async fn eab(
        &self,
        hmac_key_ref: &str,
        kid: &str,
        url: &str,
        account_jwk: &str,
    ) -> AcmeResult<Jws> {
        jws(self
            .call(|| VaultRequest::EabSign {
                hmac_key_ref: hmac_key_ref.to_string(),
                kid: kid.to_string(),
                url: url.to_string(),
                account_jwk: account_jwk.to_string(),
            })
            .await?)
    }

    async fn csr(&self, key_ref: &str, names: &[String]) -> AcmeResult<Vec<u8>> {
        match self
            .call(|| VaultRequest::CsrCreate {
                key_ref: key_ref.to_string(),
                names: names.to_vec(),
            })
            .await?
        {
            VaultResponse::Csr(der) => Ok(der),
            _ => Err(AcmeError::Signer(
                "vault-proc answered with something else".into(),
            )),
        }
    }

    async fn order_key(&self, order_id: &str, key_type: KeyType) -> AcmeResult<OrderKey> {
        match self
            .call(|| VaultRequest::OrderKeyCreate {
                order_id: order_id.to_string(),
                key_type,
            })
            .await?
        {
            VaultResponse::Meta(m) => Ok(OrderKey {
                key_ref: m.reference,
            }),
            _ => Err(AcmeError::Signer(
                "vault-proc answered with something else".into(),
            )),
        }
    }
}
