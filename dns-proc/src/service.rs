//! The registry actor and the IPC handler in front of it.
//!
//! The provider registry (SQLite, suffix index included) does blocking work,
//! so it lives in an actix `SyncArbiter` thread; the async side keeps serving
//! while it works. Test Connection runs outside the actor (it waits on DNS).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, Addr, Handler as ActixHandler, Message, SyncContext};
use shared::error::{WireError, WireResult};
use shared::protocol::dnsproc::{DnsEvent, DnsRequest, DnsResponse};
use shared::protocol::Role;
use shared::rpc::{BoxFuture, EventSink, Handler};

use shared::protocol::dns::{TestParams, TestStep};
use tokio::sync::{mpsc, watch};

use crate::acme::service::{AcmeState, AsyncResolve};
use crate::adapters;
use crate::policy;
use crate::providers::config::ProviderConfig;
use crate::providers::error::{shown, DnsError};
use crate::providers::registry::ProviderRegistry;
use crate::run::VaultAddress;
use crate::scrub;
use crate::testconn::{self, Progress, TestPlan};
use crate::vault_link::{TokenRefusal, VaultLink};
use crate::verify::PollPlan;
use crate::workflow;

/// Owns the provider registry; runs on its own thread.
pub struct RegistryActor {
    data_dir: PathBuf,
    registry: Option<ProviderRegistry>,
}

impl RegistryActor {
    /// An actor that opens `dns.sqlite` under `data_dir` on first use.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            registry: None,
        }
    }

    fn registry(&mut self) -> WireResult<&mut ProviderRegistry> {
        if self.registry.is_none() {
            self.registry = Some(ProviderRegistry::open(&self.data_dir).map_err(WireError::from)?);
        }
        self.registry
            .as_mut()
            .ok_or_else(|| WireError::internal("registry not open"))
    }

    fn dispatch(&mut self, request: DnsRequest) -> WireResult<DnsResponse> {
        let r = self.registry()?;
        Ok(match request {
            DnsRequest::PrepareCreate(draft) => DnsResponse::Prepared(r.prepare_create(&draft)?),
            DnsRequest::CommitCreate {
                prepared,
                secret_ref,
            } => DnsResponse::Provider(r.commit_create(prepared, secret_ref)?),
            DnsRequest::PrepareUpdate { update, has_token } => {
                DnsResponse::PreparedUpdate(r.prepare_update(&update, has_token)?)
            }
            DnsRequest::CommitUpdate { update, approval } => {
                DnsResponse::Provider(r.commit_update(update, approval.as_deref())?)
            }
            DnsRequest::DropApproval(approval) => {
                r.drop_approval(&approval);
                DnsResponse::Done
            }
            DnsRequest::DeleteBegin(id) => DnsResponse::Deleting(r.delete_begin(&id)?),
            DnsRequest::DeleteFinish(id) => {
                r.delete_finish(&id)?;
                DnsResponse::Done
            }
            DnsRequest::ListDeleting => DnsResponse::DeletingList(r.list_deleting()?),
            DnsRequest::Existing(ids) => DnsResponse::ProviderIds(r.existing(&ids)?),
            DnsRequest::List => DnsResponse::Providers(r.list()?),
            DnsRequest::ListPage { after, limit } => {
                let (page, next) = r.list_page(after.as_deref(), limit)?;
                DnsResponse::ProviderPage(page, next)
            }
            DnsRequest::Get(id) => DnsResponse::Provider(r.get(&id)?),
            DnsRequest::Resolve { hostname, value } => {
                DnsResponse::Resolution(r.resolve(&hostname, value.as_deref())?)
            }
            _ => {
                return Err(WireError::internal(
                    "this request is not handled by the registry actor",
                ))
            }
        })
    }
}

impl Actor for RegistryActor {
    type Context = SyncContext<Self>;
}

/// One registry request.
pub struct Exec(pub DnsRequest);

impl Message for Exec {
    type Result = WireResult<DnsResponse>;
}

impl ActixHandler<Exec> for RegistryActor {
    type Result = WireResult<DnsResponse>;

    fn handle(&mut self, msg: Exec, _ctx: &mut SyncContext<Self>) -> Self::Result {
        self.dispatch(msg.0)
    }
}

/// The IPC handler.
pub struct DnsService {
    registry: Addr<RegistryActor>,
    acme: AcmeState,
    vault: VaultLink,
    /// Running Test Connection runs by request id, to cancel them.
    tests: Mutex<HashMap<u64, watch::Sender<bool>>>,
}

impl DnsService {
    /// A service over the registry actor; `vault` says where vault-proc is.
    pub fn new(registry: Addr<RegistryActor>, vault: VaultAddress, data_dir: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            registry,
            acme: AcmeState::new(data_dir),
            vault: VaultLink::new(vault),
            tests: Mutex::new(HashMap::new()),
        })
    }

    async fn registry(&self, request: DnsRequest) -> WireResult<DnsResponse> {
        match self.registry.send(Exec(request)).await {
            Ok(r) => r,
            Err(e) => Err(WireError::unavailable(format!(
                "provider registry is not running: {e}"
            ))),
        }
    }

    /// Test Connection for the broker's request `request_id`, with progress
    /// on `events` and cancellation through [`DnsRequest::CancelTest`].
    async fn test(
        &self,
        params: TestParams,
        events: EventSink<DnsEvent>,
    ) -> WireResult<DnsResponse> {
        let provider = match self.registry(DnsRequest::Get(params.id.clone())).await? {
            DnsResponse::Provider(p) => p.provider,
            _ => {
                return Err(WireError::internal(
                    "registry answered Get with something else",
                ))
            }
        };
        let suffix = match &params.suffix {
            Some(s) => {
                let wanted = crate::adapters::names::bare(s);
                provider
                    .domain_suffixes
                    .iter()
                    .find(|x| **x == wanted)
                    .cloned()
                    .ok_or_else(|| {
                        WireError::from(DnsError::validation(
                            "suffix",
                            format!(
                                "{} is not one of this provider's domain suffixes",
                                shown(s, 80)
                            ),
                        ))
                    })?
            }
            None => provider.domain_suffixes.first().cloned().ok_or_else(|| {
                WireError::from(DnsError::validation(
                    "suffix",
                    "this provider has no domain suffix to test",
                ))
            })?,
        };
        let config = ProviderConfig::parse(provider.provider_type, Some(&provider.config_json))
            .map_err(WireError::from)?;
        let token = match &provider.secret_ref {
            Some(r) => match self.vault.paired_token(&provider.id, r, &config).await {
                Ok(token) => Some(token),
                Err(TokenRefusal::Unpaired(why)) => {
                    return Ok(DnsResponse::TestOutcome(testconn::failed(
                        TestStep::Credentials,
                        why,
                        vec!["If you changed the server yourself, enter the API token again with the new server (dns_provider_update) to pair them; otherwise check who edits the core's data directory.".into()],
                    )));
                }
                Err(TokenRefusal::Vault(e)) => return Err(e),
            },
            None => None,
        };
        // From here until every result and event of this run has been
        // scrubbed, nothing leaves dns-proc with this token in it.
        // EXPOSE: the scrubber keeps a zeroizing copy to compare against.
        let _scrubbing = token
            .as_ref()
            .map(|t| scrub::register(t.expose().as_bytes()));
        let adapter = match adapters::build(provider.provider_type, &config, token) {
            Ok(a) => a,
            Err(e) => {
                let mut outcome = testconn::failed(
                    TestStep::Credentials,
                    e.to_string(),
                    testconn::suggestions::for_error(&e, provider.provider_type, &suffix),
                );
                scrub::outcome(&mut outcome);
                return Ok(DnsResponse::TestOutcome(outcome));
            }
        };
        let timeout = params
            .timeout_secs
            .map(|s| Duration::from_secs(s.clamp(1, 600)))
            .unwrap_or(testconn::DEFAULT_TIMEOUT);
        let plan = TestPlan {
            provider,
            suffix,
            timeout,
            poll: PollPlan::BACKOFF,
        };
        let id = events.request_id();
        let (cancel_tx, mut cancel_rx) = watch::channel(false);
        if let Ok(mut t) = self.tests.lock() {
            t.insert(id, cancel_tx);
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        let forward = tokio::spawn(async move {
            while let Some(mut p) = rx.recv().await {
                scrub::progress(&mut p);
                events.send::<DnsResponse>(DnsEvent::TestProgress(p)).await;
            }
        });
        let mut outcome =
            testconn::run(adapter.as_ref(), &plan, &Progress::new(tx), &mut cancel_rx).await;
        // The adapter holds the token: drop (zeroize) it as soon as the run ends.
        drop(adapter);
        if let Ok(mut t) = self.tests.lock() {
            t.remove(&id);
        }
        // Every event is scrubbed and sent before the token leaves the
        // scrubber's live set (when `_scrubbing` drops, after this).
        let _ = forward.await;
        scrub::outcome(&mut outcome);
        Ok(DnsResponse::TestOutcome(outcome))
    }

    /// An issuance run, progress forwarded as [`DnsEvent::IssueProgress`].
    async fn issue(
        &self,
        order_id: &str,
        timeout_secs: u64,
        events: EventSink<DnsEvent>,
    ) -> WireResult<DnsResponse> {
        let id = events.request_id();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let forward = tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                events.send::<DnsResponse>(DnsEvent::IssueProgress(p)).await;
            }
        });
        let result = self
            .acme
            .issue(&self.vault, order_id, timeout_secs, id, tx)
            .await;
        let _ = forward.await;
        let (outcome, dead_key) = result?;
        Ok(DnsResponse::IssueOutcome(outcome, dead_key))
    }

    /// The providers (still configured) that hold journaled records.
    async fn journal_providers(&self) -> WireResult<Vec<shared::protocol::dns::ProviderMeta>> {
        let mut out = Vec::new();
        for id in self.acme.journal_providers().await? {
            match self.registry(DnsRequest::Get(id.clone())).await {
                Ok(DnsResponse::Provider(p)) => out.push(p.provider),
                Ok(_) => {
                    return Err(WireError::internal(
                        "registry answered Get with something else",
                    ))
                }
                Err(e) => {
                    tracing::warn!(provider = %id, error = %e, "journaled records of a provider that is gone")
                }
            }
        }
        Ok(out)
    }

    fn cancel(&self, request_id: u64) -> bool {
        self.tests
            .lock()
            .ok()
            .and_then(|t| t.get(&request_id).map(|tx| tx.send(true).is_ok()))
            .unwrap_or(false)
    }
}

impl Handler<DnsRequest, DnsResponse, DnsEvent> for DnsService {
    fn permitted(&self, role: Role, request: &DnsRequest) -> bool {
        policy::permitted(role, request)
    }

    fn handle(
        self: Arc<Self>,
        _role: Role,
        request: DnsRequest,
        events: EventSink<DnsEvent>,
    ) -> BoxFuture<WireResult<DnsResponse>> {
        Box::pin(async move {
            let answer = match request {
                DnsRequest::Test(params) => self.test(params, events).await,
                DnsRequest::CancelTest { request_id } => {
                    Ok(DnsResponse::Cancelled(self.cancel(request_id)))
                }
                DnsRequest::AcmeDirectory {
                    directory_url,
                    ca_pem,
                } => Ok(DnsResponse::AcmeDirectory(
                    self.acme
                        .directory(&directory_url, ca_pem.as_deref())
                        .await?,
                )),
                DnsRequest::AcmeAccountRegister(reg) => Ok(DnsResponse::AcmeAccount(
                    self.acme.register(&self.vault, reg).await?,
                )),
                DnsRequest::AcmeAccountList => {
                    Ok(DnsResponse::AcmeAccounts(self.acme.accounts().await?))
                }
                DnsRequest::AcmeAccountGet(id) => {
                    let (meta, origin) = self.acme.account(&id).await?;
                    Ok(DnsResponse::AcmeAccountOrigin(meta, origin))
                }
                DnsRequest::AcmeAccountDelete { id, deactivate } => {
                    self.acme
                        .delete_account(&self.vault, &id, deactivate)
                        .await?;
                    Ok(DnsResponse::Done)
                }
                DnsRequest::IssuePrepare {
                    account_id,
                    names,
                    key_type,
                } => Ok(DnsResponse::IssuePlan(
                    self.acme
                        .prepare(Resolver(&self), &account_id, &names, key_type)
                        .await?,
                )),
                DnsRequest::Issue {
                    order_id,
                    timeout_secs,
                } => self.issue(&order_id, timeout_secs, events).await,
                DnsRequest::CancelIssue { request_id } => {
                    Ok(DnsResponse::Cancelled(self.acme.cancel(request_id)))
                }
                DnsRequest::JournalProviders => {
                    let mut out = Vec::new();
                    for p in self.journal_providers().await? {
                        if let Some(r) = p.secret_ref {
                            out.push((p.id, r));
                        }
                    }
                    Ok(DnsResponse::ProviderRefs(out))
                }
                DnsRequest::JournalCleanup { order_id } => {
                    let providers = self.journal_providers().await?;
                    Ok(DnsResponse::JournalLeft(
                        self.acme
                            .journal_cleanup(&self.vault, order_id.as_deref(), providers)
                            .await?,
                    ))
                }
                DnsRequest::CertificateList { after, limit } => {
                    let (page, next) = self.acme.certificates(after.as_deref(), limit).await?;
                    Ok(DnsResponse::Certificates(page, next))
                }
                DnsRequest::CertificateGet(id) => {
                    Ok(DnsResponse::Certificate(self.acme.certificate(&id).await?))
                }
                DnsRequest::CertificateDelete(id) => Ok(DnsResponse::CertificateDeleted(
                    self.acme.delete_certificate(&id).await?,
                )),
                DnsRequest::RenewPrepare {
                    certificate_id,
                    reuse_key,
                } => Ok(DnsResponse::IssuePlan(
                    self.acme
                        .renew_prepare(Resolver(&self), &certificate_id, reuse_key)
                        .await?,
                )),
                DnsRequest::Revoke {
                    certificate_id,
                    reason,
                } => Ok(DnsResponse::Certificate(
                    self.acme
                        .revoke(&self.vault, &certificate_id, reason)
                        .await?,
                )),
                DnsRequest::RenewalDue => {
                    Ok(DnsResponse::CertificateIds(self.acme.renewal_due().await?))
                }
                DnsRequest::RenewalRecord {
                    certificate_id,
                    error,
                    failures,
                    next_attempt_at,
                } => {
                    self.acme
                        .renewal_record(&certificate_id, error, failures, next_attempt_at)
                        .await?;
                    Ok(DnsResponse::Done)
                }
                DnsRequest::SetDeploy {
                    certificate_id,
                    deploy,
                } => {
                    self.acme.set_deploy(&certificate_id, deploy).await?;
                    Ok(DnsResponse::Done)
                }
                DnsRequest::WorkflowCheck(draft) => {
                    let (c, texts) = workflow::check::check(&draft);
                    Ok(DnsResponse::WorkflowChecked(c, texts))
                }
                DnsRequest::WorkflowCreate { draft, references } => Ok(DnsResponse::Workflow(
                    workflow::requests::create(&self.acme, draft, references).await?,
                )),
                DnsRequest::WorkflowUpdate {
                    id,
                    draft,
                    references,
                } => Ok(DnsResponse::Workflow(
                    workflow::requests::update(&self.acme, &id, draft, references).await?,
                )),
                DnsRequest::WorkflowDelete(id) => {
                    workflow::requests::delete(&self.acme, &id).await?;
                    Ok(DnsResponse::Done)
                }
                DnsRequest::WorkflowList { after, limit } => {
                    let (page, next) =
                        workflow::requests::list(&self.acme, after.as_deref(), limit).await?;
                    Ok(DnsResponse::Workflows(page, next))
                }
                DnsRequest::WorkflowGet(id) => Ok(DnsResponse::Workflow(
                    workflow::requests::get(&self.acme, &id).await?,
                )),
                DnsRequest::WorkflowMatch {
                    certificate_id,
                    event,
                } => Ok(DnsResponse::WorkflowMatches(
                    workflow::requests::matching(&self.acme, &certificate_id, event).await?,
                )),
                DnsRequest::WorkflowNode {
                    run_id,
                    certificate_id,
                    name,
                    node,
                } => {
                    workflow::requests::execute_node(
                        &self.acme,
                        &self.vault,
                        &run_id,
                        &certificate_id,
                        &name,
                        &node,
                        events,
                    )
                    .await
                }
                DnsRequest::WorkflowRecord(run) => {
                    workflow::requests::record(&self.acme, run).await?;
                    Ok(DnsResponse::Done)
                }
                DnsRequest::WorkflowRuns { id, after, limit } => {
                    workflow::requests::runs(&self.acme, &id, after.as_deref(), limit).await
                }
                other => self.registry(other).await,
            };
            // Every error answer leaves through the final scrub.
            answer.map_err(scrub::error)
        })
    }
}

/// Provider resolution through the registry actor.
struct Resolver<'a>(&'a DnsService);

impl AsyncResolve for Resolver<'_> {
    async fn resolve(&self, host: &str) -> WireResult<shared::protocol::dns::Resolution> {
        match self
            .0
            .registry(DnsRequest::Resolve {
                hostname: host.to_string(),
                value: None,
            })
            .await?
        {
            DnsResponse::Resolution(r) => Ok(r),
            _ => Err(WireError::internal(
                "registry answered Resolve with something else",
            )),
        }
    }
}
