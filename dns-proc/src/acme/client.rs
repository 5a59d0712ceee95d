//! The RFC 8555 conversation of one account: directory, account
//! registration / lookup / deactivation (with EAB), orders, authorizations,
//! challenges, polling, finalization and certificate download. It signs
//! through an [`AcmeSigner`] and never sees a private key.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::json;

use super::error::{AcmeError, AcmeResult};
use super::http::AcmeHttp;
use super::signer::{AcmeSigner, KeyId};
use super::wire::{self, Account, Authorization, Challenge, Directory, Identifier, Order};

/// First poll wait; doubles up to [`POLL_MAX`] unless the CA says otherwise
/// (a CA that validates at once answers within a few polls).
const POLL_FIRST: Duration = Duration::from_millis(20);
/// Longest poll wait without a `Retry-After`.
const POLL_MAX: Duration = Duration::from_secs(1);

/// What account registration should do.
pub struct Registration<'a> {
    /// `mailto:` URLs.
    pub contact: &'a [String],
    /// The user agreed to the terms of service.
    pub terms_agreed: bool,
    /// Look the key's account up instead of creating one.
    pub only_existing: bool,
    /// External account binding: HMAC key ref and key id.
    pub eab: Option<(&'a str, &'a str)>,
}

/// One account's client.
pub struct AcmeClient<'s, S: AcmeSigner> {
    http: Arc<AcmeHttp>,
    directory: Directory,
    bad_nonce_base: u32,
    signer: &'s S,
    key_ref: String,
    kid: Option<String>,
}

impl<'s, S: AcmeSigner> AcmeClient<'s, S> {
    /// Fetches the directory at `directory_url` and makes a client signing
    /// with account key `key_ref`.
    pub async fn connect(
        directory_url: &str,
        ca_pem: Option<&str>,
        signer: &'s S,
        key_ref: &str,
    ) -> AcmeResult<Self> {
        let (http, directory) = open(directory_url, ca_pem).await?;
        Ok(Self::with(http, directory, signer, key_ref))
    }

    /// A client over an open connection (shared by the orders of one CA:
    /// its TLS sessions and nonces are reused).
    pub fn with(http: Arc<AcmeHttp>, directory: Directory, signer: &'s S, key_ref: &str) -> Self {
        Self {
            bad_nonce_base: http.bad_nonce_retries(),
            http,
            directory,
            signer,
            key_ref: key_ref.to_string(),
            kid: None,
        }
    }

    /// The directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The directory's origin.
    pub fn origin(&self) -> &str {
        self.http.origin()
    }

    /// badNonce answers retried on this client's connection since it was made.
    pub fn bad_nonce_retries(&self) -> u32 {
        self.http
            .bad_nonce_retries()
            .saturating_sub(self.bad_nonce_base)
    }

    /// The account key's RFC 7638 thumbprint (for key authorizations).
    pub async fn thumbprint(&self) -> AcmeResult<String> {
        Ok(self.signer.public_key(&self.key_ref).await?.thumbprint)
    }

    /// Uses the account at `url` (from an earlier registration).
    pub fn set_account_url(&mut self, url: &str) {
        self.kid = Some(url.to_string());
    }

    fn kid(&self) -> AcmeResult<KeyId> {
        self.kid
            .clone()
            .map(KeyId::Kid)
            .ok_or_else(|| AcmeError::Protocol("no account yet".into()))
    }

    async fn post(&self, url: &str, payload: &[u8]) -> AcmeResult<super::http::Reply> {
        let kid = self.kid()?;
        self.http
            .post(self.signer, &self.key_ref, &kid, url, payload)
            .await
    }

    /// Creates (or, with `only_existing`, finds) the account of this key;
    /// returns its URL and object.
    pub async fn register(&mut self, reg: &Registration<'_>) -> AcmeResult<(String, Account)> {
        let mut payload = serde_json::Map::new();
        if reg.only_existing {
            payload.insert("onlyReturnExisting".into(), json!(true));
        } else {
            payload.insert("contact".into(), json!(reg.contact));
            payload.insert("termsOfServiceAgreed".into(), json!(reg.terms_agreed));
            if let Some((hmac_ref, eab_kid)) = reg.eab {
                let jwk = self.signer.public_key(&self.key_ref).await?.jwk;
                let eab = self
                    .signer
                    .eab(hmac_ref, eab_kid, &self.directory.new_account, &jwk)
                    .await?;
                payload.insert(
                    "externalAccountBinding".into(),
                    serde_json::to_value(eab)
                        .map_err(|e| AcmeError::Protocol(format!("EAB encoding: {e}")))?,
                );
            }
        }
        let body = serde_json::to_vec(&payload)
            .map_err(|e| AcmeError::Protocol(format!("payload encoding: {e}")))?;
        let url = self.directory.new_account.clone();
        let reply = self
            .http
            .post(self.signer, &self.key_ref, &KeyId::Jwk, &url, &body)
            .await?;
        let location = reply
            .location()
            .ok_or_else(|| AcmeError::Protocol("newAccount answered without Location".into()))?;
        let account = wire::parse_account(&reply.body)?;
        self.kid = Some(location.clone());
        Ok((location, account))
    }

    /// Deactivates the account (RFC 8555 §7.3.6).
    pub async fn deactivate(&self) -> AcmeResult<Account> {
        let url = self
            .kid
            .clone()
            .ok_or_else(|| AcmeError::Protocol("no account yet".into()))?;
        let reply = self.post(&url, br#"{"status":"deactivated"}"#).await?;
        wire::parse_account(&reply.body)
    }

    /// A new order for `names`; returns its URL and object.
    pub async fn new_order(&self, names: &[String]) -> AcmeResult<(String, Order)> {
        let ids: Vec<Identifier> = names.iter().map(|n| Identifier::dns(n)).collect();
        let body = serde_json::to_vec(&json!({ "identifiers": ids }))
            .map_err(|e| AcmeError::Protocol(format!("payload encoding: {e}")))?;
        let url = self.directory.new_order.clone();
        let reply = self.post(&url, &body).await?;
        let location = reply
            .location()
            .ok_or_else(|| AcmeError::Protocol("newOrder answered without Location".into()))?;
        Ok((location, wire::parse_order(&reply.body)?))
    }

    /// The order at `url`, and how long the CA wants us to wait before asking again.
    pub async fn order(&self, url: &str) -> AcmeResult<(Order, Option<Duration>)> {
        let reply = self.post(url, b"").await?;
        Ok((wire::parse_order(&reply.body)?, reply.retry_after()))
    }

    /// The authorization at `url`, and the CA's `Retry-After`.
    pub async fn authorization(&self, url: &str) -> AcmeResult<(Authorization, Option<Duration>)> {
        let reply = self.post(url, b"").await?;
        Ok((wire::parse_authorization(&reply.body)?, reply.retry_after()))
    }

    /// Tells the CA the challenge at `url` is ready (RFC 8555 §7.5.1).
    pub async fn answer(&self, url: &str) -> AcmeResult<Challenge> {
        let reply = self.post(url, b"{}").await?;
        wire::parse_challenge(&reply.body)
    }

    /// Polls the authorization at `url` until it is no longer pending.
    pub async fn poll_authorization(
        &self,
        url: &str,
        deadline: Instant,
    ) -> AcmeResult<Authorization> {
        let mut wait = POLL_FIRST;
        loop {
            let (authz, after) = self.authorization(url).await?;
            if authz.status != wire::AuthzStatus::Pending {
                return Ok(authz);
            }
            wait = pause(wait, after, deadline, "the authorization is still pending").await?;
        }
    }

    /// Polls the order at `url` while `busy` says it is in progress.
    pub async fn poll_order(
        &self,
        url: &str,
        deadline: Instant,
        busy: impl Fn(wire::OrderStatus) -> bool,
    ) -> AcmeResult<Order> {
        let mut wait = POLL_FIRST;
        loop {
            let (order, after) = self.order(url).await?;
            if !busy(order.status) {
                return Ok(order);
            }
            wait = pause(wait, after, deadline, "the order is still in progress").await?;
        }
    }

    /// Finalizes with a DER CSR; returns the order as answered.
    pub async fn finalize(&self, finalize_url: &str, csr_der: &[u8]) -> AcmeResult<Order> {
        let csr = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(csr_der);
        let body = serde_json::to_vec(&json!({ "csr": csr }))
            .map_err(|e| AcmeError::Protocol(format!("payload encoding: {e}")))?;
        let reply = self.post(finalize_url, &body).await?;
        wire::parse_order(&reply.body)
    }

    /// Downloads the certificate chain (PEM) at `url`.
    pub async fn download(&self, url: &str) -> AcmeResult<String> {
        let reply = self.post(url, b"").await?;
        String::from_utf8(reply.body)
            .map_err(|_| AcmeError::Protocol("the certificate chain is not text".into()))
    }
}

/// Opens a connection to the CA at `directory_url` and fetches its directory.
pub async fn open(
    directory_url: &str,
    ca_pem: Option<&str>,
) -> AcmeResult<(Arc<AcmeHttp>, Directory)> {
    let http = AcmeHttp::new(directory_url, ca_pem)?;
    let reply = http.get(directory_url).await?;
    let directory = wire::parse_directory(&reply.body)?;
    http.set_new_nonce_url(&directory.new_nonce);
    Ok((Arc::new(http), directory))
}

/// Sleeps before the next poll (the CA's `Retry-After` when it gave one);
/// returns the next back-off, or a timeout when `deadline` has passed.
async fn pause(
    wait: Duration,
    after: Option<Duration>,
    deadline: Instant,
    what: &str,
) -> AcmeResult<Duration> {
    let now = Instant::now();
    if now >= deadline {
        return Err(AcmeError::Timeout(what.into()));
    }
    let sleep = after.unwrap_or(wait).min(deadline - now);
    tokio::time::sleep(sleep).await;
    Ok((wait * 2).min(POLL_MAX))
}
