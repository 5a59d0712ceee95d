//! Multi-step flows that span vault-proc and dns-proc, made all-or-nothing.
//!
//! Provider create: dns-proc validates and assigns the id → vault-proc stores
//! the token owned by that id → dns-proc stores the provider; a failure after
//! the token was stored deletes it again. A crash in between leaves at most a
//! token whose owner does not exist, which the token sweep
//! (`crate::token_sweep`) removes after the next start. Provider delete is marked first and finished later if interrupted.

use std::collections::BTreeMap;

use shared::error::{ErrorCode, WireError, WireResult};
use shared::protocol::dns::{NewProvider, ProviderUpdate, ProviderWithWarnings};
use shared::protocol::dnsproc::{DnsRequest, DnsResponse, PreparedUpdate, ProviderDraft};
use shared::protocol::secrets::{
    NewSecret, SecretKind, SecretSelector, SecretType, SecretUpdate, TokenBinding,
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
    // Until the commit or the undo, the token sweep leaves this id's token alone.
    let _in_flight = router.creates().hold(&prepared.id);
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
                // Sealed with the value: the token opens for this provider and
                // this endpoint only (issue 13 item 6).
                binding: Some(TokenBinding {
                    owner: prepared.id.clone(),
                    endpoint: prepared.endpoint.clone(),
                }),
                allowed_hosts: None,
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
    let approval = prepared.approval.clone();
    let result = apply_update(router, upd, token, prepared).await;
    if let (Err(_), Some(a)) = (&result, approval) {
        // The flow failed: the endpoint approval must not outlive it.
        if let Err(e) = router.dns(DnsRequest::DropApproval(a)).await {
            tracing::warn!(error = %e, "could not drop an endpoint approval; it dies with dns-proc or the next prepare");
        }
    }
    result
}

/// The steps of `dns_provider_update` after dns-proc prepared it. A new token
/// is staged in the vault first and takes effect only once dns-proc has
/// committed the provider change, so a failure anywhere leaves the provider
/// and its token as they were (and a crash is settled by [`reconcile`]).
async fn apply_update(
    router: &Router,
    upd: ProviderUpdate,
    token: Option<shared::secret::SecretString>,
    prepared: PreparedUpdate,
) -> WireResult<ProviderWithWarnings> {
    let staged = match token {
        Some(token) => {
            let Some(secret_ref) = prepared.secret_ref.clone() else {
                return Err(
                    WireError::validation("this provider type takes no API token")
                        .with_field("apiToken"),
                );
            };
            verify_token_owner(router, &prepared.id, &secret_ref).await?;
            let update = SecretUpdate {
                data: Some(token_data(token)),
                // The new value is paired with the endpoint the provider moves to.
                binding: Some(TokenBinding {
                    owner: prepared.id.clone(),
                    endpoint: prepared.endpoint.clone(),
                }),
                ..SecretUpdate::default()
            };
            match router
                .vault(VaultRequest::StageUpdate {
                    selector: SecretSelector::Ref(secret_ref.clone()),
                    update,
                    guard: prepared.updated_at.clone(),
                })
                .await?
            {
                VaultResponse::Meta(_) => Some(secret_ref),
                other => return Err(unexpected(&other)),
            }
        }
        None => None,
    };
    shared::failpoint::hit("provider_update_after_stage");
    let id = prepared.id.clone();
    let guard = prepared.updated_at.clone();
    let commit = router
        .dns(DnsRequest::CommitUpdate {
            update: upd,
            approval: prepared.approval,
        })
        .await;
    let committed = match commit {
        Ok(DnsResponse::Provider(p)) => Ok(p),
        Ok(other) => Err(unexpected(&other)),
        // The answer was lost: the commit may have landed. The row's
        // updatedAt tells (a commit always moves it).
        Err(e) if e.code == ErrorCode::Unavailable => {
            match router.dns(DnsRequest::Get(id.clone())).await {
                Ok(DnsResponse::Provider(p)) if p.provider.updated_at != guard => Ok(p),
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    let Some(secret_ref) = staged else {
        return committed;
    };
    match committed {
        Ok(p) => {
            shared::failpoint::hit("provider_update_after_commit");
            settle_staged(router, &secret_ref, true).await?;
            Ok(p)
        }
        Err(e) => {
            if let Err(d) = settle_staged(router, &secret_ref, false).await {
                tracing::warn!(secret = %secret_ref, error = %d, "staged token not discarded; reconcile settles it at the next start");
            }
            Err(e)
        }
    }
}

/// Puts a staged token into force (`commit`) or drops it.
async fn settle_staged(router: &Router, secret_ref: &str, commit: bool) -> WireResult<()> {
    let selector = SecretSelector::Ref(secret_ref.to_string());
    let request = if commit {
        VaultRequest::CommitStaged(selector)
    } else {
        VaultRequest::DiscardStaged(selector)
    };
    match router.vault(request).await? {
        VaultResponse::Meta(_) | VaultResponse::Done => Ok(()),
        other => Err(unexpected(&other)),
    }
}

/// Settles token replacements that a crash interrupted: a staged token whose
/// provider moved on since it was staged (its updatedAt differs from the
/// guard) belongs to a committed change and takes effect; otherwise it is
/// dropped.
async fn settle_interrupted_updates(router: &Router) -> WireResult<()> {
    let staged = match router.vault(VaultRequest::ListStaged).await? {
        VaultResponse::Staged(s) => s,
        other => return Err(unexpected(&other)),
    };
    for (meta, guard) in staged {
        let committed = match &meta.owner {
            Some(owner) => match router.dns(DnsRequest::Get(owner.clone())).await {
                Ok(DnsResponse::Provider(p)) => p.provider.updated_at != guard,
                Err(e) if e.code == ErrorCode::NotFound => false,
                Ok(other) => return Err(unexpected(&other)),
                Err(e) => return Err(e),
            },
            None => false,
        };
        tracing::info!(
            secret = %meta.reference,
            committed,
            "settling an interrupted token replacement"
        );
        settle_staged(router, &meta.reference, committed).await?;
    }
    Ok(())
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

/// The one-time migration of tokens sealed before bindings existed: pairs
/// `secret_ref` with its provider and the provider's current endpoint (as
/// dns-proc reads it, through a `PrepareUpdate` that changes nothing).
/// vault-proc does nothing for a token already paired so, and refuses to
/// re-pair one paired with another endpoint; either way the start goes on,
/// and a token that stays unpaired or mispaired is refused at its next use.
pub async fn bind_token(router: &Router, provider_id: &str, secret_ref: &str) {
    let unchanged = ProviderUpdate {
        id: provider_id.to_string(),
        label: None,
        domain_suffixes: None,
        config_json: None,
        api_token: None,
    };
    let endpoint = match router
        .dns(DnsRequest::PrepareUpdate {
            update: unchanged,
            has_token: false,
        })
        .await
    {
        Ok(DnsResponse::PreparedUpdate(p)) => p.endpoint,
        Ok(other) => {
            tracing::warn!(error = %unexpected(&other), "cannot read a provider's endpoint");
            return;
        }
        Err(e) => {
            tracing::warn!(provider = %provider_id, error = %e, "cannot read a provider's endpoint");
            return;
        }
    };
    if let Err(e) = verify_token_owner(router, provider_id, secret_ref).await {
        tracing::warn!(provider = %provider_id, error = %e, "provider token not paired");
        return;
    }
    let update = SecretUpdate {
        binding: Some(TokenBinding {
            owner: provider_id.to_string(),
            endpoint,
        }),
        ..SecretUpdate::default()
    };
    let bound = router
        .vault(VaultRequest::Update {
            selector: SecretSelector::Ref(secret_ref.to_string()),
            update,
        })
        .await;
    if let Err(e) = bound {
        tracing::warn!(provider = %provider_id, error = %e, "provider token not paired with the stored endpoint (changed outside the core?)");
    }
}

/// Repairs what an interrupted flow left that the UI could trip over:
/// settles interrupted token replacements, finishes marked deletes and
/// removes an interrupted issuance's TXT records. Runs at start-up, before
/// the UI is served, so no flow is in progress; its cost follows what was
/// interrupted, not the number of providers. Orphan tokens and unpaired
/// tokens are the background sweep's (`crate::token_sweep`).
pub async fn reconcile(router: &Router) -> WireResult<()> {
    settle_interrupted_updates(router).await?;
    if let DnsResponse::DeletingList(list) = router.dns(DnsRequest::ListDeleting).await? {
        for (id, secret_ref) in list {
            tracing::info!(provider = %id, "finishing an interrupted provider delete");
            finish_delete(router, &id, secret_ref).await?;
        }
    }
    pair_unpaired_tokens(router).await?;
    // TXT records an interrupted issuance left (dns-proc's journal).
    crate::acme_flows::reconcile(router).await
}

/// Pairs every provider token sealed before pairings existed (the one-time
/// migration of [`bind_token`]), so its first use after the start finds it
/// paired. One empty index range once every token is paired.
async fn pair_unpaired_tokens(router: &Router) -> WireResult<()> {
    const PAGE: u32 = 500;
    let mut after = None;
    loop {
        let page = match router
            .vault(VaultRequest::UnpairedTokens {
                after: after.take(),
                limit: PAGE,
            })
            .await?
        {
            VaultResponse::Unpaired(p) => p,
            other => return Err(unexpected(&other)),
        };
        let full = page.len() == PAGE as usize;
        for (secret_ref, owner) in &page {
            // A token without an owner is the token sweep's.
            if let Some(owner) = owner {
                bind_token(router, owner, secret_ref).await;
            }
        }
        match page.last() {
            Some((last, _)) if full => after = Some(last.clone()),
            _ => return Ok(()),
        }
    }
}
