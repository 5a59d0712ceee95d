//! A child's stdin pipe decoder (bootstrap and control messages from its
//! parent): arbitrary payloads decode or fail cleanly, never a panic or an
//! over-allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::protocol::control::{Bootstrap, Control};

fuzz_target!(|data: &[u8]| {
    let _ = shared::codec::decode::<Bootstrap>(data);
    let _ = shared::codec::decode::<Control>(data);
});
