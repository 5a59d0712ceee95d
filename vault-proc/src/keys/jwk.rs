//! Public JWKs (RFC 7517) in the canonical form of RFC 7638, and their
//! thumbprints.
//!
//! The canonical form has only the required members, in lexical order, with
//! no whitespace: EC `{"crv","kty","x","y"}`, RSA `{"e","kty","n"}`. Every
//! value is base64url, so no JSON escaping is ever needed. The same string is
//! the `jwk` of a JWS header and the input of the thumbprint, so the key
//! authorization dns-proc computes for a challenge matches what the CA sees.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The canonical JWK of an EC public key.
pub fn ec(crv: &str, x: &[u8], y: &[u8]) -> String {
    format!(
        r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
        b64url(x),
        b64url(y)
    )
}

/// The canonical JWK of an RSA public key (modulus and exponent big-endian,
/// without leading zeros).
pub fn rsa(n: &[u8], e: &[u8]) -> String {
    format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64url(e), b64url(n))
}

/// RFC 7638 thumbprint (SHA-256, base64url) of a canonical JWK.
pub fn thumbprint(canonical_jwk: &str) -> String {
    b64url(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical_jwk.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let n = URL_SAFE_NO_PAD.decode(n).unwrap_or_default();
        let jwk = rsa(&n, &[1, 0, 1]);
        assert!(jwk.starts_with(r#"{"e":"AQAB","kty":"RSA","n":"0vx7"#));
        assert_eq!(
            thumbprint(&jwk),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
