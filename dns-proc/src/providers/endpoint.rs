//! Endpoints of self-hosted providers: the PowerDNS API URL and the RFC 2136
//! `host:port`.
//!
//! A self-hosted provider's endpoint is where its stored token is sent, so it
//! gets a canonical form (lower-case scheme and host, no trailing `/`,
//! bracketed IPv6) and a change of it is detected by comparing canonical
//! forms: `HTTP://PDNS:8081/` and `http://pdns:8081` are the same endpoint.
//! A URL with user info (`user:pass@host`) is refused: configuration never
//! holds a secret. Queries and fragments are refused too: the adapter appends
//! API paths to this base.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::suffix::normalize_dns_name;

/// Why an endpoint was refused (the caller wraps it in a `config` error).
pub type EndpointError = String;

/// Canonical `host` or `[v6]`, from a host as written in a URL or `host:port`.
fn canonical_host(host: &str) -> Result<String, EndpointError> {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let ip: Ipv6Addr = inner
            .parse()
            .map_err(|_| format!("`{inner}` is not an IPv6 address"))?;
        return Ok(format!("[{ip}]"));
    }
    if host.contains(':') {
        return Err("an IPv6 address must be written in brackets, e.g. `[::1]`".into());
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(ip.to_string());
    }
    normalize_dns_name(host, "config").map_err(|e| e.to_string())
}

/// Splits `host[:port]`, the port being after the last `:` outside brackets.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    }
}

fn parse_port(p: &str) -> Result<u16, EndpointError> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!(
            "port `{}` is not a number from 1 to 65535",
            super::error::shown(p, 12)
        )),
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// Parses `host:port` (port required) into `host:port` canonical form.
pub fn parse_host_port(raw: &str) -> Result<String, EndpointError> {
    let raw = raw.trim();
    let (host, port) = split_port(raw);
    let Some(port) = port else {
        return Err("server must be `host:port`, e.g. `ns1.example.com:53`".into());
    };
    if host.is_empty() {
        return Err("server must name a host before `:port`".into());
    }
    Ok(format!("{}:{}", canonical_host(host)?, parse_port(port)?))
}

/// Parses an `http://` or `https://` base URL into canonical form.
pub fn parse_http_url(raw: &str) -> Result<String, EndpointError> {
    let raw = raw.trim();
    let (scheme, rest) = if let Some(rest) = strip_prefix_ci(raw, "http://") {
        ("http", rest)
    } else if let Some(rest) = strip_prefix_ci(raw, "https://") {
        ("https", rest)
    } else {
        return Err("serverUrl must start with http:// or https://".into());
    };
    if rest.contains(['?', '#']) {
        return Err("serverUrl must not have a query or a fragment".into());
    }
    if rest
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return Err("serverUrl must not contain spaces, control characters or `\\`".into());
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(
            "serverUrl must not contain a user name or password; the API key is the provider's token"
                .into(),
        );
    }
    let (host, port) = split_port(authority);
    if host.is_empty() {
        return Err("serverUrl must name a host".into());
    }
    let host = canonical_host(host)?;
    let port = port.map(parse_port).transpose()?;
    let path = path.trim_end_matches('/');
    Ok(match port {
        Some(p) => format!("{scheme}://{host}:{p}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for (input, want) in [
            ("http://127.0.0.1:8081/", "http://127.0.0.1:8081"),
            ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
            (
                "HTTPS://PDNS.Example.com/api/",
                "https://pdns.example.com/api",
            ),
            ("http://[::1]:8081", "http://[::1]:8081"),
            ("http://[0:0::1]", "http://[::1]"),
            ("  https://pdns.internal:443  ", "https://pdns.internal:443"),
        ] {
            assert_eq!(parse_http_url(input).as_deref(), Ok(want), "{input}");
        }
        for bad in [
            "ftp://x",
            "http://",
            "http:///path",
            "pdns:8081",
            "http://user:pw@h",
            "http://h:0",
            "http://h:99999",
            "http://h:+80",
            "http://h?x=1",
            "http://h/#f",
            "http://h/ a",
            "http://::1:8081",
            "http://bad!host",
            "http://h:",
        ] {
            assert!(parse_http_url(bad).is_err(), "{bad} accepted");
        }
        let e = parse_http_url("http://admin:secret@h").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn host_ports() {
        for (input, want) in [
            ("127.0.0.1:53", "127.0.0.1:53"),
            ("NS1.Example.com:5353", "ns1.example.com:5353"),
            ("[::1]:53", "[::1]:53"),
        ] {
            assert_eq!(parse_host_port(input).as_deref(), Ok(want), "{input}");
        }
        for bad in [
            "127.0.0.1",
            ":53",
            "h:0",
            "h:65536",
            "::1:53",
            "h:x",
            "[::1]",
            "a b:53",
        ] {
            assert!(parse_host_port(bad).is_err(), "{bad} accepted");
        }
    }
}
