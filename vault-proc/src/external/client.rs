//! A KV v2 client for HashiCorp Vault / OpenBao over HTTP(S) with rustls:
//! bounded timeouts, TLS verification on (plus an optional CA bundle), one
//! keep-alive connection pool per configuration. Responses are parsed into
//! secret field maps; errors never carry the token or values.

use std::time::Duration;

use serde::Deserialize;
use shared::protocol::secrets::{ExternalProviderMeta, SecretData};
use shared::secret::SecretString;

/// Largest response body accepted.
pub const MAX_BODY: u64 = 1024 * 1024;

/// Default bound on one request.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// Could not connect, timed out, TLS failure.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// 401/403.
    #[error("permission denied (check the provider token and its policy)")]
    Denied,
    /// 404.
    #[error("no secret at path {0}")]
    NotFound(String),
    /// Any other status or a malformed body.
    #[error("{0}")]
    Protocol(String),
}

/// A configured client.
pub struct KvClient {
    http: reqwest::blocking::Client,
    base: String,
    mount: String,
    prefix: Option<String>,
    namespace: Option<String>,
    token: SecretString,
}

#[derive(Deserialize)]
struct KvEnvelope {
    data: KvData,
}

#[derive(Deserialize)]
struct KvData {
    data: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Parses a KV v2 read response body into fields (string values only;
/// numbers and booleans are rendered as text, anything else is refused).
pub fn parse_kv_response(body: &[u8]) -> Result<SecretData, KvError> {
    let env: KvEnvelope = serde_json::from_slice(body)
        .map_err(|_| KvError::Protocol("malformed KV v2 response".into()))?;
    let map = env
        .data
        .data
        .ok_or_else(|| KvError::Protocol("the secret version is deleted".into()))?;
    let mut out = SecretData::new();
    for (k, v) in map {
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return Err(KvError::Protocol(format!("field `{k}` is not a scalar"))),
        };
        out.insert(k, SecretString::new(text));
    }
    Ok(out)
}

impl KvClient {
    /// A client for `meta` authenticating with `token`.
    pub fn new(
        meta: &ExternalProviderMeta,
        ca_pem: Option<&str>,
        token: SecretString,
    ) -> Result<Self, KvError> {
        let mut b = reqwest::blocking::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(60))
            // Never follow a redirect: the token header would go along to another host.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| KvError::Protocol(format!("CA bundle: {e}")))?
            {
                b = b.add_root_certificate(cert);
            }
        }
        let http = b
            .build()
            .map_err(|e| KvError::Protocol(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: meta.address.trim_end_matches('/').to_string(),
            mount: meta.mount.clone(),
            prefix: meta.path_prefix.clone(),
            namespace: meta.namespace.clone(),
            token,
        })
    }

    /// The provider's base address.
    pub fn address(&self) -> &str {
        &self.base
    }

    /// Reads the latest version of the secret at `path`.
    pub fn read(&self, path: &str) -> Result<SecretData, KvError> {
        let path = path.trim_matches('/');
        let full = match &self.prefix {
            Some(p) => format!("{p}/{path}"),
            None => path.to_string(),
        };
        let url = format!("{}/v1/{}/data/{}", self.base, self.mount, full);
        // EXPOSE: the provider token authenticates this one request.
        let mut req = self
            .http
            .get(&url)
            .header("X-Vault-Token", self.token.expose());
        if let Some(ns) = &self.namespace {
            req = req.header("X-Vault-Namespace", ns);
        }
        let resp = req
            .send()
            .map_err(|e| KvError::Unreachable(without_url(&e)))?;
        match resp.status().as_u16() {
            200 => {
                let body = resp
                    .bytes()
                    .map_err(|e| KvError::Unreachable(without_url(&e)))?;
                parse_kv_response(&body)
            }
            401 | 403 => Err(KvError::Denied),
            404 => Err(KvError::NotFound(full)),
            s => Err(KvError::Protocol(format!("HTTP status {s}"))),
        }
    }
}

fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_bodies() {
        let ok = br#"{"data":{"data":{"user":"u","n":5,"b":true},"metadata":{"version":1}}}"#;
        let d = parse_kv_response(ok).unwrap();
        assert_eq!(d["user"].expose(), "u");
        assert_eq!(d["n"].expose(), "5");
        assert!(parse_kv_response(br#"{"data":{"data":null}}"#).is_err());
        assert!(parse_kv_response(br#"{"data":{"data":{"x":{"y":1}}}}"#).is_err());
        assert!(parse_kv_response(b"garbage").is_err());
    }
}
