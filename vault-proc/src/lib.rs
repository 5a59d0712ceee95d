//! vault-proc: the only process of the SSLBoard core that holds the master key.
//!
//! It owns `secrets.sqlite`, encrypts and decrypts typed secrets, resolves
//! `{{secrets.<name>.<field>}}` templates for dns-proc, and answers the broker
//! with metadata only. The storage internals live in [`secrets`].

pub mod external;
pub mod permits;
pub mod policy;
pub mod run;
pub mod secrets;
pub mod service;
pub mod templates;
