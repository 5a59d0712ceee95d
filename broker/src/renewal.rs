//! Automatic renewal while the core runs.
//!
//! Every `SSLBOARD_RENEW_CHECK_SECS` (default 3600; 0 turns it off; the
//! first check comes after at most 60 s) the broker asks dns-proc which
//! certificates are due (`RenewalDue`: renewal time passed — a random
//! point of the CA's ARI window, else two thirds of the lifetime — not
//! revoked, not renewed yet, not backing off; dns-proc refreshes due ARI
//! windows on the way) and renews each through the same path as
//! `certificate_renew`:
//! * at most [`MAX_CONCURRENT`] at a time, each after a random jitter (up
//!   to a quarter of the period, at most 5 min), never twice at once;
//! * a failure is recorded with the certificate (`lastRenewalError`,
//!   `renewalFailures`, `nextRenewalAttempt`: the period × 2^(failures−1),
//!   at most 24 h) in `acme.sqlite`, so a restart does not retry at once
//!   and a broken renewal never loops against the CA's failed-validation
//!   limits; a success clears it;
//! * every step is a `certificate_renewal` event to the subscribed UIs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::error::WireError;
use shared::protocol::acme::{RenewParams, RenewalEvent, RenewalStatus};
use shared::protocol::dnsproc::{DnsRequest, DnsResponse};
use shared::protocol::ui::UiEvent;
use tokio::sync::Semaphore;

use crate::acme_flows;
use crate::router::{unexpected, Router};

/// Environment variable: seconds between checks (0 = no automatic renewal).
pub const CHECK_ENV: &str = "SSLBOARD_RENEW_CHECK_SECS";
/// Default check period.
pub const DEFAULT_CHECK: Duration = Duration::from_secs(3600);
/// Latest first check after start.
pub const FIRST_CHECK_MAX: Duration = Duration::from_secs(60);
/// Renewals running at once.
pub const MAX_CONCURRENT: usize = 2;
/// Longest back-off after failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);
/// Longest jitter before one renewal.
pub const MAX_JITTER: Duration = Duration::from_secs(300);

/// The check period from the environment (`None`: turned off).
pub fn period_from_env() -> Option<Duration> {
    match std::env::var(CHECK_ENV) {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(0) => None,
            Ok(s) => Some(Duration::from_secs(s.min(7 * 24 * 3600))),
            Err(_) => {
                tracing::warn!("{CHECK_ENV} is not a number of seconds; using the default");
                Some(DEFAULT_CHECK)
            }
        },
        Err(_) => Some(DEFAULT_CHECK),
    }
}

/// The wait after `failures` failures in a row (≥ 1).
pub fn backoff(period: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    period.saturating_mul(factor).min(MAX_BACKOFF)
}

fn random_below(limit: Duration) -> Duration {
    let ms = limit.as_millis() as u64;
    if ms == 0 {
        return Duration::ZERO;
    }
    let r = shared::ids::random_bytes::<8>()
        .map(u64::from_le_bytes)
        .unwrap_or(0);
    Duration::from_millis(r % ms)
}

/// Starts the scheduler (when not turned off).
pub fn spawn(router: Arc<Router>) -> Option<tokio::task::JoinHandle<()>> {
    let period = period_from_env()?;
    Some(tokio::spawn(run(router, period)))
}

async fn run(router: Arc<Router>, period: Duration) {
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    let slots = Arc::new(Semaphore::new(MAX_CONCURRENT));
    tokio::time::sleep(period.min(FIRST_CHECK_MAX)).await;
    loop {
        check(&router, period, &running, &slots).await;
        tokio::time::sleep(period).await;
    }
}

async fn check(
    router: &Arc<Router>,
    period: Duration,
    running: &Arc<Mutex<HashSet<String>>>,
    slots: &Arc<Semaphore>,
) {
    let due = match router.dns(DnsRequest::RenewalDue).await {
        Ok(DnsResponse::CertificateIds(ids)) => ids,
        Ok(other) => {
            tracing::warn!(error = %unexpected(&other), "renewal check");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "renewal check failed; next check in one period");
            return;
        }
    };
    for id in due {
        let fresh = running
            .lock()
            .map(|mut r| r.insert(id.clone()))
            .unwrap_or(false);
        if !fresh {
            continue;
        }
        let (router, running, slots) = (router.clone(), running.clone(), slots.clone());
        tokio::spawn(async move {
            tokio::time::sleep(random_below((period / 4).min(MAX_JITTER))).await;
            if let Ok(_slot) = slots.acquire().await {
                renew_one(&router, &id, period).await;
            }
            if let Ok(mut r) = running.lock() {
                r.remove(&id);
            }
        });
    }
}

async fn renewal_event(router: &Router, ev: RenewalEvent) {
    router.events().send(UiEvent::CertificateRenewal(ev)).await;
}

/// One automatic renewal, its record and its events.
async fn renew_one(router: &Router, id: &str, period: Duration) {
    let failures = match router.dns(DnsRequest::CertificateGet(id.to_string())).await {
        Ok(DnsResponse::Certificate(c)) => c.meta.renewal_failures,
        _ => 0,
    };
    tracing::info!(certificate = %id, "automatic renewal");
    renewal_event(
        router,
        RenewalEvent {
            certificate_id: id.to_string(),
            status: RenewalStatus::Started,
            new_certificate_id: None,
            error: None,
            next_attempt_at: None,
        },
    )
    .await;
    let result = acme_flows::renew(
        router,
        RenewParams {
            certificate_id: id.to_string(),
            reuse_key: false,
            timeout_secs: None,
        },
        None,
    )
    .await;
    let error = match result {
        Ok(o) if o.success => {
            let new_id = o.certificate.map(|c| c.id);
            record(router, id, None, 0, None).await;
            tracing::info!(certificate = %id, new = ?new_id, "renewed");
            renewal_event(
                router,
                RenewalEvent {
                    certificate_id: id.to_string(),
                    status: RenewalStatus::Renewed,
                    new_certificate_id: new_id,
                    error: None,
                    next_attempt_at: None,
                },
            )
            .await;
            return;
        }
        Ok(o) => {
            let mut m = o.message.unwrap_or_else(|| "the renewal failed".into());
            if let Some(p) = o.problem {
                m = format!("{m} ({}: {})", p.problem_type, p.detail);
            }
            m
        }
        Err(e) => format!("{}: {}", e.code.as_str(), e.message),
    };
    let failures = failures.saturating_add(1);
    let wait = backoff(period, failures);
    let next = time::OffsetDateTime::now_utc() + wait;
    let next = shared::clock::format_utc(next);
    tracing::warn!(certificate = %id, failures, wait_secs = wait.as_secs(), error = %error, "automatic renewal failed; backing off");
    record(
        router,
        id,
        Some(error.clone()),
        failures,
        Some(next.clone()),
    )
    .await;
    renewal_event(
        router,
        RenewalEvent {
            certificate_id: id.to_string(),
            status: RenewalStatus::Failed,
            new_certificate_id: None,
            error: Some(error),
            next_attempt_at: Some(next),
        },
    )
    .await;
}

async fn record(
    router: &Router,
    id: &str,
    error: Option<String>,
    failures: u32,
    next_attempt_at: Option<String>,
) {
    let r = router
        .dns(DnsRequest::RenewalRecord {
            certificate_id: id.to_string(),
            error,
            failures,
            next_attempt_at,
        })
        .await;
    if let Err(e) = r.and_then(|a| match a {
        DnsResponse::Done => Ok(()),
        other => Err::<(), WireError>(unexpected(&other)),
    }) {
        tracing::warn!(certificate = %id, error = %e, "could not record the renewal outcome");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_period_and_is_capped() {
        let p = Duration::from_secs(3600);
        assert_eq!(backoff(p, 1), p);
        assert_eq!(backoff(p, 2), p * 2);
        assert_eq!(backoff(p, 4), p * 8);
        assert_eq!(backoff(p, 10), MAX_BACKOFF);
        assert_eq!(backoff(p, u32::MAX), MAX_BACKOFF);
        assert_eq!(backoff(Duration::from_secs(2), 3), Duration::from_secs(8));
    }

    #[test]
    fn jitter_stays_below_its_limit() {
        for _ in 0..100 {
            assert!(random_below(Duration::from_secs(2)) < Duration::from_secs(2));
        }
        assert_eq!(random_below(Duration::ZERO), Duration::ZERO);
    }
}
