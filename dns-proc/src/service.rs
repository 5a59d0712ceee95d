//! The registry actor and the IPC handler in front of it.
//!
//! The provider registry (SQLite + in-memory suffix index) does blocking work,
//! so it lives in an actix `SyncArbiter` thread; the async side keeps serving
//! while it works. Test Connection runs outside the actor (it waits on DNS).

use std::path::PathBuf;
use std::sync::Arc;

use actix::{Actor, Addr, Handler as ActixHandler, Message, SyncContext};
use shared::error::{WireError, WireResult};
use shared::protocol::dnsproc::{DnsEvent, DnsRequest, DnsResponse};
use shared::protocol::Role;
use shared::rpc::{BoxFuture, EventSink, Handler};

use crate::policy;
use crate::providers::registry::ProviderRegistry;
use crate::run::VaultAddress;

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
            DnsRequest::CommitUpdate(update) => DnsResponse::Provider(r.commit_update(update)?),
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
    #[allow(dead_code)]
    vault: VaultAddress,
}

impl DnsService {
    /// A service over the registry actor; `vault` says where vault-proc is.
    pub fn new(registry: Addr<RegistryActor>, vault: VaultAddress) -> Arc<Self> {
        Arc::new(Self { registry, vault })
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
        _events: EventSink<DnsEvent>,
    ) -> BoxFuture<WireResult<DnsResponse>> {
        Box::pin(async move {
            match request {
                DnsRequest::Test(_) => Err(WireError::new(
                    shared::error::ErrorCode::ProviderError,
                    "Test Connection is not available in this build",
                )),
                DnsRequest::CancelTest { .. } => Ok(DnsResponse::Cancelled(false)),
                other => match self.registry.send(Exec(other)).await {
                    Ok(r) => r,
                    Err(e) => Err(WireError::unavailable(format!(
                        "provider registry is not running: {e}"
                    ))),
                },
            }
        })
    }
}
