//! Typed, named secrets through the UI: every type's validation, filters,
//! updates by name and ref, expiry flags, template validation and export.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{json, Value};
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

fn tree() -> (tempfile::TempDir, Tree) {
    let t = tempfile::tempdir().unwrap();
    let tree = Tree::start(TreeOptions::new(t.path(), KeySource::random_env()));
    (t, tree)
}

const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIGZ2c2x1c3Rlc3RrZXlmb3JvbmNlb25seQ==\n-----END PRIVATE KEY-----\n";

fn valid() -> Vec<(&'static str, Value)> {
    vec![
        ("api_key", json!({"value": "k"})),
        ("basic_auth", json!({"username": "u", "password": "p"})),
        (
            "bearer_token",
            json!({"token": "t", "expiresAt": "2999-01-01T00:00:00Z"}),
        ),
        (
            "oauth",
            json!({"clientId": "c", "clientSecret": "s", "accessToken": "a", "refreshToken": "r", "tokenUrl": "https://x/t", "scopes": "a b"}),
        ),
        ("custom", json!({"anything": "x", "more": "y"})),
        ("private_key", json!({"pem": PEM})),
    ]
}

#[test]
fn every_type_validates_required_and_unknown_fields() {
    let (_t, mut tree) = tree();
    for (i, (ty, data)) in valid().into_iter().enumerate() {
        let m = tree.ok(
            "secret_create",
            json!({"name": format!("s{i}"), "type": ty, "data": data, "tags": ["t"]}),
        );
        let mut fields: Vec<String> = data.as_object().unwrap().keys().cloned().collect();
        fields.sort();
        let mut got: Vec<String> = m["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        got.sort();
        assert_eq!(got, fields, "{ty}");
        // Each required field missing, then empty.
        let required: &[&str] = match ty {
            "api_key" => &["value"],
            "basic_auth" => &["username", "password"],
            "bearer_token" => &["token"],
            "oauth" => &["clientId", "clientSecret"],
            "private_key" => &["pem"],
            _ => &[],
        };
        for f in required {
            let mut missing = data.clone();
            missing.as_object_mut().unwrap().remove(*f);
            let (code, err) = tree.err(
                "secret_create",
                json!({"name": format!("m{i}{f}"), "type": ty, "data": missing}),
            );
            assert_eq!(code, "validation", "{ty} without {f}");
            assert!(
                err["message"].as_str().unwrap().contains(f)
                    || err["details"]["field"].as_str().unwrap_or("").contains(f),
                "{ty}/{f}: {err}"
            );
            let mut empty = data.clone();
            empty[*f] = json!("  ");
            assert_eq!(
                tree.err(
                    "secret_create",
                    json!({"name": format!("e{i}{f}"), "type": ty, "data": empty})
                )
                .0,
                "validation",
                "{ty} empty {f}"
            );
        }
        if ty != "custom" {
            let mut unknown = data.clone();
            unknown["surprise"] = json!("x");
            let (code, err) = tree.err(
                "secret_create",
                json!({"name": format!("u{i}"), "type": ty, "data": unknown}),
            );
            assert_eq!(code, "validation");
            assert!(err.to_string().contains("surprise"), "{err}");
        }
    }
    assert_eq!(
        tree.err(
            "secret_create",
            json!({"name": "c0", "type": "custom", "data": {}})
        )
        .0,
        "validation"
    );
    assert_eq!(
        tree.err(
            "secret_create",
            json!({"name": "pk", "type": "private_key", "data": {"pem": "not a pem"}})
        )
        .0,
        "validation"
    );
    assert_eq!(tree.err("secret_create", json!({"name": "bt", "type": "bearer_token", "data": {"token": "t", "expiresAt": "tomorrow"}})).0, "validation");
}

#[test]
fn filters_updates_and_expiry() {
    let (_t, mut tree) = tree();
    tree.ok(
        "secret_create",
        json!({"name": "a", "type": "api_key", "data": {"value": "1"}, "tags": ["prod", "dns"]}),
    );
    tree.ok("secret_create", json!({"name": "b", "type": "basic_auth", "data": {"username": "u", "password": "p"}, "tags": ["prod"]}));
    tree.ok("secret_create", json!({"name": "old", "type": "bearer_token", "data": {"token": "t", "expiresAt": "2001-01-01T00:00:00Z"}}));
    // A key kind holds a key the core signs with; the Ed25519 PEM is refused.
    let (code, err) = tree.err("secret_create", json!({"name": "k", "type": "private_key", "kind": "acme_account_key", "data": {"pem": PEM}}));
    assert_eq!(
        (code.as_str(), &err["details"]["field"]),
        ("validation", &json!("data.pem")),
        "{err}"
    );
    let p256 = sslboard_tests::keys::p256_pem();
    let k = tree.ok("secret_create", json!({"name": "k", "type": "private_key", "kind": "acme_account_key", "data": {"pem": p256}}));
    assert_eq!(k["publicKey"]["keyType"], json!("ec-p256"), "{k}");
    let names = |v: &Value| -> Vec<String> {
        v["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&tree.ok("secret_list", json!({"tag": "prod"}))),
        vec!["a", "b"]
    );
    assert_eq!(
        names(&tree.ok("secret_list", json!({"type": "basic_auth"}))),
        vec!["b"]
    );
    assert_eq!(
        names(&tree.ok("secret_list", json!({"kind": "acme_account_key"}))),
        vec!["k"]
    );
    assert_eq!(
        names(&tree.ok("secret_list", json!({"kind": "generic", "tag": "dns"}))),
        vec!["a"]
    );
    let old = tree.ok("secret_get", json!({"name": "old"}));
    assert_eq!(old["expired"], json!(true));
    assert_eq!(old["expiresAt"], json!("2001-01-01T00:00:00Z"));
    let a = tree.ok("secret_get", json!({"name": "a"}));
    let by_name = tree.ok(
        "secret_update",
        json!({"name": "a", "data": {"value": "2"}, "description": "d"}),
    );
    let by_ref = tree.ok("secret_update", json!({"ref": a["ref"], "tags": ["x"]}));
    for u in [&by_name, &by_ref] {
        assert_eq!(
            (u["ref"].clone(), u["name"].clone(), u["createdAt"].clone()),
            (a["ref"].clone(), a["name"].clone(), a["createdAt"].clone())
        );
    }
    // RFC 3339 with trimmed fractions ("…:05Z", "…:05.001Z") does not sort
    // as text: compare the times.
    let at = |v: &serde_json::Value| {
        time::OffsetDateTime::parse(
            v["updatedAt"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert!(at(&by_name) > at(&a), "{by_name} after {a}");
    assert!(at(&by_ref) > at(&by_name), "{by_ref} after {by_name}");
    assert_eq!(by_ref["description"], json!("d"));
    assert_eq!(
        tree.err("secret_update", json!({"name": "a", "data": {"nope": "x"}}))
            .0,
        "validation"
    );
    assert_eq!(
        tree.ok("secret_delete", json!({"name": "a"})),
        json!({"deleted": true})
    );
    assert_eq!(tree.err("secret_get", json!({"name": "a"})).0, "not_found");
    assert_eq!(
        tree.err("secret_delete", json!({"ref": a["ref"]})).0,
        "not_found"
    );
}

#[test]
fn template_validate_checks_format_and_existence_without_values() {
    let (_t, mut tree) = tree();
    tree.ok("secret_create", json!({"name": "basicAuth", "type": "basic_auth", "data": {"username": "user-canary", "password": "pw-canary"}}));
    let r = tree.ok("template_validate", json!({"template": "Authorization: Basic {{secrets.basicAuth.username}}:{{secrets.basicAuth.password}}"}));
    assert_eq!(
        r["references"],
        json!([{"name": "basicAuth", "field": "username", "offset": 21}, {"name": "basicAuth", "field": "password", "offset": 52}])
    );
    assert!(!r.to_string().contains("canary"));
    let (code, err) = tree.err(
        "template_validate",
        json!({"template": "x {{secrets.basicAuth"}),
    );
    assert_eq!(code, "validation");
    assert_eq!(err["details"]["offset"], json!(21));
    let (code, err) = tree.err(
        "template_validate",
        json!({"template": "{{secrets.nobody.x}}"}),
    );
    assert_eq!(code, "not_found");
    assert!(err["message"].as_str().unwrap().contains("nobody"));
    let (code, err) = tree.err(
        "template_validate",
        json!({"template": "{{secrets.basicAuth.token}}"}),
    );
    assert_eq!(code, "not_found");
    assert!(err["message"].as_str().unwrap().contains("token"));
    // A template near the 1 MiB limit is parsed in linear time; past the
    // limit the line itself is refused and the session goes on.
    let near = format!(
        "{}{{{{secrets.basicAuth.password}}}}",
        "a".repeat(1000 * 1000)
    );
    let start = std::time::Instant::now();
    let r = tree.ok("template_validate", json!({"template": near}));
    assert_eq!(r["references"][0]["offset"], json!(1_000_000));
    assert!(start.elapsed() < Duration::from_secs(5));
    let big = "a".repeat(1024 * 1024 + 1);
    let line = format!(
        "{}\n",
        json!({"id": 9, "cmd": "template_validate", "args": {"template": big}})
    );
    tree.send_raw(line.as_bytes());
    let r = tree.next_line(Duration::from_secs(10)).unwrap();
    assert_eq!(
        (r["id"].clone(), r["error"]["code"].clone()),
        (json!(null), json!("invalid_request")),
        "{r}"
    );
    tree.ok("ping", json!({}));
}

#[test]
fn export_carries_references_never_values() {
    let (_t, mut tree) = tree();
    let canary = format!("exp-{}", sslboard_tests::random_hex(10));
    tree.ok(
        "secret_create",
        json!({"name": "one", "type": "api_key", "data": {"value": canary}}),
    );
    tree.ok("secret_create", json!({"name": "two", "type": "oauth", "data": {"clientId": "id", "clientSecret": format!("{canary}-s")}}));
    tree.ok("dns_provider_create", json!({"type": "cloudflare", "label": "CF", "domainSuffixes": "a.com", "apiToken": format!("{canary}-t")}));
    let e = tree.ok("config_export", json!({}));
    assert_eq!(e["version"], json!(1));
    assert_eq!(e["secrets"].as_array().unwrap().len(), 3);
    assert_eq!(
        e["providers"][0]["secretRef"],
        e["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == json!("dns_provider_token"))
            .unwrap()["ref"]
    );
    assert!(!e.to_string().contains(&canary), "export carries a value");
}

#[test]
fn secret_list_pages_by_name() {
    let (_t, mut tree) = tree();
    for i in 0..7 {
        tree.ok(
            "secret_create",
            json!({"name": format!("s{i}"), "type": "api_key", "data": {"value": "v"}}),
        );
    }
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = tree.ok("secret_list", json!({"after": after, "limit": 3}));
        seen.extend(
            page["secrets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap().to_string()),
        );
        if page["next"].is_null() {
            break;
        }
        after = page["next"].clone();
    }
    assert_eq!(seen, (0..7).map(|i| format!("s{i}")).collect::<Vec<_>>());
    assert_eq!(
        tree.err("secret_list", json!({"after": "nope"})).0,
        "validation"
    );
}
