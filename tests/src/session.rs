//! A UI session that many threads use at once: one ui-bridge, requests
//! written under a lock, responses routed back to their caller by id. The
//! chaos and concurrency tests use it to drive the tree the way a busy UI
//! does (many requests in flight), which the one-caller `Tree` cannot.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::tree::{command, TreeOptions};

type Waiters = Arc<Mutex<HashMap<u64, Sender<Value>>>>;

/// A shared, concurrent UI session.
pub struct Session {
    pub child: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
    waiters: Waiters,
    next: AtomicU64,
    pub opts: TreeOptions,
}

impl Session {
    /// Starts ui-bridge for `opts` and waits for a `ping` answer.
    pub fn start(opts: TreeOptions) -> Arc<Session> {
        let mut child = command(&opts, &[])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ui-bridge");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let waiters: Waiters = Arc::new(Mutex::new(HashMap::new()));
        let w = waiters.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    panic!("stdout line is not JSON: {line}");
                };
                if v.get("event").is_some() {
                    continue;
                }
                let Some(id) = v["id"].as_u64() else { continue };
                if let Some(tx) = w.lock().unwrap().remove(&id) {
                    let _ = tx.send(v);
                }
            }
        });
        let s = Arc::new(Session {
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            waiters,
            next: AtomicU64::new(1),
            opts,
        });
        let pong = s.call("ping", json!({}), Duration::from_secs(30));
        assert_eq!(
            pong.map(|p| p["ok"].clone()),
            Some(json!(true)),
            "tree did not come up"
        );
        s
    }

    /// ui-bridge's pid.
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// Sends a request and waits for its response; `None` when none came
    /// within `timeout`.
    pub fn call(&self, cmd: &str, args: Value, timeout: Duration) -> Option<Value> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = channel();
        self.waiters.lock().unwrap().insert(id, tx);
        let line = format!("{}\n", json!({"id": id, "cmd": cmd, "args": args}));
        {
            let mut stdin = self.stdin.lock().unwrap();
            let ok = stdin
                .as_mut()
                .is_some_and(|s| s.write_all(line.as_bytes()).and_then(|_| s.flush()).is_ok());
            if !ok {
                self.waiters.lock().unwrap().remove(&id);
                return None;
            }
        }
        let r = rx.recv_timeout(timeout).ok();
        if r.is_none() {
            self.waiters.lock().unwrap().remove(&id);
        }
        r
    }

    /// Closes stdin and waits for ui-bridge to exit.
    pub fn close(&self) {
        self.stdin.lock().unwrap().take();
        let _ = self.child.lock().unwrap().wait();
    }
}
