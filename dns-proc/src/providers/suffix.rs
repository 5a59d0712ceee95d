//! Domain suffix input: split, lower-case, IDNA to ASCII, one trailing dot
//! stripped, duplicates removed, and every label checked. Hostnames to
//! resolve go through the same rules, with a leading `*.` stripped.

use shared::protocol::dns::SuffixInput;

use super::DnsError;

/// Longest name in octets (RFC 1035, without the root dot).
pub const MAX_NAME: usize = 253;
/// Longest label in octets.
pub const MAX_LABEL: usize = 63;

/// Normalizes one name; `what` names the input in errors. Labels may use
/// `a-z`, `0-9`, `-` (not at either end) and `_` (service labels such as
/// `_acme-challenge`, which real zones contain).
pub fn normalize_name(raw: &str, what: &str) -> Result<String, DnsError> {
    let trimmed = raw.trim();
    let shown: String = trimmed.chars().take(80).collect();
    if trimmed.is_empty() {
        return Err(DnsError::validation(
            "domainSuffixes",
            format!("empty {what}"),
        ));
    }
    if trimmed.contains('*') {
        return Err(DnsError::validation(
            "domainSuffixes",
            format!("{what} `{shown}` contains `*`; suffixes match whole labels without wildcards"),
        ));
    }
    let no_dot = trimmed.strip_suffix('.').unwrap_or(trimmed);
    let ascii = idna::domain_to_ascii(no_dot).map_err(|_| {
        DnsError::validation(
            "domainSuffixes",
            format!("{what} `{shown}` is not a valid domain name"),
        )
    })?;
    if ascii.is_empty() || ascii.len() > MAX_NAME {
        return Err(DnsError::validation(
            "domainSuffixes",
            format!("{what} `{shown}` is empty or longer than {MAX_NAME} characters"),
        ));
    }
    for label in ascii.split('.') {
        let ok = !label.is_empty()
            && label.len() <= MAX_LABEL
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(DnsError::validation(
                "domainSuffixes",
                format!(
                    "{what} `{shown}` has an invalid label `{}`",
                    label.chars().take(64).collect::<String>()
                ),
            ));
        }
    }
    Ok(ascii)
}

/// Parses suffix input into a normalized, de-duplicated, non-empty list.
pub fn parse_suffixes(input: &SuffixInput) -> Result<Vec<String>, DnsError> {
    let raw: Vec<&str> = match input {
        SuffixInput::Text(t) => t
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect(),
        SuffixInput::List(l) => l.iter().map(String::as_str).collect(),
    };
    if raw.len() > 500 {
        return Err(DnsError::validation(
            "domainSuffixes",
            "at most 500 suffixes per provider",
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for s in raw {
        let n = normalize_name(s, "suffix")?;
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

/// Normalizes a hostname to resolve: a leading `*.` resolves as its base.
pub fn normalize_hostname(raw: &str) -> Result<String, DnsError> {
    let t = raw.trim();
    let base = t.strip_prefix("*.").unwrap_or(t);
    normalize_name(base, "hostname").map_err(|e| match e {
        DnsError::Validation { message, .. } => DnsError::validation("hostname", message),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Result<Vec<String>, DnsError> {
        parse_suffixes(&SuffixInput::Text(s.into()))
    }

    #[test]
    fn comma_or_space_separated() {
        assert_eq!(
            text("sslboard.com, qcready.com").unwrap(),
            vec!["sslboard.com", "qcready.com"]
        );
        assert_eq!(
            text("sslboard.com qcready.com").unwrap(),
            vec!["sslboard.com", "qcready.com"]
        );
        assert_eq!(
            text(" SSLBoard.COM.,sslboard.com\tqcready.com\n").unwrap(),
            vec!["sslboard.com", "qcready.com"]
        );
    }

    #[test]
    fn idna_and_rejections() {
        assert_eq!(
            text("bücher.example").unwrap(),
            vec!["xn--bcher-kva.example"]
        );
        for bad in [
            "",
            " , ",
            "*.example.com",
            "a..b",
            "-a.com",
            "a-.com",
            "exa mple",
            "a.com..",
            &"a".repeat(64),
            "bad!.com",
        ] {
            assert!(text(bad).is_err(), "{bad:?} accepted");
        }
        let long = vec!["abcdefghij"; 26].join(".");
        assert!(text(&long).is_err());
        let e = text("good.com, bad!.com").unwrap_err().to_string();
        assert!(e.contains("bad!.com"), "{e}");
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
        assert!(normalize_hostname("a.*.com").is_err());
    }
}
