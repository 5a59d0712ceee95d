//! The running stand-in: an actix-web server on its own thread with its own
//! system, the state its handlers share, and the cross-cutting parts every
//! API needs (request log, rate limiting, bearer tokens, write-through).

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::Method;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

use crate::options::StandinOptions;
use crate::store::{Record, Store};

/// How long dropping a [`Standin`] waits for its thread before leaving it.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// How the request identified itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header that is not `Bearer <token>`.
    Malformed,
    /// A bearer token the stand-in does not know.
    Unknown,
    /// The read-only token.
    ReadOnly,
    /// The full-rights token.
    Full,
}

/// One request, as the API handlers see it.
pub(crate) struct Call {
    pub method: Method,
    /// Non-empty path segments, e.g. `["v2", "domains", "example.test"]`.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: web::Bytes,
    pub access: Access,
}

impl Call {
    /// Whether the method changes state.
    pub(crate) fn is_write(&self) -> bool {
        !matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS)
    }
}

/// One provider's API behind the shared plumbing.
pub(crate) trait Api: Send + Sync + 'static {
    /// The path prefix of the API base URL, e.g. `/client/v4`.
    fn base_path(&self) -> &'static str;
    /// The answer to a request refused by the rate limiter.
    fn too_many_requests(&self) -> HttpResponse;
    /// Answers one request.
    fn answer(&self, shared: &Shared, call: Call) -> impl Future<Output = HttpResponse>;
    /// Last touch on every response (e.g. rate-limit headers).
    fn finish(&self, _shared: &Shared, response: HttpResponse) -> HttpResponse {
        response
    }
}

/// State shared by a stand-in's handlers and its owner.
pub(crate) struct Shared {
    pub opts: StandinOptions,
    /// Zones served, canonical.
    pub zones: Vec<String>,
    store: Mutex<Store>,
    seen: AtomicU32,
    rate_limited: AtomicU32,
    log: Mutex<Vec<(String, String, u16)>>,
    write_lock: tokio::sync::Mutex<()>,
    origin: OnceLock<String>,
}

impl Shared {
    fn new(opts: StandinOptions) -> Self {
        let zones = opts
            .zones
            .iter()
            .map(|z| crate::names::canonical(z))
            .collect();
        Self {
            opts,
            zones,
            store: Mutex::new(Store::default()),
            seen: AtomicU32::new(0),
            rate_limited: AtomicU32::new(0),
            log: Mutex::new(Vec::new()),
            write_lock: tokio::sync::Mutex::new(()),
            origin: OnceLock::new(),
        }
    }

    /// The records, locked (never hold this across an await).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn origin(&self) -> &str {
        self.origin.get().map(String::as_str).unwrap_or("")
    }

    /// Requests seen so far.
    pub(crate) fn seen(&self) -> u32 {
        self.seen.load(Ordering::SeqCst)
    }

    /// Counts a request; true when it is to be refused with 429.
    fn take_rate_limit(&self) -> bool {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        if n < self.opts.rate_limit_first {
            self.rate_limited.fetch_add(1, Ordering::SeqCst);
            true
        } else {
            false
        }
    }

    fn access(&self, req: &HttpRequest) -> Access {
        let Some(header) = req.headers().get("authorization") else {
            return Access::Missing;
        };
        let Ok(header) = header.to_str() else {
            return Access::Malformed;
        };
        let mut parts = header.splitn(2, ' ');
        let (Some(scheme), Some(token)) = (parts.next(), parts.next()) else {
            return Access::Malformed;
        };
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Access::Malformed;
        }
        if token == self.opts.token {
            Access::Full
        } else if self.opts.read_only_token.as_deref() == Some(token) {
            Access::ReadOnly
        } else {
            Access::Unknown
        }
    }

    /// Makes PowerDNS's TXT rrset at `fqdn` equal to every value held for it
    /// (no-op without write-through). Writes are serialised and read the
    /// store just before writing, so the last write always carries the
    /// latest state.
    pub(crate) async fn write_through(&self, zone: &str, fqdn: &str) -> Result<(), String> {
        if !self.opts.write_through {
            return Ok(());
        }
        let _serial = self.write_lock.lock().await;
        let mut values = self.store().values_for(fqdn);
        if self.opts.wrong_values {
            values = values.into_iter().map(|v| format!("wrong-{v}")).collect();
        }
        self.opts.pdns.set_txt(zone, fqdn, &values).await
    }

    /// Removes the record `pred` picks and writes through; on a failed write
    /// the record is put back. `Ok(None)` when no record matched.
    pub(crate) async fn delete(
        &self,
        pred: impl Fn(&Record) -> bool,
    ) -> Result<Option<Record>, String> {
        let removed = self.store().remove(pred);
        let Some(record) = removed else {
            return Ok(None);
        };
        if let Err(e) = self.write_through(&record.zone, &record.fqdn).await {
            self.store().restore(record.clone());
            let _ = self.write_through(&record.zone, &record.fqdn).await;
            return Err(e);
        }
        Ok(Some(record))
    }

    /// Writes a freshly inserted record through; on failure it is removed
    /// again.
    pub(crate) async fn commit_insert(&self, record: &Record) -> Result<(), String> {
        if let Err(e) = self.write_through(&record.zone, &record.fqdn).await {
            self.store().remove(|r| r.hex_id == record.hex_id);
            let _ = self.write_through(&record.zone, &record.fqdn).await;
            return Err(e);
        }
        Ok(())
    }

    fn log(&self, method: &str, path: &str, status: u16) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).push((
            method.to_string(),
            path.to_string(),
            status,
        ));
    }
}

/// A running stand-in on `127.0.0.1` and a random port, in its own thread
/// with its own actix-web system (one worker). Stops when dropped.
pub struct Standin {
    shared: Arc<Shared>,
    base_url: String,
    handle: ServerHandle,
    done: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Standin {
    /// The base URL the product uses as its API base:
    /// `http://127.0.0.1:P/client/v4` for Cloudflare,
    /// `http://127.0.0.1:P/v2` for DigitalOcean.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Records currently held: (fqdn without trailing dot, content exactly as
    /// the client sent it).
    pub fn records(&self) -> Vec<(String, String)> {
        self.shared.store().pairs()
    }

    /// How many requests were answered with 429 so far.
    pub fn rate_limited(&self) -> u32 {
        self.shared.rate_limited.load(Ordering::SeqCst)
    }

    /// Every request seen so far: (method, path and query, status).
    pub fn requests(&self) -> Vec<(String, String, u16)> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        // The stop command is sent at once; the returned future only waits.
        drop(self.handle.stop(false));
        if self.done.recv_timeout(STOP_WAIT).is_ok() {
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// Starts `api` with `opts` on a thread of its own.
pub(crate) fn serve<A: Api>(opts: StandinOptions, api: A) -> io::Result<Standin> {
    let base_path = api.base_path();
    let shared = Arc::new(Shared::new(opts));
    let api = Arc::new(api);
    let (ready_tx, ready_rx) = mpsc::channel::<io::Result<(ServerHandle, u16)>>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let thread_shared = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("sslboard-standin".to_string())
        .spawn(move || {
            let system = actix_rt::System::new();
            system.block_on(run(thread_shared, api, ready_tx));
            let _ = done_tx.send(());
        })?;
    let (handle, port) = ready_rx
        .recv()
        .map_err(|_| io::Error::other("stand-in thread ended before listening"))??;
    Ok(Standin {
        shared,
        base_url: format!("http://127.0.0.1:{port}{base_path}"),
        handle,
        done: done_rx,
        thread: Some(thread),
    })
}

async fn run<A: Api>(
    shared: Arc<Shared>,
    api: Arc<A>,
    ready: mpsc::Sender<io::Result<(ServerHandle, u16)>>,
) {
    let data_shared = web::Data::from(Arc::clone(&shared));
    let data_api = web::Data::from(api);
    let bound = HttpServer::new(move || {
        App::new()
            .app_data(data_shared.clone())
            .app_data(data_api.clone())
            .default_service(web::to(handle::<A>))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(("127.0.0.1", 0));
    let server = match bound {
        Ok(server) => server,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let Some(port) = server.addrs().first().map(|a| a.port()) else {
        let _ = ready.send(Err(io::Error::other("stand-in bound no address")));
        return;
    };
    let _ = shared.origin.set(format!("http://127.0.0.1:{port}"));
    let server = server.run();
    let _ = ready.send(Ok((server.handle(), port)));
    let _ = server.await;
}

async fn handle<A: Api>(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
    api: web::Data<A>,
) -> HttpResponse {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let response = if shared.take_rate_limit() {
        api.too_many_requests()
    } else {
        let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .unwrap_or_default();
        let call = Call {
            method: req.method().clone(),
            segments: req
                .path()
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            query,
            body,
            access: shared.access(&req),
        };
        api.answer(&shared, call).await
    };
    let response = api.finish(&shared, response);
    shared.log(req.method().as_str(), &path, response.status().as_u16());
    response
}
