//! The fixed base URLs of the cloud APIs.
//!
//! They are constants so that a compromised UI cannot point a stored token at
//! another host. Tests and benchmarks replace them through dns-proc's
//! environment only (`SSLBOARD_CLOUDFLARE_API_URL`,
//! `SSLBOARD_DIGITALOCEAN_API_URL`, `SSLBOARD_ROUTE53_API_URL`), which only
//! whoever starts the core controls.

/// Cloudflare API v4.
pub const CLOUDFLARE: &str = "https://api.cloudflare.com/client/v4";
/// DigitalOcean API v2.
pub const DIGITALOCEAN: &str = "https://api.digitalocean.com/v2";
/// Route53 (a global service, signed for us-east-1).
pub const ROUTE53: &str = "https://route53.amazonaws.com";

/// `default`, or the environment override `var`, without a trailing `/`.
pub fn base(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
        .trim()
        .trim_end_matches('/')
        .to_string()
}
