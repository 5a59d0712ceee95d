//! `dns_resolve` among 100 k providers' suffixes, in-process and through the
//! UI, and `dns_provider_list` with 10 k providers.

use std::time::{Duration, Instant};

use dns_proc::providers::resolve::{Entry, SuffixIndex};
use serde_json::json;

pub fn suffix(i: usize) -> String {
    format!("zone{i}.tenant{}.example", i % 997)
}

pub fn seed_db(data_dir: &std::path::Path, n: usize) {
    std::fs::create_dir_all(data_dir).unwrap();
    drop(dns_proc::providers::store::ProviderStore::open(data_dir).unwrap());
    let mut conn = rusqlite::Connection::open(data_dir.join("dns.sqlite")).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut st = tx
            .prepare("INSERT INTO providers (id, type, label, suffixes, secret_ref, config, created_at, updated_at, state) VALUES (?1, 'manual', ?2, ?3, NULL, '{}', ?4, ?4, 'active')")
            .unwrap();
        for i in 0..n {
            let id = format!("dns_prov_{i:032x}");
            let suffixes = serde_json::to_string(&[suffix(i)]).unwrap();
            st.execute(rusqlite::params![
                id,
                format!("P{i}"),
                suffixes,
                format!("2026-01-01T00:00:00.{i:06}Z")
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

pub fn run() {
    // In-process: the index dns-proc uses, 100 k providers.
    let mut ix = SuffixIndex::default();
    for i in 0..100_000 {
        ix.insert(
            Entry {
                id: format!("p{i}"),
                label: String::new(),
                created_at: format!("{i:08}"),
            },
            &[suffix(i)],
        );
    }
    let hosts: Vec<String> = (0..10_000)
        .map(|i| format!("www.api.{}", suffix((i * 7919) % 100_000)))
        .collect();
    let mut samples = Vec::with_capacity(100_000);
    for round in 0..10 {
        for h in &hosts {
            let s = Instant::now();
            let m = ix.resolve(h);
            samples.push(s.elapsed());
            assert!(m.is_some() || round > 100);
        }
    }
    crate::report(
        "dns_resolve in-process among 100k providers (target p50 ≤ 5 µs)",
        samples,
    );

    // Through the UI: the same 100 k providers seeded into dns.sqlite.
    let t = tempfile::tempdir().unwrap();
    seed_db(&t.path().join("data"), 100_000);
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
