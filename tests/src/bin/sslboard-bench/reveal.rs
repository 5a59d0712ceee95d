//! `reveal` round trip, dns role → vault-proc over the real socket, next to
//! the physical floor (a framed echo between two processes over a Unix
//! socket, one in-process AES-256-GCM open of the same size), a plain OpenBao
//! KV v2 read over keep-alive HTTP, and `secret-tool lookup` against the same
//! gnome-keyring. The reveal path is measured in child processes with the
//! rpc shortcuts turned off and on (`SSLBOARD_BENCH_OFF`), in the same run.

use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

use shared::protocol::secrets::{SecretKind, SecretType};
use shared::protocol::vault::{VaultRequest, VaultResponse};
use shared::secret::Key32;
use sslboard_tests::direct::{new_secret, DirectVault};

fn secret_tool_lookup_p50(dbus: &str, n: usize) -> Option<Duration> {
    let env = [("DBUS_SESSION_BUS_ADDRESS", dbus)];
    let mut store = std::process::Command::new("secret-tool")
        .args(["store", "--label=bench", "sslboard-bench", "reveal"])
        .envs(env)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    store.stdin.take()?.write_all(b"bench-token-value").ok()?;
    store.wait().ok()?;
    let mut samples = Vec::new();
    for _ in 0..n {
        let s = Instant::now();
        let out = std::process::Command::new("secret-tool")
            .args(["lookup", "sslboard-bench", "reveal"])
            .envs(env)
            .output()
            .ok()?;
        samples.push(s.elapsed());
        assert_eq!(out.stdout, b"bench-token-value");
    }
    let _ = std::process::Command::new("secret-tool")
        .args(["clear", "sslboard-bench", "reveal"])
        .envs(env)
        .status();
    Some(crate::report(
        &format!("secret-tool lookup (same gnome-keyring, n={n})"),
        samples,
    ))
}

/// `read_exact` that, on a non-blocking socket, busy-polls instead of parking.
fn read_all(s: &mut UnixStream, mut out: &mut [u8]) -> bool {
    while !out.is_empty() {
        match s.read(out) {
            Ok(0) => return false,
            Ok(n) => out = &mut out[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::hint::spin_loop(),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

fn read_frame(s: &mut UnixStream, buf: &mut Vec<u8>) -> bool {
    let mut len = [0u8; 4];
    if !read_all(s, &mut len) {
        return false;
    }
    buf.resize(u32::from_be_bytes(len) as usize, 0);
    read_all(s, buf)
}

/// The echo server of the floor measurement (run as a child process);
/// `spin` busy-polls its socket instead of blocking in `read`.
pub fn echo_server(path: &str, spin: bool) {
    let listener = UnixListener::bind(path).unwrap();
    println!("ready");
    std::io::stdout().flush().unwrap();
    let (mut s, _) = listener.accept().unwrap();
    s.set_nonblocking(spin).unwrap();
    let mut buf = Vec::new();
    while read_frame(&mut s, &mut buf) {
        let mut out = (buf.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&buf);
        if s.write_all(&out).is_err() {
            break;
        }
    }
}

/// p50 of a 100-byte framed echo with a child process, both sides
/// blocking in `read` or both busy-polling (`spin`).
fn echo_p50(spin: bool) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg(if spin {
            "floor-echo-server-spin"
        } else {
            "floor-echo-server"
        })
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = [0u8; 6];
    child.stdout.take().unwrap().read_exact(&mut ready).unwrap();
    let mut s = UnixStream::connect(&path).unwrap();
    s.set_nonblocking(spin).unwrap();
    let mut frame = 100u32.to_be_bytes().to_vec();
    frame.extend_from_slice(&[7u8; 100]);
    let mut buf = Vec::new();
    let mut samples = Vec::with_capacity(20_000);
    for i in 0..21_000 {
        let t = Instant::now();
        s.write_all(&frame).unwrap();
        assert!(read_frame(&mut s, &mut buf));
        if i >= 1000 {
            samples.push(t.elapsed());
        }
    }
    drop(s);
    let _ = child.wait();
    crate::report(
        if spin {
            "floor: 100-byte framed echo between two processes (Unix socket, both busy-polling)"
        } else {
            "floor: 100-byte framed echo between two processes (Unix socket, blocking)"
        },
        samples,
    )
}

/// The floor: the faster of a blocking and a busy-polling 100-byte framed
/// echo between two processes (which one wins depends on whether the two
/// land on one CPU: a cross-CPU wake-up is an IPI, in a VM an exit), and an
/// AES-256-GCM open of 100 bytes. Returns their p50 sum.
fn floor() -> Duration {
    let echo = echo_p50(false).min(echo_p50(true));
    let key = Key32::from_bytes([5; 32]);
    let aad = b"sec_0123456789abcdef0123456789abcdef|dns_provider_token|api_key";
    let sealed = vault_proc::secrets::crypto::seal(&key, aad, &[9u8; 100]).unwrap();
    let mut samples = Vec::with_capacity(100_000);
    for _ in 0..100_000 {
        let t = Instant::now();
        let plain =
            vault_proc::secrets::crypto::open(&key, aad, &sealed.nonce, &sealed.ciphertext, "s")
                .unwrap();
        samples.push(t.elapsed());
        std::hint::black_box(plain);
    }
    let aes = crate::report(
        "floor: AES-256-GCM open of 100 bytes in-process (the store's crypto::open)",
        samples,
    );
    println!(
        "floor (echo + open): {:.1}µs",
        (echo + aes).as_secs_f64() * 1e6
    );
    echo + aes
}

/// A plain OpenBao KV v2 read over keep-alive HTTP (p50), when scripts/bench started OpenBao.
fn openbao_kv_read() -> Option<Duration> {
    let addr = std::env::var("SSLBOARD_TEST_OPENBAO_ADDR").ok()?;
    let token = std::env::var("SSLBOARD_TEST_OPENBAO_TOKEN").ok()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let url = format!("{addr}/v1/secret/data/sslboard-bench/reveal");
        http.post(&url)
            .header("X-Vault-Token", &token)
            .json(&serde_json::json!({"data": {"value": "bench-token-value"}}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let mut samples = Vec::with_capacity(2000);
        for i in 0..2200 {
            let t = Instant::now();
            let body: serde_json::Value = http
                .get(&url)
                .header("X-Vault-Token", &token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if i >= 200 {
                samples.push(t.elapsed());
            }
            assert_eq!(body["data"]["data"]["value"], "bench-token-value");
        }
        Some(crate::report(
            "OpenBao KV v2 read (keep-alive HTTP, same machine)",
            samples,
        ))
    })
}

/// One configuration of the reveal path (run as a child process with
/// `SSLBOARD_BENCH_OFF` set): status and reveal round trips, and reveal
/// throughput with 8 requests in flight. Prints `p50-ns=N` last.
pub fn variant(label: &str) {
    let v = DirectVault::start(&[("SSLBOARD_LOG", "warn")]);
    let provider = "dns_prov_00000000000000000000000000000001";
    let mut new = new_secret(
        "bench",
        SecretType::ApiKey,
        SecretKind::DnsProviderToken,
        &[("value", "bench-token-value")],
    );
    new.owner = Some(provider.into());
    let meta = v.create(new);
    v.permit(provider, &meta.reference);
    let req = || VaultRequest::Reveal {
        provider_id: provider.into(),
        secret_ref: meta.reference.clone(),
    };
    let p50 = v.rt.block_on(async {
        for _ in 0..500 {
            v.dns.call(req(), Duration::from_secs(5)).await.unwrap();
        }
        let mut status = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let s = Instant::now();
            v.broker
                .call(VaultRequest::Status, Duration::from_secs(5))
                .await
                .unwrap();
            status.push(s.elapsed());
        }
        crate::report(
            &format!("[{label}] status round trip (broker role)"),
            status,
        );
        let mut samples = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let s = Instant::now();
            let r = v.dns.call(req(), Duration::from_secs(5)).await.unwrap();
            samples.push(s.elapsed());
            assert!(matches!(r, VaultResponse::RevealedToken { .. }));
        }
        let p50 = crate::report(
            &format!("[{label}] reveal round trip (dns role → vault-proc, real socket)"),
            samples,
        );
        let start = Instant::now();
        let rounds = 5000;
        for _ in 0..rounds {
            let calls: Vec<_> = (0..8)
                .map(|_| v.dns.call(req(), Duration::from_secs(5)))
                .collect();
            for r in futures_join(calls).await {
                assert!(matches!(r, Ok(VaultResponse::RevealedToken { .. })));
            }
        }
        println!(
            "[{label}] reveal with 8 in flight: {:.0} ops/s",
            (rounds * 8) as f64 / start.elapsed().as_secs_f64()
        );
        p50
    });
    println!("p50-ns={}", p50.as_nanos());
}

async fn futures_join<F: Future>(fs: Vec<F>) -> Vec<F::Output> {
    let mut set = Vec::with_capacity(fs.len());
    let mut pinned: Vec<_> = fs.into_iter().map(Box::pin).collect();
    // Poll all together: a tiny join_all without another dependency.
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, f) in pinned.iter_mut().enumerate() {
            if set.len() <= i {
                set.push(None);
            }
            if set[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => set[i] = Some(v),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    set.into_iter().map(|o| o.unwrap()).collect()
}

fn run_variant(label: &str, off: &str) -> Duration {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["reveal-variant", label])
        .env("SSLBOARD_BENCH_OFF", off)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut p50 = None;
    for line in text.lines() {
        match line.strip_prefix("p50-ns=") {
            Some(n) => p50 = n.parse::<u64>().ok().map(Duration::from_nanos),
            None => println!("{line}"),
        }
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    p50.unwrap()
}

pub fn run() {
    let floor = floor();
    let bao = openbao_kv_read();
    run_variant(
        "writer task, store thread (before issue 18)",
        "inline-write,inline-answer,spin",
    );
    run_variant("inline writes, store thread", "inline-answer,spin");
    run_variant("inline writes, inline answers", "spin");
    let p50 = run_variant(
        "inline writes, inline answers, sockets watched before parking",
        "",
    );
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "reveal p50 {:.1}µs = {:.1}× the floor ({:.1}µs; target ≤ 3×, p50 ≤ 25µs)",
        us(p50),
        p50.as_secs_f64() / floor.as_secs_f64(),
        us(floor)
    );
    match bao {
        Some(b) => println!(
            "reveal vs OpenBao KV read: {:.1}× faster (target ≥ 10×)",
            b.as_secs_f64() / p50.as_secs_f64()
        ),
        None => println!("OpenBao comparison not run: SSLBOARD_TEST_OPENBAO_ADDR unset (scripts/bench starts OpenBao)"),
    }
    let dbus = std::env::var("SSLBOARD_TEST_DBUS_ADDRESS").ok();
    match dbus.and_then(|d| secret_tool_lookup_p50(&d, 50)) {
        Some(peer) => println!(
            "reveal vs secret-tool lookup: {:.0}× faster (target ≥ 500×)",
            peer.as_secs_f64() / p50.as_secs_f64()
        ),
        None => println!("secret-tool comparison not run: SSLBOARD_TEST_DBUS_ADDRESS unset (scripts/bench starts the keyring)"),
    }
}
