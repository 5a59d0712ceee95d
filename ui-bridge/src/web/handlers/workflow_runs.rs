//! Run now, from a workflow's page: `POST /workflows/{id}/run` starts
//! `workflow_run` on the broker under a fresh request id (the run id) and
//! redirects to `/workflows/{id}/runs/{run}`, which renders what the run has
//! seen; `…/events` streams its `workflow_progress` events and the result,
//! replayed from the start, like an issuance (`crate::web::sse`).

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use shared::error::WireError;
use shared::protocol::ui::{UiEvent, UiRequest};
use tokio::sync::mpsc;

use super::certificates::MAX_ACTIVE;
use super::workflows::{get, BACK};
use super::{chrome, error_page, html, see_other};
use crate::web::guard::{Ctx, Form};
use crate::web::pages::workflows as pages;
use crate::web::pages::{Nav, Notice};
use crate::web::sse::{LoggedNode, Run, WorkflowLog, WORKFLOW_OWNER};
use crate::web::WebState;

/// Seconds between reloads of a run page without JavaScript.
const RELOAD_SECS: u32 = 2;

/// `POST /workflows/{id}/run` (`certificateId`): starts a run, redirects to its page.
pub async fn run(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    let certificate_id = form
        .0
        .nonblank("certificateId")
        .unwrap_or_default()
        .to_string();
    let w = match get(&state, &path).await {
        Ok(w) => w,
        Err(e) => {
            let mut chrome = chrome(&state, &ctx, Nav::Workflows, &req).await;
            return error_page(&mut chrome, &e, BACK);
        }
    };
    if certificate_id.is_empty() {
        state.flash(Notice::error(
            "Choose the certificate to run the workflow for.",
        ));
        return see_other(&format!("/workflows/{}#run-now", w.id));
    }
    if state.runs.active() >= MAX_ACTIVE {
        state.flash(Notice::error(
            "Too many tests, issuances and runs are going; try again when one has ended.",
        ));
        return see_other(&format!("/workflows/{}#run-now", w.id));
    }
    let run_id = state.next_id();
    let run = state.runs.start(run_id, WORKFLOW_OWNER);
    run.workflow_started(WorkflowLog {
        workflow_id: w.id.clone(),
        workflow_name: w.draft.name.clone(),
        certificate_id: certificate_id.clone(),
        nodes: w
            .draft
            .nodes
            .iter()
            .map(|n| LoggedNode {
                name: n.name.clone(),
                what: pages::node_what(&n.kind),
            })
            .collect(),
        events: Vec::new(),
        outcome: None,
    });
    let request = UiRequest::WorkflowRun {
        id: w.id.clone(),
        certificate_id,
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<UiEvent>();
    let worker = state.clone();
    actix_web::rt::spawn(async move {
        let call = worker.call_with_events(run_id, request, tx);
        tokio::pin!(call);
        let result = loop {
            tokio::select! {
                biased;
                Some(ev) = rx.recv() => {
                    if let UiEvent::WorkflowProgress(p) = ev { run.workflow_progress(&p) }
                }
                r = &mut call => break r,
            }
        };
        // Events reach the channel before their answer: record what is left.
        while let Ok(ev) = rx.try_recv() {
            if let UiEvent::WorkflowProgress(p) = ev {
                run.workflow_progress(&p);
            }
        }
        run.workflow_finish(result.as_ref());
    });
    see_other(&format!("/workflows/{}/runs/{run_id}", w.id))
}

fn find_run(state: &WebState, id: &str, run: u64) -> Option<Arc<Run>> {
    state
        .runs
        .get(run, WORKFLOW_OWNER)
        .filter(|r| r.workflow_log().workflow_id == id)
}

/// `GET /workflows/{id}/runs/{run}`.
pub async fn run_page(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<(String, u64)>,
) -> HttpResponse {
    let (id, run_id) = path.into_inner();
    let mut chrome = chrome(&state, &ctx, Nav::Workflows, &req).await;
    let Some(run) = find_run(&state, &id, run_id) else {
        let e = WireError::not_found(
            "no such run here: runs started from this page are followed for 10 minutes after they end; the workflow's page lists every run",
        );
        let back = format!("/workflows/{id}");
        return error_page(&mut chrome, &e, (&back, "Back to the workflow"));
    };
    let log = run.workflow_log();
    if log.outcome.is_none() {
        chrome.refresh = Some(RELOAD_SECS);
    }
    html(StatusCode::OK, pages::run_page(&chrome, run_id, &log))
}

/// `GET /workflows/{id}/runs/{run}/events`.
pub async fn events(state: web::Data<WebState>, path: web::Path<(String, u64)>) -> HttpResponse {
    let (id, run_id) = path.into_inner();
    match find_run(&state, &id, run_id) {
        Some(run) => HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::HeaderName::from_static("x-accel-buffering"), "no"))
            .streaming(run.stream()),
        None => HttpResponse::NotFound().finish(),
    }
}
