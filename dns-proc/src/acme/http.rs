//! HTTP to the CA: one reqwest client per account (rustls; the platform's
//! roots plus the account's optional `caPem`; redirects followed only within
//! the directory's origin; connect and request timeouts; a body cap), a
//! nonce pool fed by every response's `Replay-Nonce`, JWS POSTs retried on
//! `badNonce` with the nonce of the error response, and `Retry-After`
//! honoured on 429/503.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION};

use super::error::{clean, AcmeError, AcmeResult};
use super::signer::{AcmeSigner, KeyId};
use super::wire::{self, Problem};

/// Largest response body read from a CA.
const MAX_BODY: usize = 1 << 20;
/// Nonces kept for later requests.
const MAX_POOL: usize = 32;
/// badNonce retries per request (RFC 8555 §6.5: the client should retry).
const BAD_NONCE_RETRIES: u32 = 20;
/// Retries of a 429/503 per request.
const BUSY_RETRIES: u32 = 3;
/// Longest single `Retry-After` wait honoured inside a request.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// A CA response.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body (at most 1 MiB).
    pub body: Vec<u8>,
}

impl Reply {
    /// The `Location` header.
    pub fn location(&self) -> Option<String> {
        header(&self.headers, LOCATION.as_str())
    }

    /// How long the CA asked us to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.to_string())
}

/// `Retry-After` as seconds or an HTTP date, capped at [`MAX_RETRY_AFTER`].
pub fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let v = header(h, "retry-after")?;
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let wait = at - time::OffsetDateTime::now_utc();
    let wait = Duration::try_from(wait).unwrap_or(Duration::ZERO);
    Some(wait.min(MAX_RETRY_AFTER))
}

/// `scheme://host[:port]` of `url`.
pub fn origin_of(url: &str) -> AcmeResult<String> {
    let u = url::Url::parse(url).map_err(|e| AcmeError::Config(format!("bad URL: {e}")))?;
    if u.scheme() != "https" {
        return Err(AcmeError::Config(
            "the ACME directory must be an https:// URL".into(),
        ));
    }
    Ok(u.origin().ascii_serialization())
}

/// The HTTP side of one account's conversation with its CA.
pub struct AcmeHttp {
    client: reqwest::Client,
    origin: String,
    nonces: Mutex<Vec<String>>,
    new_nonce: Mutex<Option<String>>,
    bad_nonces: AtomicU32,
}

impl AcmeHttp {
    /// A client for the CA at `directory_url`, trusting the platform roots
    /// and `ca_pem` (PEM certificates) when given.
    pub fn new(directory_url: &str, ca_pem: Option<&str>) -> AcmeResult<Self> {
        let origin = origin_of(directory_url)?;
        let allowed = origin.clone();
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 {
                attempt.error("too many redirects")
            } else if attempt.url().origin().ascii_serialization() == allowed {
                attempt.follow()
            } else {
                attempt.error("redirect off the directory's origin refused")
            }
        });
        let mut builder = reqwest::Client::builder()
            .redirect(redirect)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("sslboard-core/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_pem.filter(|p| !p.trim().is_empty()) {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| AcmeError::Config(format!("caPem is not PEM certificates: {e}")))?;
            if certs.is_empty() {
                return Err(AcmeError::Config("caPem holds no certificate".into()));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| AcmeError::Transport(format!("HTTP client: {}", error_text(&e))))?;
        Ok(Self {
            client,
            origin,
            nonces: Mutex::new(Vec::new()),
            new_nonce: Mutex::new(None),
            bad_nonces: AtomicU32::new(0),
        })
    }

    /// The directory's origin (`https://host[:port]`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// How many `badNonce` answers were retried so far.
    pub fn bad_nonce_retries(&self) -> u32 {
        self.bad_nonces.load(Ordering::Relaxed)
    }

    /// Sets the `newNonce` URL (from the directory).
    pub fn set_new_nonce_url(&self, url: &str) {
        if let Ok(mut n) = self.new_nonce.lock() {
            *n = Some(url.to_string());
        }
    }

    fn check_origin(&self, url: &str) -> AcmeResult<()> {
        match url::Url::parse(url) {
            Ok(u) if u.origin().ascii_serialization() == self.origin => Ok(()),
            _ => Err(AcmeError::Protocol(format!(
                "the CA pointed at {} outside its origin {}",
                clean(url, 120),
                self.origin
            ))),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> AcmeResult<Reply> {
        let mut response = request
            .send()
            .await
            .map_err(|e| AcmeError::Transport(error_text(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| AcmeError::Transport(error_text(&e)))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(AcmeError::Protocol(format!(
                    "response larger than {MAX_BODY} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if let Some(n) = header(&headers, "replay-nonce") {
            self.push_nonce(n);
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn push_nonce(&self, nonce: String) {
        // RFC 8555 §6.5.1: base64url characters only.
        if nonce.is_empty()
            || nonce.len() > 256
            || !nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return;
        }
        if let Ok(mut pool) = self.nonces.lock() {
            if pool.len() >= MAX_POOL {
                pool.remove(0);
            }
            pool.push(nonce);
        }
    }

    async fn nonce(&self) -> AcmeResult<String> {
        if let Some(n) = self.nonces.lock().ok().and_then(|mut p| p.pop()) {
            return Ok(n);
        }
        let url = self
            .new_nonce
            .lock()
            .ok()
            .and_then(|n| n.clone())
            .ok_or_else(|| AcmeError::Protocol("no newNonce URL yet".into()))?;
        for _ in 0..BUSY_RETRIES {
            let reply = self.send(self.client.head(&url)).await?;
            if let Some(n) = self.nonces.lock().ok().and_then(|mut p| p.pop()) {
                return Ok(n);
            }
            match reply.retry_after() {
                Some(w) if matches!(reply.status, 429 | 503) => tokio::time::sleep(w).await,
                _ => break,
            }
        }
        Err(AcmeError::Protocol("newNonce gave no Replay-Nonce".into()))
    }

    /// A plain GET (the directory only: everything else is POST-as-GET).
    pub async fn get(&self, url: &str) -> AcmeResult<Reply> {
        self.check_origin(url)?;
        let mut tries = 0;
        loop {
            tries += 1;
            let reply = self.send(self.client.get(url)).await?;
            if reply.status < 400 {
                return Ok(reply);
            }
            match reply.retry_after() {
                Some(w) if matches!(reply.status, 429 | 503) && tries <= BUSY_RETRIES => {
                    tokio::time::sleep(w).await
                }
                _ => return Err(problem_of(&reply)),
            }
        }
    }

    /// A JWS POST of `payload` (empty = POST-as-GET) to `url`, signed by
    /// `signer` with `key_ref`; badNonce is retried with the error's nonce,
    /// 429/503 after `Retry-After`. A 4xx/5xx answer is [`AcmeError::Problem`].
    pub async fn post<S: AcmeSigner>(
        &self,
        signer: &S,
        key_ref: &str,
        key_id: &KeyId,
        url: &str,
        payload: &[u8],
    ) -> AcmeResult<Reply> {
        self.check_origin(url)?;
        let mut bad_nonce = 0;
        let mut busy = 0;
        loop {
            let nonce = self.nonce().await?;
            let jws = signer
                .sign(key_ref, url, &nonce, key_id.clone(), payload)
                .await?;
            let body = serde_json::to_vec(&jws)
                .map_err(|e| AcmeError::Protocol(format!("JWS encoding: {e}")))?;
            let reply = self
                .send(
                    self.client
                        .post(url)
                        .header(CONTENT_TYPE, "application/jose+json")
                        .body(body),
                )
                .await?;
            if reply.status < 400 {
                return Ok(reply);
            }
            let problem = problem_of(&reply);
            match &problem {
                AcmeError::Problem(p) if p.is_bad_nonce() && bad_nonce < BAD_NONCE_RETRIES => {
                    bad_nonce += 1;
                    self.bad_nonces.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(url, "badNonce; retrying with the error's nonce");
                }
                _ if matches!(reply.status, 429 | 503) && busy < BUSY_RETRIES => {
                    busy += 1;
                    let wait = reply.retry_after().unwrap_or(Duration::from_secs(1));
                    tokio::time::sleep(wait).await;
                }
                _ => return Err(problem),
            }
        }
    }
}

/// The error for a 4xx/5xx reply: its problem document, cleaned.
fn problem_of(reply: &Reply) -> AcmeError {
    match wire::parse_problem(&reply.body) {
        Ok(mut p) => {
            p.kind = clean(&p.kind, 120);
            p.detail = p.detail.map(|d| clean(&d, 500));
            for s in &mut p.subproblems {
                s.kind = clean(&s.kind, 120);
                s.detail = s.detail.take().map(|d| clean(&d, 300));
            }
            if p.status.is_none() {
                p.status = Some(reply.status);
            }
            AcmeError::Problem(p)
        }
        Err(_) => AcmeError::Problem(Problem {
            kind: "about:blank".into(),
            detail: Some(format!(
                "HTTP {}: {}",
                reply.status,
                clean(&String::from_utf8_lossy(&reply.body), 200)
            )),
            status: Some(reply.status),
            subproblems: vec![],
        }),
    }
}

fn error_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    clean(&text, 400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", "86400".parse().unwrap());
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }

    #[test]
    fn urls_off_the_directory_origin_are_refused() {
        let h = AcmeHttp::new("https://ca.test:14000/dir", None).unwrap();
        assert!(h.check_origin("https://ca.test:14000/order/1").is_ok());
        for other in [
            "https://ca.test:14001/order/1",
            "http://ca.test:14000/order/1",
            "https://evil.test:14000/order/1",
            "https://ca.test.evil.test:14000/x",
            "not a url",
        ] {
            assert!(h.check_origin(other).is_err(), "{other}");
        }
        assert!(AcmeHttp::new("https://ca.test/dir", Some("not pem")).is_err());
    }

    #[test]
    fn origins_are_https_only() {
        assert_eq!(
            origin_of("https://127.0.0.1:14000/dir").unwrap(),
            "https://127.0.0.1:14000"
        );
        assert!(origin_of("http://ca.test/dir").is_err());
    }
}
