//! Provider timestamps: RFC 3339 UTC, fixed width, strictly increasing.
//!
//! `created_at` decides which provider wins a tie ("the oldest"), and the
//! database and the index order providers by comparing it as text. So the
//! text must sort as the time does (fixed width: always six fractional
//! digits and `Z`), and a provider created later must never look older, even
//! when the wall clock steps back: each new stamp is at least one
//! microsecond after the latest one issued or stored.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// Parses any RFC 3339 time.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let micros = t.microsecond();
    t.replace_nanosecond(micros * 1_000).unwrap_or(t)
}

/// Issues strictly increasing timestamps.
#[derive(Debug, Default)]
pub struct Clock {
    last: Option<OffsetDateTime>,
}

impl Clock {
    /// A clock whose next stamp comes after `latest` (the newest stored
    /// `created_at`, if any; an unparsable one is ignored).
    pub fn after(latest: Option<&str>) -> Self {
        Self {
            last: latest.and_then(parse),
        }
    }

    /// The next stamp: now, or one microsecond after the previous one if the
    /// clock has not moved past it.
    pub fn stamp_at(&mut self, now: OffsetDateTime) -> String {
        let mut t = truncate_to_micros(now.to_offset(UtcOffset::UTC));
        if let Some(last) = self.last {
            if t <= last {
                t = last + Duration::microseconds(1);
            }
        }
        self.last = Some(t);
        shared::clock::format_utc(t)
    }

    /// The next stamp from the wall clock.
    pub fn stamp(&mut self) -> String {
        self.stamp_at(OffsetDateTime::now_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fixed_width_utc() {
        let t = datetime!(2026-03-04 05:06:07.000_100 +02:00);
        assert_eq!(shared::clock::format_utc(t), "2026-03-04T03:06:07.000100Z");
        let s = shared::clock::now();
        assert_eq!(s.len(), 27, "{s}");
        assert!(parse(&s).is_some());
    }

    #[test]
    fn strictly_increasing_even_when_the_clock_steps_back() {
        let mut c = Clock::after(Some("2026-01-01T00:00:00.000005Z"));
        let earlier = datetime!(2025-12-31 23:00 UTC);
        let a = c.stamp_at(earlier);
        assert_eq!(a, "2026-01-01T00:00:00.000006Z");
        let b = c.stamp_at(earlier);
        assert_eq!(b, "2026-01-01T00:00:00.000007Z");
        let later = datetime!(2026-02-01 00:00:00.123_456_789 UTC);
        assert_eq!(c.stamp_at(later), "2026-02-01T00:00:00.123456Z");
        let mut fresh = Clock::after(Some("garbage"));
        assert!(parse(&fresh.stamp()).is_some());
        let mut stamps: Vec<String> = (0..100).map(|_| c.stamp()).collect();
        let sorted = {
            let mut s = stamps.clone();
            s.sort();
            s.dedup();
            s
        };
        assert_eq!(sorted, std::mem::take(&mut stamps));
    }
}
