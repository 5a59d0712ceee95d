//! The JSON request parser: any line yields a request or an error, never a
//! panic, and an error never quotes more of the input than a command name.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = ui_bridge::json::request::parse_line(line);
    }
});
