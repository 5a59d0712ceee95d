//! Provider adapters: one contract — find the zone for a name, add a TXT
//! value, remove exactly that value, list the values at a name — implemented
//! for every provider type over its own API.
//!
//! Adding never replaces other values at the same name (an apex and a
//! wildcard challenge share `_acme-challenge.<domain>`), and removing removes
//! only the value given. Tokens arrive per operation from vault-proc inside a
//! [`SecretString`] and are dropped (zeroized) with the adapter.

pub mod cloudflare;
pub mod digitalocean;
pub mod endpoints;
pub mod error;
pub mod http;
pub mod name_lock;
pub mod names;
pub mod powerdns;
pub mod rfc2136;
pub mod route53;
pub mod route53_xml;
pub mod txt;

use std::future::Future;

use shared::protocol::dns::ProviderType;
use shared::secret::SecretString;

use crate::providers::config::ProviderConfig;
pub use error::{AdapterError, AdapterResult};

/// A zone as a provider knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// The zone apex, lower case, no trailing dot.
    pub name: String,
    /// The provider's id for it (Cloudflare zone id, Route53 hosted zone id,
    /// PowerDNS zone id, the domain name for DigitalOcean and RFC 2136).
    pub id: String,
}

/// What every provider adapter does.
pub trait TxtApi {
    /// The zone holding `name` that these credentials manage.
    fn find_zone(&self, name: &str) -> impl Future<Output = AdapterResult<Zone>> + Send;
    /// Adds `value` at `fqdn`, keeping the values already there.
    fn add_txt(
        &self,
        zone: &Zone,
        fqdn: &str,
        value: &str,
    ) -> impl Future<Output = AdapterResult<()>> + Send;
    /// Removes `value` at `fqdn` and nothing else; absent is not an error.
    fn remove_txt(
        &self,
        zone: &Zone,
        fqdn: &str,
        value: &str,
    ) -> impl Future<Output = AdapterResult<()>> + Send;
    /// The raw TXT values at `fqdn`.
    fn list_txt(
        &self,
        zone: &Zone,
        fqdn: &str,
    ) -> impl Future<Output = AdapterResult<Vec<String>>> + Send;
}

/// An adapter for one provider, chosen by type.
pub enum Adapter {
    /// Cloudflare API v4.
    Cloudflare(cloudflare::Cloudflare),
    /// DigitalOcean API v2.
    Digitalocean(digitalocean::DigitalOcean),
    /// Route53.
    Route53(route53::Route53),
    /// PowerDNS HTTP API.
    PowerDns(powerdns::PowerDns),
    /// RFC 2136 UPDATE with TSIG.
    Rfc2136(rfc2136::Rfc2136),
}

/// The adapter for a provider, or `None` for `manual` (no API).
pub fn build(
    ty: ProviderType,
    config: &ProviderConfig,
    token: Option<SecretString>,
) -> AdapterResult<Option<Adapter>> {
    let need = |t: Option<SecretString>| {
        t.ok_or_else(|| AdapterError::Config("this provider has no API token".into()))
    };
    Ok(Some(match (ty, config) {
        (ProviderType::Manual, _) => return Ok(None),
        (ProviderType::Cloudflare, _) => {
            Adapter::Cloudflare(cloudflare::Cloudflare::new(need(token)?)?)
        }
        (ProviderType::Digitalocean, _) => {
            Adapter::Digitalocean(digitalocean::DigitalOcean::new(need(token)?)?)
        }
        (ProviderType::Route53, ProviderConfig::Route53(c)) => {
            Adapter::Route53(route53::Route53::new(c, need(token)?)?)
        }
        (ProviderType::Powerdns, ProviderConfig::PowerDns(c)) => {
            Adapter::PowerDns(powerdns::PowerDns::new(c, need(token)?)?)
        }
        (ProviderType::Rfc2136, ProviderConfig::Rfc2136(c)) => {
            Adapter::Rfc2136(rfc2136::Rfc2136::new(c, need(token)?)?)
        }
        (ty, _) => {
            return Err(AdapterError::Config(format!(
                "the stored configuration does not fit a {} provider",
                ty.as_str()
            )))
        }
    }))
}

macro_rules! each {
    ($self:ident, $a:ident => $e:expr) => {
        match $self {
            Adapter::Cloudflare($a) => $e,
            Adapter::Digitalocean($a) => $e,
            Adapter::Route53($a) => $e,
            Adapter::PowerDns($a) => $e,
            Adapter::Rfc2136($a) => $e,
        }
    };
}

impl TxtApi for Adapter {
    async fn find_zone(&self, name: &str) -> AdapterResult<Zone> {
        each!(self, a => a.find_zone(name).await)
    }

    async fn add_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        let _guard = name_lock::lock(fqdn).await;
        each!(self, a => a.add_txt(zone, fqdn, value).await)
    }

    async fn remove_txt(&self, zone: &Zone, fqdn: &str, value: &str) -> AdapterResult<()> {
        let _guard = name_lock::lock(fqdn).await;
        each!(self, a => a.remove_txt(zone, fqdn, value).await)
    }

    async fn list_txt(&self, zone: &Zone, fqdn: &str) -> AdapterResult<Vec<String>> {
        each!(self, a => a.list_txt(zone, fqdn).await)
    }
}
