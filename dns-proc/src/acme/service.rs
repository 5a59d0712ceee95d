//! dns-proc's ACME requests: accounts, prepared orders, issuance runs with
//! progress and cancel, journal cleanup, certificates. The broker has
//! granted the permits each one needs (ACME keys, provider tokens) before
//! it asks; this module only uses them.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use shared::clock::format_utc;
use shared::error::{WireError, WireResult};
use shared::protocol::acme::{
    key_type_name, parse_key_type, AccountRegistration, AcmeAccountMeta, AcmeAccountStatus,
    AcmeProblem, AcmeSubproblem, CertificateMeta, CertificateStatus, CertificateWithChain,
    DeployTarget, DirectoryInfo, IssueOutcome, IssuePlan, IssueProgress, IssueStep, RenewalWindow,
    RevocationReason, StepStatus,
};
use shared::protocol::dns::{ProviderMeta, Resolution};
use shared::protocol::keys::KeyType;
use tokio::sync::{mpsc, watch, OnceCell};

use super::client::{AcmeClient, Registration};
use super::error::AcmeError;
use super::issue::{self, Adapters, Events, Job, Target};
use super::store::{AccountRow, AcmeStore, CertRow, Lifecycle};
use super::vault_signer::VaultSigner;
use super::{ari, cert, dns01, http, wire};
use crate::adapters;
use crate::providers::config::ProviderConfig;
use crate::providers::error::{shown, DnsError};
use crate::providers::suffix::normalize_hostname;
use crate::vault_link::{TokenRefusal, VaultLink};
use crate::verify::PollPlan;

/// Most names in one order.
pub const MAX_NAMES: usize = 100;

/// How long a prepared order waits for its run (the broker asks at once;
/// one it never runs, e.g. after a failed grant, is dropped after this).
const PREPARED_TTL: Duration = Duration::from_secs(600);

/// Longest time one `RenewalDue` spends refreshing ARI windows.
const ARI_REFRESH_BUDGET: Duration = Duration::from_secs(15);

/// A prepared order waiting for its run.
struct Prepared {
    at: Instant,
    account: AccountRow,
    names: Vec<String>,
    key_type: KeyType,
    targets: HashMap<String, Target>,
    warnings: Vec<String>,
    renewal: Option<Renewal>,
}

/// What a renewal order carries over from the certificate it renews.
#[derive(Clone)]
struct Renewal {
    /// The certificate renewed.
    from: String,
    /// Its ARI id, when the CA has `renewalInfo` (sent as `replaces`).
    replaces: Option<String>,
    /// Its key, when kept.
    reuse_key: Option<String>,
    /// Where it is deployed (the new one goes there too).
    deploy: Option<(String, bool)>,
}

/// What fetching a certificate's ARI window gave.
enum AriAnswer {
    /// The window and when to ask again.
    Window(ari::Window, Duration),
    /// The CA has no `renewalInfo`.
    Unsupported,
    /// The fetch failed (logged).
    Failed,
}

/// Two thirds of the lifetime (the renewal time without ARI).
fn default_renew_at(not_before: &str, not_after: &str) -> String {
    use crate::providers::clock::parse;
    match (parse(not_before), parse(not_after)) {
        (Some(a), Some(b)) => format_utc(ari::two_thirds(a, b)),
        _ => not_after.to_string(),
    }
}

/// The renewal time for `window`: kept when the window did not move and
/// the time already chosen lies in it, else a new random point of it.
fn choose_renew_at(life: &Lifecycle, window: ari::Window) -> String {
    use crate::providers::clock::parse;
    let same = life
        .window
        .as_ref()
        .is_some_and(|(a, b)| parse(a) == Some(window.start) && parse(b) == Some(window.end));
    if same {
        if let Some(t) = life.renew_at.as_deref().and_then(parse) {
            if t >= window.start && t < window.end {
                return format_utc(t);
            }
        }
    }
    format_utc(ari::pick(window, ari::unit_random()))
}

/// ACME state of the dns-proc service.
pub struct AcmeState {
    data_dir: PathBuf,
    store: OnceCell<AcmeStore>,
    prepared: Mutex<HashMap<String, Prepared>>,
    runs: Mutex<HashMap<u64, watch::Sender<bool>>>,
    /// Open CA connections by (directory URL, CA PEM): orders reuse their
    /// TLS sessions and nonces.
    conns: tokio::sync::Mutex<HashMap<(String, Option<String>), Conn>>,
}

/// An open CA connection and its directory.
type Conn = (std::sync::Arc<http::AcmeHttp>, wire::Directory);

/// Most CA connections kept open.
const MAX_CONNS: usize = 32;

fn wire_err(e: AcmeError) -> WireError {
    match e {
        AcmeError::Config(m) => WireError::validation(m),
        AcmeError::Store(m) => WireError::internal(format!("ACME state: {m}")),
        AcmeError::Signer(m) => WireError::forbidden(format!("vault-proc refused: {m}")),
        other => WireError::new(shared::error::ErrorCode::ProviderError, other.to_string()),
    }
}

fn account_meta(a: &AccountRow) -> AcmeAccountMeta {
    AcmeAccountMeta {
        id: a.id.clone(),
        directory_url: a.directory_url.clone(),
        account_url: a.account_url.clone(),
        contact: a.contact.clone(),
        status: AcmeAccountStatus::parse(&a.status).unwrap_or(AcmeAccountStatus::Valid),
        key_ref: a.key_ref.clone(),
        created_at: a.created_at.clone(),
    }
}

fn cert_meta(c: &CertRow) -> CertificateMeta {
    let expired = crate::providers::clock::parse(&c.not_after)
        .is_some_and(|t| t < time::OffsetDateTime::now_utc());
    CertificateMeta {
        id: c.id.clone(),
        names: c.names.clone(),
        account_id: c.account_id.clone(),
        key_ref: c.key_ref.clone(),
        key_type: parse_key_type(&c.key_type).unwrap_or_default(),
        serial: c.serial.clone(),
        issuer: c.issuer.clone(),
        not_before: c.not_before.clone(),
        not_after: c.not_after.clone(),
        status: if c.revoked {
            CertificateStatus::Revoked
        } else if expired {
            CertificateStatus::Expired
        } else {
            CertificateStatus::Valid
        },
        created_at: c.created_at.clone(),
        renew_at: c
            .life
            .renew_at
            .clone()
            .unwrap_or_else(|| default_renew_at(&c.not_before, &c.not_after)),
        renewal_window: c
            .life
            .window
            .clone()
            .map(|(start, end)| RenewalWindow { start, end }),
        renewed_from: c.life.renewed_from.clone(),
        replaced_by: c.life.replaced_by.clone(),
        last_renewal_error: c.life.last_renewal_error.clone(),
        renewal_failures: c.life.renewal_failures,
        next_renewal_attempt: c.life.next_attempt_at.clone(),
        deploy_to: c
            .life
            .deploy
            .clone()
            .map(|(dir, include_key)| DeployTarget { dir, include_key }),
    }
}

/// Names as ordered: trimmed, IDNA A-labels, lower case, `*.` kept,
/// duplicates removed; at most [`MAX_NAMES`].
pub fn normalize_names(names: &[String]) -> Result<Vec<String>, DnsError> {
    if names.is_empty() {
        return Err(DnsError::validation("names", "at least one name is needed"));
    }
    if names.len() > MAX_NAMES {
        return Err(DnsError::validation(
            "names",
            format!("at most {MAX_NAMES} names per certificate"),
        ));
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for raw in names {
        let t = raw.trim();
        let wildcard = t.starts_with("*.");
        let base = normalize_hostname(t).map_err(|_| {
            DnsError::validation("names", format!("`{}` is not a valid name", shown(t, 80)))
        })?;
        if base.contains('*') {
            return Err(DnsError::validation(
                "names",
                format!("`{}`: only a leading `*.` is allowed", shown(t, 80)),
            ));
        }
        let name = if wildcard { format!("*.{base}") } else { base };
        if seen.insert(name.clone()) {
            out.push(name);
        }
    }
    Ok(out)
}

impl AcmeState {
    /// State over `<data_dir>/acme.sqlite` (opened on first use).
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            store: OnceCell::new(),
            prepared: Mutex::new(HashMap::new()),
            runs: Mutex::new(HashMap::new()),
            conns: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The open connection to the CA at `url` (made on first use).
    async fn conn(&self, url: &str, ca_pem: Option<&str>) -> Result<Conn, AcmeError> {
        let key = (url.to_string(), ca_pem.map(str::to_string));
        let mut conns = self.conns.lock().await;
        if let Some(c) = conns.get(&key) {
            return Ok(c.clone());
        }
        let c = super::client::open(url, ca_pem).await?;
        if conns.len() >= MAX_CONNS {
            conns.clear();
        }
        conns.insert(key, c.clone());
        Ok(c)
    }

    /// The database.
    pub async fn store(&self) -> WireResult<&AcmeStore> {
        self.store
            .get_or_try_init(|| async { AcmeStore::open(&self.data_dir) })
            .await
            .map_err(wire_err)
    }

    /// A directory's origin, terms and EAB requirement.
    pub async fn directory(&self, url: &str, ca_pem: Option<&str>) -> WireResult<DirectoryInfo> {
        let h = http::AcmeHttp::new(url, ca_pem).map_err(|e| match e {
            AcmeError::Config(m) => WireError::validation(m).with_field("directoryUrl"),
            other => wire_err(other),
        })?;
        let reply = h.get(url).await.map_err(wire_err)?;
        let d = wire::parse_directory(&reply.body).map_err(wire_err)?;
        Ok(DirectoryInfo {
            origin: h.origin().to_string(),
            terms_of_service: d.meta.terms_of_service,
            external_account_required: d.meta.external_account_required.unwrap_or(false),
        })
    }

    /// Registers (or finds) an account and stores it.
    pub async fn register(
        &self,
        vault: &VaultLink,
        reg: AccountRegistration,
    ) -> WireResult<AcmeAccountMeta> {
        let store = self.store().await?;
        let signer = VaultSigner::new(vault);
        let mut client = AcmeClient::connect(
            &reg.directory_url,
            reg.ca_pem.as_deref(),
            &signer,
            &reg.key_ref,
        )
        .await
        .map_err(wire_err)?;
        if client.directory().meta.terms_of_service.is_some() && !reg.terms_agreed {
            return Err(WireError::validation(
                "the CA has terms of service: termsOfServiceAgreed must be true",
            )
            .with_field("termsOfServiceAgreed"));
        }
        let eab = reg.eab.as_ref().map(|(kid, r)| (r.as_str(), kid.as_str()));
        let mut found = None;
        if reg.lookup_first {
            match client
                .register(&Registration {
                    contact: &[],
                    terms_agreed: reg.terms_agreed,
                    only_existing: true,
                    eab: None,
                })
                .await
            {
                Ok(r) => found = Some(r),
                Err(AcmeError::Problem(p)) if p.kind.ends_with(":accountDoesNotExist") => {}
                Err(e) => return Err(wire_err(e)),
            }
        }
        let (url, account) = match found {
            Some(r) => r,
            None => client
                .register(&Registration {
                    contact: &reg.contact,
                    terms_agreed: reg.terms_agreed,
                    only_existing: false,
                    eab,
                })
                .await
                .map_err(wire_err)?,
        };
        let row = AccountRow {
            id: reg.id,
            directory_url: reg.directory_url,
            account_url: url,
            contact: if account.contact.is_empty() {
                reg.contact
            } else {
                account.contact
            },
            status: account.status.as_str().into(),
            key_ref: reg.key_ref,
            ca_pem: reg.ca_pem,
            created_at: shared::clock::now(),
        };
        store.insert_account(row.clone()).await.map_err(wire_err)?;
        Ok(account_meta(&row))
    }

    /// Every account.
    pub async fn accounts(&self) -> WireResult<Vec<AcmeAccountMeta>> {
        let rows = self.store().await?.accounts().await.map_err(wire_err)?;
        Ok(rows.iter().map(account_meta).collect())
    }

    async fn account_row(&self, id: &str) -> WireResult<AccountRow> {
        self.store()
            .await?
            .account(id)
            .await
            .map_err(wire_err)?
            .ok_or_else(|| WireError::not_found(format!("no ACME account {}", shown(id, 60))))
    }

    /// One account and its directory's origin.
    pub async fn account(&self, id: &str) -> WireResult<(AcmeAccountMeta, String)> {
        let row = self.account_row(id).await?;
        let origin = http::origin_of(&row.directory_url).map_err(wire_err)?;
        Ok((account_meta(&row), origin))
    }

    /// Deletes an account, deactivating it at the CA first when asked.
    pub async fn delete_account(
        &self,
        vault: &VaultLink,
        id: &str,
        deactivate: bool,
    ) -> WireResult<()> {
        let row = self.account_row(id).await?;
        if deactivate && row.status == AcmeAccountStatus::Valid.as_str() {
            let signer = VaultSigner::new(vault);
            let mut client = AcmeClient::connect(
                &row.directory_url,
                row.ca_pem.as_deref(),
                &signer,
                &row.key_ref,
            )
            .await
            .map_err(wire_err)?;
            client.set_account_url(&row.account_url);
            client.deactivate().await.map_err(wire_err)?;
        }
        self.store()
            .await?
            .delete_account(id)
            .await
            .map_err(wire_err)?;
        Ok(())
    }

    /// Validates names, follows `_acme-challenge` CNAMEs, resolves providers
    /// and records the order.
    pub async fn prepare(
        &self,
        resolve: impl AsyncResolve,
        account_id: &str,
        names: &[String],
        key_type: KeyType,
    ) -> WireResult<IssuePlan> {
        self.prepare_with(resolve, account_id, names, key_type, None)
            .await
    }

    /// Prepares the renewal of `cert_id`: same account, names and key type;
    /// its key when `reuse_key`; `replaces` when the CA has ARI.
    pub async fn renew_prepare(
        &self,
        resolve: impl AsyncResolve,
        cert_id: &str,
        reuse_key: bool,
    ) -> WireResult<IssuePlan> {
        let row = self.cert_row(cert_id).await?;
        if let Some(next) = &row.life.replaced_by {
            return Err(WireError::new(
                shared::error::ErrorCode::Conflict,
                format!("certificate {cert_id} was already renewed by {next}: renew that one"),
            ));
        }
        let account = self.account_row(&row.account_id).await?;
        let key_type = parse_key_type(&row.key_type).ok_or_else(|| {
            WireError::internal(format!("certificate {cert_id} has an unknown key type"))
        })?;
        let replaces = match &row.life.ari_cert_id {
            Some(id) => match self
                .conn(&account.directory_url, account.ca_pem.as_deref())
                .await
            {
                Ok((_, d)) if d.renewal_info.is_some() => Some(id.clone()),
                _ => None,
            },
            None => None,
        };
        let renewal = Renewal {
            from: row.id.clone(),
            replaces,
            reuse_key: reuse_key.then(|| row.key_ref.clone()),
            deploy: row.life.deploy.clone(),
        };
        self.prepare_with(
            resolve,
            &row.account_id,
            &row.names,
            key_type,
            Some(renewal),
        )
        .await
    }

    async fn cert_row(&self, id: &str) -> WireResult<CertRow> {
        self.store()
            .await?
            .cert(id)
            .await
            .map_err(wire_err)?
            .ok_or_else(|| WireError::not_found(format!("no certificate {}", shown(id, 60))))
    }

    async fn prepare_with(
        &self,
        resolve: impl AsyncResolve,
        account_id: &str,
        names: &[String],
        key_type: KeyType,
        renewal: Option<Renewal>,
    ) -> WireResult<IssuePlan> {
        let account = self.account_row(account_id).await?;
        if account.status != AcmeAccountStatus::Valid.as_str() {
            return Err(WireError::validation(format!(
                "account {account_id} is {}",
                account.status
            ))
            .with_field("accountId"));
        }
        let names = normalize_names(names).map_err(WireError::from)?;
        let origin = http::origin_of(&account.directory_url).map_err(wire_err)?;
        let records = join_all(names.iter().map(|n| async move {
            let record = dns01::record_name(n);
            dns01::follow_cname(&record)
                .await
                .map(|target| (record, target))
                .map_err(|e| WireError::validation(format!("{n}: {e}")).with_field("names"))
        }))
        .await;
        let mut targets = HashMap::new();
        let mut providers: Vec<(String, String)> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        for (name, rec) in names.iter().zip(records) {
            let (record, target) = rec?;
            let host = if target == record {
                name.trim_start_matches("*.").to_string()
            } else {
                target.clone()
            };
            let (provider, w) = match resolve.resolve(&host).await? {
                Resolution::Provider {
                    provider, warnings, ..
                } => (Some(provider), warnings),
                Resolution::Manual { .. } => (None, vec![]),
            };
            if let Some(p) = &provider {
                if let Some(r) = &p.secret_ref {
                    if !providers.iter().any(|(id, _)| *id == p.id) {
                        providers.push((p.id.clone(), r.clone()));
                    }
                }
            }
            for x in &w {
                if !warnings.contains(x) {
                    warnings.push(x.clone());
                }
            }
            targets.insert(
                name.clone(),
                Target {
                    name: name.clone(),
                    record: target,
                    provider,
                    warnings: w,
                },
            );
        }
        let order_id = shared::ids::random_hex::<16>()
            .map(|h| format!("order_{h}"))
            .map_err(|e| WireError::internal(e.to_string()))?;
        self.store()
            .await?
            .insert_order(&order_id, account_id, &names)
            .await
            .map_err(wire_err)?;
        let plan = IssuePlan {
            order_id: order_id.clone(),
            account: account_meta(&account),
            directory_origin: origin,
            names: names.clone(),
            providers,
            warnings: warnings.clone(),
            reuse_key_ref: renewal.as_ref().and_then(|r| r.reuse_key.clone()),
        };
        if let Ok(mut p) = self.prepared.lock() {
            p.retain(|_, o| o.at.elapsed() < PREPARED_TTL);
            p.insert(
                order_id,
                Prepared {
                    at: Instant::now(),
                    account,
                    names,
                    key_type,
                    targets,
                    warnings,
                    renewal,
                },
            );
        }
        Ok(plan)
    }

    /// Builds the adapters of `providers` with tokens revealed under the
    /// broker's permits.
    async fn adapters(
        vault: &VaultLink,
        providers: impl IntoIterator<Item = ProviderMeta>,
    ) -> Result<Adapters, String> {
        let mut out = Adapters::new();
        for p in providers {
            if out.contains_key(&p.id) {
                continue;
            }
            let config = ProviderConfig::parse(p.provider_type, Some(&p.config_json))
                .map_err(|e| format!("{}: {e}", p.label))?;
            let token = match &p.secret_ref {
                Some(r) => Some(vault.paired_token(&p.id, r, &config).await.map_err(
                    |refusal| match refusal {
                        TokenRefusal::Vault(e) => format!("{}: {}", p.label, e.message),
                        TokenRefusal::Unpaired(why) => format!("{}: {why}", p.label),
                    },
                )?),
                None => None,
            };
            if let Some(a) = adapters::build(p.provider_type, &config, token)
                .map_err(|e| format!("{}: {e}", p.label))?
            {
                out.insert(p.id.clone(), a);
            }
        }
        Ok(out)
    }

    /// Runs a prepared order; progress to `tx`; cancel by `request_id`.
    pub async fn issue(
        &self,
        vault: &VaultLink,
        order_id: &str,
        timeout_secs: u64,
        request_id: u64,
        tx: mpsc::UnboundedSender<IssueProgress>,
    ) -> WireResult<(IssueOutcome, Option<String>)> {
        let store = self.store().await?.clone();
        let prepared = self
            .prepared
            .lock()
            .ok()
            .and_then(|mut p| p.remove(order_id))
            .ok_or_else(|| {
                WireError::not_found(format!("no prepared order {}", shown(order_id, 60)))
            })?;
        let events = Events::new(tx);
        let warnings = prepared.warnings.clone();
        let fail = |step: IssueStep, message: String, suggestions: Vec<String>| IssueOutcome {
            success: false,
            certificate: None,
            failed_step: Some(step),
            message: Some(message),
            problem: None,
            suggestions,
            warnings: warnings.clone(),
            cleaned_up: true,
        };
        let providers = prepared
            .targets
            .values()
            .filter_map(|t| t.provider.clone())
            .collect::<Vec<_>>();
        let adapters = match Self::adapters(vault, providers).await {
            Ok(a) => a,
            Err(e) => {
                events.step(IssueStep::Present, StepStatus::Failed, e.clone());
                let o = fail(
                    IssueStep::Present,
                    e,
                    vec!["check the provider with Test Connection".into()],
                );
                events.step(
                    IssueStep::Done,
                    StepStatus::Failed,
                    o.message.clone().unwrap_or_default(),
                );
                return Ok((o, None));
            }
        };
        let signer = VaultSigner::new(vault);
        let (cancel_tx, mut cancel) = watch::channel(false);
        if let Ok(mut r) = self.runs.lock() {
            r.insert(request_id, cancel_tx);
        }
        let deadline = Instant::now() + Duration::from_secs(timeout_secs.clamp(1, 3600));
        let renewal = prepared.renewal;
        let job = Job {
            replaces: renewal.as_ref().and_then(|r| r.replaces.clone()),
            reuse_key: renewal.as_ref().and_then(|r| r.reuse_key.clone()),
            order_id: order_id.to_string(),
            names: prepared.names.clone(),
            key_type: prepared.key_type,
            targets: prepared.targets,
            deadline,
            poll: PollPlan::BACKOFF,
        };
        let account = prepared.account;
        let result = async {
            let conn = self
                .conn(&account.directory_url, account.ca_pem.as_deref())
                .await
                .map_err(|error| issue::Failure {
                    step: IssueStep::Order,
                    error,
                    key_ref: None,
                });
            let mut client = match conn {
                Ok((h, d)) => AcmeClient::with(h, d, &signer, &account.key_ref),
                Err(f) => return (Err(f), 0),
            };
            client.set_account_url(&account.account_url);
            let r = issue::issue(
                &client,
                &signer,
                &store,
                &job,
                &adapters,
                &events,
                &mut cancel,
            )
            .await;
            (r, client.bad_nonce_retries())
        }
        .await;
        if let Ok(mut r) = self.runs.lock() {
            r.remove(&request_id);
        }
        let (result, bad_nonces) = result;
        if bad_nonces > 0 {
            tracing::info!(retries = bad_nonces, "badNonce answers retried");
        }
        let cleaned = issue::cleanup(&store, Some(order_id), &adapters, &events).await;
        drop(adapters);
        let cleaned_up = cleaned.left.is_empty();
        let (outcome, dead_key) = match result {
            Ok(issued) => {
                let id = shared::ids::random_hex::<16>()
                    .map(|h| format!("cert_{h}"))
                    .map_err(|e| WireError::internal(e.to_string()))?;
                let row = CertRow {
                    id,
                    account_id: account.id.clone(),
                    order_id: order_id.to_string(),
                    names: job.names.clone(),
                    key_ref: issued.key_ref.clone(),
                    key_type: key_type_name(job.key_type).into(),
                    serial: issued.leaf.serial.clone(),
                    issuer: issued.leaf.issuer.clone(),
                    not_before: issued.leaf.not_before.clone(),
                    not_after: issued.leaf.not_after.clone(),
                    revoked: false,
                    chain_pem: issued.chain_pem.clone(),
                    created_at: shared::clock::now(),
                    life: self
                        .new_lifecycle(&account, &issued.leaf, renewal.as_ref())
                        .await,
                };
                store.insert_cert(row.clone()).await.map_err(wire_err)?;
                let mut suggestions = vec![];
                if !cleaned_up {
                    suggestions.push(format!(
                        "remove these TXT records by hand: {}",
                        cleaned.left.join("; ")
                    ));
                }
                (
                    IssueOutcome {
                        success: true,
                        certificate: Some(cert_meta(&row)),
                        failed_step: None,
                        message: None,
                        problem: None,
                        suggestions,
                        warnings: warnings.clone(),
                        cleaned_up,
                    },
                    None,
                )
            }
            Err(f) => {
                let _ = store.update_order(order_id, None, None, "invalid").await;
                let message = match &f.error {
                    AcmeError::Cancelled => "cancelled by the user".to_string(),
                    e => e.to_string(),
                };
                events.step(f.step, StepStatus::Failed, message.clone());
                let mut suggestions = suggestions_for(&f.error);
                if !cleaned_up {
                    suggestions.push(format!(
                        "remove these TXT records by hand: {}",
                        cleaned.left.join("; ")
                    ));
                }
                (
                    IssueOutcome {
                        success: false,
                        certificate: None,
                        failed_step: Some(f.step),
                        message: Some(message),
                        problem: f.error.problem().map(problem),
                        suggestions,
                        warnings: warnings.clone(),
                        cleaned_up,
                    },
                    f.key_ref,
                )
            }
        };
        events.step(
            IssueStep::Done,
            if outcome.success {
                StepStatus::Ok
            } else {
                StepStatus::Failed
            },
            format!(
                "{}; {bad_nonces} badNonce answer(s) retried",
                if outcome.success {
                    "issued".to_string()
                } else {
                    outcome.message.clone().unwrap_or_default()
                }
            ),
        );
        Ok((outcome, dead_key))
    }

    /// The renewal state of a new certificate: renewal time (ARI window
    /// when the CA has one, else two thirds of the lifetime), what it
    /// renewed, where it is deployed.
    async fn new_lifecycle(
        &self,
        account: &AccountRow,
        leaf: &cert::LeafInfo,
        renewal: Option<&Renewal>,
    ) -> Lifecycle {
        let mut life = Lifecycle {
            renew_at: Some(default_renew_at(&leaf.not_before, &leaf.not_after)),
            ari_cert_id: leaf.ari_cert_id(),
            renewed_from: renewal.map(|r| r.from.clone()),
            deploy: renewal.and_then(|r| r.deploy.clone()),
            ..Default::default()
        };
        if let Some(id) = life.ari_cert_id.clone() {
            let now = time::OffsetDateTime::now_utc();
            match self.fetch_ari(account, &id).await {
                AriAnswer::Window(w, poll) => {
                    life.renew_at = Some(choose_renew_at(&life, w));
                    life.window = Some((format_utc(w.start), format_utc(w.end)));
                    life.ari_next_at = Some(format_utc(now + poll));
                }
                AriAnswer::Unsupported => {
                    life.ari_next_at = Some(format_utc(now + ari::MAX_POLL));
                }
                AriAnswer::Failed => life.ari_next_at = Some(format_utc(now + ari::MIN_POLL)),
            }
        }
        life
    }

    /// One fetch of a certificate's ARI window (at most 10 s).
    async fn fetch_ari(&self, account: &AccountRow, cert_id: &str) -> AriAnswer {
        let fetch = async {
            let (h, d) = self
                .conn(&account.directory_url, account.ca_pem.as_deref())
                .await?;
            super::client::renewal_info(&h, &d, cert_id).await
        };
        match tokio::time::timeout(Duration::from_secs(10), fetch).await {
            Ok(Ok(Some((w, retry)))) => AriAnswer::Window(
                w,
                ari::next_poll(retry.as_deref(), time::OffsetDateTime::now_utc()),
            ),
            Ok(Ok(None)) => AriAnswer::Unsupported,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, cert_id, "renewal information unavailable");
                AriAnswer::Failed
            }
            Err(_) => {
                tracing::warn!(cert_id, "renewal information: no answer in 10 s");
                AriAnswer::Failed
            }
        }
    }

    /// Refreshes the ARI windows whose next fetch is due and answers the
    /// certificates to renew now: not revoked, not renewed yet, renewal
    /// time passed, and not backing off after a failure.
    pub async fn renewal_due(&self) -> WireResult<Vec<String>> {
        use crate::providers::clock::parse;
        let store = self.store().await?;
        let rows = store.certs().await.map_err(wire_err)?;
        let now = time::OffsetDateTime::now_utc();
        // The broker's call is bounded: windows not refreshed in this
        // budget are refreshed at the next check.
        let budget = Instant::now() + ARI_REFRESH_BUDGET;
        let mut due = Vec::new();
        for row in rows {
            if row.revoked || row.life.replaced_by.is_some() {
                continue;
            }
            let mut renew_at = row
                .life
                .renew_at
                .clone()
                .unwrap_or_else(|| default_renew_at(&row.not_before, &row.not_after));
            let fetch_due = row
                .life
                .ari_next_at
                .as_deref()
                .and_then(parse)
                .is_none_or(|t| t <= now);
            if let (Some(id), true, true) =
                (&row.life.ari_cert_id, fetch_due, Instant::now() < budget)
            {
                if let Some(account) = store.account(&row.account_id).await.map_err(wire_err)? {
                    let (window, at, next) = match self.fetch_ari(&account, id).await {
                        AriAnswer::Window(w, poll) => (
                            Some((format_utc(w.start), format_utc(w.end))),
                            Some(choose_renew_at(&row.life, w)),
                            now + poll,
                        ),
                        AriAnswer::Unsupported => (None, None, now + ari::MAX_POLL),
                        AriAnswer::Failed => (None, None, now + ari::MIN_POLL),
                    };
                    if let Some(a) = &at {
                        renew_at = a.clone();
                    }
                    store
                        .set_ari(&row.id, window, at, format_utc(next))
                        .await
                        .map_err(wire_err)?;
                }
            }
            let attempt_ok = row
                .life
                .next_attempt_at
                .as_deref()
                .and_then(parse)
                .is_none_or(|t| t <= now);
            if attempt_ok && parse(&renew_at).is_some_and(|t| t <= now) {
                due.push(row.id);
            }
        }
        Ok(due)
    }

    /// Records an automatic renewal attempt.
    pub async fn renewal_record(
        &self,
        id: &str,
        error: Option<String>,
        failures: u32,
        next_attempt_at: Option<String>,
    ) -> WireResult<()> {
        let found = self
            .store()
            .await?
            .set_renewal_outcome(id, error, failures, next_attempt_at)
            .await
            .map_err(wire_err)?;
        if found {
            Ok(())
        } else {
            Err(WireError::not_found(format!(
                "no certificate {}",
                shown(id, 60)
            )))
        }
    }

    /// Sets (or clears) where a certificate is deployed.
    pub async fn set_deploy(&self, id: &str, deploy: Option<DeployTarget>) -> WireResult<()> {
        let found = self
            .store()
            .await?
            .set_deploy(id, deploy.map(|d| (d.dir, d.include_key)))
            .await
            .map_err(wire_err)?;
        if found {
            Ok(())
        } else {
            Err(WireError::not_found(format!(
                "no certificate {}",
                shown(id, 60)
            )))
        }
    }

    /// Revokes a certificate at its CA (RFC 8555 §7.6) with its account's
    /// key, under the broker's ACME permit; marks it revoked.
    pub async fn revoke(
        &self,
        vault: &VaultLink,
        id: &str,
        reason: Option<RevocationReason>,
    ) -> WireResult<CertificateWithChain> {
        let row = self.cert_row(id).await?;
        if row.revoked {
            return self.certificate(id).await;
        }
        let account = self.account_row(&row.account_id).await?;
        let ders = cert::parse_chain_pem(&row.chain_pem).map_err(wire_err)?;
        let leaf = ders
            .first()
            .ok_or_else(|| WireError::internal("a stored chain without a certificate"))?;
        let signer = VaultSigner::new(vault);
        let (h, d) = self
            .conn(&account.directory_url, account.ca_pem.as_deref())
            .await
            .map_err(wire_err)?;
        let mut client = AcmeClient::with(h, d, &signer, &account.key_ref);
        client.set_account_url(&account.account_url);
        match client
            .revoke(leaf, reason.map(RevocationReason::code))
            .await
        {
            Ok(()) => {}
            Err(AcmeError::Problem(p)) if p.kind.ends_with(":alreadyRevoked") => {}
            Err(e) => return Err(wire_err(e)),
        }
        self.store()
            .await?
            .set_revoked(id)
            .await
            .map_err(wire_err)?;
        self.certificate(id).await
    }

    /// Cancels the run of broker request `request_id`.
    pub fn cancel(&self, request_id: u64) -> bool {
        self.runs
            .lock()
            .ok()
            .and_then(|r| r.get(&request_id).map(|tx| tx.send(true).is_ok()))
            .unwrap_or(false)
    }

    /// Provider ids with journaled records.
    pub async fn journal_providers(&self) -> WireResult<BTreeSet<String>> {
        let rows = self.store().await?.journal(None).await.map_err(wire_err)?;
        Ok(rows.into_iter().filter_map(|r| r.provider_id).collect())
    }

    /// Removes journaled records with `providers` (tokens under permits).
    pub async fn journal_cleanup(
        &self,
        vault: &VaultLink,
        order_id: Option<&str>,
        providers: Vec<ProviderMeta>,
    ) -> WireResult<Vec<String>> {
        let store = self.store().await?;
        let adapters = Self::adapters(vault, providers)
            .await
            .map_err(WireError::unavailable)?;
        Ok(
            issue::cleanup(store, order_id, &adapters, &Events::default())
                .await
                .left,
        )
    }

    /// One page of certificates.
    pub async fn certificates(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> WireResult<(Vec<CertificateMeta>, Option<String>)> {
        let all: Vec<CertificateMeta> = self
            .store()
            .await?
            .certs()
            .await
            .map_err(wire_err)?
            .iter()
            .map(cert_meta)
            .collect();
        shared::protocol::page::page(&all, |c| c.id.as_str(), after, limit, "certificate")
    }

    /// One certificate with its chain.
    pub async fn certificate(&self, id: &str) -> WireResult<CertificateWithChain> {
        let row = self
            .store()
            .await?
            .cert(id)
            .await
            .map_err(wire_err)?
            .ok_or_else(|| WireError::not_found(format!("no certificate {}", shown(id, 60))))?;
        Ok(CertificateWithChain {
            meta: cert_meta(&row),
            chain_pem: row.chain_pem,
        })
    }

    /// One stored certificate row (workflows read its public fields).
    pub async fn certificate_row(&self, id: &str) -> WireResult<CertRow> {
        self.store()
            .await?
            .cert(id)
            .await
            .map_err(wire_err)?
            .ok_or_else(|| WireError::not_found(format!("no certificate {}", shown(id, 60))))
    }

    /// Deletes a certificate; returns its key reference.
    pub async fn delete_certificate(&self, id: &str) -> WireResult<String> {
        let c = self.certificate(id).await?;
        self.store()
            .await?
            .delete_cert(id)
            .await
            .map_err(wire_err)?;
        Ok(c.meta.key_ref)
    }
}

/// Provider resolution, as the registry actor answers it.
pub trait AsyncResolve {
    /// The provider for `host`, or manual.
    fn resolve(&self, host: &str) -> impl std::future::Future<Output = WireResult<Resolution>>;
}

fn problem(p: &wire::Problem) -> AcmeProblem {
    AcmeProblem {
        problem_type: p.kind.clone(),
        detail: p.detail.clone().unwrap_or_default(),
        subproblems: p
            .subproblems
            .iter()
            .map(|s| AcmeSubproblem {
                problem_type: s.kind.clone(),
                detail: s.detail.clone().unwrap_or_default(),
                identifier: s.identifier.as_ref().map(|i| i.value.clone()),
            })
            .collect(),
    }
}

/// Likely causes of a failed issuance.
pub fn suggestions_for(e: &AcmeError) -> Vec<String> {
    let kind = e
        .problem()
        .map(|p| p.kind.rsplit(':').next().unwrap_or_default().to_string())
        .unwrap_or_default();
    match (e, kind.as_str()) {
        (_, "rejectedIdentifier") | (_, "unsupportedIdentifier") => vec![
            "the CA will not issue for one of these names (policy, public suffix or a blocked name)".into(),
        ],
        (_, "unauthorized") | (_, "dns") | (_, "incorrectResponse") => vec![
            "the CA did not see the expected TXT value: check for another TXT at the name, a CNAME at _acme-challenge, or split-horizon DNS".into(),
            "check the provider with Test Connection".into(),
        ],
        (_, "rateLimited") => vec!["the CA's rate limit: wait before retrying".into()],
        (_, "malformed") => vec![
            "the CA refused a name as malformed: use letters, digits and hyphens only (no underscores), and `*.` only as the first label".into(),
        ],
        (_, "accountDoesNotExist") | (_, "unauthorizedAccount") => {
            vec!["the account is gone at the CA: create it again".into()]
        }
        (AcmeError::Timeout(_), _) => vec![
            "propagation is slower than the timeout: raise timeoutSecs".into(),
            "a nameserver does not serve the zone (lame delegation) or is unreachable".into(),
        ],
        (AcmeError::Transport(_), _) => vec![
            "the CA is unreachable: check the directory URL, the network and caPem".into(),
        ],
        (AcmeError::Config(_), _) => vec!["check the provider with Test Connection".into()],
        (AcmeError::Signer(_), _) => vec!["vault-proc refused to sign: is the vault unlocked?".into()],
        _ => vec![],
    }
}
