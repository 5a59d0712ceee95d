//! `dns-proc`: started by the broker; see the library.

fn main() {
    shared::child::main_of("dns-proc", dns_proc::run::run())
}
