//! The stdio session: one JSON request per line in, one JSON response or event
//! per line out. Requests run concurrently; a single writer task owns stdout.
//! Nothing a UI sends can end the session except EOF: over-long lines,
//! invalid UTF-8, bad JSON and unknown commands each get an error line.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use shared::protocol::ui::{UiEvent, UiRequest};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use zeroize::Zeroize;

use crate::json::request::{parse_line, MAX_LINE};
use crate::json::response::{error_line, event_line, ok_text};
use crate::launcher::BrokerLink;

/// Requests one session may have in flight; more get `unavailable` at once.
pub const MAX_IN_FLIGHT: usize = 512;

/// What the writer task puts on stdout.
enum Out {
    /// One JSON line, rendered (without its newline).
    Line(String),
    /// A response line already rendered into a file (`config_export`).
    Spooled(std::fs::File),
}

impl From<Value> for Out {
    fn from(v: Value) -> Self {
        Out::Line(v.to_string())
    }
}

/// Outcome of reading one line.
enum Line {
    Text(Vec<u8>),
    TooLong,
    Eof,
}

/// Reads one line of at most [`MAX_LINE`] bytes; a longer one is consumed and
/// reported without buffering it.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    let mut too_long = false;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(if too_long {
                Line::TooLong
            } else if buf.is_empty() {
                Line::Eof
            } else {
                Line::Text(buf)
            });
        }
        let (part, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if !too_long {
            if buf.len() + part.len() > MAX_LINE {
                too_long = true;
                buf.zeroize();
                buf = Vec::new();
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = found.unwrap_or(chunk.len());
        r.consume(used);
        if found.is_some() {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Text(buf)
            });
        }
    }
}

/// Runs the session until EOF on `input`, then waits up to `drain` for
/// requests still in flight.
pub async fn run<R, W>(link: Arc<BrokerLink>, input: R, output: W, drain: Duration)
where
    R: tokio::io::AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out_tx, mut out_rx) = mpsc::channel::<Out>(1024);
    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(out) = out_rx.recv().await {
            let written = match out {
                Out::Line(mut line) => {
                    line.push('\n');
                    output.write_all(line.as_bytes()).await
                }
                Out::Spooled(file) => {
                    let mut file = tokio::fs::File::from_std(file);
                    tokio::io::copy(&mut file, &mut output).await.map(drop)
                }
            };
            if written.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    });
    let mut reader = BufReader::new(input);
    let mut in_flight = tokio::task::JoinSet::new();
    loop {
        let line = match read_line(&mut reader).await {
            Ok(Line::Eof) | Err(_) => break,
            Ok(Line::TooLong) => {
                let err = shared::error::WireError::invalid_request(format!(
                    "line exceeds {MAX_LINE} bytes"
                ));
                let _ = out_tx.send(Out::from(error_line(None, &err))).await;
                continue;
            }
            Ok(Line::Text(t)) => t,
        };
        let mut text = match String::from_utf8(line) {
            Ok(t) => t,
            Err(e) => {
                let mut bytes = e.into_bytes();
                bytes.zeroize();
                let err = shared::error::WireError::invalid_request("line is not valid UTF-8");
                let _ = out_tx.send(Out::from(error_line(None, &err))).await;
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let parsed = parse_line(text.trim_end_matches('\r'));
        // The line may have carried a secret value: wipe our copy now.
        text.zeroize();
        let (id, request) = match parsed {
            Ok(x) => x,
            Err(rej) => {
                let _ = out_tx.send(Out::from(error_line(rej.id, &rej.error))).await;
                continue;
            }
        };
        // Reap finished requests first: only those still running count.
        while in_flight.try_join_next().is_some() {}
        if in_flight.len() >= MAX_IN_FLIGHT {
            // Backpressure instead of unbounded memory for a UI that never reads.
            let err = shared::error::WireError::unavailable(format!(
                "too many requests in flight (limit {MAX_IN_FLIGHT})"
            ));
            let _ = out_tx.send(Out::from(error_line(Some(id), &err))).await;
            continue;
        }
        let link = link.clone();
        let out = out_tx.clone();
        in_flight.spawn(async move {
            let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<UiEvent>();
            let ev_out = out.clone();
            let events = tokio::spawn(async move {
                while let Some(ev) = ev_rx.recv().await {
                    let _ = ev_out.send(event_line(id, &ev).into()).await;
                }
            });
            if matches!(request, UiRequest::ConfigExport) {
                // Not held in memory: the line is rendered page by page.
                drop(ev_tx);
                let _ = events.await;
                let line = match link.export_spooled(id).await {
                    Ok(file) => Out::Spooled(file),
                    Err(e) => error_line(Some(id), &e).into(),
                };
                let _ = out.send(line).await;
                return;
            }
            let result = link.call(id, request, Some(ev_tx)).await;
            let _ = events.await;
            let line = match result {
                Ok(resp) => Out::Line(ok_text(id, &resp)),
                Err(e) => error_line(Some(id), &e).into(),
            };
            let _ = out.send(line).await;
        });
    }
    let _ = tokio::time::timeout(drain, async {
        while in_flight.join_next().await.is_some() {}
    })
    .await;
    in_flight.abort_all();
    drop(out_tx);
    let _ = tokio::time::timeout(Duration::from_millis(200), writer).await;
}
