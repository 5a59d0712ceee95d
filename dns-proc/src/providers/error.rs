//! dns-proc's error type for the provider model, and its mapping onto the
//! stable wire codes. Every failure of the provider model becomes a
//! [`DnsError`] here and a [`WireError`] at the process boundary, so the UI
//! sees one of the contract's codes and, for input errors, the JSON field
//! (`type`, `label`, `domainSuffixes`, `config`, `apiToken`, `hostname`, `id`)
//! that was rejected. Messages never carry secret material: tokens never
//! reach the provider model, and config values are redacted in parse errors.

use shared::error::{ErrorCode, WireError};

/// Errors of the provider model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// Input rejected; `field` names the argument (camelCase, as in the UI contract).
    #[error("{message}")]
    Validation {
        /// JSON field the error concerns.
        field: &'static str,
        /// Explanation for people.
        message: String,
    },
    /// No such provider (the id, truncated for display).
    #[error("DNS provider {0} does not exist")]
    NotFound(String),
    /// The request conflicts with the provider's state (duplicate id, delete
    /// finished on a provider that is not being deleted).
    #[error("{0}")]
    Conflict(String),
    /// Database failure.
    #[error("dns.sqlite: {0}")]
    Db(#[from] rusqlite::Error),
    /// File-system failure (creating or repairing `dns.sqlite`).
    #[error("{0}")]
    Io(String),
    /// Anything else (random source, clock, serialization).
    #[error("{0}")]
    Internal(String),
}

impl DnsError {
    /// A validation error on `field`.
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        DnsError::Validation {
            field,
            message: message.into(),
        }
    }

    /// A not-found error for provider `id` (shown truncated: ids come from outside).
    pub fn not_found(id: &str) -> Self {
        DnsError::NotFound(shown(id, 64))
    }

    /// The same error re-attributed to another field (a name checked for
    /// `hostname` by the suffix rules, say).
    pub fn on_field(self, field: &'static str) -> Self {
        match self {
            DnsError::Validation { message, .. } => DnsError::Validation { field, message },
            other => other,
        }
    }
}

/// Untrusted text made safe for an error message: at most `max` characters,
/// control characters escaped.
pub fn shown(raw: &str, max: usize) -> String {
    let mut out: String = raw
        .chars()
        .take(max)
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if raw.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

impl From<DnsError> for WireError {
    fn from(e: DnsError) -> Self {
        match &e {
            DnsError::Validation { field, .. } => {
                WireError::new(ErrorCode::Validation, e.to_string()).with_field(*field)
            }
            DnsError::NotFound(_) => WireError::new(ErrorCode::NotFound, e.to_string()),
            DnsError::Conflict(_) => WireError::new(ErrorCode::Conflict, e.to_string()),
            DnsError::Db(_) | DnsError::Io(_) | DnsError::Internal(_) => {
                WireError::new(ErrorCode::Internal, e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_and_fields() {
        let w = WireError::from(DnsError::validation("label", "label must not be empty"));
        assert_eq!(w.code, ErrorCode::Validation);
        assert_eq!(w.field.as_deref(), Some("label"));
        assert_eq!(w.message, "label must not be empty");
        let w = WireError::from(DnsError::not_found("dns_prov_x"));
        assert_eq!(w.code, ErrorCode::NotFound);
        assert!(w.message.contains("dns_prov_x"));
        let w = WireError::from(DnsError::Conflict("busy".into()));
        assert_eq!(w.code, ErrorCode::Conflict);
        let w = WireError::from(DnsError::Internal("x".into()));
        assert_eq!(w.code, ErrorCode::Internal);
        let e = DnsError::validation("domainSuffixes", "bad").on_field("hostname");
        assert!(matches!(
            e,
            DnsError::Validation {
                field: "hostname",
                ..
            }
        ));
    }

    #[test]
    fn shown_truncates_and_escapes() {
        assert_eq!(shown("abc", 10), "abc");
        assert_eq!(shown("abcdef", 3), "abc…");
        assert_eq!(shown("a\nb", 10), "a\\nb");
    }
}
