//! DNS helpers for the provider tests: the real services' settings from the
//! environment `scripts/test` exports, direct TXT queries against a server,
//! and the stand-ins / mirror wired to the real PowerDNS.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dns_proc::verify::nameservers::direct_resolver;
use sslboard_standins::{PdnsTarget, StandinOptions};

use crate::required_env;

/// The PowerDNS zone every PowerDNS-backed test writes under.
pub const PDNS_ZONE: &str = "example.test";

/// PowerDNS API target from the environment.
pub fn pdns() -> PdnsTarget {
    PdnsTarget {
        api: required_env("SSLBOARD_TEST_PDNS_API"),
        key: required_env("SSLBOARD_TEST_PDNS_API_KEY"),
    }
}

/// PowerDNS's DNS address.
pub fn pdns_dns() -> SocketAddr {
    required_env("SSLBOARD_TEST_PDNS_DNS").parse().unwrap()
}

/// BIND's DNS address.
pub fn bind_dns() -> SocketAddr {
    required_env("SSLBOARD_TEST_BIND_DNS").parse().unwrap()
}

/// A unique record name under `zone`.
pub fn unique_name(zone: &str) -> String {
    format!("_acme-challenge.t{}.{zone}", crate::random_hex(5))
}

/// TXT values `server` serves at `fqdn` right now (empty on NXDOMAIN/NODATA).
pub async fn txt_values(server: SocketAddr, fqdn: &str) -> Vec<String> {
    let r = direct_resolver(&[server], false).unwrap();
    match r
        .txt_lookup(format!("{}.", fqdn.trim_end_matches('.')))
        .await
    {
        Ok(l) => {
            let mut v = dns_proc::adapters::txt::values_of(l.answers());
            v.sort();
            v
        }
        Err(_) => Vec::new(),
    }
}

/// Waits (10 s at most) until `server` serves exactly `want` (sorted) at `fqdn`.
pub async fn wait_values(server: SocketAddr, fqdn: &str, want: &[&str]) {
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = txt_values(server, fqdn).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{server} serves {got:?} at {fqdn}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stand-in options over the real PowerDNS, serving `example.test`.
pub fn standin_options(token: &str) -> StandinOptions {
    StandinOptions::new(pdns(), vec![PDNS_ZONE.into()], token.into())
}
