//! The one error type of the secret store and its mapping to stable wire codes.
//!
//! Every failure inside `secrets` becomes a [`VaultError`]; the IPC layer turns
//! it into a [`WireError`] with one of the stable codes of the UI contract.
//! Messages name secrets, fields and files but never carry a secret value: no
//! variant has room for one, and callers only ever pass names into them.

use shared::error::{ErrorCode, WireError};
use shared::protocol::secrets::KeySource;

/// What a person can do when the credential store cannot give us the key.
pub const KEYRING_FIX: &str = "start and unlock the OS credential store (on Linux a Secret \
Service such as gnome-keyring or KeePassXC), or set SSLBOARD_KEY_SOURCE=env together with \
SSLBOARD_MASTER_KEY=<base64 of 32 random bytes>";

/// Result alias of the secret store.
pub type VaultResult<T> = Result<T, VaultError>;

/// Everything that can go wrong inside the secret store.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No secret (or no local value) matches the request.
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for, e.g. `secret named "cf"` (never a value).
        what: String,
    },

    /// A value was rejected; `field` names the offending input field.
    #[error("invalid {field}: {message}")]
    Validation {
        /// The offending field (`name`, `data.password`, `tags[3]`, …).
        field: String,
        /// Why it was rejected.
        message: String,
    },

    /// A secret with this name exists already.
    #[error("a secret named \"{name}\" already exists")]
    Conflict {
        /// The duplicate name.
        name: String,
    },

    /// The credential store is reachable but locked or refused access.
    #[error("the vault is locked: {reason}; to fix: {KEYRING_FIX}")]
    Locked {
        /// What the credential store said.
        reason: String,
    },

    /// No usable credential store (no Secret Service, no session bus, bad env key).
    #[error("the OS credential store is unavailable: {reason}; to fix: {KEYRING_FIX}")]
    KeyringUnavailable {
        /// What failed.
        reason: String,
    },

    /// The master key in the credential store is not the key that encrypted the data.
    #[error(
        "the master key from {key_source} does not match secrets.sqlite (stored fingerprint \
         {stored}, key fingerprint {found}); refusing to run: restore the original master key \
         (a new key is never generated over existing data)"
    )]
    KeyMismatch {
        /// Name of the key source (`keyring`, `env`, …).
        key_source: KeySource,
        /// Fingerprint prefix recorded in the database.
        stored: String,
        /// Fingerprint prefix of the key that was loaded.
        found: String,
    },

    /// The credential store has no master key but the database holds encrypted data.
    #[error(
        "no master key found in {key_source}, but secrets.sqlite holds encrypted secrets; \
         refusing to generate a new key over existing data: unlock or restore the credential \
         store that holds the original key (or point SSLBOARD_KEYRING_SERVICE at it)"
    )]
    KeyMissing {
        /// Name of the key source.
        key_source: KeySource,
    },

    /// Authenticated decryption failed (tampered row, swapped ciphertext).
    #[error("cannot decrypt secret {reference}: the ciphertext does not authenticate")]
    Decrypt {
        /// Reference id of the row.
        reference: String,
    },

    /// SQLite failed.
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),

    /// A file operation on the data dir failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },

    /// An unexpected internal failure (random source, corrupted row, …).
    #[error("internal error: {0}")]
    Internal(String),
    /// The external secret provider failed and no local copy exists.
    #[error("external provider {provider} failed: {cause}")]
    Provider {
        /// Which provider (its address).
        provider: String,
        /// What went wrong (no secret material).
        cause: String,
    },
    /// The caller's permit does not cover this secret.
    #[error("not permitted: {0}")]
    Forbidden(String),
}

impl VaultError {
    /// Shorthand for [`VaultError::Validation`].
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`VaultError::NotFound`].
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// Shorthand for [`VaultError::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }

    /// The stable wire code this error maps to.
    pub fn code(&self) -> ErrorCode {
        match self {
            VaultError::NotFound { .. } => ErrorCode::NotFound,
            VaultError::Validation { .. } => ErrorCode::Validation,
            VaultError::Conflict { .. } => ErrorCode::Conflict,
            VaultError::Locked { .. } => ErrorCode::Locked,
            VaultError::KeyringUnavailable { .. }
            | VaultError::KeyMismatch { .. }
            | VaultError::KeyMissing { .. } => ErrorCode::KeyringUnavailable,
            VaultError::Decrypt { .. }
            | VaultError::Db(_)
            | VaultError::Io { .. }
            | VaultError::Internal(_) => ErrorCode::Internal,
            VaultError::Provider { .. } => ErrorCode::ProviderError,
            VaultError::Forbidden(_) => ErrorCode::Forbidden,
        }
    }
}

impl From<shared::ids::RandomError> for VaultError {
    fn from(e: shared::ids::RandomError) -> Self {
        VaultError::Internal(e.to_string())
    }
}

impl From<VaultError> for WireError {
    fn from(e: VaultError) -> Self {
        let code = e.code();
        let field = match &e {
            VaultError::Validation { field, .. } => Some(field.clone()),
            VaultError::Conflict { .. } => Some("name".to_owned()),
            _ => None,
        };
        let err = WireError::new(code, e.to_string());
        match field {
            Some(f) => err.with_field(f),
            None => err,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let cases: Vec<(VaultError, &str)> = vec![
            (VaultError::not_found("secret named \"x\""), "not_found"),
            (VaultError::validation("name", "bad"), "validation"),
            (VaultError::Conflict { name: "x".into() }, "conflict"),
            (VaultError::Locked { reason: "r".into() }, "locked"),
            (
                VaultError::KeyringUnavailable { reason: "r".into() },
                "keyring_unavailable",
            ),
            (
                VaultError::KeyMismatch {
                    key_source: KeySource::Keyring,
                    stored: "aa".into(),
                    found: "bb".into(),
                },
                "keyring_unavailable",
            ),
            (
                VaultError::KeyMissing {
                    key_source: KeySource::Keyring,
                },
                "keyring_unavailable",
            ),
            (
                VaultError::Decrypt {
                    reference: "sec_1".into(),
                },
                "internal",
            ),
            (VaultError::internal("x"), "internal"),
        ];
        for (err, code) in cases {
            let wire = WireError::from(err);
            assert_eq!(wire.code.as_str(), code, "{}", wire.message);
        }
    }

    #[test]
    fn validation_and_conflict_carry_the_field() {
        let w = WireError::from(VaultError::validation("data.password", "is blank"));
        assert_eq!(w.field.as_deref(), Some("data.password"));
        let w = WireError::from(VaultError::Conflict { name: "cf".into() });
        assert_eq!(w.field.as_deref(), Some("name"));
    }

    #[test]
    fn keyring_messages_say_how_to_fix() {
        for e in [
            VaultError::Locked {
                reason: "collection is locked".into(),
            },
            VaultError::KeyringUnavailable {
                reason: "no session bus".into(),
            },
        ] {
            let m = e.to_string();
            assert!(m.contains("SSLBOARD_KEY_SOURCE=env"), "{m}");
            assert!(m.contains("SSLBOARD_MASTER_KEY"), "{m}");
            assert!(m.contains("Secret Service"), "{m}");
        }
        let m = VaultError::KeyMismatch {
            key_source: KeySource::Keyring,
            stored: "aa".into(),
            found: "bb".into(),
        }
        .to_string();
        assert!(
            m.contains("refusing") && m.contains("never generated"),
            "{m}"
        );
    }
}
