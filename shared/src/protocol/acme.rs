//! ACME accounts, certificate issuance and certificates, as the UI sees
//! them (`docs/protocol.md`, "Certificates"). Public data only: keys are
//! named by their secret reference and never leave vault-proc.

use serde::{Deserialize, Serialize};

use super::keys::KeyType;
use crate::secret::SecretString;

/// A step of `certificate_issue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStep {
    /// Creating the order at the CA.
    Order,
    /// Fetching the authorizations.
    Authorize,
    /// Adding the TXT records.
    Present,
    /// Waiting until every authoritative nameserver serves them.
    Propagate,
    /// Answering the challenges and waiting for the CA.
    Validate,
    /// Sending the CSR.
    Finalize,
    /// Fetching and checking the chain.
    Download,
    /// Removing the TXT records.
    Cleanup,
    /// The end.
    Done,
}

impl IssueStep {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueStep::Order => "order",
            IssueStep::Authorize => "authorize",
            IssueStep::Present => "present",
            IssueStep::Propagate => "propagate",
            IssueStep::Validate => "validate",
            IssueStep::Finalize => "finalize",
            IssueStep::Download => "download",
            IssueStep::Cleanup => "cleanup",
            IssueStep::Done => "done",
        }
    }
}

/// The status of a step event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// The step began.
    Started,
    /// The step (or this name's part of it) succeeded.
    Ok,
    /// Waiting (on DNS, on the CA, on the user).
    Waiting,
    /// Something to know that does not stop the issuance.
    Warning,
    /// The step failed.
    Failed,
}

impl StepStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Started => "started",
            StepStatus::Ok => "ok",
            StepStatus::Waiting => "waiting",
            StepStatus::Warning => "warning",
            StepStatus::Failed => "failed",
        }
    }
}

/// A DNS-01 TXT record (public: the value is a digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeRecord {
    /// `_acme-challenge.<name>`, or the end of its CNAME chain.
    pub record_name: String,
    /// The TXT value.
    pub value: String,
}

/// One `certificate_progress` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueProgress {
    /// Step.
    pub step: IssueStep,
    /// Status.
    pub status: StepStatus,
    /// Free text (never secret).
    pub detail: String,
    /// The name this event is about.
    pub name: Option<String>,
    /// The provider id handling it (`None` for manual).
    pub provider: Option<String>,
    /// The record (on `present`).
    pub record: Option<ChallengeRecord>,
    /// Warnings (provider ambiguity).
    pub warnings: Vec<String>,
}

/// An RFC 7807 problem from the CA.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeProblem {
    /// Type URN.
    pub problem_type: String,
    /// Detail.
    pub detail: String,
    /// Per-identifier problems.
    pub subproblems: Vec<AcmeSubproblem>,
}

/// One subproblem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeSubproblem {
    /// Type URN.
    pub problem_type: String,
    /// Detail.
    pub detail: String,
    /// The identifier's name.
    pub identifier: Option<String>,
}

/// The wire name of a key type (`ec-p256`, …).
pub fn key_type_name(t: KeyType) -> &'static str {
    match t {
        KeyType::EcP256 => "ec-p256",
        KeyType::EcP384 => "ec-p384",
        KeyType::Rsa2048 => "rsa-2048",
        KeyType::Rsa3072 => "rsa-3072",
        KeyType::Rsa4096 => "rsa-4096",
    }
}

/// Parses a key type's wire name.
pub fn parse_key_type(s: &str) -> Option<KeyType> {
    KeyType::ALL.into_iter().find(|t| key_type_name(*t) == s)
}

/// Status of an ACME account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcmeAccountStatus {
    /// Usable.
    Valid,
    /// Deactivated.
    Deactivated,
    /// Revoked by the CA.
    Revoked,
}

impl AcmeAccountStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AcmeAccountStatus::Valid => "valid",
            AcmeAccountStatus::Deactivated => "deactivated",
            AcmeAccountStatus::Revoked => "revoked",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Valid, Self::Deactivated, Self::Revoked]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An ACME account (UI: `AcmeAccountMeta`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcmeAccountMeta {
    /// `acct_` + 128 bits.
    pub id: String,
    /// Directory URL.
    pub directory_url: String,
    /// Account URL at the CA.
    pub account_url: String,
    /// Contact URLs.
    pub contact: Vec<String>,
    /// Status.
    pub status: AcmeAccountStatus,
    /// The account key's secret reference.
    pub key_ref: String,
    /// RFC 3339.
    pub created_at: String,
}

/// External account binding input: `hmac_key` is a value (inbound only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EabInput {
    /// Key identifier from the CA.
    pub kid: String,
    /// The HMAC key (base64url), stored in vault-proc, never returned.
    pub hmac_key: SecretString,
}

/// `acme_account_create` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAcmeAccount {
    /// Directory URL (https).
    pub directory_url: String,
    /// `mailto:` contacts.
    pub contact: Vec<String>,
    /// The user agreed to the CA's terms.
    pub terms_of_service_agreed: bool,
    /// Key type of a new account key (default `ec-p256`).
    pub key_type: Option<KeyType>,
    /// An existing (imported) `acme_account_key` instead of a new key.
    pub key_ref: Option<String>,
    /// External account binding.
    pub eab: Option<EabInput>,
    /// Extra CA certificates to trust for the directory's HTTPS (PEM).
    pub ca_pem: Option<String>,
}

/// `certificate_issue` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueParams {
    /// Account to order with.
    pub account_id: String,
    /// Names (up to 100; `*.x` allowed).
    pub names: Vec<String>,
    /// Certificate key type (default `ec-p256`).
    pub key_type: Option<KeyType>,
    /// Overall wait limit in seconds (default 300, 1–3600).
    pub timeout_secs: Option<u64>,
}

/// Certificate status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// Within its validity.
    Valid,
    /// Past `notAfter`.
    Expired,
    /// Revoked.
    Revoked,
}

/// An issued certificate (UI: `CertificateMeta`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateMeta {
    /// `cert_` + 128 bits.
    pub id: String,
    /// Names (SANs).
    pub names: Vec<String>,
    /// Account that ordered it.
    pub account_id: String,
    /// The certificate key's secret reference.
    pub key_ref: String,
    /// Key type.
    pub key_type: KeyType,
    /// Serial number, hex.
    pub serial: String,
    /// Issuer DN.
    pub issuer: String,
    /// RFC 3339.
    pub not_before: String,
    /// RFC 3339.
    pub not_after: String,
    /// Status.
    pub status: CertificateStatus,
    /// RFC 3339.
    pub created_at: String,
}

/// A certificate with its chain (`certificate_get`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateWithChain {
    /// Metadata.
    pub meta: CertificateMeta,
    /// Leaf and intermediates, PEM (public).
    pub chain_pem: String,
}

/// The result of `certificate_issue`; a failure is a normal result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueOutcome {
    /// True when the certificate was issued, checked and stored.
    pub success: bool,
    /// The certificate.
    pub certificate: Option<CertificateMeta>,
    /// The step that failed.
    pub failed_step: Option<IssueStep>,
    /// What went wrong.
    pub message: Option<String>,
    /// The CA's problem document.
    pub problem: Option<AcmeProblem>,
    /// Likely causes.
    pub suggestions: Vec<String>,
    /// Warnings (provider ambiguity).
    pub warnings: Vec<String>,
    /// True when every TXT record created was removed.
    pub cleaned_up: bool,
}

/// What the broker must grant before dns-proc can run an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuePlan {
    /// `order_` + 128 bits.
    pub order_id: String,
    /// The account.
    pub account: AcmeAccountMeta,
    /// `https://host[:port]` of the directory.
    pub directory_origin: String,
    /// The names, normalized.
    pub names: Vec<String>,
    /// Providers whose tokens the order needs: (provider id, secret ref).
    pub providers: Vec<(String, String)>,
    /// Ambiguity warnings.
    pub warnings: Vec<String>,
}

/// What the broker asks dns-proc to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRegistration {
    /// New `acct_…` id.
    pub id: String,
    /// Directory URL.
    pub directory_url: String,
    /// Contact URLs.
    pub contact: Vec<String>,
    /// Terms agreed.
    pub terms_agreed: bool,
    /// Account key.
    pub key_ref: String,
    /// Look the key's account up first (imported key).
    pub lookup_first: bool,
    /// EAB: (key id, HMAC key ref).
    pub eab: Option<(String, String)>,
    /// Extra trust (PEM).
    pub ca_pem: Option<String>,
}

/// A directory's facts the broker needs before granting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryInfo {
    /// `https://host[:port]`.
    pub origin: String,
    /// Terms of service URL, when the CA has terms.
    pub terms_of_service: Option<String>,
    /// True when the CA requires EAB.
    pub external_account_required: bool,
}
