//! Who signs: the ACME client never holds a private key. Every JWS, the
//! external account binding and the CSR come from an [`AcmeSigner`]; in the
//! product that is vault-proc under the broker's ACME permit
//! ([`super::vault_signer::VaultSigner`]).

use std::future::Future;

use serde::Serialize;
use shared::protocol::keys::KeyType;

use super::error::AcmeResult;

/// A JWS in flattened JSON serialization (RFC 7515 §7.2.2), fields
/// base64url without padding: exactly the body of an ACME POST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Jws {
    /// Protected header.
    pub protected: String,
    /// Payload (empty for POST-as-GET).
    pub payload: String,
    /// Signature.
    pub signature: String,
}

/// How a JWS names its key (RFC 8555 §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyId {
    /// `kid`: the account URL.
    Kid(String),
    /// `jwk`: the public key itself (newAccount only).
    Jwk,
}

/// The public half of a key, as the client needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Canonical public JWK (JSON).
    pub jwk: String,
    /// RFC 7638 thumbprint, base64url.
    pub thumbprint: String,
    /// DER SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
}

/// A certificate key made for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    /// Its secret reference in vault-proc.
    pub key_ref: String,
}

/// Signs for the ACME client.
pub trait AcmeSigner: Send + Sync {
    /// A JWS over `payload` (empty = POST-as-GET) for `url` with `nonce`.
    fn sign(
        &self,
        key_ref: &str,
        url: &str,
        nonce: &str,
        key_id: KeyId,
        payload: &[u8],
    ) -> impl Future<Output = AcmeResult<Jws>> + Send;
    /// The public half of `key_ref`.
    fn public_key(&self, key_ref: &str) -> impl Future<Output = AcmeResult<PublicKey>> + Send;
    /// The external account binding for `account_jwk` (RFC 8555 §7.3.4).
    fn eab(
        &self,
        hmac_key_ref: &str,
        kid: &str,
        url: &str,
        account_jwk: &str,
    ) -> impl Future<Output = AcmeResult<Jws>> + Send;
    /// A DER CSR for `names` with certificate key `key_ref`.
    fn csr(
        &self,
        key_ref: &str,
        names: &[String],
    ) -> impl Future<Output = AcmeResult<Vec<u8>>> + Send;
    /// A new certificate key of `key_type` for order `order_id`.
    fn order_key(
        &self,
        order_id: &str,
        key_type: KeyType,
    ) -> impl Future<Output = AcmeResult<OrderKey>> + Send;
}
