//! The UI command set as ui-bridge hands it to the broker.
//!
//! ui-bridge turns JSON lines (the public UI contract, `docs/protocol.md`) into
//! these typed requests. Responses are built only from metadata types: no
//! variant of [`UiResponse`] can hold a secret value.

use serde::{Deserialize, Serialize};

use super::acme::{
    AcmeAccountMeta, AuditEntry, CertificateMeta, CertificateWithChain, ExportOutcome,
    ExportRequest, IssueOutcome, IssueParams, IssueProgress, NewAcmeAccount, RenewParams,
    RenewalEvent, RevokeParams,
};
use super::dns::{
    NewProvider, ProviderMeta, ProviderUpdate, ProviderWithWarnings, Resolution, TestOutcome,
    TestParams, TestProgress,
};
use super::keys::{ImportKey, NewKey};
use super::secrets::{
    ExternalProviderConfig, ExternalProviderMeta, NewSecret, SecretFilter, SecretMeta,
    SecretSelector, SecretUpdate, TemplateReference, VaultStatus,
};
use super::vault::ExportDoc;
use super::workflow::{WorkflowCheck, WorkflowDraft, WorkflowMeta, WorkflowProgress, WorkflowRun};

/// A UI command.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum UiRequest {
    /// Liveness check through the broker.
    Ping,
    /// Vault lock state (never unlocks).
    VaultStatus,
    /// Lock the vault.
    VaultLock,
    /// Unlock the vault.
    VaultUnlock,
    /// Create a secret (owner is always `None` from the UI).
    SecretCreate(NewSecret),
    /// Update a secret.
    SecretUpdate {
        /// Which secret.
        selector: SecretSelector,
        /// What changes.
        update: SecretUpdate,
    },
    /// Delete a secret.
    SecretDelete(SecretSelector),
    /// List secrets.
    SecretList {
        /// Filters.
        filter: SecretFilter,
        /// Name of the last secret of the previous page.
        after: Option<String>,
        /// Page size (default 500, at most 2000).
        limit: Option<u32>,
    },
    /// One secret's metadata.
    SecretGet(SecretSelector),
    /// Validate a template.
    TemplateValidate(String),
    /// Generate a private key inside vault-proc (owner is always `None` from the UI).
    KeyCreate(NewKey),
    /// Import a PEM private key into vault-proc.
    KeyImport(ImportKey),

    /// Export configuration (references only).
    ConfigExport,
    /// Configure the external secret provider.
    ExternalProviderSet(ExternalProviderConfig),
    /// External provider metadata.
    ExternalProviderGet,
    /// Remove the external provider.
    ExternalProviderDelete,
    /// Create a DNS provider (token stored in the vault).
    DnsProviderCreate(NewProvider),
    /// List DNS providers, one page at a time (frames are capped at 1 MiB).
    DnsProviderList {
        /// Id of the last provider of the previous page.
        after: Option<String>,
        /// Page size (default 500, at most 2000).
        limit: Option<u32>,
    },
    /// Update a DNS provider.
    DnsProviderUpdate(ProviderUpdate),
    /// Delete a DNS provider and its token.
    DnsProviderDelete(String),
    /// Test Connection.
    DnsProviderTest(TestParams),
    /// Cancel a running Test Connection by the UI request id that started it.
    DnsProviderTestCancel(u64),
    /// Which provider serves a hostname.
    DnsResolve {
        /// Hostname.
        hostname: String,
        /// TXT value for manual instructions.
        value: Option<String>,
    },
    /// Register an ACME account (key generated or imported, in vault-proc).
    AcmeAccountCreate(NewAcmeAccount),
    /// ACME accounts.
    AcmeAccountList,
    /// Delete an ACME account.
    AcmeAccountDelete {
        /// Account id.
        id: String,
        /// Deactivate at the CA first.
        deactivate: bool,
    },
    /// Issue a certificate over ACME DNS-01.
    CertificateIssue(IssueParams),
    /// Cancel a running issuance by the UI request id that started it.
    CertificateIssueCancel(u64),
    /// Certificates, one page at a time.
    CertificateList {
        /// Id of the last certificate of the previous page.
        after: Option<String>,
        /// Page size (default 500, at most 2000).
        limit: Option<u32>,
    },
    /// One certificate with its chain.
    CertificateGet(String),
    /// Delete a certificate and its key.
    CertificateDelete(String),
    /// Renew a certificate (same names, account and key type).
    CertificateRenew(RenewParams),
    /// Revoke a certificate at its CA.
    CertificateRevoke(RevokeParams),
    /// Write a certificate's files (and, asked, its key, by vault-proc) to a directory.
    CertificateExport(ExportRequest),
    /// The key-export audit table, one page at a time.
    AuditList {
        /// Id of the last entry of the previous page.
        after: Option<i64>,
        /// Page size (default 500, at most 2000).
        limit: Option<u32>,
    },
    /// Receive events not tied to a request (`certificate_renewal`) until
    /// the session ends.
    EventsSubscribe,
    /// `workflow_create`.
    WorkflowCreate(WorkflowDraft),
    /// `workflow_update`.
    WorkflowUpdate {
        /// `wf_…`.
        id: String,
        /// The new configuration.
        draft: WorkflowDraft,
    },
    /// `workflow_delete`.
    WorkflowDelete(String),
    /// `workflow_list`.
    WorkflowList {
        /// Cursor.
        after: Option<String>,
        /// Page size.
        limit: Option<u32>,
    },
    /// `workflow_get`.
    WorkflowGet(String),
    /// `workflow_validate`: checked, not saved.
    WorkflowValidate(WorkflowDraft),
    /// `workflow_run`.
    WorkflowRun {
        /// `wf_…`.
        id: String,
        /// `cert_…`.
        certificate_id: String,
    },
    /// `workflow_runs`.
    WorkflowRuns {
        /// `wf_…`.
        id: String,
        /// Cursor.
        after: Option<String>,
        /// Page size.
        limit: Option<u32>,
    },
}

/// A UI response: metadata only, by construction.
#[derive(Debug, Clone, Serialize, Deserialize, strum::IntoStaticStr)]
pub enum UiResponse {
    /// `ping`.
    Pong,
    /// Vault state.
    VaultStatus(VaultStatus),
    /// Lock state after lock/unlock.
    Unlocked(bool),
    /// One secret's metadata.
    Secret(SecretMeta),
    /// Many secrets.
    Secrets(Vec<SecretMeta>, Option<String>),
    /// Deleted.
    Deleted,
    /// Template references.
    References(Vec<TemplateReference>),
    /// Export document.
    Export(ExportDoc),
    /// External provider metadata (`None` = not configured).
    ExternalProvider(Option<ExternalProviderMeta>),
    /// One provider and warnings.
    Provider(ProviderWithWarnings),
    /// Many providers.
    Providers(Vec<ProviderMeta>, Option<String>),
    /// Test Connection outcome.
    TestOutcome(TestOutcome),
    /// Whether a cancel found its run.
    Cancelled(bool),
    /// Resolution.
    Resolution(Resolution),
    /// One ACME account.
    AcmeAccount(AcmeAccountMeta),
    /// ACME accounts.
    AcmeAccounts(Vec<AcmeAccountMeta>),
    /// An issuance outcome.
    IssueOutcome(IssueOutcome),
    /// Certificates and the next cursor.
    Certificates(Vec<CertificateMeta>, Option<String>),
    /// One certificate with its chain (public).
    Certificate(CertificateWithChain),
    /// One certificate's metadata after a change (revocation).
    CertificateMeta(CertificateMeta),
    /// The files an export wrote.
    Exported(ExportOutcome),
    /// Audit entries and the next cursor.
    Audit(Vec<AuditEntry>, Option<i64>),
    /// An `events_subscribe` ended (a newer subscription took its place).
    SubscriptionEnded,
    /// One workflow.
    Workflow(WorkflowMeta),
    /// A page of workflows.
    Workflows(Vec<WorkflowMeta>, Option<String>),
    /// `workflow_validate`'s answer.
    WorkflowCheck(WorkflowCheck),
    /// A finished run.
    WorkflowRun(WorkflowRun),
    /// A page of runs.
    WorkflowRuns(Vec<WorkflowRun>, Option<String>),
}

/// Events for the UI.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum UiEvent {
    /// Test Connection progress.
    DnsTestProgress(TestProgress),
    /// Issuance progress.
    CertificateProgress(IssueProgress),
    /// Automatic renewal (and re-export) news.
    CertificateRenewal(RenewalEvent),
    /// A workflow node started or ended.
    WorkflowProgress(WorkflowProgress),
    /// A workflow run finished (failed or not), whatever started it.
    WorkflowRun(WorkflowRun),
}
