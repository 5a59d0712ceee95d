//! Helpers for the ACME issuance tests: a tree that verifies against the
//! real PowerDNS (or BIND9), an account at the real pebble, PowerDNS zones
//! and records made directly through its API, issuance with its events,
//! and chain checks with `openssl`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::dns;
use crate::required_env;
use crate::tree::{KeySource, Tree, TreeOptions};

/// Which pebble (each validates through one DNS server).
#[derive(Clone, Copy, Debug)]
pub enum Pebble {
    /// Validates through PowerDNS.
    Pdns,
    /// Validates through BIND9.
    Bind,
    /// Through PowerDNS, rejecting 50 % of nonces.
    Nonce50,
}

impl Pebble {
    fn prefix(self) -> &'static str {
        match self {
            Pebble::Pdns => "SSLBOARD_TEST_PEBBLE",
            Pebble::Bind => "SSLBOARD_TEST_PEBBLE_BIND",
            Pebble::Nonce50 => "SSLBOARD_TEST_PEBBLE_NONCE50",
        }
    }

    /// The directory URL.
    pub fn directory(self) -> String {
        required_env(&format!("{}_DIR", self.prefix()))
    }

    /// The management API base URL.
    pub fn management(self) -> String {
        required_env(&format!("{}_MGMT", self.prefix()))
    }
}

/// The CA certificate of pebble's HTTPS (PEM text).
pub fn pebble_https_ca() -> String {
    std::fs::read_to_string(required_env("SSLBOARD_TEST_PEBBLE_CA")).unwrap()
}

/// A tree whose dns-proc finds nameservers through PowerDNS (NS records).
pub fn pdns_tree(extra: &[(&str, String)]) -> (tempfile::TempDir, Tree) {
    let pdns = dns::pdns_dns();
    let mut env = vec![
        ("SSLBOARD_DNS_BOOTSTRAP", pdns.to_string()),
        ("SSLBOARD_DNS_PORT", pdns.port().to_string()),
    ];
    env.extend(extra.iter().cloned());
    tree(&env)
}

/// A tree with `env`.
pub fn tree(env: &[(&str, String)]) -> (tempfile::TempDir, Tree) {
    let t = tempfile::tempdir().unwrap();
    let mut opts = TreeOptions::new(t.path(), KeySource::random_env());
    for (k, v) in env {
        opts.extra_env.push((k.to_string(), v.clone()));
    }
    let tree = Tree::start(opts);
    (t, tree)
}

/// A new account at `pebble`; returns its metadata.
pub fn account(tree: &mut Tree, pebble: Pebble) -> Value {
    tree.ok(
        "acme_account_create",
        json!({
            "directoryUrl": pebble.directory(),
            "contact": ["mailto:test@example.test"],
            "termsOfServiceAgreed": true,
            "caPem": pebble_https_ca(),
        }),
    )
}

/// A PowerDNS provider for `suffixes`; returns its id.
pub fn pdns_provider(tree: &mut Tree, label: &str, suffixes: &str) -> String {
    tree.ok(
        "dns_provider_create",
        json!({
            "type": "powerdns",
            "label": label,
            "domainSuffixes": suffixes,
            "apiToken": required_env("SSLBOARD_TEST_PDNS_API_KEY"),
            "config": {"serverUrl": required_env("SSLBOARD_TEST_PDNS_API")},
        }),
    )["provider"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Sends `certificate_issue`; returns the request id.
pub fn start_issue(tree: &mut Tree, account: &str, names: &[&str], timeout: u64) -> u64 {
    tree.send(
        "certificate_issue",
        json!({"accountId": account, "names": names, "timeoutSecs": timeout}),
    )
}

/// Issues and waits; returns the result and the progress data.
pub fn issue(tree: &mut Tree, account: &str, names: &[&str], timeout: u64) -> (Value, Vec<Value>) {
    let rid = start_issue(tree, account, names, timeout);
    finish(tree, rid, timeout)
}

/// Waits for issuance `rid`; returns the result and the progress data.
pub fn finish(tree: &mut Tree, rid: u64, timeout: u64) -> (Value, Vec<Value>) {
    let mut events = Vec::new();
    let r = tree.wait_response(rid, Duration::from_secs(timeout + 60), &mut events);
    assert_eq!(r["ok"], json!(true), "{r}");
    for e in &events {
        assert_eq!(e["event"], json!("certificate_progress"), "{e}");
    }
    (
        r["result"].clone(),
        events.into_iter().map(|e| e["data"].clone()).collect(),
    )
}

/// `step:status` of every event.
pub fn steps(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["step"].as_str().unwrap(),
                e["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// A fresh label.
pub fn label() -> String {
    format!("t{}", crate::random_hex(5))
}

fn pdns_api(method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, String) {
    let c = reqwest::blocking::Client::new();
    let mut r = c
        .request(
            method,
            format!(
                "{}/api/v1/servers/localhost{path}",
                required_env("SSLBOARD_TEST_PDNS_API")
            ),
        )
        .header("X-API-Key", required_env("SSLBOARD_TEST_PDNS_API_KEY"));
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().unwrap();
    (resp.status().as_u16(), resp.text().unwrap_or_default())
}

/// Makes sure PowerDNS serves zone `zone` (NS ns1.example.test).
pub fn ensure_zone(zone: &str) {
    let (status, body) = pdns_api(
        reqwest::Method::POST,
        "/zones",
        Some(
            json!({"name": format!("{zone}."), "kind": "Native", "nameservers": ["ns1.example.test."]}),
        ),
    );
    assert!(
        status == 201 || status == 409,
        "creating zone {zone}: HTTP {status} {body}"
    );
}

/// Sets (replaces) an rrset in PowerDNS; `content` empty deletes it.
pub fn set_rrset(zone: &str, name: &str, ty: &str, content: &[String]) {
    let rrset = if content.is_empty() {
        json!({"name": format!("{name}."), "type": ty, "changetype": "DELETE"})
    } else {
        json!({"name": format!("{name}."), "type": ty, "ttl": 60, "changetype": "REPLACE",
            "records": content.iter().map(|c| json!({"content": c, "disabled": false})).collect::<Vec<_>>()})
    };
    let (status, body) = pdns_api(
        reqwest::Method::PATCH,
        &format!("/zones/{zone}."),
        Some(json!({"rrsets": [rrset]})),
    );
    assert_eq!(status, 204, "PATCH {zone}: {body}");
}

/// TXT values PowerDNS serves at `fqdn` now.
pub fn pdns_txt(fqdn: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(dns::txt_values(dns::pdns_dns(), fqdn))
}

/// TXT values BIND serves at `fqdn` now.
pub fn bind_txt(fqdn: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(dns::txt_values(dns::bind_dns(), fqdn))
}

/// GET of pebble's management API (root / intermediate PEM).
pub fn management(pebble: Pebble, path: &str) -> String {
    let out = Command::new("curl")
        .args(["-sf", "--max-time", "5", "--cacert"])
        .arg(required_env("SSLBOARD_TEST_PEBBLE_CA"))
        .arg(format!("{}{path}", pebble.management()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "GET {path} from pebble's management API failed"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Splits a chain PEM into certificate PEMs.
pub fn split_pem(chain: &str) -> Vec<String> {
    chain
        .split_inclusive("-----END CERTIFICATE-----")
        .filter(|p| p.contains("BEGIN CERTIFICATE"))
        .map(|p| format!("{}\n", p.trim()))
        .collect()
}

/// `openssl verify` of `chain` (leaf + intermediates) against pebble's
/// root (management `/roots/0`) and intermediate (`/intermediates/0`);
/// returns openssl's output.
pub fn openssl_verify(pebble: Pebble, chain: &str, dir: &Path) -> String {
    let parts = split_pem(chain);
    assert!(parts.len() >= 2, "chain has {} certificate(s)", parts.len());
    std::fs::write(dir.join("leaf.pem"), &parts[0]).unwrap();
    std::fs::write(dir.join("chain.pem"), parts[1..].concat()).unwrap();
    std::fs::write(dir.join("root.pem"), management(pebble, "/roots/0")).unwrap();
    std::fs::write(
        dir.join("inter.pem"),
        management(pebble, "/intermediates/0"),
    )
    .unwrap();
    let out = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(dir.join("root.pem"))
        .arg("-untrusted")
        .arg(dir.join("inter.pem"))
        .arg(dir.join("leaf.pem"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl verify failed: {text}");
    // The intermediate the CA sent is the one the management API names.
    assert_eq!(
        parts[1].trim(),
        std::fs::read_to_string(dir.join("inter.pem"))
            .unwrap()
            .trim(),
        "the chain's intermediate is not pebble's /intermediates/0"
    );
    text
}

/// SHA-256 (hex) of the leaf's DER SubjectPublicKeyInfo, by openssl.
pub fn leaf_spki_sha256(chain: &str, dir: &Path) -> String {
    let leaf = &split_pem(chain)[0];
    std::fs::write(dir.join("leaf-spki.pem"), leaf).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -in {} -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r",
            dir.join("leaf-spki.pem").display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}
