//! The data directory: created 0700, and owned by one broker at a time through
//! an exclusive `flock` on `broker.lock`, which records the holder's pid so the
//! second broker's error can name it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};

use crate::BrokerError;

/// Holds the data directory lock for the broker's lifetime.
pub struct DataDirLock {
    _lock: Flock<File>,
}

/// Creates (or checks) the data dir with mode 0700 and takes the lock.
pub fn acquire(dir: &Path) -> Result<DataDirLock, BrokerError> {
    let repaired =
        shared::transport::ensure_private_dir(dir).map_err(|source| BrokerError::Io {
            context: format!("data directory {}", dir.display()),
            source,
        })?;
    if repaired {
        tracing::warn!(dir = %dir.display(), "data directory was wider than 0700; repaired");
    }
    let path = dir.join("broker.lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|source| BrokerError::Io {
            context: format!("lock file {}", path.display()),
            source,
        })?;
    let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(l) => l,
        Err((mut file, _)) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            return Err(BrokerError::InUse {
                dir: dir.display().to_string(),
                pid: if pid.is_empty() {
                    "unknown".into()
                } else {
                    pid.to_string()
                },
            });
        }
    };
    let io = |source| BrokerError::Io {
        context: format!("lock file {}", path.display()),
        source,
    };
    lock.set_len(0).map_err(io)?;
    lock.seek(SeekFrom::Start(0)).map_err(io)?;
    writeln!(lock, "{}", std::process::id()).map_err(io)?;
    lock.flush().map_err(io)?;
    Ok(DataDirLock { _lock: lock })
}
