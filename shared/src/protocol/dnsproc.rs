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
}

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
}

/// Events from dns-proc.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum DnsEvent {
    /// Test Connection progress.
    TestProgress(TestProgress),
    /// Issuance progress.
    IssueProgress(IssueProgress),
}
