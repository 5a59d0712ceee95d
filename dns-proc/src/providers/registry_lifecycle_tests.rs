//! The provider lifecycle through the registry: what `commit_create`
//! re-checks, updates (secret ref kept, endpoint moves guarded) and the
//! two-step, resumable delete.

use shared::error::ErrorCode;

use super::tests::{create, draft, field, no_update, registry, resolved_id, TOKEN_REF};
use super::*;

#[test]
fn commit_create_revalidates_what_the_broker_forwards() {
    let (_t, mut r) = registry();
    let good = r
        .prepare_create(&draft("cloudflare", "X", "a.com", true))
        .unwrap();
    let mut p = good.clone();
    p.id = "dns_prov_1".into();
    assert!(r.commit_create(p, Some(TOKEN_REF.into())).is_err());
    assert!(
        r.commit_create(good.clone(), None).is_err(),
        "token type without a ref"
    );
    assert!(r
        .commit_create(good.clone(), Some("not-a-ref".into()))
        .is_err());
    let mut p = good.clone();
    p.domain_suffixes = vec!["*.a.com".into()];
    assert!(r.commit_create(p, Some(TOKEN_REF.into())).is_err());
    let mut p = good.clone();
    p.config_json = r#"{"x":1}"#.into();
    assert!(r.commit_create(p, Some(TOKEN_REF.into())).is_err());
    assert_eq!(r.count().unwrap(), 0);
    assert!(r.commit_create(good, Some(TOKEN_REF.into())).is_ok());
}

#[test]
fn updates_keep_the_secret_ref_and_guard_endpoints() {
    let (_t, mut r) = registry();
    let cf = create(&mut r, "cloudflare", "CF", "a.com").provider;
    let mut upd = no_update(&cf.id);
    upd.label = Some(" CF2 ".into());
    upd.domain_suffixes = Some(SuffixInput::Text("a.com b.com".into()));
    let prepared = r.prepare_update(&upd, false).unwrap();
    assert_eq!(prepared.secret_ref.as_deref(), Some(TOKEN_REF));
    let u = r.commit_update(upd, None).unwrap().provider;
    assert_eq!(
        (u.label.as_str(), u.secret_ref.as_deref()),
        ("CF2", Some(TOKEN_REF))
    );
    assert_eq!(u.domain_suffixes, ["a.com", "b.com"]);
    assert_eq!(u.created_at, cf.created_at);
    assert!(u.updated_at >= cf.updated_at);
    assert_eq!(resolved_id(&r, "b.com"), Some(cf.id.clone()));
    // A token-only update is valid (the broker replaces the value).
    assert_eq!(
        r.prepare_update(&no_update(&cf.id), true)
            .unwrap()
            .secret_ref
            .as_deref(),
        Some(TOKEN_REF)
    );

    let manual = create(&mut r, "manual", "M", "m.com").provider;
    assert_eq!(
        field(r.prepare_update(&no_update(&manual.id), true).unwrap_err())
            .1
            .as_deref(),
        Some("apiToken")
    );
    assert_eq!(
        field(
            r.prepare_update(&no_update("dns_prov_missing"), false)
                .unwrap_err()
        )
        .0,
        ErrorCode::NotFound
    );

    let mut d = draft("powerdns", "PDNS", "p.test", true);
    d.config_json = Some(r#"{"serverUrl":"http://127.0.0.1:8081"}"#.into());
    let p = r.prepare_create(&d).unwrap();
    let pdns = r.commit_create(p, Some(TOKEN_REF.into())).unwrap().provider;
    let mut moved = no_update(&pdns.id);
    moved.config_json = Some(r#"{"serverUrl":"http://evil.example:8081"}"#.into());
    let (code, f, msg) = field(r.prepare_update(&moved, false).unwrap_err());
    assert_eq!(
        (code, f.as_deref()),
        (ErrorCode::Validation, Some("apiToken"))
    );
    assert!(msg.contains("token"), "{msg}");
    // A commit without the approving prepare is refused too.
    assert!(r.commit_update(moved.clone(), None).is_err());
    // Same endpoint written differently is not a move.
    let mut same = no_update(&pdns.id);
    same.config_json =
        Some(r#"{"serverUrl":"HTTP://127.0.0.1:8081/","serverId":"localhost"}"#.into());
    r.prepare_update(&same, false).unwrap();
    r.commit_update(same, None).unwrap();
    // With a token: approved once.
    let approval = r.prepare_update(&moved, true).unwrap().approval;
    assert!(approval.is_some());
    let u = r
        .commit_update(moved.clone(), approval.as_deref())
        .unwrap()
        .provider;
    assert_eq!(
        u.config_json,
        r#"{"serverUrl":"http://evil.example:8081","serverId":"localhost"}"#
    );
    assert_eq!(u.secret_ref.as_deref(), Some(TOKEN_REF));
    let mut back = no_update(&pdns.id);
    back.config_json = Some(r#"{"serverUrl":"http://127.0.0.1:8081"}"#.into());
    assert!(r.update(&back).is_err());
    back.api_token = Some("new-token".into());
    assert!(r.update(&back).is_ok());
}

#[test]
fn delete_is_two_steps_and_resumable() {
    let (t, mut r) = registry();
    let a = create(&mut r, "cloudflare", "A", "a.com").provider;
    let m = create(&mut r, "manual", "M", "m.com").provider;
    assert_eq!(r.delete_begin(&a.id).unwrap().as_deref(), Some(TOKEN_REF));
    assert_eq!(resolved_id(&r, "a.com"), None);
    assert_eq!(r.list().unwrap().len(), 1);
    assert_eq!(field(r.get(&a.id).unwrap_err()).0, ErrorCode::NotFound);
    assert_eq!(
        r.list_deleting().unwrap(),
        [(a.id.clone(), Some(TOKEN_REF.to_string()))]
    );
    assert_eq!(
        field(r.delete_finish(&m.id).unwrap_err()).0,
        ErrorCode::Conflict
    );
    // Interrupted here: the next start still knows, and begin resumes.
    drop(r);
    let mut r = ProviderRegistry::open(t.path()).unwrap();
    assert_eq!(resolved_id(&r, "a.com"), None);
    assert_eq!(r.list_deleting().unwrap().len(), 1);
    assert_eq!(r.delete_begin(&a.id).unwrap().as_deref(), Some(TOKEN_REF));
    r.delete_finish(&a.id).unwrap();
    r.delete_finish(&a.id).unwrap();
    assert!(r.list_deleting().unwrap().is_empty());
    assert_eq!(
        field(r.delete_begin(&a.id).unwrap_err()).0,
        ErrorCode::NotFound
    );
    assert_eq!(r.delete_begin(&m.id).unwrap(), None);
    r.delete_finish(&m.id).unwrap();
    assert_eq!(r.count().unwrap(), 0);
}

/// Issue 13 item 4: an endpoint approval is one-time and bound to (provider,
/// endpoint, the row's updatedAt); a dropped approval is gone.
#[test]
fn endpoint_approvals_are_one_time_and_bound_to_the_request() {
    let (_t, mut r) = registry();
    let mut pdns = Vec::new();
    for s in ["p1.test", "p2.test"] {
        let mut d = draft("powerdns", "PDNS", s, true);
        d.config_json = Some(r#"{"serverUrl":"http://127.0.0.1:8081"}"#.into());
        let p = r.prepare_create(&d).unwrap();
        assert_eq!(p.endpoint.as_deref(), Some("http://127.0.0.1:8081"));
        pdns.push(r.commit_create(p, Some(TOKEN_REF.into())).unwrap().provider);
    }
    let to = |id: &str, url: &str| {
        let mut u = no_update(id);
        u.config_json = Some(format!(r#"{{"serverUrl":"{url}"}}"#));
        u
    };
    let moved = to(&pdns[0].id, "http://new.example:8081");

    // The interleaving: A prepares a move, B changes the row, A commits.
    let a = r.prepare_update(&moved, true).unwrap();
    assert_eq!(a.endpoint.as_deref(), Some("http://new.example:8081"));
    let mut label = no_update(&pdns[0].id);
    label.label = Some("renamed".into());
    r.prepare_update(&label, false).unwrap();
    r.commit_update(label, None).unwrap();
    assert_eq!(
        field(
            r.commit_update(moved.clone(), a.approval.as_deref())
                .unwrap_err()
        )
        .0,
        ErrorCode::Conflict
    );
    // Consumed even though refused.
    let b = r.prepare_update(&moved, true).unwrap();
    assert_ne!(a.approval, b.approval);
    assert!(r
        .commit_update(moved.clone(), a.approval.as_deref())
        .is_err());

    // Bound to the provider and the endpoint.
    let other = to(&pdns[1].id, "http://new.example:8081");
    assert!(r.commit_update(other, b.approval.as_deref()).is_err());
    let c = r.prepare_update(&moved, true).unwrap();
    let elsewhere = to(&pdns[0].id, "http://elsewhere.example:8081");
    assert!(r.commit_update(elsewhere, c.approval.as_deref()).is_err());

    // Dropped by the broker after a failed flow: gone.
    let d = r.prepare_update(&moved, true).unwrap();
    r.drop_approval(d.approval.as_deref().unwrap());
    assert!(r
        .commit_update(moved.clone(), d.approval.as_deref())
        .is_err());

    // The right one works once.
    let e = r.prepare_update(&moved, true).unwrap();
    r.commit_update(moved.clone(), e.approval.as_deref())
        .unwrap();
    let back = to(&pdns[0].id, "http://127.0.0.1:8081");
    let f = r.prepare_update(&back, true).unwrap();
    r.commit_update(back.clone(), f.approval.as_deref())
        .unwrap();
    assert!(r.commit_update(moved, e.approval.as_deref()).is_err());
}
