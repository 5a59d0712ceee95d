//! What can go wrong talking to a DNS provider, in terms a user can act on.
//!
//! Each adapter maps its API's failures onto these variants, so Test
//! Connection can say which kind of problem it met (credentials, zone, rate
//! limit, transport) and suggest causes without knowing the provider. Messages
//! come from provider responses, truncated and scrubbed of the token by
//! [`super::http`], and never carry secret material.

/// A failure of a provider operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// The provider refused the credentials (HTTP 401/403, TSIG BADKEY/BADSIG/NOTAUTH).
    #[error("the provider refused the credentials: {0}")]
    Auth(String),
    /// No zone managed by these credentials contains the name.
    #[error("no zone for {name} is managed by this account")]
    ZoneNotFound {
        /// The name whose zone was looked for.
        name: String,
    },
    /// Still rate-limited after the bounded retries.
    #[error("the provider is rate limiting requests: {0}")]
    RateLimited(String),
    /// The provider answered with an error.
    #[error("the provider answered HTTP {status}: {message}")]
    Api {
        /// HTTP status (or 0 for a non-HTTP protocol).
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// The provider refused the change (DNS UPDATE rcode, invalid change batch).
    #[error("the provider refused the change: {0}")]
    Refused(String),
    /// The provider could not be reached (connect, TLS, timeout).
    #[error("the provider could not be reached: {0}")]
    Transport(String),
    /// The provider answered something this adapter cannot read.
    #[error("unexpected answer from the provider: {0}")]
    Protocol(String),
    /// The operation is not possible for this provider type (manual mode).
    #[error("{0}")]
    Unsupported(String),
    /// The provider's configuration or token is unusable (e.g. not base64).
    #[error("{0}")]
    Config(String),
}

impl AdapterError {
    /// A short machine-readable kind, used in progress details and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            AdapterError::Auth(_) => "auth",
            AdapterError::ZoneNotFound { .. } => "zone_not_found",
            AdapterError::RateLimited(_) => "rate_limited",
            AdapterError::Api { .. } => "api",
            AdapterError::Refused(_) => "refused",
            AdapterError::Transport(_) => "transport",
            AdapterError::Protocol(_) => "protocol",
            AdapterError::Unsupported(_) => "unsupported",
            AdapterError::Config(_) => "config",
        }
    }
}

/// Result of a provider operation.
pub type AdapterResult<T> = Result<T, AdapterError>;
