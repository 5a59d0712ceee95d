//! The secret store through the whole tree: key sources (real Secret Service,
//! env, none), lock/auto-unlock, canaries, permissions and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use serde_json::json;
use sslboard_tests::tree::{command, KeySource, Tree, TreeOptions};

fn tree_with(key: KeySource) -> (tempfile::TempDir, Tree) {
    let t = tempfile::tempdir().unwrap();
    let tree = Tree::start(TreeOptions::new(t.path(), key));
    (t, tree)
}

fn create_api_key(tree: &mut Tree, name: &str, value: &str) -> serde_json::Value {
    tree.ok(
        "secret_create",
        json!({"name": name, "type": "api_key", "data": {"value": value}, "label": "L"}),
    )
}

#[test]
fn real_keyring_first_start_creates_the_key_and_restart_keeps_secrets() {
    let key = KeySource::keyring();
    let t = tempfile::tempdir().unwrap();
    let opts = TreeOptions::new(t.path(), key);
    let reference;
    {
        let mut tree = Tree::start(opts.clone());
        let st = tree.ok("vault_status", json!({}));
        assert_eq!(st["keySource"], json!("keyring"));
        reference = create_api_key(&mut tree, "restart", "canary-restart-value")["ref"].clone();
        tree.close();
    }
    let mut tree = Tree::start(opts);
    let meta = tree.ok("secret_get", json!({"name": "restart"}));
    assert_eq!(meta["ref"], reference);
    // Proving the value decrypts after a restart: update keeps the ref and needs the key.
    let up = tree.ok(
        "secret_update",
        json!({"ref": reference, "label": "after restart"}),
    );
    assert_eq!(up["ref"], reference);
    tree.ok("vault_unlock", json!({}));
    assert_eq!(tree.ok("vault_status", json!({}))["unlocked"], json!(true));
}

#[test]
fn no_dbus_session_fails_fast_with_a_clear_message() {
    let (_t, mut tree) = tree_with(KeySource::None);
    let start = Instant::now();
    let (code, err) = tree.err(
        "secret_create",
        json!({"name": "x", "type": "api_key", "data": {"value": "v"}}),
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(code, "keyring_unavailable");
    let msg = err["message"].as_str().unwrap();
    assert!(
        msg.contains("SSLBOARD_KEY_SOURCE=env") && msg.contains("Secret Service"),
        "{msg}"
    );
    // Status still answers, without unlocking, and says why.
    assert_eq!(
        tree.ok("vault_status", json!({})),
        json!({"unlocked": false, "keySource": "unavailable", "reason": "keyring_unavailable"})
    );
}

#[test]
fn env_key_source_and_wrong_key_leave_rows_untouched() {
    let t = tempfile::tempdir().unwrap();
    let key = KeySource::random_env();
    let opts = TreeOptions::new(t.path(), key);
    {
        let mut tree = Tree::start(opts.clone());
        create_api_key(&mut tree, "a", "canary-envkey");
        tree.close();
    }
    let db = opts.data_dir.join("secrets.sqlite");
    let before = std::fs::read(&db).unwrap();
    let mut wrong = opts.clone();
    wrong.key = KeySource::random_env();
    let mut tree = Tree::start(wrong);
    let (code, err) = tree.err(
        "secret_update",
        json!({"name": "a", "data": {"value": "new"}}),
    );
    assert_eq!(code, "keyring_unavailable", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("does not match"),
        "{err}"
    );
    tree.close();
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "a wrong key changed the database"
    );
    let mut tree = Tree::start(opts);
    tree.ok(
        "secret_update",
        json!({"name": "a", "data": {"value": "new"}}),
    );
}

#[test]
fn lock_then_create_unlocks_on_demand() {
    let (_t, mut tree) = tree_with(KeySource::random_env());
    create_api_key(&mut tree, "first", "v1");
    assert_eq!(tree.ok("vault_status", json!({}))["unlocked"], json!(true));
    assert_eq!(tree.ok("vault_lock", json!({}))["unlocked"], json!(false));
    assert_eq!(tree.ok("vault_status", json!({}))["unlocked"], json!(false));
    create_api_key(&mut tree, "second", "v2");
    assert_eq!(tree.ok("vault_status", json!({}))["unlocked"], json!(true));
}

#[test]
fn canary_never_leaves_the_vault() {
    let (_t, mut tree) = tree_with(KeySource::random_env());
    let canary = format!("canary-{}", sslboard_tests::random_hex(12));
    let r = create_api_key(&mut tree, "c", &canary);
    let reference = r["ref"].as_str().unwrap().to_string();
    tree.ok(
        "secret_update",
        json!({"ref": reference, "data": {"value": format!("{canary}-2")}}),
    );
    tree.ok("secret_list", json!({}));
    tree.ok("secret_get", json!({"ref": reference}));
    tree.ok("config_export", json!({}));
    tree.request(
        "secret_create",
        json!({"name": "c", "type": "api_key", "data": {"value": canary}}),
    );
    tree.request(
        "secret_create",
        json!({"name": "bad name", "type": "api_key", "data": {"value": canary}}),
    );
    tree.ok("vault_lock", json!({}));
    tree.ok("secret_delete", json!({"ref": reference}));
    let data_dir = tree.opts.data_dir.clone();
    tree.close();
    let out = tree.stdout_log.lock().unwrap().clone();
    let err = tree.stderr_log.lock().unwrap().clone();
    let db = std::fs::read(data_dir.join("secrets.sqlite")).unwrap();
    for (what, bytes) in [("ui output", &out), ("logs", &err), ("secrets.sqlite", &db)] {
        assert!(
            !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "canary found in {what}"
        );
    }
}

#[test]
fn wide_permissions_are_repaired_at_start() {
    let t = tempfile::tempdir().unwrap();
    let opts = TreeOptions::new(t.path(), KeySource::random_env());
    {
        let mut tree = Tree::start(opts.clone());
        create_api_key(&mut tree, "a", "v");
        tree.close();
    }
    let db = opts.data_dir.join("secrets.sqlite");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&opts.data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut tree = Tree::start(opts.clone());
    tree.ok("secret_get", json!({"name": "a"}));
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&opts.data_dir)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}

#[test]
fn bad_input_gets_stable_codes() {
    let (_t, mut tree) = tree_with(KeySource::random_env());
    let cases = vec![
        (
            json!({"name": "e", "type": "api_key", "data": {"value": ""}}),
            "validation",
        ),
        (
            json!({"name": "big", "type": "api_key", "data": {"value": "x".repeat(1024 * 1024 - 200)}}),
            "validation",
        ),
        (
            json!({"name": "k", "type": "api_key", "kind": "nope", "data": {"value": "v"}}),
            "validation",
        ),
        (
            json!({"name": "t", "type": "nope", "data": {"value": "v"}}),
            "validation",
        ),
        (
            json!({"name": "u", "type": "api_key", "data": {"value": "v", "extra": "x"}}),
            "validation",
        ),
        (
            json!({"name": "b", "type": "basic_auth", "data": {"username": "u"}}),
            "validation",
        ),
        (
            json!({"name": "1bad", "type": "api_key", "data": {"value": "v"}}),
            "validation",
        ),
        (
            json!({"name": "d", "type": "api_key", "kind": "dns_provider_token", "data": {"value": "v"}}),
            "validation",
        ),
    ];
    for (args, code) in cases {
        let (got, err) = tree.err("secret_create", args.clone());
        assert_eq!(got, code, "{args}: {err}");
    }
    create_api_key(&mut tree, "dup", "v");
    assert_eq!(
        tree.err(
            "secret_create",
            json!({"name": "dup", "type": "api_key", "data": {"value": "v"}})
        )
        .0,
        "conflict"
    );
    // A lone surrogate is not valid UTF-8: the line is refused, the session goes on.
    tree.send_raw(b"{\"id\":77,\"cmd\":\"secret_create\",\"args\":{\"name\":\"s\",\"type\":\"api_key\",\"label\":\"\\udc80\",\"data\":{\"value\":\"v\"}}}\n");
    let r = tree.wait_response(77, Duration::from_secs(10), &mut Vec::new());
    assert_eq!(r["error"]["code"], json!("invalid_request"), "{r}");
    assert_eq!(
        tree.err(
            "secret_get",
            json!({"ref": "sec_00000000000000000000000000000000"})
        )
        .0,
        "not_found"
    );
    tree.ok("ping", json!({}));
}

#[test]
fn call_mode_lists_secrets_across_restarts() {
    let t = tempfile::tempdir().unwrap();
    let opts = TreeOptions::new(t.path(), KeySource::random_env());
    let mut child = command(&opts, &["call", "secret_create", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        br#"{"name":"x","type":"api_key","data":{"value":"v"}}"#,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = command(&opts, &["call", "secret_list"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["secrets"][0]["name"], json!("x"));
}

#[test]
fn config_export_of_5000_secrets_is_assembled_from_pages() {
    use base64::Engine;
    use sslboard_tests::seed;

    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let key = [0x24u8; 32];
    let b64 = base64::engine::general_purpose::STANDARD.encode(key);
    // 300-byte descriptions: the metadata alone is well past one 1 MiB frame.
    seed::provider_tokens(&data, key, 5000, &"d".repeat(300));
    // Their providers, so the token sweep does not remove them as orphans.
    seed::providers(&data, 5000);
    let mut tree = Tree::start(TreeOptions::new(t.path(), KeySource::Env(b64)));
    let doc = tree.ok("config_export", json!({}));
    let secrets = doc["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 5000);
    assert_eq!(doc["providers"].as_array().map(Vec::len), Some(5000));
    let names: Vec<&str> = secrets
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..5000).map(seed::secret_name).collect();
    assert_eq!(names, expected, "every secret once, in name order");
    assert_eq!(doc["version"], json!(1));
    // References only: the seeded values are absent, their references present.
    let text = doc.to_string();
    // Positive control: the document is larger than one frame could carry.
    assert!(
        text.len() > shared::codec::MAX_PAYLOAD,
        "{} bytes fit in one frame: the test proves nothing",
        text.len()
    );
    assert!(text.contains(&seed::secret_id(4999)), "method check");
    assert!(!text.contains("token-4999") && !text.contains("token-0"));
}

/// vault-proc's socket thread keeps the token rows it read for reveals
/// (`vault-proc/src/secrets/store/read.rs`) only until the store handles
/// its next request: a reveal after a replacement, a delete or a lock sees
/// what the store did, never a kept row.
#[test]
fn reveals_after_a_replacement_a_delete_and_a_lock_see_the_store_as_it_is() {
    use shared::protocol::secrets::{SecretKind, SecretSelector, SecretType, SecretUpdate};
    use shared::protocol::vault::VaultRequest;
    use shared::secret::SecretString;
    use sslboard_tests::direct::{new_secret, DirectVault};

    let v = DirectVault::start(&[]);
    let provider = "dns_prov_00000000000000000000000000000042";
    let mut new = new_secret(
        "kept",
        SecretType::ApiKey,
        SecretKind::DnsProviderToken,
        &[("value", "first-value")],
    );
    new.owner = Some(provider.into());
    let meta = v.create(new);
    v.permit(provider, &meta.reference);
    for _ in 0..3 {
        assert_eq!(
            v.reveal(provider, &meta.reference).unwrap()["value"],
            "first-value"
        );
    }
    let data = [(
        "value".to_string(),
        SecretString::from("second-value".to_string()),
    )]
    .into_iter()
    .collect();
    v.as_broker(VaultRequest::Update {
        selector: SecretSelector::Ref(meta.reference.clone()),
        update: SecretUpdate {
            data: Some(data),
            ..SecretUpdate::default()
        },
    })
    .unwrap();
    assert_eq!(
        v.reveal(provider, &meta.reference).unwrap()["value"],
        "second-value"
    );
    v.as_broker(VaultRequest::Lock).unwrap();
    // Locked: the socket thread defers to the store, which unlocks again
    // (env key source) and answers the current value.
    assert_eq!(
        v.reveal(provider, &meta.reference).unwrap()["value"],
        "second-value"
    );
    v.as_broker(VaultRequest::Delete(SecretSelector::Ref(
        meta.reference.clone(),
    )))
    .unwrap();
    let e = v.reveal(provider, &meta.reference).unwrap_err();
    assert_eq!(e.code, shared::error::ErrorCode::NotFound, "{e:?}");
}
