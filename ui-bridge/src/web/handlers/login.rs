//! `/login?token=…`: exchanges the launch token, once, for the session
//! cookie (HttpOnly, SameSite=Strict, path `/`) and redirects to the
//! secrets page, dropping the token from the address bar.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpResponse};

use super::see_other;
use crate::web::WebState;

/// The query of `/login`.
#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    token: Option<String>,
}

/// `GET /login`.
pub async fn login(state: web::Data<WebState>, q: web::Query<LoginQuery>) -> HttpResponse {
    let token = q.token.as_deref().unwrap_or_default();
    match state.sessions.login(token) {
        Ok(Some(session)) => {
            let cookie = Cookie::build(state.sessions.cookie_name().to_string(), session)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .finish();
            let mut res = see_other("/secrets");
            if res.add_cookie(&cookie).is_err() {
                return HttpResponse::InternalServerError().finish();
            }
            res
        }
        _ => HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("403 — this login link is not valid (it works once); restart `ui-bridge web` for a new one\n"),
    }
}

/// `GET /`.
pub async fn home() -> HttpResponse {
    see_other("/secrets")
}
