//! Tests of the key policy through the store: first-use generation, lock and
//! unlock, restart, and refusal of a wrong or missing key over existing data.

use super::tests::{by_name, data, new, open, raw_rows, tmp, value, R};
use super::*;
use crate::secrets::masterkey::memory::MemorySource;
use shared::protocol::secrets::SecretType;

#[test]
fn secrets_survive_restart_and_key_is_made_once() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    {
        let mut s = open(&dir, &src)?;
        s.create(new("a", SecretType::ApiKey, &[("value", "va")]))?;
        s.create(new(
            "b",
            SecretType::BasicAuth,
            &[("username", "u"), ("password", "p")],
        ))?;
    }
    let mut s = open(&dir, &src)?;
    assert!(!s.is_unlocked());
    let (_, d) = s.reveal(&by_name("b"))?;
    assert_eq!(value(&d, "password").as_deref(), Some("p"));
    assert_eq!(src.stores(), 1);
    Ok(())
}

#[test]
fn status_never_unlocks_and_lock_forces_a_reload() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    let mut s = open(&dir, &src)?;
    s.create(new("a", SecretType::ApiKey, &[("value", "v")]))?;
    s.lock();
    assert!(!s.is_unlocked());
    let loads = src.loads();
    assert!(!s.status().unlocked);
    assert!(s.list(&SecretFilter::default())?.len() == 1);
    assert!(s.get_meta(&by_name("a")).is_ok());
    assert_eq!(
        src.loads(),
        loads,
        "metadata operations never touch the key"
    );
    let (_, d) = s.reveal(&by_name("a"))?;
    assert_eq!(value(&d, "value").as_deref(), Some("v"));
    assert!(s.is_unlocked());
    assert_eq!(src.loads(), loads + 1, "auto-unlock on demand");
    s.reveal(&by_name("a"))?;
    assert_eq!(src.loads(), loads + 1, "cached key reused");
    s.lock();
    s.unlock()?;
    assert!(s.is_unlocked());
    Ok(())
}

#[test]
fn wrong_key_is_refused_and_rows_stay_untouched() -> R {
    let dir = tmp()?;
    let good = MemorySource::new();
    {
        let mut s = open(&dir, &good)?;
        s.create(new("a", SecretType::ApiKey, &[("value", "v")]))?;
    }
    let wrong = MemorySource::with_key([0x42; 32]);
    let mut s = open(&dir, &wrong)?;
    let before = raw_rows(&s)?;
    let fp_before = crate::secrets::db::key_fingerprint(&s.conn)?;
    assert!(matches!(
        s.reveal(&by_name("a")),
        Err(VaultError::KeyMismatch { .. })
    ));
    assert!(matches!(
        s.create(new("b", SecretType::ApiKey, &[("value", "w")])),
        Err(VaultError::KeyMismatch { .. })
    ));
    let upd = SecretUpdate {
        data: Some(data(&[("value", "x")])),
        ..Default::default()
    };
    assert!(matches!(
        s.update(&by_name("a"), upd),
        Err(VaultError::KeyMismatch { .. })
    ));
    assert!(matches!(s.unlock(), Err(VaultError::KeyMismatch { .. })));
    assert!(!s.is_unlocked());
    assert_eq!(raw_rows(&s)?, before);
    assert_eq!(crate::secrets::db::key_fingerprint(&s.conn)?, fp_before);
    assert_eq!(wrong.stores(), 0, "never a new key over existing data");
    // The right key still works.
    let mut s = open(&dir, &good)?;
    assert_eq!(
        value(&s.reveal(&by_name("a"))?.1, "value").as_deref(),
        Some("v")
    );
    Ok(())
}

#[test]
fn missing_key_over_existing_data_is_refused() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    {
        let mut s = open(&dir, &src)?;
        s.create(new("a", SecretType::ApiKey, &[("value", "v")]))?;
    }
    src.delete()?; // the keyring "forgot" the key (or a different, empty keyring)
    let mut s = open(&dir, &src)?;
    let e = s.reveal(&by_name("a"));
    assert!(matches!(e, Err(VaultError::KeyMissing { .. })), "{e:?}");
    let e = s.create(new("b", SecretType::ApiKey, &[("value", "v")]));
    assert!(matches!(e, Err(VaultError::KeyMissing { .. })));
    assert_eq!(src.stores(), 1, "only the first-use key was ever stored");
    Ok(())
}

#[test]
fn key_without_recorded_fingerprint_must_open_existing_data() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    {
        let mut s = open(&dir, &src)?;
        s.create(new("a", SecretType::ApiKey, &[("value", "v")]))?;
        s.conn
            .execute("DELETE FROM vault_meta WHERE key = 'key_fingerprint'", [])?;
    }
    let mut wrong = open(&dir, &MemorySource::with_key([1; 32]))?;
    assert!(matches!(
        wrong.unlock(),
        Err(VaultError::KeyMismatch { .. })
    ));
    assert_eq!(crate::secrets::db::key_fingerprint(&wrong.conn)?, None);
    drop(wrong);
    let mut s = open(&dir, &src)?;
    s.unlock()?;
    assert!(
        crate::secrets::db::key_fingerprint(&s.conn)?.is_some(),
        "fingerprint recorded"
    );
    Ok(())
}

#[test]
fn locked_keyring_fails_fast_at_open() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    src.set_locked(true);
    let e = open(&dir, &src);
    assert!(matches!(e, Err(VaultError::Locked { .. })));
    Ok(())
}
