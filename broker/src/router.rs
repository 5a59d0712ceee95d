//! Routes each UI command to vault-proc and/or dns-proc and shapes the answer.
//!
//! Policy enforced here: UI responses are built only from metadata types
//! (`UiResponse` has no variant that could hold a value); the UI cannot create
//! provider-owned token secrets directly, nor delete or overwrite a secret
//! that a provider owns (that would orphan the provider).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::error::{ErrorCode, WireError, WireResult};
use shared::protocol::dnsproc::{DnsEvent, DnsRequest, DnsResponse};
use shared::protocol::secrets::{SecretKind, SecretSelector};
use shared::protocol::ui::{UiEvent, UiRequest, UiResponse};
use shared::protocol::vault::{PermitScope, VaultRequest, VaultResponse};
use shared::protocol::{Role, VariantName};
use shared::rpc::{BoxFuture, EventSink, Handler};
use tokio::sync::mpsc;

use crate::acme_flows;
use crate::flows;
use crate::permit::{PermitGuard, SupervisedVault, VaultSource};
use crate::supervisor::Supervisor;

/// Timeout of ordinary vault-proc calls (an unlock may wait on an OS prompt).
pub const VAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default page size of `dns_provider_list`.
pub const DEFAULT_PAGE: u32 = 500;
/// Largest page of `dns_provider_list` (a page must fit one 1 MiB frame).
pub const MAX_PAGE: u32 = 2000;

/// Timeout of ordinary dns-proc calls.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(30);

/// The UI request handler.
pub struct Router {
    sup: Arc<Supervisor>,
    /// vault-proc as permit guards reach it (`crate::permit`).
    permits: Arc<dyn VaultSource>,
    /// UI request id of a running Test Connection → dns-proc request id.
    tests: Mutex<HashMap<u64, u64>>,
    /// UI request id of a running issuance → dns-proc request id.
    issues: Mutex<HashMap<u64, u64>>,
    /// `events_subscribe` subscriptions.
    events: crate::events::Broadcast,
    /// Provider creates between their id and their commit (`crate::token_sweep`).
    creates: crate::token_sweep::CreatesInFlight,
}

impl Router {
    /// A router over the supervisor's children.
    pub fn new(sup: Arc<Supervisor>) -> Arc<Self> {
        Arc::new(Self {
            permits: Arc::new(SupervisedVault(sup.clone())),
            sup,
            tests: Mutex::new(HashMap::new()),
            issues: Mutex::new(HashMap::new()),
            events: crate::events::Broadcast::default(),
            creates: crate::token_sweep::CreatesInFlight::default(),
        })
    }

    /// Provider creates in flight (their tokens are not orphans yet).
    pub fn creates(&self) -> &crate::token_sweep::CreatesInFlight {
        &self.creates
    }

    /// Events for every subscribed UI (`certificate_renewal`).
    pub fn events(&self) -> &crate::events::Broadcast {
        &self.events
    }

    /// The current dns-proc client (for calls with events).
    pub async fn dns_client(&self) -> WireResult<Arc<crate::supervisor::DnsClient>> {
        self.sup.dns().await
    }

    /// Records (or forgets, with `None`) the dns-proc request of a running issuance.
    pub fn track_issue(&self, ui_id: u64, dns_id: Option<u64>) {
        if let Ok(mut m) = self.issues.lock() {
            match dns_id {
                Some(d) => m.insert(ui_id, d),
                None => m.remove(&ui_id),
            };
        }
    }

    /// Calls vault-proc.
    pub async fn vault(&self, req: VaultRequest) -> WireResult<VaultResponse> {
        self.sup.vault().await?.call(req, VAULT_TIMEOUT).await
    }

    /// Grants a permit for one operation; dropping the guard revokes it
    /// (`crate::permit`). Every grant of the broker goes through here.
    pub async fn grant_permit(&self, scope: PermitScope, ttl: Duration) -> WireResult<PermitGuard> {
        PermitGuard::grant(self.permits.clone(), scope, ttl).await
    }

    /// Calls dns-proc.
    pub async fn dns(&self, req: DnsRequest) -> WireResult<DnsResponse> {
        self.sup.dns().await?.call(req, DNS_TIMEOUT).await
    }

    async fn route(
        self: Arc<Self>,
        request: UiRequest,
        events: EventSink<UiEvent>,
    ) -> WireResult<UiResponse> {
        match request {
            UiRequest::Ping => Ok(UiResponse::Pong),
            UiRequest::VaultStatus => match self.vault(VaultRequest::Status).await? {
                VaultResponse::Status(s) => Ok(UiResponse::VaultStatus(s)),
                other => Err(unexpected(&other)),
            },
            UiRequest::VaultLock => self.lock_state(VaultRequest::Lock).await,
            UiRequest::VaultUnlock => self.lock_state(VaultRequest::Unlock).await,
            UiRequest::SecretCreate(mut new) => {
                if new.kind == SecretKind::DnsProviderToken {
                    return Err(WireError::validation(
                        "dns_provider_token secrets are created with dns_provider_create",
                    )
                    .with_field("kind"));
                }
                new.owner = None;
                new.binding = None;
                meta(self.vault(VaultRequest::Create(new)).await?)
            }
            UiRequest::SecretUpdate {
                selector,
                mut update,
            } => {
                // Only the broker's provider flows pair a token with an endpoint.
                update.binding = None;
                self.refuse_owned(&selector, "update the provider instead")
                    .await?;
                meta(
                    self.vault(VaultRequest::Update { selector, update })
                        .await?,
                )
            }
            UiRequest::SecretDelete(selector) => {
                self.refuse_owned(&selector, "delete the provider instead")
                    .await?;
                match self.vault(VaultRequest::Delete(selector)).await? {
                    VaultResponse::Deleted => Ok(UiResponse::Deleted),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::SecretList {
                filter,
                after,
                limit,
            } => {
                let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
                match self
                    .vault(VaultRequest::ListPage {
                        filter,
                        after,
                        limit,
                    })
                    .await?
                {
                    VaultResponse::MetaPage(m, next) => Ok(UiResponse::Secrets(m, next)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::SecretGet(selector) => meta(self.vault(VaultRequest::Get(selector)).await?),
            UiRequest::TemplateValidate(t) => {
                match self.vault(VaultRequest::ValidateTemplate(t)).await? {
                    VaultResponse::References(r) => Ok(UiResponse::References(r)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::KeyCreate(mut new) => {
                // The UI never sets an owner (order keys are owned by their order).
                new.owner = None;
                meta(self.vault(VaultRequest::KeyCreate(new)).await?)
            }
            UiRequest::KeyImport(imp) => meta(self.vault(VaultRequest::KeyImport(imp)).await?),
            // ui-bridge assembles the export from pages (`ui-bridge/src/export.rs`):
            // one frame could not hold it.
            UiRequest::ConfigExport => Err(WireError::validation(
                "config_export is assembled by ui-bridge from secret_list, dns_provider_list and workflow_list pages",
            )),
            UiRequest::ExternalProviderSet(cfg) => {
                self.external(VaultRequest::ExternalSet(cfg)).await
            }
            UiRequest::ExternalProviderGet => self.external(VaultRequest::ExternalGet).await,
            UiRequest::ExternalProviderDelete => {
                match self.vault(VaultRequest::ExternalDelete).await? {
                    VaultResponse::Done | VaultResponse::Deleted => Ok(UiResponse::Deleted),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::DnsProviderCreate(new) => flows::create_provider(&self, new)
                .await
                .map(UiResponse::Provider),
            UiRequest::DnsProviderUpdate(upd) => flows::update_provider(&self, upd)
                .await
                .map(UiResponse::Provider),
            UiRequest::DnsProviderDelete(id) => flows::delete_provider(&self, &id)
                .await
                .map(|_| UiResponse::Deleted),
            UiRequest::DnsProviderList { after, limit } => {
                let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
                match self.dns(DnsRequest::ListPage { after, limit }).await? {
                    DnsResponse::ProviderPage(p, next) => Ok(UiResponse::Providers(p, next)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::DnsResolve { hostname, value } => {
                match self.dns(DnsRequest::Resolve { hostname, value }).await? {
                    DnsResponse::Resolution(r) => Ok(UiResponse::Resolution(r)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::DnsProviderTest(params) => self.test_connection(params, events).await,
            UiRequest::AcmeAccountCreate(new) => acme_flows::create_account(&self, new)
                .await
                .map(UiResponse::AcmeAccount),
            UiRequest::AcmeAccountList => match self.dns(DnsRequest::AcmeAccountList).await? {
                DnsResponse::AcmeAccounts(a) => Ok(UiResponse::AcmeAccounts(a)),
                other => Err(unexpected(&other)),
            },
            UiRequest::AcmeAccountDelete { id, deactivate } => {
                acme_flows::delete_account(&self, &id, deactivate)
                    .await
                    .map(|_| UiResponse::Deleted)
            }
            UiRequest::CertificateIssue(params) => acme_flows::issue(&self, params, events).await,
            UiRequest::CertificateIssueCancel(ui_id) => {
                let dns_id = self.issues.lock().ok().and_then(|t| t.get(&ui_id).copied());
                let Some(dns_id) = dns_id else {
                    return Ok(UiResponse::Cancelled(false));
                };
                match self
                    .dns(DnsRequest::CancelIssue { request_id: dns_id })
                    .await?
                {
                    DnsResponse::Cancelled(c) => Ok(UiResponse::Cancelled(c)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::CertificateList { after, limit } => {
                let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
                match self
                    .dns(DnsRequest::CertificateList { after, limit })
                    .await?
                {
                    DnsResponse::Certificates(c, next) => Ok(UiResponse::Certificates(c, next)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::CertificateGet(id) => {
                match self.dns(DnsRequest::CertificateGet(id)).await? {
                    DnsResponse::Certificate(c) => Ok(UiResponse::Certificate(c)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::CertificateDelete(id) => acme_flows::delete_certificate(&self, &id)
                .await
                .map(|_| UiResponse::Deleted),
            UiRequest::CertificateRenew(params) => acme_flows::renew(&self, params, Some(events))
                .await
                .map(UiResponse::IssueOutcome),
            UiRequest::CertificateRevoke(params) => acme_flows::revoke(&self, params)
                .await
                .map(UiResponse::CertificateMeta),
            UiRequest::CertificateExport(req) => crate::export::export_certificate(&self, req)
                .await
                .map(UiResponse::Exported),
            UiRequest::AuditList { after, limit } => {
                let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
                match self.vault(VaultRequest::AuditList { after, limit }).await? {
                    VaultResponse::Audit(entries, next) => Ok(UiResponse::Audit(entries, next)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::EventsSubscribe => Ok(self.events.subscribe(events).await),
            UiRequest::WorkflowCreate(draft) => crate::workflows::create(&self, draft)
                .await
                .map(UiResponse::Workflow),
            UiRequest::WorkflowUpdate { id, draft } => crate::workflows::update(&self, id, draft)
                .await
                .map(UiResponse::Workflow),
            UiRequest::WorkflowDelete(id) => {
                match self.dns(DnsRequest::WorkflowDelete(id)).await? {
                    DnsResponse::Done => Ok(UiResponse::Deleted),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::WorkflowList { after, limit } => {
                let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
                match self.dns(DnsRequest::WorkflowList { after, limit }).await? {
                    DnsResponse::Workflows(w, next) => Ok(UiResponse::Workflows(w, next)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::WorkflowGet(id) => match self.dns(DnsRequest::WorkflowGet(id)).await? {
                DnsResponse::Workflow(w) => Ok(UiResponse::Workflow(w)),
                other => Err(unexpected(&other)),
            },
            UiRequest::WorkflowValidate(draft) => crate::workflows::check(&self, &draft)
                .await
                .map(UiResponse::WorkflowCheck),
            UiRequest::WorkflowRun { id, certificate_id } => crate::workflow_run::run(
                &self,
                &id,
                &certificate_id,
                shared::protocol::workflow::RunCause::Manual,
                Some(events),
            )
            .await
            .map(UiResponse::WorkflowRun),
            UiRequest::WorkflowRuns { id, after, limit } => {
                let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
                match self
                    .dns(DnsRequest::WorkflowRuns { id, after, limit })
                    .await?
                {
                    DnsResponse::WorkflowRuns(r, next) => Ok(UiResponse::WorkflowRuns(r, next)),
                    other => Err(unexpected(&other)),
                }
            }
            UiRequest::DnsProviderTestCancel(ui_id) => {
                let dns_id = self.tests.lock().ok().and_then(|t| t.get(&ui_id).copied());
                let Some(dns_id) = dns_id else {
                    return Ok(UiResponse::Cancelled(false));
                };
                match self
                    .dns(DnsRequest::CancelTest { request_id: dns_id })
                    .await?
                {
                    DnsResponse::Cancelled(c) => Ok(UiResponse::Cancelled(c)),
                    other => Err(unexpected(&other)),
                }
            }
        }
    }

    async fn lock_state(&self, req: VaultRequest) -> WireResult<UiResponse> {
        match self.vault(req).await? {
            VaultResponse::Status(s) => Ok(UiResponse::Unlocked(s.unlocked)),
            other => Err(unexpected(&other)),
        }
    }

    async fn external(&self, req: VaultRequest) -> WireResult<UiResponse> {
        match self.vault(req).await? {
            VaultResponse::External(m) => Ok(UiResponse::ExternalProvider(m)),
            other => Err(unexpected(&other)),
        }
    }

    async fn refuse_owned(&self, selector: &SecretSelector, hint: &str) -> WireResult<()> {
        match self.vault(VaultRequest::Get(selector.clone())).await? {
            VaultResponse::Meta(m) => match m.owner {
                Some(owner) => Err(WireError::new(
                    ErrorCode::Conflict,
                    format!("secret {} is owned by {owner}; {hint}", m.reference),
                )),
                None => Ok(()),
            },
            // Never let a change through on an answer we did not expect.
            other => Err(unexpected(&other)),
        }
    }

    async fn test_connection(
        &self,
        params: shared::protocol::dns::TestParams,
        events: EventSink<UiEvent>,
    ) -> WireResult<UiResponse> {
        let provider = match self.dns(DnsRequest::Get(params.id.clone())).await? {
            DnsResponse::Provider(p) => p.provider,
            other => return Err(unexpected(&other)),
        };
        let timeout = Duration::from_secs(params.timeout_secs.unwrap_or(60).clamp(1, 600));
        // The vault reveals this token to dns-proc only while this guard lives:
        // it is dropped on every way out of this function, cancellation included.
        let permit = match provider.secret_ref.clone() {
            Some(secret_ref) => {
                crate::flows::verify_token_owner(self, &provider.id, &secret_ref).await?;
                let scope = PermitScope::ProviderToken {
                    provider_id: provider.id.clone(),
                    secret_ref,
                };
                let ttl = timeout + Duration::from_secs(90);
                Some(self.grant_permit(scope, ttl).await?)
            }
            None => None,
        };
        let dns = self.sup.dns().await?;
        let dns_id = dns.alloc_id();
        let ui_id = events.request_id();
        if let Ok(mut t) = self.tests.lock() {
            t.insert(ui_id, dns_id);
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<DnsEvent>();
        let forward = tokio::spawn(async move {
            while let Some(DnsEvent::TestProgress(p)) = rx.recv().await {
                events.send::<UiResponse>(UiEvent::DnsTestProgress(p)).await;
            }
        });
        let result = dns
            .call_as(
                dns_id,
                DnsRequest::Test(params),
                timeout + Duration::from_secs(120),
                Some(tx),
            )
            .await;
        let _ = forward.await;
        if let Ok(mut t) = self.tests.lock() {
            t.remove(&ui_id);
        }
        // The run is over: dns-proc may no longer reveal this token.
        if let Some(p) = permit {
            p.revoke().await;
        }
        match result? {
            DnsResponse::TestOutcome(o) => Ok(UiResponse::TestOutcome(o)),
            other => Err(unexpected(&other)),
        }
    }
}

impl Handler<UiRequest, UiResponse, UiEvent> for Router {
    fn permitted(&self, role: Role, request: &UiRequest) -> bool {
        crate::policy::permitted(role, request)
    }

    fn handle(
        self: Arc<Self>,
        role: Role,
        request: UiRequest,
        events: EventSink<UiEvent>,
    ) -> BoxFuture<WireResult<UiResponse>> {
        // `permitted` (the broker's policy.rs) has already admitted this
        // role for this request.
        let _ = role;
        Box::pin(self.route(request, events))
    }
}

fn meta(r: VaultResponse) -> WireResult<UiResponse> {
    match r {
        VaultResponse::Meta(m) => Ok(UiResponse::Secret(m)),
        other => Err(unexpected(&other)),
    }
}

/// An answer of the wrong shape from a child: an internal error. Only the
/// variant name is reported (strum-derived), never its contents.
pub fn unexpected<T: VariantName>(r: &T) -> WireError {
    WireError::internal(format!(
        "unexpected answer from a child process: {}",
        r.variant_name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::secret::SecretString;

    #[test]
    fn unexpected_names_the_variant_and_nothing_else() {
        let mut data = shared::protocol::secrets::SecretData::new();
        data.insert("value".into(), SecretString::from("canary-value-123"));
        let e = unexpected(&VaultResponse::RevealedToken {
            data,
            binding: None,
        });
        assert_eq!(
            e.message,
            "unexpected answer from a child process: RevealedToken"
        );
        assert!(unexpected(&DnsResponse::Done).message.ends_with(": Done"));
        assert!(unexpected(&DnsResponse::Cancelled(true))
            .message
            .ends_with(": Cancelled"));
    }
}
