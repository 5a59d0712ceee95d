//! Tests that secrets stay secret at rest and in logs: no plaintext in the
//! database file, redacted Debug, row-bound ciphertext, repaired permissions.

use super::tests::{by_name, new, open, tmp, R};
use super::*;
use crate::secrets::masterkey::memory::MemorySource;
use shared::protocol::secrets::SecretType;

#[test]
fn ciphertext_swapped_between_rows_does_not_open() -> R {
    let dir = tmp()?;
    let mut s = open(&dir, &MemorySource::new())?;
    s.create(new("a", SecretType::ApiKey, &[("value", "va")]))?;
    s.create(new("b", SecretType::ApiKey, &[("value", "vb")]))?;
    s.conn.execute(
        "UPDATE secret_metadata SET (nonce, ciphertext) =
           (SELECT nonce, ciphertext FROM secret_metadata WHERE name = 'a') WHERE name = 'b'",
        [],
    )?;
    assert!(matches!(
        s.reveal(&by_name("b")),
        Err(VaultError::Decrypt { .. })
    ));
    Ok(())
}

#[test]
fn plaintext_never_reaches_the_database_file() -> R {
    let dir = tmp()?;
    let mut s = open(&dir, &MemorySource::new())?;
    s.create(new(
        "a",
        SecretType::BasicAuth,
        &[
            ("username", "canary-user-7f3a"),
            ("password", "canary-pass-7f3a"),
        ],
    ))?;
    drop(s);
    let bytes = std::fs::read(crate::secrets::db::db_path(dir.path()))
        .map_err(|e| VaultError::internal(e.to_string()))?;
    let hay = String::from_utf8_lossy(&bytes);
    assert!(!hay.contains("canary-user-7f3a") && !hay.contains("canary-pass-7f3a"));
    Ok(())
}

#[test]
fn debug_output_is_redacted() -> R {
    let dir = tmp()?;
    let mut s = open(&dir, &MemorySource::new())?;
    s.create(new("a", SecretType::ApiKey, &[("value", "canary-dbg")]))?;
    let (_, d) = s.reveal(&by_name("a"))?;
    assert!(!format!("{s:?} {d:?}").contains("canary-dbg"));
    Ok(())
}

#[cfg(unix)]
#[test]
fn open_repairs_a_world_readable_database() -> R {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp()?;
    let src = MemorySource::new();
    drop(open(&dir, &src)?);
    let path = crate::secrets::db::db_path(dir.path());
    let io = |e: std::io::Error| VaultError::internal(e.to_string());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).map_err(io)?;
    drop(open(&dir, &src)?);
    let mode = std::fs::metadata(&path).map_err(io)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    Ok(())
}
