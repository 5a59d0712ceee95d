//! Certificate chains (PEM, leaf first) and the leaf's DER fields: any
//! input gives certificates or an error, never a panic; the DER reader also
//! gets the raw bytes; a parsed leaf's times are RFC 3339 shaped.
#![no_main]

use dns_proc::acme::cert;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ders) = cert::parse_chain_pem(&String::from_utf8_lossy(data)) {
        for d in ders {
            if let Ok(l) = cert::leaf_info(&d) {
                assert_eq!(l.not_before.len(), 20);
                assert_eq!(l.not_after.len(), 20);
            }
        }
    }
    let _ = cert::leaf_info(data);
});
