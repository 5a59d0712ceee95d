//! Key custody: the types of the requests that create, import and use the
//! private keys vault-proc keeps (ACME account keys, certificate keys).
//!
//! A private key never crosses a process boundary outward: callers name a key
//! by its secret reference and get a signature, a CSR or the public half back.
//! The only inbound private material is an imported PEM ([`ImportKey::pem`]),
//! carried once, like any secret value, in a zeroizing container.

use serde::{Deserialize, Serialize};

use super::secrets::SecretKind;
use crate::secret::SecretString;

/// The key algorithms vault-proc generates, imports and signs with. JSON:
/// `ec-p256`, `ec-p384`, `rsa-2048`, `rsa-3072`, `rsa-4096`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    /// ECDSA on P-256 (JWS `ES256`): the default.
    #[default]
    EcP256,
    /// ECDSA on P-384 (JWS `ES384`).
    EcP384,
    /// RSA 2048 bits (JWS `RS256`).
    #[serde(rename = "rsa-2048")]
    Rsa2048,
    /// RSA 3072 bits (JWS `RS256`).
    #[serde(rename = "rsa-3072")]
    Rsa3072,
    /// RSA 4096 bits (JWS `RS256`).
    #[serde(rename = "rsa-4096")]
    Rsa4096,
}

impl KeyType {
    /// Every key type, in a fixed order.
    pub const ALL: [KeyType; 5] = [
        KeyType::EcP256,
        KeyType::EcP384,
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
    ];
}

/// The public half of a stored key, as metadata (`SecretMeta.publicKey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyMeta {
    /// Algorithm and size.
    pub key_type: KeyType,
    /// SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex.
    pub spki_sha256: String,
    /// RFC 7638 JWK thumbprint (SHA-256), base64url without padding.
    pub jwk_thumbprint: String,
}

/// The public half of a key, in the forms an ACME client needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyInfo {
    /// Algorithm and size.
    pub key_type: KeyType,
    /// The public JWK as canonical JSON (RFC 7638 member order, no whitespace).
    pub jwk: String,
    /// DER SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
    /// SHA-256 of `spki_der`, lowercase hex.
    pub spki_sha256: String,
    /// RFC 7638 JWK thumbprint (SHA-256), base64url without padding.
    pub jwk_thumbprint: String,
}

/// A request to generate a key inside vault-proc (broker only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKey {
    /// `acme_account_key` or `managed_private_key`.
    pub kind: SecretKind,
    /// Algorithm and size.
    pub key_type: KeyType,
    /// Unique secret name; generated when absent.
    pub name: Option<String>,
    /// Label.
    pub label: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Owning entity (never settable from the UI).
    pub owner: Option<String>,
}

/// A request to import an existing private key from PEM (broker only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportKey {
    /// `acme_account_key` or `managed_private_key`.
    pub kind: SecretKind,
    /// PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`.
    pub pem: SecretString,
    /// Unique secret name; generated when absent.
    pub name: Option<String>,
    /// Label.
    pub label: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// How a JWS names its signer (RFC 8555 §6.2): an account URL, or the
/// public key itself (only for `newAccount` and certificate-key revocation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JwsSigner {
    /// `kid`: the account URL.
    Kid(String),
    /// `jwk`: the key's public JWK, filled in by vault-proc.
    Jwk,
}

/// A JWS in flattened JSON serialization (RFC 7515 §7.2.2); every field is
/// base64url without padding. Serialized to JSON it is exactly
/// `{"protected","payload","signature"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlattenedJws {
    /// The protected header.
    pub protected: String,
    /// The payload (empty for POST-as-GET).
    pub payload: String,
    /// The signature over `protected.payload`.
    pub signature: String,
}
