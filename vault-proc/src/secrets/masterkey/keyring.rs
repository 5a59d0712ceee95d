//! The master key in the OS credential store, through `keyring-core`.
//!
//! Linux uses the Secret Service (zbus store), Windows the Credential Manager,
//! macOS (for the `MasterKeyStore` fallback) the login Keychain. We hold the
//! store object ourselves and build entries from it, so tests can run the same
//! code against `keyring_core::mock`; the platform store is also installed as
//! keyring-core's default store for other users of `Entry::new`.
//!
//! The same module reaches the per-secret entries of the old storage format
//! (service = our service, user = the `sec_` id) for the migration.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use shared::protocol::secrets::KeySource;
use shared::secret::{Key32, SecretBytes};
use zeroize::Zeroize;

use super::super::error::{VaultError, VaultResult};
use super::super::migration::LegacyEntries;
use super::{MasterKeySource, MASTER_KEY_USER, PROBE_USER};

/// Opens the platform's credential store. No fallback: an error here is final.
pub fn platform_store() -> VaultResult<Arc<CredentialStore>> {
    #[cfg(target_os = "linux")]
    let store = zbus_secret_service_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| map_keyring_error(e, "open the Secret Service"));
    #[cfg(target_os = "macos")]
    let store = apple_native_keyring_store::keychain::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| map_keyring_error(e, "open the macOS Keychain"));
    #[cfg(target_os = "windows")]
    let store = windows_native_keyring_store::Store::new()
        .map(|s| s as Arc<CredentialStore>)
        .map_err(|e| map_keyring_error(e, "open the Windows Credential Manager"));
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    let store: VaultResult<Arc<CredentialStore>> = Err(VaultError::KeyringUnavailable {
        reason: "this platform has no supported credential store".to_owned(),
    });
    store
}

/// Maps a keyring error to a [`VaultError`] without ever echoing secret bytes.
///
/// `action` says what we were doing ("read the master key", …).
pub fn map_keyring_error(err: KeyringError, action: &str) -> VaultError {
    match err {
        KeyringError::NoStorageAccess(e) => VaultError::Locked {
            reason: format!("could not {action}: the credential store refused access ({e})"),
        },
        KeyringError::PlatformFailure(e) => VaultError::KeyringUnavailable {
            reason: format!("could not {action}: {e}"),
        },
        KeyringError::NoEntry => VaultError::KeyringUnavailable {
            reason: format!("could not {action}: no such entry"),
        },
        // These two carry the raw stored bytes: never format them.
        KeyringError::BadEncoding(mut bytes) | KeyringError::BadDataFormat(mut bytes, _) => {
            bytes.zeroize();
            VaultError::KeyringUnavailable {
                reason: format!("could not {action}: the stored entry is malformed"),
            }
        }
        other => VaultError::KeyringUnavailable {
            reason: format!("could not {action}: {other}"),
        },
    }
}

/// A master key kept in a `keyring-core` credential store.
pub struct KeyringSource {
    store: Arc<CredentialStore>,
    service: String,
    user: String,
    source: KeySource,
}

impl KeyringSource {
    /// The platform credential store under `service`, user `master-key`.
    ///
    /// Also installs the store as keyring-core's default store.
    pub fn platform(service: &str) -> VaultResult<Self> {
        let store = platform_store()?;
        keyring_core::set_default_store(store.clone());
        Ok(Self::with_store(store, service, MASTER_KEY_USER))
    }

    /// A source over any credential store (tests use `keyring_core::mock`).
    pub fn with_store(store: Arc<CredentialStore>, service: &str, user: &str) -> Self {
        Self {
            store,
            service: service.to_owned(),
            user: user.to_owned(),
            source: KeySource::Keyring,
        }
    }

    /// Reports the source as `source` in `vault_status` (e.g. `macos-keychain`).
    pub fn reported_as(mut self, source: KeySource) -> Self {
        self.source = source;
        self
    }

    /// The keyring service name in use.
    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, user: &str) -> VaultResult<Entry> {
        self.store
            .build(&self.service, user, None)
            .map_err(|e| map_keyring_error(e, "address the credential store entry"))
    }
}

impl MasterKeySource for KeyringSource {
    fn source(&self) -> KeySource {
        self.source
    }

    fn probe(&self) -> VaultResult<()> {
        let entry = self.entry(PROBE_USER)?;
        entry
            .set_secret(b"sslboard probe: safe to delete")
            .map_err(|e| map_keyring_error(e, "write a test entry"))?;
        match entry.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e, "delete the test entry")),
        }
    }

    fn load(&self) -> VaultResult<Option<Key32>> {
        match self.entry(&self.user)?.get_secret() {
            Ok(mut bytes) => {
                let key = <[u8; 32]>::try_from(bytes.as_slice()).map(Key32::from_bytes);
                let len = bytes.len();
                bytes.zeroize();
                match key {
                    Ok(k) => Ok(Some(k)),
                    Err(_) => Err(VaultError::KeyringUnavailable {
                        reason: format!(
                            "the master key entry holds {len} bytes instead of 32; refusing to \
                             use or replace it"
                        ),
                    }),
                }
            }
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e, "read the master key")),
        }
    }

    fn store(&self, key: &Key32) -> VaultResult<()> {
        // EXPOSE: the master key is handed to the OS credential store.
        self.entry(&self.user)?
            .set_secret(key.expose())
            .map_err(|e| map_keyring_error(e, "store the master key"))
    }

    fn delete(&self) -> VaultResult<()> {
        match self.entry(&self.user)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e, "delete the master key")),
        }
    }

    fn legacy_entries(&self) -> Option<Box<dyn LegacyEntries>> {
        Some(Box::new(KeyringLegacyEntries::new(
            self.store.clone(),
            &self.service,
        )))
    }
}

/// Per-secret entries of the old format: service = ours, user = the `sec_` id.
pub struct KeyringLegacyEntries {
    store: Arc<CredentialStore>,
    service: String,
}

impl KeyringLegacyEntries {
    /// Legacy entries in `store` under `service`.
    pub fn new(store: Arc<CredentialStore>, service: &str) -> Self {
        Self {
            store,
            service: service.to_owned(),
        }
    }

    fn entry(&self, reference: &str) -> VaultResult<Entry> {
        self.store
            .build(&self.service, reference, None)
            .map_err(|e| map_keyring_error(e, "address a legacy secret entry"))
    }
}

impl LegacyEntries for KeyringLegacyEntries {
    fn get(&self, reference: &str) -> VaultResult<Option<SecretBytes>> {
        match self.entry(reference)?.get_secret() {
            Ok(bytes) => Ok(Some(SecretBytes::new(bytes))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e, "read a legacy secret entry")),
        }
    }

    fn delete(&self, reference: &str) -> VaultResult<()> {
        match self.entry(reference)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e, "delete a legacy secret entry")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyring_core::mock;

    fn mock_store() -> VaultResult<Arc<CredentialStore>> {
        mock::Store::new()
            .map(|s| s as Arc<CredentialStore>)
            .map_err(|e| map_keyring_error(e, "open the mock store"))
    }

    #[test]
    fn load_store_delete_round_trip() -> VaultResult<()> {
        let src = KeyringSource::with_store(mock_store()?, "sslboard-test", MASTER_KEY_USER);
        assert_eq!(src.source(), KeySource::Keyring);
        src.probe()?;
        assert!(src.load()?.is_none());
        src.store(&Key32::from_bytes([7; 32]))?;
        assert_eq!(src.load()?.map(|k| *k.expose()), Some([7; 32]));
        src.delete()?;
        assert!(src.load()?.is_none());
        src.delete()?;
        Ok(())
    }

    #[test]
    fn malformed_key_entry_is_refused() -> VaultResult<()> {
        let store = mock_store()?;
        let src = KeyringSource::with_store(store.clone(), "s", MASTER_KEY_USER);
        let entry = store
            .build("s", MASTER_KEY_USER, None)
            .map_err(|e| map_keyring_error(e, "build"))?;
        entry
            .set_secret(b"short")
            .map_err(|e| map_keyring_error(e, "set"))?;
        let err = src.load();
        assert!(matches!(err, Err(VaultError::KeyringUnavailable { .. })));
        Ok(())
    }

    #[test]
    fn locked_store_fails_the_probe_with_locked() -> VaultResult<()> {
        let store = mock_store()?;
        let src = KeyringSource::with_store(store.clone(), "s", MASTER_KEY_USER);
        let entry = store
            .build("s", PROBE_USER, None)
            .map_err(|e| map_keyring_error(e, "build"))?;
        let cred: Option<&mock::Cred> = entry.as_any().downcast_ref();
        let cred = cred.ok_or_else(|| VaultError::internal("not a mock credential"))?;
        cred.set_error(KeyringError::NoStorageAccess("collection is locked".into()));
        let err = src.probe();
        assert!(matches!(err, Err(VaultError::Locked { .. })), "{err:?}");
        Ok(())
    }

    #[test]
    fn errors_never_echo_stored_bytes() {
        let e = map_keyring_error(KeyringError::BadEncoding(b"canary-secret".to_vec()), "read");
        assert!(!e.to_string().contains("canary"));
        let e = map_keyring_error(
            KeyringError::PlatformFailure("no session bus".into()),
            "open the Secret Service",
        );
        assert!(matches!(e, VaultError::KeyringUnavailable { .. }));
        assert!(e.to_string().contains("SSLBOARD_KEY_SOURCE=env"));
    }

    #[test]
    fn legacy_entries_get_and_delete() -> VaultResult<()> {
        let store = mock_store()?;
        let legacy = KeyringLegacyEntries::new(store.clone(), "s");
        assert!(legacy.get("sec_x")?.is_none());
        store
            .build("s", "sec_x", None)
            .and_then(|e| e.set_secret(b"v"))
            .map_err(|e| map_keyring_error(e, "set"))?;
        assert_eq!(
            legacy.get("sec_x")?.map(|b| b.expose().to_vec()),
            Some(b"v".to_vec())
        );
        legacy.delete("sec_x")?;
        legacy.delete("sec_x")?;
        assert!(legacy.get("sec_x")?.is_none());
        Ok(())
    }

    /// Against the real Secret Service that `scripts/test` starts (nextest
    /// runs each test in its own process, so the variable stays local).
    #[test]
    fn real_platform_store_round_trip() -> VaultResult<()> {
        let bus = std::env::var("SSLBOARD_TEST_DBUS_ADDRESS")
            .expect("SSLBOARD_TEST_DBUS_ADDRESS is not set: run the tests through scripts/test");
        std::env::set_var("DBUS_SESSION_BUS_ADDRESS", bus);
        let service = format!("sslboard-unit-{}", shared::ids::random_hex::<4>()?);
        let src = KeyringSource::platform(&service)?;
        src.probe()?;
        assert!(src.load()?.is_none());
        src.store(&Key32::from_bytes([3; 32]))?;
        assert_eq!(src.load()?.map(|k| *k.expose()), Some([3; 32]));
        src.delete()?;
        assert!(src.load()?.is_none());
        Ok(())
    }

    /// Without any session bus the platform store must fail fast and clearly.
    #[test]
    fn real_platform_store_without_bus_fails_fast() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::env::set_var(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/no-bus", dir.path().display()),
        );
        let started = std::time::Instant::now();
        let result = KeyringSource::platform("sslboard-unit-nobus").and_then(|s| s.probe());
        match result {
            Err(e @ (VaultError::KeyringUnavailable { .. } | VaultError::Locked { .. })) => {
                assert!(e.to_string().contains("SSLBOARD_KEY_SOURCE=env"));
            }
            other => panic!("expected a keyring error, got {other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
