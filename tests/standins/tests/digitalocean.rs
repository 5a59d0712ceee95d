//! The DigitalOcean stand-in against the real PowerDNS: write-through, error
//! shapes, rate limiting and pagination links.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{call, pdns, unique_name, wait_dig, READ_ONLY, TOKEN, ZONE};
use reqwest::Method;
use serde_json::{json, Value};
use sslboard_standins::{digitalocean, Standin, StandinOptions};

fn options() -> StandinOptions {
    StandinOptions::new(pdns(), vec![ZONE.to_string()], TOKEN.to_string())
}

fn records_url(s: &Standin) -> String {
    format!("{}/domains/{ZONE}/records", s.base_url())
}

async fn create(s: &Standin, name: &str, data: &str) -> Value {
    let r = call(
        Method::POST,
        &records_url(s),
        Some(TOKEN),
        Some(json!({ "type": "TXT", "name": name, "data": data, "ttl": 60 })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["domain_record"].clone()
}

async fn delete(s: &Standin, record: &Value) {
    let id = record["id"].as_u64().unwrap();
    let r = call(
        Method::DELETE,
        &format!("{}/{id}", records_url(s)),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.body, Value::Null, "204 has no body");
}

#[tokio::test]
async fn two_values_on_one_name_reach_dns_and_deleting_one_keeps_the_other() {
    let s = digitalocean::start(options()).unwrap();
    assert!(s.base_url().ends_with("/v2"));
    let name = unique_name();
    let label = name.strip_suffix(&format!(".{ZONE}")).unwrap();

    let domain = call(
        Method::GET,
        &format!("{}/domains/{ZONE}", s.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(domain.status, 200);
    assert_eq!(domain.body["domain"]["name"], ZONE);
    assert_eq!(domain.body["domain"]["ttl"], 1800);

    let first = create(&s, label, "value-one").await;
    let second = create(&s, &name, "value-two").await;
    assert!(first["id"].is_u64());
    assert_eq!(first["name"], label, "names come back relative");
    assert_eq!(
        second["name"], label,
        "fully-qualified names are stored relative"
    );
    assert_eq!(first["data"], "value-one");
    assert_eq!(first["ttl"], 60);
    assert_eq!(first["priority"], Value::Null);
    wait_dig(&name, &["value-one", "value-two"]);

    let listed = call(
        Method::GET,
        &format!("{}?type=TXT&name={name}", records_url(&s)),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["meta"]["total"], 2);
    assert_eq!(listed.body["links"], json!({}));
    let relative = call(
        Method::GET,
        &format!("{}?type=TXT&name={label}", records_url(&s)),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(
        relative.body["meta"]["total"], 0,
        "the name filter is fully qualified"
    );

    delete(&s, &first).await;
    wait_dig(&name, &["value-two"]);
    assert_eq!(pdns().txt(ZONE, &name).await.unwrap(), ["value-two"]);
    assert_eq!(s.records(), [(name.clone(), "value-two".to_string())]);
    delete(&s, &second).await;
    wait_dig(&name, &[]);
}

#[tokio::test]
async fn errors_have_digitalocean_shapes() {
    let mut opts = options();
    opts.read_only_token = Some(READ_ONLY.to_string());
    let s = digitalocean::start(opts).unwrap();
    let url = records_url(&s);
    let name = unique_name();

    for token in [None, Some("wrong")] {
        let r = call(Method::GET, &url, token, None).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.body["id"], "unauthorized");
        assert_eq!(r.body["message"], "Unable to authenticate you");
    }
    assert_eq!(
        call(Method::GET, &url, Some(READ_ONLY), None).await.status,
        200
    );
    let r = call(
        Method::POST,
        &url,
        Some(READ_ONLY),
        Some(json!({"type":"TXT","name":name,"data":"x"})),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["id"], "forbidden");
    assert_eq!(
        r.body["message"],
        "You do not have access for the attempted action."
    );

    let r = call(
        Method::GET,
        &format!("{}/domains/nope.test", s.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["id"], "not_found");
    assert_eq!(
        r.body["message"],
        "The resource you were accessing could not be found."
    );
    let r = call(Method::DELETE, &format!("{url}/999"), Some(TOKEN), None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["id"], "not_found");

    let r = call(
        Method::POST,
        &url,
        Some(TOKEN),
        Some(json!({"type":"TXT","name":name})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["id"], "unprocessable_entity");

    // Duplicates are allowed; DNS holds the value once.
    let a = create(&s, &name, "same").await;
    let b = create(&s, &name, "same").await;
    assert_ne!(a["id"], b["id"]);
    wait_dig(&name, &["same"]);
    delete(&s, &a).await;
    wait_dig(&name, &["same"]);
    delete(&s, &b).await;
    wait_dig(&name, &[]);
}

#[tokio::test]
async fn first_requests_are_rate_limited() {
    let mut opts = options();
    opts.rate_limit_first = 1;
    let s = digitalocean::start(opts).unwrap();
    let r = call(Method::GET, &records_url(&s), Some(TOKEN), None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "1");
    assert!(r.headers.contains_key("ratelimit-reset"));
    assert_eq!(r.headers["ratelimit-remaining"], "0");
    assert_eq!(r.body["id"], "too_many_requests");
    assert_eq!(r.body["message"], "API Rate limit exceeded.");
    let r = call(Method::GET, &records_url(&s), Some(TOKEN), None).await;
    assert_eq!(r.status, 200);
    assert!(r.headers.contains_key("ratelimit-limit"));
    assert_eq!(s.rate_limited(), 1);
    assert_eq!(
        s.requests().iter().map(|r| r.2).collect::<Vec<_>>(),
        [429, 200]
    );
}

#[tokio::test]
async fn lists_paginate_by_links_and_without_write_through_nothing_reaches_dns() {
    let mut opts = options();
    opts.page_cap = 1;
    opts.write_through = false;
    let s = digitalocean::start(opts).unwrap();
    let name = unique_name();
    for v in ["a", "b", "c"] {
        create(&s, &name, v).await;
    }
    let mut next = Some(format!(
        "{}?type=TXT&name={name}&per_page=50",
        records_url(&s)
    ));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(url) = next {
        let r = call(Method::GET, &url, Some(TOKEN), None).await;
        assert_eq!(r.status, 200);
        pages += 1;
        assert_eq!(r.body["meta"]["total"], 3);
        let items = r.body["domain_records"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        seen.push(items[0]["data"].as_str().unwrap().to_string());
        let links = &r.body["links"]["pages"];
        if pages > 1 {
            assert!(links["first"].as_str().unwrap().contains("page=1"));
            assert!(links["prev"].is_string());
        }
        if pages < 3 {
            let last = links["last"].as_str().unwrap();
            assert!(last.starts_with(&records_url(&s)), "{last}");
            assert!(
                last.contains("page=3") && last.contains("per_page=1"),
                "{last}"
            );
            assert!(last.contains("type=TXT"), "filters are kept: {last}");
        }
        next = links["next"].as_str().map(str::to_string);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["a", "b", "c"]);

    assert_eq!(s.records().len(), 3);
    assert!(pdns().txt(ZONE, &name).await.unwrap().is_empty());
    assert!(common::dig_txt(&name).is_empty());
}
