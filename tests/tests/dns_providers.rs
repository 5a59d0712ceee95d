//! DNS providers through the whole tree: the spec's scenarios one by one,
//! token ownership, all-or-nothing create, canaries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{json, Value};
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

fn tree() -> (tempfile::TempDir, Tree) {
    let t = tempfile::tempdir().unwrap();
    let tree = Tree::start(TreeOptions::new(t.path(), KeySource::random_env()));
    (t, tree)
}

fn create(tree: &mut Tree, ty: &str, label: &str, suffixes: Value, token: Option<&str>) -> Value {
    let mut args = json!({"type": ty, "label": label, "domainSuffixes": suffixes});
    if let Some(t) = token {
        args["apiToken"] = json!(t);
    }
    tree.ok("dns_provider_create", args)
}

fn token_secret(tree: &mut Tree, provider_id: &str) -> Option<Value> {
    let list = tree.ok("secret_list", json!({"kind": "dns_provider_token"}));
    list["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["owner"] == json!(provider_id))
        .cloned()
}

#[test]
fn creating_a_cloudflare_provider_with_domains_stores_the_token_in_the_vault() {
    let (_t, mut tree) = tree();
    let r = create(
        &mut tree,
        "cloudflare",
        "Production CF",
        json!("sslboard.com, qcready.com"),
        Some("cf-token-canary"),
    );
    let p = &r["provider"];
    let id = p["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("dns_prov_") && id.len() == 9 + 32, "{id}");
    assert_eq!(p["domainSuffixes"], json!(["sslboard.com", "qcready.com"]));
    assert_eq!(p["type"], json!("cloudflare"));
    assert_eq!(p["hasToken"], json!(true));
    assert!(!r.to_string().contains("cf-token-canary"));
    let secret = token_secret(&mut tree, &id).expect("token secret owned by the provider");
    assert_eq!(secret["ref"], p["secretRef"]);
    assert_eq!(secret["kind"], json!("dns_provider_token"));
    let list = tree.ok("dns_provider_list", json!({}));
    let listed = &list["providers"][0];
    for key in ["id", "type", "label", "domainSuffixes", "createdAt"] {
        assert!(listed.get(key).is_some(), "{key} missing in {listed}");
    }
    assert!(!list.to_string().contains("cf-token-canary"));
}

#[test]
fn space_separated_and_array_suffixes_parse_the_same() {
    let (_t, mut tree) = tree();
    let a = create(
        &mut tree,
        "digitalocean",
        "A",
        json!("sslboard.com qcready.com"),
        Some("t"),
    );
    let b = create(
        &mut tree,
        "digitalocean",
        "B",
        json!(["Example.ORG.", "bücher.example"]),
        Some("t"),
    );
    assert_eq!(
        a["provider"]["domainSuffixes"],
        json!(["sslboard.com", "qcready.com"])
    );
    assert_eq!(
        b["provider"]["domainSuffixes"],
        json!(["example.org", "xn--bcher-kva.example"])
    );
    let (code, err) = tree.err("dns_provider_create", json!({"type": "cloudflare", "label": "X", "domainSuffixes": "ok.com, *.bad.com", "apiToken": "t"}));
    assert_eq!(code, "validation");
    assert!(
        err["message"].as_str().unwrap().contains("*.bad.com"),
        "{err}"
    );
}

fn resolve(tree: &mut Tree, host: &str) -> Value {
    tree.ok(
        "dns_resolve",
        json!({"hostname": host, "value": "txt-value"}),
    )
}

#[test]
fn resolution_longest_suffix_subdomain_apex_and_manual_fallback() {
    let (_t, mut tree) = tree();
    let a = create(
        &mut tree,
        "cloudflare",
        "A",
        json!("sslboard.com"),
        Some("t"),
    )["provider"]["id"]
        .clone();
    let b = create(
        &mut tree,
        "route53",
        "B",
        json!("api.sslboard.com"),
        Some("t"),
    )["provider"]["id"]
        .clone();
    let r = resolve(&mut tree, "api.sslboard.com");
    assert_eq!(
        (
            r["mode"].clone(),
            r["provider"]["id"].clone(),
            r["matchedSuffix"].clone()
        ),
        (json!("provider"), b, json!("api.sslboard.com"))
    );
    assert_eq!(
        resolve(&mut tree, "desktop.sslboard.com")["provider"]["id"],
        a
    );
    assert_eq!(resolve(&mut tree, "sslboard.com")["provider"]["id"], a);
    assert_eq!(resolve(&mut tree, "*.sslboard.com")["provider"]["id"], a);
    let m = resolve(&mut tree, "notsslboard.com");
    assert_eq!(m["mode"], json!("manual"));
    let m = resolve(&mut tree, "unassigned.example.com");
    assert_eq!(m["mode"], json!("manual"));
    assert_eq!(
        m["instructions"]["recordName"],
        json!("_acme-challenge.unassigned.example.com")
    );
    assert_eq!(m["instructions"]["type"], json!("TXT"));
    assert_eq!(m["instructions"]["value"], json!("txt-value"));
    assert!(m["instructions"]["check"]
        .as_str()
        .unwrap()
        .contains("_acme-challenge.unassigned.example.com"));
}

#[test]
fn overlapping_suffixes_warn_and_name_the_provider_used() {
    let (_t, mut tree) = tree();
    let a = create(
        &mut tree,
        "cloudflare",
        "CF",
        json!("sslboard.com"),
        Some("t"),
    );
    assert_eq!(a["warnings"], json!([]));
    let b = create(
        &mut tree,
        "digitalocean",
        "DO",
        json!("sslboard.com"),
        Some("t"),
    );
    let w = b["warnings"][0].as_str().expect("a warning");
    let a_id = a["provider"]["id"].as_str().unwrap();
    let b_id = b["provider"]["id"].as_str().unwrap();
    assert!(
        w.contains(a_id) && w.contains(b_id) && w.ends_with(&format!("CF ({a_id}) will be used")),
        "{w}"
    );
    let list = tree.ok("dns_provider_list", json!({}));
    assert!(list["providers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["ambiguous"] == json!(true)));
    let r = resolve(&mut tree, "www.sslboard.com");
    assert_eq!(r["provider"]["id"], json!(a_id));
    assert!(r["warnings"][0].as_str().unwrap().contains("ambiguous"));
}

#[test]
fn invalid_type_is_rejected_listing_the_supported_types() {
    let (_t, mut tree) = tree();
    let (code, err) = tree.err(
        "dns_provider_create",
        json!({"type": "godaddy", "label": "X", "domainSuffixes": "a.com", "apiToken": "t"}),
    );
    assert_eq!(code, "validation");
    let msg = err["message"].as_str().unwrap();
    for t in [
        "cloudflare",
        "digitalocean",
        "route53",
        "manual",
        "powerdns",
        "rfc2136",
    ] {
        assert!(msg.contains(t), "{msg}");
    }
    assert_eq!(err["details"]["field"], json!("type"));
    assert_eq!(
        tree.err(
            "dns_provider_create",
            json!({"type": "cloudflare", "label": "X", "domainSuffixes": "a.com"})
        )
        .0,
        "validation"
    );
    assert_eq!(
        tree.err(
            "dns_provider_create",
            json!({"type": "manual", "label": "X", "domainSuffixes": "a.com", "apiToken": "t"})
        )
        .0,
        "validation"
    );
    let m = create(&mut tree, "manual", "By hand", json!("a.com"), None);
    assert_eq!(m["provider"]["hasToken"], json!(false));
    // No orphan tokens from the refused creates.
    assert_eq!(tree.ok("secret_list", json!({}))["secrets"], json!([]));
}

#[test]
fn update_keeps_the_secret_ref_and_token_update_replaces_the_value() {
    let (_t, mut tree) = tree();
    let p = create(&mut tree, "cloudflare", "CF", json!("a.com"), Some("t1"))["provider"].clone();
    let id = p["id"].as_str().unwrap().to_string();
    let before = token_secret(&mut tree, &id).unwrap();
    let u = tree.ok(
        "dns_provider_update",
        json!({"id": id, "label": "CF2", "domainSuffixes": "a.com b.com"}),
    );
    assert_eq!(u["provider"]["label"], json!("CF2"));
    assert_eq!(u["provider"]["domainSuffixes"], json!(["a.com", "b.com"]));
    assert_eq!(u["provider"]["secretRef"], p["secretRef"]);
    assert_eq!(
        token_secret(&mut tree, &id).unwrap()["updatedAt"],
        before["updatedAt"],
        "token touched without a new token"
    );
    let u = tree.ok(
        "dns_provider_update",
        json!({"id": id, "apiToken": "t2-canary"}),
    );
    assert_eq!(u["provider"]["secretRef"], p["secretRef"]);
    let after = token_secret(&mut tree, &id).unwrap();
    assert_eq!(after["ref"], before["ref"]);
    assert_ne!(after["updatedAt"], before["updatedAt"]);
    // The UI cannot touch a provider-owned secret directly.
    assert_eq!(
        tree.err("secret_delete", json!({"ref": before["ref"]})).0,
        "conflict"
    );
    assert_eq!(
        tree.err("secret_update", json!({"ref": before["ref"], "label": "x"}))
            .0,
        "conflict"
    );
}

#[test]
fn changing_a_self_hosted_endpoint_requires_the_token_again() {
    let (_t, mut tree) = tree();
    let p = tree.ok(
        "dns_provider_create",
        json!({"type": "powerdns", "label": "PDNS", "domainSuffixes": "a.test", "apiToken": "k", "config": {"serverUrl": "http://127.0.0.1:8081"}}),
    )["provider"]
        .clone();
    assert_eq!(
        p["config"],
        json!({"serverUrl": "http://127.0.0.1:8081", "serverId": "localhost"})
    );
    let id = p["id"].clone();
    let (code, err) = tree.err(
        "dns_provider_update",
        json!({"id": id, "config": {"serverUrl": "http://evil.example:8081"}}),
    );
    assert_eq!(code, "validation");
    assert!(err["message"].as_str().unwrap().contains("token"), "{err}");
    tree.ok(
        "dns_provider_update",
        json!({"id": id, "config": {"serverUrl": "http://127.0.0.1:9091"}, "apiToken": "k2"}),
    );
    tree.ok("dns_provider_update", json!({"id": id, "config": {"serverUrl": "http://127.0.0.1:9091", "serverId": "localhost"}}));
    assert_eq!(tree.err("dns_provider_create", json!({"type": "cloudflare", "label": "X", "domainSuffixes": "a.com", "apiToken": "t", "config": {"baseUrl": "http://x"}})).0, "validation");
}

#[test]
fn deleting_a_provider_removes_its_secret() {
    let (_t, mut tree) = tree();
    let p = create(&mut tree, "cloudflare", "CF", json!("a.com"), Some("t"))["provider"].clone();
    let id = p["id"].as_str().unwrap().to_string();
    assert_eq!(
        tree.ok("dns_provider_delete", json!({"id": id})),
        json!({"deleted": true})
    );
    assert_eq!(
        tree.ok("dns_provider_list", json!({}))["providers"],
        json!([])
    );
    assert!(token_secret(&mut tree, &id).is_none());
    assert_eq!(
        tree.err("secret_get", json!({"ref": p["secretRef"]})).0,
        "not_found"
    );
    assert_eq!(
        tree.err("dns_provider_delete", json!({"id": id})).0,
        "not_found"
    );
}

#[test]
fn a_broker_crash_between_token_and_provider_leaves_no_orphan() {
    let t = tempfile::tempdir().unwrap();
    let mut opts = TreeOptions::new(t.path(), KeySource::random_env());
    opts.extra_env.push((
        "SSLBOARD_FAILPOINT".into(),
        "provider_create_after_secret".into(),
    ));
    let mut tree = Tree::start(opts);
    let r = tree.request("dns_provider_create", json!({"type": "cloudflare", "label": "CF", "domainSuffixes": "a.com", "apiToken": "orphan-canary"}));
    assert_eq!(r["error"]["code"], json!("unavailable"), "{r}");
    // ui-bridge restarted the broker, whose token sweep removes the orphan token.
    tree.await_no_orphan_tokens();
    let list = tree.ok("secret_list", json!({}));
    assert_eq!(list["secrets"], json!([]), "orphan token left: {list}");
    assert_eq!(
        tree.ok("dns_provider_list", json!({}))["providers"],
        json!([])
    );
}

#[test]
fn a_dns_proc_crash_during_create_leaves_no_orphan() {
    let (_t, mut tree) = tree();
    for i in 0..10 {
        let id = tree.send("dns_provider_create", json!({"type": "cloudflare", "label": format!("P{i}"), "domainSuffixes": format!("d{i}.com"), "apiToken": "t"}));
        if i == 3 {
            sslboard_tests::procs::kill9(tree.pid_of("dns-proc"));
        }
        let _ = tree.wait_response(id, Duration::from_secs(30), &mut Vec::new());
    }
    let providers = tree.ok("dns_provider_list", json!({}))["providers"]
        .as_array()
        .unwrap()
        .clone();
    let secrets = tree.ok("secret_list", json!({"kind": "dns_provider_token"}))["secrets"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        providers.len(),
        secrets.len(),
        "providers {providers:?}\nsecrets {secrets:?}"
    );
    for p in &providers {
        assert!(
            secrets
                .iter()
                .any(|s| s["ref"] == p["secretRef"] && s["owner"] == p["id"]),
            "{p}"
        );
    }
}

#[test]
fn provider_tokens_never_reach_dns_sqlite_output_or_logs() {
    let (_t, mut tree) = tree();
    let canary = format!("tok-{}", sslboard_tests::random_hex(12));
    let p =
        create(&mut tree, "cloudflare", "CF", json!("a.com"), Some(&canary))["provider"].clone();
    let id = p["id"].clone();
    tree.ok(
        "dns_provider_update",
        json!({"id": id, "apiToken": format!("{canary}-2")}),
    );
    tree.ok("dns_provider_list", json!({}));
    tree.ok("config_export", json!({}));
    resolve(&mut tree, "www.a.com");
    let data = tree.opts.data_dir.clone();
    tree.close();
    let out = tree.stdout_log.lock().unwrap().clone();
    let err = tree.stderr_log.lock().unwrap().clone();
    let mut dns = std::fs::read(data.join("dns.sqlite")).unwrap();
    if let Ok(wal) = std::fs::read(data.join("dns.sqlite-wal")) {
        dns.extend(wal);
    }
    let secrets = std::fs::read(data.join("secrets.sqlite")).unwrap();
    for (what, bytes) in [
        ("ui output", &out),
        ("logs", &err),
        ("dns.sqlite", &dns),
        ("secrets.sqlite", &secrets),
    ] {
        assert!(
            !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "token found in {what}"
        );
    }
}

#[test]
fn an_interrupted_delete_is_finished_at_the_next_start() {
    let t = tempfile::tempdir().unwrap();
    let opts = TreeOptions::new(t.path(), KeySource::random_env());
    let id = {
        let mut tree = Tree::start(opts.clone());
        let id = create(&mut tree, "cloudflare", "CF", json!("a.com"), Some("t"))["provider"]["id"]
            .clone();
        tree.close();
        id
    };
    let mut crashing = opts.clone();
    crashing.extra_env.push((
        "SSLBOARD_FAILPOINT".into(),
        "provider_delete_after_mark".into(),
    ));
    let mut tree = Tree::start(crashing);
    let r = tree.request("dns_provider_delete", json!({"id": id}));
    assert_eq!(r["error"]["code"], json!("unavailable"), "{r}");
    // The restarted broker finished the delete: provider and token are gone.
    assert_eq!(
        tree.ok("dns_provider_list", json!({}))["providers"],
        json!([])
    );
    assert_eq!(tree.ok("secret_list", json!({}))["secrets"], json!([]));
}

#[test]
fn provider_list_pages_through_every_provider_once() {
    let (_t, mut tree) = tree();
    for i in 0..7 {
        create(
            &mut tree,
            "manual",
            &format!("M{i}"),
            json!(format!("m{i}.example")),
            None,
        );
    }
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = tree.ok("dns_provider_list", json!({"after": after, "limit": 3}));
        let items = page["providers"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(
            items
                .iter()
                .map(|p| p["label"].as_str().unwrap().to_string()),
        );
        if page["next"].is_null() {
            break;
        }
        after = page["next"].clone();
    }
    assert_eq!(seen, (0..7).map(|i| format!("M{i}")).collect::<Vec<_>>());
    assert_eq!(
        tree.ok("dns_provider_list", json!({}))["providers"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert_eq!(
        tree.err("dns_provider_list", json!({"after": "dns_prov_nope"}))
            .0,
        "validation"
    );
}
