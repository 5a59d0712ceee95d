//! Times as lists show them: a `<time>` element whose text is relative when
//! that helps ("3 days ago", within a week) and a short date otherwise, with
//! the exact time in its tooltip. The server writes English in UTC; the
//! page's script rewrites both in the reader's locale and time zone
//! (`Intl.RelativeTimeFormat`, `Intl.DateTimeFormat`) from `datetime`.

use maud::{html, Markup};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// How far back (or ahead) a time is written relative to now.
pub const RELATIVE_WITHIN: Duration = Duration::days(7);

/// `t` (RFC 3339) as a `<time>` element.
pub fn time(t: &str) -> Markup {
    let (text, exact) = describe(t, OffsetDateTime::now_utc());
    html! { time datetime=(t) title=(exact) data-when { (text) } }
}

/// The text and the tooltip for `t` at `now`.
fn describe(t: &str, now: OffsetDateTime) -> (String, String) {
    let Ok(at) = OffsetDateTime::parse(t, &Rfc3339) else {
        return (t.to_string(), t.to_string());
    };
    let at = at.to_offset(time::UtcOffset::UTC);
    let exact = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let diff = now - at;
    let text = if diff.abs() < RELATIVE_WITHIN {
        relative(diff)
    } else {
        format!("{} {}, {}", month_name(at.month()), at.day(), at.year())
    };
    (text, exact)
}

fn relative(diff: Duration) -> String {
    let past = !diff.is_negative();
    let d = diff.abs();
    let (n, unit) = if d < Duration::minutes(1) {
        return "just now".into();
    } else if d < Duration::hours(1) {
        (d.whole_minutes(), "minute")
    } else if d < Duration::days(1) {
        (d.whole_hours(), "hour")
    } else {
        (d.whole_days(), "day")
    };
    let s = if n == 1 { "" } else { "s" };
    if past {
        format!("{n} {unit}{s} ago")
    } else {
        format!("in {n} {unit}{s}")
    }
}

fn month_name(m: time::Month) -> &'static str {
    use time::Month::*;
    match m {
        January => "Jan",
        February => "Feb",
        March => "Mar",
        April => "Apr",
        May => "May",
        June => "Jun",
        July => "Jul",
        August => "Aug",
        September => "Sep",
        October => "Oct",
        November => "Nov",
        December => "Dec",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_within_a_week_then_dates() {
        let now = OffsetDateTime::parse("2026-11-29T12:00:00Z", &Rfc3339).unwrap();
        let d = |t| describe(t, now);
        assert_eq!(d("2026-11-29T11:59:40.123456Z").0, "just now");
        assert_eq!(d("2026-11-29T11:00:00Z").0, "1 hour ago");
        assert_eq!(d("2026-11-26T10:00:00Z").0, "3 days ago");
        assert_eq!(d("2026-12-01T12:00:00Z").0, "in 2 days");
        assert_eq!(d("2026-10-01T08:05:00Z").0, "Oct 1, 2026");
        assert_eq!(d("2026-10-01T08:05:09.5Z").1, "2026-10-01 08:05:09 UTC");
        assert_eq!(d("garbage").0, "garbage");
        let m = time("2026-10-01T08:05:00Z").into_string();
        assert!(m.contains(r#"datetime="2026-10-01T08:05:00Z""#) && m.contains("title="));
    }
}
