//! The store actor and the IPC handler in front of it.
//!
//! `SecretStore` (SQLite + keyring) does blocking work, so it lives in an actix
//! `SyncArbiter` thread of its own: requests are serialized through its mailbox
//! and the async side (sockets, handshakes) never blocks on SQLite or D-Bus.
//!
//! The cheap requests (`Status`, `Get`, `ListPage`, `Reveal`, and `AcmeSign`
//! by a key already loaded) are answered on the socket thread itself when
//! they can be ([`FastReads`]): a read-only connection, the cached master
//! key while the store holds it, copies of the live token and ACME permits,
//! and the loaded signing keys (shared, emptied on lock), all published by
//! the actor after every request it runs. Same checks, same answers; whatever needs the store (a locked vault,
//! a busy database, a store not yet opened) goes to the actor as before.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, Addr, Handler as ActixHandler, Message, SyncContext};
use shared::error::{WireError, WireResult};
use shared::protocol::secrets::{KeySourceState, SecretKind, SecretSelector, VaultStatus};
use shared::protocol::vault::{VaultRequest, VaultResponse};
use shared::protocol::{NoEvent, Role};
use shared::rpc::{BoxFuture, EventSink, Handler};

use crate::external::config as external_config;
use crate::external::fetch::ExternalCache;
use crate::keys::apart::{self, KeyMaker};
use crate::keys::cache::KeyCache;
use crate::keys::grant;
use crate::keys::jws;
use crate::keys::ops::{check_acme_sign, KeyOps};
use crate::keys::VaultKey;
use crate::permits::{AcmePermits, Permits, TokenPermits};
use crate::policy;
use crate::resolve::{self, RunCache};
use crate::secrets::locked_key::KeyWatch;
use crate::secrets::masterkey;
use crate::secrets::store::read::{Outcome, Reader};
use crate::secrets::store::SecretStore;

/// Version of the export document format.
pub const EXPORT_VERSION: u32 = shared::protocol::vault::EXPORT_VERSION;

/// Refusal of a reveal no live permit covers.
const NO_PERMIT: &str = "no live permit covers this secret for this provider";

/// The reveal rule on the secret itself: only a provider token, only for the
/// provider that owns it (checked after the permit, on both paths).
fn provider_token_rule(kind: SecretKind, owner: Option<&str>, provider_id: &str) -> WireResult<()> {
    if kind != SecretKind::DnsProviderToken || owner != Some(provider_id) {
        return Err(WireError::forbidden(
            "this secret is not the provider's token",
        ));
    }
    Ok(())
}

/// What the socket thread needs to answer cheap reads itself, as the store
/// actor last published it.
#[derive(Default)]
pub struct FastReads {
    state: Mutex<FastState>,
}

#[derive(Default)]
struct FastState {
    /// Set once the store has opened (and migrated) the database.
    reader: Option<Reader>,
    /// The store's cached key, while it has one.
    key: KeyWatch,
    /// Set with the reader.
    key_source: Option<KeySourceState>,
    tokens: TokenPermits,
    /// The live ACME permits and the keys loaded while unlocked (emptied on
    /// lock), so that a signature by a loaded key is made here.
    acme: AcmePermits,
    signing_keys: HashMap<String, Arc<VaultKey>>,
}

impl FastReads {
    /// The answer to `request` from the socket thread, or `None` when the
    /// store must give it.
    fn answer(&self, request: &VaultRequest) -> Option<WireResult<VaultResponse>> {
        let mut guard = self.state.lock().ok()?;
        let FastState {
            reader,
            key,
            key_source,
            tokens,
            acme,
            signing_keys,
        } = &mut *guard;
        let reader = reader.as_mut()?;
        let outcome = match request {
            VaultRequest::Status => {
                return Some(Ok(VaultResponse::Status(VaultStatus {
                    unlocked: key.is_live(),
                    key_source: (*key_source)?,
                })))
            }
            VaultRequest::Get(selector) => match reader.get_meta(selector) {
                Outcome::Answer(r) => Outcome::Answer(r.map(VaultResponse::Meta)),
                Outcome::Defer => Outcome::Defer,
            },
            VaultRequest::ListPage {
                filter,
                after,
                limit,
            } => match reader.list_page(filter, after.as_deref(), *limit) {
                Outcome::Answer(Ok(Ok((page, next)))) => {
                    Outcome::Answer(Ok(VaultResponse::MetaPage(page, next)))
                }
                Outcome::Answer(Ok(Err(e)) | Err(e)) => Outcome::Answer(Err(e)),
                Outcome::Defer => Outcome::Defer,
            },
            VaultRequest::Reveal {
                provider_id,
                secret_ref,
            } => {
                if !tokens.covers(provider_id, secret_ref) {
                    return Some(Err(WireError::forbidden(NO_PERMIT)));
                }
                match reader.reveal_token(key, secret_ref, |kind, owner| {
                    provider_token_rule(kind, owner, provider_id)
                }) {
                    Outcome::Answer(r) => Outcome::Answer(
                        r.map(|(data, binding)| VaultResponse::RevealedToken { data, binding }),
                    ),
                    Outcome::Defer => Outcome::Defer,
                }
            }
            VaultRequest::AcmeSign {
                key_ref,
                url,
                nonce,
                signer,
                payload,
            } => {
                // The store's rule, on the store's latest copy of the permits.
                if let Err(e) = check_acme_sign(&acme.views(), key_ref, url, nonce, signer, payload)
                {
                    return Some(Err(e));
                }
                // A key not loaded yet is loaded (and checked) by the store.
                let signing_key = signing_keys.get(key_ref)?;
                let jws = jws::acme(signing_key, url, nonce, signer, payload);
                return Some(jws.map(VaultResponse::Jws).map_err(WireError::from));
            }
            _ => Outcome::Defer,
        };
        match outcome {
            Outcome::Answer(r) => Some(r),
            Outcome::Defer => None,
        }
    }
}

/// Owns the secret store; runs on its own thread.
pub struct StoreActor {
    data_dir: PathBuf,
    store: Option<SecretStore>,
    permits: Permits,
    external: ExternalCache,
    fast: Arc<FastReads>,
    /// Keys loaded while unlocked; emptied on lock.
    keys: KeyCache,
    /// Values decrypted for running workflows, by run id; each dropped
    /// (zeroized) when its permit ends.
    runs: HashMap<String, RunCache>,
}

impl StoreActor {
    /// An actor that opens the store under `data_dir` on first use and
    /// publishes to `fast` what the socket thread may answer itself.
    pub fn new(data_dir: PathBuf, fast: Arc<FastReads>) -> Self {
        Self {
            data_dir,
            store: None,
            permits: Permits::default(),
            external: ExternalCache::default(),
            fast,
            keys: KeyCache::default(),
            runs: HashMap::new(),
        }
    }

    /// Drops the caches of runs whose permit has ended (revoked or expired).
    fn end_finished_runs(&mut self) {
        let permits = &mut self.permits;
        self.runs.retain(|run_id, cache| {
            let live = permits.workflow_names(run_id).is_some();
            if !live {
                tracing::info!(run = %run_id, secrets_decrypted = cache.decrypts, "workflow run ended; its resolved values are zeroized");
            }
            live
        });
    }

    /// Publishes the reader (once the store is open), the key's view and the
    /// live token permits for the socket thread's fast reads.
    fn publish(&mut self) {
        let Some(store) = self.store.as_ref() else {
            return;
        };
        let tokens = self.permits.token_permits();
        let acme = self.permits.acme_permits();
        let signing_keys = self.keys.shared();
        let key = store.key_watch();
        let key_source = store.status().key_source;
        let Ok(mut st) = self.fast.state.lock() else {
            return;
        };
        if st.reader.is_none() {
            match Reader::open(&self.data_dir) {
                Ok(r) => st.reader = Some(r),
                Err(e) => {
                    tracing::debug!(error = %e, "no read connection; reads go through the store")
                }
            }
        }
        if let Some(r) = st.reader.as_mut() {
            r.forget_rows();
        }
        st.key = key;
        st.key_source = Some(key_source);
        st.tokens = tokens;
        st.acme = acme;
        st.signing_keys = signing_keys;
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

    /// Runs `request` for `role`; `made` is the key a `KeyCreate` or
    /// `OrderKeyCreate` asked for, already made off this thread.
    fn dispatch(
        &mut self,
        role: Role,
        request: VaultRequest,
        made: Option<VaultKey>,
    ) -> WireResult<VaultResponse> {
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
                        key_source: KeySourceState::Unavailable(e.code),
                    },
                )),
            },
            VaultRequest::Lock => match self.store.as_mut() {
                Some(s) => {
                    // Key objects go with the master key: both zeroized now,
                    // and so are the values of running workflows.
                    self.keys.clear();
                    self.runs.clear();
                    s.lock();
                    Ok(VaultResponse::Status(s.status()))
                }
                // Nothing opened, nothing cached: locking must not load the key.
                None => Ok(VaultResponse::Status(
                    shared::protocol::secrets::VaultStatus {
                        unlocked: false,
                        key_source: KeySourceState::NotOpened,
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
            VaultRequest::UnpairedTokens { after, limit } => Ok(VaultResponse::Unpaired(
                crate::secrets::db::unpaired_tokens(
                    self.store()?.connection(),
                    after.as_deref(),
                    limit.min(5000),
                )
                .map_err(WireError::from)?,
            )),
            VaultRequest::ListStaged => Ok(VaultResponse::Staged(
                self.store()?.list_pending().map_err(WireError::from)?,
            )),
            VaultRequest::ListPage {
                filter,
                after,
                limit,
            } => {
                let (page, next) = self
                    .store()?
                    .list_page(&filter, after.as_deref(), limit)
                    .map_err(WireError::from)??;
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
                self.end_finished_runs();
                Ok(VaultResponse::Done)
            }
            VaultRequest::KeyCreate(new) => {
                Ok(VaultResponse::Meta(self.key_ops()?.create(new, made)?))
            }
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
                self.key_ops()?.order_key(&order_id, key_type, made)?,
            )),
            VaultRequest::ExportFiles(req) => Ok(VaultResponse::Exported(crate::export::export(
                self.key_ops()?,
                req,
            )?)),
            VaultRequest::AuditList { after, limit } => {
                let (entries, next) = crate::audit::list(self.store()?.connection(), after, limit)?;
                Ok(VaultResponse::Audit(entries, next))
            }
            VaultRequest::WorkflowResolve { run_id, url, texts } => {
                self.end_finished_runs();
                let Some(names) = self.permits.workflow_names(&run_id) else {
                    return Err(WireError::forbidden("no live workflow permit for this run"));
                };
                self.store()?;
                let Self {
                    store,
                    external,
                    runs,
                    ..
                } = self;
                let store = store
                    .as_mut()
                    .ok_or_else(|| WireError::internal("store not open"))?;
                let cache = runs.entry(run_id).or_default();
                let (resolved, decrypted) =
                    resolve::resolve(store, external, cache, &names, &url, &texts)?;
                Ok(VaultResponse::WorkflowResolved(resolved, decrypted))
            }
            VaultRequest::Reveal {
                provider_id,
                secret_ref,
            } => {
                if !self.permits.covers_token(&provider_id, &secret_ref) {
                    return Err(WireError::forbidden(NO_PERMIT));
                }
                let meta = self
                    .store()?
                    .get_meta(&SecretSelector::Ref(secret_ref.clone()))
                    .map_err(WireError::from)?;
                provider_token_rule(meta.kind, meta.owner.as_deref(), &provider_id)?;
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
    /// For a request that makes a key: the key, made off the store thread.
    pub made: Option<VaultKey>,
}

impl Message for Exec {
    type Result = WireResult<VaultResponse>;
}

impl ActixHandler<Exec> for StoreActor {
    type Result = WireResult<VaultResponse>;

    fn handle(&mut self, msg: Exec, _ctx: &mut SyncContext<Self>) -> Self::Result {
        let locking = matches!(msg.request, VaultRequest::Lock);
        let result = self.dispatch(msg.role, msg.request, msg.made);
        self.publish();
        if locking {
            // Moves of the key left copies in this thread's dead stack frames.
            shared::secret::scrub_stack();
        }
        result
    }
}

/// Asks the store whether the key a request asks for may be made now
/// (before it is made off the store thread; the store checks again on save).
pub struct MayMakeKey {
    /// The peer's role.
    pub role: Role,
    /// A `KeyCreate` or `OrderKeyCreate`.
    pub request: VaultRequest,
}

impl Message for MayMakeKey {
    type Result = WireResult<()>;
}

impl ActixHandler<MayMakeKey> for StoreActor {
    type Result = WireResult<()>;

    fn handle(&mut self, msg: MayMakeKey, _ctx: &mut SyncContext<Self>) -> Self::Result {
        if !policy::permitted(msg.role, &msg.request) {
            return Err(WireError::forbidden("request not allowed for this role"));
        }
        self.key_ops()?.may_make(&msg.request)
    }
}

/// The IPC handler: checks the allow-list, answers the cheap reads it can
/// on the socket thread and forwards everything else to the store actor.
pub struct VaultService {
    store: Addr<StoreActor>,
    fast: Arc<FastReads>,
    keys: KeyMaker,
}

impl VaultService {
    /// A service in front of `store`, answering from what it publishes to `fast`.
    pub fn new(store: Addr<StoreActor>, fast: Arc<FastReads>) -> Arc<Self> {
        Arc::new(Self {
            store,
            fast,
            keys: KeyMaker::default(),
        })
    }

    /// The key `request` asks for, made off the store thread once the store
    /// says it may be (`None` for every other request).
    async fn make_key(&self, role: Role, request: &VaultRequest) -> WireResult<Option<VaultKey>> {
        let Some(key_type) = apart::key_to_make(request) else {
            return Ok(None);
        };
        let check = MayMakeKey {
            role,
            request: request.clone(),
        };
        match self.store.send(check).await {
            Ok(allowed) => allowed?,
            Err(e) => {
                return Err(WireError::unavailable(format!(
                    "secret store is not running: {e}"
                )))
            }
        }
        self.keys.make(key_type).await.map(Some)
    }
}

impl Handler<VaultRequest, VaultResponse, NoEvent> for VaultService {
    fn permitted(&self, role: Role, request: &VaultRequest) -> bool {
        policy::permitted(role, request)
    }

    fn handle_inline(
        &self,
        role: Role,
        request: VaultRequest,
    ) -> Result<WireResult<VaultResponse>, VaultRequest> {
        if !policy::permitted(role, &request) {
            return Err(request);
        }
        match self.fast.answer(&request) {
            Some(answer) => Ok(answer),
            None => Err(request),
        }
    }

    fn handle(
        self: Arc<Self>,
        role: Role,
        request: VaultRequest,
        _events: EventSink<NoEvent>,
    ) -> BoxFuture<WireResult<VaultResponse>> {
        Box::pin(async move {
            let locking = matches!(request, VaultRequest::Lock);
            let made = self.make_key(role, &request).await?;
            let result = match self
                .store
                .send(Exec {
                    role,
                    request,
                    made,
                })
                .await
            {
                Ok(r) => r,
                Err(e) => Err(WireError::unavailable(format!(
                    "secret store is not running: {e}"
                ))),
            };
            if locking {
                // Fast reveals ran on this thread: wipe their dead stack frames too.
                shared::secret::scrub_stack();
            }
            result
        })
    }
}
