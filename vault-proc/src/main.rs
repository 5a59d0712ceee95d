//! `vault-proc`: started by the broker; see the library.

fn main() {
    shared::logging::init("vault-proc");
    for problem in shared::hardening::harden() {
        tracing::warn!("{problem}");
    }
    // Keep the runtime alive until exit: dropping it would wait for the blocking stdin reader.
    let system = actix_rt::System::new();
    let code = match system.block_on(vault_proc::run::run()) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("vault-proc: {e}");
            1
        }
    };
    std::process::exit(code);
}
