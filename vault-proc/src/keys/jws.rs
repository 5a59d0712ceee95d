//! JWS for ACME (RFC 8555 §6.2) and the external account binding (§7.3.4),
//! flattened JSON serialization (RFC 7515 §7.2.2).
//!
//! vault-proc builds the protected header itself: the caller chooses the URL,
//! the nonce and `kid`-or-`jwk`, never `alg` or the key that `jwk` shows.

use serde_json::{json, Value};
use shared::protocol::keys::{FlattenedJws, JwsSigner};

use super::jwk::b64url;
use super::{KeyError, VaultKey};

fn signing_input(protected: &str, payload: &str) -> Vec<u8> {
    let mut input = Vec::with_capacity(protected.len() + payload.len() + 1);
    input.extend_from_slice(protected.as_bytes());
    input.push(b'.');
    input.extend_from_slice(payload.as_bytes());
    input
}

/// An ACME request signed by `key`. An empty `payload` is POST-as-GET (the
/// `payload` member is the empty string).
pub fn acme(
    key: &VaultKey,
    url: &str,
    nonce: &str,
    signer: &JwsSigner,
    payload: &[u8],
) -> Result<FlattenedJws, KeyError> {
    let mut header = json!({ "alg": key.jws_alg(), "nonce": nonce, "url": url });
    match signer {
        JwsSigner::Kid(kid) => header["kid"] = Value::String(kid.clone()),
        JwsSigner::Jwk => {
            header["jwk"] = serde_json::from_str(key.jwk())
                .map_err(|_| KeyError::Crypto("cannot encode the public JWK"))?
        }
    }
    let protected = b64url(header.to_string().as_bytes());
    let payload = if payload.is_empty() {
        String::new()
    } else {
        b64url(payload)
    };
    let signature = b64url(&key.sign_jws(&signing_input(&protected, &payload))?);
    Ok(FlattenedJws {
        protected,
        payload,
        signature,
    })
}

/// The external account binding: the account's JWK signed with the CA's
/// HMAC key (HS256).
pub fn eab(hmac_key: &[u8], kid: &str, url: &str, account_jwk: &str) -> FlattenedJws {
    let header = json!({ "alg": "HS256", "kid": kid, "url": url });
    let protected = b64url(header.to_string().as_bytes());
    let payload = b64url(account_jwk.as_bytes());
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, hmac_key);
    let tag = aws_lc_rs::hmac::sign(&key, &signing_input(&protected, &payload));
    FlattenedJws {
        protected,
        payload,
        signature: b64url(tag.as_ref()),
    }
}
