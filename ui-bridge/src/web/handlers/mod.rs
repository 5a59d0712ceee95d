//! HTTP handlers: each turns a page view or a form into one or a few broker
//! commands and renders the answer. Shared here: the page frame (vault
//! state, notices), HTML responses, redirects, and answer unpacking.

pub mod accounts;
pub mod assets;
pub mod certificates;
pub mod login;
pub mod providers;
pub mod secrets;
pub mod testconn;
pub mod vault;
pub mod workflow_runs;
pub mod workflows;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::Markup;
use shared::error::WireError;
use shared::protocol::dns::ProviderMeta;
use shared::protocol::ui::{UiRequest, UiResponse};

use super::guard::Ctx;
use super::pages::{self, Chrome, Nav, Notice};
use super::WebState;

/// Page size used when listing.
const PAGE: u32 = 500;

/// Most providers gathered for one page.
const MAX_PROVIDERS: usize = 20_000;

/// An HTML response.
pub fn html(status: StatusCode, m: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(m.into_string())
}

/// A 303 redirect to a local path.
pub fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, path))
        .finish()
}

/// The frame of a page: asks the broker for the vault state (never unlocks).
pub async fn chrome<'a>(
    state: &'a WebState,
    ctx: &'a Ctx,
    nav: Nav,
    req: &HttpRequest,
) -> Chrome<'a> {
    let vault = match state.call(UiRequest::VaultStatus).await {
        Ok(UiResponse::VaultStatus(s)) => Ok(s),
        Ok(_) => Err(unexpected()),
        Err(e) => Err(e),
    };
    let here = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    Chrome {
        csrf: &ctx.csrf,
        vault,
        nav,
        notices: state.take_flash(),
        assets: &state.assets,
        here,
        refresh: None,
    }
}

/// One delete form's request and where it leads: the notice on success,
/// the list to go back to, and the error page's frame otherwise.
pub struct Deletion {
    /// The delete command.
    pub request: UiRequest,
    /// The notice shown on the list after it.
    pub done: String,
    /// The list page (redirect target and the error page's way back).
    pub list: (&'static str, &'static str),
    /// The nav entry of the error page.
    pub nav: Nav,
}

/// Runs a delete form's command: on success a notice and a 303 to the
/// list, otherwise the error page with the way back. Every delete form of
/// the pages goes through here.
pub async fn delete_then_redirect(
    state: &WebState,
    ctx: &Ctx,
    req: &HttpRequest,
    d: Deletion,
) -> HttpResponse {
    match state.call(d.request).await {
        Ok(UiResponse::Deleted) => {
            state.flash(Notice::info(d.done));
            see_other(d.list.0)
        }
        other => {
            let e = other.err().unwrap_or_else(unexpected);
            let mut chrome = chrome(state, ctx, d.nav, req).await;
            error_page(&mut chrome, &e, d.list)
        }
    }
}

/// The error for an answer of the wrong shape.
pub fn unexpected() -> WireError {
    WireError::internal("unexpected answer from the core")
}

/// The HTTP status of a page showing core error `e`.
pub fn status_of(e: &WireError) -> StatusCode {
    match e.code {
        shared::error::ErrorCode::Conflict => StatusCode::CONFLICT,
        shared::error::ErrorCode::NotFound => StatusCode::NOT_FOUND,
        shared::error::ErrorCode::Validation | shared::error::ErrorCode::InvalidRequest => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The status of a form shown again with core error `e`: refusals about
/// what the form says (a CA refusing an EAB binding, a directory the vault
/// will not write to) are answered like validation errors.
pub fn form_status(e: &WireError) -> StatusCode {
    match e.code {
        shared::error::ErrorCode::ProviderError | shared::error::ErrorCode::Forbidden => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => status_of(e),
    }
}

/// A page for a core error outside any form (e.g. not found).
pub fn error_page(chrome: &mut Chrome<'_>, e: &WireError, back: (&str, &str)) -> HttpResponse {
    let status = status_of(e);
    chrome.notices.push(Notice::error(e.message.clone()));
    html(
        status,
        pages::message_with(
            "Something went wrong",
            chrome,
            "The core could not do this.",
            pages::guidance::fix(e),
            back,
        ),
    )
}

/// Every provider (paged through).
pub async fn all_providers(state: &WebState) -> Result<Vec<ProviderMeta>, WireError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        match state
            .call(UiRequest::DnsProviderList {
                after: after.take(),
                limit: Some(PAGE),
            })
            .await?
        {
            UiResponse::Providers(list, next) => {
                out.extend(list);
                match next {
                    Some(n) if out.len() < MAX_PROVIDERS => after = Some(n),
                    _ => return Ok(out),
                }
            }
            _ => return Err(unexpected()),
        }
    }
}

/// One provider by id.
pub async fn find_provider(state: &WebState, id: &str) -> Result<ProviderMeta, WireError> {
    all_providers(state)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| WireError::not_found("no such DNS provider"))
}

/// 404 for unknown paths.
pub async fn not_found(
    state: web::Data<WebState>,
    ctx: Option<Ctx>,
    req: HttpRequest,
) -> HttpResponse {
    match ctx {
        Some(ctx) => {
            let chrome = chrome(&state, &ctx, Nav::Secrets, &req).await;
            html(
                StatusCode::NOT_FOUND,
                pages::message(
                    "Not found",
                    &chrome,
                    "There is no such page.",
                    ("/secrets", "Back to secrets"),
                ),
            )
        }
        None => HttpResponse::NotFound().finish(),
    }
}
