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
    /// When the core renews it (RFC 3339): a random point of the CA's ARI
    /// window, else two thirds of the lifetime.
    pub renew_at: String,
    /// The CA's suggested renewal window (RFC 9773), when it has one.
    pub renewal_window: Option<RenewalWindow>,
    /// The certificate this one renewed.
    pub renewed_from: Option<String>,
    /// The certificate that renewed this one.
    pub replaced_by: Option<String>,
    /// Why the last automatic renewal failed (cleared by a success).
    pub last_renewal_error: Option<String>,
    /// Automatic renewals failed in a row.
    pub renewal_failures: u32,
    /// No automatic renewal before this (RFC 3339; back-off after a failure).
    pub next_renewal_attempt: Option<String>,
    /// Where it was exported; renewal re-exports there.
    pub deploy_to: Option<DeployTarget>,
}

/// An ARI suggested renewal window (RFC 9773 §4.2), RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalWindow {
    /// Start.
    pub start: String,
    /// End.
    pub end: String,
}

/// Where a certificate's files go (`deployTo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployTarget {
    /// Absolute directory.
    pub dir: String,
    /// `privkey.pem` too.
    pub include_key: bool,
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
    /// A renewal that keeps its key: the existing certificate key the
    /// order permit must name (no new key is made).
    pub reuse_key_ref: Option<String>,
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

/// `certificate_renew` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewParams {
    /// The certificate to renew.
    pub certificate_id: String,
    /// Keep the certificate key instead of a new one of the same type.
    pub reuse_key: bool,
    /// Overall wait limit in seconds (default 300, 1–3600).
    pub timeout_secs: Option<u64>,
}

/// RFC 5280 §5.3.1 CRLReason codes (RFC 8555 §7.6 `reason`). JSON: the
/// RFC's names (`keyCompromise`, `cACompromise`, …).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
pub enum RevocationReason {
    /// 0.
    #[serde(rename = "unspecified")]
    #[strum(serialize = "unspecified")]
    Unspecified,
    /// 1.
    #[serde(rename = "keyCompromise")]
    #[strum(serialize = "keyCompromise")]
    KeyCompromise,
    /// 2.
    #[serde(rename = "cACompromise")]
    #[strum(serialize = "cACompromise")]
    CaCompromise,
    /// 3.
    #[serde(rename = "affiliationChanged")]
    #[strum(serialize = "affiliationChanged")]
    AffiliationChanged,
    /// 4.
    #[serde(rename = "superseded")]
    #[strum(serialize = "superseded")]
    Superseded,
    /// 5.
    #[serde(rename = "cessationOfOperation")]
    #[strum(serialize = "cessationOfOperation")]
    CessationOfOperation,
    /// 6.
    #[serde(rename = "certificateHold")]
    #[strum(serialize = "certificateHold")]
    CertificateHold,
    /// 8 (7 is unused).
    #[serde(rename = "removeFromCRL")]
    #[strum(serialize = "removeFromCRL")]
    RemoveFromCrl,
    /// 9.
    #[serde(rename = "privilegeWithdrawn")]
    #[strum(serialize = "privilegeWithdrawn")]
    PrivilegeWithdrawn,
    /// 10.
    #[serde(rename = "aACompromise")]
    #[strum(serialize = "aACompromise")]
    AaCompromise,
}

impl RevocationReason {
    /// The RFC 5280 code.
    pub fn code(self) -> u8 {
        match self {
            RevocationReason::Unspecified => 0,
            RevocationReason::KeyCompromise => 1,
            RevocationReason::CaCompromise => 2,
            RevocationReason::AffiliationChanged => 3,
            RevocationReason::Superseded => 4,
            RevocationReason::CessationOfOperation => 5,
            RevocationReason::CertificateHold => 6,
            RevocationReason::RemoveFromCrl => 8,
            RevocationReason::PrivilegeWithdrawn => 9,
            RevocationReason::AaCompromise => 10,
        }
    }

    /// The RFC name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every reason.
    pub fn all() -> &'static [Self] {
        <Self as strum::VariantArray>::VARIANTS
    }
}

/// `certificate_revoke` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeParams {
    /// The certificate.
    pub certificate_id: String,
    /// Why (omitted: the CA records none).
    pub reason: Option<RevocationReason>,
}

/// `certificate_export` input (`broker::export::export_certificate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRequest {
    /// The certificate.
    pub certificate_id: String,
    /// Absolute target directory (created 0700 when absent).
    pub dir: String,
    /// Write `privkey.pem` too (vault-proc writes it; audited).
    pub include_key: bool,
    /// Replace existing files.
    pub overwrite: bool,
}

/// The files of an export.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
pub enum ExportFile {
    /// Leaf and intermediates.
    #[strum(serialize = "fullchain.pem")]
    Fullchain,
    /// The leaf.
    #[strum(serialize = "cert.pem")]
    Cert,
    /// The intermediates.
    #[strum(serialize = "chain.pem")]
    Chain,
    /// The private key (PKCS#8), 0600.
    #[strum(serialize = "privkey.pem")]
    Privkey,
}

impl ExportFile {
    /// The file name.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One written file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedFile {
    /// Which file.
    pub file: ExportFile,
    /// Its absolute path.
    pub path: String,
    /// Its permission bits (e.g. 0o600).
    pub mode: u32,
}

/// The result of `certificate_export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOutcome {
    /// The files written.
    pub files: Vec<ExportedFile>,
    /// Kept with the certificate: renewal re-exports here.
    pub deploy_to: DeployTarget,
}

/// What an audit entry records.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
pub enum AuditAction {
    /// A private key is being written to a file (recorded before the write).
    #[strum(serialize = "key_export")]
    KeyExport,
    /// That write failed (nothing left at the path).
    #[strum(serialize = "key_export_failed")]
    KeyExportFailed,
}

impl AuditAction {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One row of the append-only audit table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number (the `after` cursor).
    pub id: i64,
    /// RFC 3339 UTC.
    pub at: String,
    /// What happened.
    pub action: AuditAction,
    /// The certificate whose key it was.
    pub certificate_id: String,
    /// The file.
    pub path: String,
}

/// What a `certificate_renewal` event reports.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
pub enum RenewalStatus {
    /// An automatic renewal began.
    #[strum(serialize = "started")]
    Started,
    /// A new certificate replaced this one.
    #[strum(serialize = "renewed")]
    Renewed,
    /// The renewal failed; the next attempt backs off.
    #[strum(serialize = "failed")]
    Failed,
    /// The re-export to `deployTo` after a new certificate failed.
    #[strum(serialize = "deploy_failed")]
    DeployFailed,
}

impl RenewalStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A `certificate_renewal` event (to every `events_subscribe`r).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalEvent {
    /// The certificate being renewed.
    pub certificate_id: String,
    /// What happened.
    pub status: RenewalStatus,
    /// The new certificate (`renewed`).
    pub new_certificate_id: Option<String>,
    /// Why (`failed`, `deploy_failed`).
    pub error: Option<String>,
    /// Next automatic attempt (`failed`), RFC 3339.
    pub next_attempt_at: Option<String>,
}
