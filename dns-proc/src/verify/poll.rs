//! Polling nameservers for a TXT value, each one asked directly with caching
//! off, on a schedule given by a [`PollPlan`].
//!
//! A nameserver that has shown the value is not asked again. Each poll
//! reports every server's state so the UI can show progress per server.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::TokioResolver;

use super::nameservers::direct_resolver;
use crate::adapters::names;

/// When to poll: first after `initial`, then each wait × `factor`, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPlan {
    /// First wait.
    pub initial: Duration,
    /// Growth of the wait.
    pub factor: f64,
    /// Longest wait.
    pub max: Duration,
}

impl PollPlan {
    /// Exponential back-off from 100 ms up to 2 s (the default).
    pub const BACKOFF: PollPlan = PollPlan {
        initial: Duration::from_millis(100),
        factor: 1.6,
        max: Duration::from_secs(2),
    };

    /// A fixed interval.
    pub fn fixed(every: Duration) -> Self {
        PollPlan {
            initial: every,
            factor: 1.0,
            max: every,
        }
    }

    /// The wait after `wait`.
    pub fn next(&self, wait: Duration) -> Duration {
        wait.mul_f64(self.factor.max(1.0)).min(self.max)
    }
}

/// What one nameserver said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsState {
    /// It serves the value.
    Seen,
    /// It answered, without the value (`NXDOMAIN`, no TXT, other values).
    NotYet(String),
    /// It did not answer usefully (timeout, refused, SERVFAIL).
    Error(String),
}

impl NsState {
    /// The state as the protocol names it.
    pub fn label(&self) -> shared::protocol::dns::NameserverState {
        use shared::protocol::dns::NameserverState;
        match self {
            NsState::Seen => NameserverState::Seen,
            NsState::NotYet(_) => NameserverState::Waiting,
            NsState::Error(_) => NameserverState::Error,
        }
    }

    /// Detail text.
    pub fn detail(&self) -> &str {
        match self {
            NsState::Seen => "",
            NsState::NotYet(d) | NsState::Error(d) => d,
        }
    }
}

/// Polls a fixed set of nameservers for one TXT value.
pub struct Poller {
    servers: Vec<(SocketAddr, TokioResolver, NsState)>,
    fqdn: String,
    value: String,
}

impl Poller {
    /// A poller for `value` at `fqdn` on `servers`.
    pub fn new(servers: &[SocketAddr], fqdn: &str, value: &str) -> Result<Self, String> {
        let servers = servers
            .iter()
            .map(|sa| {
                direct_resolver(&[*sa], false)
                    .map(|r| (*sa, r, NsState::NotYet("not asked yet".into())))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            servers,
            fqdn: names::dotted(fqdn),
            value: value.to_string(),
        })
    }

    /// Asks every server that has not shown the value yet, concurrently.
    pub async fn poll(&mut self) {
        let fqdn = &self.fqdn;
        let value = &self.value;
        let asks = self.servers.iter().map(|(_, resolver, state)| async move {
            if *state == NsState::Seen {
                return NsState::Seen;
            }
            ask(resolver, fqdn, value).await
        });
        let states = futures_util::future::join_all(asks).await;
        for ((_, _, state), new) in self.servers.iter_mut().zip(states) {
            *state = new;
        }
    }

    /// Every server's state.
    pub fn states(&self) -> Vec<(SocketAddr, NsState)> {
        self.servers
            .iter()
            .map(|(sa, _, st)| (*sa, st.clone()))
            .collect()
    }

    /// True when every server has shown the value.
    pub fn all_seen(&self) -> bool {
        self.servers.iter().all(|(_, _, s)| *s == NsState::Seen)
    }

    /// Polls on `plan` until all servers show the value (true) or `deadline`
    /// passes (false); `report` sees the states after each poll.
    pub async fn until_seen(
        &mut self,
        plan: PollPlan,
        deadline: Instant,
        mut report: impl FnMut(u32, &[(SocketAddr, NsState)]),
    ) -> bool {
        let mut wait = plan.initial;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.poll().await;
            report(attempt, &self.states());
            if self.all_seen() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            tokio::time::sleep(wait.min(deadline - now)).await;
            wait = plan.next(wait);
        }
    }
}

/// One direct TXT query.
async fn ask(resolver: &TokioResolver, fqdn: &str, value: &str) -> NsState {
    match resolver.txt_lookup(fqdn).await {
        Ok(lookup) => {
            let values = crate::adapters::txt::values_of(lookup.answers());
            if values.iter().any(|v| v == value) {
                NsState::Seen
            } else {
                NsState::NotYet(format!("{} other TXT value(s)", values.len()))
            }
        }
        Err(NetError::Dns(DnsError::NoRecordsFound(nr))) => {
            NsState::NotYet(if nr.response_code == ResponseCode::NXDomain {
                "NXDOMAIN".into()
            } else {
                "no TXT record".into()
            })
        }
        Err(e) => NsState::Error(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_grow_to_their_cap() {
        let p = PollPlan::BACKOFF;
        let mut w = p.initial;
        for _ in 0..20 {
            w = p.next(w);
        }
        assert_eq!(w, p.max);
        let f = PollPlan::fixed(Duration::from_millis(250));
        assert_eq!(f.next(f.initial), Duration::from_millis(250));
    }
}
