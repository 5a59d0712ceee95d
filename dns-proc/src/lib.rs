//! dns-proc: the DNS side of the SSLBoard core. It owns `dns.sqlite` (provider
//! metadata, never a secret value), resolves hostnames to providers by domain
//! suffix, and runs the provider adapters and DNS checks. Provider tokens come
//! from vault-proc per operation and only under a permit the broker granted.

pub mod acme;
pub mod adapters;
pub mod policy;
pub mod providers;
pub mod run;
pub mod scrub;
pub mod service;
pub mod testconn;
pub mod vault_link;
pub mod verify;
