//! The per-launch credentials of the web mode: the launch token printed in
//! the URL (exchanged once for a session), the session cookie, and the CSRF
//! token derived from the session with an HMAC. Every comparison is constant
//! time, and nothing here is ever logged.

use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Bytes of randomness in the launch token and the session id.
const TOKEN_BYTES: usize = 32;

/// Why the credentials could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The OS random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
}

fn random_hex() -> Result<String, SessionError> {
    let mut b = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut b).map_err(|e| SessionError::Random(e.to_string()))?;
    Ok(hex::encode(b))
}

/// Bytes of randomness in the launch host name.
const HOST_BYTES: usize = 8;

/// A fresh host name for one launch: `sslboard-<16 hex>.localhost`.
/// Browsers resolve every `*.localhost` name to loopback without asking DNS
/// (RFC 6761), so the server needs no resolver entry; the name is what keeps
/// the session cookie (host-only) away from other servers on 127.0.0.1.
pub fn launch_host() -> Result<String, SessionError> {
    let mut b = [0u8; HOST_BYTES];
    getrandom::fill(&mut b).map_err(|e| SessionError::Random(e.to_string()))?;
    Ok(format!("sslboard-{}.localhost", hex::encode(b)))
}

/// Constant-time equality of two strings (length is not secret).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The web mode's credentials for one launch.
pub struct Sessions {
    /// The launch token; `None` once exchanged.
    launch: Mutex<Option<String>>,
    /// The one session the token was exchanged for.
    session: Mutex<Option<String>>,
    /// Key of the CSRF HMAC.
    csrf_key: [u8; TOKEN_BYTES],
    /// Name of the session cookie (carries the port: cookies ignore ports).
    cookie_name: String,
}

impl Sessions {
    /// Fresh credentials for a server on `port`.
    pub fn new(port: u16) -> Result<Self, SessionError> {
        let mut csrf_key = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut csrf_key).map_err(|e| SessionError::Random(e.to_string()))?;
        Ok(Self {
            launch: Mutex::new(Some(random_hex()?)),
            session: Mutex::new(None),
            csrf_key,
            cookie_name: format!("sslboard_session_{port}"),
        })
    }

    /// The launch token, for the printed URL (`None` once exchanged).
    pub fn launch_token(&self) -> Option<String> {
        self.launch.lock().ok().and_then(|t| t.clone())
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// Exchanges the launch token for a new session id: succeeds once.
    pub fn login(&self, token: &str) -> Result<Option<String>, SessionError> {
        let Ok(mut launch) = self.launch.lock() else {
            return Ok(None);
        };
        let matches = launch.as_deref().is_some_and(|t| same(t, token));
        if !matches {
            return Ok(None);
        }
        let id = random_hex()?;
        let Ok(mut session) = self.session.lock() else {
            return Ok(None);
        };
        *launch = None;
        *session = Some(id.clone());
        Ok(Some(id))
    }

    /// True when `cookie` is the current session's id.
    pub fn valid(&self, cookie: &str) -> bool {
        self.session
            .lock()
            .ok()
            .and_then(|s| s.as_deref().map(|s| same(s, cookie)))
            .unwrap_or(false)
    }

    fn mac(&self, session: &str) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.csrf_key).ok()?;
        mac.update(b"sslboard-web-csrf\0");
        mac.update(session.as_bytes());
        Some(mac)
    }

    /// The CSRF token of a session: HMAC-SHA256(key, session id), hex.
    pub fn csrf_token(&self, session: &str) -> String {
        self.mac(session)
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default()
    }

    /// True when `token` is the CSRF token of `session` (constant time).
    pub fn csrf_valid(&self, session: &str, token: &str) -> bool {
        let Ok(bytes) = hex::decode(token) else {
            return false;
        };
        self.mac(session)
            .is_some_and(|m| m.verify_slice(&bytes).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_exchanged_once() {
        let s = Sessions::new(1234).unwrap();
        let token = s.launch_token().unwrap();
        assert_eq!(s.login("wrong").unwrap(), None);
        let id = s.login(&token).unwrap().unwrap();
        assert!(s.valid(&id));
        assert!(!s.valid("x"));
        assert_eq!(s.login(&token).unwrap(), None);
        assert!(s.launch_token().is_none());
        assert_eq!(s.cookie_name(), "sslboard_session_1234");
    }

    #[test]
    fn launch_hosts_are_fresh_localhost_names() {
        let a = launch_host().unwrap();
        let b = launch_host().unwrap();
        assert_ne!(a, b);
        let mid = a
            .strip_prefix("sslboard-")
            .and_then(|r| r.strip_suffix(".localhost"))
            .unwrap();
        assert_eq!(mid.len(), 16);
        assert!(mid.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let s = Sessions::new(1).unwrap();
        let t = s.csrf_token("abc");
        assert!(s.csrf_valid("abc", &t));
        assert!(!s.csrf_valid("abd", &t));
        assert!(!s.csrf_valid("abc", "zz"));
        assert!(!s.csrf_valid("abc", ""));
    }
}
