//! The DNS provider model: validated providers with their domain suffixes,
//! typed per-provider configuration, persistence in `dns.sqlite`, and
//! resolution of a hostname to the provider that serves it.
//!
//! Layers, bottom up: [`suffix`] (canonical names), [`endpoint`] and
//! [`config`] (typed configuration), [`clock`] (ordered timestamps),
//! [`validate`] (type, label, token presence), [`store`] (SQLite),
//! [`resolve`] (the suffix index, a table of `dns.sqlite` that the store
//! writes in the same transaction as every provider change), and
//! [`registry`], which puts them behind the operations the broker calls. No secret value ever enters this module: a provider
//! names its token by `secret_ref` only.

pub mod clock;
pub mod config;
pub mod endpoint;
pub mod error;
pub mod registry;
pub mod resolve;
pub mod store;
pub mod suffix;
pub mod validate;

pub use error::DnsError;
pub use registry::ProviderRegistry;
