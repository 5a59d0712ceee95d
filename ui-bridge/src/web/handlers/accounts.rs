//! Settings → ACME accounts handlers: list, add (the CA chosen first; the
//! EAB HMAC key is moved out of the form into the request and never
//! rendered again), delete (optionally deactivating at the CA).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use shared::error::WireError;
use shared::protocol::acme::AcmeAccountMeta;
use shared::protocol::ui::{UiRequest, UiResponse};

use super::certificates::all_certificates;
use super::{
    chrome, delete_then_redirect, error_page, form_status, html, see_other, unexpected, Deletion,
};
use crate::web::forms::acme as forms;
use crate::web::forms::FormData;
use crate::web::guard::{Ctx, Form};
use crate::web::pages::accounts::{self as pages, account_name, Draft};
use crate::web::pages::{Nav, Notice};
use crate::web::typed;
use crate::web::WebState;

/// Every ACME account.
pub async fn all_accounts(state: &WebState) -> Result<Vec<AcmeAccountMeta>, WireError> {
    match state.call(UiRequest::AcmeAccountList).await? {
        UiResponse::AcmeAccounts(list) => Ok(list),
        _ => Err(unexpected()),
    }
}

async fn find_account(state: &WebState, id: &str) -> Result<AcmeAccountMeta, WireError> {
    all_accounts(state)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| WireError::not_found("no such ACME account"))
}

/// `GET /accounts`.
pub async fn list(state: web::Data<WebState>, ctx: Ctx, req: HttpRequest) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Accounts, &req).await;
    match all_accounts(&state).await {
        Ok(list) => html(StatusCode::OK, pages::list(&chrome, &list)),
        Err(e) => error_page(&mut chrome, &e, ("/accounts", "ACME accounts")),
    }
}

/// The `type` query of the add page.
#[derive(Debug, serde::Deserialize)]
pub struct NewQuery {
    #[serde(rename = "type")]
    directory: Option<String>,
}

/// `GET /accounts/new` (`?type=` picks the CA; without it, the chooser).
pub async fn new(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    q: web::Query<NewQuery>,
) -> HttpResponse {
    let chrome = chrome(&state, &ctx, Nav::Accounts, &req).await;
    let draft = Draft {
        directory: q.directory.clone().unwrap_or_default(),
        ..Draft::default()
    };
    html(StatusCode::OK, pages::new(&chrome, &draft, None))
}

fn draft_of(form: &FormData) -> Draft {
    let text = |k: &str| form.text(k).unwrap_or_default().to_string();
    Draft {
        directory: text("type"),
        directory_url: text("directoryUrl"),
        ca_pem: text("caPem"),
        contact: text("contact"),
        key_type: text("keyType"),
        eab_kid: text("eab.kid"),
        agreed: form.text("termsOfServiceAgreed").is_some(),
    }
}

/// `POST /accounts`.
pub async fn create(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    form: Form,
) -> HttpResponse {
    let mut form = form.0;
    let draft = draft_of(&form);
    if typed::wants_rerender(&form) {
        // Another CA was chosen: render its form; the HMAC key is dropped unread.
        drop(form);
        let chrome = chrome(&state, &ctx, Nav::Accounts, &req).await;
        return html(StatusCode::OK, pages::new(&chrome, &draft, None));
    }
    let result = match forms::new_account(&mut form) {
        Ok(new) => state.call(UiRequest::AcmeAccountCreate(new)).await,
        Err(e) => Err(e),
    };
    drop(form);
    match result {
        Ok(UiResponse::AcmeAccount(a)) => {
            state.flash(Notice::info(format!(
                "ACME account {} created ({}).",
                account_name(&a),
                a.id
            )));
            see_other("/accounts")
        }
        other => {
            let e = other.err().unwrap_or_else(unexpected);
            let chrome = chrome(&state, &ctx, Nav::Accounts, &req).await;
            html(form_status(&e), pages::new(&chrome, &draft, Some(&e)))
        }
    }
}

/// `GET /accounts/{id}/delete`.
pub async fn confirm_delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Accounts, &req).await;
    match find_account(&state, &path).await {
        Ok(a) => {
            let used = all_certificates(&state)
                .await
                .map(|cs| cs.iter().filter(|c| c.account_id == a.id).count())
                .unwrap_or(0);
            html(StatusCode::OK, pages::confirm_delete(&chrome, &a, used))
        }
        Err(e) => error_page(&mut chrome, &e, ("/accounts", "Back to ACME accounts")),
    }
}

/// `POST /accounts/{id}/delete` (`deactivate=1` deactivates at the CA first).
pub async fn delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let deactivate = form.0.text("deactivate").is_some();
    let name = find_account(&state, &path)
        .await
        .map(|a| account_name(&a))
        .unwrap_or_else(|_| path.to_string());
    let how = if deactivate {
        " (deactivated at the CA)"
    } else {
        ""
    };
    delete_then_redirect(
        &state,
        &ctx,
        &req,
        Deletion {
            request: UiRequest::AcmeAccountDelete {
                id: path.to_string(),
                deactivate,
            },
            done: format!("ACME account {name} deleted{how}."),
            list: ("/accounts", "Back to ACME accounts"),
            nav: Nav::Accounts,
        },
    )
    .await
}
