//! Identifier generation: a stable prefix plus 128 random bits, never sequential.

use thiserror::Error;

/// Prefix of secret reference ids.
pub const SECRET_PREFIX: &str = "sec_";
/// Prefix of DNS provider ids.
pub const PROVIDER_PREFIX: &str = "dns_prov_";

/// The OS random source failed.
#[derive(Debug, Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(String);

/// Fills a buffer from the OS CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| RandomError(e.to_string()))?;
    Ok(b)
}

fn prefixed(prefix: &str) -> Result<String, RandomError> {
    let bits: [u8; 16] = random_bytes()?;
    Ok(format!("{prefix}{}", hex::encode(bits)))
}

/// A fresh secret reference id: `sec_` + 32 lowercase hex digits.
pub fn new_secret_id() -> Result<String, RandomError> {
    prefixed(SECRET_PREFIX)
}

/// A fresh DNS provider id: `dns_prov_` + 32 lowercase hex digits.
pub fn new_provider_id() -> Result<String, RandomError> {
    prefixed(PROVIDER_PREFIX)
}

/// A short random lowercase hex token of `2*N` characters (test record names, values).
pub fn random_hex<const N: usize>() -> Result<String, RandomError> {
    Ok(hex::encode(random_bytes::<N>()?))
}

fn is_prefixed_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == 32
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// True when `s` has the exact shape of a secret reference id.
pub fn is_secret_id(s: &str) -> bool {
    is_prefixed_id(s, SECRET_PREFIX)
}

/// True when `s` has the exact shape of a provider id.
pub fn is_provider_id(s: &str) -> bool {
    is_prefixed_id(s, PROVIDER_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_random_and_well_formed() -> Result<(), RandomError> {
        let a = new_secret_id()?;
        let b = new_secret_id()?;
        assert!(a.starts_with("sec_") && is_secret_id(&a));
        assert_ne!(a, b);
        let p = new_provider_id()?;
        assert!(p.starts_with("dns_prov_") && is_provider_id(&p));
        assert!(!is_secret_id("sec_123"));
        assert!(!is_secret_id(&p));
        Ok(())
    }
}
