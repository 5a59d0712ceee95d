//! vault-proc: the only process of the SSLBoard core that holds the master key.
//!
//! It owns `secrets.sqlite`, encrypts and decrypts typed secrets, reveals a
//! provider token to dns-proc under a permit, signs with the keys it keeps,
//! and answers the broker
//! with metadata only. The storage internals live in [`secrets`]; private
//! keys that are used but never leave live in [`keys`].

pub mod external;
pub mod keys;
pub mod permits;
pub mod policy;
pub mod run;
pub mod secrets;
pub mod service;
pub mod templates;
