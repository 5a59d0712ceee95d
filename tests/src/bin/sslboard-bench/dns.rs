//! DNS benchmarks: Test Connection end to end through the tree against the
//! real PowerDNS (compared with lego's DNS-01 issuance against the same
//! PowerDNS, when `scripts/bench` measured it in this run), and the time
//! from "record published" to "seen on the nameserver" per poll strategy.

use std::time::{Duration, Instant};

use dns_proc::verify::{PollPlan, Poller};
use serde_json::json;
use sslboard_tests::dns::{self, PDNS_ZONE};
use sslboard_tests::required_env;
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

use crate::percentile;

fn test_connection() -> Duration {
    let t = tempfile::tempdir().unwrap();
    let mut opts = TreeOptions::new(t.path(), KeySource::random_env());
    opts.extra_env.push(("SSLBOARD_LOG".into(), "warn".into()));
    opts.extra_env.push((
        "SSLBOARD_DNS_NAMESERVERS".into(),
        dns::pdns_dns().to_string(),
    ));
    let mut tree = Tree::start(opts);
    let created = tree.ok(
        "dns_provider_create",
        json!({
            "type": "powerdns", "label": "bench", "domainSuffixes": PDNS_ZONE,
            "apiToken": required_env("SSLBOARD_TEST_PDNS_API_KEY"),
            "config": {"serverUrl": required_env("SSLBOARD_TEST_PDNS_API")},
        }),
    );
    let id = created["provider"]["id"].as_str().unwrap().to_string();
    let mut samples = Vec::new();
    for _ in 0..20 {
        let s = Instant::now();
        let r = tree.ok("dns_provider_test", json!({"id": id, "timeoutSecs": 30}));
        samples.push(s.elapsed());
        assert_eq!(r["success"], json!(true), "{r}");
    }
    samples.sort();
    let p50 = percentile(&samples, 0.5);
    println!(
        "test connection end to end (ui → broker → dns-proc → PowerDNS API + DNS, create/verify/remove): n=20 p50={:.1}ms p90={:.1}ms max={:.1}ms (target ≤ 1500ms)",
        p50.as_secs_f64() * 1e3,
        percentile(&samples, 0.9).as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3
    );
    if let Some(lego_ms) = std::env::var("SSLBOARD_BENCH_LEGO_MS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        println!(
            "  vs lego dns-01 issuance against the same PowerDNS (pebble CA, propagation check off), median {lego_ms:.0}ms: lego/sslboard = {:.1}×",
            lego_ms / (p50.as_secs_f64() * 1e3)
        );
    }
    p50
}

/// Publication delays of the trials: spread over 0–1.5 s.
fn delays() -> Vec<Duration> {
    (0..16).map(|i| Duration::from_millis(i * 100)).collect()
}

fn poll_strategies() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let plans = [
        ("fixed 50 ms", PollPlan::fixed(Duration::from_millis(50))),
        ("fixed 250 ms", PollPlan::fixed(Duration::from_millis(250))),
        ("fixed 1 s", PollPlan::fixed(Duration::from_secs(1))),
        ("backoff 100 ms ×1.6 → 2 s (default)", PollPlan::BACKOFF),
    ];
    let server = dns::pdns_dns();
    for (name, plan) in plans {
        let mut lags = Vec::new();
        let mut polls = 0u32;
        for delay in delays() {
            let fqdn = dns::unique_name(PDNS_ZONE);
            let value = sslboard_tests::random_hex(16);
            let (lag, n) = rt.block_on(async {
                let pdns = dns::pdns();
                let (f, v) = (fqdn.clone(), value.clone());
                let publish = tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    pdns.set_txt(PDNS_ZONE, &f, &[v]).await.unwrap();
                    Instant::now()
                });
                let mut poller = Poller::new(&[server], &fqdn, &value).unwrap();
                let mut attempts = 0;
                let seen = poller
                    .until_seen(plan, Instant::now() + Duration::from_secs(20), |a, _| {
                        attempts = a
                    })
                    .await;
                let seen_at = Instant::now();
                assert!(seen, "never seen");
                let published = publish.await.unwrap();
                dns::pdns().set_txt(PDNS_ZONE, &fqdn, &[]).await.unwrap();
                (seen_at.saturating_duration_since(published), attempts)
            });
            lags.push(lag);
            polls += n;
        }
        lags.sort();
        println!(
            "record published → seen, poll {name}: n={} median lag={:.0}ms max lag={:.0}ms queries/record={:.1} (publication delays 0–1.5 s)",
            lags.len(),
            percentile(&lags, 0.5).as_secs_f64() * 1e3,
            lags[lags.len() - 1].as_secs_f64() * 1e3,
            f64::from(polls) / lags.len() as f64
        );
    }
}

/// Runs the DNS benchmarks.
pub fn run() {
    test_connection();
    poll_strategies();
}
