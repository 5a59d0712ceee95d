//! Startup hardening for processes that hold secrets: not dumpable (no ptrace
//! attach by same-uid processes, no /proc/<pid>/mem reads) and no core files.
//! Page locking of the master key lives with the key
//! (`vault-proc/src/secrets/locked_key.rs`).

/// Makes this process non-dumpable and disables core files. Returns a
/// description of anything that could not be applied (logged by the caller).
pub fn harden() -> Vec<String> {
    let mut problems = Vec::new();
    #[cfg(target_os = "linux")]
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        problems.push(format!("PR_SET_DUMPABLE failed: {e}"));
    }
    if let Err(e) = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0) {
        problems.push(format!("RLIMIT_CORE=0 failed: {e}"));
    }
    problems
}
