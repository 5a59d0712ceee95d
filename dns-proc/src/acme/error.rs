//! Errors of the ACME client. None of them can carry a key: the client never
//! holds one, and CA text is scrubbed of control characters and truncated.

use super::wire::Problem;

/// What went wrong talking to the CA or to vault-proc.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AcmeError {
    /// The CA answered with an RFC 7807 problem.
    #[error("the CA refused: {}", .0.summary())]
    Problem(Problem),
    /// Network or TLS failure.
    #[error("cannot reach the CA: {0}")]
    Transport(String),
    /// The CA's answer does not follow RFC 8555.
    #[error("unexpected answer from the CA: {0}")]
    Protocol(String),
    /// vault-proc refused or failed to sign.
    #[error("vault-proc could not sign: {0}")]
    Signer(String),
    /// A bad setting or input (URL, CA PEM, names).
    #[error("{0}")]
    Config(String),
    /// The local ACME state could not be read or written.
    #[error("ACME state: {0}")]
    Store(String),
    /// The operation was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Time ran out.
    #[error("timed out: {0}")]
    Timeout(String),
}

impl AcmeError {
    /// The CA's problem, when there is one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            AcmeError::Problem(p) => Some(p),
            _ => None,
        }
    }
}

/// Result of the ACME client.
pub type AcmeResult<T> = Result<T, AcmeError>;

/// `text` without control characters, at most `max` characters.
pub fn clean(text: &str, max: usize) -> String {
    let s: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > max {
        s.chars().take(max).collect::<String>() + "…"
    } else {
        s
    }
}
