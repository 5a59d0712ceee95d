//! The trust boundary, proved from outside the processes: canary values of
//! every secret type and every provider token, after every UI command, never
//! show up in UI output, logs, `dns.sqlite`, `secrets.sqlite`, argv or
//! environment, or core files; a revealed token is never in the broker's or
//! ui-bridge's memory and is gone from dns-proc's after the run; the master
//! key is gone from vault-proc's memory after `vault_lock`; other processes
//! cannot ptrace any process of the tree (ui-bridge included, in web mode
//! too); `ui-bridge call` takes values only on stdin.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use nix::sys::signal::Signal;
use serde_json::json;
use sslboard_standins::cloudflare;
use sslboard_tests::dns;
use sslboard_tests::procs::{self, memory_contains};
use sslboard_tests::tree::{KeySource, Tree, TreeOptions};
use sslboard_tests::{random_hex, required_env};

fn canary(tag: &str) -> String {
    format!("cnry{tag}{}", random_hex(10))
}

fn opts(base: &Path, key: &KeySource, env: &[(&str, String)]) -> TreeOptions {
    let mut o = TreeOptions::new(base, key.clone());
    o.extra_env.push((
        "SSLBOARD_DNS_NAMESERVERS".into(),
        dns::pdns_dns().to_string(),
    ));
    for (k, v) in env {
        o.extra_env.push((k.to_string(), v.clone()));
    }
    o
}

/// Every file under `dir`, concatenated (databases, WAL and journal files).
fn files_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_file() {
            out.extend(std::fs::read(&p).unwrap_or_default());
        } else if p.is_dir() {
            out.extend(files_bytes(&p));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A private-key PEM whose body is the canary, base64-encoded.
fn pem_with(canary: &str) -> (String, String) {
    let body = base64::engine::general_purpose::STANDARD.encode(format!("{canary}{canary}"));
    (
        format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"),
        body,
    )
}

#[test]
fn canaries_never_leave_the_vault_through_any_channel() {
    let base = tempfile::tempdir().unwrap();
    let cf_token = canary("cf");
    let standin = cloudflare::start(dns::standin_options(&cf_token)).unwrap();
    let key = KeySource::random_env();
    let mut tree = Tree::start(opts(
        base.path(),
        &key,
        &[("SSLBOARD_CLOUDFLARE_API_URL", standin.base_url())],
    ));
    let mut canaries: Vec<String> = vec![cf_token.clone()];
    let mut keep = |c: String| {
        canaries.push(c.clone());
        c
    };

    // Secrets of every type and kind.
    let (pem, pem_body) = pem_with(&random_hex(12));
    keep(pem_body);
    // Key kinds hold keys the core signs with: real keys, every body line but
    // the first (a fixed ASN.1 prefix) a canary.
    let (account_pem, managed_pem) = (
        sslboard_tests::keys::p256_pem(),
        sslboard_tests::keys::p256_pem(),
    );
    for key in [&account_pem, &managed_pem] {
        for line in key.lines().filter(|l| !l.starts_with("-----")).skip(1) {
            keep(line.to_string());
        }
    }
    let secrets = [
        ("api_key", "generic", json!({"value": keep(canary("api"))})),
        (
            "basic_auth",
            "generic",
            json!({"username": "u", "password": keep(canary("pw"))}),
        ),
        (
            "bearer_token",
            "generic",
            json!({"token": keep(canary("bt")), "expiresAt": "2999-01-01T00:00:00Z"}),
        ),
        (
            "oauth",
            "generic",
            json!({"clientId": "id", "clientSecret": keep(canary("cs")),
            "accessToken": keep(canary("at")), "refreshToken": keep(canary("rt")), "tokenUrl": "https://x.test/t"}),
        ),
        ("custom", "generic", json!({"x": keep(canary("cx"))})),
        ("private_key", "generic", json!({"pem": pem})),
        (
            "private_key",
            "acme_account_key",
            json!({"pem": account_pem}),
        ),
        (
            "private_key",
            "managed_private_key",
            json!({"pem": managed_pem}),
        ),
    ];
    for (i, (ty, kind, data)) in secrets.iter().enumerate() {
        tree.ok(
            "secret_create",
            json!({"name": format!("s{i}"), "type": ty, "kind": kind, "data": data, "tags": ["t"]}),
        );
    }
    // Every read and metadata command.
    for (cmd, args) in [
        ("ping", json!({})),
        ("vault_status", json!({})),
        ("secret_list", json!({})),
        ("secret_list", json!({"kind": "acme_account_key"})),
        ("secret_list", json!({"type": "oauth", "tag": "t"})),
        ("secret_get", json!({"name": "s3"})),
        (
            "template_validate",
            json!({"template": "a {{secrets.s0.value}} b {{secrets.s3.clientSecret}}"}),
        ),
        ("config_export", json!({})),
        ("vault_lock", json!({})),
        ("vault_status", json!({})),
        ("vault_unlock", json!({})),
        (
            "secret_update",
            json!({"name": "s0", "label": "L", "tags": ["u"]}),
        ),
        ("dns_resolve", json!({"hostname": "www.example.test"})),
        ("external_provider_get", json!({})),
    ] {
        tree.ok(cmd, args);
    }
    tree.ok(
        "secret_update",
        json!({"name": "s0", "data": {"value": keep(canary("api2"))}}),
    );
    // Error paths echo nothing back.
    let bad = keep(canary("bad"));
    tree.err(
        "secret_create",
        json!({"name": "bad", "type": "bearer_token", "data": {"token": bad, "expiresAt": bad}}),
    );
    tree.err(
        "secret_create",
        json!({"name": "bad2", "type": "api_key", "data": {"value": bad, "extra": bad}}),
    );
    tree.err(
        "template_validate",
        // Template text is not secret, but only the unknown reference is named back.
        json!({"template": format!("{bad} {{{{secrets.missing.value}}}}")}),
    );
    let ext = keep(canary("bao"));
    let _ = tree.request("external_provider_set", json!({"kind": "openbao", "address": required_env("SSLBOARD_TEST_OPENBAO_ADDR"), "mount": "secret", "token": ext}));
    let _ = tree.request("external_provider_delete", json!({}));

    // Providers: create, list, update with a new token, test, delete.
    let pdns_key = required_env("SSLBOARD_TEST_PDNS_API_KEY");
    canaries.push(pdns_key.clone());
    let cf = tree.ok("dns_provider_create", json!({"type": "cloudflare", "label": "cf", "domainSuffixes": "example.test", "apiToken": cf_token}))["provider"]["id"].as_str().unwrap().to_string();
    let pd = tree.ok(
        "dns_provider_create",
        json!({"type": "powerdns", "label": "pd", "domainSuffixes": "sub.example.test",
        "apiToken": pdns_key, "config": {"serverUrl": required_env("SSLBOARD_TEST_PDNS_API")}}),
    )["provider"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tsig = base64::engine::general_purpose::STANDARD.encode(canary("tsig"));
    canaries.push(tsig.clone());
    let rf = tree.ok("dns_provider_create", json!({"type": "rfc2136", "label": "rf", "domainSuffixes": "rfc2136.test",
        "apiToken": tsig, "config": {"server": required_env("SSLBOARD_TEST_BIND_DNS"), "tsigKeyName": "acme-key"}}))["provider"]["id"].as_str().unwrap().to_string();
    tree.ok("dns_provider_list", json!({}));
    for id in [&cf, &pd] {
        let r = tree.ok("dns_provider_test", json!({"id": id, "timeoutSecs": 10}));
        assert_eq!(r["success"], json!(true), "{r}");
    }
    let r = tree.ok("dns_provider_test", json!({"id": rf, "timeoutSecs": 5}));
    assert_eq!(r["success"], json!(false), "{r}");
    let new_tsig = base64::engine::general_purpose::STANDARD.encode(canary("tsig2"));
    canaries.push(new_tsig.clone());
    tree.ok(
        "dns_provider_update",
        json!({"id": rf, "apiToken": new_tsig, "label": "rf2"}),
    );
    tree.ok("dns_provider_test", json!({"id": rf, "timeoutSecs": 5}));
    tree.ok("dns_provider_test_cancel", json!({"requestId": 1}));
    tree.ok("dns_provider_delete", json!({"id": rf}));

    // Core files: none, even when vault-proc and dns-proc crash.
    let vault = tree.pid_of("vault-proc");
    let dnsp = tree.pid_of("dns-proc");
    for pid in [vault, dnsp] {
        let limits = String::from_utf8_lossy(&procs::proc_file(pid, "limits")).into_owned();
        let core = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        assert!(
            core.split_whitespace().nth(4) == Some("0"),
            "core files allowed: {core}"
        );
    }
    let cwds: Vec<_> = [vault, dnsp]
        .iter()
        .map(|p| std::fs::read_link(format!("/proc/{p}/cwd")).unwrap())
        .collect();

    // Argv and environment of every process, while it runs.
    for pid in tree.all_pids() {
        for file in ["cmdline", "environ"] {
            let bytes = procs::proc_file(pid, file);
            for c in &canaries {
                assert!(!contains(&bytes, c), "canary in /proc/{pid}/{file}");
            }
        }
    }
    // Rust's runtime catches a SIGSEGV that is not a stack-guard hit, resets
    // it to the default action and returns: the second one is fatal.
    procs::signal(dnsp, Signal::SIGABRT);
    procs::signal(vault, Signal::SIGSEGV);
    if !procs::wait_gone(&[vault], Duration::from_millis(500)) {
        procs::signal(vault, Signal::SIGSEGV);
    }
    assert!(procs::wait_gone(&[vault, dnsp], Duration::from_secs(5)));
    // The tree comes back.
    tree.ok("secret_get", json!({"name": "s0"}));
    for cwd in &cwds {
        let cores: Vec<_> = std::fs::read_dir(cwd)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("core"))
            .collect();
        assert!(
            cores.is_empty(),
            "core file in {}: {cores:?}",
            cwd.display()
        );
    }
    tree.close();

    let stdout = tree.stdout_log.lock().unwrap().clone();
    let stderr = tree.stderr_log.lock().unwrap().clone();
    let data = files_bytes(&base.path().join("data"));
    assert!(data.len() > 10_000, "data dir unexpectedly small");
    for c in &canaries {
        assert!(!contains(&stdout, c), "canary {c} in ui-bridge stdout");
        assert!(!contains(&stderr, c), "canary {c} in a log");
        assert!(
            !contains(&data, c),
            "canary {c} in the data dir (dns.sqlite / secrets.sqlite)"
        );
    }
}

/// Creates a Cloudflare provider in one tree, then runs Test Connection in a
/// second tree on the same data dir: there the token never passed through
/// ui-bridge or the broker.
#[test]
fn a_revealed_token_is_never_in_broker_or_ui_memory_and_is_wiped_from_dns_proc() {
    let base = tempfile::tempdir().unwrap();
    let token = canary("mem");
    let standin = cloudflare::start(dns::standin_options(&token)).unwrap();
    let key = KeySource::random_env();
    let env = [("SSLBOARD_CLOUDFLARE_API_URL", standin.base_url())];
    let id = {
        let mut first = Tree::start(opts(base.path(), &key, &env));
        let id = first.ok("dns_provider_create", json!({"type": "cloudflare", "label": "cf", "domainSuffixes": "example.test", "apiToken": token}))["provider"]["id"]
            .as_str().unwrap().to_string();
        first.close();
        id
    };
    let mut tree = Tree::start(opts(base.path(), &key, &env));
    let r = tree.ok("dns_provider_test", json!({"id": id, "timeoutSecs": 10}));
    assert_eq!(r["success"], json!(true), "{r}");
    // Positive control of every scan: the data dir's (random) path, which
    // each process holds for its whole life.
    let control = tree.opts.data_dir.to_string_lossy().into_owned();
    // The token never passed through these two: absent right after the answer.
    procs::assert_absent_with_control(
        tree.pid(),
        "ui-bridge",
        &[token.as_bytes()],
        control.as_bytes(),
    );
    procs::assert_absent_with_control(
        tree.pid_of("broker"),
        "broker",
        &[token.as_bytes()],
        control.as_bytes(),
    );
    // dns-proc dropped the adapter before answering; the HTTP client's
    // connection tasks free their buffers (zeroed by the allocator) when they
    // end, which may be just after the answer.
    procs::assert_gone_with_control(
        tree.pid_of("dns-proc"),
        "dns-proc",
        &[token.as_bytes()],
        control.as_bytes(),
        Duration::from_secs(5),
    );
}

#[test]
fn after_vault_lock_the_master_key_is_not_in_vault_proc_memory() {
    let base = tempfile::tempdir().unwrap();
    let key = KeySource::random_env();
    let KeySource::Env(b64) = &key else {
        unreachable!()
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let mut tree = Tree::start(opts(base.path(), &key, &[]));
    tree.ok(
        "secret_create",
        json!({"name": "a", "type": "api_key", "data": {"value": "v"}}),
    );
    let vault = tree.pid_of("vault-proc");
    assert_eq!(
        memory_contains(vault, &raw),
        Some(true),
        "the scan must see the live key (method check)"
    );
    tree.ok("vault_lock", json!({}));
    assert_eq!(tree.ok("vault_status", json!({}))["unlocked"], json!(false));
    assert_eq!(
        memory_contains(vault, &raw),
        Some(false),
        "master key still in vault-proc after lock: {:?}",
        procs::memory_regions_with(vault, &raw)
    );
}

#[test]
fn other_processes_cannot_ptrace_vault_proc_or_dns_proc() {
    // Tree, probe and control all run without CAP_SYS_PTRACE (dropped from
    // the bounding set before exec), as ordinary same-user processes do:
    // then only dumpability decides whether an attach is allowed.
    let no_ptrace: Vec<String> = [
        "setpriv",
        "--bounding-set=-sys_ptrace",
        "--inh-caps=-all",
        "--",
    ]
    .map(String::from)
    .to_vec();
    let base = tempfile::tempdir().unwrap();
    let mut o = opts(base.path(), &KeySource::random_env(), &[]);
    o.launcher = no_ptrace.clone();
    let tree = Tree::start(o);
    let probe = sslboard_tests::bin_dir().join("ptrace-probe");
    let attach = |pid: u32| {
        let out = std::process::Command::new(&no_ptrace[0])
            .args(&no_ptrace[1..])
            .arg(&probe)
            .arg(pid.to_string())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    // Method check: an ordinary (dumpable) process of the same user can be attached.
    let mut control = std::process::Command::new(&no_ptrace[0])
        .args(&no_ptrace[1..])
        .args(["sleep", "30"])
        .spawn()
        .unwrap();
    // Probe only once setpriv has exec'd `sleep`: before that the process
    // still holds the capabilities setpriv is about to drop.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while procs::proc_file(control.id(), "comm") != b"sleep\n" {
        assert!(
            std::time::Instant::now() < deadline,
            "control never became `sleep`"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        attach(control.id()),
        "attached",
        "probe cannot attach even to a dumpable process"
    );
    let _ = control.kill();
    let _ = control.wait();
    for name in ["vault-proc", "dns-proc", "broker"] {
        let r = attach(tree.pid_of(name));
        assert_eq!(r, "EPERM", "{name}: {r}");
    }
    // ui-bridge too (it carries typed values in flight, and session keys in
    // web mode), in stdio and in web mode.
    let r = attach(tree.pid());
    assert_eq!(r, "EPERM", "ui-bridge: {r}");
    let web_base = tempfile::tempdir().unwrap();
    let mut wo = opts(web_base.path(), &KeySource::random_env(), &[]);
    wo.launcher = no_ptrace.clone();
    let web = sslboard_tests::web::WebTree::start(wo);
    let r = attach(web.child.id());
    assert_eq!(r, "EPERM", "ui-bridge web: {r}");
    let limits = String::from_utf8_lossy(&procs::proc_file(web.child.id(), "limits")).into_owned();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or_default();
    assert_eq!(
        core.split_whitespace().nth(4),
        Some("0"),
        "ui-bridge web: {core}"
    );
}

/// A value typed into the UI passes through ui-bridge and the broker on its
/// way to the vault; once the create is answered, neither keeps a copy
/// (buffers are wiped after parsing and writing, and freed memory is zeroed).
#[test]
fn a_created_value_does_not_stay_in_ui_bridge_or_broker_memory() {
    let base = tempfile::tempdir().unwrap();
    let mut tree = Tree::start(opts(base.path(), &KeySource::random_env(), &[]));
    let value = canary("typed");
    tree.ok(
        "secret_create",
        json!({"name": "typed", "type": "api_key", "data": {"value": value}}),
    );
    let token = canary("tok");
    tree.ok("dns_provider_create", json!({"type": "cloudflare", "label": "cf", "domainSuffixes": "example.test", "apiToken": token}));
    // Sync point: every earlier request has been answered.
    tree.ok("ping", json!({}));
    let control = tree.opts.data_dir.to_string_lossy().into_owned();
    for (name, pid) in [("ui-bridge", tree.pid()), ("broker", tree.pid_of("broker"))] {
        procs::assert_absent_with_control(
            pid,
            name,
            &[value.as_bytes(), token.as_bytes()],
            control.as_bytes(),
        );
    }
}

/// The data dir must be a real directory owned by us, and every launch's
/// socket directory is fresh, 0700, with 0600 sockets.
#[test]
fn symlinked_or_foreign_owned_data_dirs_are_refused_and_socket_dirs_are_private() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let base = tempfile::tempdir().unwrap();
    let key = KeySource::random_env();
    let call = |data: &Path| {
        let mut o = TreeOptions::new(base.path(), key.clone());
        o.data_dir = data.to_path_buf();
        let out = sslboard_tests::tree::command(&o, &["call", "vault_status"])
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let real = base.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
    let link = base.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (ok, text) = call(&link);
    assert!(!ok && text.contains("symlink"), "{text}");
    let foreign = base.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    nix::unistd::chown(&foreign, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    let (ok, text) = call(&foreign);
    assert!(!ok && text.contains("owned by uid 65534"), "{text}");
    assert_eq!(
        std::fs::read_dir(&real).unwrap().count(),
        0,
        "nothing written through the symlink"
    );

    let tree = Tree::start(opts(&base.path().join("t"), &key, &[]));
    let runtime = &tree.opts.runtime_dir;
    let dirs: Vec<_> = std::fs::read_dir(runtime)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("sslboard-"))
        .collect();
    assert!(
        !dirs.is_empty(),
        "no socket dir under {}",
        runtime.display()
    );
    for d in dirs {
        let meta = std::fs::symlink_metadata(d.path()).unwrap();
        assert!(
            meta.is_dir() && meta.mode() & 0o777 == 0o700,
            "{:?} mode {:o}",
            d.path(),
            meta.mode()
        );
        for s in std::fs::read_dir(d.path()).unwrap().flatten() {
            let m = std::fs::symlink_metadata(s.path()).unwrap();
            assert_eq!(m.mode() & 0o777, 0o600, "{:?}", s.path());
        }
    }
    let data = std::fs::metadata(&tree.opts.data_dir).unwrap();
    assert_eq!(data.mode() & 0o777, 0o700);
}

/// `ui-bridge call` never takes a value on argv: every command whose
/// arguments can hold one refuses argv arguments (exit 2, and it says to
/// pass `-`), and `call CMD -` reads them from stdin. While such a call
/// waits for its stdin, its argv and environment carry no value (method
/// check in the same scan: the command name is found in argv).
#[test]
fn call_mode_takes_values_on_stdin_never_on_argv() {
    use std::io::Write;
    use std::process::Stdio;
    let base = tempfile::tempdir().unwrap();
    let o = opts(base.path(), &KeySource::random_env(), &[]);
    let value = canary("argv");
    for cmd in [
        "secret_create",
        "secret_update",
        "dns_provider_create",
        "dns_provider_update",
        "external_provider_set",
    ] {
        let args = json!({"name": "n", "data": {"value": value}}).to_string();
        let out = sslboard_tests::tree::command(&o, &["call", cmd, &args])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        assert!(
            err.contains("pass `-`") && err.contains("stdin"),
            "{cmd}: {err}"
        );
        assert!(!err.contains(&value), "{cmd} echoed the value: {err}");
    }
    assert!(
        !o.data_dir.join("secrets.sqlite").exists(),
        "a refused call started the core"
    );

    // `-`: the arguments come from stdin; scan argv/environ while it waits.
    let mut child = sslboard_tests::tree::command(&o, &["call", "secret_create", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let args = json!({"name": "via_stdin", "type": "api_key", "data": {"value": value}});
    stdin.write_all(args.to_string().as_bytes()).unwrap();
    // The process is blocked reading stdin; its argv may show up a moment
    // after spawn returns (the loader still runs): wait for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut cmdline = procs::proc_file(child.id(), "cmdline");
    while !contains(&cmdline, "secret_create") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        cmdline = procs::proc_file(child.id(), "cmdline");
    }
    let environ = procs::proc_file(child.id(), "environ");
    assert!(
        contains(&cmdline, "secret_create") && contains(&environ, "SSLBOARD_"),
        "method check: the scan did not read the process's argv/environ: {:?} / {} bytes",
        String::from_utf8_lossy(&cmdline),
        environ.len()
    );
    assert!(!contains(&cmdline, &value), "the value is in argv");
    assert!(
        !contains(&environ, &value),
        "the value is in the environment"
    );
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(meta["name"], json!("via_stdin"));
    assert!(!contains(&out.stdout, &value) && !contains(&out.stderr, &value));

    // Any command takes `-`; a selector on argv is still fine where no value fits.
    let mut child = sslboard_tests::tree::command(&o, &["call", "secret_get", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"name": "via_stdin"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = sslboard_tests::tree::command(&o, &["call", "secret_get", r#"{"name":"via_stdin"}"#])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = sslboard_tests::tree::command(&o, &["call", "ping", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "empty stdin is not a JSON object: {out:?}"
    );
}
