//! Tries to ptrace-attach to a pid and prints `attached` or the errno name;
//! run by the trust-boundary test without CAP_SYS_PTRACE.

#![allow(clippy::print_stdout, missing_docs)]

use nix::sys::ptrace;
use nix::unistd::Pid;

fn main() {
    let pid = std::env::args()
        .nth(1)
        .and_then(|p| p.parse::<i32>().ok())
        .unwrap_or(0);
    match ptrace::attach(Pid::from_raw(pid)) {
        Ok(()) => {
            let _ = ptrace::detach(Pid::from_raw(pid), None);
            println!("attached");
        }
        Err(e) => println!("{e:?}"),
    }
}
