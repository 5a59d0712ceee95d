//! The registry actor and the IPC handler in front of it.
//!
//! The provider registry (SQLite + in-memory suffix index) does blocking work,
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

use shared::protocol::dns::{TestOutcome, TestParams, TestStep};
use shared::protocol::secrets::TokenBinding;
use tokio::sync::{mpsc, watch};

use crate::adapters;
use crate::policy;
use crate::providers::config::ProviderConfig;
use crate::providers::error::{shown, DnsError};
use crate::providers::registry::ProviderRegistry;
use crate::run::VaultAddress;
use crate::scrub;
use crate::testconn::{self, Progress, TestPlan};
use crate::vault_link::VaultLink;
use crate::verify::PollPlan;

/// `None` when a token's sealed pairing (owner, canonical endpoint) is the
/// configuration this run is about to use; else the failed outcome:
/// `dns.sqlite` (or the vault's row) was changed outside the core, and the
/// token must not go to an endpoint the user never paired it with. This is
/// where the pairing is enforced (vault-proc's AAD makes the pairing itself
/// tamper-evident).
fn check_binding(
    provider_id: &str,
    config: &ProviderConfig,
    binding: Option<&TokenBinding>,
) -> Option<TestOutcome> {
    let endpoint = config.endpoint();
    let message = match binding {
        Some(b) if b.owner == provider_id && b.endpoint.as_deref() == endpoint => return None,
        Some(b) if b.owner != provider_id => "this token belongs to another provider: the configuration was changed outside the core".to_string(),
        Some(b) => format!(
            "the provider's endpoint ({}) is not the one its token was paired with ({}): the configuration was changed outside the core (or an update was interrupted before it finished); the token was not sent",
            endpoint.unwrap_or("the provider's fixed API"),
            b.endpoint.as_deref().unwrap_or("the provider's fixed API"),
        ),
        None => "this token was never paired with an endpoint (it predates pairing and the one-time migration did not run): the token was not sent".to_string(),
    };
    Some(testconn::failed(
        TestStep::Credentials,
        message,
        vec!["If you changed the server yourself, enter the API token again with the new server (dns_provider_update) to pair them; otherwise check who edits the core's data directory.".into()],
    ))
}

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
            DnsRequest::List => DnsResponse::Providers(r.list()?),
            DnsRequest::ListPage { after, limit } => {
                let all = r.list()?;
                let (page, next) = shared::protocol::page::page(
                    &all,
                    |p| p.id.as_str(),
                    after.as_deref(),
                    limit,
                    "provider",
                )?;
                DnsResponse::ProviderPage(page, next)
            }
            DnsRequest::Get(id) => DnsResponse::Provider(r.get(&id)?),
            DnsRequest::Resolve { hostname, value } => {
                DnsResponse::Resolution(r.resolve(&hostname, value.as_deref())?)
            }
            DnsRequest::Test(_) | DnsRequest::CancelTest { .. } => {
                return Err(WireError::internal(
                    "test requests are not handled by the registry actor",
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
    vault: VaultLink,
    /// Running Test Connection runs by request id, to cancel them.
    tests: Mutex<HashMap<u64, watch::Sender<bool>>>,
}

impl DnsService {
    /// A service over the registry actor; `vault` says where vault-proc is.
    pub fn new(registry: Addr<RegistryActor>, vault: VaultAddress) -> Arc<Self> {
        Arc::new(Self {
            registry,
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
            Some(r) => {
                let (token, binding) = self.vault.reveal_token(&provider.id, r).await?;
                if let Some(mismatch) = check_binding(&provider.id, &config, binding.as_ref()) {
                    // The token is dropped (zeroized) here, never sent.
                    drop(token);
                    return Ok(DnsResponse::TestOutcome(mismatch));
                }
                Some(token)
            }
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
                other => self.registry(other).await,
            };
            // Every error answer leaves through the final scrub.
            answer.map_err(scrub::error)
        })
    }
}
