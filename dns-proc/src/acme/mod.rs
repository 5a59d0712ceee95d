//! The ACME (RFC 8555) DNS-01 client and the issuance flow.
//!
//! dns-proc talks to the CA and to DNS; it never holds a private key. Every
//! JWS, EAB binding and CSR comes from an [`signer::AcmeSigner`] — in the
//! product vault-proc, under the broker's ACME permit
//! ([`vault_signer::VaultSigner`]). State (accounts, orders, the journal of
//! presented TXT records, certificate chains; all public) is kept in
//! `acme.sqlite` ([`store`]).
//!
//! * [`wire`] RFC 8555 objects and their parsers, [`cert`] the chain's PEM
//!   and leaf fields: the fuzzed surface.
//! * [`http`] the CA connection: origin-bound client, nonce pool, badNonce
//!   and `Retry-After` handling.
//! * [`client`] account, order, authorization, challenge, finalize, download.
//! * [`dns01`] the TXT value, `_acme-challenge` names, CNAME following.
//! * [`issue`] one issuance end to end and the journal-based cleanup.

pub mod cert;
pub mod client;
pub mod dns01;
pub mod error;
pub mod http;
pub mod issue;
pub mod service;
pub mod signer;
pub mod store;
pub mod vault_signer;
pub mod wire;

pub use error::{AcmeError, AcmeResult};
