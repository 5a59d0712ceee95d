//! Starts the broker next to our own executable, authenticates to it as the UI
//! role, and restarts it if it dies, with the loop, restart policy and client
//! slot of `shared::supervise` (the broker supervises its children with the
//! same ones). Requests in flight when it dies fail with `unavailable`; new
//! ones wait briefly for the restart.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shared::error::WireResult;
use shared::lifecycle::{sibling_binary, spawn_child, SpawnError, Spawned};
use shared::protocol::control::{Bootstrap, PeerGrant};
use shared::protocol::ui::{UiEvent, UiRequest, UiResponse};
use shared::protocol::Role;
use shared::rpc::RpcClient;
use shared::secret::Key32;
use shared::supervise::{exit, supervise, ClientSlot, Supervised};
use tokio::process::{Child, ChildStdin};
use tokio::sync::{mpsc, watch, Mutex};

use crate::BridgeError;

/// Client of the broker.
pub type UiClient = RpcClient<UiRequest, UiResponse, UiEvent>;

/// How long a request waits for a restarting broker.
const RESTART_WAIT: Duration = Duration::from_secs(5);

/// The link to the (current) broker.
pub struct BrokerLink {
    data_dir: PathBuf,
    broker_bin: PathBuf,
    client: ClientSlot<UiRequest, UiResponse, UiEvent>,
    control: Mutex<Option<ChildStdin>>,
    shutting_down: AtomicBool,
    exited: watch::Sender<bool>,
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
            client: ClientSlot::default(),
            control: Mutex::new(None),
            shutting_down: AtomicBool::new(false),
            exited: watch::channel(false).0,
            in_flight: std::sync::Mutex::new(std::collections::HashMap::new()),
        });
        let child = link.spawn_once().await.map_err(|e| match e {
            SpawnError::Exited {
                code: Some(exit::IN_USE),
                ..
            } => BridgeError::InUse,
            other => BridgeError::Start(other.to_string()),
        })?;
        let supervised = link.clone();
        tokio::spawn(async move {
            supervise(supervised.clone(), Some(child)).await;
            supervised.exited.send_replace(true);
        });
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
        self.client.publish(pid, client);
        tracing::debug!(pid, "broker connected");
        Ok(child)
    }

    /// The current broker client, waiting briefly for a restart.
    pub async fn client(&self) -> WireResult<Arc<UiClient>> {
        self.client
            .current("the broker", RESTART_WAIT, &self.shutting_down)
            .await
    }

    /// `config_export` for the stdio session: the response line to UI
    /// request `ui_id`, rendered page by page into an anonymous temporary
    /// file (see `crate::export`), rewound for copying to stdout.
    pub async fn export_spooled(&self, ui_id: u64) -> WireResult<std::fs::File> {
        let client = self.client().await?;
        let mut spool = crate::export::Spool::new(ui_id)?;
        crate::export::walk(&client, Duration::from_secs(120), &mut spool).await?;
        spool.finish()
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
        if matches!(request, UiRequest::ConfigExport) {
            let mut doc = crate::export::InMemory::default();
            crate::export::walk(&client, timeout, &mut doc).await?;
            return Ok(doc.finish());
        }
        // A fresh id on the broker hop: a UI that reuses an id can never receive
        // a late answer meant for an earlier request. Cancels name the UI's id,
        // so translate it to the running test's broker id.
        let request = match request {
            UiRequest::DnsProviderTestCancel(ui_target) => match self.broker_id_of(ui_target) {
                Some(broker_id) => UiRequest::DnsProviderTestCancel(broker_id),
                None => return Ok(UiResponse::Cancelled(false)),
            },
            UiRequest::CertificateIssueCancel(ui_target) => match self.broker_id_of(ui_target) {
                Some(broker_id) => UiRequest::CertificateIssueCancel(broker_id),
                None => return Ok(UiResponse::Cancelled(false)),
            },
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

    /// The broker-hop id of the UI's request `ui_id`, while it is in flight.
    fn broker_id_of(&self, ui_id: u64) -> Option<u64> {
        self.in_flight
            .lock()
            .ok()
            .and_then(|m| m.get(&ui_id).copied())
    }

    /// Closes the broker's control pipe (it exits on EOF, taking its children
    /// with it) and waits for it, killing it after `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.client.clear();
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

impl Supervised for BrokerLink {
    fn name(&self) -> &'static str {
        "broker"
    }

    fn stopping(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    async fn start(&self) -> Result<Child, String> {
        self.spawn_once().await.map_err(|e| e.to_string())
    }

    async fn forget(&self) {
        self.client.clear();
    }
}
