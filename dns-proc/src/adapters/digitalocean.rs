//! DigitalOcean API v2 domain records: bearer token; the zone is the
//! longest domain of the account containing the name (`GET /domains/{name}`
//! walking up); TXT records are listed with the `type` and fully-qualified
//! `name` filters and paged by `links.pages.next`; created with relative
//! names and raw (unquoted) data; removed by record id.

use reqwest::Method;
use serde::Deserialize;
use shared::secret::SecretString;

use super::http::{is_throttle_status, ApiClient, ApiResponse, Auth};
use super::{endpoints, names, txt, AdapterError, AdapterResult, TxtApi, Zone};

/// TTL of the records we create (DigitalOcean's minimum is 30).
const TTL: u32 = 30;
/// Page size (DigitalOcean's maximum is 200).
const PER_PAGE: u32 = 200;
/// Upper bound on pages followed.
const MAX_PAGES: u32 = 1000;

/// The DigitalOcean adapter.
pub struct DigitalOcean {
    api: ApiClient,
    base: String,
}

/// A page of records.
#[derive(Debug, Deserialize)]
pub struct RecordPage {
    /// The records.
    #[serde(default)]
    pub domain_records: Vec<DoRecord>,
    /// Links to other pages.
    #[serde(default)]
    pub links: Links,
}

/// Links of a page.
#[derive(Debug, Default, Deserialize)]
pub struct Links {
    /// Page links, when there are several pages.
    #[serde(default)]
    pub pages: Option<PageLinks>,
}

/// Page links.
#[derive(Debug, Default, Deserialize)]
pub struct PageLinks {
    /// The next page, when there is one.
    #[serde(default)]
    pub next: Option<String>,
}

/// A domain record.
#[derive(Debug, Deserialize)]
pub struct DoRecord {
    /// Record id.
    pub id: u64,
    /// Record type.
    #[serde(rename = "type", default)]
    pub record_type: String,
    /// Name relative to the domain (`@` for the apex).
    #[serde(default)]
    pub name: String,
    /// Raw data.
    #[serde(default)]
    pub data: String,
}

/// DigitalOcean's error body.
#[derive(Debug, Deserialize)]
pub struct DoError {
    /// Error id (`unauthorized`, `not_found`, …).
    #[serde(default)]
    pub id: String,
    /// Message.
    #[serde(default)]
    pub message: String,
}

/// Parses a record page (public for the fuzz target).
pub fn parse_records(body: &[u8]) -> AdapterResult<RecordPage> {
    serde_json::from_slice(body).map_err(|e| {
        AdapterError::Protocol(format!(
            "DigitalOcean record list unreadable: {}",
            crate::scrub::serde_error(&e)
        ))
    })
}

/// `message (id)` of an error body, or the whole body as text (scrubbed,
/// then cut, by `ApiClient::status_error`).
pub fn error_text(body: &[u8]) -> String {
    match serde_json::from_slice::<DoError>(body) {
        Ok(e) if !e.message.is_empty() => format!("{} ({})", e.message, e.id),
        _ => String::from_utf8_lossy(body).into_owned(),
    }
}

impl DigitalOcean {
    /// An adapter using `token` as the bearer token.
    pub fn new(token: SecretString) -> AdapterResult<Self> {
        Ok(Self {
            api: ApiClient::new(Some(token))?,
            base: endpoints::base(endpoints::Cloud::Digitalocean),
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> AdapterResult<ApiResponse> {
        let url = format!("{}{}", self.base, path);
        self.api
            .call_json(method, &url, query, body, Auth::Bearer, is_throttle_status)
            .await
    }

    fn fail(&self, r: &ApiResponse) -> AdapterError {
        self.api.status_error(r.status, &error_text(&r.body))
    }

    async fn records(&self, zone: &Zone, fqdn: &str) -> AdapterResult<Vec<DoRecord>> {
        let Some(rel) = names::relative(fqdn, &zone.name) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let r = self
                .call(
                    Method::GET,
                    &format!("/domains/{}/records", zone.id),
                    &[
                        ("type", "TXT".into()),
                        ("name", names::bare(fqdn)),
                        ("page", page.to_string()),
                        ("per_page", PER_PAGE.to_string()),
                    ],
                    None,
                )
                .await?;
            if !r.ok() {
                return Err(self.fail(&r));
            }
            let p = parse_records(&r.body)?;
            let more = p.links.pages.and_then(|l| l.next).is_some();
            out.extend(p.domain_records.into_iter().filter(|rec| {
                rec.record_type.eq_ignore_ascii_case("TXT")
                    && (rec.name.eq_ignore_ascii_case(&rel)
                        || names::bare(&rec.name) == names::bare(fqdn))
            }));
            // The next page is asked of our own base URL: a link to another
            // host is never followed.
            if !more || page >= MAX_PAGES {
                return Ok(out);
            }
            page += 1;
        }
    }
}

impl TxtApi for DigitalOcean {
    async fn find_zone(&self, name: &str) -> AdapterResult<Zone> {
        for candidate in names::zone_candidates(name) {
            let r = self
                .call(Method::GET, &format!("/domains/{candidate}"), &[], None)
                .await?;
            match r.status {
                200 => {
                    return Ok(Zone {
                        id: candidate.clone(),
                        name: candidate,
                    })
                }
                404 => continue,
                _ => return Err(self.fail(&r)),
            }
        }
        Err(AdapterError::ZoneNotFound {
            name: names::bare(name),
        })
    }

    async fn add_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        if self
            .records(zone, fqdn)
            .await?
            .iter()
            .any(|r| txt::unquote(&r.data) == value)
        {
            return Ok(());
        }
        let rel = names::relative(fqdn, &zone.name).ok_or_else(|| {
            AdapterError::Config(format!("{fqdn} is not inside the zone {}", zone.name))
        })?;
        let body = serde_json::json!({ "type": "TXT", "name": rel, "data": value, "ttl": TTL });
        let r = self
            .call(
                Method::POST,
                &format!("/domains/{}/records", zone.id),
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

    async fn remove_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        for rec in self.records(zone, fqdn).await? {
            if txt::unquote(&rec.data) != value {
                continue;
            }
            let r = self
                .call(
                    Method::DELETE,
                    &format!("/domains/{}/records/{}", zone.id, rec.id),
                    &[],
                    None,
                )
                .await?;
            if !r.ok() && r.status != 404 {
                return Err(self.fail(&r));
            }
        }
        Ok(())
    }

    async fn list_txt(&self, zone: &Zone, fqdn: &str) -> AdapterResult<Vec<String>> {
        Ok(self
            .records(zone, fqdn)
            .await?
            .iter()
            .map(|r| txt::unquote(&r.data))
            .collect())
    }
}
