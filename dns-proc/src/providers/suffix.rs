//! Domain names as the provider model compares them.
//!
//! Suffixes and hostnames are only ever compared as strings of whole labels,
//! so both must be in one canonical form first: IDNA to ASCII (which also
//! lower-cases), one trailing dot stripped, every label checked. Suffix input
//! comes from a text field (`"a.com, b.com"` or `"a.com b.com"`) or a list;
//! duplicates are dropped keeping the first occurrence. A suffix never holds
//! `*` (matching is by whole labels, so a wildcard means nothing); a hostname
//! to resolve may start with `*.`, which resolves as its base name because the
//! DNS-01 record of `*.x` lives at `_acme-challenge.x`.
//!
//! Decision: labels may contain `_` as well as `a-z`, `0-9` and `-` (a hyphen
//! neither first nor last). `_` is not valid in a *host* name (RFC 1123), but
//! it is in a DNS name (RFC 2181 §11), and the names this model handles are
//! zones and record owners: `_acme-challenge.example.com` is a real delegated
//! zone in CNAME-delegation setups. A last label made only of digits is
//! refused: that is an IP address, and no zone or certificate name looks so.

use shared::protocol::dns::SuffixInput;

use super::error::shown;
use super::DnsError;

/// Longest name in octets (RFC 1035, written without the root dot).
pub const MAX_NAME: usize = 253;
/// Longest label in octets.
pub const MAX_LABEL: usize = 63;
/// Most suffixes one provider may manage.
pub const MAX_SUFFIXES: usize = 500;
/// Longest suffix input accepted, in bytes, before any parsing.
pub const MAX_INPUT: usize = 64 * 1024;
/// Longest single name looked at, in bytes, before IDNA (bounds its work).
const MAX_RAW_NAME: usize = 1024;

/// Canonical form of one name, or the reason it is not a valid DNS name.
fn normalize(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("it is empty".into());
    }
    if trimmed.len() > MAX_RAW_NAME {
        return Err(format!("it is longer than {MAX_RAW_NAME} bytes"));
    }
    if trimmed.contains('*') {
        return Err("it contains `*`; suffixes match whole labels, without wildcards".into());
    }
    let ascii =
        idna::domain_to_ascii(trimmed).map_err(|_| "it is not a valid domain name".to_string())?;
    // IDNA maps other full stops (`。`) to `.`, so the dot is stripped after it.
    let name = ascii.strip_suffix('.').unwrap_or(&ascii);
    if name.is_empty() {
        return Err("it has no labels".into());
    }
    if name.len() > MAX_NAME {
        return Err(format!("it is longer than {MAX_NAME} characters"));
    }
    for label in name.split('.') {
        check_label(label)?;
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("it looks like an IP address, not a domain name".into());
    }
    Ok(name.to_string())
}

fn check_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err("it has an empty label (two dots in a row, or a leading dot)".into());
    }
    if label.len() > MAX_LABEL {
        return Err(format!(
            "label `{}` is longer than {MAX_LABEL} characters",
            shown(label, 20)
        ));
    }
    if !label
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(format!(
            "label `{}` may only contain letters, digits, `-` and `_`",
            shown(label, 64)
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(format!(
            "label `{}` starts or ends with `-`",
            shown(label, 64)
        ));
    }
    Ok(())
}

/// Normalizes one domain suffix. The error names the suffix and says why.
pub fn normalize_suffix(raw: &str) -> Result<String, DnsError> {
    normalize(raw).map_err(|why| {
        DnsError::validation(
            "domainSuffixes",
            format!("suffix `{}` is not valid: {why}", shown(raw.trim(), 80)),
        )
    })
}

/// Normalizes any DNS name (a TSIG key name, say), reporting on `field`.
pub fn normalize_dns_name(raw: &str, field: &'static str) -> Result<String, DnsError> {
    normalize(raw).map_err(|why| {
        DnsError::validation(
            field,
            format!("`{}` is not a valid DNS name: {why}", shown(raw.trim(), 80)),
        )
    })
}

/// Normalizes a hostname to resolve; a leading `*.` resolves as its base.
pub fn normalize_hostname(raw: &str) -> Result<String, DnsError> {
    let t = raw.trim();
    let base = t.strip_prefix("*.").unwrap_or(t);
    normalize(base).map_err(|why| {
        DnsError::validation(
            "hostname",
            format!("hostname `{}` is not valid: {why}", shown(t, 80)),
        )
    })
}

/// True when `raw` is already a canonical suffix (what [`normalize_suffix`] returns).
pub fn is_canonical(raw: &str) -> bool {
    normalize(raw).is_ok_and(|n| n == raw)
}

/// Parses suffix input into a normalized, de-duplicated, non-empty list.
///
/// Text is split on commas and whitespace (empty pieces between separators
/// are ignored); list items are names each, and an empty item is an error.
pub fn parse_suffixes(input: &SuffixInput) -> Result<Vec<String>, DnsError> {
    let raw: Vec<&str> = match input {
        SuffixInput::Text(t) => {
            if t.len() > MAX_INPUT {
                return Err(DnsError::validation(
                    "domainSuffixes",
                    format!("suffix input is longer than {MAX_INPUT} bytes"),
                ));
            }
            t.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect()
        }
        SuffixInput::List(l) => l.iter().map(String::as_str).collect(),
    };
    if raw.len() > MAX_SUFFIXES {
        return Err(DnsError::validation(
            "domainSuffixes",
            format!("at most {MAX_SUFFIXES} suffixes per provider"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for s in raw {
        let n = normalize_suffix(s)?;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    if out.is_empty() {
        return Err(DnsError::validation(
            "domainSuffixes",
            "at least one domain suffix is required",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(s: &str) -> Result<Vec<String>, DnsError> {
        parse_suffixes(&SuffixInput::Text(s.into()))
    }

    #[test]
    fn comma_or_space_separated() {
        let want = vec!["sslboard.com", "qcready.com"];
        assert_eq!(text("sslboard.com, qcready.com").unwrap(), want);
        assert_eq!(text("sslboard.com qcready.com").unwrap(), want);
        assert_eq!(text("sslboard.com,qcready.com").unwrap(), want);
        assert_eq!(
            text(" SSLBoard.COM.,sslboard.com\tqcready.com\n,,").unwrap(),
            want
        );
        let list = SuffixInput::List(vec!["sslboard.com".into(), "QCREADY.com.".into()]);
        assert_eq!(parse_suffixes(&list).unwrap(), want);
    }

    #[test]
    fn idna_underscores_and_trailing_dot() {
        assert_eq!(
            text("bücher.example").unwrap(),
            vec!["xn--bcher-kva.example"]
        );
        assert_eq!(
            text("BÜCHER.example.").unwrap(),
            text("bücher.example").unwrap()
        );
        assert_eq!(text("a.com。").unwrap(), vec!["a.com"]);
        assert_eq!(
            text("_acme-challenge.example.com").unwrap(),
            vec!["_acme-challenge.example.com"]
        );
        assert_eq!(text("internal").unwrap(), vec!["internal"]);
    }

    #[test]
    fn rejections_name_the_bad_suffix() {
        let long_label = "a".repeat(64);
        let long_name = vec!["abcdefghij"; 26].join(".");
        for bad in [
            "",
            " , ",
            "*.example.com",
            "a*.com",
            "a..b",
            ".a.com",
            "a.com..",
            "-a.com",
            "a-.com",
            "bad!.com",
            "a/b.com",
            "1.2.3.4",
            ".",
            long_label.as_str(),
            long_name.as_str(),
        ] {
            assert!(text(bad).is_err(), "{bad:?} accepted");
        }
        let e = text("good.com, bad!.com").unwrap_err().to_string();
        assert!(e.contains("`bad!.com`"), "{e}");
        let e = text(&format!("{long_label}.com")).unwrap_err().to_string();
        assert!(e.contains("longer than 63"), "{e}");
        let empty = SuffixInput::List(vec!["a.com".into(), " ".into()]);
        assert!(parse_suffixes(&empty).is_err());
        assert!(parse_suffixes(&SuffixInput::List(vec![])).is_err());
        let many = (0..=MAX_SUFFIXES).map(|i| format!("s{i}.com")).collect();
        assert!(parse_suffixes(&SuffixInput::List(many)).is_err());
        // 63-octet labels and a 253-octet name are the limits, not beyond them.
        assert!(text(&format!("{}.com", "a".repeat(63))).is_ok());
        let at_limit = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        assert_eq!(at_limit.len(), 253);
        assert!(text(&at_limit).is_ok());
        assert!(text(&format!("{at_limit}e")).is_err());
    }

    #[test]
    fn hostnames() {
        assert_eq!(
            normalize_hostname("*.SSLBoard.com.").unwrap(),
            "sslboard.com"
        );
        assert_eq!(
            normalize_hostname("_acme-challenge.x.com").unwrap(),
            "_acme-challenge.x.com"
        );
        assert_eq!(
            normalize_hostname("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        for bad in ["a.*.com", "*", "*.", "**.a.com", "", "a b.com"] {
            let e = normalize_hostname(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    DnsError::Validation {
                        field: "hostname",
                        ..
                    }
                ),
                "{bad:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn accepted_output_is_canonical_and_stable(s in "[a-zA-Z0-9ü_.*, -]{0,40}") {
            if let Ok(list) = text(&s) {
                prop_assert!(!list.is_empty());
                for n in &list {
                    prop_assert!(is_canonical(n), "{n}");
                    prop_assert!(!n.contains('*') && !n.ends_with('.'));
                }
                prop_assert_eq!(parse_suffixes(&SuffixInput::List(list.clone())).unwrap(), list);
            }
        }
    }
}
