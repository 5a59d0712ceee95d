//! An ACME Renewal Information (RFC 9773) stand-in in front of pebble, which
//! has no ARI: an HTTPS reverse proxy that
//! * passes every request to pebble with the client's `Host`, so pebble
//!   builds its URLs (and checks the JWS `url`) on the proxy's origin;
//! * adds `renewalInfo` to the directory (§4);
//! * learns each certificate that passes through (the chain download) and
//!   its certID: base64url(AKI keyIdentifier) "." base64url(serial DER
//!   content) (§4.1), computed here by its own DER reader;
//! * answers `GET renewalInfo/<certID>` with the configured
//!   `suggestedWindow` and `Retry-After` (§4.2, §4.3), 404 for a certID it
//!   never issued, 400 for a malformed one;
//! * reads `replaces` in every newOrder (§5): records it, refuses an
//!   unknown certID (`malformed`) or one already replaced
//!   (`alreadyReplaced`, 409), and can refuse the next one on purpose;
//! * can refuse every newOrder (a CA that fails renewals).
//!
//! HTTP/1.1, one request per connection (`Connection: close`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const RENEWAL_PATH: &str = "/renewal-info";

/// What the stand-in answers and what it saw.
#[derive(Default)]
struct State {
    window: Option<(OffsetDateTime, OffsetDateTime)>,
    queued: VecDeque<(OffsetDateTime, OffsetDateTime)>,
    per_cert: HashMap<String, (OffsetDateTime, OffsetDateTime)>,
    retry_after: u64,
    reject_replaces: u32,
    reject_orders: bool,
    known: HashSet<String>,
    replaced: HashSet<String>,
    orders: Vec<Option<String>>,
    info_requests: Vec<String>,
}

/// A running ARI front for pebble; dropping it stops it.
pub struct AriProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn lock(s: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

impl AriProxy {
    /// Starts a front for the pebble whose directory is `pebble_dir`,
    /// serving TLS with `cert_pem`/`key_pem` (files) and trusting
    /// `ca_pem` (PEM text) for pebble's own HTTPS.
    pub fn start(
        pebble_dir: &str,
        cert_pem: &std::path::Path,
        key_pem: &std::path::Path,
        ca_pem: &str,
    ) -> io::Result<AriProxy> {
        let tls = tls_config(cert_pem, key_pem)?;
        let upstream = reqwest::Url::parse(pebble_dir)
            .map_err(|e| io::Error::other(format!("pebble URL: {e}")))?;
        let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes())
            .map_err(|e| io::Error::other(format!("CA: {e}")))?;
        let client = reqwest::Client::builder()
            .tls_certs_merge([ca])
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| io::Error::other(format!("client: {e}")))?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            retry_after: 3600,
            ..Default::default()
        }));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(_) => return,
            };
            rt.block_on(async move {
                let Ok(listener) = TcpListener::from_std(std_listener) else {
                    return;
                };
                let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
                let ctx = Arc::new(Ctx {
                    client,
                    upstream,
                    state: st,
                });
                tokio::select! {
                    _ = stopped => {}
                    _ = async {
                        loop {
                            let Ok((tcp, _)) = listener.accept().await else { continue };
                            let (acceptor, ctx) = (acceptor.clone(), ctx.clone());
                            tokio::spawn(async move {
                                if let Ok(tls) = acceptor.accept(tcp).await {
                                    let _ = serve(tls, &ctx).await;
                                }
                            });
                        }
                    } => {}
                }
            });
        });
        Ok(AriProxy {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The directory URL to give the client.
    pub fn directory_url(&self) -> String {
        format!("https://{}/dir", self.addr)
    }

    /// The window answered for every known certificate.
    pub fn set_window(&self, start: OffsetDateTime, end: OffsetDateTime) {
        lock(&self.state).window = Some((start, end));
    }

    /// The window of the next new certificate (then the default again);
    /// calls queue up.
    pub fn queue_window(&self, start: OffsetDateTime, end: OffsetDateTime) {
        lock(&self.state).queued.push_back((start, end));
    }

    /// The `Retry-After` (seconds) sent with windows (default 3600).
    pub fn set_retry_after(&self, secs: u64) {
        lock(&self.state).retry_after = secs;
    }

    /// Refuses the next newOrder that carries `replaces` (`alreadyReplaced`).
    pub fn reject_next_replaces(&self) {
        lock(&self.state).reject_replaces += 1;
    }

    /// Refuses every newOrder (`rejectedIdentifier`) while `on`.
    pub fn reject_orders(&self, on: bool) {
        lock(&self.state).reject_orders = on;
    }

    /// The `replaces` of every newOrder answered (refused by the stand-in,
    /// or accepted by pebble), in order (`None`: absent).
    pub fn orders(&self) -> Vec<Option<String>> {
        lock(&self.state).orders.clone()
    }

    /// The certIDs asked for, in order.
    pub fn info_requests(&self) -> Vec<String> {
        lock(&self.state).info_requests.clone()
    }

    /// The certIDs of the certificates that passed through.
    pub fn known(&self) -> Vec<String> {
        lock(&self.state).known.iter().cloned().collect()
    }
}

impl Drop for AriProxy {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Ctx {
    client: reqwest::Client,
    upstream: reqwest::Url,
    state: Arc<Mutex<State>>,
}

fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> io::Result<rustls::ServerConfig> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
    let certs: Vec<CertificateDer<'static>> = pem_blocks(&std::fs::read_to_string(cert)?)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| CertificateDer::from(der))
        .collect();
    let key = pem_blocks(&std::fs::read_to_string(key)?)
        .into_iter()
        .find_map(|(label, der)| match label.as_str() {
            "PRIVATE KEY" => Some(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der))),
            "EC PRIVATE KEY" => Some(PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der))),
            _ => None,
        })
        .ok_or_else(|| io::Error::other("no private key in the key file"))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(io::Error::other)?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(io::Error::other)
}

fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("-----BEGIN ") {
        let after = &rest[i + 11..];
        let Some(j) = after.find("-----") else { break };
        let label = after[..j].to_string();
        let body = &after[j + 5..];
        let end = format!("-----END {label}-----");
        let Some(k) = body.find(&end) else { break };
        let b64: String = body[..k].chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push((label, der));
        }
        rest = &body[k + end.len()..];
    }
    out
}

struct Request {
    method: String,
    path: String,
    host: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn problem(status: u16, kind: &str, detail: &str) -> Response {
    Response {
        status,
        headers: vec![("Content-Type".into(), "application/problem+json".into())],
        body: serde_json::json!({
            "type": format!("urn:ietf:params:acme:error:{kind}"),
            "detail": detail,
            "status": status,
        })
        .to_string()
        .into_bytes(),
    }
}

async fn read_request<S: AsyncReadExt + Unpin>(s: &mut S) -> io::Result<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::other("closed before the request head"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Err(io::Error::other("request head too large"));
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let (mut host, mut len, mut content_type) = (String::new(), 0usize, None);
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim();
            match k.trim().to_ascii_lowercase().as_str() {
                "host" => host = v.to_string(),
                "content-length" => len = v.parse().unwrap_or(0),
                "content-type" => content_type = Some(v.to_string()),
                _ => {}
            }
        }
    }
    if len > 1 << 20 {
        return Err(io::Error::other("body too large"));
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Ok(Request {
        method,
        path,
        host,
        content_type,
        body,
    })
}

async fn serve<S: AsyncReadExt + AsyncWriteExt + Unpin>(mut s: S, ctx: &Ctx) -> io::Result<()> {
    let req = read_request(&mut s).await?;
    let resp = match answer(req, ctx).await {
        Ok(r) => r,
        Err(e) => problem(502, "serverInternal", &format!("stand-in: {e}")),
    };
    let mut head = format!("HTTP/1.1 {} X\r\n", resp.status);
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        resp.body.len()
    ));
    s.write_all(head.as_bytes()).await?;
    s.write_all(&resp.body).await?;
    s.flush().await?;
    let _ = s.shutdown().await;
    Ok(())
}

/// The JSON payload of a flattened JWS body.
fn jws_payload(body: &[u8]) -> Option<serde_json::Value> {
    let jws: serde_json::Value = serde_json::from_slice(body).ok()?;
    let payload = B64.decode(jws.get("payload")?.as_str()?).ok()?;
    serde_json::from_slice(&payload).ok()
}

fn well_formed_cert_id(id: &str) -> bool {
    match id.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && B64.decode(a).is_ok()
                && B64.decode(b).is_ok()
                && !id.contains('=')
        }
        None => false,
    }
}

async fn answer(req: Request, ctx: &Ctx) -> Result<Response, String> {
    // ARI (RFC 9773 §4.2): GET renewalInfo/<certID>.
    if let Some(id) = req.path.strip_prefix(&format!("{RENEWAL_PATH}/")) {
        if req.method != "GET" {
            return Ok(problem(405, "malformed", "renewalInfo is GET only"));
        }
        let mut st = lock(&ctx.state);
        st.info_requests.push(id.to_string());
        if !well_formed_cert_id(id) {
            return Ok(problem(400, "malformed", "not a certID"));
        }
        if !st.known.contains(id) {
            return Ok(problem(404, "malformed", "no certificate with this certID"));
        }
        let (start, end) = st
            .per_cert
            .get(id)
            .copied()
            .or(st.window)
            .unwrap_or_else(|| {
                let now = OffsetDateTime::now_utc();
                (
                    now + time::Duration::days(30),
                    now + time::Duration::days(32),
                )
            });
        let body = serde_json::json!({
            "suggestedWindow": {
                "start": start.format(&Rfc3339).unwrap_or_default(),
                "end": end.format(&Rfc3339).unwrap_or_default(),
            },
            "explanationURL": format!("https://{}/why", req.host),
        });
        return Ok(Response {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Retry-After".into(), st.retry_after.to_string()),
            ],
            body: body.to_string().into_bytes(),
        });
    }
    let is_new_order = req.method == "POST" && req.path.ends_with("/order-plz");
    let mut replaces_accepted = None;
    // newOrders pebble answers are recorded once it accepted them (a
    // badNonce answer is retried by the client: not an order).
    let mut new_order: Option<Option<String>> = None;
    if is_new_order {
        let replaces = jws_payload(&req.body).and_then(|p| {
            p.get("replaces")
                .and_then(|r| r.as_str().map(str::to_string))
        });
        let mut st = lock(&ctx.state);
        if st.reject_orders {
            st.orders.push(replaces.clone());
            return Ok(problem(
                400,
                "rejectedIdentifier",
                "the stand-in refuses every order",
            ));
        }
        if let Some(r) = replaces {
            if st.reject_replaces > 0 {
                st.reject_replaces -= 1;
                st.orders.push(Some(r));
                return Ok(problem(
                    409,
                    "alreadyReplaced",
                    "the stand-in refuses this replaces once",
                ));
            }
            if !well_formed_cert_id(&r) || !st.known.contains(&r) {
                st.orders.push(Some(r));
                return Ok(problem(
                    400,
                    "malformed",
                    "replaces names no certificate of this CA",
                ));
            }
            if st.replaced.contains(&r) {
                st.orders.push(Some(r));
                return Ok(problem(
                    409,
                    "alreadyReplaced",
                    "that certificate was already replaced",
                ));
            }
            replaces_accepted = Some(r);
        }
        new_order = Some(replaces_accepted.clone());
    }
    // Everything else goes to pebble, with the client's Host.
    let mut url = ctx.upstream.clone();
    let (path, query) = match req.path.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (req.path.clone(), None),
    };
    url.set_path(&path);
    url.set_query(query.as_deref());
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut up = ctx
        .client
        .request(method, url)
        .header(reqwest::header::HOST, req.host.clone());
    if let Some(ct) = &req.content_type {
        up = up.header(reqwest::header::CONTENT_TYPE, ct);
    }
    let reply = up.body(req.body).send().await.map_err(|e| e.to_string())?;
    let status = reply.status().as_u16();
    let mut headers = Vec::new();
    for (k, v) in reply.headers() {
        let k = k.as_str().to_ascii_lowercase();
        if matches!(
            k.as_str(),
            "content-length" | "connection" | "transfer-encoding"
        ) {
            continue;
        }
        if let Ok(v) = v.to_str() {
            headers.push((k, v.to_string()));
        }
    }
    let content_type = reply
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut body = reply.bytes().await.map_err(|e| e.to_string())?.to_vec();
    if req.method == "GET" && path == "/dir" && status == 200 {
        let mut dir: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        dir["renewalInfo"] = serde_json::json!(format!("https://{}{RENEWAL_PATH}", req.host));
        body = dir.to_string().into_bytes();
    }
    if content_type.starts_with("application/pem-certificate-chain") && status == 200 {
        if let Some(id) = pem_blocks(&String::from_utf8_lossy(&body))
            .into_iter()
            .find(|(l, _)| l == "CERTIFICATE")
            .and_then(|(_, der)| cert_id(&der))
        {
            let mut st = lock(&ctx.state);
            if st.known.insert(id.clone()) {
                if let Some(w) = st.queued.pop_front() {
                    st.per_cert.insert(id, w);
                }
            }
        }
    }
    if (200..300).contains(&status) {
        let mut st = lock(&ctx.state);
        if let Some(o) = new_order {
            st.orders.push(o);
        }
        if let Some(r) = replaces_accepted {
            st.replaced.insert(r);
        }
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// One DER TLV: (tag, content, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (
            rest[..n].iter().fold(0usize, |a, x| (a << 8) | *x as usize),
            &rest[n..],
        )
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// RFC 9773 §4.1 certID of a DER certificate.
pub fn cert_id(der: &[u8]) -> Option<String> {
    let (_, cert, _) = tlv(der)?;
    let (_, tbs, _) = tlv(cert)?;
    let mut r = tbs;
    if r.first() == Some(&0xa0) {
        r = tlv(r)?.2;
    }
    let (_, serial, mut r) = tlv(r)?;
    // signature, issuer, validity, subject, subjectPublicKeyInfo
    for _ in 0..5 {
        r = tlv(r)?.2;
    }
    while !r.is_empty() {
        let (tag, content, next) = tlv(r)?;
        r = next;
        if tag != 0xa3 {
            continue;
        }
        let (_, mut exts, _) = tlv(content)?;
        while !exts.is_empty() {
            let (_, ext, next) = tlv(exts)?;
            exts = next;
            let (_, oid, mut rest) = tlv(ext)?;
            if oid != [0x55, 0x1d, 0x23] {
                continue;
            }
            if rest.first() == Some(&0x01) {
                rest = tlv(rest)?.2;
            }
            let (_, value, _) = tlv(rest)?;
            let (_, mut aki, _) = tlv(value)?;
            while !aki.is_empty() {
                let (tag, kid, next) = tlv(aki)?;
                if tag == 0x80 {
                    return Some(format!("{}.{}", B64.encode(kid), B64.encode(serial)));
                }
                aki = next;
            }
        }
    }
    None
}
