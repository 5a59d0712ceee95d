//! The key requests as vault-proc serves them, each with its checks in one
//! place: which kinds of secret a request may use, which permit it needs,
//! and what the permit must name (key, directory origin, certificate names).
//!
//! The order is the same everywhere: validate the input, find a live permit
//! that covers it (`forbidden` otherwise, before the key is even looked up),
//! check the secret's kind and type, then load the key and use it.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use shared::error::{WireError, WireResult};
use shared::protocol::keys::{FlattenedJws, ImportKey, JwsSigner, KeyType, NewKey, PublicKeyInfo};
use shared::protocol::secrets::{
    NewSecret, SecretData, SecretKind, SecretMeta, SecretSelector, SecretType,
};
use shared::protocol::vault::VaultRequest;
use shared::secret::SecretString;
use zeroize::Zeroizing;

use super::cache::KeyCache;
use super::grant::{normalize_name, origin_of, MAX_NAMES};
use super::{csr, generate, import, jws, VaultKey};
use crate::permits::{AcmeView, Permits};
use crate::secrets::SecretStore;

/// Largest JWS payload dns-proc may have signed.
pub const MAX_PAYLOAD: usize = 256 * 1024;

/// Kinds whose private keys sign ACME requests (account keys; certificate
/// keys for revocation by certificate key).
const JWS_KINDS: &[SecretKind] = &[SecretKind::AcmeAccountKey, SecretKind::ManagedPrivateKey];
/// Kinds whose keys go into a CSR.
const CSR_KINDS: &[SecretKind] = &[SecretKind::ManagedPrivateKey];

/// The state a key request works on.
pub struct KeyOps<'a> {
    /// The secret store.
    pub store: &'a mut SecretStore,
    /// Live permits.
    pub permits: &'a mut Permits,
    /// Keys loaded while unlocked.
    pub cache: &'a mut KeyCache,
}

fn forbidden(why: &str) -> WireError {
    WireError::forbidden(why.to_string())
}

/// The rule of `AcmeSign`, wherever it is answered (the store thread, or the
/// socket thread with a cached key: `crate::service`): the URL and the `kid`
/// at one origin, a well-formed nonce, a bounded payload, and a live ACME
/// permit in `permits` that covers `key_ref` for that origin.
pub fn check_acme_sign(
    permits: &[AcmeView<'_>],
    key_ref: &str,
    url: &str,
    nonce: &str,
    signer: &JwsSigner,
    payload: &[u8],
) -> WireResult<()> {
    let origin = origin_of(url, "url")?;
    check_nonce(nonce)?;
    if payload.len() > MAX_PAYLOAD {
        return Err(WireError::validation(format!(
            "the payload is larger than {MAX_PAYLOAD} bytes"
        )));
    }
    if let JwsSigner::Kid(kid) = signer {
        if origin_of(kid, "kid")? != origin {
            return Err(WireError::validation(
                "kid (the account URL) must be at the ACME server being signed for",
            )
            .with_field("kid"));
        }
    }
    permit_for_origin(permits, key_ref, &origin).map(drop)
}

/// The keys of the permits in `permits` that cover `key_ref` for `origin`;
/// `forbidden` when there is none.
fn permit_for_origin(
    permits: &[AcmeView<'_>],
    key_ref: &str,
    origin: &str,
) -> WireResult<Vec<String>> {
    let with_key: Vec<_> = permits.iter().filter(|v| v.has_key(key_ref)).collect();
    if with_key.is_empty() {
        return Err(forbidden("no live ACME permit covers this key"));
    }
    let matching: Vec<String> = with_key
        .iter()
        .filter(|v| v.grant.directory_origin == origin)
        .flat_map(|v| v.keys())
        .collect();
    if matching.is_empty() {
        return Err(forbidden(
            "this URL is not at the ACME directory origin the permit names",
        ));
    }
    Ok(matching)
}

fn key_kind(kind: SecretKind) -> WireResult<()> {
    match kind {
        SecretKind::AcmeAccountKey | SecretKind::ManagedPrivateKey => Ok(()),
        SecretKind::DnsProviderToken | SecretKind::Generic => Err(WireError::validation(
            "a key's kind is acme_account_key or managed_private_key",
        )
        .with_field("kind")),
    }
}

fn random_name(prefix: &str) -> WireResult<String> {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).map_err(|e| WireError::internal(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}_{}", hex::encode(b)))
}

fn check_nonce(nonce: &str) -> WireResult<()> {
    let ok = !nonce.is_empty()
        && nonce.len() <= 512
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(
            WireError::validation("the nonce must be 1 to 512 base64url characters")
                .with_field("nonce"),
        )
    }
}

/// What a new key row carries besides the key.
struct Row {
    kind: SecretKind,
    name: Option<String>,
    label: Option<String>,
    description: Option<String>,
    tags: Vec<String>,
    owner: Option<String>,
}

impl KeyOps<'_> {
    fn save(&mut self, row: Row, key: VaultKey) -> WireResult<SecretMeta> {
        let name = match row.name {
            Some(n) => n,
            None => random_name(row.kind.as_str())?,
        };
        let mut pem = key.to_pem();
        let mut data = SecretData::new();
        // Moved, not copied: the zeroizing PEM becomes the stored value.
        data.insert("pem".into(), SecretString::new(std::mem::take(&mut *pem)));
        let new = NewSecret {
            name,
            secret_type: SecretType::PrivateKey,
            kind: row.kind,
            data,
            label: row.label,
            description: row.description,
            tags: row.tags,
            owner: row.owner,
            external: None,
            binding: None,
            allowed_hosts: None,
        };
        let meta = self
            .store
            .create_with_public(new, Some(key.public_meta()))
            .map_err(WireError::from)?;
        self.cache.put(&meta.reference, Arc::new(key));
        Ok(meta)
    }

    /// Whether the key `request` asks for may be made now: the checks
    /// [`create`](Self::create) and [`order_key`](Self::order_key) make
    /// first, asked before the key is made off the store thread
    /// ([`super::apart`]) and applied again when it is saved.
    pub fn may_make(&mut self, request: &VaultRequest) -> WireResult<()> {
        match request {
            VaultRequest::KeyCreate(new) => key_kind(new.kind),
            VaultRequest::OrderKeyCreate { order_id, .. } => self.order_permitted(order_id),
            _ => Err(WireError::internal("not a request for a new key")),
        }
    }

    fn order_permitted(&mut self, order_id: &str) -> WireResult<()> {
        if self.permits.has_order(order_id) {
            Ok(())
        } else {
            Err(forbidden("no live ACME permit is for this order"))
        }
    }

    /// `key`, when it is of `key_type` (made off the store thread), or a
    /// fresh one made here.
    fn made_or_new(key: Option<VaultKey>, key_type: KeyType) -> WireResult<VaultKey> {
        match key {
            Some(k) if k.key_type() == key_type => Ok(k),
            _ => Ok(generate::generate(key_type)?),
        }
    }

    /// `KeyCreate`: a fresh key of `new.key_type` (`key`, when already made).
    pub fn create(&mut self, new: NewKey, key: Option<VaultKey>) -> WireResult<SecretMeta> {
        key_kind(new.kind)?;
        let key = Self::made_or_new(key, new.key_type)?;
        let row = Row {
            kind: new.kind,
            name: new.name,
            label: new.label,
            description: new.description,
            tags: new.tags,
            owner: new.owner,
        };
        self.save(row, key)
    }

    /// `KeyImport`: a PEM key, normalized to PKCS#8; nothing stored on error.
    pub fn import(&mut self, imp: ImportKey) -> WireResult<SecretMeta> {
        key_kind(imp.kind)?;
        // EXPOSE: the imported PEM is parsed here, inside vault-proc, once.
        let key = import::from_pem(imp.pem.expose())?;
        let row = Row {
            kind: imp.kind,
            name: imp.name,
            label: imp.label,
            description: imp.description,
            tags: imp.tags,
            owner: None,
        };
        self.save(row, key)
    }

    /// The secret's metadata, if it is of one of `kinds` and of type `secret_type`.
    fn meta_of(
        &self,
        key_ref: &str,
        kinds: &[SecretKind],
        secret_type: SecretType,
    ) -> WireResult<SecretMeta> {
        let meta = self
            .store
            .get_meta(&SecretSelector::Ref(key_ref.to_string()))
            .map_err(WireError::from)?;
        if !kinds.contains(&meta.kind) || meta.secret_type != secret_type {
            return Err(forbidden(
                "this secret is not a key that may be used for this operation",
            ));
        }
        Ok(meta)
    }

    /// The key of `key_ref` (cached while unlocked), if its kind is one of `kinds`.
    fn load(&mut self, key_ref: &str, kinds: &[SecretKind]) -> WireResult<Arc<VaultKey>> {
        self.meta_of(key_ref, kinds, SecretType::PrivateKey)?;
        if let Some(k) = self.cache.get(key_ref) {
            return Ok(k);
        }
        let (_, data) = self
            .store
            .reveal(&SecretSelector::Ref(key_ref.to_string()))
            .map_err(WireError::from)?;
        let pem = data
            .get("pem")
            .ok_or_else(|| WireError::validation("the stored key has no pem field"))?;
        // EXPOSE: a stored key is parsed inside vault-proc to be used, never returned.
        let key = Arc::new(import::from_pem(pem.expose())?);
        self.cache.put(key_ref, key.clone());
        Ok(key)
    }

    /// `AcmeSign`: a JWS by `key_ref` under a live ACME permit for `url`'s origin.
    pub fn acme_sign(
        &mut self,
        key_ref: &str,
        url: &str,
        nonce: &str,
        signer: &JwsSigner,
        payload: &[u8],
    ) -> WireResult<FlattenedJws> {
        check_acme_sign(&self.permits.acme(), key_ref, url, nonce, signer, payload)?;
        let key = self.load(key_ref, JWS_KINDS)?;
        Ok(jws::acme(&key, url, nonce, signer, payload)?)
    }

    /// The keys of the live ACME permits that cover `key_ref` for `origin`;
    /// `forbidden` when there is none.
    fn permit_for_origin(&mut self, key_ref: &str, origin: &str) -> WireResult<Vec<String>> {
        permit_for_origin(&self.permits.acme(), key_ref, origin)
    }

    /// `CsrCreate`: a CSR for `names`, each listed by a live permit covering `key_ref`.
    pub fn csr(&mut self, key_ref: &str, names: &[String]) -> WireResult<Vec<u8>> {
        if names.is_empty() || names.len() > MAX_NAMES {
            return Err(
                WireError::validation(format!("a CSR carries 1 to {MAX_NAMES} names"))
                    .with_field("names"),
            );
        }
        let mut wanted: Vec<String> = Vec::with_capacity(names.len());
        for n in names {
            let n = normalize_name(n);
            if n.is_empty() || n.len() > 253 {
                return Err(
                    WireError::validation("a name is empty or too long").with_field("names")
                );
            }
            if !wanted.contains(&n) {
                wanted.push(n);
            }
        }
        let covered = self
            .permits
            .acme()
            .iter()
            .any(|v| v.has_key(key_ref) && wanted.iter().all(|n| v.grant.names.contains(n)));
        if !covered {
            return Err(forbidden(
                "no live ACME permit covers this key for all of these names",
            ));
        }
        let key = self.load(key_ref, CSR_KINDS)?;
        Ok(csr::create(&key, &wanted)?)
    }

    /// `EabSign`: the external account binding for an account key of the same permit.
    pub fn eab(
        &mut self,
        hmac_key_ref: &str,
        kid: &str,
        url: &str,
        account_jwk: &str,
    ) -> WireResult<FlattenedJws> {
        let origin = origin_of(url, "url")?;
        if kid.is_empty() || kid.len() > 512 || kid.chars().any(char::is_control) {
            return Err(WireError::validation(
                "the EAB key id is empty, too long or has control characters",
            )
            .with_field("kid"));
        }
        let wanted: Value = serde_json::from_str(account_jwk)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                WireError::validation("accountJwk is not a JSON object").with_field("accountJwk")
            })?;
        let keys = self.permit_for_origin(hmac_key_ref, &origin)?;
        self.meta_of(
            hmac_key_ref,
            &[SecretKind::AcmeAccountKey],
            SecretType::ApiKey,
        )?;
        // The binding may only vouch for the account key of this same permit.
        let mut bound = false;
        for k in keys.iter().filter(|k| k.as_str() != hmac_key_ref) {
            let Ok(key) = self.load(k, &[SecretKind::AcmeAccountKey]) else {
                continue;
            };
            if serde_json::from_str::<Value>(key.jwk()).ok().as_ref() == Some(&wanted) {
                bound = true;
                break;
            }
        }
        if !bound {
            return Err(forbidden(
                "accountJwk is not the public key of an account key of this permit",
            ));
        }
        let (_, data) = self
            .store
            .reveal(&SecretSelector::Ref(hmac_key_ref.to_string()))
            .map_err(WireError::from)?;
        let value = data
            .get("value")
            .ok_or_else(|| WireError::validation("the stored HMAC key has no value field"))?;
        let mut hmac = Zeroizing::new(Vec::new());
        URL_SAFE_NO_PAD
            // EXPOSE: the HMAC key is decoded inside vault-proc to sign, never returned.
            .decode_vec(value.expose().trim().trim_end_matches('='), &mut hmac)
            .map_err(|_| WireError::validation("the stored HMAC key is not base64url"))?;
        if hmac.is_empty() {
            return Err(WireError::validation("the stored HMAC key is empty"));
        }
        Ok(jws::eab(&hmac, kid, url, account_jwk))
    }

    /// `PublicJwk`: the public half of a key (no permit: it is public).
    pub fn public_jwk(&mut self, key_ref: &str) -> WireResult<PublicKeyInfo> {
        Ok(self.load(key_ref, JWS_KINDS)?.public_info())
    }

    /// `ExportFiles` (broker only, audited by the caller): the PKCS#8 PEM
    /// of certificate key `key_ref`, only when `leaf_spki` (the DER
    /// SubjectPublicKeyInfo of the certificate being exported) is its
    /// public half, so a key is never written next to another key's
    /// certificate. The PEM goes straight into a file written by
    /// vault-proc (`crate::export`), never into a response.
    pub fn export_pem(&mut self, key_ref: &str, leaf_spki: &[u8]) -> WireResult<Zeroizing<String>> {
        let key = self.load(key_ref, CSR_KINDS)?;
        if key.public_info().spki_der != leaf_spki {
            return Err(WireError::validation(
                "the certificate's public key is not this key's",
            ));
        }
        Ok(key.to_pem())
    }

    /// `OrderKeyCreate`: a certificate key owned by a live order permit's
    /// order (`key`, when already made).
    pub fn order_key(
        &mut self,
        order_id: &str,
        key_type: KeyType,
        key: Option<VaultKey>,
    ) -> WireResult<SecretMeta> {
        self.order_permitted(order_id)?;
        let key = Self::made_or_new(key, key_type)?;
        let row = Row {
            kind: SecretKind::ManagedPrivateKey,
            name: Some(random_name("order_key")?),
            label: None,
            description: None,
            tags: Vec::new(),
            owner: Some(order_id.to_string()),
        };
        let meta = self.save(row, key)?;
        self.permits.add_order_key(order_id, &meta.reference);
        Ok(meta)
    }
}
