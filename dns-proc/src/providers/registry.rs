//! The provider registry: validation, persistence and the suffix index kept
//! in step. Tokens never pass through here: the broker stores a provider's
//! token in vault-proc and hands dns-proc only its reference.

use std::path::Path;

use shared::protocol::dns::{
    ManualInstructions, ProviderMeta, ProviderType, ProviderUpdate, ProviderWithWarnings,
    Resolution,
};
use shared::protocol::dnsproc::{PreparedProvider, PreparedUpdate, ProviderDraft};

use super::config::ProviderConfig;
use super::index::{ambiguity_warning, Entry, SuffixIndex};
use super::store::{ProviderRow, ProviderStore};
use super::suffix::{normalize_hostname, parse_suffixes};
use super::DnsError;

/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 128;

/// Providers, persisted and indexed.
pub struct ProviderRegistry {
    store: ProviderStore,
    index: SuffixIndex,
}

/// Current time as fixed-width RFC 3339 UTC (microseconds), so that string
/// order is time order.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    )
}

fn parse_type(s: &str) -> Result<ProviderType, DnsError> {
    ProviderType::parse(s.trim()).ok_or_else(|| {
        let shown: String = s.chars().take(40).collect();
        DnsError::validation(
            "type",
            format!(
                "unsupported provider type `{shown}`; supported types: {}",
                ProviderType::supported_list()
            ),
        )
    })
}

fn check_label(label: &str) -> Result<String, DnsError> {
    let l = label.trim();
    if l.is_empty() {
        return Err(DnsError::validation("label", "label must not be empty"));
    }
    if l.chars().count() > MAX_LABEL_CHARS || l.chars().any(char::is_control) {
        return Err(DnsError::validation(
            "label",
            format!("label must be at most {MAX_LABEL_CHARS} printable characters"),
        ));
    }
    Ok(l.to_string())
}

fn entry(row: &ProviderRow) -> Entry {
    Entry {
        id: row.id.clone(),
        label: row.label.clone(),
        created_at: row.created_at.clone(),
    }
}

impl ProviderRegistry {
    /// Opens `dns.sqlite` and builds the index.
    pub fn open(data_dir: &Path) -> Result<Self, DnsError> {
        let store = ProviderStore::open(data_dir)?;
        let mut index = SuffixIndex::default();
        for row in store.list("active")? {
            index.insert(entry(&row), &row.suffixes);
        }
        Ok(Self { store, index })
    }

    fn meta(&self, row: &ProviderRow) -> Result<ProviderMeta, DnsError> {
        Ok(ProviderMeta {
            id: row.id.clone(),
            provider_type: parse_type(&row.provider_type)?,
            label: row.label.clone(),
            domain_suffixes: row.suffixes.clone(),
            secret_ref: row.secret_ref.clone(),
            config_json: row.config_json.clone(),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
            ambiguous: !self.index.warnings_for(&row.id).is_empty(),
        })
    }

    fn active(&self, id: &str) -> Result<ProviderRow, DnsError> {
        match self.store.get(id)? {
            Some(r) if r.state == "active" => Ok(r),
            _ => Err(DnsError::NotFound(id.chars().take(64).collect())),
        }
    }

    fn with_warnings(&self, row: &ProviderRow) -> Result<ProviderWithWarnings, DnsError> {
        Ok(ProviderWithWarnings {
            provider: self.meta(row)?,
            warnings: self.index.warnings_for(&row.id),
        })
    }

    /// Validates a draft and assigns the new provider's id.
    pub fn prepare_create(&self, draft: &ProviderDraft) -> Result<PreparedProvider, DnsError> {
        let ty = parse_type(&draft.provider_type)?;
        let label = check_label(&draft.label)?;
        let suffixes = parse_suffixes(&draft.domain_suffixes)?;
        let config = ProviderConfig::parse(ty, draft.config_json.as_deref())?;
        match (ty.needs_token(), draft.has_token) {
            (true, false) => {
                return Err(DnsError::validation(
                    "apiToken",
                    format!("a {} provider needs an API token", ty.as_str()),
                ))
            }
            (false, true) => {
                return Err(DnsError::validation(
                    "apiToken",
                    "a manual provider takes no API token",
                ))
            }
            _ => {}
        }
        let id = shared::ids::new_provider_id().map_err(|e| DnsError::Internal(e.to_string()))?;
        Ok(PreparedProvider {
            id,
            provider_type: ty.as_str().to_string(),
            label,
            domain_suffixes: suffixes,
            config_json: config.to_json(),
            needs_token: ty.needs_token(),
        })
    }

    /// Stores a prepared provider (validated again: the broker is trusted, the bytes are not).
    pub fn commit_create(
        &mut self,
        p: PreparedProvider,
        secret_ref: Option<String>,
    ) -> Result<ProviderWithWarnings, DnsError> {
        let ty = parse_type(&p.provider_type)?;
        if !shared::ids::is_provider_id(&p.id) {
            return Err(DnsError::validation("id", "malformed provider id"));
        }
        if ty.needs_token() != secret_ref.is_some() {
            return Err(DnsError::validation(
                "apiToken",
                "token presence does not match the provider type",
            ));
        }
        let suffixes =
            parse_suffixes(&shared::protocol::dns::SuffixInput::List(p.domain_suffixes))?;
        let config = ProviderConfig::parse(ty, Some(&p.config_json))?;
        let now = now_rfc3339();
        let row = ProviderRow {
            id: p.id,
            provider_type: ty.as_str().to_string(),
            label: check_label(&p.label)?,
            suffixes,
            secret_ref,
            config_json: config.to_json(),
            created_at: now.clone(),
            updated_at: now,
            state: "active".into(),
        };
        self.store.insert(&row)?;
        self.index.insert(entry(&row), &row.suffixes);
        self.with_warnings(&row)
    }

    fn apply(
        &self,
        row: &ProviderRow,
        upd: &ProviderUpdate,
        has_token: bool,
    ) -> Result<ProviderRow, DnsError> {
        let ty = parse_type(&row.provider_type)?;
        let mut next = row.clone();
        if let Some(l) = &upd.label {
            next.label = check_label(l)?;
        }
        if let Some(s) = &upd.domain_suffixes {
            next.suffixes = parse_suffixes(s)?;
        }
        if let Some(c) = &upd.config_json {
            let new_cfg = ProviderConfig::parse(ty, Some(c))?;
            let old_cfg = ProviderConfig::parse(ty, Some(&row.config_json))?;
            if new_cfg.endpoint() != old_cfg.endpoint() && !has_token {
                return Err(DnsError::validation(
                    "apiToken",
                    "changing the server of a self-hosted provider requires the API token again, so a stored token is never sent to a new host",
                ));
            }
            next.config_json = new_cfg.to_json();
        }
        if has_token && row.secret_ref.is_none() {
            return Err(DnsError::validation(
                "apiToken",
                format!("a {} provider takes no API token", ty.as_str()),
            ));
        }
        Ok(next)
    }

    /// Validates an update; returns the provider's secret ref for the token step.
    pub fn prepare_update(
        &self,
        upd: &ProviderUpdate,
        has_token: bool,
    ) -> Result<PreparedUpdate, DnsError> {
        let row = self.active(&upd.id)?;
        self.apply(&row, upd, has_token)?;
        Ok(PreparedUpdate {
            id: row.id,
            secret_ref: row.secret_ref,
        })
    }

    /// Applies an update (token handled by the broker before this).
    pub fn commit_update(&mut self, upd: ProviderUpdate) -> Result<ProviderWithWarnings, DnsError> {
        let row = self.active(&upd.id)?;
        // The token (if any) was accepted in prepare_update; an endpoint change is
        // only reachable here after that check passed.
        let mut next = self.apply(&row, &upd, true)?;
        next.updated_at = now_rfc3339();
        self.store.update(&next)?;
        self.index.insert(entry(&next), &next.suffixes);
        self.with_warnings(&next)
    }

    /// Marks a provider deleted-in-progress; returns its secret ref.
    pub fn delete_begin(&mut self, id: &str) -> Result<Option<String>, DnsError> {
        let row = match self.store.get(id)? {
            Some(r) => r,
            None => return Err(DnsError::NotFound(id.chars().take(64).collect())),
        };
        self.store.mark_deleting(id)?;
        self.index.remove(id);
        Ok(row.secret_ref)
    }

    /// Removes a provider after its secret is gone.
    pub fn delete_finish(&mut self, id: &str) -> Result<(), DnsError> {
        self.index.remove(id);
        self.store.purge(id)
    }

    /// Providers whose delete did not finish, with their secret refs.
    pub fn list_deleting(&self) -> Result<Vec<(String, Option<String>)>, DnsError> {
        Ok(self
            .store
            .list("deleting")?
            .into_iter()
            .map(|r| (r.id, r.secret_ref))
            .collect())
    }

    /// Every active provider, oldest first, with ambiguity flags.
    pub fn list(&self) -> Result<Vec<ProviderMeta>, DnsError> {
        let ambiguous = self.index.ambiguous_ids();
        self.store
            .list("active")?
            .iter()
            .map(|r| {
                let mut m = self.meta(r)?;
                m.ambiguous = ambiguous.contains(r.id.as_str());
                Ok(m)
            })
            .collect()
    }

    /// One active provider.
    pub fn get(&self, id: &str) -> Result<ProviderWithWarnings, DnsError> {
        let row = self.active(id)?;
        self.with_warnings(&row)
    }

    /// Which provider serves `hostname`, or manual instructions.
    pub fn resolve(&self, hostname: &str, value: Option<&str>) -> Result<Resolution, DnsError> {
        let host = normalize_hostname(hostname)?;
        if let Some(m) = self.index.resolve(&host) {
            let warnings = if m.all.len() > 1 {
                vec![ambiguity_warning(m.suffix, m.all)]
            } else {
                Vec::new()
            };
            let row = self.active(&m.used.id)?;
            return Ok(Resolution::Provider {
                provider: self.meta(&row)?,
                matched_suffix: m.suffix.to_string(),
                warnings,
            });
        }
        let record_name = format!("_acme-challenge.{host}");
        Ok(Resolution::Manual {
            instructions: ManualInstructions {
                check: format!("dig +short TXT {record_name}"),
                record_name,
                record_type: "TXT".into(),
                value: value.map(str::to_string),
            },
        })
    }

    /// In-process resolution without building metadata (benchmarks).
    pub fn resolve_id(&self, hostname: &str) -> Option<&str> {
        self.index.resolve(hostname).map(|m| m.used.id.as_str())
    }
}
