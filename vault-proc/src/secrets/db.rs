//! `secrets.sqlite`: the file, its permissions, its schema and the vault meta rows.
//!
//! The database holds metadata and ciphertext only, but it is still the one
//! file an attacker would want, so it is created 0600 before SQLite touches it
//! and repaired to 0600 (with a warning) when found wider. Durability over
//! speed: rollback journal, `synchronous=FULL`, `secure_delete` so replaced
//! ciphertext does not linger in free pages. `vault_meta` keeps the schema
//! version (which gates the one-time migration) and the master key fingerprint.

use std::path::{Path, PathBuf};

use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use shared::protocol::secrets::ExternalProviderKind;

use super::error::{VaultError, VaultResult};

/// File name of the database inside the data dir.
pub const DB_FILE_NAME: &str = "secrets.sqlite";
/// Current schema: values encrypted under the master key in `secret_metadata`.
pub const SCHEMA_VERSION: i64 = 2;
/// Old schema: values in per-secret keyring entries (migrated by `migration`).
pub const LEGACY_SCHEMA_VERSION: i64 = 1;

const META_SCHEMA_VERSION: &str = "schema_version";
const META_KEY_FINGERPRINT: &str = "key_fingerprint";

const CREATE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS secret_metadata (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    type          TEXT NOT NULL,
    label         TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '[]',
    fields        TEXT NOT NULL DEFAULT '[]',
    owner         TEXT,
    expires_at    TEXT,
    external_path TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    nonce         BLOB,
    ciphertext    BLOB,
    token_binding TEXT,
    public_key    TEXT,
    allowed_hosts TEXT
);
CREATE TABLE IF NOT EXISTS vault_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_values (
    id            TEXT PRIMARY KEY NOT NULL,
    nonce         BLOB NOT NULL,
    ciphertext    BLOB NOT NULL,
    token_binding TEXT,
    fields        TEXT NOT NULL,
    expires_at    TEXT,
    guard         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS external_provider (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    kind        TEXT NOT NULL,
    address     TEXT NOT NULL,
    mount       TEXT NOT NULL,
    path_prefix TEXT,
    namespace   TEXT,
    ca_pem      TEXT,
    token_ref   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    action         TEXT NOT NULL,
    certificate_id TEXT NOT NULL,
    path           TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;";

/// Columns a table from the old format may lack, added on open (nullable).
const LATE_COLUMNS: [(&str, &str); 17] = [
    ("name", "TEXT"),
    ("type", "TEXT"),
    ("label", "TEXT"),
    ("description", "TEXT"),
    ("tags", "TEXT"),
    ("fields", "TEXT"),
    ("owner", "TEXT"),
    ("expires_at", "TEXT"),
    ("external_path", "TEXT"),
    ("created_at", "TEXT"),
    ("updated_at", "TEXT"),
    ("nonce", "BLOB"),
    ("ciphertext", "BLOB"),
    ("kind", "TEXT"),
    // A provider token's pairing (sealed into its AAD): the canonical
    // endpoint, '' for a cloud API, NULL when sealed before bindings existed.
    ("token_binding", "TEXT"),
    ("public_key", "TEXT"),
    // A generic secret's workflow destinations (canonical JSON list, sealed
    // into its AAD); NULL: not usable in an `http_request`.
    ("allowed_hosts", "TEXT"),
];

/// Path of the database inside `data_dir`.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE_NAME)
}

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> VaultError {
    move |source| VaultError::Io { context, source }
}

/// Creates the file with mode 0600 if missing; repairs it to 0600 if wider
/// (logged). Returns true when the permissions had to be repaired.
pub fn create_or_repair_file(path: &Path) -> VaultResult<bool> {
    let repaired = shared::transport::ensure_private_file(path).map_err(io_err(format!(
        "cannot create or restrict {}",
        path.display()
    )))?;
    if repaired {
        tracing::warn!(path = %path.display(), "secrets database was readable by others; restricted it to 0600");
    }
    Ok(repaired)
}

fn ensure_dir(dir: &Path) -> VaultResult<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .map_err(io_err(format!("cannot create data dir {}", dir.display())))
}

/// Opens (creating if needed) `secrets.sqlite` in `data_dir`, with the schema in place.
pub fn open(data_dir: &Path) -> VaultResult<Connection> {
    ensure_dir(data_dir)?;
    let path = db_path(data_dir);
    create_or_repair_file(&path)?;
    // A journal left by a crash gets the same treatment as the database.
    let journal = data_dir.join(format!("{DB_FILE_NAME}-journal"));
    if journal.exists() {
        create_or_repair_file(&journal)?;
    }
    let mut conn = Connection::open(&path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode=DELETE;
         PRAGMA synchronous=FULL;
         PRAGMA secure_delete=ON;
         PRAGMA foreign_keys=ON;",
    )?;
    init_schema(&mut conn)?;
    Ok(conn)
}

/// Opens a second, read-only connection to an existing `secrets.sqlite`
/// (after [`open`] created and migrated it) for the socket thread's fast
/// reads. It never waits for a lock: a busy database is an error its caller
/// answers by asking the store instead.
pub fn open_reader(data_dir: &Path) -> VaultResult<Connection> {
    let conn = Connection::open_with_flags(
        db_path(data_dir),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::ZERO)?;
    conn.execute_batch("PRAGMA query_only=ON;")?;
    Ok(conn)
}

fn has_column(tx: &Transaction<'_>, column: &str) -> VaultResult<bool> {
    let n: i64 = tx.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('secret_metadata') WHERE name = ?1",
        [column],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

fn init_schema(conn: &mut Connection) -> VaultResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existed: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type='table' AND name='secret_metadata')",
        [],
        |r| r.get(0),
    )?;
    tx.execute_batch(CREATE_TABLES)?;
    for (col, decl) in LATE_COLUMNS {
        if !has_column(&tx, col)? {
            tx.execute_batch(&format!(
                "ALTER TABLE secret_metadata ADD COLUMN {col} {decl}"
            ))?;
        }
    }
    tx.execute_batch(
        "CREATE UNIQUE INDEX IF NOT EXISTS secret_metadata_name ON secret_metadata(name);
         CREATE INDEX IF NOT EXISTS secret_metadata_owner ON secret_metadata(owner);
         CREATE INDEX IF NOT EXISTS secret_metadata_unpaired ON secret_metadata(id)
           WHERE kind = 'dns_provider_token' AND token_binding IS NULL;",
    )?;
    if meta_get(&tx, META_SCHEMA_VERSION)?.is_none() {
        let rows: i64 = tx.query_row("SELECT COUNT(*) FROM secret_metadata", [], |r| r.get(0))?;
        let version = if existed && rows > 0 {
            LEGACY_SCHEMA_VERSION
        } else {
            SCHEMA_VERSION
        };
        meta_set(&tx, META_SCHEMA_VERSION, &version.to_string())?;
    }
    tx.commit()?;
    Ok(())
}

fn meta_get(conn: &Connection, key: &str) -> VaultResult<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM vault_meta WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

fn meta_set(conn: &Connection, key: &str, value: &str) -> VaultResult<()> {
    conn.execute(
        "INSERT INTO vault_meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// The schema version recorded in `vault_meta`.
pub fn schema_version(conn: &Connection) -> VaultResult<i64> {
    meta_get(conn, META_SCHEMA_VERSION)?
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| VaultError::internal("vault_meta has no valid schema_version"))
}

/// Records the schema version (call inside the transaction that completes a migration).
pub fn set_schema_version(conn: &Connection, version: i64) -> VaultResult<()> {
    meta_set(conn, META_SCHEMA_VERSION, &version.to_string())
}

/// The master key fingerprint recorded in `vault_meta`, if any.
pub fn key_fingerprint(conn: &Connection) -> VaultResult<Option<String>> {
    meta_get(conn, META_KEY_FINGERPRINT)
}

/// Records the master key fingerprint.
pub fn set_key_fingerprint(conn: &Connection, fingerprint: &str) -> VaultResult<()> {
    meta_set(conn, META_KEY_FINGERPRINT, fingerprint)
}

/// True when any row holds ciphertext (then a new master key must never be made).
pub fn has_ciphertext(conn: &Connection) -> VaultResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM secret_metadata WHERE ciphertext IS NOT NULL)",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_schema_at_current_version() -> VaultResult<()> {
        let dir = tempfile::tempdir().map_err(|e| VaultError::internal(e.to_string()))?;
        let conn = open(dir.path())?;
        assert_eq!(schema_version(&conn)?, SCHEMA_VERSION);
        assert_eq!(key_fingerprint(&conn)?, None);
        assert!(!has_ciphertext(&conn)?);
        set_key_fingerprint(&conn, "abc")?;
        set_key_fingerprint(&conn, "def")?;
        assert_eq!(key_fingerprint(&conn)?.as_deref(), Some("def"));
        let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        assert_eq!(sync, 2, "synchronous=FULL");
        drop(conn);
        // Re-open keeps everything.
        let conn = open(dir.path())?;
        assert_eq!(key_fingerprint(&conn)?.as_deref(), Some("def"));
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn file_is_created_0600_and_repaired_from_0644() -> VaultResult<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().map_err(|e| VaultError::internal(e.to_string()))?;
        let path = db_path(dir.path());
        let mode = |p: &Path| -> VaultResult<u32> {
            Ok(std::fs::metadata(p)
                .map_err(|e| VaultError::internal(e.to_string()))?
                .permissions()
                .mode()
                & 0o777)
        };
        drop(open(dir.path())?);
        assert_eq!(mode(&path)?, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| VaultError::internal(e.to_string()))?;
        assert_eq!(mode(&path)?, 0o644);
        assert!(create_or_repair_file(&path)?);
        assert_eq!(mode(&path)?, 0o600);
        assert!(!create_or_repair_file(&path)?);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| VaultError::internal(e.to_string()))?;
        drop(open(dir.path())?);
        assert_eq!(mode(&path)?, 0o600);
        Ok(())
    }

    #[test]
    fn old_table_without_vault_meta_is_legacy() -> VaultResult<()> {
        let dir = tempfile::tempdir().map_err(|e| VaultError::internal(e.to_string()))?;
        {
            let conn = Connection::open(db_path(dir.path()))?;
            conn.execute_batch(
                "CREATE TABLE secret_metadata (id TEXT PRIMARY KEY, kind TEXT, label TEXT,
                                               created_at TEXT);
                 INSERT INTO secret_metadata VALUES ('sec_1', 'generic', 'old', '2020-01-01T00:00:00Z');",
            )?;
        }
        let conn = open(dir.path())?;
        assert_eq!(schema_version(&conn)?, LEGACY_SCHEMA_VERSION);
        let has: bool = conn.query_row(
            "SELECT ciphertext IS NULL AND nonce IS NULL FROM secret_metadata WHERE id='sec_1'",
            [],
            |r| r.get(0),
        )?;
        assert!(has);
        Ok(())
    }
}

/// The external secret provider's configuration row (at most one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRow {
    /// `openbao` or `vault`.
    pub kind: ExternalProviderKind,
    /// Base URL.
    pub address: String,
    /// KV v2 mount.
    pub mount: String,
    /// Path prefix under the mount.
    pub path_prefix: Option<String>,
    /// Namespace header.
    pub namespace: Option<String>,
    /// CA bundle (public).
    pub ca_pem: Option<String>,
    /// The secret holding the provider token.
    pub token_ref: String,
}

fn external_kind_str(k: ExternalProviderKind) -> &'static str {
    match k {
        ExternalProviderKind::Openbao => "openbao",
        ExternalProviderKind::Vault => "vault",
    }
}

/// The external provider's row, if configured.
pub fn external_get(conn: &Connection) -> VaultResult<Option<ExternalRow>> {
    Ok(conn
        .query_row(
            "SELECT kind, address, mount, path_prefix, namespace, ca_pem, token_ref
             FROM external_provider WHERE id = 1",
            [],
            |r| {
                let kind: String = r.get(0)?;
                Ok(ExternalRow {
                    kind: if kind == "vault" {
                        ExternalProviderKind::Vault
                    } else {
                        ExternalProviderKind::Openbao
                    },
                    address: r.get(1)?,
                    mount: r.get(2)?,
                    path_prefix: r.get(3)?,
                    namespace: r.get(4)?,
                    ca_pem: r.get(5)?,
                    token_ref: r.get(6)?,
                })
            },
        )
        .optional()?)
}

/// Writes (or replaces) the external provider's row.
pub fn external_put(tx: &Transaction<'_>, row: &ExternalRow) -> VaultResult<()> {
    tx.execute(
        "INSERT OR REPLACE INTO external_provider
         (id, kind, address, mount, path_prefix, namespace, ca_pem, token_ref)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            external_kind_str(row.kind),
            row.address,
            row.mount,
            row.path_prefix,
            row.namespace,
            row.ca_pem,
            row.token_ref
        ],
    )?;
    Ok(())
}

/// Removes the external provider's row.
pub fn external_delete(tx: &Transaction<'_>) -> VaultResult<()> {
    tx.execute("DELETE FROM external_provider WHERE id = 1", [])?;
    Ok(())
}

/// A new value sealed for a secret but not yet in force: the first half of a
/// two-step replacement (a provider token is swapped only once dns-proc has
/// committed the provider change it belongs to).
#[derive(Clone, PartialEq, Eq)]
pub struct PendingValue {
    /// The secret it replaces the value of.
    pub id: String,
    /// AES-GCM nonce.
    pub nonce: Vec<u8>,
    /// Sealed data, under the AAD the secret will have once it is in force.
    pub ciphertext: Vec<u8>,
    /// The pairing it is sealed with.
    pub token_binding: Option<String>,
    /// Field names (JSON list).
    pub fields: String,
    /// Expiry of the new value.
    pub expires_at: Option<String>,
    /// What the owner's record looked like when the change was prepared (its
    /// `updatedAt`): a different one later means the change was committed.
    pub guard: String,
}

impl std::fmt::Debug for PendingValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingValue")
            .field("id", &self.id)
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

/// Stores (or replaces) the pending value of a secret.
pub fn pending_put(tx: &Transaction<'_>, p: &PendingValue) -> VaultResult<()> {
    tx.execute(
        "INSERT OR REPLACE INTO pending_values
         (id, nonce, ciphertext, token_binding, fields, expires_at, guard)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            p.id,
            p.nonce,
            p.ciphertext,
            p.token_binding,
            p.fields,
            p.expires_at,
            p.guard
        ],
    )?;
    Ok(())
}

fn pending_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PendingValue> {
    Ok(PendingValue {
        id: r.get(0)?,
        nonce: r.get(1)?,
        ciphertext: r.get(2)?,
        token_binding: r.get(3)?,
        fields: r.get(4)?,
        expires_at: r.get(5)?,
        guard: r.get(6)?,
    })
}

const PENDING_COLUMNS: &str = "id, nonce, ciphertext, token_binding, fields, expires_at, guard";

/// The pending value of one secret, if any.
pub fn pending_get(conn: &Connection, id: &str) -> VaultResult<Option<PendingValue>> {
    Ok(conn
        .query_row(
            &format!("SELECT {PENDING_COLUMNS} FROM pending_values WHERE id = ?1"),
            [id],
            pending_row,
        )
        .optional()?)
}

/// Up to `limit` provider tokens sealed before pairings existed, after id
/// `after`, as (id, owner): one range of the partial index
/// `secret_metadata_unpaired`, so the start-up check costs nothing once
/// every token is paired.
pub fn unpaired_tokens(
    conn: &Connection,
    after: Option<&str>,
    limit: u32,
) -> VaultResult<Vec<(String, Option<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, owner FROM secret_metadata
         WHERE kind = 'dns_provider_token' AND token_binding IS NULL
           AND (?1 IS NULL OR id > ?1)
         ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Every pending value (interrupted replacements, for start-up reconcile).
pub fn pending_list(conn: &Connection) -> VaultResult<Vec<PendingValue>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {PENDING_COLUMNS} FROM pending_values ORDER BY id"
    ))?;
    let rows = stmt.query_map([], pending_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Drops the pending value of a secret (no-op when there is none).
pub fn pending_delete(tx: &Transaction<'_>, id: &str) -> VaultResult<()> {
    tx.execute("DELETE FROM pending_values WHERE id = ?1", [id])?;
    Ok(())
}
