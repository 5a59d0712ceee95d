//! DigitalOcean v2's error body: `{"id", "message", "request_id"}`.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde_json::json;

use crate::store::random_hex;

/// A failure with DigitalOcean's error `id` and `message`.
pub(crate) fn error(status: StatusCode, id: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "id": id, "message": message, "request_id": request_id(),
    }))
}

/// 404 `not_found`.
pub(crate) fn not_found() -> HttpResponse {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "The resource you were accessing could not be found.",
    )
}

/// 422 `unprocessable_entity` with `message`.
pub(crate) fn unprocessable(message: &str) -> HttpResponse {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_entity",
        message,
    )
}

/// A UUID-shaped request id, as DigitalOcean puts in its error bodies.
fn request_id() -> String {
    let h = random_hex();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
