//! Short-lived reveal permits. The broker grants one when it starts a provider
//! operation; dns-proc may then reveal exactly that provider's token until the
//! permit expires. A compromised dns-proc therefore cannot walk the vault.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Live permits keyed by (provider id, secret ref): expiry and how many
/// operations hold them.
#[derive(Default)]
pub struct Permits {
    live: HashMap<(String, String), (Instant, u32)>,
}

/// Longest permit the broker may grant.
pub const MAX_TTL: Duration = Duration::from_secs(900);

impl Permits {
    /// Grants a permit for one more operation (the expiry is the later of the two).
    pub fn grant(&mut self, provider_id: String, secret_ref: String, ttl: Duration) {
        self.prune();
        let expiry = Instant::now() + ttl.min(MAX_TTL);
        let entry = self
            .live
            .entry((provider_id, secret_ref))
            .or_insert((expiry, 0));
        entry.0 = entry.0.max(expiry);
        entry.1 = entry.1.saturating_add(1);
    }

    /// Ends one operation's hold; the permit dies with its last holder.
    pub fn revoke(&mut self, provider_id: &str, secret_ref: &str) {
        let key = (provider_id.to_string(), secret_ref.to_string());
        if let Some(entry) = self.live.get_mut(&key) {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                self.live.remove(&key);
            }
        }
        self.prune();
    }

    /// True when a live permit covers this pair.
    pub fn covers(&mut self, provider_id: &str, secret_ref: &str) -> bool {
        self.prune();
        self.live
            .contains_key(&(provider_id.to_string(), secret_ref.to_string()))
    }

    fn prune(&mut self) {
        let now = Instant::now();
        self.live.retain(|_, (exp, _)| *exp > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_expire_and_are_exact() {
        let mut p = Permits::default();
        p.grant("p1".into(), "s1".into(), Duration::from_millis(30));
        assert!(p.covers("p1", "s1"));
        assert!(!p.covers("p1", "s2"));
        assert!(!p.covers("p2", "s1"));
        std::thread::sleep(Duration::from_millis(40));
        assert!(!p.covers("p1", "s1"));
    }

    #[test]
    fn a_permit_lives_until_its_last_holder_revokes_it() {
        let mut p = Permits::default();
        p.grant("p1".into(), "s1".into(), Duration::from_secs(60));
        p.grant("p1".into(), "s1".into(), Duration::from_secs(60));
        p.revoke("p1", "s1");
        assert!(p.covers("p1", "s1"));
        p.revoke("p1", "s1");
        assert!(!p.covers("p1", "s1"));
        p.revoke("p1", "s1");
        assert!(!p.covers("p1", "s1"));
    }
}
