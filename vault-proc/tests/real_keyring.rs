//! SecretStore against the real Secret Service (gnome-keyring in the private
//! D-Bus session that `scripts/test` starts): master key creation and reuse,
//! and the migration from per-secret keyring entries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use rusqlite::Connection;
use shared::protocol::secrets::{NewSecret, SecretKind, SecretSelector, SecretType};
use shared::secret::SecretString;
use vault_proc::secrets::masterkey::keyring::{platform_store, KeyringSource};
use vault_proc::secrets::store::SecretStore;

fn bus() {
    let addr = std::env::var("SSLBOARD_TEST_DBUS_ADDRESS")
        .expect("SSLBOARD_TEST_DBUS_ADDRESS is not set: run the tests through scripts/test");
    // Each nextest test is its own process, so setting the variable is local to this test.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", addr);
}

fn service() -> String {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).unwrap();
    format!("sslboard-test-{}", hex::encode(b))
}

fn source(service: &str) -> Box<KeyringSource> {
    Box::new(KeyringSource::platform(service).unwrap())
}

/// The `open_store` example, built next to this test by `cargo build --all-targets`.
fn open_store_example() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples/open_store");
    assert!(
        path.exists(),
        "{} is missing: build with `cargo build --workspace --all-targets` (scripts/test does)",
        path.display()
    );
    path
}

/// SIGABRT, the signal `std::process::abort` raises.
fn nix_sigabrt() -> i32 {
    6
}

fn api_key(name: &str, value: &str) -> NewSecret {
    let mut data = BTreeMap::new();
    data.insert("value".to_string(), SecretString::from(value));
    NewSecret {
        name: name.into(),
        secret_type: SecretType::ApiKey,
        kind: SecretKind::Generic,
        data,
        label: None,
        description: None,
        tags: vec![],
        owner: None,
        external: None,
        binding: None,
        allowed_hosts: None,
    }
}

#[test]
fn first_start_creates_the_key_and_restart_reads_secrets_back() {
    bus();
    let svc = service();
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = SecretStore::open(dir.path(), source(&svc)).unwrap();
        s.create(api_key("a", "canary-restart-1")).unwrap();
    }
    let entry = platform_store()
        .unwrap()
        .build(&svc, "master-key", None)
        .unwrap();
    assert_eq!(
        entry.get_secret().unwrap().len(),
        32,
        "master key not in the keyring"
    );
    let mut s = SecretStore::open(dir.path(), source(&svc)).unwrap();
    let (_, data) = s.reveal(&SecretSelector::Name("a".into())).unwrap();
    assert_eq!(data["value"].expose(), "canary-restart-1");
    entry.delete_credential().unwrap();
}

#[test]
fn a_deleted_keyring_item_fails_clearly_and_keeps_the_data() {
    bus();
    let svc = service();
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = SecretStore::open(dir.path(), source(&svc)).unwrap();
        s.create(api_key("a", "canary-keep")).unwrap();
    }
    let db = dir.path().join("secrets.sqlite");
    let before = std::fs::read(&db).unwrap();
    platform_store()
        .unwrap()
        .build(&svc, "master-key", None)
        .unwrap()
        .delete_credential()
        .unwrap();
    let mut s = SecretStore::open(dir.path(), source(&svc)).unwrap();
    let err = s.reveal(&SecretSelector::Name("a".into())).unwrap_err();
    let wire: shared::error::WireError = err.into();
    assert_eq!(
        wire.code,
        shared::error::ErrorCode::KeyringUnavailable,
        "{wire}"
    );
    assert!(wire.message.to_lowercase().contains("key"), "{wire}");
    // No new key was generated over the existing ciphertext.
    assert!(platform_store()
        .unwrap()
        .build(&svc, "master-key", None)
        .unwrap()
        .get_secret()
        .is_err());
    drop(s);
    let conn = Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM secret_metadata WHERE ciphertext IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1, "ciphertext lost");
    drop(conn);
    assert!(!before.is_empty());
}

#[test]
fn per_secret_keyring_entries_are_migrated_once() {
    bus();
    let svc = service();
    let dir = tempfile::tempdir().unwrap();
    let store = platform_store().unwrap();
    {
        let conn = Connection::open(dir.path().join("secrets.sqlite")).unwrap();
        conn.execute_batch(
            "CREATE TABLE secret_metadata (id TEXT PRIMARY KEY, kind TEXT, label TEXT, created_at TEXT);
             INSERT INTO secret_metadata VALUES ('sec_00000000000000000000000000000001', 'dns_provider_token', 'cf', '2024-01-01T00:00:00Z');
             INSERT INTO secret_metadata VALUES ('sec_00000000000000000000000000000002', 'generic', 'json', '2024-01-01T00:00:00Z');
             INSERT INTO secret_metadata VALUES ('sec_00000000000000000000000000000003', 'generic', 'orphan', '2024-01-01T00:00:00Z');",
        )
        .unwrap();
    }
    store
        .build(&svc, "sec_00000000000000000000000000000001", None)
        .unwrap()
        .set_secret(b"old-token-canary")
        .unwrap();
    store
        .build(&svc, "sec_00000000000000000000000000000002", None)
        .unwrap()
        .set_secret(br#"{"username":"u","password":"old-pw-canary"}"#)
        .unwrap();
    let mut s = SecretStore::open(dir.path(), source(&svc)).unwrap();
    let (meta, data) = s
        .reveal(&SecretSelector::Ref(
            "sec_00000000000000000000000000000001".into(),
        ))
        .unwrap();
    assert_eq!(meta.kind, SecretKind::DnsProviderToken);
    assert_eq!(data["value"].expose(), "old-token-canary");
    let (_, data) = s
        .reveal(&SecretSelector::Ref(
            "sec_00000000000000000000000000000002".into(),
        ))
        .unwrap();
    assert_eq!(data["password"].expose(), "old-pw-canary");
    assert!(
        s.get_meta(&SecretSelector::Ref(
            "sec_00000000000000000000000000000003".into()
        ))
        .is_err(),
        "orphan row kept"
    );
    for id in [
        "sec_00000000000000000000000000000001",
        "sec_00000000000000000000000000000002",
    ] {
        assert!(
            store.build(&svc, id, None).unwrap().get_secret().is_err(),
            "old entry {id} not deleted"
        );
    }
    drop(s);
    // A second start finds nothing to do.
    let s = SecretStore::open(dir.path(), source(&svc)).unwrap();
    assert!(
        s.migration_report().is_none(),
        "migration ran again: {:?}",
        s.migration_report()
    );
    assert_eq!(s.list(&Default::default()).unwrap().len(), 2);
    let _ = store
        .build(&svc, "master-key", None)
        .unwrap()
        .delete_credential();
}

/// Seeds one old-format row and its keyring entry; returns the store.
fn seed_legacy(dir: &std::path::Path, svc: &str, id: &str, value: &[u8]) {
    let conn = Connection::open(dir.join("secrets.sqlite")).unwrap();
    conn.execute_batch("CREATE TABLE secret_metadata (id TEXT PRIMARY KEY, kind TEXT, label TEXT, created_at TEXT);").unwrap();
    conn.execute(
        "INSERT INTO secret_metadata VALUES (?1, 'generic', 'old', '2024-01-01T00:00:00Z')",
        [id],
    )
    .unwrap();
    platform_store()
        .unwrap()
        .build(svc, id, None)
        .unwrap()
        .set_secret(value)
        .unwrap();
}

#[test]
fn a_crash_between_encrypting_and_deleting_the_old_entry_loses_nothing() {
    bus();
    let svc = service();
    let dir = tempfile::tempdir().unwrap();
    let id = "sec_000000000000000000000000000000aa";
    seed_legacy(dir.path(), &svc, id, b"crash-canary");
    // A child (the `open_store` example) opens the store with the failpoint
    // set: it aborts right after committing the ciphertext.
    let status = std::process::Command::new(open_store_example())
        .arg(dir.path())
        .arg(&svc)
        .env("SSLBOARD_FAILPOINT", "migration_after_commit")
        .status()
        .unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(nix_sigabrt()),
        "the child did not abort at the failpoint: {status}"
    );
    // The old entry is still there, and so is the committed ciphertext.
    assert!(platform_store()
        .unwrap()
        .build(&svc, id, None)
        .unwrap()
        .get_secret()
        .is_ok());
    let mut s = SecretStore::open(dir.path(), source(&svc)).unwrap();
    let (_, data) = s.reveal(&SecretSelector::Ref(id.into())).unwrap();
    assert_eq!(data["value"].expose(), "crash-canary");
    assert!(
        platform_store()
            .unwrap()
            .build(&svc, id, None)
            .unwrap()
            .get_secret()
            .is_err(),
        "old entry left behind"
    );
    let _ = platform_store()
        .unwrap()
        .build(&svc, "master-key", None)
        .unwrap()
        .delete_credential();
}
