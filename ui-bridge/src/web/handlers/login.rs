//! `/login?token=…`: exchanges the launch token, once, for the session
//! cookie (HttpOnly, SameSite=Strict, path `/`, host-only: no `Domain`, so
//! only this launch's `*.localhost` name receives it) and redirects to `/`,
//! dropping the token from the address bar. `/` shows the first-run page
//! while nothing is stored, the secrets list afterwards.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use shared::protocol::secrets::SecretFilter;
use shared::protocol::ui::{UiRequest, UiResponse};

use super::{chrome, html, see_other};
use crate::web::guard::Ctx;
use crate::web::pages::{welcome, Nav};
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
            let mut res = see_other("/");
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

/// True when the core holds no secret and no DNS provider (errors count as
/// not empty: the lists then say what went wrong).
async fn nothing_yet(state: &WebState) -> bool {
    let secrets = state
        .call(UiRequest::SecretList {
            filter: SecretFilter::default(),
            after: None,
            limit: Some(1),
        })
        .await;
    let providers = state
        .call(UiRequest::DnsProviderList {
            after: None,
            limit: Some(1),
        })
        .await;
    matches!(
        (secrets, providers),
        (Ok(UiResponse::Secrets(s, _)), Ok(UiResponse::Providers(p, _))) if s.is_empty() && p.is_empty()
    )
}

/// `GET /`: the first-run page while nothing is stored, else the secrets.
pub async fn home(state: web::Data<WebState>, ctx: Ctx, req: HttpRequest) -> HttpResponse {
    if !nothing_yet(&state).await {
        return see_other("/secrets");
    }
    let chrome = chrome(&state, &ctx, Nav::Welcome, &req).await;
    html(StatusCode::OK, welcome::page_for(&chrome, true))
}

/// `GET /welcome`: the getting-started page, always.
pub async fn welcome(state: web::Data<WebState>, ctx: Ctx, req: HttpRequest) -> HttpResponse {
    let empty = nothing_yet(&state).await;
    let chrome = chrome(&state, &ctx, Nav::Welcome, &req).await;
    html(StatusCode::OK, welcome::page_for(&chrome, empty))
}
