//! ACME orders (RFC 8555 §7.1.3): any bytes give an order or an error,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(o) = dns_proc::acme::wire::parse_order(data) {
        let _ = o.error.map(|p| p.summary());
    }
});
