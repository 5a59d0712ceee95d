//! A child's stdin pipe decoder (bootstrap and control messages from its
//! parent): arbitrary payloads decode or fail cleanly, and what decodes
//! re-encodes identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::protocol::control::{Bootstrap, Control};

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = shared::codec::decode::<Bootstrap>(data) {
        assert_eq!(shared::codec::encode(&b).expect("re-encodes"), data);
    }
    if let Ok(c) = shared::codec::decode::<Control>(data) {
        assert_eq!(shared::codec::encode(&c).expect("re-encodes"), data);
    }
});
