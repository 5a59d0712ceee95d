//! Settings → DNS Providers handlers: list with the resolver box, add,
//! edit (label, suffixes, config; token optional), replace token, delete
//! (the core deletes the provider's token secret with it).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use shared::protocol::dns::ProviderType;
use shared::protocol::ui::{UiRequest, UiResponse};

use super::{
    all_providers, chrome, delete_then_redirect, error_page, find_provider, html, see_other,
    status_of, unexpected, Deletion,
};
use crate::web::forms::providers as forms;
use crate::web::forms::FormData;
use crate::web::guard::{Ctx, Form};
use crate::web::pages::providers::{self as pages, Draft, EditForm, Resolve};
use crate::web::pages::{Nav, Notice};
use crate::web::typed;
use crate::web::WebState;

/// The resolver's query.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    hostname: Option<String>,
}

/// `GET /providers` (and the resolver: `?hostname=`).
pub async fn list(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Providers, &req).await;
    let hostname = q.hostname.as_deref().map(str::trim).unwrap_or_default();
    let outcome = if hostname.is_empty() {
        None
    } else {
        Some(
            match state
                .call(UiRequest::DnsResolve {
                    hostname: hostname.to_string(),
                    value: None,
                })
                .await
            {
                Ok(UiResponse::Resolution(r)) => Ok(r),
                Ok(_) => Err(unexpected()),
                Err(e) => Err(e),
            },
        )
    };
    match all_providers(&state).await {
        Ok(list) => {
            let resolve = Resolve { hostname, outcome };
            html(StatusCode::OK, pages::list(&chrome, &list, &resolve))
        }
        Err(e) => error_page(&mut chrome, &e, ("/providers", "DNS providers")),
    }
}

/// The `type` query of the add page.
#[derive(Debug, serde::Deserialize)]
pub struct NewQuery {
    #[serde(rename = "type")]
    provider_type: Option<String>,
}

/// `GET /providers/new` (`?type=` picks the type; without it, the chooser).
pub async fn new(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    q: web::Query<NewQuery>,
) -> HttpResponse {
    let chrome = chrome(&state, &ctx, Nav::Providers, &req).await;
    let draft = Draft {
        provider_type: q.provider_type.clone().unwrap_or_default(),
        ..Draft::default()
    };
    html(StatusCode::OK, pages::new(&chrome, &draft, None))
}

fn draft_of(form: &FormData, t: Option<ProviderType>) -> Draft {
    let mut draft = Draft {
        provider_type: form.text("type").unwrap_or_default().to_string(),
        label: form.text("label").unwrap_or_default().to_string(),
        suffixes: form.text("domainSuffixes").unwrap_or_default().to_string(),
        ..Draft::default()
    };
    let types: Vec<ProviderType> = match t {
        Some(t) => vec![t],
        None => ProviderType::ALL.to_vec(),
    };
    for t in types {
        for f in crate::web::fields::provider_fields(t) {
            let name = forms::config_input(t, f.key);
            if let Some(v) = form.text(&name) {
                draft
                    .config
                    .insert(name, serde_json::Value::String(v.to_string()));
            }
        }
    }
    draft
}

fn flash_saved(state: &WebState, what: &str, r: &shared::protocol::dns::ProviderWithWarnings) {
    let token = if r.provider.secret_ref.is_some() {
        " (token: set)"
    } else {
        ""
    };
    state.flash(Notice::info(format!(
        "Provider {} {what}{token}.",
        r.provider.label
    )));
    for w in &r.warnings {
        state.flash(Notice::warn(w.clone()));
    }
}

/// `POST /providers`.
pub async fn create(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    form: Form,
) -> HttpResponse {
    let mut form = form.0;
    let draft = draft_of(&form, None);
    if typed::wants_rerender(&form) {
        // Another type was chosen: render its form; secret inputs are dropped unread.
        drop(form);
        let chrome = chrome(&state, &ctx, Nav::Providers, &req).await;
        return html(StatusCode::OK, pages::new(&chrome, &draft, None));
    }
    let result = match forms::create(&mut form) {
        Ok(new) => state.call(UiRequest::DnsProviderCreate(new)).await,
        Err(e) => Err(e),
    };
    drop(form);
    match result {
        Ok(UiResponse::Provider(r)) => {
            flash_saved(&state, "added", &r);
            see_other("/providers")
        }
        other => {
            let e = other.err().unwrap_or_else(unexpected);
            let chrome = chrome(&state, &ctx, Nav::Providers, &req).await;
            html(status_of(&e), pages::new(&chrome, &draft, Some(&e)))
        }
    }
}

/// `GET /providers/{id}/edit`.
pub async fn edit(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Providers, &req).await;
    match find_provider(&state, &path).await {
        Ok(p) => html(
            StatusCode::OK,
            pages::edit(&chrome, &p, &Draft::of(&p), None),
        ),
        Err(e) => error_page(&mut chrome, &e, ("/providers", "Back to DNS providers")),
    }
}

async fn apply(
    state: &WebState,
    ctx: &Ctx,
    req: &HttpRequest,
    id: &str,
    which: EditForm,
    form: FormData,
) -> HttpResponse {
    let mut form = form;
    let p = match find_provider(state, id).await {
        Ok(p) => p,
        Err(e) => {
            let mut chrome = chrome(state, ctx, Nav::Providers, req).await;
            return error_page(&mut chrome, &e, ("/providers", "Back to DNS providers"));
        }
    };
    let draft = match which {
        EditForm::Settings => draft_of(&form, Some(p.provider_type)),
        EditForm::Token => Draft::of(&p),
    };
    let update = match which {
        EditForm::Settings => forms::update(&mut form, id, p.provider_type),
        EditForm::Token => forms::replace_token(&mut form, id, p.provider_type),
    };
    drop(form);
    let result = match update {
        Ok(u) => state.call(UiRequest::DnsProviderUpdate(u)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(UiResponse::Provider(r)) => {
            let what = match which {
                EditForm::Settings => "saved",
                EditForm::Token => "token replaced",
            };
            flash_saved(state, what, &r);
            see_other("/providers")
        }
        other => {
            let e = other.err().unwrap_or_else(unexpected);
            let chrome = chrome(state, ctx, Nav::Providers, req).await;
            html(
                status_of(&e),
                pages::edit(&chrome, &p, &draft, Some((which, &e))),
            )
        }
    }
}

/// `POST /providers/{id}`.
pub async fn update(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    apply(&state, &ctx, &req, &path, EditForm::Settings, form.0).await
}

/// `POST /providers/{id}/token`.
pub async fn replace_token(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    apply(&state, &ctx, &req, &path, EditForm::Token, form.0).await
}

/// `GET /providers/{id}/delete`.
pub async fn confirm_delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Providers, &req).await;
    match find_provider(&state, &path).await {
        Ok(p) => html(StatusCode::OK, pages::confirm_delete(&chrome, &p)),
        Err(e) => error_page(&mut chrome, &e, ("/providers", "Back to DNS providers")),
    }
}

/// `POST /providers/{id}/delete`.
pub async fn delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    _form: Form,
) -> HttpResponse {
    let label = find_provider(&state, &path)
        .await
        .map(|p| p.label)
        .unwrap_or_else(|_| path.to_string());
    delete_then_redirect(
        &state,
        &ctx,
        &req,
        Deletion {
            request: UiRequest::DnsProviderDelete(path.to_string()),
            done: format!("Provider {label} and its token deleted."),
            list: ("/providers", "Back to DNS providers"),
            nav: Nav::Providers,
        },
    )
    .await
}
