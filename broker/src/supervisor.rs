//! Starts vault-proc and dns-proc, connects to them as the broker role, and
//! restarts a child that dies, issuing fresh capability keys every time. A
//! child that had run for a second or more is restarted after 50 ms; one that
//! keeps dying sooner (a crash loop) backs off exponentially up to 5 s. Callers ask for
//! the current client and wait briefly while a restart is in progress.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::error::{WireError, WireResult};
use shared::lifecycle::{send_control, spawn_child_without, Spawned};
use shared::protocol::control::{Bootstrap, Control, PeerGrant, ServerAddress};
use shared::protocol::dnsproc::{DnsEvent, DnsRequest, DnsResponse};
use shared::protocol::vault::{VaultRequest, VaultResponse};
use shared::protocol::{NoEvent, Role};
use shared::rpc::RpcClient;
use shared::secret::Key32;
use tokio::process::{Child, ChildStdin};
use tokio::sync::{watch, Mutex};

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
    /// Key dns-proc uses towards vault-proc; re-issued whenever either restarts.
    dns_vault_key: Option<Key32>,
}

/// The supervisor. Shared by the router and the start-up code.
pub struct Supervisor {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    vault_bin: PathBuf,
    dns_bin: PathBuf,
    vault: watch::Sender<Option<Arc<VaultClient>>>,
    dns: watch::Sender<Option<Arc<DnsClient>>>,
    children: Mutex<Children>,
    shutting_down: AtomicBool,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A child that lived this long was serving: its death is not a crash loop.
const STABLE_AFTER: Duration = Duration::from_secs(1);
const READY_TIMEOUT: Duration = Duration::from_secs(15);

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
            vault: watch::channel(None).0,
            dns: watch::channel(None).0,
            children: Mutex::new(Children::default()),
            shutting_down: AtomicBool::new(false),
        })
    }

    /// Starts the supervision loops of both children.
    pub fn spawn_all(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(self.clone().supervise(ChildKind::Vault)),
            tokio::spawn(self.clone().supervise(ChildKind::Dns)),
        ]
    }

    /// Waits until both children are connected, at most `timeout`.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.vault.borrow().is_some() && self.dns.borrow().is_some() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The current vault-proc client, waiting up to 3 s for a restart.
    pub async fn vault(&self) -> WireResult<Arc<VaultClient>> {
        if self.vault.borrow().as_ref().is_some_and(|c| c.is_closed()) {
            self.restart_stale(ChildKind::Vault).await;
        }
        current(&self.vault, "vault-proc").await
    }

    /// The current dns-proc client, waiting up to 3 s for a restart.
    pub async fn dns(&self) -> WireResult<Arc<DnsClient>> {
        if self.dns.borrow().as_ref().is_some_and(|c| c.is_closed()) {
            self.restart_stale(ChildKind::Dns).await;
        }
        current(&self.dns, "dns-proc").await
    }

    /// Our connection to a live child is gone (it refused a frame, or the
    /// socket broke): kill the child so supervision restarts it with fresh keys
    /// and a fresh connection, instead of every later call failing.
    async fn restart_stale(&self, kind: ChildKind) {
        let pid = {
            let c = self.children.lock().await;
            match kind {
                ChildKind::Vault => c.vault.as_ref().map(|r| r.pid),
                ChildKind::Dns => c.dns.as_ref().map(|r| r.pid),
            }
        };
        if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
            tracing::warn!(
                child = kind.name(),
                pid,
                "connection to a live child was lost; restarting it"
            );
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        match kind {
            ChildKind::Vault => drop(self.vault.send_replace(None)),
            ChildKind::Dns => drop(self.dns.send_replace(None)),
        }
    }

    /// Pids of the running children (for diagnostics and tests).
    pub async fn pids(&self) -> (Option<u32>, Option<u32>) {
        let c = self.children.lock().await;
        (
            c.vault.as_ref().map(|r| r.pid),
            c.dns.as_ref().map(|r| r.pid),
        )
    }

    /// Stops supervising and closes both control pipes (children exit on EOF).
    pub async fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.vault.send_replace(None);
        self.dns.send_replace(None);
        let mut c = self.children.lock().await;
        c.vault = None;
        c.dns = None;
    }

    async fn supervise(self: Arc<Self>, kind: ChildKind) {
        let mut backoff = FIRST_BACKOFF;
        while !self.shutting_down.load(Ordering::SeqCst) {
            let started = Instant::now();
            match self.start(kind).await {
                Ok(mut child) => {
                    let status = child.wait().await;
                    self.forget(kind).await;
                    if self.shutting_down.load(Ordering::SeqCst) {
                        return;
                    }
                    tracing::warn!(child = kind.name(), status = ?status, "child exited; restarting");
                    if started.elapsed() > STABLE_AFTER {
                        backoff = FIRST_BACKOFF;
                    }
                }
                Err(e) => {
                    tracing::error!(child = kind.name(), error = %e, "child failed to start");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn forget(&self, kind: ChildKind) {
        match kind {
            ChildKind::Vault => {
                self.vault.send_replace(None);
                self.children.lock().await.vault = None;
            }
            ChildKind::Dns => {
                self.dns.send_replace(None);
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
                self.vault.send_replace(Some(Arc::new(client)));
            }
            ChildKind::Dns => {
                let client = RpcClient::connect(&socket, "dns-proc", Role::Broker, &key, pid)
                    .await
                    .map_err(|e| e.to_string())?;
                children.dns = Some(running);
                self.rekey_dns_vault(&mut children).await;
                self.dns.send_replace(Some(Arc::new(client)));
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
        children.dns_vault_key = Some(key);
    }
}

/// The published client of one child (None while it restarts).
type Slot<Q, R, E> = watch::Sender<Option<Arc<RpcClient<Q, R, E>>>>;

async fn current<Q, R, E>(slot: &Slot<Q, R, E>, name: &str) -> WireResult<Arc<RpcClient<Q, R, E>>>
where
    Q: serde::Serialize + Send + 'static,
    R: serde::de::DeserializeOwned + serde::Serialize + Send + 'static,
    E: serde::de::DeserializeOwned + serde::Serialize + Send + 'static,
{
    let mut rx = slot.subscribe();
    let wait = async {
        loop {
            if let Some(c) = rx.borrow_and_update().as_ref() {
                if !c.is_closed() {
                    return Some(c.clone());
                }
            }
            // Re-check at least every 50 ms: a closed client is replaced without a change
            // notification until the restart completes.
            if let Ok(Err(_)) = tokio::time::timeout(Duration::from_millis(50), rx.changed()).await
            {
                return None;
            }
        }
    };
    match tokio::time::timeout(Duration::from_secs(3), wait).await {
        Ok(Some(c)) => Ok(c),
        _ => Err(WireError::unavailable(format!(
            "{name} is restarting; try again"
        ))),
    }
}
