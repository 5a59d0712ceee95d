//! The start-up and shutdown sequence every supervised child shares: read the
//! bootstrap from stdin, listen on its socket, report readiness, follow control
//! messages, and exit when the parent goes away (stdin EOF), on SIGTERM/SIGINT,
//! or on an explicit shutdown.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use interprocess::local_socket::tokio::Listener;
use thiserror::Error;
use tokio::sync::watch;

use crate::frame::{read_frame, FrameError};
use crate::lifecycle::{read_bootstrap, report_ready};
use crate::protocol::control::{Bootstrap, Control};
use crate::protocol::Role;
use crate::rpc::GrantTable;

/// Start-up failed.
#[derive(Debug, Error)]
pub enum ChildError {
    /// The bootstrap could not be read.
    #[error("reading bootstrap from stdin: {0}")]
    Bootstrap(FrameError),
    /// The bootstrap lacks a socket directory.
    #[error("bootstrap has no socket directory")]
    NoSocketDir,
    /// The socket directory or listener failed.
    #[error("socket: {0}")]
    Socket(#[from] std::io::Error),
    /// Readiness could not be reported.
    #[error("reporting readiness: {0}")]
    Ready(FrameError),
}

/// What a started child has to work with.
pub struct ChildContext {
    /// The bootstrap (data dir, parent grant).
    pub bootstrap: Bootstrap,
    /// The socket it listens on.
    pub socket_path: PathBuf,
    /// The listener.
    pub listener: Listener,
    /// Roles allowed to connect, updated by control messages.
    pub grants: GrantTable,
    /// Becomes `true` when the process should shut down.
    pub shutdown: watch::Receiver<bool>,
}

/// Reads the bootstrap: the first control message on stdin.
pub async fn read_stdin_bootstrap() -> Result<(Bootstrap, tokio::io::Stdin), ChildError> {
    let mut stdin = tokio::io::stdin();
    let bootstrap: Bootstrap = read_bootstrap(&mut stdin)
        .await
        .map_err(ChildError::Bootstrap)?;
    Ok((bootstrap, stdin))
}

/// Reads the bootstrap and starts as a child of the broker: see [`start_with`].
pub async fn start<F>(name: &str, on_control: F) -> Result<ChildContext, ChildError>
where
    F: Fn(Control) + Send + 'static,
{
    let (bootstrap, stdin) = read_stdin_bootstrap().await?;
    let socket_dir = bootstrap
        .socket_dir
        .clone()
        .ok_or(ChildError::NoSocketDir)?;
    start_with(
        name,
        Path::new(&socket_dir),
        Role::Broker,
        bootstrap,
        stdin,
        on_control,
    )
    .await
}

/// Listens at `<socket_dir>/<name>.sock` accepting `parent_role` with the
/// bootstrap's grant, reports ready on stdout, and starts following control
/// messages. `Control::AllowDnsPeer` updates the grant table here; every other
/// message goes to `on_control`. stdin EOF, `Control::Shutdown`, SIGTERM and
/// SIGINT set the shutdown flag.
pub async fn start_with<F>(
    name: &str,
    socket_dir: &Path,
    parent_role: Role,
    bootstrap: Bootstrap,
    mut stdin: tokio::io::Stdin,
    on_control: F,
) -> Result<ChildContext, ChildError>
where
    F: Fn(Control) + Send + 'static,
{
    crate::transport::ensure_private_dir(socket_dir)?;
    let socket_path = socket_dir.join(format!("{name}.sock"));
    let listener = crate::transport::listen(&socket_path)?;
    let mut table = HashMap::new();
    table.insert(parent_role, bootstrap.parent.clone());
    let grants: GrantTable = Arc::new(RwLock::new(table));
    let (tx, rx) = watch::channel(false);
    let tx = Arc::new(tx);
    let follow_grants = grants.clone();
    let follow_tx = tx.clone();
    tokio::spawn(async move {
        loop {
            match read_frame::<Control, _>(&mut stdin).await {
                Ok(Control::AllowDnsPeer(grant)) => {
                    if let Ok(mut g) = follow_grants.write() {
                        g.insert(Role::Dns, grant);
                    }
                }
                Ok(Control::Shutdown) => break,
                Ok(other) => on_control(other),
                Err(FrameError::Closed) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "control pipe failed");
                    break;
                }
            }
        }
        let _ = follow_tx.send(true);
    });
    spawn_signal_watch(tx);
    let mut stdout = tokio::io::stdout();
    report_ready(&mut stdout, &socket_path)
        .await
        .map_err(ChildError::Ready)?;
    Ok(ChildContext {
        bootstrap,
        socket_path,
        listener,
        grants,
        shutdown: rx,
    })
}

/// Sets the shutdown flag on SIGTERM or SIGINT.
pub fn spawn_signal_watch(tx: Arc<watch::Sender<bool>>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("could not install signal handlers");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        let _ = tx.send(true);
    });
}

/// Waits until the shutdown flag is set.
pub async fn wait_shutdown(rx: &mut watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// The whole `main` of a supervised child: logging, hardening, an actix
/// system running `body`, and an explicit exit (dropping the runtime would
/// wait for the blocking stdin reader). Exit code 1 when `body` fails.
pub fn main_of<F>(name: &'static str, body: F) -> !
where
    F: std::future::Future<Output = Result<(), String>>,
{
    crate::logging::init(name);
    run_main(name, body)
}

/// [`main_of`] with every log line passed through `filter` first
/// (dns-proc: [`crate::logging::init_filtered`]).
pub fn main_of_filtered<F>(name: &'static str, filter: crate::logging::LineFilter, body: F) -> !
where
    F: std::future::Future<Output = Result<(), String>>,
{
    crate::logging::init_filtered(name, filter);
    run_main(name, body)
}

fn run_main<F>(name: &'static str, body: F) -> !
where
    F: std::future::Future<Output = Result<(), String>>,
{
    #[cfg(unix)]
    for problem in crate::hardening::harden() {
        tracing::warn!("{problem}");
    }
    let system = actix_rt::System::new();
    let code = match system.block_on(body) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{name}: {e}");
            1
        }
    };
    std::process::exit(code)
}
