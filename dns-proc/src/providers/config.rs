//! Provider-specific configuration, typed per provider type and parsed from
//! JSON with unknown fields rejected. Configuration never holds a secret: the
//! token (or TSIG secret) is the provider's vault secret.

use serde::{Deserialize, Serialize};
use shared::protocol::dns::ProviderType;

use super::suffix::normalize_name;
use super::DnsError;

/// Route53: optional hosted zone (looked up when absent) and region.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Route53Config {
    /// Hosted zone id, e.g. `Z123…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<String>,
    /// AWS region (default `us-east-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// PowerDNS authoritative HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PowerDnsConfig {
    /// API base URL, e.g. `http://127.0.0.1:8081`.
    pub server_url: String,
    /// Server id (default `localhost`).
    #[serde(default = "default_server_id")]
    pub server_id: String,
}

fn default_server_id() -> String {
    "localhost".into()
}

/// RFC 2136 dynamic update with TSIG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rfc2136Config {
    /// `host:port` of the primary server.
    pub server: String,
    /// TSIG key name.
    pub tsig_key_name: String,
    /// TSIG algorithm (default `hmac-sha256`).
    #[serde(default = "default_tsig_algorithm")]
    pub tsig_algorithm: String,
}

fn default_tsig_algorithm() -> String {
    "hmac-sha256".into()
}

/// Supported TSIG algorithms.
pub const TSIG_ALGORITHMS: [&str; 4] = ["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1"];

/// No configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// A provider's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderConfig {
    /// Route53.
    Route53(Route53Config),
    /// PowerDNS.
    PowerDns(PowerDnsConfig),
    /// RFC 2136.
    Rfc2136(Rfc2136Config),
    /// Cloudflare, DigitalOcean, manual.
    None,
}

fn bad(message: impl Into<String>) -> DnsError {
    DnsError::validation("config", message)
}

fn parse_json<'a, T: Deserialize<'a>>(text: &'a str, ty: ProviderType) -> Result<T, DnsError> {
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line").next().unwrap_or(&msg).to_string();
        bad(format!("invalid {} config: {msg}", ty.as_str()))
    })
}

impl ProviderConfig {
    /// Parses and validates `text` (None = `{}`) for `ty`.
    pub fn parse(ty: ProviderType, text: Option<&str>) -> Result<Self, DnsError> {
        let text = text
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != "null")
            .unwrap_or("{}");
        if text.len() > 16 * 1024 {
            return Err(bad("config is larger than 16 KiB"));
        }
        match ty {
            ProviderType::Route53 => {
                let c: Route53Config = parse_json(text, ty)?;
                if let Some(z) = &c.hosted_zone_id {
                    let z = z.trim_start_matches("/hostedzone/");
                    if z.is_empty() || z.len() > 64 || !z.bytes().all(|b| b.is_ascii_alphanumeric())
                    {
                        return Err(bad("hostedZoneId must be an alphanumeric Route53 zone id"));
                    }
                }
                if let Some(r) = &c.region {
                    if r.is_empty()
                        || r.len() > 32
                        || !r
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    {
                        return Err(bad("region must look like `us-east-1`"));
                    }
                }
                Ok(ProviderConfig::Route53(c))
            }
            ProviderType::Powerdns => {
                let c: PowerDnsConfig = parse_json(text, ty)?;
                let url = c.server_url.trim();
                let rest = url
                    .strip_prefix("http://")
                    .or_else(|| url.strip_prefix("https://"));
                if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
                    return Err(bad("serverUrl must be an http:// or https:// URL"));
                }
                if c.server_id.is_empty()
                    || !c
                        .server_id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
                {
                    return Err(bad(
                        "serverId may contain letters, digits, `-`, `_` and `.`",
                    ));
                }
                Ok(ProviderConfig::PowerDns(PowerDnsConfig {
                    server_url: url.trim_end_matches('/').to_string(),
                    server_id: c.server_id,
                }))
            }
            ProviderType::Rfc2136 => {
                let c: Rfc2136Config = parse_json(text, ty)?;
                let Some((host, port)) = c.server.rsplit_once(':') else {
                    return Err(bad("server must be host:port"));
                };
                if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
                    return Err(bad("server must be host:port with a port from 1 to 65535"));
                }
                let key = normalize_name(&c.tsig_key_name, "TSIG key name")
                    .map_err(|_| bad("tsigKeyName must be a DNS name"))?;
                let alg = c.tsig_algorithm.to_ascii_lowercase();
                if !TSIG_ALGORITHMS.contains(&alg.as_str()) {
                    return Err(bad(format!(
                        "tsigAlgorithm must be one of {}",
                        TSIG_ALGORITHMS.join(", ")
                    )));
                }
                Ok(ProviderConfig::Rfc2136(Rfc2136Config {
                    server: c.server,
                    tsig_key_name: key,
                    tsig_algorithm: alg,
                }))
            }
            ProviderType::Cloudflare | ProviderType::Digitalocean | ProviderType::Manual => {
                let _: Empty = parse_json(text, ty)?;
                Ok(ProviderConfig::None)
            }
        }
    }

    /// Canonical JSON text (defaults filled in).
    pub fn to_json(&self) -> String {
        let v = match self {
            ProviderConfig::Route53(c) => serde_json::to_string(c),
            ProviderConfig::PowerDns(c) => serde_json::to_string(c),
            ProviderConfig::Rfc2136(c) => serde_json::to_string(c),
            ProviderConfig::None => Ok("{}".to_string()),
        };
        v.unwrap_or_else(|_| "{}".to_string())
    }

    /// The endpoint a stored token is sent to, for self-hosted types.
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            ProviderConfig::PowerDns(c) => Some(&c.server_url),
            ProviderConfig::Rfc2136(c) => Some(&c.server),
            ProviderConfig::Route53(_) | ProviderConfig::None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_table() {
        use ProviderType::*;
        let ok: &[(ProviderType, Option<&str>)] = &[
            (Cloudflare, None),
            (Cloudflare, Some("{}")),
            (Manual, Some("null")),
            (
                Route53,
                Some(r#"{"hostedZoneId":"Z123ABC","region":"eu-west-1"}"#),
            ),
            (Route53, Some("{}")),
            (Powerdns, Some(r#"{"serverUrl":"http://127.0.0.1:8081/"}"#)),
            (
                Rfc2136,
                Some(r#"{"server":"127.0.0.1:53","tsigKeyName":"acme-key"}"#),
            ),
        ];
        for (t, c) in ok {
            assert!(ProviderConfig::parse(*t, *c).is_ok(), "{t:?} {c:?}");
        }
        let bad: &[(ProviderType, Option<&str>)] = &[
            (Cloudflare, Some(r#"{"zone":"x"}"#)),
            (Route53, Some(r#"{"hostedZoneId":"bad id"}"#)),
            (Route53, Some(r#"{"secretKey":"x"}"#)),
            (Powerdns, Some("{}")),
            (Powerdns, Some(r#"{"serverUrl":"ftp://x"}"#)),
            (Rfc2136, Some(r#"{"server":"127.0.0.1","tsigKeyName":"k"}"#)),
            (
                Rfc2136,
                Some(r#"{"server":"h:53","tsigKeyName":"k","tsigAlgorithm":"md5"}"#),
            ),
            (Digitalocean, Some("[1]")),
            (Manual, Some("not json")),
        ];
        for (t, c) in bad {
            assert!(ProviderConfig::parse(*t, *c).is_err(), "{t:?} {c:?}");
        }
        let p = ProviderConfig::parse(Powerdns, Some(r#"{"serverUrl":"http://h:1/"}"#)).unwrap();
        assert_eq!(
            p.to_json(),
            r#"{"serverUrl":"http://h:1","serverId":"localhost"}"#
        );
    }
}
