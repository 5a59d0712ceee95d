//! `POST /vault/lock`: the header's Lock button.

use actix_web::{web, HttpResponse};
use shared::protocol::ui::{UiRequest, UiResponse};

use super::see_other;
use crate::web::guard::Form;
use crate::web::pages::Notice;
use crate::web::WebState;

/// A local path to come back to (never another origin).
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/secrets",
    }
}

/// Locks the vault and returns to the page the button was on.
pub async fn lock(state: web::Data<WebState>, form: Form) -> HttpResponse {
    match state.call(UiRequest::VaultLock).await {
        Ok(UiResponse::Unlocked(false)) => state.flash(Notice::info(
            "Vault locked: the master key was wiped from memory. It unlocks by itself when an operation needs it.",
        )),
        Ok(_) => state.flash(Notice::warn("The vault did not report itself locked.")),
        Err(e) => state.flash(Notice::error(format!("Could not lock the vault: {}", e.message))),
    }
    see_other(local_path(form.0.text("next")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths() {
        assert_eq!(local_path(Some("/providers?x=1")), "/providers?x=1");
        assert_eq!(local_path(Some("//evil.example/")), "/secrets");
        assert_eq!(local_path(Some("http://evil.example/")), "/secrets");
        assert_eq!(local_path(Some("/\\evil")), "/secrets");
        assert_eq!(local_path(None), "/secrets");
    }
}
