//! Input rules of provider requests that are not about names or config:
//! the type (an unknown one is an error listing the supported types), the
//! label, token presence per type, the TXT value shown in manual mode, and
//! the manual-mode instructions themselves. Kept apart from the registry so
//! that every rule a request must pass besides names and config reads in one
//! place.

use shared::protocol::dns::{ManualInstructions, NewProvider, ProviderType};
use shared::protocol::dnsproc::ProviderDraft;

use super::error::shown;
use super::DnsError;

/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 128;
/// Longest TXT value shown in manual instructions (one TXT string).
pub const MAX_TXT_VALUE: usize = 255;

/// Parses a provider type name; the error lists the supported types.
pub fn parse_type(s: &str) -> Result<ProviderType, DnsError> {
    ProviderType::parse(&s.trim().to_ascii_lowercase()).ok_or_else(|| {
        DnsError::validation(
            "type",
            format!(
                "unsupported provider type `{}`; supported types: {}",
                shown(s, 40),
                ProviderType::supported_list()
            ),
        )
    })
}

/// Checks a label: trimmed, non-empty, at most 128 printable characters.
pub fn check_label(label: &str) -> Result<String, DnsError> {
    let l = label.trim();
    if l.is_empty() {
        return Err(DnsError::validation("label", "label must not be empty"));
    }
    if l.chars().count() > MAX_LABEL_CHARS || l.chars().any(char::is_control) {
        return Err(DnsError::validation(
            "label",
            format!("label must be at most {MAX_LABEL_CHARS} printable characters"),
        ));
    }
    Ok(l.to_string())
}

/// Checks that token presence fits the type: every type but `manual` needs one.
pub fn check_token(ty: ProviderType, has_token: bool) -> Result<(), DnsError> {
    match (ty.needs_token(), has_token) {
        (true, false) => Err(DnsError::validation(
            "apiToken",
            format!("a {} provider needs an API token", ty.as_str()),
        )),
        (false, true) => Err(DnsError::validation(
            "apiToken",
            format!("a {} provider takes no API token", ty.as_str()),
        )),
        _ => Ok(()),
    }
}

/// Checks the TXT value for manual instructions: 1 to 255 printable ASCII
/// characters without spaces or quotes (ACME values are base64url).
pub fn check_value(value: Option<&str>) -> Result<Option<String>, DnsError> {
    match value {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.len() <= MAX_TXT_VALUE && v.bytes().all(|b| b.is_ascii_graphic() && b != b'"') => {
            Ok(Some(v.to_string()))
        }
        Some(_) => Err(DnsError::validation(
            "value",
            format!("a TXT value is 1 to {MAX_TXT_VALUE} printable ASCII characters without spaces or quotes"),
        )),
    }
}

/// The creation draft of a UI request: the token reduced to its presence.
pub fn draft_of(new: &NewProvider) -> ProviderDraft {
    ProviderDraft {
        provider_type: new.provider_type.clone(),
        label: new.label.clone(),
        domain_suffixes: new.domain_suffixes.clone(),
        config_json: new.config_json.clone(),
        has_token: new.api_token.as_ref().is_some_and(|t| !t.is_blank()),
    }
}

/// Manual-mode instructions for the DNS-01 record of canonical `host`.
pub fn manual_instructions(host: &str, value: Option<String>) -> ManualInstructions {
    let record_name = format!("_acme-challenge.{host}");
    ManualInstructions {
        check: format!("dig +short TXT {record_name}"),
        record_name,
        record_type: "TXT".into(),
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::dns::SuffixInput;

    #[test]
    fn types_labels_tokens_values() {
        assert_eq!(
            parse_type(" CloudFlare ").unwrap(),
            ProviderType::Cloudflare
        );
        let e = parse_type("godaddy").unwrap_err().to_string();
        assert!(
            e.contains("`godaddy`") && e.contains(&ProviderType::supported_list()),
            "{e}"
        );
        assert_eq!(check_label("  Production CF ").unwrap(), "Production CF");
        assert!(check_token(ProviderType::Rfc2136, true).is_ok());
        assert!(check_token(ProviderType::Manual, false).is_ok());
        assert!(check_token(ProviderType::Route53, false).is_err());
        let acme = "gfj9Xq-Xq8Y1gF3fJxL7N3T8lN8n2WwQ2-CsPmIu6r0";
        assert_eq!(check_value(Some(acme)).unwrap().as_deref(), Some(acme));
        assert_eq!(check_value(None).unwrap(), None);
        for bad in ["", "a b", "a\"b", "é"] {
            assert!(check_value(Some(bad)).is_err(), "{bad:?}");
        }
        let m = manual_instructions("a.example", None);
        assert_eq!(m.record_name, "_acme-challenge.a.example");
        assert_eq!(m.check, "dig +short TXT _acme-challenge.a.example");
        assert_eq!(m.record_type, "TXT");
    }

    #[test]
    fn draft_of_keeps_only_token_presence() {
        let mut new = NewProvider {
            provider_type: "cloudflare".into(),
            label: "X".into(),
            domain_suffixes: SuffixInput::Text("a.com".into()),
            api_token: Some("tok".into()),
            config_json: None,
        };
        assert!(draft_of(&new).has_token);
        new.api_token = Some("  ".into());
        assert!(!draft_of(&new).has_token);
        new.api_token = None;
        assert!(!draft_of(&new).has_token);
    }
}
