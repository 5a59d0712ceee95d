//! Local-socket transport: private directories, listeners, connections and the
//! kernel's view of who is on the other end.
//!
//! Sockets live in a fresh 0700 directory per launch and are created 0600; a
//! directory that is a symlink, owned by someone else, or not a directory is
//! refused rather than repaired, because the socket's safety rests on it.

use std::io;
use std::path::Path;

use interprocess::local_socket::tokio::{Listener, Stream};
use interprocess::local_socket::traits::tokio::{Listener as _, Stream as _};
use interprocess::local_socket::{GenericFilePath, ListenerOptions, ToFsName};

/// What the kernel says about the peer of a connected socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerIdentity {
    /// Peer process id, when the platform reports it.
    pub pid: Option<u32>,
    /// Peer effective uid, when the platform reports it.
    pub uid: Option<u32>,
}

/// Creates a listener at `path` with mode 0600, replacing a stale socket file.
pub fn listen(path: &Path) -> io::Result<Listener> {
    let name = path.to_fs_name::<GenericFilePath>()?;
    let opts = ListenerOptions::new().name(name).try_overwrite(true);
    #[cfg(unix)]
    let opts = {
        use interprocess::os::unix::local_socket::ListenerOptionsExt;
        opts.mode(0o600)
    };
    opts.create_tokio()
}

/// Connects to the listener at `path`.
pub async fn connect(path: &Path) -> io::Result<Stream> {
    let name = path.to_fs_name::<GenericFilePath>()?;
    Stream::connect(name).await
}

/// Accepts one connection.
pub async fn accept(listener: &Listener) -> io::Result<Stream> {
    listener.accept().await
}

/// The kernel's credentials of the peer (SO_PEERCRED on Linux, getpeereid on macOS).
pub fn peer_identity(stream: &Stream) -> io::Result<PeerIdentity> {
    use interprocess::local_socket::traits::StreamCommon;
    let creds = stream.peer_creds()?;
    #[cfg(unix)]
    {
        Ok(PeerIdentity {
            pid: creds.pid().and_then(|p| u32::try_from(p).ok()),
            uid: creds.euid(),
        })
    }
    #[cfg(not(unix))]
    {
        Ok(PeerIdentity {
            pid: creds.pid(),
            uid: None,
        })
    }
}

/// Our own effective uid (None where the platform has no uids).
pub fn own_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        Some(nix::unistd::geteuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Creates `path` as a private (0700) directory or checks an existing one:
/// it must be a real directory (not a symlink) owned by us; a wider mode is
/// narrowed to 0700 and reported through the return value.
pub fn ensure_private_dir(path: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(path)?;
                // The mode above is filtered by umask only downwards; set it exactly.
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
                Ok(false)
            }
            Err(e) => Err(e),
            Ok(meta) => {
                if meta.file_type().is_symlink() {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!("{} is a symlink; refusing to use it", path.display()),
                    ));
                }
                if !meta.is_dir() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{} is not a directory", path.display()),
                    ));
                }
                if Some(meta.uid()) != own_uid() {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!(
                            "{} is owned by uid {}, not by us; refusing to use it",
                            path.display(),
                            meta.uid()
                        ),
                    ));
                }
                if meta.mode() & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
                    return Ok(true);
                }
                Ok(false)
            }
        }
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path)?;
        Ok(false)
    }
}

/// Creates `path` as a file readable only by us (0600), or narrows an
/// existing file to 0600 when it is wider. Returns true when it repaired the
/// mode. One mechanism for every database file of the core.
pub fn ensure_private_file(path: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            return Ok(true);
        }
        Ok(false)
    }
    #[cfg(not(unix))]
    {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(false)
    }
}

/// Makes a fresh, unique private directory for one launch's sockets.
pub fn fresh_socket_dir() -> io::Result<std::path::PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let suffix = crate::ids::random_hex::<8>().map_err(|e| io::Error::other(e.to_string()))?;
    let dir = base.join(format!("sslboard-{suffix}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        // Not recursive: creation must fail if anything already sits at this name.
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir(&dir)?;
    ensure_private_dir(&dir)?;
    Ok(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_dir_rules() -> io::Result<()> {
        let t = tempfile::tempdir()?;
        let d = t.path().join("d");
        assert!(!ensure_private_dir(&d)?);
        assert_eq!(std::fs::metadata(&d)?.permissions().mode() & 0o777, 0o700);
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755))?;
        assert!(ensure_private_dir(&d)?);
        assert_eq!(std::fs::metadata(&d)?.permissions().mode() & 0o777, 0o700);
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&d, &link)?;
        assert!(ensure_private_dir(&link).is_err());
        Ok(())
    }
}
