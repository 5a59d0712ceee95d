//! dns-proc's error type and its mapping onto the stable wire codes.

use shared::error::{ErrorCode, WireError};

/// Errors of the provider model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// Input rejected; `field` names the argument.
    #[error("{message}")]
    Validation {
        /// JSON field the error concerns.
        field: &'static str,
        /// Explanation.
        message: String,
    },
    /// No such provider.
    #[error("DNS provider {0} does not exist")]
    NotFound(String),
    /// Database failure.
    #[error("dns.sqlite: {0}")]
    Db(#[from] rusqlite::Error),
    /// File-system failure.
    #[error("{0}")]
    Io(String),
    /// Anything else.
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
}

impl From<DnsError> for WireError {
    fn from(e: DnsError) -> Self {
        match &e {
            DnsError::Validation { field, .. } => {
                WireError::new(ErrorCode::Validation, e.to_string()).with_field(*field)
            }
            DnsError::NotFound(_) => WireError::new(ErrorCode::NotFound, e.to_string()),
            DnsError::Db(_) | DnsError::Io(_) | DnsError::Internal(_) => {
                WireError::new(ErrorCode::Internal, e.to_string())
            }
        }
    }
}
