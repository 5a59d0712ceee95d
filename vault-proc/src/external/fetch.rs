//! Fetching a secret's data for resolution: from the external provider when
//! the secret is sourced there, falling back to the local copy when the
//! provider fails (and saying so in the log), else a `provider_error` that
//! names the provider and the cause (spec 001, "External Secret Providers").
//! Provider tokens are always local (they are sealed paired with their
//! endpoint), so this serves template resolution for deploy workflows; its
//! tests run against a real OpenBao dev server (`fetch_tests.rs`).

use shared::protocol::secrets::{SecretData, SecretMeta, SecretSelector};

use super::client::{KvClient, KvError};
use super::config;
use crate::secrets::{SecretStore, VaultError};

/// The actor's cached client, rebuilt when the configuration changes.
#[derive(Default)]
pub struct ExternalCache {
    client: Option<(String, KvClient)>,
}

impl ExternalCache {
    /// Forgets the client (configuration changed).
    pub fn reset(&mut self) {
        self.client = None;
    }

    fn client(&mut self, store: &mut SecretStore) -> Result<Option<(&str, &KvClient)>, VaultError> {
        let Some(meta) = config::get(store)? else {
            self.client = None;
            return Ok(None);
        };
        let key = format!(
            "{}|{}|{:?}|{:?}|{}",
            meta.address, meta.mount, meta.path_prefix, meta.namespace, meta.token_ref
        );
        if self.client.as_ref().is_none_or(|(k, _)| *k != key) {
            let (_, token) = store.reveal(&SecretSelector::Ref(meta.token_ref.clone()))?;
            let token = token
                .get("value")
                .cloned()
                .ok_or_else(|| VaultError::internal("provider token has no value"))?;
            let ca = config::ca_pem(store)?;
            let client =
                KvClient::new(&meta, ca.as_deref(), token).map_err(|e| VaultError::Provider {
                    provider: meta.address.clone(),
                    cause: e.to_string(),
                })?;
            self.client = Some((key, client));
        }
        Ok(self.client.as_ref().map(|(_, c)| (meta_address(c), c)))
    }

    /// The data of `selector`: external first when sourced there, local otherwise.
    pub fn fetch(
        &mut self,
        store: &mut SecretStore,
        selector: &SecretSelector,
    ) -> Result<(SecretMeta, SecretData), VaultError> {
        let meta = store.get_meta(selector)?;
        self.fetch_meta(store, meta)
    }

    fn fetch_meta(
        &mut self,
        store: &mut SecretStore,
        meta: SecretMeta,
    ) -> Result<(SecretMeta, SecretData), VaultError> {
        let selector = &SecretSelector::Ref(meta.reference.clone());
        let Some(ext) = meta.external.clone() else {
            return store.reveal(selector);
        };
        let attempt: Result<SecretData, (String, String)> = match self.client(store) {
            Ok(Some((address, client))) => client
                .read(&ext.path)
                .map_err(|e| (address.to_string(), describe(&e))),
            Ok(None) => Err((
                "(none configured)".to_string(),
                "no external provider is configured".to_string(),
            )),
            Err(e) => Err(("(configuration)".to_string(), e.to_string())),
        };
        match attempt {
            Ok(data) => Ok((meta, data)),
            Err((provider, cause)) if meta.has_local_value => {
                tracing::warn!(secret = %meta.reference, provider = %provider, cause = %cause, "external provider failed; using the local copy");
                store.reveal(selector)
            }
            Err((provider, cause)) => Err(VaultError::Provider { provider, cause }),
        }
    }
}

fn meta_address(c: &KvClient) -> &str {
    c.address()
}

fn describe(e: &KvError) -> String {
    e.to_string()
}

#[cfg(test)]
mod fetch_tests;
