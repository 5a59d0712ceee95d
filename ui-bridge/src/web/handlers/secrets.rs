//! Settings → Secrets handlers: list with filters, add, edit metadata,
//! replace value, delete. Failed forms are rendered again with the core's
//! error next to its field and with every secret input empty.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use shared::error::WireError;
use shared::protocol::secrets::{SecretFilter, SecretKind, SecretSelector, SecretType};
use shared::protocol::ui::{UiRequest, UiResponse};

use super::{
    chrome, delete_then_redirect, error_page, html, see_other, status_of, unexpected, Deletion,
};
use crate::web::forms::secrets as forms;
use crate::web::guard::{Ctx, Form};
use crate::web::pages::secrets::{self as pages, Draft, EditForm, Filters};
use crate::web::pages::{Nav, Notice};
use crate::web::typed;
use crate::web::WebState;

/// Secrets per list page.
const LIST_PAGE: u32 = 200;

fn filter_of(f: &Filters) -> Result<SecretFilter, WireError> {
    let blank = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let kind = blank(&f.kind)
        .map(|k| {
            SecretKind::parse(&k)
                .ok_or_else(|| WireError::validation("unknown kind").with_field("kind"))
        })
        .transpose()?;
    let secret_type = blank(&f.secret_type)
        .map(|t| {
            SecretType::parse(&t)
                .ok_or_else(|| WireError::validation("unknown type").with_field("type"))
        })
        .transpose()?;
    Ok(SecretFilter {
        kind,
        secret_type,
        tag: blank(&f.tag),
    })
}

/// `GET /secrets`.
pub async fn list(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    q: web::Query<Filters>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Secrets, &req).await;
    let filter = match filter_of(&q) {
        Ok(f) => f,
        Err(e) => return error_page(&mut chrome, &e, ("/secrets", "All secrets")),
    };
    let answer = state
        .call(UiRequest::SecretList {
            filter,
            after: q.after.clone().filter(|a| !a.is_empty()),
            limit: Some(LIST_PAGE),
        })
        .await;
    match answer {
        Ok(UiResponse::Secrets(list, next)) => html(
            StatusCode::OK,
            pages::list(&chrome, &q, &list, next.as_deref()),
        ),
        Ok(_) => error_page(&mut chrome, &unexpected(), ("/secrets", "All secrets")),
        Err(e) => error_page(&mut chrome, &e, ("/secrets", "All secrets")),
    }
}

/// The `type` query of the add page.
#[derive(Debug, serde::Deserialize)]
pub struct NewQuery {
    #[serde(rename = "type")]
    secret_type: Option<String>,
}

/// `GET /secrets/new` (`?type=` picks the type; without it, the chooser).
pub async fn new(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    q: web::Query<NewQuery>,
) -> HttpResponse {
    let chrome = chrome(&state, &ctx, Nav::Secrets, &req).await;
    let draft = Draft {
        secret_type: q.secret_type.clone().unwrap_or_default(),
        ..Draft::default()
    };
    html(StatusCode::OK, pages::new(&chrome, &draft, None))
}

fn draft_of(form: &crate::web::forms::FormData) -> Draft {
    let t = |k: &str| form.text(k).unwrap_or_default().to_string();
    Draft {
        name: t("name"),
        kind: t("kind"),
        secret_type: t("type"),
        label: t("label"),
        description: t("description"),
        tags: t("tags"),
        external_path: t("external_path"),
        allowed_hosts: t(forms::HOSTS_INPUT),
    }
}

/// `POST /secrets`.
pub async fn create(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    form: Form,
) -> HttpResponse {
    let mut form = form.0;
    let draft = draft_of(&form);
    if typed::wants_rerender(&form) {
        // Another type was chosen: render its form; secret inputs are dropped unread.
        drop(form);
        let chrome = chrome(&state, &ctx, Nav::Secrets, &req).await;
        return html(StatusCode::OK, pages::new(&chrome, &draft, None));
    }
    let result = match forms::create(&mut form) {
        Ok(new) => state.call(UiRequest::SecretCreate(new)).await,
        Err(e) => Err(e),
    };
    drop(form);
    match result {
        Ok(UiResponse::Secret(s)) => {
            state.flash(Notice::info(format!(
                "Secret {} saved (value: {}).",
                s.name,
                if s.has_local_value { "set" } else { "external" }
            )));
            see_other("/secrets")
        }
        Ok(_) => {
            let chrome = chrome(&state, &ctx, Nav::Secrets, &req).await;
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::new(&chrome, &draft, Some(&unexpected())),
            )
        }
        Err(e) => {
            let chrome = chrome(&state, &ctx, Nav::Secrets, &req).await;
            html(status_of(&e), pages::new(&chrome, &draft, Some(&e)))
        }
    }
}

async fn get(
    state: &WebState,
    sref: &str,
) -> Result<shared::protocol::secrets::SecretMeta, WireError> {
    match state
        .call(UiRequest::SecretGet(SecretSelector::Ref(sref.to_string())))
        .await?
    {
        UiResponse::Secret(s) => Ok(s),
        _ => Err(unexpected()),
    }
}

/// `GET /secrets/{ref}/edit`.
pub async fn edit(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Secrets, &req).await;
    match get(&state, &path).await {
        Ok(s) => html(StatusCode::OK, pages::edit(&chrome, &s, None, None, None)),
        Err(e) => error_page(&mut chrome, &e, ("/secrets", "Back to secrets")),
    }
}

async fn apply(
    state: &WebState,
    ctx: &Ctx,
    req: &HttpRequest,
    sref: &str,
    which: EditForm,
    update: Result<shared::protocol::secrets::SecretUpdate, WireError>,
    (meta, hosts): (Option<(String, String, String)>, Option<String>),
) -> HttpResponse {
    let result = match update {
        Ok(update) => {
            state
                .call(UiRequest::SecretUpdate {
                    selector: SecretSelector::Ref(sref.to_string()),
                    update,
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(UiResponse::Secret(s)) => {
            let what = match which {
                EditForm::Meta => "details saved",
                EditForm::Value => "value replaced (value: set)",
            };
            state.flash(Notice::info(format!("Secret {}: {what}.", s.name)));
            see_other(&format!("/secrets/{}/edit", s.reference))
        }
        other => {
            let e = match other {
                Err(e) => e,
                Ok(_) => unexpected(),
            };
            let mut chrome = chrome(state, ctx, Nav::Secrets, req).await;
            match get(state, sref).await {
                Ok(s) => {
                    let meta = meta
                        .as_ref()
                        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()));
                    html(
                        status_of(&e),
                        pages::edit(&chrome, &s, Some((which, &e)), meta, hosts.as_deref()),
                    )
                }
                Err(e2) => error_page(&mut chrome, &e2, ("/secrets", "Back to secrets")),
            }
        }
    }
}

/// `POST /secrets/{ref}/meta`.
pub async fn update_meta(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let form = form.0;
    let t = |k: &str| form.text(k).unwrap_or_default().to_string();
    let meta = Some((t("label"), t("description"), t("tags")));
    let update = Ok(forms::metadata(&form));
    apply(
        &state,
        &ctx,
        &req,
        &path,
        EditForm::Meta,
        update,
        (meta, None),
    )
    .await
}

/// `POST /secrets/{ref}/value`.
pub async fn replace_value(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let mut form = form.0;
    let hosts = form.text(forms::HOSTS_INPUT).map(str::to_string);
    let update = match get(&state, &path).await {
        Ok(s) => forms::value(&mut form, s.secret_type),
        Err(e) => Err(e),
    };
    drop(form);
    apply(
        &state,
        &ctx,
        &req,
        &path,
        EditForm::Value,
        update,
        (None, hosts),
    )
    .await
}

/// `GET /secrets/{ref}/delete`.
pub async fn confirm_delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Secrets, &req).await;
    match get(&state, &path).await {
        Ok(s) => html(StatusCode::OK, pages::confirm_delete(&chrome, &s)),
        Err(e) => error_page(&mut chrome, &e, ("/secrets", "Back to secrets")),
    }
}

/// `POST /secrets/{ref}/delete`.
pub async fn delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    _form: Form,
) -> HttpResponse {
    let name = get(&state, &path)
        .await
        .map(|s| s.name)
        .unwrap_or_else(|_| path.to_string());
    delete_then_redirect(
        &state,
        &ctx,
        &req,
        Deletion {
            request: UiRequest::SecretDelete(SecretSelector::Ref(path.to_string())),
            done: format!("Secret {name} deleted."),
            list: ("/secrets", "Back to secrets"),
            nav: Nav::Secrets,
        },
    )
    .await
}
