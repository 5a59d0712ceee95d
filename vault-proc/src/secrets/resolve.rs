//! Resolution of templates: every reference replaced, or nothing at all.
//!
//! A [`ResolutionContext`] lives for one execution (one provider operation,
//! one node run). It fetches each referenced secret once, through a
//! [`SecretFetcher`] (normally [`SecretStore::reveal`]), and keeps the
//! decrypted data cached for the context's lifetime so N references cost one
//! decrypt. Resolution is all-or-nothing: the template is parsed, every
//! secret fetched and every field checked before a single byte of output is
//! written; a missing secret or field is an error that names it. The output is
//! a zeroizing string of exactly the final size, and the cache is wiped when
//! the context is dropped.

use std::collections::BTreeMap;

use shared::error::{ErrorCode, WireError};
use shared::protocol::secrets::{SecretData, SecretSelector};
use zeroize::Zeroizing;

use super::error::VaultError;
use super::store::SecretStore;
use super::template::{self, Segment, TemplateError, MAX_TEMPLATE_BYTES};

/// Largest resolved output, in bytes (the IPC frame cap).
pub const MAX_OUTPUT_BYTES: usize = MAX_TEMPLATE_BYTES;

/// Fetches a secret's data by name for resolution.
pub trait SecretFetcher {
    /// The data of the secret named `name`, or `None` when no such secret exists.
    fn fetch(&mut self, name: &str) -> Result<Option<SecretData>, VaultError>;
}

impl<F> SecretFetcher for F
where
    F: FnMut(&str) -> Result<Option<SecretData>, VaultError>,
{
    fn fetch(&mut self, name: &str) -> Result<Option<SecretData>, VaultError> {
        self(name)
    }
}

impl SecretFetcher for SecretStore {
    fn fetch(&mut self, name: &str) -> Result<Option<SecretData>, VaultError> {
        let selector = SecretSelector::Name(name.to_owned());
        match self.get_meta(&selector) {
            Ok(_) => self.reveal(&selector).map(|(_, data)| Some(data)),
            Err(VaultError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Why a template could not be resolved. Never carries a value.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The template is malformed or too large.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A referenced secret does not exist.
    #[error("secret \"{name}\" (referenced at byte {offset}) does not exist")]
    MissingSecret {
        /// Secret name.
        name: String,
        /// Byte offset of the reference.
        offset: usize,
    },
    /// A referenced field does not exist in its secret.
    #[error("secret \"{name}\" has no field \"{field}\" (referenced at byte {offset})")]
    MissingField {
        /// Secret name.
        name: String,
        /// Field name.
        field: String,
        /// Byte offset of the reference.
        offset: usize,
    },
    /// The substituted text would exceed [`MAX_OUTPUT_BYTES`].
    #[error("the resolved text would be {len} bytes; the limit is {limit} bytes")]
    OutputTooLarge {
        /// Resulting length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The store failed (locked, key mismatch, database).
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl From<ResolveError> for WireError {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::Template(t) => t.into(),
            ResolveError::Vault(v) => v.into(),
            ResolveError::MissingSecret { ref name, offset } => {
                WireError::new(ErrorCode::NotFound, e.to_string())
                    .with_field(name.clone())
                    .with_offset(offset as u64)
            }
            ResolveError::MissingField {
                ref name,
                ref field,
                offset,
            } => WireError::new(ErrorCode::NotFound, e.to_string())
                .with_field(format!("{name}.{field}"))
                .with_offset(offset as u64),
            ResolveError::OutputTooLarge { .. } => {
                WireError::validation(e.to_string()).with_field("template")
            }
        }
    }
}

/// Resolves templates for one execution, caching each secret once.
pub struct ResolutionContext<'a> {
    fetcher: &'a mut dyn SecretFetcher,
    cache: BTreeMap<String, SecretData>,
    fetches: usize,
}

impl<'a> ResolutionContext<'a> {
    /// A context fetching through `fetcher` (a `SecretStore` or a closure).
    pub fn new(fetcher: &'a mut dyn SecretFetcher) -> Self {
        Self {
            fetcher,
            cache: BTreeMap::new(),
            fetches: 0,
        }
    }

    /// How many secrets were fetched (decrypted) so far.
    pub fn fetch_count(&self) -> usize {
        self.fetches
    }

    /// Replaces every reference in `template`, or fails without output.
    pub fn resolve(&mut self, template: &str) -> Result<Zeroizing<String>, ResolveError> {
        let segments = template::parse(template)?;
        for seg in &segments {
            if let Segment::Reference(r) = seg {
                if !self.cache.contains_key(r.name) {
                    let data =
                        self.fetcher
                            .fetch(r.name)?
                            .ok_or_else(|| ResolveError::MissingSecret {
                                name: r.name.to_owned(),
                                offset: r.offset,
                            })?;
                    self.fetches += 1;
                    self.cache.insert(r.name.to_owned(), data);
                }
            }
        }
        let mut len = 0usize;
        for seg in &segments {
            len = len.saturating_add(match seg {
                Segment::Text(t) => t.len(),
                Segment::Reference(r) => self.value(r.name, r.field, r.offset)?.len(),
            });
        }
        if len > MAX_OUTPUT_BYTES {
            return Err(ResolveError::OutputTooLarge {
                len,
                limit: MAX_OUTPUT_BYTES,
            });
        }
        let mut out = Zeroizing::new(String::with_capacity(len));
        for seg in &segments {
            match seg {
                Segment::Text(t) => out.push_str(t),
                // EXPOSE: the value is substituted into the zeroizing output for dns-proc.
                Segment::Reference(r) => out.push_str(self.value(r.name, r.field, r.offset)?),
            }
        }
        Ok(out)
    }

    fn value(&self, name: &str, field: &str, offset: usize) -> Result<&str, ResolveError> {
        self.cache
            .get(name)
            .and_then(|d| d.get(field))
            .map(|v| v.expose())
            .ok_or_else(|| ResolveError::MissingField {
                name: name.to_owned(),
                field: field.to_owned(),
                offset,
            })
    }

    /// Drops (and so zeroizes) every cached secret now.
    pub fn clear(&mut self) {
        self.cache.clear();
    }
}

impl Drop for ResolutionContext<'_> {
    fn drop(&mut self) {
        // SecretString values zeroize themselves as the map drops.
        self.cache.clear();
    }
}

#[cfg(test)]
mod tests;
