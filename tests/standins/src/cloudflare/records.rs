//! Cloudflare DNS records under `/zones/{zone_id}/dns_records`: list with
//! filters, read one, create, delete; every change written through.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde_json::{json, Value};

use super::{reply, CfZone};
use crate::names;
use crate::paging::{param, Paging};
use crate::standin::Shared;
use crate::store::{NewRecord, Record};
use crate::txt;

/// Cloudflare's default page size for DNS records.
const DEFAULT_PER_PAGE: usize = 100;

/// A record as Cloudflare presents it.
fn record_json(zone: &CfZone, r: &Record) -> Value {
    json!({
        "id": r.hex_id,
        "zone_id": zone.id,
        "zone_name": zone.name,
        "name": r.fqdn,
        "type": "TXT",
        "content": r.content,
        "proxiable": false,
        "proxied": false,
        "ttl": r.ttl,
        "locked": false,
        "settings": {},
        "meta": { "auto_added": false, "managed_by_apps": false, "managed_by_argo_tunnel": false },
        "comment": null,
        "tags": [],
        "created_on": r.created_on,
        "modified_on": r.created_on,
    })
}

/// `GET dns_records` with `type`, `name`, `content` (and their `.exact`
/// forms) as exact-match filters.
pub(crate) fn list(shared: &Shared, zone: &CfZone, query: &[(String, String)]) -> HttpResponse {
    let kind = param(query, "type");
    let name = param(query, "name")
        .or_else(|| param(query, "name.exact"))
        .map(names::canonical);
    let content = param(query, "content").or_else(|| param(query, "content.exact"));
    let held = shared.store().select(|r| {
        r.zone == zone.name
            && kind.is_none_or(|k| k.eq_ignore_ascii_case("TXT"))
            && name.as_deref().is_none_or(|n| n == r.fqdn)
            && content.is_none_or(|c| c == r.content)
    });
    let all: Vec<Value> = held.iter().map(|r| record_json(zone, r)).collect();
    let cap = usize::try_from(shared.opts.page_cap).unwrap_or(usize::MAX);
    let paging = Paging::from_query(query, DEFAULT_PER_PAGE.min(cap), cap);
    reply::ok_page(&all, paging)
}

/// `GET dns_records/{id}`.
pub(crate) fn get(shared: &Shared, zone: &CfZone, id: &str) -> HttpResponse {
    let found = shared
        .store()
        .select(|r| r.zone == zone.name && r.hex_id == id);
    match found.first() {
        Some(r) => reply::ok(record_json(zone, r)),
        None => not_found(),
    }
}

/// `POST dns_records`: `{type, name, content, ttl}`; TXT only.
pub(crate) async fn create(shared: &Shared, zone: &CfZone, body: &[u8]) -> HttpResponse {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return reply::error(StatusCode::BAD_REQUEST, 9207, "Request body is invalid.");
    };
    match body.get("type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("TXT") => {}
        Some(t) => {
            return reply::validation(&format!(
                "record type {t} is not served by this stand-in (TXT only)"
            ))
        }
        None => return reply::validation("type is required"),
    }
    let Some(name) = body.get("name").and_then(Value::as_str) else {
        return reply::validation("name is required");
    };
    let Some(content) = body.get("content").and_then(Value::as_str) else {
        return reply::validation("content is required");
    };
    let ttl =
        match body.get("ttl") {
            None | Some(Value::Null) => 1,
            Some(v) => match v.as_u64().and_then(|t| u32::try_from(t).ok()) {
                Some(t) if t == 1 || (60..=86_400).contains(&t) => t,
                _ => return reply::error_chain(
                    StatusCode::BAD_REQUEST,
                    1004,
                    "DNS Validation Error",
                    (
                        9021,
                        "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.",
                    ),
                ),
            },
        };
    let fqdn = match names::resolve(name, &zone.name) {
        Ok(fqdn) => fqdn,
        Err(detail) => {
            return reply::error(
                StatusCode::BAD_REQUEST,
                9005,
                &format!("DNS record name is invalid: {detail}"),
            )
        }
    };
    let record = {
        let mut store = shared.store();
        if !store
            .select(|r| r.zone == zone.name && r.fqdn == fqdn && r.content == content)
            .is_empty()
        {
            return reply::error(
                StatusCode::BAD_REQUEST,
                81058,
                "An identical record already exists.",
            );
        }
        store.insert(NewRecord {
            zone: zone.name.clone(),
            fqdn,
            content: content.to_string(),
            dns_value: dns_value(content),
            ttl,
        })
    };
    match shared.commit_insert(&record).await {
        Ok(()) => reply::ok(record_json(zone, &record)),
        Err(e) => write_through_failed(&e),
    }
}

/// `DELETE dns_records/{id}`.
pub(crate) async fn delete(shared: &Shared, zone: &CfZone, id: &str) -> HttpResponse {
    match shared
        .delete(|r| r.zone == zone.name && r.hex_id == id)
        .await
    {
        Ok(Some(r)) => reply::ok(json!({ "id": r.hex_id })),
        Ok(None) => not_found(),
        Err(e) => write_through_failed(&e),
    }
}

/// The DNS value of TXT content: Cloudflare takes quoted content as
/// presentation format (`"v"` is `v`) and anything else as the text itself.
fn dns_value(content: &str) -> String {
    let trimmed = content.trim();
    if trimmed.len() >= 2 && trimmed.starts_with('"') && trimmed.ends_with('"') {
        txt::unquote(trimmed)
    } else {
        content.to_string()
    }
}

fn not_found() -> HttpResponse {
    reply::error(StatusCode::NOT_FOUND, 81044, "Record does not exist.")
}

fn write_through_failed(e: &str) -> HttpResponse {
    reply::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        10001,
        &format!("stand-in could not write through to PowerDNS: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::dns_value;

    #[test]
    fn quoted_content_is_unquoted_for_dns() {
        assert_eq!(dns_value("\"v\""), "v");
        assert_eq!(dns_value("v"), "v");
        assert_eq!(dns_value("\"a\" \"b\""), "ab");
    }
}
