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

use std::path::Path;

use rusqlite::Connection;
use shared::error::WireError;
use shared::protocol::secrets::{
    SecretData, SecretFilter, SecretMeta, SecretSelector, TokenBinding,
};

use super::{binding_of, find_in, list_page_in, local_value, meta, open_row, ListPage};
use crate::secrets::db;
use crate::secrets::error::{VaultError, VaultResult};
use crate::secrets::locked_key::KeyWatch;

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

    /// A provider token's value and pairing, as `SecretStore::reveal_token`
    /// gives it, after `admit` accepted the secret's metadata (the caller's
    /// kind and owner rule). Defers when the key is not cached.
    pub fn reveal_token(
        &self,
        key: &KeyWatch,
        selector: &SecretSelector,
        admit: impl FnOnce(&SecretMeta) -> Result<(), WireError>,
    ) -> Outcome<(SecretData, Option<TokenBinding>)> {
        let row = match find_in(&self.conn, selector) {
            Ok(row) => row,
            Err(e) => return Outcome::of(Err(e)),
        };
        if let Err(e) = admit(&meta(&row)) {
            return Outcome::Answer(Err(e));
        }
        let (nonce, ciphertext) = match local_value(&row) {
            Ok(v) => v,
            Err(e) => return Outcome::of(Err(e)),
        };
        match key.with(|k| open_row(k, &row, nonce, ciphertext)) {
            None => Outcome::Defer,
            Some(opened) => Outcome::of(opened.map(|data| (data, binding_of(&row)))),
        }
    }
}
