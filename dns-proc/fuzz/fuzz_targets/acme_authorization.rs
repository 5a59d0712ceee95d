//! ACME authorizations (RFC 8555 §7.1.4): any bytes give an authorization
//! or an error, never a panic; the dns-01 challenge and the problem
//! accessors never panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = dns_proc::acme::wire::parse_authorization(data) {
        let _ = a.dns01();
        let _ = a.problem().map(|p| p.summary());
    }
    let _ = dns_proc::acme::wire::parse_challenge(data);
});
