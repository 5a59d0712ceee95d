//! Test harness: runs the real binaries (ui-bridge → broker → vault-proc and
//! dns-proc) as a UI would, over stdio, and inspects them from the outside
//! through /proc. Service-backed tests read their service's address from the
//! environment that `scripts/test` exports and fail loudly when it is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod acme;
pub mod direct;
pub mod dns;
pub mod keys;
pub mod procs;
pub mod seed;
pub mod session;
pub mod tree;
pub mod web;

/// The value of a variable that `scripts/test` exports; panics with a clear
/// message when it is missing, so a service-backed test can never skip.
pub fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: run the tests through scripts/test, which starts the real services"
        ),
    }
}

/// Random lowercase hex (for canaries and names).
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).expect("random");
    hex::encode(b)
}

/// The directory holding the workspace binaries (next to the test executable).
pub fn bin_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let deps = exe.parent().expect("deps dir");
    let dir = if deps.ends_with("deps") {
        deps.parent().expect("target dir")
    } else {
        deps
    };
    dir.to_path_buf()
}

/// Asserts that both databases of `data_dir` pass `PRAGMA integrity_check`.
pub fn assert_databases_intact(data_dir: &std::path::Path) {
    for db in ["secrets.sqlite", "dns.sqlite"] {
        let c = rusqlite::Connection::open(data_dir.join(db)).expect("open database");
        let r: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity_check");
        assert_eq!(r, "ok", "{db}");
    }
}

/// True when `needle` occurs in `hay`.
pub fn bytes_contain(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir` (recursively), with its path and bytes: for
/// canary scans of a data dir.
pub fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            out.push((p.display().to_string(), b));
        }
    }
    out
}
