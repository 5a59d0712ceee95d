//! `GET /assets/{file}`: the embedded script, stylesheet and icon.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::web::WebState;

/// Serves an embedded file by its hashed name.
pub async fn serve(state: web::Data<WebState>, req: HttpRequest) -> HttpResponse {
    match state.assets.find(req.path()) {
        Some(a) => HttpResponse::Ok().content_type(a.content_type).body(a.body),
        None => HttpResponse::NotFound().finish(),
    }
}
