//! Parent/child lifecycle: spawning a child with a stdin control pipe, the
//! bootstrap it reads first, the readiness message it writes back, and the
//! rule that a child never outlives its parent (stdin EOF → exit).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{de::DeserializeOwned, Serialize};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::frame::{read_frame, write_frame, FrameError};
use crate::protocol::control::Ready;

/// A child could not be started.
#[derive(Debug, Error)]
pub enum SpawnError {
    /// The binary could not be found or started.
    #[error("could not start {name}: {source}")]
    Start {
        /// Binary name.
        name: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The control pipe failed.
    #[error("control pipe to {name}: {source}")]
    Pipe {
        /// Binary name.
        name: String,
        /// Cause.
        source: FrameError,
    },
    /// The child did not report readiness in time.
    #[error("{0} did not become ready in time")]
    NotReady(String),
    /// The child exited before it was ready.
    #[error("{name} exited during start-up (exit code {code:?})")]
    Exited {
        /// Binary name.
        name: String,
        /// Its exit code, when it exited normally.
        code: Option<i32>,
    },
}

/// A started child with its control pipe.
pub struct Spawned {
    /// The process.
    pub child: Child,
    /// Its pid.
    pub pid: u32,
    /// The write end of its stdin (dropping it tells the child to exit).
    pub control: ChildStdin,
    /// Readiness report.
    pub ready: Ready,
}

/// Path of a sibling binary next to the current executable.
pub fn sibling_binary(name: &str) -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .ok_or_else(|| std::io::Error::other("executable has no parent directory"))?;
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        Ok(path)
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} not found next to {}", path.display(), exe.display()),
        ))
    }
}

/// Spawns `binary` with piped stdin/stdout, writes `bootstrap` into its stdin,
/// and waits for its [`Ready`] line on stdout. Environment is inherited minus
/// anything the caller removed; nothing secret is ever put in argv or env.
pub async fn spawn_child<B: Serialize>(
    binary: &Path,
    args: &[&str],
    bootstrap: &B,
    ready_timeout: Duration,
) -> Result<Spawned, SpawnError> {
    spawn_child_without(binary, args, &[], bootstrap, ready_timeout).await
}

/// Like [`spawn_child`], with `strip_env` removed from the child's environment
/// (e.g. an explicit master key that only vault-proc may see).
pub async fn spawn_child_without<B: Serialize>(
    binary: &Path,
    args: &[&str],
    strip_env: &[&str],
    bootstrap: &B,
    ready_timeout: Duration,
) -> Result<Spawned, SpawnError> {
    let name = binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut cmd = Command::new(binary);
    for var in strip_env {
        cmd.env_remove(var);
    }
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_PDEATHSIG) is async-signal-safe and touches only
        // the calling (child) process; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().map_err(|source| SpawnError::Start {
        name: name.clone(),
        source,
    })?;
    let pid = child.id().unwrap_or(0);
    let (Some(mut control), Some(mut out)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(SpawnError::Start {
            name,
            source: std::io::Error::other("pipes missing"),
        });
    };
    write_frame(&mut control, bootstrap)
        .await
        .map_err(|source| SpawnError::Pipe {
            name: name.clone(),
            source,
        })?;
    let ready: Ready = match tokio::time::timeout(ready_timeout, read_frame(&mut out)).await {
        Ok(Ok(r)) => r,
        Ok(Err(FrameError::Closed)) => {
            let code = match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
                Ok(Ok(status)) => status.code(),
                _ => None,
            };
            return Err(SpawnError::Exited { name, code });
        }
        Ok(Err(source)) => return Err(SpawnError::Pipe { name, source }),
        Err(_) => return Err(SpawnError::NotReady(name)),
    };
    // Keep stdout open for the child's lifetime but never read it again:
    // the child writes nothing else there.
    tokio::spawn(drain(out));
    Ok(Spawned {
        child,
        pid,
        control,
        ready,
    })
}

async fn drain(mut out: ChildStdout) {
    let _ = tokio::io::copy(&mut out, &mut tokio::io::sink()).await;
}

/// Child side: reads the first control message (the bootstrap) from `stdin`.
pub async fn read_bootstrap<B: DeserializeOwned + Serialize, R: AsyncRead + Unpin>(
    stdin: &mut R,
) -> Result<B, FrameError> {
    read_frame(stdin).await
}

/// Child side: reports readiness on `stdout`.
pub async fn report_ready<W: AsyncWrite + Unpin>(
    stdout: &mut W,
    socket: &Path,
) -> Result<(), FrameError> {
    write_frame(
        stdout,
        &Ready {
            socket: socket.to_string_lossy().into_owned(),
            pid: std::process::id(),
        },
    )
    .await
}

/// Sends a control message to a child.
pub async fn send_control<T: Serialize>(
    control: &mut ChildStdin,
    msg: &T,
) -> Result<(), FrameError> {
    write_frame(control, msg).await
}
