//! Test Connection over HTTP: `POST /providers/{id}/test` starts a run and
//! answers `{run, events}`; `GET …/{run}/events` streams its progress as
//! server-sent events (replayed from the start, ended by `result` or
//! `error`); `POST …/{run}/cancel` cancels it through the broker.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;
use shared::protocol::ui::{UiEvent, UiRequest, UiResponse};
use tokio::sync::mpsc;

use crate::json::response;
use crate::web::forms::providers as forms;
use crate::web::guard::Form;
use crate::web::sse;
use crate::web::WebState;

/// Runs one server may have going at once.
const MAX_ACTIVE: usize = 16;

/// `POST /providers/{id}/test`.
pub async fn start(
    state: web::Data<WebState>,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let provider_id = path.into_inner();
    if state.runs.active() >= MAX_ACTIVE {
        return HttpResponse::TooManyRequests().json(json!({"error": "too many tests running"}));
    }
    let params = forms::test(&form.0, &provider_id);
    let run_id = state.next_id();
    let run = state.runs.start(run_id, &provider_id);
    let (tx, mut rx) = mpsc::unbounded_channel::<UiEvent>();
    let worker = state.clone();
    actix_web::rt::spawn(async move {
        let call = worker.call_with_events(run_id, UiRequest::DnsProviderTest(params), tx);
        tokio::pin!(call);
        let result = loop {
            tokio::select! {
                biased;
                Some(UiEvent::DnsTestProgress(p)) = rx.recv() => run.progress(&p),
                r = &mut call => break r,
            }
        };
        // Events reach the channel before their answer: forward what is left.
        while let Ok(UiEvent::DnsTestProgress(p)) = rx.try_recv() {
            run.progress(&p);
        }
        run.finish(result.as_ref());
    });
    HttpResponse::Ok().json(sse::started(run_id, &provider_id))
}

/// `GET /providers/{id}/test/{run}/events`.
pub async fn events(state: web::Data<WebState>, path: web::Path<(String, u64)>) -> HttpResponse {
    let (provider_id, run_id) = path.into_inner();
    match state.runs.get(run_id, &provider_id) {
        Some(run) => HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::HeaderName::from_static("x-accel-buffering"), "no"))
            .streaming(run.stream()),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `POST /providers/{id}/test/{run}/cancel`.
pub async fn cancel(
    state: web::Data<WebState>,
    path: web::Path<(String, u64)>,
    _form: Form,
) -> HttpResponse {
    let (provider_id, run_id) = path.into_inner();
    if state.runs.get(run_id, &provider_id).is_none() {
        return HttpResponse::NotFound().json(json!({"cancelled": false}));
    }
    match state.call(UiRequest::DnsProviderTestCancel(run_id)).await {
        Ok(r @ UiResponse::Cancelled(_)) => HttpResponse::Ok().json(response::result(&r)),
        Ok(_) => HttpResponse::InternalServerError().json(json!({"cancelled": false})),
        Err(e) => HttpResponse::ServiceUnavailable().json(response::error(&e)),
    }
}
