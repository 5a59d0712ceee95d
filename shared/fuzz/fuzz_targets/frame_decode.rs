//! Frame decoder and codec: arbitrary bytes never panic or over-allocate.
//! (One wire form per message is enforced by `codec::decode` itself, which
//! re-encodes and compares; its unit tests prove that, not this target.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::protocol::ui::UiRequest;
use shared::protocol::ClientMsg;

fuzz_target!(|data: &[u8]| {
    let rt = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(_) => return,
    };
    rt.block_on(async {
        let mut r = data;
        if let Ok(payload) = shared::frame::read_payload(&mut r).await {
            let _ = shared::codec::decode::<ClientMsg<UiRequest>>(&payload);
        }
    });
});
