//! The Cloudflare stand-in against the real PowerDNS: write-through, error
//! shapes, rate limiting and pagination.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{call, pdns, unique_name, wait_dig, READ_ONLY, TOKEN, ZONE};
use reqwest::Method;
use serde_json::{json, Value};
use sslboard_standins::{cloudflare, Standin, StandinOptions};

fn options() -> StandinOptions {
    StandinOptions::new(pdns(), vec![ZONE.to_string()], TOKEN.to_string())
}

async fn zone_id(s: &Standin) -> String {
    let r = call(
        Method::GET,
        &format!("{}/zones?name={ZONE}&status=active", s.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["result"].as_array().unwrap().len(), 1);
    let id = r.body["result"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    id
}

async fn create(s: &Standin, zone: &str, name: &str, content: &str) -> Value {
    let r = call(
        Method::POST,
        &format!("{}/zones/{zone}/dns_records", s.base_url()),
        Some(TOKEN),
        Some(json!({ "type": "TXT", "name": name, "content": content, "ttl": 60 })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["success"], true);
    r.body["result"].clone()
}

#[tokio::test]
async fn two_values_on_one_name_reach_dns_and_deleting_one_keeps_the_other() {
    let s = cloudflare::start(options()).unwrap();
    assert!(s.base_url().ends_with("/client/v4"));
    let zone = zone_id(&s).await;
    let name = unique_name();

    let first = create(&s, &zone, &name, "\"value-one\"").await;
    let second = create(&s, &zone, &name, "value-two").await;
    assert_eq!(first["name"], name.as_str());
    assert_eq!(
        first["content"], "\"value-one\"",
        "content is returned as sent"
    );
    assert_eq!(first["zone_id"], zone.as_str());
    assert_eq!(first["zone_name"], ZONE);
    assert_eq!(first["type"], "TXT");
    assert_eq!(first["proxied"], false);
    assert_eq!(first["id"].as_str().unwrap().len(), 32);
    wait_dig(&name, &["value-one", "value-two"]);

    let listed = call(
        Method::GET,
        &format!(
            "{}/zones/{zone}/dns_records?type=TXT&name={name}",
            s.base_url()
        ),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["result_info"]["total_count"], 2);
    let by_content = call(
        Method::GET,
        &format!(
            "{}/zones/{zone}/dns_records?type=TXT&name={name}&content=value-two",
            s.base_url()
        ),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(by_content.body["result"].as_array().unwrap().len(), 1);
    assert_eq!(by_content.body["result"][0]["id"], second["id"]);

    let id = first["id"].as_str().unwrap();
    let deleted = call(
        Method::DELETE,
        &format!("{}/zones/{zone}/dns_records/{id}", s.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["result"], json!({ "id": id }));
    wait_dig(&name, &["value-two"]);
    assert_eq!(pdns().txt(ZONE, &name).await.unwrap(), ["value-two"]);
    assert_eq!(s.records(), [(name.clone(), "value-two".to_string())]);

    let id = second["id"].as_str().unwrap();
    let deleted = call(
        Method::DELETE,
        &format!("{}/zones/{zone}/dns_records/{id}", s.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(deleted.status, 200);
    wait_dig(&name, &[]);
    assert!(s.records().is_empty());
}

#[tokio::test]
async fn errors_have_cloudflare_shapes() {
    let mut opts = options();
    opts.read_only_token = Some(READ_ONLY.to_string());
    let s = cloudflare::start(opts).unwrap();
    let zone = zone_id(&s).await;
    let records = format!("{}/zones/{zone}/dns_records", s.base_url());
    let name = unique_name();

    let r = call(Method::GET, &records, None, None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["errors"][0]["code"], 6003);
    assert_eq!(r.body["errors"][0]["message"], "Invalid request headers");

    let r = call(Method::GET, &records, Some("wrong"), None).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null})
    );

    let r = call(Method::GET, &records, Some(READ_ONLY), None).await;
    assert_eq!(r.status, 200, "read-only token may read");
    let r = call(
        Method::POST,
        &records,
        Some(READ_ONLY),
        Some(json!({"type":"TXT","name":name,"content":"x"})),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["errors"][0]["code"], 10000);
    assert_eq!(r.body["success"], false);

    let bogus = "0123456789abcdef0123456789abcdef";
    let r = call(
        Method::GET,
        &format!("{}/zones/{bogus}/dns_records", s.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["errors"][0]["code"], 7003);
    assert_eq!(
        r.body["errors"][0]["message"],
        format!("Could not route to /zones/{bogus}/dns_records, perhaps your object identifier is invalid?")
    );

    let r = call(
        Method::DELETE,
        &format!("{records}/{bogus}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["errors"][0]["code"], 81044);
    assert_eq!(r.body["errors"][0]["message"], "Record does not exist.");

    let made = create(&s, &zone, &name, "dup").await;
    let r = call(
        Method::POST,
        &records,
        Some(TOKEN),
        Some(json!({"type":"TXT","name":name,"content":"dup","ttl":60})),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["errors"][0]["code"], 81058);
    assert_eq!(
        r.body["errors"][0]["message"],
        "An identical record already exists."
    );

    let r = call(
        Method::POST,
        &records,
        Some(TOKEN),
        Some(json!({"type":"TXT","name":"_x.other.test","content":"x"})),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["errors"][0]["code"], 9005);
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("_x.other.test"));

    let r = reqwest::Client::new()
        .post(&records)
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], 9207);
    assert_eq!(body["errors"][0]["message"], "Request body is invalid.");

    // Names relative to the zone and `@` are stored fully qualified.
    let label = name.strip_suffix(&format!(".{ZONE}")).unwrap();
    let rel = create(&s, &zone, label, "relative").await;
    assert_eq!(rel["name"], name.as_str());

    let r = call(
        Method::GET,
        &format!("{}/zones?name=nope.test", s.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["result"], json!([]));

    for rec in [&made, &rel] {
        let id = rec["id"].as_str().unwrap();
        assert_eq!(
            call(
                Method::DELETE,
                &format!("{records}/{id}"),
                Some(TOKEN),
                None
            )
            .await
            .status,
            200
        );
    }
    wait_dig(&name, &[]);
}

#[tokio::test]
async fn first_requests_are_rate_limited() {
    let mut opts = options();
    opts.rate_limit_first = 2;
    let s = cloudflare::start(opts).unwrap();
    let url = format!("{}/zones?name={ZONE}", s.base_url());
    for _ in 0..2 {
        let r = call(Method::GET, &url, Some(TOKEN), None).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.headers["retry-after"], "1");
        assert_eq!(r.body["success"], false);
        assert_eq!(r.body["errors"][0]["code"], 971);
        assert_eq!(
            r.body["errors"][0]["message"],
            "Please wait and consider throttling your request speed"
        );
    }
    assert_eq!(call(Method::GET, &url, Some(TOKEN), None).await.status, 200);
    assert_eq!(s.rate_limited(), 2);
    let seen = s.requests();
    let statuses: Vec<u16> = seen.iter().map(|r| r.2).collect();
    assert_eq!(statuses, [429, 429, 200]);
    assert_eq!(seen[0].0, "GET");
    assert_eq!(seen[0].1, format!("/client/v4/zones?name={ZONE}"));
}

#[tokio::test]
async fn lists_paginate_at_page_cap_and_without_write_through_nothing_reaches_dns() {
    let mut opts = options();
    opts.page_cap = 1;
    opts.write_through = false;
    let s = cloudflare::start(opts).unwrap();
    let zone = zone_id(&s).await;
    let name = unique_name();
    for v in ["a", "b", "c"] {
        create(&s, &zone, &name, v).await;
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let r = call(
            Method::GET,
            &format!(
                "{}/zones/{zone}/dns_records?type=TXT&name={name}&page={page}&per_page=100",
                s.base_url()
            ),
            Some(TOKEN),
            None,
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.body["result_info"],
            json!({"page": page, "per_page": 1, "count": 1, "total_count": 3, "total_pages": 3})
        );
        seen.push(r.body["result"][0]["content"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, ["a", "b", "c"]);
    let past = call(
        Method::GET,
        &format!("{}/zones/{zone}/dns_records?page=4", s.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(past.body["result"], json!([]));
    assert_eq!(past.body["result_info"]["count"], 0);

    assert_eq!(s.records().len(), 3);
    assert!(pdns().txt(ZONE, &name).await.unwrap().is_empty());
    assert!(common::dig_txt(&name).is_empty());
}

#[tokio::test]
async fn dropping_a_standin_with_an_open_connection_does_not_hang() {
    let s = cloudflare::start(options()).unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/zones", s.base_url());
    let r = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let started = std::time::Instant::now();
    drop(s);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert!(
        client.get(&url).bearer_auth(TOKEN).send().await.is_err(),
        "stopped"
    );
}
