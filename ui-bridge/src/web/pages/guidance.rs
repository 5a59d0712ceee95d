//! What a person should do about the errors that are not theirs to fix in
//! a form: the OS credential store cannot be reached (`keyring_unavailable`)
//! or refused the key (`locked`). One place says it, in words, for form
//! errors, error pages, the header and the first-run page.

use maud::{html, Markup};
use shared::error::{ErrorCode, WireError};
use shared::protocol::secrets::KeySourceState;

/// True when a `vault_status` key source says the store could not be opened.
pub fn key_source_unavailable(key_source: &KeySourceState) -> bool {
    matches!(key_source, KeySourceState::Unavailable(_))
}

/// The fix for the credential store being out of reach.
pub fn keyring_unavailable() -> Markup {
    html! {
        div.fix data-fix="keyring_unavailable" {
            p { strong { "The OS credential store could not be opened." }
                " SSLBoard keeps its master key there (Secret Service — GNOME Keyring or KWallet — on Linux, the Keychain on macOS, Credential Manager on Windows), and nothing can be encrypted or decrypted without it. It never falls back to a key file." }
            p { "To fix it, one of:" }
            ul {
                li { "Start " code { "ui-bridge web" } " from a desktop session whose login keyring is unlocked." }
                li { "On a server without a desktop, start it with " code { "scripts/run" } ", which starts a private keyring for it." }
                li { "Or choose an explicit key: start it with " code { "SSLBOARD_KEY_SOURCE=env" } " and " code { "SSLBOARD_MASTER_KEY" } " set to the base64 of 32 random bytes (" code { "head -c 32 /dev/urandom | base64" } "), and keep that key safe: without it the secrets cannot be read." }
            }
            p { "Then restart " code { "ui-bridge web" } " and open the new link it prints." }
        }
    }
}

/// The fix for a credential store that refused the key.
pub fn locked() -> Markup {
    html! {
        div.fix data-fix="locked" {
            p { strong { "The vault is locked and the credential store did not hand over the master key." }
                " Usually the login keyring is locked, or a prompt asking to allow SSLBoard was dismissed." }
            p { "To fix it: unlock your login keyring (log in again, or unlock it in your keyring manager, e.g. Seahorse's “Passwords and Keys”), allow SSLBoard when asked, and try again. The vault unlocks itself on the next operation that needs it." }
        }
    }
}

/// The fix for `e`, when it is one of the errors above.
pub fn fix(e: &WireError) -> Markup {
    match e.code {
        ErrorCode::KeyringUnavailable => keyring_unavailable(),
        ErrorCode::Locked => locked(),
        _ => html! {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_fixes_say_what_to_do() {
        let k = fix(&WireError::new(ErrorCode::KeyringUnavailable, "x")).into_string();
        assert!(k.contains("SSLBOARD_KEY_SOURCE=env") && k.contains("To fix it"));
        let l = fix(&WireError::new(ErrorCode::Locked, "x")).into_string();
        assert!(l.contains("unlock your login keyring"));
        assert!(fix(&WireError::validation("x")).into_string().is_empty());
        use shared::protocol::secrets::KeySource;
        assert!(key_source_unavailable(&KeySourceState::Unavailable(
            ErrorCode::KeyringUnavailable
        )));
        assert!(!key_source_unavailable(&KeySourceState::Ready(
            KeySource::Env
        )));
    }
}
