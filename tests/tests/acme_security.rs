//! Key custody during issuance: after an order through the whole tree, the
//! account key (imported, so its value is known) and the certificate key
//! (found in vault-proc's memory by its DER framing and matched to the
//! certificate's public key) are in vault-proc only — not in dns-proc, the
//! broker or ui-bridge — and no part of either appears in UI output, logs,
//! the data dir's files, argv or the environment. Every absence sits next
//! to a method check in the same scan.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use sslboard_tests::acme::{self, Pebble};
use sslboard_tests::keys::{p256_pem, p256_spki_sha256_of_scalar, secret_parts};
use sslboard_tests::procs::{memory_bytes_after, memory_contains, memory_regions_with, proc_file};

use sslboard_tests::{bytes_contain as contains, files_under};

#[test]
fn account_and_certificate_keys_stay_in_vault_proc_through_an_issuance() {
    let (base, mut tree) = acme::pdns_tree(&[]);
    let data_dir = tree.opts.data_dir.clone();
    let pem = p256_pem();
    let (acct_scalar, acct_der) = secret_parts(&pem);
    let key = tree.ok(
        "key_import",
        json!({"kind": "acme_account_key", "pem": pem, "name": "acct"}),
    );
    // An imported key: the account is looked up first, then created.
    let acct = tree.ok(
        "acme_account_create",
        json!({
            "directoryUrl": Pebble::Pdns.directory(), "termsOfServiceAgreed": true,
            "keyRef": key["ref"], "caPem": acme::pebble_https_ca(),
        }),
    );
    assert_eq!(acct["keyRef"], key["ref"]);
    // The same key again finds the same account at the CA.
    let again = tree.ok(
        "acme_account_create",
        json!({
            "directoryUrl": Pebble::Pdns.directory(), "termsOfServiceAgreed": true,
            "keyRef": key["ref"], "caPem": acme::pebble_https_ca(),
        }),
    );
    assert_eq!(again["accountUrl"], acct["accountUrl"]);
    acme::pdns_provider(&mut tree, "pdns", "example.test");
    let name = format!("{}.example.test", acme::label());
    let (r, events) = acme::issue(&mut tree, acct["id"].as_str().unwrap(), &[&name], 60);
    assert_eq!(r["success"], json!(true), "{r}\n{events:#?}");
    let cert_key = tree.ok("secret_get", json!({"ref": r["certificate"]["keyRef"]}));
    let cert_spki = cert_key["publicKey"]["spkiSha256"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(300));

    // The certificate key, found in vault-proc by its ECPrivateKey framing
    // (version 1, a 32-byte private key) and matched to the certificate.
    let vault = tree.pid_of("vault-proc");
    let candidates = memory_bytes_after(vault, &[0x02, 0x01, 0x01, 0x04, 0x20], 32);
    let cert_scalar = candidates
        .into_iter()
        .find(|s| p256_spki_sha256_of_scalar(s).as_deref() == Some(cert_spki.as_str()))
        .expect("method check: vault-proc holds the certificate key while unlocked");
    assert_eq!(
        memory_contains(vault, &acct_scalar),
        Some(true),
        "method check: vault holds the account key"
    );
    assert_eq!(
        memory_contains(vault, &acct_der),
        Some(true),
        "method check: vault holds its PKCS#8"
    );

    let marker = data_dir.to_str().unwrap().as_bytes().to_vec();
    for proc_name in ["ui-bridge", "broker", "dns-proc"] {
        let pid = if proc_name == "ui-bridge" {
            tree.pid()
        } else {
            tree.pid_of(proc_name)
        };
        assert_eq!(
            memory_contains(pid, &marker),
            Some(true),
            "method check in {proc_name}"
        );
        for (what, secret) in [
            ("account key scalar", &acct_scalar),
            ("account key PKCS#8", &acct_der),
            ("certificate key scalar", &cert_scalar),
        ] {
            assert_eq!(
                memory_contains(pid, secret),
                Some(false),
                "{what} in {proc_name}: {:?}",
                memory_regions_with(pid, secret)
            );
        }
    }

    // Canaries: nothing of either key in what was returned, logged or stored.
    let lines: Vec<&str> = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 40)
        .collect();
    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("ui output".into(), tree.stdout_log.lock().unwrap().clone()),
        ("logs".into(), tree.stderr_log.lock().unwrap().clone()),
    ];
    for pid in tree.all_pids() {
        places.push((format!("argv of {pid}"), proc_file(pid, "cmdline")));
        places.push((format!("environ of {pid}"), proc_file(pid, "environ")));
    }
    let files = files_under(&data_dir);
    assert!(
        files.iter().any(|(p, _)| p.ends_with("acme.sqlite")),
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    places.extend(files);
    // Method check: the scan finds what is there (the chain is in the UI
    // output and in acme.sqlite).
    let chain = tree.ok("certificate_get", json!({"id": r["certificate"]["id"]}))["chainPem"]
        .as_str()
        .unwrap()
        .to_string();
    let chain_line = chain.lines().nth(1).unwrap().to_string();
    assert!(
        places
            .iter()
            .any(|(p, b)| p.ends_with("acme.sqlite") && contains(b, chain_line.as_bytes()))
            || places
                .iter()
                .any(|(p, b)| p.contains("acme.sqlite-wal") && contains(b, chain_line.as_bytes()))
    );
    for (what, bytes) in &places {
        for l in &lines {
            assert!(
                !contains(bytes, l.as_bytes()),
                "a line of the account key PEM in {what}"
            );
        }
        assert!(
            !contains(bytes, &acct_scalar),
            "account key scalar in {what}"
        );
        assert!(!contains(bytes, &acct_der), "account key PKCS#8 in {what}");
        assert!(
            !contains(bytes, &cert_scalar),
            "certificate key scalar in {what}"
        );
    }
    drop(base);
}
