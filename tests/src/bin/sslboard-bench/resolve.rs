//! `dns_resolve` among 100 k providers' suffixes, in-process and through the
//! UI, and `dns_provider_list` with 10 k providers.

use std::time::{Duration, Instant};

use dns_proc::providers::ProviderRegistry;
use serde_json::json;

pub fn suffix(i: usize) -> String {
    format!("zone{i}.tenant{}.example", i % 997)
}

/// `n` providers in `data_dir/dns.sqlite` through the store (suffix index
/// included), provider i managing `suffix(i)`.
pub fn seed_db(data_dir: &std::path::Path, n: usize) {
    sslboard_tests::seed::providers_with(data_dir, n, suffix);
}

pub fn run() {
    let hosts: Vec<String> = (0..10_000)
        .map(|i| format!("www.api.{}", suffix((i * 7919) % 100_000)))
        .collect();
    let t = tempfile::tempdir().unwrap();
    seed_db(&t.path().join("data"), 100_000);
    // In-process: the registry dns-proc uses, on the same dns.sqlite.
    {
        let s = Instant::now();
        let r = ProviderRegistry::open(&t.path().join("data")).unwrap();
        let first = r.resolve(&hosts[0], None).unwrap();
        println!(
            "dns-proc registry open + first dns_resolve among 100k providers: {:.2}ms",
            s.elapsed().as_secs_f64() * 1e3
        );
        assert!(matches!(
            first,
            shared::protocol::dns::Resolution::Provider { .. }
        ));
        let mut samples = Vec::with_capacity(20_000);
        for _ in 0..2 {
            for h in &hosts {
                let s = Instant::now();
                let m = r.resolve(h, None).unwrap();
                samples.push(s.elapsed());
                assert!(matches!(
                    m,
                    shared::protocol::dns::Resolution::Provider { .. }
                ));
            }
        }
        crate::report(
            "dns_resolve in-process among 100k providers (registry on dns.sqlite; target p50 ≤ 5 µs)",
            samples,
        );
    }

    // Through the UI: the same 100 k providers.
    let mut tree = crate::quiet_tree(t.path());
    let samples: Vec<Duration> = hosts
        .iter()
        .take(2000)
        .map(|h| {
            let s = Instant::now();
            let r = tree.request("dns_resolve", json!({"hostname": h}));
            let d = s.elapsed();
            assert_eq!(r["result"]["mode"], json!("provider"), "{r}");
            d
        })
        .collect();
    crate::report("dns_resolve UI round trip among 100k providers", samples);
    drop(tree);

    let t = tempfile::tempdir().unwrap();
    seed_db(&t.path().join("data"), 10_000);
    let mut tree = crate::quiet_tree(t.path());
    let samples: Vec<Duration> = (0..20)
        .map(|_| {
            let s = Instant::now();
            let mut total = 0;
            let mut after = serde_json::Value::Null;
            loop {
                let r = tree.request("dns_provider_list", json!({"after": after, "limit": 2000}));
                total += r["result"]["providers"].as_array().map_or(0, |a| a.len());
                if r["result"]["next"].is_null() {
                    break;
                }
                after = r["result"]["next"].clone();
            }
            let d = s.elapsed();
            assert_eq!(total, 10_000);
            d
        })
        .collect();
    crate::report(
        "dns_provider_list of all 10k providers through the UI (5 pages of 2000)",
        samples,
    );
}
