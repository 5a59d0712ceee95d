//! Command-line interface (clap): stdio mode by default, `call` for one-shot
//! use, `web` for the settings pages in a local browser.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// SSLBoard core: the UI's entry point.
#[derive(Debug, Parser)]
#[command(name = "ui-bridge", version, about)]
pub struct Cli {
    /// Data directory (default: the platform data directory).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// What to do (default: serve JSON lines on stdio).
    #[command(subcommand)]
    pub mode: Option<Mode>,
}

/// Modes of operation.
#[derive(Debug, Subcommand)]
pub enum Mode {
    /// Serve the JSON-lines contract on stdin/stdout (the default).
    Stdio,
    /// Run one command and print its result as JSON; exit code 1 on error.
    Call {
        /// Command name, e.g. `vault_status`.
        cmd: String,
        /// `-` to read the arguments (a JSON object) from stdin; a JSON
        /// object here is accepted only for commands whose arguments cannot
        /// hold a secret value (argv is readable by every local user).
        args: Option<String>,
    },
    /// Serve the settings pages on 127.0.0.1 and print a one-time login URL.
    Web {
        /// Port to listen on (default: a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
}
