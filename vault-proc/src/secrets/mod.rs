//! The secret store: typed secrets encrypted under one master key.
//!
//! Layout, one concept per module:
//! * [`error`]: the single error type and its mapping to stable wire codes;
//! * [`crypto`]: AES-256-GCM sealing bound to the row, key fingerprints;
//! * [`plaintext`]: the stable byte format of decrypted secret data;
//! * [`masterkey`]: where the master key lives (OS keyring, env, macOS Keychain);
//! * [`locked_key`]: the in-memory, mlocked, zeroizing copy of the master key;
//! * [`db`] and [`rows`]: `secrets.sqlite` (file mode, schema, row access);
//! * [`types`]: validation of names, metadata and per-type data;
//! * [`store`]: [`store::SecretStore`], the API the rest of vault-proc uses;
//! * [`migration`]: the one-time move from per-secret keyring entries;
//! * [`template`]: `{{secrets.<name>.<field>}}` references (validated, never
//!   resolved: no caller may have a template filled with values yet).

pub mod crypto;
pub mod db;
pub mod error;
pub mod locked_key;
pub mod masterkey;
pub mod migration;
pub mod plaintext;
pub mod rows;
pub mod store;
pub mod template;
pub mod types;

pub use error::VaultError;
pub use store::SecretStore;
