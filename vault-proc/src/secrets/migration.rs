//! One-time migration from per-secret keyring entries into encrypted SQLite rows.
//!
//! The old format kept only metadata in `secret_metadata` (NULL ciphertext) and
//! each value in its own keyring entry (service = our service, user = the
//! `sec_` id). For each such row, in this order:
//! 1. read the entry; if it is gone, delete the orphaned row silently;
//! 2. seal the value under the master key and **commit** it into the row;
//! 3. only then delete the old entry.
//!
//! A crash between 2 and 3 loses nothing: the re-run finds the ciphertext
//! already in place and only deletes the entry. When every row is done the
//! schema version is bumped in the same database, so the migration never runs
//! again. A row that cannot be migrated (unreadable entry, value we cannot
//! map to a type) is kept with its entry and reported; the version is then
//! not bumped, and the next start retries.
//!
//! Assumption about the old value format: either a JSON object of string
//! fields, or the bare secret text, which becomes the type's primary field.

use rusqlite::{params, Connection, TransactionBehavior};
use shared::protocol::secrets::{SecretData, SecretKind, SecretType};
use shared::secret::{Key32, SecretBytes, SecretString};

use super::crypto;
use super::db;
use super::error::{VaultError, VaultResult};
use super::plaintext;
use super::types;

/// Access to the per-secret entries of the old format (a trait, so tests can fake it).
pub trait LegacyEntries {
    /// The stored value for reference id `reference`, or `None` when absent.
    fn get(&self, reference: &str) -> VaultResult<Option<SecretBytes>>;
    /// Deletes the entry; an absent entry is not an error.
    fn delete(&self, reference: &str) -> VaultResult<()>;
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Rows whose value was moved into SQLite by this run.
    pub migrated: usize,
    /// Rows deleted because their keyring entry was gone.
    pub orphans_removed: usize,
    /// Old entries deleted for rows that already had ciphertext (crash recovery).
    pub stale_entries_cleaned: usize,
    /// Reference ids left for the next run.
    pub failed: Vec<String>,
    /// True when the schema version now says the migration is done.
    pub completed: bool,
}

/// True while the schema version is older than the current one.
pub fn pending(conn: &Connection) -> VaultResult<bool> {
    Ok(db::schema_version(conn)? < db::SCHEMA_VERSION)
}

/// True when a pending migration has values to encrypt (and so needs the key).
pub fn needs_key(conn: &Connection) -> VaultResult<bool> {
    if !pending(conn)? {
        return Ok(false);
    }
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM secret_metadata
                       WHERE ciphertext IS NULL AND external_path IS NULL)",
        [],
        |r| r.get(0),
    )?)
}

struct LegacyRow {
    id: String,
    name: Option<String>,
    kind: Option<String>,
    secret_type: Option<String>,
    sealed: bool,
    external: bool,
}

fn legacy_rows(conn: &Connection) -> VaultResult<Vec<LegacyRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, name, kind, type, ciphertext IS NOT NULL, external_path IS NOT NULL
         FROM secret_metadata ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(LegacyRow {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: r.get(2)?,
            secret_type: r.get(3)?,
            sealed: r.get(4)?,
            external: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Maps an old value to typed data (see the module doc for the assumption).
pub fn legacy_data(
    hint: Option<SecretType>,
    kind: SecretKind,
    value: &SecretBytes,
) -> VaultResult<(SecretType, SecretData)> {
    let unmappable = || VaultError::validation("data", "the old value cannot be mapped to a type");
    // EXPOSE: the old value is parsed once to move it under the master key.
    let raw = value.expose();
    if let Ok(map) = serde_json::from_slice::<SecretData>(raw) {
        let t = hint.unwrap_or(SecretType::Custom);
        if types::validate_data(t, &map).is_ok() {
            return Ok((t, map));
        }
        if types::validate_data(SecretType::Custom, &map).is_ok() {
            return Ok((SecretType::Custom, map));
        }
        return Err(unmappable());
    }
    let text = std::str::from_utf8(raw).map_err(|_| unmappable())?;
    let t = hint.unwrap_or(match kind {
        SecretKind::AcmeAccountKey | SecretKind::ManagedPrivateKey => SecretType::PrivateKey,
        SecretKind::DnsProviderToken | SecretKind::Generic => SecretType::ApiKey,
    });
    let single = |t: SecretType, field: &str| {
        let mut d = SecretData::new();
        d.insert(field.to_owned(), SecretString::from(text));
        types::validate_data(t, &d).map(|_| (t, d))
    };
    let primary = match t {
        SecretType::ApiKey => "value",
        SecretType::BearerToken => "token",
        SecretType::PrivateKey => "pem",
        SecretType::Custom => "value",
        SecretType::BasicAuth | SecretType::Oauth => return Err(unmappable()),
    };
    single(t, primary).or_else(|_| single(SecretType::Custom, "value"))
}

fn migrate_row(
    conn: &mut Connection,
    row: &LegacyRow,
    key: Option<&Key32>,
    value: &SecretBytes,
    now: &str,
) -> VaultResult<()> {
    let key = key.ok_or_else(|| VaultError::internal("migration needs the master key"))?;
    let kind = row
        .kind
        .as_deref()
        .and_then(SecretKind::parse)
        .unwrap_or(SecretKind::Generic);
    let hint = row.secret_type.as_deref().and_then(SecretType::parse);
    let (t, data) = legacy_data(hint, kind, value)?;
    let facts = types::validate_data(t, &data)?;
    let fields: Vec<String> = data.keys().cloned().collect();
    let fields = serde_json::to_string(&fields).map_err(|e| VaultError::internal(e.to_string()))?;
    let plain = plaintext::encode(&data)?;
    let sealed = crypto::seal(key, &crypto::row_aad(&row.id, kind, t), &plain)?;
    let name = match row.name.as_deref() {
        Some(n) if types::is_identifier(n) => n.to_owned(),
        _ => row.id.clone(),
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE secret_metadata SET
            name = ?2, kind = ?3, type = ?4, fields = ?5, expires_at = ?6,
            label = COALESCE(label, ''), description = COALESCE(description, ''),
            tags = COALESCE(tags, '[]'), created_at = COALESCE(created_at, ?7),
            updated_at = ?7, nonce = ?8, ciphertext = ?9
         WHERE id = ?1 AND ciphertext IS NULL",
        params![
            row.id,
            name,
            kind.as_str(),
            t.as_str(),
            fields,
            facts.expires_at,
            now,
            sealed.nonce.as_slice(),
            sealed.ciphertext,
        ],
    )?;
    tx.commit()?;
    Ok(())
}

/// Runs the migration if pending. `key` is needed only when [`needs_key`] says so.
pub fn run(
    conn: &mut Connection,
    key: Option<&Key32>,
    legacy: &dyn LegacyEntries,
) -> VaultResult<MigrationReport> {
    let mut report = MigrationReport::default();
    if !pending(conn)? {
        report.completed = true;
        return Ok(report);
    }
    let now = shared::clock::now();
    for row in legacy_rows(conn)? {
        if row.sealed {
            // Committed by an earlier run that stopped before deleting the entry.
            match legacy.delete(&row.id) {
                Ok(()) => report.stale_entries_cleaned += 1,
                Err(e) => {
                    tracing::warn!(reference = %row.id, "could not delete a migrated keyring entry: {e}");
                    report.failed.push(row.id);
                }
            }
            continue;
        }
        if row.external {
            continue; // externally sourced, no local value to move
        }
        let value = match legacy.get(&row.id) {
            Ok(Some(v)) => v,
            Ok(None) => {
                conn.execute("DELETE FROM secret_metadata WHERE id = ?1", [&row.id])?;
                report.orphans_removed += 1;
                continue;
            }
            Err(e) => {
                tracing::warn!(reference = %row.id, "could not read a legacy keyring entry: {e}");
                report.failed.push(row.id);
                continue;
            }
        };
        if let Err(e) = migrate_row(conn, &row, key, &value, &now) {
            tracing::warn!(reference = %row.id, "could not migrate a legacy secret: {e}");
            report.failed.push(row.id);
            continue;
        }
        report.migrated += 1;
        // The ciphertext is committed: now the old entry may go.
        shared::failpoint::hit("migration_after_commit");
        if let Err(e) = legacy.delete(&row.id) {
            tracing::warn!(reference = %row.id, "migrated, but could not delete the old entry: {e}");
            report.failed.push(row.id);
        }
    }
    if report.failed.is_empty() {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        db::set_schema_version(&tx, db::SCHEMA_VERSION)?;
        tx.commit()?;
        report.completed = true;
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
