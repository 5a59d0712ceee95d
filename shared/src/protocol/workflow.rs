//! Deploy workflows: what runs after a certificate is issued or renewed.
//!
//! A workflow is public configuration (stored by dns-proc in `acme.sqlite`):
//! its node texts hold `{{secrets.name.field}}` *references*, never values,
//! and `{{certificate.field}}` placeholders for the certificate's public
//! data. Values exist only inside one execution: vault-proc resolves the
//! references under a [`super::vault::PermitScope::Workflow`] permit and
//! hands dns-proc a [`ResolvedText`] per text, which dns-proc turns into the
//! request and drops when the node ends.
//!
//! No node type runs a local command: whoever configures workflows (the
//! untrusted UI) would own the machine.

use serde::{Deserialize, Serialize};

use super::secrets::TemplateReference;
use crate::secret::SecretString;

/// What happened to a certificate, as a trigger sees it.
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
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum TriggerEvent {
    /// A new certificate (`certificate_issue`).
    Issued,
    /// A renewal.
    Renewed,
}

/// When a workflow runs on its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// The events it runs after (empty: only `workflow_run`).
    pub on: Vec<TriggerEvent>,
    /// Only these certificates (`None`: any).
    pub certificates: Option<Vec<String>>,
    /// Only certificates with a name ending in one of these suffixes
    /// (whole labels; `None`: any).
    pub names: Option<Vec<String>>,
}

/// HTTP methods a node may use.
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
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

/// One request header: a literal name and a value template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Header name (literal).
    pub name: String,
    /// Value template.
    pub value: String,
}

/// `http_request`: one HTTP request. `url` (outside its authority), header
/// values and `body` are templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequestNode {
    /// Method.
    pub method: HttpMethod,
    /// URL template; the scheme and authority are literal.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<Header>,
    /// Body template.
    pub body: Option<String>,
    /// The status that counts as success (`None`: any 2xx).
    pub expect_status: Option<u16>,
    /// Request timeout in seconds (default 30, at most 300).
    pub timeout_secs: Option<u64>,
}

impl HttpRequestNode {
    /// Longest timeout a node may set, in seconds.
    pub const MAX_TIMEOUT_SECS: u64 = 300;
    /// Timeout of a node that sets none, in seconds.
    pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

    /// The node's request timeout: its own (clamped to 1 s ..=
    /// [`Self::MAX_TIMEOUT_SECS`]) or the default. The one rule for dns-proc,
    /// which sends the request, and the broker, which budgets the run.
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(
            self.timeout_secs
                .unwrap_or(Self::DEFAULT_TIMEOUT_SECS)
                .clamp(1, Self::MAX_TIMEOUT_SECS),
        )
    }
}

/// `export_files`: the certificate's files written into `dir` by vault-proc
/// (`fullchain.pem`, `cert.pem`, `chain.pem` and, with `include_key`,
/// `privkey.pem`), replacing what is there, under the same rules as
/// `certificate_export`. Holds no template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFilesNode {
    /// Absolute directory.
    pub dir: String,
    /// Whether `privkey.pem` is written too.
    pub include_key: bool,
}

/// What a node does. A closed set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum NodeKind {
    /// An HTTP request (executed by dns-proc).
    HttpRequest(HttpRequestNode),
    /// Certificate files written by vault-proc (ordered by the broker).
    ExportFiles(ExportFilesNode),
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Unique within the workflow.
    pub name: String,
    /// Its type and fields.
    pub kind: NodeKind,
}

/// A workflow as the UI sends it (create, update, validate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowDraft {
    /// Display name.
    pub name: String,
    /// When it runs.
    pub trigger: Trigger,
    /// Steps, run in order.
    pub nodes: Vec<Node>,
    /// Disabled workflows run only through `workflow_run`.
    pub enabled: bool,
}

/// A secret reference found in a node, where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeReference {
    /// The node.
    pub node: String,
    /// The text (`url`, `headers.<Name>`, `body`).
    pub field: String,
    /// The reference and its byte offset in that text.
    pub reference: TemplateReference,
}

/// A stored workflow: metadata only (references, never values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowMeta {
    /// `wf_` + 128 bits.
    pub id: String,
    /// The configuration.
    pub draft: WorkflowDraft,
    /// Every secret reference, by node and text.
    pub references: Vec<NodeReference>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl WorkflowMeta {
    /// The distinct secret names referenced (what a run's permit names).
    pub fn secret_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .references
            .iter()
            .map(|r| r.reference.name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// A problem found in a workflow (validation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowIssue {
    /// The node (`None`: the workflow itself).
    pub node: Option<String>,
    /// The field (`url`, `headers.<Name>`, `body`, `name`, `trigger.names`, …).
    pub field: String,
    /// Byte offset in that field's text, when the problem is at one.
    pub offset: Option<u64>,
    /// What is wrong.
    pub message: String,
}

/// `workflow_validate`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowCheck {
    /// References found (in valid texts).
    pub references: Vec<NodeReference>,
    /// Problems; empty when the workflow can be saved.
    pub errors: Vec<WorkflowIssue>,
}

/// Status of a node in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum NodeStatus {
    /// Started.
    Running,
    /// Done as expected.
    Succeeded,
    /// Failed; the workflow stops.
    Failed,
    /// Not run (an earlier node failed).
    Skipped,
}

/// One node's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeResult {
    /// The node.
    pub name: String,
    /// Its status.
    pub status: NodeStatus,
    /// The HTTP status received.
    pub http_status: Option<u16>,
    /// How long it took.
    pub duration_ms: u64,
    /// Why it failed (scrubbed of every resolved value).
    pub error: Option<String>,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum RunCause {
    /// `workflow_run`.
    Manual,
    /// After an issuance.
    Issued,
    /// After a renewal.
    Renewed,
}

/// A finished run (`workflow_run`'s result, one entry of `workflow_runs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowRun {
    /// `wfr_` + 128 bits.
    pub id: String,
    /// The workflow.
    pub workflow_id: String,
    /// The certificate it ran for.
    pub certificate_id: String,
    /// What started it.
    pub cause: RunCause,
    /// True when every node succeeded.
    pub success: bool,
    /// Per node, in order.
    pub nodes: Vec<NodeResult>,
    /// How many secret values vault-proc decrypted for this run (each
    /// referenced secret once, however many nodes use it).
    pub secret_decrypts: u32,
    /// RFC 3339 start.
    pub started_at: String,
}

/// `workflow_progress` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowProgress {
    /// The node.
    pub node: String,
    /// Its status.
    pub status: NodeStatus,
    /// Detail (scrubbed).
    pub detail: String,
}

/// A piece of a resolved template (vault-proc → dns-proc only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ResolvedPart {
    /// Literal text (it may hold `{{certificate.*}}` placeholders).
    Text(String),
    /// A secret field's value.
    Value(SecretString),
}

/// One resolved template: its parts in order.
pub type ResolvedText = Vec<ResolvedPart>;
