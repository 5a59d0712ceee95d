//! Short-lived reveal permits. The broker grants one when it starts a provider
//! operation; dns-proc may then reveal exactly that provider's token until the
//! permit expires. A compromised dns-proc therefore cannot walk the vault.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Live permits keyed by (provider id, secret ref).
#[derive(Default)]
pub struct Permits {
    live: HashMap<(String, String), Instant>,
}

/// Longest permit the broker may grant.
pub const MAX_TTL: Duration = Duration::from_secs(900);

impl Permits {
    /// Grants (or extends) a permit.
    pub fn grant(&mut self, provider_id: String, secret_ref: String, ttl: Duration) {
        self.prune();
        self.live
            .insert((provider_id, secret_ref), Instant::now() + ttl.min(MAX_TTL));
    }

    /// True when a live permit covers this pair.
    pub fn covers(&mut self, provider_id: &str, secret_ref: &str) -> bool {
        self.prune();
        self.live
            .contains_key(&(provider_id.to_string(), secret_ref.to_string()))
    }

    fn prune(&mut self) {
        let now = Instant::now();
        self.live.retain(|_, exp| *exp > now);
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
}
