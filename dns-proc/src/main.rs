//! `dns-proc`: started by the broker; see the library.

/// Every freed block is wiped (see `shared::zalloc`).
#[global_allocator]
static ALLOC: shared::zalloc::ZeroizingAlloc = shared::zalloc::ZeroizingAlloc;

fn main() {
    // Every log line passes the final scrub (live provider tokens removed).
    shared::child::main_of_filtered(
        "dns-proc",
        dns_proc::scrub::log_filter,
        dns_proc::run::run(),
    )
}
