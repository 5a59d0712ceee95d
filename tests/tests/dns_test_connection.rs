//! Test Connection through the whole tree (ui-bridge → broker → dns-proc,
//! token revealed by vault-proc), against real DNS: success with progress
//! for every step, a create refused (401/403), a record that never appears
//! (timeout with the propagation suggestions, cleanup still done), cancel
//! mid-poll (cleanup done), rate limiting, nameserver discovery, a manual
//! provider, and after every run a check that no test record was left.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sslboard_standins::{cloudflare, digitalocean, route53_mirror, Standin};
use sslboard_tests::dns::{self, PDNS_ZONE};
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};
use sslboard_tests::{random_hex, required_env};

fn tree(env: &[(&str, String)]) -> (tempfile::TempDir, Tree) {
    let t = tempfile::tempdir().unwrap();
    let mut opts = TreeOptions::new(t.path(), KeySource::random_env());
    for (k, v) in env {
        opts.extra_env.push((k.to_string(), v.clone()));
    }
    let tree = Tree::start(opts);
    (t, tree)
}

/// A tree that verifies against the real PowerDNS.
fn pdns_tree(extra: &[(&str, String)]) -> (tempfile::TempDir, Tree) {
    let mut env = vec![("SSLBOARD_DNS_NAMESERVERS", dns::pdns_dns().to_string())];
    env.extend(extra.iter().cloned());
    tree(&env)
}

fn create(tree: &mut Tree, ty: &str, suffixes: &str, token: Option<&str>, config: Value) -> String {
    let mut args = json!({"type": ty, "label": format!("{ty} test"), "domainSuffixes": suffixes, "config": config});
    if let Some(t) = token {
        args["apiToken"] = json!(t);
    }
    tree.ok("dns_provider_create", args)["provider"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Runs Test Connection; returns (result, progress events' data).
fn run_test(tree: &mut Tree, id: &str, timeout_secs: u64) -> (Value, Vec<Value>) {
    let rid = tree.send(
        "dns_provider_test",
        json!({"id": id, "timeoutSecs": timeout_secs}),
    );
    let mut events = Vec::new();
    let r = tree.wait_response(rid, Duration::from_secs(timeout_secs + 60), &mut events);
    assert_eq!(r["ok"], json!(true), "{r}");
    for e in &events {
        assert_eq!(e["event"], json!("dns_test_progress"), "{e}");
    }
    (
        r["result"].clone(),
        events.into_iter().map(|e| e["data"].clone()).collect(),
    )
}

fn steps(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["step"].as_str().unwrap(),
                e["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// No `_sslboard-test-*` record is left in PowerDNS's zone.
fn assert_no_leftover_in_pdns(record: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let left = rt.block_on(dns::txt_values(dns::pdns_dns(), record));
    assert!(
        left.is_empty(),
        "test record {record} left behind: {left:?}"
    );
}

fn record_name(result: &Value) -> String {
    result["recordName"].as_str().unwrap().to_string()
}

fn assert_no_secret(tree: &Tree, secret: &str) {
    let out = String::from_utf8_lossy(&tree.stdout_log.lock().unwrap()).into_owned();
    assert!(!out.contains(secret), "token in UI output");
    assert!(!tree.stderr().contains(secret), "token in logs");
}

#[test]
fn powerdns_test_connection_succeeds_with_progress_for_every_step() {
    let key = required_env("SSLBOARD_TEST_PDNS_API_KEY");
    let (_t, mut tree) = pdns_tree(&[]);
    let id = create(
        &mut tree,
        "powerdns",
        "example.test",
        Some(&key),
        json!({"serverUrl": required_env("SSLBOARD_TEST_PDNS_API")}),
    );
    let (result, events) = run_test(&mut tree, &id, 20);
    assert_eq!(result["success"], json!(true), "{result}\n{events:?}");
    assert_eq!(result["cleanedUp"], json!(true));
    assert_eq!(result["zone"], json!("example.test"));
    let name = record_name(&result);
    assert!(
        name.starts_with("_sslboard-test-") && name.ends_with(".example.test"),
        "{name}"
    );
    let s = steps(&events);
    for want in [
        "zone_lookup:started",
        "zone_lookup:ok",
        "create:started",
        "create:ok",
        "verify:started",
        "verify:ok",
        "cleanup:started",
        "cleanup:ok",
        "done:ok",
    ] {
        assert!(s.contains(&want.to_string()), "{want} missing from {s:?}");
    }
    let polls: Vec<&Value> = events
        .iter()
        .filter(|e| e["step"] == "verify" && !e["nameservers"].as_array().unwrap().is_empty())
        .collect();
    assert!(
        !polls.is_empty(),
        "no per-nameserver poll event: {events:?}"
    );
    assert_eq!(
        polls.last().unwrap()["nameservers"][0]["address"],
        json!(dns::pdns_dns().to_string())
    );
    assert_eq!(
        polls.last().unwrap()["nameservers"][0]["state"],
        json!("seen")
    );
    assert_no_leftover_in_pdns(&name);
    assert_no_secret(&tree, &key);
}

#[test]
fn nameservers_are_discovered_from_the_zones_ns_records() {
    // No forced list: NS example.test → ns1.example.test → 127.0.0.1, asked
    // through PowerDNS as the bootstrap resolver, on PowerDNS's port.
    let key = required_env("SSLBOARD_TEST_PDNS_API_KEY");
    let pdns = dns::pdns_dns();
    let (_t, mut tree) = tree(&[
        ("SSLBOARD_DNS_BOOTSTRAP", pdns.to_string()),
        ("SSLBOARD_DNS_PORT", pdns.port().to_string()),
    ]);
    let id = create(
        &mut tree,
        "powerdns",
        "example.test",
        Some(&key),
        json!({"serverUrl": required_env("SSLBOARD_TEST_PDNS_API")}),
    );
    let (result, events) = run_test(&mut tree, &id, 20);
    assert_eq!(result["success"], json!(true), "{result}\n{events:?}");
    let ns: Vec<&Value> = events
        .iter()
        .filter_map(|e| e["nameservers"].as_array())
        .flatten()
        .collect();
    assert!(
        ns.iter()
            .all(|n| n["address"] == json!(format!("127.0.0.1:{}", pdns.port()))),
        "{ns:?}"
    );
    assert_no_leftover_in_pdns(&record_name(&result));
}

#[test]
fn rfc2136_test_connection_succeeds_and_a_wrong_secret_fails_on_create() {
    let zone = required_env("SSLBOARD_TEST_BIND_ZONE");
    let (_t, mut tree) = tree(&[("SSLBOARD_DNS_NAMESERVERS", dns::bind_dns().to_string())]);
    let config = json!({
        "server": required_env("SSLBOARD_TEST_BIND_DNS"),
        "tsigKeyName": required_env("SSLBOARD_TEST_TSIG_NAME"),
        "tsigAlgorithm": required_env("SSLBOARD_TEST_TSIG_ALGORITHM"),
    });
    let secret = required_env("SSLBOARD_TEST_TSIG_SECRET");
    let good = create(&mut tree, "rfc2136", &zone, Some(&secret), config.clone());
    let (result, events) = run_test(&mut tree, &good, 20);
    assert_eq!(result["success"], json!(true), "{result}\n{events:?}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(rt
        .block_on(dns::txt_values(dns::bind_dns(), &record_name(&result)))
        .is_empty());

    let wrong = create(
        &mut tree,
        "rfc2136",
        &format!("w.{zone}"),
        Some("c2VjcmV0LXdyb25nLXNlY3JldC13cm9uZw=="),
        config,
    );
    let (result, _) = run_test(&mut tree, &wrong, 20);
    assert_eq!(result["success"], json!(false));
    assert_eq!(result["failedStep"], json!("create"), "{result}");
    assert!(
        result["message"].as_str().unwrap().contains("TSIG"),
        "{result}"
    );
    assert!(
        result["suggestions"].to_string().contains("TSIG key name"),
        "{result}"
    );
    assert_no_secret(&tree, &secret);
}

fn cf_tree(standin: &Standin) -> (tempfile::TempDir, Tree) {
    pdns_tree(&[("SSLBOARD_CLOUDFLARE_API_URL", standin.base_url())])
}

#[test]
fn cloudflare_test_connection_succeeds_through_rate_limiting() {
    let token = format!("cf-canary-{}", random_hex(12));
    let mut opts = dns::standin_options(&token);
    opts.rate_limit_first = 1;
    let standin = cloudflare::start(opts).unwrap();
    let (_t, mut tree) = cf_tree(&standin);
    let id = create(
        &mut tree,
        "cloudflare",
        "example.test",
        Some(&token),
        json!({}),
    );
    let (result, events) = run_test(&mut tree, &id, 20);
    assert_eq!(result["success"], json!(true), "{result}\n{events:?}");
    assert_eq!(standin.rate_limited(), 1);
    assert!(standin.records().is_empty());
    assert_no_leftover_in_pdns(&record_name(&result));
    assert_no_secret(&tree, &token);
}

#[test]
fn a_bad_token_fails_at_zone_lookup_and_a_read_only_token_fails_on_create() {
    let token = format!("cf-{}", random_hex(12));
    let read_only = format!("cf-ro-{}", random_hex(12));
    let mut opts = dns::standin_options(&token);
    opts.read_only_token = Some(read_only.clone());
    let standin = cloudflare::start(opts).unwrap();
    let (_t, mut tree) = cf_tree(&standin);

    let bad = create(
        &mut tree,
        "cloudflare",
        "example.test",
        Some("cf-revoked-token"),
        json!({}),
    );
    let (result, _) = run_test(&mut tree, &bad, 10);
    assert_eq!(result["success"], json!(false));
    assert_eq!(result["failedStep"], json!("zone_lookup"), "{result}");
    assert!(
        result["message"].as_str().unwrap().contains("401"),
        "{result}"
    );
    assert!(
        result["suggestions"][0]
            .as_str()
            .unwrap()
            .contains("API token"),
        "{result}"
    );

    let ro = create(
        &mut tree,
        "cloudflare",
        "example.test",
        Some(&read_only),
        json!({}),
    );
    let (result, events) = run_test(&mut tree, &ro, 10);
    assert_eq!(result["failedStep"], json!("create"), "{result}");
    assert!(
        result["message"].as_str().unwrap().contains("403"),
        "{result}"
    );
    assert!(
        result["suggestions"].to_string().contains("permissions"),
        "{result}"
    );
    assert!(steps(&events).contains(&"create:failed".to_string()));
    assert!(standin.records().is_empty());
    assert_no_secret(&tree, &read_only);
}

#[test]
fn a_record_that_never_appears_times_out_with_suggestions_and_is_cleaned_up() {
    let token = format!("cf-{}", random_hex(12));
    let mut opts = dns::standin_options(&token);
    opts.write_through = false;
    let standin = cloudflare::start(opts).unwrap();
    let (_t, mut tree) = cf_tree(&standin);
    let id = create(
        &mut tree,
        "cloudflare",
        "example.test",
        Some(&token),
        json!({}),
    );
    let started = Instant::now();
    let (result, events) = run_test(&mut tree, &id, 3);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(result["success"], json!(false));
    assert_eq!(result["failedStep"], json!("verify"), "{result}");
    let suggestions = result["suggestions"].to_string();
    for want in ["Propagation delay", "Wrong zone", "Split-horizon"] {
        assert!(suggestions.contains(want), "{want} missing: {suggestions}");
    }
    assert_eq!(result["cleanedUp"], json!(true), "{result}");
    assert!(
        steps(&events).contains(&"cleanup:ok".to_string()),
        "{events:?}"
    );
    assert!(standin.records().is_empty(), "{:?}", standin.records());
    let deletes = standin
        .requests()
        .iter()
        .filter(|(m, _, _)| m == "DELETE")
        .count();
    assert_eq!(deletes, 1);
}

#[test]
fn cancel_mid_poll_stops_the_run_and_still_cleans_up() {
    let token = format!("do-{}", random_hex(12));
    let mut opts = dns::standin_options(&token);
    opts.write_through = false;
    let standin = digitalocean::start(opts).unwrap();
    let (_t, mut tree) = pdns_tree(&[("SSLBOARD_DIGITALOCEAN_API_URL", standin.base_url())]);
    let id = create(
        &mut tree,
        "digitalocean",
        "example.test",
        Some(&token),
        json!({}),
    );
    let rid = tree.send("dns_provider_test", json!({"id": id, "timeoutSecs": 120}));
    // Wait for a verify poll, then cancel.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = tree.next_line(Duration::from_secs(30)).expect("progress");
        if line["event"] == "dns_test_progress"
            && line["data"]["step"] == "verify"
            && line["data"]["status"] == "waiting"
        {
            break;
        }
        assert!(Instant::now() < deadline, "no verify poll");
    }
    let started = Instant::now();
    let cancel = tree.ok("dns_provider_test_cancel", json!({"requestId": rid}));
    assert_eq!(cancel["cancelled"], json!(true));
    let mut events = Vec::new();
    let r = tree.wait_response(rid, Duration::from_secs(30), &mut events);
    assert!(started.elapsed() < Duration::from_secs(10));
    let result = &r["result"];
    assert_eq!(result["success"], json!(false), "{r}");
    assert!(
        result["message"].as_str().unwrap().contains("cancel"),
        "{r}"
    );
    assert_eq!(result["cleanedUp"], json!(true), "{r}");
    assert!(standin.records().is_empty(), "{:?}", standin.records());
    // A finished run cannot be cancelled.
    let again = tree.ok("dns_provider_test_cancel", json!({"requestId": rid}));
    assert_eq!(again["cancelled"], json!(false));
}

#[test]
fn digitalocean_and_route53_test_connections_succeed() {
    let token = format!("do-{}", random_hex(12));
    let standin = digitalocean::start(dns::standin_options(&token)).unwrap();
    let moto = required_env("SSLBOARD_TEST_MOTO_URL");
    let r53_zone = format!("r53-{}.{PDNS_ZONE}", random_hex(4));
    let zone_id = route53_mirror::create_zone(&moto, &r53_zone).unwrap();
    let mirror = route53_mirror::Mirror::start(&moto, dns::pdns(), vec![PDNS_ZONE.into()]);
    let (_t, mut tree) = pdns_tree(&[
        ("SSLBOARD_DIGITALOCEAN_API_URL", standin.base_url()),
        ("SSLBOARD_ROUTE53_API_URL", moto.clone()),
    ]);
    let d = create(
        &mut tree,
        "digitalocean",
        "example.test",
        Some(&token),
        json!({}),
    );
    let (result, events) = run_test(&mut tree, &d, 20);
    assert_eq!(result["success"], json!(true), "{result}\n{events:?}");
    assert!(standin.records().is_empty());

    let r53_token = "AKIDSSLBOARD:dGVzdC1zZWNyZXQta2V5";
    let r = create(&mut tree, "route53", &r53_zone, Some(r53_token), json!({}));
    let (result, events) = run_test(&mut tree, &r, 20);
    assert_eq!(result["success"], json!(true), "{result}\n{events:?}");
    assert_eq!(result["zone"], json!(r53_zone));
    // The mirror copies moto's state into PowerDNS: let two passes go by.
    let passes = mirror.passes();
    while mirror.passes() < passes + 2 {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_no_leftover_in_pdns(&record_name(&result));
    assert_no_secret(&tree, "dGVzdC1zZWNyZXQta2V5");
    drop(mirror);
    route53_mirror::delete_zone(&moto, &zone_id).unwrap();
}

#[test]
fn a_manual_provider_shows_the_record_and_verifies_it() {
    let (_t, mut tree) = pdns_tree(&[]);
    let id = create(&mut tree, "manual", "example.test", None, json!({}));
    let rid = tree.send("dns_provider_test", json!({"id": id, "timeoutSecs": 30}));
    // The instructions name the record and value; play the user adding it.
    let (name, value) = loop {
        let line = tree
            .next_line(Duration::from_secs(30))
            .expect("instructions");
        let d = &line["data"];
        if d["step"] == "create" && d["status"] == "waiting" {
            let text = d["detail"].as_str().unwrap();
            let words: Vec<&str> = text.split_whitespace().collect();
            let name = words[words.iter().position(|w| *w == "record").unwrap() + 1].to_string();
            let value = words[words.iter().position(|w| *w == "value").unwrap() + 1].to_string();
            break (name, value);
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(dns::pdns().set_txt(PDNS_ZONE, &name, std::slice::from_ref(&value)))
        .unwrap();
    let mut events = Vec::new();
    let r = tree.wait_response(rid, Duration::from_secs(60), &mut events);
    rt.block_on(dns::pdns().set_txt(PDNS_ZONE, &name, &[]))
        .unwrap();
    let result = &r["result"];
    assert_eq!(result["success"], json!(true), "{r}");
    assert_eq!(result["cleanedUp"], json!(false));
    assert!(
        result["suggestions"]
            .to_string()
            .contains("Remove the TXT record"),
        "{r}"
    );
}

#[test]
fn bad_test_requests_get_clear_errors() {
    let (_t, mut tree) = pdns_tree(&[]);
    let id = create(&mut tree, "manual", "example.test", None, json!({}));
    let (code, e) = tree.err(
        "dns_provider_test",
        json!({"id": id, "suffix": "other.test"}),
    );
    assert_eq!(code, "validation", "{e}");
    let (code, _) = tree.err(
        "dns_provider_test",
        json!({"id": "dns_prov_00000000000000000000000000000000"}),
    );
    assert_eq!(code, "not_found");
    let c = tree.ok("dns_provider_test_cancel", json!({"requestId": 999_999}));
    assert_eq!(c["cancelled"], json!(false));
}
