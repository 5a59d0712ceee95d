//! ACME directories (RFC 8555 §7.1.1): any bytes give a directory or an
//! error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dns_proc::acme::wire::parse_directory(data);
    let _ = dns_proc::acme::wire::parse_account(data);
});
