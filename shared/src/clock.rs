//! The one timestamp format every process stores and shows: RFC 3339 in
//! UTC at a fixed width (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), so stamps written
//! by vault-proc, dns-proc and the broker sort as text the way they sort
//! as times.

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// `t` in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (sub-microseconds dropped).
pub fn format_utc(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    let utc = t.to_offset(UtcOffset::UTC);
    // Formatting a complete date-time into a String cannot fail; the
    // fallback only keeps this total.
    utc.format(fmt)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

/// Now, as [`format_utc`] writes it.
pub fn now() -> String {
    format_utc(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_have_one_width_and_sort_as_times() {
        let a = OffsetDateTime::from_unix_timestamp_nanos(1_772_593_567_000_100_000).unwrap();
        let b = a + time::Duration::seconds(1);
        let plus2 = a.to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(format_utc(a), "2026-03-04T03:06:07.000100Z");
        assert_eq!(format_utc(plus2), format_utc(a));
        assert_eq!(format_utc(a).len(), format_utc(b).len());
        assert!(format_utc(a) < format_utc(b));
    }
}
