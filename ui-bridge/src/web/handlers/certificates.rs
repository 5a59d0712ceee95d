//! Settings → Certificates handlers: list, issue (a run followed on its own
//! page, live over server-sent events, or by reloading without
//! JavaScript), cancel, details, chain download, delete.
//!
//! `POST /certificates` starts `certificate_issue` on the broker under a
//! fresh request id (the run id) and redirects to
//! `/certificates/issue/{run}`, which renders what the run has seen so far;
//! `…/events` streams its `certificate_progress` events and its outcome
//! (replayed from the start), `…/cancel` sends `certificate_issue_cancel`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use shared::error::WireError;
use shared::protocol::acme::{CertificateMeta, CertificateWithChain};
use shared::protocol::ui::{UiEvent, UiRequest, UiResponse};
use tokio::sync::mpsc;

use super::accounts::all_accounts;
use super::{
    all_providers, chrome, delete_then_redirect, error_page, form_status, html, see_other,
    status_of, unexpected, Deletion, PAGE,
};
use crate::web::forms::acme as forms;
use crate::web::guard::{Ctx, Form};
use crate::web::pages::certificates::{self as pages, cert_title, ExportDraft, IssueDraft};
use crate::web::pages::{Nav, Notice};
use crate::web::sse::{self, ISSUE_OWNER};
use crate::web::WebState;

/// Runs (tests, issuances and workflow runs together) one server may have going at once.
pub const MAX_ACTIVE: usize = 16;

/// Most certificates gathered for one page.
const MAX_CERTIFICATES: usize = 20_000;

/// Seconds between reloads of a run page without JavaScript.
const RELOAD_SECS: u32 = 2;

/// Every certificate (paged through).
pub async fn all_certificates(state: &WebState) -> Result<Vec<CertificateMeta>, WireError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        match state
            .call(UiRequest::CertificateList {
                after: after.take(),
                limit: Some(PAGE),
            })
            .await?
        {
            UiResponse::Certificates(list, next) => {
                out.extend(list);
                match next {
                    Some(n) if out.len() < MAX_CERTIFICATES => after = Some(n),
                    _ => return Ok(out),
                }
            }
            _ => return Err(unexpected()),
        }
    }
}

async fn get(state: &WebState, id: &str) -> Result<CertificateWithChain, WireError> {
    match state
        .call(UiRequest::CertificateGet(id.to_string()))
        .await?
    {
        UiResponse::Certificate(c) => Ok(c),
        _ => Err(unexpected()),
    }
}

/// `GET /certificates`.
pub async fn list(state: web::Data<WebState>, ctx: Ctx, req: HttpRequest) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
    let lists = match all_certificates(&state).await {
        Ok(c) => all_accounts(&state).await.map(|a| (c, a)),
        Err(e) => Err(e),
    };
    match lists {
        Ok((certs, accounts)) => html(StatusCode::OK, pages::list(&chrome, &certs, &accounts)),
        Err(e) => error_page(&mut chrome, &e, ("/certificates", "Certificates")),
    }
}

/// The issue form's query: an account, names and key type to start from.
#[derive(Debug, Default, serde::Deserialize)]
pub struct NewQuery {
    account: Option<String>,
    names: Option<String>,
    #[serde(rename = "keyType")]
    key_type: Option<String>,
}

/// `GET /certificates/new`.
pub async fn new(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    q: web::Query<NewQuery>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
    let q = q.into_inner();
    let draft = IssueDraft {
        names: q.names.unwrap_or_default(),
        account_id: q.account.unwrap_or_default(),
        key_type: q.key_type.unwrap_or_default(),
    };
    match all_accounts(&state).await {
        Ok(accounts) => html(StatusCode::OK, pages::new(&chrome, &accounts, &draft, None)),
        Err(e) => error_page(&mut chrome, &e, ("/certificates", "Back to certificates")),
    }
}

/// `POST /certificates`: starts an issuance and redirects to its page.
pub async fn issue(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    form: Form,
) -> HttpResponse {
    let form = form.0;
    let draft = IssueDraft {
        names: form.text("names").unwrap_or_default().to_string(),
        account_id: form.text("accountId").unwrap_or_default().to_string(),
        key_type: form.text("keyType").unwrap_or_default().to_string(),
    };
    let params = forms::issue(&form).and_then(|p| {
        if state.runs.active() >= MAX_ACTIVE {
            Err(WireError::new(
                shared::error::ErrorCode::Unavailable,
                "too many tests and issuances are running; try again when one has ended",
            ))
        } else {
            Ok(p)
        }
    });
    let params = match params {
        Ok(p) => p,
        Err(e) => {
            let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
            return match all_accounts(&state).await {
                Ok(accounts) => html(
                    status_of(&e),
                    pages::new(&chrome, &accounts, &draft, Some(&e)),
                ),
                Err(e) => error_page(&mut chrome, &e, ("/certificates", "Back to certificates")),
            };
        }
    };
    let run_id = state.next_id();
    let run = state.runs.start(run_id, ISSUE_OWNER);
    run.issue_started(&params.account_id, &params.names, None);
    spawn_run(&state, run_id, run, UiRequest::CertificateIssue(params));
    see_other(&format!("/certificates/issue/{run_id}"))
}

/// Runs `request` (an issuance or a renewal) on the broker, recording its
/// events and outcome in `run`.
fn spawn_run(
    state: &web::Data<WebState>,
    run_id: u64,
    run: std::sync::Arc<sse::Run>,
    request: UiRequest,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<UiEvent>();
    let worker = state.clone();
    actix_web::rt::spawn(async move {
        let call = worker.call_with_events(run_id, request, tx);
        tokio::pin!(call);
        let result = loop {
            tokio::select! {
                biased;
                Some(ev) = rx.recv() => {
                    if let UiEvent::CertificateProgress(p) = ev { run.issue_progress(&p) }
                }
                r = &mut call => break r,
            }
        };
        // Events reach the channel before their answer: record what is left.
        while let Ok(ev) = rx.try_recv() {
            if let UiEvent::CertificateProgress(p) = ev {
                run.issue_progress(&p);
            }
        }
        run.issue_finish(result.as_ref());
    });
}

/// `GET /certificates/issue/{run}`.
pub async fn run_page(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<u64>,
) -> HttpResponse {
    let run_id = path.into_inner();
    let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
    let Some(run) = state.runs.get(run_id, ISSUE_OWNER) else {
        let e = WireError::not_found(
            "no such issuance: runs are kept for 10 minutes after they end, and not across restarts",
        );
        return error_page(&mut chrome, &e, ("/certificates", "Back to certificates"));
    };
    let log = run.issue_log();
    if log.outcome.is_none() {
        chrome.refresh = Some(RELOAD_SECS);
    }
    let providers = all_providers(&state).await.unwrap_or_default();
    html(
        StatusCode::OK,
        pages::run_page(&chrome, run_id, &log, &providers),
    )
}

/// `GET /certificates/issue/{run}/events`.
pub async fn events(state: web::Data<WebState>, path: web::Path<u64>) -> HttpResponse {
    match state.runs.get(path.into_inner(), ISSUE_OWNER) {
        Some(run) => HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::HeaderName::from_static("x-accel-buffering"), "no"))
            .streaming(run.stream()),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `POST /certificates/issue/{run}/cancel`.
pub async fn cancel(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<u64>,
    _form: Form,
) -> HttpResponse {
    let run_id = path.into_inner();
    if state.runs.get(run_id, ISSUE_OWNER).is_none() {
        let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
        let e = WireError::not_found("no such issuance");
        return error_page(&mut chrome, &e, ("/certificates", "Back to certificates"));
    }
    match state.call(UiRequest::CertificateIssueCancel(run_id)).await {
        Ok(UiResponse::Cancelled(true)) => state.flash(Notice::info(
            "Cancelling: the records already added are being removed.",
        )),
        Ok(UiResponse::Cancelled(false)) => {
            state.flash(Notice::warn("The issuance had already ended."))
        }
        Ok(_) => state.flash(Notice::error(unexpected().message)),
        Err(e) => state.flash(Notice::error(e.message)),
    }
    see_other(&format!("/certificates/issue/{run_id}"))
}

/// `GET /certificates/{id}`.
pub async fn details(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
    match get(&state, &path).await {
        Ok(c) => {
            let accounts = all_accounts(&state).await.unwrap_or_default();
            let draft = ExportDraft::of(&c.meta);
            html(
                StatusCode::OK,
                pages::details(&chrome, &c, &accounts, &draft, None),
            )
        }
        Err(e) => error_page(&mut chrome, &e, ("/certificates", "Back to certificates")),
    }
}

/// `POST /certificates/{id}/renew`: starts a renewal and redirects to its run.
pub async fn renew(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let params = forms::renew(&form.0, &path);
    let old = match get(&state, &path).await {
        Ok(c) if state.runs.active() < MAX_ACTIVE => c.meta,
        Ok(_) => {
            state.flash(Notice::error(
                "Too many tests and issuances are running; try again when one has ended.",
            ));
            return see_other(&format!("/certificates/{}", path.as_str()));
        }
        Err(e) => {
            let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
            return error_page(&mut chrome, &e, ("/certificates", "Back to certificates"));
        }
    };
    let run_id = state.next_id();
    let run = state.runs.start(run_id, ISSUE_OWNER);
    run.issue_started(&old.account_id, &old.names, Some(&old.id));
    spawn_run(&state, run_id, run, UiRequest::CertificateRenew(params));
    see_other(&format!("/certificates/issue/{run_id}"))
}

/// `POST /certificates/{id}/export`.
pub async fn export(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let form = form.0;
    let draft = ExportDraft {
        dir: form.text("dir").unwrap_or_default().to_string(),
        include_key: form.text("includeKey").is_some(),
        overwrite: form.text("overwrite").is_some(),
    };
    let result = match forms::export(&form, &path) {
        Ok(r) => state.call(UiRequest::CertificateExport(r)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(UiResponse::Exported(out)) => {
            let files: Vec<String> = out
                .files
                .iter()
                .map(|f| format!("{} ({:o})", f.path, f.mode & 0o777))
                .collect();
            state.flash(Notice::info(format!(
                "Exported {} file(s): {}.",
                files.len(),
                files.join(", ")
            )));
            see_other(&format!("/certificates/{}#export", path.as_str()))
        }
        other => {
            let e = other.err().unwrap_or_else(unexpected);
            let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
            match get(&state, &path).await {
                Ok(c) => {
                    let accounts = all_accounts(&state).await.unwrap_or_default();
                    html(
                        form_status(&e),
                        pages::details(&chrome, &c, &accounts, &draft, Some(&e)),
                    )
                }
                Err(e) => error_page(&mut chrome, &e, ("/certificates", "Back to certificates")),
            }
        }
    }
}

/// `GET /certificates/{id}/revoke`.
pub async fn confirm_revoke(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
    match get(&state, &path).await {
        Ok(c) => html(
            StatusCode::OK,
            pages::confirm_revoke(&chrome, &c.meta, None),
        ),
        Err(e) => error_page(&mut chrome, &e, ("/certificates", "Back to certificates")),
    }
}

/// `POST /certificates/{id}/revoke` (`reason`: an RFC 5280 name, or blank).
pub async fn revoke(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let result = match forms::revoke(&form.0, &path) {
        Ok(r) => state.call(UiRequest::CertificateRevoke(r)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(UiResponse::CertificateMeta(c)) => {
            state.flash(Notice::info(format!(
                "Certificate {} revoked.",
                cert_title(&c)
            )));
            see_other(&format!("/certificates/{}", c.id))
        }
        other => {
            let e = other.err().unwrap_or_else(unexpected);
            let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
            match get(&state, &path).await {
                Ok(c) => html(
                    form_status(&e),
                    pages::confirm_revoke(&chrome, &c.meta, Some(&e)),
                ),
                Err(e) => error_page(&mut chrome, &e, ("/certificates", "Back to certificates")),
            }
        }
    }
}

/// `GET /certificates/{id}/chain.pem`: the public chain as a file.
pub async fn chain(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    match get(&state, &path).await {
        Ok(c) => HttpResponse::Ok()
            .content_type("application/pem-certificate-chain")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    pages::chain_file_name(&c.meta)
                ),
            ))
            .body(c.chain_pem),
        Err(e) => {
            let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
            error_page(&mut chrome, &e, ("/certificates", "Back to certificates"))
        }
    }
}

/// `GET /certificates/{id}/delete`.
pub async fn confirm_delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Certificates, &req).await;
    match get(&state, &path).await {
        Ok(c) => html(StatusCode::OK, pages::confirm_delete(&chrome, &c.meta)),
        Err(e) => error_page(&mut chrome, &e, ("/certificates", "Back to certificates")),
    }
}

/// `POST /certificates/{id}/delete`.
pub async fn delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    _form: Form,
) -> HttpResponse {
    let title = get(&state, &path)
        .await
        .map(|c| cert_title(&c.meta))
        .unwrap_or_else(|_| path.to_string());
    delete_then_redirect(
        &state,
        &ctx,
        &req,
        Deletion {
            request: UiRequest::CertificateDelete(path.to_string()),
            done: format!("Certificate {title} and its key deleted."),
            list: ("/certificates", "Back to certificates"),
            nav: Nav::Certificates,
        },
    )
    .await
}
