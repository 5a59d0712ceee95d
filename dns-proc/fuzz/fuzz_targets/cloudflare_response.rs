//! Cloudflare answers: any body parses to an envelope or an error, never a
//! panic; the error text is bounded; every record content read back unquotes
//! without a panic and in a stable canonical form.
#![no_main]

use dns_proc::adapters::cloudflare::{self, CfRecord, CfZone};
use dns_proc::adapters::{names, txt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = cloudflare::parse::<Vec<CfZone>>(data) {
        for z in env.result.unwrap_or_default() {
            let _ = names::zone_candidates(&z.name);
            let _ = names::bare(&z.name);
        }
        let _ = env.result_info.map(|i| (i.page, i.total_pages));
    }
    if let Ok(env) = cloudflare::parse::<Vec<CfRecord>>(data) {
        for rec in env.result.unwrap_or_default() {
            let raw = txt::unquote(&rec.content);
            // The canonical raw form survives a write and a read back.
            assert_eq!(txt::unquote(&txt::quote(&raw)), raw);
            let _ = names::bare(&rec.name);
        }
    }
    let text = cloudflare::error_text(data);
    if cloudflare::parse::<serde::de::IgnoredAny>(data).is_err() {
        // Not an envelope: the whole body, uncut (the scrubber in
        // ApiClient::scrub removes token runs before anything is cut).
        assert_eq!(text, String::from_utf8_lossy(data));
    }
});
