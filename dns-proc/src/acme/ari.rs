//! ACME Renewal Information (RFC 9773): the certificate identifier lives in
//! [`super::cert::LeafInfo::ari_cert_id`]; this module parses the CA's
//! `renewalInfo` answer (a fuzz target, `acme_renewal_info`), picks the
//! renewal time inside the suggested window, and bounds how often the
//! window is fetched again (the CA's `Retry-After`, clamped). Without ARI a
//! certificate is renewed at two thirds of its lifetime.

use std::time::Duration;

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::error::{AcmeError, AcmeResult};

/// Fewest seconds between two fetches of one certificate's window, whatever
/// the CA says (RFC 9773 §4.3.3: clients set reasonable limits).
pub const MIN_POLL: Duration = Duration::from_secs(60);
/// Most seconds between two fetches (a window can move, e.g. on a mass revocation).
pub const MAX_POLL: Duration = Duration::from_secs(24 * 3600);
/// Between fetches when the CA sends no `Retry-After` (RFC 9773 §4.3.3 suggests 6 h).
pub const DEFAULT_POLL: Duration = Duration::from_secs(6 * 3600);

/// A suggested renewal window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start.
    pub start: OffsetDateTime,
    /// End (after the start).
    pub end: OffsetDateTime,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    suggested_window: WireWindow,
}

#[derive(Deserialize)]
struct WireWindow {
    start: String,
    end: String,
}

/// Parses a `renewalInfo` body (RFC 9773 §4.2): a `suggestedWindow` with
/// RFC 3339 `start` and `end`, the end after the start; other members
/// (`explanationURL`) are ignored.
pub fn parse_renewal_info(body: &[u8]) -> AcmeResult<Window> {
    let w: Wire = serde_json::from_slice(body).map_err(|e| {
        AcmeError::Protocol(format!(
            "the renewal information is unreadable (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    // In UTC, so arithmetic on a window near year 9999 with a positive
    // offset cannot leave the representable range (fuzzing found it).
    let parse = |s: &str| {
        OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .and_then(|t| t.checked_to_offset(time::UtcOffset::UTC))
            .ok_or_else(|| AcmeError::Protocol("a renewal window time is not RFC 3339".into()))
    };
    let start = parse(&w.suggested_window.start)?;
    let end = parse(&w.suggested_window.end)?;
    if end <= start {
        return Err(AcmeError::Protocol(
            "the renewal window ends before it starts".into(),
        ));
    }
    Ok(Window { start, end })
}

/// A uniformly random point of `w` (RFC 9773 §4.2); `unit` is a random
/// number in [0, 1). A point already past means "renew now".
pub fn pick(w: Window, unit: f64) -> OffsetDateTime {
    let span = (w.end - w.start).whole_milliseconds() as f64;
    let offset = (span * unit.clamp(0.0, 1.0)) as i64;
    let last = (span as i64 - 1).max(0);
    w.start
        .checked_add(time::Duration::milliseconds(offset.clamp(0, last)))
        .unwrap_or(w.start)
}

/// A random number in [0, 1) (OS randomness; 0.5 if there is none).
pub fn unit_random() -> f64 {
    let mut b = [0u8; 8];
    match getrandom::fill(&mut b) {
        Ok(()) => (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

/// Two thirds of the way from `not_before` to `not_after`.
pub fn two_thirds(not_before: OffsetDateTime, not_after: OffsetDateTime) -> OffsetDateTime {
    not_before + (not_after - not_before) * 2 / 3
}

/// When to fetch the window again: the CA's `Retry-After` (seconds or an
/// HTTP date), clamped to [`MIN_POLL`]..[`MAX_POLL`], else [`DEFAULT_POLL`].
pub fn next_poll(retry_after: Option<&str>, now: OffsetDateTime) -> Duration {
    let asked = retry_after.and_then(|v| {
        let v = v.trim();
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        let at = OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
        Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
    });
    match asked {
        Some(d) => d.clamp(MIN_POLL, MAX_POLL),
        None => DEFAULT_POLL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_window_at_the_end_of_year_9999_is_picked_from_without_overflow() {
        // The fuzzer's find: a +02:00 start whose additions crossed year 9999.
        let w = parse_renewal_info(br#"{"suggestedWindow":{"start":"9896-01-02T04:05:00.123456789+02:00","end":"9999-12-31T23:59:59Z"}}"#).unwrap();
        for unit in [0.0, 0.5, 0.999_999] {
            let t = pick(w, unit);
            assert!(t >= w.start && t < w.end);
        }
        // A time that is representable only in its own offset is refused.
        assert!(parse_renewal_info(br#"{"suggestedWindow":{"start":"9999-12-31T20:00:00Z","end":"9999-12-31T23:59:59-05:00"}}"#).is_err());
    }

    #[test]
    fn windows_parse_and_bad_ones_are_refused() {
        let w = parse_renewal_info(br#"{"suggestedWindow":{"start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"},"explanationURL":"https://x/y"}"#).unwrap();
        assert_eq!(w.start, datetime!(2025-01-02 04:00 UTC));
        assert_eq!(w.end, datetime!(2025-01-03 04:00 UTC));
        for bad in [
            &br#"{}"#[..],
            br#"{"suggestedWindow":{"start":"2025-01-03T04:00:00Z","end":"2025-01-02T04:00:00Z"}}"#,
            br#"{"suggestedWindow":{"start":"2025-01-03T04:00:00Z","end":"2025-01-03T04:00:00Z"}}"#,
            br#"{"suggestedWindow":{"start":"yesterday","end":"2025-01-02T04:00:00Z"}}"#,
            b"not json",
        ] {
            assert!(parse_renewal_info(bad).is_err());
        }
    }

    #[test]
    fn picks_stay_inside_the_window() {
        let w = Window {
            start: datetime!(2025-01-02 00:00 UTC),
            end: datetime!(2025-01-03 00:00 UTC),
        };
        assert_eq!(pick(w, 0.0), w.start);
        assert_eq!(pick(w, 0.5), datetime!(2025-01-02 12:00 UTC));
        for _ in 0..1000 {
            let t = pick(w, unit_random());
            assert!(t >= w.start && t < w.end);
        }
        assert!(pick(w, 1.0) < w.end);
    }

    #[test]
    fn two_thirds_of_the_lifetime() {
        assert_eq!(
            two_thirds(
                datetime!(2025-01-01 00:00 UTC),
                datetime!(2025-01-04 00:00 UTC)
            ),
            datetime!(2025-01-03 00:00 UTC)
        );
    }

    #[test]
    fn retry_after_is_clamped() {
        let now = datetime!(2025-01-01 00:00 UTC);
        assert_eq!(next_poll(None, now), DEFAULT_POLL);
        assert_eq!(next_poll(Some("1"), now), MIN_POLL);
        assert_eq!(next_poll(Some("3600"), now), Duration::from_secs(3600));
        assert_eq!(next_poll(Some("999999"), now), MAX_POLL);
        assert_eq!(
            next_poll(Some("Wed, 01 Jan 2025 02:00:00 GMT"), now),
            Duration::from_secs(7200)
        );
        assert_eq!(next_poll(Some("soon"), now), DEFAULT_POLL);
    }
}
