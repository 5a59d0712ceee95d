//! The broker's one permit guard (`broker/src/permit.rs`) against a real
//! vault-proc: whichever way an operation ends (normal end, an early `?`
//! return, its future dropped mid-flight), no permit stays live. Checked the
//! way it matters: dns-proc's reveal is refused afterwards, and (method
//! check) accepted while the guard lives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use broker::permit::{FixedVault, PermitGuard, VaultSource};
use shared::error::{ErrorCode, WireError, WireResult};
use shared::protocol::secrets::{SecretKind, SecretType};
use shared::protocol::Role;
use sslboard_tests::direct::{new_secret, token_scope, DirectVault};

const PROVIDER: &str = "dns_prov_0000000000000000000000000000009a";

fn setup() -> (DirectVault, String, Arc<dyn VaultSource>) {
    let v = DirectVault::start(&[]);
    let mut new = new_secret(
        "tok",
        SecretType::ApiKey,
        SecretKind::DnsProviderToken,
        &[("value", "guarded-token")],
    );
    new.owner = Some(PROVIDER.into());
    let r = v.create(new).reference;
    let client = v.connect_as(Role::Broker).unwrap();
    let source: Arc<dyn VaultSource> = Arc::new(FixedVault(Arc::new(client)));
    (v, r, source)
}

/// Lets the runtime run the revoke a dropped guard spawned.
fn settle(v: &DirectVault) {
    v.rt.block_on(async { tokio::time::sleep(Duration::from_millis(100)).await });
}

fn revealable(v: &DirectVault, r: &str) -> bool {
    match v.reveal(PROVIDER, r) {
        Ok(d) => d["value"] == "guarded-token",
        Err(e) => {
            assert_eq!(e.code, ErrorCode::Forbidden, "{e}");
            false
        }
    }
}

#[test]
fn a_guard_revokes_when_the_operation_ends_normally() {
    let (v, r, source) = setup();
    assert!(!revealable(&v, &r));
    let guard =
        v.rt.block_on(PermitGuard::grant(
            source,
            token_scope(PROVIDER, &r),
            Duration::from_secs(60),
        ))
        .unwrap();
    assert!(revealable(&v, &r), "method check: the permit works");
    v.rt.block_on(guard.revoke());
    assert!(!revealable(&v, &r));
}

#[test]
fn a_guard_revokes_on_an_early_return() {
    let (v, r, source) = setup();
    async fn operation(source: Arc<dyn VaultSource>, r: String) -> WireResult<()> {
        let _permit =
            PermitGuard::grant(source, token_scope(PROVIDER, &r), Duration::from_secs(60)).await?;
        // What router.rs's test_connection did before the guard: a child that is
        // gone after the grant returns early.
        Err(WireError::unavailable("dns-proc is not running"))?;
        unreachable!()
    }
    let err = v.rt.block_on(operation(source, r.clone())).unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable);
    settle(&v);
    assert!(!revealable(&v, &r));
}

#[test]
fn a_guard_revokes_when_the_operation_future_is_cancelled() {
    let (v, r, source) = setup();
    let (held_tx, held_rx) = tokio::sync::oneshot::channel::<()>();
    let operation = {
        let r = r.clone();
        async move {
            let _permit =
                PermitGuard::grant(source, token_scope(PROVIDER, &r), Duration::from_secs(60))
                    .await
                    .unwrap();
            let _ = held_tx.send(());
            // A long Test Connection that the UI abandons.
            std::future::pending::<()>().await;
        }
    };
    v.rt.block_on(async {
        let op = tokio::spawn(operation);
        held_rx.await.unwrap();
        op.abort();
        assert!(op.await.unwrap_err().is_cancelled());
    });
    settle(&v);
    assert!(!revealable(&v, &r));
}

#[test]
fn a_guard_cancelled_while_its_grant_is_in_flight_leaves_nothing() {
    let (v, r, source) = setup();
    // Cancel the grant itself at every await point we can reach: a zero and a
    // few short timeouts land before, during and after vault-proc's answer.
    for micros in [0u64, 50, 200, 1000, 5000] {
        let scope = token_scope(PROVIDER, &r);
        let s = source.clone();
        let outcome = v.rt.block_on(async {
            tokio::time::timeout(
                Duration::from_micros(micros),
                PermitGuard::grant(s, scope, Duration::from_secs(60)),
            )
            .await
        });
        // Dropped outside the runtime: the revoke still runs on it.
        drop(outcome);
        settle(&v);
        assert!(
            !revealable(&v, &r),
            "permit left after a {micros} µs cancel"
        );
    }
}
