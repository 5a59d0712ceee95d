//! [`SecretStore`]: the secret store API the rest of vault-proc uses.
//!
//! It ties the pieces together: validated input ([`super::types`]), rows in
//! `secrets.sqlite` ([`super::rows`]), values sealed under the master key
//! ([`super::crypto`]), and the key itself, fetched from its
//! [`MasterKeySource`] on demand and cached in an mlocked, zeroizing buffer
//! until [`SecretStore::lock`]. The key policy lives in [`key_policy`]: a new
//! key is only ever generated for a database without ciphertext or
//! fingerprint, and a key whose fingerprint differs is refused.
//!
//! Every method blocks (SQLite, and the OS credential store on unlock).

mod key_policy;
pub mod read;

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use shared::protocol::keys::PublicKeyMeta;
use shared::protocol::secrets::{
    ExternalSource, KeySourceState, NewSecret, SecretData, SecretFilter, SecretKind, SecretMeta,
    SecretSelector, SecretType, SecretUpdate, TokenBinding, VaultStatus,
};
use shared::secret::Key32;
use time::OffsetDateTime;

use super::crypto;
use super::db;
use super::error::{VaultError, VaultResult};
use super::locked_key::{KeyWatch, LockedKey};
use super::masterkey::MasterKeySource;
use super::migration::{self, LegacyEntries, MigrationReport};
use super::plaintext;
use super::rows::{self, SecretRow};
use super::types;

/// A secret write that is validated and sealed but not yet committed; see
/// [`SecretStore::commit`].
pub struct Staged {
    row: SecretRow,
    is_new: bool,
}

/// The encrypted secret store of one data dir.
pub struct SecretStore {
    conn: Connection,
    source: Box<dyn MasterKeySource>,
    key: Option<LockedKey>,
    decrypts: u64,
    migration: Option<MigrationReport>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStore")
            .field("key_source", &self.source.source())
            .field("unlocked", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

fn cached(key: &Option<LockedKey>) -> VaultResult<&Key32> {
    key.as_ref()
        .map(LockedKey::key)
        .ok_or_else(|| VaultError::internal("master key not cached after unlock"))
}

/// Current time, microsecond precision (what a stamp keeps), UTC.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// The public half of a key-kind secret. A `private_key` of kind
/// `acme_account_key` or `managed_private_key` is a key the core signs with
/// (what `key_import` takes), or it is refused: such a row is always usable
/// and always carries its `publicKey`. The one other shape of those kinds is
/// an ACME account's EAB HMAC key (`acme_account_key`, `api_key`).
fn public_half(
    kind: SecretKind,
    secret_type: SecretType,
    data: &SecretData,
) -> VaultResult<Option<PublicKeyMeta>> {
    match (kind, secret_type) {
        (SecretKind::AcmeAccountKey | SecretKind::ManagedPrivateKey, SecretType::PrivateKey) => {}
        (SecretKind::AcmeAccountKey, SecretType::ApiKey) => return Ok(None),
        (SecretKind::AcmeAccountKey | SecretKind::ManagedPrivateKey, _) => {
            return Err(VaultError::validation(
                "type",
                format!(
                    "a {} secret is a private_key (or use key_create / key_import){}",
                    kind.as_str(),
                    if kind == SecretKind::AcmeAccountKey {
                        ", or an api_key holding an EAB HMAC key"
                    } else {
                        ""
                    }
                ),
            ));
        }
        _ => return Ok(None),
    }
    // Required field: `types::validate_data` has refused a missing one.
    let Some(pem) = data.get("pem") else {
        return Err(VaultError::validation("data.pem", "is required"));
    };
    // EXPOSE: parsed inside vault-proc to derive the public half; never returned.
    crate::keys::import::from_pem(pem.expose())
        .map(|k| Some(k.public_meta()))
        .map_err(|e| match e {
            crate::keys::KeyError::Crypto(_) => VaultError::internal(e.to_string()),
            refused => VaultError::validation("data.pem", refused.to_string()),
        })
}

fn public_json(public: Option<&PublicKeyMeta>) -> VaultResult<Option<String>> {
    public
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| VaultError::internal(format!("cannot encode a public key: {e}")))
}

/// A timestamp strictly after `previous` (clocks can stand still or step back).
fn bumped(previous: &str) -> String {
    let t = now();
    let t = match types::parse_rfc3339(previous) {
        Ok(p) if p >= t => p + time::Duration::microseconds(1),
        _ => t,
    };
    shared::clock::format_utc(t)
}

fn shown(s: &str) -> String {
    s.chars().take(types::MAX_NAME_LEN).collect()
}

/// The AAD of `row` as stored (bound for a paired provider token).
fn row_aad(row: &SecretRow) -> Vec<u8> {
    crypto::aad_for(
        &row.id,
        row.kind,
        row.secret_type,
        row.owner.as_deref(),
        row.token_binding.as_deref(),
        row.allowed_hosts.as_deref(),
    )
}

/// The stored `allowedHosts` column for `hosts` on a secret of `kind` owned
/// by `owner`: only a generic secret of its own (never a provider token or
/// a key) may be sent by a workflow.
fn hosts_column(
    kind: SecretKind,
    secret_type: SecretType,
    owner: Option<&str>,
    hosts: &[String],
) -> VaultResult<String> {
    if kind != SecretKind::Generic || owner.is_some() || secret_type == SecretType::PrivateKey {
        return Err(VaultError::Forbidden(
            "allowedHosts is for generic secrets only: provider tokens and keys never go into a workflow request".into(),
        ));
    }
    crate::resolve::canonical_hosts(hosts)
}

/// The stored binding column for `binding` on a secret of `kind` owned by
/// `owner`: only provider tokens are bound, and only to their own owner.
fn binding_column(
    kind: SecretKind,
    owner: Option<&str>,
    binding: &TokenBinding,
) -> VaultResult<String> {
    if kind != SecretKind::DnsProviderToken || owner != Some(binding.owner.as_str()) {
        return Err(VaultError::Forbidden(
            "only a provider token is bound, and only to its own provider".into(),
        ));
    }
    match &binding.endpoint {
        Some(e) if e.is_empty() || e.len() > 2048 => Err(VaultError::validation(
            "binding",
            "an endpoint binding must be 1 to 2048 bytes",
        )),
        Some(e) => Ok(e.clone()),
        None => Ok(String::new()),
    }
}

fn meta(row: &SecretRow) -> SecretMeta {
    let expired = row
        .expires_at
        .as_deref()
        .and_then(|e| types::parse_rfc3339(e).ok())
        .is_some_and(|e| e <= OffsetDateTime::now_utc());
    SecretMeta {
        reference: row.id.clone(),
        name: row.name.clone(),
        kind: row.kind,
        secret_type: row.secret_type,
        label: row.label.clone(),
        description: row.description.clone(),
        tags: row.tags.clone(),
        fields: row.fields.clone(),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
        owner: row.owner.clone(),
        expires_at: row.expires_at.clone(),
        expired,
        external: row
            .external_path
            .clone()
            .map(|path| ExternalSource { path }),
        has_local_value: row.ciphertext.is_some(),
        public_key: row
            .public_key
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        allowed_hosts: row
            .allowed_hosts
            .as_deref()
            .map(crate::resolve::parse_hosts),
    }
}

impl SecretStore {
    /// Opens the store in `data_dir` (creating `secrets.sqlite` if needed).
    ///
    /// Probes the key source first (a locked or missing credential store fails
    /// here, fast, with a message saying what to do), then runs the one-time
    /// migration from per-secret keyring entries when the database needs it.
    /// Does not unlock otherwise.
    pub fn open(data_dir: &Path, source: Box<dyn MasterKeySource>) -> VaultResult<Self> {
        let legacy = source.legacy_entries();
        Self::open_with_legacy(data_dir, source, legacy)
    }

    /// [`open`](Self::open) with an explicit accessor for the old per-secret entries.
    pub fn open_with_legacy(
        data_dir: &Path,
        source: Box<dyn MasterKeySource>,
        legacy: Option<Box<dyn LegacyEntries>>,
    ) -> VaultResult<Self> {
        source.probe()?;
        let conn = super::db::open(data_dir)?;
        let mut store = Self {
            conn,
            source,
            key: None,
            decrypts: 0,
            migration: None,
        };
        store.migrate(legacy.as_deref())?;
        Ok(store)
    }

    fn migrate(&mut self, legacy: Option<&dyn LegacyEntries>) -> VaultResult<()> {
        if !migration::pending(&self.conn)? {
            return Ok(());
        }
        let Some(legacy) = legacy else {
            tracing::warn!(
                key_source = self.source.source().as_str(),
                "secrets.sqlite still has secrets in the old per-secret keyring format, but this \
                 key source cannot reach those entries; they stay unmigrated"
            );
            return Ok(());
        };
        if migration::needs_key(&self.conn)? {
            self.unlock()?;
        }
        let key = self.key.as_ref().map(LockedKey::key);
        let report = migration::run(&mut self.conn, key, legacy)?;
        tracing::info!(
            migrated = report.migrated,
            orphans_removed = report.orphans_removed,
            failed = report.failed.len(),
            completed = report.completed,
            "migration from per-secret keyring entries"
        );
        self.migration = Some(report);
        Ok(())
    }

    /// What the migration did at open, if it ran.
    pub fn migration_report(&self) -> Option<&MigrationReport> {
        self.migration.as_ref()
    }

    /// Lock state and key source; never unlocks.
    pub fn status(&self) -> VaultStatus {
        VaultStatus {
            unlocked: self.is_unlocked(),
            key_source: KeySourceState::Ready(self.source.source()),
        }
    }

    /// True when the master key is cached in memory.
    pub fn is_unlocked(&self) -> bool {
        self.key.is_some()
    }

    /// Zeroizes and drops the cached master key. The next operation that
    /// needs it unlocks again (that is when the OS may prompt).
    pub fn lock(&mut self) {
        self.key = None;
    }

    /// Loads and verifies the master key (generating it on first use of an
    /// empty vault) and caches it.
    pub fn unlock(&mut self) -> VaultResult<()> {
        if self.key.is_none() {
            let key = key_policy::load_verified_key(&self.conn, self.source.as_ref())?;
            self.key = Some(LockedKey::new(key));
        }
        Ok(())
    }

    /// How many values have been decrypted since open (for cache tests and metrics).
    pub fn decrypt_count(&self) -> u64 {
        self.decrypts
    }

    fn find(&self, selector: &SecretSelector) -> VaultResult<SecretRow> {
        find_in(&self.conn, selector)
    }

    /// A view of the cached master key for the socket thread's fast reads
    /// ([`read::Reader`]); it finds nothing once the vault is locked.
    pub fn key_watch(&self) -> KeyWatch {
        self.key.as_ref().map(LockedKey::watch).unwrap_or_default()
    }

    fn seal(&mut self, row: &mut SecretRow, data: &SecretData) -> VaultResult<()> {
        self.unlock()?;
        let plain = plaintext::encode(data)?;
        let aad = row_aad(row);
        let sealed = crypto::seal(cached(&self.key)?, &aad, &plain)?;
        row.nonce = Some(sealed.nonce.to_vec());
        row.ciphertext = Some(sealed.ciphertext);
        row.fields = data.keys().cloned().collect();
        Ok(())
    }

    /// Creates a secret and returns its metadata (never its value). A key
    /// kind gets its public half recorded (and must have one).
    pub fn create(&mut self, new: NewSecret) -> VaultResult<SecretMeta> {
        let public = public_half(new.kind, new.secret_type, &new.data)?;
        self.create_with_public(new, public)
    }

    /// [`create`](Self::create) with the public half already known (the key
    /// paths, which just built the key).
    pub fn create_with_public(
        &mut self,
        new: NewSecret,
        public: Option<PublicKeyMeta>,
    ) -> VaultResult<SecretMeta> {
        let staged = self.stage_create(new, public)?;
        self.commit(staged, |_, _| Ok(()))
    }

    /// Validates and seals a new secret without writing it.
    pub fn stage_create(
        &mut self,
        new: NewSecret,
        public: Option<PublicKeyMeta>,
    ) -> VaultResult<Staged> {
        types::validate_name(&new.name)?;
        let label = types::validate_label(new.label.as_deref())?;
        let description = types::validate_description(new.description.as_deref())?;
        let tags = types::validate_tags(&new.tags)?;
        types::validate_owner(new.owner.as_deref())?;
        if let Some(ext) = &new.external {
            types::validate_external_path(&ext.path)?;
        }
        let local = new.external.is_none() || !new.data.is_empty();
        let facts = if local {
            types::validate_data(new.secret_type, &new.data)?
        } else {
            types::DataFacts::default()
        };
        if rows::by_name(&self.conn, &new.name)?.is_some() {
            return Err(VaultError::Conflict { name: new.name });
        }
        let token_binding = match &new.binding {
            Some(b) => Some(binding_column(new.kind, new.owner.as_deref(), b)?),
            None => None,
        };
        let allowed_hosts = match &new.allowed_hosts {
            Some(_) if !local => {
                return Err(VaultError::validation(
                    "allowedHosts",
                    "allowedHosts is sealed with a local copy of the value: give `data` too",
                ));
            }
            Some(h) => Some(hosts_column(
                new.kind,
                new.secret_type,
                new.owner.as_deref(),
                h,
            )?),
            None => None,
        };
        let at = shared::clock::format_utc(now());
        let mut row = SecretRow {
            id: shared::ids::new_secret_id()?,
            name: new.name,
            kind: new.kind,
            secret_type: new.secret_type,
            label,
            description,
            tags,
            fields: Vec::new(),
            owner: new.owner,
            expires_at: facts.expires_at,
            external_path: new.external.map(|e| e.path),
            created_at: at.clone(),
            updated_at: at,
            nonce: None,
            ciphertext: None,
            token_binding,
            public_key: public_json(public.as_ref())?,
            allowed_hosts,
        };
        if local {
            self.seal(&mut row, &new.data)?;
        }
        Ok(Staged { row, is_new: true })
    }

    /// Writes a staged secret and whatever `also` writes in the same
    /// transaction: both land or neither does.
    pub fn commit(
        &mut self,
        staged: Staged,
        also: impl FnOnce(&Transaction<'_>, &SecretMeta) -> VaultResult<()>,
    ) -> VaultResult<SecretMeta> {
        let Staged { row, is_new } = staged;
        let written = meta(&row);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if is_new {
            rows::insert(&tx, &row)?;
        } else {
            rows::update(&tx, &row)?;
        }
        also(&tx, &written)?;
        tx.commit()?;
        Ok(written)
    }

    /// Updates a secret in place: same id, name and createdAt; a newer
    /// updatedAt; new data is re-encrypted with a fresh nonce.
    pub fn update(
        &mut self,
        selector: &SecretSelector,
        update: SecretUpdate,
    ) -> VaultResult<SecretMeta> {
        let staged = self.stage_update(selector, update)?;
        self.commit(staged, |_, _| Ok(()))
    }

    /// Validates and seals an update without writing it.
    pub fn stage_update(
        &mut self,
        selector: &SecretSelector,
        update: SecretUpdate,
    ) -> VaultResult<Staged> {
        let mut row = self.find(selector)?;
        if let Some(l) = update.label.as_deref() {
            row.label = types::validate_label(Some(l))?;
        }
        if let Some(d) = update.description.as_deref() {
            row.description = types::validate_description(Some(d))?;
        }
        if let Some(t) = update.tags.as_deref() {
            row.tags = types::validate_tags(t)?;
        }
        let binding = match &update.binding {
            Some(b) => Some(binding_column(row.kind, row.owner.as_deref(), b)?),
            None => None,
        };
        if let Some(h) = &update.allowed_hosts {
            let wanted = hosts_column(row.kind, row.secret_type, row.owner.as_deref(), h)?;
            if row.allowed_hosts.as_deref() != Some(wanted.as_str()) {
                if update.data.is_none() {
                    return Err(VaultError::Forbidden(
                        "allowedHosts changes only when the value is entered again (give `data` with it)".into(),
                    ));
                }
                row.allowed_hosts = Some(wanted);
            }
        }
        if let Some(data) = &update.data {
            let facts = types::validate_data(row.secret_type, data)?;
            row.expires_at = facts.expires_at;
            row.public_key = public_json(public_half(row.kind, row.secret_type, data)?.as_ref())?;
            if binding.is_some() {
                row.token_binding = binding;
            }
            self.seal(&mut row, data)?;
        } else if let Some(b) = binding {
            match &row.token_binding {
                // Already paired so: nothing to write.
                Some(current) if *current == b => return Ok(Staged { row, is_new: false }),
                Some(_) => {
                    return Err(VaultError::Forbidden(
                        "a provider token is paired with another endpoint only when its value is entered again".into(),
                    ))
                }
                // Sealed before bindings existed: bound once (migration).
                None => {
                    let (_, data) = self.reveal(&SecretSelector::Ref(row.id.clone()))?;
                    row.token_binding = Some(b);
                    self.seal(&mut row, &data)?;
                }
            }
        }
        row.updated_at = bumped(&row.updated_at);
        Ok(Staged { row, is_new: false })
    }

    /// First half of a two-step replacement: validates and seals `update`
    /// (data, and the pairing it comes with) but keeps the value in force
    /// unchanged; [`Self::commit_pending`] swaps it in, [`Self::discard_pending`]
    /// drops it. `guard` records the owner's state at preparation.
    pub fn stage_pending(
        &mut self,
        selector: &SecretSelector,
        update: SecretUpdate,
        guard: &str,
    ) -> VaultResult<SecretMeta> {
        if update.data.is_none() {
            return Err(VaultError::validation("data", "a staged update needs data"));
        }
        let current = self.find(selector)?;
        let Staged { row, .. } = self.stage_update(selector, update)?;
        let (Some(nonce), Some(ciphertext)) = (row.nonce.clone(), row.ciphertext.clone()) else {
            return Err(VaultError::internal("a staged value was not sealed"));
        };
        let pending = db::PendingValue {
            id: row.id.clone(),
            nonce,
            ciphertext,
            token_binding: row.token_binding.clone(),
            fields: serde_json::to_string(&row.fields)
                .map_err(|e| VaultError::internal(format!("field names: {e}")))?,
            expires_at: row.expires_at.clone(),
            guard: guard.to_string(),
        };
        self.transact(|tx| db::pending_put(tx, &pending))?;
        Ok(meta(&current))
    }

    /// Second half of a two-step replacement: the pending value takes effect
    /// (one transaction); `not_found` when there is none.
    pub fn commit_pending(&mut self, selector: &SecretSelector) -> VaultResult<SecretMeta> {
        let mut row = self.find(selector)?;
        let Some(p) = db::pending_get(&self.conn, &row.id)? else {
            return Err(VaultError::not_found(format!(
                "a staged value for secret {}",
                shown(&row.id)
            )));
        };
        row.fields = serde_json::from_str(&p.fields)
            .map_err(|e| VaultError::internal(format!("staged field names: {e}")))?;
        row.nonce = Some(p.nonce);
        row.ciphertext = Some(p.ciphertext);
        row.token_binding = p.token_binding;
        row.expires_at = p.expires_at;
        row.updated_at = bumped(&row.updated_at);
        let id = row.id.clone();
        self.commit(Staged { row, is_new: false }, |tx, _| {
            db::pending_delete(tx, &id)
        })
    }

    /// Drops the pending value of a secret; the value in force stays.
    pub fn discard_pending(&mut self, selector: &SecretSelector) -> VaultResult<()> {
        let row = self.find(selector)?;
        self.transact(|tx| db::pending_delete(tx, &row.id))
    }

    /// Secrets with a pending value, with their owner and guard.
    pub fn list_pending(&self) -> VaultResult<Vec<(SecretMeta, String)>> {
        let mut out = Vec::new();
        for p in db::pending_list(&self.conn)? {
            match self.find(&SecretSelector::Ref(p.id.clone())) {
                Ok(row) => out.push((meta(&row), p.guard)),
                // The secret is gone: its pending value goes with it.
                Err(VaultError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Deletes a secret; returns the metadata it had.
    pub fn delete(&mut self, selector: &SecretSelector) -> VaultResult<SecretMeta> {
        self.delete_with(selector, |_| Ok(()))
    }

    /// Deletes a secret and whatever `also` deletes, in one transaction.
    pub fn delete_with(
        &mut self,
        selector: &SecretSelector,
        also: impl FnOnce(&Transaction<'_>) -> VaultResult<()>,
    ) -> VaultResult<SecretMeta> {
        let row = self.find(selector)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        rows::delete(&tx, &row.id)?;
        db::pending_delete(&tx, &row.id)?;
        also(&tx)?;
        tx.commit()?;
        Ok(meta(&row))
    }

    /// Runs `write` on the other tables of `secrets.sqlite` in one transaction.
    pub fn transact(
        &mut self,
        write: impl FnOnce(&Transaction<'_>) -> VaultResult<()>,
    ) -> VaultResult<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        write(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes every secret owned by `owner` (e.g. a deleted DNS provider); returns how many.
    pub fn delete_owned_by(&mut self, owner: &str) -> VaultResult<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = rows::delete_by_owner(&tx, owner)?;
        tx.commit()?;
        Ok(n)
    }

    /// Metadata of all secrets matching `filter`, ordered by name.
    pub fn list(&self, filter: &SecretFilter) -> VaultResult<Vec<SecretMeta>> {
        Ok(rows::list(&self.conn, filter.kind, filter.secret_type)?
            .iter()
            .filter(|r| filter.tag.as_ref().is_none_or(|t| r.tags.contains(t)))
            .map(meta)
            .collect())
    }

    /// One page of [`list`](Self::list): at most `limit` secrets named after
    /// `after` (which must name a secret the filter admits), and the cursor of
    /// the next page. Reads only the rows of the page (one index range).
    pub fn list_page(
        &self,
        filter: &SecretFilter,
        after: Option<&str>,
        limit: u32,
    ) -> VaultResult<ListPage> {
        list_page_in(&self.conn, filter, after, limit)
    }

    /// Metadata of one secret.
    pub fn get_meta(&self, selector: &SecretSelector) -> VaultResult<SecretMeta> {
        self.find(selector).map(|r| meta(&r))
    }

    /// The database connection, for reads of the other tables of
    /// `secrets.sqlite` through `db.rs` (the external provider's row).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Decrypts a secret's local value (Rust-internal; never sent to the UI).
    pub fn reveal(&mut self, selector: &SecretSelector) -> VaultResult<(SecretMeta, SecretData)> {
        let row = self.find(selector)?;
        let (nonce, ciphertext) = local_value(&row)?;
        self.unlock()?;
        self.decrypts += 1;
        let data = open_row(cached(&self.key)?, &row, nonce, ciphertext)?;
        Ok((meta(&row), data))
    }

    /// Decrypts a provider token with the pairing it was sealed with (the
    /// AAD authenticates it: an edited owner or binding does not open).
    /// `None` for a token sealed before bindings existed.
    pub fn reveal_token(
        &mut self,
        selector: &SecretSelector,
    ) -> VaultResult<(SecretMeta, SecretData, Option<TokenBinding>)> {
        let row = self.find(selector)?;
        let (meta, data) = self.reveal(selector)?;
        Ok((meta, data, binding_of(&row)))
    }
}

/// A page of secret metadata: the items and the next page's cursor, or the
/// cursor was not an item of the list.
pub type ListPage = Result<(Vec<SecretMeta>, Option<String>), shared::error::WireError>;

fn admits(filter: &SecretFilter, row: &SecretRow) -> bool {
    filter.kind.is_none_or(|k| row.kind == k)
        && filter.secret_type.is_none_or(|t| row.secret_type == t)
        && filter.tag.as_ref().is_none_or(|t| row.tags.contains(t))
}

fn list_page_in(
    conn: &Connection,
    filter: &SecretFilter,
    after: Option<&str>,
    limit: u32,
) -> VaultResult<ListPage> {
    if let Some(cursor) = after {
        // Same rule as `shared::protocol::page::page`: the cursor names an item of this list.
        if !rows::by_name(conn, cursor)?.is_some_and(|r| admits(filter, &r)) {
            return Ok(Err(shared::error::WireError::validation(
                "`after` does not name an item of this secret list",
            )
            .with_field("after")));
        }
    }
    if limit == 0 {
        return Ok(Ok((Vec::new(), None)));
    }
    let mut items = Vec::new();
    let mut more = false;
    rows::scan_after(conn, filter.kind, filter.secret_type, after, |row| {
        if !admits(filter, &row) {
            return true;
        }
        if items.len() == limit as usize {
            more = true;
            return false;
        }
        items.push(meta(&row));
        true
    })?;
    let next = match items.last() {
        Some(last) if more => Some(last.name.clone()),
        _ => None,
    };
    Ok(Ok((items, next)))
}

/// The row `selector` names, or `not_found`.
fn find_in(conn: &Connection, selector: &SecretSelector) -> VaultResult<SecretRow> {
    let (row, what) = match selector {
        SecretSelector::Ref(id) => (rows::by_id(conn, id)?, format!("secret {}", shown(id))),
        SecretSelector::Name(n) => (
            rows::by_name(conn, n)?,
            format!("secret named \"{}\"", shown(n)),
        ),
    };
    row.ok_or_else(|| VaultError::not_found(what))
}

/// The sealed local value of `row`, or `not_found` for an external-only secret.
fn local_value(row: &SecretRow) -> VaultResult<(&[u8], &[u8])> {
    match (&row.nonce, &row.ciphertext) {
        (Some(nonce), Some(ciphertext)) => Ok((nonce, ciphertext)),
        _ => Err(VaultError::not_found(format!(
            "a local value for secret \"{}\" (it is sourced externally)",
            row.name
        ))),
    }
}

/// Opens `row`'s sealed value under `key` (the AAD binds id, kind, type,
/// owner and pairing) and decodes it.
fn open_row(
    key: &Key32,
    row: &SecretRow,
    nonce: &[u8],
    ciphertext: &[u8],
) -> VaultResult<SecretData> {
    let aad = row_aad(row);
    let plain = crypto::open(key, &aad, nonce, ciphertext, &row.id)?;
    plaintext::decode(&plain)
}

/// The pairing a provider token was sealed with (`None` before bindings existed).
fn binding_of(row: &SecretRow) -> Option<TokenBinding> {
    row.token_binding.as_ref().map(|b| TokenBinding {
        owner: row.owner.clone().unwrap_or_default(),
        endpoint: (!b.is_empty()).then(|| b.clone()),
    })
}

#[cfg(test)]
mod key_tests;
#[cfg(test)]
mod safety_tests;
#[cfg(test)]
mod tests;
