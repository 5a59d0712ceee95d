//! Where a provider token can go, through the whole tree (ui-bridge →
//! broker → dns-proc, token revealed by vault-proc):
//!
//! * an endpoint that echoes our request back (a proxy, WAF or debug page in
//!   front of a self-hosted PowerDNS) never gets the token, or any 8-byte
//!   piece of it, into a result, an event or a log (issue 13 item 1);
//! * a `serverUrl` edited in `dns.sqlite` behind the core's back gets nothing
//!   at all, and the run says the configuration was changed outside the core
//!   (issue 13 item 6).
//!
//! Both use a loopback HTTP listener written here, so they need no service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sslboard_tests::random_hex;
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

/// How the echo server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Echo {
    /// HTTP 500, `text/plain`: padding, then the request line and headers.
    Text500 = 0,
    /// HTTP 200 with a JSON body of the wrong type: `["<padding + request>"]`
    /// (serde's error would quote the string whole).
    WrongJson200 = 1,
    /// HTTP 422 `{"error": "<padding + request>"}` (PowerDNS's error shape).
    JsonError422 = 2,
}

/// A loopback HTTP server that answers every request with the request itself.
struct EchoServer {
    addr: SocketAddr,
    mode: Arc<AtomicUsize>,
    padding: Arc<AtomicUsize>,
    /// Every request head received.
    received: Arc<Mutex<Vec<String>>>,
}

impl EchoServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicUsize::new(0));
        let padding = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (m, p, r) = (mode.clone(), padding.clone(), received.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    if line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                if head.is_empty() {
                    continue;
                }
                r.lock().unwrap().push(head.clone());
                let echoed = format!("{}{head}", "p".repeat(p.load(Ordering::SeqCst)));
                let (status, ctype, body) = match m.load(Ordering::SeqCst) {
                    0 => ("500 Internal Server Error", "text/plain", echoed),
                    1 => ("200 OK", "application/json", json!([echoed]).to_string()),
                    _ => (
                        "422 Unprocessable Entity",
                        "application/json",
                        json!({ "error": echoed }).to_string(),
                    ),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.flush();
            }
        });
        Self {
            addr,
            mode,
            padding,
            received,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set(&self, mode: Echo, padding: usize) {
        self.mode.store(mode as usize, Ordering::SeqCst);
        self.padding.store(padding, Ordering::SeqCst);
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

fn tree() -> (tempfile::TempDir, Tree) {
    let t = tempfile::tempdir().unwrap();
    let tree = Tree::start(TreeOptions::new(t.path(), KeySource::random_env()));
    (t, tree)
}

/// Sets a provider's `serverUrl` in `dns.sqlite` by hand, as another
/// process of the same user could.
fn edit_server_url(opts: &TreeOptions, id: &str, url: &str) {
    let c = rusqlite::Connection::open(opts.data_dir.join("dns.sqlite")).unwrap();
    let n = c
        .execute(
            "UPDATE providers SET config = json_set(config, '$.serverUrl', ?2) WHERE id = ?1",
            rusqlite::params![id, url],
        )
        .unwrap();
    assert_eq!(n, 1);
}

fn create_powerdns(tree: &mut Tree, suffix: &str, token: &str, config: Value) -> String {
    let args = json!({"type": "powerdns", "label": format!("pdns {suffix}"),
        "domainSuffixes": suffix, "apiToken": token, "config": config});
    tree.ok("dns_provider_create", args)["provider"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Runs Test Connection; returns the result.
fn run_test(tree: &mut Tree, id: &str) -> Value {
    let rid = tree.send("dns_provider_test", json!({"id": id, "timeoutSecs": 5}));
    let mut events = Vec::new();
    let r = tree.wait_response(rid, Duration::from_secs(60), &mut events);
    assert_eq!(r["ok"], json!(true), "{r}");
    r["result"].clone()
}

/// Every 8-byte window of `token`, lower-cased.
fn windows(token: &str) -> Vec<String> {
    token
        .as_bytes()
        .windows(8)
        .map(|w| String::from_utf8_lossy(w).to_ascii_lowercase())
        .collect()
}

/// The first 8-byte window of `token` found in `text`, ignoring case.
fn piece_in(text: &str, token: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    windows(token).into_iter().find(|w| lower.contains(w))
}

#[test]
fn an_echoing_endpoint_never_gets_any_piece_of_the_token_into_results_events_or_logs() {
    let echo = EchoServer::start();
    let token = format!("pdns-echo-{}", random_hex(20));
    let (_t, mut tree) = tree();
    // serverId lengths move the token inside the echoed request line.
    let providers: Vec<(usize, String)> = [1usize, 9, 33, 64]
        .into_iter()
        .map(|n| {
            let sid = "s".repeat(n);
            let id = create_powerdns(
                &mut tree,
                &format!("n{n}.example.test"),
                &token,
                json!({"serverUrl": echo.url(), "serverId": sid}),
            );
            (n, id)
        })
        .collect();

    let mut runs = 0;
    for (mode, paddings) in [
        (Echo::Text500, (0..=330).step_by(7).collect::<Vec<_>>()),
        (Echo::WrongJson200, (0..=330).step_by(41).collect()),
        (Echo::JsonError422, (0..=330).step_by(41).collect()),
    ] {
        for &pad in &paddings {
            echo.set(mode, pad);
            for (n, id) in &providers {
                let result = run_test(&mut tree, id);
                runs += 1;
                assert_eq!(
                    result["success"],
                    json!(false),
                    "{mode:?} {pad} {n}: {result}"
                );
                assert_eq!(
                    result["failedStep"],
                    json!("zone_lookup"),
                    "{mode:?} {pad} {n}: {result}"
                );
                if let Some(w) = piece_in(&result.to_string(), &token) {
                    panic!("{mode:?} padding {pad} serverId {n}: `{w}` of the token in {result}");
                }
            }
        }
    }

    // Method check: the echo server did receive the token, in every request.
    let received = echo.received();
    assert!(
        received.len() >= runs,
        "{} requests for {runs} runs",
        received.len()
    );
    assert!(
        received.iter().all(|h| h.contains(&token)),
        "a request without the token"
    );

    // The whole UI output (every result and progress event) and every
    // process's log: no 8-byte piece of the token ...
    let ui = String::from_utf8_lossy(&tree.stdout_log.lock().unwrap()).into_owned();
    let logs = tree.stderr();
    assert_eq!(piece_in(&ui, &token), None, "token piece in UI output");
    assert_eq!(
        piece_in(&logs, &token),
        None,
        "token piece in a process log"
    );
    // ... while the echoed request did reach them (positive control of the
    // same scan): the request line is there, and the token's place is marked.
    assert!(
        ui.contains("GET /api/v1/servers/s"),
        "echo never reached the UI"
    );
    assert!(ui.contains("[redacted]"), "nothing was scrubbed");
    tree.close();
}

/// Issue 13 item 6: the token is sealed paired with its provider and
/// endpoint, so a `serverUrl` edited in `dns.sqlite` gets nothing.
#[test]
fn a_server_url_edited_outside_the_core_never_receives_the_token() {
    let paired = EchoServer::start();
    let moved = EchoServer::start();
    let token = format!("pdns-paired-{}", random_hex(16));
    let t = tempfile::tempdir().unwrap();
    let opts = TreeOptions::new(t.path(), KeySource::random_env());
    let mut tree = Tree::start(opts.clone());
    let id = create_powerdns(
        &mut tree,
        "paired.example.test",
        &token,
        json!({"serverUrl": paired.url()}),
    );
    // Method check: paired as created, the run does send the token there.
    let result = run_test(&mut tree, &id);
    assert_eq!(result["failedStep"], json!("zone_lookup"), "{result}");
    assert!(paired.received().iter().any(|h| h.contains(&token)));
    tree.close();

    edit_server_url(&opts, &id, &moved.url());
    let mut tree = Tree::start(opts.clone());
    let p = tree.ok("dns_provider_list", json!({}))["providers"][0].clone();
    assert!(p["config"].to_string().contains(&moved.url()), "{p}");
    let result = run_test(&mut tree, &id);
    assert_eq!(result["success"], json!(false), "{result}");
    assert_eq!(result["failedStep"], json!("credentials"), "{result}");
    let message = result["message"].as_str().unwrap();
    assert!(message.contains("changed outside the core"), "{message}");
    assert!(
        moved.received().is_empty(),
        "the edited endpoint was contacted: {:?}",
        moved.received()
    );
    assert_eq!(piece_in(&tree.stderr(), &token), None);
    tree.close();
}

/// Which of `servers` received a request carrying `token` in its head.
fn servers_that_got(servers: &[(&str, &EchoServer)], token: &str) -> Vec<String> {
    servers
        .iter()
        .filter(|(_, s)| s.received().iter().any(|head| head.contains(token)))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Starts a tree that aborts its broker at `failpoint`, creates a PowerDNS
/// provider on `old` with `first`, and asks it to move to `new` with `second`:
/// the broker dies mid-flow and ui-bridge restarts it (start-up reconcile).
fn interrupted_move(
    failpoint: &str,
    old: &EchoServer,
    new: &EchoServer,
    first: &str,
    second: &str,
) -> (tempfile::TempDir, Tree, String) {
    let t = tempfile::tempdir().unwrap();
    let mut opts = TreeOptions::new(t.path(), KeySource::random_env());
    opts.extra_env
        .push(("SSLBOARD_FAILPOINT".into(), failpoint.into()));
    let mut tree = Tree::start(opts);
    let id = create_powerdns(
        &mut tree,
        "moving.example.test",
        first,
        json!({"serverUrl": old.url()}),
    );
    let r = tree.request(
        "dns_provider_update",
        json!({"id": id, "config": {"serverUrl": new.url()}, "apiToken": second}),
    );
    assert_eq!(r["error"]["code"], json!("unavailable"), "{r}");
    (t, tree, id)
}

/// Issues 13 items 4, 6 and 10 with a failpoint: the broker dies after the
/// vault staged the new token (paired with the new server) and before
/// dns-proc committed the move. Nothing changed: the provider stays on its
/// old server with its old token, which still works there; the new token is
/// sent nowhere.
#[test]
fn a_crash_before_the_move_is_committed_keeps_the_old_server_and_token() {
    let old = EchoServer::start();
    let new = EchoServer::start();
    let first = format!("pdns-first-{}", random_hex(16));
    let second = format!("pdns-second-{}", random_hex(16));
    let (_t, mut tree, id) =
        interrupted_move("provider_update_after_stage", &old, &new, &first, &second);
    let p = tree.ok("dns_provider_list", json!({}))["providers"][0].clone();
    assert!(p["config"].to_string().contains(&old.url()), "{p}");
    let _ = run_test(&mut tree, &id);
    let servers = [("old", &old), ("new", &new)];
    assert_eq!(
        servers_that_got(&servers, &first),
        vec!["old"],
        "the old token went elsewhere"
    );
    assert!(
        servers_that_got(&servers, &second).is_empty(),
        "the new token was sent"
    );
    assert!(new.received().is_empty(), "the new server was contacted");
    tree.close();
}

/// The broker dies after dns-proc committed the move and before the staged
/// token took effect: start-up reconcile sees the provider moved on and puts
/// the new token into force, so the provider works on its new server with
/// the new token, and the old token goes nowhere.
#[test]
fn a_crash_after_the_move_is_committed_puts_the_new_token_into_force() {
    let old = EchoServer::start();
    let new = EchoServer::start();
    let first = format!("pdns-first-{}", random_hex(16));
    let second = format!("pdns-second-{}", random_hex(16));
    let (_t, mut tree, id) =
        interrupted_move("provider_update_after_commit", &old, &new, &first, &second);
    let p = tree.ok("dns_provider_list", json!({}))["providers"][0].clone();
    assert!(p["config"].to_string().contains(&new.url()), "{p}");
    let result = run_test(&mut tree, &id);
    assert!(
        !result["message"]
            .to_string()
            .contains("changed outside the core"),
        "{result}"
    );
    let servers = [("old", &old), ("new", &new)];
    assert_eq!(servers_that_got(&servers, &second), vec!["new"], "{result}");
    assert!(
        servers_that_got(&servers, &first).is_empty(),
        "the old token was sent"
    );
    tree.close();
}

/// Issue 13 item 6, the one-time migration: a token sealed before pairings
/// existed (row AAD v1, no `token_binding`) is paired with its provider and
/// endpoint at the next start, and then works, and only there.
#[test]
fn a_token_sealed_before_pairings_is_paired_once_at_the_next_start() {
    use base64::Engine as _;
    use shared::protocol::secrets::{SecretKind, SecretType};
    use vault_proc::secrets::crypto;

    let server = EchoServer::start();
    let token = format!("pdns-legacy-{}", random_hex(16));
    let t = tempfile::tempdir().unwrap();
    let key = KeySource::random_env();
    let KeySource::Env(b64) = &key else {
        unreachable!()
    };
    let master: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
        .try_into()
        .unwrap();
    let master = shared::secret::Key32::from_bytes(master);
    let opts = TreeOptions::new(t.path(), key.clone());
    let mut tree = Tree::start(opts.clone());
    let id = create_powerdns(
        &mut tree,
        "legacy.example.test",
        &token,
        json!({"serverUrl": server.url()}),
    );
    tree.close();

    // Re-seal the token as the previous version did: row AAD, no pairing.
    let db = rusqlite::Connection::open(opts.data_dir.join("secrets.sqlite")).unwrap();
    let (sid, nonce, ct, binding): (String, Vec<u8>, Vec<u8>, Option<String>) = db
        .query_row(
            "SELECT id, nonce, ciphertext, token_binding FROM secret_metadata WHERE owner = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(binding.as_deref(), Some(server.url().as_str()));
    let (kind, ty) = (SecretKind::DnsProviderToken, SecretType::ApiKey);
    let bound = crypto::aad_for(&sid, kind, ty, Some(&id), binding.as_deref());
    let plain = crypto::open(&master, &bound, &nonce, &ct, &sid).unwrap();
    let legacy = crypto::seal(&master, &crypto::row_aad(&sid, kind, ty), &plain).unwrap();
    db.execute(
        "UPDATE secret_metadata SET nonce = ?2, ciphertext = ?3, token_binding = NULL WHERE id = ?1",
        rusqlite::params![sid, legacy.nonce.to_vec(), legacy.ciphertext],
    )
    .unwrap();
    drop(db);

    // The next start pairs it (reconcile), and Test Connection sends it.
    let mut tree = Tree::start(opts.clone());
    let result = run_test(&mut tree, &id);
    assert_eq!(result["failedStep"], json!("zone_lookup"), "{result}");
    assert!(server.received().iter().any(|h| h.contains(&token)));
    tree.close();
    let db = rusqlite::Connection::open(opts.data_dir.join("secrets.sqlite")).unwrap();
    let paired: Option<String> = db
        .query_row(
            "SELECT token_binding FROM secret_metadata WHERE id = ?1",
            [&sid],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(paired.as_deref(), Some(server.url().as_str()));
}
