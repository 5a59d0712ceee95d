//! macOS master-key adapters: a biometric Keychain item, or a plain one.
//!
//! The spec asks for Touch ID / Face ID (or the device passcode) to guard the
//! master key where the Mac supports it: [`BiometricKeyringStore`] writes a
//! data-protection Keychain item with access control `BiometryAny | Or |
//! DevicePasscode` and protection `AccessibleWhenPasscodeSetThisDeviceOnly`, so
//! reading it makes macOS show the prompt itself. Where that item cannot be
//! created (no passcode, no biometric support, or a build without the keychain
//! entitlement) we fall back to [`MasterKeyStore`], a plain login-Keychain item
//! through keyring-core. The decision is `choose_macos_adapter` (tested on every
//! platform); this file is only compiled on macOS.
//!
//! Biometric availability is detected by writing and deleting a canary item
//! with the biometric access control (creating and deleting never prompts).
//! Without LocalAuthentication bindings this cannot tell "Touch ID hardware"
//! from "passcode only"; both are acceptable under `Or | DevicePasscode`.

use security_framework::access_control::{ProtectionMode, SecAccessControl};
use security_framework::base::Error as SecError;
use security_framework::passwords::{
    delete_generic_password_options, generic_password, set_generic_password_options,
    AccessControlOptions, PasswordOptions,
};
use shared::protocol::secrets::KeySource;
use shared::secret::Key32;
use zeroize::Zeroize;

use super::super::error::{VaultError, VaultResult};
use super::super::migration::LegacyEntries;
use super::keyring::{platform_store, KeyringLegacyEntries, KeyringSource};
use super::{choose_macos_adapter, MacosAdapter, MasterKeySource, MASTER_KEY_USER, PROBE_USER};

/// `errSecItemNotFound`.
const ERR_ITEM_NOT_FOUND: i32 = -25300;
/// `errSecUserCanceled`.
const ERR_USER_CANCELED: i32 = -128;
/// `errSecAuthFailed`.
const ERR_AUTH_FAILED: i32 = -25293;
/// `errSecInteractionNotAllowed`.
const ERR_INTERACTION_NOT_ALLOWED: i32 = -25308;

fn map_sec_error(err: SecError, action: &str) -> VaultError {
    match err.code() {
        ERR_USER_CANCELED | ERR_AUTH_FAILED | ERR_INTERACTION_NOT_ALLOWED => VaultError::Locked {
            reason: format!("could not {action}: authentication was denied or cancelled ({err})"),
        },
        _ => VaultError::KeyringUnavailable {
            reason: format!("could not {action}: {err}"),
        },
    }
}

/// The master key in a biometric-protected data-protection Keychain item.
pub struct BiometricKeyringStore {
    service: String,
}

impl BiometricKeyringStore {
    /// An adapter for items under `service`.
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    fn options(&self, user: &str) -> PasswordOptions {
        let mut o = PasswordOptions::new_generic_password(&self.service, user);
        o.use_protected_keychain();
        o
    }

    fn remove(&self, user: &str) -> VaultResult<()> {
        match delete_generic_password_options(self.options(user)) {
            Ok(()) => Ok(()),
            Err(e) if e.code() == ERR_ITEM_NOT_FOUND => Ok(()),
            Err(e) => Err(map_sec_error(e, "delete a Keychain item")),
        }
    }

    /// Replaces the item: an update cannot change access control, so delete + add.
    fn write(&self, user: &str, bytes: &[u8]) -> VaultResult<()> {
        self.remove(user)?;
        let flags = AccessControlOptions::BIOMETRY_ANY
            | AccessControlOptions::OR
            | AccessControlOptions::DEVICE_PASSCODE;
        let access = SecAccessControl::create_with_protection(
            Some(ProtectionMode::AccessibleWhenPasscodeSetThisDeviceOnly),
            flags.bits(),
        )
        .map_err(|e| map_sec_error(e, "create the biometric access control"))?;
        let mut o = self.options(user);
        o.set_access_control(access);
        o.set_label("SSLBoard master key");
        set_generic_password_options(bytes, o)
            .map_err(|e| map_sec_error(e, "write a biometric Keychain item"))
    }
}

impl MasterKeySource for BiometricKeyringStore {
    fn source(&self) -> KeySource {
        MacosAdapter::Biometric.source()
    }

    fn probe(&self) -> VaultResult<()> {
        self.write(PROBE_USER, b"sslboard probe: safe to delete")?;
        self.remove(PROBE_USER)
    }

    fn load(&self) -> VaultResult<Option<Key32>> {
        // Reading the item is what makes macOS show the Touch ID / passcode prompt.
        match generic_password(self.options(MASTER_KEY_USER)) {
            Ok(mut bytes) => {
                let key = <[u8; 32]>::try_from(bytes.as_slice()).map(Key32::from_bytes);
                bytes.zeroize();
                key.map(Some).map_err(|_| VaultError::KeyringUnavailable {
                    reason: "the Keychain master key item is not 32 bytes; refusing to use it"
                        .to_owned(),
                })
            }
            Err(e) if e.code() == ERR_ITEM_NOT_FOUND => Ok(None),
            Err(e) => Err(map_sec_error(e, "read the master key from the Keychain")),
        }
    }

    fn store(&self, key: &Key32) -> VaultResult<()> {
        // EXPOSE: the master key is handed to the Keychain.
        self.write(MASTER_KEY_USER, key.expose())
    }

    fn delete(&self) -> VaultResult<()> {
        self.remove(MASTER_KEY_USER)
    }

    fn legacy_entries(&self) -> Option<Box<dyn LegacyEntries>> {
        // The old per-secret entries live in the login Keychain via keyring-core.
        platform_store().ok().map(|s| {
            Box::new(KeyringLegacyEntries::new(s, &self.service)) as Box<dyn LegacyEntries>
        })
    }
}

/// The master key in a plain login-Keychain item (no biometric access control).
pub struct MasterKeyStore(KeyringSource);

impl MasterKeyStore {
    /// An adapter for the item under `service`.
    pub fn new(service: &str) -> VaultResult<Self> {
        Ok(Self(
            KeyringSource::platform(service)?.reported_as(MacosAdapter::Standard.source()),
        ))
    }
}

impl MasterKeySource for MasterKeyStore {
    fn source(&self) -> KeySource {
        self.0.source()
    }
    fn probe(&self) -> VaultResult<()> {
        self.0.probe()
    }
    fn load(&self) -> VaultResult<Option<Key32>> {
        self.0.load()
    }
    fn store(&self, key: &Key32) -> VaultResult<()> {
        self.0.store(key)
    }
    fn delete(&self) -> VaultResult<()> {
        self.0.delete()
    }
    fn legacy_entries(&self) -> Option<Box<dyn LegacyEntries>> {
        self.0.legacy_entries()
    }
}

/// True when a biometric-protected item can be created (see the module doc).
pub fn biometrics_available(service: &str) -> bool {
    match BiometricKeyringStore::new(service).probe() {
        Ok(()) => true,
        Err(e) => {
            tracing::info!("biometric Keychain item unavailable, using the plain Keychain: {e}");
            false
        }
    }
}

/// The macOS master key source: biometric when available, else the plain Keychain.
pub fn select_macos_source(service: &str) -> VaultResult<Box<dyn MasterKeySource>> {
    Ok(match choose_macos_adapter(biometrics_available(service)) {
        MacosAdapter::Biometric => Box::new(BiometricKeyringStore::new(service)),
        MacosAdapter::Standard => Box::new(MasterKeyStore::new(service)?),
    })
}
