//! The store actor and the IPC handler in front of it.
//!
//! `SecretStore` (SQLite + keyring) does blocking work, so it lives in an actix
//! `SyncArbiter` thread of its own: requests are serialized through its mailbox
//! and the async side (sockets, handshakes) never blocks on SQLite or D-Bus.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, Handler as ActixHandler, Message, SyncContext};
use shared::error::{WireError, WireResult};
use shared::protocol::secrets::{SecretKind, SecretSelector};
use shared::protocol::vault::{ExportDoc, VaultRequest, VaultResponse};
use shared::protocol::{NoEvent, Role};
use shared::rpc::{BoxFuture, EventSink, Handler};

use crate::external::config as external_config;
use crate::external::fetch::ExternalCache;
use crate::keys::cache::KeyCache;
use crate::keys::grant;
use crate::keys::ops::KeyOps;
use crate::permits::Permits;
use crate::policy;
use crate::secrets::masterkey;
use crate::secrets::store::SecretStore;

/// Version of the export document format.
pub const EXPORT_VERSION: u32 = 1;

/// Owns the secret store; runs on its own thread.
pub struct StoreActor {
    data_dir: PathBuf,
    store: Option<SecretStore>,
    permits: Permits,
    external: ExternalCache,
    /// Keys loaded while unlocked; emptied on lock.
    keys: KeyCache,
}

impl StoreActor {
    /// An actor that opens the store under `data_dir` on first use.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            store: None,
            permits: Permits::default(),
            external: ExternalCache::default(),
            keys: KeyCache::default(),
        }
    }

    /// Opens the store if needed. A failure (e.g. no credential store) is
    /// returned to the caller and retried on the next request.
    fn store(&mut self) -> WireResult<&mut SecretStore> {
        if self.store.is_none() {
            let source = masterkey::select_source().map_err(WireError::from)?;
            let store = SecretStore::open(&self.data_dir, source).map_err(WireError::from)?;
            self.store = Some(store);
        }
        self.store
            .as_mut()
            .ok_or_else(|| WireError::internal("store not open"))
    }

    fn dispatch(&mut self, role: Role, request: VaultRequest) -> WireResult<VaultResponse> {
        if !policy::permitted(role, &request) {
            return Err(WireError::forbidden("request not allowed for this role"));
        }
        match request {
            VaultRequest::Status => match self.store() {
                Ok(s) => Ok(VaultResponse::Status(s.status())),
                // Status never unlocks and never fails: no usable store reads as locked.
                Err(e) => Ok(VaultResponse::Status(
                    shared::protocol::secrets::VaultStatus {
                        unlocked: false,
                        key_source: format!("unavailable ({})", e.code.as_str()),
                    },
                )),
            },
            VaultRequest::Lock => match self.store.as_mut() {
                Some(s) => {
                    // Key objects go with the master key: both zeroized now.
                    self.keys.clear();
                    s.lock();
                    Ok(VaultResponse::Status(s.status()))
                }
                // Nothing opened, nothing cached: locking must not load the key.
                None => Ok(VaultResponse::Status(
                    shared::protocol::secrets::VaultStatus {
                        unlocked: false,
                        key_source: "not opened".into(),
                    },
                )),
            },
            VaultRequest::Unlock => {
                let s = self.store()?;
                s.unlock().map_err(WireError::from)?;
                Ok(VaultResponse::Status(s.status()))
            }
            VaultRequest::Create(new) => Ok(VaultResponse::Meta(
                self.store()?.create(new).map_err(WireError::from)?,
            )),
            VaultRequest::Update { selector, update } => {
                let meta = self
                    .store()?
                    .update(&selector, update)
                    .map_err(WireError::from)?;
                self.keys.forget(&meta.reference);
                Ok(VaultResponse::Meta(meta))
            }
            VaultRequest::Delete(selector) => {
                let meta = self.store()?.delete(&selector).map_err(WireError::from)?;
                self.keys.forget(&meta.reference);
                Ok(VaultResponse::Deleted)
            }
            VaultRequest::StageUpdate {
                selector,
                update,
                guard,
            } => Ok(VaultResponse::Meta(
                self.store()?
                    .stage_pending(&selector, update, &guard)
                    .map_err(WireError::from)?,
            )),
            VaultRequest::CommitStaged(selector) => Ok(VaultResponse::Meta(
                self.store()?
                    .commit_pending(&selector)
                    .map_err(WireError::from)?,
            )),
            VaultRequest::DiscardStaged(selector) => {
                self.store()?
                    .discard_pending(&selector)
                    .map_err(WireError::from)?;
                Ok(VaultResponse::Done)
            }
            VaultRequest::ListStaged => Ok(VaultResponse::Staged(
                self.store()?.list_pending().map_err(WireError::from)?,
            )),
            VaultRequest::ListPage {
                filter,
                after,
                limit,
            } => {
                let all = self.store()?.list(&filter).map_err(WireError::from)?;
                let (page, next) = shared::protocol::page::page(
                    &all,
                    |m| m.name.as_str(),
                    after.as_deref(),
                    limit,
                    "secret",
                )?;
                Ok(VaultResponse::MetaPage(page, next))
            }
            VaultRequest::List(filter) => Ok(VaultResponse::Metas(
                self.store()?.list(&filter).map_err(WireError::from)?,
            )),
            VaultRequest::Get(selector) => Ok(VaultResponse::Meta(
                self.store()?.get_meta(&selector).map_err(WireError::from)?,
            )),
            VaultRequest::ValidateTemplate(text) => {
                let refs = crate::templates::validate(self.store()?, &text)?;
                Ok(VaultResponse::References(refs))
            }
            VaultRequest::Export { providers } => {
                let store = self.store()?;
                let secrets = store.list(&Default::default()).map_err(WireError::from)?;
                let external_provider = external_config::get(store).map_err(WireError::from)?;
                Ok(VaultResponse::Export(ExportDoc {
                    version: EXPORT_VERSION,
                    secrets,
                    providers,
                    external_provider,
                }))
            }
            VaultRequest::ExternalSet(cfg) => {
                self.external.reset();
                let meta = external_config::set(self.store()?, cfg).map_err(WireError::from)?;
                Ok(VaultResponse::External(Some(meta)))
            }
            VaultRequest::ExternalGet => Ok(VaultResponse::External(
                external_config::get(self.store()?).map_err(WireError::from)?,
            )),
            VaultRequest::ExternalDelete => {
                self.external.reset();
                external_config::delete(self.store()?).map_err(WireError::from)?;
                Ok(VaultResponse::Deleted)
            }
            VaultRequest::GrantPermit { scope, ttl_ms } => {
                let scope = grant::checked_scope(scope)?;
                self.permits.grant(scope, Duration::from_millis(ttl_ms));
                Ok(VaultResponse::Done)
            }
            VaultRequest::RevokePermit { scope } => {
                // Normalized like the grant, so it names the same permit.
                let scope = grant::checked_scope(scope.clone()).unwrap_or(scope);
                self.permits.revoke(&scope);
                Ok(VaultResponse::Done)
            }
            VaultRequest::KeyCreate(new) => Ok(VaultResponse::Meta(self.key_ops()?.create(new)?)),
            VaultRequest::KeyImport(imp) => Ok(VaultResponse::Meta(self.key_ops()?.import(imp)?)),
            VaultRequest::AcmeSign {
                key_ref,
                url,
                nonce,
                signer,
                payload,
            } => Ok(VaultResponse::Jws(
                self.key_ops()?
                    .acme_sign(&key_ref, &url, &nonce, &signer, &payload)?,
            )),
            VaultRequest::CsrCreate { key_ref, names } => {
                Ok(VaultResponse::Csr(self.key_ops()?.csr(&key_ref, &names)?))
            }
            VaultRequest::EabSign {
                hmac_key_ref,
                kid,
                url,
                account_jwk,
            } => Ok(VaultResponse::Jws(self.key_ops()?.eab(
                &hmac_key_ref,
                &kid,
                &url,
                &account_jwk,
            )?)),
            VaultRequest::PublicJwk { key_ref } => Ok(VaultResponse::PublicKey(
                self.key_ops()?.public_jwk(&key_ref)?,
            )),
            VaultRequest::OrderKeyCreate { order_id, key_type } => Ok(VaultResponse::Meta(
                self.key_ops()?.order_key(&order_id, key_type)?,
            )),
            VaultRequest::ExportFiles(req) => Ok(VaultResponse::Exported(crate::export::export(
                self.key_ops()?,
                req,
            )?)),
            VaultRequest::AuditList { after, limit } => {
                let (entries, next) = crate::audit::list(self.store()?.connection(), after, limit)?;
                Ok(VaultResponse::Audit(entries, next))
            }
            VaultRequest::Reveal {
                provider_id,
                secret_ref,
            } => {
                if !self.permits.covers_token(&provider_id, &secret_ref) {
                    return Err(WireError::forbidden(
                        "no live permit covers this secret for this provider",
                    ));
                }
                let meta = self
                    .store()?
                    .get_meta(&SecretSelector::Ref(secret_ref.clone()))
                    .map_err(WireError::from)?;
                if meta.kind != SecretKind::DnsProviderToken
                    || meta.owner.as_deref() != Some(provider_id.as_str())
                {
                    return Err(WireError::forbidden(
                        "this secret is not the provider's token",
                    ));
                }
                // Provider tokens are always local; the pairing they were
                // sealed with (owner, endpoint) goes back with the value.
                let (_, data, binding) = self
                    .store()?
                    .reveal_token(&SecretSelector::Ref(meta.reference))
                    .map_err(WireError::from)?;
                Ok(VaultResponse::RevealedToken { data, binding })
            }
        }
    }
}

impl StoreActor {
    /// The store, permits and key cache, borrowed together for a key request.
    fn key_ops(&mut self) -> WireResult<KeyOps<'_>> {
        self.store()?;
        let Self {
            store,
            permits,
            keys,
            ..
        } = self;
        Ok(KeyOps {
            store: store
                .as_mut()
                .ok_or_else(|| WireError::internal("store not open"))?,
            permits,
            cache: keys,
        })
    }
}

impl Actor for StoreActor {
    type Context = SyncContext<Self>;
}

/// One request from an authenticated peer.
pub struct Exec {
    /// The peer's role.
    pub role: Role,
    /// The request.
    pub request: VaultRequest,
}

impl Message for Exec {
    type Result = WireResult<VaultResponse>;
}

impl ActixHandler<Exec> for StoreActor {
    type Result = WireResult<VaultResponse>;

    fn handle(&mut self, msg: Exec, _ctx: &mut SyncContext<Self>) -> Self::Result {
        let locking = matches!(msg.request, VaultRequest::Lock);
        let result = self.dispatch(msg.role, msg.request);
        if locking {
            // Moves of the key left copies in this thread's dead stack frames.
            shared::secret::scrub_stack();
        }
        result
    }
}

/// The IPC handler: checks the allow-list and forwards to the store actor.
pub struct VaultService {
    store: Addr<StoreActor>,
}

impl VaultService {
    /// A service in front of `store`.
    pub fn new(store: Addr<StoreActor>) -> Arc<Self> {
        Arc::new(Self { store })
    }
}

impl Handler<VaultRequest, VaultResponse, NoEvent> for VaultService {
    fn permitted(&self, role: Role, request: &VaultRequest) -> bool {
        policy::permitted(role, request)
    }

    fn handle(
        self: Arc<Self>,
        role: Role,
        request: VaultRequest,
        _events: EventSink<NoEvent>,
    ) -> BoxFuture<WireResult<VaultResponse>> {
        Box::pin(async move {
            match self.store.send(Exec { role, request }).await {
                Ok(r) => r,
                Err(e) => Err(WireError::unavailable(format!(
                    "secret store is not running: {e}"
                ))),
            }
        })
    }
}
