//! dns-proc's inbound decoder: arbitrary payloads decode to a request or an
//! error, and decoded requests pass the allow-list check without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::protocol::dnsproc::DnsRequest;
use shared::protocol::{ClientMsg, Role};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = shared::codec::decode::<ClientMsg<DnsRequest>>(data) {
        for role in Role::ALL {
            let _ = dns_proc::policy::permitted(role, &msg.request);
        }
    }
});
