//! DigitalOcean domain records under `/v2/domains/{domain}/records`: list
//! with `type`/`name` filters and `links`, read one, create, delete; every
//! change written through.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::reply;
use crate::names;
use crate::paging::{param, Paging};
use crate::standin::Shared;
use crate::store::{NewRecord, Record};

/// DigitalOcean's default TTL for a record created without one.
const DEFAULT_TTL: u32 = 1800;
/// DigitalOcean's smallest TTL.
const MIN_TTL: u32 = 30;

/// A record as DigitalOcean presents it: `name` relative, `@` for the apex.
fn record_json(r: &Record) -> Value {
    json!({
        "id": r.num_id,
        "type": "TXT",
        "name": names::relative(&r.fqdn, &r.zone),
        "data": r.content,
        "priority": null,
        "port": null,
        "ttl": r.ttl,
        "weight": null,
        "flags": null,
        "tag": null,
    })
}

/// `GET records`: `type` and `name` (fully qualified) filter exactly.
pub(crate) fn list(
    shared: &Shared,
    zone: &str,
    query: &[(String, String)],
    max: usize,
) -> HttpResponse {
    let kind = param(query, "type");
    let name = param(query, "name").map(names::canonical);
    let held = shared.store().select(|r| {
        r.zone == zone
            && kind.is_none_or(|k| k.eq_ignore_ascii_case("TXT"))
            && name.as_deref().is_none_or(|n| n == r.fqdn)
    });
    let all: Vec<Value> = held.iter().map(record_json).collect();
    let paging = Paging::from_query(query, super::DEFAULT_PER_PAGE.min(max), max);
    HttpResponse::Ok().json(json!({
        "domain_records": paging.window(&all),
        "links": links(shared, zone, query, paging, all.len()),
        "meta": { "total": all.len() },
    }))
}

/// `links.pages` with `first`/`prev` after page 1 and `next`/`last` before
/// the last page, each the full URL with the request's filters; `{}` when
/// everything fits on one page.
fn links(
    shared: &Shared,
    zone: &str,
    query: &[(String, String)],
    paging: Paging,
    total: usize,
) -> Value {
    let last = paging.pages(total);
    let url = |page: usize| -> Value {
        let base = format!("{}/v2/domains/{zone}/records", shared.origin());
        let mut pairs = vec![
            ("page".to_string(), page.to_string()),
            ("per_page".to_string(), paging.per_page.to_string()),
        ];
        pairs.extend(
            query
                .iter()
                .filter(|(k, _)| k != "page" && k != "per_page")
                .cloned(),
        );
        reqwest::Url::parse_with_params(&base, pairs)
            .map(|u| Value::String(u.to_string()))
            .unwrap_or(Value::Null)
    };
    let mut pages = Map::new();
    if paging.page > 1 {
        pages.insert("first".to_string(), url(1));
        pages.insert("prev".to_string(), url((paging.page - 1).min(last)));
    }
    if paging.page < last {
        pages.insert("next".to_string(), url(paging.page + 1));
        pages.insert("last".to_string(), url(last));
    }
    if pages.is_empty() {
        json!({})
    } else {
        json!({ "pages": pages })
    }
}

/// `GET records/{id}`.
pub(crate) fn get(shared: &Shared, zone: &str, id: u64) -> HttpResponse {
    let found = shared.store().select(|r| r.zone == zone && r.num_id == id);
    match found.first() {
        Some(r) => HttpResponse::Ok().json(json!({ "domain_record": record_json(r) })),
        None => reply::not_found(),
    }
}

/// `POST records`: `{type, name, data, ttl}`, TXT only; duplicates allowed.
pub(crate) async fn create(shared: &Shared, zone: &str, body: &[u8]) -> HttpResponse {
    let body = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(body)) => body,
        Ok(_) => {
            return reply::error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "request body must be a JSON object",
            )
        }
        Err(e) => return reply::error(StatusCode::BAD_REQUEST, "bad_request", &e.to_string()),
    };
    match body.get("type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("TXT") => {}
        Some(t) => {
            return reply::unprocessable(&format!(
                "Record type {t} is not served by this stand-in (TXT only)."
            ))
        }
        None => return reply::unprocessable("Type can't be blank."),
    }
    let Some(name) = body.get("name").and_then(Value::as_str) else {
        return reply::unprocessable("Name can't be blank.");
    };
    let data = match body.get("data").and_then(Value::as_str) {
        Some(d) if !d.is_empty() => d,
        _ => return reply::unprocessable("Data can't be blank."),
    };
    let ttl = match body.get("ttl") {
        None | Some(Value::Null) => DEFAULT_TTL,
        Some(v) => match v.as_u64().and_then(|t| u32::try_from(t).ok()) {
            Some(t) if t >= MIN_TTL => t,
            _ => return reply::unprocessable("TTL must be at least 30 seconds."),
        },
    };
    let fqdn = match names::resolve(name, zone) {
        Ok(fqdn) => fqdn,
        Err(detail) => return reply::unprocessable(&format!("Name is invalid: {detail}.")),
    };
    let record = shared.store().insert(NewRecord {
        zone: zone.to_string(),
        fqdn,
        content: data.to_string(),
        dns_value: data.to_string(),
        ttl,
    });
    match shared.commit_insert(&record).await {
        Ok(()) => HttpResponse::Created().json(json!({ "domain_record": record_json(&record) })),
        Err(e) => write_through_failed(&e),
    }
}

/// `DELETE records/{id}`: 204 with no body.
pub(crate) async fn delete(shared: &Shared, zone: &str, id: u64) -> HttpResponse {
    match shared.delete(|r| r.zone == zone && r.num_id == id).await {
        Ok(Some(_)) => HttpResponse::NoContent().finish(),
        Ok(None) => reply::not_found(),
        Err(e) => write_through_failed(&e),
    }
}

fn write_through_failed(e: &str) -> HttpResponse {
    reply::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        &format!("stand-in could not write through to PowerDNS: {e}"),
    )
}
