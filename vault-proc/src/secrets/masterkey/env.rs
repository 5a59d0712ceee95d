//! The master key from `SSLBOARD_MASTER_KEY`, for headless servers and CI.
//!
//! Used only when `SSLBOARD_KEY_SOURCE=env` selects it: there is no desktop
//! credential store on such machines, and the operator provides the key. The
//! variable holds standard base64 of exactly 32 bytes. This source cannot
//! store a key (it never invents one): a missing or malformed variable is an
//! error that says how to make one.

use base64::Engine as _;
use shared::protocol::secrets::KeySource;
use shared::secret::Key32;
use zeroize::{Zeroize, Zeroizing};

use super::super::error::{VaultError, VaultResult};
use super::{MasterKeySource, ENV_MASTER_KEY};

/// Reads the raw variable; boxed so tests need not touch the process environment.
type Lookup = Box<dyn Fn() -> Option<Zeroizing<String>> + Send>;

/// A master key supplied through the environment.
pub struct EnvSource {
    lookup: Lookup,
}

impl EnvSource {
    /// Reads `SSLBOARD_MASTER_KEY` from the process environment on every load.
    pub fn from_process_env() -> Self {
        Self::from_lookup(Box::new(|| {
            std::env::var(ENV_MASTER_KEY).ok().map(Zeroizing::new)
        }))
    }

    /// Reads the key text through `lookup` (tests).
    pub fn from_lookup(lookup: Box<dyn Fn() -> Option<Zeroizing<String>> + Send>) -> Self {
        Self { lookup }
    }
}

/// Decodes standard base64 of exactly 32 bytes into a key. Surrounding
/// whitespace is ignored; the error never repeats the input.
pub fn parse_master_key(text: &str) -> VaultResult<Key32> {
    let mut buf = [0u8; 48];
    let decoded = base64::engine::general_purpose::STANDARD.decode_slice(text.trim(), &mut buf);
    let result = match decoded {
        Ok(32) => {
            let mut k = [0u8; 32];
            k.copy_from_slice(&buf[..32]);
            let key = Key32::from_bytes(k);
            k.zeroize();
            Ok(key)
        }
        Ok(n) => Err(format!("it decodes to {n} bytes, not 32")),
        Err(_) => Err("it is not valid standard base64 of 32 bytes".to_owned()),
    };
    buf.zeroize();
    result.map_err(|why| VaultError::KeyringUnavailable {
        reason: format!(
            "{ENV_MASTER_KEY} is malformed: {why} (make one with `head -c 32 /dev/urandom | base64`)"
        ),
    })
}

impl MasterKeySource for EnvSource {
    fn source(&self) -> KeySource {
        KeySource::Env
    }

    fn probe(&self) -> VaultResult<()> {
        self.load().map(drop)
    }

    fn load(&self) -> VaultResult<Option<Key32>> {
        match (self.lookup)() {
            Some(text) => parse_master_key(&text).map(Some),
            None => Err(VaultError::KeyringUnavailable {
                reason: format!(
                    "SSLBOARD_KEY_SOURCE=env but {ENV_MASTER_KEY} is not set (make one with \
                     `head -c 32 /dev/urandom | base64`)"
                ),
            }),
        }
    }

    fn store(&self, _key: &Key32) -> VaultResult<()> {
        Err(VaultError::KeyringUnavailable {
            reason: format!(
                "the env key source cannot store a master key; set {ENV_MASTER_KEY} to base64 \
                 of 32 random bytes"
            ),
        })
    }

    fn delete(&self) -> VaultResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_B64: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

    fn source(value: Option<&'static str>) -> EnvSource {
        EnvSource::from_lookup(Box::new(move || {
            value.map(|v| Zeroizing::new(v.to_owned()))
        }))
    }

    #[test]
    fn parses_exactly_32_bytes() -> VaultResult<()> {
        assert_eq!(parse_master_key(KEY_B64)?.expose(), &[1u8; 32]);
        assert_eq!(
            parse_master_key(&format!(" {KEY_B64}\n"))?.expose(),
            &[1u8; 32]
        );
        Ok(())
    }

    #[test]
    fn rejects_wrong_lengths_and_garbage_without_echo() {
        for bad in [
            "",
            "AQID",
            "not base64 at all!!",
            &"QUFB".repeat(12),
            &"QUFB".repeat(20),
        ] {
            let err = parse_master_key(bad);
            match err {
                Err(VaultError::KeyringUnavailable { reason }) => {
                    assert!(reason.contains(ENV_MASTER_KEY));
                    if bad.len() > 4 {
                        assert!(!reason.contains(bad), "{reason}");
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn source_loads_probes_and_refuses_to_store() -> VaultResult<()> {
        let src = source(Some(KEY_B64));
        assert_eq!(src.source(), KeySource::Env);
        src.probe()?;
        assert_eq!(src.load()?.map(|k| *k.expose()), Some([1u8; 32]));
        assert!(src.store(&Key32::from_bytes([2; 32])).is_err());
        src.delete()?;
        Ok(())
    }

    #[test]
    fn missing_variable_is_a_clear_error() {
        let src = source(None);
        let err = src.load();
        assert!(
            matches!(err, Err(VaultError::KeyringUnavailable { ref reason }) if reason.contains("not set"))
        );
        assert!(src.probe().is_err());
    }
}
