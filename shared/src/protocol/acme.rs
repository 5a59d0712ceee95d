//! ACME accounts, certificate issuance and certificates, as the UI sees
//! them (`docs/protocol.md`, "Certificates"). Public data only: keys are
//! named by their secret reference and never leave vault-proc.

use serde::{Deserialize, Serialize};

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
