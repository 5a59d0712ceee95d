//! External secret providers (HashiCorp Vault / OpenBao KV v2): the stored
//! configuration, the HTTP client, and resolution with fallback to the local
//! copy. The provider's token is itself a local secret, owned by the
//! configuration so the UI can neither read nor delete it directly.

pub mod client;
pub mod config;
pub mod fetch;
