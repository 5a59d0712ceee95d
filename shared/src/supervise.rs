//! One supervisor for every parent in the tree: ui-bridge restarts the broker,
//! the broker restarts vault-proc and dns-proc, both with this loop, this
//! restart policy and this published-client slot, so the two cannot drift.
//!
//! Policy: a child that ran for [`STABLE_AFTER`] or more was serving, and a
//! child killed with SIGKILL was stopped from outside (an operator, the OOM
//! killer, or [`ClientSlot::current`] replacing a child whose connection
//! broke), so either death is answered with a restart after
//! [`FIRST_BACKOFF`]. A child that keeps dying sooner on its own (a crash
//! loop: an error exit, a panic, an abort, a fault), or cannot be started at
//! all, backs off exponentially up to [`MAX_BACKOFF`].

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::process::Child;
use tokio::sync::watch;

use crate::error::{WireError, WireResult};
use crate::rpc::RpcClient;

/// Delay before restarting a child that had been serving.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// Longest delay between two restarts of a crash-looping child.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A child that lived this long was serving: its death is not a crash loop.
pub const STABLE_AFTER: Duration = Duration::from_secs(1);

/// Exit codes of the core's processes, one set for all of them.
pub mod exit {
    /// The command or the process failed.
    pub const FAILED: i32 = 1;
    /// Bad command-line usage.
    pub const USAGE: i32 = 2;
    /// The data directory is in use by another instance.
    pub const IN_USE: i32 = 3;
}

/// How one run of a supervised child ended, as the restart policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// It could not be started.
    NotStarted,
    /// It was killed with SIGKILL: stopped from outside, not failing on its own.
    Killed,
    /// It ended on its own (exit, panic, abort, fault) after living this long.
    Ended(Duration),
}

impl RunEnd {
    /// Classifies a finished run that lived `lived` and ended with `status`.
    pub fn of(lived: Duration, status: &std::io::Result<std::process::ExitStatus>) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Ok(s) = status {
                if s.signal() == Some(nix::sys::signal::Signal::SIGKILL as i32) {
                    return Self::Killed;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = status;
        Self::Ended(lived)
    }
}

/// The restart delay of one supervised child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    current: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            current: FIRST_BACKOFF,
        }
    }
}

impl Backoff {
    /// The delay before the next start, given how the last run ended.
    /// Doubles the delay for the start after it.
    pub fn next_delay(&mut self, end: RunEnd) -> Duration {
        let serving = match end {
            RunEnd::NotStarted => false,
            RunEnd::Killed => true,
            RunEnd::Ended(lived) => lived >= STABLE_AFTER,
        };
        if serving {
            self.current = FIRST_BACKOFF;
        }
        let delay = self.current;
        self.current = (self.current * 2).min(MAX_BACKOFF);
        delay
    }
}

/// What the supervision loop needs from a parent for one child.
pub trait Supervised: Send + Sync + 'static {
    /// The child's name, for logs.
    fn name(&self) -> &'static str;
    /// True once the parent is shutting down: no more restarts.
    fn stopping(&self) -> bool;
    /// Starts the child, connects to it and publishes its client.
    fn start(&self) -> impl Future<Output = Result<Child, String>> + Send;
    /// The child exited: withdraw its client and forget its pipes.
    fn forget(&self) -> impl Future<Output = ()> + Send;
}

/// Runs `child` (when given, an already started first instance) and restarts
/// it under the policy above until the parent is stopping. Returns when the
/// parent stops.
pub async fn supervise<S: Supervised>(parent: Arc<S>, mut child: Option<Child>) {
    let mut backoff = Backoff::default();
    while !parent.stopping() {
        // A run's life counts from the start attempt (spawn, readiness and
        // connection included), so a child that served is not mistaken for
        // a crash loop because its start-up was slow.
        let started = Instant::now();
        let mut running = match child.take() {
            Some(c) => c,
            None => match parent.start().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(child = parent.name(), error = %e, "child failed to start");
                    tokio::time::sleep(backoff.next_delay(RunEnd::NotStarted)).await;
                    continue;
                }
            },
        };
        let status = running.wait().await;
        parent.forget().await;
        if parent.stopping() {
            return;
        }
        tracing::warn!(child = parent.name(), status = ?status, "child exited; restarting");
        let end = RunEnd::of(started.elapsed(), &status);
        tokio::time::sleep(backoff.next_delay(end)).await;
    }
}

/// The published client of one supervised child and that child's pid: `None`
/// while it restarts. Callers wait briefly for a restart instead of failing.
pub struct ClientSlot<Q, R, E> {
    client: watch::Sender<Option<Arc<RpcClient<Q, R, E>>>>,
    pid: AtomicU32,
}

impl<Q, R, E> Default for ClientSlot<Q, R, E> {
    fn default() -> Self {
        Self {
            client: watch::channel(None).0,
            pid: AtomicU32::new(0),
        }
    }
}

impl<Q, R, E> ClientSlot<Q, R, E>
where
    Q: Serialize + Send + 'static,
    R: DeserializeOwned + Serialize + Send + 'static,
    E: DeserializeOwned + Serialize + Send + 'static,
{
    /// Publishes the client of a freshly started child.
    pub fn publish(&self, pid: u32, client: RpcClient<Q, R, E>) {
        self.pid.store(pid, Ordering::SeqCst);
        self.client.send_replace(Some(Arc::new(client)));
    }

    /// Withdraws the client (the child exited, or the parent is stopping).
    pub fn clear(&self) {
        self.client.send_replace(None);
    }

    /// True while a live client is published.
    pub fn is_ready(&self) -> bool {
        self.client
            .borrow()
            .as_ref()
            .is_some_and(|c| !c.is_closed())
    }

    /// The current client, waiting up to `wait` for a restart. When our
    /// connection to a live child broke (it refused a frame, or the socket
    /// failed), the child is killed so that supervision restarts it with fresh
    /// keys and a fresh connection instead of every later call failing.
    pub async fn current(
        &self,
        name: &str,
        wait: Duration,
        stopping: &AtomicBool,
    ) -> WireResult<Arc<RpcClient<Q, R, E>>> {
        if self.client.borrow().as_ref().is_some_and(|c| c.is_closed()) {
            self.kill_stale(name);
        }
        let mut rx = self.client.subscribe();
        let deadline = Instant::now() + wait;
        loop {
            if let Some(c) = rx.borrow_and_update().as_ref() {
                if !c.is_closed() {
                    return Ok(c.clone());
                }
            }
            if Instant::now() >= deadline || stopping.load(Ordering::SeqCst) {
                return Err(WireError::unavailable(format!(
                    "{name} is restarting; try again"
                )));
            }
            // Re-check at least every 25 ms: a closed client is replaced
            // without a change notification until the restart completes.
            let _ = tokio::time::timeout(Duration::from_millis(25), rx.changed()).await;
        }
    }

    fn kill_stale(&self, name: &str) {
        let pid = self.pid.swap(0, Ordering::SeqCst);
        if let Ok(pid) = i32::try_from(pid) {
            if pid > 0 {
                tracing::warn!(
                    child = name,
                    pid,
                    "connection to a live child was lost; restarting it"
                );
                #[cfg(unix)]
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_loop_backs_off_and_a_serving_child_restarts_at_once() {
        let mut b = Backoff::default();
        let quick = RunEnd::Ended(Duration::from_millis(10));
        assert_eq!(b.next_delay(quick), FIRST_BACKOFF);
        assert_eq!(b.next_delay(quick), FIRST_BACKOFF * 2);
        assert_eq!(b.next_delay(RunEnd::NotStarted), FIRST_BACKOFF * 4);
        for _ in 0..20 {
            b.next_delay(quick);
        }
        assert_eq!(b.next_delay(quick), MAX_BACKOFF);
        // A run of STABLE_AFTER or more resets the delay.
        assert_eq!(b.next_delay(RunEnd::Ended(STABLE_AFTER)), FIRST_BACKOFF);
        assert_eq!(
            b.next_delay(RunEnd::Ended(STABLE_AFTER * 10)),
            FIRST_BACKOFF
        );
    }

    #[test]
    fn a_child_killed_from_outside_restarts_at_once_however_short_it_lived() {
        let mut b = Backoff::default();
        let quick = RunEnd::Ended(Duration::from_millis(10));
        for _ in 0..20 {
            b.next_delay(quick);
        }
        assert_eq!(b.next_delay(RunEnd::Killed), FIRST_BACKOFF);
        for _ in 0..20 {
            assert_eq!(b.next_delay(RunEnd::Killed), FIRST_BACKOFF);
        }
    }

    #[cfg(unix)]
    #[test]
    fn sigkill_is_told_apart_from_a_crash() {
        use std::os::unix::process::ExitStatusExt;
        use std::process::ExitStatus;
        let lived = Duration::from_millis(10);
        let killed = Ok(ExitStatus::from_raw(9));
        let aborted = Ok(ExitStatus::from_raw(6));
        let failed = Ok(ExitStatus::from_raw(1 << 8));
        assert_eq!(RunEnd::of(lived, &killed), RunEnd::Killed);
        assert_eq!(RunEnd::of(lived, &aborted), RunEnd::Ended(lived));
        assert_eq!(RunEnd::of(lived, &failed), RunEnd::Ended(lived));
        let unknown = Err(std::io::Error::other("wait failed"));
        assert_eq!(RunEnd::of(lived, &unknown), RunEnd::Ended(lived));
    }
}
