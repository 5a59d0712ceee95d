//! Frame decoder and codec: arbitrary bytes never panic or over-allocate, and
//! whatever decodes re-encodes to the same bytes (decode → encode identity).
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
            if let Ok(msg) = shared::codec::decode::<ClientMsg<UiRequest>>(&payload) {
                let again = shared::codec::encode(&msg).expect("a decoded message re-encodes");
                assert_eq!(again, payload, "decode → encode is not the identity");
            }
        }
    });
});
