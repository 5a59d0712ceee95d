//! Minimal client for PowerDNS's HTTP API: just enough to replace and read
//! TXT rrsets, which is how the stand-ins make their records real in DNS.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{names, txt};

/// TTL of every rrset written.
const TTL: u32 = 60;
/// Tries per write when PowerDNS answers 5xx.
const ATTEMPTS: u32 = 12;
/// Pause after the first failed try, growing linearly.
const RETRY_PAUSE: Duration = Duration::from_millis(25);

/// Serialises this process's writes to PowerDNS (runtime-independent, so
/// shared by every stand-in, mirror and test).
static WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One PowerDNS authoritative server's HTTP API.
#[derive(Clone, Debug)]
pub struct PdnsTarget {
    /// Base URL of the API, e.g. `http://127.0.0.1:8081` (without `/api/v1`).
    pub api: String,
    /// Value for the `X-API-Key` header.
    pub key: String,
}

impl PdnsTarget {
    /// From `SSLBOARD_TEST_PDNS_API` and `SSLBOARD_TEST_PDNS_API_KEY`; `None`
    /// when either is unset.
    pub fn from_env() -> Option<Self> {
        let api = std::env::var("SSLBOARD_TEST_PDNS_API").ok()?;
        let key = std::env::var("SSLBOARD_TEST_PDNS_API_KEY").ok()?;
        Some(Self { api, key })
    }

    /// Replaces the TXT rrset at `fqdn` (trailing dot optional) in `zone` with
    /// exactly `values` (raw, unquoted: they are quoted and escaped here), TTL
    /// 60; an empty `values` deletes the rrset.
    pub async fn set_txt(&self, zone: &str, fqdn: &str, values: &[String]) -> Result<(), String> {
        let name = format!("{}.", names::canonical(fqdn));
        let rrset = if values.is_empty() {
            json!({ "name": name, "type": "TXT", "changetype": "DELETE" })
        } else {
            let records: Vec<Value> = values
                .iter()
                .map(|v| json!({ "content": txt::quote(v), "disabled": false }))
                .collect();
            json!({
                "name": name, "type": "TXT", "ttl": TTL,
                "changetype": "REPLACE", "records": records,
            })
        };
        let body = json!({ "rrsets": [rrset] });
        // PowerDNS on SQLite answers 500 "database is locked" to concurrent
        // writers: serialise this process's writes and retry the rest.
        let _serial = WRITES.lock().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response = client()?
                .patch(self.zone_url(zone))
                .header("X-API-Key", &self.key)
                .json(&body)
                .send()
                .await
                .map_err(|e| format!("PowerDNS PATCH {name}: {e}"))?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let text = response.text().await.unwrap_or_default();
            if !status.is_server_error() || attempt >= ATTEMPTS {
                return Err(format!("PowerDNS PATCH {name}: HTTP {status}: {text}"));
            }
            tokio::time::sleep(RETRY_PAUSE * attempt).await;
        }
    }

    /// The TXT values at `fqdn` in `zone` as PowerDNS's API holds them,
    /// unquoted (several strings of one value joined); empty when none.
    pub async fn txt(&self, zone: &str, fqdn: &str) -> Result<Vec<String>, String> {
        let name = format!("{}.", names::canonical(fqdn));
        let url = reqwest::Url::parse_with_params(
            &self.zone_url(zone),
            [("rrset_name", name.as_str()), ("rrset_type", "TXT")],
        )
        .map_err(|e| format!("PowerDNS URL: {e}"))?;
        let response = client()?
            .get(url)
            .header("X-API-Key", &self.key)
            .send()
            .await
            .map_err(|e| format!("PowerDNS GET {name}: {e}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("PowerDNS GET {name}: HTTP {status}: {e}"))?;
        if !status.is_success() {
            return Err(format!("PowerDNS GET {name}: HTTP {status}: {body}"));
        }
        let rrsets = body["rrsets"].as_array().cloned().unwrap_or_default();
        Ok(rrsets
            .iter()
            .filter(|r| r["type"] == "TXT" && r["name"].as_str() == Some(name.as_str()))
            .flat_map(|r| r["records"].as_array().cloned().unwrap_or_default())
            .filter_map(|rec| rec["content"].as_str().map(txt::unquote))
            .collect())
    }

    fn zone_url(&self, zone: &str) -> String {
        format!(
            "{}/api/v1/servers/localhost/zones/{}.",
            self.api.trim_end_matches('/'),
            names::canonical(zone)
        )
    }
}

/// A fresh client per call: a pooled one would outlive the runtime that
/// opened its connections (every stand-in and test has its own).
fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}
