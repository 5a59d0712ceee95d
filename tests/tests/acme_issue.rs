//! ACME DNS-01 issuance through the whole tree (ui-bridge → broker →
//! dns-proc, every signature and the CSR from vault-proc under the
//! broker's permits) against the real pebble validating through the real
//! PowerDNS / BIND9. pebble keeps its defaults (5 % of nonces rejected, 50 %
//! of valid authorizations reused).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sslboard_standins::cloudflare;
use sslboard_tests::acme::{self, Pebble};
use sslboard_tests::{dns, procs, required_env};

fn record_of(events: &[Value], name: &str) -> Option<(String, String)> {
    events
        .iter()
        .find(|e| e["step"] == "present" && e["name"] == json!(name) && e["record"].is_object())
        .map(|e| {
            (
                e["record"]["recordName"].as_str().unwrap().to_string(),
                e["record"]["value"].as_str().unwrap().to_string(),
            )
        })
}

#[test]
fn one_name_on_powerdns_issues_a_chain_that_verifies_with_the_vault_key() {
    let (t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    assert!(acct["id"].as_str().unwrap().starts_with("acct_"), "{acct}");
    assert_eq!(acct["status"], json!("valid"));
    acme::pdns_provider(&mut tree, "pdns", "example.test");
    let name = format!("{}.example.test", acme::label());
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    assert_eq!(r["cleanedUp"], json!(true));
    let s = acme::steps(&events);
    for want in [
        "order:started",
        "order:ok",
        "authorize:ok",
        "present:ok",
        "propagate:ok",
        "validate:ok",
        "finalize:ok",
        "download:ok",
        "cleanup:ok",
        "done:ok",
    ] {
        assert!(s.contains(&want.to_string()), "{want} missing: {s:?}");
    }
    let cert = &r["certificate"];
    assert!(cert["id"].as_str().unwrap().starts_with("cert_"));
    assert_eq!(cert["names"], json!([name]));
    assert_eq!(cert["keyType"], json!("ec-p256"));
    assert_eq!(cert["status"], json!("valid"));
    let (record, _) = record_of(&events, &name).expect("a present event with the record");
    assert_eq!(record, format!("_acme-challenge.{name}"));
    assert!(acme::pdns_txt(&record).is_empty(), "record left in DNS");

    let got = tree.ok("certificate_get", json!({"id": cert["id"]}));
    let chain = got["chainPem"].as_str().unwrap();
    acme::openssl_verify(Pebble::Pdns, chain, t.path());
    // The leaf's public key is the key vault-proc made for this order.
    let key = tree.ok("secret_get", json!({"ref": cert["keyRef"]}));
    assert_eq!(key["kind"], json!("managed_private_key"));
    assert_eq!(
        key["publicKey"]["spkiSha256"].as_str().unwrap(),
        acme::leaf_spki_sha256(chain, t.path())
    );
    let list = tree.ok("certificate_list", json!({}));
    assert_eq!(list["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(
        tree.ok("acme_account_list", json!({}))["accounts"][0]["id"],
        acct["id"]
    );
    // Delete: the certificate and its key.
    assert_eq!(
        tree.ok("certificate_delete", json!({"id": cert["id"]}))["deleted"],
        json!(true)
    );
    assert_eq!(
        tree.err("certificate_get", json!({"id": cert["id"]})).0,
        "not_found"
    );
    assert_eq!(
        tree.err("secret_get", json!({"ref": cert["keyRef"]})).0,
        "not_found"
    );
}

#[test]
fn apex_and_wildcard_on_powerdns_put_two_values_on_one_name() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    acme::pdns_provider(&mut tree, "pdns", "example.test");
    let base = format!("{}.example.test", acme::label());
    let wild = format!("*.{base}");
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&base, &wild], 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    let mut names: Vec<String> = r["certificate"]["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec![wild.clone(), base.clone()]);
    let a = record_of(&events, &base).unwrap();
    let b = record_of(&events, &wild).unwrap();
    assert_eq!(a.0, b.0, "one record name for apex and wildcard");
    assert_ne!(a.1, b.1, "two values");
    assert!(acme::pdns_txt(&a.0).is_empty(), "records left in DNS");
}

#[test]
fn apex_and_wildcard_on_rfc2136_bind() {
    let zone = required_env("SSLBOARD_TEST_BIND_ZONE");
    let (_t, mut tree) = acme::tree(&[("SSLBOARD_DNS_NAMESERVERS", dns::bind_dns().to_string())]);
    let acct = acme::account(&mut tree, Pebble::Bind);
    tree.ok(
        "dns_provider_create",
        json!({
            "type": "rfc2136", "label": "bind", "domainSuffixes": zone,
            "apiToken": required_env("SSLBOARD_TEST_TSIG_SECRET"),
            "config": {
                "server": required_env("SSLBOARD_TEST_BIND_DNS"),
                "tsigKeyName": required_env("SSLBOARD_TEST_TSIG_NAME"),
                "tsigAlgorithm": required_env("SSLBOARD_TEST_TSIG_ALGORITHM"),
            },
        }),
    );
    let base = format!("{}.{zone}", acme::label());
    let wild = format!("*.{base}");
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&base, &wild], 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    let a = record_of(&events, &base).unwrap();
    let b = record_of(&events, &wild).unwrap();
    assert_eq!(a.0, b.0);
    assert_ne!(a.1, b.1);
    assert!(acme::bind_txt(&a.0).is_empty(), "records left in BIND");
}

#[test]
fn names_across_two_providers_in_one_order() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    let l = acme::label();
    let one = acme::pdns_provider(&mut tree, "one", &format!("a{l}.example.test"));
    let two = acme::pdns_provider(&mut tree, "two", &format!("b{l}.example.test"));
    let n1 = format!("x.a{l}.example.test");
    let n2 = format!("y.b{l}.example.test");
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&n1, &n2], 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    let provider_of = |n: &str| {
        events
            .iter()
            .find(|e| e["step"] == "present" && e["name"] == json!(n) && e["status"] == "ok")
            .map(|e| e["provider"].as_str().unwrap().to_string())
    };
    assert_eq!(provider_of(&n1), Some(one));
    assert_eq!(provider_of(&n2), Some(two));
    assert_eq!(r["warnings"], json!([]));
}

#[test]
fn a_cname_delegated_acme_challenge_is_followed_into_another_providers_zone() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    acme::ensure_zone("delegate.test");
    acme::pdns_provider(&mut tree, "main", "example.test");
    let delegate = acme::pdns_provider(&mut tree, "delegate", "delegate.test");
    let l = acme::label();
    let name = format!("{l}.example.test");
    let target = format!("{l}.delegate.test");
    acme::set_rrset(
        "example.test",
        &format!("_acme-challenge.{name}"),
        "CNAME",
        &[format!("{target}.")],
    );
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 60);
    acme::set_rrset(
        "example.test",
        &format!("_acme-challenge.{name}"),
        "CNAME",
        &[],
    );
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    let (record, _) = record_of(&events, &name).unwrap();
    assert_eq!(record, target, "the TXT goes to the CNAME's target");
    assert!(events
        .iter()
        .any(|e| e["step"] == "present" && e["provider"] == json!(delegate)));
    assert!(acme::pdns_txt(&target).is_empty());
}

#[test]
fn a_cname_loop_is_refused() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    acme::pdns_provider(&mut tree, "main", "example.test");
    let l = acme::label();
    let a = format!("_acme-challenge.{l}.example.test");
    let b = format!("loop-{l}.example.test");
    acme::set_rrset("example.test", &a, "CNAME", &[format!("{b}.")]);
    acme::set_rrset("example.test", &b, "CNAME", &[format!("{a}.")]);
    let (code, err) = tree.err(
        "certificate_issue",
        json!({"accountId": acct["id"], "names": [format!("{l}.example.test")]}),
    );
    acme::set_rrset("example.test", &a, "CNAME", &[]);
    acme::set_rrset("example.test", &b, "CNAME", &[]);
    assert_eq!(code, "validation", "{err}");
    assert!(err["message"].as_str().unwrap().contains("loops"), "{err}");
}

#[test]
fn a_manual_name_waits_for_the_user_to_add_the_record() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    acme::ensure_zone("manual.test");
    let name = format!("{}.manual.test", acme::label());
    let rid = acme::start_issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 60);
    // The test plays the user: wait for the instructions, add the record.
    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let (record, value) = loop {
        assert!(
            Instant::now() < deadline,
            "no waiting present event: {events:#?}"
        );
        let v = tree.next_line(Duration::from_secs(5)).expect("a line");
        if v["event"] == "certificate_progress" && v["id"] == json!(rid) {
            let d = v["data"].clone();
            events.push(d.clone());
            if d["step"] == "present" && d["status"] == "waiting" {
                assert_eq!(d["record"]["type"], json!("TXT"));
                break (
                    d["record"]["recordName"].as_str().unwrap().to_string(),
                    d["record"]["value"].as_str().unwrap().to_string(),
                );
            }
        }
    };
    assert_eq!(record, format!("_acme-challenge.{name}"));
    acme::set_rrset("manual.test", &record, "TXT", &[format!("\"{value}\"")]);
    let (r, more) = acme::finish(&mut tree, rid, 60);
    acme::set_rrset("manual.test", &record, "TXT", &[]);
    events.extend(more);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    // It cannot remove what the user added: said so, with the name.
    assert_eq!(r["cleanedUp"], json!(false));
    assert!(r["suggestions"].to_string().contains(&record), "{r}");
}

#[test]
fn an_ambiguous_suffix_proceeds_with_a_warning_event_and_result_warning() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    let l = acme::label();
    let suffix = format!("amb{l}.example.test");
    acme::pdns_provider(&mut tree, "first", &suffix);
    acme::pdns_provider(&mut tree, "second", &suffix);
    let name = format!("w.{suffix}");
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    let warnings = r["warnings"].as_array().unwrap();
    assert!(!warnings.is_empty(), "{r}");
    assert!(
        events
            .iter()
            .any(|e| e["status"] == "warning"
                && e["warnings"].as_array().is_some_and(|w| !w.is_empty())),
        "{events:#?}"
    );
}

#[test]
fn a_name_the_ca_refuses_fails_with_its_problem_and_leaves_nothing() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    acme::pdns_provider(&mut tree, "pdns", "example.test");
    // pebble refuses underscores in DNS identifiers.
    let name = format!("a_b.{}.example.test", acme::label());
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 30);
    assert_eq!(r["success"], json!(false), "{r}");
    assert_eq!(r["failedStep"], json!("order"));
    assert_eq!(
        r["problem"]["type"],
        json!("urn:ietf:params:acme:error:malformed"),
        "{r}"
    );
    assert!(r["problem"]["detail"].as_str().unwrap().contains('_'));
    assert_eq!(r["cleanedUp"], json!(true));
    assert!(!events.iter().any(|e| e["step"] == "present"));
    assert!(acme::pdns_txt(&format!("_acme-challenge.{name}")).is_empty());
}

#[test]
fn an_invalid_authorization_reports_the_cas_problem_and_cleans_up() {
    // pebble_bind validates through BIND, which does not serve example.test:
    // the CA cannot see what every authoritative server of the zone serves.
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Bind);
    acme::pdns_provider(&mut tree, "pdns", "example.test");
    let name = format!("{}.example.test", acme::label());
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 30);
    assert_eq!(r["success"], json!(false), "{r}");
    assert_eq!(r["failedStep"], json!("validate"), "{r}\n{events:#?}");
    assert!(r["problem"]["type"]
        .as_str()
        .unwrap()
        .starts_with("urn:ietf:params:acme:error:"));
    assert_eq!(r["cleanedUp"], json!(true));
    assert!(acme::pdns_txt(&format!("_acme-challenge.{name}")).is_empty());
}

#[test]
fn a_provider_writing_a_wrong_value_is_caught_before_the_ca_and_cleaned_up() {
    let token = format!("cf-{}", sslboard_tests::random_hex(12));
    let mut opts = dns::standin_options(&token);
    opts.wrong_values = true;
    let standin = cloudflare::start(opts).unwrap();
    let (_t, mut tree) = acme::pdns_tree(&[("SSLBOARD_CLOUDFLARE_API_URL", standin.base_url())]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    tree.ok(
        "dns_provider_create",
        json!({"type": "cloudflare", "label": "cf", "domainSuffixes": "example.test", "apiToken": token}),
    );
    let name = format!("{}.example.test", acme::label());
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 3);
    assert_eq!(r["success"], json!(false), "{r}");
    assert_eq!(r["failedStep"], json!("propagate"), "{r}\n{events:#?}");
    assert_eq!(r["cleanedUp"], json!(true));
    assert!(standin.records().is_empty());
    assert!(acme::pdns_txt(&format!("_acme-challenge.{name}")).is_empty());
}

/// Starts an order for a PowerDNS name and a manual one (which waits
/// forever); returns the request id and the PowerDNS name's record once it
/// is presented.
fn order_stuck_in_propagate(tree: &mut sslboard_tests::tree::Tree, account: &str) -> (u64, String) {
    acme::ensure_zone("manual.test");
    acme::pdns_provider(tree, "pdns", "example.test");
    let auto = format!("{}.example.test", acme::label());
    let manual = format!("{}.manual.test", acme::label());
    let rid = acme::start_issue(tree, account, &[&auto, &manual], 120);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "the PowerDNS record was never presented"
        );
        let v = tree.next_line(Duration::from_secs(5)).expect("a line");
        let d = &v["data"];
        if v["id"] == json!(rid)
            && d["step"] == "present"
            && d["status"] == "ok"
            && d["name"] == json!(auto)
        {
            let record = d["record"]["recordName"].as_str().unwrap().to_string();
            assert!(
                !acme::pdns_txt(&record).is_empty(),
                "presented but not served"
            );
            return (rid, record);
        }
    }
}

#[test]
fn cancel_during_propagate_cancels_and_cleans_up() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    let (rid, record) = order_stuck_in_propagate(&mut tree, acct["id"].as_str().unwrap());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        tree.ok("certificate_issue_cancel", json!({"requestId": rid}))["cancelled"],
        json!(true)
    );
    let (r, _) = acme::finish(&mut tree, rid, 30);
    assert_eq!(r["success"], json!(false));
    assert_eq!(r["failedStep"], json!("propagate"), "{r}");
    assert_eq!(r["message"], json!("cancelled by the user"));
    assert!(
        acme::pdns_txt(&record).is_empty(),
        "record left after cancel"
    );
    assert_eq!(
        tree.ok("certificate_issue_cancel", json!({"requestId": rid}))["cancelled"],
        json!(false)
    );
}

#[test]
fn kill_9_of_dns_proc_mid_order_removes_the_records_after_restart() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    let (rid, record) = order_stuck_in_propagate(&mut tree, acct["id"].as_str().unwrap());
    let dns_pid = tree.pid_of("dns-proc");
    procs::kill9(dns_pid);
    let r = tree.wait_response(rid, Duration::from_secs(60), &mut Vec::new());
    assert_eq!(r["ok"], json!(false), "{r}");
    // The restarted dns-proc's journal drove the cleanup.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !acme::pdns_txt(&record).is_empty() {
        assert!(
            Instant::now() < deadline,
            "record {record} still served after the restart"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_ne!(tree.pid_of("dns-proc"), dns_pid, "dns-proc was restarted");
    // And the tree still issues.
    let name = format!("{}.example.test", acme::label());
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
}

#[test]
fn half_of_the_nonces_rejected_still_issues_by_retrying_bad_nonce() {
    let (_t, mut tree) = acme::pdns_tree(&[("RUST_LOG", "info".into())]);
    let acct = acme::account(&mut tree, Pebble::Nonce50);
    acme::pdns_provider(&mut tree, "pdns", "example.test");
    let base = format!("{}.example.test", acme::label());
    let wild = format!("*.{base}");
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&base, &wild], 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    let retried = events
        .iter()
        .find_map(|e| {
            e["detail"]
                .as_str()
                .and_then(|d| d.strip_suffix(" badNonce answer(s) retried"))
                .and_then(|d| d.rsplit("; ").next())
                .map(|n| n.parse::<u32>().unwrap())
        })
        .expect("a badNonce retry count in the events");
    assert!(retried >= 1, "{retried}");
}

#[test]
fn account_rules_and_issue_validation() {
    let (_t, mut tree) = acme::pdns_tree(&[]);
    // pebble has terms of service: not agreeing is a validation error.
    let (code, err) = tree.err(
        "acme_account_create",
        json!({"directoryUrl": Pebble::Pdns.directory(), "termsOfServiceAgreed": false, "caPem": acme::pebble_https_ca()}),
    );
    assert_eq!(code, "validation");
    assert_eq!(err["details"]["field"], json!("termsOfServiceAgreed"));
    let (code, _) = tree.err(
        "acme_account_create",
        json!({"directoryUrl": "http://127.0.0.1:1/dir", "termsOfServiceAgreed": true}),
    );
    assert_eq!(code, "validation");
    let acct = acme::account(&mut tree, Pebble::Pdns);
    let id = acct["id"].as_str().unwrap();
    let too_many: Vec<String> = (0..101).map(|i| format!("n{i}.example.test")).collect();
    let (code, _) = tree.err(
        "certificate_issue",
        json!({"accountId": id, "names": too_many}),
    );
    assert_eq!(code, "validation");
    let (code, err) = tree.err(
        "certificate_issue",
        json!({"accountId": id, "names": ["bad name.example.test"]}),
    );
    assert_eq!(code, "validation");
    assert!(
        err["message"].as_str().unwrap().contains("bad name"),
        "{err}"
    );
    let (code, _) = tree.err(
        "certificate_issue",
        json!({"accountId": id, "names": ["a.example.test"], "keyType": "dsa"}),
    );
    assert_eq!(code, "validation");
    // Delete with deactivation at the CA; the generated key goes with it.
    assert_eq!(
        tree.ok("acme_account_delete", json!({"id": id, "deactivate": true}))["deleted"],
        json!(true)
    );
    assert_eq!(
        tree.ok("acme_account_list", json!({}))["accounts"],
        json!([])
    );
    assert_eq!(
        tree.err("secret_get", json!({"ref": acct["keyRef"]})).0,
        "not_found"
    );
}

#[test]
fn external_account_binding_registers_and_the_hmac_key_is_never_returned() {
    let eab_dir = required_env("SSLBOARD_TEST_PEBBLE_EAB_DIR");
    let hmac = required_env("SSLBOARD_TEST_PEBBLE_EAB_HMAC");
    let (_t, mut tree) = acme::pdns_tree(&[]);
    // The CA requires EAB: without it, a validation error naming the field.
    let (code, err) = tree.err(
        "acme_account_create",
        json!({"directoryUrl": eab_dir, "termsOfServiceAgreed": true, "caPem": acme::pebble_https_ca()}),
    );
    assert_eq!(code, "validation");
    assert_eq!(err["details"]["field"], json!("eab"));
    // A wrong key: the CA refuses, and nothing is left in the vault.
    let before = tree.ok("secret_list", json!({}))["secrets"]
        .as_array()
        .unwrap()
        .len();
    let (code, _) = tree.err(
        "acme_account_create",
        json!({"directoryUrl": eab_dir, "termsOfServiceAgreed": true, "caPem": acme::pebble_https_ca(),
            "eab": {"kid": "kid-1", "hmacKey": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}),
    );
    assert_eq!(code, "provider_error");
    assert_eq!(
        tree.ok("secret_list", json!({}))["secrets"]
            .as_array()
            .unwrap()
            .len(),
        before
    );
    let acct = tree.ok(
        "acme_account_create",
        json!({"directoryUrl": eab_dir, "termsOfServiceAgreed": true, "caPem": acme::pebble_https_ca(),
            "eab": {"kid": required_env("SSLBOARD_TEST_PEBBLE_EAB_KID"), "hmacKey": hmac}}),
    );
    assert_eq!(acct["status"], json!("valid"), "{acct}");
    let out = String::from_utf8_lossy(&tree.stdout_log.lock().unwrap()).into_owned();
    assert!(out.contains(acct["id"].as_str().unwrap()), "method check");
    assert!(!out.contains(&hmac), "the HMAC key in UI output");
    assert!(!tree.stderr().contains(&hmac), "the HMAC key in logs");
}

#[test]
fn an_authorization_the_ca_reuses_skips_dns() {
    // pebble reuses a valid authorization for the same account and name half
    // of the time: order the same name until it does (at most 12 tries).
    let (_t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    acme::pdns_provider(&mut tree, "pdns", "example.test");
    let name = format!("{}.example.test", acme::label());
    let (first, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 60);
    assert_eq!(first["success"], json!(true), "{first}\n{events:#?}");
    for _ in 0..12 {
        let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 60);
        assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
        let reused = events
            .iter()
            .any(|e| e["step"] == "authorize" && e["status"] == "ok" && e["name"] == json!(name));
        if reused {
            assert!(
                !events.iter().any(|e| e["step"] == "present"),
                "a reused authorization still presented a record: {events:#?}"
            );
            assert_ne!(r["certificate"]["keyRef"], first["certificate"]["keyRef"]);
            return;
        }
    }
    panic!("pebble never reused the authorization in 12 orders");
}
