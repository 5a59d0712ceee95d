//! TXT values and names: quote/unquote round-trips any string; zone
//! candidates are suffixes of the bare name; a relative name joined back to
//! its zone is the name.
#![no_main]

use dns_proc::adapters::{names, txt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);

    // quote → unquote is the identity for any valid UTF-8 string.
    assert_eq!(txt::unquote(&txt::quote(&s)), *s);
    let _ = txt::unquote(&s);

    // Zone candidates: never a panic; each one a suffix of the bare name.
    let bare = names::bare(&s);
    for c in names::zone_candidates(&s) {
        assert!(
            bare.ends_with(&c),
            "candidate {c:?} is not a suffix of {bare:?}"
        );
    }

    // relative(fqdn, zone): the input split at its first newline.
    let (f, z) = s.split_once('\n').unwrap_or((&s, ""));
    if let Some(r) = names::relative(f, z) {
        assert!(names::within(f, z));
        if r != "@" {
            assert_eq!(format!("{r}.{}", names::bare(z)), names::bare(f));
        }
    } else {
        assert!(!names::within(f, z));
    }
});
