//! The workflow form → `workflow_create` / `workflow_update` /
//! `workflow_validate` drafts.
//!
//! The form is kept as typed ([`WorkflowForm`], every value a string) so a
//! form shown again after an error, or after a node was added or removed,
//! holds exactly what was typed, invalid numbers included. Inputs are named
//! per node, `n<i>.<field>` (`n0.url`, `n1.dir`), header rows
//! `n<i>.h<j>.name` / `n<i>.h<j>.value`. Node texts hold
//! `{{secrets.name.field}}` *references*, never values, so nothing here is
//! a secret. The submit button says what to do ([`FormAction`]): save,
//! check, or change the list of nodes and headers (rendered again, nothing
//! saved).

use std::str::FromStr;

use shared::protocol::workflow::{
    ExportFilesNode, Header, HttpMethod, HttpRequestNode, Node, NodeKind, Trigger, TriggerEvent,
    WorkflowDraft, WorkflowIssue, WorkflowMeta,
};

use super::{split_list, FormData};

/// Most nodes a form carries (the core allows 20).
pub const MAX_NODES: usize = 20;

/// Most header rows of one node (the core allows 32).
pub const MAX_HEADERS: usize = 32;

/// Name of the field of the submit buttons.
pub const ACTION_FIELD: &str = "_action";

/// The node types, a closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// `http_request`.
    HttpRequest,
    /// `export_files`.
    ExportFiles,
}

impl NodeType {
    /// Every type, in the order offered.
    pub const ALL: [NodeType; 2] = [NodeType::HttpRequest, NodeType::ExportFiles];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeType::HttpRequest => "http_request",
            NodeType::ExportFiles => "export_files",
        }
    }

    /// People-facing name.
    pub fn label(self) -> &'static str {
        match self {
            NodeType::HttpRequest => "HTTP request",
            NodeType::ExportFiles => "Export files",
        }
    }

    /// The type named `v`.
    pub fn parse(v: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == v)
    }
}

/// One node as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeForm {
    /// Its type.
    pub node_type: NodeType,
    /// Node name.
    pub name: String,
    /// `http_request`: method.
    pub method: String,
    /// `http_request`: URL template.
    pub url: String,
    /// `http_request`: header rows (name, value template).
    pub headers: Vec<(String, String)>,
    /// `http_request`: body template.
    pub body: String,
    /// `http_request`: expected status, as typed.
    pub expect_status: String,
    /// `http_request`: timeout in seconds, as typed.
    pub timeout_secs: String,
    /// `export_files`: directory.
    pub dir: String,
    /// `export_files`: write `privkey.pem` too.
    pub include_key: bool,
}

impl NodeForm {
    /// A new, empty node of type `t` named `name`.
    pub fn empty(t: NodeType, name: String) -> Self {
        Self {
            node_type: t,
            name,
            method: "POST".into(),
            url: String::new(),
            headers: Vec::new(),
            body: String::new(),
            expect_status: String::new(),
            timeout_secs: String::new(),
            dir: String::new(),
            include_key: false,
        }
    }
}

/// The workflow form as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowForm {
    /// Display name.
    pub name: String,
    /// Runs on its own after its trigger.
    pub enabled: bool,
    /// Trigger: after an issuance.
    pub on_issued: bool,
    /// Trigger: after a renewal.
    pub on_renewed: bool,
    /// Trigger: certificate ids, as typed.
    pub certificates: String,
    /// Trigger: name suffixes, as typed.
    pub names: String,
    /// The nodes, in order.
    pub nodes: Vec<NodeForm>,
}

impl Default for WorkflowForm {
    /// A new workflow: enabled, after issuance and renewal, one request.
    fn default() -> Self {
        Self {
            name: String::new(),
            enabled: true,
            on_issued: true,
            on_renewed: true,
            certificates: String::new(),
            names: String::new(),
            nodes: vec![NodeForm::empty(NodeType::HttpRequest, "notify".into())],
        }
    }
}

/// What a submit asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormAction {
    /// Save (create or update).
    Save,
    /// `workflow_validate`: check and list, save nothing.
    Check,
    /// Add a node of this type at the end.
    AddNode(NodeType),
    /// Remove node `i`.
    RemoveNode(usize),
    /// Move node `i` one place up.
    MoveUp(usize),
    /// Add a header row to node `i`.
    AddHeader(usize),
}

impl FormAction {
    /// The action of a posted form (a plain submit, e.g. Enter, saves).
    pub fn of(form: &FormData) -> Self {
        let v = form.text(ACTION_FIELD).unwrap_or("save");
        let (verb, arg) = v.split_once(':').unwrap_or((v, ""));
        let index = usize::from_str(arg).ok().filter(|i| *i < MAX_NODES);
        match (verb, index) {
            ("check", _) => Self::Check,
            ("add", _) => NodeType::parse(arg).map_or(Self::Save, Self::AddNode),
            ("remove", Some(i)) => Self::RemoveNode(i),
            ("up", Some(i)) => Self::MoveUp(i),
            ("header", Some(i)) => Self::AddHeader(i),
            _ => Self::Save,
        }
    }

    /// The value of the button that asks for it.
    pub fn value(self) -> String {
        match self {
            Self::Save => "save".into(),
            Self::Check => "check".into(),
            Self::AddNode(t) => format!("add:{}", t.as_str()),
            Self::RemoveNode(i) => format!("remove:{i}"),
            Self::MoveUp(i) => format!("up:{i}"),
            Self::AddHeader(i) => format!("header:{i}"),
        }
    }
}

/// Name of the input of node `i`'s `field`.
pub fn node_input(i: usize, field: &str) -> String {
    format!("n{i}.{field}")
}

/// Name of the input of node `i`'s header row `j` (`name` or `value`).
pub fn header_input(i: usize, j: usize, part: &str) -> String {
    format!("n{i}.h{j}.{part}")
}

fn text(form: &FormData, name: &str) -> String {
    form.text(name).unwrap_or_default().to_string()
}

/// The form as typed.
pub fn parse(form: &FormData) -> WorkflowForm {
    let mut nodes = Vec::new();
    for i in 0..MAX_NODES {
        let Some(node_type) = form.text(&node_input(i, "type")).and_then(NodeType::parse) else {
            break;
        };
        let mut headers = Vec::new();
        for j in 0..MAX_HEADERS {
            let (Some(n), v) = (
                form.text(&header_input(i, j, "name")),
                form.text(&header_input(i, j, "value")),
            ) else {
                break;
            };
            let v = v.unwrap_or_default();
            if !n.trim().is_empty() || !v.is_empty() {
                headers.push((n.trim().to_string(), v.to_string()));
            }
        }
        let t = |f: &str| text(form, &node_input(i, f));
        nodes.push(NodeForm {
            node_type,
            name: t("name").trim().to_string(),
            method: t("method"),
            url: t("url").trim().to_string(),
            headers,
            body: t("body"),
            expect_status: t("expectStatus").trim().to_string(),
            timeout_secs: t("timeoutSecs").trim().to_string(),
            dir: t("dir").trim().to_string(),
            include_key: form.text(&node_input(i, "includeKey")).is_some(),
        });
    }
    WorkflowForm {
        name: text(form, "name").trim().to_string(),
        enabled: form.text("enabled").is_some(),
        on_issued: form.text("on_issued").is_some(),
        on_renewed: form.text("on_renewed").is_some(),
        certificates: text(form, "trigger_certificates"),
        names: text(form, "trigger_names"),
        nodes,
    }
}

/// A name for a new node that no node has yet (`request-2`, `export-1`).
fn fresh_name(f: &WorkflowForm, t: NodeType) -> String {
    let base = match t {
        NodeType::HttpRequest => "request",
        NodeType::ExportFiles => "export",
    };
    (1..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !f.nodes.iter().any(|n| &n.name == c))
        .unwrap_or_else(|| base.to_string())
}

/// Applies an editing action (add, remove, move, add a header row); save
/// and check leave the form as it is. Returns the index of the node the
/// action concerns, for focus.
pub fn edit(f: &mut WorkflowForm, action: FormAction) -> Option<usize> {
    match action {
        FormAction::Save | FormAction::Check => None,
        FormAction::AddNode(t) => {
            if f.nodes.len() >= MAX_NODES {
                return None;
            }
            let name = fresh_name(f, t);
            f.nodes.push(NodeForm::empty(t, name));
            Some(f.nodes.len() - 1)
        }
        FormAction::RemoveNode(i) => {
            if i < f.nodes.len() {
                f.nodes.remove(i);
            }
            None
        }
        FormAction::MoveUp(i) => {
            if i > 0 && i < f.nodes.len() {
                f.nodes.swap(i - 1, i);
                return Some(i - 1);
            }
            None
        }
        FormAction::AddHeader(i) => {
            let n = f.nodes.get_mut(i)?;
            if n.headers.len() < MAX_HEADERS {
                n.headers.push((String::new(), String::new()));
            }
            Some(i)
        }
    }
}

fn issue(node: &str, field: &str, message: &str) -> WorkflowIssue {
    WorkflowIssue {
        node: Some(node.to_string()),
        field: field.to_string(),
        offset: None,
        message: message.to_string(),
    }
}

/// An optional list: `None` when blank.
fn list(text: &str) -> Option<Vec<String>> {
    let l = split_list(text);
    (!l.is_empty()).then_some(l)
}

/// The typed draft, or the problems the form itself can see (numbers that
/// are not numbers, an unknown method), each at its node and field.
pub fn draft(f: &WorkflowForm) -> Result<WorkflowDraft, Vec<WorkflowIssue>> {
    let mut issues = Vec::new();
    let mut nodes = Vec::new();
    for n in &f.nodes {
        let kind = match n.node_type {
            NodeType::HttpRequest => {
                let method = HttpMethod::from_str(&n.method.to_ascii_uppercase());
                if method.is_err() {
                    issues.push(issue(
                        &n.name,
                        "method",
                        "choose GET, POST, PUT, PATCH or DELETE",
                    ));
                }
                let expect_status = match n.expect_status.as_str() {
                    "" => None,
                    s => match s.parse::<u16>() {
                        Ok(v) => Some(v),
                        Err(_) => {
                            issues.push(issue(
                                &n.name,
                                "expectStatus",
                                "an HTTP status (100 to 599), or blank for any 2xx",
                            ));
                            None
                        }
                    },
                };
                let timeout_secs = match n.timeout_secs.as_str() {
                    "" => None,
                    s => match s.parse::<u64>() {
                        Ok(v) => Some(v),
                        Err(_) => {
                            issues.push(issue(
                                &n.name,
                                "timeoutSecs",
                                "a number of seconds (1 to 300), or blank for 30",
                            ));
                            None
                        }
                    },
                };
                NodeKind::HttpRequest(HttpRequestNode {
                    method: method.unwrap_or(HttpMethod::Post),
                    url: n.url.clone(),
                    headers: n
                        .headers
                        .iter()
                        .map(|(name, value)| Header {
                            name: name.clone(),
                            value: value.clone(),
                        })
                        .collect(),
                    body: (!n.body.is_empty()).then(|| n.body.clone()),
                    expect_status,
                    timeout_secs,
                })
            }
            NodeType::ExportFiles => NodeKind::ExportFiles(ExportFilesNode {
                dir: n.dir.clone(),
                include_key: n.include_key,
            }),
        };
        nodes.push(Node {
            name: n.name.clone(),
            kind,
        });
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let mut on = Vec::new();
    if f.on_issued {
        on.push(TriggerEvent::Issued);
    }
    if f.on_renewed {
        on.push(TriggerEvent::Renewed);
    }
    Ok(WorkflowDraft {
        name: f.name.clone(),
        trigger: Trigger {
            on,
            certificates: list(&f.certificates),
            names: list(&f.names),
        },
        nodes,
        enabled: f.enabled,
    })
}

/// The form of a stored workflow (the edit page).
pub fn of(w: &WorkflowMeta) -> WorkflowForm {
    let d = &w.draft;
    WorkflowForm {
        name: d.name.clone(),
        enabled: d.enabled,
        on_issued: d.trigger.on.contains(&TriggerEvent::Issued),
        on_renewed: d.trigger.on.contains(&TriggerEvent::Renewed),
        certificates: d
            .trigger
            .certificates
            .clone()
            .unwrap_or_default()
            .join(", "),
        names: d.trigger.names.clone().unwrap_or_default().join(", "),
        nodes: d
            .nodes
            .iter()
            .map(|n| match &n.kind {
                NodeKind::HttpRequest(h) => NodeForm {
                    method: <&'static str>::from(h.method).to_string(),
                    url: h.url.clone(),
                    headers: h
                        .headers
                        .iter()
                        .map(|hd| (hd.name.clone(), hd.value.clone()))
                        .collect(),
                    body: h.body.clone().unwrap_or_default(),
                    expect_status: h.expect_status.map(|s| s.to_string()).unwrap_or_default(),
                    timeout_secs: h.timeout_secs.map(|s| s.to_string()).unwrap_or_default(),
                    ..NodeForm::empty(NodeType::HttpRequest, n.name.clone())
                },
                NodeKind::ExportFiles(e) => NodeForm {
                    dir: e.dir.clone(),
                    include_key: e.include_key,
                    ..NodeForm::empty(NodeType::ExportFiles, n.name.clone())
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> FormData {
        FormData::parse(body.as_bytes())
    }

    #[test]
    fn parses_nodes_headers_and_trigger() {
        let f = parse(&form(
            "name=Deploy&enabled=1&on_issued=1&trigger_names=example.com,+example.org\
             &n0.type=http_request&n0.name=hook&n0.method=PUT&n0.url=https%3A%2F%2Fa.example%2F\
             &n0.h0.name=Authorization&n0.h0.value=Bearer+%7B%7Bsecrets.cdn.value%7D%7D\
             &n0.h1.name=&n0.h1.value=&n0.body=x&n0.expectStatus=204&n0.timeoutSecs=\
             &n1.type=export_files&n1.name=files&n1.dir=%2Fsrv%2Ftls&n1.includeKey=1\
             &n2.name=ignored",
        ));
        assert_eq!(f.nodes.len(), 2);
        assert_eq!(
            f.nodes[0].headers,
            vec![(
                "Authorization".to_string(),
                "Bearer {{secrets.cdn.value}}".to_string()
            )]
        );
        let d = draft(&f).unwrap();
        assert_eq!(d.trigger.on, vec![TriggerEvent::Issued]);
        assert_eq!(
            d.trigger.names,
            Some(vec!["example.com".into(), "example.org".into()])
        );
        assert!(d.trigger.certificates.is_none());
        match &d.nodes[0].kind {
            NodeKind::HttpRequest(h) => {
                assert_eq!(h.method, HttpMethod::Put);
                assert_eq!(h.expect_status, Some(204));
                assert_eq!(h.timeout_secs, None);
                assert_eq!(h.body.as_deref(), Some("x"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            d.nodes[1].kind,
            NodeKind::ExportFiles(ExportFilesNode {
                dir: "/srv/tls".into(),
                include_key: true
            })
        );
        // Round trip through a stored workflow.
        let meta = WorkflowMeta {
            id: "wf_x".into(),
            draft: d.clone(),
            references: vec![],
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert_eq!(draft(&of(&meta)).unwrap(), d);
    }

    #[test]
    fn bad_numbers_are_issues_at_their_node_and_field() {
        let f = parse(&form(
            "name=w&n0.type=http_request&n0.name=a&n0.method=POST&n0.url=u&n0.expectStatus=ok&n0.timeoutSecs=-1",
        ));
        let issues = draft(&f).unwrap_err();
        let at: Vec<(Option<&str>, &str)> = issues
            .iter()
            .map(|i| (i.node.as_deref(), i.field.as_str()))
            .collect();
        assert_eq!(
            at,
            vec![(Some("a"), "expectStatus"), (Some("a"), "timeoutSecs")]
        );
    }

    #[test]
    fn actions_edit_the_node_list() {
        let mut f = WorkflowForm::default();
        assert_eq!(
            edit(&mut f, FormAction::AddNode(NodeType::ExportFiles)),
            Some(1)
        );
        assert_eq!(f.nodes[1].name, "export-1");
        assert_eq!(edit(&mut f, FormAction::MoveUp(1)), Some(0));
        assert_eq!(f.nodes[0].node_type, NodeType::ExportFiles);
        edit(&mut f, FormAction::AddHeader(1));
        assert_eq!(f.nodes[1].headers.len(), 1);
        edit(&mut f, FormAction::RemoveNode(0));
        assert_eq!(f.nodes.len(), 1);
        edit(&mut f, FormAction::RemoveNode(7));
        assert_eq!(f.nodes.len(), 1);
        for a in [
            FormAction::Save,
            FormAction::Check,
            FormAction::AddNode(NodeType::HttpRequest),
            FormAction::RemoveNode(3),
            FormAction::MoveUp(2),
            FormAction::AddHeader(0),
        ] {
            let body = format!("{ACTION_FIELD}={}", a.value().replace(':', "%3A"));
            assert_eq!(FormAction::of(&form(&body)), a);
        }
        assert_eq!(FormAction::of(&form("")), FormAction::Save);
        assert_eq!(
            FormAction::of(&form("_action=remove%3A99")),
            FormAction::Save
        );
    }
}
