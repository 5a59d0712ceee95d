//! Startup hardening for processes that hold secrets: not dumpable (no ptrace
//! attach by same-uid processes, no /proc/<pid>/mem reads), no core files, and
//! page locking of key material where the limit allows.

use std::sync::atomic::{AtomicBool, Ordering};

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

static MLOCK_WARNED: AtomicBool = AtomicBool::new(false);

/// Locks `len` bytes at `ptr` in RAM so they are never swapped; on failure logs
/// one warning per process and carries on.
///
/// # Safety
/// `ptr..ptr+len` must be a live allocation owned by the caller.
pub unsafe fn lock_memory(ptr: *mut u8, len: usize) -> bool {
    // SAFETY: forwarded contract: the caller owns the range.
    let ok = unsafe { memsec::mlock(ptr, len) };
    if !ok && !MLOCK_WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!("mlock failed (RLIMIT_MEMLOCK too low?); key material may be swapped");
    }
    ok
}
