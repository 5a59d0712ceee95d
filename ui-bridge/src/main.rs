//! `ui-bridge`: see the library. Exit codes: 0 ok, 1 command error, 2 usage,
//! 3 data directory in use.

/// Every freed block is wiped (see `shared::zalloc`).
#[global_allocator]
static ALLOC: shared::zalloc::ZeroizingAlloc = shared::zalloc::ZeroizingAlloc;

use shared::supervise::exit;
use std::time::Duration;

use clap::Parser;
use ui_bridge::cli::{Cli, Mode};
use ui_bridge::json::{request, response};
use ui_bridge::launcher::BrokerLink;
use ui_bridge::BridgeError;

/// Time the broker gets to exit after EOF on its control pipe; with the
/// 400 ms drain below this keeps a full shutdown inside the 2 s budget.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1300);

fn main() {
    shared::logging::init("ui-bridge");
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
            let raw = args.unwrap_or_else(|| "{}".into());
            let raw = match serde_json::value::RawValue::from_string(raw) {
                Ok(r) => r,
                Err(_) => {
                    return fail(&BridgeError::Usage(
                        "arguments must be a JSON object".into(),
                    ))
                }
            };
            let req = match request::parse_command(&cmd, Some(&raw)) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{}", response::error_line(None, &e));
                    return 2;
                }
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

fn fail(e: &BridgeError) -> i32 {
    eprintln!("ui-bridge: {e}");
    match e {
        BridgeError::InUse => exit::IN_USE,
        BridgeError::Usage(_) => exit::USAGE,
        BridgeError::Start(_) => exit::FAILED,
    }
}
