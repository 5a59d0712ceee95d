//! `ui-bridge`: see the library. Exit codes: 0 ok, 1 command error, 2 usage,
//! 3 data directory in use.

/// Every freed block is wiped (see `shared::zalloc`).
#[global_allocator]
static ALLOC: shared::zalloc::ZeroizingAlloc = shared::zalloc::ZeroizingAlloc;

use shared::supervise::exit;
use std::time::Duration;

use clap::Parser;
use serde_json::value::RawValue;
use shared::protocol::ui::UiRequest;
use ui_bridge::cli::{Cli, Mode};
use ui_bridge::json::{request, response};
use ui_bridge::launcher::BrokerLink;
use ui_bridge::BridgeError;
use zeroize::Zeroizing;

/// Time the broker gets to exit after EOF on its control pipe; with the
/// 400 ms drain below this keeps a full shutdown inside the 2 s budget.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1300);

fn main() {
    shared::logging::init("ui-bridge");
    // In every mode: web mode holds session keys, and every mode carries
    // typed values in flight (not dumpable, no core files).
    for problem in shared::hardening::harden() {
        tracing::warn!("{problem}");
    }
    let cli = Cli::parse();
    // Keep the runtime alive until exit: dropping it would wait for the blocking stdin reader.
    let system = actix_rt::System::new();
    let code = system.block_on(run(cli));
    std::process::exit(code)
}

async fn run(cli: Cli) -> i32 {
    let data_dir = match cli
        .data_dir
        .map(Ok)
        .unwrap_or_else(ui_bridge::default_data_dir)
    {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    match cli.mode.unwrap_or(Mode::Stdio) {
        Mode::Stdio => {
            let link = match BrokerLink::start(data_dir).await {
                Ok(l) => l,
                Err(e) => return fail(&e),
            };
            let (tx, mut stop) = tokio::sync::watch::channel(false);
            shared::child::spawn_signal_watch(std::sync::Arc::new(tx));
            let session = ui_bridge::stdio::run(
                link.clone(),
                tokio::io::stdin(),
                tokio::io::stdout(),
                Duration::from_millis(400),
            );
            tokio::select! {
                _ = session => {}
                _ = shared::child::wait_shutdown(&mut stop) => {}
            }
            link.shutdown(SHUTDOWN_GRACE).await;
            0
        }
        Mode::Web { port } => {
            let link = match BrokerLink::start(data_dir).await {
                Ok(l) => l,
                Err(e) => return fail(&e),
            };
            let (tx, mut stop) = tokio::sync::watch::channel(false);
            shared::child::spawn_signal_watch(std::sync::Arc::new(tx));
            let stopped = async move { shared::child::wait_shutdown(&mut stop).await };
            let served =
                ui_bridge::web::serve(link.clone(), ui_bridge::web::WebOptions { port }, stopped)
                    .await;
            link.shutdown(SHUTDOWN_GRACE).await;
            match served {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("ui-bridge: {e}");
                    1
                }
            }
        }
        Mode::Call { cmd, args } => {
            let req = match call_request(&cmd, args) {
                Ok(r) => r,
                Err(code) => return code,
            };
            let link = match BrokerLink::start(data_dir).await {
                Ok(l) => l,
                Err(e) => return fail(&e),
            };
            let result = link.call(1, req, None).await;
            link.shutdown(SHUTDOWN_GRACE).await;
            match result {
                Ok(resp) => {
                    #[allow(clippy::print_stdout)] // stdout is this mode's output channel
                    {
                        println!("{}", response::result(&resp));
                    }
                    0
                }
                Err(e) => {
                    eprintln!("{}", response::error(&e));
                    exit::FAILED
                }
            }
        }
    }
}

/// The request of `ui-bridge call CMD [ARGS]`; on a usage error the exit
/// code (2) after the message went to stderr.
fn call_request(cmd: &str, args: Option<String>) -> Result<UiRequest, i32> {
    let Some(command) = request::Command::from_name(cmd) else {
        let e = request::parse_command(cmd, None).err();
        let e = e.unwrap_or_else(|| shared::error::WireError::invalid_request("unknown command"));
        eprintln!("{}", response::error_line(None, &e));
        return Err(2);
    };
    let text: Zeroizing<String> = match args.as_deref() {
        None => Zeroizing::new("{}".into()),
        Some("-") => match read_stdin_args() {
            Ok(t) => t,
            Err(e) => return Err(fail(&e)),
        },
        Some(_) if command.args_may_hold_a_value() => {
            return Err(fail(&BridgeError::Usage(format!(
                "`{cmd}` takes values that must not be on the command line (every local user can read it, and shells keep it): pass `-` and write the JSON arguments on stdin, e.g. `ui-bridge call {cmd} - < args.json`"
            ))));
        }
        Some(argv) => Zeroizing::new(argv.to_string()),
    };
    let raw: &RawValue = match serde_json::from_str(text.trim()) {
        Ok(r) => r,
        Err(_) => {
            return Err(fail(&BridgeError::Usage(
                "arguments must be a JSON object".into(),
            )))
        }
    };
    request::parse_args(command, Some(raw)).map_err(|e| {
        eprintln!("{}", response::error_line(None, &e));
        2
    })
}

/// The arguments of `call CMD -`: all of stdin (at most one request line's size).
fn read_stdin_args() -> Result<Zeroizing<String>, BridgeError> {
    use std::io::Read;
    let mut buf = Zeroizing::new(Vec::with_capacity(4096));
    let limit = request::MAX_LINE as u64 + 1;
    std::io::stdin()
        .lock()
        .take(limit)
        .read_to_end(&mut buf)
        .map_err(|e| BridgeError::Usage(format!("cannot read the arguments from stdin: {e}")))?;
    if buf.len() as u64 >= limit {
        return Err(BridgeError::Usage(format!(
            "the arguments on stdin are longer than {} bytes",
            request::MAX_LINE
        )));
    }
    let text = std::str::from_utf8(&buf)
        .map_err(|_| BridgeError::Usage("the arguments on stdin are not UTF-8".into()))?;
    Ok(Zeroizing::new(text.to_string()))
}

fn fail(e: &BridgeError) -> i32 {
    eprintln!("ui-bridge: {e}");
    match e {
        BridgeError::InUse => exit::IN_USE,
        BridgeError::Usage(_) => exit::USAGE,
        BridgeError::Start(_) => exit::FAILED,
    }
}
