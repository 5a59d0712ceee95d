//! Template resolution with 10 references: local secrets, OpenBao-sourced
//! secrets, and the peer: a plain OpenBao KV read over keep-alive HTTP.

use std::time::{Duration, Instant};

use shared::protocol::secrets::{
    ExternalProviderConfig, ExternalProviderKind, ExternalSource, SecretKind, SecretType,
};
use shared::protocol::vault::VaultRequest;
use sslboard_tests::direct::{new_secret, DirectVault};

const PROVIDER: &str = "dns_prov_00000000000000000000000000000002";

fn template(prefix: &str) -> String {
    (0..10)
        .map(|i| format!("h{i}={{{{secrets.{prefix}{i}.value}}}};"))
        .collect()
}

fn timed(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect()
}

pub fn run() {
    let (Ok(addr), Ok(token)) = (
        std::env::var("SSLBOARD_TEST_OPENBAO_ADDR"),
        std::env::var("SSLBOARD_TEST_OPENBAO_TOKEN"),
    ) else {
        println!("template bench not run: SSLBOARD_TEST_OPENBAO_ADDR unset (scripts/bench starts OpenBao)");
        return;
    };
    let http = reqwest::blocking::Client::new();
    for i in 0..10 {
        let r = http
            .post(format!("{addr}/v1/secret/data/bench/s{i}"))
            .header("X-Vault-Token", &token)
            .json(&serde_json::json!({"data": {"value": format!("remote-{i}")}}))
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    let v = DirectVault::start(&[("SSLBOARD_LOG", "warn")]);
    v.as_broker(VaultRequest::ExternalSet(ExternalProviderConfig {
        kind: ExternalProviderKind::Openbao,
        address: addr.clone(),
        mount: "secret".into(),
        token: token.as_str().into(),
        path_prefix: Some("bench".into()),
        namespace: None,
        ca_pem: None,
    }))
    .unwrap();
    for i in 0..10 {
        let local = v.create(new_secret(
            &format!("local{i}"),
            SecretType::ApiKey,
            SecretKind::Generic,
            &[("value", "v")],
        ));
        v.permit(PROVIDER, &local.reference);
        let mut remote = new_secret(
            &format!("remote{i}"),
            SecretType::ApiKey,
            SecretKind::Generic,
            &[],
        );
        remote.external = Some(ExternalSource {
            path: format!("s{i}"),
        });
        let remote = v.create(remote);
        v.permit(PROVIDER, &remote.reference);
    }
    let local_t = template("local");
    let remote_t = template("remote");
    assert!(v.resolve(PROVIDER, &remote_t).unwrap().contains("remote-9"));
    let local = crate::report(
        "resolve 10 references to local secrets (dns role → vault-proc)",
        timed(2000, || {
            v.resolve(PROVIDER, &local_t).unwrap();
        }),
    );
    let remote = crate::report(
        "resolve 10 references to OpenBao-sourced secrets (dns role → vault-proc → OpenBao)",
        timed(300, || {
            v.resolve(PROVIDER, &remote_t).unwrap();
        }),
    );
    let url = format!("{addr}/v1/secret/data/bench/s0");
    let peer = crate::report(
        "peer: one plain OpenBao KV read over keep-alive HTTP",
        timed(1000, || {
            let r = http
                .get(&url)
                .header("X-Vault-Token", &token)
                .send()
                .unwrap();
            assert!(r.status().is_success());
            let _ = r.bytes().unwrap();
        }),
    );
    println!(
        "ratios: local-10-ref resolve = {:.2}x one KV read; OpenBao-10-ref resolve = {:.2}x one KV read ({:.2}x ten reads)",
        local.as_secs_f64() / peer.as_secs_f64(),
        remote.as_secs_f64() / peer.as_secs_f64(),
        remote.as_secs_f64() / (10.0 * peer.as_secs_f64())
    );
}
