//! Settings → Workflows handlers: list, add, edit (save, check, and the
//! node list edited on the server), a workflow's page with past runs,
//! delete. Run now is [`super::workflow_runs`].
//!
//! A save the core refuses (`validation` with the node, field and offset of
//! the first problem) is followed by `workflow_validate`, so the form shows
//! every problem at its field, not only the first.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use shared::error::{ErrorCode, WireError};
use shared::protocol::ui::{UiRequest, UiResponse};
use shared::protocol::workflow::{
    WorkflowCheck, WorkflowDraft, WorkflowIssue, WorkflowMeta, WorkflowRun,
};

use super::certificates::all_certificates;
use super::{
    chrome, delete_then_redirect, error_page, form_status, html, see_other, unexpected, Deletion,
};
use crate::web::forms::workflows::{self as forms, FormAction, WorkflowForm};
use crate::web::guard::{Ctx, Form};
use crate::web::pages::workflows::form::{form_page, Mode, Shown};
use crate::web::pages::workflows::{self as pages, Listed};
use crate::web::pages::{Nav, Notice};
use crate::web::WebState;

/// Workflows per list page.
const LIST_PAGE: u32 = 100;

/// Past runs per page of a workflow.
const RUNS_PAGE: u32 = 10;

pub(super) const BACK: (&str, &str) = ("/workflows", "Back to workflows");

pub(super) async fn get(state: &WebState, id: &str) -> Result<WorkflowMeta, WireError> {
    match state.call(UiRequest::WorkflowGet(id.to_string())).await? {
        UiResponse::Workflow(w) => Ok(w),
        _ => Err(unexpected()),
    }
}

async fn runs(
    state: &WebState,
    id: &str,
    after: Option<String>,
    limit: u32,
) -> Result<(Vec<WorkflowRun>, Option<String>), WireError> {
    match state
        .call(UiRequest::WorkflowRuns {
            id: id.to_string(),
            after,
            limit: Some(limit),
        })
        .await?
    {
        UiResponse::WorkflowRuns(r, next) => Ok((r, next)),
        _ => Err(unexpected()),
    }
}

/// The list's cursor.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Page {
    after: Option<String>,
}

/// `GET /workflows`.
pub async fn list(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    q: web::Query<Page>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Workflows, &req).await;
    let answer = state
        .call(UiRequest::WorkflowList {
            after: q.after.clone().filter(|a| !a.is_empty()),
            limit: Some(LIST_PAGE),
        })
        .await;
    let (list, next) = match answer {
        Ok(UiResponse::Workflows(l, n)) => (l, n),
        Ok(_) => return error_page(&mut chrome, &unexpected(), BACK),
        Err(e) => return error_page(&mut chrome, &e, BACK),
    };
    let mut last = Vec::with_capacity(list.len());
    for w in &list {
        // The list still shows when one workflow's runs cannot be read.
        last.push(
            runs(&state, &w.id, None, 1)
                .await
                .ok()
                .and_then(|(mut r, _)| r.pop()),
        );
    }
    let rows: Vec<Listed<'_>> = list
        .iter()
        .zip(&last)
        .map(|(workflow, last)| Listed {
            workflow,
            last: last.as_ref(),
        })
        .collect();
    html(StatusCode::OK, pages::list(&chrome, &rows, next.as_deref()))
}

/// `GET /workflows/new`.
pub async fn new(state: web::Data<WebState>, ctx: Ctx, req: HttpRequest) -> HttpResponse {
    let chrome = chrome(&state, &ctx, Nav::Workflows, &req).await;
    html(
        StatusCode::OK,
        form_page(
            &chrome,
            Mode::New,
            &WorkflowForm::default(),
            &Shown::default(),
        ),
    )
}

/// `GET /workflows/{id}/edit`.
pub async fn edit(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Workflows, &req).await;
    match get(&state, &path).await {
        Ok(w) => html(
            StatusCode::OK,
            form_page(
                &chrome,
                Mode::Edit(&w.id),
                &forms::of(&w),
                &Shown::default(),
            ),
        ),
        Err(e) => error_page(&mut chrome, &e, BACK),
    }
}

/// The core's refusal of a save as the problem it names.
fn issue_of(e: &WireError) -> WorkflowIssue {
    WorkflowIssue {
        node: e.node.clone(),
        field: e.field.clone().unwrap_or_default(),
        offset: e.offset,
        message: e.message.clone(),
    }
}

async fn validate(state: &WebState, d: WorkflowDraft) -> Result<WorkflowCheck, WireError> {
    match state.call(UiRequest::WorkflowValidate(d)).await? {
        UiResponse::WorkflowCheck(c) => Ok(c),
        _ => Err(unexpected()),
    }
}

/// What a submit of the form ends in.
enum Outcome {
    /// Saved: go to the workflow.
    Saved(WorkflowMeta),
    /// Show the form again.
    Again {
        status: StatusCode,
        issues: Vec<WorkflowIssue>,
        error: Option<WireError>,
        check: Option<WorkflowCheck>,
        focus: Option<usize>,
    },
}

impl Outcome {
    fn issues(issues: Vec<WorkflowIssue>) -> Self {
        Self::Again {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            issues,
            error: None,
            check: None,
            focus: None,
        }
    }

    fn error(e: WireError) -> Self {
        Self::Again {
            status: form_status(&e),
            issues: Vec::new(),
            error: Some(e),
            check: None,
            focus: None,
        }
    }
}

async fn submit(
    state: &WebState,
    id: Option<&str>,
    f: &mut WorkflowForm,
    action: FormAction,
) -> Outcome {
    if !matches!(action, FormAction::Save | FormAction::Check) {
        let focus = forms::edit(f, action);
        return Outcome::Again {
            status: StatusCode::OK,
            issues: Vec::new(),
            error: None,
            check: None,
            focus,
        };
    }
    let d = match forms::draft(f) {
        Ok(d) => d,
        Err(issues) => return Outcome::issues(issues),
    };
    if action == FormAction::Check {
        return match validate(state, d).await {
            Ok(c) => Outcome::Again {
                status: StatusCode::OK,
                issues: c.errors.clone(),
                error: None,
                check: Some(c),
                focus: None,
            },
            Err(e) => Outcome::error(e),
        };
    }
    let request = match id {
        None => UiRequest::WorkflowCreate(d.clone()),
        Some(id) => UiRequest::WorkflowUpdate {
            id: id.to_string(),
            draft: d.clone(),
        },
    };
    match state.call(request).await {
        Ok(UiResponse::Workflow(w)) => Outcome::Saved(w),
        Ok(_) => Outcome::error(unexpected()),
        Err(e) if e.code == ErrorCode::Validation && (e.node.is_some() || e.field.is_some()) => {
            // Every problem at its field, not only the first the save names.
            let all = validate(state, d)
                .await
                .map(|c| c.errors)
                .unwrap_or_default();
            Outcome::issues(if all.is_empty() {
                vec![issue_of(&e)]
            } else {
                all
            })
        }
        Err(e) => Outcome::error(e),
    }
}

async fn save(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    id: Option<String>,
    form: Form,
) -> HttpResponse {
    let form = form.0;
    let action = FormAction::of(&form);
    let mut f = forms::parse(&form);
    drop(form);
    match submit(&state, id.as_deref(), &mut f, action).await {
        Outcome::Saved(w) => {
            state.flash(Notice::info(format!(
                "Workflow {} saved ({} step(s), {} secret reference(s)).",
                w.draft.name,
                w.draft.nodes.len(),
                w.references.len()
            )));
            see_other(&format!("/workflows/{}", w.id))
        }
        Outcome::Again {
            status,
            issues,
            error,
            check,
            focus,
        } => {
            let chrome = chrome(&state, &ctx, Nav::Workflows, &req).await;
            let mode = match &id {
                None => Mode::New,
                Some(id) => Mode::Edit(id),
            };
            let shown = Shown {
                issues: &issues,
                error: error.as_ref(),
                check: check.as_ref(),
                focus,
            };
            html(status, form_page(&chrome, mode, &f, &shown))
        }
    }
}

/// `POST /workflows`.
pub async fn create(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    form: Form,
) -> HttpResponse {
    save(state, ctx, req, None, form).await
}

/// `POST /workflows/{id}`.
pub async fn update(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    form: Form,
) -> HttpResponse {
    save(state, ctx, req, Some(path.into_inner()), form).await
}

/// `GET /workflows/{id}` (`?after=` pages the past runs).
pub async fn details(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<Page>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Workflows, &req).await;
    let w = match get(&state, &path).await {
        Ok(w) => w,
        Err(e) => return error_page(&mut chrome, &e, BACK),
    };
    let after = q.after.clone().filter(|a| !a.is_empty());
    let (list, next) = match runs(&state, &w.id, after, RUNS_PAGE).await {
        Ok(r) => r,
        Err(e) => return error_page(&mut chrome, &e, BACK),
    };
    let certs = all_certificates(&state).await.unwrap_or_default();
    html(
        StatusCode::OK,
        pages::details(&chrome, &w, &certs, &list, next.as_deref()),
    )
}

/// `GET /workflows/{id}/delete`.
pub async fn confirm_delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let mut chrome = chrome(&state, &ctx, Nav::Workflows, &req).await;
    match get(&state, &path).await {
        Ok(w) => html(StatusCode::OK, pages::confirm_delete(&chrome, &w)),
        Err(e) => error_page(&mut chrome, &e, BACK),
    }
}

/// `POST /workflows/{id}/delete`.
pub async fn delete(
    state: web::Data<WebState>,
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<String>,
    _form: Form,
) -> HttpResponse {
    let name = get(&state, &path)
        .await
        .map(|w| w.draft.name)
        .unwrap_or_else(|_| path.to_string());
    delete_then_redirect(
        &state,
        &ctx,
        &req,
        Deletion {
            request: UiRequest::WorkflowDelete(path.to_string()),
            done: format!("Workflow {name} and its runs deleted."),
            list: BACK,
            nav: Nav::Workflows,
        },
    )
    .await
}
