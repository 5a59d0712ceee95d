//! The workflow certificate-placeholder parser and the workflow check: no
//! panic; the pieces of an accepted text put back together are the text
//! (placeholders re-spelled), and an error's offset is inside the input.
#![no_main]

use dns_proc::workflow::placeholders::{parse, Piece};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(pieces) => {
            let mut back = String::new();
            for p in pieces {
                match p {
                    Piece::Text(t) => back.push_str(t),
                    Piece::Field(f, offset) => {
                        assert_eq!(back.len(), offset);
                        back.push_str("{{certificate.");
                        back.push_str(<&'static str>::from(f));
                        back.push_str("}}");
                    }
                }
            }
            assert_eq!(back, text);
        }
        Err(e) => assert!(e.offset <= text.len()),
    }
});
