//! The broker's inbound decoder (requests from ui-bridge): arbitrary payloads
//! decode to a request or an error, never a panic or an over-allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::protocol::ui::UiRequest;
use shared::protocol::ClientMsg;

fuzz_target!(|data: &[u8]| {
    let _ = shared::codec::decode::<ClientMsg<UiRequest>>(data);
});
