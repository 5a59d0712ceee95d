//! Certificates over their life (issue 16) through the whole tree against
//! the real pebble validating through the real PowerDNS: renewal without
//! ARI (pebble 2.4 has none) and with ARI (the RFC 9773 stand-in in front
//! of pebble, `sslboard_standins::ari`), automatic renewal and its
//! back-off, revocation, and export to files (written by vault-proc, the
//! key audited, never in another process's memory).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sslboard_standins::ari::AriProxy;
use sslboard_tests::acme::{self, Pebble};
use sslboard_tests::keys::secret_parts;
use sslboard_tests::procs::{memory_contains, memory_regions_with};
use sslboard_tests::tree::Tree;
use sslboard_tests::{bytes_contain, required_env};
use time::OffsetDateTime;

fn parse_time(s: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(
        s.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

/// A tree on PowerDNS with an account at `directory` and a provider for example.test.
fn setup(directory: &str, extra: &[(&str, String)]) -> (tempfile::TempDir, Tree, String) {
    let (t, mut tree) = acme::pdns_tree(extra);
    let acct = tree.ok(
        "acme_account_create",
        json!({
            "directoryUrl": directory,
            "contact": ["mailto:test@example.test"],
            "termsOfServiceAgreed": true,
            "caPem": acme::pebble_https_ca(),
        }),
    );
    acme::pdns_provider(&mut tree, "pdns", "example.test");
    (t, tree, acct["id"].as_str().unwrap().to_string())
}

fn issue_one(tree: &mut Tree, account: &str, key_type: &str) -> Value {
    let name = format!("{}.example.test", acme::label());
    let rid = tree.send(
        "certificate_issue",
        json!({"accountId": account, "names": [name], "keyType": key_type, "timeoutSecs": 60}),
    );
    let (r, events) = acme::finish(tree, rid, 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    r["certificate"].clone()
}

fn renew(tree: &mut Tree, id: &Value, reuse_key: bool) -> (Value, Vec<Value>) {
    let rid = tree.send(
        "certificate_renew",
        json!({"id": id, "reuseKey": reuse_key, "timeoutSecs": 60}),
    );
    acme::finish(tree, rid, 60)
}

fn pebble_tls() -> (PathBuf, PathBuf) {
    let dir = Path::new(&required_env("SSLBOARD_TEST_PEBBLE_CA"))
        .parent()
        .unwrap()
        .to_path_buf();
    (dir.join("cert.pem"), dir.join("key.pem"))
}

fn ari_proxy() -> AriProxy {
    let (cert, key) = pebble_tls();
    AriProxy::start(
        &Pebble::Pdns.directory(),
        &cert,
        &key,
        &acme::pebble_https_ca(),
    )
    .unwrap()
}

fn cert_get(tree: &mut Tree, id: &Value) -> Value {
    tree.ok("certificate_get", json!({"id": id}))
}

/// Waits for `certificate_renewal` events on subscription `sid` until
/// `done` holds for the ones seen; returns them.
fn renewal_events(
    tree: &mut Tree,
    sid: u64,
    timeout: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    while !done(&seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "events so far: {seen:#?}\n{}",
            tree.stderr()
        );
        if let Some(v) = tree.next_line(left) {
            if v["event"] == json!("certificate_renewal") && v["id"] == json!(sid) {
                seen.push(v["data"].clone());
            }
        }
    }
    seen
}

#[test]
fn renewal_without_ari_makes_a_new_key_of_the_same_type_and_keeps_the_old_one() {
    let (_t, mut tree, account) = setup(&Pebble::Pdns.directory(), &[]);
    let old = issue_one(&mut tree, &account, "ec-p384");
    // No ARI at pebble 2.4: renewal at two thirds of the lifetime.
    assert_eq!(old["renewalWindow"], Value::Null, "{old}");
    let (nb, na, at) = (
        parse_time(&old["notBefore"]),
        parse_time(&old["notAfter"]),
        parse_time(&old["renewAt"]),
    );
    let want: OffsetDateTime = nb + (na - nb) * 2 / 3;
    let off: time::Duration = at - want;
    assert!(off.abs() < time::Duration::seconds(2), "{old}");

    let (r, events) = renew(&mut tree, &old["id"], false);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    let s = acme::steps(&events);
    for want in ["order:ok", "finalize:ok", "download:ok", "done:ok"] {
        assert!(s.contains(&want.to_string()), "{want} missing: {s:?}");
    }
    let new = &r["certificate"];
    assert_ne!(new["id"], old["id"]);
    assert_eq!(new["renewedFrom"], old["id"]);
    assert_eq!(new["names"], old["names"]);
    assert_eq!(new["accountId"], old["accountId"]);
    assert_eq!(new["keyType"], json!("ec-p384"), "same key type");
    assert_ne!(new["keyRef"], old["keyRef"], "a new key");
    let key = tree.ok("secret_get", json!({"ref": new["keyRef"]}));
    assert_eq!(key["publicKey"]["keyType"], json!("ec-p384"));
    // The old one stays listed, marked as replaced.
    let list = tree.ok("certificate_list", json!({}))["certificates"].clone();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(cert_get(&mut tree, &old["id"])["replacedBy"], new["id"]);
    // Renewing it again is refused: its successor is the one to renew.
    assert_eq!(
        tree.err("certificate_renew", json!({"id": old["id"]})).0,
        "conflict"
    );

    // reuseKey keeps the key; deleting the older certificate then keeps it too.
    let (r2, _) = renew(&mut tree, &new["id"], true);
    assert_eq!(r2["success"], json!(true), "{r2}");
    assert_eq!(r2["certificate"]["keyRef"], new["keyRef"]);
    assert_eq!(r2["certificate"]["keyType"], json!("ec-p384"));
    tree.ok("certificate_delete", json!({"id": new["id"]}));
    tree.ok("secret_get", json!({"ref": new["keyRef"]}));
    // Unknown certificate, bad arguments.
    assert_eq!(
        tree.err("certificate_renew", json!({"id": "cert_nope"})).0,
        "not_found"
    );
    assert_eq!(
        tree.err("certificate_renew", json!({"id": old["id"], "extra": 1}))
            .0,
        "invalid_request"
    );
}

#[test]
fn ari_renewal_sends_replaces_falls_back_once_refused_and_follows_the_window() {
    let proxy = ari_proxy();
    let start = OffsetDateTime::now_utc() + time::Duration::days(10);
    let end = start + time::Duration::days(1);
    proxy.set_window(start, end);
    proxy.set_retry_after(7200);
    let (_t, mut tree, account) = setup(&proxy.directory_url(), &[]);
    let first = issue_one(&mut tree, &account, "ec-p256");
    // The window and a renewal time inside it.
    let w = &first["renewalWindow"];
    assert!(w.is_object(), "{first}");
    assert!((parse_time(&w["start"]) - start).abs() < time::Duration::seconds(1));
    assert!((parse_time(&w["end"]) - end).abs() < time::Duration::seconds(1));
    let at = parse_time(&first["renewAt"]);
    assert!(
        at >= parse_time(&w["start"]) && at < parse_time(&w["end"]),
        "{first}"
    );
    let known = proxy.known();
    assert_eq!(known.len(), 1);
    assert_eq!(proxy.info_requests(), known, "one fetch per certificate");

    // replaces is the certID the stand-in computed from the certificate.
    let (r, events) = renew(&mut tree, &first["id"], false);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    assert_eq!(
        proxy.orders(),
        vec![None, Some(known[0].clone())],
        "newOrder of the renewal names the certificate it replaces"
    );
    let second = r["certificate"].clone();
    assert!(second["renewalWindow"].is_object());

    // The CA refuses replaces once: the renewal goes ahead without it.
    proxy.reject_next_replaces();
    let (r, events) = renew(&mut tree, &second["id"], false);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    assert!(
        events.iter().any(|e| e["step"] == "order"
            && e["status"] == "warning"
            && e["detail"].as_str().unwrap().contains("alreadyReplaced")),
        "{events:#?}"
    );
    let orders = proxy.orders();
    assert_eq!(orders.len(), 4, "{orders:?}");
    assert!(orders[2].is_some(), "{orders:?}");
    assert_eq!(orders[3], None, "the retry has no replaces: {orders:?}");
}

#[test]
fn automatic_renewal_renews_an_opened_window_once_with_the_event() {
    let proxy = ari_proxy();
    // The first certificate's window has opened; later ones are far ahead.
    let now = OffsetDateTime::now_utc();
    proxy.queue_window(now - time::Duration::days(2), now - time::Duration::days(1));
    proxy.set_window(
        now + time::Duration::days(30),
        now + time::Duration::days(31),
    );
    let (_t, mut tree, account) = setup(
        &proxy.directory_url(),
        &[("SSLBOARD_RENEW_CHECK_SECS", "1".into())],
    );
    let sid = tree.send("events_subscribe", json!({}));
    let first = issue_one(&mut tree, &account, "ec-p256");
    assert!(parse_time(&first["renewAt"]) < OffsetDateTime::now_utc());
    let events = renewal_events(&mut tree, sid, Duration::from_secs(60), |s| {
        s.iter().any(|e| e["status"] == "renewed")
    });
    let renewed = events.iter().find(|e| e["status"] == "renewed").unwrap();
    assert_eq!(renewed["certificateId"], first["id"]);
    assert!(events.iter().any(|e| e["status"] == "started"));
    let new_id = renewed["newCertificateId"].clone();
    // Once: a few more checks renew nothing else.
    std::thread::sleep(Duration::from_secs(4));
    let list = tree.ok("certificate_list", json!({}))["certificates"].clone();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list:#}");
    let new = cert_get(&mut tree, &new_id);
    assert_eq!(new["renewedFrom"], first["id"]);
    assert_eq!(cert_get(&mut tree, &first["id"])["replacedBy"], new_id);
    assert_eq!(
        proxy.orders().len(),
        2,
        "{:?}\n{events:#?}\n{}",
        proxy.orders(),
        tree.stderr()
    );
    // The automatic renewal sent replaces too.
    assert!(proxy.orders()[1].is_some());
    // One window fetch per certificate: the CA's Retry-After (3600 s) holds
    // across the 1 s checks.
    assert_eq!(
        proxy.info_requests().len(),
        2,
        "{:?}",
        proxy.info_requests()
    );
}

#[test]
fn a_failing_automatic_renewal_backs_off_and_shows_its_error() {
    let proxy = ari_proxy();
    let now = OffsetDateTime::now_utc();
    proxy.queue_window(now - time::Duration::days(2), now - time::Duration::days(1));
    let (t, mut tree, account) = setup(
        &proxy.directory_url(),
        &[("SSLBOARD_RENEW_CHECK_SECS", "1".into())],
    );
    let sid = tree.send("events_subscribe", json!({}));
    let first = issue_one(&mut tree, &account, "ec-p256");
    proxy.reject_orders(true);
    let started = Instant::now();
    let events = renewal_events(&mut tree, sid, Duration::from_secs(60), |s| {
        s.iter().filter(|e| e["status"] == "failed").count() >= 4
    });
    let elapsed = started.elapsed();
    let failed: Vec<&Value> = events.iter().filter(|e| e["status"] == "failed").collect();
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("rejectedIdentifier"),
        "{failed:#?}"
    );
    // Back-off: 1 s, 2 s, 4 s after the first failures (period 1 s), so the
    // fourth failure comes ≥ 7 s after the first; a loop would fail every second.
    let at: Vec<OffsetDateTime> = failed
        .iter()
        .map(|e| parse_time(&e["nextAttemptAt"]))
        .collect();
    let gap1 = at[1] - at[0];
    let gap2 = at[2] - at[1];
    assert!(gap2 > gap1, "the wait grows: {at:?}");
    assert!(at[3] - at[2] > gap2, "the wait grows: {at:?}");
    assert!(elapsed >= Duration::from_secs(6), "{elapsed:?}");
    let c = cert_get(&mut tree, &first["id"]);
    assert!(
        c["lastRenewalError"]
            .as_str()
            .unwrap()
            .contains("rejectedIdentifier"),
        "{c}"
    );
    assert!(c["renewalFailures"].as_u64().unwrap() >= 4, "{c}");
    assert!(c["nextRenewalAttempt"].is_string());
    // Each attempt: the order with `replaces`, refused, then once without.
    let orders = proxy.orders();
    let tries = orders.iter().filter(|o| o.is_some()).count();
    assert_eq!(orders.len(), 1 + 2 * tries, "{orders:?}");
    assert!(tries <= 6, "{tries} attempts in {elapsed:?}");

    // The back-off is kept with the certificate: after a restart the next
    // attempt still waits for `nextRenewalAttempt`.
    let c = cert_get(&mut tree, &first["id"]);
    let next = parse_time(&c["nextRenewalAttempt"]);
    let failures_before = c["renewalFailures"].as_u64().unwrap();
    let opts = tree.opts.clone();
    tree.close();
    drop(tree);
    let before = proxy.orders().len();
    let mut tree = Tree::start(opts);
    let sid = tree.send("events_subscribe", json!({}));
    let events = renewal_events(&mut tree, sid, Duration::from_secs(90), |s| {
        s.iter().any(|e| e["status"] == "failed")
    });
    let retried = OffsetDateTime::now_utc();
    assert!(
        retried >= next - time::Duration::milliseconds(500),
        "retried at {retried} before the back-off ended at {next}: {events:#?}"
    );
    assert_eq!(
        proxy.orders().len(),
        before + 2,
        "one attempt after the restart (with and without replaces)"
    );
    let c = cert_get(&mut tree, &first["id"]);
    assert_eq!(
        c["renewalFailures"].as_u64().unwrap(),
        failures_before + 1,
        "the count survived the restart: {c}"
    );
    drop(t);
}

#[test]
fn revocation_at_pebble_marks_the_certificate_revoked() {
    let (_t, mut tree, account) = setup(&Pebble::Pdns.directory(), &[]);
    let c = issue_one(&mut tree, &account, "ec-p256");
    assert_eq!(
        tree.err(
            "certificate_revoke",
            json!({"id": c["id"], "reason": "because"})
        )
        .0,
        "validation"
    );
    let r = tree.ok(
        "certificate_revoke",
        json!({"id": c["id"], "reason": "superseded"}),
    );
    assert_eq!(r["status"], json!("revoked"), "{r}");
    assert_eq!(cert_get(&mut tree, &c["id"])["status"], json!("revoked"));
    // Again: nothing left to do.
    let again = tree.ok("certificate_revoke", json!({"id": c["id"]}));
    assert_eq!(again["status"], json!("revoked"));
    // Without a reason.
    let d = issue_one(&mut tree, &account, "ec-p256");
    let r = tree.ok("certificate_revoke", json!({"id": d["id"]}));
    assert_eq!(r["status"], json!("revoked"));
    assert_eq!(
        tree.err("certificate_revoke", json!({"id": "cert_nope"})).0,
        "not_found"
    );
}

/// `memory_contains`, scanned again when a region went away during the
/// scan (a thread's stack unmapped between reading maps and memory).
fn scan(pid: u32, needle: &[u8]) -> Option<bool> {
    for _ in 0..5 {
        if let Some(found) = memory_contains(pid, needle) {
            return Some(found);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn openssl_out(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn export_writes_the_files_and_only_vault_proc_ever_holds_the_key() {
    let (t, mut tree, account) = setup(&Pebble::Pdns.directory(), &[]);
    let data_dir = tree.opts.data_dir.clone();
    let c = issue_one(&mut tree, &account, "ec-p256");
    let chain = cert_get(&mut tree, &c["id"])["chainPem"]
        .as_str()
        .unwrap()
        .to_string();
    let base = t.path().join("deploy");
    let dir = base.join("site");
    let r = tree.ok(
        "certificate_export",
        json!({"id": c["id"], "dir": dir, "includeKey": true}),
    );
    assert_eq!(r["deployTo"], json!({"dir": dir, "includeKey": true}));
    let names: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["fullchain.pem", "cert.pem", "chain.pem", "privkey.pem"]
    );
    // Modes: the directories it made 0700, public files 0644, the key 0600.
    assert_eq!(mode(&base), 0o700);
    assert_eq!(mode(&dir), 0o700);
    for f in ["fullchain.pem", "cert.pem", "chain.pem"] {
        assert_eq!(mode(&dir.join(f)), 0o644, "{f}");
    }
    assert_eq!(mode(&dir.join("privkey.pem")), 0o600);
    // Contents: the chain split; the chain verifies; the key is the certificate's.
    let parts = acme::split_pem(&chain);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert_eq!(acme::split_pem(&read("fullchain.pem")), parts);
    assert_eq!(acme::split_pem(&read("cert.pem")), parts[..1].to_vec());
    assert_eq!(acme::split_pem(&read("chain.pem")), parts[1..].to_vec());
    std::fs::write(
        t.path().join("root.pem"),
        acme::management(Pebble::Pdns, "/roots/0"),
    )
    .unwrap();
    let verified = openssl_out(&[
        "verify",
        "-CAfile",
        t.path().join("root.pem").to_str().unwrap(),
        "-untrusted",
        dir.join("chain.pem").to_str().unwrap(),
        dir.join("cert.pem").to_str().unwrap(),
    ]);
    assert!(verified.contains(": OK"), "{verified}");
    let key_pub = openssl_out(&[
        "pkey",
        "-in",
        dir.join("privkey.pem").to_str().unwrap(),
        "-pubout",
    ]);
    let cert_pub = openssl_out(&[
        "x509",
        "-in",
        dir.join("cert.pem").to_str().unwrap(),
        "-noout",
        "-pubkey",
    ]);
    assert_eq!(key_pub, cert_pub, "privkey.pem is the certificate's key");
    // deployTo is kept with the certificate.
    assert_eq!(
        cert_get(&mut tree, &c["id"])["deployTo"],
        json!({"dir": dir, "includeKey": true})
    );
    // One audit entry for the key export.
    let audit = tree.ok("audit_list", json!({}))["entries"].clone();
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit:#}");
    assert_eq!(entries[0]["action"], json!("key_export"));
    assert_eq!(entries[0]["certificateId"], c["id"]);
    assert_eq!(
        entries[0]["path"],
        json!(dir.join("privkey.pem").to_str().unwrap())
    );

    // The key never passed through the broker, dns-proc or ui-bridge: its
    // scalar and PKCS#8 are in vault-proc (method check) and nowhere else.
    let (scalar, der) = secret_parts(&read("privkey.pem"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        scan(tree.pid_of("vault-proc"), &scalar),
        Some(true),
        "method check: vault-proc holds the key"
    );
    let marker = data_dir.to_str().unwrap().as_bytes().to_vec();
    for proc_name in ["ui-bridge", "broker", "dns-proc"] {
        let pid = if proc_name == "ui-bridge" {
            tree.pid()
        } else {
            tree.pid_of(proc_name)
        };
        assert_eq!(
            scan(pid, &marker),
            Some(true),
            "method check in {proc_name}"
        );
        for (what, secret) in [("key scalar", &scalar), ("key PKCS#8", &der)] {
            assert_eq!(
                scan(pid, secret),
                Some(false),
                "{what} in {proc_name}: {:?}",
                memory_regions_with(pid, secret)
            );
        }
    }
    let key_line = read("privkey.pem").lines().nth(1).unwrap().to_string();
    let chain_line = chain.lines().nth(1).unwrap().to_string();
    let out = tree.stdout_log.lock().unwrap().clone();
    assert!(
        bytes_contain(&out, chain_line.as_bytes()),
        "method check: the UI saw the chain"
    );
    assert!(
        !bytes_contain(&out, key_line.as_bytes()),
        "a line of the key in UI output"
    );
    assert!(!bytes_contain(
        &tree.stderr_log.lock().unwrap(),
        key_line.as_bytes()
    ));

    // Existing files are refused unless overwrite; then replaced.
    let (code, e) = tree.err(
        "certificate_export",
        json!({"id": c["id"], "dir": dir, "includeKey": true}),
    );
    assert_eq!(code, "conflict", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("fullchain.pem"),
        "{e}"
    );
    tree.ok(
        "certificate_export",
        json!({"id": c["id"], "dir": dir, "includeKey": true, "overwrite": true}),
    );
    assert_eq!(mode(&dir.join("privkey.pem")), 0o600);
    // Without the key: no key file, no audit entry.
    let pub_dir = t.path().join("public");
    let r = tree.ok("certificate_export", json!({"id": c["id"], "dir": pub_dir}));
    assert_eq!(r["files"].as_array().unwrap().len(), 3);
    assert!(!pub_dir.join("privkey.pem").exists());
    let entries = tree.ok("audit_list", json!({}))["entries"].clone();
    assert_eq!(entries.as_array().unwrap().len(), 2, "{entries:#}");
    let page = tree.ok("audit_list", json!({"limit": 1}));
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    let rest = tree.ok("audit_list", json!({"after": page["next"]}));
    assert_eq!(rest["entries"][0]["id"], entries[1]["id"]);

    // Refused: a symlinked directory, a symlinked component, a foreign-owned
    // directory, a directory others can write, a relative path. Nothing written.
    let real = t.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let foreign = t.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o700)).unwrap();
    nix::unistd::chown(&foreign, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    assert_eq!(std::fs::metadata(&foreign).unwrap().uid(), 65534);
    let open = t.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    for (dir, code, says) in [
        (link.clone(), "forbidden", "symbolic link"),
        (link.join("sub"), "forbidden", "symbolic link"),
        (foreign.clone(), "forbidden", "another user"),
        (open.clone(), "forbidden", "writable"),
        (PathBuf::from("relative/dir"), "validation", "absolute"),
        (t.path().join("a/../b"), "validation", ".."),
    ] {
        let (got, e) = tree.err(
            "certificate_export",
            json!({"id": c["id"], "dir": dir, "includeKey": true}),
        );
        assert_eq!(got, code, "{dir:?}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(says),
            "{dir:?}: {e}"
        );
    }
    for d in [&real, &foreign, &open] {
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 0, "{d:?} written");
    }
    assert!(!real.join("sub").exists());
    assert_eq!(
        tree.ok("audit_list", json!({}))["entries"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "refusals are not key exports"
    );

    // The audit table is append-only, even for a writer outside the core.
    let db = rusqlite::Connection::open(data_dir.join("secrets.sqlite")).unwrap();
    for sql in [
        "UPDATE audit_log SET path = '/elsewhere'",
        "DELETE FROM audit_log",
    ] {
        let e = db.execute(sql, []).unwrap_err().to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
}

#[test]
fn renewal_re_exports_to_where_the_certificate_was_deployed() {
    let (t, mut tree, account) = setup(&Pebble::Pdns.directory(), &[]);
    let c = issue_one(&mut tree, &account, "ec-p256");
    let dir = t.path().join("live");
    tree.ok(
        "certificate_export",
        json!({"id": c["id"], "dir": dir, "includeKey": true}),
    );
    let before = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    let (r, _) = renew(&mut tree, &c["id"], false);
    assert_eq!(r["success"], json!(true), "{r}");
    let new = &r["certificate"];
    assert_eq!(
        new["deployTo"],
        json!({"dir": dir, "includeKey": true}),
        "deployTo goes to the new certificate"
    );
    let chain = cert_get(&mut tree, &new["id"])["chainPem"]
        .as_str()
        .unwrap()
        .to_string();
    let after = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    assert_ne!(before, after);
    assert_eq!(
        acme::split_pem(&after),
        acme::split_pem(&chain)[..1].to_vec()
    );
    let key_pub = openssl_out(&[
        "pkey",
        "-in",
        dir.join("privkey.pem").to_str().unwrap(),
        "-pubout",
    ]);
    let cert_pub = openssl_out(&[
        "x509",
        "-in",
        dir.join("cert.pem").to_str().unwrap(),
        "-noout",
        "-pubkey",
    ]);
    assert_eq!(key_pub, cert_pub, "the new key with the new certificate");
    let entries = tree.ok("audit_list", json!({}))["entries"].clone();
    let ids: Vec<&Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["certificateId"])
        .collect();
    assert_eq!(
        ids,
        vec![&c["id"], &new["id"]],
        "one audit entry per key export"
    );
}
