//! Load and isolation: a thousand concurrent requests from several callers
//! are all answered; a stopped (stuck) dns-proc or a long Test Connection
//! never blocks vault status, listing or creating secrets; a flooding UI gets
//! `unavailable` (backpressure) instead of growing memory, and every process's
//! peak RSS stays bounded (printed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::json;
use sslboard_standins::cloudflare;
use sslboard_tests::dns;
use sslboard_tests::procs;
use sslboard_tests::session::Session;
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

fn options(base: &std::path::Path) -> TreeOptions {
    let mut o = TreeOptions::new(base, KeySource::random_env());
    o.extra_env.push(("SSLBOARD_LOG".into(), "warn".into()));
    o
}

/// Peak resident memory (VmHWM) of `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    String::from_utf8_lossy(&procs::proc_file(pid, "status"))
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_thousand_concurrent_requests_from_several_callers_are_all_answered() {
    let base = tempfile::tempdir().unwrap();
    let s = Session::start(options(base.path()));
    let started = Instant::now();
    let answered: Vec<(u32, u32)> = std::thread::scope(|scope| {
        let callers: Vec<_> = (0..20)
            .map(|c| {
                let s = &s;
                scope.spawn(move || {
                    let (mut ok, mut err) = (0, 0);
                    for i in 0..50 {
                        let (cmd, args) = match i % 4 {
                            0 => ("secret_create", json!({"name": format!("k{c}_{i}"), "type": "api_key", "data": {"value": "v"}})),
                            1 => ("secret_list", json!({"limit": 20})),
                            2 => ("vault_status", json!({})),
                            _ => ("dns_resolve", json!({"hostname": "a.example.test"})),
                        };
                        let r = s.call(cmd, args, Duration::from_secs(60)).expect("answered (no deadlock)");
                        if r["ok"] == json!(true) { ok += 1 } else { err += 1 }
                    }
                    (ok, err)
                })
            })
            .collect();
        callers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok: u32 = answered.iter().map(|a| a.0).sum();
    let err: u32 = answered.iter().map(|a| a.1).sum();
    println!(
        "1000 requests from 20 concurrent callers: {ok} ok, {err} errors in {:?}",
        started.elapsed()
    );
    assert_eq!(ok + err, 1000);
    assert_eq!(
        err, 0,
        "no request should fail without load shedding at this level"
    );
    s.close();
}

#[test]
fn a_stuck_dns_proc_or_a_long_test_never_blocks_the_vault() {
    let base = tempfile::tempdir().unwrap();
    let token = format!("cf-{}", sslboard_tests::random_hex(8));
    let mut o = dns::standin_options(&token);
    o.write_through = false;
    let standin = cloudflare::start(o).unwrap();
    let mut opts = options(base.path());
    opts.extra_env
        .push(("SSLBOARD_CLOUDFLARE_API_URL".into(), standin.base_url()));
    opts.extra_env.push((
        "SSLBOARD_DNS_NAMESERVERS".into(),
        dns::pdns_dns().to_string(),
    ));
    let s = Session::start(opts);
    let id = s.call("dns_provider_create", json!({"type": "cloudflare", "label": "cf", "domainSuffixes": "example.test", "apiToken": token}), Duration::from_secs(30)).unwrap();
    let id = id["result"]["provider"]["id"].as_str().unwrap().to_string();
    let quick = |s: &Session| {
        let mut worst = Duration::ZERO;
        for (i, (cmd, args)) in [
            ("vault_status", json!({})),
            ("secret_create", json!({"name": format!("q{}", sslboard_tests::random_hex(4)), "type": "api_key", "data": {"value": "v"}})),
            ("secret_list", json!({})),
            ("vault_lock", json!({})),
            ("secret_list", json!({"limit": 5})),
        ]
        .into_iter()
        .enumerate()
        {
            let t = Instant::now();
            let r = s.call(cmd, args, Duration::from_secs(30)).expect("answered");
            assert_eq!(r["ok"], json!(true), "{i} {cmd}: {r}");
            worst = worst.max(t.elapsed());
        }
        worst
    };
    std::thread::scope(|scope| {
        // A Test Connection that polls for 20 s (the record never appears).
        let long = scope.spawn(|| {
            s.call(
                "dns_provider_test",
                json!({"id": id, "timeoutSecs": 20}),
                Duration::from_secs(120),
            )
        });
        std::thread::sleep(Duration::from_millis(500));
        let during_test = quick(&s);
        // dns-proc stopped dead: its calls stall, the vault's do not.
        let dns_pid = procs::descendants(s.pid())["dns-proc"][0];
        procs::signal(dns_pid, Signal::SIGSTOP);
        let stalled =
            scope.spawn(|| s.call("dns_provider_list", json!({}), Duration::from_secs(120)));
        std::thread::sleep(Duration::from_millis(300));
        let during_stop = quick(&s);
        procs::signal(dns_pid, Signal::SIGCONT);
        let r = stalled
            .join()
            .unwrap()
            .expect("the stalled call is answered once dns-proc runs again");
        assert_eq!(r["ok"], json!(true), "{r}");
        let outcome = long.join().unwrap().expect("test answered");
        assert_eq!(
            outcome["result"]["failedStep"],
            json!("verify"),
            "{outcome}"
        );
        println!("slowest vault call while a Test Connection polled: {during_test:?}; while dns-proc was stopped: {during_stop:?}");
        assert!(during_test < Duration::from_secs(5) && during_stop < Duration::from_secs(5));
    });
    s.close();
}

#[test]
fn a_flooding_ui_gets_backpressure_and_memory_stays_bounded() {
    let base = tempfile::tempdir().unwrap();
    let mut tree = Tree::start(options(base.path()));
    tree.ok(
        "secret_create",
        json!({"name": "a", "type": "api_key", "data": {"value": "v"}}),
    );
    const N: u64 = 20_000;
    let mut batch = String::new();
    for i in 0..N {
        batch.push_str(&format!(
            "{}\n",
            json!({"id": i + 1, "cmd": "secret_list", "args": {}})
        ));
    }
    let started = Instant::now();
    tree.send_raw(batch.as_bytes());
    let mut codes: BTreeMap<String, u64> = BTreeMap::new();
    let mut answered = 0;
    while answered < N {
        let line = tree
            .next_line(Duration::from_secs(60))
            .expect("every request is answered");
        if line.get("event").is_some() {
            continue;
        }
        answered += 1;
        let code = if line["ok"] == json!(true) {
            "ok".to_string()
        } else {
            line["error"]["code"].as_str().unwrap().to_string()
        };
        *codes.entry(code).or_default() += 1;
    }
    let peaks: Vec<(String, u64)> = ["ui-bridge", "broker", "vault-proc", "dns-proc"]
        .iter()
        .map(|n| {
            let pid = if *n == "ui-bridge" {
                tree.pid()
            } else {
                tree.pid_of(n)
            };
            (n.to_string(), peak_rss_kib(pid) / 1024)
        })
        .collect();
    println!(
        "flood of {N} pipelined requests: {codes:?} in {:?}; peak RSS MiB {peaks:?}",
        started.elapsed()
    );
    assert!(
        codes.get("unavailable").copied().unwrap_or(0) > 0,
        "no backpressure: {codes:?}"
    );
    assert!(
        codes.keys().all(|c| c == "ok" || c == "unavailable"),
        "{codes:?}"
    );
    for (name, mib) in &peaks {
        assert!(*mib < 256, "{name} peaked at {mib} MiB");
    }
    // The session still works.
    tree.ok("ping", json!({}));
}
