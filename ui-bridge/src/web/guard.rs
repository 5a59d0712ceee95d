//! The one gate every request passes: the Host header must be this launch's
//! name and port (`sslboard-<random>.localhost:port`, against DNS rebinding
//! and against requests meant for another local server), the session
//! cookie must be the launch's session (except on `/login`), cross-site
//! fetches are refused, and a state change (POST) must carry a same-origin
//! `Origin` and the session's CSRF token (`X-CSRF-Token` header or `_csrf`
//! form field). The form body is read here, bounded, into zeroizing memory
//! and handed to the handler, so no POST route can skip the CSRF check.
//! Every response, refusals included, gets the security headers.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use zeroize::Zeroizing;

use super::forms::{FormData, MAX_BODY};
use super::WebState;

/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Header carrying the CSRF token on script-made requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

/// What the handlers learn about the session.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The session's CSRF token, for forms and scripts.
    pub csrf: String,
}

impl FromRequest for Ctx {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let ctx = req.extensions().get::<Ctx>().cloned();
        std::future::ready(ctx.ok_or_else(|| refused_error(StatusCode::UNAUTHORIZED)))
    }
}

/// A POST's form body, checked for CSRF by the guard.
#[derive(Debug)]
pub struct Form(pub FormData);

impl FromRequest for Form {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let form = req.extensions_mut().remove::<FormData>();
        std::future::ready(
            form.map(Form)
                .ok_or_else(|| refused_error(StatusCode::FORBIDDEN)),
        )
    }
}

fn refused_error(status: StatusCode) -> Error {
    actix_web::error::InternalError::from_response("refused", refusal(status, "refused")).into()
}

/// A plain-text refusal.
fn refusal(status: StatusCode, why: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(format!("{} — {why}\n", status.as_u16()))
}

/// Adds the security headers to a response.
pub fn secure_headers(headers: &mut actix_web::http::header::HeaderMap) {
    let pairs: [(HeaderName, &'static str); 7] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // `no-referrer` would make Chromium send `Origin: null` on form
        // POSTs; `same-origin` keeps the Origin check possible and sends
        // nothing to other sites (there are no third-party requests anyway).
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in pairs {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// True when `authority` (a Host header or an origin's host:port) is this
/// launch's host name and port. Not 127.0.0.1 or localhost: a session
/// reached under those names would get a cookie every local port receives.
fn our_host(authority: &str, host: &str, port: u16) -> bool {
    authority
        .strip_suffix(port_suffix(port).as_str())
        .is_some_and(|h| h.eq_ignore_ascii_case(host))
}

fn port_suffix(port: u16) -> String {
    format!(":{port}")
}

/// Why a request is refused, or `None` to let it in.
fn check_headers(req: &ServiceRequest, state: &WebState) -> Option<(StatusCode, &'static str)> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if !host.is_some_and(|h| our_host(h, &state.host, state.port)) {
        return Some((StatusCode::MISDIRECTED_REQUEST, "unknown Host"));
    }
    let login = req.path() == "/login";
    let site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|h| h.to_str().ok());
    if !login && matches!(site, Some("cross-site") | Some("same-site")) {
        return Some((StatusCode::FORBIDDEN, "cross-site request"));
    }
    match *req.method() {
        Method::GET | Method::HEAD => None,
        Method::POST if !login => {
            let origin = req
                .headers()
                .get(header::ORIGIN)
                .and_then(|h| h.to_str().ok());
            let ok = origin
                .and_then(|o| o.strip_prefix("http://"))
                .is_some_and(|o| our_host(o, &state.host, state.port));
            if ok {
                None
            } else {
                Some((StatusCode::FORBIDDEN, "foreign or missing Origin"))
            }
        }
        _ => Some((StatusCode::METHOD_NOT_ALLOWED, "method not allowed")),
    }
}

/// Reads the body (at most [`MAX_BODY`] bytes) into zeroizing memory.
async fn read_body(
    req: &mut ServiceRequest,
) -> Result<Zeroizing<Vec<u8>>, (StatusCode, &'static str)> {
    let mut payload = req.take_payload();
    let mut body = Zeroizing::new(Vec::new());
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| (StatusCode::BAD_REQUEST, "unreadable body"))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, "body too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The middleware (see the module documentation).
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<WebState>>().cloned() else {
        return Ok(finish(req.into_response(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no state",
        ))));
    };
    if let Some((status, why)) = check_headers(&req, &state) {
        return Ok(finish(req.into_response(refusal(status, why))));
    }
    if req.path() != "/login" {
        let session = req
            .cookie(state.sessions.cookie_name())
            .map(|c| c.value().to_string())
            .filter(|c| state.sessions.valid(c));
        let Some(session) = session else {
            return Ok(finish(req.into_response(refusal(
                StatusCode::UNAUTHORIZED,
                "no session: open the URL that `ui-bridge web` printed",
            ))));
        };
        let csrf = state.sessions.csrf_token(&session);
        if req.method() == Method::POST {
            let body = match read_body(&mut req).await {
                Ok(b) => b,
                Err((status, why)) => return Ok(finish(req.into_response(refusal(status, why)))),
            };
            let form = FormData::parse(&body);
            let token = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|h| h.to_str().ok())
                .or_else(|| form.text(CSRF_FIELD))
                .unwrap_or_default();
            if !state.sessions.csrf_valid(&session, token) {
                return Ok(finish(req.into_response(refusal(
                    StatusCode::FORBIDDEN,
                    "missing or wrong CSRF token",
                ))));
            }
            req.extensions_mut().insert(form);
        }
        req.extensions_mut().insert(Ctx { csrf });
    }
    let res = next.call(req).await?;
    Ok(finish(res.map_into_boxed_body()))
}

fn finish(mut res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    secure_headers(res.headers_mut());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let h = "sslboard-0123456789abcdef.localhost";
        assert!(our_host(&format!("{h}:8080"), h, 8080));
        assert!(our_host(
            "SSLBoard-0123456789ABCDEF.localhost:8080",
            h,
            8080
        ));
        assert!(!our_host(&format!("{h}:8081"), h, 8080));
        assert!(!our_host(h, h, 8080));
        assert!(!our_host("127.0.0.1:8080", h, 8080));
        assert!(!our_host("localhost:8080", h, 8080));
        assert!(!our_host(
            "sslboard-0000000000000000.localhost:8080",
            h,
            8080
        ));
        assert!(!our_host(&format!("x.{h}:8080"), h, 8080));
        assert!(!our_host("evil.example:8080", h, 8080));
    }
}
