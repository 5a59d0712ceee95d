//! Helpers shared by the stand-in tests: the real services from the
//! environment (a missing one is a failure, never a skip), unique names,
//! and reading TXT records back over real DNS.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use sslboard_standins::PdnsTarget;

/// The zone every test works in; it exists in the test PowerDNS.
pub const ZONE: &str = "example.test";
/// The full-rights token the tests give their stand-ins.
pub const TOKEN: &str = "standin-test-token";
/// The read-only token the tests give their stand-ins.
pub const READ_ONLY: &str = "standin-read-only-token";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: these tests need the real services; run `source /tmp/svc/env` (scripts/services/start) first")
    })
}

/// The test PowerDNS.
pub fn pdns() -> PdnsTarget {
    env("SSLBOARD_TEST_PDNS_API");
    env("SSLBOARD_TEST_PDNS_API_KEY");
    PdnsTarget::from_env().expect("PowerDNS env")
}

/// The moto server's URL.
pub fn moto_url() -> String {
    env("SSLBOARD_TEST_MOTO_URL")
}

/// A fresh name under [`ZONE`], e.g. `_t-1a2b3c4d5e6f.example.test`.
pub fn unique_name() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    format!("_t-{}.{ZONE}", hex::encode(bytes))
}

/// TXT values at `name` as PowerDNS answers them over DNS, unquoted and sorted.
pub fn dig_txt(name: &str) -> Vec<String> {
    let addr = env("SSLBOARD_TEST_PDNS_DNS");
    let (host, port) = addr
        .rsplit_once(':')
        .expect("SSLBOARD_TEST_PDNS_DNS is host:port");
    let out = Command::new("dig")
        .args([
            &format!("@{host}"),
            "-p",
            port,
            name,
            "TXT",
            "+short",
            "+time=2",
            "+tries=2",
        ])
        .output()
        .expect("dig must be installed");
    assert!(out.status.success(), "dig failed: {out:?}");
    let mut values: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(unquote)
        .collect();
    values.sort();
    values
}

/// Waits up to five seconds for `dig_txt(name)` to equal `want` (sorted).
pub fn wait_dig(name: &str, want: &[&str]) {
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = dig_txt(name);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "DNS TXT at {name}: got {got:?}, want {want:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One presentation-format TXT answer (`"a" "b"`) as raw text.
fn unquote(line: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut chars = line.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => in_string = !in_string,
            '\\' => out.extend(chars.next()),
            ' ' if !in_string => {}
            c => out.push(c),
        }
    }
    out
}

/// A JSON response: (status, header lookup result, body).
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
}

/// Sends one request with an optional bearer token and JSON body.
pub async fn call(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Reply {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    Reply {
        status,
        headers,
        body,
    }
}
