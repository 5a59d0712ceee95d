//! `dns-proc`: started by the broker; see the library.

/// Every freed block is wiped (see `shared::zalloc`).
#[global_allocator]
static ALLOC: shared::zalloc::ZeroizingAlloc = shared::zalloc::ZeroizingAlloc;

fn main() {
    shared::child::main_of("dns-proc", dns_proc::run::run())
}
