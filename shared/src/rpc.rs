//! Request/response plumbing over an authenticated local socket.
//!
//! The server side accepts connections, runs the handshake, and dispatches each
//! request to a [`Handler`] concurrently, bounded per connection (a client that
//! exceeds the bound gets `unavailable` at once: backpressure, not a queue).
//! The client side multiplexes calls by request id; when the connection drops,
//! every call in flight fails with `unavailable` instead of hanging.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::marker::PhantomData;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::Poll;
use std::time::Duration;

use interprocess::local_socket::tokio::{Listener, Stream};
use serde::{de::DeserializeOwned, Serialize};
use thiserror::Error;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

use crate::error::{WireError, WireResult};
use crate::frame::{encode_frame, read_frame, FrameError};
use crate::handshake::{self, HandshakeError};
use crate::protocol::control::PeerGrant;
use crate::protocol::{ClientMsg, Role, ServerMsg};
use crate::secret::Key32;
use crate::transport::{self, peer_identity};

/// Roles allowed to connect to a server, with their current grants. Replaced
/// when the broker restarts a peer (new pid, new key).
pub type GrantTable = Arc<RwLock<HashMap<Role, PeerGrant>>>;

/// A boxed future returned by handlers.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Sends progress events for one request back to its client.
pub struct EventSink<E> {
    id: u64,
    tx: Arc<FrameWriter>,
    _e: PhantomData<fn(E)>,
}

impl<E> Clone for EventSink<E> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            tx: self.tx.clone(),
            _e: PhantomData,
        }
    }
}

impl<E: Serialize> EventSink<E> {
    /// Sends one event; silently dropped if the client is gone.
    pub async fn send<R: Serialize>(&self, event: E) {
        let msg: ServerMsg<R, E> = ServerMsg::Event { id: self.id, event };
        if let Ok(buf) = encode_frame(&msg) {
            let _ = self.tx.send(buf).await;
        }
    }

    /// The request id the events belong to.
    pub fn request_id(&self) -> u64 {
        self.id
    }
}

/// Serves requests of one hop. Implementations enforce the per-role allow-list.
pub trait Handler<Q, R, E>: Send + Sync + 'static {
    /// The allow-list: may `role` make this request at all? A refused request
    /// gets a `forbidden` answer and its connection is closed.
    fn permitted(&self, role: Role, request: &Q) -> bool;

    /// Answers a cheap request on the connection's own task, without a task
    /// spawn or a thread hand-off, or gives it back (`Err`) to go through
    /// [`handle`](Self::handle). Called only after [`permitted`](Self::permitted)
    /// admitted the request. It must not block for long: the connection reads
    /// no further request meanwhile. By default nothing is answered inline.
    fn handle_inline(&self, role: Role, request: Q) -> Result<WireResult<R>, Q> {
        let _ = role;
        Err(request)
    }

    /// Handles one request from an authenticated peer of `role`.
    fn handle(
        self: Arc<Self>,
        role: Role,
        request: Q,
        events: EventSink<E>,
    ) -> BoxFuture<WireResult<R>>;
}

/// Limits of a server.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Requests handled at once per connection; more get `unavailable`.
    pub max_in_flight: usize,
    /// Time a client has to complete the handshake.
    pub handshake_timeout: Duration,
    /// After a request, how long to watch for the next one before parking
    /// (`crate::spin`): a burst then pays no cross-CPU wake-up per request.
    pub spin: Duration,
}

/// Default [`ServerLimits::spin`].
pub const SERVER_SPIN: Duration = Duration::from_micros(50);
/// How long a client watches for the answer before parking (`crate::spin`).
pub const CLIENT_SPIN: Duration = Duration::from_micros(100);

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_in_flight: 256,
            handshake_timeout: Duration::from_secs(3),
            spin: SERVER_SPIN,
        }
    }
}

/// Accepts connections forever, each in its own task.
pub async fn serve<Q, R, E, H>(
    listener: Listener,
    name: &'static str,
    grants: GrantTable,
    handler: Arc<H>,
    limits: ServerLimits,
) where
    Q: DeserializeOwned + Serialize + Send + 'static,
    R: Serialize + Send + 'static,
    E: Serialize + Send + 'static,
    H: Handler<Q, R, E>,
{
    loop {
        match transport::accept(&listener).await {
            Ok(stream) => {
                let grants = grants.clone();
                let handler = handler.clone();
                tokio::spawn(connection::<Q, R, E, H>(
                    stream, name, grants, handler, limits,
                ));
            }
            Err(e) => {
                tracing::warn!(server = name, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

async fn connection<Q, R, E, H>(
    stream: Stream,
    name: &'static str,
    grants: GrantTable,
    handler: Arc<H>,
    limits: ServerLimits,
) where
    Q: DeserializeOwned + Serialize + Send + 'static,
    R: Serialize + Send + 'static,
    E: Serialize + Send + 'static,
    H: Handler<Q, R, E>,
{
    let peer = match peer_identity(&stream) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(server = name, error = %e, "no peer credentials; closing");
            return;
        }
    };
    let stream = Arc::new(stream);
    let mut r = &*stream;
    let mut w = &*stream;
    let grant_for = |role: Role| grants.read().ok().and_then(|g| g.get(&role).cloned());
    let role = match tokio::time::timeout(
        limits.handshake_timeout,
        handshake::server(&mut r, &mut w, peer, grant_for),
    )
    .await
    {
        Ok(Ok(role)) => role,
        Ok(Err(e)) => {
            tracing::warn!(server = name, peer_pid = ?peer.pid, error = %e, "handshake refused");
            return;
        }
        Err(_) => {
            tracing::warn!(server = name, peer_pid = ?peer.pid, "handshake timed out");
            return;
        }
    };
    tracing::debug!(server = name, role = role.as_str(), "peer authenticated");
    let tx = FrameWriter::start(stream.clone());
    let slots = Arc::new(Semaphore::new(limits.max_in_flight));
    let mut served = false;
    loop {
        if served && shortcuts().spin {
            crate::spin::until_readable(&stream, limits.spin);
        }
        served = true;
        let msg: ClientMsg<Q> = match read_frame(&mut r).await {
            Ok(m) => m,
            Err(FrameError::Closed) => break,
            Err(e) => {
                // Transport-level failure: close the connection (the request is not answerable).
                tracing::warn!(server = name, role = role.as_str(), error = %e, "bad frame; closing connection");
                break;
            }
        };
        let id = msg.id;
        if !handler.permitted(role, &msg.request) {
            tracing::warn!(
                server = name,
                role = role.as_str(),
                "request not on the role's allow-list; closing connection"
            );
            let refused: ServerMsg<R, E> = ServerMsg::Response {
                id,
                result: Err(WireError::forbidden(format!(
                    "role {} may not make this request",
                    role.as_str()
                ))),
            };
            if let Ok(buf) = encode_frame(&refused) {
                let _ = tx.send(buf).await;
            }
            break;
        }
        let inline = if shortcuts().inline_answer {
            handler.handle_inline(role, msg.request)
        } else {
            Err(msg.request)
        };
        let request = match inline {
            Ok(result) => {
                let reply: ServerMsg<R, E> = ServerMsg::Response { id, result };
                if let Some(buf) = encode_reply(id, &reply) {
                    if tx.send(buf).await.is_err() {
                        break;
                    }
                }
                continue;
            }
            Err(request) => request,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            let busy: ServerMsg<R, E> = ServerMsg::Response {
                id,
                result: Err(WireError::unavailable(format!(
                    "{name} is busy: too many requests in flight"
                ))),
            };
            if let Ok(buf) = encode_frame(&busy) {
                let _ = tx.send(buf).await;
            }
            continue;
        };
        let sink = EventSink {
            id,
            tx: tx.clone(),
            _e: PhantomData,
        };
        let tx = tx.clone();
        let handler = handler.clone();
        tokio::spawn(async move {
            let result = handler.handle(role, request, sink).await;
            let reply: ServerMsg<R, E> = ServerMsg::Response { id, result };
            if let Some(buf) = encode_reply(id, &reply) {
                let _ = tx.send(buf).await;
            }
            drop(slot);
        });
    }
}

/// The frame of `reply`, or of an `internal` error when it cannot be encoded
/// (e.g. larger than a frame).
fn encode_reply<R: Serialize, E: Serialize>(id: u64, reply: &ServerMsg<R, E>) -> Option<Vec<u8>> {
    match encode_frame(reply) {
        Ok(b) => Some(b),
        Err(e) => {
            let fallback: ServerMsg<R, E> = ServerMsg::Response {
                id,
                result: Err(WireError::internal(format!(
                    "response could not be encoded: {e}"
                ))),
            };
            encode_frame(&fallback).ok()
        }
    }
}

/// The hot-path shortcuts of this module, each on unless named in
/// `SSLBOARD_BENCH_OFF` (comma-separated: `inline-write`, `inline-answer`,
/// `spin`).
/// They change where work runs, never what is checked or answered, so the
/// benchmark turns them off to measure the path without them in the same run.
#[derive(Debug, Clone, Copy)]
struct Shortcuts {
    /// Frames written by the sending task (else always by the writer task).
    inline_write: bool,
    /// [`Handler::handle_inline`] consulted (else every request is spawned).
    inline_answer: bool,
    /// Sockets watched before parking (`crate::spin`; else park at once).
    spin: bool,
}

fn shortcuts() -> Shortcuts {
    static ONCE: std::sync::OnceLock<Shortcuts> = std::sync::OnceLock::new();
    *ONCE.get_or_init(|| {
        let off = std::env::var("SSLBOARD_BENCH_OFF").unwrap_or_default();
        let is_off = |name: &str| off.split(',').any(|o| o.trim() == name);
        Shortcuts {
            inline_write: !is_off("inline-write"),
            inline_answer: !is_off("inline-answer"),
            spin: !is_off("spin"),
        }
    })
}

/// Frames waiting for the writer task, at most this many per connection
/// (then senders wait: backpressure on a peer that does not read).
const MAX_QUEUED: usize = 1024;

/// The write side of one connection, shared by every task that sends on it.
///
/// A frame is written inline, by the sending task itself, when nothing is
/// queued and the socket takes the whole frame at once: one `poll_write`
/// with a no-op waker, no `.await` in between, so a caller that is cancelled
/// can never leave half a frame behind. Whatever the socket does not take at
/// once (a full socket buffer) goes to the connection's writer task, which
/// keeps frame order: while it has work, every frame queues behind it. Every
/// frame is wiped once written (answers may carry revealed values, requests
/// new ones).
struct FrameWriter {
    stream: Arc<Stream>,
    state: Mutex<WriteState>,
    /// Wakes the writer task (work queued, or the writer dropped).
    work: Arc<tokio::sync::Notify>,
    /// Wakes senders waiting for queue space.
    space: tokio::sync::Notify,
}

#[derive(Default)]
struct WriteState {
    queue: VecDeque<Zeroizing<Vec<u8>>>,
    /// Bytes of the front frame already written (by an inline attempt).
    front_written: usize,
    /// The writer task holds the front frame and is writing it.
    busy: bool,
    closed: bool,
}

/// The connection can no longer be written to.
#[derive(Debug)]
struct WriteClosed;

impl FrameWriter {
    /// A writer on `stream` and its writer task.
    fn start(stream: Arc<Stream>) -> Arc<Self> {
        let work = Arc::new(tokio::sync::Notify::new());
        let writer = Arc::new(Self {
            stream,
            state: Mutex::new(WriteState::default()),
            work: work.clone(),
            space: tokio::sync::Notify::new(),
        });
        let weak = Arc::downgrade(&writer);
        tokio::spawn(async move {
            loop {
                work.notified().await;
                let Some(w) = weak.upgrade() else { break };
                if w.drain().await.is_err() {
                    break;
                }
            }
        });
        writer
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WriteState> {
        // A panic while holding the lock cannot leave a half-updated state
        // that matters more than losing the connection: take it as it is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_closed(&self) -> bool {
        self.state().closed
    }

    /// One write attempt that never waits: `Ok(n)` bytes taken (0 when the
    /// socket is full), `Err` when the connection is broken.
    fn try_write(&self, buf: &[u8]) -> Result<usize, WriteClosed> {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut w = &*self.stream;
        let mut done = 0;
        while done < buf.len() {
            match Pin::new(&mut w).poll_write(&mut cx, &buf[done..]) {
                Poll::Ready(Ok(0)) => return Err(WriteClosed),
                Poll::Ready(Ok(n)) => done += n,
                Poll::Ready(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(_)) => return Err(WriteClosed),
                Poll::Pending => break,
            }
        }
        Ok(done)
    }

    /// Sends one frame (length prefix included): inline when possible,
    /// otherwise queued for the writer task. Waits only for queue space,
    /// before anything of the frame is written or queued.
    async fn send(&self, buf: Vec<u8>) -> Result<(), WriteClosed> {
        let mut buf = Zeroizing::new(buf);
        loop {
            let space = self.space.notified();
            {
                let mut st = self.state();
                if st.closed {
                    return Err(WriteClosed);
                }
                if shortcuts().inline_write && st.queue.is_empty() && !st.busy {
                    match self.try_write(&buf) {
                        Ok(n) if n == buf.len() => return Ok(()),
                        Ok(n) => {
                            st.front_written = n;
                            st.queue.push_back(std::mem::take(&mut buf));
                            drop(st);
                            self.work.notify_one();
                            return Ok(());
                        }
                        Err(e) => {
                            st.closed = true;
                            st.queue.clear();
                            drop(st);
                            self.space.notify_waiters();
                            return Err(e);
                        }
                    }
                }
                if st.queue.len() < MAX_QUEUED {
                    st.queue.push_back(std::mem::take(&mut buf));
                    drop(st);
                    self.work.notify_one();
                    return Ok(());
                }
            }
            space.await;
        }
    }

    /// Writes the queued frames in order (the writer task's job).
    async fn drain(&self) -> Result<(), WriteClosed> {
        loop {
            let (buf, from) = {
                let mut st = self.state();
                if st.busy {
                    return Ok(());
                }
                let Some(buf) = st.queue.pop_front() else {
                    return Ok(());
                };
                st.busy = true;
                (buf, std::mem::take(&mut st.front_written))
            };
            self.space.notify_waiters();
            let mut w = &*self.stream;
            let ok = w.write_all(&buf[from..]).await.is_ok() && w.flush().await.is_ok();
            drop(buf);
            let mut st = self.state();
            st.busy = false;
            if !ok {
                st.closed = true;
                st.queue.clear();
                drop(st);
                self.space.notify_waiters();
                return Err(WriteClosed);
            }
        }
    }
}

impl Drop for FrameWriter {
    fn drop(&mut self) {
        // Let the writer task see that nobody can send any more.
        self.work.notify_one();
    }
}

/// A client connection could not be opened.
#[derive(Debug, Error)]
pub enum ConnectError {
    /// Socket failure.
    #[error("connect: {0}")]
    Io(#[from] std::io::Error),
    /// Handshake failure.
    #[error("handshake: {0}")]
    Handshake(#[from] HandshakeError),
    /// Handshake took too long.
    #[error("handshake timed out")]
    Timeout,
}

struct PendingCall<R, E> {
    done: oneshot::Sender<WireResult<R>>,
    events: Option<mpsc::UnboundedSender<E>>,
}

type PendingMap<R, E> = Arc<Mutex<HashMap<u64, PendingCall<R, E>>>>;

/// A multiplexing client of one hop.
pub struct RpcClient<Q, R, E> {
    /// The connection, watched for an answer right after a request is sent.
    stream: Arc<Stream>,
    tx: Arc<FrameWriter>,
    pending: PendingMap<R, E>,
    next_id: AtomicU64,
    closed: Arc<AtomicBool>,
    reader: JoinHandle<()>,
    peer: &'static str,
    _q: PhantomData<fn(Q)>,
}

impl<Q, R, E> Drop for RpcClient<Q, R, E> {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl<Q, R, E> RpcClient<Q, R, E>
where
    Q: Serialize + Send + 'static,
    R: DeserializeOwned + Serialize + Send + 'static,
    E: DeserializeOwned + Serialize + Send + 'static,
{
    /// Connects to `socket`, which must be served by process `server_pid`, and
    /// authenticates as `role` with `key`.
    pub async fn connect(
        socket: &Path,
        peer: &'static str,
        role: Role,
        key: &Key32,
        server_pid: u32,
    ) -> Result<Self, ConnectError> {
        let stream = transport::connect(socket).await?;
        let ident = peer_identity(&stream)?;
        let stream = Arc::new(stream);
        {
            let mut r = &*stream;
            let mut w = &*stream;
            tokio::time::timeout(
                Duration::from_secs(3),
                handshake::client(&mut r, &mut w, ident, role, key, server_pid),
            )
            .await
            .map_err(|_| ConnectError::Timeout)??;
        }
        let watch = stream.clone();
        let tx = FrameWriter::start(stream.clone());
        let pending: PendingMap<R, E> = Arc::new(Mutex::new(HashMap::new()));
        let closed = Arc::new(AtomicBool::new(false));
        let rpending = pending.clone();
        let rclosed = closed.clone();
        let reader = tokio::spawn(async move {
            let mut r = &*stream;
            loop {
                match read_frame::<ServerMsg<R, E>, _>(&mut r).await {
                    Ok(ServerMsg::Response { id, result }) => {
                        let call = rpending.lock().ok().and_then(|mut p| p.remove(&id));
                        if let Some(call) = call {
                            let _ = call.done.send(result);
                        }
                    }
                    Ok(ServerMsg::Event { id, event }) => {
                        let tx = rpending
                            .lock()
                            .ok()
                            .and_then(|p| p.get(&id).and_then(|c| c.events.clone()));
                        if let Some(tx) = tx {
                            let _ = tx.send(event);
                        }
                    }
                    Err(e) => {
                        if !matches!(e, FrameError::Closed) {
                            tracing::warn!(peer, error = %e, "bad frame from server; closing");
                        }
                        break;
                    }
                }
            }
            rclosed.store(true, Ordering::SeqCst);
            let drained: Vec<PendingCall<R, E>> = match rpending.lock() {
                Ok(mut p) => p.drain().map(|(_, c)| c).collect(),
                Err(_) => Vec::new(),
            };
            for call in drained {
                let _ = call.done.send(Err(WireError::unavailable(format!(
                    "connection to {peer} was lost"
                ))));
            }
        });
        Ok(Self {
            stream: watch,
            tx,
            pending,
            next_id: AtomicU64::new(1),
            closed,
            reader,
            peer,
            _q: PhantomData,
        })
    }

    /// True once the connection is gone; the owner should reconnect.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst) || self.tx.is_closed()
    }

    /// Reserves a request id (for callers that must know it before the call, e.g. to cancel).
    pub fn alloc_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Calls and waits for the response, at most `timeout`.
    pub async fn call(&self, request: Q, timeout: Duration) -> WireResult<R> {
        let id = self.alloc_id();
        self.call_as(id, request, timeout, None).await
    }

    /// Calls with a pre-allocated id, forwarding events to `events`.
    pub async fn call_as(
        &self,
        id: u64,
        request: Q,
        timeout: Duration,
        events: Option<mpsc::UnboundedSender<E>>,
    ) -> WireResult<R> {
        if self.is_closed() {
            return Err(WireError::unavailable(format!(
                "{} is not connected",
                self.peer
            )));
        }
        let buf = encode_frame(&ClientMsg { id, request }).map_err(|e| {
            WireError::invalid_request(format!("request could not be encoded: {e}"))
        })?;
        let (done, wait) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            if p.contains_key(&id) {
                return Err(WireError::invalid_request(format!(
                    "request id {id} is already in flight"
                )));
            }
            p.insert(id, PendingCall { done, events });
        }
        if self.tx.send(buf).await.is_err() {
            self.forget(id);
            return Err(WireError::unavailable(format!(
                "connection to {} was lost",
                self.peer
            )));
        }
        // Most answers come within microseconds: watch for this one before
        // parking, so its arrival needs no cross-CPU wake-up.
        if shortcuts().spin {
            crate::spin::until_readable(&self.stream, CLIENT_SPIN);
        }
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(WireError::unavailable(format!(
                "connection to {} was lost",
                self.peer
            ))),
            Err(_) => {
                self.forget(id);
                Err(WireError::unavailable(format!(
                    "{} did not answer within {} ms",
                    self.peer,
                    timeout.as_millis()
                )))
            }
        }
    }

    fn forget(&self, id: u64) {
        if let Ok(mut p) = self.pending.lock() {
            p.remove(&id);
        }
    }
}
