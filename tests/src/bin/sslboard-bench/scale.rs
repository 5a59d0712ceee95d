//! `scale`: how the figures grow with 1 k, 10 k and 100 k secrets and
//! providers, populated through the stores' own code (sealing, rows) in one
//! transaction each, not through the UI. One table at the end.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};
use shared::protocol::vault::{VaultRequest, VaultResponse};
use sslboard_tests::direct::DirectVault;
use sslboard_tests::seed::{provider_id, secret_id};
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

const KEY: [u8; 32] = [0x42; 32];

fn key_b64() -> String {
    base64::engine::general_purpose::STANDARD.encode(KEY)
}

fn seed_secrets(data_dir: &Path, n: usize) -> Duration {
    let start = Instant::now();
    sslboard_tests::seed::provider_tokens(data_dir, KEY, n, "");
    start.elapsed()
}

fn p(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    crate::percentile(samples, q)
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn walk(tree: &mut Tree, cmd: &str, field: &str, limit: u32) -> (Duration, Duration, usize) {
    let start = Instant::now();
    let mut first = None;
    let mut total = 0;
    let mut after = Value::Null;
    loop {
        let r = tree.request(cmd, json!({"after": after, "limit": limit}));
        first.get_or_insert(start.elapsed());
        total += r["result"][field].as_array().map_or(0, |a| a.len());
        if r["result"]["next"].is_null() {
            break;
        }
        after = r["result"]["next"].clone();
    }
    (first.unwrap_or_default(), start.elapsed(), total)
}

/// The median first page and full walk of `WALKS` walks of `cmd` (pages of
/// 500), each checked to list all `n` items. `SSLBOARD_BENCH_WALKS` changes
/// the count (e.g. many, to profile the list path).
fn walks(tree: &mut Tree, cmd: &str, field: &str, n: usize) -> (Duration, Duration) {
    let count: usize = std::env::var("SSLBOARD_BENCH_WALKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&c| c > 0)
        .unwrap_or(3);
    let (mut firsts, mut totals) = (Vec::new(), Vec::new());
    for _ in 0..count {
        let (first, whole, total) = walk(tree, cmd, field, 500);
        assert_eq!(total, n, "{cmd} listed {total} of {n}");
        firsts.push(first);
        totals.push(whole);
    }
    (p(&mut firsts, 0.5), p(&mut totals, 0.5))
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

struct Row {
    n: usize,
    seed: Duration,
    cold: Duration,
    reveal: (Duration, Duration),
    get: Duration,
    list_first: Duration,
    list_walk: Duration,
    prov_first: Duration,
    prov_walk: Duration,
    resolve: Duration,
    export: (Duration, usize),
    rss: Vec<(String, u64)>,
    db: (u64, u64),
}

fn one(n: usize) -> Row {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let seed = seed_secrets(&data, n) + {
        let s = Instant::now();
        crate::resolve::seed_db(&data, n);
        s.elapsed()
    };
    let mut opts = TreeOptions::new(t.path(), KeySource::Env(key_b64()));
    opts.extra_env.push(("SSLBOARD_LOG".into(), "warn".into()));
    let s = Instant::now();
    let mut tree = Tree::start(opts);
    let r = tree.request("secret_list", json!({"limit": 1}));
    let cold = s.elapsed();
    assert_eq!(r["ok"], json!(true), "{r}");
    let mut gets: Vec<Duration> = (0..500)
        .map(|i| {
            let name = format!("secret-{:07}", (i * 7919) % n);
            let s = Instant::now();
            let r = tree.request("secret_get", json!({"name": name}));
            let d = s.elapsed();
            assert_eq!(r["ok"], json!(true), "{r}");
            d
        })
        .collect();
    let (list_first, list_walk) = walks(&mut tree, "secret_list", "secrets", n);
    let (prov_first, prov_walk) = walks(&mut tree, "dns_provider_list", "providers", n);
    let mut resolves: Vec<Duration> = (0..1000)
        .map(|i| {
            let h = format!("www.{}", crate::resolve::suffix((i * 7919) % n));
            let s = Instant::now();
            let r = tree.request("dns_resolve", json!({"hostname": h}));
            let d = s.elapsed();
            assert_eq!(r["result"]["mode"], json!("provider"), "{r}");
            d
        })
        .collect();
    let s = Instant::now();
    let doc = tree.request("config_export", json!({}));
    let export = (s.elapsed(), doc.to_string().len());
    assert_eq!(doc["result"]["secrets"].as_array().map(Vec::len), Some(n));
    assert_eq!(doc["result"]["providers"].as_array().map(Vec::len), Some(n));
    drop(doc);
    let mut rss: Vec<(String, u64)> = ["ui-bridge", "broker", "vault-proc", "dns-proc"]
        .iter()
        .map(|name| {
            let pid = if *name == "ui-bridge" {
                tree.pid()
            } else {
                tree.pid_of(name)
            };
            (name.to_string(), peak_rss_kib(pid))
        })
        .collect();
    drop(tree);
    // Reveal: vault-proc driven directly on the same data dir (dns role).
    let v = DirectVault::open(&data, &key_b64());
    let picked: Vec<usize> = (0..1000).map(|i| (i * 7919) % n).collect();
    for &k in &picked {
        v.permit(&provider_id(k), &secret_id(k));
    }
    let mut reveals = Vec::with_capacity(5000);
    for i in 0..5500 {
        let k = picked[(i * 31) % picked.len()];
        let (prov, sref) = (provider_id(k), secret_id(k));
        let s = Instant::now();
        let r =
            v.rt.block_on(v.dns.call(
                VaultRequest::Reveal {
                    provider_id: prov,
                    secret_ref: sref,
                },
                Duration::from_secs(5),
            ))
            .unwrap();
        if i >= 500 {
            reveals.push(s.elapsed());
        }
        assert!(matches!(r, VaultResponse::RevealedToken { .. }));
    }
    rss.push((
        "vault-proc (direct, after reveals)".into(),
        peak_rss_kib(v.pid()),
    ));
    drop(v);
    let size = |f: &str| std::fs::metadata(data.join(f)).map_or(0, |m| m.len());
    Row {
        n,
        seed,
        cold,
        reveal: (p(&mut reveals, 0.5), p(&mut reveals, 0.99)),
        get: p(&mut gets, 0.5),
        list_first,
        list_walk,
        prov_first,
        prov_walk,
        resolve: p(&mut resolves, 0.5),
        export,
        rss,
        db: (size("secrets.sqlite"), size("dns.sqlite")),
    }
}

pub fn run() {
    // `SSLBOARD_BENCH_SCALE=1000,10000` picks the sizes (while iterating).
    let sizes: Vec<usize> = std::env::var("SSLBOARD_BENCH_SCALE")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let rows: Vec<Row> = sizes.into_iter().map(one).collect();
    println!("scale: N secrets (provider tokens) and N providers, release build");
    println!(
        "| N | populate (both stores) | cold start → first secret_list | reveal p50 / p99 µs | secret_get by name p50 ms | secret_list first 500 / full walk ms | dns_provider_list first 500 / full walk ms | dns_resolve p50 ms | config_export ms (MB) | peak RSS MiB (ui-bridge, broker, vault-proc, dns-proc; vault-proc after reveals) | secrets.sqlite / dns.sqlite MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mib = |k: u64| format!("{:.1}", k as f64 / 1024.0);
    for r in &rows {
        println!(
            "| {} | {} ms | {} ms | {} / {} | {} | {} / {} | {} / {} | {} | {} ({:.1}) | {} | {:.1} / {:.1} |",
            r.n,
            ms(r.seed),
            ms(r.cold),
            us(r.reveal.0),
            us(r.reveal.1),
            ms(r.get),
            ms(r.list_first),
            ms(r.list_walk),
            ms(r.prov_first),
            ms(r.prov_walk),
            ms(r.resolve),
            ms(r.export.0),
            r.export.1 as f64 / 1e6,
            r.rss.iter().map(|(_, k)| mib(*k)).collect::<Vec<_>>().join(", "),
            r.db.0 as f64 / 1048576.0,
            r.db.1 as f64 / 1048576.0,
        );
    }
}
