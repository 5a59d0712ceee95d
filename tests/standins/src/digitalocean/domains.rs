//! DigitalOcean domains: `GET /v2/domains` and `GET /v2/domains/{name}`,
//! with a zone file rendered from the records held.

use actix_web::HttpResponse;
use serde_json::{json, Value};

use super::reply;
use crate::paging::Paging;
use crate::standin::Shared;
use crate::txt;

/// The TTL DigitalOcean gives a domain.
const DOMAIN_TTL: u32 = 1800;

/// A domain as DigitalOcean presents it.
fn domain_json(shared: &Shared, name: &str) -> Value {
    json!({ "name": name, "ttl": DOMAIN_TTL, "zone_file": zone_file(shared, name) })
}

/// `GET /v2/domains`, paginated.
pub(crate) fn list(shared: &Shared, query: &[(String, String)], max: usize) -> HttpResponse {
    let all: Vec<Value> = shared
        .zones
        .iter()
        .map(|z| domain_json(shared, z))
        .collect();
    let paging = Paging::from_query(query, super::DEFAULT_PER_PAGE.min(max), max);
    HttpResponse::Ok().json(json!({
        "domains": paging.window(&all),
        "links": {},
        "meta": { "total": all.len() },
    }))
}

/// `GET /v2/domains/{name}`.
pub(crate) fn get(shared: &Shared, name: &str) -> HttpResponse {
    match shared.zones.iter().find(|z| *z == name) {
        Some(zone) => HttpResponse::Ok().json(json!({ "domain": domain_json(shared, zone) })),
        None => reply::not_found(),
    }
}

fn zone_file(shared: &Shared, zone: &str) -> String {
    let mut out = format!(
        "$ORIGIN {zone}.\n$TTL {DOMAIN_TTL}\n\
         {zone}. IN SOA ns1.digitalocean.com. hostmaster.{zone}. 1 10800 3600 604800 {DOMAIN_TTL}\n"
    );
    for ns in ["ns1", "ns2", "ns3"] {
        out.push_str(&format!(
            "{zone}. {DOMAIN_TTL} IN NS {ns}.digitalocean.com.\n"
        ));
    }
    for r in shared.store().select(|r| r.zone == zone) {
        out.push_str(&format!(
            "{}. {} IN TXT {}\n",
            r.fqdn,
            r.ttl,
            txt::quote(&r.dns_value)
        ));
    }
    out
}
