//! A test-only master key source kept in memory, with knobs for failure cases.
//!
//! Unit tests of the store need a source that can be shared between two
//! `SecretStore`s (restart), swapped for a wrong key, made to fail its probe,
//! and counted. The real stores are exercised by the integration tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use shared::protocol::secrets::KeySource;
use shared::secret::Key32;

use super::super::error::{VaultError, VaultResult};
use super::super::migration::LegacyEntries;
use super::MasterKeySource;

/// Shared state behind [`MemorySource`] clones.
#[derive(Default)]
pub struct MemoryState {
    /// The stored key.
    pub key: Mutex<Option<Key32>>,
    /// When set, `probe` fails with `Locked`.
    pub locked: Mutex<bool>,
    /// Number of `load` calls.
    pub loads: AtomicUsize,
    /// Number of `store` calls.
    pub stores: AtomicUsize,
}

/// An in-memory [`MasterKeySource`]; clones share state.
#[derive(Clone, Default)]
pub struct MemorySource {
    /// The shared state.
    pub state: Arc<MemoryState>,
    /// Legacy entries handed to the migration, if any.
    pub legacy: Option<Arc<dyn LegacyEntries + Send + Sync>>,
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    /// A source already holding `key`.
    pub fn with_key(key: [u8; 32]) -> Self {
        let s = Self::new();
        if let Ok(mut k) = s.state.key.lock() {
            *k = Some(Key32::from_bytes(key));
        }
        s
    }

    /// How many times the key was loaded.
    pub fn loads(&self) -> usize {
        self.state.loads.load(Ordering::SeqCst)
    }

    /// How many times a key was stored.
    pub fn stores(&self) -> usize {
        self.state.stores.load(Ordering::SeqCst)
    }

    /// Makes `probe` (and loads) fail as a locked keyring would.
    pub fn set_locked(&self, locked: bool) {
        if let Ok(mut l) = self.state.locked.lock() {
            *l = locked;
        }
    }

    fn is_locked(&self) -> bool {
        self.state.locked.lock().map(|l| *l).unwrap_or(true)
    }
}

fn poisoned() -> VaultError {
    VaultError::internal("memory source mutex poisoned")
}

struct SharedLegacy(Arc<dyn LegacyEntries + Send + Sync>);

impl LegacyEntries for SharedLegacy {
    fn get(&self, reference: &str) -> VaultResult<Option<shared::secret::SecretBytes>> {
        self.0.get(reference)
    }
    fn delete(&self, reference: &str) -> VaultResult<()> {
        self.0.delete(reference)
    }
}

impl MasterKeySource for MemorySource {
    fn source(&self) -> KeySource {
        KeySource::Memory
    }

    fn probe(&self) -> VaultResult<()> {
        if self.is_locked() {
            return Err(VaultError::Locked {
                reason: "the test keyring is locked".into(),
            });
        }
        Ok(())
    }

    fn load(&self) -> VaultResult<Option<Key32>> {
        self.probe()?;
        self.state.loads.fetch_add(1, Ordering::SeqCst);
        Ok(self.state.key.lock().map_err(|_| poisoned())?.clone())
    }

    fn store(&self, key: &Key32) -> VaultResult<()> {
        self.probe()?;
        self.state.stores.fetch_add(1, Ordering::SeqCst);
        *self.state.key.lock().map_err(|_| poisoned())? = Some(key.clone());
        Ok(())
    }

    fn delete(&self) -> VaultResult<()> {
        *self.state.key.lock().map_err(|_| poisoned())? = None;
        Ok(())
    }

    fn legacy_entries(&self) -> Option<Box<dyn LegacyEntries>> {
        self.legacy
            .clone()
            .map(|l| Box::new(SharedLegacy(l)) as Box<dyn LegacyEntries>)
    }
}
