//! Multi-step writes that must land whole or not at all, proven by aborting
//! the process between their steps with a failpoint (debug builds only).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

fn external_token(tree: &mut Tree) -> Option<Value> {
    tree.ok("secret_list", json!({}))["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == json!("external_provider_token"))
        .cloned()
}

/// `external_provider_set` writes the token and the configuration row in one
/// transaction: vault-proc dying between the two leaves the previous state,
/// both on a first set and on a replacement.
#[test]
fn external_provider_set_is_all_or_nothing() {
    let t = tempfile::tempdir().unwrap();
    let key = KeySource::random_env();
    let failing = || {
        let mut opts = TreeOptions::new(t.path(), key.clone());
        opts.extra_env.push((
            "SSLBOARD_FAILPOINT".into(),
            "external_set_after_token".into(),
        ));
        Tree::start(opts)
    };

    // A first set that dies mid-way leaves nothing.
    let mut tree = failing();
    let r = tree.request(
        "external_provider_set",
        json!({"kind": "openbao", "address": "http://127.0.0.1:1", "mount": "secret", "token": "first"}),
    );
    assert_eq!(r["ok"], json!(false), "{r}");
    assert_eq!(
        tree.ok("external_provider_get", json!({}))["configured"],
        json!(false)
    );
    assert!(external_token(&mut tree).is_none(), "token without a row");
    tree.close();

    // A set that lands (method check: the same request without the failpoint).
    let mut tree = Tree::start(TreeOptions::new(t.path(), key.clone()));
    let m = tree.ok(
        "external_provider_set",
        json!({"kind": "openbao", "address": "http://127.0.0.1:1", "mount": "secret", "token": "first"}),
    );
    assert_eq!(m["configured"], json!(true));
    let before = external_token(&mut tree).expect("token stored with its row");
    tree.close();

    // A replacement that dies mid-way keeps the old row and the old token.
    let mut tree = failing();
    let r = tree.request(
        "external_provider_set",
        json!({"kind": "vault", "address": "http://127.0.0.1:2", "mount": "kv", "token": "second"}),
    );
    assert_eq!(r["ok"], json!(false), "{r}");
    let after = tree.ok("external_provider_get", json!({}));
    assert_eq!(after["address"], json!("http://127.0.0.1:1"), "{after}");
    assert_eq!(after["mount"], json!("secret"));
    let token = external_token(&mut tree).unwrap();
    assert_eq!(token["updatedAt"], before["updatedAt"], "token replaced");
    assert_eq!(token["ref"], before["ref"]);
    tree.close();
}
