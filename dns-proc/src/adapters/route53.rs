//! Route53 over its REST/XML API, every request signed with SigV4 by the
//! `aws-sigv4` crate. The token is `ACCESS_KEY_ID:SECRET_ACCESS_KEY`.
//!
//! The hosted zone comes from the configuration or from
//! `ListHostedZonesByName` walking up the name (public zones first). Route53
//! replaces whole record sets, so adding a value reads the set and UPSERTs it
//! with the value merged in; removing UPSERTs the rest, or DELETEs the exact
//! set when nothing is left. Each change is then polled with `GetChange`
//! until it is `INSYNC`.

use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use reqwest::Method;
use shared::secret::SecretString;

use super::http::{ApiClient, ApiResponse};
use super::route53_xml::{self as xml, ChangeInfo};
use super::{endpoints, names, txt, AdapterError, AdapterResult, TxtApi, Zone};
use crate::providers::config::Route53Config;

/// TTL of record sets we create.
const TTL: u32 = 60;
/// API version path.
const API: &str = "/2013-04-01";
/// Longest wait for a change to become `INSYNC`.
const INSYNC_TIMEOUT: Duration = Duration::from_secs(180);

/// The Route53 adapter.
pub struct Route53 {
    api: ApiClient,
    base: String,
    region: String,
    identity: Identity,
    zone_id: Option<String>,
}

impl Route53 {
    /// An adapter for `config` with `token` = `ACCESS_KEY_ID:SECRET_ACCESS_KEY`.
    pub fn new(config: &Route53Config, token: SecretString) -> AdapterResult<Self> {
        let (key_id, secret) = token.expose().split_once(':').ok_or_else(|| {
            AdapterError::Config(
                "a route53 token is `ACCESS_KEY_ID:SECRET_ACCESS_KEY` (no `:` found)".into(),
            )
        })?;
        if key_id.trim().is_empty() || secret.trim().is_empty() {
            return Err(AdapterError::Config(
                "a route53 token is `ACCESS_KEY_ID:SECRET_ACCESS_KEY` (one side is empty)".into(),
            ));
        }
        let identity: Identity =
            Credentials::new(key_id.trim(), secret.trim(), None, None, "sslboard").into();
        Ok(Self {
            api: ApiClient::new(Some(token.clone()))?,
            base: endpoints::base(endpoints::Cloud::Route53),
            region: config.region.clone().unwrap_or_else(|| "us-east-1".into()),
            identity,
            zone_id: config.hosted_zone_id.clone(),
        })
    }

    /// Sends a signed request; `path_and_query` is already encoded.
    async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Vec<u8>,
    ) -> AdapterResult<ApiResponse> {
        let url = format!("{}{}", self.base, path_and_query);
        self.api
            .send(
                |c| self.signed(c, method.clone(), &url, &body),
                |r| matches!(r.status, 429 | 503) || xml::is_throttling(&r.body),
            )
            .await
    }

    fn signed(
        &self,
        c: &reqwest::Client,
        method: Method,
        url: &str,
        body: &[u8],
    ) -> AdapterResult<reqwest::RequestBuilder> {
        let content_type = [("content-type", "text/xml")];
        let headers: &[(&str, &str)] = if body.is_empty() { &[] } else { &content_type };
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("route53")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| AdapterError::Config(format!("SigV4 parameters: {e}")))?
            .into();
        let signable = SignableRequest::new(
            method.as_str(),
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| AdapterError::Config(format!("request cannot be signed: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| AdapterError::Config(format!("SigV4 signing failed: {e}")))?
            .into_parts();
        let mut r = c.request(method, url);
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            let mut v = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| AdapterError::Config("signed header is not a valid header".into()))?;
            v.set_sensitive(name.eq_ignore_ascii_case("authorization"));
            r = r.header(name, v);
        }
        Ok(r.body(body.to_vec()))
    }

    fn fail(&self, r: &ApiResponse) -> AdapterError {
        let (code, message) = xml::error(&r.body);
        let text = self.api.scrub(&format!("{code}: {message}"));
        match (r.status, code.as_str()) {
            (401 | 403, _)
            | (_, "InvalidClientTokenId" | "SignatureDoesNotMatch" | "AccessDenied") => {
                AdapterError::Auth(format!("HTTP {}: {text}", r.status))
            }
            (404, _) | (_, "NoSuchHostedZone") => AdapterError::ZoneNotFound { name: text },
            (_, "InvalidChangeBatch") => AdapterError::Refused(text),
            _ => self.api.status_error(r.status, &text),
        }
    }

    async fn record_set(&self, zone: &Zone, fqdn: &str) -> AdapterResult<(u32, Vec<String>)> {
        let query = super::http::with_query(
            "",
            &[
                ("name", names::dotted(fqdn)),
                ("type", "TXT".into()),
                ("maxitems", "1".into()),
            ],
        );
        let r = self
            .call(
                Method::GET,
                &format!("{API}/hostedzone/{}/rrset{query}", zone.id),
                Vec::new(),
            )
            .await?;
        if !r.ok() {
            return Err(self.fail(&r));
        }
        let sets = xml::record_sets(&r.body)?;
        Ok(sets
            .into_iter()
            .find(|s| s.record_type == "TXT" && xml::name_matches(&s.name, fqdn))
            .map(|s| {
                (
                    s.ttl.unwrap_or(TTL),
                    s.values.iter().map(|v| txt::unquote(v)).collect(),
                )
            })
            .unwrap_or((TTL, Vec::new())))
    }

    async fn change(
        &self,
        zone: &Zone,
        action: &str,
        fqdn: &str,
        ttl: u32,
        values: &[String],
    ) -> AdapterResult<()> {
        let body = xml::change_batch(action, &names::dotted(fqdn), ttl, values);
        let r = self
            .call(
                Method::POST,
                &format!("{API}/hostedzone/{}/rrset/", zone.id),
                body.into_bytes(),
            )
            .await?;
        if !r.ok() {
            return Err(self.fail(&r));
        }
        self.wait_insync(xml::change_info(&r.body)?).await
    }

    async fn wait_insync(&self, mut info: ChangeInfo) -> AdapterResult<()> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(200);
        while info.status != "INSYNC" {
            if start.elapsed() > INSYNC_TIMEOUT {
                return Err(AdapterError::Transport(format!(
                    "change {} still {} after {} s",
                    info.id,
                    info.status,
                    INSYNC_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
            let id = info.id.trim_start_matches("/change/").to_string();
            let r = self
                .call(Method::GET, &format!("{API}/change/{id}"), Vec::new())
                .await?;
            if !r.ok() {
                return Err(self.fail(&r));
            }
            info = xml::change_info(&r.body)?;
        }
        Ok(())
    }
}

impl TxtApi for Route53 {
    async fn find_zone(&self, name: &str) -> AdapterResult<Zone> {
        if let Some(id) = &self.zone_id {
            let r = self
                .call(Method::GET, &format!("{API}/hostedzone/{id}"), Vec::new())
                .await?;
            if !r.ok() {
                return Err(self.fail(&r));
            }
            let zone = xml::hosted_zone(&r.body)?;
            let apex = names::bare(&xml::decode_name(&zone.name));
            if !names::within(name, &apex) {
                return Err(AdapterError::ZoneNotFound {
                    name: format!(
                        "{} (the configured hosted zone {id} is {apex})",
                        names::bare(name)
                    ),
                });
            }
            return Ok(Zone {
                name: apex,
                id: id.clone(),
            });
        }
        for candidate in names::zone_candidates(name) {
            let query = super::http::with_query(
                "",
                &[
                    ("dnsname", names::dotted(&candidate)),
                    ("maxitems", "10".into()),
                ],
            );
            let r = self
                .call(
                    Method::GET,
                    &format!("{API}/hostedzonesbyname{query}"),
                    Vec::new(),
                )
                .await?;
            if !r.ok() {
                return Err(self.fail(&r));
            }
            let mut zones: Vec<_> = xml::zones_by_name(&r.body)?
                .into_iter()
                .filter(|z| names::bare(&xml::decode_name(&z.name)) == candidate)
                .collect();
            zones.sort_by_key(|z| z.is_private());
            if let Some(z) = zones.into_iter().next() {
                return Ok(Zone {
                    name: candidate,
                    id: z.id.trim_start_matches("/hostedzone/").to_string(),
                });
            }
        }
        Err(AdapterError::ZoneNotFound {
            name: names::bare(name),
        })
    }

    async fn add_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        let (ttl, mut values) = self.record_set(zone, fqdn).await?;
        if values.iter().any(|v| v == value) {
            return Ok(());
        }
        values.push(value.to_string());
        self.change(zone, "UPSERT", fqdn, ttl, &values).await
    }

    async fn remove_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        let (ttl, values) = self.record_set(zone, fqdn).await?;
        if !values.iter().any(|v| v == value) {
            return Ok(());
        }
        let rest: Vec<String> = values.iter().filter(|v| *v != value).cloned().collect();
        if rest.is_empty() {
            self.change(zone, "DELETE", fqdn, ttl, &values).await
        } else {
            self.change(zone, "UPSERT", fqdn, ttl, &rest).await
        }
    }

    async fn list_txt(&self, zone: &Zone, fqdn: &str) -> AdapterResult<Vec<String>> {
        Ok(self.record_set(zone, fqdn).await?.1)
    }
}
