//! A running `ui-bridge web` for the tests of the web transport: started
//! with the stdio harness's environment, its login URL read from stdout,
//! stopped with SIGTERM (then SIGKILL for anything left) when dropped.
//! The server answers only under its per-launch `*.localhost` name, which
//! browsers resolve themselves; [`WebTree::client_builder`] makes reqwest
//! do the same (the name resolves to 127.0.0.1, nothing asks DNS).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::procs;
use crate::tree::{command, TreeOptions};

/// A running web mode.
pub struct WebTree {
    pub child: Child,
    /// `http://sslboard-<random>.localhost:PORT`.
    pub base: String,
    /// The per-launch host name, `sslboard-<random>.localhost`.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The one-time login URL.
    pub login_url: String,
    /// Everything written to stderr.
    pub stderr_log: Arc<Mutex<Vec<u8>>>,
    pub opts: TreeOptions,
}

impl WebTree {
    /// Starts `ui-bridge web` and waits for its URL.
    pub fn start(opts: TreeOptions) -> WebTree {
        let mut child = command(&opts, &["web"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ui-bridge web");
        let mut stderr = child.stderr.take().expect("stderr");
        let stderr_log = Arc::new(Mutex::new(Vec::new()));
        let elog = stderr_log.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                elog.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!(
                    "ui-bridge web printed no URL; stderr:\n{}",
                    String::from_utf8_lossy(&stderr_log.lock().unwrap())
                )
            });
        let login_url = line.trim().to_string();
        let rest = login_url
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("unexpected URL line {login_url:?}"));
        let (authority, path) = rest.split_once('/').expect("URL has a path");
        assert!(path.starts_with("login?token="), "{login_url}");
        let (host, port) = authority.rsplit_once(':').expect("URL has a port");
        assert!(
            host.starts_with("sslboard-") && host.ends_with(".localhost"),
            "{login_url}"
        );
        let port: u16 = port.parse().expect("port");
        WebTree {
            child,
            base: format!("http://{host}:{port}"),
            host: host.to_string(),
            port,
            login_url,
            stderr_log,
            opts,
        }
    }

    /// A reqwest client builder that resolves this launch's host name to
    /// 127.0.0.1, as browsers do for `*.localhost`.
    pub fn client_builder(&self) -> reqwest::blocking::ClientBuilder {
        reqwest::blocking::Client::builder().resolve(
            &self.host,
            std::net::SocketAddr::from(([127, 0, 0, 1], self.port)),
        )
    }

    /// Everything the tree wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr_log.lock().unwrap()).into_owned()
    }
}

impl Drop for WebTree {
    fn drop(&mut self) {
        let root = self.child.id();
        let mut pids: Vec<u32> = procs::descendants(root).into_values().flatten().collect();
        pids.push(root);
        procs::signal(root, nix::sys::signal::Signal::SIGTERM);
        if !procs::wait_gone(&pids, Duration::from_secs(5)) {
            for p in &pids {
                procs::kill9(*p);
            }
        }
        let _ = self.child.wait();
    }
}
