//! The HTTP side every API adapter shares: one reqwest client (rustls, no
//! redirects, timeouts), bounded retries on rate limiting that honour
//! `Retry-After`, a cap on response size, and error text that is truncated
//! and scrubbed of the token before it can reach a message.
//!
//! Redirects are off because a redirect could carry the credentials to a
//! host the user never paired them with; a provider answering 3xx is an
//! error.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use shared::secret::SecretString;

use super::error::{AdapterError, AdapterResult};

/// Largest response body read from a provider.
const MAX_BODY: usize = 4 << 20;
/// Longest provider message kept in an error.
const MAX_MESSAGE: usize = 300;

/// How often and how long to retry a throttled request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all (the first included).
    pub attempts: u32,
    /// First back-off when the provider gives no `Retry-After`.
    pub base: Duration,
    /// Longest single wait, whatever the provider asks for.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_millis(250),
            max_wait: Duration::from_secs(20),
        }
    }
}

/// A response: status, headers and the (size-capped) body.
#[derive(Debug)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// True for 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A client for one provider operation, knowing the token only to scrub it.
pub struct ApiClient {
    client: reqwest::Client,
    token: Option<SecretString>,
    retry: RetryPolicy,
}

impl ApiClient {
    /// A client; `token` is what must never appear in an error message.
    pub fn new(token: Option<SecretString>) -> AdapterResult<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("sslboard-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AdapterError::Transport(format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            token,
            retry: RetryPolicy::default(),
        })
    }

    /// The token this client scrubs (adapters build their auth headers from it).
    pub fn token(&self) -> Option<&SecretString> {
        self.token.as_ref()
    }

    /// Sends the request `build` makes (once per attempt, so signatures are
    /// fresh), retrying while `throttled` says the answer is a rate limit.
    pub async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> AdapterResult<reqwest::RequestBuilder>,
        throttled: impl Fn(&ApiResponse) -> bool,
    ) -> AdapterResult<ApiResponse> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response = self.send_once(build(&self.client)?).await?;
            if !throttled(&response) {
                return Ok(response);
            }
            if attempt >= self.retry.attempts {
                return Err(AdapterError::RateLimited(format!(
                    "still throttled after {attempt} attempts (HTTP {})",
                    response.status
                )));
            }
            let wait = provider_wait(&response.headers)
                .unwrap_or_else(|| self.retry.base * 2u32.saturating_pow(attempt - 1))
                .min(self.retry.max_wait);
            tracing::debug!(status = response.status, ?wait, "throttled; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(&self, request: reqwest::RequestBuilder) -> AdapterResult<ApiResponse> {
        let mut response = request
            .send()
            .await
            .map_err(|e| AdapterError::Transport(self.scrub(&transport_text(&e))))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| AdapterError::Transport(self.scrub(&transport_text(&e))))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(AdapterError::Protocol(format!(
                    "response larger than {MAX_BODY} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if (300..400).contains(&status) {
            return Err(AdapterError::Protocol(format!(
                "HTTP {status} redirect refused (credentials are never sent to another location)"
            )));
        }
        Ok(ApiResponse {
            status,
            headers,
            body,
        })
    }

    /// `text` made safe for a message: every run of 8+ bytes of the token
    /// removed ([`crate::scrub`]) *before* anything is cut, control characters
    /// replaced, then at most a few hundred characters.
    pub fn scrub(&self, text: &str) -> String {
        let scrubbed = match self.token.as_ref() {
            // EXPOSE: compared against provider text, never copied out.
            Some(t) => crate::scrub::scrub_with(text, t.expose().as_bytes()),
            None => text.to_string(),
        };
        let mut s: String = scrubbed
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if s.chars().count() > MAX_MESSAGE {
            s = s.chars().take(MAX_MESSAGE).collect::<String>() + "…";
        }
        s
    }

    /// Sends a JSON API request to `url` (query appended) with `auth`,
    /// retrying while `throttled` says the answer is a rate limit.
    pub async fn call_json(
        &self,
        method: reqwest::Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        auth: Auth,
        throttled: impl Fn(&ApiResponse) -> bool,
    ) -> AdapterResult<ApiResponse> {
        let url = with_query(url, query);
        self.send(
            |c| {
                let token = self.token().map(|t| t.expose()).unwrap_or_default();
                let mut r = c.request(method.clone(), &url);
                r = match auth {
                    Auth::Bearer => r.bearer_auth(token),
                    Auth::Header(name) => {
                        let mut v =
                            reqwest::header::HeaderValue::from_str(token).map_err(|_| {
                                AdapterError::Config(
                                    "the API key has characters a header cannot hold".into(),
                                )
                            })?;
                        v.set_sensitive(true);
                        r.header(name, v)
                    }
                };
                if let Some(b) = body {
                    r = r.json(b);
                }
                Ok(r)
            },
            throttled,
        )
        .await
    }

    /// The error for a non-2xx answer: 401/403 are credential problems,
    /// 429 a rate limit, anything else the provider's own error.
    pub fn status_error(&self, status: u16, message: &str) -> AdapterError {
        let message = self.scrub(message);
        match status {
            401 | 403 => AdapterError::Auth(format!("HTTP {status}: {message}")),
            429 => AdapterError::RateLimited(message),
            _ => AdapterError::Api { status, message },
        }
    }
}

/// `url` with `pairs` appended as a form-encoded query string.
pub fn with_query(url: &str, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return url.to_string();
    }
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    format!("{url}?{}", q.finish())
}

/// How a JSON API takes the token.
#[derive(Debug, Clone, Copy)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// The token as the value of this header (e.g. `X-API-Key`).
    Header(&'static str),
}

/// reqwest's error with its cause chain (the URL part never holds a secret:
/// tokens travel in headers only).
fn transport_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// How long the provider asked us to wait: `Retry-After` in seconds, or
/// DigitalOcean's `ratelimit-reset` epoch time.
pub fn provider_wait(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(secs) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    let reset = header("ratelimit-reset").and_then(|v| v.trim().parse::<u64>().ok())?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}

/// True for the statuses that mean "try again later" at every provider.
pub fn is_throttle_status(r: &ApiResponse) -> bool {
    matches!(r.status, 429 | 503)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_token_and_truncates() {
        let c = ApiClient::new(Some("tok-secret-123".into())).unwrap();
        let s = c.scrub("bad token tok-secret-123\nagain");
        assert!(!s.contains("tok-secret-123"));
        assert!(!s.contains('\n'));
        assert!(c.scrub(&"x".repeat(1000)).chars().count() <= MAX_MESSAGE + 1);
        // A token straddling the length limit loses its prefix too.
        for pad in 280..MAX_MESSAGE {
            let s = c.scrub(&format!("{}tok-secret-123", "p".repeat(pad)));
            assert!(!s.contains("tok-secr"), "{pad}: {s}");
        }
    }

    #[test]
    fn retry_after_and_rate_limit_reset_are_read() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(provider_wait(&h), Some(Duration::from_secs(3)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(provider_wait(&h), None);
    }
}
