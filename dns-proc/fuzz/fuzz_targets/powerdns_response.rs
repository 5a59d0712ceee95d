//! PowerDNS answers: any body parses to a zone list, a zone with RRsets or an
//! error, never a panic; every record content unquotes without a panic.
#![no_main]

use dns_proc::adapters::{names, powerdns, txt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(zones) = powerdns::parse_zones(data) {
        for z in zones {
            let _ = names::bare(&z.name);
            let _ = names::zone_candidates(&z.name);
            let _ = z.id.len();
        }
    }
    if let Ok(zone) = powerdns::parse_zone(data) {
        for set in zone.rrsets {
            let owner = names::dotted(&set.name);
            assert!(owner.ends_with('.') && !owner.ends_with(".."));
            let _ = set.ttl;
            for rec in &set.records {
                let raw = txt::unquote(&rec.content);
                assert_eq!(txt::unquote(&txt::quote(&raw)), raw);
            }
        }
    }
    let _ = powerdns::error_text(data);
});
