//! The JSON of the workflow commands: arguments parsed into
//! [`WorkflowDraft`] (a node is `{name, type, …its fields}`), answers
//! rendered from [`WorkflowMeta`], [`WorkflowCheck`] and [`WorkflowRun`].
//! None of these can hold a value: node texts hold references.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};
use shared::error::WireError;
use shared::protocol::workflow::{
    ExportFilesNode, Header, HttpMethod, HttpRequestNode, Node, NodeKind, NodeReference, Trigger,
    TriggerEvent, WorkflowCheck, WorkflowDraft, WorkflowIssue, WorkflowMeta, WorkflowProgress,
    WorkflowRun,
};

/// A trigger as the UI writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TriggerArgs {
    #[serde(default)]
    on: Vec<String>,
    certificates: Option<Vec<String>>,
    names: Option<Vec<String>>,
}

/// A node: `{name, type, …}`; the type decides the other fields.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum NodeArgs {
    /// `http_request`.
    HttpRequest {
        /// Node name.
        name: String,
        /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
        method: String,
        /// URL template.
        url: String,
        /// Header name → value template.
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// Body template.
        body: Option<String>,
        /// Expected status.
        #[serde(rename = "expectStatus")]
        expect_status: Option<u16>,
        /// Timeout.
        #[serde(rename = "timeoutSecs")]
        timeout_secs: Option<u64>,
    },
    /// `export_files`.
    ExportFiles {
        /// Node name.
        name: String,
        /// Absolute directory.
        dir: String,
        /// Whether `privkey.pem` is written too.
        #[serde(rename = "includeKey", default)]
        include_key: bool,
    },
}

/// `workflow_create` (and the body of update / validate).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkflowArgs {
    name: String,
    #[serde(default)]
    trigger: Option<TriggerArgs>,
    nodes: Vec<NodeArgs>,
    enabled: Option<bool>,
}

/// `workflow_update`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkflowUpdateArgs {
    /// `wf_…`.
    pub id: String,
    name: String,
    #[serde(default)]
    trigger: Option<TriggerArgs>,
    nodes: Vec<NodeArgs>,
    enabled: Option<bool>,
}

/// `workflow_validate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowValidateArgs {
    /// The workflow to check.
    pub workflow: WorkflowArgs,
}

/// `workflow_run`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkflowRunArgs {
    /// `wf_…`.
    pub id: String,
    /// `cert_…`.
    pub certificate_id: String,
}

/// `workflow_runs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowRunsArgs {
    /// `wf_…`.
    pub id: String,
    /// Cursor.
    pub after: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
}

fn draft(
    name: String,
    trigger: Option<TriggerArgs>,
    nodes: Vec<NodeArgs>,
    enabled: Option<bool>,
) -> Result<WorkflowDraft, WireError> {
    let trigger = match trigger {
        None => Trigger::default(),
        Some(t) => Trigger {
            on: t
                .on
                .iter()
                .map(|e| {
                    e.parse::<TriggerEvent>().map_err(|_| {
                        WireError::validation("trigger.on lists `issued` and/or `renewed`")
                            .with_field("trigger.on")
                    })
                })
                .collect::<Result<_, _>>()?,
            certificates: t.certificates,
            names: t.names,
        },
    };
    let nodes = nodes
        .into_iter()
        .map(|n| match n {
            NodeArgs::HttpRequest {
                name,
                method,
                url,
                headers,
                body,
                expect_status,
                timeout_secs,
            } => {
                let method = method
                    .to_ascii_uppercase()
                    .parse::<HttpMethod>()
                    .map_err(|_| {
                        WireError::validation("method is GET, POST, PUT, PATCH or DELETE")
                            .with_field("method")
                            .with_node(name.clone())
                    })?;
                Ok(Node {
                    name,
                    kind: NodeKind::HttpRequest(HttpRequestNode {
                        method,
                        url,
                        headers: headers
                            .into_iter()
                            .map(|(name, value)| Header { name, value })
                            .collect(),
                        body,
                        expect_status,
                        timeout_secs,
                    }),
                })
            }
            NodeArgs::ExportFiles {
                name,
                dir,
                include_key,
            } => Ok(Node {
                name,
                kind: NodeKind::ExportFiles(ExportFilesNode { dir, include_key }),
            }),
        })
        .collect::<Result<_, WireError>>()?;
    Ok(WorkflowDraft {
        name,
        trigger,
        nodes,
        enabled: enabled.unwrap_or(true),
    })
}

impl WorkflowArgs {
    /// The typed draft.
    pub fn into_draft(self) -> Result<WorkflowDraft, WireError> {
        draft(self.name, self.trigger, self.nodes, self.enabled)
    }
}

impl WorkflowUpdateArgs {
    /// Id and typed draft.
    pub fn into_parts(self) -> Result<(String, WorkflowDraft), WireError> {
        Ok((
            self.id,
            draft(self.name, self.trigger, self.nodes, self.enabled)?,
        ))
    }
}

fn node_json(n: &Node) -> Value {
    match &n.kind {
        NodeKind::HttpRequest(h) => {
            let headers: serde_json::Map<String, Value> = h
                .headers
                .iter()
                .map(|hd| (hd.name.clone(), json!(hd.value)))
                .collect();
            json!({
                "name": n.name,
                "type": "http_request",
                "method": <&'static str>::from(h.method),
                "url": h.url,
                "headers": headers,
                "body": h.body,
                "expectStatus": h.expect_status,
                "timeoutSecs": h.timeout_secs,
            })
        }
        NodeKind::ExportFiles(e) => json!({
            "name": n.name,
            "type": "export_files",
            "dir": e.dir,
            "includeKey": e.include_key,
        }),
    }
}

fn trigger_json(t: &Trigger) -> Value {
    json!({
        "on": t.on.iter().map(|e| <&'static str>::from(*e)).collect::<Vec<_>>(),
        "certificates": t.certificates,
        "names": t.names,
    })
}

fn reference_json(r: &NodeReference) -> Value {
    json!({
        "node": r.node,
        "field": r.field,
        "name": r.reference.name,
        "refField": r.reference.field,
        "offset": r.reference.offset,
    })
}

fn issue_json(i: &WorkflowIssue) -> Value {
    json!({ "node": i.node, "field": i.field, "offset": i.offset, "message": i.message })
}

/// `WorkflowMeta` JSON.
pub fn meta(w: &WorkflowMeta) -> Value {
    json!({
        "id": w.id,
        "name": w.draft.name,
        "trigger": trigger_json(&w.draft.trigger),
        "nodes": w.draft.nodes.iter().map(node_json).collect::<Vec<_>>(),
        "enabled": w.draft.enabled,
        "references": w.references.iter().map(reference_json).collect::<Vec<_>>(),
        "createdAt": w.created_at,
        "updatedAt": w.updated_at,
    })
}

/// `workflow_validate`'s result.
pub fn check(c: &WorkflowCheck) -> Value {
    json!({
        "references": c.references.iter().map(reference_json).collect::<Vec<_>>(),
        "errors": c.errors.iter().map(issue_json).collect::<Vec<_>>(),
    })
}

/// A run.
pub fn run(r: &WorkflowRun) -> Value {
    json!({
        "id": r.id,
        "workflowId": r.workflow_id,
        "certificateId": r.certificate_id,
        "cause": <&'static str>::from(r.cause),
        "success": r.success,
        "nodes": r.nodes.iter().map(|n| json!({
            "name": n.name,
            "status": <&'static str>::from(n.status),
            "httpStatus": n.http_status,
            "durationMs": n.duration_ms,
            "error": n.error,
        })).collect::<Vec<_>>(),
        "secretDecrypts": r.secret_decrypts,
        "startedAt": r.started_at,
    })
}

/// `workflow_progress` data.
pub fn progress(p: &WorkflowProgress) -> Value {
    json!({ "node": p.node, "status": <&'static str>::from(p.status), "detail": p.detail })
}
