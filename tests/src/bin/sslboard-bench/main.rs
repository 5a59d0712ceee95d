//! Benchmarks of the SSLBoard core, run by `scripts/bench` against the release
//! build, side by side with the peers named in the issues, reported as figures
//! and ratios. Asserts nothing about speed: these machines are noisy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::time::{Duration, Instant};

use serde_json::json;
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

mod dns;
mod issue;
mod keys;
mod resolve;
mod reveal;
mod scale;

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Prints p50/p99/ops and returns p50.
pub fn report(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let total: Duration = samples.iter().sum();
    let ops = samples.len() as f64 / total.as_secs_f64();
    let p50 = percentile(&samples, 0.5);
    println!(
        "{name}: n={} p50={:.1}µs p99={:.1}µs ops/s={:.0}",
        samples.len(),
        p50.as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
        ops
    );
    p50
}

pub fn quiet_tree(base: &std::path::Path) -> Tree {
    let mut opts = TreeOptions::new(base, KeySource::random_env());
    opts.extra_env.push(("SSLBOARD_LOG".into(), "warn".into()));
    Tree::start(opts)
}

fn ui_ping() {
    let t = tempfile::tempdir().unwrap();
    let mut tree = quiet_tree(t.path());
    for _ in 0..200 {
        tree.request("ping", json!({}));
    }
    let samples: Vec<Duration> = (0..5000)
        .map(|_| {
            let s = Instant::now();
            let r = tree.request("ping", json!({}));
            let d = s.elapsed();
            assert_eq!(r["ok"], json!(true));
            d
        })
        .collect();
    report(
        "ui ping round trip (ui-bridge → broker → back, stdio)",
        samples,
    );
}

fn cold_start() {
    let mut samples = Vec::new();
    for _ in 0..20 {
        let t = tempfile::tempdir().unwrap();
        let s = Instant::now();
        let mut tree = quiet_tree(t.path());
        let r = tree.request("vault_status", json!({}));
        samples.push(s.elapsed());
        assert_eq!(r["ok"], json!(true));
        drop(tree);
    }
    samples.sort();
    println!(
        "cold start of the tree to the first answered vault_status: median={:.1}ms min={:.1}ms max={:.1}ms (n=20)",
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3
    );
}

fn main() {
    let which: Vec<String> = std::env::args().skip(1).collect();
    // Child processes of the reveal and scale benchmarks.
    match which.first().map(String::as_str) {
        Some("floor-echo-server") => return reveal::echo_server(&which[1], false),
        Some("floor-echo-server-spin") => return reveal::echo_server(&which[1], true),
        Some("reveal-variant") => return reveal::variant(&which[1]),
        _ => {}
    }
    let want = |n: &str| which.is_empty() || which.iter().any(|w| w == n);
    if want("ping") {
        ui_ping();
    }
    if want("cold-start") {
        cold_start();
    }
    if want("reveal") {
        reveal::run();
    }
    if want("resolve") {
        resolve::run();
    }
    if want("dns") {
        dns::run();
    }
    if want("keys") {
        keys::run();
    }
    if want("issue") {
        issue::run();
    }
    if want("scale") {
        scale::run();
    }
}
