//! A local stand-in for DigitalOcean's v2 API (domains and TXT domain
//! records), written from its public documentation, writing every change
//! through to PowerDNS. Base URL: `http://127.0.0.1:P/v2`.

mod domains;
mod records;
mod reply;

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::{HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;
use serde_json::json;

use crate::options::StandinOptions;
use crate::standin::{serve, Access, Api, Call, Shared};
use crate::Standin;

/// DigitalOcean's default page size.
const DEFAULT_PER_PAGE: usize = 20;
/// DigitalOcean's largest page size.
const MAX_PER_PAGE: usize = 200;
/// Requests per hour DigitalOcean allows a token.
const HOURLY_LIMIT: u32 = 5000;

/// Starts a DigitalOcean stand-in serving `opts.zones` as domains.
pub fn start(opts: StandinOptions) -> std::io::Result<Standin> {
    serve(opts, DigitalOcean)
}

struct DigitalOcean;

impl Api for DigitalOcean {
    fn base_path(&self) -> &'static str {
        "/v2"
    }

    fn too_many_requests(&self) -> HttpResponse {
        let mut response = reply::error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "API Rate limit exceeded.",
        );
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        response
    }

    async fn answer(&self, shared: &Shared, call: Call) -> HttpResponse {
        match call.access {
            Access::Missing | Access::Malformed | Access::Unknown => {
                return reply::error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Unable to authenticate you",
                )
            }
            Access::ReadOnly if call.is_write() => {
                return reply::error(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "You do not have access for the attempted action.",
                )
            }
            Access::ReadOnly | Access::Full => {}
        }
        let max = MAX_PER_PAGE.min(usize::try_from(shared.opts.page_cap).unwrap_or(usize::MAX));
        let segments: Vec<&str> = call.segments.iter().map(String::as_str).collect();
        match (segments.as_slice(), &call.method) {
            (["v2", "account"], &Method::GET) => account(),
            (["v2", "domains"], &Method::GET) => domains::list(shared, &call.query, max),
            (["v2", "domains", domain], &Method::GET) => {
                domains::get(shared, &crate::names::canonical(domain))
            }
            (["v2", "domains", domain, tail @ ..], method) => {
                let domain = crate::names::canonical(domain);
                if !shared.zones.contains(&domain) {
                    return reply::not_found();
                }
                match (tail, method) {
                    (["records"], &Method::GET) => records::list(shared, &domain, &call.query, max),
                    (["records"], &Method::POST) => {
                        records::create(shared, &domain, &call.body).await
                    }
                    (["records", id], _) => {
                        let Ok(id) = id.parse::<u64>() else {
                            return reply::not_found();
                        };
                        match *method {
                            Method::GET => records::get(shared, &domain, id),
                            Method::DELETE => records::delete(shared, &domain, id).await,
                            _ => not_allowed(),
                        }
                    }
                    (["records"], _) => not_allowed(),
                    _ => reply::not_found(),
                }
            }
            _ => reply::not_found(),
        }
    }

    /// DigitalOcean sends its rate-limit headers on every response.
    fn finish(&self, shared: &Shared, mut response: HttpResponse) -> HttpResponse {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let limited = response.status() == StatusCode::TOO_MANY_REQUESTS;
        let remaining = if limited {
            0
        } else {
            HOURLY_LIMIT.saturating_sub(shared.seen())
        };
        let reset = if limited { now + 1 } else { now + 60 };
        let headers = response.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", HOURLY_LIMIT.to_string()),
            ("ratelimit-remaining", remaining.to_string()),
            ("ratelimit-reset", reset.to_string()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

/// `GET /v2/account`, which clients use to check a token.
fn account() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "account": {
            "droplet_limit": 25,
            "floating_ip_limit": 3,
            "volume_limit": 100,
            "email": "standin@example.test",
            "uuid": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef",
            "email_verified": true,
            "status": "active",
            "status_message": "",
            "team": null,
        }
    }))
}

fn not_allowed() -> HttpResponse {
    reply::error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "The method is not allowed for the requested URL.",
    )
}
