//! Full ACME DNS-01 issuance through the tree (ui → broker → dns-proc, keys
//! and signatures in vault-proc) against pebble, with the real propagation
//! check on every authoritative nameserver: one name and apex + wildcard,
//! on PowerDNS and on RFC 2136 (BIND9), each a fresh order with fresh names.
//! Compared with lego (PowerDNS) and certbot + RFC 2136 (BIND9) measured by
//! `scripts/bench-issue-peers` in the same run (`SSLBOARD_BENCH_PEER_*`).

use std::time::{Duration, Instant};

use serde_json::json;
use sslboard_tests::acme::{self, Pebble};
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};
use sslboard_tests::{dns, required_env};

use crate::percentile;

/// Issuances per figure.
const RUNS: usize = 10;

fn bench_tree(env: &[(&str, String)]) -> (tempfile::TempDir, Tree) {
    let t = tempfile::tempdir().unwrap();
    let mut opts = TreeOptions::new(t.path(), KeySource::random_env());
    opts.extra_env.push(("SSLBOARD_LOG".into(), "warn".into()));
    for (k, v) in env {
        opts.extra_env.push((k.to_string(), v.clone()));
    }
    let tree = Tree::start(opts);
    (t, tree)
}

fn measure(tree: &mut Tree, account: &str, zone: &str, wildcard: bool) -> Duration {
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let base = format!("{}.{zone}", acme::label());
        let wild = format!("*.{base}");
        let names: Vec<&str> = if wildcard {
            vec![&base, &wild]
        } else {
            vec![&base]
        };
        let s = Instant::now();
        let (r, _) = acme::issue(tree, account, &names, 60);
        samples.push(s.elapsed());
        assert_eq!(r["success"], json!(true), "{r}");
    }
    samples.sort();
    percentile(&samples, 0.5)
}

fn line(label: &str, p50: Duration, peers: &[(&str, &str)]) {
    let ms = p50.as_secs_f64() * 1e3;
    println!("sslboard issuance {label}: n={RUNS} median={ms:.0}ms");
    let mut fastest: Option<f64> = None;
    for (peer, var) in peers {
        match std::env::var(var).ok().and_then(|v| v.parse::<f64>().ok()) {
            Some(peer_ms) => {
                println!(
                    "  vs {peer}: median {peer_ms:.0}ms → {:.1}× faster",
                    peer_ms / ms
                );
                fastest = Some(fastest.map_or(peer_ms, |f: f64| f.min(peer_ms)));
            }
            None => println!("  vs {peer}: not measured in this run"),
        }
    }
    if let Some(f) = fastest {
        println!("  vs the faster peer: {:.1}× (target ≥ 10×)", f / ms);
    }
}

/// Runs the issuance benchmark.
pub fn run() {
    let pdns = dns::pdns_dns();
    let (_t, mut tree) = bench_tree(&[
        ("SSLBOARD_DNS_BOOTSTRAP", pdns.to_string()),
        ("SSLBOARD_DNS_PORT", pdns.port().to_string()),
    ]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    let id = acct["id"].as_str().unwrap().to_string();
    acme::pdns_provider(&mut tree, "bench", "example.test");
    let one = measure(&mut tree, &id, "example.test", false);
    line(
        "one name, PowerDNS",
        one,
        &[("lego (PowerDNS)", "SSLBOARD_BENCH_PEER_LEGO_ONE_PDNS_MS")],
    );
    let wild = measure(&mut tree, &id, "example.test", true);
    line(
        "apex + wildcard, PowerDNS",
        wild,
        &[("lego (PowerDNS)", "SSLBOARD_BENCH_PEER_LEGO_WILD_PDNS_MS")],
    );
    drop(tree);

    let zone = required_env("SSLBOARD_TEST_BIND_ZONE");
    let (_t, mut tree) = bench_tree(&[("SSLBOARD_DNS_NAMESERVERS", dns::bind_dns().to_string())]);
    let acct = acme::account(&mut tree, Pebble::Bind);
    let id = acct["id"].as_str().unwrap().to_string();
    tree.ok(
        "dns_provider_create",
        json!({
            "type": "rfc2136", "label": "bench", "domainSuffixes": zone,
            "apiToken": required_env("SSLBOARD_TEST_TSIG_SECRET"),
            "config": {
                "server": required_env("SSLBOARD_TEST_BIND_DNS"),
                "tsigKeyName": required_env("SSLBOARD_TEST_TSIG_NAME"),
                "tsigAlgorithm": required_env("SSLBOARD_TEST_TSIG_ALGORITHM"),
            },
        }),
    );
    let one = measure(&mut tree, &id, &zone, false);
    line(
        "one name, RFC 2136 (BIND9)",
        one,
        &[
            (
                "certbot rfc2136, propagation 0",
                "SSLBOARD_BENCH_PEER_CERTBOT_ONE_RFC2136_FAST_MS",
            ),
            (
                "certbot rfc2136, default 60 s",
                "SSLBOARD_BENCH_PEER_CERTBOT_ONE_RFC2136_DEFAULT_MS",
            ),
        ],
    );
    let wild = measure(&mut tree, &id, &zone, true);
    line(
        "apex + wildcard, RFC 2136 (BIND9)",
        wild,
        &[
            (
                "certbot rfc2136, propagation 0",
                "SSLBOARD_BENCH_PEER_CERTBOT_WILD_RFC2136_FAST_MS",
            ),
            (
                "certbot rfc2136, default 60 s",
                "SSLBOARD_BENCH_PEER_CERTBOT_WILD_RFC2136_DEFAULT_MS",
            ),
        ],
    );
}
