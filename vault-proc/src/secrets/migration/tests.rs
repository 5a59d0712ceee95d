//! Migration tests: an old-format database, fake per-secret entries, crashes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::*;
use crate::secrets::masterkey::memory::MemorySource;
use crate::secrets::store::SecretStore;
use shared::protocol::secrets::SecretSelector;

type R = VaultResult<()>;

/// Fake per-secret keyring entries with failure knobs.
#[derive(Default)]
struct Fake {
    entries: Mutex<HashMap<String, Vec<u8>>>,
    fail_delete: AtomicBool,
    panic_delete: AtomicBool,
    gets: AtomicUsize,
}

impl Fake {
    fn with(entries: &[(&str, &str)]) -> Arc<Self> {
        let f = Fake::default();
        if let Ok(mut m) = f.entries.lock() {
            for (k, v) in entries {
                m.insert((*k).to_owned(), v.as_bytes().to_vec());
            }
        }
        Arc::new(f)
    }
    fn has(&self, id: &str) -> bool {
        self.entries
            .lock()
            .map(|m| m.contains_key(id))
            .unwrap_or(false)
    }
}

struct Shared(Arc<Fake>);

impl LegacyEntries for Shared {
    fn get(&self, reference: &str) -> VaultResult<Option<SecretBytes>> {
        self.0.gets.fetch_add(1, Ordering::SeqCst);
        let m = self
            .0
            .entries
            .lock()
            .map_err(|_| VaultError::internal("poisoned"))?;
        Ok(m.get(reference).map(|v| SecretBytes::new(v.clone())))
    }
    fn delete(&self, reference: &str) -> VaultResult<()> {
        if self.0.panic_delete.load(Ordering::SeqCst) {
            panic!("simulated crash after commit, before deleting {reference}");
        }
        if self.0.fail_delete.load(Ordering::SeqCst) {
            return Err(VaultError::Locked {
                reason: "simulated".into(),
            });
        }
        let mut m = self
            .0
            .entries
            .lock()
            .map_err(|_| VaultError::internal("poisoned"))?;
        m.remove(reference);
        Ok(())
    }
}

fn tmp() -> VaultResult<tempfile::TempDir> {
    tempfile::tempdir().map_err(|e| VaultError::internal(e.to_string()))
}

/// An old-format database: metadata only, no vault_meta, no ciphertext column.
fn legacy_db(dir: &tempfile::TempDir) -> R {
    let conn = Connection::open(db::db_path(dir.path()))?;
    conn.execute_batch(
        "CREATE TABLE secret_metadata (id TEXT PRIMARY KEY, name TEXT UNIQUE, kind TEXT,
                                       type TEXT, label TEXT, created_at TEXT, updated_at TEXT);
         INSERT INTO secret_metadata VALUES
           ('sec_a', 'cf', 'dns_provider_token', 'api_key', 'Cloudflare', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z'),
           ('sec_b', 'web', 'generic', 'basic_auth', 'Web', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z'),
           ('sec_c', 'gone', 'generic', 'api_key', 'Orphan', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z'),
           ('sec_d', NULL, 'dns_provider_token', NULL, NULL, NULL, NULL);",
    )?;
    Ok(())
}

fn entries() -> Arc<Fake> {
    Fake::with(&[
        ("sec_a", "cf-token-canary"),
        ("sec_b", r#"{"username":"u","password":"p"}"#),
        ("sec_d", "do-token"),
    ])
}

fn open(dir: &tempfile::TempDir, src: &MemorySource, fake: &Arc<Fake>) -> VaultResult<SecretStore> {
    SecretStore::open_with_legacy(
        dir.path(),
        Box::new(src.clone()),
        Some(Box::new(Shared(fake.clone()))),
    )
}

fn reveal(s: &mut SecretStore, name: &str, field: &str) -> VaultResult<Option<String>> {
    let (_, d) = s.reveal(&SecretSelector::Name(name.into()))?;
    Ok(d.get(field).map(|v| v.expose().to_owned()))
}

fn version(dir: &tempfile::TempDir) -> VaultResult<i64> {
    db::schema_version(&Connection::open(db::db_path(dir.path()))?)
}

#[test]
fn migrates_values_and_drops_orphans() -> R {
    let dir = tmp()?;
    legacy_db(&dir)?;
    let (src, fake) = (MemorySource::new(), entries());
    let mut s = open(&dir, &src, &fake)?;
    let report = s.migration_report().cloned();
    assert_eq!(
        report,
        Some(MigrationReport {
            migrated: 3,
            orphans_removed: 1,
            stale_entries_cleaned: 0,
            failed: vec![],
            completed: true
        })
    );
    assert_eq!(
        reveal(&mut s, "cf", "value")?.as_deref(),
        Some("cf-token-canary")
    );
    assert_eq!(reveal(&mut s, "web", "password")?.as_deref(), Some("p"));
    assert_eq!(
        reveal(&mut s, "sec_d", "value")?.as_deref(),
        Some("do-token"),
        "nameless row named after its id"
    );
    let m = s.get_meta(&SecretSelector::Ref("sec_a".into()))?;
    assert_eq!(
        (m.label.as_str(), m.created_at.as_str()),
        ("Cloudflare", "2020-01-01T00:00:00Z")
    );
    assert_eq!(m.fields, vec!["value".to_owned()]);
    assert!(matches!(
        s.get_meta(&SecretSelector::Name("gone".into())),
        Err(VaultError::NotFound { .. })
    ));
    for id in ["sec_a", "sec_b", "sec_d"] {
        assert!(!fake.has(id), "old entry {id} deleted");
    }
    assert_eq!(version(&dir)?, db::SCHEMA_VERSION);
    Ok(())
}

#[test]
fn completed_migration_never_runs_again() -> R {
    let dir = tmp()?;
    legacy_db(&dir)?;
    let (src, fake) = (MemorySource::new(), entries());
    drop(open(&dir, &src, &fake)?);
    let gets = fake.gets.load(Ordering::SeqCst);
    // Even if an entry reappeared, a completed migration does not look.
    if let Ok(mut m) = fake.entries.lock() {
        m.insert("sec_c".into(), b"late".to_vec());
    }
    let s = open(&dir, &src, &fake)?;
    assert!(s.migration_report().is_none());
    assert_eq!(fake.gets.load(Ordering::SeqCst), gets);
    Ok(())
}

#[test]
fn failure_between_commit_and_delete_loses_nothing() -> R {
    let dir = tmp()?;
    legacy_db(&dir)?;
    let (src, fake) = (MemorySource::new(), entries());
    fake.fail_delete.store(true, Ordering::SeqCst);
    let mut s = open(&dir, &src, &fake)?;
    let r = s.migration_report().cloned().unwrap_or_default();
    assert_eq!((r.migrated, r.failed.len(), r.completed), (3, 3, false));
    assert!(fake.has("sec_a"), "entry kept while its delete fails");
    assert_eq!(
        reveal(&mut s, "cf", "value")?.as_deref(),
        Some("cf-token-canary")
    );
    let ct_before =
        crate::secrets::rows::by_id(&Connection::open(db::db_path(dir.path()))?, "sec_a")?
            .and_then(|r| r.ciphertext);
    drop(s);
    assert_eq!(version(&dir)?, db::LEGACY_SCHEMA_VERSION);

    fake.fail_delete.store(false, Ordering::SeqCst);
    let mut s = open(&dir, &src, &fake)?;
    let r = s.migration_report().cloned().unwrap_or_default();
    assert_eq!(
        (r.migrated, r.stale_entries_cleaned, r.completed),
        (0, 3, true)
    );
    assert!(!fake.has("sec_a") && !fake.has("sec_b") && !fake.has("sec_d"));
    let ct_after =
        crate::secrets::rows::by_id(&Connection::open(db::db_path(dir.path()))?, "sec_a")?
            .and_then(|r| r.ciphertext);
    assert_eq!(ct_before, ct_after, "re-run does not re-encrypt");
    assert_eq!(reveal(&mut s, "web", "username")?.as_deref(), Some("u"));
    assert_eq!(version(&dir)?, db::SCHEMA_VERSION);
    Ok(())
}

#[test]
fn crash_between_commit_and_delete_is_recovered() -> R {
    let dir = tmp()?;
    legacy_db(&dir)?;
    let (src, fake) = (MemorySource::new(), entries());
    fake.panic_delete.store(true, Ordering::SeqCst);
    let crashed =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| open(&dir, &src, &fake)));
    assert!(crashed.is_err(), "the simulated crash happened");
    // The first row was committed before the crash; its entry is still there.
    assert!(fake.has("sec_a"));
    fake.panic_delete.store(false, Ordering::SeqCst);
    let mut s = open(&dir, &src, &fake)?;
    let r = s.migration_report().cloned().unwrap_or_default();
    assert!(r.completed);
    assert_eq!((r.migrated, r.stale_entries_cleaned), (2, 1));
    assert_eq!(
        reveal(&mut s, "cf", "value")?.as_deref(),
        Some("cf-token-canary")
    );
    assert_eq!(
        reveal(&mut s, "sec_d", "value")?.as_deref(),
        Some("do-token")
    );
    assert!(!fake.has("sec_a") && !fake.has("sec_d"));
    Ok(())
}

#[test]
fn unmappable_values_and_missing_access_keep_everything() -> R {
    let dir = tmp()?;
    legacy_db(&dir)?;
    let fake = Fake::with(&[
        ("sec_a", "cf"),
        ("sec_b", "not json for basic auth"),
        ("sec_d", "x"),
    ]);
    let src = MemorySource::new();
    // A key source that cannot reach the old entries leaves the rows alone.
    let s = SecretStore::open_with_legacy(dir.path(), Box::new(src.clone()), None)?;
    assert!(s.migration_report().is_none());
    drop(s);
    assert_eq!(version(&dir)?, db::LEGACY_SCHEMA_VERSION);
    let s = open(&dir, &src, &fake)?;
    let r = s.migration_report().cloned().unwrap_or_default();
    assert_eq!(
        (r.migrated, r.failed.clone(), r.completed),
        (2, vec!["sec_b".to_owned()], false)
    );
    assert!(fake.has("sec_b"), "unmigrated entry kept");
    assert!(
        s.get_meta(&SecretSelector::Ref("sec_b".into())).is_ok(),
        "unmigrated row kept"
    );
    Ok(())
}

#[test]
fn legacy_value_mapping() -> R {
    let v = |s: &str| SecretBytes::new(s.as_bytes().to_vec());
    let pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----";
    let (t, d) = legacy_data(None, SecretKind::ManagedPrivateKey, &v(pem))?;
    assert_eq!(
        (t, d.keys().cloned().collect::<Vec<_>>()),
        (SecretType::PrivateKey, vec!["pem".to_owned()])
    );
    let (t, _) = legacy_data(None, SecretKind::AcmeAccountKey, &v("not pem"))?;
    assert_eq!(t, SecretType::Custom);
    let (t, _) = legacy_data(
        Some(SecretType::BearerToken),
        SecretKind::Generic,
        &v("tok"),
    )?;
    assert_eq!(t, SecretType::BearerToken);
    let (t, d) = legacy_data(None, SecretKind::Generic, &v(r#"{"a":"1","b":"2"}"#))?;
    assert_eq!((t, d.len()), (SecretType::Custom, 2));
    assert!(legacy_data(Some(SecretType::Oauth), SecretKind::Generic, &v("x")).is_err());
    assert!(legacy_data(
        None,
        SecretKind::Generic,
        &SecretBytes::new(vec![0xff, 0xfe])
    )
    .is_err());
    Ok(())
}
