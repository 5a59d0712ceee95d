//! Reveal permits for provider tokens, and the external provider (a real
//! OpenBao dev server's address) configured through the UI. Reading values
//! from OpenBao is tested where it lives (`vault-proc/src/external/fetch/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use shared::error::ErrorCode;
use shared::protocol::secrets::{SecretKind, SecretType};
use shared::protocol::vault::VaultRequest;
use sslboard_tests::direct::{new_secret, token_scope, DirectVault};
use sslboard_tests::required_env;
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

const PROVIDER: &str = "dns_prov_000000000000000000000000000000ee";

fn token(v: &DirectVault, name: &str, owner: &str, value: &str) -> String {
    let mut new = new_secret(
        name,
        SecretType::ApiKey,
        SecretKind::DnsProviderToken,
        &[("value", value)],
    );
    new.owner = Some(owner.into());
    v.create(new).reference
}

#[test]
fn reveal_needs_a_permit_for_exactly_that_provider_token() {
    let v = DirectVault::start(&[]);
    let a = token(&v, "a", PROVIDER, "va");
    let b = token(&v, "b", PROVIDER, "vb");
    let generic = v
        .create(new_secret(
            "g",
            SecretType::ApiKey,
            SecretKind::Generic,
            &[("value", "vg")],
        ))
        .reference;
    v.permit(PROVIDER, &a);
    assert_eq!(v.reveal(PROVIDER, &a).unwrap()["value"], "va");
    // Another token of the same provider, without its own permit.
    assert_eq!(
        v.reveal(PROVIDER, &b).unwrap_err().code,
        ErrorCode::Forbidden
    );
    // The same token under another provider's name.
    assert_eq!(
        v.reveal("dns_prov_other", &a).unwrap_err().code,
        ErrorCode::Forbidden
    );
    // Reveal is for provider tokens only, even with a permit.
    v.permit(PROVIDER, &generic);
    assert_eq!(
        v.reveal(PROVIDER, &generic).unwrap_err().code,
        ErrorCode::Forbidden
    );
    // The broker role can never ask for a value.
    assert_eq!(
        v.as_broker(VaultRequest::Reveal {
            provider_id: PROVIDER.into(),
            secret_ref: a,
        })
        .unwrap_err()
        .code,
        ErrorCode::Forbidden
    );
}

#[test]
fn external_provider_through_the_ui_shows_metadata_only() {
    let addr = required_env("SSLBOARD_TEST_OPENBAO_ADDR");
    let t = tempfile::tempdir().unwrap();
    let mut tree = Tree::start(TreeOptions::new(t.path(), KeySource::random_env()));
    assert_eq!(
        tree.ok("external_provider_get", json!({}))["configured"],
        json!(false)
    );
    let canary = format!("bao-token-{}", sslboard_tests::random_hex(8));
    let m = tree.ok("external_provider_set", json!({"kind": "openbao", "address": addr, "mount": "secret", "token": canary, "pathPrefix": "sslboard"}));
    assert_eq!(m["configured"], json!(true));
    assert_eq!(m["address"], json!(addr));
    let token_ref = m["tokenRef"].clone();
    assert_eq!(
        tree.err("secret_delete", json!({"ref": token_ref})).0,
        "conflict"
    );
    let s = tree.ok(
        "secret_create",
        json!({"name": "db", "type": "basic_auth", "data": {}, "external": {"path": "app/db"}}),
    );
    assert_eq!(s["external"], json!({"path": "app/db"}));
    assert_eq!(s["hasLocalValue"], json!(false));
    let export = tree.ok("config_export", json!({}));
    assert_eq!(export["externalProviders"][0]["address"], json!(addr));
    assert_eq!(
        tree.err(
            "external_provider_set",
            json!({"kind": "consul", "address": addr, "mount": "s", "token": "t"})
        )
        .0,
        "validation"
    );
    assert_eq!(
        tree.err(
            "external_provider_set",
            json!({"kind": "openbao", "address": "ftp://x", "mount": "s", "token": "t"})
        )
        .0,
        "validation"
    );
    assert_eq!(
        tree.ok("external_provider_delete", json!({})),
        json!({"deleted": true})
    );
    assert_eq!(
        tree.err("secret_get", json!({"ref": token_ref})).0,
        "not_found"
    );
    tree.close();
    let out = tree.stdout_log.lock().unwrap().clone();
    let err = tree.stderr_log.lock().unwrap().clone();
    for (what, bytes) in [("ui output", &out), ("logs", &err)] {
        assert!(
            !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "token in {what}"
        );
    }
}

#[test]
fn a_revoked_permit_no_longer_lets_dns_proc_reveal() {
    let v = DirectVault::start(&[]);
    let a = token(&v, "a", PROVIDER, "va");
    // Two operations hold the permit: it lives until both have ended.
    v.permit(PROVIDER, &a);
    v.permit(PROVIDER, &a);
    assert_eq!(v.reveal(PROVIDER, &a).unwrap()["value"], "va");
    v.revoke(token_scope(PROVIDER, &a));
    assert_eq!(v.reveal(PROVIDER, &a).unwrap()["value"], "va");
    v.revoke(token_scope(PROVIDER, &a));
    let err = v.reveal(PROVIDER, &a).unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "{err}");
    // Only the broker may revoke.
    let err = v
        .as_dns(VaultRequest::RevokePermit {
            scope: token_scope(PROVIDER, &a),
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
}
