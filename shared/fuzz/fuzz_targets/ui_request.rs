//! The broker's inbound decoder (requests from ui-bridge): arbitrary payloads
//! decode to a request or an error, and decoded requests re-encode
//! identically (one wire form per message).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::protocol::ui::UiRequest;
use shared::protocol::ClientMsg;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = shared::codec::decode::<ClientMsg<UiRequest>>(data) {
        let again = shared::codec::encode(&msg).expect("re-encodes");
        assert_eq!(again, data);
    }
});
