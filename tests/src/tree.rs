//! A running process tree driven over stdio, as a UI would drive it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::procs;

/// How the tree gets its master key.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// `SSLBOARD_KEY_SOURCE=env` with this base64 key.
    Env(String),
    /// The real Secret Service on this D-Bus address, under this keyring service name.
    Keyring { dbus: String, service: String },
    /// No key source configured and no D-Bus session.
    None,
}

impl KeySource {
    /// A fresh random env key.
    pub fn random_env() -> Self {
        use base64::Engine;
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).expect("random");
        KeySource::Env(base64::engine::general_purpose::STANDARD.encode(k))
    }

    /// The real Secret Service from `scripts/test`, under a fresh service name.
    pub fn keyring() -> Self {
        KeySource::Keyring {
            dbus: crate::required_env("SSLBOARD_TEST_DBUS_ADDRESS"),
            service: format!("sslboard-test-{}", crate::random_hex(6)),
        }
    }
}

/// Options for starting a tree.
#[derive(Clone, Debug)]
pub struct TreeOptions {
    pub data_dir: PathBuf,
    pub runtime_dir: PathBuf,
    pub key: KeySource,
    pub extra_env: Vec<(String, String)>,
    /// A program (and its arguments) that execs ui-bridge, e.g. `setpriv …`.
    pub launcher: Vec<String>,
}

/// A running ui-bridge with its descendants.
pub struct Tree {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Events and responses seen but not yet taken.
    backlog: VecDeque<Value>,
    /// Everything written to stdout, for canary scans.
    pub stdout_log: Arc<Mutex<Vec<u8>>>,
    /// Everything every process wrote to stderr.
    pub stderr_log: Arc<Mutex<Vec<u8>>>,
    next_id: u64,
    pub opts: TreeOptions,
}

/// Builds the `ui-bridge` command for `opts`, with a minimal, known environment.
pub fn command(opts: &TreeOptions, args: &[&str]) -> Command {
    let bridge = crate::bin_dir().join("ui-bridge");
    let mut cmd = match opts.launcher.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(&bridge);
            c
        }
        None => Command::new(&bridge),
    };
    cmd.arg("--data-dir").arg(&opts.data_dir).args(args);
    cmd.env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("HOME", &opts.runtime_dir);
    cmd.env("XDG_RUNTIME_DIR", &opts.runtime_dir);
    cmd.env("SSLBOARD_LOG", "debug");
    match &opts.key {
        KeySource::Env(k) => {
            cmd.env("SSLBOARD_KEY_SOURCE", "env");
            cmd.env("SSLBOARD_MASTER_KEY", k);
        }
        KeySource::Keyring { dbus, service } => {
            cmd.env("DBUS_SESSION_BUS_ADDRESS", dbus);
            cmd.env("SSLBOARD_KEYRING_SERVICE", service);
        }
        KeySource::None => {
            cmd.env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}/no-such-bus", opts.runtime_dir.display()),
            );
        }
    }
    for (k, v) in &opts.extra_env {
        cmd.env(k, v);
    }
    cmd
}

impl TreeOptions {
    /// Options with fresh directories under `base`.
    pub fn new(base: &Path, key: KeySource) -> Self {
        let data_dir = base.join("data");
        let runtime_dir = base.join("run");
        std::fs::create_dir_all(&runtime_dir).expect("runtime dir");
        Self {
            data_dir,
            runtime_dir,
            key,
            extra_env: Vec::new(),
            launcher: Vec::new(),
        }
    }
}

impl Tree {
    /// Starts ui-bridge in stdio mode and waits until it answers `ping`.
    pub fn start(opts: TreeOptions) -> Tree {
        let mut child = command(&opts, &[])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ui-bridge");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let stdout_log = Arc::new(Mutex::new(Vec::new()));
        let stderr_log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = channel();
        let log = stdout_log.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        log.lock().unwrap().extend_from_slice(line.as_bytes());
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let elog = stderr_log.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match stderr.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => elog.lock().unwrap().extend_from_slice(&buf[..n]),
                }
            }
        });
        let mut t = Tree {
            child,
            stdin,
            lines: rx,
            backlog: VecDeque::new(),
            stdout_log,
            stderr_log,
            next_id: 1000,
            opts,
        };
        let pong = t.request("ping", json!({}));
        assert_eq!(
            pong["ok"],
            json!(true),
            "tree did not come up: {pong}\nstderr:\n{}",
            t.stderr()
        );
        t
    }

    /// ui-bridge's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Pid of a descendant by name: `broker`, `vault-proc`, `dns-proc`.
    pub fn pid_of(&self, name: &str) -> u32 {
        procs::wait_child(self.pid(), name)
    }

    /// Every descendant pid.
    pub fn all_pids(&self) -> Vec<u32> {
        let mut v: Vec<u32> = procs::descendants(self.pid())
            .into_values()
            .flatten()
            .collect();
        v.push(self.pid());
        v
    }

    /// Writes raw bytes to ui-bridge's stdin.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    /// Sends a request and returns its id.
    pub fn send(&mut self, cmd: &str, args: Value) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let line = format!("{}\n", json!({ "id": id, "cmd": cmd, "args": args }));
        self.send_raw(line.as_bytes());
        id
    }

    /// Next line from stdout (response or event), parsed.
    pub fn next_line(&mut self, timeout: Duration) -> Option<Value> {
        if let Some(v) = self.backlog.pop_front() {
            return Some(v);
        }
        match self.lines.recv_timeout(timeout) {
            Ok(l) => Some(
                serde_json::from_str(&l)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l:?}")),
            ),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits for the response with `id` (events for it are collected into `events`).
    pub fn wait_response(&mut self, id: u64, timeout: Duration, events: &mut Vec<Value>) -> Value {
        let deadline = Instant::now() + timeout;
        let mut others = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(v) = self.next_line(left) else {
                panic!(
                    "no response to request {id} within {timeout:?}\nstderr tail:\n{}",
                    self.stderr_tail(4000)
                );
            };
            if v.get("event").is_some() && v["id"] == json!(id) {
                events.push(v);
            } else if v.get("event").is_none() && v["id"] == json!(id) {
                self.backlog.extend(others);
                return v;
            } else {
                others.push(v);
            }
        }
    }

    /// Waits (at most 60 s) until every provider token's owner is a listed
    /// provider: the broker's background token sweep
    /// (`broker/src/token_sweep.rs`) removes orphans after the start.
    /// Returns the provider tokens then listed.
    pub fn await_no_orphan_tokens(&mut self) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let tokens = self.all(
                "secret_list",
                json!({"kind": "dns_provider_token"}),
                "secrets",
            );
            let providers = self.all("dns_provider_list", json!({}), "providers");
            let orphans: Vec<&Value> = tokens
                .iter()
                .filter(|t| !providers.iter().any(|p| p["id"] == t["owner"]))
                .collect();
            if orphans.is_empty() {
                return tokens;
            }
            assert!(
                Instant::now() < deadline,
                "orphan tokens still listed after 60 s: {orphans:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every item of a paged list command (`key` names the array).
    pub fn all(&mut self, cmd: &str, args: Value, key: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut args = args;
        loop {
            let page = self.ok(cmd, args.clone());
            out.extend(page[key].as_array().cloned().unwrap_or_default());
            match page["next"].as_str() {
                Some(n) => args["after"] = json!(n),
                None => return out,
            }
        }
    }

    /// Sends a request and waits for its response (30 s).
    pub fn request(&mut self, cmd: &str, args: Value) -> Value {
        let id = self.send(cmd, args);
        self.wait_response(id, Duration::from_secs(30), &mut Vec::new())
    }

    /// Like `request` but asserts success and returns `result`.
    pub fn ok(&mut self, cmd: &str, args: Value) -> Value {
        let r = self.request(cmd, args.clone());
        assert_eq!(r["ok"], json!(true), "{cmd} {args} failed: {r}");
        r["result"].clone()
    }

    /// Like `request` but asserts failure and returns the error code.
    pub fn err(&mut self, cmd: &str, args: Value) -> (String, Value) {
        let r = self.request(cmd, args.clone());
        assert_eq!(
            r["ok"],
            json!(false),
            "{cmd} {args} unexpectedly succeeded: {r}"
        );
        (
            r["error"]["code"].as_str().unwrap_or_default().to_string(),
            r["error"].clone(),
        )
    }

    /// Everything the tree wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr_log.lock().unwrap()).into_owned()
    }

    fn stderr_tail(&self, n: usize) -> String {
        let s = self.stderr();
        s[s.len().saturating_sub(n)..].to_string()
    }

    /// Closes stdin and waits for ui-bridge to exit; returns the time it took.
    pub fn close(&mut self) -> Duration {
        let start = Instant::now();
        self.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return start.elapsed();
            }
            assert!(
                Instant::now() < deadline,
                "ui-bridge did not exit after EOF"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let pids = self.all_pids();
        self.stdin.take();
        if !procs::wait_gone(&[self.pid()], Duration::from_secs(3)) {
            for p in &pids {
                procs::kill9(*p);
            }
        }
        let _ = self.child.wait();
    }
}
