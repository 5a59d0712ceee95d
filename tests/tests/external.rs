//! Provider tokens revealed through a real OpenBao dev server (KV v2), with the
//! fallback to the local copy, and the external provider through the UI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use shared::error::ErrorCode;
use shared::protocol::secrets::{
    ExternalProviderConfig, ExternalProviderKind, ExternalSource, SecretKind, SecretType,
};
use shared::protocol::vault::VaultRequest;
use sslboard_tests::direct::{new_secret, token_scope, DirectVault};
use sslboard_tests::required_env;
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

const PROVIDER: &str = "dns_prov_000000000000000000000000000000ee";

fn bao_put(addr: &str, token: &str, path: &str, kv: &[&str]) {
    let bin = required_env("SSLBOARD_TEST_BAO_BIN");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = Command::new(&bin)
            .args(["kv", "put", &format!("secret/{path}")])
            .args(kv)
            .env("BAO_ADDR", addr)
            .env("BAO_TOKEN", token)
            .env("HOME", std::env::temp_dir())
            .output()
            .unwrap();
        if out.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "bao kv put failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn configure(v: &DirectVault, addr: &str, token: &str) {
    v.as_broker(VaultRequest::ExternalSet(ExternalProviderConfig {
        kind: ExternalProviderKind::Openbao,
        address: addr.into(),
        mount: "secret".into(),
        token: token.into(),
        path_prefix: Some("sslboard".into()),
        namespace: None,
        ca_pem: None,
    }))
    .unwrap();
}

fn external_secret(v: &DirectVault, name: &str, path: &str, local: Option<&str>) -> String {
    let fields: Vec<(&str, &str)> = match local {
        Some(pw) => vec![("username", "local-user"), ("password", pw)],
        None => vec![],
    };
    let mut new = new_secret(
        name,
        SecretType::BasicAuth,
        SecretKind::DnsProviderToken,
        &fields,
    );
    new.owner = Some(PROVIDER.into());
    new.external = Some(ExternalSource { path: path.into() });
    let meta = v.create(new);
    v.permit(PROVIDER, &meta.reference);
    meta.reference
}

fn pw(v: &DirectVault, secret_ref: &str) -> Result<String, shared::error::WireError> {
    v.reveal(PROVIDER, secret_ref)
        .map(|d| d.get("password").cloned().unwrap_or_default())
}

#[test]
fn reveals_from_openbao_and_reports_a_wrong_token() {
    let addr = required_env("SSLBOARD_TEST_OPENBAO_ADDR");
    let token = required_env("SSLBOARD_TEST_OPENBAO_TOKEN");
    let path = format!("t{}", sslboard_tests::random_hex(4));
    bao_put(
        &addr,
        &token,
        &format!("sslboard/{path}"),
        &["username=bao-user", "password=bao-pw-canary"],
    );
    let v = DirectVault::start(&[]);
    configure(&v, &addr, &token);
    let db = external_secret(&v, "db", &path, Some("local-pw"));
    let remote_only = external_secret(&v, "remote_only", &path, None);
    let d = v.reveal(PROVIDER, &db).unwrap();
    assert_eq!(d.get("username").map(String::as_str), Some("bao-user"));
    assert_eq!(d.get("password").map(String::as_str), Some("bao-pw-canary"));
    assert_eq!(pw(&v, &remote_only).unwrap(), "bao-pw-canary");
    // Wrong token: the external-only secret fails with a clear provider error,
    // the one with a local copy falls back to it.
    configure(&v, &addr, "wrong-token");
    let err = pw(&v, &remote_only).unwrap_err();
    assert_eq!(err.code, ErrorCode::ProviderError, "{err}");
    assert!(
        err.message.contains("permission denied") && err.message.contains(&addr),
        "{err}"
    );
    assert_eq!(pw(&v, &db).unwrap(), "local-pw");
}

struct Bao(Child);

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let p = l.local_addr().unwrap().port();
        drop(l);
        if std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

#[test]
fn a_stopped_server_falls_back_to_the_local_copy_or_fails_clearly() {
    let bin = required_env("SSLBOARD_TEST_BAO_BIN");
    let port = free_port();
    let home = tempfile::tempdir().unwrap();
    let server = Bao(Command::new(&bin)
        .args([
            "server",
            "-dev",
            "-dev-no-store-token",
            "-dev-root-token-id=root",
            &format!("-dev-listen-address=127.0.0.1:{port}"),
        ])
        .env_remove("BAO_ADDR")
        .env_remove("VAULT_ADDR")
        .env("HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap());
    let addr = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "bao did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    bao_put(
        &addr,
        "root",
        "sslboard/app",
        &["username=u", "password=remote-pw"],
    );
    let v = DirectVault::start(&[]);
    configure(&v, &addr, "root");
    let with_copy = external_secret(&v, "with_copy", "app", Some("local-copy-pw"));
    let without_copy = external_secret(&v, "without_copy", "app", None);
    assert_eq!(pw(&v, &with_copy).unwrap(), "remote-pw");
    drop(server);
    let start = Instant::now();
    assert_eq!(pw(&v, &with_copy).unwrap(), "local-copy-pw");
    let err = pw(&v, &without_copy).unwrap_err();
    assert_eq!(err.code, ErrorCode::ProviderError);
    assert!(
        err.message.contains(&addr) && err.message.contains("connection failed"),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(12),
        "timeouts are not bounded: {:?}",
        start.elapsed()
    );
}

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
