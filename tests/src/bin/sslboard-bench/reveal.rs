//! `reveal` round trip, dns role → vault-proc over the real socket, next to
//! `secret-tool lookup` against the same gnome-keyring.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use shared::lifecycle::{send_control, sibling_binary, spawn_child};
use shared::protocol::control::{Bootstrap, Control, PeerGrant};
use shared::protocol::secrets::{NewSecret, SecretKind, SecretType};
use shared::protocol::vault::{VaultRequest, VaultResponse};
use shared::protocol::{NoEvent, Role};
use shared::rpc::RpcClient;
use shared::secret::{Key32, SecretString};

type Client = RpcClient<VaultRequest, VaultResponse, NoEvent>;

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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let p50 = rt.block_on(async {
        let t = tempfile::tempdir().unwrap();
        let socket_dir = t.path().join("sock");
        std::fs::create_dir(&socket_dir).unwrap();
        let broker_key = Key32::random().unwrap();
        let dns_key = Key32::random().unwrap();
        let bootstrap = Bootstrap {
            data_dir: t.path().join("data").to_string_lossy().into_owned(),
            socket_dir: Some(socket_dir.to_string_lossy().into_owned()),
            parent: PeerGrant {
                pid: std::process::id(),
                key: broker_key.clone(),
            },
        };
        std::fs::create_dir(t.path().join("data")).unwrap();
        // SAFETY of the environment: this process is the bench driver, single-threaded here.
        std::env::set_var("SSLBOARD_KEY_SOURCE", "env");
        std::env::set_var(
            "SSLBOARD_MASTER_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        );
        std::env::set_var("SSLBOARD_LOG", "warn");
        let bin = sibling_binary("vault-proc").unwrap();
        let mut child = spawn_child(&bin, &[], &bootstrap, Duration::from_secs(10))
            .await
            .unwrap();
        send_control(
            &mut child.control,
            &Control::AllowDnsPeer(PeerGrant {
                pid: std::process::id(),
                key: dns_key.clone(),
            }),
        )
        .await
        .unwrap();
        let socket = std::path::PathBuf::from(&child.ready.socket);
        let broker = Client::connect(&socket, "vault-proc", Role::Broker, &broker_key, child.pid)
            .await
            .unwrap();
        let mut data = BTreeMap::new();
        data.insert("value".to_string(), SecretString::from("bench-token-value"));
        let meta = match broker
            .call(
                VaultRequest::Create(NewSecret {
                    name: "bench".into(),
                    secret_type: SecretType::ApiKey,
                    kind: SecretKind::DnsProviderToken,
                    data,
                    label: None,
                    description: None,
                    tags: vec![],
                    owner: Some("dns_prov_00000000000000000000000000000001".into()),
                    external: None,
                }),
                Duration::from_secs(10),
            )
            .await
            .unwrap()
        {
            VaultResponse::Meta(m) => m,
            _ => panic!("unexpected"),
        };
        let provider_id = "dns_prov_00000000000000000000000000000001".to_string();
        broker
            .call(
                VaultRequest::GrantPermit {
                    provider_id: provider_id.clone(),
                    secret_ref: meta.reference.clone(),
                    ttl_ms: 600_000,
                },
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        let dns = Client::connect(&socket, "vault-proc", Role::Dns, &dns_key, child.pid)
            .await
            .unwrap();
        let req = || VaultRequest::Reveal {
            provider_id: provider_id.clone(),
            secret_ref: meta.reference.clone(),
        };
        for _ in 0..500 {
            dns.call(req(), Duration::from_secs(5)).await.unwrap();
        }
        let mut samples = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let s = Instant::now();
            let r = dns.call(req(), Duration::from_secs(5)).await.unwrap();
            samples.push(s.elapsed());
            assert!(matches!(r, VaultResponse::Revealed(_)));
        }
        drop(child.control);
        crate::report(
            "reveal round trip (dns role → vault-proc, real socket)",
            samples,
        )
    });
    match dbus.and_then(|d| secret_tool_lookup_p50(&d, 50)) {
        Some(peer) => println!(
            "reveal vs secret-tool lookup: {:.0}× faster (target ≥ 100×; p50 target ≤ 30 µs)",
            peer.as_secs_f64() / p50.as_secs_f64()
        ),
        None => println!("secret-tool comparison not run: SSLBOARD_TEST_DBUS_ADDRESS unset (scripts/bench starts the keyring)"),
    }
}
