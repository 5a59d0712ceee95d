//! A full disk and a read-only data dir: writes fail with a clear error, the
//! session keeps working, nothing acknowledged is lost, and once space is
//! back writes succeed again. Uses a small tmpfs mounted for the test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use shared::protocol::secrets::SecretFilter;
use shared::protocol::vault::{VaultRequest, VaultResponse};
use sslboard_tests::direct::DirectVault;
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};

struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Mount {
        std::fs::create_dir_all(dir).unwrap();
        let st = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .unwrap();
        assert!(
            st.success(),
            "mounting a tmpfs failed: the disk-full test needs root (scripts/test runs as root)"
        );
        Mount(dir.to_path_buf())
    }

    fn remount(&self, opts: &str) {
        let st = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` until no space is left.
fn fill(dir: &Path) -> PathBuf {
    let f = dir.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4096"])
        .arg(format!("of={}", f.display()))
        .output()
        .unwrap();
    f
}

fn value_of(v: &DirectVault, name: &str) -> Option<String> {
    let metas = match v
        .as_broker(VaultRequest::List(SecretFilter::default()))
        .unwrap()
    {
        VaultResponse::Metas(m) => m,
        other => panic!("{other:?}"),
    };
    metas.iter().find(|m| m.name == name)?;
    v.stored_value(name, "value")
}

#[test]
fn a_full_disk_and_a_read_only_data_dir_fail_clearly_and_lose_nothing() {
    let base = tempfile::tempdir().unwrap();
    let mnt = Mount::tmpfs(&base.path().join("mnt"), "4m");
    let key = KeySource::random_env();
    let KeySource::Env(key_b64) = key.clone() else {
        unreachable!()
    };
    let mut opts = TreeOptions::new(base.path(), key);
    opts.data_dir = mnt.0.join("data");
    let mut tree = Tree::start(opts.clone());
    for i in 0..20 {
        tree.ok("secret_create", json!({"name": format!("keep{i}"), "type": "api_key", "data": {"value": format!("value-{i}")}}));
    }
    tree.ok("dns_provider_create", json!({"type": "cloudflare", "label": "cf", "domainSuffixes": "example.test", "apiToken": "t0"}));

    // Disk full.
    let filler = fill(&mnt.0);
    let big = "x".repeat(60_000);
    let mut codes = Vec::new();
    for i in 0..5 {
        let (code, e) = tree.err(
            "secret_create",
            json!({"name": format!("full{i}"), "type": "api_key", "data": {"value": big}}),
        );
        assert!(!e.to_string().contains(&big[..100]));
        codes.push((code, e["message"].as_str().unwrap_or_default().to_string()));
    }
    let r = tree.request("dns_provider_create", json!({"type": "cloudflare", "label": "cf2", "domainSuffixes": "full.test", "apiToken": "t1"}));
    println!(
        "disk full: secret_create → {:?}; dns_provider_create → {}",
        codes[0], r["error"]
    );
    assert!(
        codes
            .iter()
            .all(|(c, _)| c == "internal" || c == "unavailable"),
        "{codes:?}"
    );
    assert!(
        codes[0].1.contains("full") || codes[0].1.contains("space") || codes[0].1.contains("disk"),
        "unclear message: {}",
        codes[0].1
    );
    // Reads still work while full.
    assert_eq!(
        tree.ok("secret_list", json!({}))["secrets"]
            .as_array()
            .unwrap()
            .len(),
        21
    );
    tree.ok("vault_status", json!({}));
    std::fs::remove_file(&filler).unwrap();
    tree.ok(
        "secret_create",
        json!({"name": "after_full", "type": "api_key", "data": {"value": "back"}}),
    );

    tree.close();

    // Read-only data dir (a filesystem remounted read-only while the core
    // was stopped): the core refuses to start with a clear message.
    mnt.remount("ro");
    let out = sslboard_tests::tree::command(&opts, &["call", "secret_list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!(
        "read-only: exit {:?}; {}{}",
        out.status.code(),
        stdout.trim(),
        stderr.lines().last().unwrap_or("")
    );
    assert!(!out.status.success());
    let text = format!("{stdout}{stderr}").to_lowercase();
    assert!(
        text.contains("read-only") || text.contains("readonly"),
        "unclear: {text}"
    );
    mnt.remount("rw");
    let mut tree = Tree::start(opts);
    tree.ok(
        "secret_create",
        json!({"name": "after_ro", "type": "api_key", "data": {"value": "back2"}}),
    );
    tree.close();

    // Nothing acknowledged was lost; nothing refused was half-written.
    let v = DirectVault::open(&mnt.0.join("data"), &key_b64);
    for i in 0..20 {
        assert_eq!(
            value_of(&v, &format!("keep{i}")).as_deref(),
            Some(format!("value-{i}").as_str())
        );
    }
    assert_eq!(value_of(&v, "after_full").as_deref(), Some("back"));
    assert_eq!(value_of(&v, "after_ro").as_deref(), Some("back2"));
    for i in 0..5 {
        assert_eq!(value_of(&v, &format!("full{i}")), None);
    }
    drop(v);
    sslboard_tests::assert_databases_intact(&mnt.0.join("data"));
}
