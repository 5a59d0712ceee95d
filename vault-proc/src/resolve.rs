//! Workflow template resolution: the only place a secret value is put into
//! a request, and the only place that decides where it may go.
//!
//! dns-proc sends the texts of one `http_request` node (URL first) under
//! the run's [`PermitScope::Workflow`] permit. For every
//! `{{secrets.name.field}}` reference vault-proc checks, in this order and
//! before anything is decrypted for that reference:
//! * the permit names the secret (the broker granted exactly the
//!   workflow's references);
//! * the secret exists, is `generic` with no owner and is not a private key
//!   (provider tokens, ACME keys and certificate keys are never resolvable,
//!   the same kind/owner rule as `Reveal`), and has the field;
//!
//! then it decrypts the secret once for the run (the cache lives until the
//! permit ends and is zeroized with it), and finally
//! [`allowed_destination`]: the URL's host must be on the `allowedHosts`
//! list sealed with the value (the list authenticated by that decryption,
//! not the row as it reads now). A URL whose authority holds a placeholder
//! is refused outright: the host must be literal.
//!
//! Any failure fails the whole call (nothing is substituted), with an error
//! that names the reference, the text (`field` = its index) and the byte
//! offset, and never a value.

use std::collections::HashMap;

use shared::error::{WireError, WireResult};
use shared::protocol::secrets::{SecretData, SecretKind, SecretSelector, SecretType};
use shared::protocol::workflow::{ResolvedPart, ResolvedText};

use crate::external::fetch::ExternalCache;
use crate::secrets::error::VaultResult;
use crate::secrets::template::{self, Segment};
use crate::secrets::{SecretStore, VaultError};

/// Most hosts on one secret's list.
pub const MAX_HOSTS: usize = 32;

/// Most texts in one resolve call.
pub const MAX_TEXTS: usize = 64;

/// One secret as decrypted for a run: its fields and the hosts list its
/// ciphertext authenticated.
struct Resolved {
    data: SecretData,
    hosts: Vec<String>,
}

/// The values decrypted for one run, by secret name. Dropping it zeroizes
/// every value (`SecretString`).
#[derive(Default)]
pub struct RunCache {
    secrets: HashMap<String, Resolved>,
    /// How many secrets were decrypted for this run.
    pub decrypts: u32,
}

/// The canonical form of one host: IDNA/lower-case host name, dotted IPv4,
/// or bracketed IPv6 (as `url` prints hosts).
fn canonical_host(raw: &str) -> Option<String> {
    let t = raw.trim().trim_end_matches('.');
    if t.is_empty() || t.len() > 253 || t.contains(['*', '/', '@', '?', '#', ' ']) {
        return None;
    }
    let bracketed = if t.contains(':') && !t.starts_with('[') {
        format!("[{t}]")
    } else {
        t.to_string()
    };
    match url::Host::parse(&bracketed).ok()? {
        url::Host::Domain(d) if d.split('.').all(|l| !l.is_empty() && l.len() <= 63) => {
            Some(d.to_ascii_lowercase())
        }
        url::Host::Domain(_) => None,
        h => Some(h.to_string()),
    }
}

/// Checks an `allowedHosts` list and returns its canonical stored form (a
/// sorted, de-duplicated JSON list).
pub fn canonical_hosts(list: &[String]) -> VaultResult<String> {
    if list.is_empty() || list.len() > MAX_HOSTS {
        return Err(VaultError::validation(
            "allowedHosts",
            format!("allowedHosts lists 1 to {MAX_HOSTS} hosts"),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for raw in list {
        let Some(h) = canonical_host(raw) else {
            let shown: String = raw.chars().take(80).collect();
            return Err(VaultError::validation(
                "allowedHosts",
                format!("`{shown}` is not a host name or IP literal (no scheme, port, path or wildcard)"),
            ));
        };
        out.push(h);
    }
    out.sort();
    out.dedup();
    serde_json::to_string(&out)
        .map_err(|e| VaultError::internal(format!("cannot encode allowedHosts: {e}")))
}

/// The stored list as a vector.
pub fn parse_hosts(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// The rule: a value goes only to a host on its own list.
pub fn allowed_destination(hosts: &[String], host: &str) -> bool {
    hosts.iter().any(|h| h == host)
}

/// The canonical host of a URL template whose scheme and authority are
/// literal (`http` or `https`).
pub fn url_host(url: &str) -> WireResult<String> {
    let bad = |m: &str| WireError::validation(m.to_string()).with_field("0");
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("the URL must start with https:// or http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if let Some(at) = authority.find("{{") {
        let offset = (url.len() - rest.len() + at) as u64;
        return Err(
            bad("a placeholder in the URL's host: secrets never go into a host name")
                .with_offset(offset),
        );
    }
    let scheme_len = url.len() - rest.len();
    let parsed = url::Url::parse(&url[..scheme_len + end])
        .map_err(|_| bad("the URL's host is not valid"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "credentials in the URL's authority are refused; use a header",
        ));
    }
    parsed
        .host_str()
        .and_then(canonical_host)
        .ok_or_else(|| bad("the URL has no host"))
}

fn shown_ref(name: &str, field: &str) -> String {
    format!("{{{{secrets.{name}.{field}}}}}")
}

/// Resolves the texts of one node for run `run_id`, whose permit names
/// `permitted`. Returns the texts as parts and how many secrets this call
/// decrypted.
pub fn resolve(
    store: &mut SecretStore,
    external: &mut ExternalCache,
    cache: &mut RunCache,
    permitted: &[String],
    url: &str,
    texts: &[String],
) -> WireResult<(Vec<ResolvedText>, u32)> {
    if texts.len() > MAX_TEXTS {
        return Err(WireError::validation(format!(
            "at most {MAX_TEXTS} texts per node"
        )));
    }
    let host = url_host(url)?;
    let before = cache.decrypts;
    let mut out = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let at =
            |e: WireError, offset: usize| e.with_field(i.to_string()).with_offset(offset as u64);
        let segments =
            template::parse(text).map_err(|e| WireError::from(e).with_field(i.to_string()))?;
        let mut parts = Vec::with_capacity(segments.len());
        for seg in segments {
            let r = match seg {
                Segment::Text(t) => {
                    parts.push(ResolvedPart::Text(t.to_string()));
                    continue;
                }
                Segment::Reference(r) => r,
            };
            let what = shown_ref(r.name, r.field);
            if !permitted.iter().any(|p| p == r.name) {
                return Err(at(
                    WireError::forbidden(format!(
                        "{what} at byte {}: this run's permit does not cover secret `{}`",
                        r.offset, r.name
                    )),
                    r.offset,
                ));
            }
            let meta = store
                .get_meta(&SecretSelector::Name(r.name.to_string()))
                .map_err(|_| {
                    at(
                        WireError::not_found(format!(
                            "{what} at byte {}: secret `{}` does not exist",
                            r.offset, r.name
                        )),
                        r.offset,
                    )
                })?;
            if meta.kind != SecretKind::Generic
                || meta.owner.is_some()
                || meta.secret_type == SecretType::PrivateKey
            {
                return Err(at(
                    WireError::forbidden(format!(
                        "{what} at byte {}: secret `{}` is a {} ({}); provider tokens and keys are never put into a request",
                        r.offset,
                        r.name,
                        meta.kind.as_str(),
                        meta.secret_type.as_str()
                    )),
                    r.offset,
                ));
            }
            if !meta.fields.iter().any(|f| f == r.field) {
                return Err(at(
                    WireError::not_found(format!(
                        "{what} at byte {}: secret `{}` has no field `{}`",
                        r.offset, r.name, r.field
                    )),
                    r.offset,
                ));
            }
            if !cache.secrets.contains_key(r.name) {
                let resolved = decrypt(store, external, &meta.reference)
                    .map_err(|e| at(WireError::from(e), r.offset))?;
                cache.secrets.insert(r.name.to_string(), resolved);
                cache.decrypts = cache.decrypts.saturating_add(1);
            }
            let Some(resolved) = cache.secrets.get(r.name) else {
                return Err(WireError::internal("resolution cache lost an entry"));
            };
            if resolved.hosts.is_empty() {
                return Err(at(
                    WireError::forbidden(format!(
                        "{what} at byte {}: secret `{}` has no allowedHosts, so it cannot be sent in an http_request (set allowedHosts with its value)",
                        r.offset, r.name
                    )),
                    r.offset,
                ));
            }
            if !allowed_destination(&resolved.hosts, &host) {
                return Err(at(
                    WireError::forbidden(format!(
                        "{what} at byte {}: secret `{}` may not be sent to `{host}` (not in its allowedHosts)",
                        r.offset, r.name
                    )),
                    r.offset,
                ));
            }
            let Some(value) = resolved.data.get(r.field) else {
                return Err(at(
                    WireError::not_found(format!(
                        "{what} at byte {}: secret `{}` has no field `{}`",
                        r.offset, r.name, r.field
                    )),
                    r.offset,
                ));
            };
            parts.push(ResolvedPart::Value(value.clone()));
        }
        out.push(parts);
    }
    Ok((out, cache.decrypts - before))
}

/// Decrypts a secret for a run: the local copy authenticates its hosts
/// list; an externally sourced secret is then read from its provider
/// (falling back to the local copy).
fn decrypt(
    store: &mut SecretStore,
    external: &mut ExternalCache,
    reference: &str,
) -> VaultResult<Resolved> {
    let selector = SecretSelector::Ref(reference.to_string());
    let (meta, local) = store.reveal(&selector)?;
    let hosts = meta.allowed_hosts.clone().unwrap_or_default();
    let data = if meta.external.is_some() {
        drop(local);
        external.fetch(store, &selector)?.1
    } else {
        local
    };
    Ok(Resolved { data, hosts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_canonical() {
        let list = [
            "API.Example.com.",
            "127.0.0.1",
            "::1",
            "[::2]",
            "api.example.com",
        ]
        .map(String::from);
        assert_eq!(
            canonical_hosts(&list).ok().as_deref(),
            Some(r#"["127.0.0.1","[::1]","[::2]","api.example.com"]"#)
        );
        for bad in ["", "*.example.com", "https://x", "x/y", "a@b", "a..b"] {
            assert!(canonical_hosts(&[bad.to_string()]).is_err(), "{bad}");
        }
        assert!(canonical_hosts(&[]).is_err());
    }

    #[test]
    fn the_url_host_is_literal() {
        assert_eq!(
            url_host("https://API.example.com:8443/x/{{secrets.a.b}}")
                .ok()
                .as_deref(),
            Some("api.example.com")
        );
        assert_eq!(
            url_host("http://127.0.0.1:9/").ok().as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(url_host("http://[::1]:9").ok().as_deref(), Some("[::1]"));
        let e = url_host("https://{{secrets.a.b}}.evil/x").err();
        assert_eq!(e.and_then(|e| e.offset), Some(8));
        assert!(url_host("https://x{{certificate.id}}/").is_err());
        assert!(url_host("https://u:{{secrets.a.b}}@h/").is_err());
        assert!(url_host("https://u:p@h/").is_err());
        assert!(url_host("ftp://h/").is_err());
        assert!(url_host("https:///x").is_err());
    }

    #[test]
    fn the_destination_must_be_listed() {
        let hosts = vec!["api.example.com".to_string(), "[::1]".to_string()];
        assert!(allowed_destination(&hosts, "api.example.com"));
        assert!(allowed_destination(&hosts, "[::1]"));
        assert!(!allowed_destination(&hosts, "evil.example.com"));
        assert!(!allowed_destination(&[], "api.example.com"));
    }
}
