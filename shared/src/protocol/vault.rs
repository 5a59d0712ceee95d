//! Requests vault-proc serves, for the broker and for dns-proc.
//!
//! vault-proc checks every request against the caller's role with one exhaustive
//! match (`vault_proc::policy`). Responses to the broker carry metadata only;
//! [`VaultResponse::RevealedToken`] and [`VaultResponse::Resolved`] exist for dns-proc.

use serde::{Deserialize, Serialize};

use super::dns::ProviderMeta;
use super::secrets::{
    ExternalProviderConfig, ExternalProviderMeta, NewSecret, SecretData, SecretFilter, SecretMeta,
    SecretSelector, SecretUpdate, TemplateReference, TokenBinding, VaultStatus,
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
#[derive(Debug, Clone, Serialize, Deserialize, strum::IntoStaticStr)]
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
    /// dns-proc only: a provider token's fields and the pairing it was
    /// sealed with (`None` for a token sealed before bindings existed).
    RevealedToken {
        /// Decrypted field values.
        data: SecretData,
        /// Owner and endpoint, authenticated by the ciphertext's AAD.
        binding: Option<TokenBinding>,
    },
    /// dns-proc only: a resolved template.
    Resolved(SecretString),
}
