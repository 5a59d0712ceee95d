//! Crash injection for tests: in debug builds only, a process whose
//! `SSLBOARD_FAILPOINT` names a failpoint aborts when it reaches it. Used to
//! prove that multi-step flows survive a crash between their steps. Release
//! builds compile this to nothing.

/// Aborts the process here if `SSLBOARD_FAILPOINT` equals `name` (debug builds only).
pub fn hit(name: &str) {
    if cfg!(debug_assertions) && std::env::var("SSLBOARD_FAILPOINT").is_ok_and(|v| v == name) {
        tracing::warn!(failpoint = name, "failpoint reached; aborting");
        std::process::abort();
    }
}
