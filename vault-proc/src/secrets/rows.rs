//! Typed access to rows of `secret_metadata`.
//!
//! One struct mirrors one row, so the store reasons about secrets, not SQL.
//! Tags and field names are JSON arrays in the row; values only ever appear
//! as `nonce` + `ciphertext`. Callers pass a `Connection` or a `Transaction`
//! (which derefs to one); every write path of the store runs in a transaction.

use rusqlite::{params, Connection, OptionalExtension, Row};
use shared::protocol::secrets::{SecretKind, SecretType};

use super::error::{VaultError, VaultResult};

/// One row of `secret_metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRow {
    /// Reference id (`sec_…`).
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Kind.
    pub kind: SecretKind,
    /// Type.
    pub secret_type: SecretType,
    /// Label.
    pub label: String,
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Field names of the data (never values).
    pub fields: Vec<String>,
    /// Owning entity.
    pub owner: Option<String>,
    /// Bearer token expiry, RFC 3339 UTC.
    pub expires_at: Option<String>,
    /// Path in the external provider, for externally sourced secrets.
    pub external_path: Option<String>,
    /// RFC 3339 UTC creation time.
    pub created_at: String,
    /// RFC 3339 UTC last update time.
    pub updated_at: String,
    /// AES-GCM nonce of the ciphertext.
    pub nonce: Option<Vec<u8>>,
    /// Sealed data; `None` for external-only secrets (and legacy rows).
    pub ciphertext: Option<Vec<u8>>,
    /// A provider token's pairing: the canonical endpoint, `""` for a cloud
    /// API, `None` when sealed before bindings existed (part of the AAD).
    pub token_binding: Option<String>,
    /// The public half of a key (JSON of `PublicKeyMeta`), for key kinds.
    pub public_key: Option<String>,
    /// Canonical JSON list of the hosts a workflow may send the value to
    /// (part of the AAD); `None`: not usable in an `http_request`.
    pub allowed_hosts: Option<String>,
}

const COLUMNS: &str = "id, name, kind, type, label, description, tags, fields, owner, \
                       expires_at, external_path, created_at, updated_at, nonce, ciphertext, \
                       token_binding, public_key, allowed_hosts";

fn json_list(s: Option<String>) -> Vec<String> {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn to_json(v: &[String]) -> VaultResult<String> {
    serde_json::to_string(v).map_err(|e| VaultError::internal(format!("cannot encode list: {e}")))
}

fn bad_column(idx: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        format!("invalid {what} in secret_metadata").into(),
    )
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<SecretRow> {
    let kind: String = r.get(2)?;
    let ty: String = r.get(3)?;
    Ok(SecretRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: SecretKind::parse(&kind).ok_or_else(|| bad_column(2, "kind"))?,
        secret_type: SecretType::parse(&ty).ok_or_else(|| bad_column(3, "type"))?,
        label: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
        description: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
        tags: json_list(r.get(6)?),
        fields: json_list(r.get(7)?),
        owner: r.get(8)?,
        expires_at: r.get(9)?,
        external_path: r.get(10)?,
        created_at: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        updated_at: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        nonce: r.get(13)?,
        ciphertext: r.get(14)?,
        token_binding: r.get(15)?,
        public_key: r.get(16)?,
        allowed_hosts: r.get(17)?,
    })
}

/// The row with reference id `id`.
pub fn by_id(conn: &Connection, id: &str) -> VaultResult<Option<SecretRow>> {
    let sql = format!("SELECT {COLUMNS} FROM secret_metadata WHERE id = ?1");
    // Cached: the reveal path runs this on every call.
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// The row named `name`.
pub fn by_name(conn: &Connection, name: &str) -> VaultResult<Option<SecretRow>> {
    let sql = format!("SELECT {COLUMNS} FROM secret_metadata WHERE name = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([name], from_row)
        .optional()?)
}

/// Rows named after `after` (all when `None`), optionally of one kind and/or
/// type, in name order, handed to `each` until it returns false: a page reads
/// only its own range of the name index. Old-format rows still lacking a
/// name, kind or type are skipped, as in [`list`].
pub fn scan_after(
    conn: &Connection,
    kind: Option<SecretKind>,
    secret_type: Option<SecretType>,
    after: Option<&str>,
    mut each: impl FnMut(SecretRow) -> bool,
) -> VaultResult<()> {
    let range = if after.is_some() {
        "name > ?3"
    } else {
        "?3 IS NULL"
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM secret_metadata
         WHERE {range} AND (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR type = ?2)
           AND name IS NOT NULL AND kind IS NOT NULL AND type IS NOT NULL
         ORDER BY name"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![
        kind.map(SecretKind::as_str),
        secret_type.map(SecretType::as_str),
        after
    ])?;
    while let Some(r) = rows.next()? {
        if !each(from_row(r)?) {
            break;
        }
    }
    Ok(())
}

/// Rows, optionally of one kind and/or type, ordered by name. Old-format rows
/// still lacking a name, kind or type (awaiting migration) are skipped.
pub fn list(
    conn: &Connection,
    kind: Option<SecretKind>,
    secret_type: Option<SecretType>,
) -> VaultResult<Vec<SecretRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM secret_metadata
         WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR type = ?2)
           AND name IS NOT NULL AND kind IS NOT NULL AND type IS NOT NULL
         ORDER BY name"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(
        params![
            kind.map(SecretKind::as_str),
            secret_type.map(SecretType::as_str)
        ],
        from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Inserts a new row. A duplicate name becomes [`VaultError::Conflict`].
pub fn insert(conn: &Connection, row: &SecretRow) -> VaultResult<()> {
    let sql = format!(
        "INSERT INTO secret_metadata ({COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
    );
    let result = conn.prepare_cached(&sql)?.execute(params![
        row.id,
        row.name,
        row.kind.as_str(),
        row.secret_type.as_str(),
        row.label,
        row.description,
        to_json(&row.tags)?,
        to_json(&row.fields)?,
        row.owner,
        row.expires_at,
        row.external_path,
        row.created_at,
        row.updated_at,
        row.nonce,
        row.ciphertext,
        row.token_binding,
        row.public_key,
        row.allowed_hosts,
    ]);
    match result {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(VaultError::Conflict {
                name: row.name.clone(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Rewrites every mutable column of the row with `row.id` (id and created_at stay).
pub fn update(conn: &Connection, row: &SecretRow) -> VaultResult<()> {
    let n = conn.execute(
        "UPDATE secret_metadata SET
            name = ?2, kind = ?3, type = ?4, label = ?5, description = ?6, tags = ?7,
            fields = ?8, owner = ?9, expires_at = ?10, external_path = ?11,
            updated_at = ?12, nonce = ?13, ciphertext = ?14, token_binding = ?15,
            public_key = ?16, allowed_hosts = ?17
         WHERE id = ?1",
        params![
            row.id,
            row.name,
            row.kind.as_str(),
            row.secret_type.as_str(),
            row.label,
            row.description,
            to_json(&row.tags)?,
            to_json(&row.fields)?,
            row.owner,
            row.expires_at,
            row.external_path,
            row.updated_at,
            row.nonce,
            row.ciphertext,
            row.token_binding,
            row.public_key,
            row.allowed_hosts,
        ],
    )?;
    if n == 1 {
        Ok(())
    } else {
        Err(VaultError::not_found(format!("secret {}", row.id)))
    }
}

/// Deletes the row with reference id `id`; returns whether one existed.
pub fn delete(conn: &Connection, id: &str) -> VaultResult<bool> {
    Ok(conn.execute("DELETE FROM secret_metadata WHERE id = ?1", [id])? == 1)
}

/// Deletes every row owned by `owner`; returns how many.
pub fn delete_by_owner(conn: &Connection, owner: &str) -> VaultResult<usize> {
    Ok(conn.execute("DELETE FROM secret_metadata WHERE owner = ?1", [owner])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str) -> SecretRow {
        SecretRow {
            id: id.into(),
            name: name.into(),
            kind: SecretKind::Generic,
            secret_type: SecretType::ApiKey,
            label: "l".into(),
            description: String::new(),
            tags: vec!["t".into()],
            fields: vec!["value".into()],
            owner: Some("o".into()),
            expires_at: None,
            external_path: None,
            created_at: "2024-01-01T00:00:00Z".into(),
            updated_at: "2024-01-01T00:00:00Z".into(),
            nonce: Some(vec![0; 12]),
            ciphertext: Some(vec![1, 2, 3]),
            token_binding: None,
            public_key: None,
            allowed_hosts: None,
        }
    }

    #[test]
    fn crud() -> VaultResult<()> {
        let dir = tempfile::tempdir().map_err(|e| VaultError::internal(e.to_string()))?;
        let conn = super::super::db::open(dir.path())?;
        insert(&conn, &row("sec_1", "a"))?;
        insert(&conn, &row("sec_2", "b"))?;
        assert!(matches!(
            insert(&conn, &row("sec_3", "a")),
            Err(VaultError::Conflict { .. })
        ));
        assert_eq!(by_id(&conn, "sec_1")?, Some(row("sec_1", "a")));
        assert_eq!(by_name(&conn, "b")?.map(|r| r.id), Some("sec_2".to_owned()));
        let mut r = row("sec_1", "a");
        r.label = "new".into();
        update(&conn, &r)?;
        assert_eq!(
            by_id(&conn, "sec_1")?.map(|r| r.label),
            Some("new".to_owned())
        );
        assert_eq!(list(&conn, None, None)?.len(), 2);
        assert_eq!(
            list(&conn, Some(SecretKind::AcmeAccountKey), None)?.len(),
            0
        );
        assert_eq!(list(&conn, None, Some(SecretType::ApiKey))?.len(), 2);
        assert!(delete(&conn, "sec_1")?);
        assert!(!delete(&conn, "sec_1")?);
        assert_eq!(delete_by_owner(&conn, "o")?, 1);
        assert!(list(&conn, None, None)?.is_empty());
        Ok(())
    }
}
