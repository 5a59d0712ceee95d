//! vault-proc driven directly, with this test process in the roles of both the
//! broker and dns-proc (it spawns vault-proc, so it is the expected pid for
//! both grants). Used where a test or benchmark needs the dns role's view:
//! reveal and key operations.

use std::collections::BTreeMap;
use std::time::Duration;

use shared::error::WireResult;
use shared::lifecycle::{send_control, sibling_binary, spawn_child, Spawned};
use shared::protocol::control::{Bootstrap, Control, PeerGrant};
use shared::protocol::secrets::{NewSecret, SecretKind, SecretMeta, SecretType};
use shared::protocol::vault::{PermitScope, VaultRequest, VaultResponse};
use shared::protocol::{NoEvent, Role};
use shared::rpc::RpcClient;
use shared::secret::{Key32, SecretString};

/// A vault-proc client.
pub type VaultClient = RpcClient<VaultRequest, VaultResponse, NoEvent>;

/// A running vault-proc with a broker-role and a dns-role connection.
pub struct DirectVault {
    pub rt: tokio::runtime::Runtime,
    pub broker: VaultClient,
    pub dns: VaultClient,
    child: Option<Spawned>,
    broker_key: Key32,
    dns_key: Key32,
    data_dir: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl DirectVault {
    /// Starts vault-proc with an env master key; `env` is added to this
    /// process's environment first (vault-proc inherits it).
    pub fn start(env: &[(&str, &str)]) -> Self {
        Self::start_with(env, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", None)
    }

    /// Starts vault-proc on an existing data dir (after a tree used it) with
    /// that tree's env master key.
    pub fn open(data_dir: &std::path::Path, master_key_b64: &str) -> Self {
        Self::start_with(&[], master_key_b64, Some(data_dir))
    }

    fn start_with(
        env: &[(&str, &str)],
        master_key_b64: &str,
        data_dir: Option<&std::path::Path>,
    ) -> Self {
        std::env::set_var("SSLBOARD_KEY_SOURCE", "env");
        std::env::set_var("SSLBOARD_MASTER_KEY", master_key_b64);
        for (k, v) in env {
            std::env::set_var(k, v);
        }
        // Current-thread, like the actix system dns-proc runs its client on.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let broker_key = Key32::random().unwrap();
        let dns_key = Key32::random().unwrap();
        let data = match data_dir {
            Some(d) => d.to_path_buf(),
            None => {
                std::fs::create_dir(dir.path().join("data")).unwrap();
                dir.path().join("data")
            }
        };
        let (broker, dns, child) = rt.block_on(async {
            let socket_dir = dir.path().join("sock");
            std::fs::create_dir(&socket_dir).unwrap();
            let bootstrap = Bootstrap {
                data_dir: data.to_string_lossy().into_owned(),
                socket_dir: Some(socket_dir.to_string_lossy().into_owned()),
                parent: PeerGrant {
                    pid: std::process::id(),
                    key: broker_key.clone(),
                },
            };
            let bin = crate::bin_dir().join("vault-proc");
            let bin = if bin.is_file() {
                bin
            } else {
                sibling_binary("vault-proc").unwrap()
            };
            let mut child = spawn_child(&bin, &[], &bootstrap, Duration::from_secs(10))
                .await
                .unwrap();
            send_control(
                &mut child.control,
                &Control::AllowDnsPeer(PeerGrant {
                    pid: std::process::id(),
                    key: dns_key.clone(),
                }),
            )
            .await
            .unwrap();
            let socket = std::path::PathBuf::from(&child.ready.socket);
            let broker =
                VaultClient::connect(&socket, "vault-proc", Role::Broker, &broker_key, child.pid)
                    .await
                    .unwrap();
            // The grant travels over vault-proc's stdin and is applied
            // asynchronously: retry until it has been.
            let mut attempt = 0;
            let dns = loop {
                match VaultClient::connect(&socket, "vault-proc", Role::Dns, &dns_key, child.pid)
                    .await
                {
                    Ok(c) => break c,
                    Err(e) if attempt < 100 => {
                        attempt += 1;
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err(e) => panic!("dns role could not connect: {e}"),
                }
            };
            (broker, dns, child)
        });
        Self {
            rt,
            broker,
            dns,
            child: Some(child),
            broker_key,
            dns_key,
            data_dir: data,
            _dir: dir,
        }
    }

    /// A fresh connection as `role` (with that role's key; the UI role has none here).
    pub fn connect_as(&self, role: Role) -> Result<VaultClient, String> {
        let key = match role {
            Role::Broker => &self.broker_key,
            Role::Dns => &self.dns_key,
            Role::Ui => &self.broker_key,
        };
        let child = self.child.as_ref().unwrap();
        let socket = std::path::PathBuf::from(&child.ready.socket);
        self.rt
            .block_on(VaultClient::connect(
                &socket,
                "vault-proc",
                role,
                key,
                child.pid,
            ))
            .map_err(|e| e.to_string())
    }

    /// Calls on `client` with this vault's runtime.
    pub fn call_on(&self, client: &VaultClient, req: VaultRequest) -> WireResult<VaultResponse> {
        self.rt.block_on(client.call(req, Duration::from_secs(30)))
    }

    /// Calls as the broker.
    pub fn as_broker(&self, req: VaultRequest) -> WireResult<VaultResponse> {
        self.rt
            .block_on(self.broker.call(req, Duration::from_secs(30)))
    }

    /// Calls as dns-proc.
    pub fn as_dns(&self, req: VaultRequest) -> WireResult<VaultResponse> {
        self.rt
            .block_on(self.dns.call(req, Duration::from_secs(30)))
    }

    /// Creates a secret as the broker and returns its metadata.
    pub fn create(&self, new: NewSecret) -> SecretMeta {
        match self.as_broker(VaultRequest::Create(new)).unwrap() {
            VaultResponse::Meta(m) => m,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// A secret's field read straight from `secrets.sqlite` with vault-proc's
    /// own store code, in this process (no production path reveals a generic
    /// secret: tests use this to check what was stored). `None` when there is
    /// no secret of that name.
    pub fn stored_value(&self, name: &str, field: &str) -> Option<String> {
        use shared::protocol::secrets::SecretSelector;
        use vault_proc::secrets::{masterkey, SecretStore, VaultError};
        let source = masterkey::select_source().unwrap();
        let mut store = SecretStore::open(&self.data_dir, source).unwrap();
        match store.reveal(&SecretSelector::Name(name.into())) {
            // EXPOSE: tests compare stored values.
            Ok((_, data)) => Some(data.get(field)?.expose().to_string()),
            Err(VaultError::NotFound { .. }) => None,
            Err(e) => panic!("cannot read {name}: {e}"),
        }
    }

    /// Grants dns-proc a permit for `scope` (10 minutes).
    pub fn grant(&self, scope: PermitScope) {
        match self
            .as_broker(VaultRequest::GrantPermit {
                scope,
                ttl_ms: 600_000,
            })
            .unwrap()
        {
            VaultResponse::Done => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Revokes one hold on `scope` as the broker.
    pub fn revoke(&self, scope: PermitScope) {
        self.as_broker(VaultRequest::RevokePermit { scope })
            .unwrap();
    }

    /// Grants dns-proc a permit to reveal `secret_ref` for `provider_id`.
    pub fn permit(&self, provider_id: &str, secret_ref: &str) {
        self.grant(token_scope(provider_id, secret_ref));
    }

    /// Reveals a provider token as dns-proc: field name → value.
    pub fn reveal(
        &self,
        provider_id: &str,
        secret_ref: &str,
    ) -> WireResult<BTreeMap<String, String>> {
        match self.as_dns(VaultRequest::Reveal {
            provider_id: provider_id.into(),
            secret_ref: secret_ref.into(),
        })? {
            VaultResponse::RevealedToken { data, .. } => Ok(data
                .into_iter()
                // EXPOSE: tests compare the revealed values.
                .map(|(k, v)| (k, v.expose().to_string()))
                .collect()),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// The permit scope that lets dns-proc reveal `secret_ref` for `provider_id`.
pub fn token_scope(provider_id: &str, secret_ref: &str) -> PermitScope {
    PermitScope::ProviderToken {
        provider_id: provider_id.into(),
        secret_ref: secret_ref.into(),
    }
}

impl DirectVault {
    /// The data directory this vault-proc serves (a path it holds for its life).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// vault-proc's pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, |c| c.pid)
    }
}

impl Drop for DirectVault {
    fn drop(&mut self) {
        if let Some(c) = self.child.take() {
            drop(c.control);
            let mut child = c.child;
            let _ = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(2), child.wait()).await
            });
        }
    }
}

/// A `NewSecret` of `secret_type` with `fields`.
pub fn new_secret(
    name: &str,
    secret_type: SecretType,
    kind: SecretKind,
    fields: &[(&str, &str)],
) -> NewSecret {
    let data: BTreeMap<String, SecretString> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), SecretString::from(*v)))
        .collect();
    NewSecret {
        name: name.into(),
        secret_type,
        kind,
        data,
        label: None,
        description: None,
        tags: vec![],
        owner: None,
        external: None,
        binding: None,
        allowed_hosts: None,
    }
}
