//! `dns.sqlite`: provider rows. Created 0600 (repaired when wider), every
//! write in a transaction with `synchronous=FULL`. There is no column that
//! could hold a secret value: a provider refers to its token by `secret_ref`.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use super::DnsError;

/// One stored provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    /// `dns_prov_…`.
    pub id: String,
    /// Type name.
    pub provider_type: String,
    /// Label.
    pub label: String,
    /// Normalized suffixes.
    pub suffixes: Vec<String>,
    /// Token secret reference.
    pub secret_ref: Option<String>,
    /// Canonical config JSON.
    pub config_json: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// `active` or `deleting`.
    pub state: String,
}

/// The provider table.
pub struct ProviderStore {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS providers (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    label       TEXT NOT NULL,
    suffixes    TEXT NOT NULL,
    secret_ref  TEXT,
    config      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'active'
);
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
";

/// Creates `path` 0600 if missing; narrows a wider mode. Returns true when repaired.
pub fn secure_file(path: &Path) -> Result<bool, DnsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |e: std::io::Error| DnsError::Io(format!("{}: {e}", path.display()));
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
            return Ok(true);
        }
    }
    Ok(false)
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProviderRow> {
    let suffixes: String = r.get(3)?;
    Ok(ProviderRow {
        id: r.get(0)?,
        provider_type: r.get(1)?,
        label: r.get(2)?,
        suffixes: serde_json::from_str(&suffixes).unwrap_or_default(),
        secret_ref: r.get(4)?,
        config_json: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        state: r.get(8)?,
    })
}

const COLUMNS: &str =
    "id, type, label, suffixes, secret_ref, config, created_at, updated_at, state";

impl ProviderStore {
    /// Opens (creating if needed) `<data_dir>/dns.sqlite`.
    pub fn open(data_dir: &Path) -> Result<Self, DnsError> {
        let path = data_dir.join("dns.sqlite");
        if secure_file(&path)? {
            tracing::warn!(file = %path.display(), "dns.sqlite was readable by others; permissions repaired to 0600");
        }
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        for side in ["-wal", "-shm"] {
            let p = data_dir.join(format!("dns.sqlite{side}"));
            if p.exists() {
                secure_file(&p)?;
            }
        }
        Ok(Self { conn })
    }

    /// Inserts a new provider.
    pub fn insert(&mut self, p: &ProviderRow) -> Result<(), DnsError> {
        let suffixes =
            serde_json::to_string(&p.suffixes).map_err(|e| DnsError::Internal(e.to_string()))?;
        let tx = self.conn.transaction()?;
        tx.execute(
            &format!(
                "INSERT INTO providers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ),
            params![
                p.id,
                p.provider_type,
                p.label,
                suffixes,
                p.secret_ref,
                p.config_json,
                p.created_at,
                p.updated_at,
                p.state
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces label, suffixes, config and updated_at.
    pub fn update(&mut self, p: &ProviderRow) -> Result<(), DnsError> {
        let suffixes =
            serde_json::to_string(&p.suffixes).map_err(|e| DnsError::Internal(e.to_string()))?;
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE providers SET label = ?2, suffixes = ?3, config = ?4, updated_at = ?5 WHERE id = ?1 AND state = 'active'",
            params![p.id, p.label, suffixes, p.config_json, p.updated_at],
        )?;
        tx.commit()?;
        if n == 0 {
            return Err(DnsError::NotFound(p.id.clone()));
        }
        Ok(())
    }

    /// One provider (any state).
    pub fn get(&self, id: &str) -> Result<Option<ProviderRow>, DnsError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM providers WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()?)
    }

    /// Every provider in `state`, oldest first.
    pub fn list(&self, state: &str) -> Result<Vec<ProviderRow>, DnsError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM providers WHERE state = ?1 ORDER BY created_at, id"
        ))?;
        let rows = st.query_map(params![state], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Marks a provider as being deleted.
    pub fn mark_deleting(&mut self, id: &str) -> Result<bool, DnsError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE providers SET state = 'deleting' WHERE id = ?1",
            params![id],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Removes a provider row.
    pub fn purge(&mut self, id: &str) -> Result<(), DnsError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM providers WHERE id = ?1", params![id])?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_permissions() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("dns.sqlite");
        std::fs::write(&path, b"").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let mut s = ProviderStore::open(t.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let p = ProviderRow {
            id: "dns_prov_1".into(),
            provider_type: "cloudflare".into(),
            label: "L".into(),
            suffixes: vec!["a.com".into()],
            secret_ref: Some("sec_1".into()),
            config_json: "{}".into(),
            created_at: "t1".into(),
            updated_at: "t1".into(),
            state: "active".into(),
        };
        s.insert(&p).unwrap();
        assert_eq!(s.get("dns_prov_1").unwrap(), Some(p.clone()));
        assert_eq!(s.list("active").unwrap().len(), 1);
        assert!(s.mark_deleting("dns_prov_1").unwrap());
        assert_eq!(s.list("deleting").unwrap().len(), 1);
        s.purge("dns_prov_1").unwrap();
        assert!(s.get("dns_prov_1").unwrap().is_none());
    }
}
