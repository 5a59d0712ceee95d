//! `vault-proc`: started by the broker; see the library.

fn main() {
    shared::child::main_of("vault-proc", vault_proc::run::run())
}
