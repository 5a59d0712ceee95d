//! Likely causes of a Test Connection failure, in words a user can act on.

use std::net::SocketAddr;

use shared::protocol::dns::ProviderType;

use crate::adapters::AdapterError;
use crate::verify::NsState;

/// Suggestions for an adapter failure of a `ty` provider testing `suffix`.
pub fn for_error(e: &AdapterError, ty: ProviderType, suffix: &str) -> Vec<String> {
    match e {
        AdapterError::Auth(_) => {
            let mut s = vec![
                "Check the API token: it may be mistyped, expired or revoked.".to_string(),
            ];
            s.push(match ty {
                ProviderType::Cloudflare => "Check the token's permissions: it needs Zone → DNS → Edit (and Zone → Zone → Read) for this zone.".into(),
                ProviderType::Digitalocean => "Check the token's scopes: it needs write access to domains.".into(),
                ProviderType::Route53 => "Check the access key: the token is ACCESS_KEY_ID:SECRET_ACCESS_KEY, and its policy must allow route53:ListHostedZonesByName, ChangeResourceRecordSets, ListResourceRecordSets and GetChange.".into(),
                ProviderType::Powerdns => "Check the API key and that the server's api-key matches it.".into(),
                ProviderType::Rfc2136 => "Check the TSIG key name, algorithm and secret, and that the server's allow-update names this key.".into(),
                ProviderType::Manual => "A manual provider uses no credentials.".into(),
            });
            s
        }
        AdapterError::ZoneNotFound { .. } => vec![
            format!("Check the domain suffix: {suffix} must be inside a zone this account hosts."),
            "Check that the token belongs to the account that hosts the zone.".into(),
        ],
        AdapterError::RateLimited(_) => {
            vec!["The provider is rate limiting requests: wait a minute and try again.".into()]
        }
        AdapterError::Transport(_) => vec![
            "Check that the provider's API or server is reachable from this machine (network, proxy, firewall, address and port).".into(),
        ],
        AdapterError::Refused(_) => vec![
            "The provider refused the change: check that the token may edit records in this zone.".into(),
        ],
        AdapterError::Config(_) => {
            vec!["Check the provider's configuration and token format.".into()]
        }
        AdapterError::Api { .. } | AdapterError::Protocol(_) | AdapterError::Unsupported(_) => {
            vec!["Retry later; if it persists, check the provider's status page.".into()]
        }
    }
}

/// Suggestions when the record never showed on every nameserver.
pub fn not_visible(zone: &str, states: &[(SocketAddr, NsState)]) -> Vec<String> {
    let mut s = vec![
        "Propagation delay: the provider may need longer to publish the record; try again with a longer timeout.".to_string(),
        format!("Wrong zone: the record may have gone to a zone that the nameservers of {zone} do not serve (a duplicate zone in another account, or a delegated subzone)."),
        "Split-horizon DNS: the nameservers asked may give a different view than the one the provider writes to (set SSLBOARD_DNS_NAMESERVERS to the servers that matter).".into(),
    ];
    let unreachable: Vec<String> = states
        .iter()
        .filter(|(_, st)| matches!(st, NsState::Error(_)))
        .map(|(sa, _)| sa.to_string())
        .collect();
    if !unreachable.is_empty() {
        s.push(format!(
            "Unreachable nameserver: {} did not answer; check the network path to it.",
            unreachable.join(", ")
        ));
    }
    s
}

/// Suggestions when the zone's nameservers could not be found.
pub fn nameservers_unknown(zone: &str) -> Vec<String> {
    vec![
        format!("Check that {zone} is delegated (has NS records) and that this machine can resolve DNS."),
        "Set SSLBOARD_DNS_NAMESERVERS to the authoritative servers if they cannot be discovered from here.".into(),
    ]
}
