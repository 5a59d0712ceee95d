//! Requests vault-proc serves, for the broker and for dns-proc.
//!
//! vault-proc checks every request against the caller's role with one exhaustive
//! match (`vault_proc::policy`). Responses to the broker carry metadata only;
//! [`VaultResponse::RevealedToken`] exists for dns-proc, and so do the results of
//! key operations ([`VaultResponse::Jws`], [`VaultResponse::Csr`]), which carry
//! signatures, never a private key.
//!
//! What dns-proc may ask is bounded by permits the broker grants for one
//! operation ([`PermitScope`]).

use serde::{Deserialize, Serialize};

use super::acme::{AuditEntry, ExportedFile};
use super::dns::ProviderMeta;
use super::keys::{FlattenedJws, ImportKey, JwsSigner, KeyType, NewKey, PublicKeyInfo};
use super::secrets::{
    ExternalProviderConfig, ExternalProviderMeta, NewSecret, SecretData, SecretFilter, SecretMeta,
    SecretSelector, SecretUpdate, TemplateReference, TokenBinding, VaultStatus,
};
use super::workflow::{ResolvedText, WorkflowMeta};

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
    /// First half of a two-step replacement of a secret's value (a provider
    /// token whose provider change dns-proc has not committed yet): the new
    /// value is sealed and kept aside; the value in force does not change.
    StageUpdate {
        /// Which secret.
        selector: SecretSelector,
        /// The new data (and pairing).
        update: SecretUpdate,
        /// The owner's `updatedAt` when the change was prepared.
        guard: String,
    },
    /// The staged value takes effect.
    CommitStaged(SecretSelector),
    /// The staged value is dropped; the value in force stays.
    DiscardStaged(SecretSelector),
    /// Secrets with a staged value, with their guards (start-up reconcile).
    ListStaged,
    /// Provider tokens sealed before pairings existed, as (reference,
    /// owner), by reference after `after` (start-up reconcile pairs them).
    /// Answers [`VaultResponse::Unpaired`].
    UnpairedTokens {
        /// Cursor: the last reference of the previous page.
        after: Option<String>,
        /// Page size (at most 5000).
        limit: u32,
    },
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
    /// Configure the external secret provider.
    ExternalSet(ExternalProviderConfig),
    /// External provider metadata.
    ExternalGet,
    /// Remove the external provider and its token.
    ExternalDelete,
    /// Allow dns-proc what `scope` names for a short time (one more holder).
    GrantPermit {
        /// What the permit covers.
        scope: PermitScope,
        /// Lifetime in milliseconds (capped by vault-proc).
        ttl_ms: u64,
    },
    /// End one operation's hold on a permit (the broker, when the operation ends).
    RevokePermit {
        /// The scope that was granted.
        scope: PermitScope,
    },
    /// dns-proc: the value of a `dns_provider_token` covered by a live permit.
    Reveal {
        /// Provider the operation is for.
        provider_id: String,
        /// Secret reference.
        secret_ref: String,
    },
    /// Generate a key inside vault-proc (from the UI's `key_create`).
    KeyCreate(NewKey),
    /// Import a PEM private key (from the UI's `key_import`).
    KeyImport(ImportKey),
    /// dns-proc: sign an ACME request with a key of a live ACME permit whose
    /// directory origin is `url`'s origin. vault-proc builds the protected header.
    AcmeSign {
        /// The signing key.
        key_ref: String,
        /// The request URL (protected header `url`).
        url: String,
        /// A fresh nonce from the ACME server (protected header `nonce`).
        nonce: String,
        /// `kid` (account URL) or `jwk` (the key's public JWK).
        signer: JwsSigner,
        /// The payload bytes; empty for POST-as-GET.
        payload: Vec<u8>,
    },
    /// dns-proc: a DER PKCS#10 CSR for `names`, signed by a certificate key of
    /// a live ACME permit that lists every one of the names.
    CsrCreate {
        /// The certificate key.
        key_ref: String,
        /// Subject alternative names.
        names: Vec<String>,
    },
    /// dns-proc: the external account binding JWS (HS256, RFC 8555 §7.3.4)
    /// with an HMAC key of a live ACME permit, binding an account key of that permit.
    EabSign {
        /// The HMAC key (kind `acme_account_key`, type `api_key`, base64url value).
        hmac_key_ref: String,
        /// The key identifier the CA issued with the HMAC key.
        kid: String,
        /// The `newAccount` URL.
        url: String,
        /// The account's public JWK (JSON).
        account_jwk: String,
    },
    /// dns-proc: the public half of a key (no permit needed).
    PublicJwk {
        /// The key.
        key_ref: String,
    },
    /// dns-proc, under a live ACME permit for order `order_id`: generate a
    /// certificate key owned by the order and add it to that permit's keys.
    OrderKeyCreate {
        /// The order the key is for (its owner).
        order_id: String,
        /// Algorithm and size.
        key_type: KeyType,
    },
    /// Broker only: write a certificate's files into `dir` (vault-proc
    /// checks the directory, writes each file under a temporary name with
    /// O_EXCL|O_NOFOLLOW and renames it into place); with `key_ref`, also
    /// `privkey.pem` (0600), recorded in the append-only audit table first.
    ExportFiles(FileExport),
    /// Broker only: the key-export audit table after entry `after`.
    AuditList {
        /// Last id of the previous page.
        after: Option<i64>,
        /// Page size.
        limit: u32,
    },
    /// dns-proc, under a live workflow permit for `run_id`: the secret
    /// references of one `http_request` node's texts resolved, each secret
    /// decrypted once per run. vault-proc checks every referenced secret's
    /// `allowedHosts` against `url`'s host (`vault_proc::resolve`).
    WorkflowResolve {
        /// The run (its permit).
        run_id: String,
        /// The node's URL template (its host decides where values may go).
        url: String,
        /// The texts to resolve, the URL first.
        texts: Vec<String>,
    },
}

/// What [`VaultRequest::ExportFiles`] writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileExport {
    /// The certificate (for the audit entry).
    pub certificate_id: String,
    /// Leaf and intermediates, PEM (public; checked against the key).
    pub chain_pem: String,
    /// The certificate key, when `privkey.pem` is wanted.
    pub key_ref: Option<String>,
    /// Absolute directory.
    pub dir: String,
    /// Replace existing files.
    pub overwrite: bool,
}

/// Version of the export document format.
pub const EXPORT_VERSION: u32 = 1;

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
    /// Workflows, with their references.
    pub workflows: Vec<WorkflowMeta>,
}

/// A response from vault-proc.
// A response lives only between decoding and its one use; boxing the
// metadata variant would cost an allocation on every call for nothing.
#[allow(clippy::large_enum_variant)]
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
    /// External provider metadata (`None` = not configured).
    External(Option<ExternalProviderMeta>),
    /// Generic acknowledgement.
    Done,
    /// Secrets with a staged value and the guard each was staged with.
    Staged(Vec<(SecretMeta, String)>),
    /// Unpaired provider tokens: (reference, owner).
    Unpaired(Vec<(String, Option<String>)>),
    /// dns-proc only: a provider token's fields and the pairing it was
    /// sealed with (`None` for a token sealed before bindings existed).
    RevealedToken {
        /// Decrypted field values.
        data: SecretData,
        /// Owner and endpoint, authenticated by the ciphertext's AAD.
        binding: Option<TokenBinding>,
    },
    /// dns-proc only: a signed JWS.
    Jws(FlattenedJws),
    /// dns-proc only: a DER PKCS#10 certificate signing request.
    Csr(Vec<u8>),
    /// The public half of a key.
    PublicKey(PublicKeyInfo),
    /// The files an export wrote.
    Exported(Vec<ExportedFile>),
    /// Audit entries and the next cursor.
    Audit(Vec<AuditEntry>, Option<i64>),
    /// dns-proc only: the resolved texts of a workflow node, in request
    /// order, and how many secrets were decrypted for this call (0 when
    /// all came from the run's cache).
    WorkflowResolved(Vec<ResolvedText>, u32),
}

/// What a permit lets dns-proc do in vault-proc, for one operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PermitScope {
    /// Reveal this provider's token (Test Connection, DNS-01 record writes).
    ProviderToken {
        /// The provider.
        provider_id: String,
        /// Its token's secret reference.
        secret_ref: String,
    },
    /// Sign ACME requests / CSRs with these keys.
    Acme(AcmeGrant),
    /// Resolve these secrets (by name) into the templates of one workflow run.
    Workflow {
        /// `wfr_…`: the run.
        run_id: String,
        /// Exactly the secret names the workflow references, sorted.
        names: Vec<String>,
    },
}

/// The ACME half of [`PermitScope`]: which keys, for which CA, for which names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AcmeGrant {
    /// What the operation is.
    pub purpose: AcmePurpose,
    /// Account key, certificate key and EAB HMAC key references.
    pub key_refs: Vec<String>,
    /// `https://host[:port]` of the ACME directory: every signed URL must have this origin.
    pub directory_origin: String,
    /// Names a CSR may carry (empty for an account operation).
    pub names: Vec<String>,
}

/// The operation an ACME permit is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AcmePurpose {
    /// Account registration or upkeep (account id).
    Account(String),
    /// Issuance of one order (order id).
    Order(String),
}
