//! Starts the broker next to our own executable, authenticates to it as the UI
//! role, and restarts it with backoff if it dies. Requests in flight when it
//! dies fail with `unavailable`; new ones wait briefly for the restart.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::error::{WireError, WireResult};
use shared::lifecycle::{sibling_binary, spawn_child, SpawnError, Spawned};
use shared::protocol::control::{Bootstrap, PeerGrant};
use shared::protocol::ui::{UiEvent, UiRequest, UiResponse};
use shared::protocol::Role;
use shared::rpc::RpcClient;
use shared::secret::Key32;
use tokio::process::{Child, ChildStdin};
use tokio::sync::{mpsc, watch, Mutex};

use crate::BridgeError;

/// Client of the broker.
pub type UiClient = RpcClient<UiRequest, UiResponse, UiEvent>;

/// Exit code the broker uses when the data directory is in use.
const BROKER_EXIT_IN_USE: i32 = 3;

/// The link to the (current) broker.
pub struct BrokerLink {
    data_dir: PathBuf,
    broker_bin: PathBuf,
    client: watch::Sender<Option<Arc<UiClient>>>,
    control: Mutex<Option<ChildStdin>>,
    shutting_down: AtomicBool,
    exited: watch::Sender<bool>,
    broker_pid: std::sync::atomic::AtomicU32,
    /// UI request id → broker-hop id of requests in flight (for cancels).
    in_flight: std::sync::Mutex<std::collections::HashMap<u64, u64>>,
}

impl BrokerLink {
    /// Starts the first broker; fails if it cannot start (e.g. data dir in use).
    pub async fn start(data_dir: PathBuf) -> Result<Arc<Self>, BridgeError> {
        let broker_bin = sibling_binary("broker").map_err(|e| BridgeError::Start(e.to_string()))?;
        let link = Arc::new(Self {
            data_dir,
            broker_bin,
            client: watch::channel(None).0,
            control: Mutex::new(None),
            shutting_down: AtomicBool::new(false),
            exited: watch::channel(false).0,
            broker_pid: std::sync::atomic::AtomicU32::new(0),
            in_flight: std::sync::Mutex::new(std::collections::HashMap::new()),
        });
        let child = link.spawn_once().await.map_err(|e| match e {
            SpawnError::Exited {
                code: Some(BROKER_EXIT_IN_USE),
                ..
            } => BridgeError::InUse,
            other => BridgeError::Start(other.to_string()),
        })?;
        tokio::spawn(link.clone().supervise(child));
        Ok(link)
    }

    async fn spawn_once(&self) -> Result<Child, SpawnError> {
        let key = Key32::random().map_err(|e| SpawnError::Start {
            name: "broker".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let bootstrap = Bootstrap {
            data_dir: self.data_dir.to_string_lossy().into_owned(),
            socket_dir: None,
            parent: PeerGrant {
                pid: std::process::id(),
                key: key.clone(),
            },
        };
        let Spawned {
            child,
            pid,
            control,
            ready,
        } = spawn_child(&self.broker_bin, &[], &bootstrap, Duration::from_secs(30)).await?;
        let client = UiClient::connect(
            std::path::Path::new(&ready.socket),
            "broker",
            Role::Ui,
            &key,
            pid,
        )
        .await
        .map_err(|e| SpawnError::Start {
            name: "broker".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        *self.control.lock().await = Some(control);
        self.broker_pid.store(pid, Ordering::SeqCst);
        self.client.send_replace(Some(Arc::new(client)));
        tracing::debug!(pid, "broker connected");
        Ok(child)
    }

    async fn supervise(self: Arc<Self>, mut child: Child) {
        let mut backoff = Duration::from_millis(50);
        loop {
            let started = Instant::now();
            let status = child.wait().await;
            self.client.send_replace(None);
            if self.shutting_down.load(Ordering::SeqCst) {
                self.exited.send_replace(true);
                return;
            }
            tracing::warn!(status = ?status, "broker exited; restarting");
            if started.elapsed() > Duration::from_secs(10) {
                backoff = Duration::from_millis(50);
            }
            loop {
                if self.shutting_down.load(Ordering::SeqCst) {
                    self.exited.send_replace(true);
                    return;
                }
                match self.spawn_once().await {
                    Ok(c) => {
                        child = c;
                        break;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "broker restart failed");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
    }

    /// The current broker client, waiting up to 5 s for a restart.
    pub async fn client(&self) -> WireResult<Arc<UiClient>> {
        if self.client.borrow().as_ref().is_some_and(|c| c.is_closed()) {
            // The broker is alive but our connection is gone: restart it.
            let pid = self.broker_pid.load(Ordering::SeqCst);
            if let Ok(pid) = i32::try_from(pid) {
                if pid > 0 {
                    tracing::warn!(pid, "connection to the broker was lost; restarting it");
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
            self.client.send_replace(None);
        }
        let mut rx = self.client.subscribe();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(c) = rx.borrow_and_update().as_ref() {
                if !c.is_closed() {
                    return Ok(c.clone());
                }
            }
            if Instant::now() >= deadline || self.shutting_down.load(Ordering::SeqCst) {
                return Err(WireError::unavailable(
                    "the broker is restarting; try again",
                ));
            }
            let _ = tokio::time::timeout(Duration::from_millis(25), rx.changed()).await;
        }
    }

    /// Sends one request with the UI's request id, forwarding events.
    pub async fn call(
        &self,
        ui_id: u64,
        request: UiRequest,
        events: Option<mpsc::UnboundedSender<UiEvent>>,
    ) -> WireResult<UiResponse> {
        let timeout = match &request {
            UiRequest::DnsProviderTest(p) => {
                Duration::from_secs(p.timeout_secs.unwrap_or(60).min(600) + 240)
            }
            UiRequest::CertificateIssue(p) => {
                Duration::from_secs(p.timeout_secs.unwrap_or(300).min(3600) + 240)
            }
            _ => Duration::from_secs(120),
        };
        let client = self.client().await?;
        // A fresh id on the broker hop: a UI that reuses an id can never receive
        // a late answer meant for an earlier request. Cancels name the UI's id,
        // so translate it to the running test's broker id.
        let request = match request {
            UiRequest::DnsProviderTestCancel(ui_target) => {
                let target = self
                    .in_flight
                    .lock()
                    .ok()
                    .and_then(|m| m.get(&ui_target).copied());
                match target {
                    Some(broker_id) => UiRequest::DnsProviderTestCancel(broker_id),
                    None => return Ok(UiResponse::Cancelled(false)),
                }
            }
            UiRequest::CertificateIssueCancel(ui_target) => {
                let target = self
                    .in_flight
                    .lock()
                    .ok()
                    .and_then(|m| m.get(&ui_target).copied());
                match target {
                    Some(broker_id) => UiRequest::CertificateIssueCancel(broker_id),
                    None => return Ok(UiResponse::Cancelled(false)),
                }
            }
            other => other,
        };
        let broker_id = client.alloc_id();
        if let Ok(mut m) = self.in_flight.lock() {
            m.insert(ui_id, broker_id);
        }
        let result = client.call_as(broker_id, request, timeout, events).await;
        if let Ok(mut m) = self.in_flight.lock() {
            if m.get(&ui_id) == Some(&broker_id) {
                m.remove(&ui_id);
            }
        }
        result
    }

    /// Closes the broker's control pipe (it exits on EOF, taking its children
    /// with it) and waits for it, killing it after `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.client.send_replace(None);
        *self.control.lock().await = None;
        let mut rx = self.exited.subscribe();
        let wait = async {
            while !*rx.borrow_and_update() {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(grace, wait).await;
    }
}
