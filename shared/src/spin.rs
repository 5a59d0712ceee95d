//! A bounded busy-wait for the next frame of a connection.
//!
//! On a machine whose other CPUs are idle (a small VM above all), waking a
//! thread parked in `epoll_wait` on another CPU costs an inter-processor
//! interrupt, and in a VM each one is an exit to the hypervisor: tens of
//! microseconds, several times the cost of the round trip itself
//! (README, issue 18). A side that expects an answer within microseconds
//! (a client that just sent a request, a server that just answered one)
//! can instead watch its socket for a short, bounded time with
//! non-blocking peeks, yielding the CPU between them, then park as usual. The frame itself is still read
//! by the normal async path; this only decides when to go to sleep.

use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use interprocess::local_socket::tokio::Stream;

/// Spins for at most `budget` until `stream` has a byte to read, its peer
/// has closed, or it reports an error (the read that follows says which).
/// True when there is something to read; false when the budget ran out
/// (or is zero).
pub fn until_readable(stream: &Stream, budget: Duration) -> bool {
    if budget.is_zero() {
        return false;
    }
    #[allow(irrefutable_let_patterns)]
    let Stream::UdSocket(s) = stream
    else {
        return false;
    };
    let fd = s.as_fd().as_raw_fd();
    let flags = nix::sys::socket::MsgFlags::MSG_PEEK | nix::sys::socket::MsgFlags::MSG_DONTWAIT;
    let start = Instant::now();
    let mut byte = [0u8; 1];
    loop {
        match nix::sys::socket::recv(fd, &mut byte, flags) {
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => {}
            // Data, end of stream (0) or an error: the read reports it.
            Ok(_) | Err(_) => return true,
        }
        if start.elapsed() >= budget {
            return false;
        }
        // Let whatever else is runnable on this CPU go first (on a small
        // machine that is often the peer this side is waiting for).
        std::thread::yield_now();
    }
}
