//! DNS-01 specifics: the TXT value (RFC 8555 §8.4), the record name, and
//! following a CNAME at `_acme-challenge.<name>` on the authoritative
//! servers (validation delegated to another zone; chains of up to
//! [`MAX_CNAME`], loops refused).

use std::net::SocketAddr;

use base64::Engine as _;
use hickory_resolver::proto::rr::{RData, RecordType};
use sha2::{Digest, Sha256};

use crate::adapters::names;
use crate::verify::{self, nameservers::direct_resolver};

/// Longest CNAME chain followed.
pub const MAX_CNAME: usize = 8;

/// The TXT value for `token`: base64url(SHA-256(token "." thumbprint)).
pub fn txt_value(token: &str, thumbprint: &str) -> String {
    let digest = Sha256::digest(format!("{token}.{thumbprint}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// `_acme-challenge.<name>` (a wildcard's `*.` dropped), lower case.
pub fn record_name(name: &str) -> String {
    let base = name.strip_prefix("*.").unwrap_or(name);
    format!("_acme-challenge.{}", names::bare(base))
}

/// The authoritative nameservers of the zone holding `name`: the first
/// enclosing name (from `name` upwards) whose NS set can be found.
pub async fn authoritative_for(name: &str) -> Result<Vec<SocketAddr>, String> {
    let mut last = String::from("no enclosing zone found");
    for candidate in names::zone_candidates(name) {
        match verify::authoritative(&candidate).await {
            Ok(ns) => return Ok(ns),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// Where the TXT for `record` must go: `record` itself, or the end of the
/// CNAME chain the authoritative servers serve at it.
pub async fn follow_cname(record: &str) -> Result<String, String> {
    let mut current = names::bare(record);
    let mut seen = vec![current.clone()];
    for _ in 0..=MAX_CNAME {
        let servers = match authoritative_for(&current).await {
            Ok(s) => s,
            // No zone found: nothing to follow (manual mode will wait on it).
            Err(_) => return Ok(current),
        };
        let Some(target) = cname_at(&servers, &current).await? else {
            return Ok(current);
        };
        if seen.contains(&target) {
            return Err(format!(
                "the CNAME chain at {} loops ({} → {target})",
                names::bare(record),
                seen.join(" → ")
            ));
        }
        seen.push(target.clone());
        current = target;
    }
    Err(format!(
        "the CNAME chain at {} is longer than {MAX_CNAME}",
        names::bare(record)
    ))
}

/// The CNAME target at `name` on the first server that answers.
async fn cname_at(servers: &[SocketAddr], name: &str) -> Result<Option<String>, String> {
    // ASCII rules (underscores allowed), not IDNA: the CA judges the name.
    let Ok(query) = hickory_resolver::proto::rr::Name::from_ascii(names::dotted(name)) else {
        return Ok(None);
    };
    let mut last = String::new();
    for sa in servers {
        let resolver = direct_resolver(&[*sa], false)?;
        match resolver.lookup(query.clone(), RecordType::CNAME).await {
            Ok(lookup) => {
                return Ok(lookup.answers().iter().find_map(|r| match &r.data {
                    RData::CNAME(c) if names::bare(&r.name.to_ascii()) == names::bare(name) => {
                        Some(names::bare(&c.0.to_ascii()))
                    }
                    _ => None,
                }))
            }
            Err(hickory_resolver::net::NetError::Dns(
                hickory_resolver::net::DnsError::NoRecordsFound(_),
            )) => return Ok(None),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("no nameserver answered for {name}: {last}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8555_key_authorization_digest() {
        // RFC 8555 §8.4 construction, checked against an independent computation
        // (printf 'tok.thumb' | openssl dgst -sha256 -binary | base64url).
        assert_eq!(
            txt_value("tok", "thumb"),
            "sYAwVrqDtVOuJZvAHurSAYPoEt5fFV_C4bdSOOW-o5Y"
        );
        assert_eq!(
            record_name("*.Example.test."),
            "_acme-challenge.example.test"
        );
    }
}
