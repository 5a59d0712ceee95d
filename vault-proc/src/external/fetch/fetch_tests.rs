//! `ExternalCache` against a real OpenBao dev server (KV v2): values read
//! from the provider, a wrong token and a stopped server answered with the
//! local copy when there is one and a clear `provider_error` otherwise.
//! `scripts/test` starts OpenBao and exports its address, token and binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shared::protocol::secrets::{
    ExternalProviderConfig, ExternalProviderKind, ExternalSource, NewSecret, SecretKind,
    SecretSelector, SecretType,
};
use shared::secret::SecretString;

use super::ExternalCache;
use crate::external::config;
use crate::secrets::masterkey::memory::MemorySource;
use crate::secrets::{SecretStore, VaultError};

fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!("{name} is not set: run the tests through scripts/test, which starts OpenBao"),
    }
}

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

fn store() -> (tempfile::TempDir, SecretStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = SecretStore::open(dir.path(), Box::new(MemorySource::new())).unwrap();
    (dir, s)
}

fn configure(s: &mut SecretStore, addr: &str, token: &str) {
    config::set(
        s,
        ExternalProviderConfig {
            kind: ExternalProviderKind::Openbao,
            address: addr.into(),
            mount: "secret".into(),
            token: token.into(),
            path_prefix: Some("sslboard".into()),
            namespace: None,
            ca_pem: None,
        },
    )
    .unwrap();
}

fn external_secret(s: &mut SecretStore, name: &str, path: &str, local: Option<&str>) -> String {
    let mut data = BTreeMap::new();
    if let Some(pw) = local {
        data.insert("username".to_string(), SecretString::from("local-user"));
        data.insert("password".to_string(), SecretString::from(pw));
    }
    s.create(NewSecret {
        name: name.into(),
        secret_type: SecretType::BasicAuth,
        kind: SecretKind::Generic,
        data,
        label: None,
        description: None,
        tags: vec![],
        owner: None,
        external: Some(ExternalSource { path: path.into() }),
        binding: None,
    })
    .unwrap()
    .reference
}

fn pw(c: &mut ExternalCache, s: &mut SecretStore, r: &str) -> Result<String, VaultError> {
    let (_, data) = c.fetch(s, &SecretSelector::Ref(r.into()))?;
    Ok(data
        .get("password")
        .map(|v| v.expose().to_string())
        .unwrap_or_default())
}

#[test]
fn values_come_from_openbao_and_a_wrong_token_is_reported_or_falls_back() {
    let addr = required_env("SSLBOARD_TEST_OPENBAO_ADDR");
    let token = required_env("SSLBOARD_TEST_OPENBAO_TOKEN");
    let path = format!("t{}", std::process::id());
    bao_put(
        &addr,
        &token,
        &format!("sslboard/{path}"),
        &["username=bao-user", "password=bao-pw-canary"],
    );
    let (_d, mut s) = store();
    let mut cache = ExternalCache::default();
    configure(&mut s, &addr, &token);
    let with_copy = external_secret(&mut s, "db", &path, Some("local-pw"));
    let remote_only = external_secret(&mut s, "remote_only", &path, None);
    assert_eq!(pw(&mut cache, &mut s, &with_copy).unwrap(), "bao-pw-canary");
    assert_eq!(
        pw(&mut cache, &mut s, &remote_only).unwrap(),
        "bao-pw-canary"
    );
    // Wrong token: the external-only secret fails with a clear provider
    // error, the one with a local copy falls back to it.
    configure(&mut s, &addr, "wrong-token");
    cache.reset();
    match pw(&mut cache, &mut s, &remote_only) {
        Err(VaultError::Provider { provider, cause }) => {
            assert_eq!(provider, addr);
            assert!(cause.contains("permission denied"), "{cause}");
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
    assert_eq!(pw(&mut cache, &mut s, &with_copy).unwrap(), "local-pw");
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
fn a_stopped_server_falls_back_to_the_local_copy_or_fails_clearly_in_bounded_time() {
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
    let (_d, mut s) = store();
    let mut cache = ExternalCache::default();
    configure(&mut s, &addr, "root");
    let with_copy = external_secret(&mut s, "with_copy", "app", Some("local-copy-pw"));
    let without_copy = external_secret(&mut s, "without_copy", "app", None);
    assert_eq!(pw(&mut cache, &mut s, &with_copy).unwrap(), "remote-pw");
    drop(server);
    let start = Instant::now();
    assert_eq!(pw(&mut cache, &mut s, &with_copy).unwrap(), "local-copy-pw");
    match pw(&mut cache, &mut s, &without_copy) {
        Err(VaultError::Provider { provider, cause }) => {
            assert_eq!(provider, addr);
            assert!(cause.contains("connection failed"), "{cause}");
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
    assert!(
        start.elapsed() < Duration::from_secs(12),
        "timeouts are not bounded: {:?}",
        start.elapsed()
    );
}
