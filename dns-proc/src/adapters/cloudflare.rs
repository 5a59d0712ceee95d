//! Cloudflare API v4: bearer token; zones found by walking up the name
//! (`GET /zones?name=`), TXT records listed page by page, created with
//! `POST /zones/{id}/dns_records` and removed one record id at a time.
//! Content is sent quoted (Cloudflare's recommended TXT form) and read back
//! in either form. An identical record already present (error 81058) counts
//! as added; a record already gone (81044) as removed.

use reqwest::Method;
use serde::Deserialize;
use shared::secret::SecretString;

use super::http::{is_throttle_status, ApiClient, ApiResponse, Auth};
use super::{endpoints, names, txt, AdapterError, AdapterResult, TxtApi, Zone};

/// TTL of the records we create (Cloudflare's smallest non-enterprise TTL is 60).
const TTL: u32 = 120;
/// Page size for record listings.
const PER_PAGE: u32 = 100;
/// Upper bound on pages followed, whatever the provider says.
const MAX_PAGES: u32 = 1000;

/// The Cloudflare adapter.
pub struct Cloudflare {
    api: ApiClient,
    base: String,
}

/// The envelope of every Cloudflare answer.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    /// Whether the call succeeded.
    #[serde(default)]
    pub success: bool,
    /// Errors, when it did not.
    #[serde(default)]
    pub errors: Vec<ApiMessage>,
    /// The payload.
    pub result: Option<T>,
    /// Paging of list answers.
    pub result_info: Option<ResultInfo>,
}

/// One error of an envelope.
#[derive(Debug, Deserialize)]
pub struct ApiMessage {
    /// Cloudflare's error code.
    #[serde(default)]
    pub code: i64,
    /// Its message.
    #[serde(default)]
    pub message: String,
}

/// Paging of a list answer.
#[derive(Debug, Deserialize)]
pub struct ResultInfo {
    /// This page.
    #[serde(default)]
    pub page: u32,
    /// Number of pages.
    #[serde(default)]
    pub total_pages: u32,
}

/// A zone.
#[derive(Debug, Deserialize)]
pub struct CfZone {
    /// Zone id.
    pub id: String,
    /// Apex name.
    pub name: String,
}

/// A DNS record.
#[derive(Debug, Deserialize)]
pub struct CfRecord {
    /// Record id.
    pub id: String,
    /// Fully qualified name.
    #[serde(default)]
    pub name: String,
    /// Record type.
    #[serde(rename = "type", default)]
    pub record_type: String,
    /// Content, quoted or raw.
    #[serde(default)]
    pub content: String,
}

/// Parses an envelope (public for the fuzz target).
pub fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> AdapterResult<Envelope<T>> {
    serde_json::from_slice(body).map_err(|e| {
        AdapterError::Protocol(format!(
            "Cloudflare answer is not an API envelope: {}",
            crate::scrub::serde_error(&e)
        ))
    })
}

/// `code: message` of every error in a body, or the whole body as text
/// (scrubbed, then cut, by `ApiClient::status_error`).
pub fn error_text(body: &[u8]) -> String {
    match serde_json::from_slice::<Envelope<serde::de::IgnoredAny>>(body) {
        Ok(env) if !env.errors.is_empty() => env
            .errors
            .iter()
            .map(|e| format!("{} ({})", e.message, e.code))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::from_utf8_lossy(body).into_owned(),
    }
}

fn has_code(body: &[u8], code: i64) -> bool {
    serde_json::from_slice::<Envelope<serde::de::IgnoredAny>>(body)
        .is_ok_and(|env| env.errors.iter().any(|e| e.code == code))
}

impl Cloudflare {
    /// An adapter using `token` as the bearer token.
    pub fn new(token: SecretString) -> AdapterResult<Self> {
        Ok(Self {
            api: ApiClient::new(Some(token))?,
            base: endpoints::base(endpoints::Cloud::Cloudflare),
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

    async fn records(&self, zone: &Zone, fqdn: &str) -> AdapterResult<Vec<CfRecord>> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let r = self
                .call(
                    Method::GET,
                    &format!("/zones/{}/dns_records", zone.id),
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
            let env: Envelope<Vec<CfRecord>> = parse(&r.body)?;
            let total = env.result_info.as_ref().map_or(1, |i| i.total_pages);
            out.extend(env.result.unwrap_or_default().into_iter().filter(|rec| {
                rec.record_type.eq_ignore_ascii_case("TXT")
                    && names::bare(&rec.name) == names::bare(fqdn)
            }));
            if page >= total || page >= MAX_PAGES {
                return Ok(out);
            }
            page += 1;
        }
    }
}

impl TxtApi for Cloudflare {
    async fn find_zone(&self, name: &str) -> AdapterResult<Zone> {
        for candidate in names::zone_candidates(name) {
            let r = self
                .call(
                    Method::GET,
                    "/zones",
                    &[("name", candidate.clone()), ("per_page", "50".into())],
                    None,
                )
                .await?;
            if !r.ok() {
                return Err(self.fail(&r));
            }
            let env: Envelope<Vec<CfZone>> = parse(&r.body)?;
            if let Some(z) = env
                .result
                .unwrap_or_default()
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
        let body = serde_json::json!({
            "type": "TXT",
            "name": names::bare(fqdn),
            "content": txt::quote(value),
            "ttl": TTL,
        });
        let r = self
            .call(
                Method::POST,
                &format!("/zones/{}/dns_records", zone.id),
                &[],
                Some(&body),
            )
            .await?;
        if r.ok() || has_code(&r.body, 81058) {
            return Ok(());
        }
        Err(self.fail(&r))
    }

    async fn remove_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        for rec in self.records(zone, fqdn).await? {
            if txt::unquote(&rec.content) != value {
                continue;
            }
            let r = self
                .call(
                    Method::DELETE,
                    &format!("/zones/{}/dns_records/{}", zone.id, rec.id),
                    &[],
                    None,
                )
                .await?;
            if !(r.ok() || r.status == 404 || has_code(&r.body, 81044)) {
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
            .map(|r| txt::unquote(&r.content))
            .collect())
    }
}
