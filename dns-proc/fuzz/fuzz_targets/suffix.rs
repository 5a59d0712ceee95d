//! The suffix parser: no panic; whatever it accepts is normalized (idempotent,
//! lower-case, no wildcard, no trailing dot).
#![no_main]

use dns_proc::providers::suffix::parse_suffixes;
use libfuzzer_sys::fuzz_target;
use shared::protocol::dns::SuffixInput;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(list) = parse_suffixes(&SuffixInput::Text(text.to_string())) {
            for s in &list {
                assert!(!s.contains('*') && !s.ends_with('.') && s.to_ascii_lowercase() == *s);
            }
            let again = parse_suffixes(&SuffixInput::List(list.clone())).expect("normalized output is accepted");
            assert_eq!(again, list);
        }
    }
});
