//! The fixed base URLs of the cloud APIs.
//!
//! They are constants so that a compromised UI cannot point a stored token at
//! another host. Tests replace them through dns-proc's environment
//! (`SSLBOARD_CLOUDFLARE_API_URL`, `SSLBOARD_DIGITALOCEAN_API_URL`,
//! `SSLBOARD_ROUTE53_API_URL`) to reach local stand-ins, and **only in debug
//! builds**, like the failpoints (`shared::failpoint`): whoever shapes a
//! release core's environment must not be able to send every cloud token
//! elsewhere. In a release build the variable names are not even compiled in
//! (`scripts/bench` checks the release `dns-proc` binary for them).

/// Cloudflare API v4.
pub const CLOUDFLARE: &str = "https://api.cloudflare.com/client/v4";
/// DigitalOcean API v2.
pub const DIGITALOCEAN: &str = "https://api.digitalocean.com/v2";
/// Route53 (a global service, signed for us-east-1).
pub const ROUTE53: &str = "https://route53.amazonaws.com";

/// A cloud API whose base URL is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// Cloudflare API v4.
    Cloudflare,
    /// DigitalOcean API v2.
    Digitalocean,
    /// Route53.
    Route53,
}

impl Cloud {
    /// The production base URL.
    pub fn default_base(self) -> &'static str {
        match self {
            Cloud::Cloudflare => CLOUDFLARE,
            Cloud::Digitalocean => DIGITALOCEAN,
            Cloud::Route53 => ROUTE53,
        }
    }
}

/// True when this build honours the test overrides (debug builds only).
pub const OVERRIDES_HONOURED: bool = cfg!(debug_assertions);

/// The environment variable that overrides `cloud`'s base URL in debug
/// builds. Absent from release builds.
#[cfg(debug_assertions)]
pub fn override_var(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Cloudflare => "SSLBOARD_CLOUDFLARE_API_URL",
        Cloud::Digitalocean => "SSLBOARD_DIGITALOCEAN_API_URL",
        Cloud::Route53 => "SSLBOARD_ROUTE53_API_URL",
    }
}

/// The test override of `cloud`'s base URL, when this build honours one.
#[cfg(debug_assertions)]
fn overridden(cloud: Cloud) -> Option<String> {
    std::env::var(override_var(cloud))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// Release builds: there is no override.
#[cfg(not(debug_assertions))]
fn overridden(_cloud: Cloud) -> Option<String> {
    None
}

/// The base URL of `cloud`, without a trailing `/`: the constant, or in a
/// debug build the environment override.
pub fn base(cloud: Cloud) -> String {
    overridden(cloud)
        .unwrap_or_else(|| cloud.default_base().to_string())
        .trim()
        .trim_end_matches('/')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debug builds follow the override, release builds (`cargo test
    /// --release`) the constant; in both the answer has no trailing `/`.
    #[test]
    fn overrides_follow_the_build_profile() {
        let var = "SSLBOARD_DIGITALOCEAN_API_URL";
        std::env::set_var(var, "http://127.0.0.1:9/v2/");
        let got = base(Cloud::Digitalocean);
        std::env::remove_var(var);
        if OVERRIDES_HONOURED {
            assert_eq!(got, "http://127.0.0.1:9/v2");
        } else {
            assert_eq!(got, DIGITALOCEAN);
        }
        assert_eq!(OVERRIDES_HONOURED, cfg!(debug_assertions));
        assert_eq!(base(Cloud::Route53), ROUTE53);
    }
}
