//! The append-only audit table of key exports, in `secrets.sqlite`
//! (`audit_log`): the one deliberate exit of key material is recorded here
//! before the key file is written, and a failed write is recorded too.
//! SQLite triggers refuse every UPDATE and DELETE (`secrets/db.rs`), so no
//! request of the core, and no later code path, can rewrite the history;
//! only someone editing the file outside the core can.

use rusqlite::{params, Connection};
use shared::error::{WireError, WireResult};
use shared::protocol::acme::{AuditAction, AuditEntry};

fn db(e: rusqlite::Error) -> WireError {
    WireError::internal(format!("audit log: {e}"))
}

/// Appends one entry; returns its id.
pub fn append(
    conn: &Connection,
    action: AuditAction,
    certificate_id: &str,
    path: &str,
) -> WireResult<i64> {
    let at = shared::clock::now();
    conn.execute(
        "INSERT INTO audit_log (at, action, certificate_id, path) VALUES (?1, ?2, ?3, ?4)",
        params![at, action.as_str(), certificate_id, path],
    )
    .map_err(db)?;
    Ok(conn.last_insert_rowid())
}

/// Entries after id `after`, oldest first, at most `limit`; and the cursor
/// of the next page (`None` on the last).
pub fn list(
    conn: &Connection,
    after: Option<i64>,
    limit: u32,
) -> WireResult<(Vec<AuditEntry>, Option<i64>)> {
    let limit = limit.clamp(1, 2000);
    let mut st = conn
        .prepare(
            "SELECT id, at, action, certificate_id, path FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2",
        )
        .map_err(db)?;
    let rows = st
        .query_map(params![after.unwrap_or(0), i64::from(limit) + 1], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    let mut out = Vec::new();
    for (id, at, action, certificate_id, path) in rows {
        let action = action
            .parse::<AuditAction>()
            .map_err(|_| WireError::internal("audit log: unknown action"))?;
        out.push(AuditEntry {
            id,
            at,
            action,
            certificate_id,
            path,
        });
    }
    let next = if out.len() > limit as usize {
        out.truncate(limit as usize);
        out.last().map(|e| e.id)
    } else {
        None
    };
    Ok((out, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_append_page_and_cannot_be_changed() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::secrets::db::open(dir.path()).unwrap();
        for i in 0..5 {
            append(
                &conn,
                AuditAction::KeyExport,
                &format!("cert_{i}"),
                "/x/privkey.pem",
            )
            .unwrap();
        }
        let (page, next) = list(&conn, None, 2).unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(page[0].certificate_id, "cert_0");
        let (page2, _) = list(&conn, next, 10).unwrap();
        assert_eq!(page2.len(), 3);
        assert_eq!(page2[0].certificate_id, "cert_2");
        assert!(conn
            .execute("UPDATE audit_log SET path = 'elsewhere'", [])
            .unwrap_err()
            .to_string()
            .contains("append-only"));
        assert!(conn
            .execute("DELETE FROM audit_log", [])
            .unwrap_err()
            .to_string()
            .contains("append-only"));
        assert_eq!(list(&conn, None, 100).unwrap().0.len(), 5);
    }
}
