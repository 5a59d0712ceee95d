//! Every provider adapter against a real server, through one conformance
//! run: zone lookup, two values on one name (both served by real DNS),
//! idempotent add, removing one keeps the other, removing an absent value is
//! fine, nothing left behind. PowerDNS and BIND9 are real; Cloudflare and
//! DigitalOcean are the stand-ins writing through to the real PowerDNS;
//! Route53 is moto, mirrored into PowerDNS.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use dns_proc::adapters::cloudflare::Cloudflare;
use dns_proc::adapters::digitalocean::DigitalOcean;
use dns_proc::adapters::powerdns::PowerDns;
use dns_proc::adapters::rfc2136::Rfc2136;
use dns_proc::adapters::route53::Route53;
use dns_proc::adapters::{AdapterError, TxtApi};
use dns_proc::providers::config::{PowerDnsConfig, Rfc2136Config, Route53Config};
use sslboard_standins::route53_mirror::{self, Mirror};
use sslboard_standins::{cloudflare, digitalocean};
use sslboard_tests::dns::{self, PDNS_ZONE};
use sslboard_tests::{random_hex, required_env};

/// The shared contract, checked against `server`'s real DNS answers.
async fn conformance<A: TxtApi>(adapter: &A, zone_name: &str, server: SocketAddr) -> String {
    let fqdn = dns::unique_name(zone_name);
    let zone = adapter.find_zone(&fqdn).await.unwrap();
    assert_eq!(zone.name, zone_name);
    let (v1, v2) = (
        format!("v1-{}", random_hex(8)),
        format!("v2-{}", random_hex(8)),
    );
    adapter.add_txt(&zone, &fqdn, &v1).await.unwrap();
    adapter.add_txt(&zone, &fqdn, &v2).await.unwrap();
    adapter.add_txt(&zone, &fqdn, &v1).await.unwrap();
    let mut listed = adapter.list_txt(&zone, &fqdn).await.unwrap();
    listed.sort();
    assert_eq!(listed, vec![v1.clone(), v2.clone()]);
    dns::wait_values(server, &fqdn, &[&v1, &v2]).await;

    adapter.remove_txt(&zone, &fqdn, &v1).await.unwrap();
    assert_eq!(
        adapter.list_txt(&zone, &fqdn).await.unwrap(),
        vec![v2.clone()]
    );
    dns::wait_values(server, &fqdn, &[&v2]).await;
    adapter.remove_txt(&zone, &fqdn, &v1).await.unwrap();

    adapter.remove_txt(&zone, &fqdn, &v2).await.unwrap();
    assert!(adapter.list_txt(&zone, &fqdn).await.unwrap().is_empty());
    dns::wait_values(server, &fqdn, &[]).await;
    fqdn
}

fn pdns_adapter(key: &str) -> PowerDns {
    let config = PowerDnsConfig {
        server_url: required_env("SSLBOARD_TEST_PDNS_API"),
        server_id: "localhost".into(),
    };
    PowerDns::new(&config, key.into()).unwrap()
}

#[tokio::test]
async fn powerdns_adapter_merges_and_removes_single_values() {
    let adapter = pdns_adapter(&required_env("SSLBOARD_TEST_PDNS_API_KEY"));
    conformance(&adapter, PDNS_ZONE, dns::pdns_dns()).await;
}

#[tokio::test]
async fn powerdns_adapter_reports_a_wrong_key_and_an_unknown_zone() {
    let bad = pdns_adapter("wrong-key");
    let e = bad.find_zone("_x.example.test").await.unwrap_err();
    assert!(matches!(e, AdapterError::Auth(_)), "{e:?}");
    assert!(!e.to_string().contains("wrong-key"), "{e}");
    let good = pdns_adapter(&required_env("SSLBOARD_TEST_PDNS_API_KEY"));
    let e = good.find_zone("_x.unknown-zone.invalid").await.unwrap_err();
    assert!(matches!(e, AdapterError::ZoneNotFound { .. }), "{e:?}");
}

fn rfc2136_adapter(secret: &str) -> Rfc2136 {
    let config = Rfc2136Config {
        server: required_env("SSLBOARD_TEST_BIND_DNS"),
        tsig_key_name: required_env("SSLBOARD_TEST_TSIG_NAME"),
        tsig_algorithm: required_env("SSLBOARD_TEST_TSIG_ALGORITHM")
            .parse()
            .unwrap(),
    };
    Rfc2136::new(&config, secret.into()).unwrap()
}

#[tokio::test]
async fn rfc2136_adapter_updates_bind_with_tsig() {
    let adapter = rfc2136_adapter(&required_env("SSLBOARD_TEST_TSIG_SECRET"));
    conformance(
        &adapter,
        &required_env("SSLBOARD_TEST_BIND_ZONE"),
        dns::bind_dns(),
    )
    .await;
}

#[tokio::test]
async fn rfc2136_adapter_with_a_wrong_tsig_secret_is_an_auth_failure() {
    let wrong = "c2VjcmV0LXRoYXQtYmluZC1kb2VzLW5vdC1rbm93IQ==";
    let adapter = rfc2136_adapter(wrong);
    let zone_name = required_env("SSLBOARD_TEST_BIND_ZONE");
    let fqdn = dns::unique_name(&zone_name);
    let zone = adapter.find_zone(&fqdn).await.unwrap();
    let e = adapter.add_txt(&zone, &fqdn, "never").await.unwrap_err();
    assert!(matches!(e, AdapterError::Auth(_)), "{e:?}");
    assert!(e.to_string().contains("TSIG"), "{e}");
    assert!(dns::txt_values(dns::bind_dns(), &fqdn).await.is_empty());
}

#[tokio::test]
async fn cloudflare_adapter_against_the_stand_in_pages_and_quotes() {
    let token = format!("cf-{}", random_hex(16));
    let mut opts = dns::standin_options(&token);
    opts.page_cap = 1;
    let standin = cloudflare::start(opts).unwrap();
    std::env::set_var("SSLBOARD_CLOUDFLARE_API_URL", standin.base_url());
    let adapter = Cloudflare::new(token.as_str().into()).unwrap();
    conformance(&adapter, PDNS_ZONE, dns::pdns_dns()).await;
    assert!(standin.records().is_empty(), "{:?}", standin.records());
    // Paging was exercised: some listing asked for page 2.
    assert!(standin
        .requests()
        .iter()
        .any(|(_, path, _)| path.contains("page=2")));
}

#[tokio::test]
async fn cloudflare_adapter_retries_after_429_and_maps_401() {
    let token = format!("cf-{}", random_hex(16));
    let mut opts = dns::standin_options(&token);
    opts.rate_limit_first = 2;
    let standin = cloudflare::start(opts).unwrap();
    std::env::set_var("SSLBOARD_CLOUDFLARE_API_URL", standin.base_url());
    let adapter = Cloudflare::new(token.as_str().into()).unwrap();
    let zone = adapter.find_zone("_x.example.test").await.unwrap();
    assert_eq!(zone.name, PDNS_ZONE);
    assert_eq!(standin.rate_limited(), 2);
    let bad = Cloudflare::new("not-the-token".into()).unwrap();
    let e = bad.find_zone("_x.example.test").await.unwrap_err();
    assert!(matches!(e, AdapterError::Auth(_)), "{e:?}");
    assert!(!e.to_string().contains("not-the-token"));
}

#[tokio::test]
async fn digitalocean_adapter_against_the_stand_in() {
    let token = format!("do-{}", random_hex(16));
    let mut opts = dns::standin_options(&token);
    opts.page_cap = 1;
    let standin = digitalocean::start(opts).unwrap();
    std::env::set_var("SSLBOARD_DIGITALOCEAN_API_URL", standin.base_url());
    let adapter = DigitalOcean::new(token.as_str().into()).unwrap();
    conformance(&adapter, PDNS_ZONE, dns::pdns_dns()).await;
    assert!(standin.records().is_empty(), "{:?}", standin.records());
    let e = DigitalOcean::new("nope".into())
        .unwrap()
        .find_zone("_x.example.test")
        .await
        .unwrap_err();
    assert!(matches!(e, AdapterError::Auth(_)), "{e:?}");
}

#[tokio::test]
async fn route53_adapter_against_moto_with_lookup_and_configured_zone() {
    let moto = required_env("SSLBOARD_TEST_MOTO_URL");
    let zone_name = format!("r53-{}.{PDNS_ZONE}", random_hex(4));
    let zone_id = {
        let (m, z) = (moto.clone(), zone_name.clone());
        tokio::task::spawn_blocking(move || route53_mirror::create_zone(&m, &z))
            .await
            .unwrap()
            .unwrap()
    };
    let mirror = Mirror::start(&moto, dns::pdns(), vec![PDNS_ZONE.into()]);
    std::env::set_var("SSLBOARD_ROUTE53_API_URL", &moto);
    let token = "AKIDSSLBOARDTEST:c2VjcmV0LWtleS1mb3ItbW90bw";
    let by_lookup = Route53::new(&Route53Config::default(), token.into()).unwrap();
    conformance(&by_lookup, &zone_name, dns::pdns_dns()).await;
    let configured = Route53Config {
        hosted_zone_id: Some(zone_id.clone()),
        region: Some("eu-west-1".into()),
    };
    let by_id = Route53::new(&configured, token.into()).unwrap();
    conformance(&by_id, &zone_name, dns::pdns_dns()).await;
    assert!(mirror.last_error().is_none(), "{:?}", mirror.last_error());
    let e = by_id.find_zone("_x.elsewhere.test").await.unwrap_err();
    assert!(matches!(e, AdapterError::ZoneNotFound { .. }), "{e:?}");
    let bad = Route53::new(&Route53Config::default(), "no-colon".into());
    assert!(matches!(bad, Err(AdapterError::Config(_))));
    drop(mirror);
    let m = moto.clone();
    tokio::task::spawn_blocking(move || route53_mirror::delete_zone(&m, &zone_id))
        .await
        .unwrap()
        .unwrap();
}
