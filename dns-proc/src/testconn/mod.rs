//! Test Connection: prove that a provider's credentials can publish a DNS-01
//! record, by doing it for real.
//!
//! Steps: pick `_sslboard-test-<random>.<suffix>` and a random value;
//! `zone_lookup`; `create` the TXT value; `verify` that every authoritative
//! nameserver serves it; `cleanup` (always, after a failure or a cancel
//! too, retried once, then checked by listing); `done`. Each step reports
//! progress; a failure names the step, the reason and likely causes
//! ([`suggestions`]). A manual provider has no API: the run shows the record
//! to add by hand and verifies it.

pub mod progress;
pub mod suggestions;

use std::time::{Duration, Instant};

use base64::Engine as _;
use shared::protocol::dns::{ProviderMeta, TestOutcome, TestStatus, TestStep};
use tokio::sync::watch;

use crate::adapters::{names, Adapter, AdapterError, TxtApi, Zone};
use crate::verify::{self, PollPlan, Poller};
pub use progress::Progress;

/// Default verification timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Pause before the one cleanup retry.
const CLEANUP_RETRY_PAUSE: Duration = Duration::from_secs(1);

/// What a run needs besides the adapter.
pub struct TestPlan {
    /// The provider.
    pub provider: ProviderMeta,
    /// The suffix to test under.
    pub suffix: String,
    /// Verification timeout.
    pub timeout: Duration,
    /// Poll schedule.
    pub poll: PollPlan,
}

/// A random test record: `_sslboard-test-<16 hex>.<suffix>` and a 43-character value.
pub fn test_record(suffix: &str) -> Result<(String, String), String> {
    let mut label = [0u8; 8];
    let mut value = [0u8; 32];
    getrandom::fill(&mut label).map_err(|e| e.to_string())?;
    getrandom::fill(&mut value).map_err(|e| e.to_string())?;
    Ok((
        format!(
            "_sslboard-test-{}.{}",
            hex::encode(label),
            names::bare(suffix)
        ),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value),
    ))
}

/// Why a step stopped.
enum Stop {
    Failed(AdapterError),
    Cancelled,
}

/// Resolves when `cancel` turns true (or its sender is gone, which never
/// happens while a run is registered).
async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    while !*cancel.borrow() {
        if cancel.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Runs `f` unless `cancel` fires first.
async fn step<T>(
    cancel: &mut watch::Receiver<bool>,
    f: impl std::future::Future<Output = Result<T, AdapterError>>,
) -> Result<T, Stop> {
    tokio::select! {
        r = f => r.map_err(Stop::Failed),
        _ = cancelled(cancel) => Err(Stop::Cancelled),
    }
}

/// A successful outcome so far (nothing left to clean up yet).
fn passed() -> TestOutcome {
    TestOutcome {
        success: true,
        failed_step: None,
        message: None,
        suggestions: vec![],
        cleaned_up: true,
        record_name: None,
        zone: None,
        cleanup_error: None,
    }
}

/// A failed outcome of `step`, before any record needs cleaning up.
pub fn failed(step: TestStep, message: String, suggestions: Vec<String>) -> TestOutcome {
    TestOutcome {
        success: false,
        failed_step: Some(step),
        message: Some(message),
        suggestions,
        ..passed()
    }
}

/// Runs Test Connection with `adapter` (`None` = manual provider).
pub async fn run(
    adapter: Option<&Adapter>,
    plan: &TestPlan,
    progress: &Progress,
    cancel: &mut watch::Receiver<bool>,
) -> TestOutcome {
    let (fqdn, value) = match test_record(&plan.suffix) {
        Ok(r) => r,
        Err(e) => return failed(TestStep::Prepare, format!("no random source: {e}"), vec![]),
    };
    let mut outcome = match adapter {
        Some(a) => run_api(a, plan, &fqdn, &value, progress, cancel).await,
        None => run_manual(plan, &fqdn, &value, progress, cancel).await,
    };
    outcome.record_name = Some(fqdn);
    let status = if outcome.success {
        TestStatus::Ok
    } else {
        TestStatus::Failed
    };
    let detail = match (&outcome.failed_step, &outcome.message) {
        (Some(s), Some(m)) => format!("{}: {m}", <&str>::from(*s)),
        _ => "record created, seen on every nameserver and removed".into(),
    };
    progress.send(TestStep::Done, status, detail);
    outcome
}

async fn run_api(
    adapter: &Adapter,
    plan: &TestPlan,
    fqdn: &str,
    value: &str,
    progress: &Progress,
    cancel: &mut watch::Receiver<bool>,
) -> TestOutcome {
    let ty = plan.provider.provider_type;
    progress.send(
        TestStep::ZoneLookup,
        TestStatus::Started,
        format!("looking for the zone of {fqdn}"),
    );
    let zone = match step(cancel, adapter.find_zone(fqdn)).await {
        Ok(z) => z,
        Err(stop) => return stopped(stop, TestStep::ZoneLookup, ty, &plan.suffix, progress),
    };
    progress.send(
        TestStep::ZoneLookup,
        TestStatus::Ok,
        format!("zone {} ({})", zone.name, zone.id),
    );

    progress.send(
        TestStep::Create,
        TestStatus::Started,
        format!("adding TXT {fqdn}"),
    );
    let created = step(cancel, adapter.add_txt(&zone, fqdn, value)).await;
    let mut outcome = match created {
        Ok(()) => {
            progress.send(
                TestStep::Create,
                TestStatus::Ok,
                format!("TXT {fqdn} added"),
            );
            verify_visible(plan, &zone.name, fqdn, value, progress, cancel).await
        }
        Err(stop) => {
            let maybe_created = !matches!(
                &stop,
                Stop::Failed(
                    AdapterError::Auth(_)
                        | AdapterError::ZoneNotFound { .. }
                        | AdapterError::Config(_)
                )
            );
            let o = stopped(stop, TestStep::Create, ty, &plan.suffix, progress);
            if !maybe_created {
                return TestOutcome {
                    zone: Some(zone.name),
                    ..o
                };
            }
            o
        }
    };
    cleanup(adapter, &zone, fqdn, value, progress, &mut outcome).await;
    outcome.zone = Some(zone.name);
    outcome
}

/// The outcome of a step that failed or was cancelled.
fn stopped(
    stop: Stop,
    step: TestStep,
    ty: shared::protocol::dns::ProviderType,
    suffix: &str,
    progress: &Progress,
) -> TestOutcome {
    match stop {
        Stop::Failed(e) => {
            progress.send(step, TestStatus::Failed, e.to_string());
            failed(step, e.to_string(), suggestions::for_error(&e, ty, suffix))
        }
        Stop::Cancelled => {
            progress.send(step, TestStatus::Failed, "cancelled".into());
            failed(step, "cancelled by the user".into(), vec![])
        }
    }
}

async fn verify_visible(
    plan: &TestPlan,
    zone: &str,
    fqdn: &str,
    value: &str,
    progress: &Progress,
    cancel: &mut watch::Receiver<bool>,
) -> TestOutcome {
    progress.send(
        TestStep::Verify,
        TestStatus::Started,
        format!("finding the nameservers of {zone}"),
    );
    let servers = match verify::authoritative(zone).await {
        Ok(s) => s,
        Err(e) => {
            progress.send(TestStep::Verify, TestStatus::Failed, e.to_string());
            return failed(
                TestStep::Verify,
                e.to_string(),
                suggestions::nameservers_unknown(zone),
            );
        }
    };
    let mut poller = match Poller::new(&servers, fqdn, value) {
        Ok(p) => p,
        Err(e) => return failed(TestStep::Verify, format!("resolver: {e}"), vec![]),
    };
    let deadline = Instant::now() + plan.timeout;
    let started = Instant::now();
    let seen = tokio::select! {
        seen = poller.until_seen(plan.poll, deadline, |attempt, states| {
            progress.poll(attempt, started.elapsed(), states);
        }) => Some(seen),
        _ = cancelled(cancel) => None,
    };
    match seen {
        Some(true) => {
            progress.send(
                TestStep::Verify,
                TestStatus::Ok,
                format!(
                    "seen on {} nameserver(s) after {} ms",
                    servers.len(),
                    started.elapsed().as_millis()
                ),
            );
            passed()
        }
        Some(false) => {
            let states = poller.states();
            let message = format!(
                "the record was not visible on every nameserver after {} s ({})",
                plan.timeout.as_secs(),
                progress::summary(&states)
            );
            progress.send(TestStep::Verify, TestStatus::Failed, message.clone());
            failed(
                TestStep::Verify,
                message,
                suggestions::not_visible(zone, &states),
            )
        }
        None => {
            progress.send(TestStep::Verify, TestStatus::Failed, "cancelled".into());
            failed(TestStep::Verify, "cancelled by the user".into(), vec![])
        }
    }
}

/// Removes the test record (retried once) and checks it is gone; a failure
/// here is reported on its own, never hidden behind an earlier one.
async fn cleanup(
    adapter: &Adapter,
    zone: &Zone,
    fqdn: &str,
    value: &str,
    progress: &Progress,
    outcome: &mut TestOutcome,
) {
    progress.send(
        TestStep::Cleanup,
        TestStatus::Started,
        format!("removing TXT {fqdn}"),
    );
    let mut result = adapter.remove_txt(zone, fqdn, value).await;
    if let Err(e) = &result {
        progress.send(
            TestStep::Cleanup,
            TestStatus::Waiting,
            format!("removal failed ({e}); retrying once"),
        );
        tokio::time::sleep(CLEANUP_RETRY_PAUSE).await;
        result = adapter.remove_txt(zone, fqdn, value).await;
    }
    let result = match result {
        Ok(()) => match adapter.list_txt(zone, fqdn).await {
            Ok(left) if left.iter().any(|v| v == value) => Err(format!(
                "the provider still lists the test value at {fqdn} after removing it"
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(format!("could not check the removal: {e}")),
        },
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(()) => {
            progress.send(
                TestStep::Cleanup,
                TestStatus::Ok,
                format!("TXT {fqdn} removed"),
            );
            outcome.cleaned_up = true;
        }
        Err(e) => {
            progress.send(TestStep::Cleanup, TestStatus::Failed, e.clone());
            outcome.cleaned_up = false;
            outcome.cleanup_error = Some(e.clone());
            outcome.suggestions.push(format!(
                "Remove the TXT record {fqdn} by hand: the test could not remove it."
            ));
            if outcome.success {
                outcome.success = false;
                outcome.failed_step = Some(TestStep::Cleanup);
                outcome.message = Some(format!("the test record could not be removed: {e}"));
            }
        }
    }
}

async fn run_manual(
    plan: &TestPlan,
    fqdn: &str,
    value: &str,
    progress: &Progress,
    cancel: &mut watch::Receiver<bool>,
) -> TestOutcome {
    progress.send(
        TestStep::Create,
        TestStatus::Waiting,
        format!(
            "manual provider: add the TXT record {fqdn} with the value {value} at your DNS host"
        ),
    );
    let mut o = verify_visible(plan, &plan.suffix, fqdn, value, progress, cancel).await;
    o.zone = Some(names::bare(&plan.suffix));
    o.cleaned_up = false;
    progress.send(
        TestStep::Cleanup,
        TestStatus::Waiting,
        format!("manual provider: remove the TXT record {fqdn} by hand"),
    );
    o.suggestions.push(format!(
        "Remove the TXT record {fqdn} at your DNS host: a manual provider cannot remove it."
    ));
    o
}
