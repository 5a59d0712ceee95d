//! `dns.sqlite`: round trips (property-tested), ordering, the two-step
//! delete, and file permissions.

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
    }
}
