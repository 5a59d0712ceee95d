//! Key custody across the process tree: a key imported through the UI is in
//! vault-proc's memory while the vault is unlocked and nowhere else, is gone
//! from vault-proc after `vault_lock`, and its PEM never appears in UI output,
//! logs, databases (in the clear), argv or the environment.
//!
//! Every absence is asserted next to a method check in the same process: the
//! scan must find the data directory path, which each process holds for its
//! whole life, and (while unlocked) vault-proc must show the key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use sslboard_tests::keys::{p256_pem, secret_parts};
use sslboard_tests::procs::{memory_contains, memory_regions_with, proc_file};
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

use sslboard_tests::{bytes_contain as contains, files_under};

#[test]
fn an_imported_key_lives_only_in_vault_proc_and_only_while_unlocked() {
    let base = tempfile::tempdir().unwrap();
    let opts = TreeOptions::new(base.path(), KeySource::random_env());
    let data_dir = opts.data_dir.clone();
    let mut tree = Tree::start(opts);
    let pem = p256_pem();
    let (scalar, der) = secret_parts(&pem);
    let m = tree.ok(
        "key_import",
        json!({"kind": "acme_account_key", "pem": pem, "name": "imported", "label": "mine"}),
    );
    assert_eq!(m["kind"], json!("acme_account_key"));
    assert_eq!(m["type"], json!("private_key"));
    assert_eq!(m["publicKey"]["keyType"], json!("ec-p256"));
    assert_eq!(
        m["publicKey"]["jwkThumbprint"].as_str().map(str::len),
        Some(43)
    );
    let made = tree.ok(
        "key_create",
        json!({"kind": "managed_private_key", "keyType": "rsa-2048"}),
    );
    assert_eq!(made["publicKey"]["keyType"], json!("rsa-2048"));
    assert_eq!(made["owner"], json!(null));
    let listed = tree.ok("secret_get", json!({"name": "imported"}));
    assert_eq!(listed["publicKey"], m["publicKey"]);
    // Bad input: a validation error that names why and does not echo the input.
    let (code, err) = tree.err(
        "key_import",
        json!({"kind": "acme_account_key", "pem": format!("{pem}trailing")}),
    );
    assert_eq!(code, "validation");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("trailing garbage"),
        "{err}"
    );
    let (code, _) = tree.err("key_create", json!({"kind": "generic"}));
    assert_eq!(code, "validation");
    let (code, _) = tree.err(
        "key_create",
        json!({"kind": "acme_account_key", "keyType": "ec-p521"}),
    );
    assert_eq!(code, "invalid_request");
    // The UI has no command that signs.
    let (code, _) = tree.err("acme_sign", json!({}));
    assert_eq!(code, "invalid_request");

    let marker = data_dir.to_str().unwrap().as_bytes().to_vec();
    let vault = tree.pid_of("vault-proc");
    for name in ["ui-bridge", "broker", "dns-proc"] {
        let pid = if name == "ui-bridge" {
            tree.pid()
        } else {
            tree.pid_of(name)
        };
        assert_eq!(
            memory_contains(pid, &marker),
            Some(true),
            "method check in {name}"
        );
        assert_eq!(
            memory_contains(pid, &scalar),
            Some(false),
            "private scalar in {name}: {:?}",
            memory_regions_with(pid, &scalar)
        );
        assert_eq!(
            memory_contains(pid, &der),
            Some(false),
            "PKCS#8 DER in {name}"
        );
    }
    assert_eq!(
        memory_contains(vault, &scalar),
        Some(true),
        "method check: the unlocked vault holds the key"
    );
    assert_eq!(
        memory_contains(vault, &der),
        Some(true),
        "method check: the unlocked vault holds the PKCS#8 DER"
    );
    tree.ok("vault_lock", json!({}));
    assert_eq!(
        memory_contains(vault, &marker),
        Some(true),
        "method check in vault-proc after lock"
    );
    assert_eq!(
        memory_contains(vault, &scalar),
        Some(false),
        "private scalar after lock: {:?}",
        memory_regions_with(vault, &scalar)
    );
    assert_eq!(
        memory_contains(vault, &der),
        Some(false),
        "PKCS#8 DER after lock: {:?}",
        memory_regions_with(vault, &der)
    );

    // Canaries: the PEM (each base64 line of it), the DER and the scalar,
    // nowhere outside vault-proc's sealed rows.
    let lines: Vec<&str> = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 40)
        .collect();
    assert!(!lines.is_empty());
    let pids = tree.all_pids();
    let out = tree.stdout_log.lock().unwrap().clone();
    let logs = tree.stderr_log.lock().unwrap().clone();
    let mut places: Vec<(String, Vec<u8>)> = vec![("ui output".into(), out), ("logs".into(), logs)];
    for pid in &pids {
        places.push((format!("argv of {pid}"), proc_file(*pid, "cmdline")));
        places.push((format!("environ of {pid}"), proc_file(*pid, "environ")));
    }
    let files = files_under(&data_dir);
    assert!(files.iter().any(|(p, _)| p.ends_with("secrets.sqlite")));
    assert!(files.iter().any(|(p, _)| p.ends_with("dns.sqlite")));
    places.extend(files);
    // Method check: the canary search finds what is there.
    assert!(places.iter().any(|(_, b)| contains(b, b"jwkThumbprint")));
    for (what, bytes) in &places {
        for l in &lines {
            assert!(
                !contains(bytes, l.as_bytes()),
                "a line of the PEM in {what}"
            );
        }
        assert!(!contains(bytes, &scalar), "the private scalar in {what}");
        assert!(!contains(bytes, &der), "the PKCS#8 DER in {what}");
    }
}

/// The names of `pid`'s threads.
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .filter_map(|t| t.ok())
                .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
                .map(|c| c.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// An RSA-4096 key takes a second or more to make. It is made on a thread of
/// its own, so the store keeps answering meanwhile: a list and a status
/// asked while the key is being made are answered before it is (ordering,
/// not timing). A key the store refuses is never made.
#[test]
fn a_slow_key_is_made_off_the_store_thread_which_keeps_answering() {
    let base = tempfile::tempdir().unwrap();
    let mut tree = Tree::start(TreeOptions::new(base.path(), KeySource::random_env()));
    tree.ok(
        "secret_create",
        json!({"name": "a", "type": "api_key", "data": {"value": "v"}}),
    );
    let vault = tree.pid_of("vault-proc");
    let slow = tree.send(
        "key_create",
        json!({"kind": "managed_private_key", "keyType": "rsa-4096"}),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !thread_names(vault).iter().any(|n| n == "vault-keygen") {
        assert!(
            std::time::Instant::now() < deadline,
            "no key generation thread in vault-proc: {:?}",
            thread_names(vault)
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let list = tree.send("secret_list", json!({}));
    let status = tree.send("vault_status", json!({}));
    let mut order = Vec::new();
    while order.len() < 3 {
        let line = tree
            .next_line(std::time::Duration::from_secs(60))
            .expect("an answer");
        if line.get("event").is_none() {
            assert_eq!(line["ok"], json!(true), "{line}");
            order.push(line["id"].as_u64().unwrap());
        }
    }
    assert_eq!(order.last(), Some(&slow), "answers in order {order:?}");
    assert!(order.contains(&list) && order.contains(&status));
    // The store checks first: a kind that is not a key's is refused, and no
    // key is made for it.
    let (code, _) = tree.err(
        "key_create",
        json!({"kind": "generic", "keyType": "rsa-4096"}),
    );
    assert_eq!(code, "validation");
    assert!(!thread_names(vault).iter().any(|n| n == "vault-keygen"));
}
