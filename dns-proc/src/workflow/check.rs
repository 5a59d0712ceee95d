//! The structural check of a workflow before it is saved: names, trigger,
//! each node's URL, headers, body, status and timeout, and every
//! `{{certificate.*}}` placeholder. Secret references are vault-proc's to
//! check (`template_validate`); this returns the texts that hold them, by
//! node and field, so the broker can have them checked.
//!
//! The save-time URL rules mirror the run-time ones vault-proc enforces
//! (`vault-proc/src/resolve.rs`): the scheme is http(s) and the authority is
//! literal, so a secret can never become (part of) the host.

use std::collections::HashSet;

use shared::protocol::workflow::{
    HttpRequestNode, NodeKind, WorkflowCheck, WorkflowDraft, WorkflowIssue,
};

use super::placeholders;

/// Most nodes in one workflow.
pub const MAX_NODES: usize = 20;
/// Most headers in one node.
pub const MAX_HEADERS: usize = 32;
/// Longest URL or header value template.
pub const MAX_TEXT: usize = 8 * 1024;
/// Longest body template.
pub const MAX_BODY: usize = 256 * 1024;
/// Longest node timeout.
pub const MAX_TIMEOUT_SECS: u64 = HttpRequestNode::MAX_TIMEOUT_SECS;
/// Most certificates or name suffixes in a trigger.
pub const MAX_TRIGGER_ITEMS: usize = 100;

/// `(node, field, text)`: a text that may hold secret references.
pub type Text = (String, String, String);

fn issue(
    node: Option<&str>,
    field: &str,
    offset: Option<usize>,
    message: impl Into<String>,
) -> WorkflowIssue {
    WorkflowIssue {
        node: node.map(str::to_string),
        field: field.to_string(),
        offset: offset.map(|o| o as u64),
        message: message.into(),
    }
}

fn name_ok(name: &str, max: usize) -> bool {
    !name.trim().is_empty() && name.chars().count() <= max && !name.chars().any(char::is_control)
}

/// The URL's problem, if any, with its byte offset.
fn url_problem(url: &str) -> Option<(Option<usize>, String)> {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Some((
            Some(0),
            "the URL must start with https:// or http://".into(),
        ));
    };
    let scheme_len = url.len() - rest.len();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if let Some(at) = rest[..end].find("{{") {
        return Some((
            Some(scheme_len + at),
            "the URL's host must be literal: no placeholder in the authority (secrets never go into a host name)".into(),
        ));
    }
    match url::Url::parse(&url[..scheme_len + end]) {
        Ok(u) if u.host_str().is_none_or(str::is_empty) => {
            Some((Some(scheme_len), "the URL has no host".into()))
        }
        Ok(u) if !u.username().is_empty() || u.password().is_some() => Some((
            Some(scheme_len),
            "credentials in the URL are refused; put them in a header".into(),
        )),
        Ok(_) => None,
        Err(e) => Some((
            Some(scheme_len),
            format!("the URL's host is not valid: {e}"),
        )),
    }
}

fn placeholders_problem(text: &str) -> Option<(usize, String)> {
    placeholders::parse(text)
        .err()
        .map(|e| (e.offset, e.to_string()))
}

/// Checks `draft`; returns the problems found and the texts to check for
/// secret references.
pub fn check(draft: &WorkflowDraft) -> (WorkflowCheck, Vec<Text>) {
    let mut errors = Vec::new();
    let mut texts = Vec::new();
    if !name_ok(&draft.name, 128) {
        errors.push(issue(
            None,
            "name",
            None,
            "a workflow needs a name of 1 to 128 characters",
        ));
    }
    if draft.nodes.is_empty() || draft.nodes.len() > MAX_NODES {
        errors.push(issue(
            None,
            "nodes",
            None,
            format!("a workflow has 1 to {MAX_NODES} nodes"),
        ));
    }
    if let Some(c) = &draft.trigger.certificates {
        if c.len() > MAX_TRIGGER_ITEMS
            || c.iter().any(|id| !id.starts_with("cert_") || id.len() > 64)
        {
            errors.push(issue(
                None,
                "trigger.certificates",
                None,
                "certificate ids (`cert_…`), at most 100",
            ));
        }
    }
    if let Some(n) = &draft.trigger.names {
        if n.len() > MAX_TRIGGER_ITEMS
            || n.iter().any(|s| {
                crate::providers::suffix::normalize_hostname(s.trim_start_matches("*.")).is_err()
            })
        {
            errors.push(issue(
                None,
                "trigger.names",
                None,
                "name suffixes (host names), at most 100",
            ));
        }
    }
    let mut seen = HashSet::new();
    for node in &draft.nodes {
        let n = Some(node.name.as_str());
        if !name_ok(&node.name, 64) {
            errors.push(issue(
                n,
                "name",
                None,
                "a node needs a name of 1 to 64 characters",
            ));
        } else if !seen.insert(node.name.clone()) {
            errors.push(issue(
                n,
                "name",
                None,
                "node names are unique within a workflow",
            ));
        }
        match &node.kind {
            NodeKind::HttpRequest(h) => {
                if h.url.len() > MAX_TEXT {
                    errors.push(issue(n, "url", None, format!("at most {MAX_TEXT} bytes")));
                } else if let Some((offset, m)) = url_problem(&h.url) {
                    errors.push(issue(n, "url", offset, m));
                } else if let Some((offset, m)) = placeholders_problem(&h.url) {
                    errors.push(issue(n, "url", Some(offset), m));
                } else {
                    texts.push((node.name.clone(), "url".to_string(), h.url.clone()));
                }
                if h.headers.len() > MAX_HEADERS {
                    errors.push(issue(
                        n,
                        "headers",
                        None,
                        format!("at most {MAX_HEADERS} headers"),
                    ));
                }
                for hd in &h.headers {
                    let field = format!("headers.{}", hd.name);
                    if reqwest::header::HeaderName::from_bytes(hd.name.as_bytes()).is_err() {
                        errors.push(issue(n, &field, None, "not a valid header name"));
                        continue;
                    }
                    if hd.name.eq_ignore_ascii_case("host") {
                        errors.push(issue(n, &field, None, "the Host header comes from the URL"));
                        continue;
                    }
                    if hd.value.len() > MAX_TEXT {
                        errors.push(issue(n, &field, None, format!("at most {MAX_TEXT} bytes")));
                    } else if let Some(at) = hd.value.find(['\r', '\n', '\0']) {
                        errors.push(issue(
                            n,
                            &field,
                            Some(at),
                            "a header value cannot hold a line break",
                        ));
                    } else if let Some((offset, m)) = placeholders_problem(&hd.value) {
                        errors.push(issue(n, &field, Some(offset), m));
                    } else {
                        texts.push((node.name.clone(), field, hd.value.clone()));
                    }
                }
                if let Some(b) = &h.body {
                    if b.len() > MAX_BODY {
                        errors.push(issue(n, "body", None, format!("at most {MAX_BODY} bytes")));
                    } else if let Some((offset, m)) = placeholders_problem(b) {
                        errors.push(issue(n, "body", Some(offset), m));
                    } else {
                        texts.push((node.name.clone(), "body".to_string(), b.clone()));
                    }
                }
                if h.expect_status.is_some_and(|s| !(100..=599).contains(&s)) {
                    errors.push(issue(
                        n,
                        "expectStatus",
                        None,
                        "an HTTP status (100 to 599)",
                    ));
                }
                if h.timeout_secs
                    .is_some_and(|t| t == 0 || t > MAX_TIMEOUT_SECS)
                {
                    errors.push(issue(
                        n,
                        "timeoutSecs",
                        None,
                        format!("1 to {MAX_TIMEOUT_SECS} seconds"),
                    ));
                }
            }
            // No template: the directory is literal and checked here for
            // syntax; vault-proc checks it again, and the filesystem, when
            // it writes.
            NodeKind::ExportFiles(e) => {
                if let Err(why) = shared::export_dir::components(&e.dir) {
                    errors.push(issue(n, "dir", None, why));
                }
            }
        }
    }
    (
        WorkflowCheck {
            references: Vec::new(),
            errors,
        },
        texts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::workflow::{Header, HttpMethod, Node, Trigger};

    fn draft(url: &str, header: &str, body: &str) -> WorkflowDraft {
        WorkflowDraft {
            name: "deploy".into(),
            trigger: Trigger::default(),
            nodes: vec![Node {
                name: "push".into(),
                kind: NodeKind::HttpRequest(HttpRequestNode {
                    method: HttpMethod::Post,
                    url: url.into(),
                    headers: vec![Header {
                        name: "X-Key".into(),
                        value: header.into(),
                    }],
                    body: Some(body.into()),
                    expect_status: None,
                    timeout_secs: Some(5),
                }),
            }],
            enabled: true,
        }
    }

    #[test]
    fn a_good_workflow_yields_its_texts() {
        let (c, texts) = check(&draft(
            "https://h.example/p?k={{secrets.a.b}}",
            "{{secrets.k.value}}",
            "{{certificate.fullchainPem}}",
        ));
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let fields: Vec<&str> = texts.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(fields, ["url", "headers.X-Key", "body"]);
    }

    #[test]
    fn problems_name_node_field_and_offset() {
        let (c, _) = check(&draft(
            "https://{{secrets.a.b}}/x",
            "a\nb",
            "xx{{certificate.nope}}",
        ));
        let got: Vec<(&str, Option<u64>)> = c
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.offset))
            .collect();
        assert_eq!(
            got,
            [
                ("url", Some(8)),
                ("headers.X-Key", Some(1)),
                ("body", Some(16))
            ]
        );
        assert!(c.errors.iter().all(|e| e.node.as_deref() == Some("push")));
        let (c, _) = check(&draft("ftp://h/", "", ""));
        assert_eq!(c.errors.len(), 1);
    }
}
