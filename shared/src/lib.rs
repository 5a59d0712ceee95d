//! Everything the SSLBoard core processes share: ids, secret containers, the
//! protocol of every hop, the codec and framing, the authenticated handshake,
//! the local-socket transport, request/response plumbing, process hardening and
//! logging. Defined once here so that each boundary has exactly one definition.

pub mod child;
pub mod clock;
pub mod codec;
pub mod error;
pub mod export_dir;
pub mod failpoint;
pub mod frame;
pub mod handshake;
pub mod ids;
pub mod lifecycle;
pub mod logging;
pub mod protocol;
pub mod rpc;
pub mod secret;
#[cfg(unix)]
pub mod spin;
pub mod supervise;
pub mod transport;
pub mod zalloc;

#[cfg(unix)]
pub mod hardening;
