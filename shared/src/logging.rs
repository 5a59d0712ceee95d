//! Logging to stderr with `tracing`; stdout is a protocol channel in every
//! process and is never written by logs. Level from `SSLBOARD_LOG`.

/// Installs the stderr subscriber for process `name`. Safe to call once.
pub fn init(name: &'static str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SSLBOARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false)
        .try_init();
    tracing::debug!(process = name, pid = std::process::id(), "logging started");
}
