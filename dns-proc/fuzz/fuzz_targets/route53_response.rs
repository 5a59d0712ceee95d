//! Route53 answers: any body goes through every XML reader of the adapter
//! without a panic; names read back decode and compare without a panic;
//! record values unquote. Then a change batch built from strings taken from
//! the input is well-formed XML that quick-xml reads back to the same name
//! and quoted values.
#![no_main]

use dns_proc::adapters::route53_xml as xml;
use dns_proc::adapters::{names, txt};
use libfuzzer_sys::fuzz_target;
use quick_xml::events::Event;
use quick_xml::Reader;

fn check_name(name: &str) {
    let decoded = xml::decode_name(name);
    assert!(xml::name_matches(name, &decoded));
    if !name.contains('\\') {
        assert_eq!(decoded, name);
    }
    let _ = names::zone_candidates(&decoded);
}

/// Reads a change batch back: every event without error; the text of
/// `<Name>` and of each `<Value>`, references resolved.
fn read_back(body: &str) -> (String, Vec<String>) {
    let mut reader = Reader::from_str(body);
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut name = String::new();
    let mut values = Vec::new();
    loop {
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => panic!(
                "change batch is not well-formed XML at {}: {e}\n{body}",
                reader.error_position()
            ),
        };
        let target = match path.last().map(Vec::as_slice) {
            Some(b"Name") => Some(&mut name),
            Some(b"Value") => values.last_mut(),
            _ => None,
        };
        match ev {
            Event::Start(s) => {
                if s.name().as_ref() == b"Value" {
                    values.push(String::new());
                }
                path.push(s.name().as_ref().to_vec());
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let t = t.decode().expect("text decodes");
                if let Some(out) = target {
                    out.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().expect("valid char ref") {
                    Some(c) => c.to_string(),
                    None => {
                        let n = r.decode().expect("ref decodes");
                        quick_xml::escape::resolve_predefined_entity(&n)
                            .unwrap_or_else(|| panic!("unknown entity &{n};"))
                            .to_string()
                    }
                };
                if let Some(out) = target {
                    out.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(path.is_empty(), "unclosed elements: {path:?}");
    (name, values)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(zones) = xml::zones_by_name(data) {
        for z in &zones {
            check_name(&z.name);
            let _ = z.is_private();
            let _ = z.id.trim_start_matches("/hostedzone/");
        }
    }
    if let Ok(z) = xml::hosted_zone(data) {
        check_name(&z.name);
        let _ = z.is_private();
    }
    if let Ok(sets) = xml::record_sets(data) {
        for s in &sets {
            check_name(&s.name);
            let _ = (s.ttl, s.record_type.as_str());
            for v in &s.values {
                let raw = txt::unquote(v);
                assert_eq!(txt::unquote(&txt::quote(&raw)), raw);
            }
        }
    }
    if let Ok(c) = xml::change_info(data) {
        let _ = (c.id.len(), c.status.as_str());
    }
    let _ = xml::error(data);
    let _ = xml::is_throttling(data);
    check_name(&String::from_utf8_lossy(data));

    // A change batch from input-derived strings: byte 0 picks the action (a
    // constant in the adapter, never user text), bytes 1..5 the TTL, the rest
    // is split on newlines into the name and up to 8 values.
    if data.len() >= 5 {
        let action = ["UPSERT", "DELETE", "CREATE"][usize::from(data[0]) % 3];
        let ttl = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
        let rest = String::from_utf8_lossy(&data[5..]);
        let mut parts = rest.split('\n');
        let fqdn = parts.next().unwrap_or_default().to_string();
        let values: Vec<String> = parts.take(8).map(str::to_string).collect();
        let body = xml::change_batch(action, &fqdn, ttl, &values);
        let (name, read) = read_back(&body);
        assert_eq!(name, fqdn);
        let quoted: Vec<String> = values.iter().map(|v| txt::quote(v)).collect();
        assert_eq!(read, quoted);
        for (r, v) in read.iter().zip(&values) {
            assert_eq!(&txt::unquote(r), v);
        }
    }
});
