//! A local stand-in for Cloudflare's v4 API (zones and TXT DNS records),
//! written from its public documentation, writing every change through to
//! PowerDNS. Base URL: `http://127.0.0.1:P/client/v4`.

mod records;
mod reply;
mod zones;

use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;
use serde_json::json;

use crate::options::StandinOptions;
use crate::standin::{serve, Access, Api, Call, Shared};
use crate::store::{now_rfc3339, random_hex};
use crate::Standin;

/// Starts a Cloudflare stand-in serving `opts.zones`, each with a fresh
/// random 32-hex zone id.
pub fn start(opts: StandinOptions) -> std::io::Result<Standin> {
    let account_id = random_hex();
    let created_on = now_rfc3339();
    let zones = opts
        .zones
        .iter()
        .map(|z| CfZone {
            id: random_hex(),
            name: crate::names::canonical(z),
            account_id: account_id.clone(),
            created_on: created_on.clone(),
        })
        .collect();
    serve(
        opts,
        Cloudflare {
            zones,
            token_id: random_hex(),
        },
    )
}

/// One served zone.
pub(crate) struct CfZone {
    pub id: String,
    pub name: String,
    pub account_id: String,
    pub created_on: String,
}

struct Cloudflare {
    zones: Vec<CfZone>,
    token_id: String,
}

impl Api for Cloudflare {
    fn base_path(&self) -> &'static str {
        "/client/v4"
    }

    fn too_many_requests(&self) -> HttpResponse {
        let mut response = reply::error(
            StatusCode::TOO_MANY_REQUESTS,
            971,
            "Please wait and consider throttling your request speed",
        );
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("1"),
        );
        response
    }

    async fn answer(&self, shared: &Shared, call: Call) -> HttpResponse {
        let segments: Vec<&str> = call.segments.iter().map(String::as_str).collect();
        let Some(rest) = segments.strip_prefix(&["client", "v4"][..]) else {
            return no_route();
        };
        if rest == ["user", "tokens", "verify"] {
            return self.verify(&call);
        }
        if let Some(refusal) = refuse(&call) {
            return refusal;
        }
        let page_cap = usize::try_from(shared.opts.page_cap).unwrap_or(usize::MAX);
        match rest {
            ["zones"] => match call.method {
                Method::GET => zones::list(&self.zones, &call.query, page_cap),
                _ => not_allowed(),
            },
            ["zones", zone_id, tail @ ..] => {
                let Some(zone) = self.zones.iter().find(|z| z.id == *zone_id) else {
                    return reply::error(
                        StatusCode::NOT_FOUND,
                        7003,
                        &format!(
                            "Could not route to /{}, perhaps your object identifier is invalid?",
                            rest.join("/")
                        ),
                    );
                };
                match (tail, &call.method) {
                    ([], &Method::GET) => reply::ok(zones::zone_json(zone)),
                    (["dns_records"], &Method::GET) => records::list(shared, zone, &call.query),
                    (["dns_records"], &Method::POST) => {
                        records::create(shared, zone, &call.body).await
                    }
                    (["dns_records", id], &Method::GET) => records::get(shared, zone, id),
                    (["dns_records", id], &Method::DELETE) => {
                        records::delete(shared, zone, id).await
                    }
                    ([] | ["dns_records"] | ["dns_records", _], _) => not_allowed(),
                    _ => no_route(),
                }
            }
            _ => no_route(),
        }
    }
}

impl Cloudflare {
    /// `GET /user/tokens/verify`: whether the bearer token is valid.
    fn verify(&self, call: &Call) -> HttpResponse {
        match call.access {
            Access::Full | Access::ReadOnly => HttpResponse::Ok().json(json!({
                "success": true, "errors": [],
                "messages": [{ "code": 10000, "message": "This API Token is valid and active", "type": null }],
                "result": { "id": self.token_id, "status": "active" },
            })),
            Access::Missing | Access::Malformed => invalid_headers(),
            Access::Unknown => reply::error(StatusCode::UNAUTHORIZED, 1000, "Invalid API Token"),
        }
    }
}

/// The authentication answer for requests that may not proceed.
fn refuse(call: &Call) -> Option<HttpResponse> {
    match call.access {
        Access::Missing | Access::Malformed => Some(invalid_headers()),
        Access::Unknown => Some(reply::error(
            StatusCode::UNAUTHORIZED,
            10000,
            "Authentication error",
        )),
        Access::ReadOnly if call.is_write() => Some(reply::error(
            StatusCode::FORBIDDEN,
            10000,
            "Authentication error",
        )),
        Access::ReadOnly | Access::Full => None,
    }
}

fn invalid_headers() -> HttpResponse {
    reply::error_chain(
        StatusCode::BAD_REQUEST,
        6003,
        "Invalid request headers",
        (6111, "Invalid format for Authorization header"),
    )
}

fn no_route() -> HttpResponse {
    reply::error(StatusCode::BAD_REQUEST, 7000, "No route for that URI")
}

fn not_allowed() -> HttpResponse {
    reply::error(
        StatusCode::METHOD_NOT_ALLOWED,
        7001,
        "Method not allowed for this endpoint",
    )
}
