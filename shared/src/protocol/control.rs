//! Messages a parent writes into a child's stdin pipe.
//!
//! Capability keys travel only here: never argv, never environment, never disk.
//! The pipe also ties the child's life to its parent: EOF means "exit now".

use serde::{Deserialize, Serialize};

use crate::secret::Key32;

/// What a peer needs to authenticate a connection for one role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerGrant {
    /// The expected pid of the connecting process (checked with kernel peer credentials).
    pub pid: u32,
    /// The 32-byte capability key for the HMAC challenge–response.
    pub key: Key32,
}

/// Where and how to reach a server as a client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerAddress {
    /// Socket path.
    pub socket: String,
    /// Expected pid of the server (checked with kernel peer credentials).
    pub pid: u32,
    /// The capability key shared with that server for our role.
    pub key: Key32,
}

/// The first message on a child's stdin: everything it needs to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bootstrap {
    /// Data directory (0700).
    pub data_dir: String,
    /// Socket directory of this launch (0700); the child listens at `<dir>/<name>.sock`.
    /// `None` for the broker, which creates a fresh one itself.
    pub socket_dir: Option<String>,
    /// Keys the child's server accepts: the parent's role.
    pub parent: PeerGrant,
}

/// Messages after [`Bootstrap`] on the stdin pipe.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Control {
    /// vault-proc: the current dns-proc may connect with this grant (replaces any older one).
    AllowDnsPeer(PeerGrant),
    /// dns-proc: connect to vault-proc here.
    VaultAddress(ServerAddress),
    /// Shut down cleanly.
    Shutdown,
}

/// What a child writes on stdout once it listens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ready {
    /// The socket path it listens on.
    pub socket: String,
    /// Its pid.
    pub pid: u32,
}
