//! Secret metadata and secret-management requests as they cross process boundaries.
//!
//! [`SecretMeta`] is what the UI may see: it has no field that could hold a value.
//! Values travel only inward (create/update) inside [`SecretData`], or outward to
//! dns-proc inside the reveal response of the vault hop.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::keys::PublicKeyMeta;
use crate::secret::SecretString;

/// What a secret is for. Decides which roles may have it revealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::EnumCount)]
#[strum(serialize_all = "snake_case")]
pub enum SecretKind {
    /// A DNS provider's API token; owned by a provider; revealable to dns-proc.
    DnsProviderToken,
    /// An ACME account private key.
    AcmeAccountKey,
    /// A managed certificate private key.
    ManagedPrivateKey,
    /// A general typed secret.
    Generic,
}

impl SecretKind {
    /// Every kind, in a fixed order (checked against strum's derived list).
    pub const ALL: [SecretKind; <Self as strum::EnumCount>::COUNT] = [
        SecretKind::DnsProviderToken,
        SecretKind::AcmeAccountKey,
        SecretKind::ManagedPrivateKey,
        SecretKind::Generic,
    ];

    /// The snake_case name used in JSON and in the database (strum-derived).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses the snake_case name (strum-derived).
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// The shape of a secret's data: which fields it has and which are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::EnumCount)]
#[strum(serialize_all = "snake_case")]
pub enum SecretType {
    /// `{value}`
    ApiKey,
    /// `{username, password}`
    BasicAuth,
    /// `{token, expiresAt?}`
    BearerToken,
    /// `{clientId, clientSecret, accessToken?, refreshToken?, tokenUrl?, scopes?}`
    Oauth,
    /// At least one arbitrary field.
    Custom,
    /// `{pem}`
    PrivateKey,
}

impl SecretType {
    /// Every type, in a fixed order (checked against strum's derived list).
    pub const ALL: [SecretType; <Self as strum::EnumCount>::COUNT] = [
        SecretType::ApiKey,
        SecretType::BasicAuth,
        SecretType::BearerToken,
        SecretType::Oauth,
        SecretType::Custom,
        SecretType::PrivateKey,
    ];

    /// The snake_case name used in JSON and in the database (strum-derived).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses the snake_case name (strum-derived).
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// A secret's field values, by field name. Values are secret; names are not.
pub type SecretData = BTreeMap<String, SecretString>;

/// Names a secret either by its reference id or by its unique name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretSelector {
    /// `sec_…` reference id.
    Ref(String),
    /// Unique name.
    Name(String),
}

/// Where an externally sourced secret lives in the external provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalSource {
    /// Path below the provider's mount and prefix.
    pub path: String,
}

/// Non-secret metadata of a secret: everything the UI may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMeta {
    /// Reference id (`sec_…`).
    pub reference: String,
    /// Unique name.
    pub name: String,
    /// Kind.
    pub kind: SecretKind,
    /// Type.
    pub secret_type: SecretType,
    /// User-provided label.
    pub label: String,
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Field names present in the data (never values).
    pub fields: Vec<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 last update time.
    pub updated_at: String,
    /// Owning entity, e.g. a DNS provider id.
    pub owner: Option<String>,
    /// Bearer token expiry (RFC 3339), when set.
    pub expires_at: Option<String>,
    /// True when `expires_at` is in the past.
    pub expired: bool,
    /// External source, when the secret is sourced from an external provider.
    pub external: Option<ExternalSource>,
    /// True when a local copy of the value is stored.
    pub has_local_value: bool,
    /// The public half, for a key kind whose value is a usable private key.
    pub public_key: Option<PublicKeyMeta>,
}

/// What a DNS provider token is paired with: sealed into its AAD by
/// vault-proc, returned with every reveal, compared by dns-proc with the
/// configuration it is about to use. Set by the broker only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBinding {
    /// The owning provider id.
    pub owner: String,
    /// The canonical endpoint the token is sent to (self-hosted types), or
    /// `None` for the fixed cloud APIs.
    pub endpoint: Option<String>,
}

/// A request to create a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSecret {
    /// Unique name (`[A-Za-z_][A-Za-z0-9_-]*`).
    pub name: String,
    /// Type.
    pub secret_type: SecretType,
    /// Kind.
    pub kind: SecretKind,
    /// Field values. May be empty only for an externally sourced secret.
    pub data: SecretData,
    /// Label.
    pub label: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Owning entity.
    pub owner: Option<String>,
    /// External source.
    pub external: Option<ExternalSource>,
    /// Provider tokens only (broker): the pairing sealed with the value.
    #[serde(default)]
    pub binding: Option<TokenBinding>,
}

/// A change to a secret; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretUpdate {
    /// New field values (replaces the whole data set).
    pub data: Option<SecretData>,
    /// New label.
    pub label: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// Provider tokens only (broker): the pairing to seal the value with.
    /// Without `data` it only binds a token sealed before bindings existed
    /// (a one-time migration); a bound token is re-bound only with its value.
    #[serde(default)]
    pub binding: Option<TokenBinding>,
}

/// Filters for listing secrets; all given filters must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFilter {
    /// Only this kind.
    pub kind: Option<SecretKind>,
    /// Only this type.
    pub secret_type: Option<SecretType>,
    /// Only secrets carrying this tag.
    pub tag: Option<String>,
}

/// Vault lock state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultStatus {
    /// True when the master key is cached in memory.
    pub unlocked: bool,
    /// Where the master key comes from (`keyring`, `env`, `macos-biometric`, …).
    pub key_source: String,
}

/// One `{{secrets.name.field}}` reference found in a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateReference {
    /// Secret name.
    pub name: String,
    /// Field name.
    pub field: String,
    /// Byte offset of the opening braces.
    pub offset: u64,
}

/// External secret provider kinds (KV v2 compatible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExternalProviderKind {
    /// OpenBao.
    Openbao,
    /// HashiCorp Vault.
    Vault,
}

/// Configuration of the external secret provider, including its token (inbound only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalProviderConfig {
    /// Kind.
    pub kind: ExternalProviderKind,
    /// Base address, e.g. `http://127.0.0.1:8200`.
    pub address: String,
    /// KV v2 mount, e.g. `secret`.
    pub mount: String,
    /// Access token (stored as a local secret, never returned).
    pub token: SecretString,
    /// Optional path prefix below the mount.
    pub path_prefix: Option<String>,
    /// Optional namespace header.
    pub namespace: Option<String>,
    /// Optional PEM CA bundle for TLS verification.
    pub ca_pem: Option<String>,
}

/// Metadata of the external provider: what the UI may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalProviderMeta {
    /// Kind.
    pub kind: ExternalProviderKind,
    /// Base address.
    pub address: String,
    /// KV v2 mount.
    pub mount: String,
    /// Optional path prefix.
    pub path_prefix: Option<String>,
    /// Optional namespace.
    pub namespace: Option<String>,
    /// True when a CA bundle is configured.
    pub has_ca: bool,
    /// Reference of the local secret holding the token.
    pub token_ref: String,
}
