//! `dns-proc`: started by the broker; see the library.

fn main() {
    shared::logging::init("dns-proc");
    for problem in shared::hardening::harden() {
        tracing::warn!("{problem}");
    }
    let code = match actix_rt::System::new().block_on(dns_proc::run::run()) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("dns-proc: {e}");
            1
        }
    };
    std::process::exit(code);
}
