//! The provider registry: validation, persistence and resolution through the
//! suffix index (a table the store keeps in step with every write), behind
//! the operations the broker's flows need. Nothing here grows with the
//! number of providers: every read is a query of `dns.sqlite`.
//!
//! Tokens never pass through here. A create is two calls around the vault:
//! [`ProviderRegistry::prepare_create`] validates the draft (token presence
//! only) and assigns the id; the broker has vault-proc store the token with
//! that id as owner; [`ProviderRegistry::commit_create`] stores the provider
//! with the token's `secret_ref`. An update is the same shape
//! (`prepare_update` → vault replaces the value under the same ref →
//! `commit_update`), and a delete is `delete_begin` (row marked, ref
//! returned) → vault deletes → `delete_finish`, so an interrupted one is
//! found by `list_deleting` and finished at the next start.
//!
//! Moving a self-hosted provider (PowerDNS `serverUrl`, RFC 2136 `server`)
//! to another endpoint needs the token again, so a stored token is never sent
//! to a host the user did not pair it with: `prepare_update` refuses it
//! without a token and, with one, returns a one-time approval bound to (the
//! provider, the new endpoint, the row's `updatedAt`) that `commit_update`
//! requires and consumes, refusing it when the row changed in between; the
//! broker drops it ([`ProviderRegistry::drop_approval`]) when its flow fails.

use std::collections::HashMap;
use std::path::Path;

use shared::protocol::dns::{
    ProviderMeta, ProviderUpdate, ProviderWithWarnings, Resolution, SuffixInput,
};
use shared::protocol::dnsproc::{PreparedProvider, PreparedUpdate, ProviderDraft};

use super::clock::Clock;
use super::config::{endpoint_changed, ProviderConfig};
use super::error::shown;
use super::resolve::Ambiguity;
use super::store::{ProviderRow, ProviderState, ProviderStore};
use super::suffix::{normalize_hostname, parse_suffixes};
use super::validate::{check_label, check_token, check_value, manual_instructions, parse_type};
use super::DnsError;

/// Most ids one [`ProviderRegistry::existing`] call checks.
pub const MAX_EXISTING: usize = 5000;

/// Page size of [`ProviderRegistry::list`]'s walk.
const LIST_PAGE: u32 = 500;

/// Providers, persisted and indexed.
pub struct ProviderRegistry {
    store: ProviderStore,
    clock: Clock,
    /// Endpoint changes accepted by `prepare_update` with a new token, by
    /// one-time approval id (at most one per provider).
    approvals: HashMap<String, Approval>,
}

/// What one endpoint approval allows: moving this provider, as it was at
/// `updated_at`, to this endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Approval {
    provider_id: String,
    endpoint: Option<String>,
    updated_at: String,
}

/// A fresh, unguessable approval id.
fn approval_id() -> Result<String, DnsError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| DnsError::Internal(format!("no random source: {e}")))?;
    Ok(format!("appr_{}", hex::encode(b)))
}

/// An update worked out against a row.
struct Applied {
    /// The row as the update leaves it.
    next: ProviderRow,
    /// The new endpoint, when the update moves the provider.
    moved: Option<Option<String>>,
    /// The endpoint after the update (moved or not).
    endpoint: Option<String>,
}

impl ProviderRegistry {
    /// Opens (migrating if needed) `<data_dir>/dns.sqlite`. Reads no
    /// provider: the time it takes does not grow with their number.
    pub fn open(data_dir: &Path) -> Result<Self, DnsError> {
        let store = ProviderStore::open(data_dir)?;
        let clock = Clock::after(store.latest_created_at()?.as_deref());
        Ok(Self {
            store,
            clock,
            approvals: HashMap::new(),
        })
    }

    fn meta(row: &ProviderRow, ambiguous: bool) -> ProviderMeta {
        ProviderMeta {
            id: row.id.clone(),
            provider_type: row.provider_type,
            label: row.label.clone(),
            domain_suffixes: row.suffixes.clone(),
            secret_ref: row.secret_ref.clone(),
            config_json: row.config_json.clone(),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
            ambiguous,
        }
    }

    /// The provider with its warnings; it is ambiguous exactly when it has
    /// some (a suffix of its own that another provider manages too).
    fn with_warnings(&self, row: &ProviderRow) -> Result<ProviderWithWarnings, DnsError> {
        let warnings = self.store.index().warnings_for(&row.id, &row.suffixes)?;
        Ok(ProviderWithWarnings {
            provider: Self::meta(row, !warnings.is_empty()),
            warnings,
        })
    }

    fn active(&self, id: &str) -> Result<ProviderRow, DnsError> {
        match self.store.get(id)? {
            Some(r) if r.state == ProviderState::Active => Ok(r),
            _ => Err(DnsError::not_found(id)),
        }
    }

    /// Validates a draft (type, label, suffixes, config, token presence) and
    /// assigns the new provider's id. Nothing is stored.
    pub fn prepare_create(&self, draft: &ProviderDraft) -> Result<PreparedProvider, DnsError> {
        let ty = parse_type(&draft.provider_type)?;
        let label = check_label(&draft.label)?;
        let domain_suffixes = parse_suffixes(&draft.domain_suffixes)?;
        let config = ProviderConfig::parse(ty, draft.config_json.as_deref())?;
        let config_json = config.to_json()?;
        check_token(ty, draft.has_token)?;
        let id = shared::ids::new_provider_id().map_err(|e| DnsError::Internal(e.to_string()))?;
        Ok(PreparedProvider {
            id,
            provider_type: ty,
            label,
            domain_suffixes,
            config_json,
            needs_token: ty.needs_token(),
            endpoint: config.endpoint().map(str::to_string),
        })
    }

    /// Stores a prepared provider with the reference of its token secret
    /// (`None` for `manual`). Everything is validated again: the broker is
    /// trusted, the bytes it forwards are not.
    pub fn commit_create(
        &mut self,
        p: PreparedProvider,
        secret_ref: Option<String>,
    ) -> Result<ProviderWithWarnings, DnsError> {
        if !shared::ids::is_provider_id(&p.id) {
            return Err(DnsError::validation("id", "malformed provider id"));
        }
        let ty = p.provider_type;
        check_token(ty, secret_ref.is_some())?;
        if secret_ref
            .as_deref()
            .is_some_and(|r| !shared::ids::is_secret_id(r))
        {
            return Err(DnsError::validation(
                "secretRef",
                "malformed secret reference",
            ));
        }
        let suffixes = parse_suffixes(&SuffixInput::List(p.domain_suffixes))?;
        let config_json = ProviderConfig::parse(ty, Some(&p.config_json))?.to_json()?;
        let label = check_label(&p.label)?;
        let now = self.clock.stamp();
        let row = ProviderRow {
            id: p.id,
            provider_type: ty,
            label,
            suffixes,
            secret_ref,
            config_json,
            created_at: now.clone(),
            updated_at: now,
            state: ProviderState::Active,
        };
        self.store.insert(&row)?;
        self.with_warnings(&row)
    }

    /// The provider as `upd` would leave it, and its new endpoint when that changes.
    fn apply(&self, row: &ProviderRow, upd: &ProviderUpdate) -> Result<Applied, DnsError> {
        let mut next = row.clone();
        if let Some(l) = &upd.label {
            next.label = check_label(l)?;
        }
        if let Some(s) = &upd.domain_suffixes {
            next.suffixes = parse_suffixes(s)?;
        }
        let mut moved = None;
        let old_cfg = ProviderConfig::parse(row.provider_type, Some(&row.config_json))?;
        let mut endpoint = old_cfg.endpoint().map(str::to_string);
        if let Some(c) = &upd.config_json {
            let new_cfg = ProviderConfig::parse(row.provider_type, Some(c))?;
            if endpoint_changed(&old_cfg, &new_cfg) {
                moved = Some(new_cfg.endpoint().map(str::to_string));
            }
            endpoint = new_cfg.endpoint().map(str::to_string);
            next.config_json = new_cfg.to_json()?;
        }
        Ok(Applied {
            next,
            moved,
            endpoint,
        })
    }

    /// Validates an update; `has_token` says whether the UI sent a new token
    /// (the broker keeps the value). Returns the secret ref the broker
    /// replaces the value under. An endpoint change without a token is refused.
    pub fn prepare_update(
        &mut self,
        upd: &ProviderUpdate,
        has_token: bool,
    ) -> Result<PreparedUpdate, DnsError> {
        let row = self.active(&upd.id)?;
        if has_token {
            check_token(row.provider_type, true)?;
            if row.secret_ref.is_none() {
                return Err(DnsError::validation(
                    "apiToken",
                    "this provider has no token secret to replace",
                ));
            }
        }
        let applied = self.apply(&row, upd)?;
        let approval = match applied.moved {
            Some(_) if !has_token => {
                return Err(DnsError::validation(
                    "apiToken",
                    "changing the server of a self-hosted provider requires entering its API token again, so that a stored token is never sent to a new host",
                ))
            }
            Some(endpoint) => {
                // A new approval supersedes any this provider still had.
                self.approvals.retain(|_, a| a.provider_id != row.id);
                let id = approval_id()?;
                self.approvals.insert(
                    id.clone(),
                    Approval {
                        provider_id: row.id.clone(),
                        endpoint,
                        updated_at: row.updated_at.clone(),
                    },
                );
                Some(id)
            }
            None => None,
        };
        Ok(PreparedUpdate {
            id: row.id,
            secret_ref: row.secret_ref,
            approval,
            endpoint: applied.endpoint,
            updated_at: row.updated_at,
        })
    }

    /// Forgets an approval (the broker's flow failed before its commit).
    pub fn drop_approval(&mut self, approval: &str) {
        self.approvals.remove(approval);
    }

    /// Applies an update that `prepare_update` accepted (the token, if any,
    /// already replaced in the vault). An endpoint change is applied only
    /// with the one-time `approval` that `prepare_update` returned for this
    /// provider and this endpoint, and only while the row is as it was then.
    pub fn commit_update(
        &mut self,
        upd: ProviderUpdate,
        approval: Option<&str>,
    ) -> Result<ProviderWithWarnings, DnsError> {
        let row = self.active(&upd.id)?;
        let Applied {
            mut next, moved, ..
        } = self.apply(&row, &upd)?;
        // One-time: consumed whatever happens next.
        let approval = approval.and_then(|a| self.approvals.remove(a));
        if let Some(endpoint) = moved {
            match approval {
                Some(a) if a.provider_id == row.id && a.endpoint == endpoint => {
                    if a.updated_at != row.updated_at {
                        return Err(DnsError::Conflict(
                            "the provider changed after this update was prepared; send the update again"
                                .into(),
                        ));
                    }
                }
                _ => {
                    return Err(DnsError::validation(
                        "apiToken",
                        "changing the server of a self-hosted provider requires entering its API token again",
                    ))
                }
            }
        }
        next.updated_at = self.clock.stamp();
        self.store.update(&next)?;
        self.with_warnings(&next)
    }

    /// Both update steps at once, for callers holding the whole request
    /// (token presence taken from `upd.api_token`; the value is not kept).
    pub fn update(&mut self, upd: &ProviderUpdate) -> Result<ProviderWithWarnings, DnsError> {
        let has_token = upd.api_token.as_ref().is_some_and(|t| !t.is_blank());
        let prepared = self.prepare_update(upd, has_token)?;
        let mut upd = upd.clone();
        upd.api_token = None;
        self.commit_update(upd, prepared.approval.as_deref())
    }

    /// Marks a provider as being deleted (it stops resolving at once) and
    /// returns its token's secret ref for the broker to delete. Resumable:
    /// a provider already being deleted returns its ref again.
    pub fn delete_begin(&mut self, id: &str) -> Result<Option<String>, DnsError> {
        let row = self.store.get(id)?.ok_or_else(|| DnsError::not_found(id))?;
        self.store.mark_deleting(id)?;
        self.approvals.retain(|_, a| a.provider_id != id);
        Ok(row.secret_ref)
    }

    /// Removes a provider whose delete began, once its secret is gone.
    /// Idempotent; refuses a provider whose delete did not begin.
    pub fn delete_finish(&mut self, id: &str) -> Result<(), DnsError> {
        match self.store.get(id)? {
            None => Ok(()),
            Some(r) if r.state == ProviderState::Active => Err(DnsError::Conflict(format!(
                "DNS provider {} is not being deleted",
                shown(id, 64)
            ))),
            Some(_) => {
                self.store.purge(id)?;
                Ok(())
            }
        }
    }

    /// The ids among `ids` that have a row, active or being deleted (at
    /// most [`MAX_EXISTING`] asked at once).
    pub fn existing(&self, ids: &[String]) -> Result<Vec<String>, DnsError> {
        if ids.len() > MAX_EXISTING {
            return Err(DnsError::validation(
                "ids",
                format!("at most {MAX_EXISTING} ids at once"),
            ));
        }
        let mut out = Vec::new();
        for id in ids {
            if self.store.get(id)?.is_some() {
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    /// Providers whose delete did not finish, with their secret refs.
    pub fn list_deleting(&self) -> Result<Vec<(String, Option<String>)>, DnsError> {
        Ok(self
            .store
            .list_deleting()?
            .into_iter()
            .map(|r| (r.id, r.secret_ref))
            .collect())
    }

    /// Every active provider, oldest first, with ambiguity flags: every page
    /// of [`Self::list_page`]. Its answer grows with the number of providers,
    /// so it is for small registries and tests, not for a hot path (the
    /// broker and the UI page with `ListPage`).
    pub fn list(&self) -> Result<Vec<ProviderMeta>, DnsError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, next) = self.list_page(after.as_deref(), LIST_PAGE)?;
            all.extend(page);
            match next {
                Some(n) => after = Some(n),
                None => return Ok(all),
            }
        }
    }

    /// One page of active providers, oldest first, after the provider `after`,
    /// with the cursor of the next page: one query of `dns.sqlite`, the
    /// ambiguity flags included.
    pub fn list_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<ProviderMeta>, Option<String>), DnsError> {
        let Some((rows, next)) = self.store.list_page(after, limit)? else {
            return Err(DnsError::validation(
                "after",
                "`after` does not name an item of this provider list",
            ));
        };
        Ok((
            rows.iter()
                .map(|r| Self::meta(&r.row, r.ambiguous))
                .collect(),
            next,
        ))
    }

    /// One active provider, with its ambiguity warnings.
    pub fn get(&self, id: &str) -> Result<ProviderWithWarnings, DnsError> {
        self.with_warnings(&self.active(id)?)
    }

    /// Number of active providers (counted by `dns.sqlite`).
    pub fn count(&self) -> Result<usize, DnsError> {
        usize::try_from(self.store.count()?).map_err(|e| DnsError::Internal(e.to_string()))
    }

    /// Every suffix that several providers manage, with the one used. Walks
    /// the whole index: for diagnostics, not for a request's path.
    pub fn ambiguities(&self) -> Result<Vec<Ambiguity>, DnsError> {
        self.store.index().ambiguities()
    }

    /// Which provider serves `hostname` (`*.x` resolves as `x`), or manual
    /// instructions for its `_acme-challenge` TXT record carrying `value`.
    pub fn resolve(&self, hostname: &str, value: Option<&str>) -> Result<Resolution, DnsError> {
        let host = normalize_hostname(hostname)?;
        let value = check_value(value)?;
        let Some(m) = self.store.index().resolve(&host)? else {
            return Ok(Resolution::Manual {
                instructions: manual_instructions(&host, value),
            });
        };
        let row = match self.store.get_flagged(&m.used.id)? {
            Some(r) if r.row.state == ProviderState::Active => r,
            _ => {
                return Err(DnsError::Internal(format!(
                    "index names provider {} that is not stored",
                    m.used.id
                )))
            }
        };
        let warnings = m.warning().into_iter().collect();
        Ok(Resolution::Provider {
            provider: Self::meta(&row.row, row.ambiguous),
            matched_suffix: m.suffix,
            warnings,
        })
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "registry_lifecycle_tests.rs"]
mod lifecycle_tests;
