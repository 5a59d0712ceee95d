//! When a master key may be used, and when one may be made.
//!
//! A credential store can be locked, empty or replaced, and a read of a
//! missing item looks exactly like "no key yet". Generating a key then would
//! orphan every existing ciphertext, so the rules are:
//! * key found, fingerprint recorded: it must match, else refuse;
//! * key found, no fingerprint yet: it must open an existing ciphertext (if
//!   any), then its fingerprint is recorded;
//! * no key, and the database holds a fingerprint or any ciphertext: refuse;
//! * no key, empty database: generate, store, read back, record fingerprint.

use rusqlite::{Connection, OptionalExtension};
use shared::protocol::secrets::{SecretKind, SecretType};
use shared::secret::Key32;

use super::super::crypto;
use super::super::db;
use super::super::error::{VaultError, VaultResult};
use super::super::masterkey::MasterKeySource;

/// Loads the key from `source` and checks it against the database (see module doc).
pub(super) fn load_verified_key(
    conn: &Connection,
    source: &dyn MasterKeySource,
) -> VaultResult<Key32> {
    let stored = db::key_fingerprint(conn)?;
    match source.load()? {
        Some(key) => {
            let found = crypto::fingerprint(&key);
            match stored {
                Some(s) if s == found => Ok(key),
                Some(s) => Err(VaultError::KeyMismatch {
                    key_source: source.source(),
                    stored: crypto::fingerprint_prefix(&s),
                    found: crypto::fingerprint_prefix(&found),
                }),
                None => {
                    if !opens_existing_ciphertext(conn, &key)? {
                        return Err(VaultError::KeyMismatch {
                            key_source: source.source(),
                            stored: "(none recorded; existing ciphertext does not open)".into(),
                            found: crypto::fingerprint_prefix(&found),
                        });
                    }
                    db::set_key_fingerprint(conn, &found)?;
                    Ok(key)
                }
            }
        }
        None => {
            if stored.is_some() || db::has_ciphertext(conn)? {
                return Err(VaultError::KeyMissing {
                    key_source: source.source(),
                });
            }
            generate(conn, source)
        }
    }
}

/// id, kind, type, nonce, ciphertext, owner, token binding, allowed hosts of one sealed row.
type SealedRow = (
    String,
    String,
    String,
    Vec<u8>,
    Vec<u8>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// True when there is no ciphertext, or when `key` opens one of them.
fn opens_existing_ciphertext(conn: &Connection, key: &Key32) -> VaultResult<bool> {
    let row: Option<SealedRow> = conn
        .query_row(
            "SELECT id, kind, type, nonce, ciphertext, owner, token_binding, allowed_hosts FROM secret_metadata
             WHERE ciphertext IS NOT NULL AND nonce IS NOT NULL LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .optional()?;
    let Some((id, kind, ty, nonce, ct, owner, binding, hosts)) = row else {
        return Ok(true);
    };
    let (Some(kind), Some(ty)) = (SecretKind::parse(&kind), SecretType::parse(&ty)) else {
        return Ok(false);
    };
    let aad = crypto::aad_for(
        &id,
        kind,
        ty,
        owner.as_deref(),
        binding.as_deref(),
        hosts.as_deref(),
    );
    Ok(crypto::open(key, &aad, &nonce, &ct, &id).is_ok())
}

fn generate(conn: &Connection, source: &dyn MasterKeySource) -> VaultResult<Key32> {
    let key = Key32::random()
        .map_err(|e| VaultError::internal(format!("the OS random source failed: {e}")))?;
    source.store(&key)?;
    // A store that accepts a write it cannot give back would lose every secret.
    match source.load()? {
        Some(back) if back == key => {}
        _ => {
            return Err(VaultError::KeyringUnavailable {
                reason: format!(
                    "{} accepted the new master key but did not return it",
                    source.source()
                ),
            })
        }
    }
    db::set_key_fingerprint(conn, &crypto::fingerprint(&key))?;
    tracing::info!(
        key_source = source.source().as_str(),
        "generated a new master key"
    );
    Ok(key)
}
