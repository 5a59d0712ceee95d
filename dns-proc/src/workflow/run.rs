//! Executing one `http_request` node of a workflow run (the broker orders
//! the nodes and stops a run at its first failure): its texts resolved by
//! vault-proc under the run's permit, rendered with the certificate's
//! public fields, and sent with the adapters' HTTP rules (rustls, no
//! redirects, timeouts, a body cap).
//!
//! Values exist here only while their node runs: the resolved parts are
//! zeroizing, the rendered texts are dropped (and the global allocator
//! wipes freed memory) when the node ends, and every value is registered
//! with the final scrubber (`crate::scrub`) from resolution until the
//! node's result and events have been scrubbed, so a receiver that echoes
//! a value back never gets it into a run record, an event or a log line.

use std::time::{Duration, Instant};

use shared::error::WireError;
use shared::protocol::vault::{VaultRequest, VaultResponse};
use shared::protocol::workflow::{
    HttpMethod, HttpRequestNode, NodeResult, NodeStatus, ResolvedPart, ResolvedText,
    WorkflowProgress,
};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use super::placeholders::{self, CertField, Piece};
use crate::acme::store::CertRow;
use crate::scrub;
use crate::vault_link::VaultLink;

/// Most response bytes read (only a scrubbed snippet is kept).
pub const MAX_RESPONSE: usize = 64 * 1024;
/// Longest response snippet kept in an error.
const MAX_SNIPPET: usize = 300;

/// The certificate's public fields, as texts name them.
pub struct CertFields {
    id: String,
    names: String,
    not_after: String,
    fullchain: String,
    leaf: String,
    chain: String,
}

impl CertFields {
    /// The fields of a stored certificate.
    pub fn of(c: &CertRow) -> Self {
        const END: &str = "-----END CERTIFICATE-----";
        let (leaf, chain) = match c.chain_pem.find(END) {
            Some(i) => {
                let cut = i + END.len();
                let cut = cut + c.chain_pem[cut..].len()
                    - c.chain_pem[cut..].trim_start_matches(['\r', '\n']).len();
                (
                    c.chain_pem[..cut].to_string(),
                    c.chain_pem[cut..].to_string(),
                )
            }
            None => (c.chain_pem.clone(), String::new()),
        };
        Self {
            id: c.id.clone(),
            names: c.names.join(","),
            not_after: c.not_after.clone(),
            fullchain: c.chain_pem.clone(),
            leaf,
            chain,
        }
    }

    fn get(&self, f: CertField) -> &str {
        match f {
            CertField::FullchainPem => &self.fullchain,
            CertField::CertPem => &self.leaf,
            CertField::ChainPem => &self.chain,
            CertField::Names => &self.names,
            CertField::NotAfter => &self.not_after,
            CertField::Id => &self.id,
        }
    }
}

/// A resolved text rendered: literal parts with their placeholders filled,
/// values as they are (never parsed for placeholders).
fn render(parts: &ResolvedText, cert: &CertFields) -> Result<Zeroizing<String>, String> {
    let mut out = Zeroizing::new(String::new());
    for part in parts {
        match part {
            ResolvedPart::Text(t) => {
                for piece in placeholders::parse(t).map_err(|e| e.to_string())? {
                    match piece {
                        Piece::Text(s) => out.push_str(s),
                        Piece::Field(f, _) => out.push_str(cert.get(f)),
                    }
                }
            }
            // EXPOSE: the value goes into the request vault-proc approved for its host.
            ResolvedPart::Value(v) => out.push_str(v.expose()),
        }
    }
    Ok(out)
}

/// Text safe to record: scrubbed of every live value, no control
/// characters, at most a few hundred characters.
fn recorded(text: &str) -> String {
    let s: String = scrub::text(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > MAX_SNIPPET {
        s.chars().take(MAX_SNIPPET).collect::<String>() + "…"
    } else {
        s
    }
}

/// reqwest's error and causes, without the URL (which may hold a value).
fn transport_text(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn method(m: HttpMethod) -> reqwest::Method {
    match m {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Patch => reqwest::Method::PATCH,
        HttpMethod::Delete => reqwest::Method::DELETE,
    }
}

/// What one node did: HTTP status, secrets decrypted, or why it failed.
struct Done {
    status: Option<u16>,
    decrypts: u32,
    error: Option<String>,
}

/// The names of a node's texts, in the order they are sent to vault-proc.
fn text_fields(h: &HttpRequestNode) -> (Vec<String>, Vec<String>) {
    let mut fields = vec!["url".to_string()];
    let mut texts = vec![h.url.clone()];
    for hd in &h.headers {
        fields.push(format!("headers.{}", hd.name));
        texts.push(hd.value.clone());
    }
    if let Some(b) = &h.body {
        fields.push("body".to_string());
        texts.push(b.clone());
    }
    (fields, texts)
}

async fn http_node(
    vault: &VaultLink,
    run_id: &str,
    h: &HttpRequestNode,
    cert: &CertFields,
) -> Done {
    let fail = |decrypts, e: String| Done {
        status: None,
        decrypts,
        error: Some(e),
    };
    let (fields, texts) = text_fields(h);
    let answer = vault
        .call(|| VaultRequest::WorkflowResolve {
            run_id: run_id.to_string(),
            url: h.url.clone(),
            texts: texts.clone(),
        })
        .await;
    let (resolved, decrypts) = match answer {
        Ok(VaultResponse::WorkflowResolved(r, d)) if r.len() == texts.len() => (r, d),
        Ok(_) => return fail(0, "vault-proc answered with something else".into()),
        Err(e) => return fail(0, resolve_error(&e, &fields)),
    };
    // Every value is scrubbed from whatever this node records, until it ends.
    let _scrubbing: Vec<scrub::Registration> = resolved
        .iter()
        .flatten()
        .filter_map(|p| match p {
            // EXPOSE: the scrubber keeps a zeroizing copy to compare against.
            ResolvedPart::Value(v) => Some(scrub::register(v.expose().as_bytes())),
            ResolvedPart::Text(_) => None,
        })
        .collect();
    let mut rendered = Vec::with_capacity(resolved.len());
    for (parts, field) in resolved.iter().zip(&fields) {
        match render(parts, cert) {
            Ok(t) => rendered.push(t),
            Err(e) => return fail(decrypts, format!("{field}: {e}")),
        }
    }
    drop(resolved);
    let timeout = h.timeout();
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
        .user_agent(concat!("sslboard-core/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return fail(
                decrypts,
                recorded(&format!("HTTP client: {}", transport_text(e))),
            )
        }
    };
    let mut request = client.request(method(h.method), rendered[0].as_str());
    for (i, hd) in h.headers.iter().enumerate() {
        let Some(v) = rendered.get(i + 1) else { break };
        let mut value = match reqwest::header::HeaderValue::from_str(v) {
            Ok(v) => v,
            Err(_) => {
                return fail(
                    decrypts,
                    format!(
                        "headers.{}: the rendered value has characters a header cannot hold",
                        hd.name
                    ),
                )
            }
        };
        value.set_sensitive(true);
        request = request.header(hd.name.as_str(), value);
    }
    if h.body.is_some() {
        if let Some(b) = rendered.last() {
            request = request.body(b.as_bytes().to_vec());
        }
    }
    drop(rendered);
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            return fail(
                decrypts,
                recorded(&format!("request failed: {}", transport_text(e))),
            )
        }
    };
    let status = response.status().as_u16();
    let mut body = Zeroizing::new(Vec::new());
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_RESPONSE.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_RESPONSE {
            break;
        }
    }
    let ok = match h.expect_status {
        Some(want) => status == want,
        None => (200..300).contains(&status),
    };
    let error = (!ok).then(|| {
        let want = h
            .expect_status
            .map_or("a 2xx status".to_string(), |s| format!("HTTP {s}"));
        recorded(&format!(
            "HTTP {status} (expected {want}): {}",
            String::from_utf8_lossy(&body)
        ))
    });
    Done {
        status: Some(status),
        decrypts,
        error,
    }
}

/// vault-proc's refusal, with the text's field name (`field` = its index).
fn resolve_error(e: &WireError, fields: &[String]) -> String {
    let field = e
        .field
        .as_deref()
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| fields.get(i));
    match field {
        Some(f) => recorded(&format!("{f}: {}", e.message)),
        None => recorded(&e.message),
    }
}

/// Executes the `http_request` node `name` of run `run_id` for `cert`;
/// its start and its outcome go to `progress`. A failure is a result (the
/// broker records it and stops the run), with how many secrets vault-proc
/// decrypted for the node.
pub async fn node(
    vault: &VaultLink,
    run_id: &str,
    name: &str,
    h: &HttpRequestNode,
    cert: &CertRow,
    progress: &mpsc::UnboundedSender<WorkflowProgress>,
) -> (NodeResult, u32) {
    let fields = CertFields::of(cert);
    let _ = progress.send(WorkflowProgress {
        node: name.to_string(),
        status: NodeStatus::Running,
        detail: String::new(),
    });
    let t = Instant::now();
    let done = http_node(vault, run_id, h, &fields).await;
    let status = if done.error.is_some() {
        NodeStatus::Failed
    } else {
        NodeStatus::Succeeded
    };
    let detail = match (&done.error, done.status) {
        (Some(e), _) => e.clone(),
        (None, Some(s)) => format!("HTTP {s}"),
        (None, None) => String::new(),
    };
    let _ = progress.send(WorkflowProgress {
        node: name.to_string(),
        status,
        detail,
    });
    (
        NodeResult {
            name: name.to_string(),
            status,
            http_status: done.status,
            duration_ms: u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
            error: done.error,
        },
        done.decrypts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> CertRow {
        CertRow {
            id: "cert_1".into(),
            account_id: "acct_1".into(),
            order_id: "order_1".into(),
            names: vec!["a.example".into(), "b.example".into()],
            key_ref: "sec_k".into(),
            key_type: "ec-p256".into(),
            serial: "01".into(),
            issuer: "CN=x".into(),
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: "2026-04-01T00:00:00Z".into(),
            revoked: false,
            chain_pem: "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nINT\n-----END CERTIFICATE-----\n".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            life: Default::default(),
        }
    }

    #[test]
    fn fields_split_the_chain_and_values_are_not_reparsed() {
        let f = CertFields::of(&cert());
        assert!(f.leaf.contains("LEAF") && !f.leaf.contains("INT"));
        assert!(f.chain.contains("INT") && !f.chain.contains("LEAF"));
        assert!(f.chain.starts_with("-----BEGIN"));
        let parts = vec![
            ResolvedPart::Text("n={{certificate.names}};".into()),
            ResolvedPart::Value("{{certificate.id}}".into()),
        ];
        assert_eq!(
            render(&parts, &f).map(|s| s.to_string()),
            Ok("n=a.example,b.example;{{certificate.id}}".to_string())
        );
    }
}
