//! The spec's DNS provider scenarios, one by one, through the registry
//! (validation, `dns.sqlite` and the index together).

use proptest::prelude::*;
use shared::error::{ErrorCode, WireError};
use shared::protocol::dns::{ManualInstructions, ProviderType};

use super::*;

pub(super) const TOKEN_REF: &str = "sec_0123456789abcdef0123456789abcdef";

pub(super) fn registry() -> (tempfile::TempDir, ProviderRegistry) {
    let t = tempfile::tempdir().unwrap();
    let r = ProviderRegistry::open(t.path()).unwrap();
    (t, r)
}

pub(super) fn draft(ty: &str, label: &str, suffixes: &str, has_token: bool) -> ProviderDraft {
    ProviderDraft {
        provider_type: ty.into(),
        label: label.into(),
        domain_suffixes: SuffixInput::Text(suffixes.into()),
        config_json: None,
        has_token,
    }
}

/// The broker's create flow, with a fake vault ref.
pub(super) fn create(
    r: &mut ProviderRegistry,
    ty: &str,
    label: &str,
    suffixes: &str,
) -> ProviderWithWarnings {
    let needs = ty != "manual";
    let p = r
        .prepare_create(&draft(ty, label, suffixes, needs))
        .unwrap();
    r.commit_create(p, needs.then(|| TOKEN_REF.to_string()))
        .unwrap()
}

pub(super) fn resolved_id(r: &ProviderRegistry, host: &str) -> Option<String> {
    match r.resolve(host, None).unwrap() {
        Resolution::Provider { provider, .. } => Some(provider.id),
        Resolution::Manual { .. } => None,
    }
}

pub(super) fn field(e: DnsError) -> (ErrorCode, Option<String>, String) {
    let w = WireError::from(e);
    (w.code, w.field, w.message)
}

pub(super) fn no_update(id: &str) -> ProviderUpdate {
    ProviderUpdate {
        id: id.into(),
        label: None,
        domain_suffixes: None,
        config_json: None,
        api_token: None,
    }
}

#[test]
fn creating_a_cloudflare_provider_with_domains() {
    let (_t, mut r) = registry();
    for (label, input) in [
        ("Production CF", "sslboard.com, qcready.com"),
        ("Space form", "sslboard.com qcready.com"),
    ] {
        let p = r
            .prepare_create(&draft("cloudflare", label, input, true))
            .unwrap();
        assert!(shared::ids::is_provider_id(&p.id), "{}", p.id);
        assert!(p.needs_token);
        assert_eq!(p.domain_suffixes, ["sslboard.com", "qcready.com"]);
        let c = r.commit_create(p.clone(), Some(TOKEN_REF.into())).unwrap();
        assert_eq!(c.provider.id, p.id);
        assert_eq!(c.provider.label, label);
        assert_eq!(c.provider.provider_type, ProviderType::Cloudflare);
        assert_eq!(c.provider.domain_suffixes, ["sslboard.com", "qcready.com"]);
        assert_eq!(c.provider.secret_ref.as_deref(), Some(TOKEN_REF));
        assert_eq!(c.provider.config_json, "{}");
        assert_eq!(c.provider.created_at, c.provider.updated_at);
        // The same id cannot be committed twice.
        assert!(matches!(
            r.commit_create(p, Some(TOKEN_REF.into())),
            Err(DnsError::Conflict(_))
        ));
    }
}

#[test]
fn listing_returns_metadata_oldest_first_and_survives_restart() {
    let (t, mut r) = registry();
    let a = create(&mut r, "cloudflare", "A", "a.com");
    let b = create(&mut r, "manual", "B", "b.com");
    let list = r.list().unwrap();
    assert_eq!(
        list.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        [a.provider.id.as_str(), b.provider.id.as_str()]
    );
    assert!(list[0].created_at < list[1].created_at);
    assert_eq!(list[1].secret_ref, None);
    assert_eq!(r.count().unwrap(), 2);
    drop(r);
    let r = ProviderRegistry::open(t.path()).unwrap();
    assert_eq!(r.list().unwrap(), list);
    assert_eq!(resolved_id(&r, "www.b.com"), Some(b.provider.id));
}

#[test]
fn longest_suffix_wins_subdomain_and_apex() {
    let (_t, mut r) = registry();
    let a = create(&mut r, "cloudflare", "A", "sslboard.com")
        .provider
        .id;
    let b = create(&mut r, "digitalocean", "B", "api.sslboard.com")
        .provider
        .id;
    assert_eq!(resolved_id(&r, "api.sslboard.com"), Some(b.clone()));
    assert_eq!(resolved_id(&r, "v2.api.sslboard.com"), Some(b));
    assert_eq!(resolved_id(&r, "desktop.sslboard.com"), Some(a.clone()));
    assert_eq!(resolved_id(&r, "sslboard.com"), Some(a.clone()));
    assert_eq!(resolved_id(&r, "*.sslboard.com"), Some(a.clone()));
    assert_eq!(resolved_id(&r, "WWW.SSLBoard.com."), Some(a));
    match r.resolve("desktop.sslboard.com", None).unwrap() {
        Resolution::Provider {
            matched_suffix,
            warnings,
            ..
        } => {
            assert_eq!(matched_suffix, "sslboard.com");
            assert!(warnings.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn whole_labels_only() {
    let (_t, mut r) = registry();
    create(&mut r, "cloudflare", "A", "sslboard.com");
    assert_eq!(resolved_id(&r, "notsslboard.com"), None);
    assert_eq!(resolved_id(&r, "www.notsslboard.com"), None);
    assert_eq!(resolved_id(&r, "sslboard.com.au"), None);
}

#[test]
fn overlapping_suffixes_warn_and_name_the_provider_used() {
    let (_t, mut r) = registry();
    let a = create(&mut r, "cloudflare", "CF", "sslboard.com");
    assert!(a.warnings.is_empty());
    let b = create(&mut r, "digitalocean", "DO", "sslboard.com, other.com");
    let (a_id, b_id) = (a.provider.id.clone(), b.provider.id.clone());
    assert_eq!(b.warnings.len(), 1);
    let w = &b.warnings[0];
    assert!(
        w.contains(&a_id) && w.contains(&b_id) && w.contains("sslboard.com"),
        "{w}"
    );
    assert!(w.ends_with(&format!("CF ({a_id}) will be used")), "{w}");
    assert!(b.provider.ambiguous);
    assert!(r.list().unwrap().iter().all(|p| p.ambiguous));
    let got = r.get(&a_id).unwrap();
    assert!(
        got.provider.ambiguous && got.warnings[0].ends_with(&format!("CF ({a_id}) will be used"))
    );
    // Issuance proceeds with the oldest and carries the warning.
    match r.resolve("www.sslboard.com", None).unwrap() {
        Resolution::Provider {
            provider, warnings, ..
        } => {
            assert_eq!(provider.id, a_id);
            assert_eq!(warnings.len(), 1);
            assert!(
                warnings[0].contains("ambiguous") && warnings[0].contains(&b_id),
                "{warnings:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(resolved_id(&r, "other.com"), Some(b_id.clone()));
    let amb = r.ambiguities().unwrap();
    assert_eq!(amb.len(), 1);
    assert_eq!(amb[0].used().map(|e| e.id.clone()), Some(a_id.clone()));
    // Moving B away clears the ambiguity.
    let mut upd = no_update(&b_id);
    upd.domain_suffixes = Some(SuffixInput::List(vec!["other.com".into()]));
    let u = r.update(&upd).unwrap();
    assert!(u.warnings.is_empty() && !u.provider.ambiguous);
    assert!(r.ambiguities().unwrap().is_empty());
}

#[test]
fn no_provider_means_manual_instructions() {
    let (_t, mut r) = registry();
    create(&mut r, "cloudflare", "A", "sslboard.com");
    let value = "gfj9Xq-Xq8Y1gF3fJxL7N3T8lN8n2WwQ2-CsPmIu6r0";
    match r.resolve("Unassigned.Example.com", Some(value)).unwrap() {
        Resolution::Manual { instructions } => assert_eq!(
            instructions,
            ManualInstructions {
                record_name: "_acme-challenge.unassigned.example.com".into(),
                record_type: "TXT".into(),
                value: Some(value.into()),
                check: "dig +short TXT _acme-challenge.unassigned.example.com".into(),
            }
        ),
        other => panic!("{other:?}"),
    }
    match r.resolve("*.unassigned.example.com", None).unwrap() {
        Resolution::Manual { instructions } => {
            assert_eq!(
                instructions.record_name,
                "_acme-challenge.unassigned.example.com"
            );
            assert_eq!(instructions.value, None);
        }
        other => panic!("{other:?}"),
    }
    for bad in ["", "a b", "x\"; rm -rf", &"v".repeat(256)] {
        assert_eq!(
            field(r.resolve("a.example", Some(bad)).unwrap_err())
                .1
                .as_deref(),
            Some("value")
        );
    }
    assert_eq!(
        field(r.resolve("a.*.example", None).unwrap_err())
            .1
            .as_deref(),
        Some("hostname")
    );
}

#[test]
fn invalid_type_and_token_presence_are_rejected() {
    let (_t, r) = registry();
    let (code, f, msg) = field(
        r.prepare_create(&draft("godaddy", "X", "a.com", true))
            .unwrap_err(),
    );
    assert_eq!((code, f.as_deref()), (ErrorCode::Validation, Some("type")));
    for t in ProviderType::ALL {
        assert!(msg.contains(t.as_str()), "{msg}");
    }
    let e = field(
        r.prepare_create(&draft("cloudflare", "X", "a.com", false))
            .unwrap_err(),
    );
    assert_eq!(e.1.as_deref(), Some("apiToken"));
    let e = field(
        r.prepare_create(&draft("manual", "X", "a.com", true))
            .unwrap_err(),
    );
    assert_eq!(e.1.as_deref(), Some("apiToken"));
    for label in ["", "   ", &"x".repeat(129), "a\nb"] {
        let e = field(
            r.prepare_create(&draft("manual", label, "a.com", false))
                .unwrap_err(),
        );
        assert_eq!(e.1.as_deref(), Some("label"), "{label:?}");
    }
    assert!(r
        .prepare_create(&draft("manual", &"x".repeat(128), "a.com", false))
        .is_ok());
    let e = field(
        r.prepare_create(&draft("manual", "X", "a.com, *.b.com", false))
            .unwrap_err(),
    );
    assert_eq!(e.1.as_deref(), Some("domainSuffixes"));
    assert!(e.2.contains("*.b.com"), "{}", e.2);
    let mut d = draft("powerdns", "X", "a.com", true);
    assert_eq!(
        field(r.prepare_create(&d).unwrap_err()).1.as_deref(),
        Some("config")
    );
    d.config_json = Some(r#"{"serverUrl":"http://127.0.0.1:8081/"}"#.into());
    assert_eq!(
        r.prepare_create(&d).unwrap().config_json,
        r#"{"serverUrl":"http://127.0.0.1:8081","serverId":"localhost"}"#
    );
}

#[test]
fn idna_suffixes_and_hostnames() {
    let (_t, mut r) = registry();
    let p = create(&mut r, "cloudflare", "IDN", "bücher.example");
    assert_eq!(p.provider.domain_suffixes, ["xn--bcher-kva.example"]);
    assert_eq!(
        resolved_id(&r, "www.bücher.example"),
        Some(p.provider.id.clone())
    );
    assert_eq!(
        resolved_id(&r, "xn--bcher-kva.example"),
        Some(p.provider.id)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    /// Through the whole registry: the winner is the provider with the most
    /// labels in a matching suffix, the oldest among equals.
    #[test]
    fn registry_resolution_matches_brute_force(
        sets in proptest::collection::vec(proptest::collection::vec(0usize..6, 1..3), 1..6),
        host in proptest::collection::vec(0usize..4, 1..4),
        wildcard in proptest::bool::ANY,
    ) {
        const NAMES: [&str; 6] = ["x.test", "a.x.test", "b.x.test", "a.b.x.test", "ab.x.test", "y.test"];
        const LABELS: [&str; 4] = ["a", "b", "ab", "w"];
        let (_t, mut r) = registry();
        let mut providers = Vec::new();
        for (i, set) in sets.iter().enumerate() {
            let suffixes: Vec<&str> = set.iter().map(|n| NAMES[*n]).collect();
            let p = create(&mut r, "manual", &format!("P{i}"), &suffixes.join(","));
            providers.push((p.provider.id, suffixes));
        }
        let mut h: Vec<&str> = host.iter().map(|l| LABELS[*l]).collect();
        h.push("x.test");
        let host = h.join(".");
        let want = providers
            .iter()
            .filter_map(|(id, sufs)| {
                sufs.iter()
                    .filter(|s| host == **s || host.ends_with(&format!(".{s}")))
                    .map(|s| s.split('.').count())
                    .max()
                    .map(|n| (n, id.clone()))
            })
            .fold(None::<(usize, String)>, |best, (n, id)| match best {
                Some((bn, _)) if bn >= n => best,
                _ => Some((n, id)),
            })
            .map(|(_, id)| id);
        let query = if wildcard { format!("*.{host}") } else { host.to_uppercase() };
        prop_assert_eq!(resolved_id(&r, &query), want);
    }
}

/// Keyset pages are exactly the pages of the whole list, in order, for any
/// page size; a provider being deleted is skipped and is no cursor; an
/// unknown cursor is a validation error on `after`.
#[test]
fn list_pages_are_the_whole_list_in_order() {
    let (_t, mut r) = registry();
    for i in 0..23 {
        create(&mut r, "manual", &format!("P{i}"), &format!("p{i}.example"));
    }
    // Two providers on one suffix: the ambiguity flag is the same on pages.
    create(&mut r, "manual", "Dup", "p3.example");
    let gone = r.list().unwrap()[5].id.clone();
    r.delete_begin(&gone).unwrap();
    let all = r.list().unwrap();
    assert_eq!(all.len(), 23);
    assert!(all.iter().any(|p| p.ambiguous));
    for limit in [1, 2, 7, 23, 24, 500] {
        let mut walked = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, next) = r.list_page(after.as_deref(), limit).unwrap();
            assert!(page.len() <= limit as usize);
            walked.extend(page);
            match next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(walked, all, "page size {limit}");
    }
    assert_eq!(r.list_page(None, 0).unwrap(), (vec![], None));
    for bad in [gone.as_str(), "dns_prov_nope"] {
        let (code, f, _) = field(r.list_page(Some(bad), 5).unwrap_err());
        assert_eq!((code, f.as_deref()), (ErrorCode::Validation, Some("after")));
    }
}
