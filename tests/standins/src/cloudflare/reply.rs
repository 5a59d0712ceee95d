//! Cloudflare v4's response envelope: `success`, `errors`, `messages`,
//! `result`, and `result_info` on lists.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde_json::{json, Value};

use crate::paging::Paging;

/// 200 with `result`.
pub(crate) fn ok(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "success": true, "errors": [], "messages": [], "result": result,
    }))
}

/// 200 with one page of `all` and its `result_info`.
pub(crate) fn ok_page(all: &[Value], paging: Paging) -> HttpResponse {
    let items = paging.window(all);
    HttpResponse::Ok().json(json!({
        "success": true, "errors": [], "messages": [], "result": items,
        "result_info": {
            "page": paging.page,
            "per_page": paging.per_page,
            "count": items.len(),
            "total_count": all.len(),
            "total_pages": paging.pages(all.len()),
        },
    }))
}

/// A failure with one error.
pub(crate) fn error(status: StatusCode, code: u32, message: &str) -> HttpResponse {
    failure(status, json!([{ "code": code, "message": message }]))
}

/// A failure with one error and the detail in its `error_chain`.
pub(crate) fn error_chain(
    status: StatusCode,
    code: u32,
    message: &str,
    chain: (u32, &str),
) -> HttpResponse {
    failure(
        status,
        json!([{
            "code": code, "message": message,
            "error_chain": [{ "code": chain.0, "message": chain.1 }],
        }]),
    )
}

/// `DNS Validation Error` (1004) with `detail`.
pub(crate) fn validation(detail: &str) -> HttpResponse {
    error_chain(
        StatusCode::BAD_REQUEST,
        1004,
        "DNS Validation Error",
        (1004, detail),
    )
}

fn failure(status: StatusCode, errors: Value) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "success": false, "errors": errors, "messages": [], "result": null,
    }))
}
