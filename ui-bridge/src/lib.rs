//! ui-bridge: what a UI spawns. It starts the broker, speaks the JSON-lines
//! contract on stdio (or answers one command in `call` mode, or serves the
//! settings pages to a local browser in `web` mode), and validates
//! every UI input before anything reaches the trusted core. It never sees a
//! decrypted secret: answers are rendered only from metadata types.

pub mod cli;
pub mod export;
pub mod json;
pub mod launcher;
pub mod stdio;
pub mod web;

/// Errors that stop ui-bridge.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The data directory is in use by another tree.
    #[error("the data directory is in use by another SSLBoard instance (see the broker's message above)")]
    InUse,
    /// The broker could not be started.
    #[error("could not start the broker: {0}")]
    Start(String),
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
}

/// The platform data directory for SSLBoard (`$XDG_DATA_HOME/sslboard`,
/// `~/.local/share/sslboard`, `~/Library/Application Support/sslboard`).
pub fn default_data_dir() -> Result<std::path::PathBuf, BridgeError> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    if cfg!(target_os = "macos") {
        return home
            .map(|h| h.join("Library/Application Support/sslboard"))
            .ok_or_else(|| BridgeError::Usage("HOME is not set; pass --data-dir".into()));
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Ok(std::path::PathBuf::from(x).join("sslboard"));
    }
    home.map(|h| h.join(".local/share/sslboard"))
        .ok_or_else(|| BridgeError::Usage("HOME is not set; pass --data-dir".into()))
}
