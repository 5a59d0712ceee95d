//! The one final scrubber of everything dns-proc says toward the broker.
//!
//! A provider (or a proxy, WAF or debug page in front of a self-hosted one)
//! may echo what we sent, the token included, and that text flows into
//! error messages, Test Connection results, progress details and logs. Each
//! of those leaves dns-proc through [`text`] (Test Connection results and
//! events, and every error answer, in `service.rs`; every log line, through
//! [`log_filter`], installed in `main.rs`), which removes, case-insensitively,
//! every run of [`MIN_RUN`] or more bytes taken from a live token: a token cut
//! in two by a length limit, or quoted in part, is removed as well as a whole
//! one. Tokens shorter than [`MIN_RUN`] are removed where they occur whole.
//!
//! A token is live while a [`Registration`] for it exists: `service.rs`
//! registers the revealed token before the adapter is built and drops the
//! registration only after the last result and event of the run have been
//! scrubbed. The copy kept here is zeroized when the registration drops.
//!
//! Adapters also scrub at the source ([`scrub_with`] through
//! `adapters::http::ApiClient::scrub`, before any text is cut), and report
//! serde errors by position and expected type only ([`serde_error`]), never by
//! quoting the value.

use std::collections::HashSet;
use std::sync::Mutex;

use shared::error::WireError;
use shared::protocol::dns::{TestOutcome, TestProgress};
use zeroize::Zeroizing;

/// Shortest run of token bytes that is removed wherever it appears.
pub const MIN_RUN: usize = 8;
/// What a removed run is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Live tokens: (registration id, lower-cased token bytes).
static LIVE: Mutex<Vec<(u64, Zeroizing<Vec<u8>>)>> = Mutex::new(Vec::new());
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Keeps a token in the live set until dropped.
#[must_use = "the token is scrubbed only while the registration lives"]
pub struct Registration {
    id: u64,
}

/// Adds `token` to the live set: every text leaving dns-proc is scrubbed of
/// it until the returned registration is dropped.
pub fn register(token: &[u8]) -> Registration {
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let lowered = Zeroizing::new(token.to_ascii_lowercase());
    if let Ok(mut live) = LIVE.lock() {
        live.push((id, lowered));
    }
    Registration { id }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE.lock() {
            // Removing the entry drops (and zeroizes) the copy.
            live.retain(|(id, _)| *id != self.id);
        }
    }
}

/// `text` without any run of [`MIN_RUN`]+ bytes of a live token.
pub fn text(text: &str) -> String {
    match LIVE.lock() {
        Ok(live) if !live.is_empty() => {
            let secrets: Vec<&[u8]> = live.iter().map(|(_, t)| t.as_slice()).collect();
            scrub_all(text, &secrets)
        }
        Ok(_) => text.to_string(),
        // A poisoned lock means a panic while scrubbing: say nothing rather
        // than risk saying a token.
        Err(_) => REDACTED.to_string(),
    }
}

/// [`text`] in place.
pub fn in_place(s: &mut String) {
    let cleaned = text(s);
    if cleaned != *s {
        *s = cleaned;
    }
}

/// `text` without any run of [`MIN_RUN`]+ bytes of `secret` (compared
/// ignoring ASCII case).
pub fn scrub_with(text: &str, secret: &[u8]) -> String {
    let lowered = Zeroizing::new(secret.to_ascii_lowercase());
    scrub_all(text, &[lowered.as_slice()])
}

/// Marks the bytes of `text` covered by a run taken from one of `secrets`
/// and replaces each maximal marked stretch by [`REDACTED`].
fn scrub_all(text: &str, secrets: &[&[u8]]) -> String {
    let hay = text.as_bytes().to_ascii_lowercase();
    let mut marked = vec![false; hay.len()];
    let mut any = false;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let window = secret.len().min(MIN_RUN);
        if hay.len() < window {
            continue;
        }
        // Every window-long piece of the secret: a run of MIN_RUN or more
        // bytes from the secret is exactly a stretch all of whose windows are
        // pieces of it, so marking every matching window marks every run.
        let pieces: HashSet<&[u8]> = secret.windows(window).collect();
        for (i, w) in hay.windows(window).enumerate() {
            if pieces.contains(w) {
                marked[i..i + window].iter_mut().for_each(|m| *m = true);
                any = true;
            }
        }
    }
    if !any {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if marked[i] {
            out.extend_from_slice(REDACTED.as_bytes());
            while i < bytes.len() && marked[i] {
                i += 1;
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    // A cut through a multi-byte character leaves invalid UTF-8: replaced.
    String::from_utf8_lossy(&out).into_owned()
}

/// What a serde error says, without ever quoting the input: the category,
/// the expected type when serde names one, and the position.
pub fn serde_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("at line {} column {}", e.line(), e.column());
    let message = e.to_string();
    let expected = message
        .rsplit_once(", expected ")
        .map(|(_, x)| x.split(" at line ").next().unwrap_or(x).trim().to_string())
        .filter(|x| !x.contains(['"', '`', '\'']));
    let what = match e.classify() {
        Category::Io => "read error".to_string(),
        Category::Eof => "truncated JSON".to_string(),
        Category::Syntax => "not valid JSON".to_string(),
        Category::Data => {
            let kind = [
                ("invalid type", "a value of the wrong type"),
                ("invalid value", "an invalid value"),
                ("invalid length", "a sequence or map of the wrong length"),
                ("unknown variant", "an unknown variant"),
                ("unknown field", "an unknown field"),
                ("missing field", "a missing field"),
                ("duplicate field", "a duplicate field"),
            ]
            .iter()
            .find(|(prefix, _)| message.starts_with(prefix))
            .map_or("an unexpected shape", |(_, k)| k);
            kind.to_string()
        }
    };
    match expected {
        Some(x) => format!("{what} (expected {x}) {at}"),
        None => format!("{what} {at}"),
    }
}

/// A Test Connection result, every text field scrubbed.
pub fn outcome(o: &mut TestOutcome) {
    for s in [
        &mut o.message,
        &mut o.cleanup_error,
        &mut o.record_name,
        &mut o.zone,
    ]
    .into_iter()
    .flatten()
    {
        in_place(s);
    }
    o.suggestions.iter_mut().for_each(in_place);
}

/// A progress event, every text field scrubbed.
pub fn progress(p: &mut TestProgress) {
    in_place(&mut p.detail);
    for ns in &mut p.nameservers {
        in_place(&mut ns.detail);
        in_place(&mut ns.address);
    }
}

/// An error answer, its message scrubbed.
pub fn error(mut e: WireError) -> WireError {
    in_place(&mut e.message);
    e
}

/// The log filter installed in dns-proc's `main.rs`: every log line is
/// scrubbed of live tokens before it is written.
pub fn log_filter(line: &str) -> String {
    text(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "pdns-0123456789abcdefFEDCBA9876543210-key";

    fn windows_of(token: &str) -> Vec<String> {
        token
            .as_bytes()
            .windows(MIN_RUN)
            .map(|w| String::from_utf8_lossy(w).to_ascii_lowercase())
            .collect()
    }

    fn assert_clean(s: &str, token: &str) {
        let lower = s.to_ascii_lowercase();
        for w in windows_of(token) {
            assert!(!lower.contains(&w), "{w} survived in {s}");
        }
    }

    #[test]
    fn whole_and_partial_tokens_are_removed_at_every_cut() {
        for cut in 0..=TOKEN.len() {
            for keep_start in [true, false] {
                let part = if keep_start {
                    &TOKEN[..cut]
                } else {
                    &TOKEN[cut..]
                };
                let s = scrub_with(&format!("X-API-Key: {part}\r\nnext"), TOKEN.as_bytes());
                assert_clean(&s, TOKEN);
                if part.len() >= MIN_RUN {
                    assert!(s.contains(REDACTED), "{s}");
                }
                assert!(s.starts_with("X-API-Key: "), "{s}");
                assert!(s.ends_with("\r\nnext"), "{s}");
            }
        }
    }

    #[test]
    fn case_and_repeats_are_handled_and_clean_text_is_kept() {
        let s = scrub_with(
            &format!("a {} b {} c", TOKEN.to_uppercase(), &TOKEN[3..20]),
            TOKEN.as_bytes(),
        );
        assert_clean(&s, TOKEN);
        assert_eq!(s.matches(REDACTED).count(), 2, "{s}");
        let clean = "HTTP 500: internal error, nothing to see";
        assert_eq!(scrub_with(clean, TOKEN.as_bytes()), clean);
        // Short tokens only whole.
        assert_eq!(scrub_with("x abc y", b"abc"), format!("x {REDACTED} y"));
    }

    #[test]
    fn multibyte_text_next_to_a_token_stays_valid() {
        let s = scrub_with(&format!("é{TOKEN}é"), TOKEN.as_bytes());
        assert_eq!(s, format!("é{REDACTED}é"));
    }

    #[test]
    fn registered_tokens_are_scrubbed_until_the_registration_drops() {
        let token = "live-token-0f1e2d3c4b5a69788796a5b4";
        let reg = register(token.as_bytes());
        assert_eq!(text(&format!("got {token}")), format!("got {REDACTED}"));
        assert!(log_filter(&token[4..20]).contains(REDACTED));
        drop(reg);
        assert_eq!(text(&format!("got {token}")), format!("got {token}"));
    }

    #[test]
    fn serde_errors_never_quote_the_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Zone {
            id: String,
            name: String,
        }
        let secret = "s3cr3t-value-that-must-not-appear";
        for body in [
            format!(r#"["{secret}"]"#),
            format!(r#"[{{"id":"{secret}","name":5}}]"#),
            format!(r#"[{{"{secret}":1}}]"#),
            format!(r#"{{"{secret}"#),
        ] {
            let e = serde_json::from_str::<Vec<Zone>>(&body).unwrap_err();
            let m = serde_error(&e);
            assert!(!m.contains("s3cr3t"), "{m}");
            assert!(m.contains("line 1 column"), "{m}");
        }
        let e = serde_json::from_str::<Vec<Zone>>(&format!(r#"["{secret}"]"#)).unwrap_err();
        assert!(
            serde_error(&e).contains("wrong type (expected struct Zone)"),
            "{}",
            serde_error(&e)
        );
    }
}
