//! Key objects cached while the vault is unlocked.
//!
//! Building an RSA key object costs milliseconds and ACME signs every few
//! seconds during issuance, so a loaded key is kept, by secret reference,
//! until the vault locks (or the secret changes). Locking drops every entry,
//! which zeroizes each key's DER; aws-lc cleanses its own copy when freed.

use std::collections::HashMap;
use std::sync::Arc;

use super::VaultKey;

/// Loaded keys by secret reference.
#[derive(Default)]
pub struct KeyCache {
    keys: HashMap<String, Arc<VaultKey>>,
}

impl KeyCache {
    /// The cached key of `key_ref`.
    pub fn get(&self, key_ref: &str) -> Option<Arc<VaultKey>> {
        self.keys.get(key_ref).cloned()
    }

    /// Caches `key` under `key_ref`.
    pub fn put(&mut self, key_ref: &str, key: Arc<VaultKey>) {
        self.keys.insert(key_ref.to_string(), key);
    }

    /// Forgets one key (its secret was updated or deleted).
    pub fn forget(&mut self, key_ref: &str) {
        self.keys.remove(key_ref);
    }

    /// The cached keys (shared, not copied), for signatures made off the
    /// store thread; a fresh copy replaces it after every store request.
    pub fn shared(&self) -> HashMap<String, Arc<VaultKey>> {
        self.keys.clone()
    }

    /// Forgets every key (the vault locked).
    pub fn clear(&mut self) {
        self.keys.clear();
    }
}
