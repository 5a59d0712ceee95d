//! Tests of `SecretStore` against a real SQLite file and an in-memory key source.

use super::*;
use crate::secrets::masterkey::memory::MemorySource;
use shared::protocol::secrets::{SecretKind, SecretType};
use shared::secret::SecretString;

pub(super) type R = VaultResult<()>;

pub(super) fn tmp() -> VaultResult<tempfile::TempDir> {
    tempfile::tempdir().map_err(|e| VaultError::internal(e.to_string()))
}

pub(super) fn open(dir: &tempfile::TempDir, src: &MemorySource) -> VaultResult<SecretStore> {
    SecretStore::open(dir.path(), Box::new(src.clone()))
}

pub(super) fn data(pairs: &[(&str, &str)]) -> SecretData {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), SecretString::from(*v)))
        .collect()
}

pub(super) fn new(name: &str, t: SecretType, pairs: &[(&str, &str)]) -> NewSecret {
    NewSecret {
        name: name.into(),
        secret_type: t,
        kind: SecretKind::Generic,
        data: data(pairs),
        label: Some(format!("label of {name}")),
        description: None,
        tags: vec![],
        owner: None,
        external: None,
        binding: None,
        allowed_hosts: None,
    }
}

pub(super) fn by_name(n: &str) -> SecretSelector {
    SecretSelector::Name(n.into())
}

pub(super) fn value(d: &SecretData, f: &str) -> Option<String> {
    d.get(f).map(|v| v.expose().to_owned())
}

pub(super) fn raw_rows(s: &SecretStore) -> VaultResult<Vec<SecretRow>> {
    rows::list(&s.conn, None, None)
}

#[test]
fn create_get_reveal_round_trip() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    let mut s = open(&dir, &src)?;
    assert!(!s.is_unlocked());
    let m = s.create(new(
        "cf",
        SecretType::ApiKey,
        &[("value", "canary-token-1")],
    ))?;
    assert!(shared::ids::is_secret_id(&m.reference), "{}", m.reference);
    assert_eq!(m.name, "cf");
    assert_eq!(m.fields, vec!["value".to_owned()]);
    assert_eq!(m.created_at, m.updated_at);
    assert!(m.created_at.ends_with('Z'));
    assert!(m.has_local_value && !m.expired && m.external.is_none());
    assert_eq!(s.get_meta(&SecretSelector::Ref(m.reference.clone()))?, m);
    assert_eq!(s.get_meta(&by_name("cf"))?, m);
    let (m2, d) = s.reveal(&SecretSelector::Ref(m.reference.clone()))?;
    assert_eq!(m2, m);
    assert_eq!(value(&d, "value").as_deref(), Some("canary-token-1"));
    assert_eq!(s.decrypt_count(), 1);
    assert_eq!(src.stores(), 1, "one master key generated on first use");
    assert_eq!(
        s.status().key_source,
        shared::protocol::secrets::KeySourceState::Ready(
            shared::protocol::secrets::KeySource::Memory
        )
    );
    assert!(s.status().unlocked);
    Ok(())
}

#[test]
fn update_keeps_identity_and_reencrypts() -> R {
    let dir = tmp()?;
    let mut s = open(&dir, &MemorySource::new())?;
    let m = s.create(new("a", SecretType::ApiKey, &[("value", "old")]))?;
    let before = rows::by_id(&s.conn, &m.reference)?;
    let upd = SecretUpdate {
        data: Some(data(&[("value", "new")])),
        label: Some("renamed".into()),
        description: Some("desc".into()),
        tags: Some(vec!["prod".into()]),
        binding: None,
        allowed_hosts: None,
    };
    let m2 = s.update(&SecretSelector::Ref(m.reference.clone()), upd)?;
    assert_eq!(
        (
            m2.reference.as_str(),
            m2.name.as_str(),
            m2.created_at.as_str()
        ),
        (m.reference.as_str(), "a", m.created_at.as_str())
    );
    assert!(types::parse_rfc3339(&m2.updated_at).ok() > types::parse_rfc3339(&m.updated_at).ok());
    assert_eq!(
        (m2.label.as_str(), m2.description.as_str()),
        ("renamed", "desc")
    );
    assert_eq!(m2.tags, vec!["prod".to_owned()]);
    let after = rows::by_id(&s.conn, &m.reference)?;
    assert_ne!(
        before.as_ref().map(|r| &r.nonce),
        after.as_ref().map(|r| &r.nonce),
        "fresh nonce"
    );
    assert_ne!(before.map(|r| r.ciphertext), after.map(|r| r.ciphertext));
    assert_eq!(
        value(&s.reveal(&by_name("a"))?.1, "value").as_deref(),
        Some("new")
    );
    // A metadata-only update keeps the ciphertext.
    let ct = rows::by_id(&s.conn, &m.reference)?.map(|r| r.ciphertext);
    let m3 = s.update(
        &by_name("a"),
        SecretUpdate {
            label: Some("x".into()),
            ..Default::default()
        },
    )?;
    assert_eq!(
        rows::by_id(&s.conn, &m.reference)?.map(|r| r.ciphertext),
        ct
    );
    assert!(types::parse_rfc3339(&m3.updated_at).ok() > types::parse_rfc3339(&m2.updated_at).ok());
    // Invalid new data is refused and nothing changes.
    let bad = s.update(
        &by_name("a"),
        SecretUpdate {
            data: Some(data(&[("value", " ")])),
            ..Default::default()
        },
    );
    assert!(matches!(bad, Err(VaultError::Validation { .. })));
    assert_eq!(
        value(&s.reveal(&by_name("a"))?.1, "value").as_deref(),
        Some("new")
    );
    assert!(matches!(
        s.update(&by_name("zz"), SecretUpdate::default()),
        Err(VaultError::NotFound { .. })
    ));
    Ok(())
}

#[test]
fn delete_removes_the_secret() -> R {
    let dir = tmp()?;
    let mut s = open(&dir, &MemorySource::new())?;
    let m = s.create(new("a", SecretType::ApiKey, &[("value", "v")]))?;
    assert_eq!(s.delete(&by_name("a"))?.reference, m.reference);
    let sel = SecretSelector::Ref(m.reference);
    assert!(matches!(s.get_meta(&sel), Err(VaultError::NotFound { .. })));
    assert!(matches!(s.reveal(&sel), Err(VaultError::NotFound { .. })));
    assert!(matches!(s.delete(&sel), Err(VaultError::NotFound { .. })));
    // The name is free again.
    s.create(new("a", SecretType::ApiKey, &[("value", "v2")]))?;
    Ok(())
}

#[test]
fn list_filters_by_kind_type_and_tag() -> R {
    let dir = tmp()?;
    let mut s = open(&dir, &MemorySource::new())?;
    let mut a = new("a", SecretType::ApiKey, &[("value", "v")]);
    a.tags = vec!["prod".into(), "dns".into()];
    a.kind = SecretKind::DnsProviderToken;
    s.create(a)?;
    let mut b = new(
        "b",
        SecretType::BasicAuth,
        &[("username", "u"), ("password", "p")],
    );
    b.tags = vec!["prod".into()];
    s.create(b)?;
    s.create(new("c", SecretType::ApiKey, &[("value", "v")]))?;
    let names = |f: SecretFilter| -> VaultResult<Vec<String>> {
        Ok(s.list(&f)?.into_iter().map(|m| m.name).collect())
    };
    assert_eq!(names(SecretFilter::default())?, ["a", "b", "c"]);
    assert_eq!(
        names(SecretFilter {
            kind: Some(SecretKind::DnsProviderToken),
            ..Default::default()
        })?,
        ["a"]
    );
    assert_eq!(
        names(SecretFilter {
            secret_type: Some(SecretType::ApiKey),
            ..Default::default()
        })?,
        ["a", "c"]
    );
    assert_eq!(
        names(SecretFilter {
            tag: Some("prod".into()),
            ..Default::default()
        })?,
        ["a", "b"]
    );
    assert_eq!(
        names(SecretFilter {
            tag: Some("prod".into()),
            secret_type: Some(SecretType::ApiKey),
            kind: None
        })?,
        ["a"]
    );
    assert!(names(SecretFilter {
        tag: Some("nope".into()),
        ..Default::default()
    })?
    .is_empty());
    Ok(())
}

#[test]
fn duplicate_name_is_a_conflict() -> R {
    let dir = tmp()?;
    let mut s = open(&dir, &MemorySource::new())?;
    s.create(new("a", SecretType::ApiKey, &[("value", "v")]))?;
    let e = s.create(new("a", SecretType::ApiKey, &[("value", "w")]));
    assert!(matches!(e, Err(VaultError::Conflict { ref name }) if name == "a"));
    assert_eq!(raw_rows(&s)?.len(), 1);
    Ok(())
}

#[test]
fn invalid_input_is_rejected_before_the_key_is_touched() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    let mut s = open(&dir, &src)?;
    let huge = "x".repeat(1024 * 1024);
    let cases: Vec<(NewSecret, &str)> = vec![
        (
            new("big", SecretType::ApiKey, &[("value", &huge)]),
            "data.value",
        ),
        (
            new("u", SecretType::ApiKey, &[("value", "v"), ("extra", "x")]),
            "data.extra",
        ),
        (
            new("bad name", SecretType::ApiKey, &[("value", "v")]),
            "name",
        ),
        (new("k1", SecretType::ApiKey, &[]), "data.value"),
        (
            new("k2", SecretType::BasicAuth, &[("username", "u")]),
            "data.password",
        ),
        (
            new("k3", SecretType::BasicAuth, &[("password", "p")]),
            "data.username",
        ),
        (new("k4", SecretType::BearerToken, &[]), "data.token"),
        (
            new("k5", SecretType::Oauth, &[("clientSecret", "s")]),
            "data.clientId",
        ),
        (
            new("k6", SecretType::Oauth, &[("clientId", "i")]),
            "data.clientSecret",
        ),
        (new("k7", SecretType::Custom, &[]), "data"),
        (new("k8", SecretType::PrivateKey, &[]), "data.pem"),
        (
            new("k9", SecretType::PrivateKey, &[("pem", "hello")]),
            "data.pem",
        ),
    ];
    for (n, field) in cases {
        match s.create(n) {
            Err(VaultError::Validation { field: f, message }) => {
                assert_eq!(f, field);
                assert!(!message.contains("xxxx"));
            }
            other => panic!("expected validation error on {field}, got {other:?}"),
        }
    }
    assert_eq!(src.stores(), 0, "no key generated for rejected input");
    assert!(!s.is_unlocked());
    assert!(raw_rows(&s)?.is_empty());
    Ok(())
}

#[test]
fn bearer_expiry_is_flagged() -> R {
    let dir = tmp()?;
    let mut s = open(&dir, &MemorySource::new())?;
    let past = s.create(new(
        "old",
        SecretType::BearerToken,
        &[("token", "t"), ("expiresAt", "2001-01-01T01:00:00+01:00")],
    ))?;
    assert!(past.expired);
    assert_eq!(past.expires_at.as_deref(), Some("2001-01-01T00:00:00Z"));
    let future = s.create(new(
        "new",
        SecretType::BearerToken,
        &[("token", "t"), ("expiresAt", "2999-01-01T00:00:00Z")],
    ))?;
    assert!(!future.expired);
    let none = s.create(new("none", SecretType::BearerToken, &[("token", "t")]))?;
    assert!(!none.expired && none.expires_at.is_none());
    let upd = SecretUpdate {
        data: Some(data(&[("token", "t2")])),
        ..Default::default()
    };
    assert!(
        !s.update(&by_name("old"), upd)?.expired,
        "new data without expiry clears it"
    );
    Ok(())
}

#[test]
fn owned_secrets_are_deleted_together() -> R {
    let dir = tmp()?;
    let mut s = open(&dir, &MemorySource::new())?;
    for (n, owner) in [
        ("a", Some("dns_prov_1")),
        ("b", Some("dns_prov_1")),
        ("c", Some("dns_prov_2")),
        ("d", None),
    ] {
        let mut x = new(n, SecretType::ApiKey, &[("value", "v")]);
        x.kind = SecretKind::DnsProviderToken;
        x.owner = owner.map(str::to_owned);
        s.create(x)?;
    }
    assert_eq!(s.delete_owned_by("dns_prov_1")?, 2);
    assert_eq!(s.delete_owned_by("dns_prov_1")?, 0);
    let left: Vec<String> = s
        .list(&SecretFilter::default())?
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(left, ["c", "d"]);
    Ok(())
}

#[test]
fn external_secret_without_local_value() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    let mut s = open(&dir, &src)?;
    let mut x = new("ext", SecretType::ApiKey, &[]);
    x.external = Some(ExternalSource {
        path: "dns/cf".into(),
    });
    let m = s.create(x)?;
    assert!(!m.has_local_value);
    assert_eq!(m.external.map(|e| e.path).as_deref(), Some("dns/cf"));
    assert!(matches!(
        s.reveal(&by_name("ext")),
        Err(VaultError::NotFound { .. })
    ));
    assert_eq!(src.stores(), 0);
    // With a local fallback copy, the data is validated and stored.
    let mut y = new("ext2", SecretType::ApiKey, &[("value", "local")]);
    y.external = Some(ExternalSource {
        path: "dns/cf2".into(),
    });
    assert!(s.create(y)?.has_local_value);
    Ok(())
}

#[test]
fn store_can_move_into_an_actor_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<SecretStore>();
}

/// Issue 13 item 6: a provider token is sealed paired with its owner and
/// endpoint; the pairing comes back with the reveal; editing the owner or
/// the pairing in the database makes it fail to open; a legacy token is
/// paired once, and a paired one is re-paired only with its value.
#[test]
fn provider_tokens_are_sealed_paired_with_owner_and_endpoint() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    let mut s = open(&dir, &src)?;
    let pairing = |endpoint: Option<&str>| TokenBinding {
        owner: "dns_prov_a".into(),
        endpoint: endpoint.map(str::to_string),
    };
    let mut t = new("tok", SecretType::ApiKey, &[("value", "tok-value")]);
    t.kind = SecretKind::DnsProviderToken;
    t.owner = Some("dns_prov_a".into());
    t.binding = Some(pairing(Some("http://pdns:8081")));
    let m = s.create(t.clone())?;
    let sel = SecretSelector::Ref(m.reference.clone());
    let (_, d, b) = s.reveal_token(&sel)?;
    assert_eq!(value(&d, "value").as_deref(), Some("tok-value"));
    assert_eq!(b, Some(pairing(Some("http://pdns:8081"))));

    // Only a provider token, and only to its own owner.
    let mut g = new("gen", SecretType::ApiKey, &[("value", "v")]);
    g.binding = Some(pairing(None));
    assert!(s.create(g).is_err());
    let mut other = t.clone();
    other.name = "tok2".into();
    other.binding = Some(TokenBinding {
        owner: "dns_prov_b".into(),
        endpoint: None,
    });
    assert!(s.create(other).is_err());

    // Re-pairing without the value is refused; with it, accepted.
    let rebind = |endpoint: Option<&str>, value: Option<&str>| SecretUpdate {
        data: value.map(|v| data(&[("value", v)])),
        binding: Some(pairing(endpoint)),
        ..SecretUpdate::default()
    };
    assert!(matches!(
        s.update(&sel, rebind(Some("http://evil:8081"), None)),
        Err(VaultError::Forbidden(_))
    ));
    s.update(&sel, rebind(Some("http://pdns:8081"), None))?; // same: no-op
    s.update(&sel, rebind(Some("http://new:8081"), Some("new-value")))?;
    assert_eq!(
        s.reveal_token(&sel)?.2,
        Some(pairing(Some("http://new:8081")))
    );

    // Edited outside the core: the pairing or the owner.
    for (binding, owner, opens) in [
        ("http://evil:8081", "dns_prov_a", false),
        ("http://new:8081", "dns_prov_b", false),
        ("http://new:8081", "dns_prov_a", true),
    ] {
        s.conn.execute(
            "UPDATE secret_metadata SET token_binding = ?2, owner = ?3 WHERE id = ?1",
            [&m.reference, binding, owner],
        )?;
        match s.reveal_token(&sel) {
            Err(VaultError::Decrypt { .. }) => assert!(!opens, "{binding} {owner}"),
            other => assert!(opens && other.is_ok(), "{binding} {owner}"),
        }
    }

    // A legacy token (sealed before pairings): paired once by the migration.
    let mut legacy = t.clone();
    legacy.name = "legacy".into();
    legacy.binding = None;
    let l = s.create(legacy)?;
    let lsel = SecretSelector::Ref(l.reference.clone());
    assert_eq!(s.reveal_token(&lsel)?.2, None);
    s.update(&lsel, rebind(None, None))?;
    assert_eq!(s.reveal_token(&lsel)?.2, Some(pairing(None)));
    assert_eq!(
        value(&s.reveal_token(&lsel)?.1, "value").as_deref(),
        Some("tok-value")
    );
    assert!(s
        .update(&lsel, rebind(Some("http://evil:8081"), None))
        .is_err());
    Ok(())
}

#[test]
fn allowed_hosts_are_sealed_with_the_value() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    let mut s = open(&dir, &src)?;
    let mut n = new("cdn", SecretType::ApiKey, &[("value", "v-123")]);
    n.allowed_hosts = Some(vec!["API.example.com".into(), "127.0.0.1".into()]);
    let m = s.create(n)?;
    assert_eq!(
        m.allowed_hosts,
        Some(vec!["127.0.0.1".to_string(), "api.example.com".to_string()])
    );
    // A new list without the value is refused; the same list is a no-op.
    let change = |hosts: &[&str], value: Option<&str>| SecretUpdate {
        allowed_hosts: Some(hosts.iter().map(|h| h.to_string()).collect()),
        data: value.map(|v| data(&[("value", v)])),
        ..Default::default()
    };
    assert!(matches!(
        s.update(&by_name("cdn"), change(&["evil.example"], None)),
        Err(VaultError::Forbidden(_))
    ));
    s.update(
        &by_name("cdn"),
        change(&["api.example.com", "127.0.0.1"], None),
    )?;
    let m = s.update(&by_name("cdn"), change(&["evil.example"], Some("v-456")))?;
    assert_eq!(m.allowed_hosts, Some(vec!["evil.example".to_string()]));
    let (_, d) = s.reveal(&by_name("cdn"))?;
    assert_eq!(value(&d, "value").as_deref(), Some("v-456"));
    // Editing the list in the database makes the value fail to open.
    s.conn.execute(
        "UPDATE secret_metadata SET allowed_hosts = '[\"attacker.example\"]' WHERE name = 'cdn'",
        [],
    )?;
    assert!(s.reveal(&by_name("cdn")).is_err());
    // Keys and provider tokens never get a list.
    let mut k = new("pk", SecretType::PrivateKey, &[("pem", TEST_P256_PEM)]);
    k.kind = SecretKind::AcmeAccountKey;
    k.allowed_hosts = Some(vec!["a.example".into()]);
    assert!(matches!(s.create(k), Err(VaultError::Forbidden(_))));
    Ok(())
}

/// A P-256 key made for these tests only (PKCS#8).
const TEST_P256_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdzuUTfZRAUvKqjWT
Pd+JU1R4N2qEh/0t0tswYz+K76GhRANCAARLeAq8gKVLDBgqNIuMw28ERHlHM27m
lXzsnls4D4yjDGR2TRunYKhdUtwga0UBmH01Xkr0KyghjfWqdsqAslST
-----END PRIVATE KEY-----
";

/// A secret of a key kind is a key the core signs with, or it is refused with
/// nothing stored: `secret_create` cannot make a key row `key_import` would
/// refuse, nor one without its public half.
#[test]
fn a_key_kind_secret_is_a_usable_key_or_refused() -> R {
    let dir = tmp()?;
    let src = MemorySource::new();
    let mut s = open(&dir, &src)?;
    let ed25519 = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIOD7Fm3EynljLZ3sGpu3xgSBjoCY42x96T29q5RcpbPX\n-----END PRIVATE KEY-----\n";
    for kind in [SecretKind::AcmeAccountKey, SecretKind::ManagedPrivateKey] {
        let mut k = new(
            "wrong-type",
            SecretType::BasicAuth,
            &[("username", "u"), ("password", "p")],
        );
        k.kind = kind;
        match s.create(k) {
            Err(VaultError::Validation { field, .. }) => assert_eq!(field, "type"),
            other => panic!("{other:?}"),
        }
        for bad in [ed25519, "not a pem"] {
            let mut k = new("bad-pem", SecretType::PrivateKey, &[("pem", bad)]);
            k.kind = kind;
            match s.create(k) {
                Err(VaultError::Validation { field, .. }) => assert_eq!(field, "data.pem"),
                other => panic!("{other:?}"),
            }
        }
        let mut k = new(
            kind.as_str(),
            SecretType::PrivateKey,
            &[("pem", TEST_P256_PEM)],
        );
        k.kind = kind;
        let m = s.create(k)?;
        assert!(m.public_key.is_some(), "{m:?}");
        // Replacing the value is held to the same rule.
        let update = SecretUpdate {
            data: Some(data(&[("pem", ed25519)])),
            ..Default::default()
        };
        assert!(matches!(
            s.update(&by_name(kind.as_str()), update),
            Err(VaultError::Validation { .. })
        ));
    }
    // An ACME account's EAB HMAC key; a managed key is never one.
    let mut k = new("eab", SecretType::ApiKey, &[("value", "hmac")]);
    k.kind = SecretKind::AcmeAccountKey;
    assert!(s.create(k)?.public_key.is_none());
    let mut k = new("not-eab", SecretType::ApiKey, &[("value", "hmac")]);
    k.kind = SecretKind::ManagedPrivateKey;
    assert!(matches!(s.create(k), Err(VaultError::Validation { .. })));
    // A generic private key may be any PEM private key (e.g. an Ed25519 SSH
    // or deploy key), with no public half.
    let m = s.create(new("deploy", SecretType::PrivateKey, &[("pem", ed25519)]))?;
    assert!(m.public_key.is_none());
    let names: Vec<String> = s
        .list(&SecretFilter::default())?
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    Ok(())
}
