//! ACME flows across vault-proc and dns-proc: account creation (key made
//! or checked in vault-proc, EAB HMAC key stored there, registration by
//! dns-proc under an ACME permit), account deletion, issuance (provider
//! token permits + an ACME order permit, all through [`PermitGuard`], held
//! for exactly the run), renewal (the same path for the certificate's
//! account, names and key type), revocation (signed with the account key
//! under an account permit), certificate deletion (the key too, unless a
//! renewal kept it), and the start-up cleanup of TXT records an
//! interrupted order left.
//!
//! Security rule enforced here: dns-proc can sign only with the keys, at
//! the directory origin and for the names the broker put in the permit,
//! and only while the operation runs.

use std::collections::BTreeMap;
use std::time::Duration;

use shared::error::{ErrorCode, WireError, WireResult};
use shared::protocol::acme::{
    AccountRegistration, AcmeAccountMeta, CertificateMeta, IssueOutcome, IssueParams, IssuePlan,
    NewAcmeAccount, RenewParams, RevokeParams,
};
use shared::protocol::dnsproc::{DnsEvent, DnsRequest, DnsResponse};
use shared::protocol::keys::NewKey;
use shared::protocol::secrets::{NewSecret, SecretKind, SecretSelector, SecretType};
use shared::protocol::ui::{UiEvent, UiResponse};
use shared::protocol::vault::{AcmeGrant, AcmePurpose, PermitScope, VaultRequest, VaultResponse};
use shared::rpc::EventSink;
use tokio::sync::mpsc;

use crate::cert_events::{after_certificate, CertChange};
use crate::flows::verify_token_owner;
use crate::permit::PermitGuard;
use crate::router::{unexpected, Router};

/// Lifetime of an account operation's permit.
const ACCOUNT_PERMIT: Duration = Duration::from_secs(120);
/// Default issuance timeout (seconds).
const DEFAULT_ISSUE_SECS: u64 = 300;
/// Extra time the dns-proc call gets beyond the issuance timeout (cleanup).
const ISSUE_SLACK: Duration = Duration::from_secs(120);

fn new_id(prefix: &str) -> WireResult<String> {
    shared::ids::random_hex::<16>()
        .map(|h| format!("{prefix}{h}"))
        .map_err(|e| WireError::internal(e.to_string()))
}

async fn delete_secret(router: &Router, reference: &str) {
    match router
        .vault(VaultRequest::Delete(SecretSelector::Ref(
            reference.to_string(),
        )))
        .await
    {
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::NotFound => {}
        Err(e) => tracing::warn!(secret = %reference, error = %e, "could not delete a key"),
    }
}

/// `acme_account_create`.
pub async fn create_account(router: &Router, new: NewAcmeAccount) -> WireResult<AcmeAccountMeta> {
    for c in &new.contact {
        if !c.starts_with("mailto:") || c.len() > 320 || c.chars().any(char::is_control) {
            return Err(
                WireError::validation("contact entries must be mailto: URLs").with_field("contact"),
            );
        }
    }
    let info = match router
        .dns(DnsRequest::AcmeDirectory {
            directory_url: new.directory_url.clone(),
            ca_pem: new.ca_pem.clone(),
        })
        .await?
    {
        DnsResponse::AcmeDirectory(i) => i,
        other => return Err(unexpected(&other)),
    };
    if let (Some(terms), false) = (&info.terms_of_service, new.terms_of_service_agreed) {
        // The URL in <…> (RFC 3986 appendix C) lets a UI link the terms.
        return Err(WireError::validation(format!(
            "the CA has terms of service <{terms}>: termsOfServiceAgreed must be true"
        ))
        .with_field("termsOfServiceAgreed"));
    }
    if info.external_account_required && new.eab.is_none() {
        return Err(
            WireError::validation("this CA requires an external account binding (eab)")
                .with_field("eab"),
        );
    }
    let id = new_id("acct_")?;
    // The account key: an imported one (checked), or a new one owned by the account.
    let (key_ref, made_key) = match &new.key_ref {
        Some(r) => {
            match router
                .vault(VaultRequest::Get(SecretSelector::Ref(r.clone())))
                .await?
            {
                VaultResponse::Meta(m) if m.kind == SecretKind::AcmeAccountKey => {
                    (m.reference, false)
                }
                VaultResponse::Meta(_) => {
                    return Err(WireError::validation("keyRef is not an acme_account_key")
                        .with_field("keyRef"))
                }
                other => return Err(unexpected(&other)),
            }
        }
        None => match router
            .vault(VaultRequest::KeyCreate(NewKey {
                kind: SecretKind::AcmeAccountKey,
                key_type: new.key_type.unwrap_or_default(),
                name: None,
                label: Some(format!("ACME account {id}")),
                description: Some(new.directory_url.clone()),
                tags: vec![],
                owner: Some(id.clone()),
            }))
            .await?
        {
            VaultResponse::Meta(m) => (m.reference, true),
            other => return Err(unexpected(&other)),
        },
    };
    let mut hmac_ref = None;
    let result = async {
        if let Some(eab) = new.eab.clone() {
            let mut data = BTreeMap::new();
            data.insert("value".to_string(), eab.hmac_key);
            let meta = router
                .vault(VaultRequest::Create(NewSecret {
                    name: format!("{id}_eab"),
                    secret_type: SecretType::ApiKey,
                    kind: SecretKind::AcmeAccountKey,
                    data,
                    label: Some(format!("EAB HMAC key of {id}")),
                    description: None,
                    tags: vec![],
                    owner: Some(id.clone()),
                    external: None,
                    binding: None,
                    allowed_hosts: None,
                }))
                .await?;
            match meta {
                VaultResponse::Meta(m) => hmac_ref = Some((eab.kid, m.reference)),
                other => return Err(unexpected(&other)),
            }
        }
        let mut key_refs = vec![key_ref.clone()];
        if let Some((_, r)) = &hmac_ref {
            key_refs.push(r.clone());
        }
        let guard = router
            .grant_permit(
                PermitScope::Acme(AcmeGrant {
                    purpose: AcmePurpose::Account(id.clone()),
                    key_refs,
                    directory_origin: info.origin.clone(),
                    names: vec![],
                }),
                ACCOUNT_PERMIT,
            )
            .await?;
        let answer = router
            .dns(DnsRequest::AcmeAccountRegister(AccountRegistration {
                id: id.clone(),
                directory_url: new.directory_url.clone(),
                contact: new.contact.clone(),
                terms_agreed: new.terms_of_service_agreed,
                key_ref: key_ref.clone(),
                lookup_first: !made_key,
                eab: hmac_ref.clone(),
                ca_pem: new.ca_pem.clone(),
            }))
            .await;
        guard.revoke().await;
        match answer? {
            DnsResponse::AcmeAccount(m) => Ok(m),
            other => Err(unexpected(&other)),
        }
    }
    .await;
    if result.is_err() {
        // All-or-nothing: what this flow stored goes again.
        if made_key {
            delete_secret(router, &key_ref).await;
        }
        if let Some((_, r)) = &hmac_ref {
            delete_secret(router, r).await;
        }
    }
    result
}

/// `acme_account_delete`.
pub async fn delete_account(router: &Router, id: &str, deactivate: bool) -> WireResult<()> {
    let (account, origin) = match router
        .dns(DnsRequest::AcmeAccountGet(id.to_string()))
        .await?
    {
        DnsResponse::AcmeAccountOrigin(m, o) => (m, o),
        other => return Err(unexpected(&other)),
    };
    let guard = if deactivate {
        Some(
            router
                .grant_permit(
                    PermitScope::Acme(AcmeGrant {
                        purpose: AcmePurpose::Account(account.id.clone()),
                        key_refs: vec![account.key_ref.clone()],
                        directory_origin: origin,
                        names: vec![],
                    }),
                    ACCOUNT_PERMIT,
                )
                .await?,
        )
    } else {
        None
    };
    let answer = router
        .dns(DnsRequest::AcmeAccountDelete {
            id: id.to_string(),
            deactivate,
        })
        .await;
    if let Some(g) = guard {
        g.revoke().await;
    }
    match answer? {
        DnsResponse::Done => {}
        other => return Err(unexpected(&other)),
    }
    // Keys this account owns (generated for it, its EAB HMAC key) go with it;
    // an imported key stays with the user.
    if let VaultResponse::Metas(all) = router
        .vault(VaultRequest::List(
            shared::protocol::secrets::SecretFilter {
                kind: Some(SecretKind::AcmeAccountKey),
                ..Default::default()
            },
        ))
        .await?
    {
        for m in all.into_iter().filter(|m| m.owner.as_deref() == Some(id)) {
            delete_secret(router, &m.reference).await;
        }
    }
    Ok(())
}

/// Grants what `plan` needs: each provider's token, and the ACME order.
async fn grant_for(
    router: &Router,
    plan: &IssuePlan,
    ttl: Duration,
) -> WireResult<Vec<PermitGuard>> {
    let mut guards = Vec::new();
    for (provider_id, secret_ref) in &plan.providers {
        verify_token_owner(router, provider_id, secret_ref).await?;
        guards.push(
            router
                .grant_permit(
                    PermitScope::ProviderToken {
                        provider_id: provider_id.clone(),
                        secret_ref: secret_ref.clone(),
                    },
                    ttl,
                )
                .await?,
        );
    }
    // A renewal that keeps its key names that key too (for the CSR).
    let mut key_refs = vec![plan.account.key_ref.clone()];
    key_refs.extend(plan.reuse_key_ref.iter().cloned());
    guards.push(
        router
            .grant_permit(
                PermitScope::Acme(AcmeGrant {
                    purpose: AcmePurpose::Order(plan.order_id.clone()),
                    key_refs,
                    directory_origin: plan.directory_origin.clone(),
                    names: plan.names.clone(),
                }),
                ttl,
            )
            .await?,
    );
    Ok(guards)
}

/// `certificate_issue`.
pub async fn issue(
    router: &Router,
    params: IssueParams,
    events: EventSink<UiEvent>,
) -> WireResult<UiResponse> {
    let timeout_secs = params
        .timeout_secs
        .unwrap_or(DEFAULT_ISSUE_SECS)
        .clamp(1, 3600);
    let plan = match router
        .dns(DnsRequest::IssuePrepare {
            account_id: params.account_id,
            names: params.names,
            key_type: params.key_type.unwrap_or_default(),
        })
        .await?
    {
        DnsResponse::IssuePlan(p) => p,
        other => return Err(unexpected(&other)),
    };
    let outcome = run_plan(router, &plan, timeout_secs, Some(events)).await?;
    if let Some(c) = outcome.certificate.as_ref().filter(|_| outcome.success) {
        after_certificate(router, c, CertChange::Issued).await;
    }
    Ok(UiResponse::IssueOutcome(outcome))
}

/// `certificate_renew` (and the automatic renewal, without `events`): the
/// issuance path with the certificate's account, names and key type, a new
/// key unless `reuse_key`, `replaces` when the CA has ARI; then
/// [`after_certificate`] (re-export to `deployTo`).
pub async fn renew(
    router: &Router,
    params: RenewParams,
    events: Option<EventSink<UiEvent>>,
) -> WireResult<IssueOutcome> {
    let timeout_secs = params
        .timeout_secs
        .unwrap_or(DEFAULT_ISSUE_SECS)
        .clamp(1, 3600);
    let plan = match router
        .dns(DnsRequest::RenewPrepare {
            certificate_id: params.certificate_id,
            reuse_key: params.reuse_key,
        })
        .await?
    {
        DnsResponse::IssuePlan(p) => p,
        other => return Err(unexpected(&other)),
    };
    let outcome = run_plan(router, &plan, timeout_secs, events).await?;
    if let Some(c) = outcome.certificate.as_ref().filter(|_| outcome.success) {
        after_certificate(router, c, CertChange::Renewed).await;
    }
    Ok(outcome)
}

/// Runs a prepared order under its permits; progress to `events`.
async fn run_plan(
    router: &Router,
    plan: &IssuePlan,
    timeout_secs: u64,
    events: Option<EventSink<UiEvent>>,
) -> WireResult<IssueOutcome> {
    let ttl = Duration::from_secs(timeout_secs) + ISSUE_SLACK;
    let guards = grant_for(router, plan, ttl).await?;
    let dns = router.dns_client().await?;
    let dns_id = dns.alloc_id();
    let ui_id = events.as_ref().map(EventSink::request_id);
    if let Some(ui_id) = ui_id {
        router.track_issue(ui_id, Some(dns_id));
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<DnsEvent>();
    let forward = tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if let (DnsEvent::IssueProgress(p), Some(events)) = (ev, &events) {
                events
                    .send::<UiResponse>(UiEvent::CertificateProgress(p))
                    .await;
            }
        }
    });
    let result = dns
        .call_as(
            dns_id,
            DnsRequest::Issue {
                order_id: plan.order_id.clone(),
                timeout_secs,
            },
            Duration::from_secs(timeout_secs) + ISSUE_SLACK,
            Some(tx),
        )
        .await;
    let _ = forward.await;
    if let Some(ui_id) = ui_id {
        router.track_issue(ui_id, None);
    }
    let answer = match result {
        Ok(DnsResponse::IssueOutcome(outcome, dead_key)) => {
            if let Some(k) = dead_key {
                delete_secret(router, &k).await;
            }
            Ok(outcome)
        }
        Ok(other) => Err(unexpected(&other)),
        Err(e) => {
            // dns-proc died mid-order (or the call broke): the supervisor
            // restarts it; its journal lists what was presented, and the
            // permits are still held, so the records go now.
            tracing::warn!(error = %e, order = %plan.order_id, "issuance interrupted; cleaning up from the journal");
            cleanup_after_crash(router, &plan.order_id).await;
            Err(e)
        }
    };
    for g in guards {
        g.revoke().await;
    }
    answer
}

/// `certificate_revoke`: signed by the certificate's account key, in
/// vault-proc, under an ACME account permit held for the call only.
pub async fn revoke(router: &Router, params: RevokeParams) -> WireResult<CertificateMeta> {
    let cert = match router
        .dns(DnsRequest::CertificateGet(params.certificate_id.clone()))
        .await?
    {
        DnsResponse::Certificate(c) => c,
        other => return Err(unexpected(&other)),
    };
    let (account, origin) = match router
        .dns(DnsRequest::AcmeAccountGet(cert.meta.account_id.clone()))
        .await?
    {
        DnsResponse::AcmeAccountOrigin(m, o) => (m, o),
        other => return Err(unexpected(&other)),
    };
    let guard = router
        .grant_permit(
            PermitScope::Acme(AcmeGrant {
                purpose: AcmePurpose::Account(account.id.clone()),
                key_refs: vec![account.key_ref.clone()],
                directory_origin: origin,
                names: vec![],
            }),
            ACCOUNT_PERMIT,
        )
        .await?;
    let answer = router
        .dns(DnsRequest::Revoke {
            certificate_id: params.certificate_id,
            reason: params.reason,
        })
        .await;
    guard.revoke().await;
    match answer? {
        DnsResponse::Certificate(c) => Ok(c.meta),
        other => Err(unexpected(&other)),
    }
}

async fn cleanup_after_crash(router: &Router, order_id: &str) {
    for attempt in 0..50 {
        match router
            .dns(DnsRequest::JournalCleanup {
                order_id: Some(order_id.to_string()),
            })
            .await
        {
            Ok(DnsResponse::JournalLeft(left)) if left.is_empty() => return,
            Ok(DnsResponse::JournalLeft(left)) => {
                tracing::warn!(?left, "records left after an interrupted order");
                return;
            }
            Ok(_) => return,
            Err(e) => {
                tracing::debug!(attempt, error = %e, "dns-proc not back yet");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Start-up: removes TXT records an interrupted order left (journal).
pub async fn reconcile(router: &Router) -> WireResult<()> {
    let refs = match router.dns(DnsRequest::JournalProviders).await? {
        DnsResponse::ProviderRefs(r) => r,
        other => return Err(unexpected(&other)),
    };
    if refs.is_empty() {
        return Ok(());
    }
    let mut guards = Vec::new();
    for (provider_id, secret_ref) in refs {
        verify_token_owner(router, &provider_id, &secret_ref).await?;
        guards.push(
            router
                .grant_permit(
                    PermitScope::ProviderToken {
                        provider_id,
                        secret_ref,
                    },
                    ACCOUNT_PERMIT,
                )
                .await?,
        );
    }
    let answer = router
        .dns(DnsRequest::JournalCleanup { order_id: None })
        .await;
    for g in guards {
        g.revoke().await;
    }
    if let DnsResponse::JournalLeft(left) = answer? {
        if !left.is_empty() {
            tracing::warn!(?left, "journaled records could not be removed");
        }
    }
    Ok(())
}

/// Every certificate (all pages).
pub async fn all_certificates(router: &Router) -> WireResult<Vec<CertificateMeta>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        match router
            .dns(DnsRequest::CertificateList {
                after: after.clone(),
                limit: 2000,
            })
            .await?
        {
            DnsResponse::Certificates(page, next) => {
                out.extend(page);
                match next {
                    Some(n) => after = Some(n),
                    None => return Ok(out),
                }
            }
            other => return Err(unexpected(&other)),
        }
    }
}

/// `certificate_delete`: the key first (unless a renewal that kept it
/// still uses it), then the certificate.
pub async fn delete_certificate(router: &Router, id: &str) -> WireResult<()> {
    let cert = match router
        .dns(DnsRequest::CertificateGet(id.to_string()))
        .await?
    {
        DnsResponse::Certificate(c) => c,
        other => return Err(unexpected(&other)),
    };
    let shared_key = all_certificates(router)
        .await?
        .iter()
        .any(|c| c.id != id && c.key_ref == cert.meta.key_ref);
    if shared_key {
        return match router
            .dns(DnsRequest::CertificateDelete(id.to_string()))
            .await?
        {
            DnsResponse::CertificateDeleted(_) => Ok(()),
            other => Err(unexpected(&other)),
        };
    }
    match router
        .vault(VaultRequest::Delete(SecretSelector::Ref(
            cert.meta.key_ref.clone(),
        )))
        .await
    {
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::NotFound => {}
        Err(e) => return Err(e),
    }
    match router
        .dns(DnsRequest::CertificateDelete(id.to_string()))
        .await?
    {
        DnsResponse::CertificateDeleted(_) => Ok(()),
        other => Err(unexpected(&other)),
    }
}
