//! The external provider's configuration: one row in `secrets.sqlite` (its
//! table and queries are in `secrets/db.rs`), its token a local secret
//! (`external_provider_token`, owner `external_provider`). Token and row are
//! written in one transaction, so a failed set changes neither.

use std::collections::BTreeMap;

use shared::protocol::secrets::{
    ExternalProviderConfig, ExternalProviderMeta, NewSecret, SecretKind, SecretSelector,
    SecretType, SecretUpdate,
};
use shared::secret::SecretString;

use crate::secrets::db::{self, ExternalRow};
use crate::secrets::{SecretStore, VaultError};

/// Owner recorded on the token secret.
pub const TOKEN_OWNER: &str = "external_provider";
/// Name of the token secret.
pub const TOKEN_NAME: &str = "external_provider_token";

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

/// Stores (or replaces) the configuration and its token, all or nothing.
pub fn set(
    store: &mut SecretStore,
    cfg: ExternalProviderConfig,
) -> Result<ExternalProviderMeta, VaultError> {
    validate(&cfg)?;
    let mut data = BTreeMap::new();
    data.insert("value".to_string(), SecretString::from(cfg.token.expose()));
    let staged = match store.get_meta(&SecretSelector::Name(TOKEN_NAME.into())) {
        Ok(m) => store.stage_update(
            &SecretSelector::Ref(m.reference),
            SecretUpdate {
                data: Some(data),
                ..Default::default()
            },
        )?,
        Err(VaultError::NotFound { .. }) => store.stage_create(
            NewSecret {
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
            },
            None,
        )?,
        Err(e) => return Err(e),
    };
    let mut row = ExternalRow {
        kind: cfg.kind,
        address: cfg.address.trim().trim_end_matches('/').to_string(),
        mount: cfg.mount.trim_matches('/').to_string(),
        path_prefix: cfg
            .path_prefix
            .as_deref()
            .map(|p| p.trim_matches('/').to_string())
            .filter(|p| !p.is_empty()),
        namespace: cfg.namespace.clone().filter(|n| !n.is_empty()),
        ca_pem: cfg.ca_pem.clone(),
        token_ref: String::new(),
    };
    store.commit(staged, |tx, token| {
        row.token_ref = token.reference.clone();
        shared::failpoint::hit("external_set_after_token");
        db::external_put(tx, &row)
    })?;
    get(store)?.ok_or_else(|| VaultError::internal("external provider row missing after write"))
}

/// The stored configuration (metadata only), if any.
pub fn get(store: &SecretStore) -> Result<Option<ExternalProviderMeta>, VaultError> {
    Ok(
        db::external_get(store.connection())?.map(|r| ExternalProviderMeta {
            kind: r.kind,
            address: r.address,
            mount: r.mount,
            path_prefix: r.path_prefix,
            namespace: r.namespace,
            has_ca: r.ca_pem.is_some(),
            token_ref: r.token_ref,
        }),
    )
}

/// The CA bundle, when configured.
pub fn ca_pem(store: &SecretStore) -> Result<Option<String>, VaultError> {
    Ok(db::external_get(store.connection())?.and_then(|r| r.ca_pem))
}

/// Removes the configuration and its token, in one transaction.
pub fn delete(store: &mut SecretStore) -> Result<(), VaultError> {
    let Some(row) = db::external_get(store.connection())? else {
        return Ok(());
    };
    match store.delete_with(&SecretSelector::Ref(row.token_ref), db::external_delete) {
        Ok(_) => Ok(()),
        // The token is already gone: remove the row alone.
        Err(VaultError::NotFound { .. }) => store.transact(db::external_delete),
        Err(e) => Err(e),
    }
}
