//! The external provider's configuration: one row in `secrets.sqlite`, its
//! token a local secret (`external_provider_token`, owner `external_provider`).

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension};
use shared::protocol::secrets::{
    ExternalProviderConfig, ExternalProviderKind, ExternalProviderMeta, NewSecret, SecretKind,
    SecretSelector, SecretType, SecretUpdate,
};
use shared::secret::SecretString;

use crate::secrets::{SecretStore, VaultError};

/// Owner recorded on the token secret.
pub const TOKEN_OWNER: &str = "external_provider";
/// Name of the token secret.
pub const TOKEN_NAME: &str = "external_provider_token";

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS external_provider (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    mount TEXT NOT NULL,
    path_prefix TEXT,
    namespace TEXT,
    ca_pem TEXT,
    token_ref TEXT NOT NULL
)";

fn bad(field: &str, message: &str) -> VaultError {
    VaultError::validation(field, message)
}

fn check_segment(field: &str, v: &str) -> Result<(), VaultError> {
    let ok = !v.is_empty()
        && v.len() <= 256
        && v.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(bad(
            field,
            "use letters, digits, `-`, `_`, `.` and `/` (no empty or `..` segments)",
        ))
    }
}

fn validate(cfg: &ExternalProviderConfig) -> Result<(), VaultError> {
    let a = cfg.address.trim();
    let rest = a
        .strip_prefix("https://")
        .or_else(|| a.strip_prefix("http://"));
    if rest.is_none_or(|r| {
        r.is_empty() || r.contains(char::is_whitespace) || r.contains('?') || r.contains('#')
    }) {
        return Err(bad("address", "must be an http:// or https:// URL"));
    }
    check_segment("mount", cfg.mount.trim_matches('/'))?;
    if let Some(p) = cfg
        .path_prefix
        .as_deref()
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
    {
        check_segment("pathPrefix", p)?;
    }
    if let Some(n) = cfg.namespace.as_deref().filter(|n| !n.is_empty()) {
        check_segment("namespace", n.trim_matches('/'))?;
    }
    if cfg.token.is_blank() {
        return Err(bad("token", "must not be empty"));
    }
    if let Some(ca) = &cfg.ca_pem {
        if !ca.contains("-----BEGIN CERTIFICATE-----") {
            return Err(bad("caPem", "must be PEM certificates"));
        }
    }
    Ok(())
}

fn kind_str(k: ExternalProviderKind) -> &'static str {
    match k {
        ExternalProviderKind::Openbao => "openbao",
        ExternalProviderKind::Vault => "vault",
    }
}

/// Stores (or replaces) the configuration and its token.
pub fn set(
    store: &mut SecretStore,
    cfg: ExternalProviderConfig,
) -> Result<ExternalProviderMeta, VaultError> {
    validate(&cfg)?;
    store.connection().execute_batch(SCHEMA)?;
    let mut data = BTreeMap::new();
    data.insert("value".to_string(), SecretString::from(cfg.token.expose()));
    let token_ref = match store.get_meta(&SecretSelector::Name(TOKEN_NAME.into())) {
        Ok(m) => {
            store.update(
                &SecretSelector::Ref(m.reference.clone()),
                SecretUpdate {
                    data: Some(data),
                    ..Default::default()
                },
            )?;
            m.reference
        }
        Err(VaultError::NotFound { .. }) => {
            store
                .create(NewSecret {
                    name: TOKEN_NAME.into(),
                    secret_type: SecretType::ApiKey,
                    kind: SecretKind::Generic,
                    data,
                    label: Some("External secret provider token".into()),
                    description: Some(format!("Token for {}", cfg.address.trim())),
                    tags: vec!["external".into()],
                    owner: Some(TOKEN_OWNER.into()),
                    external: None,
                    binding: None,
                })?
                .reference
        }
        Err(e) => return Err(e),
    };
    let prefix = cfg
        .path_prefix
        .as_deref()
        .map(|p| p.trim_matches('/').to_string())
        .filter(|p| !p.is_empty());
    store.connection().execute(
        "INSERT OR REPLACE INTO external_provider (id, kind, address, mount, path_prefix, namespace, ca_pem, token_ref)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            kind_str(cfg.kind),
            cfg.address.trim().trim_end_matches('/'),
            cfg.mount.trim_matches('/'),
            prefix,
            cfg.namespace.as_deref().filter(|n| !n.is_empty()),
            cfg.ca_pem,
            token_ref
        ],
    )?;
    get(store)?.ok_or_else(|| VaultError::internal("external provider row missing after write"))
}

/// The stored configuration (metadata only), if any.
pub fn get(store: &SecretStore) -> Result<Option<ExternalProviderMeta>, VaultError> {
    store.connection().execute_batch(SCHEMA)?;
    Ok(store
        .connection()
        .query_row(
            "SELECT kind, address, mount, path_prefix, namespace, ca_pem IS NOT NULL, token_ref FROM external_provider WHERE id = 1",
            [],
            |r| {
                let kind: String = r.get(0)?;
                Ok(ExternalProviderMeta {
                    kind: if kind == "vault" { ExternalProviderKind::Vault } else { ExternalProviderKind::Openbao },
                    address: r.get(1)?,
                    mount: r.get(2)?,
                    path_prefix: r.get(3)?,
                    namespace: r.get(4)?,
                    has_ca: r.get(5)?,
                    token_ref: r.get(6)?,
                })
            },
        )
        .optional()?)
}

/// The CA bundle, when configured.
pub fn ca_pem(store: &SecretStore) -> Result<Option<String>, VaultError> {
    Ok(store
        .connection()
        .query_row(
            "SELECT ca_pem FROM external_provider WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// Removes the configuration and its token.
pub fn delete(store: &mut SecretStore) -> Result<(), VaultError> {
    if let Some(meta) = get(store)? {
        match store.delete(&SecretSelector::Ref(meta.token_ref)) {
            Ok(_) | Err(VaultError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    store
        .connection()
        .execute("DELETE FROM external_provider WHERE id = 1", [])?;
    Ok(())
}
