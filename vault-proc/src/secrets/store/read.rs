//! [`Reader`]: the cheap reads of `secrets.sqlite` (one secret's metadata, a
//! list page, a provider token's value) on a read-only connection of their
//! own, so vault-proc's socket thread answers them without handing each
//! request to the store thread and back.
//!
//! It reads what [`SecretStore`](super::SecretStore) reads, with the same
//! row lookups, the same metadata, the same AAD and the same decryption, and
//! never writes: every mutation, unlock and migration stays with the store.
//! It decrypts only while the store has the master key cached (through a
//! [`KeyWatch`]); a locked vault, a busy or failing database, all go back to
//! the store, which answers as it always has.
//!
//! Provider-token rows read for reveals are kept (ciphertext and metadata,
//! never a value) until the store next handles a request
//! ([`Reader::forget_rows`], called by the store under the same lock after
//! every request it handles, so after every write and before its answer
//! leaves): SQLite's per-read file locking and header check cost as much as
//! the rest of a reveal.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::Connection;
use shared::error::WireError;
use shared::protocol::secrets::{
    SecretData, SecretFilter, SecretKind, SecretMeta, SecretSelector, TokenBinding,
};

use super::{binding_of, find_in, list_page_in, local_value, meta, open_row, ListPage};
use crate::secrets::db;
use crate::secrets::error::{VaultError, VaultResult};
use crate::secrets::locked_key::KeyWatch;
use crate::secrets::rows::SecretRow;

/// Most rows kept between two requests the store handles.
const MAX_ROWS: usize = 4096;

/// What a fast read came to.
pub enum Outcome<T> {
    /// The answer, exactly as the store would give it.
    Answer(Result<T, WireError>),
    /// The store must answer (locked vault, database busy or failing).
    Defer,
}

impl<T> Outcome<T> {
    fn of(r: VaultResult<T>) -> Self {
        match r {
            Ok(v) => Outcome::Answer(Ok(v)),
            // Database trouble (e.g. the writer is committing): the store decides.
            Err(VaultError::Db(_)) => Outcome::Defer,
            Err(e) => Outcome::Answer(Err(e.into())),
        }
    }
}

/// A read-only connection to `secrets.sqlite`, opened after the store has
/// opened (and, if needed, migrated) the database.
pub struct Reader {
    conn: Connection,
    /// Token rows read since the store last handled a request, by reference.
    rows: HashMap<String, SecretRow>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reader")
    }
}

impl Reader {
    /// Opens the read-only connection in `data_dir`.
    pub fn open(data_dir: &Path) -> VaultResult<Self> {
        Ok(Self {
            conn: db::open_reader(data_dir)?,
            rows: HashMap::new(),
        })
    }

    /// Metadata of one secret (as `SecretStore::get_meta`).
    pub fn get_meta(&self, selector: &SecretSelector) -> Outcome<SecretMeta> {
        Outcome::of(find_in(&self.conn, selector).map(|r| meta(&r)))
    }

    /// One list page (as `SecretStore::list_page`).
    pub fn list_page(
        &self,
        filter: &SecretFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Outcome<ListPage> {
        Outcome::of(list_page_in(&self.conn, filter, after, limit))
    }

    /// Drops the rows kept for reveals (the store may have changed them).
    pub fn forget_rows(&mut self) {
        self.rows.clear();
    }

    /// The row of reference `id`, kept or read.
    fn token_row(&mut self, id: &str) -> VaultResult<&SecretRow> {
        if !self.rows.contains_key(id) {
            let row = find_in(&self.conn, &SecretSelector::Ref(id.to_string()))?;
            if self.rows.len() >= MAX_ROWS {
                self.rows.clear();
            }
            self.rows.insert(id.to_string(), row);
        }
        self.rows
            .get(id)
            .ok_or_else(|| VaultError::internal("kept row vanished"))
    }

    /// A provider token's value and pairing, as `SecretStore::reveal_token`
    /// gives it, after `admit` accepted the secret's kind and owner (the
    /// caller's rule). Defers when the key is not cached.
    pub fn reveal_token(
        &mut self,
        key: &KeyWatch,
        secret_ref: &str,
        admit: impl FnOnce(SecretKind, Option<&str>) -> Result<(), WireError>,
    ) -> Outcome<(SecretData, Option<TokenBinding>)> {
        let row = match self.token_row(secret_ref) {
            Ok(row) => row,
            Err(e) => return Outcome::of(Err(e)),
        };
        if let Err(e) = admit(row.kind, row.owner.as_deref()) {
            return Outcome::Answer(Err(e));
        }
        let (nonce, ciphertext) = match local_value(row) {
            Ok(v) => v,
            Err(e) => return Outcome::of(Err(e)),
        };
        match key.with(|k| open_row(k, row, nonce, ciphertext)) {
            None => Outcome::Defer,
            Some(opened) => Outcome::of(opened.map(|data| (data, binding_of(row)))),
        }
    }
}
