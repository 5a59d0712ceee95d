//! `acme.sqlite`, next to `dns.sqlite` and, like it, 0600 with every write
//! one transaction under `synchronous=FULL`. Public data only: accounts
//! (URLs, contact, the *reference* of the key), orders, the journal of TXT
//! records presented for DNS-01, issued certificate chains, and deploy
//! workflows with their run history (references, never values:
//! `crate::workflow::store`).
//!
//! The journal makes cleanup crash-safe: a record is written here before
//! it is added at the provider and deleted only once it is removed there,
//! so whatever a crash (kill -9) leaves in DNS is listed by
//! [`AcmeStore::journal`] at the next start and removed.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

use super::error::{AcmeError, AcmeResult};

/// File name of the ACME database inside the data dir.
pub const DB_FILE: &str = "acme.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id            TEXT PRIMARY KEY NOT NULL,
    directory_url TEXT NOT NULL,
    account_url   TEXT NOT NULL,
    contact       TEXT NOT NULL,
    status        TEXT NOT NULL,
    key_ref       TEXT NOT NULL,
    ca_pem        TEXT,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    id          TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL,
    names       TEXT NOT NULL,
    order_url   TEXT,
    key_ref     TEXT,
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    TEXT NOT NULL,
    provider_id TEXT,
    zone_name   TEXT NOT NULL,
    zone_id     TEXT NOT NULL,
    fqdn        TEXT NOT NULL,
    value       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS certificates (
    id          TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    names       TEXT NOT NULL,
    key_ref     TEXT NOT NULL,
    key_type    TEXT NOT NULL,
    serial      TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    not_before  TEXT NOT NULL,
    not_after   TEXT NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    chain_pem   TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS certificates_by_age ON certificates (created_at, id);
CREATE TABLE IF NOT EXISTS workflows (
    id          TEXT PRIMARY KEY NOT NULL,
    meta        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workflow_runs (
    id          TEXT PRIMARY KEY NOT NULL,
    workflow_id TEXT NOT NULL,
    run         TEXT NOT NULL,
    seq         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS workflow_runs_by_workflow ON workflow_runs (workflow_id, seq);
";

/// Lifecycle columns added to `certificates` after issue 15 (renewal,
/// ARI, back-off, deployment); added to older files at open.
const LIFECYCLE_COLUMNS: &[(&str, &str)] = &[
    ("renewed_from", "TEXT"),
    ("replaced_by", "TEXT"),
    ("renew_at", "TEXT"),
    ("window_start", "TEXT"),
    ("window_end", "TEXT"),
    ("ari_cert_id", "TEXT"),
    ("ari_next_at", "TEXT"),
    ("last_renewal_error", "TEXT"),
    ("renewal_failures", "INTEGER NOT NULL DEFAULT 0"),
    ("next_attempt_at", "TEXT"),
    ("deploy_dir", "TEXT"),
    ("deploy_include_key", "INTEGER NOT NULL DEFAULT 0"),
];

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// `acct_…`.
    pub id: String,
    /// Directory URL.
    pub directory_url: String,
    /// Account URL at the CA (`kid`).
    pub account_url: String,
    /// Contact URLs.
    pub contact: Vec<String>,
    /// `valid`, `deactivated`, `revoked`.
    pub status: String,
    /// The account key's secret reference.
    pub key_ref: String,
    /// Extra CA certificates to trust (PEM).
    pub ca_pem: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// One presented TXT value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    /// Row id.
    pub id: i64,
    /// Order it belongs to.
    pub order_id: String,
    /// Provider that holds it (`None` = added by hand).
    pub provider_id: Option<String>,
    /// Zone apex.
    pub zone_name: String,
    /// Provider's zone id.
    pub zone_id: String,
    /// Record name.
    pub fqdn: String,
    /// TXT value.
    pub value: String,
}

/// A stored certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRow {
    /// `cert_…`.
    pub id: String,
    /// Account that ordered it.
    pub account_id: String,
    /// Order id.
    pub order_id: String,
    /// Names (SANs), as ordered.
    pub names: Vec<String>,
    /// Certificate key's secret reference.
    pub key_ref: String,
    /// Key type name (`ec-p256`, …).
    pub key_type: String,
    /// Serial, hex.
    pub serial: String,
    /// Issuer DN.
    pub issuer: String,
    /// RFC 3339.
    pub not_before: String,
    /// RFC 3339.
    pub not_after: String,
    /// Revoked at the CA.
    pub revoked: bool,
    /// Leaf and intermediates, PEM.
    pub chain_pem: String,
    /// RFC 3339.
    pub created_at: String,
    /// Renewal and deployment state.
    pub life: Lifecycle,
}

/// A certificate's renewal and deployment state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// The certificate this one renewed.
    pub renewed_from: Option<String>,
    /// The certificate that renewed this one.
    pub replaced_by: Option<String>,
    /// When to renew (RFC 3339); `None` = two thirds of the lifetime.
    pub renew_at: Option<String>,
    /// ARI window start and end (RFC 3339).
    pub window: Option<(String, String)>,
    /// RFC 9773 certificate identifier (`None`: the leaf has no AKI).
    pub ari_cert_id: Option<String>,
    /// Next ARI fetch (RFC 3339), from Retry-After.
    pub ari_next_at: Option<String>,
    /// Last automatic renewal error.
    pub last_renewal_error: Option<String>,
    /// Failures in a row.
    pub renewal_failures: u32,
    /// No automatic attempt before (RFC 3339).
    pub next_attempt_at: Option<String>,
    /// Deployment directory and whether the key goes too.
    pub deploy: Option<(String, bool)>,
}

fn db(e: rusqlite::Error) -> AcmeError {
    AcmeError::Store(e.to_string())
}

fn json_list(text: &str) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn to_json(list: &[String]) -> AcmeResult<String> {
    serde_json::to_string(list).map_err(|e| AcmeError::Store(e.to_string()))
}

/// The ACME database, shared by the running operations.
#[derive(Clone)]
pub struct AcmeStore {
    conn: Arc<Mutex<Connection>>,
}

impl AcmeStore {
    /// Opens (creating 0600 if needed) `<data_dir>/acme.sqlite`.
    pub fn open(data_dir: &Path) -> AcmeResult<Self> {
        let path = data_dir.join(DB_FILE);
        shared::transport::ensure_private_file(&path)
            .map_err(|e| AcmeError::Store(format!("{}: {e}", path.display())))?;
        let conn = Connection::open(&path).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        add_lifecycle_columns(&conn)?;
        for side in ["-wal", "-shm"] {
            let p = data_dir.join(format!("{DB_FILE}{side}"));
            if p.exists() {
                shared::transport::ensure_private_file(&p)
                    .map_err(|e| AcmeError::Store(format!("{}: {e}", p.display())))?;
            }
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection on a blocking thread.
    pub async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> AcmeResult<T> + Send + 'static,
    ) -> AcmeResult<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn
                .lock()
                .map_err(|_| AcmeError::Store("the database lock is poisoned".into()))?;
            f(&mut c)
        })
        .await
        .map_err(|e| AcmeError::Store(format!("database task: {e}")))?
    }

    /// Stores a new account.
    pub async fn insert_account(&self, a: AccountRow) -> AcmeResult<()> {
        self.with(move |c| {
            c.execute(
                "INSERT INTO accounts (id, directory_url, account_url, contact, status, key_ref, ca_pem, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![a.id, a.directory_url, a.account_url, to_json(&a.contact)?, a.status, a.key_ref, a.ca_pem, a.created_at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    /// All accounts, oldest first.
    pub async fn accounts(&self) -> AcmeResult<Vec<AccountRow>> {
        self.with(|c| {
            let mut st = c
                .prepare("SELECT id, directory_url, account_url, contact, status, key_ref, ca_pem, created_at FROM accounts ORDER BY created_at, id")
                .map_err(db)?;
            let rows = st
                .query_map([], account_row)
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    /// One account.
    pub async fn account(&self, id: &str) -> AcmeResult<Option<AccountRow>> {
        let id = id.to_string();
        self.with(move |c| {
            c.query_row(
                "SELECT id, directory_url, account_url, contact, status, key_ref, ca_pem, created_at FROM accounts WHERE id = ?1",
                [id],
                account_row,
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    /// Removes an account row.
    pub async fn delete_account(&self, id: &str) -> AcmeResult<bool> {
        let id = id.to_string();
        self.with(move |c| {
            Ok(c.execute("DELETE FROM accounts WHERE id = ?1", [id])
                .map_err(db)?
                > 0)
        })
        .await
    }

    /// Records an order (before it exists at the CA).
    pub async fn insert_order(
        &self,
        id: &str,
        account_id: &str,
        names: &[String],
    ) -> AcmeResult<()> {
        let (id, account_id, names) = (id.to_string(), account_id.to_string(), to_json(names)?);
        self.with(move |c| {
            c.execute(
                "INSERT INTO orders (id, account_id, names, status, created_at) VALUES (?1, ?2, ?3, 'pending', ?4)",
                params![id, account_id, names, shared::clock::now()],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    /// Updates an order's URL, key and status.
    pub async fn update_order(
        &self,
        id: &str,
        order_url: Option<String>,
        key_ref: Option<String>,
        status: &str,
    ) -> AcmeResult<()> {
        let (id, status) = (id.to_string(), status.to_string());
        self.with(move |c| {
            c.execute(
                "UPDATE orders SET order_url = COALESCE(?2, order_url), key_ref = COALESCE(?3, key_ref), status = ?4 WHERE id = ?1",
                params![id, order_url, key_ref, status],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    /// Journals a TXT value about to be presented; returns its row id.
    pub async fn journal_add(&self, r: JournalRow) -> AcmeResult<i64> {
        self.with(move |c| {
            c.execute(
                "INSERT INTO journal (order_id, provider_id, zone_name, zone_id, fqdn, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![r.order_id, r.provider_id, r.zone_name, r.zone_id, r.fqdn, r.value],
            )
            .map_err(db)?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    /// Forgets a journaled value once it is removed from DNS.
    pub async fn journal_remove(&self, id: i64) -> AcmeResult<()> {
        self.with(move |c| {
            c.execute("DELETE FROM journal WHERE id = ?1", [id])
                .map_err(db)?;
            Ok(())
        })
        .await
    }

    /// Journaled values (of `order_id`, or all).
    pub async fn journal(&self, order_id: Option<String>) -> AcmeResult<Vec<JournalRow>> {
        self.with(move |c| {
            let mut st = c
                .prepare("SELECT id, order_id, provider_id, zone_name, zone_id, fqdn, value FROM journal WHERE ?1 IS NULL OR order_id = ?1 ORDER BY id")
                .map_err(db)?;
            let rows = st
                .query_map([order_id], |r| {
                    Ok(JournalRow {
                        id: r.get(0)?,
                        order_id: r.get(1)?,
                        provider_id: r.get(2)?,
                        zone_name: r.get(3)?,
                        zone_id: r.get(4)?,
                        fqdn: r.get(5)?,
                        value: r.get(6)?,
                    })
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    /// Stores an issued certificate; a renewal also marks the one it
    /// replaces, in the same transaction.
    pub async fn insert_cert(&self, r: CertRow) -> AcmeResult<()> {
        self.with(move |c| {
            let tx = c.transaction().map_err(db)?;
            let l = &r.life;
            tx.execute(
                "INSERT INTO certificates (id, account_id, order_id, names, key_ref, key_type, serial, issuer, not_before, not_after, revoked, chain_pem, created_at, renewed_from, renew_at, window_start, window_end, ari_cert_id, ari_next_at, deploy_dir, deploy_include_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
                params![r.id, r.account_id, r.order_id, to_json(&r.names)?, r.key_ref, r.key_type, r.serial, r.issuer, r.not_before, r.not_after, r.revoked, r.chain_pem, r.created_at,
                    l.renewed_from, l.renew_at, l.window.as_ref().map(|w| &w.0), l.window.as_ref().map(|w| &w.1), l.ari_cert_id, l.ari_next_at,
                    l.deploy.as_ref().map(|d| &d.0), l.deploy.as_ref().is_some_and(|d| d.1)],
            )
            .map_err(db)?;
            if let Some(from) = &l.renewed_from {
                tx.execute(
                    "UPDATE certificates SET replaced_by = ?2 WHERE id = ?1",
                    params![from, r.id],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)?;
            Ok(())
        })
        .await
    }

    /// Stores an ARI answer: window, chosen renewal time, next fetch.
    pub async fn set_ari(
        &self,
        id: &str,
        window: Option<(String, String)>,
        renew_at: Option<String>,
        next_at: String,
    ) -> AcmeResult<()> {
        let id = id.to_string();
        self.with(move |c| {
            c.execute(
                "UPDATE certificates SET window_start = COALESCE(?2, window_start), window_end = COALESCE(?3, window_end), renew_at = COALESCE(?4, renew_at), ari_next_at = ?5 WHERE id = ?1",
                params![id, window.as_ref().map(|w| &w.0), window.as_ref().map(|w| &w.1), renew_at, next_at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    /// Marks a certificate revoked.
    pub async fn set_revoked(&self, id: &str) -> AcmeResult<()> {
        let id = id.to_string();
        self.with(move |c| {
            c.execute("UPDATE certificates SET revoked = 1 WHERE id = ?1", [id])
                .map_err(db)?;
            Ok(())
        })
        .await
    }

    /// Records an automatic renewal attempt's outcome.
    pub async fn set_renewal_outcome(
        &self,
        id: &str,
        error: Option<String>,
        failures: u32,
        next_attempt_at: Option<String>,
    ) -> AcmeResult<bool> {
        let id = id.to_string();
        self.with(move |c| {
            Ok(c.execute(
                "UPDATE certificates SET last_renewal_error = ?2, renewal_failures = ?3, next_attempt_at = ?4 WHERE id = ?1",
                params![id, error, failures, next_attempt_at],
            )
            .map_err(db)?
                > 0)
        })
        .await
    }

    /// Sets (or clears) the deployment target.
    pub async fn set_deploy(&self, id: &str, deploy: Option<(String, bool)>) -> AcmeResult<bool> {
        let id = id.to_string();
        self.with(move |c| {
            Ok(c.execute(
                "UPDATE certificates SET deploy_dir = ?2, deploy_include_key = ?3 WHERE id = ?1",
                params![
                    id,
                    deploy.as_ref().map(|d| &d.0),
                    deploy.as_ref().is_some_and(|d| d.1)
                ],
            )
            .map_err(db)?
                > 0)
        })
        .await
    }

    /// Certificates after id `after` (by creation), at most `limit`.
    pub async fn certs(&self) -> AcmeResult<Vec<CertRow>> {
        self.with(|c| {
            let mut st = c
                .prepare(&format!(
                    "SELECT {CERT_COLUMNS} FROM certificates ORDER BY created_at, id"
                ))
                .map_err(db)?;
            let rows = st
                .query_map([], cert_row)
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    /// One certificate.
    pub async fn cert(&self, id: &str) -> AcmeResult<Option<CertRow>> {
        let id = id.to_string();
        self.with(move |c| {
            c.query_row(
                &format!("SELECT {CERT_COLUMNS} FROM certificates WHERE id = ?1"),
                [id],
                cert_row,
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    /// Removes a certificate row.
    pub async fn delete_cert(&self, id: &str) -> AcmeResult<bool> {
        let id = id.to_string();
        self.with(move |c| {
            Ok(c.execute("DELETE FROM certificates WHERE id = ?1", [id])
                .map_err(db)?
                > 0)
        })
        .await
    }
}

const CERT_COLUMNS: &str = "id, account_id, order_id, names, key_ref, key_type, serial, issuer, not_before, not_after, revoked, chain_pem, created_at, renewed_from, replaced_by, renew_at, window_start, window_end, ari_cert_id, ari_next_at, last_renewal_error, renewal_failures, next_attempt_at, deploy_dir, deploy_include_key";

fn add_lifecycle_columns(conn: &Connection) -> AcmeResult<()> {
    let mut st = conn
        .prepare("SELECT name FROM pragma_table_info('certificates')")
        .map_err(db)?;
    let have = st
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    for (name, ty) in LIFECYCLE_COLUMNS {
        if !have.iter().any(|h| h == name) {
            conn.execute_batch(&format!("ALTER TABLE certificates ADD COLUMN {name} {ty}"))
                .map_err(db)?;
        }
    }
    Ok(())
}

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
    let contact: String = r.get(3)?;
    Ok(AccountRow {
        id: r.get(0)?,
        directory_url: r.get(1)?,
        account_url: r.get(2)?,
        contact: json_list(&contact)?,
        status: r.get(4)?,
        key_ref: r.get(5)?,
        ca_pem: r.get(6)?,
        created_at: r.get(7)?,
    })
}

fn cert_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CertRow> {
    let names: String = r.get(3)?;
    Ok(CertRow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        order_id: r.get(2)?,
        names: json_list(&names)?,
        key_ref: r.get(4)?,
        key_type: r.get(5)?,
        serial: r.get(6)?,
        issuer: r.get(7)?,
        not_before: r.get(8)?,
        not_after: r.get(9)?,
        revoked: r.get(10)?,
        chain_pem: r.get(11)?,
        created_at: r.get(12)?,
        life: Lifecycle {
            renewed_from: r.get(13)?,
            replaced_by: r.get(14)?,
            renew_at: r.get(15)?,
            window: match (
                r.get::<_, Option<String>>(16)?,
                r.get::<_, Option<String>>(17)?,
            ) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            },
            ari_cert_id: r.get(18)?,
            ari_next_at: r.get(19)?,
            last_renewal_error: r.get(20)?,
            renewal_failures: r.get(21)?,
            next_attempt_at: r.get(22)?,
            deploy: r
                .get::<_, Option<String>>(23)?
                .map(|d| Ok::<_, rusqlite::Error>((d, r.get::<_, bool>(24)?)))
                .transpose()?,
        },
    })
}
