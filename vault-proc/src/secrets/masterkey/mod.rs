//! Where the master key lives, and how we pick the place at start.
//!
//! The master key never touches the data dir. It lives in the OS credential
//! store ([`keyring::KeyringSource`]: Secret Service on Linux, Credential
//! Manager on Windows), in the macOS Keychain (biometric item with a plain
//! Keychain fallback, `macos` module), or — only when explicitly selected with
//! `SSLBOARD_KEY_SOURCE=env` — in `SSLBOARD_MASTER_KEY` ([`env::EnvSource`]).
//! There is never a silent fallback to a key file or to a RAM-only keyring:
//! when no source works we fail fast with an error that says what to do.

pub mod env;
pub mod keyring;
#[cfg(target_os = "macos")]
pub mod macos;
#[cfg(test)]
pub mod memory;

use shared::protocol::secrets::KeySource;
use shared::secret::Key32;

use super::error::{VaultError, VaultResult};
use super::migration::LegacyEntries;

/// Environment variable selecting the key source: `keyring` (default) or `env`.
pub const ENV_KEY_SOURCE: &str = "SSLBOARD_KEY_SOURCE";
/// Environment variable holding the base64 master key when the source is `env`.
pub const ENV_MASTER_KEY: &str = "SSLBOARD_MASTER_KEY";
/// Environment variable overriding the keyring service name (tests, parallel installs).
pub const ENV_KEYRING_SERVICE: &str = "SSLBOARD_KEYRING_SERVICE";
/// Default keyring service name.
pub const DEFAULT_SERVICE: &str = "sslboard";
/// Keyring user (account) of the master key entry.
pub const MASTER_KEY_USER: &str = "master-key";
/// Keyring user of the canary entry written and deleted by `probe()`.
pub const PROBE_USER: &str = "probe-canary";

/// A place the master key can be loaded from and stored to.
///
/// Implementations block (D-Bus round trips, OS prompts); call them from a
/// context that may block.
pub trait MasterKeySource: Send {
    /// Which source this is, as `vault_status` reports it.
    fn source(&self) -> KeySource;

    /// Proves the store is usable *for writing*: writes and deletes a canary
    /// entry. A Secret Service that opens but is locked fails here, at start,
    /// instead of later looking like "no key yet".
    fn probe(&self) -> VaultResult<()>;

    /// Loads the master key; `Ok(None)` only when the store works and holds no key.
    fn load(&self) -> VaultResult<Option<Key32>>;

    /// Stores (creates or replaces) the master key.
    fn store(&self, key: &Key32) -> VaultResult<()>;

    /// Deletes the master key entry; absent is not an error. For tests and resets.
    fn delete(&self) -> VaultResult<()>;

    /// Access to the per-secret entries of the old storage format, when this
    /// source lives in the same credential store they did.
    fn legacy_entries(&self) -> Option<Box<dyn LegacyEntries>> {
        None
    }
}

/// Which kind of source the environment asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceChoice {
    /// The platform credential store (default).
    Keyring,
    /// `SSLBOARD_MASTER_KEY`, for headless servers and CI.
    Env,
}

/// Parses the value of `SSLBOARD_KEY_SOURCE` (unset or empty means `keyring`).
pub fn parse_key_source(value: Option<&str>) -> VaultResult<SourceChoice> {
    match value.map(str::trim) {
        None | Some("") | Some("keyring") => Ok(SourceChoice::Keyring),
        Some("env") => Ok(SourceChoice::Env),
        Some(other) => Err(VaultError::validation(
            ENV_KEY_SOURCE,
            format!("unknown key source \"{other}\"; use \"keyring\" (default) or \"env\""),
        )),
    }
}

/// The keyring service name: `SSLBOARD_KEYRING_SERVICE` or `sslboard`.
pub fn keyring_service() -> String {
    service_from(std::env::var(ENV_KEYRING_SERVICE).ok().as_deref())
}

fn service_from(value: Option<&str>) -> String {
    match value.map(str::trim) {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => DEFAULT_SERVICE.to_owned(),
    }
}

/// The two macOS adapters of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacosAdapter {
    /// `BiometricKeyringStore`: Touch ID / Face ID or device passcode.
    Biometric,
    /// `MasterKeyStore`: a plain Keychain item.
    Standard,
}

impl MacosAdapter {
    /// The key source reported in `vault_status`.
    pub fn source(self) -> KeySource {
        match self {
            MacosAdapter::Biometric => KeySource::MacosBiometric,
            MacosAdapter::Standard => KeySource::MacosKeychain,
        }
    }
}

/// Picks the macOS adapter: biometric when available, else the plain Keychain.
///
/// Platform-neutral so the decision is tested everywhere; the macOS module
/// supplies `biometrics_available`.
pub fn choose_macos_adapter(biometrics_available: bool) -> MacosAdapter {
    if biometrics_available {
        MacosAdapter::Biometric
    } else {
        MacosAdapter::Standard
    }
}

/// Builds the master key source the environment asks for.
///
/// `SSLBOARD_KEY_SOURCE=env` → [`env::EnvSource`]; otherwise the platform
/// credential store. Fails fast (no fallback) when that store cannot be
/// opened; call [`MasterKeySource::probe`] (done by `SecretStore::open`) to
/// find a locked one.
pub fn select_source() -> VaultResult<Box<dyn MasterKeySource>> {
    match parse_key_source(std::env::var(ENV_KEY_SOURCE).ok().as_deref())? {
        SourceChoice::Env => Ok(Box::new(env::EnvSource::from_process_env())),
        SourceChoice::Keyring => platform_source(&keyring_service()),
    }
}

#[cfg(target_os = "macos")]
fn platform_source(service: &str) -> VaultResult<Box<dyn MasterKeySource>> {
    macos::select_macos_source(service)
}

#[cfg(not(target_os = "macos"))]
fn platform_source(service: &str) -> VaultResult<Box<dyn MasterKeySource>> {
    Ok(Box::new(keyring::KeyringSource::platform(service)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_source_parsing() {
        assert_eq!(parse_key_source(None).ok(), Some(SourceChoice::Keyring));
        assert_eq!(parse_key_source(Some("")).ok(), Some(SourceChoice::Keyring));
        assert_eq!(
            parse_key_source(Some("keyring")).ok(),
            Some(SourceChoice::Keyring)
        );
        assert_eq!(
            parse_key_source(Some(" env ")).ok(),
            Some(SourceChoice::Env)
        );
        let err = parse_key_source(Some("file"));
        assert!(
            matches!(err, Err(VaultError::Validation { ref field, .. }) if field == ENV_KEY_SOURCE)
        );
    }

    #[test]
    fn service_override() {
        assert_eq!(service_from(None), "sslboard");
        assert_eq!(service_from(Some("  ")), "sslboard");
        assert_eq!(service_from(Some("sslboard-test-1")), "sslboard-test-1");
    }

    #[test]
    fn macos_adapter_choice_falls_back_without_biometrics() {
        assert_eq!(choose_macos_adapter(true), MacosAdapter::Biometric);
        assert_eq!(choose_macos_adapter(false), MacosAdapter::Standard);
        assert_eq!(MacosAdapter::Biometric.source().as_str(), "macos-biometric");
        assert_eq!(MacosAdapter::Standard.source().as_str(), "macos-keychain");
    }
}
