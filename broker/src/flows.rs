//! Multi-step flows that span vault-proc and dns-proc, made all-or-nothing.
//!
//! Provider create: dns-proc validates and assigns the id → vault-proc stores
//! the token owned by that id → dns-proc stores the provider; a failure after
//! the token was stored deletes it again. A crash in between leaves at most a
//! token whose owner does not exist, which [`reconcile`] removes at the next
//! start. Provider delete is marked first and finished later if interrupted.

use std::collections::{BTreeMap, HashSet};

use shared::error::{ErrorCode, WireError, WireResult};
use shared::protocol::dns::{NewProvider, ProviderUpdate, ProviderWithWarnings};
use shared::protocol::dnsproc::{DnsRequest, DnsResponse, ProviderDraft};
use shared::protocol::secrets::{
    NewSecret, SecretFilter, SecretKind, SecretSelector, SecretType, SecretUpdate,
};
use shared::protocol::vault::{VaultRequest, VaultResponse};

use crate::router::{unexpected, Router};

/// The field name under which a provider token is stored (`api_key` type).
const TOKEN_FIELD: &str = "value";

fn token_data(
    token: shared::secret::SecretString,
) -> BTreeMap<String, shared::secret::SecretString> {
    let mut data = BTreeMap::new();
    data.insert(TOKEN_FIELD.to_string(), token);
    data
}

/// Checks that `secret_ref` (as reported by dns-proc) is `provider_id`'s own
/// token in the vault, so a confused or compromised dns-proc cannot steer a
/// permit, an overwrite or a delete onto another secret.
pub async fn verify_token_owner(
    router: &Router,
    provider_id: &str,
    secret_ref: &str,
) -> WireResult<()> {
    match router
        .vault(VaultRequest::Get(SecretSelector::Ref(
            secret_ref.to_string(),
        )))
        .await?
    {
        VaultResponse::Meta(m)
            if m.kind == SecretKind::DnsProviderToken
                && m.owner.as_deref() == Some(provider_id) =>
        {
            Ok(())
        }
        VaultResponse::Meta(_) => Err(WireError::forbidden(format!(
            "secret {secret_ref} is not the token of provider {provider_id}"
        ))),
        other => Err(unexpected(&other)),
    }
}

/// `dns_provider_create`.
pub async fn create_provider(
    router: &Router,
    new: NewProvider,
) -> WireResult<ProviderWithWarnings> {
    let NewProvider {
        provider_type,
        label,
        domain_suffixes,
        api_token,
        config_json,
    } = new;
    let api_token = api_token.filter(|t| !t.is_blank());
    let draft = ProviderDraft {
        provider_type,
        label,
        domain_suffixes,
        config_json,
        has_token: api_token.is_some(),
    };
    let prepared = match router.dns(DnsRequest::PrepareCreate(draft)).await? {
        DnsResponse::Prepared(p) => p,
        other => return Err(unexpected(&other)),
    };
    let secret_ref = match api_token {
        Some(token) if prepared.needs_token => {
            let secret = NewSecret {
                name: format!("dns_token_{}", prepared.id),
                secret_type: SecretType::ApiKey,
                kind: SecretKind::DnsProviderToken,
                data: token_data(token),
                label: Some(format!("{} API token", prepared.label)),
                description: Some(format!("API token of DNS provider {}", prepared.label)),
                tags: vec!["dns".into()],
                owner: Some(prepared.id.clone()),
                external: None,
            };
            match router.vault(VaultRequest::Create(secret)).await? {
                VaultResponse::Meta(m) => Some(m.reference),
                other => return Err(unexpected(&other)),
            }
        }
        _ => None,
    };
    shared::failpoint::hit("provider_create_after_secret");
    let id = prepared.id.clone();
    let commit = router
        .dns(DnsRequest::CommitCreate {
            prepared,
            secret_ref: secret_ref.clone(),
        })
        .await;
    match commit {
        Ok(DnsResponse::Provider(p)) => Ok(p),
        Err(e) if e.code == ErrorCode::Unavailable => {
            // The answer was lost (dns-proc died or restarted): the commit may
            // have landed. Ask the restarted dns-proc before undoing anything;
            // when it cannot say, keep the token — start-up reconcile removes
            // it if the provider really does not exist.
            match router.dns(DnsRequest::Get(id.clone())).await {
                Ok(DnsResponse::Provider(p)) => Ok(p),
                Err(g) if g.code == ErrorCode::NotFound => {
                    undo_token(router, secret_ref).await;
                    Err(e)
                }
                _ => Err(e),
            }
        }
        other => {
            undo_token(router, secret_ref).await;
            match other {
                Ok(o) => Err(unexpected(&o)),
                Err(e) => Err(e),
            }
        }
    }
}

/// Deletes the token of a provider whose creation certainly failed.
async fn undo_token(router: &Router, secret_ref: Option<String>) {
    if let Some(r) = secret_ref {
        if let Err(e) = router
            .vault(VaultRequest::Delete(SecretSelector::Ref(r.clone())))
            .await
        {
            // Reconcile at next start removes it; say so without the value.
            tracing::warn!(secret = %r, error = %e, "could not undo token of a failed provider create");
        }
    }
}

/// `dns_provider_update`.
pub async fn update_provider(
    router: &Router,
    mut upd: ProviderUpdate,
) -> WireResult<ProviderWithWarnings> {
    let token = upd.api_token.take().filter(|t| !t.is_blank());
    let prepared = match router
        .dns(DnsRequest::PrepareUpdate {
            update: upd.clone(),
            has_token: token.is_some(),
        })
        .await?
    {
        DnsResponse::PreparedUpdate(p) => p,
        other => return Err(unexpected(&other)),
    };
    if let Some(token) = token {
        let Some(secret_ref) = prepared.secret_ref else {
            return Err(
                WireError::validation("this provider type takes no API token")
                    .with_field("apiToken"),
            );
        };
        verify_token_owner(router, &prepared.id, &secret_ref).await?;
        let update = SecretUpdate {
            data: Some(token_data(token)),
            ..SecretUpdate::default()
        };
        match router
            .vault(VaultRequest::Update {
                selector: SecretSelector::Ref(secret_ref),
                update,
            })
            .await?
        {
            VaultResponse::Meta(_) => {}
            other => return Err(unexpected(&other)),
        }
    }
    match router.dns(DnsRequest::CommitUpdate(upd)).await? {
        DnsResponse::Provider(p) => Ok(p),
        other => Err(unexpected(&other)),
    }
}

/// `dns_provider_delete`.
pub async fn delete_provider(router: &Router, id: &str) -> WireResult<()> {
    let secret_ref = match router.dns(DnsRequest::DeleteBegin(id.to_string())).await? {
        DnsResponse::Deleting(r) => r,
        other => return Err(unexpected(&other)),
    };
    shared::failpoint::hit("provider_delete_after_mark");
    finish_delete(router, id, secret_ref).await
}

async fn finish_delete(router: &Router, id: &str, secret_ref: Option<String>) -> WireResult<()> {
    if let Some(r) = secret_ref {
        match verify_token_owner(router, id, &r).await {
            Ok(()) => {}
            // Already gone (an earlier attempt deleted it): finish the provider.
            Err(e) if e.code == ErrorCode::NotFound => {}
            Err(e) => return Err(e),
        }
        match router
            .vault(VaultRequest::Delete(SecretSelector::Ref(r)))
            .await
        {
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    match router.dns(DnsRequest::DeleteFinish(id.to_string())).await? {
        DnsResponse::Done => Ok(()),
        other => Err(unexpected(&other)),
    }
}

/// Repairs what an interrupted flow may have left: finishes marked deletes and
/// removes provider tokens whose provider does not exist. Runs at start-up,
/// before the UI is served, so no flow is in progress.
pub async fn reconcile(router: &Router) -> WireResult<()> {
    if let DnsResponse::DeletingList(list) = router.dns(DnsRequest::ListDeleting).await? {
        for (id, secret_ref) in list {
            tracing::info!(provider = %id, "finishing an interrupted provider delete");
            finish_delete(router, &id, secret_ref).await?;
        }
    }
    // TXT records an interrupted issuance left (dns-proc's journal).
    crate::acme_flows::reconcile(router).await?;
    let providers = match router.dns(DnsRequest::List).await? {
        DnsResponse::Providers(p) => p,
        other => return Err(unexpected(&other)),
    };
    let live: HashSet<String> = providers.iter().map(|p| p.id.clone()).collect();
    let filter = SecretFilter {
        kind: Some(SecretKind::DnsProviderToken),
        ..SecretFilter::default()
    };
    let tokens = match router.vault(VaultRequest::List(filter)).await? {
        VaultResponse::Metas(m) => m,
        other => return Err(unexpected(&other)),
    };
    for t in tokens {
        let orphan = t.owner.as_ref().is_none_or(|o| !live.contains(o));
        if orphan {
            tracing::info!(secret = %t.reference, "removing a provider token whose provider does not exist");
            router
                .vault(VaultRequest::Delete(SecretSelector::Ref(t.reference)))
                .await?;
        }
    }
    Ok(())
}
