//! DigitalOcean answers: any body parses to a record page or an error, never
//! a panic; record data unquotes without a panic; the error text of a body
//! that is not an error object is bounded.
#![no_main]

use dns_proc::adapters::{digitalocean, names, txt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = digitalocean::parse_records(data) {
        let _more = page.links.pages.and_then(|l| l.next).is_some();
        for rec in page.domain_records {
            let raw = txt::unquote(&rec.data);
            assert_eq!(txt::unquote(&txt::quote(&raw)), raw);
            let _ = names::bare(&rec.name);
            let _ = rec.record_type.eq_ignore_ascii_case("TXT");
        }
    }
    let text = digitalocean::error_text(data);
    if serde_json::from_slice::<digitalocean::DoError>(data).is_err() {
        // Not an error object: the whole body, uncut (the scrubber in
        // ApiClient::scrub removes token runs before anything is cut).
        assert_eq!(text, String::from_utf8_lossy(data));
    }
});
