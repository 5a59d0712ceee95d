//! Expiry warnings for the secrets list: expired (the core's flag), or
//! expiring within [`SOON`] of now, or later.

use shared::protocol::secrets::SecretMeta;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// How close an expiry must be to be flagged.
pub const SOON: time::Duration = time::Duration::days(30);

/// A secret's expiry as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    /// No expiry.
    None,
    /// Past.
    Expired(String),
    /// Within [`SOON`].
    Soon(String),
    /// Later.
    Later(String),
}

/// Classifies `s`'s expiry against the current time.
pub fn expiry(s: &SecretMeta) -> Expiry {
    classify(
        s.expires_at.as_deref(),
        s.expired,
        OffsetDateTime::now_utc(),
    )
}

fn classify(at: Option<&str>, expired: bool, now: OffsetDateTime) -> Expiry {
    let Some(at) = at else { return Expiry::None };
    if expired {
        return Expiry::Expired(at.to_string());
    }
    match OffsetDateTime::parse(at, &Rfc3339) {
        Ok(t) if t <= now => Expiry::Expired(at.to_string()),
        Ok(t) if t - now <= SOON => Expiry::Soon(at.to_string()),
        _ => Expiry::Later(at.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let now = OffsetDateTime::parse("2026-01-01T00:00:00Z", &Rfc3339).unwrap();
        assert_eq!(classify(None, false, now), Expiry::None);
        assert!(matches!(
            classify(Some("2025-12-31T00:00:00Z"), false, now),
            Expiry::Expired(_)
        ));
        assert!(matches!(
            classify(Some("2026-01-10T00:00:00Z"), false, now),
            Expiry::Soon(_)
        ));
        assert!(matches!(
            classify(Some("2027-01-10T00:00:00Z"), false, now),
            Expiry::Later(_)
        ));
        assert!(matches!(
            classify(Some("2027-01-10T00:00:00Z"), true, now),
            Expiry::Expired(_)
        ));
    }
}
