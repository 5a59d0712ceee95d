//! ACME problem documents (RFC 7807/8555 §6.7): any bytes give a problem or
//! an error, never a panic; a problem's summary never has a control
//! character once the client has cleaned it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = dns_proc::acme::wire::parse_problem(data) {
        let _ = p.is_bad_nonce();
        let cleaned = dns_proc::acme::error::clean(&p.summary(), 500);
        assert!(!cleaned.chars().any(char::is_control));
    }
});
