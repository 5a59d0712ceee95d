//! Stable error codes and the error value that crosses every boundary.
//!
//! The UI contract promises stable snake_case codes; every process maps its own
//! failures onto [`ErrorCode`] before a response leaves it. Messages are written
//! for people and never carry secret material.

use serde::{Deserialize, Serialize};

/// The stable error codes of the UI contract (names strum-derived).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum ErrorCode {
    /// The request was malformed (bad JSON, unknown command, wrong types).
    InvalidRequest,
    /// The request was well-formed but its values were rejected.
    Validation,
    /// The named entity does not exist.
    NotFound,
    /// The entity exists already or the change conflicts with state.
    Conflict,
    /// The vault is locked and could not be unlocked.
    Locked,
    /// The OS credential store is missing, locked or refused access.
    KeyringUnavailable,
    /// A process of the core is not reachable right now (restarting, overloaded).
    Unavailable,
    /// An external provider (DNS API, OpenBao) failed.
    ProviderError,
    /// The caller's role may not make this request.
    Forbidden,
    /// An unexpected internal failure.
    Internal,
}

impl ErrorCode {
    /// The snake_case string used on the UI wire.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An error that crosses a process boundary: a code, a message for people and
/// optional structured details (e.g. the byte offset of a template error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct WireError {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable explanation, free of secret material.
    pub message: String,
    /// Optional detail: the offending field name.
    pub field: Option<String>,
    /// Optional detail: a byte offset into the input.
    pub offset: Option<u64>,
}

impl WireError {
    /// Builds an error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            offset: None,
        }
    }

    /// Attaches the name of the field the error concerns.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Attaches a byte offset into the input.
    pub fn with_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// `validation` error.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Validation, message)
    }

    /// `not_found` error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// `internal` error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// `unavailable` error.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }

    /// `forbidden` error.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `invalid_request` error.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }
}

/// Result type for requests that cross a boundary.
pub type WireResult<T> = Result<T, WireError>;
