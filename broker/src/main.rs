//! `broker`: started by ui-bridge with a bootstrap on stdin; see the library.

/// Every freed block is wiped (see `shared::zalloc`).
#[global_allocator]
static ALLOC: shared::zalloc::ZeroizingAlloc = shared::zalloc::ZeroizingAlloc;

fn main() {
    shared::logging::init("broker");
    for problem in shared::hardening::harden() {
        tracing::warn!("{problem}");
    }
    // Keep the runtime alive until exit: dropping it would wait for the blocking stdin reader.
    let system = actix_rt::System::new();
    let code = match system.block_on(broker::run::run()) {
        Ok(()) => 0,
        Err(e @ broker::BrokerError::InUse { .. }) => {
            tracing::error!("{e}");
            eprintln!("broker: {e}");
            shared::supervise::exit::IN_USE
        }
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("broker: {e}");
            shared::supervise::exit::FAILED
        }
    };
    std::process::exit(code);
}
