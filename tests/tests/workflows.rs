//! Deploy workflows through the whole tree (issue 17): certificates issued
//! by the real pebble through the real PowerDNS, `http_request` nodes sent
//! to a real loopback HTTP server this test owns, secret references
//! resolved by vault-proc under the run's permit.
//!
//! Every check that a value is absent carries a positive control in the
//! same scan or text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use shared::protocol::secrets::{SecretKind, SecretType, TokenBinding};
use shared::protocol::vault::{PermitScope, VaultRequest, VaultResponse};
use shared::protocol::workflow::ResolvedPart;
use sslboard_tests::acme::{self, Pebble};
use sslboard_tests::direct::{new_secret, DirectVault};
use sslboard_tests::tree::Tree;
use sslboard_tests::{bytes_contain, files_under, procs, random_hex};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP/1.1 server that records every request and answers with
/// `status` and a body that echoes the request's `X-Api-Key` header (a
/// receiver that echoes what it got, so the scrubber is exercised).
struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(status: u16) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(r) = serve(stream, status) {
                    sink.lock().unwrap().push(r);
                }
            }
        });
        Receiver { port, got }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, status: u16) -> Option<Received> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let r = Received {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let echo = format!("you sent {}", r.header("x-api-key").unwrap_or("nothing"));
    let mut out = stream;
    let _ = write!(
        out,
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{echo}",
        echo.len()
    );
    Some(r)
}

/// A tree with an account at pebble and a PowerDNS provider for example.test.
fn setup() -> (tempfile::TempDir, Tree, String) {
    let (t, mut tree) = acme::pdns_tree(&[]);
    let acct = acme::account(&mut tree, Pebble::Pdns);
    acme::pdns_provider(&mut tree, "pdns", "example.test");
    (t, tree, acct["id"].as_str().unwrap().to_string())
}

/// Issues a certificate for a fresh name; returns its id.
fn issue(tree: &mut Tree, account: &str) -> String {
    let name = format!("{}.example.test", acme::label());
    let (r, events) = acme::issue(tree, account, &[&name], 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    r["certificate"]["id"].as_str().unwrap().to_string()
}

fn secret(tree: &mut Tree, name: &str, ty: &str, data: Value, hosts: Option<Vec<&str>>) -> Value {
    let mut args = json!({"name": name, "type": ty, "data": data});
    if let Some(h) = hosts {
        args["allowedHosts"] = json!(h);
    }
    tree.ok("secret_create", args)
}

fn node(name: &str, method: &str, url: &str, headers: Value, body: Option<&str>) -> Value {
    let mut n = json!({"name": name, "type": "http_request", "method": method, "url": url, "headers": headers});
    if let Some(b) = body {
        n["body"] = json!(b);
    }
    n
}

/// Runs a workflow; returns the result and the progress data.
fn run(tree: &mut Tree, id: &str, cert: &str) -> (Value, Vec<Value>) {
    let rid = tree.send("workflow_run", json!({"id": id, "certificateId": cert}));
    let mut events = Vec::new();
    let r = tree.wait_response(rid, Duration::from_secs(120), &mut events);
    assert_eq!(r["ok"], json!(true), "{r}");
    for e in &events {
        assert_eq!(e["event"], json!("workflow_progress"), "{e}");
    }
    (r["result"].clone(), events)
}

#[test]
fn values_reach_the_receiver_decrypted_once_per_run_and_nowhere_else() {
    let (t, mut tree, account) = setup();
    let rx = Receiver::start(200);
    let (api, user, pass) = (
        format!("cdn-key-{}", random_hex(12)),
        format!("deploy-user-{}", random_hex(8)),
        format!("deploy-pass-{}", random_hex(12)),
    );
    secret(
        &mut tree,
        "cdn",
        "api_key",
        json!({"value": api}),
        Some(vec!["127.0.0.1"]),
    );
    secret(
        &mut tree,
        "basic",
        "basic_auth",
        json!({"username": user, "password": pass}),
        Some(vec!["localhost", "127.0.0.1"]),
    );
    let control = format!("wf-control-{}", random_hex(8));
    let wf = tree.ok(
        "workflow_create",
        json!({
            "name": control,
            "trigger": {"on": ["issued"], "names": ["example.test"]},
            "nodes": [
                node("push", "POST", &rx.url("/push"), json!({"X-Api-Key": "{{secrets.cdn.value}}"}), Some("{{certificate.fullchainPem}}")),
                node("reload", "PUT", &rx.url("/reload?key={{secrets.cdn.value}}&id={{certificate.id}}"),
                    json!({"X-Auth": "{{secrets.basic.username}}:{{secrets.basic.password}}"}),
                    Some("names={{certificate.names}}")),
            ],
        }),
    );
    let id = wf["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("wf_") && id.len() == 3 + 32, "{wf}");
    let refs: Vec<(String, String)> = wf["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().into(),
                r["refField"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(refs.len(), 4, "{wf}");
    assert!(refs.contains(&("basic".into(), "password".into())));

    // Issuance runs the matching workflow once.
    let cert = issue(&mut tree, &account);
    let chain = tree.ok("certificate_get", json!({"id": cert}))["chainPem"]
        .as_str()
        .unwrap()
        .to_string();
    let got = rx.got();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].header("x-api-key"), Some(api.as_str()));
    assert_eq!(got[0].body, chain);
    assert_eq!(got[1].method, "PUT");
    assert_eq!(got[1].target, format!("/reload?key={api}&id={cert}"));
    assert_eq!(
        got[1].header("x-auth"),
        Some(format!("{user}:{pass}").as_str())
    );
    assert!(got[1].body.starts_with("names=") && got[1].body.ends_with(".example.test"));

    // Run now: progress events, the result, and one decryption per secret per run.
    let (r, events) = run(&mut tree, &id, &cert);
    assert_eq!(r["success"], json!(true), "{r}");
    assert_eq!(r["secretDecrypts"], json!(2), "{r}");
    let nodes = r["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    for n in nodes {
        assert_eq!(n["status"], json!("succeeded"), "{n}");
        assert_eq!(n["httpStatus"], json!(200));
        assert!(n["durationMs"].is_u64());
    }
    let statuses: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["data"]["node"].as_str().unwrap(),
                e["data"]["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "push:running",
            "push:succeeded",
            "reload:running",
            "reload:succeeded"
        ]
    );
    assert_eq!(rx.got().len(), 4);
    let runs = tree.ok("workflow_runs", json!({"id": id}));
    let runs = runs["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["cause"], json!("manual"));
    assert_eq!(runs[1]["cause"], json!("issued"));
    for run in &runs {
        assert_eq!(run["secretDecrypts"], json!(2), "{run}");
    }

    // No value in anything the UI got, in the logs, in the data dir, or in
    // the memory of the broker and ui-bridge (each scan with its control).
    let canaries = [api.as_str(), user.as_str(), pass.as_str()];
    let mut ui_text = format!("{wf}{r}{events:?}{runs:?}");
    ui_text.push_str(&tree.ok("workflow_get", json!({"id": id})).to_string());
    ui_text.push_str(&tree.ok("workflow_list", json!({})).to_string());
    ui_text.push_str(&tree.ok("secret_list", json!({})).to_string());
    assert!(ui_text.contains(&control) && ui_text.contains("{{secrets.basic.password}}"));
    let logs = tree.stderr();
    assert!(
        logs.contains("workflow run ended"),
        "the vault logs the end of a run"
    );
    let files = files_under(t.path());
    assert!(
        files
            .iter()
            .any(|(_, b)| bytes_contain(b, control.as_bytes())),
        "control in acme.sqlite"
    );
    for c in canaries {
        assert!(!ui_text.contains(c), "{c} reached the UI");
        assert!(!logs.contains(c), "{c} is in a log");
        for (path, bytes) in &files {
            assert!(!bytes_contain(bytes, c.as_bytes()), "{c} is in {path}");
        }
    }
    // Sync point, then the control both processes hold for their life: the
    // data dir's random path (freed buffers are wiped, so a request's text
    // is no control).
    tree.ok("ping", json!({}));
    let live = tree.opts.data_dir.to_string_lossy().into_owned();
    let absent: Vec<&[u8]> = canaries.iter().map(|c| c.as_bytes()).collect();
    procs::assert_absent_with_control(tree.pid_of("broker"), "broker", &absent, live.as_bytes());
    procs::assert_absent_with_control(tree.pid(), "ui-bridge", &absent, live.as_bytes());
    // The run is over: dns-proc (which sent them) and vault-proc (whose run
    // cache died with the permit) no longer hold the values.
    for name in ["dns-proc", "vault-proc"] {
        procs::assert_gone_with_control(
            tree.pid_of(name),
            name,
            &absent,
            live.as_bytes(),
            Duration::from_secs(10),
        );
    }
}

#[test]
fn bad_references_are_refused_at_save_with_offsets_and_a_deleted_secret_stops_the_node() {
    let (_t, mut tree, account) = setup();
    let rx = Receiver::start(200);
    secret(
        &mut tree,
        "cdn",
        "api_key",
        json!({"value": "v-1234567890"}),
        Some(vec!["127.0.0.1"]),
    );
    let url = rx.url("/x");
    let validate = |tree: &mut Tree, header: &str| {
        tree.ok(
            "workflow_validate",
            json!({"workflow": {"name": "w", "nodes": [node("n1", "POST", &url, json!({"X-Key": header}), None)]}}),
        )
    };
    // Missing secret, missing field, malformed reference: node, field, offset.
    for (header, offset, says) in [
        ("k={{secrets.nope.value}}", 2, "nope"),
        ("k={{secrets.cdn.password}}", 2, "password"),
        ("abc{{secrets.cdn}}", 16, "field"),
        ("{{ secrets.cdn.value}}", 2, "whitespace"),
        ("{{certificate.fulchainPem}}", 14, "certificate field"),
    ] {
        let c = validate(&mut tree, header);
        let e = &c["errors"][0];
        assert_eq!(e["node"], json!("n1"), "{c}");
        assert_eq!(e["field"], json!("headers.X-Key"), "{c}");
        assert_eq!(e["offset"], json!(offset), "{header}: {c}");
        assert!(
            e["message"].as_str().unwrap().contains(says),
            "{header}: {c}"
        );
    }
    let c = validate(&mut tree, "{{secrets.cdn.value}}");
    assert_eq!(c["errors"], json!([]), "{c}");
    assert_eq!(c["references"][0]["name"], json!("cdn"));
    // A reference in the host is refused at save.
    let c = tree.ok(
        "workflow_validate",
        json!({"workflow": {"name": "w", "nodes": [node("n1", "GET", "https://{{secrets.cdn.value}}.evil.test/", json!({}), None)]}}),
    );
    assert_eq!(c["errors"][0]["field"], json!("url"), "{c}");
    assert_eq!(c["errors"][0]["offset"], json!(8), "{c}");
    // workflow_create refuses with details.
    let (code, e) = tree.err(
        "workflow_create",
        json!({"name": "w", "nodes": [node("n1", "POST", &url, json!({"X-Key": "k={{secrets.nope.value}}"}), None)]}),
    );
    assert_eq!(code, "validation", "{e}");
    assert_eq!(e["details"]["node"], json!("n1"), "{e}");
    assert_eq!(e["details"]["field"], json!("headers.X-Key"), "{e}");
    assert_eq!(e["details"]["offset"], json!(2), "{e}");
    assert_eq!(tree.ok("workflow_list", json!({}))["workflows"], json!([]));

    // A secret deleted after saving fails the node before any request.
    secret(
        &mut tree,
        "temp",
        "api_key",
        json!({"value": "temp-value-123456"}),
        Some(vec!["127.0.0.1"]),
    );
    let wf = tree.ok(
        "workflow_create",
        json!({"name": "w", "nodes": [
            node("first", "POST", &url, json!({"X-Key": "k={{secrets.temp.value}}"}), None),
            node("second", "POST", &url, json!({}), None),
        ]}),
    );
    tree.ok("secret_delete", json!({"name": "temp"}));
    let cert = issue(&mut tree, &account);
    let (r, _) = run(&mut tree, wf["id"].as_str().unwrap(), &cert);
    assert_eq!(r["success"], json!(false), "{r}");
    let first = &r["nodes"][0];
    assert_eq!(first["status"], json!("failed"));
    let err = first["error"].as_str().unwrap();
    assert!(
        err.contains("{{secrets.temp.value}}")
            && err.contains("byte 2")
            && err.contains("headers.X-Key"),
        "{err}"
    );
    assert_eq!(r["nodes"][1]["status"], json!("skipped"));
    assert!(rx.got().is_empty(), "the receiver got {:?}", rx.got());
    // Control: the same receiver gets a request when the workflow is good.
    let ok = tree.ok(
        "workflow_create",
        json!({"name": "w2", "nodes": [node("n", "POST", &url, json!({"X-Api-Key": "{{secrets.cdn.value}}"}), None)]}),
    );
    let (r, _) = run(&mut tree, ok["id"].as_str().unwrap(), &cert);
    assert_eq!(r["success"], json!(true), "{r}");
    assert_eq!(rx.got().len(), 1);
    // The receiver echoed the value back: the recorded run never shows it.
    assert!(!r.to_string().contains("v-1234567890"));
}

#[test]
fn allowed_hosts_decide_where_a_secret_may_go_and_keys_never_go_anywhere() {
    let (_t, mut tree, account) = setup();
    let rx = Receiver::start(200);
    let url = rx.url("/x");
    secret(
        &mut tree,
        "elsewhere",
        "api_key",
        json!({"value": "else-value-123456"}),
        Some(vec!["deploy.example.test"]),
    );
    secret(
        &mut tree,
        "nolist",
        "api_key",
        json!({"value": "nolist-value-123456"}),
        None,
    );
    secret(
        &mut tree,
        "good",
        "api_key",
        json!({"value": "good-value-123456"}),
        Some(vec!["127.0.0.1"]),
    );
    // The list changes only with the value.
    let (code, e) = tree.err(
        "secret_update",
        json!({"name": "elsewhere", "allowedHosts": ["127.0.0.1"]}),
    );
    assert_eq!(code, "forbidden", "{e}");
    let m = tree.ok("secret_get", json!({"name": "elsewhere"}));
    assert_eq!(m["allowedHosts"], json!(["deploy.example.test"]));
    let m = tree.ok(
        "secret_update",
        json!({"name": "nolist", "allowedHosts": ["LOCALHOST"], "data": {"value": "nolist-value-654321"}}),
    );
    assert_eq!(m["allowedHosts"], json!(["localhost"]));
    let (code, _) = tree.err(
        "secret_create",
        json!({"name": "bad", "type": "api_key", "data": {"value": "x"}, "allowedHosts": ["*.example.test"]}),
    );
    assert_eq!(code, "validation");
    secret(
        &mut tree,
        "nolist2",
        "api_key",
        json!({"value": "nolist2-value-123456"}),
        None,
    );

    // Key and token names to reference.
    let secrets = tree.ok("secret_list", json!({}))["secrets"]
        .as_array()
        .unwrap()
        .clone();
    let name_of = |kind: &str| {
        secrets
            .iter()
            .find(|s| s["kind"] == json!(kind))
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["fields"][0].as_str().unwrap().to_string(),
                )
            })
            .unwrap()
    };
    let (token, token_field) = name_of("dns_provider_token");
    let (acct_key, acct_field) = name_of("acme_account_key");
    let cert = issue(&mut tree, &account);

    // A provider token or a key is refused at save (and at run time by
    // vault-proc: `vault_resolves_only_under_the_run_permit_…` below).
    for reference in [
        format!("k={{{{secrets.{token}.{token_field}}}}}"),
        format!("k={{{{secrets.{acct_key}.{acct_field}}}}}"),
    ] {
        let (code, e) = tree.err(
            "workflow_create",
            json!({"name": "w", "nodes": [node("n", "POST", &url, json!({"X-Key": reference}), None)]}),
        );
        assert_eq!(code, "validation", "{e}");
        assert_eq!(e["details"]["offset"], json!(2), "{e}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("provider tokens and keys"),
            "{e}"
        );
    }
    for (reference, says) in [
        (
            "{{secrets.elsewhere.value}}".to_string(),
            "may not be sent to `127.0.0.1`",
        ),
        ("{{secrets.nolist2.value}}".to_string(), "no allowedHosts"),
    ] {
        let wf = tree.ok(
            "workflow_create",
            json!({"name": "w", "nodes": [node("n", "POST", &url, json!({"X-Key": reference}), None)]}),
        );
        let (r, _) = run(&mut tree, wf["id"].as_str().unwrap(), &cert);
        assert_eq!(r["success"], json!(false), "{reference}: {r}");
        let err = r["nodes"][0]["error"].as_str().unwrap();
        assert!(err.contains(says), "{reference}: {err}");
        assert!(
            rx.got().is_empty(),
            "{reference}: the receiver got {:?}",
            rx.got()
        );
    }
    // Control: a listed host gets the value.
    let wf = tree.ok(
        "workflow_create",
        json!({"name": "w", "nodes": [node("n", "POST", &url, json!({"X-Key": "{{secrets.good.value}}"}), None)]}),
    );
    let (r, _) = run(&mut tree, wf["id"].as_str().unwrap(), &cert);
    assert_eq!(r["success"], json!(true), "{r}");
    assert_eq!(rx.got().len(), 1);
    assert_eq!(rx.got()[0].header("x-key"), Some("good-value-123456"));
}

#[test]
fn a_failing_workflow_after_issuance_is_recorded_and_leaves_the_certificate_valid() {
    let (_t, mut tree, account) = setup();
    let rx = Receiver::start(500);
    let wf = tree.ok(
        "workflow_create",
        json!({
            "name": "fails",
            "trigger": {"on": ["issued"]},
            "nodes": [
                node("push", "POST", &rx.url("/push"), json!({}), Some("{{certificate.certPem}}")),
                node("never", "POST", &rx.url("/never"), json!({}), None),
            ],
        }),
    );
    // A disabled workflow does not run.
    tree.ok(
        "workflow_create",
        json!({"name": "off", "enabled": false, "trigger": {"on": ["issued"]},
               "nodes": [node("n", "POST", &rx.url("/off"), json!({}), None)]}),
    );
    let name = format!("{}.example.test", acme::label());
    let (r, _) = acme::issue(&mut tree, &account, &[&name], 60);
    assert_eq!(r["success"], json!(true), "{r}");
    let cert = r["certificate"]["id"].as_str().unwrap().to_string();
    let got = rx.got();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].target, "/push");
    assert!(got[0].body.starts_with("-----BEGIN CERTIFICATE-----"));
    let c = tree.ok("certificate_get", json!({"id": cert}));
    assert_eq!(c["status"], json!("valid"), "{c}");
    let runs = tree.ok("workflow_runs", json!({"id": wf["id"]}))["runs"].clone();
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");
    let run = &runs[0];
    assert_eq!(run["cause"], json!("issued"));
    assert_eq!(run["success"], json!(false));
    assert_eq!(run["certificateId"], json!(cert));
    assert_eq!(run["nodes"][0]["httpStatus"], json!(500));
    assert!(
        run["nodes"][0]["error"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{run}"
    );
    assert_eq!(run["nodes"][1]["status"], json!("skipped"));
}

#[test]
fn the_export_carries_workflows_with_references_and_no_values() {
    let (t, mut tree) = acme::tree(&[]);
    let value = format!("export-canary-{}", random_hex(12));
    secret(
        &mut tree,
        "cdn",
        "api_key",
        json!({"value": value}),
        Some(vec!["cdn.example.test"]),
    );
    tree.ok(
        "workflow_create",
        json!({"name": "export-me", "nodes": [
            node("n", "POST", "https://cdn.example.test/deploy", json!({"Authorization": "Bearer {{secrets.cdn.value}}"}), Some("{{certificate.fullchainPem}}")),
        ]}),
    );
    let doc = tree.ok("config_export", json!({}));
    let text = doc.to_string();
    assert_eq!(doc["workflows"][0]["name"], json!("export-me"), "{doc}");
    assert_eq!(
        doc["workflows"][0]["nodes"][0]["headers"]["Authorization"],
        json!("Bearer {{secrets.cdn.value}}")
    );
    assert_eq!(doc["workflows"][0]["references"][0]["name"], json!("cdn"));
    assert!(
        text.contains("{{secrets.cdn.value}}"),
        "control: the reference is exported"
    );
    assert!(!text.contains(&value), "the value is exported");
    let files = files_under(t.path());
    assert!(files
        .iter()
        .any(|(_, b)| bytes_contain(b, b"{{secrets.cdn.value}}")));
    for (path, bytes) in &files {
        assert!(
            !bytes_contain(bytes, value.as_bytes()),
            "{path} holds the value"
        );
    }
}

/// vault-proc itself, driven in the broker and dns roles: resolution only
/// under a live workflow permit naming the secret, never a provider token
/// or a key, each secret decrypted once per run.
#[test]
fn vault_resolves_only_under_the_run_permit_and_never_a_token_or_key() {
    let v = DirectVault::start(&[]);
    let mut cdn = new_secret(
        "cdn",
        SecretType::ApiKey,
        SecretKind::Generic,
        &[("value", "cdn-value-123456")],
    );
    cdn.allowed_hosts = Some(vec!["127.0.0.1".into()]);
    v.create(cdn);
    let mut other = new_secret(
        "other",
        SecretType::ApiKey,
        SecretKind::Generic,
        &[("value", "other-value-123456")],
    );
    other.allowed_hosts = Some(vec!["127.0.0.1".into()]);
    v.create(other);
    let mut tok = new_secret(
        "tok",
        SecretType::ApiKey,
        SecretKind::DnsProviderToken,
        &[("value", "tok-value-123456")],
    );
    tok.owner = Some("dns_prov_x".into());
    tok.binding = Some(TokenBinding {
        owner: "dns_prov_x".into(),
        endpoint: None,
    });
    v.create(tok);
    let key = match v
        .as_broker(VaultRequest::KeyCreate(shared::protocol::keys::NewKey {
            kind: SecretKind::AcmeAccountKey,
            key_type: Default::default(),
            name: Some("acctkey".into()),
            label: None,
            description: None,
            tags: vec![],
            owner: None,
        }))
        .unwrap()
    {
        VaultResponse::Meta(m) => m.name,
        other => panic!("{other:?}"),
    };
    let resolve = |text: &str| {
        v.as_dns(VaultRequest::WorkflowResolve {
            run_id: "wfr_1".into(),
            url: "http://127.0.0.1:9/x".into(),
            texts: vec![text.to_string()],
        })
    };
    // No permit: refused.
    let e = resolve("{{secrets.cdn.value}}").unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden", "{e:?}");
    let scope = PermitScope::Workflow {
        run_id: "wfr_1".into(),
        names: vec!["cdn".into(), "tok".into(), key.clone()],
    };
    v.grant(scope.clone());
    let value_of = |r: VaultResponse| match r {
        VaultResponse::WorkflowResolved(texts, decrypts) => {
            let text: String = texts[0]
                .iter()
                .map(|p| match p {
                    ResolvedPart::Text(t) => t.clone(),
                    // EXPOSE: the test compares the resolved value.
                    ResolvedPart::Value(v) => v.expose().to_string(),
                })
                .collect();
            (text, decrypts)
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        value_of(resolve("k={{secrets.cdn.value}}").unwrap()),
        ("k=cdn-value-123456".to_string(), 1)
    );
    // Cached for the run: the second node decrypts nothing.
    assert_eq!(
        value_of(resolve("{{secrets.cdn.value}}!").unwrap()),
        ("cdn-value-123456!".to_string(), 0)
    );
    for (text, says) in [
        (
            "{{secrets.tok.value}}".to_string(),
            "provider tokens and keys",
        ),
        (
            format!("{{{{secrets.{key}.pem}}}}"),
            "provider tokens and keys",
        ),
        ("{{secrets.other.value}}".to_string(), "does not cover"),
    ] {
        let e = resolve(&text).unwrap_err();
        assert_eq!(e.code.as_str(), "forbidden", "{text}: {e:?}");
        assert!(e.message.contains(says), "{text}: {}", e.message);
        assert!(!e.message.contains("value-123456"), "{}", e.message);
    }
    // The run ends: nothing more is resolved.
    v.revoke(scope);
    let e = resolve("{{secrets.cdn.value}}").unwrap_err();
    assert_eq!(e.code.as_str(), "forbidden", "{e:?}");
}

/// The `workflow_run` events seen on subscription `sid` (from the backlog
/// and whatever arrives within `timeout`) until `want` of them came.
fn run_events(tree: &mut Tree, sid: u64, want: usize, timeout: Duration) -> Vec<Value> {
    let deadline = std::time::Instant::now() + timeout;
    let mut seen = Vec::new();
    while seen.len() < want {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let Some(v) = tree.next_line(left) else {
            panic!("workflow_run events so far: {seen:#?}");
        };
        if v["event"] == json!("workflow_run") && v["id"] == json!(sid) {
            seen.push(v["data"].clone());
        }
    }
    seen
}

fn read(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn issuance_and_renewal_each_run_the_workflow_once_and_export_files_deploys_the_new_certificate() {
    use std::os::unix::fs::PermissionsExt;
    let (t, mut tree, account) = setup();
    let rx = Receiver::start(200);
    let deploy = t.path().join("deploy/site");
    let wf = tree.ok(
        "workflow_create",
        json!({
            "name": "deploy-and-reload",
            "trigger": {"on": ["issued", "renewed"]},
            "nodes": [
                {"name": "files", "type": "export_files", "dir": deploy.to_str().unwrap(), "includeKey": true},
                node("reload", "POST", &rx.url("/reload"), json!({}), Some("{{certificate.id}} {{certificate.names}}")),
            ],
        }),
    );
    assert_eq!(wf["nodes"][0]["type"], json!("export_files"), "{wf}");
    assert_eq!(wf["nodes"][0]["includeKey"], json!(true), "{wf}");
    // A relative directory is refused at save, at its node and field.
    let (code, e) = tree.err(
        "workflow_create",
        json!({"name": "bad", "nodes": [{"name": "f", "type": "export_files", "dir": "relative/dir"}]}),
    );
    assert_eq!(code, "validation", "{e}");
    assert_eq!(e["details"]["node"], json!("f"), "{e}");
    assert_eq!(e["details"]["field"], json!("dir"), "{e}");

    let sid = tree.send("events_subscribe", json!({}));
    let name = format!("{}.example.test", acme::label());
    let (r, _) = acme::issue(&mut tree, &account, &[&name], 60);
    assert_eq!(r["success"], json!(true), "{r}");
    let first = r["certificate"].clone();
    let first_id = first["id"].as_str().unwrap().to_string();
    // Exactly once after the issuance: files first, then the reload.
    let got = rx.got();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].body, format!("{first_id} {name}"));
    let chain = tree.ok("certificate_get", json!({"id": first_id}))["chainPem"].clone();
    let chain = chain.as_str().unwrap().to_string();
    assert_eq!(read(&deploy, "fullchain.pem"), chain);
    assert!(chain.starts_with(&read(&deploy, "cert.pem")));
    let key_mode = std::fs::metadata(deploy.join("privkey.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o777, 0o600);
    let first_key = read(&deploy, "privkey.pem");
    assert!(first_key.starts_with("-----BEGIN PRIVATE KEY-----"));
    let announced = run_events(&mut tree, sid, 1, Duration::from_secs(30));
    assert_eq!(announced[0]["cause"], json!("issued"), "{announced:#?}");
    assert_eq!(announced[0]["success"], json!(true), "{announced:#?}");
    assert_eq!(announced[0]["nodes"][0]["status"], json!("succeeded"));

    // Renewal (new key): the workflow runs again and the files are replaced.
    let rid = tree.send(
        "certificate_renew",
        json!({"id": first_id, "timeoutSecs": 60}),
    );
    let (r, _) = acme::finish(&mut tree, rid, 60);
    assert_eq!(r["success"], json!(true), "{r}");
    let second_id = r["certificate"]["id"].as_str().unwrap().to_string();
    assert_ne!(second_id, first_id);
    let got = rx.got();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[1].body, format!("{second_id} {name}"));
    let chain2 = tree.ok("certificate_get", json!({"id": second_id}))["chainPem"].clone();
    assert_eq!(read(&deploy, "fullchain.pem"), chain2.as_str().unwrap());
    assert_ne!(
        read(&deploy, "privkey.pem"),
        first_key,
        "the new key is deployed"
    );
    let announced = run_events(&mut tree, sid, 1, Duration::from_secs(30));
    assert_eq!(announced[0]["cause"], json!("renewed"), "{announced:#?}");
    assert_eq!(announced[0]["certificateId"], json!(second_id));

    let runs = tree.ok("workflow_runs", json!({"id": wf["id"]}))["runs"].clone();
    let causes: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cause"].as_str().unwrap())
        .collect();
    assert_eq!(causes, ["renewed", "issued"], "{runs:#}");

    // A directory through a symlink is refused by vault-proc when it
    // writes: the node fails, the reload is skipped, the run is recorded.
    let real = t.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let wf2 = tree.ok(
        "workflow_create",
        json!({"name": "through-a-link", "nodes": [
            {"name": "files", "type": "export_files", "dir": link.join("site").to_str().unwrap(), "includeKey": true},
            node("reload", "POST", &rx.url("/never"), json!({}), None),
        ]}),
    );
    let (run, events) = run(&mut tree, wf2["id"].as_str().unwrap(), &second_id);
    assert_eq!(run["success"], json!(false), "{run}");
    assert_eq!(run["nodes"][0]["status"], json!("failed"), "{run}");
    assert!(
        run["nodes"][0]["error"]
            .as_str()
            .unwrap()
            .contains("symbolic link"),
        "{run}"
    );
    assert_eq!(run["nodes"][1]["status"], json!("skipped"), "{run}");
    let statuses: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["data"]["node"].as_str().unwrap(),
                e["data"]["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(statuses, ["files:running", "files:failed"], "{events:#?}");
    assert!(
        std::fs::read_dir(&real).unwrap().next().is_none(),
        "nothing written through the link"
    );
    assert_eq!(rx.got().len(), 2, "the skipped node sent nothing");
    let c = tree.ok("certificate_get", json!({"id": second_id}));
    assert_eq!(c["status"], json!("valid"), "{c}");
}
