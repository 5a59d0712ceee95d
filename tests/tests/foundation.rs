//! The process tree, the UI contract's robustness, supervision and the
//! authenticated sockets, exercised through the real binaries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use sslboard_tests::procs;
use sslboard_tests::tree::{command, KeySource, Tree, TreeOptions};

fn env_tree() -> (tempfile::TempDir, Tree) {
    let t = tempfile::tempdir().unwrap();
    let tree = Tree::start(TreeOptions::new(t.path(), KeySource::random_env()));
    (t, tree)
}

#[test]
fn vault_status_is_answered_end_to_end() {
    let (_t, mut tree) = env_tree();
    let r = tree.ok("vault_status", json!({}));
    assert_eq!(r["unlocked"], json!(false));
    assert_eq!(r["keySource"], json!("env"));
    for name in ["broker", "vault-proc", "dns-proc"] {
        tree.pid_of(name);
    }
}

#[test]
fn ping_a_thousand_times_in_a_row() {
    let (_t, mut tree) = env_tree();
    for _ in 0..1000 {
        let r = tree.request("ping", json!({}));
        assert_eq!(r["result"]["pong"], json!(true));
    }
}

#[test]
fn pipelined_requests_are_all_answered() {
    let (_t, mut tree) = env_tree();
    let ids: Vec<u64> = (0..200).map(|_| tree.send("ping", json!({}))).collect();
    for id in ids {
        let r = tree.wait_response(id, Duration::from_secs(10), &mut Vec::new());
        assert_eq!(r["ok"], json!(true));
    }
}

fn answered_within(tree: &mut Tree, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let r = tree.request("vault_status", json!({}));
        if r["ok"] == json!(true) {
            return start.elapsed();
        }
        assert_eq!(r["error"]["code"], json!("unavailable"), "{r}");
        assert!(
            start.elapsed() < limit,
            "not answered within {limit:?}: {r}"
        );
    }
}

#[test]
fn killed_processes_are_restarted_and_answer_within_a_second() {
    let (_t, mut tree) = env_tree();
    for name in ["vault-proc", "dns-proc", "broker"] {
        let old = tree.pid_of(name);
        procs::kill9(old);
        assert!(procs::wait_gone(&[old], Duration::from_secs(2)));
        let took = answered_within(&mut tree, Duration::from_secs(5));
        assert!(
            took < Duration::from_secs(1),
            "{name}: next request answered after {took:?}"
        );
        let new = tree.pid_of(name);
        assert_ne!(old, new, "{name} was not restarted");
    }
    // After the broker's death its old children must be gone too: exactly one of each.
    let d = procs::descendants(tree.pid());
    for name in ["broker", "vault-proc", "dns-proc"] {
        assert_eq!(d.get(name).map(|v| v.len()), Some(1), "{name}: {d:?}");
    }
    let pids = tree.all_pids();
    let took = tree.close();
    assert!(took < Duration::from_secs(2), "shutdown took {took:?}");
    assert!(
        procs::wait_gone(&pids, Duration::from_millis(500)),
        "processes left behind: {pids:?}"
    );
}

#[test]
fn eof_and_sigterm_shut_everything_down_quickly() {
    let (_t, mut tree) = env_tree();
    let pids = tree.all_pids();
    assert_eq!(pids.len(), 4, "{pids:?}");
    let took = tree.close();
    assert!(took < Duration::from_secs(2), "EOF shutdown took {took:?}");
    assert!(
        procs::wait_gone(&pids, Duration::from_millis(500)),
        "orphans: {pids:?}"
    );

    let (_t2, tree) = env_tree();
    let pids = tree.all_pids();
    let start = Instant::now();
    procs::signal(tree.pid(), nix::sys::signal::Signal::SIGTERM);
    assert!(
        procs::wait_gone(&pids, Duration::from_secs(2)),
        "SIGTERM left processes: {pids:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn killing_ui_bridge_takes_the_tree_down() {
    let (_t, tree) = env_tree();
    let pids = tree.all_pids();
    procs::kill9(tree.pid());
    assert!(
        procs::wait_gone(&pids, Duration::from_secs(2)),
        "orphans after kill -9 of ui-bridge: {pids:?}"
    );
}

#[test]
fn garbage_on_stdin_never_kills_the_session() {
    let (_t, mut tree) = env_tree();
    let garbage: Vec<Vec<u8>> = vec![
        b"not json\n".to_vec(),
        b"{\n".to_vec(),
        b"[]\n".to_vec(),
        b"{\"id\":1}\n".to_vec(),
        b"{\"id\":2,\"cmd\":\"no_such_command\"}\n".to_vec(),
        b"{\"id\":3,\"cmd\":\"ping\",\"args\":[1,2]}\n".to_vec(),
        b"{\"id\":\"four\",\"cmd\":\"ping\"}\n".to_vec(),
        b"{\"id\":5,\"cmd\":7}\n".to_vec(),
        b"{\"id\":6,\"cmd\":\"secret_get\",\"args\":{\"ref\":5}}\n".to_vec(),
        b"\xff\xfe\x00\x01binary\n".to_vec(),
        vec![b'x'; 3 * 1024 * 1024]
            .into_iter()
            .chain(*b"\n")
            .collect(),
        b"{\"id\":-1,\"cmd\":\"ping\"}\n".to_vec(),
    ];
    let expected = garbage.len();
    for g in &garbage {
        tree.send_raw(g);
    }
    let mut errors = 0;
    while errors < expected {
        let v = tree
            .next_line(Duration::from_secs(10))
            .expect("an error line for each garbage line");
        assert_eq!(v["ok"], json!(false), "{v}");
        let code = v["error"]["code"].as_str().unwrap();
        assert!(code == "invalid_request" || code == "validation", "{v}");
        errors += 1;
    }
    let r = tree.ok("ping", json!({}));
    assert_eq!(r["pong"], json!(true));
}

#[test]
fn unknown_command_names_itself() {
    let (_t, mut tree) = env_tree();
    let (code, err) = tree.err("frobnicate", json!({}));
    assert_eq!(code, "invalid_request");
    assert!(err["message"].as_str().unwrap().contains("frobnicate"));
}

#[test]
fn capability_keys_are_never_in_argv_or_environment() {
    let (_t, tree) = env_tree();
    let own_env = procs::proc_file(tree.pid(), "environ");
    for name in ["broker", "vault-proc", "dns-proc"] {
        let pid = tree.pid_of(name);
        let cmdline = procs::proc_file(pid, "cmdline");
        let args: Vec<&[u8]> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .collect();
        assert_eq!(
            args.len(),
            1,
            "{name} has arguments: {:?}",
            String::from_utf8_lossy(&cmdline)
        );
        let env = procs::proc_file(pid, "environ");
        let vars = |e: &[u8]| -> Vec<Vec<u8>> {
            e.split(|b| *b == 0)
                .filter(|v| !v.is_empty())
                .map(<[u8]>::to_vec)
                .collect()
        };
        let expected: Vec<Vec<u8>> = vars(&own_env)
            .into_iter()
            .filter(|v| name != "dns-proc" || !v.starts_with(b"SSLBOARD_MASTER_KEY="))
            .collect();
        // Nothing added to any child's environment; the explicit master key
        // is withheld from dns-proc (only vault-proc may read it).
        assert_eq!(
            vars(&env),
            expected,
            "{name}'s environment is not ui-bridge's"
        );
    }
    assert!(
        !String::from_utf8_lossy(&procs::proc_file(tree.pid_of("dns-proc"), "environ"))
            .contains("SSLBOARD_MASTER_KEY")
    );
}

fn socket_dir(tree: &Tree) -> PathBuf {
    let run = &tree.opts.runtime_dir;
    let dir = std::fs::read_dir(run)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("sslboard-")
        })
        .expect("socket dir");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    dir
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(payload);
    v
}

/// Reads until EOF (or 5 s) and returns what arrived; the server must close.
fn closed_after(mut s: UnixStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            // Closed while our bytes were still unread: a reset is a close.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("server did not close the rogue connection: {e}"),
        }
    }
}

fn hello(version: u32, role: u32) -> Vec<u8> {
    // bincode (big-endian, varint): enum tag 0 (Hello), version, role tag, 32-byte nonce.
    let mut p = vec![0u8];
    p.extend_from_slice(&varint(version as u64));
    p.extend_from_slice(&varint(role as u64));
    p.extend_from_slice(&[7u8; 32]);
    p
}

fn varint(v: u64) -> Vec<u8> {
    if v < 251 {
        vec![v as u8]
    } else if v <= u16::MAX as u64 {
        let mut o = vec![251];
        o.extend_from_slice(&(v as u16).to_be_bytes());
        o
    } else {
        let mut o = vec![252];
        o.extend_from_slice(&(v as u32).to_be_bytes());
        o
    }
}

#[test]
fn rogue_connections_are_rejected_and_do_not_disturb_the_tree() {
    let (_t, mut tree) = env_tree();
    let dir = socket_dir(&tree);
    let mut random = vec![0u8; 4096];
    getrandom::fill(&mut random).unwrap();
    for sock in ["broker.sock", "vault.sock", "dns.sock"] {
        let path = dir.join(sock);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{sock}"
        );
        let attempts: Vec<(&str, Vec<u8>)> = vec![
            // Refused before the role or the pid is looked at (the unit tests
            // of shared/src/handshake.rs prove it is the version check that refuses).
            ("wrong version", frame(&hello(999, 1))),
            (
                "wrong role (ui on a child socket / dns on broker)",
                frame(&hello(1, if sock == "broker.sock" { 2 } else { 0 })),
            ),
            (
                "right version and role from the wrong pid",
                frame(&hello(1, if sock == "broker.sock" { 0 } else { 1 })),
            ),
            ("4 GiB frame header", vec![0xff, 0xff, 0xff, 0xff]),
            ("random bytes", random.clone()),
            ("proof before hello", frame(&[2u8; 33])),
        ];
        for (what, bytes) in attempts {
            let mut s = UnixStream::connect(&path).unwrap();
            let _ = s.write_all(&bytes);
            let got = closed_after(s);
            // Whatever came back is a rejection, never a challenge.
            if got.len() > 4 {
                assert_eq!(got[4], 4, "{sock} / {what}: expected Rejected, got {got:?}");
            }
            let r = tree.ok("vault_status", json!({}));
            assert_eq!(r["keySource"], json!("env"), "{sock} / {what}");
        }
        // No handshake at all: the server times out and closes.
        let s = UnixStream::connect(&path).unwrap();
        let start = Instant::now();
        let _ = closed_after(s);
        assert!(start.elapsed() < Duration::from_secs(5));
    }
    assert!(tree.stderr().contains("handshake refused"));
}

#[test]
fn second_tree_on_the_same_data_dir_fails_fast_naming_the_holder() {
    let (t, tree) = env_tree();
    let broker = tree.pid_of("broker");
    let opts = tree.opts.clone();
    let start = Instant::now();
    let out = command(&opts, &["call", "ping"]).output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("pid {broker}")), "{err}");
    drop(tree);
    drop(t);
}

#[test]
fn call_mode_prints_the_result_and_fails_with_a_code() {
    let t = tempfile::tempdir().unwrap();
    let opts = TreeOptions::new(t.path(), KeySource::random_env());
    let out = command(&opts, &["call", "vault_status"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unlocked"], json!(false));
    let out = command(&opts, &["call", "secret_get", r#"{"name":"missing"}"#])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e: serde_json::Value =
        serde_json::from_slice(&out.stderr[out.stderr.iter().position(|b| *b == b'{').unwrap()..])
            .unwrap();
    assert_eq!(e["code"], json!("not_found"));
    let out = command(&opts, &["call", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
