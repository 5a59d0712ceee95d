//! PowerDNS authoritative HTTP API: `X-API-Key`; the zone is found with the
//! `zone` filter walking up the name; a TXT value is added or removed by
//! reading the RRset and PATCHing it back with the value merged in or taken
//! out (`REPLACE`, or `DELETE` when nothing is left). Values are sent as
//! quoted zone-file strings, as PowerDNS requires.

use reqwest::Method;
use serde::Deserialize;
use shared::secret::SecretString;

use super::http::{is_throttle_status, ApiClient, ApiResponse, Auth};
use super::{names, txt, AdapterError, AdapterResult, TxtApi, Zone};
use crate::providers::config::PowerDnsConfig;

/// TTL of RRsets we create.
const TTL: u32 = 60;

/// The PowerDNS adapter.
pub struct PowerDns {
    api: ApiClient,
    server: String,
}

/// A zone in a zone list.
#[derive(Debug, Deserialize)]
pub struct PdnsZone {
    /// Zone id (URL-safe name).
    pub id: String,
    /// Zone name with trailing dot.
    pub name: String,
}

/// A zone with its RRsets.
#[derive(Debug, Deserialize)]
pub struct PdnsZoneDetail {
    /// RRsets.
    #[serde(default)]
    pub rrsets: Vec<RrSet>,
}

/// One RRset.
#[derive(Debug, Deserialize)]
pub struct RrSet {
    /// Owner name with trailing dot.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub record_type: String,
    /// TTL.
    #[serde(default)]
    pub ttl: Option<u32>,
    /// Records.
    #[serde(default)]
    pub records: Vec<PdnsRecord>,
}

/// One record of an RRset.
#[derive(Debug, Deserialize)]
pub struct PdnsRecord {
    /// Zone-file content.
    pub content: String,
    /// Disabled records are ignored.
    #[serde(default)]
    pub disabled: bool,
}

/// Parses a zone list (public for the fuzz target).
pub fn parse_zones(body: &[u8]) -> AdapterResult<Vec<PdnsZone>> {
    serde_json::from_slice(body).map_err(|e| {
        AdapterError::Protocol(format!(
            "PowerDNS zone list unreadable: {}",
            crate::scrub::serde_error(&e)
        ))
    })
}

/// Parses a zone with RRsets (public for the fuzz target).
pub fn parse_zone(body: &[u8]) -> AdapterResult<PdnsZoneDetail> {
    serde_json::from_slice(body).map_err(|e| {
        AdapterError::Protocol(format!(
            "PowerDNS zone unreadable: {}",
            crate::scrub::serde_error(&e)
        ))
    })
}

/// PowerDNS's `{"error": …}` text, or the whole body as text (scrubbed,
/// then cut, by `ApiClient::status_error`).
pub fn error_text(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct E {
        error: String,
    }
    match serde_json::from_slice::<E>(body) {
        Ok(e) => e.error,
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

/// PowerDNS on SQLite answers a write that met another one with HTTP 500:
/// either a JSON error saying "database is locked", or (4.7, when the
/// backend throws inside the API handler) the bare text "Internal Server
/// Error" with the reason only in its log. Both are transient and retried
/// like a rate limit; the writes retried are whole-rrset REPLACEs, so a
/// retry is idempotent.
pub fn is_busy(r: &ApiResponse) -> bool {
    r.status == 500 && {
        let text = error_text(&r.body);
        text.contains("database is locked") || text.trim() == "Internal Server Error"
    }
}

impl PowerDns {
    /// An adapter for the server in `config`, authenticating with `token`.
    pub fn new(config: &PowerDnsConfig, token: SecretString) -> AdapterResult<Self> {
        Ok(Self {
            api: ApiClient::new(Some(token))?,
            server: format!(
                "{}/api/v1/servers/{}",
                config.server_url.trim_end_matches('/'),
                config.server_id
            ),
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> AdapterResult<ApiResponse> {
        let url = format!("{}{}", self.server, path);
        self.api
            .call_json(method, &url, query, body, Auth::Header("X-API-Key"), |r| {
                is_throttle_status(r) || is_busy(r)
            })
            .await
    }

    fn fail(&self, r: &ApiResponse) -> AdapterError {
        self.api.status_error(r.status, &error_text(&r.body))
    }

    /// The TXT RRset at `fqdn`: (ttl, raw values of enabled records).
    async fn rrset(&self, zone: &Zone, fqdn: &str) -> AdapterResult<(u32, Vec<String>)> {
        let owner = names::dotted(fqdn);
        let r = self
            .call(
                Method::GET,
                &format!("/zones/{}", zone.id),
                &[
                    ("rrsets", "true".into()),
                    ("rrset_name", owner.clone()),
                    ("rrset_type", "TXT".into()),
                ],
                None,
            )
            .await?;
        if !r.ok() {
            return Err(self.fail(&r));
        }
        let detail = parse_zone(&r.body)?;
        let mut ttl = TTL;
        let mut values = Vec::new();
        for set in detail.rrsets {
            if set.record_type == "TXT" && names::bare(&set.name) == names::bare(&owner) {
                ttl = set.ttl.unwrap_or(TTL);
                values.extend(
                    set.records
                        .iter()
                        .filter(|rec| !rec.disabled)
                        .map(|rec| txt::unquote(&rec.content)),
                );
            }
        }
        Ok((ttl, values))
    }

    async fn write(
        &self,
        zone: &Zone,
        fqdn: &str,
        ttl: u32,
        values: &[String],
    ) -> AdapterResult<()> {
        let set = if values.is_empty() {
            serde_json::json!({ "name": names::dotted(fqdn), "type": "TXT", "changetype": "DELETE" })
        } else {
            let records: Vec<_> = values
                .iter()
                .map(|v| serde_json::json!({ "content": txt::quote(v), "disabled": false }))
                .collect();
            serde_json::json!({
                "name": names::dotted(fqdn), "type": "TXT", "ttl": ttl,
                "changetype": "REPLACE", "records": records,
            })
        };
        let body = serde_json::json!({ "rrsets": [set] });
        let r = self
            .call(
                Method::PATCH,
                &format!("/zones/{}", zone.id),
                &[],
                Some(&body),
            )
            .await?;
        if r.ok() {
            Ok(())
        } else {
            Err(self.fail(&r))
        }
    }
}

impl TxtApi for PowerDns {
    async fn find_zone(&self, name: &str) -> AdapterResult<Zone> {
        for candidate in names::zone_candidates(name) {
            let r = self
                .call(
                    Method::GET,
                    "/zones",
                    &[("zone", names::dotted(&candidate))],
                    None,
                )
                .await?;
            if !r.ok() {
                return Err(self.fail(&r));
            }
            if let Some(z) = parse_zones(&r.body)?
                .into_iter()
                .find(|z| names::bare(&z.name) == candidate)
            {
                return Ok(Zone {
                    name: candidate,
                    id: z.id,
                });
            }
        }
        Err(AdapterError::ZoneNotFound {
            name: names::bare(name),
        })
    }

    async fn add_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        let (ttl, mut values) = self.rrset(zone, fqdn).await?;
        if values.iter().any(|v| v == value) {
            return Ok(());
        }
        values.push(value.to_string());
        self.write(zone, fqdn, ttl, &values).await
    }

    async fn remove_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        let (ttl, values) = self.rrset(zone, fqdn).await?;
        if !values.iter().any(|v| v == value) {
            return Ok(());
        }
        let rest: Vec<String> = values.into_iter().filter(|v| v != value).collect();
        self.write(zone, fqdn, ttl, &rest).await
    }

    async fn list_txt(&self, zone: &Zone, fqdn: &str) -> AdapterResult<Vec<String>> {
        Ok(self.rrset(zone, fqdn).await?.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> ApiResponse {
        ApiResponse {
            status,
            headers: reqwest::header::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn both_forms_of_a_locked_sqlite_backend_are_busy_and_other_errors_are_not() {
        assert!(is_busy(&response(500, "Internal Server Error")));
        assert!(is_busy(&response(
            500,
            r#"{"error": "Error while retrieving SQLite query results: database is locked (5)"}"#
        )));
        assert!(!is_busy(&response(500, r#"{"error": "Zone not found"}"#)));
        assert!(!is_busy(&response(422, "Internal Server Error")));
        assert!(!is_busy(&response(204, "")));
    }
}
