//! `dns.sqlite`: where providers persist.
//!
//! Only dns-proc opens this file. It is created 0600 and narrowed back to
//! 0600 (with a warning) when found wider; every write is one transaction
//! under `synchronous=FULL`, so an acknowledged change survives a power cut.
//! There is no column that could hold a secret value: a provider names its
//! token by `secret_ref`, and the value lives in vault-proc. A delete is two
//! steps (`mark_deleting`, then `purge` once the token is gone) so that one
//! interrupted half-way is found by [`ProviderStore::list_deleting`] and
//! finished at the next start.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use shared::protocol::dns::ProviderType;

use super::DnsError;

/// File name of the provider database inside the data dir.
pub const DB_FILE: &str = "dns.sqlite";

/// Lifecycle state of a stored provider (names strum-derived: the `state`
/// column holds `active` or `deleting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum ProviderState {
    /// In use: listed, resolvable, updatable.
    Active,
    /// Delete begun (token removal pending); invisible except to `list_deleting`.
    Deleting,
}

impl ProviderState {
    /// The value of the `state` column.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses the `state` column.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// One stored provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    /// `dns_prov_…` id.
    pub id: String,
    /// Type.
    pub provider_type: ProviderType,
    /// Label.
    pub label: String,
    /// Normalized suffixes, in the user's order.
    pub suffixes: Vec<String>,
    /// Reference of the token secret (never the value).
    pub secret_ref: Option<String>,
    /// Canonical config JSON.
    pub config_json: String,
    /// RFC 3339 UTC, fixed width (see [`super::clock`]).
    pub created_at: String,
    /// RFC 3339 UTC, fixed width.
    pub updated_at: String,
    /// Lifecycle state.
    pub state: ProviderState,
}

/// One page of rows and the id that starts the next page (None on the last).
pub type RowPage = (Vec<ProviderRow>, Option<String>);

/// The provider table.
pub struct ProviderStore {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS providers (
    id          TEXT PRIMARY KEY NOT NULL,
    type        TEXT NOT NULL,
    label       TEXT NOT NULL,
    suffixes    TEXT NOT NULL,
    secret_ref  TEXT,
    config      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deleting'))
);
CREATE INDEX IF NOT EXISTS providers_by_age ON providers (state, created_at, id);
";

const COLUMNS: &str =
    "id, type, label, suffixes, secret_ref, config, created_at, updated_at, state";

/// Creates `path` 0600 when missing and narrows a wider mode to 0600.
/// Returns true when it had to repair the mode.
pub fn secure_file(path: &Path) -> Result<bool, DnsError> {
    shared::transport::ensure_private_file(path)
        .map_err(|e| DnsError::Io(format!("{}: {e}", path.display())))
}

fn conversion(col: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, what.into())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProviderRow> {
    let ty: String = r.get(1)?;
    let suffixes: String = r.get(3)?;
    let state: String = r.get(8)?;
    Ok(ProviderRow {
        id: r.get(0)?,
        provider_type: ProviderType::parse(&ty)
            .ok_or_else(|| conversion(1, format!("unknown provider type `{ty}`")))?,
        label: r.get(2)?,
        suffixes: serde_json::from_str(&suffixes)
            .map_err(|e| conversion(3, format!("suffixes: {e}")))?,
        secret_ref: r.get(4)?,
        config_json: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        state: ProviderState::parse(&state)
            .ok_or_else(|| conversion(8, format!("unknown state `{state}`")))?,
    })
}

fn suffixes_json(p: &ProviderRow) -> Result<String, DnsError> {
    serde_json::to_string(&p.suffixes).map_err(|e| DnsError::Internal(e.to_string()))
}

impl ProviderStore {
    /// Opens (creating if needed) `<data_dir>/dns.sqlite`.
    pub fn open(data_dir: &Path) -> Result<Self, DnsError> {
        let path = data_dir.join(DB_FILE);
        if secure_file(&path)? {
            tracing::warn!(file = %path.display(), "dns.sqlite was accessible to other users; permissions repaired to 0600");
        }
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        // SQLite gives -wal/-shm the main file's mode; older ones may be wider.
        for side in ["-wal", "-shm"] {
            let p = data_dir.join(format!("{DB_FILE}{side}"));
            if p.exists() && secure_file(&p)? {
                tracing::warn!(file = %p.display(), "permissions repaired to 0600");
            }
        }
        Ok(Self { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Inserts a new provider; an existing id is a conflict.
    pub fn insert(&mut self, p: &ProviderRow) -> Result<(), DnsError> {
        let suffixes = suffixes_json(p)?;
        let tx = self.conn.transaction()?;
        let exists: bool = tx
            .query_row(
                "SELECT 1 FROM providers WHERE id = ?1",
                params![p.id],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if exists {
            return Err(DnsError::Conflict(format!(
                "DNS provider {} exists already",
                p.id
            )));
        }
        tx.execute(
            &format!(
                "INSERT INTO providers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ),
            params![
                p.id,
                p.provider_type.as_str(),
                p.label,
                suffixes,
                p.secret_ref,
                p.config_json,
                p.created_at,
                p.updated_at,
                p.state.as_str()
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces label, suffixes, config and updated_at of an active provider.
    /// Type, secret_ref and created_at never change.
    pub fn update(&mut self, p: &ProviderRow) -> Result<(), DnsError> {
        let suffixes = suffixes_json(p)?;
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE providers SET label = ?2, suffixes = ?3, config = ?4, updated_at = ?5
             WHERE id = ?1 AND state = 'active'",
            params![p.id, p.label, suffixes, p.config_json, p.updated_at],
        )?;
        tx.commit()?;
        if n == 0 {
            return Err(DnsError::not_found(&p.id));
        }
        Ok(())
    }

    /// One provider, in any state.
    pub fn get(&self, id: &str) -> Result<Option<ProviderRow>, DnsError> {
        let mut st = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM providers WHERE id = ?1"))?;
        Ok(st.query_row(params![id], row).optional()?)
    }

    fn list_in(&self, state: ProviderState) -> Result<Vec<ProviderRow>, DnsError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM providers WHERE state = ?1 ORDER BY created_at, id"
        ))?;
        let rows = st.query_map(params![state.as_str()], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Every active provider, oldest first (created_at, then id).
    pub fn list(&self) -> Result<Vec<ProviderRow>, DnsError> {
        self.list_in(ProviderState::Active)
    }

    /// One page of active providers, oldest first, after the provider `after`
    /// (by its place in that order), at most `limit` long, with the id that
    /// starts the next page (None on the last). One range of the
    /// `providers_by_age` index per page, whatever the number of providers.
    /// `Ok(None)` when `after` names no active provider.
    pub fn list_page(&self, after: Option<&str>, limit: u32) -> Result<Option<RowPage>, DnsError> {
        let from = match after {
            None => None,
            Some(id) => {
                let mut st = self.conn.prepare_cached(
                    "SELECT created_at FROM providers WHERE id = ?1 AND state = 'active'",
                )?;
                match st
                    .query_row(params![id], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    Some(created_at) => Some((created_at, id.to_string())),
                    None => return Ok(None),
                }
            }
        };
        if limit == 0 {
            return Ok(Some((Vec::new(), None)));
        }
        // One row past the page says whether there is a next one.
        let take = i64::from(limit) + 1;
        let mut rows = match &from {
            None => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM providers WHERE state = 'active'
                     ORDER BY created_at, id LIMIT ?1"
                ))?;
                let rows = st.query_map(params![take], row)?;
                rows.collect::<Result<Vec<_>, _>>()?
            }
            Some((created_at, id)) => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM providers WHERE state = 'active'
                     AND (created_at, id) > (?1, ?2)
                     ORDER BY created_at, id LIMIT ?3"
                ))?;
                let rows = st.query_map(params![created_at, id, take], row)?;
                rows.collect::<Result<Vec<_>, _>>()?
            }
        };
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|r| r.id.clone())
        } else {
            None
        };
        Ok(Some((rows, next)))
    }

    /// Every provider whose delete began and did not finish, oldest first.
    pub fn list_deleting(&self) -> Result<Vec<ProviderRow>, DnsError> {
        self.list_in(ProviderState::Deleting)
    }

    /// Number of active providers.
    pub fn count(&self) -> Result<u64, DnsError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM providers WHERE state = 'active'",
            [],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The latest created_at of any row (so new ids never sort before old ones).
    pub fn latest_created_at(&self) -> Result<Option<String>, DnsError> {
        Ok(self
            .conn
            .query_row("SELECT MAX(created_at) FROM providers", [], |r| r.get(0))?)
    }

    /// Marks a provider as being deleted. Returns false when the id is unknown.
    pub fn mark_deleting(&mut self, id: &str) -> Result<bool, DnsError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE providers SET state = 'deleting' WHERE id = ?1",
            params![id],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Removes a provider row. Returns false when the id is unknown.
    pub fn purge(&mut self, id: &str) -> Result<bool, DnsError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute("DELETE FROM providers WHERE id = ?1", params![id])?;
        tx.commit()?;
        Ok(n > 0)
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
