//! Tests of template resolution against a real store and against closures.

use super::*;
use crate::secrets::masterkey::memory::MemorySource;
use shared::protocol::secrets::{NewSecret, SecretKind, SecretType};
use shared::secret::SecretString;

type R = Result<(), ResolveError>;

fn data(pairs: &[(&str, &str)]) -> SecretData {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), SecretString::from(*v)))
        .collect()
}

fn store_with_secrets(dir: &tempfile::TempDir) -> Result<SecretStore, VaultError> {
    let mut s = SecretStore::open(dir.path(), Box::new(MemorySource::new()))?;
    for (name, t, d) in [
        (
            "basicAuth",
            SecretType::BasicAuth,
            data(&[("username", "alice"), ("password", "s3cr\u{e9}t")]),
        ),
        ("cf", SecretType::ApiKey, data(&[("value", "cf-token")])),
    ] {
        s.create(NewSecret {
            name: name.into(),
            secret_type: t,
            kind: SecretKind::Generic,
            data: d,
            label: None,
            description: None,
            tags: vec![],
            owner: None,
            external: None,
            binding: None,
        })?;
    }
    s.lock();
    Ok(s)
}

fn tmp() -> Result<tempfile::TempDir, VaultError> {
    tempfile::tempdir().map_err(|e| VaultError::internal(e.to_string()))
}

#[test]
fn n_references_cost_one_decrypt_per_secret() -> R {
    let dir = tmp()?;
    let mut store = store_with_secrets(&dir)?;
    let template = "https://{{secrets.basicAuth.username}}:{{secrets.basicAuth.password}}@h/\
                    {{secrets.basicAuth.username}}?t={{secrets.cf.value}}&u={{secrets.basicAuth.username}}";
    {
        let mut ctx = ResolutionContext::new(&mut store);
        let out = ctx.resolve(template)?;
        assert_eq!(
            out.as_str(),
            "https://alice:s3cr\u{e9}t@h/alice?t=cf-token&u=alice"
        );
        assert_eq!(out.len(), out.capacity(), "exact-size output buffer");
        // A second template in the same execution hits the cache.
        let again = ctx.resolve("{{secrets.cf.value}}/{{secrets.basicAuth.password}}")?;
        assert_eq!(again.as_str(), "cf-token/s3cr\u{e9}t");
        assert_eq!(ctx.fetch_count(), 2);
    }
    assert_eq!(store.decrypt_count(), 2, "one decrypt per distinct secret");
    // A new context is a new execution: fresh decrypts.
    let mut ctx = ResolutionContext::new(&mut store);
    ctx.resolve("{{secrets.cf.value}}{{secrets.cf.value}}")?;
    drop(ctx);
    assert_eq!(store.decrypt_count(), 3);
    Ok(())
}

#[test]
fn missing_secret_or_field_substitutes_nothing_and_names_it() -> R {
    let dir = tmp()?;
    let mut store = store_with_secrets(&dir)?;
    let mut ctx = ResolutionContext::new(&mut store);
    match ctx.resolve("{{secrets.cf.value}} {{secrets.nope.value}}") {
        Err(ResolveError::MissingSecret { name, offset }) => {
            assert_eq!((name.as_str(), offset), ("nope", 21));
        }
        other => panic!("unexpected {other:?}"),
    }
    match ctx.resolve("{{secrets.cf.value}} {{secrets.basicAuth.token}}") {
        Err(e @ ResolveError::MissingField { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("basicAuth") && msg.contains("token"), "{msg}");
            assert!(!msg.contains("cf-token") && !msg.contains("alice"), "{msg}");
            let w = WireError::from(e);
            assert_eq!(w.code.as_str(), "not_found");
            assert_eq!(w.field.as_deref(), Some("basicAuth.token"));
        }
        other => panic!("unexpected {other:?}"),
    }
    Ok(())
}

#[test]
fn syntax_errors_come_before_any_decrypt() -> R {
    let dir = tmp()?;
    let mut store = store_with_secrets(&dir)?;
    let mut ctx = ResolutionContext::new(&mut store);
    let e = ctx.resolve("{{secrets.cf.value}} {{secrets.cf");
    assert!(matches!(e, Err(ResolveError::Template(_))));
    assert_eq!(ctx.fetch_count(), 0);
    drop(ctx);
    assert_eq!(store.decrypt_count(), 0);
    assert!(
        !store.is_unlocked(),
        "a bad template never prompts for the key"
    );
    Ok(())
}

#[test]
fn closure_fetcher_and_output_limit() -> R {
    let big = "v".repeat(60 * 1024);
    let mut calls = 0usize;
    let mut fetch = |name: &str| -> Result<Option<SecretData>, VaultError> {
        calls += 1;
        Ok((name == "big").then(|| data(&[("f", &big)])))
    };
    let mut ctx = ResolutionContext::new(&mut fetch);
    assert_eq!(ctx.resolve("no refs")?.as_str(), "no refs");
    let many = "{{secrets.big.f}}".repeat(16);
    assert_eq!(ctx.resolve(&many)?.len(), 16 * 60 * 1024);
    let too_many = "{{secrets.big.f}}".repeat(20 * 1024);
    assert!(matches!(
        ctx.resolve(&too_many),
        Err(ResolveError::OutputTooLarge { .. })
    ));
    assert_eq!(ctx.fetch_count(), 1);
    ctx.clear();
    ctx.resolve("{{secrets.big.f}}")?;
    assert_eq!(ctx.fetch_count(), 2);
    drop(ctx);
    assert_eq!(calls, 2);
    Ok(())
}

#[test]
fn vault_errors_pass_through() {
    let mut fetch = |_: &str| -> Result<Option<SecretData>, VaultError> {
        Err(VaultError::Locked {
            reason: "test".into(),
        })
    };
    let mut ctx = ResolutionContext::new(&mut fetch);
    let e = ctx.resolve("{{secrets.a.b}}");
    assert!(matches!(
        e,
        Err(ResolveError::Vault(VaultError::Locked { .. }))
    ));
    let w = e.err().map(WireError::from);
    assert_eq!(w.map(|w| w.code.as_str()), Some("locked"));
}
