//! The DNS provider model: validated entities with their domain suffixes,
//! typed per-provider configuration, persistence in `dns.sqlite`, and
//! resolution of a hostname to the provider that serves it.

pub mod config;
pub mod error;
pub mod index;
pub mod registry;
pub mod store;
pub mod suffix;

pub use error::DnsError;
