//! The workflow form: name, trigger, and the nodes in order, each with
//! only its type's inputs. A problem the core found is shown at its node
//! and field; when it is at an offset of a template, the message says
//! where ("at character 14: …") and a copy of the text marks the spot with
//! a caret, since a byte offset means nothing to a person.

use maud::{html, Markup};
use shared::error::WireError;
use shared::protocol::workflow::{NodeReference, WorkflowCheck, WorkflowIssue};

use super::super::{csrf_input, form_error, page, Chrome};
use super::problems::{at, described, problem, problems, Problem};
use crate::web::forms::workflows::{
    header_input, node_input, FormAction, NodeForm, NodeType, WorkflowForm, ACTION_FIELD, MAX_NODES,
};

/// Which form this is.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    /// A new workflow.
    New,
    /// Editing workflow `id`.
    Edit(&'a str),
}

/// What the form shows besides the values typed.
#[derive(Default)]
pub struct Shown<'a> {
    /// Problems, each placed at its node and field.
    pub issues: &'a [WorkflowIssue],
    /// An error that is not about one field (the core unavailable, …).
    pub error: Option<&'a WireError>,
    /// A `workflow_validate` answer to list (the Check button).
    pub check: Option<&'a WorkflowCheck>,
    /// The node the last edit concerned (focus goes there).
    pub focus: Option<usize>,
}

/// Kinds of input the form uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Line,
    Lines,
    Number,
}

/// One labelled input with its hint and problems.
struct In<'a> {
    id: &'a str,
    name: &'a str,
    key: &'a str,
    label: &'a str,
    value: &'a str,
    hint: &'a str,
    kind: Kind,
    required: bool,
}

impl In<'_> {
    fn render(&self, list: &[Problem]) -> Markup {
        let d = described(self.id, !self.hint.is_empty(), list.len());
        let invalid = (!list.is_empty()).then_some("true");
        html! {
            div.field data-field=(self.key) {
                label for=(self.id) { (self.label) @if !self.required { span.muted.small { " (optional)" } } }
                @match self.kind {
                    Kind::Lines => textarea.plain id=(self.id) name=(self.name) rows="4" autocomplete="off" spellcheck="false"
                        aria-describedby=[d.as_deref()] aria-invalid=[invalid] autofocus[invalid.is_some()] { (self.value) },
                    Kind::Number => input.short type="text" inputmode="numeric" id=(self.id) name=(self.name) value=(self.value)
                        autocomplete="off" aria-describedby=[d.as_deref()] aria-invalid=[invalid] autofocus[invalid.is_some()];,
                    Kind::Line => input type="text" id=(self.id) name=(self.name) value=(self.value)
                        required[self.required] autocomplete="off" spellcheck="false"
                        aria-describedby=[d.as_deref()] aria-invalid=[invalid] autofocus[invalid.is_some()];,
                }
                @if !self.hint.is_empty() { p.hint id={(self.id) "-hint"} { (self.hint) } }
                (problems(self.id, self.key, list))
            }
        }
    }
}

fn check(id: &str, name: &str, label: &str, checked: bool) -> Markup {
    html! {
        div.field.check data-field=(name) {
            div.inline {
                input type="checkbox" id=(id) name=(name) value="1" checked[checked];
                label for=(id) { (label) }
            }
        }
    }
}

fn action_button(action: FormAction, text: &str, aria: Option<&str>, class: &str) -> Markup {
    html! {
        button class=(class) type="submit" name=(ACTION_FIELD) value=(action.value()) aria-label=[aria] formnovalidate { (text) }
    }
}

const URL_HINT: &str = "http:// or https://. The scheme and host are literal; the path and query may use {{secrets.NAME.FIELD}} and {{certificate.id}}, …";
const TEXT_HINT: &str = "May use {{secrets.NAME.FIELD}} (the secret's allowed hosts must include the URL's host) and the certificate's public fields: {{certificate.fullchainPem}}, certPem, chainPem, names, notAfter, id.";

fn http_inputs(i: usize, n: &NodeForm, issues: &[WorkflowIssue]) -> Markup {
    let node = Some(n.name.as_str());
    let list = |field: &str, text: Option<&str>| -> Vec<Problem> {
        at(issues, node, field).map(|x| problem(x, text)).collect()
    };
    let id = |f: &str| format!("n{i}-{f}");
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let method_problems = list("method", None);
    let header_group = list("headers", None);
    let mut rows: Vec<(String, String)> = n.headers.clone();
    if rows.is_empty() {
        rows.push((String::new(), String::new()));
    }
    html! {
        div.node-grid {
            div.field data-field="method" {
                label for=(id("method")) { "Method" }
                select id=(id("method")) name=(node_input(i, "method"))
                    aria-describedby=[described(&id("method"), false, method_problems.len())]
                    aria-invalid=[(!method_problems.is_empty()).then_some("true")] autofocus[!method_problems.is_empty()] {
                    @for m in methods { option value=(m) selected[n.method.eq_ignore_ascii_case(m)] { (m) } }
                }
                (problems(&id("method"), "method", &method_problems))
            }
            (In { id: &id("url"), name: &node_input(i, "url"), key: "url", label: "URL", value: &n.url,
                  hint: URL_HINT, kind: Kind::Line, required: true }.render(&list("url", Some(&n.url))))
        }
        fieldset.headers data-field="headers" {
            legend { "Headers" }
            @for (j, (hn, hv)) in rows.iter().enumerate() {
                @let key = format!("headers.{hn}");
                @let hp: Vec<Problem> = if hn.is_empty() { Vec::new() } else { list(&key, Some(hv)) };
                div.header-row data-header=(hn) {
                    (In { id: &format!("n{i}-h{j}-name"), name: &header_input(i, j, "name"), key: &format!("{key}.name"),
                          label: "Header name", value: hn, hint: "", kind: Kind::Line, required: false }.render(&[]))
                    (In { id: &format!("n{i}-h{j}-value"), name: &header_input(i, j, "value"), key: &key,
                          label: "Header value", value: hv, hint: "", kind: Kind::Line, required: false }.render(&hp))
                }
            }
            (problems(&id("headers"), "headers", &header_group))
            div.actions {
                (action_button(FormAction::AddHeader(i), "Add header", Some(&format!("Add header ({})", n.name)), "secondary small"))
            }
        }
        (In { id: &id("body"), name: &node_input(i, "body"), key: "body", label: "Body", value: &n.body,
              hint: TEXT_HINT, kind: Kind::Lines, required: false }.render(&list("body", Some(&n.body))))
        div.node-grid.numbers {
            (In { id: &id("expectStatus"), name: &node_input(i, "expectStatus"), key: "expectStatus", label: "Expected status",
                  value: &n.expect_status, hint: "Blank: any 2xx.", kind: Kind::Number, required: false }.render(&list("expectStatus", None)))
            (In { id: &id("timeoutSecs"), name: &node_input(i, "timeoutSecs"), key: "timeoutSecs", label: "Timeout (seconds)",
                  value: &n.timeout_secs, hint: "1 to 300; blank: 30.", kind: Kind::Number, required: false }.render(&list("timeoutSecs", None)))
        }
    }
}

fn export_inputs(i: usize, n: &NodeForm, issues: &[WorkflowIssue]) -> Markup {
    let node = Some(n.name.as_str());
    let dir: Vec<Problem> = at(issues, node, "dir").map(|x| problem(x, None)).collect();
    html! {
        (In { id: &format!("n{i}-dir"), name: &node_input(i, "dir"), key: "dir", label: "Directory", value: &n.dir,
              hint: "An absolute path. fullchain.pem, cert.pem and chain.pem are written there by the vault process, replacing what is there.",
              kind: Kind::Line, required: true }.render(&dir))
        (check(&format!("n{i}-includeKey"), &node_input(i, "includeKey"), "Also write the private key (privkey.pem, mode 0600; every key export is audited)", n.include_key))
    }
}

fn node_fieldset(i: usize, n: &NodeForm, count: usize, issues: &[WorkflowIssue]) -> Markup {
    let node = Some(n.name.as_str());
    let name_problems: Vec<Problem> = at(issues, node, "name").map(|x| problem(x, None)).collect();
    let has_error = issues.iter().any(|x| x.node.as_deref() == node);
    let title = if n.name.is_empty() {
        format!("node {}", i + 1)
    } else {
        n.name.clone()
    };
    html! {
        fieldset.node.card #{"node-" (i)} data-node=(n.name) data-node-type=(n.node_type.as_str())
            data-invalid=[has_error.then_some("true")] {
            legend { "Step " (i + 1) " · " (n.node_type.label()) }
            input type="hidden" name=(node_input(i, "type")) value=(n.node_type.as_str());
            (In { id: &format!("n{i}-name"), name: &node_input(i, "name"), key: "name", label: "Node name", value: &n.name,
                  hint: "Unique in this workflow; runs and errors name it.", kind: Kind::Line, required: true }.render(&name_problems))
            @match n.node_type {
                NodeType::HttpRequest => (http_inputs(i, n, issues)),
                NodeType::ExportFiles => (export_inputs(i, n, issues)),
            }
            div.actions.node-actions {
                @if i > 0 { (action_button(FormAction::MoveUp(i), "Move up", Some(&format!("Move up ({title})")), "secondary small")) }
                @if count > 1 { (action_button(FormAction::RemoveNode(i), "Remove step", Some(&format!("Remove step ({title})")), "secondary small")) }
            }
        }
    }
}

fn field_label(field: &str) -> String {
    match field {
        "name" => "name".into(),
        "url" => "URL".into(),
        "body" => "body".into(),
        "expectStatus" => "expected status".into(),
        "timeoutSecs" => "timeout".into(),
        "dir" => "directory".into(),
        "trigger.names" => "name suffixes".into(),
        "trigger.certificates" => "certificates".into(),
        f => match f.strip_prefix("headers.") {
            Some(h) => format!("header {h}"),
            None => f.to_string(),
        },
    }
}

/// Where an issue points in the form: the input's id and, for a node's
/// text, the text as typed (to turn its byte offset into a character).
fn anchor<'a>(f: &'a WorkflowForm, issue: &WorkflowIssue) -> Option<(String, Option<&'a str>)> {
    let Some(node) = &issue.node else {
        let id = match issue.field.as_str() {
            "name" => "wf-name",
            "trigger.names" => "wf-names",
            "trigger.certificates" => "wf-certificates",
            "nodes" => "nodes",
            _ => return None,
        };
        return Some((id.to_string(), None));
    };
    let i = f.nodes.iter().position(|n| &n.name == node)?;
    let n = &f.nodes[i];
    if let Some(h) = issue.field.strip_prefix("headers.") {
        let j = n.headers.iter().position(|(name, _)| name == h)?;
        return Some((format!("n{i}-h{j}-value"), Some(n.headers[j].1.as_str())));
    }
    let text = match issue.field.as_str() {
        "url" => Some(n.url.as_str()),
        "body" => Some(n.body.as_str()),
        _ => None,
    };
    Some((format!("n{i}-{}", issue.field), text))
}

/// The list of every problem at the top, each linked to its input.
fn summary(f: &WorkflowForm, issues: &[WorkflowIssue]) -> Markup {
    if issues.is_empty() {
        return html! {};
    }
    html! {
        div.notice.error #workflow-problems role="alert" tabindex="-1" data-form-error="validation" {
            p { strong { "The workflow was not saved: " (issues.len()) " problem(s)." } }
            ul {
                @for x in issues {
                    li data-issue-node=[x.node.as_deref()] data-issue-field=(x.field) data-issue-offset=[x.offset] {
                        @if let Some(n) = &x.node { "Step " strong { (n) } ", " }
                        @let place = anchor(f, x);
                        (field_label(&x.field)) @if x.offset.is_none() { ":" } " "
                        (problem(x, place.as_ref().and_then(|p| p.1)).message)
                        @if let Some((id, _)) = &place { " " a href={"#" (id)} { "Go to the field" } }
                    }
                }
            }
        }
    }
}

fn reference(r: &NodeReference) -> String {
    format!("{{{{secrets.{}.{}}}}}", r.reference.name, r.reference.field)
}

fn check_result(c: &WorkflowCheck) -> Markup {
    html! {
        section.card #check-result aria-labelledby="h-check" role="status"
            data-check=(if c.errors.is_empty() { "ok" } else { "problems" }) {
            h2 #h-check { "Check" }
            @if c.errors.is_empty() {
                p.result.success { "No problems: the workflow can be saved." }
            } @else {
                p.result.failure { (c.errors.len()) " problem(s), shown at their fields below. Nothing was saved." }
            }
            @if c.references.is_empty() {
                p.small.muted { "No secret references." }
            } @else {
                table.list #references {
                    caption.muted.small { "Secret references found (a run resolves exactly these, in the vault)" }
                    thead { tr { th scope="col" { "Step" } th scope="col" { "Field" } th scope="col" { "Reference" } th scope="col" { "At byte" } } }
                    tbody {
                        @for r in &c.references {
                            tr data-reference=(r.reference.name) {
                                td data-label="Step" { (r.node) }
                                td data-label="Field" { (field_label(&r.field)) }
                                td data-label="Reference" { code { (reference(r)) } }
                                td data-label="At byte" { (r.reference.offset) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The add or edit page.
pub fn form_page(
    chrome: &Chrome<'_>,
    mode: Mode<'_>,
    f: &WorkflowForm,
    shown: &Shown<'_>,
) -> Markup {
    let (title, action, cancel) = match mode {
        Mode::New => (
            "Add workflow".to_string(),
            "/workflows".to_string(),
            "/workflows".to_string(),
        ),
        Mode::Edit(id) => (
            format!("Edit workflow {}", f.name),
            format!("/workflows/{id}"),
            format!("/workflows/{id}"),
        ),
    };
    let issues = shown.issues;
    let wf = |field: &str, text: Option<&str>| -> Vec<Problem> {
        at(issues, None, field).map(|x| problem(x, text)).collect()
    };
    let nodes_problems = wf("nodes", None);
    page(
        &title,
        chrome,
        html! {
            h1 { (title) }
            (form_error(shown.error, &[]))
            (summary(f, issues))
            @if let Some(c) = shown.check { (check_result(c)) }
            form.stack.wide #workflow-form method="post" action=(action) novalidate
                data-focus-node=[shown.focus] {
                (csrf_input(chrome.csrf))
                // Enter in a text input submits with the first button: Save.
                button.default-submit type="submit" name=(ACTION_FIELD) value="save" tabindex="-1" aria-hidden="true" { "Save" }
                (In { id: "wf-name", name: "name", key: "name", label: "Name", value: &f.name,
                      hint: "What it does, e.g. “Reload the CDN”.", kind: Kind::Line, required: true }.render(&wf("name", None)))
                (check("wf-enabled", "enabled", "Enabled: runs on its own after its trigger (a disabled workflow runs only with “Run now”)", f.enabled))
                fieldset.trigger {
                    legend { "Trigger" }
                    fieldset.checks {
                        legend.small { "Runs after" }
                        (check("wf-on-issued", "on_issued", "a certificate is issued", f.on_issued))
                        (check("wf-on-renewed", "on_renewed", "a certificate is renewed", f.on_renewed))
                    }
                    (In { id: "wf-certificates", name: "trigger_certificates", key: "trigger.certificates", label: "Only these certificates",
                          value: &f.certificates, hint: "Certificate ids (cert_…) separated by commas; blank: any certificate.",
                          kind: Kind::Line, required: false }.render(&wf("trigger.certificates", None)))
                    (In { id: "wf-names", name: "trigger_names", key: "trigger.names", label: "Only names ending in",
                          value: &f.names, hint: "Domain suffixes separated by commas (whole labels: example.com matches www.example.com); blank: any name.",
                          kind: Kind::Line, required: false }.render(&wf("trigger.names", None)))
                }
                section #nodes aria-labelledby="h-nodes" tabindex="-1" {
                    h2 #h-nodes { "Steps, in order" }
                    p.hint.small { "Each step runs after the one before succeeded; a failed step stops the workflow (the certificate is never undone). No step runs a local command." }
                    (problems("nodes", "nodes", &nodes_problems))
                    @for (i, n) in f.nodes.iter().enumerate() {
                        (node_fieldset(i, n, f.nodes.len(), issues))
                    }
                    @if f.nodes.len() < MAX_NODES {
                        div.actions {
                            @for t in NodeType::ALL {
                                (action_button(FormAction::AddNode(t), &format!("Add step: {}", t.label()), None, "secondary"))
                            }
                        }
                    }
                }
                div.actions.form-end {
                    button type="submit" name=(ACTION_FIELD) value="save" { "Save workflow" }
                    (action_button(FormAction::Check, "Check references", None, "secondary"))
                    a.button.secondary href=(cancel) { "Cancel" }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::super::test_support::render;
    use super::*;

    #[test]
    fn a_problem_is_shown_at_its_node_and_field() {
        let mut f = WorkflowForm::default();
        f.nodes[0].url = "https://h.example/{{secrets.nope.value}}".into();
        let issues = vec![WorkflowIssue {
            node: Some("notify".into()),
            field: "url".into(),
            offset: Some(18),
            message: "secret `nope` does not exist".into(),
        }];
        let html = render(|c| {
            form_page(
                c,
                Mode::New,
                &f,
                &Shown {
                    issues: &issues,
                    ..Shown::default()
                },
            )
        });
        assert!(html.contains("at character 19: secret `nope` does not exist"));
        assert!(html.contains("id=\"n0-url\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("data-caret"));
        assert!(html.contains("href=\"#n0-url\""));
    }
}
