//! ACME Renewal Information answers (RFC 9773 §4.2): any bytes give a
//! window or an error, never a panic; a window always ends after it starts,
//! and the renewal time picked from it lies inside it.
#![no_main]

use dns_proc::acme::ari;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(w) = ari::parse_renewal_info(data) {
        assert!(w.end > w.start);
        for unit in [0.0, 0.5, 0.999_999] {
            let t = ari::pick(w, unit);
            assert!(t >= w.start && t < w.end);
        }
    }
    let _ = ari::next_poll(std::str::from_utf8(data).ok(), time::OffsetDateTime::UNIX_EPOCH);
});
