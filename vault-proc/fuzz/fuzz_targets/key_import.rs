//! PEM key import: arbitrary text, and arbitrary bytes wrapped as each PEM
//! label we accept (so the DER reader and aws-lc's parsers see them), is a
//! key or a `KeyError`, never a panic.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vault_proc::keys::import::from_pem(text);
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    for label in ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"] {
        let pem = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        if let Ok(key) = vault_proc::keys::import::from_pem(&pem) {
            // Whatever imports must also sign and describe itself.
            assert!(key.sign_jws(b"x").is_ok());
            let _ = key.public_meta();
        }
    }
});
