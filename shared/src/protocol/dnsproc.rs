//! Requests dns-proc serves for the broker.

use serde::{Deserialize, Serialize};

use super::acme::{
    AccountRegistration, AcmeAccountMeta, CertificateMeta, CertificateWithChain, DirectoryInfo,
    IssueOutcome, IssuePlan, IssueProgress,
};
use super::dns::{
    ProviderMeta, ProviderType, ProviderUpdate, ProviderWithWarnings, Resolution, SuffixInput,
    TestOutcome, TestParams, TestProgress,
};
use super::workflow::{
    HttpRequestNode, NodeResult, TriggerEvent, WorkflowCheck, WorkflowDraft, WorkflowMeta,
    WorkflowProgress, WorkflowRun,
};

/// A provider that passed validation and has an id, waiting for its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedProvider {
    /// The new `dns_prov_…` id (the token secret's owner).
    pub id: String,
    /// Type.
    pub provider_type: ProviderType,
    /// Label.
    pub label: String,
    /// Normalized suffixes.
    pub domain_suffixes: Vec<String>,
    /// Canonical config JSON.
    pub config_json: String,
    /// True when this type needs a token.
    pub needs_token: bool,
    /// The canonical endpoint its token is sent to (self-hosted types;
    /// `None` for cloud APIs and manual): the token is sealed bound to it.
    pub endpoint: Option<String>,
}

/// Creation input without the token (dns-proc never receives tokens from the broker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderDraft {
    /// Type name as the UI gave it (dns-proc parses it, so an unknown type's
    /// error can list the supported ones; after that it is a [`ProviderType`]).
    pub provider_type: String,
    /// Label.
    pub label: String,
    /// Suffixes as given.
    pub domain_suffixes: SuffixInput,
    /// Config JSON text.
    pub config_json: Option<String>,
    /// True when the UI supplied a token.
    pub has_token: bool,
}

/// A validated update, as dns-proc wants the broker to apply it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedUpdate {
    /// Provider id.
    pub id: String,
    /// The provider's token secret, when it has one.
    pub secret_ref: Option<String>,
    /// A one-time approval of this update's endpoint change, bound to (the
    /// provider, the new endpoint, the row's `updatedAt`): `CommitUpdate`
    /// must carry it, and the broker drops it (`DropApproval`) when the flow
    /// fails. `None` when the endpoint does not change.
    pub approval: Option<String>,
    /// The canonical endpoint the provider will use after this update
    /// (self-hosted types; `None` for cloud APIs and manual): the token is
    /// sealed bound to it.
    pub endpoint: Option<String>,
    /// The row's `updatedAt` when prepared: a commit changes it, so after a
    /// crash the broker can tell whether the commit landed.
    pub updated_at: String,
}

/// A request to dns-proc.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum DnsRequest {
    /// Validate a new provider and assign its id.
    PrepareCreate(ProviderDraft),
    /// Store a prepared provider with its secret reference.
    CommitCreate {
        /// The prepared provider.
        prepared: PreparedProvider,
        /// Reference of its token secret.
        secret_ref: Option<String>,
    },
    /// Validate an update (token carried as presence only).
    PrepareUpdate {
        /// The update, with `api_token` always `None`.
        update: ProviderUpdate,
        /// True when the UI supplied a new token.
        has_token: bool,
    },
    /// Apply an update.
    CommitUpdate {
        /// The update, with `api_token` always `None`.
        update: ProviderUpdate,
        /// The approval `PrepareUpdate` returned, when it returned one.
        approval: Option<String>,
    },
    /// Forget an approval `PrepareUpdate` returned (the flow failed).
    DropApproval(String),
    /// Mark a provider as being deleted; returns its secret ref.
    DeleteBegin(String),
    /// Remove a provider marked as being deleted.
    DeleteFinish(String),
    /// Providers whose delete did not finish.
    ListDeleting,
    /// Which of these provider ids have a row (active or being deleted):
    /// the token sweep's batch check. Answers [`DnsResponse::ProviderIds`].
    Existing(Vec<String>),
    /// All providers.
    List,
    /// One page of providers, oldest first, after provider id `after`.
    ListPage {
        /// Id of the last provider of the previous page.
        after: Option<String>,
        /// Page size.
        limit: u32,
    },
    /// One provider.
    Get(String),
    /// Which provider serves a hostname.
    Resolve {
        /// Hostname (wildcards allowed).
        hostname: String,
        /// TXT value for manual instructions.
        value: Option<String>,
    },
    /// Run Test Connection (events: [`DnsEvent::TestProgress`]).
    Test(TestParams),
    /// Cancel the Test Connection run started by request `request_id`.
    CancelTest {
        /// The broker-side request id of the run.
        request_id: u64,
    },
    /// Fetch an ACME directory: origin, terms, EAB requirement.
    AcmeDirectory {
        /// Directory URL.
        directory_url: String,
        /// Extra trust (PEM).
        ca_pem: Option<String>,
    },
    /// Register (or look up) an account; needs the broker's ACME permit.
    AcmeAccountRegister(AccountRegistration),
    /// All accounts.
    AcmeAccountList,
    /// One account, with its directory's origin.
    AcmeAccountGet(String),
    /// Delete an account, deactivating it at the CA first when asked (that
    /// needs the broker's ACME permit).
    AcmeAccountDelete {
        /// Account id.
        id: String,
        /// Deactivate at the CA first.
        deactivate: bool,
    },
    /// Validate names, resolve their providers, record the order: what the
    /// broker must grant before [`DnsRequest::Issue`].
    IssuePrepare {
        /// Account id.
        account_id: String,
        /// Names as the user gave them.
        names: Vec<String>,
        /// Certificate key type.
        key_type: super::keys::KeyType,
    },
    /// Run a prepared order (events: [`DnsEvent::IssueProgress`]).
    Issue {
        /// The order id from [`DnsRequest::IssuePrepare`].
        order_id: String,
        /// Overall wait limit in seconds.
        timeout_secs: u64,
    },
    /// Cancel the issuance started by request `request_id`.
    CancelIssue {
        /// The broker-side request id of the run.
        request_id: u64,
    },
    /// Providers with journaled TXT records left by an interrupted order:
    /// (provider id, secret ref).
    JournalProviders,
    /// Remove journaled TXT records (of one order, or all) with the
    /// providers the broker granted.
    JournalCleanup {
        /// One order, or every journaled record.
        order_id: Option<String>,
    },
    /// One page of certificates, oldest first.
    CertificateList {
        /// Id of the last certificate of the previous page.
        after: Option<String>,
        /// Page size.
        limit: u32,
    },
    /// One certificate with its chain.
    CertificateGet(String),
    /// Delete a certificate (the broker deletes its key).
    CertificateDelete(String),
    /// Prepares the renewal of a certificate: same account, names and key
    /// type; `replaces` (ARI) when the CA has `renewalInfo`. Answers
    /// [`DnsResponse::IssuePlan`]; then [`DnsRequest::Issue`] runs it.
    RenewPrepare {
        /// The certificate.
        certificate_id: String,
        /// Keep its key.
        reuse_key: bool,
    },
    /// Revokes a certificate (RFC 8555 §7.6) with its account's key, under
    /// the ACME permit the broker granted. Answers [`DnsResponse::Certificate`].
    Revoke {
        /// The certificate.
        certificate_id: String,
        /// RFC 5280 reason.
        reason: Option<super::acme::RevocationReason>,
    },
    /// Refreshes due ARI windows and answers the certificates whose
    /// renewal time has come ([`DnsResponse::CertificateIds`]).
    RenewalDue,
    /// Records the outcome of an automatic renewal attempt.
    RenewalRecord {
        /// The certificate.
        certificate_id: String,
        /// The error (`None`: success, clears the back-off).
        error: Option<String>,
        /// Failures in a row.
        failures: u32,
        /// No attempt before (RFC 3339).
        next_attempt_at: Option<String>,
    },
    /// Sets (or clears) where a certificate is deployed.
    SetDeploy {
        /// The certificate.
        certificate_id: String,
        /// The target.
        deploy: Option<super::acme::DeployTarget>,
    },
    /// Structural check of a workflow (names, URL, headers, placeholders);
    /// secret references are checked by vault-proc. Answers
    /// [`DnsResponse::WorkflowChecked`].
    WorkflowCheck(WorkflowDraft),
    /// Stores a new workflow (already checked by the broker with the
    /// references vault-proc found).
    WorkflowCreate {
        /// The configuration.
        draft: WorkflowDraft,
        /// Its references (node, field, reference).
        references: Vec<super::workflow::NodeReference>,
    },
    /// Replaces a workflow's configuration.
    WorkflowUpdate {
        /// `wf_…`.
        id: String,
        /// The configuration.
        draft: WorkflowDraft,
        /// Its references.
        references: Vec<super::workflow::NodeReference>,
    },
    /// Deletes a workflow and its runs.
    WorkflowDelete(String),
    /// One page of workflows by id after `after`.
    WorkflowList {
        /// Cursor.
        after: Option<String>,
        /// Page size.
        limit: u32,
    },
    /// One workflow.
    WorkflowGet(String),
    /// The enabled workflows a certificate change triggers, in order.
    WorkflowMatch {
        /// The certificate.
        certificate_id: String,
        /// What happened.
        event: TriggerEvent,
    },
    /// Executes one `http_request` node of run `run_id` for a certificate:
    /// the broker orders a run's nodes and holds its workflow permit, under
    /// which vault-proc resolves the node's references. Progress as
    /// [`DnsEvent::WorkflowProgress`]; answers [`DnsResponse::WorkflowNode`].
    WorkflowNode {
        /// `wfr_…` (the permit's run).
        run_id: String,
        /// `cert_…`.
        certificate_id: String,
        /// The node's name.
        name: String,
        /// The node.
        node: HttpRequestNode,
    },
    /// Stores a finished run (assembled by the broker).
    WorkflowRecord(WorkflowRun),
    /// A workflow's past runs, newest first, after run `after`.
    WorkflowRuns {
        /// `wf_…`.
        id: String,
        /// Cursor.
        after: Option<String>,
        /// Page size.
        limit: u32,
    },
}

/// The references of a workflow's texts, for a check: `(node, field, text)`.
pub type WorkflowTexts = Vec<(String, String, String)>;

/// A response from dns-proc.
#[derive(Debug, Clone, Serialize, Deserialize, strum::IntoStaticStr)]
pub enum DnsResponse {
    /// A validated draft.
    Prepared(PreparedProvider),
    /// A validated update.
    PreparedUpdate(PreparedUpdate),
    /// A provider and warnings.
    Provider(ProviderWithWarnings),
    /// Many providers.
    Providers(Vec<ProviderMeta>),
    /// One page of providers and the cursor of the next page.
    ProviderPage(Vec<ProviderMeta>, Option<String>),
    /// Secret ref of a provider being deleted.
    Deleting(Option<String>),
    /// Provider ids with their secret refs whose delete did not finish.
    DeletingList(Vec<(String, Option<String>)>),
    /// Provider ids (those of [`DnsRequest::Existing`] that have a row).
    ProviderIds(Vec<String>),
    /// Generic acknowledgement.
    Done,
    /// Hostname resolution.
    Resolution(Resolution),
    /// Test Connection outcome.
    TestOutcome(TestOutcome),
    /// Whether a cancel found its run.
    Cancelled(bool),
    /// A directory's facts.
    AcmeDirectory(DirectoryInfo),
    /// One account.
    AcmeAccount(AcmeAccountMeta),
    /// Accounts.
    AcmeAccounts(Vec<AcmeAccountMeta>),
    /// One account and its directory's origin (`https://host[:port]`).
    AcmeAccountOrigin(AcmeAccountMeta, String),
    /// A prepared order.
    IssuePlan(IssuePlan),
    /// An issuance outcome; the certificate key to delete when it failed.
    IssueOutcome(IssueOutcome, Option<String>),
    /// Provider id and secret ref pairs.
    ProviderRefs(Vec<(String, String)>),
    /// Journal cleanup: records left (empty = all removed).
    JournalLeft(Vec<String>),
    /// One page of certificates and the next cursor.
    Certificates(Vec<CertificateMeta>, Option<String>),
    /// One certificate and chain.
    Certificate(CertificateWithChain),
    /// A deleted certificate's key reference.
    CertificateDeleted(String),
    /// Certificate ids (renewals due).
    CertificateIds(Vec<String>),
    /// Structural problems of a workflow and the texts vault-proc must
    /// check for references: `(node, field, text)`.
    WorkflowChecked(WorkflowCheck, WorkflowTexts),
    /// One workflow.
    Workflow(WorkflowMeta),
    /// A page of workflows and the next cursor.
    Workflows(Vec<WorkflowMeta>, Option<String>),
    /// Matching workflows.
    WorkflowMatches(Vec<WorkflowMeta>),
    /// One node's result and how many secrets vault-proc decrypted for it.
    WorkflowNode(NodeResult, u32),
    /// A page of runs and the next cursor.
    WorkflowRuns(Vec<WorkflowRun>, Option<String>),
}

/// Events from dns-proc.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum DnsEvent {
    /// Test Connection progress.
    TestProgress(TestProgress),
    /// Issuance progress.
    IssueProgress(IssueProgress),
    /// A workflow node started or ended.
    WorkflowProgress(WorkflowProgress),
}
