//! `broker`: started by ui-bridge with a bootstrap on stdin; see the library.

fn main() {
    shared::logging::init("broker");
    for problem in shared::hardening::harden() {
        tracing::warn!("{problem}");
    }
    let code = match actix_rt::System::new().block_on(broker::run::run()) {
        Ok(()) => 0,
        Err(e @ broker::BrokerError::InUse { .. }) => {
            tracing::error!("{e}");
            eprintln!("broker: {e}");
            broker::EXIT_IN_USE
        }
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("broker: {e}");
            1
        }
    };
    std::process::exit(code);
}
