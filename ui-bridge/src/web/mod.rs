//! `ui-bridge web`: the settings pages served to a local browser, a second
//! transport beside stdio over the same broker command set ([`UiRequest`]).
//!
//! The server listens on 127.0.0.1 only, under a per-launch host name
//! (`sslboard-<random>.localhost`, which browsers resolve to loopback
//! themselves), and prints one URL carrying a per-launch token; `/login`
//! exchanges it once for an HttpOnly, SameSite=Strict, host-only session
//! cookie: a cookie for 127.0.0.1 would go to every local port, this one
//! goes only to a name no other server knows. Every request then passes [`guard`]
//! (Host, cookie, Origin and CSRF checks, security headers). Pages are
//! rendered on the server ([`pages`]) from metadata-only answers; the
//! script and stylesheet are embedded ([`assets`]). See `docs/web.md`.
//!
//! [`UiRequest`]: shared::protocol::ui::UiRequest

pub mod assets;
pub mod expiry;
pub mod fields;
pub mod forms;
pub mod guard;
pub mod handlers;
pub mod pages;
pub mod session;
pub mod sse;
pub mod typed;
pub mod when;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{middleware, web, App, HttpServer};
use shared::error::WireResult;
use shared::protocol::ui::{UiEvent, UiRequest, UiResponse};
use tokio::sync::mpsc;

use crate::launcher::BrokerLink;
use pages::Notice;

/// Why the web mode could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// Port asked for.
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// The credentials could not be made.
    #[error(transparent)]
    Session(#[from] session::SessionError),
    /// The server failed.
    #[error("web server: {0}")]
    Serve(std::io::Error),
}

/// Everything the handlers share.
pub struct WebState {
    /// The broker.
    pub link: Arc<BrokerLink>,
    /// Port we listen on (for Host and Origin checks).
    pub port: u16,
    /// This launch's host name (`sslboard-<random>.localhost`).
    pub host: String,
    /// Launch token, session, CSRF.
    pub sessions: session::Sessions,
    /// Embedded files.
    pub assets: assets::Assets,
    /// Test Connection runs.
    pub runs: sse::Runs,
    /// Notices for the next page (post/redirect/get).
    pub flash: Mutex<Vec<Notice>>,
    next_id: AtomicU64,
}

impl WebState {
    /// A fresh request id for the broker link.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends one command to the broker.
    pub async fn call(&self, request: UiRequest) -> WireResult<UiResponse> {
        self.link.call(self.next_id(), request, None).await
    }

    /// Sends one command with an id chosen by the caller, forwarding events.
    pub async fn call_with_events(
        &self,
        id: u64,
        request: UiRequest,
        events: mpsc::UnboundedSender<UiEvent>,
    ) -> WireResult<UiResponse> {
        self.link.call(id, request, Some(events)).await
    }

    /// Queues a notice for the next page.
    pub fn flash(&self, n: Notice) {
        if let Ok(mut f) = self.flash.lock() {
            f.push(n);
        }
    }

    /// Takes the queued notices.
    pub fn take_flash(&self) -> Vec<Notice> {
        self.flash
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }
}

/// Options of `ui-bridge web`.
#[derive(Debug, Clone, Copy)]
pub struct WebOptions {
    /// Port (0 = a free one).
    pub port: u16,
}

/// The routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::{
        accounts as acct, assets as a, certificates as c, login, providers as p, secrets as s,
        testconn as t, vault as v, workflow_runs as wr, workflows as w,
    };
    cfg.route("/", web::get().to(login::home))
        .route("/login", web::get().to(login::login))
        .route("/welcome", web::get().to(login::welcome))
        .route("/assets/{file}", web::get().to(a::serve))
        .route("/vault/lock", web::post().to(v::lock))
        .route("/secrets", web::get().to(s::list))
        .route("/secrets", web::post().to(s::create))
        .route("/secrets/new", web::get().to(s::new))
        .route("/secrets/{sref}/edit", web::get().to(s::edit))
        .route("/secrets/{sref}/meta", web::post().to(s::update_meta))
        .route("/secrets/{sref}/value", web::post().to(s::replace_value))
        .route("/secrets/{sref}/delete", web::get().to(s::confirm_delete))
        .route("/secrets/{sref}/delete", web::post().to(s::delete))
        .route("/providers", web::get().to(p::list))
        .route("/providers", web::post().to(p::create))
        .route("/providers/new", web::get().to(p::new))
        .route("/providers/{id}", web::post().to(p::update))
        .route("/providers/{id}/edit", web::get().to(p::edit))
        .route("/providers/{id}/token", web::post().to(p::replace_token))
        .route("/providers/{id}/delete", web::get().to(p::confirm_delete))
        .route("/providers/{id}/delete", web::post().to(p::delete))
        .route("/providers/{id}/test", web::post().to(t::start))
        .route(
            "/providers/{id}/test/{run}/events",
            web::get().to(t::events),
        )
        .route(
            "/providers/{id}/test/{run}/cancel",
            web::post().to(t::cancel),
        )
        .route("/accounts", web::get().to(acct::list))
        .route("/accounts", web::post().to(acct::create))
        .route("/accounts/new", web::get().to(acct::new))
        .route("/accounts/{id}/delete", web::get().to(acct::confirm_delete))
        .route("/accounts/{id}/delete", web::post().to(acct::delete))
        .route("/certificates", web::get().to(c::list))
        .route("/certificates", web::post().to(c::issue))
        .route("/certificates/new", web::get().to(c::new))
        .route("/certificates/issue/{run}", web::get().to(c::run_page))
        .route("/certificates/issue/{run}/events", web::get().to(c::events))
        .route(
            "/certificates/issue/{run}/cancel",
            web::post().to(c::cancel),
        )
        .route("/certificates/{id}", web::get().to(c::details))
        .route("/certificates/{id}/chain.pem", web::get().to(c::chain))
        .route("/certificates/{id}/renew", web::post().to(c::renew))
        .route("/certificates/{id}/export", web::post().to(c::export))
        .route(
            "/certificates/{id}/revoke",
            web::get().to(c::confirm_revoke),
        )
        .route("/certificates/{id}/revoke", web::post().to(c::revoke))
        .route(
            "/certificates/{id}/delete",
            web::get().to(c::confirm_delete),
        )
        .route("/certificates/{id}/delete", web::post().to(c::delete))
        .route("/workflows", web::get().to(w::list))
        .route("/workflows", web::post().to(w::create))
        .route("/workflows/new", web::get().to(w::new))
        .route("/workflows/{id}", web::get().to(w::details))
        .route("/workflows/{id}", web::post().to(w::update))
        .route("/workflows/{id}/edit", web::get().to(w::edit))
        .route("/workflows/{id}/run", web::post().to(wr::run))
        .route("/workflows/{id}/runs/{run}", web::get().to(wr::run_page))
        .route(
            "/workflows/{id}/runs/{run}/events",
            web::get().to(wr::events),
        )
        .route("/workflows/{id}/delete", web::get().to(w::confirm_delete))
        .route("/workflows/{id}/delete", web::post().to(w::delete));
}

/// Serves until `stop` resolves; prints the login URL on stdout first.
pub async fn serve(
    link: Arc<BrokerLink>,
    opts: WebOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), WebError> {
    let listener =
        std::net::TcpListener::bind(("127.0.0.1", opts.port)).map_err(|source| WebError::Bind {
            port: opts.port,
            source,
        })?;
    let port = listener
        .local_addr()
        .map_err(|source| WebError::Bind {
            port: opts.port,
            source,
        })?
        .port();
    let host = session::launch_host()?;
    let state = web::Data::new(WebState {
        link,
        port,
        host: host.clone(),
        sessions: session::Sessions::new(port)?,
        assets: assets::Assets::new(),
        runs: sse::Runs::default(),
        flash: Mutex::new(Vec::new()),
        next_id: AtomicU64::new(1),
    });
    let token = state.sessions.launch_token().unwrap_or_default();
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(app_state.clone())
            .wrap(middleware::from_fn(guard::guard))
            .configure(routes)
            .default_service(web::to(handlers::not_found))
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .map_err(WebError::Serve)?
    .run();
    let handle = server.handle();
    #[allow(clippy::print_stdout)] // stdout carries the one URL of this mode
    {
        println!("http://{host}:{port}/login?token={token}");
    }
    tracing::info!(port, %host, "web mode listening on 127.0.0.1");
    tokio::pin!(server);
    tokio::select! {
        r = &mut server => r.map_err(WebError::Serve)?,
        _ = stop => {
            // The command is sent at once; the server future must be polled to act on it.
            let stopping = handle.stop(true);
            server.await.map_err(WebError::Serve)?;
            stopping.await;
        }
    }
    Ok(())
}
