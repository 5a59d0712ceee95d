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
//!
//! The suffix index ([`super::resolve`], table `provider_suffixes`) is
//! written in the same transaction as every change to `providers`: an
//! active row is indexed under its suffixes, a row being deleted is not. A
//! `dns.sqlite` from before the index (`user_version` 0) is migrated once at
//! open, in one transaction.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use shared::protocol::dns::ProviderType;

use super::resolve::{self, SuffixIndex};
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

/// A stored provider with its ambiguity flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlaggedRow {
    /// The provider.
    pub row: ProviderRow,
    /// True when it shares a suffix with another active provider.
    pub ambiguous: bool,
}

/// One page of rows and the id that starts the next page (None on the last).
pub type RowPage = (Vec<FlaggedRow>, Option<String>);

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

/// `user_version` of a database with the suffix index; 0 is one without.
pub const SCHEMA_VERSION: i64 = 1;

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

fn flagged(r: &rusqlite::Row<'_>) -> rusqlite::Result<FlaggedRow> {
    Ok(FlaggedRow {
        row: row(r)?,
        ambiguous: r.get(9)?,
    })
}

fn suffixes_json(p: &ProviderRow) -> Result<String, DnsError> {
    serde_json::to_string(&p.suffixes).map_err(|e| DnsError::Internal(e.to_string()))
}

/// Inserts a new provider inside `tx`, indexed when active; an existing id
/// is a conflict.
fn insert_in(tx: &Transaction<'_>, p: &ProviderRow) -> Result<(), DnsError> {
    let exists: bool = tx
        .prepare_cached("SELECT 1 FROM providers WHERE id = ?1")?
        .query_row(params![p.id], |_| Ok(true))
        .optional()?
        .unwrap_or(false);
    if exists {
        return Err(DnsError::Conflict(format!(
            "DNS provider {} exists already",
            p.id
        )));
    }
    tx.prepare_cached(&format!(
        "INSERT INTO providers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))?
    .execute(params![
        p.id,
        p.provider_type.as_str(),
        p.label,
        suffixes_json(p)?,
        p.secret_ref,
        p.config_json,
        p.created_at,
        p.updated_at,
        p.state.as_str()
    ])?;
    if p.state == ProviderState::Active {
        resolve::put(tx, &p.id, &p.suffixes)?;
    }
    Ok(())
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction: creates the
/// tables of a new file; fills the suffix index of a file written before it
/// existed. Idempotent; a failure leaves the file as it was.
fn migrate(conn: &mut Connection) -> Result<(), DnsError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(DnsError::Internal(format!(
            "dns.sqlite has schema version {version}, newer than this dns-proc's {SCHEMA_VERSION}"
        )));
    }
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(resolve::SCHEMA)?;
    if version < SCHEMA_VERSION {
        let n = tx.execute(resolve::FILL, [])?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        if n > 0 {
            tracing::info!(
                suffixes = n,
                "dns.sqlite migrated: suffix index built from the stored providers"
            );
        }
    }
    tx.commit()?;
    Ok(())
}

impl ProviderStore {
    /// Opens (creating if needed) `<data_dir>/dns.sqlite`.
    pub fn open(data_dir: &Path) -> Result<Self, DnsError> {
        let path = data_dir.join(DB_FILE);
        if secure_file(&path)? {
            tracing::warn!(file = %path.display(), "dns.sqlite was accessible to other users; permissions repaired to 0600");
        }
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut conn)?;
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
        let tx = self.conn.transaction()?;
        insert_in(&tx, p)?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces label, suffixes, config and updated_at of an active provider
    /// (and its suffixes in the index). Type, secret_ref and created_at never
    /// change.
    pub fn update(&mut self, p: &ProviderRow) -> Result<(), DnsError> {
        let suffixes = suffixes_json(p)?;
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE providers SET label = ?2, suffixes = ?3, config = ?4, updated_at = ?5
             WHERE id = ?1 AND state = 'active'",
            params![p.id, p.label, suffixes, p.config_json, p.updated_at],
        )?;
        if n == 0 {
            return Err(DnsError::not_found(&p.id));
        }
        resolve::put(&tx, &p.id, &p.suffixes)?;
        tx.commit()?;
        Ok(())
    }

    /// One provider, in any state.
    pub fn get(&self, id: &str) -> Result<Option<ProviderRow>, DnsError> {
        let mut st = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM providers WHERE id = ?1"))?;
        Ok(st.query_row(params![id], row).optional()?)
    }

    /// One provider, in any state, with its ambiguity flag (false for one
    /// being deleted: it is not indexed).
    pub fn get_flagged(&self, id: &str) -> Result<Option<FlaggedRow>, DnsError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS}, {} FROM providers WHERE id = ?1",
            resolve::AMBIGUOUS
        ))?;
        Ok(st.query_row(params![id], flagged).optional()?)
    }

    /// The suffix index (read access; the store's writes keep it in step).
    pub fn index(&self) -> SuffixIndex<'_> {
        SuffixIndex::new(&self.conn)
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

    /// One page of active providers with their ambiguity flags, oldest first,
    /// after the provider `after` (by its place in that order), at most
    /// `limit` long, with the id that starts the next page (None on the
    /// last). One query per page: a range of the `providers_by_age` index,
    /// and indexed lookups in the suffix index for the flags, whatever the
    /// number of providers.
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
                    "SELECT {COLUMNS}, {} FROM providers WHERE state = 'active'
                     ORDER BY created_at, id LIMIT ?1",
                    resolve::AMBIGUOUS
                ))?;
                let rows = st.query_map(params![take], flagged)?;
                rows.collect::<Result<Vec<_>, _>>()?
            }
            Some((created_at, id)) => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS}, {} FROM providers WHERE state = 'active'
                     AND (created_at, id) > (?1, ?2)
                     ORDER BY created_at, id LIMIT ?3",
                    resolve::AMBIGUOUS
                ))?;
                let rows = st.query_map(params![created_at, id, take], flagged)?;
                rows.collect::<Result<Vec<_>, _>>()?
            }
        };
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|r| r.row.id.clone())
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

    /// The latest created_at of any row (so new ids never sort before old
    /// ones): the end of each state's range of `providers_by_age`.
    pub fn latest_created_at(&self) -> Result<Option<String>, DnsError> {
        Ok(self.conn.query_row(
            "SELECT MAX(latest) FROM (
                 SELECT MAX(created_at) AS latest FROM providers WHERE state = 'active'
                 UNION ALL
                 SELECT MAX(created_at) FROM providers WHERE state = 'deleting')",
            [],
            |r| r.get(0),
        )?)
    }

    /// Marks a provider as being deleted (and drops it from the suffix
    /// index). Returns false when the id is unknown.
    pub fn mark_deleting(&mut self, id: &str) -> Result<bool, DnsError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE providers SET state = 'deleting' WHERE id = ?1",
            params![id],
        )?;
        resolve::remove(&tx, id)?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Removes a provider row (and whatever the suffix index still has of
    /// it). Returns false when the id is unknown.
    pub fn purge(&mut self, id: &str) -> Result<bool, DnsError> {
        let tx = self.conn.transaction()?;
        resolve::remove(&tx, id)?;
        let n = tx.execute("DELETE FROM providers WHERE id = ?1", params![id])?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Inserts many new providers in one transaction (one fsync), each
    /// indexed as [`Self::insert`] does; an existing id fails the whole
    /// batch. For seeding large databases (tests, benchmarks).
    pub fn insert_all(&mut self, rows: &[ProviderRow]) -> Result<(), DnsError> {
        let tx = self.conn.transaction()?;
        for p in rows {
            insert_in(&tx, p)?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
