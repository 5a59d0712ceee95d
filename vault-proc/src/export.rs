//! Deployment of a certificate to files (`ExportFiles`, broker only): the
//! one deliberate exit of key material, written by vault-proc itself so the
//! key never passes through another process.
//!
//! vault-proc writes all four files (`fullchain.pem`, `cert.pem`,
//! `chain.pem` 0644 and, when asked, `privkey.pem` 0600) under the same
//! rules, from the public chain the broker hands over and the key it holds:
//! * the directory path is absolute and is walked component by component
//!   from `/` with `O_NOFOLLOW|O_DIRECTORY` (`openat`): a symlinked
//!   component is refused; missing components are created 0700;
//! * the final directory must be owned by this user and not be group- or
//!   world-writable;
//! * each file is created in that directory (by descriptor, so the
//!   directory cannot be swapped under us) as a temporary name with
//!   `O_CREAT|O_EXCL|O_NOFOLLOW`, given its mode with `fchmod` (whatever the
//!   umask), written, fsynced, then moved into place: `linkat` (fails on an
//!   existing file: no replacement unless `overwrite`) or `renameat`
//!   (`overwrite`, atomic, replaces a symlink itself, never its target);
//! * the key is written only for the key whose public half the leaf
//!   carries (`keys::ops::export_pem`), and only after its audit entry is
//!   in `audit_log` (a failed write is recorded as well).
//!
//! Refusals are `validation` (path not absolute, `.`/`..`, a bad chain),
//! `forbidden` (symlink, foreign owner, writable by others) and `conflict`
//! (a file exists and `overwrite` is false), each naming the path.

use base64::Engine as _;
use shared::error::{ErrorCode, WireError, WireResult};
use shared::protocol::acme::{AuditAction, ExportFile, ExportedFile};
use shared::protocol::vault::FileExport;
use zeroize::Zeroizing;

use crate::audit;
use crate::keys::der::{Reader, CONTEXT_0, INTEGER, SEQUENCE};
use crate::keys::ops::KeyOps;

/// Mode of the public files.
pub const PUBLIC_MODE: u32 = 0o644;
/// Mode of `privkey.pem`.
pub const KEY_MODE: u32 = 0o600;
/// Mode of directories the export creates.
pub const DIR_MODE: u32 = 0o700;

/// Writes the files of `req`; see the module documentation.
pub fn export(ops: KeyOps<'_>, req: FileExport) -> WireResult<Vec<ExportedFile>> {
    let components = check_dir(&req.dir)?;
    let blocks = pem_blocks(&req.chain_pem)?;
    let (leaf_pem, leaf_der) = blocks
        .first()
        .ok_or_else(|| WireError::validation("the chain holds no certificate"))?;
    let fullchain: String = blocks.iter().map(|b| b.0.as_str()).collect();
    let chain: String = blocks.iter().skip(1).map(|b| b.0.as_str()).collect();
    let KeyOps { store, .. } = ops;
    let key = match &req.key_ref {
        Some(k) => {
            let spki = leaf_spki(leaf_der)?;
            let mut ops = KeyOps {
                store,
                permits: ops.permits,
                cache: ops.cache,
            };
            let pem = ops.export_pem(k, &spki)?;
            Some(pem)
        }
        None => None,
    };
    let mut files: Vec<(ExportFile, Zeroizing<Vec<u8>>, u32)> = vec![
        (
            ExportFile::Fullchain,
            Zeroizing::new(fullchain.into_bytes()),
            PUBLIC_MODE,
        ),
        (
            ExportFile::Cert,
            Zeroizing::new(leaf_pem.clone().into_bytes()),
            PUBLIC_MODE,
        ),
        (
            ExportFile::Chain,
            Zeroizing::new(chain.into_bytes()),
            PUBLIC_MODE,
        ),
    ];
    if let Some(pem) = key {
        files.push((
            ExportFile::Privkey,
            Zeroizing::new(pem.as_bytes().to_vec()),
            KEY_MODE,
        ));
    }
    imp::write_all(store.connection(), &req, &components, files)
}

fn check_dir(dir: &str) -> WireResult<Vec<String>> {
    shared::export_dir::components(dir)
        .map(|parts| parts.into_iter().map(str::to_string).collect())
        .map_err(|why| WireError::validation(why).with_field("dir"))
}

/// The certificate blocks of a PEM chain: (normalized PEM text, DER).
fn pem_blocks(text: &str) -> WireResult<Vec<(String, Vec<u8>)>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let bad = || WireError::validation("the chain is not PEM certificates");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let end = after.find(END).ok_or_else(bad)?;
        let b64: String = after[..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .map_err(|_| bad())?;
        let mut pem = String::from(BEGIN);
        pem.push('\n');
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).map_err(|_| bad())?);
            pem.push('\n');
        }
        pem.push_str(END);
        pem.push('\n');
        out.push((pem, der));
        if out.len() > 10 {
            return Err(WireError::validation("the chain has too many certificates"));
        }
        rest = &after[end + END.len()..];
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// The DER SubjectPublicKeyInfo of a certificate.
fn leaf_spki(der: &[u8]) -> WireResult<Vec<u8>> {
    let bad = |_| WireError::validation("the leaf certificate is malformed");
    let cert = Reader::new(der)
        .expect(SEQUENCE, "certificate")
        .map_err(bad)?;
    let tbs = Reader::new(cert)
        .expect(SEQUENCE, "tbsCertificate")
        .map_err(bad)?;
    let mut t = Reader::new(tbs);
    if tbs.first() == Some(&CONTEXT_0) {
        t.read_tlv().map_err(bad)?;
    }
    t.expect(INTEGER, "serial").map_err(bad)?;
    for what in ["signature", "issuer", "validity", "subject"] {
        t.expect(SEQUENCE, what).map_err(bad)?;
    }
    let before = t.rest();
    t.expect(SEQUENCE, "subjectPublicKeyInfo").map_err(bad)?;
    let len = before.len() - t.rest().len();
    Ok(before[..len].to_vec())
}

fn io_error(path: &str, e: impl std::fmt::Display) -> WireError {
    WireError::internal(format!("{path}: {e}"))
}

#[cfg(unix)]
mod imp {
    use std::io::Write as _;
    use std::os::fd::OwnedFd;

    use nix::errno::Errno;
    use nix::fcntl::{open, openat, renameat, AtFlags, OFlag};
    use nix::sys::stat::{fchmod, fstat, fstatat, mkdirat, Mode, SFlag};
    use nix::unistd::{fsync, geteuid, linkat, unlinkat, UnlinkatFlags};
    use rusqlite::Connection;

    use super::*;

    fn dir_flags() -> OFlag {
        OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_RDONLY | OFlag::O_CLOEXEC
    }

    /// Opens (creating 0700 what is missing) the directory, refusing
    /// symlinked components, a foreign owner, and group/world write access.
    fn open_dir(dir: &str, components: &[String]) -> WireResult<OwnedFd> {
        let mut fd = open("/", dir_flags(), Mode::empty()).map_err(|e| io_error("/", e))?;
        let mut created = false;
        let mut path = String::new();
        for c in components {
            path.push('/');
            path.push_str(c);
            let next = match openat(&fd, c.as_str(), dir_flags(), Mode::empty()) {
                Ok(f) => {
                    created = false;
                    f
                }
                Err(Errno::ENOENT) => {
                    match mkdirat(&fd, c.as_str(), Mode::from_bits_truncate(DIR_MODE)) {
                        Ok(()) | Err(Errno::EEXIST) => {}
                        Err(e) => return Err(io_error(&path, e)),
                    }
                    created = true;
                    openat(&fd, c.as_str(), dir_flags(), Mode::empty())
                        .map_err(|e| refusal(&fd, c, &path, e))?
                }
                Err(e) => return Err(refusal(&fd, c, &path, e)),
            };
            fd = next;
        }
        if created {
            fchmod(&fd, Mode::from_bits_truncate(DIR_MODE)).map_err(|e| io_error(dir, e))?;
        }
        let st = fstat(&fd).map_err(|e| io_error(dir, e))?;
        if st.st_uid != geteuid().as_raw() {
            return Err(WireError::forbidden(format!(
                "{dir} is owned by another user (uid {}): refused",
                st.st_uid
            ))
            .with_field("dir"));
        }
        if st.st_mode & 0o022 != 0 {
            return Err(WireError::forbidden(format!(
                "{dir} is writable by group or others (mode {:o}): refused",
                st.st_mode & 0o7777
            ))
            .with_field("dir"));
        }
        Ok(fd)
    }

    /// Why `name` (at `path`) in `parent` could not be opened as a
    /// directory: a symlink (Linux says ENOTDIR with O_DIRECTORY, others
    /// ELOOP) is refused as such.
    fn refusal(parent: &OwnedFd, name: &str, path: &str, e: Errno) -> WireError {
        let symlink = fstatat(parent, name, AtFlags::AT_SYMLINK_NOFOLLOW).is_ok_and(|st| {
            SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFLNK
        });
        match e {
            _ if symlink => WireError::forbidden(format!(
                "{path} is a symbolic link: refused (give the real directory)"
            ))
            .with_field("dir"),
            Errno::ELOOP | Errno::EMLINK => WireError::forbidden(format!(
                "{path} is a symbolic link: refused (give the real directory)"
            ))
            .with_field("dir"),
            Errno::ENOTDIR => {
                WireError::validation(format!("{path} is not a directory")).with_field("dir")
            }
            other => io_error(path, other),
        }
    }

    fn exists(dirfd: &OwnedFd, name: &str) -> bool {
        fstatat(dirfd, name, AtFlags::AT_SYMLINK_NOFOLLOW).is_ok()
    }

    fn temp_name(name: &str) -> WireResult<String> {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).map_err(|e| WireError::internal(format!("no randomness: {e}")))?;
        Ok(format!(".{name}.{}.tmp", hex::encode(b)))
    }

    /// One file: temp name (O_EXCL|O_NOFOLLOW, exact mode), data, fsync,
    /// then into place.
    fn write_one(
        dirfd: &OwnedFd,
        dir: &str,
        name: &str,
        data: &[u8],
        mode: u32,
        overwrite: bool,
    ) -> WireResult<()> {
        let path = format!("{}/{name}", dir.trim_end_matches('/'));
        let tmp = temp_name(name)?;
        let fd = openat(
            dirfd,
            tmp.as_str(),
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(mode),
        )
        .map_err(|e| io_error(&path, e))?;
        let result = fill_and_place(dirfd, fd, &tmp, name, &path, data, mode, overwrite);
        // The temporary name goes in every case (after a rename it is gone already).
        let _ = unlinkat(dirfd, tmp.as_str(), UnlinkatFlags::NoRemoveDir);
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn fill_and_place(
        dirfd: &OwnedFd,
        fd: OwnedFd,
        tmp: &str,
        name: &str,
        path: &str,
        data: &[u8],
        mode: u32,
        overwrite: bool,
    ) -> WireResult<()> {
        fchmod(&fd, Mode::from_bits_truncate(mode)).map_err(|e| io_error(path, e))?;
        let mut file = std::fs::File::from(fd);
        file.write_all(data).map_err(|e| io_error(path, e))?;
        fsync(&file).map_err(|e| io_error(path, e))?;
        drop(file);
        if overwrite {
            renameat(dirfd, tmp, dirfd, name).map_err(|e| io_error(path, e))
        } else {
            match linkat(dirfd, tmp, dirfd, name, AtFlags::empty()) {
                Ok(()) => Ok(()),
                Err(Errno::EEXIST) => Err(exists_error(path)),
                Err(e) => Err(io_error(path, e)),
            }
        }
    }

    fn exists_error(path: &str) -> WireError {
        WireError::new(
            ErrorCode::Conflict,
            format!("{path} exists: pass overwrite to replace it"),
        )
        .with_field("overwrite")
    }

    /// Writes `files` into the checked directory; the key after its audit entry.
    pub(super) fn write_all(
        conn: &Connection,
        req: &FileExport,
        components: &[String],
        files: Vec<(ExportFile, Zeroizing<Vec<u8>>, u32)>,
    ) -> WireResult<Vec<ExportedFile>> {
        let dirfd = open_dir(&req.dir, components)?;
        let dir = format!("/{}", components.join("/"));
        let path_of = |f: ExportFile| format!("{}/{}", dir.trim_end_matches('/'), f.name());
        if !req.overwrite {
            for (f, _, _) in &files {
                if exists(&dirfd, f.name()) {
                    return Err(exists_error(&path_of(*f)));
                }
            }
        }
        let mut out = Vec::new();
        for (f, data, mode) in files {
            let path = path_of(f);
            let is_key = f == ExportFile::Privkey;
            if is_key {
                audit::append(conn, AuditAction::KeyExport, &req.certificate_id, &path)?;
            }
            let written = write_one(&dirfd, &dir, f.name(), &data, mode, req.overwrite);
            if let Err(e) = written {
                if is_key {
                    let _ = audit::append(
                        conn,
                        AuditAction::KeyExportFailed,
                        &req.certificate_id,
                        &path,
                    );
                }
                return Err(e);
            }
            out.push(ExportedFile {
                file: f,
                path,
                mode,
            });
        }
        fsync(&dirfd).map_err(|e| io_error(&dir, e))?;
        Ok(out)
    }
}

#[cfg(not(unix))]
mod imp {
    use rusqlite::Connection;

    use super::*;

    pub(super) fn write_all(
        _conn: &Connection,
        _req: &FileExport,
        _components: &[String],
        _files: Vec<(ExportFile, Zeroizing<Vec<u8>>, u32)>,
    ) -> WireResult<Vec<ExportedFile>> {
        Err(WireError::unavailable(
            "exporting to files is implemented for Unix systems only",
        ))
    }
}
