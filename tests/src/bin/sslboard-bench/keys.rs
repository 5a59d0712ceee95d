//! Key custody: ES256 JWS through the real socket (dns role → vault-proc),
//! next to the same signature in-process with aws-lc (the floor) and to
//! `openssl dgst -sha256 -sign` as one process per signature (what a shell
//! ACME client pays); and key generation time per type through vault-proc.

use std::time::{Duration, Instant};

use shared::protocol::keys::{JwsSigner, KeyType, NewKey};
use shared::protocol::secrets::SecretKind;
use shared::protocol::vault::{AcmeGrant, AcmePurpose, PermitScope, VaultRequest, VaultResponse};
use sslboard_tests::direct::DirectVault;

const CA: &str = "https://ca.example";

fn create(v: &DirectVault, key_type: KeyType) -> String {
    match v
        .as_broker(VaultRequest::KeyCreate(NewKey {
            kind: SecretKind::AcmeAccountKey,
            key_type,
            name: None,
            label: None,
            description: None,
            tags: vec![],
            owner: None,
        }))
        .unwrap()
    {
        VaultResponse::Meta(m) => m.reference,
        other => panic!("{other:?}"),
    }
}

pub fn run() {
    let v = DirectVault::start(&[("SSLBOARD_LOG", "warn")]);
    let key_ref = create(&v, KeyType::EcP256);
    v.grant(PermitScope::Acme(AcmeGrant {
        purpose: AcmePurpose::Account("bench".into()),
        key_refs: vec![key_ref.clone()],
        directory_origin: CA.into(),
        names: vec![],
    }));
    let payload = br#"{"identifiers":[{"type":"dns","value":"www.example.com"}]}"#.to_vec();
    let req = || VaultRequest::AcmeSign {
        key_ref: key_ref.clone(),
        url: format!("{CA}/acme/new-order"),
        nonce: "oFvnlFP1wIhRlYS2jTaXbA".into(),
        signer: JwsSigner::Kid(format!("{CA}/acme/acct/1")),
        payload: payload.clone(),
    };
    let socket = v.rt.block_on(async {
        for _ in 0..500 {
            v.dns.call(req(), Duration::from_secs(5)).await.unwrap();
        }
        let mut samples = Vec::with_capacity(5000);
        for _ in 0..5000 {
            let s = Instant::now();
            let r = v.dns.call(req(), Duration::from_secs(5)).await.unwrap();
            samples.push(s.elapsed());
            assert!(matches!(r, VaultResponse::Jws(_)));
        }
        samples
    });
    let socket = crate::report(
        "ES256 JWS, dns role → vault-proc over the socket (target p50 ≤ 80 µs)",
        socket,
    );

    let key = vault_proc::keys::generate::generate(KeyType::EcP256).unwrap();
    let input = vec![b'a'; 300];
    let floor: Vec<Duration> = (0..5000)
        .map(|_| {
            let s = Instant::now();
            key.sign_jws(&input).unwrap();
            s.elapsed()
        })
        .collect();
    let floor = crate::report("ES256 signature in-process (aws-lc, the floor)", floor);

    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("k.pem");
    let data = dir.path().join("in");
    std::fs::write(&data, &input).unwrap();
    let ok = std::process::Command::new("openssl")
        .args([
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
        ])
        .arg(&pem)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let openssl = if ok {
        let samples: Vec<Duration> = (0..200)
            .map(|_| {
                let s = Instant::now();
                let out = std::process::Command::new("openssl")
                    .args(["dgst", "-sha256", "-sign"])
                    .arg(&pem)
                    .arg(&data)
                    .output()
                    .unwrap();
                assert!(out.status.success());
                s.elapsed()
            })
            .collect();
        Some(crate::report(
            "peer: `openssl dgst -sha256 -sign`, one process per signature",
            samples,
        ))
    } else {
        println!("openssl not available: peer not measured");
        None
    };
    match openssl {
        Some(o) => println!(
            "ratios: socket = {:.1}x the in-process floor; openssl process = {:.0}x the socket (target ≥ 100x)",
            socket.as_secs_f64() / floor.as_secs_f64(),
            o.as_secs_f64() / socket.as_secs_f64()
        ),
        None => println!(
            "ratios: socket = {:.1}x the in-process floor",
            socket.as_secs_f64() / floor.as_secs_f64()
        ),
    }

    for (kt, n) in [
        (KeyType::EcP256, 50),
        (KeyType::EcP384, 50),
        (KeyType::Rsa2048, 10),
        (KeyType::Rsa3072, 5),
        (KeyType::Rsa4096, 5),
    ] {
        let mut samples: Vec<Duration> = (0..n)
            .map(|_| {
                let s = Instant::now();
                create(&v, kt);
                s.elapsed()
            })
            .collect();
        samples.sort();
        println!(
            "key_create {kt:?} through vault-proc (generate + seal + store): median={:.1}ms min={:.1}ms max={:.1}ms (n={n})",
            crate::percentile(&samples, 0.5).as_secs_f64() * 1e3,
            samples[0].as_secs_f64() * 1e3,
            samples[samples.len() - 1].as_secs_f64() * 1e3
        );
    }
}
