//! The Route53 mirror against the real moto and PowerDNS: a TXT rrset
//! UPSERTed in moto appears in DNS, and disappears when deleted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{moto_url, pdns, unique_name, wait_dig, ZONE};
use sslboard_standins::route53_mirror::{self, Mirror};

/// An unsigned SigV4 header whose scope names Route53 (moto routes by it).
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=TEST/20240101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=00";

fn change(zone_id: &str, action: &str, name: &str, values: &[&str]) {
    let records: String = values
        .iter()
        .map(|v| format!("<ResourceRecord><Value>{v}</Value></ResourceRecord>"))
        .collect();
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>{action}</Action><ResourceRecordSet><Name>{name}</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords>{records}</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#
    );
    let url = format!("{}/2013-04-01/hostedzone/{zone_id}/rrset", moto_url());
    let response = std::thread::spawn(move || {
        let r = reqwest::blocking::Client::new()
            .post(url)
            .header("Authorization", AUTHORIZATION)
            .header("Content-Type", "text/xml")
            .body(body)
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    })
    .join()
    .unwrap();
    assert_eq!(response.0, 200, "{}", response.1);
}

/// Waits until the mirror completes a pass that started after now.
fn wait_pass(mirror: &Mirror) {
    let target = mirror.passes() + 2;
    let deadline = Instant::now() + Duration::from_secs(10);
    while mirror.passes() < target {
        assert!(
            Instant::now() < deadline,
            "no mirror pass; last error: {:?}",
            mirror.last_error()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn upserted_txt_appears_in_dns_and_vanishes_after_delete() {
    let zone_id = route53_mirror::create_zone(&moto_url(), ZONE).unwrap();
    assert!(!zone_id.starts_with('/'), "{zone_id}");
    let mirror = Mirror::start(&moto_url(), pdns(), vec![ZONE.to_string()]);
    let name = unique_name();
    let values = [r#""first""#, r#""sec" "ond""#];

    change(&zone_id, "UPSERT", &name, &values);
    wait_pass(&mirror);
    wait_dig(&name, &["first", "second"]);

    change(&zone_id, "DELETE", &name, &values);
    wait_pass(&mirror);
    wait_dig(&name, &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(rt.block_on(pdns().txt(ZONE, &name)).unwrap().is_empty());

    drop(mirror);
    route53_mirror::delete_zone(&moto_url(), &zone_id).unwrap();
}
