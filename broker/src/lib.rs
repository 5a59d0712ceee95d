//! The broker: supervisor of vault-proc and dns-proc, router of UI commands,
//! and the metadata-only boundary. It never decrypts anything; the only secret
//! bytes it ever carries are values the UI sends inward on create/update, which
//! it forwards to vault-proc and drops.

pub mod acme_flows;
pub mod cert_events;
pub mod datadir;
pub mod events;
pub mod export;
pub mod flows;
pub mod permit;
pub mod policy;
pub mod renewal;
pub mod router;
pub mod run;
pub mod supervisor;
pub mod token_sweep;
pub mod workflow_run;
pub mod workflows;

/// Errors that stop the broker from starting.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The data directory is held by another broker.
    #[error(
        "data directory {dir} is in use by another SSLBoard broker (pid {pid}); stop it first"
    )]
    InUse {
        /// The directory.
        dir: String,
        /// The holder's pid, as it recorded it.
        pid: String,
    },
    /// File-system failure on the data or socket directory.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A child could not be started.
    #[error("{0}")]
    Child(String),
    /// Start-up protocol failure.
    #[error("{0}")]
    Startup(String),
}
