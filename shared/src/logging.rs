//! Logging to stderr with `tracing`; stdout is a protocol channel in every
//! process and is never written by logs. Level from `SSLBOARD_LOG`.
//!
//! A process may install a filter that every formatted log line passes
//! through before it is written ([`init_filtered`]): dns-proc scrubs live
//! provider tokens from its logs this way.

use std::io::Write;

/// A function every log line passes through before it reaches stderr.
pub type LineFilter = fn(&str) -> String;

/// Installs the stderr subscriber for process `name`. Safe to call once.
pub fn init(name: &'static str) {
    install(name, None);
}

/// Like [`init`], with every formatted line passed through `filter`.
pub fn init_filtered(name: &'static str, filter: LineFilter) {
    install(name, Some(filter));
}

fn install(name: &'static str, filter: Option<LineFilter>) {
    let env = tracing_subscriber::EnvFilter::try_from_env("SSLBOARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(env)
        .with_writer(FilteredStderr { filter })
        .with_target(false)
        .with_ansi(false)
        .try_init();
    tracing::debug!(process = name, pid = std::process::id(), "logging started");
}

/// Makes one [`EventWriter`] per log event.
#[derive(Clone, Copy)]
struct FilteredStderr {
    filter: Option<LineFilter>,
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for FilteredStderr {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter {
            filter: self.filter,
            buf: Vec::new(),
        }
    }
}

/// Collects one event and writes it, filtered, to stderr when dropped (the
/// formatter writes an event in pieces; the filter must see it whole).
struct EventWriter {
    filter: Option<LineFilter>,
    buf: Vec<u8>,
}

impl Write for EventWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buf);
        let out = match self.filter {
            Some(f) => f(&text),
            None => text.into_owned(),
        };
        let _ = std::io::stderr().lock().write_all(out.as_bytes());
    }
}
