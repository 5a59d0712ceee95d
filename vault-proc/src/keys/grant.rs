//! Checks on what a permit names and on what a key request asks for under
//! it: directory origins, URLs and certificate names, normalized one way.

use shared::error::{WireError, WireResult};
use shared::protocol::vault::{AcmeGrant, AcmePurpose, PermitScope};

/// Most keys one ACME permit may cover.
pub const MAX_KEYS: usize = 16;
/// Most names one ACME permit (or CSR) may carry (Let's Encrypt allows 100).
pub const MAX_NAMES: usize = 100;

/// The ASCII origin (`https://host[:port]`) of an absolute https URL.
pub fn origin_of(url: &str, field: &'static str) -> WireResult<String> {
    let bad = |why: &str| WireError::validation(format!("{field} {why}")).with_field(field);
    if url.len() > 2048 {
        return Err(bad("is longer than 2048 bytes"));
    }
    let parsed = url::Url::parse(url).map_err(|_| bad("is not an absolute URL"))?;
    if parsed.scheme() != "https" {
        return Err(bad("must be an https URL"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    Ok(parsed.origin().ascii_serialization())
}

/// A certificate name as permits compare it.
pub fn normalize_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn check_id(id: &str) -> WireResult<()> {
    if id.is_empty() || id.len() > 128 || id.chars().any(|c| c.is_control()) {
        return Err(WireError::validation(
            "the permit's account or order id is invalid",
        ));
    }
    Ok(())
}

/// Validates a scope the broker grants and normalizes its ACME part, so
/// later comparisons are plain string equality. Revokes use the same
/// normalization (a revoke must name the scope exactly as it was granted).
pub fn checked_scope(scope: PermitScope) -> WireResult<PermitScope> {
    match scope {
        PermitScope::ProviderToken { .. } => Ok(scope),
        PermitScope::Acme(g) => {
            match &g.purpose {
                AcmePurpose::Account(id) | AcmePurpose::Order(id) => check_id(id)?,
            }
            if g.key_refs.is_empty() || g.key_refs.len() > MAX_KEYS {
                return Err(WireError::validation(format!(
                    "an ACME permit names 1 to {MAX_KEYS} keys"
                )));
            }
            if g.names.len() > MAX_NAMES {
                return Err(WireError::validation(format!(
                    "an ACME permit names at most {MAX_NAMES} names"
                )));
            }
            let origin = origin_of(&g.directory_origin, "directoryOrigin")?;
            let bare = url::Url::parse(&g.directory_origin)
                .is_ok_and(|u| u.path() == "/" && u.query().is_none() && u.fragment().is_none());
            if !bare {
                return Err(WireError::validation(
                    "directoryOrigin must be an origin (https://host[:port]), without a path",
                )
                .with_field("directoryOrigin"));
            }
            Ok(PermitScope::Acme(AcmeGrant {
                purpose: g.purpose,
                key_refs: g.key_refs,
                directory_origin: origin,
                names: g.names.iter().map(|n| normalize_name(n)).collect(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(origin: &str) -> PermitScope {
        PermitScope::Acme(AcmeGrant {
            purpose: AcmePurpose::Order("ord_1".into()),
            key_refs: vec!["sec_1".into()],
            directory_origin: origin.into(),
            names: vec!["WWW.Example.com.".into()],
        })
    }

    #[test]
    fn origins_are_normalized_and_paths_refused() {
        let Ok(PermitScope::Acme(g)) = checked_scope(grant("https://CA.example:443/")) else {
            panic!("refused a valid origin");
        };
        assert_eq!(g.directory_origin, "https://ca.example");
        assert_eq!(g.names, vec!["www.example.com".to_string()]);
        assert!(checked_scope(grant("https://ca.example/directory")).is_err());
        assert!(checked_scope(grant("http://ca.example")).is_err());
        assert!(checked_scope(grant("https://u:p@ca.example")).is_err());
        assert_eq!(
            origin_of("https://ca.example:14000/acme/new-order", "url").ok(),
            Some("https://ca.example:14000".to_string())
        );
    }
}
