//! The `{{secrets.name.field}}` parser: no panic, and every reference it
//! reports points at `{{secrets.` in the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(refs) = vault_proc::secrets::template::references(text) {
            for r in refs {
                let at = r.offset as usize;
                assert!(text[at..].starts_with("{{secrets."), "offset {at} does not point at a reference");
            }
        }
    }
});
