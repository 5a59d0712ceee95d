//! Cloudflare zones: `GET /zones` (with the `name` and `status` filters) and
//! `GET /zones/{id}`.

use serde_json::{json, Value};

use super::{reply, CfZone};
use crate::names;
use crate::paging::{param, Paging};

/// Cloudflare's default and largest page size for zones.
const DEFAULT_PER_PAGE: usize = 20;
const MAX_PER_PAGE: usize = 50;

/// A zone as Cloudflare presents it.
pub(crate) fn zone_json(zone: &CfZone) -> Value {
    json!({
        "id": zone.id,
        "name": zone.name,
        "status": "active",
        "paused": false,
        "type": "full",
        "development_mode": 0,
        "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
        "original_name_servers": null,
        "original_registrar": null,
        "original_dnshost": null,
        "created_on": zone.created_on,
        "modified_on": zone.created_on,
        "activated_on": zone.created_on,
        "account": { "id": zone.account_id, "name": "SSLBoard stand-in account" },
        "owner": { "id": null, "type": "organization", "email": null },
        "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
        "plan": { "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website" },
    })
}

/// `GET /zones`: zones whose name equals `name` (all without it), paginated.
pub(crate) fn list(
    zones: &[CfZone],
    query: &[(String, String)],
    page_cap: usize,
) -> actix_web::HttpResponse {
    let name = param(query, "name").map(names::canonical);
    let status = param(query, "status");
    let matching: Vec<Value> = zones
        .iter()
        .filter(|z| name.as_deref().is_none_or(|n| n == z.name))
        .filter(|_| status.is_none_or(|s| s == "active"))
        .map(zone_json)
        .collect();
    let paging = Paging::from_query(query, DEFAULT_PER_PAGE, MAX_PER_PAGE.min(page_cap));
    reply::ok_page(&matching, paging)
}
