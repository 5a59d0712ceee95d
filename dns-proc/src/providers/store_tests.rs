//! `dns.sqlite`: round trips (property-tested), ordering, the two-step
//! delete, file permissions, and the suffix index: in step with every
//! write, all or nothing, migrated into an old database.

use proptest::prelude::*;
use shared::protocol::dns::ProviderType;

use super::*;

fn sample(id: &str, created: &str) -> ProviderRow {
    ProviderRow {
        id: id.into(),
        provider_type: ProviderType::Cloudflare,
        label: "Production CF".into(),
        suffixes: vec!["sslboard.com".into(), "qcready.com".into()],
        secret_ref: Some("sec_00000000000000000000000000000001".into()),
        config_json: "{}".into(),
        created_at: created.into(),
        updated_at: created.into(),
        state: ProviderState::Active,
    }
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn created_0600_and_repaired_when_wider() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let s = ProviderStore::open(t.path()).unwrap();
    assert_eq!(mode(s.path()), 0o600);
    drop(s);
    let path = t.path().join(DB_FILE);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let wal = t.path().join("dns.sqlite-wal");
    if wal.exists() {
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    let mut s = ProviderStore::open(t.path()).unwrap();
    assert_eq!(mode(&path), 0o600);
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
    // The data survived the repair and the file still works.
    s.insert(&sample("dns_prov_1", "2026-01-01T00:00:00.000000Z"))
        .unwrap();
    assert_eq!(s.count().unwrap(), 1);
    assert!(!secure_file(&path).unwrap(), "already 0600");
}

#[test]
fn pragmas_are_durable() {
    let t = tempfile::tempdir().unwrap();
    let s = ProviderStore::open(t.path()).unwrap();
    let sync: i64 = s
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "FULL");
    let cols: Vec<String> = s
        .conn
        .prepare("SELECT name FROM pragma_table_info('providers')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(cols.join(","), COLUMNS.replace(' ', ""));
}

#[test]
fn ordering_two_step_delete_and_conflicts() {
    let t = tempfile::tempdir().unwrap();
    let mut s = ProviderStore::open(t.path()).unwrap();
    s.insert(&sample("dns_prov_b", "2026-01-02T00:00:00.000000Z"))
        .unwrap();
    s.insert(&sample("dns_prov_c", "2026-01-01T00:00:00.000000Z"))
        .unwrap();
    s.insert(&sample("dns_prov_a", "2026-01-02T00:00:00.000000Z"))
        .unwrap();
    let ids = |rows: Vec<ProviderRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.list().unwrap()),
        ["dns_prov_c", "dns_prov_a", "dns_prov_b"]
    );
    assert_eq!(
        s.latest_created_at().unwrap().as_deref(),
        Some("2026-01-02T00:00:00.000000Z")
    );
    assert!(matches!(
        s.insert(&sample("dns_prov_a", "x")),
        Err(DnsError::Conflict(_))
    ));
    let mut changed = sample("dns_prov_a", "2026-01-02T00:00:00.000000Z");
    changed.label = "Renamed".into();
    changed.suffixes = vec!["x.org".into()];
    changed.updated_at = "2026-01-03T00:00:00.000000Z".into();
    // Type, secret_ref and created_at are not updatable.
    changed.secret_ref = None;
    s.update(&changed).unwrap();
    let got = s.get("dns_prov_a").unwrap().unwrap();
    assert_eq!(
        (got.label.as_str(), got.suffixes.clone()),
        ("Renamed", vec!["x.org".to_string()])
    );
    assert!(got.secret_ref.is_some());

    assert!(s.mark_deleting("dns_prov_a").unwrap());
    assert!(!s.mark_deleting("dns_prov_zz").unwrap());
    assert_eq!(s.count().unwrap(), 2);
    assert_eq!(ids(s.list_deleting().unwrap()), ["dns_prov_a"]);
    assert_eq!(ids(s.list().unwrap()), ["dns_prov_c", "dns_prov_b"]);
    assert!(matches!(s.update(&changed), Err(DnsError::NotFound(_))));
    assert_eq!(
        s.get("dns_prov_a").unwrap().map(|r| r.state),
        Some(ProviderState::Deleting)
    );
    assert!(s.purge("dns_prov_a").unwrap());
    assert!(!s.purge("dns_prov_a").unwrap());
    assert!(s.get("dns_prov_a").unwrap().is_none());
    assert!(s.list_deleting().unwrap().is_empty());
}

#[test]
fn survives_reopen() {
    let t = tempfile::tempdir().unwrap();
    let row = sample("dns_prov_1", "2026-01-01T00:00:00.000000Z");
    ProviderStore::open(t.path()).unwrap().insert(&row).unwrap();
    let s = ProviderStore::open(t.path()).unwrap();
    assert_eq!(s.get("dns_prov_1").unwrap(), Some(row));
}

fn arb_row() -> impl Strategy<Value = ProviderRow> {
    (
        "[0-9a-f]{32}",
        proptest::sample::select(ProviderType::ALL.to_vec()),
        "\\PC{1,40}",
        proptest::collection::vec("[a-z0-9_-]{1,10}(\\.[a-z]{2,5}){1,2}", 1..5),
        proptest::option::of("[0-9a-f]{32}"),
        "\\PC{0,60}",
        0u32..1_000_000,
        proptest::bool::ANY,
    )
        .prop_map(
            |(id, ty, label, suffixes, secret, config, micros, deleting)| {
                let at = format!("2026-01-01T00:00:00.{micros:06}Z");
                ProviderRow {
                    id: format!("dns_prov_{id}"),
                    provider_type: ty,
                    label,
                    suffixes,
                    secret_ref: secret.map(|s| format!("sec_{s}")),
                    config_json: config,
                    created_at: at.clone(),
                    updated_at: at,
                    state: if deleting {
                        ProviderState::Deleting
                    } else {
                        ProviderState::Active
                    },
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn round_trip(rows in proptest::collection::vec(arb_row(), 1..8)) {
        let t = tempfile::tempdir().unwrap();
        let mut s = ProviderStore::open(t.path()).unwrap();
        let mut stored: Vec<ProviderRow> = Vec::new();
        for r in rows {
            if stored.iter().any(|x| x.id == r.id) {
                continue;
            }
            s.insert(&r).unwrap();
            stored.push(r);
        }
        for r in &stored {
            let got = s.get(&r.id).unwrap();
            prop_assert_eq!(got.as_ref(), Some(r));
        }
        let mut active: Vec<ProviderRow> = stored.iter().filter(|r| r.state == ProviderState::Active).cloned().collect();
        active.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        prop_assert_eq!(s.count().unwrap(), active.len() as u64);
        prop_assert_eq!(s.list().unwrap(), active);
        let deleting = s.list_deleting().unwrap();
        prop_assert!(deleting.iter().all(|r| r.state == ProviderState::Deleting));
        prop_assert_eq!(deleting.len() + s.list().unwrap().len(), stored.len());
        assert_in_step(&s);
    }
}

/// The suffix index as stored: (suffix, provider id), sorted.
fn index_rows(s: &ProviderStore) -> Vec<(String, String)> {
    s.conn
        .prepare("SELECT suffix, provider_id FROM provider_suffixes ORDER BY suffix, provider_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Asserts that the index holds exactly the suffixes of the active rows.
fn assert_in_step(s: &ProviderStore) {
    let mut want: Vec<(String, String)> = s
        .list()
        .unwrap()
        .into_iter()
        .flat_map(|r| {
            r.suffixes
                .into_iter()
                .map(move |suffix| (suffix, r.id.clone()))
        })
        .collect();
    want.sort();
    want.dedup();
    assert_eq!(index_rows(s), want);
}

fn ids_on(s: &ProviderStore, suffix: &str) -> Vec<String> {
    s.index()
        .providers_on(suffix)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

#[test]
fn the_index_follows_every_write() {
    let t = tempfile::tempdir().unwrap();
    let mut s = ProviderStore::open(t.path()).unwrap();
    assert_in_step(&s);
    s.insert(&sample("dns_prov_b", "2026-01-02T00:00:00.000000Z"))
        .unwrap();
    s.insert(&sample("dns_prov_a", "2026-01-01T00:00:00.000000Z"))
        .unwrap();
    let mut deleting = sample("dns_prov_d", "2026-01-03T00:00:00.000000Z");
    deleting.state = ProviderState::Deleting;
    s.insert(&deleting).unwrap();
    assert_in_step(&s);
    assert_eq!(
        index_rows(&s).len(),
        4,
        "a row being deleted is not indexed"
    );
    assert_eq!(ids_on(&s, "sslboard.com"), ["dns_prov_a", "dns_prov_b"]);
    // A conflicting insert changes nothing.
    assert!(s
        .insert(&sample("dns_prov_a", "2026-01-05T00:00:00.000000Z"))
        .is_err());
    assert_in_step(&s);

    let mut moved = sample("dns_prov_a", "2026-01-01T00:00:00.000000Z");
    moved.suffixes = vec!["x.org".into(), "qcready.com".into()];
    s.update(&moved).unwrap();
    assert_in_step(&s);
    assert_eq!(ids_on(&s, "sslboard.com"), ["dns_prov_b"]);
    assert_eq!(ids_on(&s, "x.org"), ["dns_prov_a"]);
    // An update of a row being deleted is refused and indexes nothing.
    assert!(s.update(&deleting).is_err());
    assert_in_step(&s);

    assert!(s.mark_deleting("dns_prov_a").unwrap());
    assert_in_step(&s);
    assert!(ids_on(&s, "x.org").is_empty());
    assert_eq!(ids_on(&s, "qcready.com"), ["dns_prov_b"]);
    assert!(s.purge("dns_prov_a").unwrap());
    assert!(s.purge("dns_prov_d").unwrap());
    assert_in_step(&s);
    assert_eq!(index_rows(&s).len(), 2);

    s.insert_all(&[
        sample("dns_prov_e", "2026-01-04T00:00:00.000000Z"),
        sample("dns_prov_f", "2026-01-04T00:00:00.000000Z"),
    ])
    .unwrap();
    assert_in_step(&s);
    assert_eq!(
        ids_on(&s, "sslboard.com"),
        ["dns_prov_b", "dns_prov_e", "dns_prov_f"]
    );
    // A batch with one known id stores none of it.
    assert!(matches!(
        s.insert_all(&[
            sample("dns_prov_g", "2026-01-05T00:00:00.000000Z"),
            sample("dns_prov_b", "2026-01-05T00:00:00.000000Z"),
        ]),
        Err(DnsError::Conflict(_))
    ));
    assert!(s.get("dns_prov_g").unwrap().is_none());
    assert_in_step(&s);
    // Foreign keys are on: the index cannot name a provider that is not stored.
    assert!(s
        .conn
        .execute(
            "INSERT INTO provider_suffixes (suffix, provider_id) VALUES ('y.org', 'dns_prov_none')",
            [],
        )
        .is_err());
}

/// A write whose index half fails (a trigger raises, as a crash or a full
/// disk would stop it) leaves neither half: providers and index stay as
/// they were.
#[test]
fn a_write_failing_half_way_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let mut s = ProviderStore::open(t.path()).unwrap();
    let a = sample("dns_prov_a", "2026-01-01T00:00:00.000000Z");
    s.insert(&a).unwrap();
    let before = (s.list().unwrap(), index_rows(&s));
    let fail = |s: &ProviderStore, when: &str| {
        s.conn
            .execute_batch(&format!(
                "DROP TRIGGER IF EXISTS temp.fail_index;
                 CREATE TEMP TRIGGER fail_index BEFORE {when} ON main.provider_suffixes
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
            ))
            .unwrap();
    };

    fail(&s, "INSERT");
    assert!(s
        .insert(&sample("dns_prov_b", "2026-01-02T00:00:00.000000Z"))
        .is_err());
    assert!(s.get("dns_prov_b").unwrap().is_none());
    assert!(s
        .insert_all(&[sample("dns_prov_c", "2026-01-02T00:00:00.000000Z")])
        .is_err());
    assert!(s.get("dns_prov_c").unwrap().is_none());
    fail(&s, "DELETE");
    let mut renamed = a.clone();
    renamed.label = "Renamed".into();
    renamed.suffixes = vec!["x.org".into()];
    assert!(s.update(&renamed).is_err());
    assert!(s.mark_deleting("dns_prov_a").is_err());
    assert!(s.purge("dns_prov_a").is_err());
    assert_eq!((s.list().unwrap(), index_rows(&s)), before);
    assert_eq!(s.get("dns_prov_a").unwrap(), Some(a));

    s.conn
        .execute_batch("DROP TRIGGER temp.fail_index")
        .unwrap();
    s.update(&renamed).unwrap();
    assert_in_step(&s);
}

/// Writes a `dns.sqlite` as the store did before the suffix index existed.
fn old_schema_db(dir: &Path, rows: &[ProviderRow]) {
    let c = Connection::open(dir.join(DB_FILE)).unwrap();
    c.execute_batch(SCHEMA).unwrap();
    for p in rows {
        c.execute(
            &format!(
                "INSERT INTO providers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ),
            params![
                p.id,
                p.provider_type.as_str(),
                p.label,
                serde_json::to_string(&p.suffixes).unwrap(),
                p.secret_ref,
                p.config_json,
                p.created_at,
                p.updated_at,
                p.state.as_str()
            ],
        )
        .unwrap();
    }
}

fn user_version(dir: &Path) -> i64 {
    Connection::open(dir.join(DB_FILE))
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_old_database_is_indexed_once_at_open() {
    let t = tempfile::tempdir().unwrap();
    let mut deleting = sample("dns_prov_d", "2026-01-03T00:00:00.000000Z");
    deleting.state = ProviderState::Deleting;
    let mut other = sample("dns_prov_b", "2026-01-02T00:00:00.000000Z");
    other.suffixes = vec!["sslboard.com".into(), "b.net".into()];
    old_schema_db(
        t.path(),
        &[
            sample("dns_prov_a", "2026-01-01T00:00:00.000000Z"),
            other,
            deleting,
        ],
    );
    assert_eq!(user_version(t.path()), 0);
    let s = ProviderStore::open(t.path()).unwrap();
    assert_eq!(user_version(t.path()), SCHEMA_VERSION);
    assert_in_step(&s);
    assert_eq!(index_rows(&s).len(), 4);
    assert_eq!(ids_on(&s, "sslboard.com"), ["dns_prov_a", "dns_prov_b"]);
    assert_eq!(ids_on(&s, "b.net"), ["dns_prov_b"]);
    drop(s);
    // Idempotent: a second open changes nothing.
    let s = ProviderStore::open(t.path()).unwrap();
    assert_in_step(&s);
    assert_eq!(index_rows(&s).len(), 4);
}

/// A migration that fails (here: a row whose suffixes are not JSON) leaves
/// the file as it was, and the next open after the repair migrates it.
#[test]
fn a_failed_migration_leaves_the_old_database() {
    let t = tempfile::tempdir().unwrap();
    old_schema_db(
        t.path(),
        &[sample("dns_prov_a", "2026-01-01T00:00:00.000000Z")],
    );
    let c = Connection::open(t.path().join(DB_FILE)).unwrap();
    c.execute("UPDATE providers SET suffixes = 'not json'", [])
        .unwrap();
    assert!(ProviderStore::open(t.path()).is_err());
    assert_eq!(user_version(t.path()), 0);
    let has_index: bool = c
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'provider_suffixes')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        !has_index,
        "the schema change was rolled back with the rest"
    );
    c.execute("UPDATE providers SET suffixes = '[\"sslboard.com\"]'", [])
        .unwrap();
    drop(c);
    let s = ProviderStore::open(t.path()).unwrap();
    assert_eq!(ids_on(&s, "sslboard.com"), ["dns_prov_a"]);
    assert_in_step(&s);
}

#[test]
fn a_newer_schema_is_refused() {
    let t = tempfile::tempdir().unwrap();
    drop(ProviderStore::open(t.path()).unwrap());
    Connection::open(t.path().join(DB_FILE))
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let e = ProviderStore::open(t.path()).err().unwrap().to_string();
    assert!(e.contains("newer"), "{e}");
}

#[test]
fn pages_carry_the_ambiguity_flag() {
    let t = tempfile::tempdir().unwrap();
    let mut s = ProviderStore::open(t.path()).unwrap();
    let mut lone = sample("dns_prov_c", "2026-01-03T00:00:00.000000Z");
    lone.suffixes = vec!["lone.example".into()];
    s.insert_all(&[
        sample("dns_prov_a", "2026-01-01T00:00:00.000000Z"),
        sample("dns_prov_b", "2026-01-02T00:00:00.000000Z"),
        lone,
    ])
    .unwrap();
    let flags = |s: &ProviderStore| {
        let (page, next) = s.list_page(None, 10).unwrap().unwrap();
        assert!(next.is_none());
        page.into_iter()
            .map(|f| (f.row.id, f.ambiguous))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        flags(&s),
        [
            ("dns_prov_a".to_string(), true),
            ("dns_prov_b".to_string(), true),
            ("dns_prov_c".to_string(), false)
        ]
    );
    assert_eq!(
        s.get_flagged("dns_prov_a").unwrap().map(|f| f.ambiguous),
        Some(true)
    );
    s.mark_deleting("dns_prov_b").unwrap();
    assert_eq!(
        flags(&s),
        [
            ("dns_prov_a".to_string(), false),
            ("dns_prov_c".to_string(), false)
        ]
    );
    assert_eq!(
        s.get_flagged("dns_prov_b").unwrap().map(|f| f.ambiguous),
        Some(false)
    );
}
