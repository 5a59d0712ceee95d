//! Starts vault-proc and dns-proc, connects to them as the broker role, and
//! restarts a child that dies, issuing fresh capability keys every time. The
//! loop, the restart policy and the published-client slot are
//! `shared::supervise`, the same ones ui-bridge uses for the broker.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::error::WireResult;
use shared::lifecycle::{send_control, spawn_child_without, Spawned};
use shared::protocol::control::{Bootstrap, Control, PeerGrant, ServerAddress};
use shared::protocol::dnsproc::{DnsEvent, DnsRequest, DnsResponse};
use shared::protocol::vault::{VaultRequest, VaultResponse};
use shared::protocol::{NoEvent, Role};
use shared::rpc::RpcClient;
use shared::secret::Key32;
use shared::supervise::{supervise, ClientSlot, Supervised};
use tokio::process::{Child, ChildStdin};
use tokio::sync::Mutex;

/// Client of vault-proc.
pub type VaultClient = RpcClient<VaultRequest, VaultResponse, NoEvent>;
/// Client of dns-proc.
pub type DnsClient = RpcClient<DnsRequest, DnsResponse, DnsEvent>;

/// Which child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    /// vault-proc.
    Vault,
    /// dns-proc.
    Dns,
}

impl ChildKind {
    fn name(self) -> &'static str {
        match self {
            ChildKind::Vault => "vault-proc",
            ChildKind::Dns => "dns-proc",
        }
    }
}

struct Running {
    pid: u32,
    control: ChildStdin,
    socket: String,
}

#[derive(Default)]
struct Children {
    vault: Option<Running>,
    dns: Option<Running>,
}

/// The supervisor. Shared by the router and the start-up code.
pub struct Supervisor {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    vault_bin: PathBuf,
    dns_bin: PathBuf,
    vault: ClientSlot<VaultRequest, VaultResponse, NoEvent>,
    dns: ClientSlot<DnsRequest, DnsResponse, DnsEvent>,
    children: Mutex<Children>,
    shutting_down: AtomicBool,
}

/// How long a caller waits for a restarting child.
const RESTART_WAIT: Duration = Duration::from_secs(3);
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// One child of the supervisor, as the shared supervision loop sees it.
struct ChildOf {
    sup: Arc<Supervisor>,
    kind: ChildKind,
}

impl Supervised for ChildOf {
    fn name(&self) -> &'static str {
        self.kind.name()
    }

    fn stopping(&self) -> bool {
        self.sup.shutting_down.load(Ordering::SeqCst)
    }

    async fn start(&self) -> Result<Child, String> {
        self.sup.start(self.kind).await
    }

    async fn forget(&self) {
        self.sup.forget(self.kind).await
    }
}

impl Supervisor {
    /// A supervisor for children found at the given paths.
    pub fn new(
        data_dir: PathBuf,
        socket_dir: PathBuf,
        vault_bin: PathBuf,
        dns_bin: PathBuf,
    ) -> Arc<Self> {
        Arc::new(Self {
            data_dir,
            socket_dir,
            vault_bin,
            dns_bin,
            vault: ClientSlot::default(),
            dns: ClientSlot::default(),
            children: Mutex::new(Children::default()),
            shutting_down: AtomicBool::new(false),
        })
    }

    /// Starts the supervision loops of both children.
    pub fn spawn_all(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(supervise(
                Arc::new(ChildOf {
                    sup: self.clone(),
                    kind: ChildKind::Vault,
                }),
                None,
            )),
            tokio::spawn(supervise(
                Arc::new(ChildOf {
                    sup: self.clone(),
                    kind: ChildKind::Dns,
                }),
                None,
            )),
        ]
    }

    /// Waits until both children are connected, at most `timeout`.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.vault.is_ready() && self.dns.is_ready() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The current vault-proc client, waiting briefly for a restart.
    pub async fn vault(&self) -> WireResult<Arc<VaultClient>> {
        self.vault
            .current("vault-proc", RESTART_WAIT, &self.shutting_down)
            .await
    }

    /// The current dns-proc client, waiting briefly for a restart.
    pub async fn dns(&self) -> WireResult<Arc<DnsClient>> {
        self.dns
            .current("dns-proc", RESTART_WAIT, &self.shutting_down)
            .await
    }

    /// Stops supervising and closes both control pipes (children exit on EOF).
    pub async fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.vault.clear();
        self.dns.clear();
        let mut c = self.children.lock().await;
        c.vault = None;
        c.dns = None;
    }

    async fn forget(&self, kind: ChildKind) {
        match kind {
            ChildKind::Vault => {
                self.vault.clear();
                self.children.lock().await.vault = None;
            }
            ChildKind::Dns => {
                self.dns.clear();
                self.children.lock().await.dns = None;
            }
        }
    }

    async fn start(&self, kind: ChildKind) -> Result<Child, String> {
        let key = Key32::random().map_err(|e| e.to_string())?;
        let bootstrap = Bootstrap {
            data_dir: self.data_dir.to_string_lossy().into_owned(),
            socket_dir: Some(self.socket_dir.to_string_lossy().into_owned()),
            parent: PeerGrant {
                pid: std::process::id(),
                key: key.clone(),
            },
        };
        // Only vault-proc may see an explicit master key.
        let (bin, strip): (&PathBuf, &[&str]) = match kind {
            ChildKind::Vault => (&self.vault_bin, &[]),
            ChildKind::Dns => (&self.dns_bin, &["SSLBOARD_MASTER_KEY"]),
        };
        let Spawned {
            child,
            pid,
            control,
            ready,
        } = spawn_child_without(bin, &[], strip, &bootstrap, READY_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        let socket = PathBuf::from(&ready.socket);
        let mut children = self.children.lock().await;
        let running = Running {
            pid,
            control,
            socket: ready.socket.clone(),
        };
        match kind {
            ChildKind::Vault => {
                let client = RpcClient::connect(&socket, "vault-proc", Role::Broker, &key, pid)
                    .await
                    .map_err(|e| e.to_string())?;
                children.vault = Some(running);
                self.rekey_dns_vault(&mut children).await;
                self.vault.publish(pid, client);
            }
            ChildKind::Dns => {
                let client = RpcClient::connect(&socket, "dns-proc", Role::Broker, &key, pid)
                    .await
                    .map_err(|e| e.to_string())?;
                children.dns = Some(running);
                self.rekey_dns_vault(&mut children).await;
                self.dns.publish(pid, client);
            }
        }
        tracing::info!(child = kind.name(), pid, "child started");
        Ok(child)
    }

    /// Issues a fresh dns→vault capability: vault-proc learns the dns-proc pid
    /// and key, dns-proc learns where vault-proc is. Runs whenever either starts.
    async fn rekey_dns_vault(&self, children: &mut Children) {
        let (Some(vault), Some(dns)) = (children.vault.as_mut(), children.dns.as_mut()) else {
            return;
        };
        let Ok(key) = Key32::random() else {
            tracing::error!("random source failed; dns-proc cannot reach vault-proc");
            return;
        };
        let allow = Control::AllowDnsPeer(PeerGrant {
            pid: dns.pid,
            key: key.clone(),
        });
        if let Err(e) = send_control(&mut vault.control, &allow).await {
            tracing::warn!(error = %e, "could not send dns grant to vault-proc");
        }
        let addr = Control::VaultAddress(ServerAddress {
            socket: vault.socket.clone(),
            pid: vault.pid,
            key: key.clone(),
        });
        if let Err(e) = send_control(&mut dns.control, &addr).await {
            tracing::warn!(error = %e, "could not send vault address to dns-proc");
        }
    }
}
