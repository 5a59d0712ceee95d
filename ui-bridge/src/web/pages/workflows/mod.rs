//! Settings → Workflows: what runs after a certificate is issued or
//! renewed. The list (name, trigger, enabled, steps, last run), the add and
//! edit form ([`form`]), a workflow's page (its steps, the secret
//! references it holds, Run now against a certificate, past runs newest
//! first), the page of a run started here (each step's progress live, then
//! the result; rendered on the server from what the run has seen, so it
//! works without JavaScript), and the delete confirmation.
//!
//! Node texts are templates holding `{{secrets.name.field}}` references;
//! values exist only inside a run, in the core, and never reach a page.

pub mod form;
pub mod problems;

use maud::{html, Markup};
use shared::protocol::acme::{CertificateMeta, CertificateStatus};
use shared::protocol::workflow::{
    NodeKind, NodeResult, NodeStatus, RunCause, Trigger, TriggerEvent, WorkflowMeta, WorkflowRun,
};

use super::certificates::cert_title;
use super::{csrf_input, page, select, Chrome};
use crate::web::sse::WorkflowLog;
use crate::web::when;

/// A workflow with its latest run (for the list).
pub struct Listed<'a> {
    /// The workflow.
    pub workflow: &'a WorkflowMeta,
    /// Its latest run, if any.
    pub last: Option<&'a WorkflowRun>,
}

fn trigger_text(t: &Trigger) -> String {
    if t.on.is_empty() {
        return "only when run by hand".into();
    }
    let on: Vec<&str> =
        t.on.iter()
            .map(|e| match e {
                TriggerEvent::Issued => "issuance",
                TriggerEvent::Renewed => "renewal",
            })
            .collect();
    let mut s = format!("after {}", on.join(" or "));
    if let Some(n) = t.names.as_ref().filter(|n| !n.is_empty()) {
        s.push_str(&format!(" of names ending in {}", n.join(", ")));
    }
    if let Some(c) = t.certificates.as_ref().filter(|c| !c.is_empty()) {
        s.push_str(&format!(" ({} certificate(s) only)", c.len()));
    }
    s
}

fn status_str(s: NodeStatus) -> &'static str {
    s.into()
}

fn cause_label(c: RunCause) -> &'static str {
    match c {
        RunCause::Manual => "run now",
        RunCause::Issued => "after issuance",
        RunCause::Renewed => "after renewal",
    }
}

fn run_badge(r: &WorkflowRun) -> Markup {
    if r.success {
        html! { span.badge.ok data-run-status="succeeded" { "succeeded" } }
    } else {
        html! { span.badge.bad data-run-status="failed" { "failed" } }
    }
}

/// The list page.
pub fn list(chrome: &Chrome<'_>, rows: &[Listed<'_>], next: Option<&str>) -> Markup {
    page(
        "Workflows",
        chrome,
        html! {
            div.page-head {
                h1 { "Workflows" }
                a.button href="/workflows/new" { "Add workflow" }
            }
            @if rows.is_empty() {
                div.card.empty #empty {
                    p { strong { "No workflows yet." } " A workflow runs after a certificate is issued or renewed: it writes the files where a server reads them, or tells a service over HTTP (with an API key kept in the vault as {{secrets.NAME.FIELD}})." }
                    p { a.button href="/workflows/new" { "Add your first workflow" } }
                }
            } @else {
                table.list #workflows {
                    caption.muted.small { (rows.len()) " workflow(s), run in this order after a certificate changes." }
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Trigger" } th scope="col" { "Enabled" }
                        th scope="col" { "Steps" } th scope="col" { "Last run" } th scope="col" { "Actions" }
                    } }
                    tbody {
                        @for r in rows {
                            @let w = r.workflow;
                            tr data-workflow=(w.id) data-name=(w.draft.name) {
                                td data-label="Name" { div { a href={"/workflows/" (w.id)} { strong { (w.draft.name) } } br; span.mono.small.muted { (w.id) } } }
                                td data-label="Trigger" { span.small { (trigger_text(&w.draft.trigger)) } }
                                td data-label="Enabled" data-enabled=(if w.draft.enabled { "true" } else { "false" }) {
                                    @if w.draft.enabled { span.badge.ok { "enabled" } } @else { span.badge.warn { "disabled" } }
                                }
                                td data-label="Steps" data-steps=(w.draft.nodes.len()) { (w.draft.nodes.len()) }
                                td data-label="Last run" {
                                    @match r.last {
                                        Some(run) => div { (run_badge(run)) " " span.small { (when::time(&run.started_at)) } },
                                        None => span.muted { "never" },
                                    }
                                }
                                td data-label="Actions" {
                                    div.row-actions {
                                        a.button.secondary.small href={"/workflows/" (w.id)} aria-label={"Open " (w.draft.name)} { "Open" }
                                        a.button.secondary.small href={"/workflows/" (w.id) "/edit"} aria-label={"Edit " (w.draft.name)} { "Edit" }
                                        a.button.secondary.small href={"/workflows/" (w.id) "/delete"} aria-label={"Delete " (w.draft.name)} { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(n) = next {
                    p { a href={"/workflows?after=" (n)} { "Next page" } }
                }
            }
        },
    )
}

fn node_summary(kind: &NodeKind) -> Markup {
    match kind {
        NodeKind::HttpRequest(h) => html! {
            span.mono.small { (<&'static str>::from(h.method)) " " (h.url) }
            @if !h.headers.is_empty() {
                br; span.small.muted { "headers: " (h.headers.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", ")) }
            }
        },
        NodeKind::ExportFiles(e) => html! {
            span.mono.small { (e.dir) }
            @if e.include_key { " " span.small.muted { "(with the private key)" } }
        },
    }
}

/// What a node does, in a few words (the run page's pending line).
pub fn node_what(kind: &NodeKind) -> String {
    match kind {
        NodeKind::HttpRequest(h) => format!("{} {}", <&'static str>::from(h.method), h.url),
        NodeKind::ExportFiles(e) => format!("files to {}", e.dir),
    }
}

fn node_type_label(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::HttpRequest(_) => "HTTP request",
        NodeKind::ExportFiles(_) => "Export files",
    }
}

/// One run's per-node outcomes.
pub fn run_nodes(r: &WorkflowRun) -> Markup {
    html! {
        table.list.run-nodes {
            caption.muted.small { "Each step's outcome" }
            thead { tr { th scope="col" { "Step" } th scope="col" { "Status" } th scope="col" { "HTTP status" } th scope="col" { "Duration" } th scope="col" { "Error" } } }
            tbody {
                @for n in &r.nodes { (node_row(n)) }
            }
        }
    }
}

fn node_row(n: &NodeResult) -> Markup {
    html! {
        tr data-node=(n.name) data-status=(status_str(n.status)) {
            td data-label="Step" { strong { (n.name) } }
            td data-label="Status" { span class={"status " (status_str(n.status))} { (status_str(n.status)) } }
            td data-label="HTTP status" data-http-status=[n.http_status] { @match n.http_status { Some(s) => (s), None => span.muted { "—" } } }
            td data-label="Duration" { (n.duration_ms) " ms" }
            td data-label="Error" { @match &n.error { Some(e) => span.small data-node-error { (e) }, None => span.muted { "—" } } }
        }
    }
}

fn cert_options(certs: &[CertificateMeta]) -> Vec<(String, String)> {
    certs
        .iter()
        .filter(|c| c.status == CertificateStatus::Valid && c.replaced_by.is_none())
        .map(|c| (c.id.clone(), format!("{} · {}", cert_title(c), c.id)))
        .collect()
}

/// A workflow's page: its steps, Run now, past runs.
pub fn details(
    chrome: &Chrome<'_>,
    w: &WorkflowMeta,
    certs: &[CertificateMeta],
    runs: &[WorkflowRun],
    next: Option<&str>,
) -> Markup {
    let options = cert_options(certs);
    let opts: Vec<(&str, &str)> = options
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let title = format!("Workflow {}", w.draft.name);
    page(
        &title,
        chrome,
        html! {
            div.page-head {
                h1 { "Workflow " (w.draft.name) }
                div.row-actions {
                    a.button.secondary href={"/workflows/" (w.id) "/edit"} { "Edit" }
                    a.button.danger href={"/workflows/" (w.id) "/delete"} { "Delete…" }
                }
            }
            section.card #workflow-details aria-labelledby="h-wf" data-workflow=(w.id) {
                h2 #h-wf { "Configuration" }
                dl.kv {
                    dt { "Id" } dd.mono { (w.id) }
                    dt { "Trigger" } dd { (trigger_text(&w.draft.trigger)) }
                    dt { "Enabled" } dd { @if w.draft.enabled { "yes" } @else { "no: runs only with Run now" } }
                    dt { "Updated" } dd { (when::time(&w.updated_at)) }
                    dt { "Secret references" } dd data-references {
                        @if w.references.is_empty() { span.muted { "none" } }
                        @else {
                            ul.tags { @for r in &w.references { li.mono { "{{secrets." (r.reference.name) "." (r.reference.field) "}}" " in " (r.node) " " (r.field) } } }
                        }
                    }
                }
                h3 { "Steps" }
                ol.node-list {
                    @for n in &w.draft.nodes {
                        li data-node=(n.name) { strong { (n.name) } " · " (node_type_label(&n.kind)) br; (node_summary(&n.kind)) }
                    }
                }
            }
            section.card #run-now aria-labelledby="h-run-now" {
                h2 #h-run-now { "Run now" }
                @if options.is_empty() {
                    p { "No valid certificate to run it for yet. " a href="/certificates/new" { "Issue a certificate" } " first." }
                } @else {
                    form.stack method="post" action={"/workflows/" (w.id) "/run"} {
                        (csrf_input(chrome.csrf))
                        (select("r-cert", "certificateId", "Certificate", &opts, None, None))
                        p.hint.small { "Runs every step now for this certificate, whatever the trigger says, and shows each step as it goes." }
                        div.actions { button type="submit" { "Run now" } }
                    }
                }
            }
            section #runs aria-labelledby="h-runs" {
                h2 #h-runs { "Past runs" }
                @if runs.is_empty() {
                    p.card.empty { "No runs yet." }
                }
                @for r in runs {
                    article.card.run data-run=(r.id) data-success=(if r.success { "true" } else { "false" }) {
                        p.run-head {
                            (run_badge(r)) " "
                            strong { (when::time(&r.started_at)) } " · " (cause_label(r.cause)) " · certificate "
                            a.mono.small href={"/certificates/" (r.certificate_id)} { (r.certificate_id) }
                            " · " span.small.muted { (r.secret_decrypts) " secret(s) decrypted" }
                        }
                        (run_nodes(r))
                    }
                }
                @if let Some(n) = next {
                    p { a href={"/workflows/" (w.id) "?after=" (n) "#runs"} { "Older runs" } }
                }
            }
            p { a href="/workflows" { "Back to workflows" } }
        },
    )
}

fn steps(log: &WorkflowLog) -> Markup {
    let last = |name: &str| log.events.iter().rev().find(|e| e.node == name);
    html! {
    ol.steps.workflow-steps {
        @for n in &log.nodes {
            @let e = last(&n.name);
            @let status = e.map(|e| status_str(e.status)).unwrap_or("pending");
            @let detail = e.map(|e| e.detail.as_str()).filter(|d| !d.is_empty()).unwrap_or(&n.what);
            li data-step=(n.name) data-status=(status) {
                span.step { (n.name) }
                span class={"status " (status)} { (status) }
                span.detail.muted.small { (detail) }
            }
        }
    }
    }
}

/// The section showing a run started here (re-rendered in place by the script).
pub fn run_section(run: u64, log: &WorkflowLog) -> Markup {
    let done = log.outcome.is_some();
    let events = format!("/workflows/{}/runs/{run}/events", log.workflow_id);
    let last = |name: &str| log.events.iter().rev().find(|e| e.node == name);
    let finished = log
        .nodes
        .iter()
        .filter(|n| last(&n.name).is_some_and(|e| e.status != NodeStatus::Running))
        .count();
    html! {
        section.card #workflow-run data-workflow-run=(run) data-events=(events) data-done=(if done { "true" } else { "false" })
            aria-labelledby="h-run" {
            h2 #h-run { @if done { "Run finished" } @else { "Running…" } }
            p { "Certificate " a.mono href={"/certificates/" (log.certificate_id)} { (log.certificate_id) } }
            @if !done {
                progress #run-progress max=(log.nodes.len()) value=(finished) aria-label="Workflow progress" {}
            }
            // Once the run has answered, its table says it all (skipped
            // steps included, which send no progress).
            @if !matches!(log.outcome, Some(Ok(_))) {
                (steps(log))
            }
            div #run-live.small.muted role="status" aria-live="polite" data-live {}
            @match &log.outcome {
                None => noscript { p.small.muted { "This page reloads itself every few seconds until the run ends." } },
                Some(Ok(r)) => {
                    @if r.success {
                        div.outcome.notice.info data-outcome="success" tabindex="-1" {
                            p.result.success { "Every step succeeded." }
                        }
                    } @else {
                        div.outcome.notice.error data-outcome="failure" tabindex="-1" {
                            p.result.failure { "The run failed: "
                                (r.nodes.iter().find(|n| n.status == NodeStatus::Failed).and_then(|n| n.error.clone()).unwrap_or_else(|| "a step failed".into())) }
                        }
                    }
                    (run_nodes(r))
                    p { a href={"/workflows/" (log.workflow_id) "#runs"} { "All runs of this workflow" } }
                }
                Some(Err(e)) => {
                    div.outcome.notice.error data-outcome="error" tabindex="-1" role="alert" {
                        p.result.failure { "Not run: " (e.message) }
                    }
                }
            }
        }
    }
}

/// The page of a run started here.
pub fn run_page(chrome: &Chrome<'_>, run: u64, log: &WorkflowLog) -> Markup {
    let title = format!("Running {}", log.workflow_name);
    page(
        &title,
        chrome,
        html! {
            h1 { "Run workflow " (log.workflow_name) }
            (run_section(run, log))
            p { a href={"/workflows/" (log.workflow_id)} { "Back to the workflow" } }
        },
    )
}

/// The delete confirmation.
pub fn confirm_delete(chrome: &Chrome<'_>, w: &WorkflowMeta) -> Markup {
    page(
        "Delete workflow",
        chrome,
        html! {
            h1 { "Delete workflow " (w.draft.name) "?" }
            p { "The workflow " strong { (w.draft.name) } " (" span.mono { (w.id) } ") and the record of its runs are deleted. Certificates and secrets stay as they are. This cannot be undone." }
            form.actions method="post" action={"/workflows/" (w.id) "/delete"} {
                (csrf_input(chrome.csrf))
                button.danger type="submit" { "Delete workflow" }
                a.button.secondary href={"/workflows/" (w.id)} { "Cancel" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::sse::LoggedNode;
    use shared::protocol::workflow::WorkflowProgress;

    fn node(name: &str, status: NodeStatus, error: Option<&str>) -> NodeResult {
        NodeResult {
            name: name.into(),
            status,
            http_status: (status != NodeStatus::Skipped).then_some(200),
            duration_ms: 5,
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn a_run_shows_live_steps_then_each_steps_outcome() {
        let mut log = WorkflowLog {
            workflow_id: "wf_1".into(),
            workflow_name: "w".into(),
            certificate_id: "cert_1".into(),
            nodes: ["a", "b"]
                .map(|n| LoggedNode {
                    name: n.into(),
                    what: format!("POST https://{n}.example/"),
                })
                .to_vec(),
            events: vec![WorkflowProgress {
                node: "a".into(),
                status: NodeStatus::Running,
                detail: "POST".into(),
            }],
            outcome: None,
        };
        let running = run_section(7, &log).into_string();
        assert!(running.contains("data-done=\"false\""));
        assert!(running.contains("data-step=\"a\" data-status=\"running\""));
        assert!(running.contains("data-step=\"b\" data-status=\"pending\""));
        assert!(running.contains("POST https://b.example/"));
        assert!(running.contains("/workflows/wf_1/runs/7/events"));
        log.outcome = Some(Ok(WorkflowRun {
            id: "wfr_1".into(),
            workflow_id: "wf_1".into(),
            certificate_id: "cert_1".into(),
            cause: RunCause::Manual,
            success: false,
            nodes: vec![
                node("a", NodeStatus::Failed, Some("HTTP 500")),
                node("b", NodeStatus::Skipped, None),
            ],
            secret_decrypts: 1,
            started_at: "2026-01-01T00:00:00Z".into(),
        }));
        let done = run_section(7, &log).into_string();
        assert!(done.contains("data-outcome=\"failure\""));
        assert!(done.contains("The run failed: HTTP 500"));
        assert!(done.contains("data-node=\"b\" data-status=\"skipped\""));
        assert!(
            !done.contains("data-step="),
            "the live list stays after the answer"
        );
    }
}
