//! Which nameservers to poll for a zone.
//!
//! Normally the zone's authoritative servers: its NS names, looked up
//! through the bootstrap resolver (the system's, or `SSLBOARD_DNS_BOOTSTRAP`
//! = `ip:port`), resolved to addresses, queried on port 53 (or
//! `SSLBOARD_DNS_PORT`). `SSLBOARD_DNS_NAMESERVERS` (`ip[:port],…`) replaces
//! the discovery entirely: tests point it at their local servers, and a user
//! behind split-horizon DNS can point it at the servers that matter.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;

use crate::adapters::names;

/// Why no nameserver list could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameserverError {
    /// An environment setting is malformed.
    #[error("{var} is not a list of ip[:port]: `{value}`")]
    BadSetting {
        /// The variable.
        var: &'static str,
        /// Its (non-secret) value.
        value: String,
    },
    /// The zone's NS records could not be found or resolved.
    #[error("the nameservers of {zone} could not be found: {reason}")]
    Discovery {
        /// The zone.
        zone: String,
        /// What failed.
        reason: String,
    },
}

/// Parses `ip`, `ip:port` or `[v6]:port` (port 53 by default).
pub fn parse_address(text: &str, default_port: u16) -> Option<SocketAddr> {
    let t = text.trim();
    if let Ok(sa) = t.parse::<SocketAddr>() {
        return Some(sa);
    }
    t.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, default_port))
}

/// Parses a comma/space separated address list from `var`, if set.
fn env_list(var: &'static str) -> Result<Option<Vec<SocketAddr>>, NameserverError> {
    let Ok(value) = std::env::var(var) else {
        return Ok(None);
    };
    if value.trim().is_empty() {
        return Ok(None);
    }
    let parsed: Option<Vec<SocketAddr>> = value
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| parse_address(s, 53))
        .collect();
    match parsed {
        Some(list) if !list.is_empty() => Ok(Some(list)),
        _ => Err(NameserverError::BadSetting { var, value }),
    }
}

fn dns_port() -> Result<u16, NameserverError> {
    match std::env::var("SSLBOARD_DNS_PORT") {
        Ok(v) if !v.trim().is_empty() => {
            v.trim().parse().map_err(|_| NameserverError::BadSetting {
                var: "SSLBOARD_DNS_PORT",
                value: v,
            })
        }
        _ => Ok(53),
    }
}

/// A resolver asking exactly `servers`, without cache.
pub fn direct_resolver(servers: &[SocketAddr], recursion: bool) -> Result<TokioResolver, String> {
    let configs = servers
        .iter()
        .map(|sa| {
            let mut udp = ConnectionConfig::udp();
            udp.port = sa.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = sa.port();
            NameServerConfig::new(sa.ip(), true, vec![udp, tcp])
        })
        .collect();
    let mut opts = ResolverOpts::default();
    opts.cache_size = 0;
    opts.attempts = 1;
    opts.timeout = Duration::from_secs(2);
    opts.recursion_desired = recursion;
    opts.ndots = 0;
    TokioResolver::builder_with_config(
        ResolverConfig::from_parts(None, vec![], configs),
        TokioRuntimeProvider::default(),
    )
    .with_options(opts)
    .build()
    .map_err(|e| e.to_string())
}

fn bootstrap_resolver() -> Result<TokioResolver, String> {
    match env_list("SSLBOARD_DNS_BOOTSTRAP").map_err(|e| e.to_string())? {
        Some(list) => direct_resolver(&list, true),
        None => {
            let (config, mut opts) =
                hickory_resolver::system_conf::read_system_conf().map_err(|e| e.to_string())?;
            opts.cache_size = 0;
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
                .with_options(opts)
                .build()
                .map_err(|e| e.to_string())
        }
    }
}

/// The nameservers to poll for `zone`.
pub async fn authoritative(zone: &str) -> Result<Vec<SocketAddr>, NameserverError> {
    if let Some(list) = env_list("SSLBOARD_DNS_NAMESERVERS")? {
        return Ok(list);
    }
    let port = dns_port()?;
    let fail = |reason: String| NameserverError::Discovery {
        zone: names::bare(zone),
        reason,
    };
    let resolver = bootstrap_resolver().map_err(fail)?;
    let ns = resolver
        .ns_lookup(names::dotted(zone))
        .await
        .map_err(|e| fail(format!("NS lookup failed: {e}")))?;
    let hosts: Vec<String> = ns
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::NS(n) => Some(n.0.to_ascii()),
            _ => None,
        })
        .collect();
    if hosts.is_empty() {
        return Err(fail("the zone has no NS records".into()));
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for host in &hosts {
        match resolver.lookup_ip(host.as_str()).await {
            Ok(ips) => out.extend(ips.iter().map(|ip| SocketAddr::new(ip, port))),
            Err(e) => errors.push(format!("{host}: {e}")),
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(fail(format!("no address for {}", errors.join("; "))));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_default_port() {
        assert_eq!(parse_address("127.0.0.1", 53), "127.0.0.1:53".parse().ok());
        assert_eq!(
            parse_address("127.0.0.1:5353", 53),
            "127.0.0.1:5353".parse().ok()
        );
        assert_eq!(parse_address("[::1]:54", 53), "[::1]:54".parse().ok());
        assert_eq!(parse_address("::1", 53), "[::1]:53".parse().ok());
        assert_eq!(parse_address("ns1.example", 53), None);
    }
}
