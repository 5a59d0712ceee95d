//! Short-lived permits. The broker grants one when it starts an operation
//! (Test Connection, an ACME account or order step); dns-proc may then do
//! exactly what the permit's [`PermitScope`] names until the permit expires or
//! its last holder revokes it. A compromised dns-proc therefore cannot walk
//! the vault: it reveals only the token of a provider under test, signs
//! only with the keys, for the CA and the names, of an operation in
//! progress, and has resolved only the secrets a running workflow references.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use shared::protocol::vault::{AcmeGrant, AcmePurpose, PermitScope};

/// Longest permit the broker may grant.
pub const MAX_TTL: Duration = Duration::from_secs(900);

/// How long a revoke that found no permit waits for its grant.
///
/// vault-proc serves the requests of one connection concurrently, so a
/// revoke sent right after its grant (an operation cancelled while the grant
/// was in flight) can be applied first. It then leaves a debt that cancels
/// the grant when it arrives. A grant that never arrives leaves the debt to
/// expire; meanwhile that scope is refused (fail closed).
pub const REORDER_WINDOW: Duration = Duration::from_secs(5);

/// One permit (live when it has holders and has not expired).
struct Live {
    expiry: Instant,
    /// Operations holding it; negative while revokes wait for their grants.
    holders: i64,
    /// Certificate keys generated under an order permit (`OrderKeyCreate`):
    /// covered by this permit although the broker did not name them.
    added_keys: Vec<String>,
}

/// Live permits keyed by their scope: expiry, how many operations hold them,
/// and the keys added to them since the grant.
#[derive(Default)]
pub struct Permits {
    live: HashMap<PermitScope, Live>,
}

/// A copy of the live provider-token permits (secret → providers and
/// expiries), taken by [`Permits::token_permits`].
#[derive(Debug, Default, Clone)]
pub struct TokenPermits {
    by_secret: HashMap<String, Vec<(String, Instant)>>,
}

impl TokenPermits {
    /// True when a live permit lets dns-proc reveal `secret_ref` for
    /// `provider_id` (the rule of [`Permits::covers_token`]: held, not expired).
    pub fn covers(&self, provider_id: &str, secret_ref: &str) -> bool {
        let now = Instant::now();
        self.by_secret.get(secret_ref).is_some_and(|v| {
            v.iter()
                .any(|(p, expiry)| p == provider_id && *expiry > now)
        })
    }
}

/// A copy of the live ACME permits (grant, added keys, expiry), taken by
/// [`Permits::acme_permits`] for signatures made off the store thread.
#[derive(Debug, Default, Clone)]
pub struct AcmePermits {
    live: Vec<(AcmeGrant, Vec<String>, Instant)>,
}

impl AcmePermits {
    /// The permits of this copy that are still live now: what
    /// [`Permits::acme`] gives (held, not expired).
    pub fn views(&self) -> Vec<AcmeView<'_>> {
        let now = Instant::now();
        self.live
            .iter()
            .filter(|(_, _, expiry)| *expiry > now)
            .map(|(grant, added_keys, expiry)| AcmeView {
                grant,
                added_keys,
                expiry: *expiry,
            })
            .collect()
    }
}

/// An ACME permit as checked by a key operation: the grant plus the keys added to it.
pub struct AcmeView<'a> {
    /// The grant as the broker made it.
    pub grant: &'a AcmeGrant,
    added_keys: &'a [String],
    expiry: Instant,
}

impl AcmeView<'_> {
    /// Every key the permit covers.
    pub fn keys(&self) -> Vec<String> {
        self.grant
            .key_refs
            .iter()
            .chain(self.added_keys.iter())
            .cloned()
            .collect()
    }

    /// True when the permit covers `key_ref`.
    pub fn has_key(&self, key_ref: &str) -> bool {
        self.grant.key_refs.iter().any(|k| k == key_ref)
            || self.added_keys.iter().any(|k| k == key_ref)
    }
}

impl Permits {
    /// Grants a permit for one more operation (the expiry is the later of the two).
    pub fn grant(&mut self, scope: PermitScope, ttl: Duration) {
        self.prune();
        let expiry = Instant::now() + ttl.min(MAX_TTL);
        let entry = self.live.entry(scope.clone()).or_insert(Live {
            expiry,
            holders: 0,
            added_keys: Vec::new(),
        });
        entry.expiry = entry.expiry.max(expiry);
        entry.holders = entry.holders.saturating_add(1);
        if entry.holders == 0 {
            // Its revoke came first: the pair cancels out.
            self.live.remove(&scope);
        }
    }

    /// Ends one operation's hold; the permit dies with its last holder.
    pub fn revoke(&mut self, scope: &PermitScope) {
        self.prune();
        let entry = self.live.entry(scope.clone()).or_insert(Live {
            expiry: Instant::now() + REORDER_WINDOW,
            holders: 0,
            added_keys: Vec::new(),
        });
        entry.holders = entry.holders.saturating_sub(1);
        if entry.holders == 0 {
            self.live.remove(scope);
        }
    }

    /// True when a live permit lets dns-proc reveal `secret_ref` for `provider_id`.
    pub fn covers_token(&mut self, provider_id: &str, secret_ref: &str) -> bool {
        self.prune();
        self.live
            .get(&PermitScope::ProviderToken {
                provider_id: provider_id.to_string(),
                secret_ref: secret_ref.to_string(),
            })
            .is_some_and(|l| l.holders > 0)
    }

    /// The live ACME permits.
    pub fn acme(&mut self) -> Vec<AcmeView<'_>> {
        self.prune();
        self.live
            .iter()
            .filter(|(_, live)| live.holders > 0)
            .filter_map(|(scope, live)| match scope {
                PermitScope::Acme(grant) => Some(AcmeView {
                    grant,
                    added_keys: &live.added_keys,
                    expiry: live.expiry,
                }),
                PermitScope::ProviderToken { .. } | PermitScope::Workflow { .. } => None,
            })
            .collect()
    }

    /// The secret names a live workflow permit for run `run_id` covers.
    pub fn workflow_names(&mut self, run_id: &str) -> Option<Vec<String>> {
        self.prune();
        self.live
            .iter()
            .filter(|(_, live)| live.holders > 0)
            .find_map(|(scope, _)| match scope {
                PermitScope::Workflow { run_id: r, names } if r == run_id => Some(names.clone()),
                PermitScope::Workflow { .. }
                | PermitScope::ProviderToken { .. }
                | PermitScope::Acme(_) => None,
            })
    }

    /// True when a live ACME permit is for order `order_id`.
    pub fn has_order(&mut self, order_id: &str) -> bool {
        self.acme()
            .iter()
            .any(|v| matches!(&v.grant.purpose, AcmePurpose::Order(o) if o == order_id))
    }

    /// Adds `key_ref` to every live permit of order `order_id`.
    pub fn add_order_key(&mut self, order_id: &str, key_ref: &str) {
        self.prune();
        for (scope, live) in self.live.iter_mut() {
            if let PermitScope::Acme(AcmeGrant {
                purpose: AcmePurpose::Order(o),
                ..
            }) = scope
            {
                if o == order_id {
                    live.added_keys.push(key_ref.to_string());
                }
            }
        }
    }

    /// The live provider-token permits as they stand, for checks made off the
    /// store thread ([`TokenPermits::covers`] is [`covers_token`](Self::covers_token)
    /// on this copy). Take a fresh one after every grant and revoke.
    pub fn token_permits(&mut self) -> TokenPermits {
        self.prune();
        let mut by_secret: HashMap<String, Vec<(String, Instant)>> = HashMap::new();
        for (scope, live) in &self.live {
            if let PermitScope::ProviderToken {
                provider_id,
                secret_ref,
            } = scope
            {
                if live.holders > 0 {
                    by_secret
                        .entry(secret_ref.clone())
                        .or_default()
                        .push((provider_id.clone(), live.expiry));
                }
            }
        }
        TokenPermits { by_secret }
    }

    /// The live ACME permits as they stand, for checks made off the store
    /// thread ([`AcmePermits::views`] is [`acme`](Self::acme) on this copy).
    /// Take a fresh one after every grant, revoke and added key.
    pub fn acme_permits(&mut self) -> AcmePermits {
        let live = self
            .acme()
            .iter()
            .map(|v| (v.grant.clone(), v.added_keys.to_vec(), v.expiry))
            .collect();
        AcmePermits { live }
    }

    /// How many permits are live (tests and diagnostics).
    pub fn live_count(&mut self) -> usize {
        self.prune();
        self.live.values().filter(|l| l.holders > 0).count()
    }

    fn prune(&mut self) {
        let now = Instant::now();
        self.live.retain(|_, l| l.expiry > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_permits_copy_agrees_with_covers_token() {
        let mut p = Permits::default();
        p.grant(token("p1", "s1"), Duration::from_secs(60));
        p.grant(token("p2", "s2"), Duration::from_millis(1));
        p.revoke(&token("p3", "s3"));
        std::thread::sleep(Duration::from_millis(5));
        let copy = p.token_permits();
        for (prov, sec) in [
            ("p1", "s1"),
            ("p2", "s2"),
            ("p3", "s3"),
            ("p1", "s2"),
            ("p2", "s1"),
        ] {
            assert_eq!(
                copy.covers(prov, sec),
                p.covers_token(prov, sec),
                "{prov} {sec}"
            );
        }
        assert!(copy.covers("p1", "s1"), "positive control");
        p.revoke(&token("p1", "s1"));
        assert!(!p.token_permits().covers("p1", "s1"));
    }

    fn token(p: &str, s: &str) -> PermitScope {
        PermitScope::ProviderToken {
            provider_id: p.into(),
            secret_ref: s.into(),
        }
    }

    fn order(id: &str, keys: &[&str]) -> PermitScope {
        PermitScope::Acme(AcmeGrant {
            purpose: AcmePurpose::Order(id.into()),
            key_refs: keys.iter().map(|k| k.to_string()).collect(),
            directory_origin: "https://ca.example".into(),
            names: vec!["a.example".into()],
        })
    }

    #[test]
    fn permits_expire_and_are_exact() {
        let mut p = Permits::default();
        p.grant(token("p1", "s1"), Duration::from_millis(30));
        assert!(p.covers_token("p1", "s1"));
        assert!(!p.covers_token("p1", "s2"));
        assert!(!p.covers_token("p2", "s1"));
        std::thread::sleep(Duration::from_millis(40));
        assert!(!p.covers_token("p1", "s1"));
        assert_eq!(p.live_count(), 0);
    }

    #[test]
    fn a_permit_lives_until_its_last_holder_revokes_it() {
        let mut p = Permits::default();
        p.grant(token("p1", "s1"), Duration::from_secs(60));
        p.grant(token("p1", "s1"), Duration::from_secs(60));
        p.revoke(&token("p1", "s1"));
        assert!(p.covers_token("p1", "s1"));
        p.revoke(&token("p1", "s1"));
        assert!(!p.covers_token("p1", "s1"));
    }

    #[test]
    fn a_revoke_that_overtakes_its_grant_cancels_it() {
        let mut p = Permits::default();
        p.revoke(&token("p1", "s1"));
        p.grant(token("p1", "s1"), Duration::from_secs(60));
        assert!(!p.covers_token("p1", "s1"));
        assert_eq!(p.live_count(), 0);
        // The debt is paid: the next operation's grant works.
        p.grant(token("p1", "s1"), Duration::from_secs(60));
        assert!(p.covers_token("p1", "s1"));
    }

    #[test]
    fn a_workflow_permit_names_its_run_and_secrets() {
        let mut p = Permits::default();
        let scope = PermitScope::Workflow {
            run_id: "wfr_1".into(),
            names: vec!["a".into(), "b".into()],
        };
        p.grant(scope.clone(), Duration::from_secs(60));
        assert_eq!(
            p.workflow_names("wfr_1"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(p.workflow_names("wfr_2"), None);
        assert!(p.acme().is_empty());
        p.revoke(&scope);
        assert_eq!(p.workflow_names("wfr_1"), None);
    }

    #[test]
    fn ttl_is_capped() {
        let mut p = Permits::default();
        p.grant(token("p1", "s1"), Duration::from_secs(86_400));
        let live = p.live.values().next().map(|l| l.expiry);
        assert!(live.is_some_and(|e| e <= Instant::now() + MAX_TTL));
    }

    #[test]
    fn acme_permits_cover_their_keys_and_keys_added_to_their_order() {
        let mut p = Permits::default();
        p.grant(order("o1", &["k1"]), Duration::from_secs(60));
        p.grant(token("p1", "k2"), Duration::from_secs(60));
        assert!(!p.covers_token("p1", "k1"));
        assert!(p.acme().iter().any(|v| v.has_key("k1")));
        assert!(!p.acme().iter().any(|v| v.has_key("k2")));
        assert!(p.has_order("o1"));
        assert!(!p.has_order("o2"));
        p.add_order_key("o2", "k3");
        assert!(!p.acme().iter().any(|v| v.has_key("k3")));
        p.add_order_key("o1", "k3");
        assert!(p.acme().iter().any(|v| v.has_key("k3")));
        // The broker revokes with the scope it granted; the added key goes with it.
        p.revoke(&order("o1", &["k1"]));
        assert!(!p.acme().iter().any(|v| v.has_key("k3") || v.has_key("k1")));
        assert_eq!(p.live_count(), 1);
    }
}
