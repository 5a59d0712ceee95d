//! Requests vault-proc serves, for the broker and for dns-proc.
//!
//! vault-proc checks every request against the caller's role with one exhaustive
//! match (`vault_proc::policy`). Responses to the broker carry metadata only;
//! [`VaultResponse::Revealed`] and [`VaultResponse::Resolved`] exist for dns-proc.

use serde::{Deserialize, Serialize};

use super::dns::ProviderMeta;
use super::secrets::{
    ExternalProviderConfig, ExternalProviderMeta, NewSecret, SecretData, SecretFilter, SecretMeta,
    SecretSelector, SecretUpdate, TemplateReference, VaultStatus,
};
use crate::secret::SecretString;

/// A request to vault-proc.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum VaultRequest {
    /// Lock state, never unlocks.
    Status,
    /// Zeroize the cached master key.
    Lock,
    /// Load the master key now.
    Unlock,
    /// Create a secret.
    Create(NewSecret),
    /// Update a secret (same ref).
    Update {
        /// Which secret.
        selector: SecretSelector,
        /// What changes.
        update: SecretUpdate,
    },
    /// Delete a secret.
    Delete(SecretSelector),
    /// List metadata (internal: everything at once).
    List(SecretFilter),
    /// One page of metadata, ordered by name, after the secret named `after`.
    ListPage {
        /// Filters.
        filter: SecretFilter,
        /// Name of the last secret of the previous page.
        after: Option<String>,
        /// Page size.
        limit: u32,
    },
    /// One secret's metadata.
    Get(SecretSelector),
    /// Check a template's format and that its references exist.
    ValidateTemplate(String),
    /// Export metadata and references (never values); providers come from the broker.
    Export {
        /// Provider metadata to include (the broker fetched it from dns-proc).
        providers: Vec<ProviderMeta>,
    },
    /// Configure the external secret provider.
    ExternalSet(ExternalProviderConfig),
    /// External provider metadata.
    ExternalGet,
    /// Remove the external provider and its token.
    ExternalDelete,
    /// Allow dns-proc to reveal `secret_ref` for `provider_id` for a short time.
    GrantPermit {
        /// Provider the operation is for.
        provider_id: String,
        /// Secret that may be revealed.
        secret_ref: String,
        /// Lifetime in milliseconds.
        ttl_ms: u64,
    },
    /// End one operation's hold on a permit (the broker, when the operation ends).
    RevokePermit {
        /// Provider the operation was for.
        provider_id: String,
        /// Secret the permit covered.
        secret_ref: String,
    },
    /// dns-proc: the value of a `dns_provider_token` covered by a live permit.
    Reveal {
        /// Provider the operation is for.
        provider_id: String,
        /// Secret reference.
        secret_ref: String,
    },
    /// TEMP contract copy.
    AcmeSign {
        /// k
        key_ref: String,
        /// u
        url: String,
        /// n
        nonce: String,
        /// s
        signer: super::keys::JwsSigner,
        /// p
        payload: Vec<u8>,
    },
    /// c
    CsrCreate {
        /// k
        key_ref: String,
        /// n
        names: Vec<String>,
    },
    /// e
    EabSign {
        /// h
        hmac_key_ref: String,
        /// k
        kid: String,
        /// u
        url: String,
        /// a
        account_jwk: String,
    },
    /// p
    PublicJwk {
        /// k
        key_ref: String,
    },
    /// o
    OrderKeyCreate {
        /// o
        order_id: String,
        /// k
        key_type: super::keys::KeyType,
    },
    /// dns-proc: substitute every reference in a template (all-or-nothing);
    /// every referenced secret must be covered by a live permit for the provider.
    Resolve {
        /// Provider the operation is for.
        provider_id: String,
        /// The template text.
        template: String,
    },
}

/// The export document (references only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportDoc {
    /// Export format version.
    pub version: u32,
    /// Secret metadata.
    pub secrets: Vec<SecretMeta>,
    /// Provider metadata.
    pub providers: Vec<ProviderMeta>,
    /// External provider metadata, when configured.
    pub external_provider: Option<ExternalProviderMeta>,
}

/// A response from vault-proc.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum VaultResponse {
    /// Lock state.
    Status(VaultStatus),
    /// One secret's metadata.
    Meta(SecretMeta),
    /// Many secrets' metadata.
    Metas(Vec<SecretMeta>),
    /// One page of metadata and the cursor of the next page.
    MetaPage(Vec<SecretMeta>, Option<String>),
    /// The secret was deleted.
    Deleted,
    /// References found in a valid template.
    References(Vec<TemplateReference>),
    /// Export document.
    Export(ExportDoc),
    /// External provider metadata (`None` = not configured).
    External(Option<ExternalProviderMeta>),
    /// Generic acknowledgement.
    Done,
    /// dns-proc only: decrypted field values.
    Revealed(SecretData),
    /// dns-proc only: a resolved template.
    Resolved(SecretString),
    /// j
    Jws(super::keys::FlattenedJws),
    /// c
    Csr(Vec<u8>),
    /// p
    PublicKey(super::keys::PublicKeyInfo),
}
