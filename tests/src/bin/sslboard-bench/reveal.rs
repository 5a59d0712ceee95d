//! `reveal` round trip, dns role → vault-proc over the real socket, next to
//! `secret-tool lookup` against the same gnome-keyring.

use std::time::{Duration, Instant};

use shared::protocol::secrets::{SecretKind, SecretType};
use shared::protocol::vault::{VaultRequest, VaultResponse};
use sslboard_tests::direct::{new_secret, DirectVault};

fn secret_tool_lookup_p50(dbus: &str, n: usize) -> Option<Duration> {
    let env = [("DBUS_SESSION_BUS_ADDRESS", dbus)];
    let mut store = std::process::Command::new("secret-tool")
        .args(["store", "--label=bench", "sslboard-bench", "reveal"])
        .envs(env)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    use std::io::Write;
    store.stdin.take()?.write_all(b"bench-token-value").ok()?;
    store.wait().ok()?;
    let mut samples = Vec::new();
    for _ in 0..n {
        let s = Instant::now();
        let out = std::process::Command::new("secret-tool")
            .args(["lookup", "sslboard-bench", "reveal"])
            .envs(env)
            .output()
            .ok()?;
        samples.push(s.elapsed());
        assert_eq!(out.stdout, b"bench-token-value");
    }
    let _ = std::process::Command::new("secret-tool")
        .args(["clear", "sslboard-bench", "reveal"])
        .envs(env)
        .status();
    Some(crate::report(
        &format!("secret-tool lookup (same gnome-keyring, n={n})"),
        samples,
    ))
}

pub fn run() {
    let dbus = std::env::var("SSLBOARD_TEST_DBUS_ADDRESS").ok();
    let v = DirectVault::start(&[("SSLBOARD_LOG", "warn")]);
    let provider = "dns_prov_00000000000000000000000000000001";
    let mut new = new_secret(
        "bench",
        SecretType::ApiKey,
        SecretKind::DnsProviderToken,
        &[("value", "bench-token-value")],
    );
    new.owner = Some(provider.into());
    let meta = v.create(new);
    v.permit(provider, &meta.reference);
    let req = || VaultRequest::Reveal {
        provider_id: provider.into(),
        secret_ref: meta.reference.clone(),
    };
    let p50 = v.rt.block_on(async {
        for _ in 0..500 {
            v.dns.call(req(), Duration::from_secs(5)).await.unwrap();
        }
        let mut samples = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let s = Instant::now();
            let r = v.dns.call(req(), Duration::from_secs(5)).await.unwrap();
            samples.push(s.elapsed());
            assert!(matches!(r, VaultResponse::RevealedToken { .. }));
        }
        let mut status = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let s = Instant::now();
            v.broker
                .call(VaultRequest::Status, Duration::from_secs(5))
                .await
                .unwrap();
            status.push(s.elapsed());
        }
        crate::report(
            "for scale: status round trip (broker role → vault-proc, no crypto, no SQL)",
            status,
        );
        crate::report(
            "reveal round trip (dns role → vault-proc, real socket)",
            samples,
        )
    });
    match dbus.and_then(|d| secret_tool_lookup_p50(&d, 50)) {
        Some(peer) => println!(
            "reveal vs secret-tool lookup: {:.0}x faster (target >= 100x; p50 target <= 30 us)",
            peer.as_secs_f64() / p50.as_secs_f64()
        ),
        None => println!("secret-tool comparison not run: SSLBOARD_TEST_DBUS_ADDRESS unset (scripts/bench starts the keyring)"),
    }
}
