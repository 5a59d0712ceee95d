//! Provider-specific configuration, typed per provider type.
//!
//! The UI and the broker carry configuration as opaque JSON text; only here
//! does it get a meaning. Each type has a struct with camelCase fields and
//! unknown fields rejected (a mistyped field is an error, not silently
//! ignored), and the stored form is canonical JSON with defaults filled in.
//! Configuration never holds a secret: a provider's API token (the TSIG
//! secret for RFC 2136) is its vault secret, and parse errors redact quoted
//! values in case a user pasted a token into the wrong field.

use serde::{Deserialize, Serialize};
use shared::protocol::dns::ProviderType;

use super::endpoint::{parse_host_port, parse_http_url};
use super::suffix::normalize_dns_name;
use super::DnsError;

/// Largest configuration text accepted.
pub const MAX_CONFIG: usize = 16 * 1024;
/// Default PowerDNS server id.
pub const DEFAULT_SERVER_ID: &str = "localhost";

/// Supported TSIG algorithms (RFC 8945 names; accepted in any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "kebab-case", ascii_case_insensitive)]
pub enum TsigAlgorithm {
    /// HMAC-SHA256 (the default).
    #[default]
    HmacSha256,
    /// HMAC-SHA512.
    HmacSha512,
    /// HMAC-SHA384.
    HmacSha384,
    /// HMAC-SHA1.
    HmacSha1,
}

impl TsigAlgorithm {
    /// The algorithm's DNS name, e.g. `hmac-sha256`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every name, for messages.
    pub fn supported_list() -> String {
        use strum::VariantArray;
        Self::VARIANTS
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl<'de> Deserialize<'de> for TsigAlgorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.trim().parse().map_err(|_| {
            serde::de::Error::custom(format!(
                "tsigAlgorithm must be one of {}",
                TsigAlgorithm::supported_list()
            ))
        })
    }
}

/// Route53: optional hosted zone (looked up from the suffix when absent) and region.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Route53Config {
    /// Hosted zone id, e.g. `Z0123456789ABC` (a `/hostedzone/` prefix is stripped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<String>,
    /// AWS region, e.g. `us-east-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// PowerDNS authoritative HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PowerDnsConfig {
    /// API base URL, e.g. `http://127.0.0.1:8081` (canonical: no trailing `/`).
    pub server_url: String,
    /// Server id (default `localhost`).
    #[serde(default = "default_server_id")]
    pub server_id: String,
}

fn default_server_id() -> String {
    DEFAULT_SERVER_ID.into()
}

/// RFC 2136 dynamic update with TSIG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rfc2136Config {
    /// `host:port` of the primary server.
    pub server: String,
    /// TSIG key name (a DNS name).
    pub tsig_key_name: String,
    /// TSIG algorithm (default `hmac-sha256`).
    #[serde(default)]
    pub tsig_algorithm: TsigAlgorithm,
}

/// The configuration of types that take none: `{}` only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// A provider's validated, canonical configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderConfig {
    /// Route53.
    Route53(Route53Config),
    /// PowerDNS.
    PowerDns(PowerDnsConfig),
    /// RFC 2136.
    Rfc2136(Rfc2136Config),
    /// Cloudflare, DigitalOcean, manual: no configuration.
    None,
}

fn bad(message: impl Into<String>) -> DnsError {
    DnsError::validation("config", message)
}

/// Replaces every `"…"` in a serde message by `"…"` (values may be secrets
/// pasted in the wrong place; field names are in backticks and stay).
fn redact_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut inside = false;
    for c in msg.chars() {
        if c == '"' {
            if inside {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

fn parse_json<'a, T: Deserialize<'a>>(text: &'a str, ty: ProviderType) -> Result<T, DnsError> {
    // serde also reads structs from arrays (positionally): only objects are config.
    if !text.starts_with('{') {
        return Err(bad(format!(
            "invalid {} config: it must be a JSON object",
            ty.as_str()
        )));
    }
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg);
        bad(format!(
            "invalid {} config: {}",
            ty.as_str(),
            redact_quoted(msg)
        ))
    })
}

fn check_route53(mut c: Route53Config) -> Result<Route53Config, DnsError> {
    if let Some(z) = &c.hosted_zone_id {
        let z = z.trim();
        let z = z.strip_prefix("/hostedzone/").unwrap_or(z);
        if z.is_empty() || z.len() > 32 || !z.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad(
                "hostedZoneId must be a Route53 hosted zone id such as `Z0123456789ABC`",
            ));
        }
        c.hosted_zone_id = Some(z.to_ascii_uppercase());
    }
    if let Some(r) = &c.region {
        let r = r.trim().to_ascii_lowercase();
        let ok = !r.is_empty()
            && r.len() <= 32
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !r.starts_with('-')
            && !r.ends_with('-');
        if !ok {
            return Err(bad("region must be an AWS region such as `us-east-1`"));
        }
        c.region = Some(r);
    }
    Ok(c)
}

/// Checks that a PowerDNS `serverId` is exactly one URL path segment: the
/// adapter appends it to `…/api/v1/servers/`, so `..` or `.` (dot segments a
/// URL parser collapses), `/`, `%` escapes or an empty id would move the
/// request to another path of the server.
pub fn check_server_id(raw: &str) -> Result<String, DnsError> {
    let server_id = raw.trim();
    if server_id.is_empty() || server_id.len() > 64 {
        return Err(bad("serverId must be 1 to 64 characters"));
    }
    if server_id == "." || server_id == ".." {
        return Err(bad(
            "serverId must not be `.` or `..`: it is one segment of the API path",
        ));
    }
    if !server_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(bad(
            "serverId may contain only letters, digits, `-`, `_` and `.` (one segment of the API path)",
        ));
    }
    Ok(server_id.to_string())
}

fn check_powerdns(c: PowerDnsConfig) -> Result<PowerDnsConfig, DnsError> {
    let server_url = parse_http_url(&c.server_url).map_err(bad)?;
    let server_id = check_server_id(&c.server_id)?;
    Ok(PowerDnsConfig {
        server_url,
        server_id,
    })
}

fn check_rfc2136(c: Rfc2136Config) -> Result<Rfc2136Config, DnsError> {
    let server = parse_host_port(&c.server).map_err(bad)?;
    let tsig_key_name = normalize_dns_name(&c.tsig_key_name, "config")
        .map_err(|e| bad(format!("tsigKeyName: {e}")))?;
    Ok(Rfc2136Config {
        server,
        tsig_key_name,
        tsig_algorithm: c.tsig_algorithm,
    })
}

impl ProviderConfig {
    /// Parses and validates `text` for `ty`; `None`, blank or `null` mean `{}`.
    pub fn parse(ty: ProviderType, text: Option<&str>) -> Result<Self, DnsError> {
        let text = text
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != "null")
            .unwrap_or("{}");
        if text.len() > MAX_CONFIG {
            return Err(bad(format!("config is larger than {MAX_CONFIG} bytes")));
        }
        Ok(match ty {
            ProviderType::Route53 => ProviderConfig::Route53(check_route53(parse_json(text, ty)?)?),
            ProviderType::Powerdns => {
                ProviderConfig::PowerDns(check_powerdns(parse_json(text, ty)?)?)
            }
            ProviderType::Rfc2136 => ProviderConfig::Rfc2136(check_rfc2136(parse_json(text, ty)?)?),
            ProviderType::Cloudflare | ProviderType::Digitalocean | ProviderType::Manual => {
                let Empty {} = parse_json(text, ty)?;
                ProviderConfig::None
            }
        })
    }

    /// Canonical JSON text (defaults filled in, fields in declaration order).
    pub fn to_json(&self) -> Result<String, DnsError> {
        let text = match self {
            ProviderConfig::Route53(c) => serde_json::to_string(c),
            ProviderConfig::PowerDns(c) => serde_json::to_string(c),
            ProviderConfig::Rfc2136(c) => serde_json::to_string(c),
            ProviderConfig::None => Ok("{}".to_string()),
        };
        text.map_err(|e| DnsError::Internal(format!("config serialization: {e}")))
    }

    /// The endpoint a stored token is sent to, for self-hosted types
    /// (canonical, so equal endpoints compare equal).
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            ProviderConfig::PowerDns(c) => Some(&c.server_url),
            ProviderConfig::Rfc2136(c) => Some(&c.server),
            ProviderConfig::Route53(_) | ProviderConfig::None => None,
        }
    }
}

/// Parses `text` for `ty` straight to canonical JSON text.
pub fn canonical_config(ty: ProviderType, text: Option<&str>) -> Result<String, DnsError> {
    ProviderConfig::parse(ty, text)?.to_json()
}

/// True when a self-hosted provider's endpoint (PowerDNS `serverUrl`,
/// RFC 2136 `server`) differs between `old` and `new`. The caller refuses
/// such a change unless the token is supplied again, so a stored token is
/// never sent to a host the user did not pair it with.
pub fn endpoint_changed(old: &ProviderConfig, new: &ProviderConfig) -> bool {
    old.endpoint() != new.endpoint()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
