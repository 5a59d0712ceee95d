//! One issuance, end to end: order → authorizations (valid ones skip DNS)
//! → present every TXT value in parallel (journaled first) → wait until
//! every authoritative nameserver serves each one → answer every challenge
//! → poll the authorizations and the order together → finalize with a CSR
//! for a certificate key generated in vault-proc while DNS propagated →
//! download and check the chain (leaf key = vault key, SANs = names).
//! [`cleanup`] then removes every journaled record, after success, failure
//! and cancel alike; a crash leaves the journal for the next start.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use shared::protocol::acme::{ChallengeRecord, IssueProgress, IssueStep, StepStatus};
use shared::protocol::dns::ProviderMeta;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use super::cert::{self, LeafInfo};
use super::client::AcmeClient;
use super::dns01;
use super::error::{AcmeError, AcmeResult};
use super::signer::AcmeSigner;
use super::store::{AcmeStore, JournalRow};
use super::wire::{AuthzStatus, OrderStatus};
use crate::adapters::{Adapter, TxtApi, Zone};
use crate::verify::{self, PollPlan, Poller};

/// Where the TXT value of one name goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The name as ordered (`x` or `*.x`).
    pub name: String,
    /// The record: `_acme-challenge.<x>`, or the end of its CNAME chain.
    pub record: String,
    /// The provider that serves `record` (`None`: the user adds it by hand).
    pub provider: Option<ProviderMeta>,
    /// Provider ambiguity warnings.
    pub warnings: Vec<String>,
}

/// What one issuance needs.
pub struct Job {
    /// `order_…` id (the certificate key's owner).
    pub order_id: String,
    /// The names, normalized (A-labels, lower case, deduplicated).
    pub names: Vec<String>,
    /// Certificate key type.
    pub key_type: shared::protocol::keys::KeyType,
    /// Where each name's record goes, by name.
    pub targets: HashMap<String, Target>,
    /// When to give up waiting (DNS, CA).
    pub deadline: Instant,
    /// DNS poll schedule.
    pub poll: PollPlan,
}

/// A certificate that passed every check.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate key's secret reference.
    pub key_ref: String,
    /// Leaf and intermediates, PEM.
    pub chain_pem: String,
    /// The leaf's fields.
    pub leaf: LeafInfo,
}

/// Why an issuance stopped.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The step that failed.
    pub step: IssueStep,
    /// What happened.
    pub error: AcmeError,
    /// A certificate key made for the order, to delete.
    pub key_ref: Option<String>,
}

/// Where progress goes.
#[derive(Clone, Default)]
pub struct Events {
    tx: Option<UnboundedSender<IssueProgress>>,
}

impl Events {
    /// Events to `tx`.
    pub fn new(tx: UnboundedSender<IssueProgress>) -> Self {
        Self { tx: Some(tx) }
    }

    /// Sends one event.
    pub fn send(&self, p: IssueProgress) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(p);
        }
    }

    /// A plain step event.
    pub fn step(&self, step: IssueStep, status: StepStatus, detail: impl Into<String>) {
        self.send(IssueProgress {
            step,
            status,
            detail: detail.into(),
            name: None,
            provider: None,
            record: None,
            warnings: vec![],
        });
    }
}

/// The adapters of the providers an order uses, by provider id.
pub type Adapters = HashMap<String, Adapter>;

struct Presented {
    target: Target,
    value: String,
    zone: Option<Zone>,
}

/// Runs the issuance; the caller runs [`cleanup`] afterwards whatever happens.
#[allow(clippy::too_many_arguments)]
pub async fn issue<S: AcmeSigner>(
    client: &AcmeClient<'_, S>,
    signer: &S,
    store: &AcmeStore,
    job: &Job,
    adapters: &Adapters,
    events: &Events,
    cancel: &mut watch::Receiver<bool>,
) -> Result<Issued, Failure> {
    let step = std::sync::Mutex::new(IssueStep::Order);
    let key_slot: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
    let run = run(
        client, signer, store, job, adapters, events, &step, &key_slot,
    );
    let result = tokio::select! {
        r = run => r,
        _ = cancelled(cancel) => Err(AcmeError::Cancelled),
    };
    let key_ref = key_slot.lock().ok().and_then(|k| k.clone());
    result.map_err(|error| Failure {
        step: step.lock().map(|s| *s).unwrap_or(IssueStep::Order),
        error,
        key_ref,
    })
}

/// Resolves when `cancel` turns true.
pub async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    while !*cancel.borrow() {
        if cancel.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

fn set(step: &std::sync::Mutex<IssueStep>, s: IssueStep) {
    if let Ok(mut g) = step.lock() {
        *g = s;
    }
}

#[allow(clippy::too_many_arguments)]
async fn run<S: AcmeSigner>(
    client: &AcmeClient<'_, S>,
    signer: &S,
    store: &AcmeStore,
    job: &Job,
    adapters: &Adapters,
    events: &Events,
    step: &std::sync::Mutex<IssueStep>,
    key_slot: &std::sync::Mutex<Option<String>>,
) -> AcmeResult<Issued> {
    events.step(
        IssueStep::Order,
        StepStatus::Started,
        format!("ordering {}", job.names.join(", ")),
    );
    let (order_url, order) = client.new_order(&job.names).await?;
    store
        .update_order(&job.order_id, Some(order_url.clone()), None, "pending")
        .await?;
    events.step(IssueStep::Order, StepStatus::Ok, order_url.clone());

    // The certificate key is generated in vault-proc while DNS propagates.
    let make_key = async {
        let key = signer.order_key(&job.order_id, job.key_type).await?;
        if let Ok(mut k) = key_slot.lock() {
            *k = Some(key.key_ref.clone());
        }
        Ok::<_, AcmeError>(key)
    };
    let authorize = authorize_all(
        client, store, job, adapters, events, step, &order_url, &order,
    );
    let (key, authorized) = tokio::join!(make_key, authorize);
    let ready = authorized?;
    let key = key?;

    set(step, IssueStep::Finalize);
    events.step(IssueStep::Finalize, StepStatus::Started, "sending the CSR");
    if ready.status != OrderStatus::Ready {
        return Err(order_error(&ready, "the order is not ready to finalize"));
    }
    let csr = signer.csr(&key.key_ref, &job.names).await?;
    store
        .update_order(&job.order_id, None, Some(key.key_ref.clone()), "finalizing")
        .await?;
    let finalized = client.finalize(&ready.finalize, &csr).await?;
    let done = if matches!(finalized.status, OrderStatus::Valid) {
        finalized
    } else {
        client
            .poll_order(&order_url, job.deadline, |s| {
                matches!(s, OrderStatus::Processing | OrderStatus::Ready)
            })
            .await?
    };
    if done.status != OrderStatus::Valid {
        return Err(order_error(&done, "the CA did not issue"));
    }
    let cert_url = done
        .certificate
        .clone()
        .ok_or_else(|| AcmeError::Protocol("a valid order without a certificate URL".into()))?;
    events.step(
        IssueStep::Finalize,
        StepStatus::Ok,
        "the CA issued the certificate",
    );

    set(step, IssueStep::Download);
    events.step(IssueStep::Download, StepStatus::Started, cert_url.clone());
    let chain_pem = client.download(&cert_url).await?;
    let ders = cert::parse_chain_pem(&chain_pem)?;
    let leaf_der = ders
        .first()
        .ok_or_else(|| AcmeError::Protocol("empty chain".into()))?;
    let leaf = cert::leaf_info(leaf_der)?;
    let public = signer.public_key(&key.key_ref).await?;
    if leaf.spki_der != public.spki_der {
        return Err(AcmeError::Protocol(
            "the certificate's public key is not the key vault-proc made for this order".into(),
        ));
    }
    let want: BTreeSet<String> = job.names.iter().cloned().collect();
    let got: BTreeSet<String> = leaf.dns_names.iter().cloned().collect();
    if want != got {
        return Err(AcmeError::Protocol(format!(
            "the certificate names {} instead of {}",
            got.into_iter().collect::<Vec<_>>().join(", "),
            job.names.join(", ")
        )));
    }
    store
        .update_order(&job.order_id, None, None, "valid")
        .await?;
    events.step(
        IssueStep::Download,
        StepStatus::Ok,
        format!(
            "{} certificate(s); serial {}; key and names checked",
            ders.len(),
            leaf.serial
        ),
    );
    Ok(Issued {
        key_ref: key.key_ref,
        chain_pem,
        leaf,
    })
}

fn order_error(order: &super::wire::Order, what: &str) -> AcmeError {
    match &order.error {
        Some(p) => AcmeError::Problem(p.clone()),
        None => AcmeError::Protocol(format!("{what} (status {:?})", order.status)),
    }
}

/// Authorizations, DNS and validation; returns the order once no longer pending.
#[allow(clippy::too_many_arguments)]
async fn authorize_all<S: AcmeSigner>(
    client: &AcmeClient<'_, S>,
    store: &AcmeStore,
    job: &Job,
    adapters: &Adapters,
    events: &Events,
    step: &std::sync::Mutex<IssueStep>,
    order_url: &str,
    order: &super::wire::Order,
) -> AcmeResult<super::wire::Order> {
    set(step, IssueStep::Authorize);
    events.step(
        IssueStep::Authorize,
        StepStatus::Started,
        format!("{} authorization(s)", order.authorizations.len()),
    );
    let fetched = join_all(
        order
            .authorizations
            .iter()
            .map(|url| async move { client.authorization(url).await.map(|(a, _)| (url, a)) }),
    )
    .await;
    let thumbprint = client_thumbprint(client).await?;
    let mut pending = Vec::new();
    for f in fetched {
        let (url, authz) = f?;
        let name = if authz.wildcard == Some(true) {
            format!("*.{}", authz.identifier.value)
        } else {
            authz.identifier.value.clone()
        };
        match authz.status {
            AuthzStatus::Valid => {
                events.send(IssueProgress {
                    name: Some(name),
                    ..progress(
                        IssueStep::Authorize,
                        StepStatus::Ok,
                        "already valid: no DNS needed",
                    )
                });
            }
            AuthzStatus::Pending => {
                let challenge = authz.dns01().ok_or_else(|| {
                    AcmeError::Protocol(format!("the CA offers no dns-01 challenge for {name}"))
                })?;
                let token = challenge.token.clone().ok_or_else(|| {
                    AcmeError::Protocol("a dns-01 challenge without a token".into())
                })?;
                if token.is_empty()
                    || !token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(AcmeError::Protocol(
                        "the challenge token is not base64url".into(),
                    ));
                }
                let target = job.targets.get(&name).cloned().ok_or_else(|| {
                    AcmeError::Protocol(format!("the CA authorizes {name}, which was not ordered"))
                })?;
                pending.push((
                    url.clone(),
                    challenge.url.clone(),
                    target,
                    dns01::txt_value(&token, &thumbprint),
                ));
            }
            other => {
                return Err(match authz.problem() {
                    Some(p) => AcmeError::Problem(p.clone()),
                    None => {
                        AcmeError::Protocol(format!("the authorization of {name} is {other:?}"))
                    }
                })
            }
        }
    }
    events.step(
        IssueStep::Authorize,
        StepStatus::Ok,
        format!("{} to validate over DNS", pending.len()),
    );
    if pending.is_empty() {
        return client
            .poll_order(order_url, job.deadline, |s| s == OrderStatus::Pending)
            .await;
    }

    set(step, IssueStep::Present);
    let presented = join_all(pending.iter().map(|(_, _, target, value)| {
        present(store, &job.order_id, adapters, events, target, value)
    }))
    .await
    .into_iter()
    .collect::<AcmeResult<Vec<_>>>()?;

    set(step, IssueStep::Propagate);
    events.step(
        IssueStep::Propagate,
        StepStatus::Started,
        "waiting until every authoritative nameserver serves every record",
    );
    join_all(presented.iter().map(|p| propagate(p, job, events)))
        .await
        .into_iter()
        .collect::<AcmeResult<Vec<_>>>()?;
    events.step(
        IssueStep::Propagate,
        StepStatus::Ok,
        "every record is served",
    );

    set(step, IssueStep::Validate);
    events.step(
        IssueStep::Validate,
        StepStatus::Started,
        "answering the challenges",
    );
    join_all(pending.iter().map(|(_, chall, _, _)| client.answer(chall)))
        .await
        .into_iter()
        .collect::<AcmeResult<Vec<_>>>()?;
    let authz_polls = join_all(
        pending
            .iter()
            .map(|(url, _, _, _)| client.poll_authorization(url, job.deadline)),
    );
    let order_poll = client.poll_order(order_url, job.deadline, |s| s == OrderStatus::Pending);
    let (authzs, order) = tokio::join!(authz_polls, order_poll);
    for (a, (_, _, target, _)) in authzs.into_iter().zip(&pending) {
        let a = a?;
        if a.status != AuthzStatus::Valid {
            events.send(IssueProgress {
                name: Some(target.name.clone()),
                ..progress(
                    IssueStep::Validate,
                    StepStatus::Failed,
                    a.problem().map(|p| p.summary()).unwrap_or_default(),
                )
            });
            return Err(match a.problem() {
                Some(p) => AcmeError::Problem(p.clone()),
                None => AcmeError::Protocol(format!("the authorization of {} failed", target.name)),
            });
        }
    }
    let order = order?;
    events.step(
        IssueStep::Validate,
        StepStatus::Ok,
        "every name is authorized",
    );
    Ok(order)
}

async fn client_thumbprint<S: AcmeSigner>(client: &AcmeClient<'_, S>) -> AcmeResult<String> {
    client.thumbprint().await
}

fn progress(step: IssueStep, status: StepStatus, detail: impl Into<String>) -> IssueProgress {
    IssueProgress {
        step,
        status,
        detail: detail.into(),
        name: None,
        provider: None,
        record: None,
        warnings: vec![],
    }
}

async fn present(
    store: &AcmeStore,
    order_id: &str,
    adapters: &Adapters,
    events: &Events,
    target: &Target,
    value: &str,
) -> AcmeResult<Presented> {
    let record = Some(ChallengeRecord {
        record_name: target.record.clone(),
        value: value.to_string(),
    });
    let base = IssueProgress {
        name: Some(target.name.clone()),
        provider: target.provider.as_ref().map(|p| p.id.clone()),
        record: record.clone(),
        ..progress(IssueStep::Present, StepStatus::Started, "")
    };
    if !target.warnings.is_empty() {
        events.send(IssueProgress {
            status: StepStatus::Warning,
            detail: target.warnings.join("; "),
            warnings: target.warnings.clone(),
            ..base.clone()
        });
    }
    let Some(provider) = &target.provider else {
        // Journaled too, so cleanup can say what the user must remove.
        store
            .journal_add(JournalRow {
                id: 0,
                order_id: order_id.to_string(),
                provider_id: None,
                zone_name: String::new(),
                zone_id: String::new(),
                fqdn: target.record.clone(),
                value: value.to_string(),
            })
            .await?;
        events.send(IssueProgress {
            status: StepStatus::Waiting,
            detail: format!(
                "no DNS provider serves {}: add TXT {} \"{value}\" by hand",
                target.record, target.record
            ),
            ..base
        });
        return Ok(Presented {
            target: target.clone(),
            value: value.to_string(),
            zone: None,
        });
    };
    let adapter = adapters.get(&provider.id).ok_or_else(|| {
        AcmeError::Config(format!(
            "provider {} is not available for this order",
            provider.id
        ))
    })?;
    events.send(IssueProgress {
        detail: format!("adding TXT {} with {}", target.record, provider.label),
        ..base.clone()
    });
    let zone = adapter
        .find_zone(&target.record)
        .await
        .map_err(|e| AcmeError::Config(format!("{}: {e}", provider.label)))?;
    // Journal first: a crash after the add still finds the record.
    let id = store
        .journal_add(JournalRow {
            id: 0,
            order_id: order_id.to_string(),
            provider_id: Some(provider.id.clone()),
            zone_name: zone.name.clone(),
            zone_id: zone.id.clone(),
            fqdn: target.record.clone(),
            value: value.to_string(),
        })
        .await?;
    tracing::debug!(journal = id, record = %target.record, "presenting");
    // A transient provider failure (5xx, transport) is retried twice: many
    // records go to one provider at once, and some backends (PowerDNS on
    // SQLite) answer concurrent writes to one zone with a 500.
    let mut attempt = 0;
    loop {
        attempt += 1;
        match adapter.add_txt(&zone, &target.record, value).await {
            Ok(()) => break,
            Err(e) if attempt < 3 && transient(&e) => {
                tracing::debug!(attempt, error = %e, "add_txt failed; retrying");
                tokio::time::sleep(Duration::from_millis(150 * attempt)).await;
            }
            Err(e) => return Err(AcmeError::Config(format!("{}: {e}", provider.label))),
        }
    }
    events.send(IssueProgress {
        status: StepStatus::Ok,
        detail: format!("TXT {} added in zone {}", target.record, zone.name),
        ..base
    });
    Ok(Presented {
        target: target.clone(),
        value: value.to_string(),
        zone: Some(zone),
    })
}

/// True for provider errors worth another try.
fn transient(e: &crate::adapters::AdapterError) -> bool {
    use crate::adapters::AdapterError as E;
    match e {
        E::Api { status, .. } => *status >= 500,
        E::Transport(_) | E::RateLimited(_) => true,
        _ => false,
    }
}

async fn propagate(p: &Presented, job: &Job, events: &Events) -> AcmeResult<()> {
    let servers = match &p.zone {
        Some(z) => verify::authoritative(&z.name)
            .await
            .map_err(|e| e.to_string()),
        None => dns01::authoritative_for(&p.target.record).await,
    }
    .map_err(|e| AcmeError::Config(format!("{}: {e}", p.target.record)))?;
    let mut poller = Poller::new(&servers, &p.target.record, &p.value)
        .map_err(|e| AcmeError::Config(format!("DNS client: {e}")))?;
    let name = p.target.name.clone();
    let started = Instant::now();
    let seen = poller
        .until_seen(job.poll, job.deadline, |attempt, states| {
            let seen = states
                .iter()
                .filter(|(_, s)| *s == verify::NsState::Seen)
                .count();
            if attempt == 1 || seen == states.len() || attempt % 5 == 0 {
                events.send(IssueProgress {
                    name: Some(name.clone()),
                    provider: p.target.provider.as_ref().map(|x| x.id.clone()),
                    ..progress(
                        IssueStep::Propagate,
                        if seen == states.len() {
                            StepStatus::Ok
                        } else {
                            StepStatus::Waiting
                        },
                        format!(
                            "poll {attempt} after {} ms: {seen}/{} nameservers serve {}",
                            started.elapsed().as_millis(),
                            states.len(),
                            p.target.record
                        ),
                    )
                });
            }
        })
        .await;
    if seen {
        Ok(())
    } else {
        Err(AcmeError::Timeout(format!(
            "{} is not served by every authoritative nameserver",
            p.target.record
        )))
    }
}

/// What cleanup did.
#[derive(Debug, Clone, Default)]
pub struct Cleaned {
    /// Records removed.
    pub removed: usize,
    /// Records left (manual ones, or removals that failed twice).
    pub left: Vec<String>,
}

/// Removes every journaled record of `order_id` (or of every order) that
/// `adapters` can reach, each retried once; manual records are reported.
pub async fn cleanup(
    store: &AcmeStore,
    order_id: Option<&str>,
    adapters: &Adapters,
    events: &Events,
) -> Cleaned {
    let rows = match store.journal(order_id.map(str::to_string)).await {
        Ok(r) => r,
        Err(e) => {
            return Cleaned {
                removed: 0,
                left: vec![format!("journal unreadable: {e}")],
            }
        }
    };
    if rows.is_empty() {
        return Cleaned::default();
    }
    events.step(
        IssueStep::Cleanup,
        StepStatus::Started,
        format!("removing {} record(s)", rows.len()),
    );
    let results = join_all(rows.iter().map(|row| async move {
        let Some(pid) = &row.provider_id else {
            let _ = store.journal_remove(row.id).await;
            return Err(format!("{} (added by hand: remove it yourself)", row.fqdn));
        };
        let Some(adapter) = adapters.get(pid) else {
            return Err(format!("{} (provider {pid} not available)", row.fqdn));
        };
        let zone = Zone {
            name: row.zone_name.clone(),
            id: row.zone_id.clone(),
        };
        let mut outcome = adapter.remove_txt(&zone, &row.fqdn, &row.value).await;
        if outcome.is_err() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            outcome = adapter.remove_txt(&zone, &row.fqdn, &row.value).await;
        }
        match outcome {
            Ok(()) => {
                let _ = store.journal_remove(row.id).await;
                Ok(())
            }
            Err(e) => Err(format!("{}: {e}", row.fqdn)),
        }
    }))
    .await;
    let mut cleaned = Cleaned::default();
    for r in results {
        match r {
            Ok(()) => cleaned.removed += 1,
            Err(e) => cleaned.left.push(e),
        }
    }
    let (status, detail) = if cleaned.left.is_empty() {
        (
            StepStatus::Ok,
            format!("{} record(s) removed", cleaned.removed),
        )
    } else {
        (
            StepStatus::Failed,
            format!("left in DNS: {}", cleaned.left.join("; ")),
        )
    };
    events.step(IssueStep::Cleanup, status, detail);
    cleaned
}
